/*
 * test_savefile.c — a VM in a file (issue #15): `run --save-at CYCLE:FILE`
 * writes the whole machine, `run FILE` continues it, and the two halves
 * are the run that never stopped — its output, cycles and statistics, bit
 * for bit — under every technique, saved at cycles drawn from fixed seeds;
 * restored under another technique where a live switch allows, the guest
 * prints the same; a truncated, corrupted, newer or foreign file is refused
 * with a message naming it, never a crash; the file appears whole or not
 * at all.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cpu/cpu.h"
#include "tests/helpers.h"

static const char *const techniques[] = {"--mode native", "--mode te", "--mode bt", "--mode hw --mmu shadow",
                                         "--mode hw --mmu nested", "--mode pv", "--mode bt --bt-chain off"};
#define NTECH 7
static const char *const workloads[] = {"syscall --args 40", "forkwait --args 2", "tlbstride --args 1"};
#define NWORK 3
#define SAVES 2   /* save points per run */

/* A run's stdout, its statistics file's text and its exit status. */
struct outcome {
    char *out, *stats;
    int status;
};

static struct outcome run_to(const char *dir, const char *args)
{
    char a[4096], path[256];
    snprintf(path, sizeof path, "%s/stats.json", dir);
    snprintf(a, sizeof a, "%s --stats %s", args, path);
    struct outcome o;
    o.out = run_out(a, &o.status);
    o.stats = slurp(path);
    cr_assert(o.stats, "no statistics from: %s", a);
    unlink(path);
    return o;
}

static void outcome_free(struct outcome *o)
{
    free(o->out);
    free(o->stats);
}

static bool ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), k = strlen(tail);
    return k <= n && strcmp(s + n - k, tail) == 0;
}

/* A fixed sequence of numbers (a linear congruential generator). */
static uint64_t next_random(uint64_t *seed)
{
    *seed = *seed * 6364136223846793005ull + 1442695040888963407ull;
    return *seed >> 33;
}

/* Each technique's row: every workload, saved at SAVES cycles drawn from a
 * seed of its own, must be the run that never stopped. */
ParameterizedTestParameters(savefile, a_restored_run_is_the_run_that_never_stopped)
{
    static size_t rows[NTECH] = {0, 1, 2, 3, 4, 5, 6};
    return cr_make_param_array(size_t, rows, NTECH);
}

ParameterizedTest(size_t *row, savefile, a_restored_run_is_the_run_that_never_stopped, .timeout = 240)
{
    const char *dir = temp_dir();
    uint64_t seed = 15 + *row;
    for (int w = 0; w < NWORK; w++) {
        char base[256], a[2048];
        snprintf(base, sizeof base, "run %s %s", workloads[w], techniques[*row]);
        struct outcome whole = run_to(dir, base);
        json_t *st = json_loads(whole.stats, 0, NULL);
        cr_assert(st);
        uint64_t cycles = (uint64_t)json_integer_value(json_object_get(st, "cycles"));
        json_decref(st);
        /* save at SAVES cycles of the run, and run on to its end */
        uint64_t at[SAVES];
        int n = snprintf(a, sizeof a, "%s", base);
        for (int k = 0; k < SAVES; k++) {
            at[k] = 1 + next_random(&seed) % (cycles * 9 / 10);   /* before its last block */
            n += snprintf(a + n, sizeof a - (size_t)n, " --save-at %llu:%s/%d.save", (unsigned long long)at[k],
                          dir, k);
        }
        struct outcome saving = run_to(dir, a);
        cr_assert_eq(saving.status, whole.status, "%s", a);
        cr_assert_str_eq(saving.out, whole.out, "%s: saving changes the output", a);
        cr_assert_str_eq(saving.stats, whole.stats, "%s: saving changes the statistics", a);
        for (int k = 0; k < SAVES; k++) {
            snprintf(a, sizeof a, "run %s/%d.save", dir, k);
            struct outcome back = run_to(dir, a);
            cr_assert_eq(back.status, whole.status, "%s (saved at %llu of %s)", a, (unsigned long long)at[k], base);
            cr_assert(ends_with(whole.out, back.out), "%s (saved at %llu of %s): output\n%s\nis not the end of\n%s",
                      a, (unsigned long long)at[k], base, back.out, whole.out);
            cr_assert_str_eq(back.stats, whole.stats, "%s (saved at %llu of %s): statistics differ", a,
                             (unsigned long long)at[k], base);
            outcome_free(&back);
            snprintf(a, sizeof a, "%s/%d.save", dir, k);
            unlink(a);
        }
        outcome_free(&saving);
        outcome_free(&whole);
    }
}

