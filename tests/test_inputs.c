/*
 * test_inputs.c — every input ringsim reads is bounded: whatever a file,
 * an option or a script holds, the answer is a result or a clear error, in
 * bounded time and memory — never a hang, a crash or a silent success.
 *
 * One test per mechanism: profile costs that would stop the cycle count,
 * expressions nested without end (assembler and debugger), files that are
 * not regular files or are too big (.include, --profile, --input-file,
 * --batch, images, sources), ELF counts that promise more than the file
 * holds, symbol tables big enough to expose quadratic lookups, and trace
 * files that cannot be written.  Then the fuzzers' regression inputs
 * (tests/fuzz/regressions/TARGET/), replayed through the fuzz targets' own
 * entry points, #included below.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli.h"
#include "tests/helpers.h"
#include "tests/test_debugger.h"
#include "visualise/debugger.h"

#define FUZZ_REPLAY
#include "tests/fuzz/fuzz_asm.c"
#include "tests/fuzz/fuzz_debugger.c"
#include "tests/fuzz/fuzz_elf.c"
#include "tests/fuzz/fuzz_profile.c"

/* ---- helpers ---------------------------------------------------------------- */

/* CPU seconds used so far by this process and the children it waited for:
 * what a time bound should measure on a machine that may be busy with
 * other work (the wall clock would blame us for its load). */
static double now(void)
{
    struct rusage self, kids;
    getrusage(RUSAGE_SELF, &self);
    getrusage(RUSAGE_CHILDREN, &kids);
    return (double)(self.ru_utime.tv_sec + self.ru_stime.tv_sec + kids.ru_utime.tv_sec + kids.ru_stime.tv_sec) +
           (double)(self.ru_utime.tv_usec + self.ru_stime.tv_usec + kids.ru_utime.tv_usec + kids.ru_stime.tv_usec) /
               1e6;
}

/* Runs `ringsim ARGS` with stdin from `in` (NULL: /dev/null), killed after
 * `secs` seconds (status 137) so that a hang fails the test quickly rather
 * than hold up the suite; stdout and stderr captured (malloc'd) if non-NULL. */
static int run_bounded(int secs, const char *args, const char *in, char **out, char **err)
{
    const char *bin = getenv("RINGSIM_BIN");
    if (!bin) bin = root_path("ringsim");
    const char *dir = temp_dir();
    char o[128], e[128], cmd[8192];
    snprintf(o, sizeof o, "%s/out", dir);
    snprintf(e, sizeof e, "%s/err", dir);
    snprintf(cmd, sizeof cmd, "timeout -s KILL %d '%s' %s >'%s' 2>'%s' <'%s'", secs, bin, args, o, e,
             in ? in : "/dev/null");
    int st = system(cmd);
    if (out && !(*out = slurp(o))) *out = strdup("");
    if (err && !(*err = slurp(e))) *err = strdup("");
    unlink(o);
    unlink(e);
    rmdir(dir);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    cr_assert(f, "cannot write %s", path);
    fputs(text, f);
    cr_assert_eq(fclose(f), 0);
}

/* Assembles text in-process; returns the error count, diagnostics in *diag. */
static int assemble_text(const char *name, const char *text, struct isa_image *img, char **diag)
{
    size_t len = 0;
    *diag = NULL;
    FILE *df = open_memstream(diag, &len);
    cr_assert(df);
    struct isa_asm_options opt = {.diag = df, .text_base = 0x1000};
    int errors = isa_assemble_string(name, text, &opt, img);
    fclose(df);
    return errors;
}

/* head, n copies of unit, then tail (malloc'd). */
static char *repeat(const char *head, const char *unit, size_t n, const char *tail)
{
    size_t hl = strlen(head), ul = strlen(unit), tl = strlen(tail);
    char *s = malloc(hl + ul * n + tl + 1);
    cr_assert(s);
    memcpy(s, head, hl);
    for (size_t i = 0; i < n; i++) memcpy(s + hl + i * ul, unit, ul);
    memcpy(s + hl + ul * n, tail, tl + 1);
    return s;
}

/* ---- 1. profiles: no cost may stop the cycle count ---------------------------- */

static bool load_profile_text(const char *text, char *err, size_t errlen)
{
    const char *dir = temp_dir();
    char path[128];
    snprintf(path, sizeof path, "%s/p.ini", dir);
    write_text(path, text);
    struct profile p;
    bool ok = profile_load(path, &p, err, errlen);
    unlink(path);
    rmdir(dir);
    return ok;
}

