/*
 * test_clones.c — clones (issue #15): `ringsim run FILE --clones N
 * --clone-args A1,…` runs N VMs made from one save file under hw with
 * nested paging, sharing its memory copy-on-write (hypervisor/clone.c).
 * Each clone does what a run given its own boot parameter does; a clone's
 * write is invisible to the others; shared pages are counted and decrease
 * by exactly one per copy-on-write fault; the isolation audit holds all
 * along (and notices a shared page mapped writable); files that cannot be
 * cloned are refused, naming the file and why.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "hypervisor/hv.h"
#include "tests/helpers.h"

/* A guest that diverges by its boot parameter after the save point: it
 * spins (the save falls here), reads the parameter's first character at
 * guest-physical 0x100 and writes it to `cell`; the clone given "1" also
 * clears `probe`, on a page of its own.  After a spin long enough for every
 * clone to have written (a slice is 2000 cycles), it reads both back: its
 * exit code is the character read back from cell (6 bits), plus 0x40 if
 * probe reads cleared.  Isolated, each clone exits with its own character,
 * and only the clone given "1" sees probe cleared. */
static const char probe_src[] =
    "        .text\n"
    "        .global _start\n"
    "_start: li r4, 3000\n"
    "1:      addi r4, r4, -1\n"
    "        bnez r4, 1b\n"
    "        li r6, 0x100\n"
    "        lw r7, 0(r6)\n"
    "        andi r7, r7, 0xff\n"
    "        la r2, cell\n"
    "        sw r7, 0(r2)\n"
    "        li r3, '1'\n"
    "        bne r7, r3, 2f\n"
    "        la r3, probe\n"
    "        sw r0, 0(r3)\n"
    "2:      li r4, 20000\n"
    "3:      addi r4, r4, -1\n"
    "        bnez r4, 3b\n"
    "        lw r1, 0(r2)\n"
    "        andi r1, r1, 0x3f\n"
    "        la r3, probe\n"
    "        lw r5, 0(r3)\n"
    "        bnez r5, 4f\n"
    "        addi r1, r1, 0x40\n"
    "4:      out power, r1\n"
    "        .data\n"
    "cell:   .word 0x5a\n"
    "        .space 8192\n"
    "probe:  .word 1\n";

#define MEM "--mem 1M"
#define PAGES (1u << 20 >> 12)

/* The probe guest saved under hw+nested in its first spin; returns the
 * save file's path (a static buffer). */
static const char *saved_probe(const char *dir, const char **img)
{
    static char save[512];
    *img = assemble(dir, "probe", probe_src);
    snprintf(save, sizeof save, "%s/probe.save", dir);
    char args[1200];
    snprintf(args, sizeof args, "run %s --mode hw --mmu nested " MEM " --slice 2000 --save-at 2000:%s", *img, save);
    int status;
    free(run_out(args, &status));
    cr_assert_eq(status, 0, "the probe guest, saved: exit status %d", status);
    return save;
}

/* `ringsim ARGS --stats FILE`, whose status is clone 0's exit code: the
 * statistics, parsed. */
static json_t *clone_stats(const char *args)
{
    char a[2048], path[512];
    snprintf(path, sizeof path, "%s/clones.json", temp_dir());
    snprintf(a, sizeof a, "%s --stats %s", args, path);
    char *err;
    int status = run_ringsim(a, NULL, &err);
    cr_assert(status != 2 && status != 124 && status != 125, "ringsim %s: status %d: %s", a, status, err);
    free(err);
    json_error_t e;
    json_t *st = json_load_file(path, 0, &e);
    cr_assert(st, "ringsim %s: no statistics", a);
    return st;
}

static long long vm_num(json_t *vms, size_t i, const char *key)
{
    return (long long)json_integer_value(json_object_get(json_array_get(vms, i), key));
}

Test(clones, each_does_what_its_parameter_makes_it_do)
{
    char dir[64];
    snprintf(dir, sizeof dir, "%s", temp_dir());
    const char *img, *save = saved_probe(dir, &img);
    const char *params[] = {"1", "2", "3", "7"};
    char args[1600];
    snprintf(args, sizeof args, "run %s --clones 4 --clone-args 1,2,3,7", save);
    json_t *st = clone_stats(args);
    json_t *vms = json_object_get(st, "vms");
    cr_assert_eq(json_array_size(vms), 4);
    for (size_t i = 0; i < 4; i++) {
        /* a single run from the start, given the same parameter */
        snprintf(args, sizeof args, "run %s --mode hw --mmu nested " MEM " --args %s", img, params[i]);
        int status;
        free(run_out(args, &status));
        cr_assert_eq(vm_num(vms, i, "exit_code"), status, "clone %zu (--clone-args %s) exited %lld, a run with "
                     "--args %s %d", i, params[i], vm_num(vms, i, "exit_code"), params[i], status);
    }
    /* isolated: each read back its own character; only "1" cleared probe */
    cr_assert_eq(vm_num(vms, 0, "exit_code"), 0x40 | ('1' & 0x3f));
    cr_assert_eq(vm_num(vms, 1, "exit_code"), '2' & 0x3f);
    cr_assert_eq(vm_num(vms, 3, "exit_code"), '7' & 0x3f);
    json_decref(st);
}

