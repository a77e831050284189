/*
 * test_diffmodes.c — bare metal is the oracle: random guests from
 * build/genguest (tools/genguest.c) must print exactly what they print
 * natively under every virtualisation technique, and end the same way.
 *
 * The seeds are a fixed range (0 .. FIXED_SEEDS-1, at 2, 3 or 4 levels as
 * the seed rotates) plus those kept in tests/diffmodes_seeds.txt (seeds that
 * once found something).  One Test per technique and ISA, so that a failure
 * names the technique; each lists every seed that differs, with the first
 * differing line, native and virtualised.  The jit_ tests do the same with
 * the JIT (--engine jit) against the interpreter's bare metal.  `make fuzz-modes` is the same
 * comparison over many more seeds (tools/fuzz-modes.sh).
 *
 * Every test needs the same generated images and native runs; the runner
 * makes one cache directory for them all (the PRE_ALL hook below) so that
 * each is made once per run of the suite, whichever test gets there first.
 * Starting processes is what this suite spends its time on, under ASan most
 * (every run of the sanitizer build maps its shadow memory): runs are
 * spawned directly (fork and exec, no shell), images are assembled in the
 * test itself, and each test starts at its own part of the seeds.
 */
#include <criterion/criterion.h>
#include <criterion/hooks.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/helpers.h"

#define FIXED_SEEDS 40
#define MAX_SEEDS 256
#define MAX_CYCLES "40000000"   /* healthy runs need at most ~12M, in any mode */
#define CACHE_ENV "RINGSIM_DIFFMODES_CACHE"

#define MAX_OPTS 64

/* A seed, its page-table levels and the machine every run of it gets
 * (options such as "--tlb 4:2", native and virtualised alike; "" the
 * default machine). */
struct seeds {
    unsigned n;
    unsigned seed[MAX_SEEDS], levels[MAX_SEEDS];
    char opts[MAX_SEEDS][MAX_OPTS];
};

static void add_seed(struct seeds *s, unsigned seed, unsigned levels, const char *opts)
{
    for (unsigned i = 0; i < s->n; i++)
        if (s->seed[i] == seed && s->levels[i] == levels && !strcmp(s->opts[i], opts)) return;
    if (s->n < MAX_SEEDS) {
        s->seed[s->n] = seed;
        s->levels[s->n] = levels;
        snprintf(s->opts[s->n], MAX_OPTS, "%s", opts);
        s->n++;
    }
}

/* The fixed range, then tests/diffmodes_seeds.txt: "SEED [levels] [LEVELS]
 * [run OPTIONS...]" per line, '#' to the end of a line is a comment; levels
 * default to what the generator picks for the seed (2 + SEED % 3), and the
 * options after "run" (make fuzz-modes's FUZZ_RUNOPTS) go to every run of
 * the seed, native and virtualised. */
static void load_seeds(struct seeds *s)
{
    s->n = 0;
    for (unsigned i = 0; i < FIXED_SEEDS; i++) add_seed(s, i, 2 + i % 3, "");
    char *text = slurp(root_path("tests/diffmodes_seeds.txt"));
    cr_assert(text, "tests/diffmodes_seeds.txt is missing");
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        char *hash = strchr(line, '#');
        if (hash) *hash = 0;
        const char *opts = "";
        char *run = strstr(line, " run ");
        if (run) {
            *run = 0;
            opts = run + 5;
            opts += strspn(opts, " ");
            for (char *end = run + 5 + strlen(run + 5); end > opts && end[-1] == ' ';) *--end = 0;
            cr_assert(strlen(opts) < MAX_OPTS && !strpbrk(opts, "/'\"\\"),
                      "diffmodes_seeds.txt: run options in '%s' (at most %d characters, no paths)", line,
                      MAX_OPTS - 1);
        }
        unsigned seed, levels;
        char word[16];
        int n = sscanf(line, "%u %15s %u", &seed, word, &levels);
        if (n < 1) continue;
        if (n == 2) levels = (unsigned)atoi(word);
        else if (n == 3) cr_assert_str_eq(word, "levels", "diffmodes_seeds.txt: '%s'", line);
        else levels = 2 + seed % 3;
        cr_assert(levels >= 2 && levels <= 4, "diffmodes_seeds.txt: levels in '%s'", line);
        add_seed(s, seed, levels, opts);
    }
    free(text);
}