Test(inputs, profile_zero_cost_refused)
{
    /* end to end: this profile used to make --max-cycles unreachable (a hang) */
    const char *dir = temp_dir();
    char ini[128], args[256], *err;
    snprintf(ini, sizeof ini, "%s/zero.ini", dir);
    write_text(ini, "[class]\nalu = 0\nload = 0\nstore = 0\nbranch = 0\njump = 0\n");
    snprintf(args, sizeof args, "run loop --profile %s --max-cycles 1000", ini);
    cr_assert_eq(run_bounded(20, args, NULL, NULL, &err), EXIT_USAGE, "%s", err);
    cr_assert(strstr(err, "zero.ini:2: 'alu' = '0': expected at least 1 cycle"), "%s", err);
    free(err);
    unlink(ini);
    rmdir(dir);

    /* every class, trap entry and VM exit; the costs that may be 0 still may */
    char msg[512];
    static const char *const refused[][2] = {
        {"[class]\nmul = 0\n", ":2: 'mul' = '0': expected at least 1 cycle"},
        {"[class]\nio=0\n", ":2: 'io' = '0': expected at least 1 cycle"},
        {"; traps\n[cost]\ntrap_entry = 0\n", ":3: 'trap_entry' = '0': expected at least 1 cycle"},
        {"[cost]\nvm_exit = 0\n", ":2: 'vm_exit' = '0': expected at least 1 cycle"},
        /* the decoder keeps 16 bits of a class cost: 65536 would be free */
        {"[class]\nalu = 65536\n", ":2: 'alu' = '65536': expected a whole number of cycles, 1..65535"},
        {"[cost]\nwalk_ref = 4000000000\n", ":2: 'walk_ref' = '4000000000': expected a whole number of cycles"},
        /* the first error is the one reported, with its own line (inih goes on after it) */
        {"[class]\nalu = 0\n[cost]\nnosuchcost = 1\n", ":2: 'alu' = '0': expected at least 1 cycle"},
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        cr_assert_not(load_profile_text(refused[i][0], msg, sizeof msg), "accepted: %s", refused[i][0]);
        cr_assert(strstr(msg, refused[i][1]), "'%s' lacks '%s'", msg, refused[i][1]);
    }
    cr_assert(load_profile_text("[cost]\ntlb_hit = 0\nmem_ref = 0\nwalk_ref = 0\ntrap_return = 0\nio_access = 0\n"
                                "vm_entry = 0\nvmcs_read = 0\nvmcs_write = 0\nhv_op = 0\nbt_translate = 0\n"
                                "bt_callout = 0\n[class]\nalu = 65535\n",
                                msg, sizeof msg),
              "%s", msg);
}

Test(inputs, profile_nul_byte_refused)
{
    const char *dir = temp_dir();
    char path[128], msg[512];
    snprintf(path, sizeof path, "%s/nul.ini", dir);
    FILE *f = fopen(path, "wb");
    cr_assert(f);
    fwrite("[cost]\nmem_ref = 1\n\0walk_ref = 0\n", 1, 34, f);
    fclose(f);
    struct profile p;
    cr_assert_not(profile_load(path, &p, msg, sizeof msg));
    cr_assert(strstr(msg, "nul.ini:3: a NUL byte"), "%s", msg);
    unlink(path);
    rmdir(dir);
}

/* ---- 2. expressions nested without end ------------------------------------------ */

Test(inputs, asm_deep_parentheses_is_an_error)
{
    struct isa_image img;
    char *diag;
    char *src = repeat(".word ", "(", 100000, "1");
    char *close = repeat(src, ")", 100000, "\n");
    free(src);
    cr_assert_eq(assemble_text("deep.s", close, &img, &diag), 1, "%s", diag);
    /* the 257th '(' is where it stops: column 6 + 256 + 1 */
    cr_assert(strstr(diag, "deep.s:1:263: error: expression nested too deeply"), "%.300s", diag);
    cr_assert(strlen(diag) < 2000, "the diagnostic shows a window of the line, not all 200000 characters");
    free(diag);
    free(close);

    /* deep but within the limit still works: 200 levels */
    src = repeat(".word ", "(", 200, "7");
    close = repeat(src, ")", 200, "\n");
    cr_assert_eq(assemble_text("ok.s", close, &img, &diag), 0, "%s", diag);
    cr_assert_eq(img.segments[0].data[0], 7);
    isa_image_free(&img);
    free(diag);
    free(src);
    free(close);
}

