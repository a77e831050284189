/*
 * test_disk.c — the block device: a disk in a host file, DMA, emulated
 * under every technique.  The bundled `diskio` workload prints the same
 * checksum natively and under te, bt, hw (shadow and nested) and pv, and a
 * second run over the same file — under any technique — verifies what the
 * first wrote; bad disk files are refused before the guest runs; flushed
 * writes survive kill -9; and guests that program the device badly get an
 * error status, never someone else's memory.
 */
#define _XOPEN_SOURCE 700 /* posix_openpt */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/helpers.h"

/* Every technique, with the strict ISA so that te prints no red pills. */
static const char *const techniques[] = {
    "--mode native", "--mode te --isa strict", "--mode bt", "--mode hw --mmu shadow", "--mode hw --mmu nested",
    "--mode pv",
};
#define NTECH (sizeof techniques / sizeof techniques[0])

static long long num(json_t *o, const char *key) { return json_integer_value(json_object_get(o, key)); }

static char *diskio(const char *disk, const char *mode, int *status)
{
    char a[512];
    snprintf(a, sizeof a, "run diskio --args 8 --disk %s %s", disk, mode);
    return run_out(a, status);
}

Test(disk, diskio_prints_the_same_checksum_under_every_technique_and_verifies)
{
    const char *dir = temp_dir();
    char *native = NULL;
    for (unsigned i = 0; i < NTECH; i++) {
        char disk[256], spec[300];
        int st;
        snprintf(disk, sizeof disk, "%s/d%u.img", dir, i);
        snprintf(spec, sizeof spec, "%s:create=64K", disk);
        char *out = diskio(spec, techniques[i], &st);
        cr_assert_eq(st, 0, "%s: %s", techniques[i], out);
        cr_assert(strstr(out, "diskio: 8 iterations, checksum 0x"), "%s: %s", techniques[i], out);
        if (!native) native = strdup(out);
        cr_assert_str_eq(out, native, "%s", techniques[i]);
        free(out);
        /* the next technique verifies what this one wrote */
        char *again = diskio(disk, techniques[(i + 1) % NTECH], &st);
        cr_assert_eq(st, 0, "%s after %s: %s", techniques[(i + 1) % NTECH], techniques[i], again);
        cr_assert(strstr(again, "diskio: verified"), "%s", again);
        cr_assert(strstr(again, native), "%s", again);
        free(again);
    }
    free(native);
}

Test(disk, without_a_disk_the_driver_says_so)
{
    for (unsigned i = 0; i < NTECH; i++) {
        char a[256];
        int st;
        snprintf(a, sizeof a, "run diskio %s", techniques[i]);
        char *out = run_out(a, &st);
        cr_assert_eq(st, 1, "%s: %s", techniques[i], out);
        cr_assert_str_eq(out, "diskio: no disk (run with --disk FILE)\n", "%s", techniques[i]);
        free(out);
    }
}

Test(disk, the_same_run_gives_the_same_cycles_and_counts_the_device)
{
    const char *dir = temp_dir();
    long long cycles[2];
    for (int i = 0; i < 2; i++) {
        char a[512];
        snprintf(a, sizeof a, "run diskio --args 4 --mode hw --disk %s/r%d.img:create=64K", dir, i);
        json_t *s = stats_of(a);
        cycles[i] = json_integer_value(json_object_get(s, "cycles"));
        json_t *d = json_object_get(json_array_get(json_object_get(s, "vms"), 0), "disk");
        cr_assert(d, "no disk object in the VM's statistics");
        /* 4 blocks written twice over, read twice, a header: 8 sectors each */
        cr_assert_eq(num(d, "sectors_written"), 8 * 8 + 1);
        cr_assert_eq(num(d, "sectors_read"), 8 * 8 + 1);
        cr_assert_eq(num(d, "dma_bytes"), 2 * (8 * 8 + 1) * 512);
        cr_assert_eq(num(d, "flushes"), 2);
        cr_assert_eq(num(d, "errors"), 0);
        cr_assert_eq(num(d, "exits"), num(d, "port_accesses"));
        cr_assert_geq(stats_num(s, "vmexits", "total"), num(d, "exits"));
        json_decref(s);
    }
    cr_assert_eq(cycles[0], cycles[1], "latency must be simulated cycles, not host time");
}

