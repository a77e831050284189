/*
 * test_disk_queue.c — the block device's request queue and the split
 * driver on it (docs/isa.md "Request queue", docs/io.md).  The kernel's
 * front end (guests/diskq.s, DISK_QUEUE=1) prints what the register driver
 * prints, natively and under every technique, and each verifies the
 * other's disk; under a hypervisor it takes fewer exits per KB moved; a
 * batch of requests is one notification and one interrupt, and a driver
 * that suppresses the interrupt gets none (the kernel's polling front end:
 * test_disk_irq.c); malformed requests and queues
 * (guests/attacks/disk_queue.s) are refused as bare metal refuses them,
 * and disturb no other VM.
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

/* The disk object of a run's statistics: the machine's natively, VM vm's
 * under a hypervisor. */
static json_t *disk_of(json_t *s, int vm)
{
    json_t *d = json_object_get(s, "disk");
    if (!d) d = json_object_get(json_array_get(json_object_get(s, "vms"), (size_t)vm), "disk");
    cr_assert(d, "no disk object in the statistics");
    return d;
}

/* Runs `ringsim ARGS --stats FILE`, which must exit with status want;
 * returns stdout, the statistics in *stats. */
static char *run_stats(const char *dir, const char *args, int want, json_t **stats)
{
    char a[1200], path[300];
    int st;
    snprintf(path, sizeof path, "%s/stats.json", dir);
    snprintf(a, sizeof a, "%s --stats %s", args, path);
    char *out = run_out(a, &st);
    cr_assert_eq(st, want, "%s: status %d: %s", args, st, out);
    json_error_t e;
    *stats = json_load_file(path, 0, &e);
    cr_assert(*stats, "%s: %s", path, e.text);
    return out;
}

/* Exits as tools/iovirt.sh counts them: VM exits under hw; under te, bt
 * and pv every entry into the hypervisor (traps, callouts). */
static long long exits_of(json_t *s)
{
    const char *mode = json_string_value(json_object_get(s, "mode"));
    long long n = stats_num(s, "vmexits", "total");
    if (mode && strcmp(mode, "hw") && strcmp(mode, "native")) n += stats_num(s, "traps", "total");
    return n + stats_num(s, "bt", "callouts");
}

Test(disk_queue, diskq_prints_what_diskio_prints_and_each_verifies_the_other)
{
    char dir[64];
    snprintf(dir, sizeof dir, "%s", temp_dir()); /* its buffer is reused after 16 runs */
    for (unsigned i = 0; i < NTECH; i++) {
        char a[700];
        int st;
        snprintf(a, sizeof a, "run diskio --args 8 %s --disk %s/e%u.img:create=64K", techniques[i], dir, i);
        char *emulated = run_out(a, &st);
        cr_assert_eq(st, 0, "%s: %s", techniques[i], emulated);
        snprintf(a, sizeof a, "run diskq --args 8 %s --disk %s/q%u.img:create=64K", techniques[i], dir, i);
        char *split = run_out(a, &st);
        cr_assert_eq(st, 0, "%s: %s", techniques[i], split);
        cr_assert(strstr(split, "diskio: 8 iterations, checksum 0x"), "%s", split);
        cr_assert_str_eq(split, emulated, "%s", techniques[i]);
        /* the disks are the same: each driver verifies the other's */
        snprintf(a, sizeof a, "run diskio --args 8 %s --disk %s/q%u.img", techniques[i], dir, i);
        char *v = run_out(a, &st);
        cr_assert(st == 0 && strstr(v, "diskio: verified"), "%s: %s", techniques[i], v);
        free(v);
        snprintf(a, sizeof a, "run diskq --args 8 %s --disk %s/e%u.img", techniques[i], dir, i);
        v = run_out(a, &st);
        cr_assert(st == 0 && strstr(v, "diskio: verified"), "%s: %s", techniques[i], v);
        free(v);
        free(emulated);
        free(split);
    }
}

/* The same requests, one notification each instead of four register
 * writes, and the status read from memory: fewer exits per KB under every
 * hypervisor, and every request is one notification and one interrupt. */
