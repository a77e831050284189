/*
 * machine.c — the options every command that runs a guest shares (run,
 * debug, dot), and the machine they describe.
 *
 * It does what `ringsim run` does before its first instruction: parse the
 * shared options, load the profile and the images, make the machine and,
 * under a hypervisor (--mode te, bt, hw), the hypervisor with one VM per
 * image.  There is one copy of this, so a dump's or a debugger's machine is
 * the machine `run` runs (tests/test_dot.c compares them).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "hypervisor/hv.h"
#include "hypervisor/technique.h"

void cli_machine_defaults(struct machine_opts *o)
{
    memset(o, 0, sizeof *o);
    o->mode = "native";
    o->isa = ISA_CLASSIC;
    o->levels = 2;
    o->profile = "modern";
    o->memsize = 16u << 20;
    /* the engine's default: RINGSIM_ENGINE, else the interpreter */
    const char *e = getenv("RINGSIM_ENGINE");
    static bool warned;
    if (e && *e && strcmp(e, "interp") && (strcmp(e, "jit") || !cpu_jit_available()) && !warned) {
        fprintf(stderr, "ringsim: RINGSIM_ENGINE '%s': expected interp or jit%s; interpreting\n", e,
                strcmp(e, "jit") ? "" : " on an x86-64 host");
        warned = true;
    }
    o->jit = e && !strcmp(e, "jit") && cpu_jit_available();
    const char *t = getenv("RINGSIM_JIT_THRESHOLD");
    uint64_t v;
    if (t && cli_parse_u64(t, &v) && v >= 1 && v <= 1000000) o->jit_threshold = (uint32_t)v;
}

void cli_machine_help(FILE *out)
{
    fprintf(out,
        "  --mode MODE        native (default); hw (hardware assist: the guest kernel runs in\n"
        "                     non-root ring 0 under the hypervisor); te (trap-and-emulate: the\n"
        "                     guest kernel runs in ring 1, the hypervisor emulates); bt (binary\n"
        "                     translation: the guest's code, every ring, runs from a code cache,\n"
        "                     sensitive instructions call the hypervisor); pv (paravirtualisation:\n"
        "                     the paravirtual build of the kernel, guests/pv/, runs in ring 1 and\n"
        "                     makes hypercalls; the hypervisor validates its page tables; an image\n"
        "                     that is no paravirtual kernel is stopped, exit status 125)\n"
        "  --mmu MMU          nested (default with hw) or shadow (the only one with te and bt;\n"
        "                     with hw it is early VT-x: page faults and page-table switches exit)\n"
        "  --host-levels M    levels of the nested (host) page table (default: --levels)\n"
        "  --host-large-pages map guest memory with large host pages\n"
        "  --ntlb N           a nested TLB of N guest-physical->host-physical entries\n"
        "  --no-vpid          TLB entries not tagged by VM: a VM switch flushes\n"
        "  --slice N          cycles a VM runs before the next one (default 200000)\n"
        "  --isa ISA          classic (default: keeps the red pills) or strict\n"
        "  --bt-chain on|off  bt: patch a translated block's direct exit to jump straight to its\n"
        "                     target's translation (default on); off: every exit through the\n"
        "                     dispatcher (bt_dispatch cycles each)\n"
        "  --engine E         interp (default) or jit: how the host runs the guest, never what\n"
        "                     it computes; jit compiles straight runs of code to x86-64 (only\n"
        "                     on an x86-64 host), every cycle and statistic the same\n"
        "  --jit-threshold N  with jit: compile a page once its blocks have been entered N times\n"
        "                     (default 256; 1 compiles every page the first time it runs)\n"
        "  --profile P        machine profile NAME (modern, p4-2006, core2-2006) or FILE.ini\n"
        "  --levels N         page-table levels, 2 (default), 3 or 4 (read by guests from CR levels)\n"
        "  --mem SIZE         physical memory (per VM under hw), e.g. 16M (default)\n"
        "  --tlb E[:W]        TLB of E entries, W ways (default 64:4; E:E fully associative)\n"
        "  --no-asid          TLB entries untagged: every page-table switch flushes\n"
        "  --pwc N            a page-walk cache of N upper-level entries (default off)\n"
        "  --args TEXT        the boot parameter, copied to physical 0x100: a bundled workload's\n"
        "                     iteration count, a number (0 = its default; anything else refused)\n"
        "  --input TEXT       console input script (with several VMs, the first VM's)\n"
        "  --input-file FILE  console input script from a file (- = stdin)\n"
        "  --disk FILE[:create=SIZE][:part=FIRST+COUNT]  a block device backed by FILE (a whole\n"
        "                     number of 512-byte sectors, locked while the run lasts); create=64K\n"
        "                     makes it, zeroed, if missing; part= gives the VM sectors FIRST..\n"
        "                     FIRST+COUNT-1 of it as its whole disk (a byte-range lock on them: VMs\n"
        "                     and runs may share a file, never a sector).  Repeat for each image:\n"
        "                     the first --disk is the first VM's\n"
        "  --disk FILE[:create=SIZE]:mirror=FILE2[:degraded][:resync]  a mirrored disk (RAID-1):\n"
        "                     both files written, reads from the first there; a file lost mid-run\n"
        "                     is reported once and counted, the other goes on; one missing at\n"
        "                     start is refused unless :degraded; :resync copies FILE onto FILE2\n"
        "                     (a replacement) before the run\n"
        "  --passthrough N    give VM N's disk and network interface to it directly (hw with\n"
        "                     nested paging): their ports do not exit, their DMA goes through the\n"
        "                     IOMMU (a fault for memory outside the VM, reported on stderr), their\n"
        "                     interrupts are posted (docs/io.md)\n"
        "  --no-iommu         with --passthrough N: no IOMMU, the device's DMA addresses are\n"
        "                     host-physical and reach every VM's memory (the attack it allows)\n"
        "  --net              a network interface for the machine (each VM), all on one virtual\n"
        "                     switch with an echo host on its last port (docs/io.md, \"Network\")\n"
        "  --net-latency N    cycles a frame takes through the switch (default 2000; implies --net)\n"
        "  --invariants       check the hypervisor's own rules as it runs (shadow paging: no\n"
        "                     shadow entry gives more than the guest's; pv: the frame table\n"
        "                     matches the guest's pinned tables, no table mapped writable);\n"
        "                     the first broken one stops the guest, exit status 125, saying\n"
        "                     which, where and when (labs/grade.sh turns it on)\n");
}