/* Runs `ringsim ARGS`, several VMs one of which is diskio --args 4, and
 * checks diskio printed there what it prints alone; returns the output. */
static char *beside_diskio_alone(const char *dir, const char *args)
{
    char a[512], line[256];
    int st;
    snprintf(a, sizeof a, "run diskio --args 4 --disk %s/alone.img:create=64K", dir);
    char *alone = run_out(a, &st);
    cr_assert_eq(st, 0, "%s", alone);
    snprintf(line, sizeof line, "[diskio] %s", alone);
    free(alone);
    char *out = run_out(args, &st);
    cr_assert(strstr(out, line), "expected '%s' in:\n%s", line, out);
    return out;
}

Test(disk, each_vm_has_its_own_disk_or_none)
{
    const char *dir = temp_dir();
    char a[512];
    snprintf(a, sizeof a, "run diskio diskio --args 4 --mode hw --disk %s/a.img:create=64K", dir);
    char *two = beside_diskio_alone(dir, a);
    cr_assert(strstr(two, "[diskio] diskio: no disk"), "%s", two);
    free(two);
}

/* ---- the host file ------------------------------------------------------ */

static void write_file(const char *path, size_t bytes)
{
    FILE *f = fopen(path, "wb");
    cr_assert(f);
    for (size_t i = 0; i < bytes; i++) fputc(0, f);
    fclose(f);
}

/* The run is refused before the guest runs: exit status 2, the file and
 * the reason on stderr, nothing on stdout. */
static void refused(const char *spec, const char *why)
{
    char a[512], *out, *err;
    snprintf(a, sizeof a, "run diskio --disk %s", spec);
    int st = run_ringsim(a, &out, &err);
    cr_assert_eq(st, 2, "%s: status %d: %s", spec, st, err);
    cr_assert_str_empty(out, "%s: the guest ran: %s", spec, out);
    char file[256];
    snprintf(file, sizeof file, "%.*s", (int)strcspn(spec, ":"), spec);
    cr_assert(strstr(err, file), "%s: the message names no file: %s", spec, err);
    cr_assert(strstr(err, why), "%s: expected '%s' in: %s", spec, why, err);
    free(out);
    free(err);
}

Test(disk, bad_disk_files_are_refused_with_the_file_named)
{
    const char *dir = temp_dir();
    char p[256];
    snprintf(p, sizeof p, "%s/missing.img", dir);
    refused(p, "No such file");
    snprintf(p, sizeof p, "%s/short.img", dir);
    write_file(p, 1000);
    refused(p, "short");
    snprintf(p, sizeof p, "%s/empty.img", dir);
    write_file(p, 0);
    refused(p, "short");
    snprintf(p, sizeof p, "%s/ro.img", dir);
    write_file(p, 4096);
    chmod(p, 0444);
    refused(p, "read-only");
    refused(dir, "Is a directory");
    refused("/dev/null", "not a regular file");
    snprintf(p, sizeof p, "%s/ro.img:create=8K", dir);
    refused(p, "read-only");
    snprintf(p, sizeof p, "%s/other.img", dir);
    write_file(p, 4096);
    snprintf(p, sizeof p, "%s/other.img:create=8K", dir);
    refused(p, "another size");
    snprintf(p, sizeof p, "%s/x.img:create=100", dir);
    refused(p, "multiple of 512");
}

Test(disk, a_disk_in_use_by_another_simulator_is_refused)
{
    const char *dir = temp_dir();
    char p[256];
    snprintf(p, sizeof p, "%s/locked.img", dir);
    write_file(p, 65536);
    int fd = open(p, O_RDWR);
    cr_assert(fd >= 0);
    cr_assert_eq(flock(fd, LOCK_EX | LOCK_NB), 0);
    refused(p, "locked");
    close(fd);
    int st;
    char *out = diskio(p, "", &st);
    cr_assert_eq(st, 0, "unlocked, it is usable: %s", out);
    free(out);
}