Test(inputs, asm_deep_unary_minus_is_an_error)
{
    struct isa_image img;
    char *diag;
    char *src = repeat(".word ", "-", 100000, "1\n");
    cr_assert_eq(assemble_text("neg.s", src, &img, &diag), 1, "%s", diag);
    cr_assert(strstr(diag, "neg.s:1:263: error: expression nested too deeply"), "%.300s", diag);
    free(diag);
    free(src);
    /* %hi( nests too */
    src = repeat(" li r1, ", "%hi(", 1000, "1\n");
    cr_assert_geq(assemble_text("hi.s", src, &img, &diag), 1, "%s", diag);
    cr_assert(strstr(diag, "expression nested too deeply"), "%.300s", diag);
    free(diag);
    free(src);
}

Test(inputs, debugger_deep_expression_is_an_error)
{
    struct dsession *s = ds_open("hello", "native", 0, 0);
    char err[256];
    uint32_t v = 0;
    char *parens = repeat("", "(", 100000, "1");
    char *expr = repeat(parens, ")", 100000, "");
    cr_assert_not(dbg_eval_all(s->d, expr, &v, err, sizeof err));
    cr_assert(strstr(err, "expression nested too deeply"), "%s", err);
    free(parens);
    free(expr);
    for (const char *op = "-!~*"; *op; op++) {
        char unit[2] = {*op, 0};
        expr = repeat("", unit, 100000, "4");
        cr_assert_not(dbg_eval_all(s->d, expr, &v, err, sizeof err), "%c", *op);
        cr_assert(strstr(err, "expression nested too deeply"), "%c: %s", *op, err);
        free(expr);
    }
    /* within the limit: 200 levels */
    parens = repeat("", "(", 200, "6*7");
    expr = repeat(parens, ")", 200, "");
    cr_assert(dbg_eval_all(s->d, expr, &v, err, sizeof err), "%s", err);
    cr_assert_eq(v, 42);
    free(parens);
    free(expr);
    ds_close(s);
}

/* ---- 3. source files: regular, bounded, includes and macros bounded ------------- */

Test(inputs, include_dev_zero_refused)
{
    struct isa_image img;
    char *diag;
    double t0 = now();
    cr_assert_eq(assemble_text("z.s", " .include \"/dev/zero\"\n", &img, &diag), 1, "%s", diag);
    cr_assert(strstr(diag, "z.s:1:11: error: cannot open include file '/dev/zero': not a regular file "
                           "(a character device)"), "%s", diag);
    free(diag);
    cr_assert_eq(assemble_text("d.s", ".include \"/tmp\"\n", &img, &diag), 1, "%s", diag);
    cr_assert(strstr(diag, "d.s:1:10: error: cannot open include file '/tmp': Is a directory"), "%s", diag);
    free(diag);
    cr_assert_lt(now() - t0, 5.0);

    /* a file over 16 MiB (sparse: nothing is written) */
    const char *dir = temp_dir();
    char big[128], src[256];
    snprintf(big, sizeof big, "%s/big.s", dir);
    FILE *f = fopen(big, "w");
    cr_assert(f);
    cr_assert_eq(ftruncate(fileno(f), (16 << 20) + 1), 0);
    fclose(f);
    snprintf(src, sizeof src, ".include \"%s\"\n", big);
    cr_assert_eq(assemble_text("b.s", src, &img, &diag), 1, "%s", diag);
    cr_assert(strstr(diag, "File too large (16777217 bytes, at most 16777216)"), "%s", diag);
    free(diag);
    /* and as the main file, through the command */
    char args[300], *err;
    snprintf(args, sizeof args, "asm %s -o %s/b.img", big, dir);
    cr_assert_eq(run_bounded(20, args, NULL, NULL, &err), 1, "%s", err);
    cr_assert(strstr(err, "File too large"), "%s", err);
    free(err);
    unlink(big);
    rmdir(dir);
}

