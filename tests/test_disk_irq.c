/*
 * test_disk_irq.c — the block device's completion interrupt (cause 12,
 * disk_ctrl, disk_ack; docs/isa.md "Block device"), natively and under
 * every technique.  The DISK=1 kernel sleeps until it: `diskio` prints the
 * same natively and in every mode and takes one interrupt per command in
 * each; the polling build (-D DISK_POLL=1) takes none; a disabled interrupt
 * is never delivered, an enabled one wakes a hlt with no timer running; and
 * the hostile guest guests/attacks/disk_irq.s (garbage in disk_ctrl,
 * acknowledgements of nothing, a never-acknowledged interrupt, floods of
 * commands) prints what it prints on bare metal, with a disk or beside
 * another VM, which it cannot disturb.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/helpers.h"

static const char *const techniques[] = {
    "--mode native", "--mode te --isa strict", "--mode bt", "--mode hw --mmu shadow", "--mode hw --mmu nested",
    "--mode pv",
};
#define NTECH (sizeof techniques / sizeof techniques[0])

static long long num(json_t *o, const char *key) { return json_integer_value(json_object_get(o, key)); }

/* The disk object of a run's statistics: the machine's natively, the
 * first VM's under a hypervisor. */
static json_t *disk_of(json_t *s)
{
    json_t *d = json_object_get(s, "disk");
    if (!d) d = json_object_get(json_array_get(json_object_get(s, "vms"), 0), "disk");
    cr_assert(d, "no disk object in the statistics");
    return d;
}

/* Runs `ringsim ARGS --stats FILE` and returns stdout, the stats in *stats. */
static char *run_with_stats(const char *dir, const char *args, json_t **stats)
{
    char a[1024], path[300];
    int st;
    snprintf(path, sizeof path, "%s/stats.json", dir);
    snprintf(a, sizeof a, "%s --stats %s", args, path);
    char *out = run_out(a, &st);
    cr_assert_eq(st, 0, "%s: status %d: %s", args, st, out);
    json_error_t e;
    *stats = json_load_file(path, 0, &e);
    cr_assert(*stats, "%s: %s", path, e.text);
    return out;
}

Test(disk_irq, diskio_prints_the_same_and_takes_one_interrupt_per_command_in_every_mode)
{
    const char *dir = temp_dir();
    char *native = NULL;
    long long native_irqs = -1;
    for (unsigned i = 0; i < NTECH; i++) {
        char a[600];
        json_t *s;
        snprintf(a, sizeof a, "run diskio --args 4 %s --disk %s/m%u.img:create=64K", techniques[i], dir, i);
        char *out = run_with_stats(dir, a, &s);
        json_t *d = disk_of(s);
        cr_assert(strstr(out, "diskio: 4 iterations, checksum 0x"), "%s: %s", techniques[i], out);
        if (!native) native = strdup(out);
        cr_assert_str_eq(out, native, "%s", techniques[i]);
        /* every command is done once, and the driver sleeps until each */
        cr_assert_gt(num(d, "commands"), 0);
        cr_assert_eq(num(d, "interrupts"), num(d, "commands"), "%s", techniques[i]);
        json_t *by = json_object_get(json_object_get(s, "traps"), "by_cause");
        if (i == 0) {
            native_irqs = num(d, "interrupts");
            cr_assert_eq(num(by, "disk"), native_irqs, "natively each is a trap with cause disk");
        }
        cr_assert_eq(num(d, "interrupts"), native_irqs, "%s", techniques[i]);
        free(out);
        json_decref(s);
    }
    free(native);
}

/* The kernel built from guest src with -D DISK_POLL=1 (and its pv build)
 * leaves the interrupt off: the same output natively, under hw, te and pv,
 * and not one disk interrupt; a queued build's requests all go through
 * its queue. */