/* ---- durability -------------------------------------------------------- */

/* Fills the page at 0x20000 with word i = i * 0x01000193 + SEED. */
#define FILL(seed)                                                             \
    "  li r1, 0x20000\n li r2, 0\n li r3, 0x01000193\n li r6, " seed "\n"    \
    "1: mul r4, r2, r3\n add r4, r4, r6\n sw r4, 0(r1)\n addi r1, r1, 4\n"    \
    "  addi r2, r2, 1\n li r5, 1024\n bltu r2, r5, 1b\n"
/* Starts command CMD on COUNT sectors from SECTOR at ADDR, then waits. */
#define DISKCMD(sector, count, addr, cmd)                                      \
    "  li r1, " sector "\n out disk_sector, r1\n li r1, " count "\n"          \
    "  out disk_count, r1\n li r1, " addr "\n out disk_addr, r1\n"            \
    "  li r1, " cmd "\n out disk_cmd, r1\n"                                    \
    "2: in r1, disk_status\n andi r2, r1, 1\n bnez r2, 2b\n"

static const char writer_src[] =
    ".text\n.global _start\n_start:\n" FILL("0x5eed") DISKCMD("0", "8", "0x20000", "2")
    DISKCMD("0", "0", "0", "3")
    "  la r1, marker\n3: lbu r2, 0(r1)\n beqz r2, 4f\n out con_data, r2\n addi r1, r1, 1\n j 3b\n"
    "4:\n" FILL("0xbad") DISKCMD("8", "8", "0x20000", "2")
    "5: j 5b\n"
    ".data\nmarker: .asciz \"flushed\\n\"\n";

/* Reads sectors 0..7 into 0x30000 and prints the sum of their words. */
static const char reader_src[] =
    ".text\n.global _start\n_start:\n" DISKCMD("0", "8", "0x30000", "1")
    "  li r1, 0x30000\n li r6, 0\n li r7, 1024\n"
    "6: lw r2, 0(r1)\n add r6, r6, r2\n addi r1, r1, 4\n addi r7, r7, -1\n bnez r7, 6b\n"
    "  mov r1, r6\n call hex\n out power, r0\n" PRINT_HEX;

/* The writer runs on --disk spec and is killed (SIGKILL) past its flush;
 * then each of the nreaders disk specs, in a new run, holds what it flushed. */
static void flushed_writes_survive_kill_9_on(const char *dir, const char *spec, const char *const *readers,
                                             int nreaders)
{
    char writer[256], reader[256];
    snprintf(writer, sizeof writer, "%s", assemble(dir, "writer", writer_src));
    snprintf(reader, sizeof reader, "%s", assemble(dir, "reader", reader_src));
    const char *bin = getenv("RINGSIM_BIN");
    if (!bin) bin = root_path("ringsim");
    /* its console is a terminal, so each line reaches us as it is printed
     * (into a pipe, stdio would hold it until the exit that never comes) */
    int pty = posix_openpt(O_RDWR | O_NOCTTY);
    cr_assert(pty >= 0 && grantpt(pty) == 0 && unlockpt(pty) == 0);
    const char *slave = ptsname(pty);
    cr_assert(slave);
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        int fd = open(slave, O_RDWR | O_NOCTTY);
        if (fd < 0) _exit(126);
        dup2(fd, 1);
        close(pty);
        execl(bin, "ringsim", "run", writer, "--disk", spec, (char *)NULL);
        _exit(127);
    }
    char got[256] = "";
    size_t n = 0;
    bool marked = false;
    while (!marked && n + 1 < sizeof got) {
        struct pollfd pfd = {pty, POLLIN, 0};
        if (poll(&pfd, 1, 60000) != 1) break;
        ssize_t r = read(pty, got + n, sizeof got - 1 - n);
        if (r <= 0) break;
        n += (size_t)r;
        got[n] = 0;
        marked = strstr(got, "flushed") != NULL;
    }
    if (marked) usleep(20000); /* it is spinning past its unflushed write by now */
    kill(pid, SIGKILL);
    int st;
    waitpid(pid, &st, 0);
    close(pty);
    cr_assert(marked, "no marker within a minute: '%s'", got);
    cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
    uint32_t sum = 0;
    for (uint32_t i = 0; i < 1024; i++) sum += i * 0x01000193u + 0x5eed;
    char a[600], want[16];
    snprintf(want, sizeof want, "%08x\n", sum);
    for (int i = 0; i < nreaders; i++) {
        snprintf(a, sizeof a, "run %s --disk %s", reader, readers[i]);
        char *out = run_out(a, &st);
        cr_assert_eq(st, 0, "the disk of a killed simulator is usable again: %s: %s", readers[i], out);
        cr_assert_str_eq(out, want, "%s", readers[i]);
        free(out);
    }
}