/* Writes a save file of a short native run into dir; returns its path. */
static const char *small_save(const char *dir)
{
    static char path[256];
    char a[512];
    snprintf(path, sizeof path, "%s/small.save", dir);
    snprintf(a, sizeof a, "run syscall --args 5 --save-at 20000:%s", path);
    int status;
    free(run_out(a, &status));
    cr_assert_eq(status, 0, "%s", a);
    return path;
}

Test(savefile, a_file_restored_under_another_technique_prints_the_same)
{
    const char *dir = temp_dir();
    static const struct { const char *from, *to; } rows[] = {
        {"--mode te --isa strict", "--mode hw"},
        {"--mode te --isa strict", "--mode bt"},
        {"--mode hw --isa strict", "--mode te"},   /* te on classic has its red pills */
        {"--mode bt", "--mode hw --mmu shadow"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char a[1024];
        snprintf(a, sizeof a, "run forkwait --args 2 %s", rows[i].from);
        int status;
        char *whole = run_out(a, &status);
        snprintf(a, sizeof a, "run forkwait --args 2 %s --save-at 200000:%s/x.save", rows[i].from, dir);
        free(run_out(a, &status));
        snprintf(a, sizeof a, "run %s/x.save %s --stats %s/s.json", dir, rows[i].to, dir);
        char *rest = run_out(a, &status);
        cr_assert_eq(status, 0, "%s", a);
        cr_assert(ends_with(whole, rest), "%s: the guest printed\n%s\nnot the end of\n%s", a, rest, whole);
        char path[256];
        snprintf(path, sizeof path, "%s/s.json", dir);
        json_t *st = json_load_file(path, 0, NULL);
        cr_assert(st);
        cr_assert_eq(json_integer_value(json_object_get(st, "switches")), 1, "%s: one switch counted", a);
        json_decref(st);
        free(whole);
        free(rest);
    }
}

Test(savefile, a_paravirtual_kernel_is_not_restored_under_another_technique)
{
    const char *dir = temp_dir();
    char a[512];
    int status;
    snprintf(a, sizeof a, "run syscall --args 5 --mode pv --save-at 20000:%s/pv.save", dir);
    free(run_out(a, &status));
    char *err;
    snprintf(a, sizeof a, "run %s/pv.save --mode te", dir);
    cr_assert_eq(run_ringsim(a, NULL, &err), 2, "%s", a);
    cr_assert(strstr(err, "pv.save") && strstr(err, "pv"), "the refusal names the file and why: %s", err);
    free(err);
}

Test(savefile, options_that_shape_the_machine_are_refused_on_restore)
{
    const char *path = small_save(temp_dir());
    char a[512], *err;
    snprintf(a, sizeof a, "run %s --mem 32M", path);
    cr_assert_eq(run_ringsim(a, NULL, &err), 2);
    cr_assert(strstr(err, "--mem") && strstr(err, path), "names the option and the file: %s", err);
    free(err);
}

/* The file's section boundaries (header, then tag, length, payload, CRC). */
static size_t boundaries(const uint8_t *d, size_t len, size_t *at, size_t max)
{
    size_t n = 0, p = 20;
    at[n++] = 20;
    while (p + 12 <= len && n < max) {
        uint32_t l = (uint32_t)d[p + 4] | (uint32_t)d[p + 5] << 8 | (uint32_t)d[p + 6] << 16 |
                     (uint32_t)d[p + 7] << 24;
        at[n++] = p + 8;
        p += 12 + (size_t)l;
        at[n++] = p;
    }
    return n;
}

static uint8_t *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    cr_assert(f, "%s", path);
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    rewind(f);
    uint8_t *d = malloc(*len);
    cr_assert(d && fread(d, 1, *len, f) == *len);
    fclose(f);
    return d;
}

static void write_all(const char *path, const uint8_t *d, size_t len)
{
    FILE *f = fopen(path, "wb");
    cr_assert(f && fwrite(d, 1, len, f) == len);
    fclose(f);
}