static void polling_build_takes_no_interrupt(const char *src, bool queued)
{
    const char *dir = temp_dir();
    char img[300], pvimg[300], a[900];
    int st;
    snprintf(img, sizeof img, "%s/poll.img", dir);
    snprintf(pvimg, sizeof pvimg, "%s/pvpoll.img", dir);
    snprintf(a, sizeof a, "asm %s -D DISK_POLL=1 -o %s", root_path(src), img);
    char *o = run_out(a, &st);
    cr_assert_eq(st, 0, "%s", o);
    free(o);
    snprintf(a, sizeof a, "asm %s -D DISK_POLL=1 -D PV=1 -o %s", root_path(src), pvimg);
    o = run_out(a, &st);
    cr_assert_eq(st, 0, "%s", o);
    free(o);
    const char *modes[] = {"", "--mode hw", "--mode te --isa strict", "--mode pv"};
    char *first = NULL;
    for (unsigned i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        json_t *s;
        snprintf(a, sizeof a, "run %s --args 4 %s --disk %s/p%u.img:create=64K", i == 3 ? pvimg : img, modes[i], dir,
                 i);
        char *out = run_with_stats(dir, a, &s);
        if (!first) first = strdup(out);
        cr_assert_str_eq(out, first, "%s", modes[i]);
        cr_assert(strstr(out, "diskio: 4 iterations"), "%s", out);
        cr_assert_eq(num(disk_of(s), "interrupts"), 0, "%s", modes[i]);
        cr_assert_eq(num(json_object_get(json_object_get(s, "traps"), "by_cause"), "disk"), 0, "%s", modes[i]);
        cr_assert_eq(num(disk_of(s), "queue_requests") > 0, queued, "%s", modes[i]);
        free(out);
        json_decref(s);
    }
    free(first);
}

Test(disk_irq, the_polling_build_takes_no_disk_interrupt)
{
    polling_build_takes_no_interrupt("guests/diskio.s", false);
}

/* The split driver's polling front end suppresses the interrupt in its
 * queue (DQ_NO_INTERRUPT) instead of leaving disk_ctrl off. */
Test(disk_irq, the_polling_split_driver_suppresses_its_interrupt)
{
    polling_build_takes_no_interrupt("guests/diskq.s", true);
}

/* A real read with the interrupt off, polled to its end with IE on: no
 * interrupt (the count stays 0, the done bit is set); enabled then, it is
 * taken at once.  Then a read with it on and nothing but a hlt: the
 * completion, and no timer (none runs), wakes it.  Printed: the count, the
 * status, the count, the count after the hlt, the status after the ack. */
static const char irq_src[] =
    ".text\n.global _start\n_start:\n"
    "  la r1, vectors\n mtcr vbr, r1\n li r13, 0\n"
    "  li r1, 0\n out disk_sector, r1\n li r1, 8\n out disk_count, r1\n li r1, 0x20000\n out disk_addr, r1\n"
    "  sti\n li r1, 1\n out disk_cmd, r1\n"
    "1: in r8, disk_status\n andi r2, r8, 1\n bnez r2, 1b\n"
    "  mov r9, r13\n li r1, 1\n out disk_ctrl, r1\n nop\n mov r10, r13\n"
    "  li r1, 1\n out disk_cmd, r1\n"
    "2: beq r13, r10, 3f\n j 4f\n3: hlt\n j 2b\n"
    "4: cli\n mov r11, r13\n in r12, disk_status\n"
    "  mov r1, r9\n call hex\n mov r1, r8\n call hex\n mov r1, r10\n call hex\n"
    "  mov r1, r11\n call hex\n mov r1, r12\n call hex\n out power, r0\n"
    "disk:\n addi r13, r13, 1\n out disk_ack, r0\n iret\n"
    "other:\n li r1, 99\n out power, r1\n" PRINT_HEX
    ".data\n.align 4\nvectors:\n"
    ".word other, other, other, other, other, other, other, other\n"
    ".word other, other, other, other, disk, other, other, other\n";

Test(disk_irq, a_disabled_interrupt_is_not_delivered_and_an_enabled_one_wakes_hlt)
{
    const char *dir = temp_dir();
    char img[300];
    snprintf(img, sizeof img, "%s", assemble(dir, "irq", irq_src));
    const char *want = "00000000\n00000002\n00000001\n00000002\n00000000\n";
    for (unsigned i = 0; i + 1 < NTECH; i++) {
        char a[800];
        int st;
        snprintf(a, sizeof a, "run %s %s --disk %s/i%u.img:create=64K", img, techniques[i], dir, i);
        char *out = run_out(a, &st);
        cr_assert_eq(st, 0, "%s: status %d: %s", techniques[i], st, out);
        cr_assert_str_eq(out, want, "%s", techniques[i]);
        free(out);
    }
}