Test(disk, flushed_writes_survive_kill_9)
{
    const char *dir = temp_dir();
    char disk[256], spec[300];
    snprintf(disk, sizeof disk, "%s/durable.img", dir);
    snprintf(spec, sizeof spec, "%s:create=64K", disk);
    const char *readers[] = {disk};
    flushed_writes_survive_kill_9_on(dir, spec, readers, 1);
}

/* A mirrored disk (FILE:mirror=FILE2): the flushed write is in both files,
 * each read alone afterwards. */
Test(disk, flushed_writes_to_a_mirror_survive_kill_9_in_both_files)
{
    const char *dir = temp_dir();
    char a[256], b[256], spec[600];
    snprintf(a, sizeof a, "%s/half0.img", dir);
    snprintf(b, sizeof b, "%s/half1.img", dir);
    snprintf(spec, sizeof spec, "%s:create=64K:mirror=%s", a, b);
    const char *readers[] = {a, b};
    flushed_writes_survive_kill_9_on(dir, spec, readers, 2);
}

/* ---- hostile guests ------------------------------------------------------ */

/* Runs bare-metal image img natively and under every technique but pv
 * (which runs paravirtual kernels only), each with a fresh disk in dir:
 * each must exit 0 having printed want. */
static void prints_under_every_technique(const char *dir, const char *img, const char *want)
{
    for (unsigned i = 0; i + 1 < NTECH; i++) {
        char a[600];
        int st;
        snprintf(a, sizeof a, "run %s %s --disk %s/t%u.img:create=64K", img, techniques[i], dir, i);
        char *out = run_out(a, &st);
        cr_assert_eq(st, 0, "%s: %s", techniques[i], out);
        cr_assert_str_eq(out, want, "%s", techniques[i]);
        free(out);
    }
}

/* A guest that starts a write and, while it is in flight, a read; then a
 * sector past the end of its 128-sector disk, a count that overflows the
 * sector number, DMA across the end of memory, and reads the write back.
 * Statuses are kept in registers and printed at the end (printing in
 * between would leave the device time to finish). */
static const char hostile_src[] =
    ".text\n.global _start\n_start:\n" FILL("0x77")
    "  li r1, 1\n out disk_sector, r1\n li r1, 2\n out disk_count, r1\n"
    "  li r1, 0x20000\n out disk_addr, r1\n li r1, 2\n out disk_cmd, r1\n"
    "  in r8, disk_status\n li r1, 1\n out disk_cmd, r1\n in r9, disk_status\n"
    "2: in r1, disk_status\n andi r2, r1, 1\n bnez r2, 2b\n"
    DISKCMD("127", "2", "0x30000", "1") "  mov r10, r1\n"
    DISKCMD("0xffffffff", "2", "0x30000", "1") "  mov r11, r1\n"
    "  mfcr r12, memsize\n addi r12, r12, -512\n"
    "  li r1, 0\n out disk_sector, r1\n li r1, 2\n out disk_count, r1\n"
    "  out disk_addr, r12\n li r1, 1\n out disk_cmd, r1\n in r12, disk_status\n"
    DISKCMD("2", "1", "0x30000", "1") "  mov r13, r1\n"
    "  mov r1, r8\n call hex\n mov r1, r9\n call hex\n mov r1, r10\n call hex\n"
    "  mov r1, r11\n call hex\n mov r1, r12\n call hex\n mov r1, r13\n call hex\n"
    "  li r1, 0x30000\n lw r1, 0(r1)\n call hex\n out power, r0\n" PRINT_HEX;

