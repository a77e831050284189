/*
 * test_elf.c — ringsim images on disk: what the writer produces, what the
 * loader accepts, and what it refuses.
 *
 * The loader's tests start from a good file made by the writer, break a
 * field named after a struct of <elf.h> (a row of reject_cases), and check
 * the message.  Each parse runs
 * on a buffer of exactly the file's length, so AddressSanitizer would catch
 * a single byte read past the end.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <dirent.h>
#include <elf.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "isa/isa.h"
#include "tests/rows.h"

/* ---- a sample image --------------------------------------------------- */

static uint8_t text_bytes[8] = {0x00, 0x00, 0x00, 0x20, 0x00, 0x00, 0x00, 0x64}; /* nop; hlt */
static uint8_t data_bytes[4] = {1, 2, 3, 4};
static struct isa_segment sample_segments[] = {
    {0x1000, 8, 8, PF_R | PF_X, text_bytes},
    {0x2000, 4, 16, PF_R | PF_W, data_bytes}, /* 12 zero bytes after the 4 in the file */
    {0x3000, 0, 0x100, PF_R | PF_W, NULL},    /* .bss */
};
static struct isa_symbol sample_symbols[] = {
    {"_start", 0x1000, true}, {"loop", 0x1004, false}, {"table", 0x2000, false},
    {"buf", 0x3000, false},   {"main", 0x1004, true},  {"end", 0x3100, false},
};

static struct isa_image sample(void)
{
    return (struct isa_image){0x1000, 3, sample_segments, 6, sample_symbols};
}

/* ---- helpers ---------------------------------------------------------- */

static char tmpdir[64];
static char path[128];

static void make_tmpdir(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/ringsim-elf-XXXXXX");
    cr_assert(mkdtemp(tmpdir));
    snprintf(path, sizeof path, "%s/t.img", tmpdir);
}