static int bad(const char *cmd, const char *opt, const char *arg, const char *expected)
{
    fprintf(stderr, "ringsim %s: %s '%s': expected %s\n", cmd, opt, arg, expected);
    return -1;
}

bool cli_args_fit(const char *args, const struct isa_image *img, const char *name, const char *cmd)
{
    uint32_t at;
    if (!args || !isa_image_symbol_addr(img, "u_count", &at)) return true;
    /* u_count reads digits up to the first other character, in 32 bits:
     * "abc" would be no count at all (the default), 5000000000 would wrap */
    size_t n = strlen(args);
    if (n && n <= 10 && strspn(args, "0123456789") == n && strtoull(args, NULL, 10) <= UINT32_MAX) return true;
    fprintf(stderr, "ringsim %s: --args '%s': %s reads it as its iteration count (u_count): expected a number, "
                    "0 to %u (0: the workload's default)\n", cmd, args, name, UINT32_MAX);
    return false;
}

int cli_machine_option(int ch, const char *arg, struct machine_opts *o, const char *cmd)
{
    uint64_t v;
    switch (ch) {
    case CLI_O_MODE: o->mode = arg; return 1;
    case CLI_O_MMU: o->mmu = arg; return 1;
    case CLI_O_PROFILE: o->profile = arg; return 1;
    case CLI_O_INPUT: o->input = arg; return 1;
    case CLI_O_INPUTFILE: o->input_file = arg; return 1;
    case CLI_O_DISK:
        if (o->ndisks == MAX_VMS) return bad(cmd, "--disk", arg, "at most one per image");
        o->disks[o->ndisks++] = arg;
        return 1;
    case CLI_O_NOASID: o->no_asid = true; return 1;
    case CLI_O_NOVPID: o->no_vpid = true; return 1;
    case CLI_O_INVARIANTS: o->invariants = true; return 1;
    case CLI_O_NOIOMMU: o->no_iommu = true; return 1;
    case CLI_O_NET: o->net = true; return 1;
    case CLI_O_NETLATENCY:
        if (!cli_parse_u64(arg, &v) || v > 100000000) return bad(cmd, "--net-latency", arg, "cycles, 0..100000000");
        o->net = true;
        o->net_latency = v ? v : 1;   /* 0 is the default's marker: the least is one cycle */
        return 1;
    case CLI_O_PASSTHROUGH:
        if (!cli_parse_u64(arg, &v) || v >= MAX_VMS) return bad(cmd, "--passthrough", arg, "a VM's index, 0..7");
        o->passthrough = (int)v + 1;
        return 1;
    case CLI_O_HOSTLARGE: o->host_large_pages = true; return 1;
    case CLI_O_BTCHAIN:
        if (strcmp(arg, "on") && strcmp(arg, "off")) return bad(cmd, "--bt-chain", arg, "on or off");
        o->no_bt_chain = !strcmp(arg, "off");
        return 1;
    case CLI_O_ENGINE:
        if (strcmp(arg, "interp") && strcmp(arg, "jit")) return bad(cmd, "--engine", arg, "interp or jit");
        if (!strcmp(arg, "jit") && !cpu_jit_available())
            return bad(cmd, "--engine", arg, "interp: this host is not x86-64, the JIT's only target");
        o->jit = !strcmp(arg, "jit");
        return 1;
    case CLI_O_JITTHRESHOLD:
        if (!cli_parse_u64(arg, &v) || v < 1 || v > 1000000) return bad(cmd, "--jit-threshold", arg, "1..1000000");
        o->jit_threshold = (uint32_t)v;
        return 1;
    case CLI_O_ISA:
        return isa_variant_parse(arg, &o->isa) ? 1 : bad(cmd, "--isa", arg, "classic or strict");
    case CLI_O_LEVELS:
    case CLI_O_HOSTLEVELS:
        if (!cli_parse_u64(arg, &v) || v < 2 || v > 4)
            return bad(cmd, ch == CLI_O_LEVELS ? "--levels" : "--host-levels", arg, "2, 3 or 4");
        *(ch == CLI_O_LEVELS ? &o->levels : &o->host_levels) = (unsigned)v;
        return 1;
    case CLI_O_MEM:
        if (!cli_parse_u64(arg, &v) || v % 4096 || v < 65536 || v > (1u << 30))
            return bad(cmd, "--mem", arg, "a multiple of 4K between 64K and 1G");
        o->memsize = (uint32_t)v;
        return 1;
    case CLI_O_TLB:
        return mmu_parse_tlb(arg, &o->tlb_entries, &o->tlb_ways)
                   ? 1 : bad(cmd, "--tlb", arg, "ENTRIES[:WAYS] with ENTRIES/WAYS a power of two (e.g. 64:4)");
    case CLI_O_PWC:
    case CLI_O_NTLB:
        if (!cli_parse_u64(arg, &v) || v > 4096)
            return bad(cmd, ch == CLI_O_PWC ? "--pwc" : "--ntlb", arg, "a number of entries, 0..4096");
        *(ch == CLI_O_PWC ? &o->pwc_entries : &o->ntlb_entries) = (unsigned)v;
        return 1;
    case CLI_O_SLICE:
        if (!cli_parse_u64(arg, &v) || v < 1000 || v > 100000000)
            return bad(cmd, "--slice", arg, "cycles, 1000..100000000");
        o->slice = (uint32_t)v;
        return 1;
    case CLI_O_ARGS:
        if (strlen(arg) > BOOT_ARGS_MAX - 1) {
            fprintf(stderr, "ringsim %s: --args: at most %d characters\n", cmd, BOOT_ARGS_MAX - 1);
            return -1;
        }
        o->args = arg;
        o->args_typed = true;
        return 1;
    default:
        return 0;
    }
}