Test(clones, kernel_clones_print_what_their_parameter_makes_them_print)
{
    char dir[64], args[1200], save[512];
    snprintf(dir, sizeof dir, "%s", temp_dir());
    snprintf(save, sizeof save, "%s/sys.save", dir);
    snprintf(args, sizeof args, "run syscall --mode hw --slice 100000000 --save-at 50000:%s", save);
    int status;
    free(run_out(args, &status));
    cr_assert_eq(status, 0);
    snprintf(args, sizeof args, "run %s --clones 2 --clone-args 3,5", save);
    char *out = run_out(args, &status);
    cr_assert_eq(status, 0, "%s", out);
    const char *params[] = {"3", "5"};
    for (int i = 0; i < 2; i++) {
        snprintf(args, sizeof args, "run syscall --mode hw --args %s", params[i]);
        char *one = run_out(args, &status), line[256];
        cr_assert_eq(status, 0);
        snprintf(line, sizeof line, "[syscall-%d] %s", i, one);
        cr_assert(strstr(out, line), "clone %d printed\n%s\nnot, as a run with --args %s,\n%s", i, out, params[i],
                  one);
        free(one);
    }
    free(out);
}

Test(clones, shared_pages_decrease_by_one_per_cow_fault)
{
    char dir[64];
    snprintf(dir, sizeof dir, "%s", temp_dir());
    const char *img, *save = saved_probe(dir, &img);
    char args[1200];
    snprintf(args, sizeof args, "run %s --clones 3 --clone-args 1,2,3", save);
    json_t *st = clone_stats(args);
    json_t *c = json_object_get(st, "clone");
    cr_assert(c, "no \"clone\" statistics");
    cr_assert_eq(stats_num(st, "clone", "clones"), 3);
    cr_assert_eq(stats_num(st, "clone", "template_pages"), PAGES);
    /* every page shared at the start but each clone's parameter page */
    cr_assert_eq(stats_num(st, "clone", "shared_pages_at_start"), 3 * (PAGES - 1));
    json_t *vms = json_object_get(c, "vms");
    long long shared = 0, faults = 0;
    for (size_t i = 0; i < 3; i++) {
        long long s = vm_num(vms, i, "shared_pages"), f = vm_num(vms, i, "cow_faults");
        cr_assert_eq(s, PAGES - 1 - f, "clone %zu: %lld shared pages after %lld cow faults", i, s, f);
        shared += s;
        faults += f;
    }
    /* cell's page for all, probe's for the clone given "1" */
    cr_assert_eq(vm_num(vms, 0, "cow_faults"), 2);
    cr_assert_eq(vm_num(vms, 1, "cow_faults"), 1);
    cr_assert_eq(stats_num(st, "clone", "shared_pages"), shared);
    cr_assert_eq(stats_num(st, "clone", "cow_faults"), faults);
    cr_assert_lt(shared, stats_num(st, "clone", "shared_pages_at_start"));
    /* the faults were nested violations the guest never saw */
    json_t *v0 = json_object_get(json_array_get(vms, 0), "name");
    cr_assert_str_eq(json_string_value(v0), "probe-0");
    json_decref(st);
}

/* In-process: the clones run in chunks, the audit checked after each; the
 * template never changes; a shared page mapped writable is caught. */