static void remove_tmpdir(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(elf, .init = make_tmpdir, .fini = remove_tmpdir);

static int files_in_tmpdir(void)
{
    DIR *d = opendir(tmpdir);
    int n = 0;
    cr_assert(d);
    for (struct dirent *e; (e = readdir(d));)
        if (e->d_name[0] != '.') n++;
    closedir(d);
    return n;
}

/* The bytes of a written image (malloc'd, *len set). */
static uint8_t *image_bytes(const struct isa_image *img, size_t *len)
{
    char err[256];
    cr_assert(isa_image_write(path, img, err, sizeof err), "%s", err);
    FILE *f = fopen(path, "rb");
    cr_assert(f);
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc(*len);
    cr_assert_eq(fread(buf, 1, *len, f), *len);
    fclose(f);
    return buf;
}

/* Parses buf; expects failure with a message containing want (after "img: ").
 * what names the case in the failure messages. */
static void expect_rejected(const char *what, const uint8_t *buf, size_t len, const char *want)
{
    struct isa_image img;
    char err[256] = "";
    uint8_t *copy = malloc(len ? len : 1); /* exactly len bytes: ASan sees any over-read */
    memcpy(copy, buf, len);
    bool ok = isa_image_parse(copy, len, "img", &img, err, sizeof err);
    free(copy);
    cr_assert_not(ok, "%s: accepted a file that should fail with '%s'", what, want);
    cr_assert(strncmp(err, "img: ", 5) == 0, "%s: message does not start with the name: %s", what, err);
    cr_assert(strstr(err, want), "%s: expected '%s', got '%s'", what, want, err);
    cr_assert_eq(img.nsegments, 0, "%s: segments left in a refused image", what);
    cr_assert_null(img.segments, "%s: segments left in a refused image", what);
}

static Elf32_Ehdr get_ehdr(const uint8_t *buf)
{
    Elf32_Ehdr h;
    memcpy(&h, buf, sizeof h);
    return h;
}

static Elf32_Phdr get_phdr(const uint8_t *buf, int i)
{
    Elf32_Phdr p;
    memcpy(&p, buf + get_ehdr(buf).e_phoff + sizeof p * (size_t)i, sizeof p);
    return p;
}

static void put_phdr(uint8_t *buf, int i, const Elf32_Phdr *p)
{
    memcpy(buf + get_ehdr(buf).e_phoff + sizeof *p * (size_t)i, p, sizeof *p);
}

/* File offset of the symbol table's entry i. */
static size_t symbol_offset(const uint8_t *buf, int i)
{
    Elf32_Ehdr h = get_ehdr(buf);
    for (int s = 0; s < h.e_shnum; s++) {
        Elf32_Shdr sh;
        memcpy(&sh, buf + h.e_shoff + sizeof sh * (size_t)s, sizeof sh);
        if (sh.sh_type == SHT_SYMTAB) return sh.sh_offset + sizeof(Elf32_Sym) * (size_t)i;
    }
    cr_assert_fail("no symbol table");
    return 0;
}

/* Runs a shell command, returning its exit status and (malloc'd) output. */
static int run_command(const char *cmd, char **out)
{
    size_t len;
    FILE *o = open_memstream(out, &len);
    FILE *p = popen(cmd, "r");
    char chunk[4096];
    size_t n;
    cr_assert(p && o);
    while ((n = fread(chunk, 1, sizeof chunk, p)) > 0) fwrite(chunk, 1, n, o);
    int status = pclose(p);
    fclose(o);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* readelf must accept the file: exit 0, no Error, no Warning. */
static char *readelf_ok(const char *opts)
{
    char cmd[256], *out;
    if (access("/usr/bin/readelf", X_OK) != 0) cr_skip_test("no /usr/bin/readelf");
    snprintf(cmd, sizeof cmd, "/usr/bin/readelf %s '%s' 2>&1", opts, path);
    int status = run_command(cmd, &out);
    cr_assert_eq(status, 0, "readelf %s failed:\n%s", opts, out);
    cr_assert_null(strstr(out, "Error"), "readelf %s:\n%s", opts, out);
    cr_assert_null(strstr(out, "Warning"), "readelf %s:\n%s", opts, out);
    return out;
}

/* ---- writing and reading back ------------------------------------------ */

Test(elf, write_then_load_gives_the_same_image)
{
    struct isa_image in = sample(), out;
    char err[256];
    cr_assert(isa_image_write(path, &in, err, sizeof err), "%s", err);
    cr_assert(isa_image_load(path, &out, err, sizeof err), "%s", err);
    cr_assert_eq(out.entry, in.entry);
    cr_assert_eq(out.nsegments, in.nsegments);
    for (int i = 0; i < in.nsegments; i++) {
        const struct isa_segment *a = &in.segments[i], *b = &out.segments[i];
        cr_assert_eq(b->vaddr, a->vaddr);
        cr_assert_eq(b->filesz, a->filesz);
        cr_assert_eq(b->memsz, a->memsz);
        cr_assert_eq(b->flags, a->flags);
        if (a->filesz) cr_assert_eq(memcmp(b->data, a->data, a->filesz), 0);
    }
    cr_assert_eq(out.nsymbols, in.nsymbols);
    for (int i = 0; i < in.nsymbols; i++) {
        uint32_t addr;
        cr_assert(isa_image_symbol_addr(&out, in.symbols[i].name, &addr), "lost %s", in.symbols[i].name);
        cr_assert_eq(addr, in.symbols[i].addr);
    }
    for (int i = 0; i < out.nsymbols; i++) {
        bool global = strcmp(out.symbols[i].name, "_start") == 0 || strcmp(out.symbols[i].name, "main") == 0;
        cr_assert_eq(out.symbols[i].global, global, "%s", out.symbols[i].name);
    }
    isa_image_free(&out);
}

Test(elf, header_says_elf32_little_endian_executable_for_ringsim)
{
    struct isa_image img = sample();
    size_t len;
    uint8_t *buf = image_bytes(&img, &len);
    Elf32_Ehdr h = get_ehdr(buf);
    cr_assert_eq(memcmp(h.e_ident, ELFMAG, SELFMAG), 0);
    cr_assert_eq(h.e_ident[EI_CLASS], ELFCLASS32);
    cr_assert_eq(h.e_ident[EI_DATA], ELFDATA2LSB);
    cr_assert_eq(h.e_type, ET_EXEC);
    cr_assert_eq(h.e_machine, EM_RINGSIM);
    cr_assert_eq(h.e_entry, 0x1000);
    cr_assert_eq(h.e_phnum, 3);
    Elf32_Phdr p = get_phdr(buf, 1);
    cr_assert_eq(p.p_type, PT_LOAD);
    cr_assert_eq(p.p_vaddr, 0x2000);
    cr_assert_eq(p.p_paddr, 0x2000);
    cr_assert_eq(p.p_filesz, 4);
    cr_assert_eq(p.p_memsz, 16);
    cr_assert_eq(p.p_flags, PF_R | PF_W);
    cr_assert_eq(p.p_offset % p.p_align, p.p_vaddr % p.p_align);
    free(buf);
}

Test(elf, readelf_accepts_the_image)
{
    struct isa_image img = sample();
    char err[256];
    cr_assert(isa_image_write(path, &img, err, sizeof err), "%s", err);
    free(readelf_ok("-h"));
    char *out = readelf_ok("-a");
    cr_assert(strstr(out, "EXEC (Executable file)"), "%s", out);
    cr_assert(strstr(out, ".text"), "%s", out);
    cr_assert(strstr(out, ".data"), "%s", out);
    cr_assert(strstr(out, ".bss"), "%s", out);
    free(out);
}

Test(elf, readelf_lists_symbols_with_their_binding)
{
    struct isa_image img = sample();
    char err[256];
    cr_assert(isa_image_write(path, &img, err, sizeof err), "%s", err);
    char *out = readelf_ok("-s");
    for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
        const char *name = strrchr(line, ' ');
        if (!name) continue;
        if (!strcmp(name, " _start") || !strcmp(name, " main")) cr_assert(strstr(line, "GLOBAL"), "%s", line);
        if (!strcmp(name, " loop") || !strcmp(name, " buf")) cr_assert(strstr(line, "LOCAL"), "%s", line);
    }
    free(out);
}

Test(elf, locals_come_before_globals_in_the_symbol_table)
{
    struct isa_image img = sample();
    size_t len;
    uint8_t *buf = image_bytes(&img, &len);
    bool seen_global = false;
    for (int i = 1; i <= 6; i++) {
        Elf32_Sym s;
        memcpy(&s, buf + symbol_offset(buf, i), sizeof s);
        bool global = ELF32_ST_BIND(s.st_info) == STB_GLOBAL;
        cr_assert(global || !seen_global, "local symbol %d after a global", i);
        seen_global |= global;
    }
    free(buf);
}

Test(elf, readelf_accepts_an_assembled_program)
{
    struct isa_image img;
    char err[256];
    const char *src = ".global _start\n_start: li r1, msg\n1: lbu r2, 0(r1)\nbeqz r2, 2f\nout con_data, r2\n"
                      "addi r1, r1, 1\nj 1b\n2: hlt\n.data\nmsg: .asciz \"hello\"\n.bss\nstack: .space 256\n";
    FILE *quiet = fopen("/dev/null", "w");
    cr_assert_eq(isa_assemble_string("hello.s", src, &(struct isa_asm_options){.diag = quiet}, &img), 0);
    fclose(quiet);
    cr_assert(isa_image_write(path, &img, err, sizeof err), "%s", err);
    free(readelf_ok("-a"));
    struct isa_image back;
    cr_assert(isa_image_load(path, &back, err, sizeof err), "%s", err);
    cr_assert_eq(back.nsegments, 3);
    cr_assert_eq(back.entry, img.entry);
    cr_assert_str_eq(isa_image_symbol_at(&back, 0x2000), "msg");
    isa_image_free(&back);
    isa_image_free(&img);
}

Test(elf, write_replaces_an_existing_file)
{
    struct isa_image a = sample(), b = sample(), out;
    char err[256];
    cr_assert(isa_image_write(path, &a, err, sizeof err), "%s", err);
    b.entry = 0x1004;
    cr_assert(isa_image_write(path, &b, err, sizeof err), "%s", err);
    cr_assert(isa_image_load(path, &out, err, sizeof err), "%s", err);
    cr_assert_eq(out.entry, 0x1004);
    cr_assert_eq(files_in_tmpdir(), 1); /* no temporary file left behind */
    isa_image_free(&out);
}

Test(elf, failed_write_leaves_no_file_and_keeps_the_old_one)
{
    struct isa_image bad = sample(), good = sample(), out;
    char err[256];
    bad.entry = 0x9000;
    cr_assert_not(isa_image_write(path, &bad, err, sizeof err));
    cr_assert(strstr(err, "entry point 0x9000 is not inside an executable segment"), "%s", err);
    cr_assert_eq(files_in_tmpdir(), 0);
    cr_assert(isa_image_write(path, &good, err, sizeof err), "%s", err);
    cr_assert_not(isa_image_write(path, &bad, err, sizeof err));
    cr_assert(isa_image_load(path, &out, err, sizeof err), "%s", err);
    cr_assert_eq(out.entry, 0x1000);
    cr_assert_eq(files_in_tmpdir(), 1);
    isa_image_free(&out);
}

Test(elf, write_into_a_missing_directory_fails_with_a_message)
{
    struct isa_image img = sample();
    char err[256];
    cr_assert_not(isa_image_write("/nonexistent-dir/x.img", &img, err, sizeof err));
    cr_assert(strstr(err, "/nonexistent-dir/x.img: cannot create temporary file"), "%s", err);
}

Test(elf, writer_refuses_images_the_loader_would_refuse)
{
    struct isa_segment segs[2] = {{0x1000, 8, 8, PF_R | PF_X, text_bytes}, {0x1004, 4, 4, PF_R | PF_W, data_bytes}};
    struct isa_image img = {0x1000, 2, segs, 0, NULL};
    char err[256];
    cr_assert_not(isa_image_write(path, &img, err, sizeof err));
    cr_assert(strstr(err, "segments 0 (0x1000..0x1007) and 1 (0x1004..0x1007) overlap"), "%s", err);
    segs[1] = (struct isa_segment){0x2000, 8, 4, PF_R | PF_W, text_bytes};
    cr_assert_not(isa_image_write(path, &img, err, sizeof err));
    cr_assert(strstr(err, "segment 1 filesz > memsz"), "%s", err);
    segs[1] = (struct isa_segment){0x2000, 0, 0, PF_R | PF_W, NULL};
    cr_assert_not(isa_image_write(path, &img, err, sizeof err));
    cr_assert(strstr(err, "segment 1 is empty"), "%s", err);
    cr_assert_eq(files_in_tmpdir(), 0);
}

/* ---- what the loader refuses --------------------------------------------- */

/* One field of a good image to overwrite: in the ELF header, program header
 * `index` or symbol-table entry `index`.  With from_end the value is counted
 * back from the file's length (a table that starts too near the end). */
enum where { IN_EHDR = 1, IN_PHDR, IN_SYM };
struct edit {
    enum where where;
    int index;
    size_t offset, size; /* of the field in its struct */
    uint32_t value;
    bool from_end;
};
#define EH(field, v)     {IN_EHDR, 0, offsetof(Elf32_Ehdr, field), sizeof(((Elf32_Ehdr *)0)->field), (v), false}
#define EH_END(field, n) {IN_EHDR, 0, offsetof(Elf32_Ehdr, field), sizeof(((Elf32_Ehdr *)0)->field), (n), true}
#define PH(i, field, v)  {IN_PHDR, (i), offsetof(Elf32_Phdr, field), sizeof(((Elf32_Phdr *)0)->field), (v), false}
#define PH_END(i, field, n) \
    {IN_PHDR, (i), offsetof(Elf32_Phdr, field), sizeof(((Elf32_Phdr *)0)->field), (n), true}
#define SY(i, field, v)  {IN_SYM, (i), offsetof(Elf32_Sym, field), sizeof(((Elf32_Sym *)0)->field), (v), false}

/* A file the loader must refuse, with these words in its message: the
 * sample image with some fields overwritten, or (raw) bytes of its own. */
struct reject_case {
    const char *name;
    const char *raw;
    size_t rawlen;
    struct edit edits[3]; /* up to the first with where == 0 */
    const char *want[2];  /* each must be in the message; the second may be NULL */
};

static const struct reject_case reject_cases[] = {
    {"not_elf", "hello, world", 12, {{0}}, {"img: not an ELF file"}},
    {"empty_file", "", 0, {{0}}, {"img: not an ELF file"}},
    /* wrong class, endianness, machine and type */
    {"elfclass64", NULL, 0, {EH(e_ident[EI_CLASS], ELFCLASS64)},
     {"ELF class is ELFCLASS64 (64-bit), expected ELFCLASS32"}},
    {"big_endian", NULL, 0, {EH(e_ident[EI_DATA], ELFDATA2MSB)},
     {"data encoding is ELFDATA2MSB (big-endian), expected ELFDATA2LSB (little-endian)"}},
    {"x86_64", NULL, 0, {EH(e_machine, EM_X86_64)}, {"img: e_machine is 0x3e (x86-64), expected 0x5253 (ringsim)"}},
    {"et_dyn", NULL, 0, {EH(e_type, ET_DYN)}, {"e_type is 3, expected 2 (ET_EXEC)"}},
    {"no_program_headers", NULL, 0, {EH(e_phnum, 0)}, {"no program headers"}},
    {"phentsize_20", NULL, 0, {EH(e_phentsize, 20)}, {"e_phentsize is 20, expected 32"}},
    {"shentsize_20", NULL, 0, {EH(e_shentsize, 20)}, {"e_shentsize is 20, expected 40"}},
    /* headers outside the file */
    {"phoff_near_the_end", NULL, 0, {EH_END(e_phoff, 40)}, {"program header table", "extends past end of file"}},
    {"segment_past_the_end", NULL, 0, {PH_END(1, p_offset, 2)}, {"img: program header 1 extends past end of file"}},
    /* offset + size would wrap in 32 bits */
    {"segment_offset_wraps", NULL, 0,
     {PH(1, p_offset, 0xfffffff0), PH(1, p_filesz, 0x20), PH(1, p_memsz, 0x20)},
     {"program header 1 extends past end of file"}},
    {"shoff_near_the_end", NULL, 0, {EH_END(e_shoff, 8)}, {"section header table"}},
    {"filesz_greater_than_memsz", NULL, 0, {PH(1, p_memsz, 2)}, {"img: segment 1 filesz > memsz"}},
    /* overlapping and wrapping segments */
    {"overlapping_segments", NULL, 0, {PH(1, p_vaddr, 0x1004)},
     {"segments 0 (0x1000..0x1007) and 1 (0x1004..0x1013) overlap"}},
    {"segment_wraps_the_address_space", NULL, 0, {PH(1, p_vaddr, 0xfffffff8)},
     {"segment 1 (0xfffffff8 + 0x10 bytes) runs past the end of the 32-bit address space"}},
    /* the entry point outside executable segments */
    {"entry_in_data", NULL, 0, {EH(e_entry, 0x2000)}, /* mapped, but not executable */
     {"img: entry point 0x2000 is not inside an executable segment"}},
    {"entry_just_past_text", NULL, 0, {EH(e_entry, 0x1008)},
     {"entry point 0x1008 is not inside an executable segment"}},
    {"dynamic_linking", NULL, 0, {PH(2, p_type, PT_INTERP)}, {"program header 2 asks for dynamic linking"}},
    {"symbol_name_outside_strtab", NULL, 0, {SY(1, st_name, 0xffff)}, {"symbol 1 has a name outside .strtab"}},
};

#define NREJECT_CASES (sizeof reject_cases / sizeof reject_cases[0])

/* Writes e into buf, a file of len bytes (asserting that the field is in it). */
static void apply_edit(const char *name, uint8_t *buf, size_t len, const struct edit *e)
{
    size_t at = e->offset;
    if (e->where == IN_PHDR) at += get_ehdr(buf).e_phoff + sizeof(Elf32_Phdr) * (size_t)e->index;
    if (e->where == IN_SYM) at += symbol_offset(buf, e->index);
    uint32_t v = e->from_end ? (uint32_t)len - e->value : e->value;
    cr_assert(at + e->size <= len, "%s: field at %zu is outside the file", name, at);
    if (e->size == 1) buf[at] = (uint8_t)v;
    else if (e->size == 2) memcpy(buf + at, &(uint16_t){(uint16_t)v}, 2);
    else {
        cr_assert_eq(e->size, 4, "%s: a field of %zu bytes", name, e->size);
        memcpy(buf + at, &v, 4);
    }
}

ROW_PARAMETERS(elf, loader_rejects_a_broken_file, NREJECT_CASES)

ParameterizedTest(size_t *row, elf, loader_rejects_a_broken_file)
{
    const struct reject_case *c = &reject_cases[*row];
    struct isa_image img = sample();
    size_t len = c->rawlen;
    uint8_t *buf;
    if (c->raw) {
        buf = malloc(len ? len : 1);
        memcpy(buf, c->raw, len);
    } else {
        buf = image_bytes(&img, &len);
    }
    for (size_t i = 0; i < sizeof c->edits / sizeof c->edits[0] && c->edits[i].where; i++)
        apply_edit(c->name, buf, len, &c->edits[i]);
    for (size_t i = 0; i < sizeof c->want / sizeof c->want[0] && c->want[i]; i++)
        expect_rejected(c->name, buf, len, c->want[i]);
    free(buf);
}

Test(elf, loader_skips_notes_and_section_symbols)
{
    struct isa_image img = sample(), out;
    size_t len;
    char err[256];
    uint8_t *buf = image_bytes(&img, &len);
    Elf32_Phdr p = get_phdr(buf, 2);
    p.p_type = PT_NOTE;
    put_phdr(buf, 2, &p);
    Elf32_Sym s;
    memcpy(&s, buf + symbol_offset(buf, 1), sizeof s);
    s.st_info = ELF32_ST_INFO(STB_LOCAL, STT_SECTION);
    memcpy(buf + symbol_offset(buf, 1), &s, sizeof s);
    cr_assert(isa_image_parse(buf, len, "img", &out, err, sizeof err), "%s", err);
    cr_assert_eq(out.nsegments, 2);
    cr_assert_eq(out.nsymbols, 5);
    isa_image_free(&out);
    free(buf);
}

Test(elf, truncated_file_is_rejected_at_every_length)
{
    struct isa_image img = sample(), out;
    size_t len;
    char err[256];
    uint8_t *buf = image_bytes(&img, &len);
    for (size_t n = 0; n < len; n++) {
        uint8_t *copy = malloc(n ? n : 1);
        memcpy(copy, buf, n);
        bool ok = isa_image_parse(copy, n, "img", &out, err, sizeof err);
        free(copy);
        cr_assert_not(ok, "accepted the first %zu of %zu bytes", n, len);
        cr_assert_eq(out.nsegments, 0);
    }
    cr_assert(isa_image_parse(buf, len, "img", &out, err, sizeof err), "%s", err);
    isa_image_free(&out);
    free(buf);
}

Test(elf, corrupted_bytes_never_crash_the_loader)
{
    struct isa_image img = sample(), out;
    size_t len;
    char err[256];
    uint8_t *buf = image_bytes(&img, &len);
    uint32_t seed = 7;
    for (int round = 0; round < 3000; round++) {
        uint8_t *copy = malloc(len);
        memcpy(copy, buf, len);
        int flips = 1 + round % 4;
        for (int k = 0; k < flips; k++) {
            seed = seed * 1103515245u + 12345u;
            size_t at = (seed >> 8) % (round % 2 ? len : 0x80); /* half the rounds hit the headers */
            seed = seed * 1103515245u + 12345u;
            copy[at] = (uint8_t)(seed >> 16);
        }
        if (isa_image_parse(copy, len, "img", &out, err, sizeof err)) isa_image_free(&out);
        else cr_assert(strncmp(err, "img: ", 5) == 0, "%s", err);
        free(copy);
    }
    free(buf);
}

Test(elf, load_reports_a_missing_file)
{
    struct isa_image img;
    char err[256];
    cr_assert_not(isa_image_load("/nonexistent/x.img", &img, err, sizeof err));
    cr_assert_str_eq(err, "/nonexistent/x.img: cannot open: No such file or directory");
}

Test(elf, free_is_safe_on_an_empty_image)
{
    struct isa_image img = {0};
    isa_image_free(&img);
    isa_image_free(&img);
}

/* ---- symbols --------------------------------------------------------------- */

Test(elf, symbol_at_prefers_globals_then_the_first_name)
{
    struct isa_image img = sample();
    cr_assert_str_eq(isa_image_symbol_at(&img, 0x1004), "main"); /* global beats local "loop" */
    cr_assert_str_eq(isa_image_symbol_at(&img, 0x1000), "_start");
    cr_assert_null(isa_image_symbol_at(&img, 0x1008));
    struct isa_symbol two[] = {{"zeta", 0x10, false}, {"alpha", 0x10, false}};
    struct isa_image locals = {0, 0, NULL, 2, two};
    cr_assert_str_eq(isa_image_symbol_at(&locals, 0x10), "alpha");
}

Test(elf, symbol_near_gives_the_symbol_below_and_the_distance)
{
    struct isa_image img = sample();
    uint32_t off = 99;
    cr_assert_str_eq(isa_image_symbol_near(&img, 0x100c, &off), "main");
    cr_assert_eq(off, 8);
    cr_assert_str_eq(isa_image_symbol_near(&img, 0x2000, &off), "table");
    cr_assert_eq(off, 0);
    cr_assert_null(isa_image_symbol_near(&img, 0x0fff, &off));
}

Test(elf, symbol_addr_finds_a_name)
{
    struct isa_image img = sample();
    uint32_t a = 0;
    cr_assert(isa_image_symbol_addr(&img, "buf", &a));
    cr_assert_eq(a, 0x3000);
    cr_assert_not(isa_image_symbol_addr(&img, "nope", &a));
}

Test(elf, end_label_gets_the_section_it_ends)
{
    struct isa_image img = sample();
    size_t len;
    uint8_t *buf = image_bytes(&img, &len);
    Elf32_Sym s;
    /* symbols are written locals first: loop, table, buf, end, then _start, main */
    memcpy(&s, buf + symbol_offset(buf, 4), sizeof s);
    cr_assert_eq(s.st_value, 0x3100);
    cr_assert_eq(s.st_shndx, 3); /* .bss, the section it closes */
    free(buf);
}

Test(elf, symbol_outside_every_segment_is_absolute)
{
    struct isa_symbol syms[] = {{"_start", 0x1000, true}, {"MMIO", 0xf0000000, false}};
    struct isa_image img = {0x1000, 1, sample_segments, 2, syms}, back;
    size_t len;
    char err[256];
    uint8_t *buf = image_bytes(&img, &len);
    Elf32_Sym s;
    memcpy(&s, buf + symbol_offset(buf, 1), sizeof s); /* the local comes first */
    cr_assert_eq(s.st_value, 0xf0000000);
    cr_assert_eq(s.st_shndx, SHN_ABS);
    free(readelf_ok("-a"));
    cr_assert(isa_image_parse(buf, len, "img", &back, err, sizeof err), "%s", err);
    cr_assert_str_eq(isa_image_symbol_at(&back, 0xf0000000), "MMIO");
    isa_image_free(&back);
    free(buf);
}