/* A file-name part for run options: letters and digits, the rest '_'. */
static const char *opts_tag(const char *opts)
{
    static char tag[MAX_OPTS + 1];
    size_t i = 0;
    tag[i++] = '-';
    for (; *opts && i < MAX_OPTS; opts++)
        tag[i++] = (char)((*opts >= 'a' && *opts <= 'z') || (*opts >= '0' && *opts <= '9') ? *opts : '_');
    tag[i] = 0;
    return i > 1 ? tag : "";
}

/* Runs argv (argv[0] a path) with stdin from /dev/null, stdout and stderr to
 * files; returns the exit status, or 128 + the signal that ended it. */
static int spawn(char *const argv[], const char *out, const char *err)
{
    pid_t pid = fork();
    cr_assert(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        int i = open("/dev/null", O_RDONLY);
        int o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int e = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (i < 0 || o < 0 || e < 0) _exit(126);
        dup2(i, 0);
        dup2(o, 1);
        dup2(e, 2);
        /* a hung simulator must fail the test, not hang the suite (the
         * alarm survives exec, and SIGALRM ends the program) */
        alarm(120);
        execv(argv[0], argv);
        _exit(127);
    }
    int st;
    while (waitpid(pid, &st, 0) < 0)
        cr_assert(errno == EINTR, "waitpid: %s", strerror(errno));
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static const char *ringsim_bin(void)
{
    const char *b = getenv("RINGSIM_BIN");
    static char buf[4096];
    snprintf(buf, sizeof buf, "%s", b ? b : root_path("ringsim"));
    return buf;
}

/* The directory shared by every test of this run (else one of its own). */
static const char *cache_dir(void)
{
    static char dir[256];
    if (!dir[0]) {
        const char *c = getenv(CACHE_ENV);
        snprintf(dir, sizeof dir, "%s", c && *c ? c : temp_dir());
    }
    return dir;
}

static bool exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* Writes what the file at tmp holds to path, atomically (another test may
 * be making the same file at the same time: either copy is right). */
static void publish(const char *tmp, const char *path)
{
    cr_assert(rename(tmp, path) == 0, "rename %s: %s", path, strerror(errno));
}

/* The image of seed at levels, generated and assembled once.  The assembly
 * is done here, with the assembler `ringsim asm` is built from (isa/asm.c):
 * under ASan a process saved per seed is a good part of the suite's time. */
static const char *image_of(unsigned seed, unsigned levels)
{
    static char img[512];
    char src[512], err[600], s_seed[16], s_levels[8], gen[4096];
    snprintf(img, sizeof img, "%s/s%u-l%u.img", cache_dir(), seed, levels);
    if (exists(img)) return img;
    snprintf(src, sizeof src, "%s/s%u-l%u.%d.s", cache_dir(), seed, levels, (int)getpid());
    snprintf(err, sizeof err, "%s/gen.%d.err", cache_dir(), (int)getpid());
    snprintf(s_seed, sizeof s_seed, "%u", seed);
    snprintf(s_levels, sizeof s_levels, "%u", levels);
    snprintf(gen, sizeof gen, "%s", root_path("build/genguest"));
    char *argv[] = {gen, s_seed, "--levels", s_levels, "-o", src, NULL};
    int st = spawn(argv, "/dev/null", err);
    char *msg = slurp(err);
    cr_assert_eq(st, 0, "build/genguest %u --levels %u: status %d (make build/genguest?) %s", seed, levels,
                 st, msg ? msg : "");
    free(msg);
    unlink(err);
    char *diag = NULL;
    size_t dlen = 0;
    FILE *df = open_memstream(&diag, &dlen);
    struct isa_asm_options opt = {.diag = df};
    struct isa_image image = {0};
    int errors = isa_assemble_file(src, &opt, &image);
    fclose(df);
    cr_assert_eq(errors, 0, "seed %u levels %u does not assemble:\n%s", seed, levels, diag);
    free(diag);
    char why[256];
    /* written atomically: a test making the same image at once is harmless */
    cr_assert(isa_image_write(img, &image, why, sizeof why), "%s: %s", img, why);
    isa_image_free(&image);
    unlink(src);
    return img;
}

/* Runs the image with extra arguments; returns its stdout, status in *st. */
static char *run_image(const char *img, unsigned levels, const char *extra, int *st)
{
    char bin[4096], lv[8], buf[256], out[600], err[600];
    char *argv[32];
    int n = 0;
    snprintf(bin, sizeof bin, "%s", ringsim_bin());
    snprintf(lv, sizeof lv, "%u", levels);
    snprintf(buf, sizeof buf, "%s", extra);
    argv[n++] = bin;
    argv[n++] = "run";
    argv[n++] = (char *)img;
    for (char *w = strtok(buf, " "); w && n < 26; w = strtok(NULL, " ")) argv[n++] = w;
    argv[n++] = "--levels";
    argv[n++] = lv;
    argv[n++] = "--max-cycles";
    argv[n++] = MAX_CYCLES;
    argv[n] = NULL;
    snprintf(out, sizeof out, "%s/run.%d.out", cache_dir(), (int)getpid());
    snprintf(err, sizeof err, "%s/run.%d.err", cache_dir(), (int)getpid());
    *st = spawn(argv, out, err);
    char *text = slurp(out);
    unlink(out);
    unlink(err);
    return text ? text : strdup("");
}

/* The native run of seed on isa, made once: its output, status in *st. */
static char *native_of(unsigned seed, unsigned levels, const char *opts, const char *isa, int *st)
{
    char out[600], stf[600], tmp[700];
    snprintf(out, sizeof out, "%s/s%u-l%u%s-%s.out", cache_dir(), seed, levels, opts_tag(opts), isa);
    snprintf(stf, sizeof stf, "%s/s%u-l%u%s-%s.status", cache_dir(), seed, levels, opts_tag(opts), isa);
    char *text = exists(stf) ? slurp(out) : NULL;
    char *status = text ? slurp(stf) : NULL;
    if (text && status) {
        *st = atoi(status);
        free(status);
        return text;
    }
    free(text);
    free(status);
    const char *img = image_of(seed, levels);
    char extra[160];
    snprintf(extra, sizeof extra, "--isa %s %s", isa, opts);
    text = run_image(img, levels, extra, st);
    snprintf(tmp, sizeof tmp, "%s.%d.tmp", out, (int)getpid());
    FILE *f = fopen(tmp, "w");
    cr_assert(f);
    fputs(text, f);
    fclose(f);
    publish(tmp, out);
    snprintf(tmp, sizeof tmp, "%s.%d.tmp", stf, (int)getpid());
    f = fopen(tmp, "w");
    cr_assert(f);
    fprintf(f, "%d\n", *st);
    fclose(f);
    publish(tmp, stf);
    return text;
}

/* Line k (from 1) of text, into buf. */
static const char *line_at(const char *text, unsigned k, char *buf, size_t len)
{
    for (unsigned i = 1; i < k && text; i++) {
        text = strchr(text, '\n');
        if (text) text++;
    }
    if (!text || !*text) return "(end of output)";
    size_t n = strcspn(text, "\n");
    snprintf(buf, len, "%.*s", (int)(n < len - 1 ? n : len - 1), text);
    return buf;
}

/* The number of the first line where a and b differ (0 if none). */
static unsigned first_diff(const char *a, const char *b)
{
    unsigned line = 1;
    for (; *a && *a == *b; a++, b++)
        if (*a == '\n') line++;
    return *a == *b ? 0 : line;
}

/* part: this test's place among the seven (0..6).  Each test starts at its
 * own seventh of the seeds, so that tests running at the same time make the
 * images and native runs for each other instead of making the same ones. */
static void check_mode(unsigned part, const char *name, const char *args, const char *isa)
{
    struct seeds s;
    load_seeds(&s);
    char *report = NULL;
    size_t rlen = 0;
    FILE *rep = open_memstream(&report, &rlen);
    unsigned nfail = 0;
    for (unsigned j = 0; j < s.n; j++) {
        unsigned i = (j + part * s.n / 7) % s.n;
        int nst, vst;
        char *native = native_of(s.seed[i], s.levels[i], s.opts[i], isa, &nst);
        char vargs[200];
        snprintf(vargs, sizeof vargs, "%s %s", args, s.opts[i]);
        char *virt = run_image(image_of(s.seed[i], s.levels[i]), s.levels[i], vargs, &vst);
        unsigned k = first_diff(native, virt);
        if (k || nst != vst || vst > 128) {
            if (++nfail <= 6) {
                char b1[200], b2[200];
                fprintf(rep, "seed %u levels %u mode %s%s%s:", s.seed[i], s.levels[i], name,
                        *s.opts[i] ? " with " : "", s.opts[i]);
                if (k)
                    fprintf(rep, " first difference at line %u:\n    native: %s\n    %s: %s\n", k,
                            line_at(native, k, b1, sizeof b1), name, line_at(virt, k, b2, sizeof b2));
                if (nst != vst || vst > 128)
                    fprintf(rep, "%s    exit status %d, native %d%s\n", k ? "" : "\n", vst, nst,
                            vst > 128 ? " (the simulator died)" : "");
            } else {
                fprintf(rep, "seed %u levels %u differs too\n", s.seed[i], s.levels[i]);
            }
        }
        free(native);
        free(virt);
    }
    fclose(rep);
    cr_assert_eq(nfail, 0, "%s: %u of %u seeds differ from bare metal (reproduce: build/genguest SEED "
                 "--levels L -o g.s; ringsim asm g.s -o g.img; ringsim run g.img --levels L %s):\n%s",
                 name, nfail, s.n, args, report);
    free(report);
}

Test(diffmodes, te_strict) { check_mode(0, "te-strict", "--mode te --mmu shadow --isa strict", "strict"); }
Test(diffmodes, bt_strict) { check_mode(1, "bt-strict", "--mode bt --mmu shadow --isa strict", "strict"); }
Test(diffmodes, bt_classic) { check_mode(2, "bt-classic", "--mode bt --mmu shadow --isa classic", "classic"); }
Test(diffmodes, hw_shadow_strict)
{
    check_mode(3, "hw-shadow-strict", "--mode hw --mmu shadow --isa strict", "strict");
}
Test(diffmodes, hw_shadow_classic)
{
    check_mode(4, "hw-shadow-classic", "--mode hw --mmu shadow --isa classic", "classic");
}
Test(diffmodes, hw_nested_strict)
{
    check_mode(5, "hw-nested-strict", "--mode hw --mmu nested --isa strict", "strict");
}
Test(diffmodes, hw_nested_classic)
{
    check_mode(6, "hw-nested-classic", "--mode hw --mmu nested --isa classic", "classic");
}

/* The JIT (--engine jit, cpu/jit.c) held to the interpreter's bare metal,
 * natively and under every technique. */
Test(diffmodes, jit_native_strict) { check_mode(0, "jit-native-strict", "--engine jit --jit-threshold 1 --isa strict", "strict"); }
Test(diffmodes, jit_native_classic) { check_mode(1, "jit-native-classic", "--engine jit --jit-threshold 1 --isa classic", "classic"); }
Test(diffmodes, jit_te_strict)
{
    check_mode(2, "jit-te-strict", "--engine jit --jit-threshold 1 --mode te --mmu shadow --isa strict", "strict");
}
Test(diffmodes, jit_bt_classic)
{
    check_mode(3, "jit-bt-classic", "--engine jit --jit-threshold 1 --mode bt --mmu shadow --isa classic", "classic");
}
Test(diffmodes, jit_hw_shadow_strict)
{
    check_mode(4, "jit-hw-shadow-strict", "--engine jit --jit-threshold 1 --mode hw --mmu shadow --isa strict", "strict");
}
Test(diffmodes, jit_hw_nested_classic)
{
    check_mode(5, "jit-hw-nested-classic", "--engine jit --jit-threshold 1 --mode hw --mmu nested --isa classic", "classic");
}

/* The generator itself: a seed means one program, and every native run
 * ends the way the generator meant — its final dump ("E"), then a clean
 * power-off, or the double fault (exit 4) or triple fault (125) of its
 * final act — never at the cycle limit, the trap limit or a crash. */
Test(diffmodes, the_generator_is_deterministic_and_its_guests_finish_natively)
{
    char a[600], b[600], s_seed[16];
    const char *dir = temp_dir();
    snprintf(a, sizeof a, "%s/a.s", dir);
    snprintf(b, sizeof b, "%s/b.s", dir);
    snprintf(s_seed, sizeof s_seed, "%u", 12345u);
    char gen[4096];
    snprintf(gen, sizeof gen, "%s", root_path("build/genguest"));
    char *g1[] = {gen, s_seed, "-o", a, NULL}, *g2[] = {gen, s_seed, "-o", b, NULL};
    cr_assert_eq(spawn(g1, "/dev/null", "/dev/null"), 0);
    cr_assert_eq(spawn(g2, "/dev/null", "/dev/null"), 0);
    char *ta = slurp(a), *tb = slurp(b);
    cr_assert(ta && tb);
    cr_assert_str_eq(ta, tb, "the same seed gave two programs");
    free(ta);
    free(tb);
    unlink(a);
    unlink(b);
    rmdir(dir);

    struct seeds s;
    load_seeds(&s);
    for (unsigned i = 0; i < s.n; i++)
        for (int j = 0; j < 2; j++) {
            const char *isa = j ? "classic" : "strict";
            int st;
            char *out = native_of(s.seed[i], s.levels[i], s.opts[i], isa, &st);
            cr_assert(st == 0 || st == 4 || st == 125, "seed %u levels %u (%s): native exit status %d", s.seed[i],
                      s.levels[i], isa, st);
            cr_assert(strstr(out, "\nE\n"), "seed %u levels %u (%s): no final dump natively", s.seed[i],
                      s.levels[i], isa);
            free(out);
        }
}

/* The runner process makes the cache before it starts the tests (they
 * inherit the variable) and removes it when they are all done.  A runner
 * that is killed leaves its cache behind: the name carries the runner's pid,
 * and the next runner removes the caches of runners that no longer exist. */
static char cache_root[64];

static void remove_tree(const char *dir)
{
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "test_diffmodes: could not remove %s\n", dir);
}

ReportHook(PRE_ALL)(struct criterion_test_set *set)
{
    (void)set;
    DIR *tmp = opendir("/tmp");
    for (struct dirent *e; tmp && (e = readdir(tmp));) {
        int pid;
        char path[300];
        if (strncmp(e->d_name, "ringsim-diffmodes-", 18) != 0 || strlen(e->d_name) > 200) continue;
        if (sscanf(e->d_name, "ringsim-diffmodes-%d-", &pid) != 1 || pid <= 0) continue;
        if (kill(pid, 0) == 0 || errno != ESRCH) continue;
        snprintf(path, sizeof path, "/tmp/%s", e->d_name);
        remove_tree(path);
    }
    if (tmp) closedir(tmp);
    snprintf(cache_root, sizeof cache_root, "/tmp/ringsim-diffmodes-%d-XXXXXX", (int)getpid());
    if (mkdtemp(cache_root)) setenv(CACHE_ENV, cache_root, 1);
    else cache_root[0] = 0;
}

ReportHook(POST_ALL)(struct criterion_global_stats *stats)
{
    (void)stats;
    if (cache_root[0]) remove_tree(cache_root);
}