Test(clones, audit_holds_and_the_template_never_changes)
{
    char dir[64];
    snprintf(dir, sizeof dir, "%s", temp_dir());
    const char *img, *save = saved_probe(dir, &img);
    (void)img;
    const char *params[] = {"1", "2", "3"};
    struct machine_opts given = {0};
    struct cli_machine cm;
    cr_assert(cli_machine_clone(save, 3, params, &given, NULL, "test", &cm));
    cli_machine_start(&cm);
    struct hv *hv = cm.hv;
    struct machine *m = cm.m;
    cr_assert(hv->clones.active);
    uint8_t *before = malloc(hv->clones.size);
    cr_assert(before);
    memcpy(before, m->mem + hv->clones.base, hv->clones.size);
    char why[512];
    cr_assert(hv_audit(hv, why, sizeof why), "at the start: %s", why);
    for (int i = 0; i < 400 && m->stop == STOP_NONE; i++) {
        machine_run(m, 500);
        if (m->stop == STOP_STEPS) m->stop = STOP_NONE;
        cr_assert(hv_audit(hv, why, sizeof why), "after %d chunks: %s", i + 1, why);
    }
    cr_assert_eq(m->stop, STOP_EXIT, "the clones did not end: %s", m->stop_detail);
    cr_assert(memcmp(before, m->mem + hv->clones.base, hv->clones.size) == 0, "a clone wrote the template");
    free(before);
    /* plant: clone 1's page 0x3000 (shared still) mapped writable */
    uint32_t hpa = hv_clone_host_addr(hv, &hv->vms[1], 0x3000);
    cr_assert(hpa >= hv->clones.base && hpa < hv->clones.base + hv->clones.size, "page 0x3000 is not shared");
    const struct vmcs *v = &m->vmx.vmcs[hv->vms[1].index];
    unsigned bits[MMU_MAX_LEVELS], shift = 32;
    mmu_level_bits(v->ept_levels, bits);
    uint32_t table = v->ept_root & PTE_FRAME, e = 0, pte;
    for (unsigned l = 0; l < v->ept_levels; l++) {
        shift -= bits[l];
        e = table + 4 * ((0x3000u >> shift) & ((1u << bits[l]) - 1));
        memcpy(&pte, m->mem + e, 4);
        table = pte & PTE_FRAME;
    }
    cr_assert_eq(pte & PTE_FRAME, hpa & PTE_FRAME);
    pte |= PTE_W;
    memcpy(m->mem + e, &pte, 4);
    cr_assert(!hv_audit(hv, why, sizeof why), "a shared page mapped writable went unnoticed");
    cr_assert(strstr(why, "writable"), "%s", why);
    cli_machine_free(&cm);
}

/* Runs `ringsim ARGS`, expecting exit status 2 and every one of the
 * NULL-terminated words in its stderr. */
static void refused(const char *args, ...)
{
    char *err;
    int status = run_ringsim(args, NULL, &err);
    cr_assert_eq(status, 2, "ringsim %s: exit status %d, stderr %s", args, status, err);
    va_list ap;
    va_start(ap, args);
    for (const char *w; (w = va_arg(ap, const char *));)
        cr_assert(strstr(err, w), "ringsim %s: '%s' not in: %s", args, w, err);
    va_end(ap);
    free(err);
}

Test(clones, refusals_name_the_file_and_why)
{
    char dir[64];
    snprintf(dir, sizeof dir, "%s", temp_dir());
    const char *img, *save = saved_probe(dir, &img);
    char args[1600], f[512];
    const char *saves[][2] = {{"--mode native", "bare metal"}, {"--mode te", "te+shadow"},
                              {"--mode hw --mmu shadow", "hw+shadow"}, {"--mode hw --host-large-pages", "large"},
                              {"--mode hw", "2 VMs"}};
    for (int i = 0; i < 5; i++) {
        snprintf(f, sizeof f, "%s/s%d.save", dir, i);
        snprintf(args, sizeof args, "run %s %s %s " MEM " --save-at 5000:%s", img, i == 4 ? img : "", saves[i][0], f);
        int status;
        free(run_out(args, &status));
        snprintf(args, sizeof args, "run %s --clones 2", f);
        refused(args, f, saves[i][1], (char *)NULL);
    }
    /* the command line */
    snprintf(args, sizeof args, "run %s --mode hw --clones 2", img);
    refused(args, "save file", (char *)NULL);
    snprintf(args, sizeof args, "run %s --clones 1", save);
    refused(args, "--clones '1'", (char *)NULL);
    snprintf(args, sizeof args, "run %s --clones 3 --clone-args 1,2", save);
    refused(args, "2 parameters for 3 clones", (char *)NULL);
    snprintf(args, sizeof args, "run %s --clones 2 --mode te", save);
    refused(args, save, "cannot change", (char *)NULL);
    snprintf(args, sizeof args, "run %s --clones 2 --save-at 9000000:%s/x.save", save, dir);
    refused(args, "cannot be saved", (char *)NULL);
    snprintf(args, sizeof args, "run %s --clones 2 --switch-at 9000000:te", save);
    refused(args, "2 VMs", (char *)NULL);
    /* a VM with a network interface: its interface's state is one VM's */
    snprintf(f, sizeof f, "%s/net.save", dir);
    snprintf(args, sizeof args, "run netping --net --mode hw --save-at 50000:%s", f);
    int status;
    free(run_out(args, &status));
    cr_assert_eq(status, 0, "%s", args);
    snprintf(args, sizeof args, "run %s --clones 2", f);
    refused(args, f, "network interface (--net)", (char *)NULL);
}