Test(inputs, asm_nul_byte_is_an_error)
{
    const char *dir = temp_dir();
    char path[128];
    snprintf(path, sizeof path, "%s/nul.s", dir);
    FILE *f = fopen(path, "wb");
    cr_assert(f);
    fwrite("_start: nop\n nop\0 hlt\n", 1, 22, f);
    fclose(f);
    char *diag = NULL;
    size_t len = 0;
    FILE *df = open_memstream(&diag, &len);
    struct isa_asm_options opt = {.diag = df};
    struct isa_image img;
    cr_assert_eq(isa_assemble_file(path, &opt, &img), 1);
    fclose(df);
    cr_assert(strstr(diag, "nul.s:2:5: error: a NUL byte in the source; expected text"), "%s", diag);
    free(diag);
    unlink(path);
    rmdir(dir);
}

Test(inputs, includes_and_macros_are_bounded)
{
    struct isa_image img;
    char *diag;
    const char *dir = temp_dir();
    char self[128], src[256];
    snprintf(self, sizeof self, "%s/self.s", dir);
    snprintf(src, sizeof src, ".include \"%s\"\n", self);
    write_text(self, src);
    double t0 = now();
    cr_assert_geq(assemble_text("i.s", src, &img, &diag), 1, "%s", diag);
    cr_assert(strstr(diag, "nested more than 16 deep"), "%s", diag);
    free(diag);

    /* arguments that double at each of 60 levels: 2^60 bytes unless bounded
     * (tests/fuzz/regressions/asm/macro-arguments-doubling.s too) */
    const char *grow = ".macro m n, a\n .if \\n\n m (\\n-1), \\a\\a\n .endif\n.endm\n m 60, x\n";
    cr_assert_geq(assemble_text("g.s", grow, &img, &diag), 1, "%s", diag);
    cr_assert(strstr(diag, "g.s:3:2: error: the expansion of macro 'm' makes a line longer than 1 MiB"), "%s", diag);
    free(diag);

    /* a line as long as that in a file */
    char *longline = repeat(".word 0", ",0", 600000, "\n nop\n");
    cr_assert_eq(assemble_text("l.s", longline, &img, &diag), 1, "%s", diag);
    cr_assert(strstr(diag, "l.s:1:1: error: line longer than 1 MiB (1200007 bytes)"), "%.300s", diag);
    free(diag);
    free(longline);

    /* a file of 1 MiB of long lines, included 2^15 times: bounded text per pass */
    char line[128];
    snprintf(line, sizeof line, "%s/line.s", dir);
    char *comment = repeat("#", "x", 65534, "\n"), *lines = repeat("", comment, 16, "");
    write_text(line, lines);
    free(comment);
    free(lines);
    snprintf(src, sizeof src, ".macro inc n\n .include \"%s\"\n .if \\n\n inc (\\n-1)\n inc (\\n-1)\n"
                              " .endif\n.endm\n inc 14\n", line);
    cr_assert_geq(assemble_text("r.s", src, &img, &diag), 1, "%s", diag);
    cr_assert(strstr(diag, "more than 32 MiB of source text in one pass"), "%s", diag);
    free(diag);
    cr_assert_lt(now() - t0, 30.0, "took %.1f s", now() - t0);
    unlink(self);
    unlink(line);
    rmdir(dir);
}

/* ---- 4. ELF images: counts and sizes checked against the file ------------------- */

/* An ELF image of about 1 MB whose nsyms symbols all name one string of
 * namelen bytes: each symbol is a few bytes of file, but its name is copied
 * out once per symbol. */