/* Which hypervisor, if any, the options ask for: the CPU technique and the
 * MMU technique, each CPU technique with the MMU techniques built for it and
 * its default (pv has neither: the guest's own tables, validated, are the
 * MMU's).  Reports a refusal as "ringsim CMD: …" and returns false. */
static bool choose_mode(const struct machine_opts *o, int nimages, const char *cmd, struct hv_config *hc,
                        bool *virt)
{
    const struct hv_technique *t = hv_technique_named(o->mode);
    if (!t) {
        fprintf(stderr, "ringsim %s: --mode '%s': expected %s\n", cmd, o->mode, hv_technique_names());
        return false;
    }
    hc->mode = t->mode;
    hc->mmu = t->default_mmu;
    *virt = hv_technique_virtual(t);
    enum hv_mmu want = HV_MMU_NONE;
    bool named = o->mmu && hv_mmu_named(o->mmu, &want);
    if (o->mmu && !t->mmus) {
        fprintf(stderr, "ringsim %s: ", cmd);
        fprintf(stderr, t->no_mmu_why, o->mmu);
        fputc('\n', stderr);
        return false;
    }
    if (named && (t->mmus & HV_MMU_BIT(want))) {
        hc->mmu = want;
    } else if (o->mmu && (t->mmus & HV_MMU_BIT(HV_MMU_NESTED))) {
        fprintf(stderr, "ringsim %s: --mmu '%s': expected nested or shadow\n", cmd, o->mmu);
        return false;
    } else if (o->mmu) {
        fprintf(stderr, "ringsim %s: --mode %s --mmu %s: software virtualisation has no nested "
                        "paging (that is hardware assist); use --mmu shadow\n", cmd, o->mode, o->mmu);
        return false;
    }
    if (nimages > 1 && t->deprivileged && t->mmus) {
        fprintf(stderr, "ringsim %s: trap-and-emulate runs one VM in this build; several VMs run with "
                        "--mode hw\n", cmd);
        return false;
    }
    if (nimages > 1 && !t->many_vms_mmus) {
        fprintf(stderr, "ringsim %s: several images run as several VMs: add --mode hw\n", cmd);
        return false;
    }
    if (nimages > MAX_VMS) {
        fprintf(stderr, "ringsim %s: at most %d VMs\n", cmd, MAX_VMS);
        return false;
    }
    if (hc->mmu != HV_MMU_NESTED && (o->host_levels || o->host_large_pages || o->ntlb_entries || o->no_vpid)) {
        fprintf(stderr, "ringsim %s: --host-levels, --host-large-pages, --ntlb and --no-vpid need "
                        "nested paging (--mode hw)\n", cmd);
        return false;
    }
    if (nimages > 1 && !(t->many_vms_mmus & HV_MMU_BIT(hc->mmu))) {
        fprintf(stderr, "ringsim %s: with shadow paging this build runs one VM; several VMs run "
                        "with --mode hw --mmu nested\n", cmd);
        return false;
    }
    return true;
}