/* The kernel, saved with a slice long enough that each clone prints whole
 * lines: every clone prints, line for line, what the file restored alone
 * prints — and so with content-based sharing, which gives pages back to
 * the template (merged_pages) and leaves more shared at the end. */
static const char *saved_kernel(const char *dir)
{
    static char save[512];
    snprintf(save, sizeof save, "%s/kernel.save", dir);
    char args[1200];
    snprintf(args, sizeof args, "run kernel --mode hw --slice 100000000 --save-at 300000:%s", save);
    int status;
    free(run_out(args, &status));
    cr_assert_eq(status, 0);
    return save;
}

/* The lines of out that start with prefix, the prefix taken off. */
static char *lines_of(const char *out, const char *prefix)
{
    size_t n = strlen(out), k = strlen(prefix), len = 0;
    char *r = calloc(n + 1, 1);
    cr_assert(r);
    for (const char *p = out; *p;) {
        const char *end = strchr(p, '\n');
        size_t l = end ? (size_t)(end - p) + 1 : strlen(p);
        if (l >= k && strncmp(p, prefix, k) == 0) {
            memcpy(r + len, p + k, l - k);
            len += l - k;
        }
        p += l;
    }
    return r;
}

Test(clones, kernel_clones_print_what_the_restored_file_prints_with_and_without_page_sharing)
{
    char dir[64], args[1200];
    snprintf(dir, sizeof dir, "%s", temp_dir());
    const char *save = saved_kernel(dir);
    snprintf(args, sizeof args, "run %s", save);
    int status;
    char *one = run_out(args, &status);
    cr_assert_eq(status, 0);
    long long shared[2];
    for (int share = 0; share < 2; share++) {
        char path[128];
        snprintf(path, sizeof path, "%s/k%d.json", dir, share);
        snprintf(args, sizeof args, "run %s --clones 2 %s --stats %s", save, share ? "--share-pages 200000" : "",
                 path);
        char *out = run_out(args, &status);
        cr_assert_eq(status, 0, "%s", out);
        for (int i = 0; i < 2; i++) {
            char prefix[32];
            snprintf(prefix, sizeof prefix, "[kernel-%d] ", i);
            char *mine = lines_of(out, prefix);
            cr_assert_str_eq(mine, one, "clone %d%s printed\n%s\nnot, as the file restored alone,\n%s", i,
                             share ? " (--share-pages)" : "", mine, one);
            free(mine);
        }
        free(out);
        json_error_t e;
        json_t *st = json_load_file(path, 0, &e);
        cr_assert(st);
        json_t *vms = json_object_get(json_object_get(st, "clone"), "vms");
        for (size_t i = 0; i < 2; i++)
            cr_assert_eq(vm_num(vms, i, "shared_pages"),
                         4096 - vm_num(vms, i, "cow_faults") + vm_num(vms, i, "merged_pages"),
                         "clone %zu: shared pages are not the pages less the cow faults plus those merged", i);
        shared[share] = stats_num(st, "clone", "shared_pages");
        if (share) {
            cr_assert_gt(stats_num(st, "clone", "scans"), 0);
            cr_assert_gt(stats_num(st, "clone", "merged_pages"), 0);
        } else {
            cr_assert_eq(stats_num(st, "clone", "merged_pages"), 0);
        }
        json_decref(st);
    }
    cr_assert_gt(shared[1], shared[0], "sharing by content left %lld pages shared, without it %lld", shared[1],
                 shared[0]);
    free(one);
}

/* In-process, content-based sharing on: the audit holds after every chunk
 * (pages given back to the template read-only, never writable). */
Test(clones, audit_holds_with_page_sharing)
{
    char dir[64];
    snprintf(dir, sizeof dir, "%s", temp_dir());
    const char *save = saved_kernel(dir);
    struct machine_opts given = {0};
    struct cli_machine cm;
    cr_assert(cli_machine_clone(save, 2, NULL, &given, NULL, "test", &cm));
    cr_assert(hv_clone_share(cm.hv, 100000));
    cm.m->con.out = NULL;   /* the kernel's lines: another test reads them */
    cli_machine_start(&cm);
    char why[512];
    int chunks = 0;
    while (cm.m->stop == STOP_NONE && chunks++ < 2000) {
        machine_run(cm.m, 20000);
        if (cm.m->stop == STOP_STEPS) cm.m->stop = STOP_NONE;
        cr_assert(hv_audit(cm.hv, why, sizeof why), "after %d chunks: %s", chunks, why);
    }
    cr_assert_eq(cm.m->stop, STOP_EXIT, "%s", cm.m->stop_detail);
    cr_assert_gt(cm.hv->clones.merged[0] + cm.hv->clones.merged[1], 0);
    cli_machine_free(&cm);
}