static uint8_t *shared_name_image(size_t nsyms, size_t namelen, size_t *len)
{
    static const char shstr[] = "\0.text\0.symtab\0.strtab\0.shstrtab";
    size_t text_off = sizeof(Elf32_Ehdr) + sizeof(Elf32_Phdr), sym_off = text_off + 4,
           str_off = sym_off + nsyms * sizeof(Elf32_Sym), shs_off = str_off + namelen + 2,
           sh_off = (shs_off + sizeof shstr + 3) & ~(size_t)3, total = sh_off + 5 * sizeof(Elf32_Shdr);
    uint8_t *b = calloc(1, total);
    cr_assert(b);
    Elf32_Ehdr eh = {.e_type = ET_EXEC, .e_machine = EM_RINGSIM, .e_version = EV_CURRENT, .e_entry = 0x1000,
                     .e_phoff = sizeof eh, .e_shoff = (Elf32_Off)sh_off, .e_ehsize = sizeof eh,
                     .e_phentsize = sizeof(Elf32_Phdr), .e_phnum = 1, .e_shentsize = sizeof(Elf32_Shdr),
                     .e_shnum = 5, .e_shstrndx = 4};
    memcpy(eh.e_ident, ELFMAG, SELFMAG);
    eh.e_ident[EI_CLASS] = ELFCLASS32;
    eh.e_ident[EI_DATA] = ELFDATA2LSB;
    eh.e_ident[EI_VERSION] = EV_CURRENT;
    memcpy(b, &eh, sizeof eh);
    Elf32_Phdr ph = {PT_LOAD, (Elf32_Off)text_off, 0x1000, 0x1000, 4, 4, PF_R | PF_X, 4};
    memcpy(b + sizeof eh, &ph, sizeof ph);
    for (size_t i = 1; i < nsyms; i++) {
        Elf32_Sym s = {.st_name = 1, .st_value = 0x1000, .st_info = ELF32_ST_INFO(STB_GLOBAL, STT_NOTYPE),
                       .st_shndx = 1};
        memcpy(b + sym_off + i * sizeof s, &s, sizeof s);
    }
    memset(b + str_off + 1, 'A', namelen);
    memcpy(b + shs_off, shstr, sizeof shstr);
    Elf32_Shdr sh[5] = {
        {0},
        {1, SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR, 0x1000, (Elf32_Off)text_off, 4, 0, 0, 4, 0},
        {7, SHT_SYMTAB, 0, 0, (Elf32_Off)sym_off, (Elf32_Word)(nsyms * sizeof(Elf32_Sym)), 3, 1, 4, sizeof(Elf32_Sym)},
        {15, SHT_STRTAB, 0, 0, (Elf32_Off)str_off, (Elf32_Word)(namelen + 2), 0, 0, 1, 0},
        {23, SHT_STRTAB, 0, 0, (Elf32_Off)shs_off, sizeof shstr, 0, 0, 1, 0},
    };
    memcpy(b + sh_off, sh, sizeof sh);
    *len = total;
    return b;
}

Test(inputs, elf_huge_symbol_count_refused)
{
    /* 30000 symbols x a 500 KB name: 15 GB from a 1 MB file, before */
    size_t len;
    uint8_t *b = shared_name_image(30000, 500000, &len);
    cr_assert_lt(len, 1100000u);
    struct isa_image img;
    char err[512];
    double t0 = now();
    cr_assert_not(isa_image_parse(b, len, "huge.img", &img, err, sizeof err));
    cr_assert(strstr(err, "huge.img: symbol 2: the symbol names add up to more than the file's"), "%s", err);
    cr_assert_lt(now() - t0, 2.0);
    free(b);
    /* sharing within the file's size is still fine: 10 symbols x 50 bytes */
    b = shared_name_image(10, 50, &len);
    cr_assert(isa_image_parse(b, len, "ok.img", &img, err, sizeof err), "%s", err);
    cr_assert_eq(img.nsymbols, 9);
    isa_image_free(&img);
    free(b);
}

/* ---- 5. many symbols: sub-quadratic lookups ------------------------------------- */

Test(inputs, eighty_thousand_symbols_assemble_fast)
{
    enum { N = 80000 };
    char *src = malloc((size_t)N * 64 + 64);
    cr_assert(src);
    /* each label refers to another, before or after it */
    size_t n = (size_t)sprintf(src, "_start: j s0\n");
    for (int i = 0; i < N; i++) n += (size_t)sprintf(src + n, "s%d: .word s%d\n", i, (i * 7 + 1) % N);
    struct isa_image img;
    char *diag;
    double t0 = now();
    int errors = assemble_text("many.s", src, &img, &diag);
    double dt = now() - t0;
    cr_assert_eq(errors, 0, "%.500s", diag);
    cr_assert_eq(img.nsymbols, N + 1);
    cr_assert_lt(dt, 5.0, "80000 symbols took %.2f s", dt);

    /* and the disassembler over them, through the command */
    const char *dir = temp_dir();
    char path[128], args[256], err[512], *out;
    snprintf(path, sizeof path, "%s/many.img", dir);
    cr_assert(isa_image_write(path, &img, err, sizeof err), "%s", err);
    snprintf(args, sizeof args, "disasm %s", path);
    t0 = now();
    cr_assert_eq(run_bounded(60, args, NULL, &out, NULL), 0);
    dt = now() - t0;
    cr_assert(strstr(out, "s79999:"), "every label shown");
    cr_assert_lt(dt, 10.0, "disasm of 80000 symbols took %.2f s", dt);
    free(out);
    unlink(path);
    rmdir(dir);
    isa_image_free(&img);
    free(diag);
    free(src);
}