/* Console input is a script for the guest to read, not a data set. */
#define INPUT_MAX_BYTES (16u << 20)

/* All of stdin, at most max bytes; false with the reason in why. */
static bool read_stdin(size_t max, char **data, size_t *len, char *why, size_t whylen)
{
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap + 1);
    for (;;) {
        if (!buf) {
            snprintf(why, whylen, "%s", strerror(ENOMEM));
            return false;
        }
        if (n == cap) {
            if (cap > max) break;
            cap = cap > max / 2 ? max + 1 : 2 * cap;
            char *nb = realloc(buf, cap + 1);
            if (!nb) free(buf);
            buf = nb;
            continue;
        }
        ssize_t r = read(STDIN_FILENO, buf + n, cap - n);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            snprintf(why, whylen, "%s", strerror(errno));
            free(buf);
            return false;
        }
        if (r == 0) break;
        n += (size_t)r;
    }
    if (n > max) {
        snprintf(why, whylen, "%s (more than %zu bytes)", strerror(EFBIG), max);
        free(buf);
        return false;
    }
    buf[n] = 0;
    *data = buf;
    *len = n;
    return true;
}

/* Console input (natively the machine's; under a hypervisor the first VM's): --input, then
 * --input-file: a regular file or - (stdin), at most INPUT_MAX_BYTES either
 * way, so that /dev/zero or an endless pipe is an error, not a hang. */
static bool set_input(const struct machine_opts *o, struct machine *m, const char *cmd)
{
    if (o->input) machine_set_input(m, o->input, (uint32_t)strlen(o->input));
    if (!o->input_file) return true;
    char *data, why[256];
    size_t len;
    bool ok = strcmp(o->input_file, "-") == 0 ? read_stdin(INPUT_MAX_BYTES, &data, &len, why, sizeof why)
                                              : isa_read_file(o->input_file, INPUT_MAX_BYTES, &data, &len, why,
                                                              sizeof why);
    if (!ok) {
        fprintf(stderr, "ringsim %s: --input-file %s: %s\n", cmd, o->input_file, why);
        return false;
    }
    machine_set_input(m, data, (uint32_t)len);
    free(data);
    return true;
}

bool cli_machine_load(const struct machine_opts *o, char *const *images, int nimages, const char *cmd,
                      struct cli_machine *cm)
{
    memset(cm, 0, sizeof *cm);
    cm->opts = *o;
    bool virt;
    struct hv_config hcfg = {.vm_memsize = o->memsize, .host_levels = o->host_levels ? o->host_levels : o->levels,
                             .host_large_pages = o->host_large_pages, .slice = o->slice,
                             .invariants = o->invariants};
    if (nimages < 1) {
        fprintf(stderr, "ringsim %s: expected an image (a path or a bundled program name)\n", cmd);
        return false;
    }
    if (!choose_mode(o, nimages, cmd, &hcfg, &virt)) return false;