Test(disk, bad_programming_gets_an_error_status_under_every_technique)
{
    const char *dir = temp_dir();
    char img[256];
    snprintf(img, sizeof img, "%s", assemble(dir, "hostile", hostile_src));
    uint32_t second = 128 * 0x01000193u + 0x77; /* sector 2's first word: the page's word 128 */
    char want[200];
    /* bit 1 (done): every command but the one refused as busy is done,
     * the refused ones at once, and none is acknowledged */
    snprintf(want, sizeof want, "00000001\n00000601\n00000402\n00000402\n00000502\n00000002\n%08x\n", second);
    prints_under_every_technique(dir, img, want);
}

Test(disk, dma_past_a_vm_reaches_neither_the_next_vm_nor_the_hypervisor)
{
    /* the hostile guest beside diskio, each with a disk: diskio's checksum
     * is its checksum alone, and the hostile guest's own statuses are
     * those of bare metal */
    const char *dir = temp_dir();
    char img[256], a[800];
    snprintf(img, sizeof img, "%s", assemble(dir, "hostile", hostile_src));
    snprintf(a, sizeof a, "run %s diskio --args 4 --mode hw --disk %s/h.img:create=64K --disk %s/d.img:create=64K",
             img, dir, dir);
    char *both = beside_diskio_alone(dir, a);
    cr_assert(strstr(both, "[hostile] 00000502\n"), "%s", both);
    free(both);
}

/* DMA into a page table the guest runs on: bare metal's next walk (after
 * invlpg) sees the new entry, so a shadow of the table must not survive
 * the write a device made behind the CPU's back.  0..4 MiB identity-mapped
 * (root R, bottom table T); a copy of T with va P1 -> P3 goes to the disk
 * and is read back over T. */
static const char retable_src[] =
    ".equ R, 0x100000\n.equ T, 0x101000\n.equ C, 0x210000\n"
    ".equ P1, 0x200000\n.equ P3, 0x202000\n"
    ".text\n.global _start\n_start:\n"
    "  li r1, T\n li r7, C\n li r2, 0\n li r3, 1024\n"
    "1: ori r4, r2, 3\n sw r4, 0(r1)\n sw r4, 0(r7)\n addi r1, r1, 4\n addi r7, r7, 4\n"
    "  li r5, 0x1000\n add r2, r2, r5\n addi r3, r3, -1\n bnez r3, 1b\n"
    "  li r1, P3 | 3\n li r2, C + 4 * (P1 >> 12)\n sw r1, 0(r2)\n"
    "  li r1, T | 3\n li r2, R\n sw r1, 0(r2)\n"
    "  li r1, 0x11111111\n li r2, P1\n sw r1, 0(r2)\n"
    "  li r1, 0x33333333\n li r2, P3\n sw r1, 0(r2)\n"
    DISKCMD("0", "8", "C", "2")
    "  li r1, R\n mtcr ptb, r1\n li r1, 1\n mtcr mmu, r1\n"
    "  li r2, P1\n lw r1, 0(r2)\n call hex\n"
    DISKCMD("0", "8", "T", "1")
    "  li r2, P1\n invlpg r2\n lw r1, 0(r2)\n call hex\n out power, r0\n" PRINT_HEX;

Test(disk, dma_into_a_page_table_reaches_the_next_walk_under_shadow_paging)
{
    const char *dir = temp_dir();
    char img[256];
    snprintf(img, sizeof img, "%s", assemble(dir, "retable", retable_src));
    prints_under_every_technique(dir, img, "11111111\n33333333\n");
}