Test(inputs, many_numeric_labels_and_macros_assemble_fast)
{
    enum { N = 20000 };
    char *src = malloc((size_t)N * 80 + 64);
    cr_assert(src);
    size_t n = 0;
    for (int i = 0; i < N; i++) n += (size_t)sprintf(src + n, ".macro m%d\n nop\n.endm\n", i);
    n += (size_t)sprintf(src + n, "_start:\n");
    for (int i = 0; i < N; i++) n += (size_t)sprintf(src + n, "%d: m%d\n j %db\n", i + 1, N - 1 - i, i + 1);
    struct isa_image img;
    char *diag;
    double t0 = now();
    int errors = assemble_text("nums.s", src, &img, &diag);
    double dt = now() - t0;
    cr_assert_eq(errors, 0, "%.500s", diag);
    cr_assert_eq(img.segments[0].memsz, 8u * N);
    cr_assert_lt(dt, 5.0, "%d numeric labels and macros took %.2f s", N, dt);
    isa_image_free(&img);
    free(diag);
    free(src);
}

/* ---- 6. traces that cannot be written ------------------------------------------------ */

Test(inputs, trace_to_dev_full_fails)
{
    char *out, *err;
    cr_assert_eq(run_bounded(60, "run tour --trace all:/dev/full", NULL, &out, &err), EXIT_USAGE, "%s", err);
    cr_assert(strstr(err, "ringsim run: --trace: /dev/full: No space left on device"), "%s", err);
    cr_assert(strstr(out, "user: hello from ring 3"), "the guest still ran: %s", out);
    free(out);
    free(err);
    /* the trace on stdout, and stdout full */
    const char *bin = getenv("RINGSIM_BIN");
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "timeout -s KILL 60 '%s' run tour --trace trap:- >/dev/full 2>/dev/null",
             bin ? bin : root_path("ringsim"));
    int st = system(cmd);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == EXIT_USAGE, "status %d", st);
    /* an unwritable file is refused up front, with the reason */
    cr_assert_eq(run_bounded(20, "run tour --trace all:/nonexistent/t.txt", NULL, NULL, &err), EXIT_USAGE);
    cr_assert(strstr(err, "--trace: cannot write /nonexistent/t.txt: No such file or directory"), "%s", err);
    free(err);
}

Test(inputs, trace_close_frees_its_state)
{
    struct machine *m = boot("_start: syscall\n hlt\n", ISA_CLASSIC);
    const char *dir = temp_dir();
    char spec[160], path[128], err[256];
    snprintf(path, sizeof path, "%s/t.txt", dir);
    snprintf(spec, sizeof spec, "trap:%s", path);
    cr_assert(vis_trace_install(m, spec, VIS_TRACE_TEXT, NULL, err, sizeof err), "%s", err);
    cr_assert_not_null(m->trace_ctx);
    machine_run(m, 0);
    cr_assert(vis_trace_close(m, err, sizeof err), "%s", err);
    cr_assert_null(m->trace);
    cr_assert_null(m->trace_ctx);
    char *text = slurp(path);
    cr_assert(text && strstr(text, "trap cause=syscall"), "%s", text ? text : "(none)");
    free(text);
    cr_assert(vis_trace_close(m, err, sizeof err), "closing twice is harmless");
    unlink(path);
    rmdir(dir);
    shutdown(m);
}

/* ---- 7. files named on the command line ------------------------------------------------ */

Test(inputs, profile_dev_zero_refused)
{
    char *err;
    cr_assert_eq(run_bounded(20, "run hello --profile /dev/zero", NULL, NULL, &err), EXIT_USAGE, "%s", err);
    cr_assert(strstr(err, "/dev/zero: cannot open profile: not a regular file (a character device)"), "%s", err);
    free(err);
}