    char err[512], path[PATH_MAX];
    struct profile prof;
    if (!profile_load(o->profile, &prof, err, sizeof err)) {
        fprintf(stderr, "ringsim %s: %s\n", cmd, err);
        return false;
    }
    struct isa_image imgs[MAX_VMS];
    char names[MAX_VMS][32];
    memset(imgs, 0, sizeof imgs);
    int loaded = 0;
    bool ok = true;
    for (int i = 0; ok && i < nimages; i++) {
        /* a technique with a build of its own (pv: the paravirtual kernel,
         * guests/pv/) runs that build of a bundled program */
        const char *build = hv_technique(hcfg.mode)->build;
        char own[300];
        snprintf(own, sizeof own, "%s/%s.img", build ? build : "", images[i]);
        bool bundled_own = build && !strchr(images[i], '/') && access(images[i], R_OK) != 0 &&
                           ringsim_find_file("guests", own, path, sizeof path);
        if (o->empty_vms) {
            snprintf(names[i], sizeof names[i], "%s", images[i]);   /* a VM's name, its memory to come */
        } else if (!bundled_own && !cli_resolve_image(images[i], path, sizeof path)) {
            cli_no_such_image(cmd, images[i]);
            ok = false;
        } else if (!isa_image_load(path, &imgs[i], err, sizeof err)) {
            fprintf(stderr, "ringsim %s: %s\n", cmd, err);
            ok = false;
        } else {
            loaded++;
            ok = !o->args_typed || cli_args_fit(o->args, &imgs[i], images[i], cmd);
            if (i == 0) snprintf(cm->image0, sizeof cm->image0, "%s", path);
            /* a VM is named after its image: guests/syscall.img -> syscall */
            const char *base = strrchr(images[i], '/') ? strrchr(images[i], '/') + 1 : images[i];
            snprintf(names[i], sizeof names[i], "%.*s", (int)strcspn(base, "."), base);
        }
    }
    struct machine_config cfg = {.memsize = o->memsize, .isa = o->isa, .levels = o->levels,
                                 .tlb_entries = o->tlb_entries, .tlb_ways = o->tlb_ways,
                                 .no_asid = o->no_asid, .pwc_entries = o->pwc_entries,
                                 .ntlb_entries = o->ntlb_entries, .max_cycles = o->max_cycles,
                                 .no_bt_chain = o->no_bt_chain, .jit = o->jit,
                                 .jit_threshold = o->jit_threshold, .prof = &prof};
    if (virt) cfg.memsize = hv_host_memsize(nimages + o->spare_vms, o->memsize, hcfg.host_levels);
    err[0] = 0;
    if (ok) {
        cm->m = calloc(1, sizeof *cm->m);
        cm->hv = virt ? calloc(1, sizeof *cm->hv) : NULL;
        ok = cm->m && (!virt || cm->hv) && machine_init(cm->m, &cfg, err, sizeof err);
        if (!ok && !err[0]) snprintf(err, sizeof err, "out of memory");
        if (ok && virt) {
            ok = hv_init(cm->hv, cm->m, &hcfg, err, sizeof err);
            if (o->no_vpid) cm->m->vmx.vpid_tags = false;
            for (int i = 0; ok && i < nimages; i++)
                ok = hv_add_vm(cm->hv, names[i], &imgs[i], o->args, err, sizeof err);
        } else if (ok) {
            ok = machine_load_image(cm->m, &imgs[0], err, sizeof err);
            if (ok && o->args) machine_set_boot_args(cm->m, o->args);
        }
        if (ok && o->ndisks > nimages) {
            snprintf(err, sizeof err, "%d --disk options for %d image%s: at most one disk per image", o->ndisks,
                     nimages, nimages > 1 ? "s" : "");
            ok = false;
        }
        /* refused now, before the guest runs: missing, short, read-only, locked */
        for (int i = 0; ok && i < o->ndisks; i++)
            ok = disk_attach(virt ? &cm->hv->vms[i].disk : &cm->m->disk, o->disks[i], err, sizeof err);
        /* the network: an interface per VM (or the machine's), one switch */
        if (ok && o->net) {
            cm->m->netsw = calloc(1, sizeof *cm->m->netsw);
            ok = cm->m->netsw != NULL;
            if (ok) cm->m->netsw->latency = o->net_latency ? o->net_latency : NET_DEFAULT_LATENCY;
            struct disk_window w = {.m = cm->m, .size = cm->m->memsize};   /* bare metal: all of memory */
            if (ok && virt) ok = vdev_attach_net(cm->hv, cm->m->netsw, err, sizeof err);
            else if (ok) ok = net_attach(cm->m->netsw, &cm->m->nic, &w, "machine");
            if (!ok && !err[0]) snprintf(err, sizeof err, "--net: out of host memory");
        }
        /* pass-through: the disk given to its VM, behind the IOMMU */
        if (ok && o->no_iommu && !o->passthrough) {
            snprintf(err, sizeof err, "--no-iommu: only with --passthrough N (it is the passed-through device's "
                                      "DMA that goes untranslated)");
            ok = false;
        }
        if (ok && o->passthrough && !virt) {
            snprintf(err, sizeof err, "--passthrough needs --mode hw --mmu nested (natively the disk and the "
                                      "network interface are the machine's own already)");
            ok = false;
        }
        if (ok && o->passthrough) ok = hv_passthrough(cm->hv, o->passthrough - 1, !o->no_iommu, err, sizeof err);
        if (!ok) fprintf(stderr, "ringsim %s: %s\n", cmd, err);
        else ok = set_input(o, cm->m, cmd);   /* under a hypervisor, the first VM's keyboard */
    }
    for (int i = 0; i < loaded; i++) isa_image_free(&imgs[i]);
    if (!ok) {
        cli_machine_free(cm);
        return false;
    }
    return true;
}