/* The hostile guest, with a disk, prints what it prints on bare metal in
 * every mode (pv runs paravirtual kernels only). */
Test(disk_irq, the_hostile_guest_is_bare_metal_in_every_mode)
{
    const char *dir = temp_dir();
    char a[800];
    int st;
    char *native = NULL;
    const char *img = assemble_attack(dir, "disk_irq");
    for (unsigned i = 0; i + 1 < NTECH; i++) {
        snprintf(a, sizeof a, "run %s %s --disk %s/h%u.img:create=64K", img, techniques[i], dir, i);
        char *out = run_out(a, &st);
        cr_assert_eq(st, 42, "%s: status %d: %s", techniques[i], st, out);
        cr_assert(strstr(out, "taken in the flood=000000c8\n"), "%s: %s", techniques[i], out);
        cr_assert(strstr(out, "taken with the interrupt off=00000000\n"), "%s: %s", techniques[i], out);
        if (!native) native = strdup(out);
        cr_assert_str_eq(out, native, "%s", techniques[i]);
        free(out);
    }
    free(native);
}

/* Beside diskio, each VM with its own disk: diskio's output and its
 * interrupt count are what they are alone, and the attacker's interrupts
 * are its own. */
Test(disk_irq, the_hostile_guest_beside_diskio_disturbs_nothing)
{
    const char *dir = temp_dir();
    char a[900];
    json_t *s;
    snprintf(a, sizeof a, "run diskio --args 4 --mode hw --disk %s/alone.img:create=64K", dir);
    char *alone = run_with_stats(dir, a, &s);
    long long irqs = num(disk_of(s), "interrupts");
    json_decref(s);
    snprintf(a, sizeof a, "run %s diskio --args 4 --mode hw --disk %s/h.img:create=64K --disk %s/d.img:create=64K",
             assemble_attack(dir, "disk_irq"), dir, dir);
    char path[300], *out, *err;
    snprintf(path, sizeof path, "%s/both.json", dir);
    char b[1400];
    snprintf(b, sizeof b, "%s --stats %s", a, path);
    int st = run_ringsim(b, &out, &err);
    cr_assert_eq(st, 42, "the first VM's exit code: %d: %s", st, err);
    char line[400];
    snprintf(line, sizeof line, "[diskio] %.300s", alone);
    cr_assert(strstr(out, line), "expected '%s' in:\n%s", line, out);
    cr_assert(strstr(out, "[disk_irq] done\n"), "%s", out);
    json_error_t e;
    s = json_load_file(path, 0, &e);
    cr_assert(s, "%s", e.text);
    json_t *vms = json_object_get(s, "vms");
    json_t *h = json_object_get(json_array_get(vms, 0), "disk"), *d = json_object_get(json_array_get(vms, 1), "disk");
    cr_assert(h && d);
    cr_assert_eq(num(d, "interrupts"), irqs, "diskio's interrupts are its own");
    cr_assert_eq(num(d, "interrupts"), num(d, "commands"));
    /* the attacker's: the flood's 200, the storm's 100, and the rest */
    cr_assert_geq(num(h, "interrupts"), 300);
    json_decref(s);
    free(alone);
    free(out);
    free(err);
}

/* A live switch moves the disk's interrupt with the VM: te, then hw with
 * nested paging, then bt, while commands are in flight. */
Test(disk_irq, a_live_switch_keeps_the_interrupts_coming)
{
    const char *dir = temp_dir();
    char a[600];
    int st;
    snprintf(a, sizeof a, "run diskio --args 4 --isa strict --disk %s/n.img:create=64K", dir);
    char *native = run_out(a, &st);
    cr_assert_eq(st, 0, "%s", native);
    json_t *s;
    snprintf(a, sizeof a,
             "run diskio --args 4 --mode te --isa strict --switch-at 300000:hw:nested --switch-at 700000:bt "
             "--disk %s/s.img:create=64K",
             dir);
    char *out = run_with_stats(dir, a, &s);
    cr_assert_str_eq(out, native);
    cr_assert_eq(num(s, "switches"), 2);
    json_t *d = disk_of(s);
    cr_assert_eq(num(d, "interrupts"), num(d, "commands"));
    json_decref(s);
    free(out);
    free(native);
}