Test(inputs, directories_refused)
{
    static const char *const cases[][2] = {
        {"run hello --profile /tmp", "/tmp: cannot open profile: Is a directory"},
        {"run hello --input-file /tmp", "--input-file /tmp: Is a directory"},
        {"debug hello --batch /tmp", "--batch /tmp: cannot read it: Is a directory"},
        {"run /tmp", "/tmp: cannot open: Is a directory"},
        {"asm /tmp -o /nonexistent/x.img", "cannot open '/tmp': Is a directory"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *out, *err;
        int st = run_bounded(20, cases[i][0], NULL, &out, &err);
        cr_assert(st == EXIT_USAGE || st == 1, "%s: status %d", cases[i][0], st);
        cr_assert(strstr(err, cases[i][1]), "%s: '%s' lacks '%s'", cases[i][0], err, cases[i][1]);
        cr_assert_not(strstr(out, "hello, ring 0"), "%s ran the guest anyway", cases[i][0]);
        free(out);
        free(err);
    }
}

Test(inputs, input_file_dev_zero)
{
    char *err;
    cr_assert_eq(run_bounded(20, "run hello --input-file /dev/zero", NULL, NULL, &err), EXIT_USAGE, "%s", err);
    cr_assert(strstr(err, "--input-file /dev/zero: not a regular file (a character device)"), "%s", err);
    cr_assert_not(strstr(err, "Success"), "%s", err);
    free(err);
    /* stdin is read too, but only so much of it */
    cr_assert_eq(run_bounded(20, "run hello --input-file -", "/dev/zero", NULL, &err), EXIT_USAGE, "%s", err);
    cr_assert(strstr(err, "--input-file -: File too large (more than 16777216 bytes)"), "%s", err);
    free(err);
    cr_assert_eq(run_bounded(20, "run hello --input-file /nonexistent/in.txt", NULL, NULL, &err), EXIT_USAGE);
    cr_assert(strstr(err, "--input-file /nonexistent/in.txt: No such file or directory"), "%s", err);
    free(err);
}

Test(inputs, batch_dev_zero_refused)
{
    char *err;
    cr_assert_eq(run_bounded(20, "debug hello --batch /dev/zero", NULL, NULL, &err), EXIT_USAGE, "%s", err);
    cr_assert(strstr(err, "--batch /dev/zero: cannot read it: not a regular file (a character device)"), "%s",
              err);
    free(err);
}

Test(inputs, debugger_endless_input_on_a_pipe_is_bounded)
{
    /* commands from a pipe: an endless line (here without a newline, all
     * NUL bytes) is read only so far, then refused, in bounded time */
    char *out, *err;
    int rc = run_bounded(20, "debug hello", "/dev/zero", &out, &err);
    cr_assert_eq(rc, 1, "%s%s", out, err);
    cr_assert(strstr(out, "the commands go on beyond 16777216 bytes"), "%s", out);
    free(out);
    free(err);
}

/* ---- 8. the fuzzers' regression inputs, through the fuzz targets ---------------------- */

/* Feeds every file of tests/fuzz/regressions/TARGET/ to fn; returns how many. */
static int replay(const char *target, void (*fn)(const uint8_t *, size_t))
{
    char dirpath[4096];
    snprintf(dirpath, sizeof dirpath, "%s", root_path("tests/fuzz/regressions"));
    size_t dl = strlen(dirpath);
    snprintf(dirpath + dl, sizeof dirpath - dl, "/%s", target);
    DIR *dir = opendir(dirpath);
    cr_assert(dir, "%s: %s", dirpath, strerror(errno));
    int n = 0;
    for (struct dirent *e; (e = readdir(dir)) != NULL;) {
        if (e->d_name[0] == '.') continue;
        char path[8192], *data, why[256];
        size_t len;
        snprintf(path, sizeof path, "%s/%s", dirpath, e->d_name);
        cr_assert(isa_read_file(path, 1u << 20, &data, &len, why, sizeof why), "%s: %s", path, why);
        fn((const uint8_t *)data, len);
        free(data);
        n++;
    }
    closedir(dir);
    return n;
}

Test(inputs, fuzz_regressions_asm) { cr_assert_gt(replay("asm", fuzz_asm), 0); }
Test(inputs, fuzz_regressions_elf) { cr_assert_gt(replay("elf", fuzz_elf), 0); }
Test(inputs, fuzz_regressions_profile) { cr_assert_gt(replay("profile", fuzz_profile), 0); }
Test(inputs, fuzz_regressions_debugger) { cr_assert_gt(replay("debugger", fuzz_debugger), 0); }