void cli_machine_start(struct cli_machine *cm)
{
    if (cm->hv) hv_start(cm->hv);
}

void cli_machine_title(const struct cli_machine *cm, char *const *images, int nimages, char *buf, size_t len)
{
    char mode[32] = "native";
    if (cm->hv) hv_config_name(cm->hv->cfg.mode, cm->hv->cfg.mmu, mode, sizeof mode);
    snprintf(buf, len, "%s%s under %s (%s profile)", nimages ? images[0] : "?", nimages > 1 ? " and more" : "", mode,
             cm->m ? cm->m->prof.name : "?");
}

bool cli_machine_build(const struct machine_opts *o, char *const *images, int nimages, const char *cmd,
                       struct cli_machine *cm)
{
    if (!cli_machine_load(o, images, nimages, cmd, cm)) return false;
    cli_machine_start(cm);
    return true;
}

void cli_machine_free(struct cli_machine *cm)
{
    if (cm->hv) hv_free(cm->hv);
    if (cm->m && cm->m->mem) machine_free(cm->m);
    free(cm->hv);
    free(cm->m);
    free(cm->owned);
    cm->hv = NULL;
    cm->m = NULL;
    cm->owned = NULL;
}

/* ---- save files ---------------------------------------------------------------- */
bool cli_parse_save_at(const char *arg, uint64_t *cycle, const char **file)
{
    char num[32];
    const char *colon = strchr(arg, ':');
    if (!colon || colon == arg || (size_t)(colon - arg) >= sizeof num || !colon[1]) return false;
    snprintf(num, sizeof num, "%.*s", (int)(colon - arg), arg);
    *file = colon + 1;
    return cli_parse_u64(num, cycle) && *cycle > 0;
}

/* Appends word (and its NUL) to buf; false when it does not fit. */
static bool conf_word(char *buf, size_t cap, size_t *len, const char *word)
{
    size_t n = strlen(word) + 1;
    if (*len + n > cap) return false;
    memcpy(buf + *len, word, n);
    *len += n;
    return true;
}

bool cli_machine_save(const struct cli_machine *cm, const char *path, char *err, size_t errlen)
{
    const struct machine_opts *o = &cm->opts;
    if (cm->hv && cm->hv->clones.active) {
        /* the file format holds one machine's memory, not a template and its clones */
        snprintf(err, errlen, "%s: clones (--clones) cannot be saved: a save file holds one machine, not a "
                              "template shared by several", path);
        return false;
    }
    if (o->passthrough) {
        /* the device is the host's own, lent to the VM: not part of the VM's state */
        snprintf(err, errlen, "%s: a machine with a passed-through device (--passthrough) cannot be saved: the "
                              "device and its IOMMU domain are the host's", path);
        return false;
    }
    if (o->ndisks) {
        /* the disk's contents live in its own file, which changes after the save */
        snprintf(err, errlen, "%s: a machine with a disk (--disk) cannot be saved: the disk file is not part "
                              "of the save file", path);
        return false;
    }
    char buf[8192], num[32];
    size_t len = 0;
    bool ok = true;
#define WORD(w) (ok = ok && conf_word(buf, sizeof buf, &len, (w)))
#define NUMBER(opt, v) (snprintf(num, sizeof num, "%llu", (unsigned long long)(v)), WORD(opt), WORD(num))
    /* the technique running now, which may not be the one it started with */
    enum hv_mode mode = cm->hv ? cm->hv->cfg.mode : HV_NATIVE;
    enum hv_mmu mmu = cm->hv ? cm->hv->cfg.mmu : HV_MMU_NONE;
    WORD("--mode");
    WORD(hv_technique(mode)->name);
    if (hv_technique(mode)->mmus) {
        WORD("--mmu");
        WORD(hv_mmu_name(mmu));
    }
    WORD("--isa");
    WORD(o->isa == ISA_STRICT ? "strict" : "classic");
    NUMBER("--levels", o->levels);
    NUMBER("--mem", o->memsize);
    snprintf(num, sizeof num, "%u:%u", cm->m->mmu.tlb_entries, cm->m->mmu.tlb_ways);
    WORD("--tlb");
    WORD(num);
    NUMBER("--pwc", o->pwc_entries);
    if (o->no_asid) WORD("--no-asid");
    if (mmu == HV_MMU_NESTED) {
        NUMBER("--ntlb", o->ntlb_entries);
        if (o->host_levels) NUMBER("--host-levels", o->host_levels);
        if (o->host_large_pages) WORD("--host-large-pages");
        if (o->no_vpid) WORD("--no-vpid");
    }
    if (o->slice) NUMBER("--slice", o->slice);
    if (o->no_bt_chain) { WORD("--bt-chain"); WORD("off"); }
    /* the network's shape; its state is the NET_ section's */
    if (o->net) NUMBER("--net-latency", cm->m->netsw->latency);
    if (o->args) {
        WORD("--args");
        WORD(o->args);
    }
    WORD("--");
    WORD(cm->image0);
    if (cm->hv)
        for (int i = 0; i < cm->hv->nvms; i++) WORD(cm->hv->vms[i].name);
    else
        WORD("native");
#undef NUMBER
#undef WORD
    if (!ok) {
        snprintf(err, errlen, "%s: the machine's configuration is too long to save", path);
        return false;
    }
    if (!machine_save_file(cm->m, path, buf, len, err, errlen)) return false;
    /* the trace and the debugger's event pane: the guest paused for no cycle */
    struct stat sb;
    cpu_trace(cm->m, TR_MIGRATE, 4, stat(path, &sb) == 0 && sb.st_size <= UINT32_MAX ? (uint32_t)sb.st_size : 0, 0,
              NULL);
    return true;
}