/* Opening the file at path is refused, with a message naming it that says
 * why (contains what, if not NULL). */
static void assert_refused(const char *path, const char *what, const char *how)
{
    char err[4608] = "";
    struct saved_machine *s = saved_machine_open(path, err, sizeof err);
    if (s) saved_machine_free(s);
    cr_assert_null(s, "%s: accepted", how);
    cr_assert(strstr(err, path), "%s: the message names the file: %s", how, err);
    if (what) cr_assert(strstr(err, what), "%s: the message says '%s': %s", how, what, err);
}

Test(savefile, a_file_truncated_anywhere_is_refused)
{
    const char *dir = temp_dir();
    size_t len;
    uint8_t *d = read_all(small_save(dir), &len);
    char cut[256];
    snprintf(cut, sizeof cut, "%s/cut.save", dir);
    /* the header byte by byte, every section boundary and its neighbours,
     * and every 97th length in between */
    size_t at[64];
    size_t nb = boundaries(d, len, at, 64);
    cr_assert_geq(nb, 16, "the file has its sections");
    for (size_t n = 0; n < len; n++) {
        bool near = n <= 24;
        for (size_t k = 0; k < nb; k++) near |= n + 2 >= at[k] && n <= at[k] + 2;
        if (!near && n % 97) continue;
        write_all(cut, d, n);
        char how[64];
        snprintf(how, sizeof how, "cut to %zu of %zu bytes", n, len);
        assert_refused(cut, n < 8 ? "not a ringsim save file" : n < 20 ? "truncated" : NULL, how);
    }
    /* and through the command line: status 2, the file named */
    write_all(cut, d, len / 2);
    char a[512], *err;
    snprintf(a, sizeof a, "run %s", cut);
    cr_assert_eq(run_ringsim(a, NULL, &err), 2);
    cr_assert(strstr(err, cut) && strstr(err, "truncated"), "%s", err);
    free(err);
    free(d);
}