Test(disk_queue, the_split_driver_takes_fewer_exits_than_the_emulated_registers)
{
    char dir[64];
    snprintf(dir, sizeof dir, "%s", temp_dir()); /* its buffer is reused after 16 runs */
    for (unsigned i = 1; i < NTECH; i++) {
        char a[700];
        json_t *e, *q;
        snprintf(a, sizeof a, "run diskio --args 8 %s --disk %s/e%u.img:create=64K", techniques[i], dir, i);
        free(run_stats(dir, a, 0, &e));
        snprintf(a, sizeof a, "run diskq --args 8 %s --disk %s/q%u.img:create=64K", techniques[i], dir, i);
        free(run_stats(dir, a, 0, &q));
        json_t *de = disk_of(e, 0), *dq = disk_of(q, 0);
        cr_assert_eq(num(dq, "dma_bytes"), num(de, "dma_bytes"), "%s", techniques[i]);
        cr_assert_eq(num(dq, "commands"), num(de, "commands"), "%s", techniques[i]);
        cr_assert_eq(num(dq, "queue_requests"), num(dq, "commands"), "%s", techniques[i]);
        cr_assert_eq(num(dq, "notifications"), num(dq, "commands"), "%s", techniques[i]);
        cr_assert_eq(num(dq, "interrupts"), num(dq, "commands"), "%s", techniques[i]);
        cr_assert_eq(num(de, "notifications"), 0, "%s", techniques[i]);
        cr_assert_lt(exits_of(q), exits_of(e), "%s: %lld exits with the queue, %lld with the registers",
                     techniques[i], exits_of(q), exits_of(e));
        cr_assert_lt(num(dq, "port_accesses"), num(de, "port_accesses"), "%s", techniques[i]);
        json_decref(e);
        json_decref(q);
    }
}

/* Four requests (two writes, a flush, a read of the first write back) and
 * one notification; then a hlt until the completion interrupt (FLAGS 0),
 * or, with the interrupt suppressed (FLAGS 1), a poll of disk_status and a
 * window with interrupts on.  Printed: the interrupts taken, the used
 * index, the four statuses, and whether the read brought the write back. */
#define BATCH_SRC(flags)                                                                          \
    ".text\n.global _start\n_start:\n"                                                           \
    "  la r1, vectors\n mtcr vbr, r1\n li r13, 0\n"                                             \
    "  li r1, 0x20000\n li r2, 0\n li r3, 0x01000193\n"                                          \
    "0: mul r4, r2, r3\n addi r4, r4, 7\n sw r4, 0(r1)\n addi r1, r1, 4\n addi r2, r2, 1\n"      \
    "  li r5, 2048\n bltu r2, r5, 0b\n"                                                          \
    "  li r1, 0x40000\n li r2, " flags "\n sw r2, 8(r1)\n"                                      \
    "  li r2, 2\n sw r2, 16(r1)\n li r2, 0\n sw r2, 20(r1)\n li r2, 8\n sw r2, 24(r1)\n"        \
    "  li r2, 0x20000\n sw r2, 28(r1)\n"                                                         \
    "  li r2, 2\n sw r2, 32(r1)\n li r2, 8\n sw r2, 36(r1)\n li r2, 8\n sw r2, 40(r1)\n"        \
    "  li r2, 0x21000\n sw r2, 44(r1)\n"                                                         \
    "  li r2, 3\n sw r2, 48(r1)\n"                                                               \
    "  li r2, 1\n sw r2, 64(r1)\n li r2, 0\n sw r2, 68(r1)\n li r2, 8\n sw r2, 72(r1)\n"        \
    "  li r2, 0x30000\n sw r2, 76(r1)\n"                                                         \
    "  out disk_queue, r1\n li r2, 1\n out disk_ctrl, r2\n li r2, 4\n sw r2, 0(r1)\n"           \
    "  sti\n out disk_notify, r0\n"                                                              \
    "  li r2, " flags "\n beqz r2, 2f\n"                                                        \
    "1: in r2, disk_status\n andi r2, r2, 1\n bnez r2, 1b\n"                                    \
    "  li r2, 100\n5: addi r2, r2, -1\n bnez r2, 5b\n j 3f\n"                                    \
    "2: bnez r13, 3f\n hlt\n j 2b\n"                                                             \
    "3: cli\n mov r1, r13\n call hex\n li r8, 0x40000\n lw r1, 4(r8)\n call hex\n"              \
    "  lw r1, 272(r8)\n call hex\n lw r1, 276(r8)\n call hex\n lw r1, 280(r8)\n call hex\n"     \
    "  lw r1, 284(r8)\n call hex\n"                                                              \
    "  li r1, 0x20000\n li r2, 0x30000\n li r3, 1024\n li r6, 1\n"                               \
    "4: lw r4, 0(r1)\n lw r5, 0(r2)\n beq r4, r5, 6f\n li r6, 0\n"                               \
    "6: addi r1, r1, 4\n addi r2, r2, 4\n addi r3, r3, -1\n bnez r3, 4b\n"                       \
    "  mov r1, r6\n call hex\n out power, r0\n"                                                  \
    "disk:\n addi r13, r13, 1\n out disk_ack, r0\n iret\n"                                        \
    "other:\n li r1, 99\n out power, r1\n" PRINT_HEX                                             \
    ".data\n.align 4\nvectors:\n"                                                                \
    ".word other, other, other, other, other, other, other, other\n"                             \
    ".word other, other, other, other, disk, other, other, other\n"