/* The configuration words of a save file back into options and names:
 * false if they are not what cli_machine_save writes. */
static bool conf_parse(const char *conf, size_t len, struct machine_opts *o, const char **image0,
                       const char *names[MAX_VMS], int *nnames)
{
    static const struct option longopts[] = {CLI_MACHINE_OPTIONS, {0, 0, 0, 0}};
    const char *words[64];
    int n = 0;
    if (!len || conf[len - 1]) return false;
    for (size_t at = 0; at < len; at += strlen(conf + at) + 1) {
        if (n == 64) return false;
        words[n++] = conf + at;
    }
    int i = 0;
    for (; i < n && strcmp(words[i], "--") != 0; i++) {
        const struct option *opt = NULL;
        for (const struct option *l = longopts; l->name; l++)
            if (strncmp(words[i], "--", 2) == 0 && strcmp(words[i] + 2, l->name) == 0) opt = l;
        if (!opt) return false;
        const char *arg = opt->has_arg == required_argument && i + 1 < n ? words[++i] : NULL;
        if ((opt->has_arg == required_argument) != (arg != NULL) ||
            cli_machine_option(opt->val, arg, o, "run") != 1)
            return false;
    }
    if (i + 2 >= n || n - i - 2 > MAX_VMS) return false;
    *image0 = words[i + 1];
    *nnames = n - i - 2;
    for (int k = 0; k < *nnames; k++) names[k] = words[i + 2 + k];
    return true;
}

bool cli_machine_restore(const char *path, const struct machine_opts *given, const char *given_shape,
                         const char *cmd, struct cli_machine *cm)
{
    memset(cm, 0, sizeof *cm);
    if (given_shape) {
        fprintf(stderr, "ringsim %s: --%s: the machine comes from the save file %s; only --mode, --mmu, "
                        "--max-cycles and what a run reports (--stats, --trace) may be given\n",
                cmd, given_shape, path);
        return false;
    }
    char err[4608];
    struct saved_machine *s = saved_machine_open(path, err, sizeof err);
    if (!s) {
        fprintf(stderr, "ringsim %s: cannot restore %s\n", cmd, err);
        return false;
    }
    size_t len;
    const char *saved_conf = saved_machine_conf(s, &len);
    char *conf = malloc(len + 1);   /* the options point into it as long as the machine lives */
    if (!conf) {
        fprintf(stderr, "ringsim %s: cannot restore %s: out of host memory\n", cmd, path);
        saved_machine_free(s);
        return false;
    }
    memcpy(conf, saved_conf, len);
    struct machine_opts o;
    cli_machine_defaults(&o);
    const char *image0, *names[MAX_VMS];
    int nnames;
    bool ok = conf_parse(conf, len, &o, &image0, names, &nnames);
    if (!ok) fprintf(stderr, "ringsim %s: cannot restore %s: its configuration section is not one ringsim "
                             "wrote\n", cmd, path);
    o.empty_vms = true;
    ok = ok && cli_machine_load(&o, (char *const *)names, nnames, cmd, cm);
    if (ok) cm->owned = conf;
    else free(conf);
    if (ok) {
        snprintf(cm->image0, sizeof cm->image0, "%s", image0);
        ok = machine_load_file(cm->m, s, err, sizeof err);
        if (!ok) fprintf(stderr, "ringsim %s: cannot restore %s\n", cmd, err);
    }
    saved_machine_free(s);
    if (ok && given->max_cycles) cm->m->max_cycles = given->max_cycles;
    if (ok && (given->mode || given->mmu)) {
        /* a live switch, at the instruction boundary the file was saved at */
        const struct hv_technique *t = hv_technique_named(given->mode ? given->mode : "");
        enum hv_mode mode = t ? t->mode : cm->hv ? cm->hv->cfg.mode : HV_NATIVE;
        enum hv_mmu mmu = t && t->mmus ? t->default_mmu : HV_MMU_SHADOW;
        if (given->mode && !t) {
            fprintf(stderr, "ringsim %s: --mode '%s': expected %s\n", cmd, given->mode, hv_technique_names());
            ok = false;
        } else if (given->mmu && !hv_mmu_named(given->mmu, &mmu)) {
            fprintf(stderr, "ringsim %s: --mmu '%s': expected nested or shadow\n", cmd, given->mmu);
            ok = false;
        } else if (!cm->hv) {
            fprintf(stderr, "ringsim %s: %s was saved on bare metal: no technique to switch from\n", cmd, path);
            ok = false;
        } else if ((mode != cm->hv->cfg.mode || mmu != cm->hv->cfg.mmu) &&
                   !hv_switch(cm->hv, mode, mmu, err, sizeof err)) {
            fprintf(stderr, "ringsim %s: restoring %s under --mode %s: %s\n", cmd, path, hv_technique(mode)->name,
                    err);
            ok = false;
        }
    }
    if (!ok) cli_machine_free(cm);
    return ok;
}