Test(savefile, a_flipped_bit_anywhere_is_refused)
{
    const char *dir = temp_dir();
    size_t len;
    uint8_t *d = read_all(small_save(dir), &len);
    char bad[256];
    snprintf(bad, sizeof bad, "%s/bad.save", dir);
    uint64_t seed = 15;
    for (int i = 0; i < 300; i++) {
        size_t bit = (size_t)(next_random(&seed) % (len * 8));
        if (i < 160) bit = (size_t)i;   /* the header and the first section's, every one */
        d[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        write_all(bad, d, len);
        char how[64];
        snprintf(how, sizeof how, "bit %zu flipped", bit);
        assert_refused(bad, NULL, how);
        d[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
    d[len / 2] ^= 0x10;
    write_all(bad, d, len);
    char a[512], *err;
    snprintf(a, sizeof a, "run --restore %s", bad);
    cr_assert_eq(run_ringsim(a, NULL, &err), 2);
    cr_assert(strstr(err, bad) && strstr(err, "corrupted"), "%s", err);
    free(err);
    free(d);
}

/* Rewrites the header's word at off and its CRC. */
static void patch_header(uint8_t *d, size_t off, uint32_t v)
{
    for (int i = 0; i < 4; i++) d[off + (size_t)i] = (uint8_t)(v >> (8 * i));
    uint32_t crc = savefile_crc32(d, 16, 0);
    for (int i = 0; i < 4; i++) d[16 + (size_t)i] = (uint8_t)(crc >> (8 * i));
}

Test(savefile, a_newer_version_or_another_isa_is_refused)
{
    const char *dir = temp_dir();
    size_t len;
    uint8_t *d = read_all(small_save(dir), &len);
    char path[256];
    snprintf(path, sizeof path, "%s/other.save", dir);
    patch_header(d, 8, 5);
    write_all(path, d, len);
    assert_refused(path, "newer", "version 5");
    patch_header(d, 8, 1); /* before the disk's interrupt */
    write_all(path, d, len);
    assert_refused(path, "format version 1, this ringsim reads version 4", "version 1");
    patch_header(d, 8, 3); /* before bt's chaining: its code cache has no links */
    write_all(path, d, len);
    assert_refused(path, "format version 3, this ringsim reads version 4", "version 3");
    assert_refused(path, "before binary translation's chaining", "version 3's difference");
    patch_header(d, 8, 4);
    patch_header(d, 12, 0x12345678);
    write_all(path, d, len);
    assert_refused(path, "another instruction set", "ISA id");
    char a[512], *err;
    snprintf(a, sizeof a, "run %s", path);
    cr_assert_eq(run_ringsim(a, NULL, &err), 2);
    cr_assert(strstr(err, path) && strstr(err, "instruction set"), "%s", err);
    free(err);
    free(d);
}

/* A file as a build of format version 2 wrote it — its sections without
 * the network's (NET_), which version 3 added with the network interface
 * (trap cause 13) — is refused by its version, and the message says which
 * version it is, which this build reads and what changed between them:
 * not a mismatch found deep inside ("trap causes"). */
Test(savefile, a_file_of_the_older_version_is_refused_by_its_version)
{
    const char *dir = temp_dir();
    size_t len;
    uint8_t *d = read_all(small_save(dir), &len);
    size_t at[64], nb = boundaries(d, len, at, 64), cut = 0, cut_end = 0;
    for (size_t k = 1; k + 1 < nb; k += 2)
        if (memcmp(d + at[k] - 8, "NET_", 4) == 0) {
            cut = at[k] - 8;
            cut_end = at[k + 1];
        }
    cr_assert(cut && cut_end > cut, "a version-3 file has a NET_ section");
    memmove(d + cut, d + cut_end, len - cut_end);
    len -= cut_end - cut;
    patch_header(d, 8, 2);
    char path[256];
    snprintf(path, sizeof path, "%s/v2.save", dir);
    write_all(path, d, len);
    assert_refused(path, "format version 2, this ringsim reads version 4", "version 2");
    assert_refused(path, "before the network", "version 2's difference");
    char a[512], *err;
    snprintf(a, sizeof a, "run %s", path);
    cr_assert_eq(run_ringsim(a, NULL, &err), 2);
    cr_assert(strstr(err, path) && strstr(err, "format version 2") && !strstr(err, "trap causes"), "%s", err);
    free(err);
    free(d);
}

Test(savefile, a_save_that_cannot_be_written_fails_before_the_run_and_leaves_nothing)
{
    const char *dir = temp_dir();
    char a[512], *err;
    snprintf(a, sizeof a, "run syscall --args 5 --save-at 20000:%s/no/such/dir/x.save", dir);
    cr_assert_eq(run_ringsim(a, NULL, &err), 2, "%s", a);
    cr_assert(strstr(err, "--save-at") && strstr(err, "no/such/dir"), "%s", err);
    free(err);
    /* a good save leaves the file and nothing beside it */
    small_save(dir);
    char ls[512];
    snprintf(ls, sizeof ls, "ls -A %s", dir);
    FILE *p = popen(ls, "r");
    char line[256], all[1024] = "";
    while (fgets(line, sizeof line, p)) strncat(all, line, sizeof all - strlen(all) - 1);
    pclose(p);
    cr_assert_str_eq(all, "small.save\n", "only the save file: %s", all);
}

Test(savefile, one_file_restores_the_same_machine_twice)
{
    const char *path = small_save(temp_dir());
    char a[512];
    snprintf(a, sizeof a, "run %s", path);
    int s1, s2;
    char *o1 = run_out(a, &s1), *o2 = run_out(a, &s2);
    cr_assert_eq(s1, 0);
    cr_assert_eq(s2, 0);
    cr_assert_str_eq(o1, o2);
    cr_assert(strstr(o1, "syscall: 5 iterations"), "%s", o1);
    free(o1);
    free(o2);
}

Test(savefile, the_debugger_saves_where_it_stands_and_the_run_goes_on_from_there)
{
    const char *dir = temp_dir();
    char script[256], a[1024];
    snprintf(script, sizeof script, "%s/s.txt", dir);
    FILE *f = fopen(script, "w");
    cr_assert(f);
    fprintf(f, "step 3000\nsave %s/d.save\nquit\n", dir);
    fclose(f);
    int status;
    snprintf(a, sizeof a, "debug syscall --args 20 --mode te --isa strict --batch %s", script);
    char *log = run_out(a, &status);
    cr_assert(strstr(log, "saved the machine at cycle"), "%s", log);
    free(log);
    struct outcome whole = run_to(dir, "run syscall --args 20 --mode te --isa strict");
    snprintf(a, sizeof a, "run %s/d.save", dir);
    struct outcome back = run_to(dir, a);
    cr_assert_eq(back.status, 0);
    cr_assert(ends_with(whole.out, back.out), "%s", back.out);
    cr_assert_str_eq(back.stats, whole.stats, "a stepped save is exact");
    outcome_free(&whole);
    outcome_free(&back);
}

/* The same run saved at the same cycle by two processes gives the same
 * file, byte for byte: nothing of the host (where it put memory, say) leaks
 * into it.  phases saved natively at 2,000,000 caught the interpreter's
 * shortcut written as a stale host offset when it held no page. */
Test(savefile, the_same_run_saved_twice_gives_the_same_bytes)
{
    char dir[64];   /* temp_dir's buffers are reused: keep the name */
    snprintf(dir, sizeof dir, "%s", temp_dir());
    const char *runs[] = {"phases", "syscall --args 40", "forkwait --args 2", "tlbstride --args 1"};
    const char *at[] = {"2000000", "30000", "150000", "60000"};
    for (size_t w = 0; w < sizeof runs / sizeof runs[0]; w++)
        for (int t = 0; t < NTECH; t++) {
            if (strstr(techniques[t], "pv") && w == 0) continue; /* phases has no paravirtual build */
            uint8_t *d[2];
            size_t len[2];
            for (int k = 0; k < 2; k++) {
                char a[1024], path[256];
                snprintf(path, sizeof path, "%s/same%d.save", dir, k);
                snprintf(a, sizeof a, "run %s %s --save-at %s:%s", runs[w], techniques[t], at[w], path);
                int status;
                free(run_out(a, &status));
                cr_assert_eq(status, 0, "%s", a);
                d[k] = read_all(path, &len[k]);
                unlink(path);
            }
            cr_assert(len[0] == len[1] && memcmp(d[0], d[1], len[0]) == 0,
                      "%s %s saved at %s twice: the files differ", runs[w], techniques[t], at[w]);
            free(d[0]);
            free(d[1]);
        }
}

/* Saved as the run leaves a page (PAGE_EDGE_SRC, tests/helpers.h: most
 * events fall due at the sentinel past the page's last word), the run goes
 * on, and the file restores, with a fetch in the next page — not in the
 * frame it left, whose first word is _start: natively, the run that went on
 * and the restored one both printed its S again. */
Test(savefile, a_save_as_the_run_leaves_a_page_goes_on_in_the_next_page)
{
    char dir[64], img[256], a[2048];
    snprintf(dir, sizeof dir, "%s", temp_dir());
    snprintf(img, sizeof img, "%s", assemble(dir, "pageedge", PAGE_EDGE_SRC));
    const char *at[] = {"50000", "60007", "70013", "80021", "90030", "100042"};
    enum { N = sizeof at / sizeof at[0] };
    snprintf(a, sizeof a, "run %s", img);
    struct outcome whole = run_to(dir, a);
    cr_assert_eq(whole.status, 7);
    cr_assert_str_eq(whole.out, PAGE_EDGE_OUT);
    int n = snprintf(a, sizeof a, "run %s", img);
    for (int k = 0; k < N; k++) n += snprintf(a + n, sizeof a - (size_t)n, " --save-at %s:%s/e%d.save", at[k], dir, k);
    struct outcome saving = run_to(dir, a);
    cr_assert_eq(saving.status, 7, "%s", a);
    cr_assert_str_eq(saving.out, whole.out, "%s: saving changes the output", a);
    cr_assert_str_eq(saving.stats, whole.stats, "%s: saving changes the statistics", a);
    for (int k = 0; k < N; k++) {
        snprintf(a, sizeof a, "run %s/e%d.save", dir, k);
        struct outcome back = run_to(dir, a);
        cr_assert_eq(back.status, 7, "saved at %s: %s", at[k], back.out);
        cr_assert(ends_with(whole.out, back.out), "saved at %s: output\n%s\nis not the end of\n%s", at[k], back.out,
                  whole.out);
        cr_assert_str_eq(back.stats, whole.stats, "saved at %s: statistics differ", at[k]);
        outcome_free(&back);
    }
    outcome_free(&saving);
    outcome_free(&whole);
}