/* Runs the batch guest src under every technique but pv (bare-metal
 * guests only): it must print want, and the device count one notification
 * for four requests and want_irqs interrupts. */
static void batch_everywhere(const char *name, const char *src, const char *want, long long want_irqs)
{
    char dir[64];
    snprintf(dir, sizeof dir, "%s", temp_dir()); /* its buffer is reused after 16 runs */
    char img[300];
    snprintf(img, sizeof img, "%s", assemble(dir, name, src));
    for (unsigned i = 0; i + 1 < NTECH; i++) {
        char a[800];
        json_t *s;
        snprintf(a, sizeof a, "run %s %s --disk %s/b%u.img:create=64K", img, techniques[i], dir, i);
        char *out = run_stats(dir, a, 0, &s);
        cr_assert_str_eq(out, want, "%s", techniques[i]);
        json_t *d = disk_of(s, 0);
        cr_assert_eq(num(d, "notifications"), 1, "%s", techniques[i]);
        cr_assert_eq(num(d, "queue_requests"), 4, "%s", techniques[i]);
        cr_assert_eq(num(d, "interrupts"), want_irqs, "%s", techniques[i]);
        cr_assert_eq(num(d, "dma_bytes"), 3 * 8 * 512, "%s", techniques[i]);
        json_decref(s);
        free(out);
    }
}

Test(disk_queue, a_batch_is_one_notification_and_one_interrupt)
{
    batch_everywhere("batch", BATCH_SRC("0"),
                     "00000001\n00000004\n00000000\n00000000\n00000000\n00000000\n00000001\n", 1);
}

Test(disk_queue, a_suppressed_interrupt_is_never_delivered)
{
    batch_everywhere("quiet", BATCH_SRC("1"),
                     "00000000\n00000004\n00000000\n00000000\n00000000\n00000000\n00000001\n", 0);
}


Test(disk_queue, malformed_requests_and_queues_are_refused_as_on_bare_metal)
{
    char dir[64];
    snprintf(dir, sizeof dir, "%s", temp_dir()); /* its buffer is reused after 16 runs */
    const char *img = assemble_attack(dir, "disk_queue");
    char *native = NULL;
    for (unsigned i = 0; i + 1 < NTECH; i++) {
        char a[800];
        int st;
        snprintf(a, sizeof a, "run %s %s --disk %s/m%u.img:create=64K", img, techniques[i], dir, i);
        char *out = run_out(a, &st);
        cr_assert_eq(st, 42, "%s: status %d: %s", techniques[i], st, out);
        /* dma, dma, bad_count, bad_count, bad_cmd, range, then the good one */
        cr_assert(strstr(out, "request status=00000005\nrequest status=00000005\nrequest status=00000003\n"
                              "request status=00000003\nrequest status=00000002\nrequest status=00000004\n"
                              "request status=00000000\nused=00000007\n"),
                  "%s: %s", techniques[i], out);
        cr_assert(strstr(out, "disk_status=00000802\n"), "%s: %s", techniques[i], out);
        cr_assert(strstr(out, "used at the end=00000007\n"), "%s: %s", techniques[i], out);
        if (!native) native = strdup(out);
        cr_assert_str_eq(out, native, "%s", techniques[i]);
        free(out);
    }
    free(native);
}