#define CLONE_KEPT_ARGS 64   /* guests/kernel/defs.s: BOOTARGS_MAX */

bool cli_machine_clone(const char *path, int n, const char *const *params, const struct machine_opts *given,
                       const char *given_shape, const char *cmd, struct cli_machine *cm)
{
    memset(cm, 0, sizeof *cm);
    /* the saved machine as it was, under the technique it was saved under */
    struct machine_opts as_saved = {.max_cycles = given->max_cycles};
    struct cli_machine saved;
    if (!cli_machine_restore(path, &as_saved, given_shape, cmd, &saved)) return false;
    char err[512];
    bool ok = saved.hv && hv_clone_can(saved.hv, err, sizeof err);
    if (!saved.hv) snprintf(err, sizeof err, "it was saved on bare metal (--mode native); clones run under "
                                             "--mode hw --mmu nested: save it under that");
    if (!ok) fprintf(stderr, "ringsim %s: --clones: cannot clone %s: %s\n", cmd, path, err);
    if (ok && (given->mode || given->mmu)) {
        /* clones stay under the technique that shares their memory */
        const struct hv_technique *t = hv_technique_named(given->mode ? given->mode : "hw");
        enum hv_mmu mmu = HV_MMU_NESTED;
        if (!t || t->mode != saved.hv->cfg.mode || (given->mmu && (!hv_mmu_named(given->mmu, &mmu) ||
                                                                   mmu != saved.hv->cfg.mmu))) {
            fprintf(stderr, "ringsim %s: --clones: %s is cloned under the technique it was saved under "
                            "(hw with nested paging); --mode and --mmu cannot change it\n", cmd, path);
            ok = false;
        }
    }
    const char *names[MAX_VMS];
    char name[MAX_VMS][32];
    struct machine_opts o = saved.opts;
    if (ok) {
        for (int i = 0; i < n; i++) {
            snprintf(name[i], sizeof name[i], "%.24s-%u", saved.hv->vms[0].name, (unsigned)(unsigned char)i);
            names[i] = name[i];
        }
        o.empty_vms = true;
        o.spare_vms = 1;           /* the template */
        o.input = o.input_file = NULL;
        ok = cli_machine_load(&o, (char *const *)names, n, cmd, cm);
    }
    if (ok) {
        cm->owned = saved.owned;   /* the options point into the saved configuration */
        saved.owned = NULL;
        snprintf(cm->image0, sizeof cm->image0, "%s", saved.image0);
        if (o.no_vpid) cm->m->vmx.vpid_tags = false;
        /* a guest that keeps its boot parameter after boot (the bundled
         * kernel copies it into `bootargs`, BOOTARGS_MAX = 64 bytes, at an
         * identity-mapped address) gets the clone's there too */
        uint32_t kept = 0, kept_max = 0;
        struct isa_image img;
        if (params && isa_image_load(saved.image0, &img, err, sizeof err)) {
            if (isa_image_symbol_addr(&img, "bootargs", &kept)) kept_max = CLONE_KEPT_ARGS;
            isa_image_free(&img);
        }
        ok = hv_clone_from(cm->hv, saved.hv, params, kept, kept_max, err, sizeof err);
        if (!ok) fprintf(stderr, "ringsim %s: --clones: cannot clone %s: %s\n", cmd, path, err);
    }
    if (ok) {
        /* the rest of the saved console input is the first clone's, as
         * --input is the first VM's */
        const struct console *c = &saved.m->con;
        if (c->input_pos < c->input_len)
            machine_set_input(cm->m, c->input + c->input_pos, c->input_len - c->input_pos);
    }
    cli_machine_free(&saved);
    if (!ok) cli_machine_free(cm);
    return ok;
}