/* Beside diskq, each VM with its own disk, under hw with nested paging:
 * diskq prints and counts what it does alone. */
Test(disk_queue, a_malformed_queue_beside_diskq_disturbs_nothing)
{
    char dir[64];
    snprintf(dir, sizeof dir, "%s", temp_dir()); /* its buffer is reused after 16 runs */
    char a[900];
    json_t *s;
    snprintf(a, sizeof a, "run diskq --args 4 --mode hw --mmu nested --disk %s/alone.img:create=64K", dir);
    char *alone = run_stats(dir, a, 0, &s);
    long long irqs = num(disk_of(s, 0), "interrupts"), bytes = num(disk_of(s, 0), "dma_bytes");
    json_decref(s);
    snprintf(a, sizeof a,
             "run %s diskq --args 4 --mode hw --mmu nested --disk %s/h.img:create=64K --disk %s/d.img:create=64K",
             assemble_attack(dir, "disk_queue"), dir, dir);
    char *out = run_stats(dir, a, 42, &s);
    char line[400];
    snprintf(line, sizeof line, "[diskq] %.300s", alone);
    cr_assert(strstr(out, line), "expected '%s' in:\n%s", line, out);
    cr_assert(strstr(out, "[disk_queue] done\n"), "%s", out);
    json_t *d = disk_of(s, 1);
    cr_assert_eq(num(d, "interrupts"), irqs, "diskq's interrupts are its own");
    cr_assert_eq(num(d, "dma_bytes"), bytes);
    cr_assert_eq(num(d, "errors"), 0);
    cr_assert_geq(num(disk_of(s, 0), "errors"), 6, "the attacker's refusals are its own");
    json_decref(s);
    free(alone);
    free(out);
}

/* The I/O path picture (ringsim dot --io) carries the run's own counts:
 * under hw the split driver's notifications are red (exits), its queue
 * writes are not; natively nothing is red; and the real dot renders it. */
Test(disk_queue, the_io_path_picture_marks_the_exits_and_renders)
{
    char dir[64];
    snprintf(dir, sizeof dir, "%s", temp_dir()); /* its buffer is reused after 16 runs */
    char a[800], want[200];
    json_t *s;
    int st;
    snprintf(a, sizeof a, "run diskq --args 2 --mode hw --disk %s/s.img:create=64K", dir);
    free(run_stats(dir, a, 0, &s));
    long long notes = num(disk_of(s, 0), "notifications");
    cr_assert_gt(notes, 0);
    json_decref(s);
    snprintf(a, sizeof a, "dot diskq --io --args 2 --mode hw --disk %s/p.img:create=64K", dir);
    char *dot = run_out(a, &st);
    cr_assert_eq(st, 0, "%s", dot);
    snprintf(want, sizeof want, "driver -> hyp [label=\"%lld notifications\\n(each an exit)\", color=red", notes);
    cr_assert(strstr(dot, want), "expected '%s' in:\n%s", want, dot);
    cr_assert(strstr(dot, "requests written\\n(stores, no exit)\"];"), "%s", dot);
    free(dot);
    snprintf(a, sizeof a, "dot diskio --io --args 2 --disk %s/n.img:create=64K", dir);
    dot = run_out(a, &st);
    cr_assert_eq(st, 0, "%s", dot);
    cr_assert(strstr(dot, "register accesses"), "%s", dot);
    cr_assert_null(strstr(dot, "color=red"), "bare metal has no exits: %s", dot);
    free(dot);
    snprintf(a, sizeof a, "dot diskq --io --args 2 --mode te --isa strict --disk %s/t.img:create=64K -o %s/io.svg", dir,
             dir);
    char *o = run_out(a, &st);
    cr_assert_eq(st, 0, "%s", o);
    free(o);
    snprintf(a, sizeof a, "%s/io.svg", dir);
    char *svg = slurp(a);
    cr_assert(svg && strstr(svg, "<svg") && strstr(svg, "notifications"), "no rendered picture in %s", a);
    free(svg);
    snprintf(a, sizeof a, "dot diskq --io");
    char *out, *err;
    cr_assert_eq(run_ringsim(a, &out, &err), 2);
    cr_assert(strstr(err, "no disk"), "%s", err);
    free(out);
    free(err);
}
