/*
 * asm.c — the ringsim assembler: source text in, struct isa_image out.
 *
 * The one idea to hold: the assembler reads the whole program several times
 * ("passes"), each time from the top and with the same code.  A pass lays the
 * program out — every label gets an address — using, for names not yet seen
 * in this pass, the addresses the previous pass found.  When a pass ends with
 * exactly the addresses its predecessor had, the layout has settled; one more
 * pass, the final one, prints diagnostics and its bytes become the image.
 * Usually that is three passes: the first cannot know where .data starts
 * (it follows .text, whose size is not yet known), the second confirms.
 * Because every pass runs the same code, the final pass sees precisely the
 * layout the earlier passes computed — there is no separate "size" logic that
 * could disagree with the "emit" logic.
 *
 * Instructions come from the table (isa_op_by_mnemonic, isa_format_operands)
 * and are encoded by isa_encode; nothing here lists opcodes.  The operand
 * syntax of each format is read from its isa_format_operands string: a name
 * starting with "r" is a register, "cr" a control register, "port" a port,
 * "label" a branch target, "x(rs1)" a memory operand, anything else an
 * immediate; registers fill fields a, b, c in the order they are written.
 *
 * Syntax, in brief (the tests in tests/test_asm.c pin down every rule):
 *   - one statement a line; `label:` (any number) may start it; comments
 *     start with #, ; or // outside strings
 *   - identifiers [A-Za-z_.$][A-Za-z0-9_.$]*; `N:` numeric labels referred to
 *     as Nb / Nf; labels starting with .L and numeric labels stay out of the
 *     image's symbol table, other labels go in (global if .global)
 *   - expressions with C operators and precedence, 64-bit arithmetic, `.`
 *     for the address of the current statement, %hi(x) and %lo(x)
 *   - directives: .text .data .bss .section .org .word .half .byte .ascii
 *     .asciz .string .space .align .equ .set `name = expr` .global .globl
 *     .include .macro/.endm .if/.ifdef/.ifndef/.else/.endif .error .warning
 *     .entry .phase/.dephase
 *   - .text starts at the text base (0x1000 unless the options say), .data
 *     on the next page after .text, .bss on the next page after .data
 *   - .org takes an ADDRESS (not an offset) and only moves forward; .align
 *     takes a byte count and pads .text with nops; .ifdef asks whether the
 *     name is defined ABOVE this line; .equ may refer to later labels
 *   - macro bodies: \param, \@ (a number unique to the expansion), \()
 *     (nothing: glues a parameter to what follows)
 *   - `.phase EXPR` ... `.dephase`: code assembled to run at EXPR but carried
 *     at the current place of the current section (say, user code at
 *     0x40000000 inside a kernel image, copied there at run time).  Between
 *     them labels, `.`, branch offsets, .align and .org use the phased
 *     address (EXPR plus the bytes emitted since .phase); the bytes still go
 *     where the section is.  Phased labels are absolute symbols.  A branch
 *     between a phase block and a label outside it is an error (its offset
 *     would be from the wrong pc); blocks do not nest, the section cannot
 *     change inside one, and the main file must end outside one.
 *
 * Pseudo-instructions (the table isa_pseudo_doc below is both their
 * documentation and their implementation: the assembler expands a pseudo by
 * substituting its operands into the right-hand column):
 *
 *   nop                     addi r0, r0, 0
 *   mov rd, rs              addi rd, rs, 0
 *   li rd, expr             lui rd, %hi(expr); ori rd, rd, %lo(expr)
 *   la rd, sym              lui rd, %hi(sym); ori rd, rd, %lo(sym)
 *   not rd, rs              sub rd, r0, rs; addi rd, rd, -1     (~x = -x - 1)
 *   neg rd, rs              sub rd, r0, rs
 *   j label                 jal r0, label
 *   call label              jal lr, label
 *   ret                     jalr r0, lr, 0
 *   jr rs                   jalr r0, rs, 0
 *   push rs                 addi sp, sp, -4; sw rs, 0(sp)
 *   pop rd                  lw rd, 0(sp); addi sp, sp, 4
 *   beqz rs, label          beq rs, r0, label
 *   bnez rs, label          bne rs, r0, label
 *   bgt rs1, rs2, label     blt rs2, rs1, label
 *   ble rs1, rs2, label     bge rs2, rs1, label
 *   bgtu rs1, rs2, label    bltu rs2, rs1, label
 *   bleu rs1, rs2, label    bgeu rs2, rs1, label
 *
 * li is always two words, whatever the value, so that a pass knows its size
 * before it knows the value; inside a pseudo, `.` is the pseudo's address.
 */
#include "isa.h"

#include <ctype.h>
#include <elf.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_PASSES        10        /* sizing passes before giving up */
#define MAX_INCLUDE_DEPTH 16
#define MAX_MACRO_DEPTH   64
#define MAX_LINES         250000    /* lines per pass: stops runaway macros */
/* Text per pass, counting every line as often as it is assembled (an
 * included file each time it is included, a macro body each time it is
 * expanded): with MAX_LINES this bounds a pass's time and memory whatever
 * the input — a 16 MiB file included 250000 times would otherwise run for
 * hours.  And one line, as written or as a macro expands it, is at most
 * MAX_LINE_BYTES: macros whose arguments double at each of 64 levels stop
 * at a megabyte, not at the pass's whole budget (nor at 2^64). */
#define MAX_PASS_BYTES    (32u << 20)
#define MAX_FILE_BYTES    (16u << 20) /* one source file */
#define MAX_LINE_BYTES    (1u << 20)
#define MAX_EXPR_DEPTH    256       /* nested parentheses and unary operators */
#define MAX_DIAGS         200       /* errors and warnings shown */
#define MAX_SECTION_BYTES (64u << 20)
#define PAGE_SIZE         4096u
#define DEFAULT_TEXT_BASE 0x1000u

#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))

const char *const isa_pseudo_doc[][2] = {
    {"nop",                  "addi r0, r0, 0"},
    {"mov rd, rs",           "addi rd, rs, 0"},
    {"li rd, expr",          "lui rd, %hi(expr); ori rd, rd, %lo(expr)"},
    {"la rd, sym",           "lui rd, %hi(sym); ori rd, rd, %lo(sym)"},
    {"not rd, rs",           "sub rd, r0, rs; addi rd, rd, -1"},
    {"neg rd, rs",           "sub rd, r0, rs"},
    {"j label",              "jal r0, label"},
    {"call label",           "jal lr, label"},
    {"ret",                  "jalr r0, lr, 0"},
    {"jr rs",                "jalr r0, rs, 0"},
    {"push rs",              "addi sp, sp, -4; sw rs, 0(sp)"},
    {"pop rd",               "lw rd, 0(sp); addi sp, sp, 4"},
    {"beqz rs, label",       "beq rs, r0, label"},
    {"bnez rs, label",       "bne rs, r0, label"},
    {"bgt rs1, rs2, label",  "blt rs2, rs1, label"},
    {"ble rs1, rs2, label",  "bge rs2, rs1, label"},
    {"bgtu rs1, rs2, label", "bltu rs2, rs1, label"},
    {"bleu rs1, rs2, label", "bgeu rs2, rs1, label"},
    {NULL, NULL},
};

/* ---- data structures ---------------------------------------------------- */

/* A place in the source, kept for a diagnostic printed later. */
struct saved_loc {
    const char *file;
    int line, col;
    char *text; /* copy of the line, or NULL */
};

/* A source file, read once and kept for every pass. */
struct src_file {
    char *path;
    char *text;
    size_t len;
    struct src_file *next;
};

/* Where the line being assembled comes from: the main file, an included
 * file, or a macro's body.  Frames live on the C stack and form a chain, so
 * a diagnostic can say "in expansion of macro 'x' from file:line". */
enum frame_kind { FRAME_FILE, FRAME_INCLUDE, FRAME_MACRO };
struct frame {
    struct frame *up;
    enum frame_kind kind;
    const char *macro;     /* FRAME_MACRO: which */
    const char *from_file; /* where the .include or the macro call is */
    int from_line;
    int cond_base;         /* depth of the .if stack when the frame began */
};

struct cur_line {
    const char *file;
    int no;
    const char *text;
};

enum { SEC_TEXT, SEC_DATA, SEC_BSS, SEC_COUNT, SEC_ABS = -1 };

struct section {
    const char *name;
    uint8_t *bytes;  /* NULL for .bss, which holds only a size */
    uint32_t size;   /* also the location counter: offset of the next byte */
    size_t cap;
    uint64_t base;   /* load address, once known */
    bool base_known;
};

enum sym_kind { SYM_LABEL, SYM_EQU, SYM_SET };

struct sym {
    char *name;
    enum sym_kind kind;
    int sec;            /* labels: their section; constants: SEC_ABS */
    int64_t value;      /* labels: offset in the section; constants: value */
    bool value_known;   /* false for a constant whose expression had no value yet */
    int def_pass;       /* last pass that defined it (0 = never) */
    int global_pass;    /* last pass that said .global */
    bool hidden;        /* .L and numeric labels: not in the image */
    int phase_id;       /* labels in a .phase block: the block's number (1, 2, ...); 0 otherwise */
    struct saved_loc def, global_loc;
    struct sym *next;   /* hash chain */
};

/* A numeric label N: how many `N:` this pass has passed so far.  The k-th
 * definition is the ordinary symbol "N:k" (a name no identifier can spell),
 * so Nb is "N:(k-1)" and Nf is "N:k". */
struct numlabel {
    long num;
    int count;
};

struct macro_line {
    char *text;
    const char *file;
    int line;
};

struct macro {
    char *name;
    int nparams;
    char **params, **defaults; /* defaults[i] NULL when the parameter has none */
    int nlines, cap;
    struct macro_line *lines;
    struct saved_loc def;
    bool bad;                  /* its .macro line had an error: record, then drop */
    struct macro *next;        /* hash chain */
};

/* One open .if: active when every enclosing .if is and its own branch is. */
struct cond {
    bool outer_active, taken, in_else;
    struct saved_loc where;
};

struct operand {
    char *text;
    int col;
};

struct oplist {
    struct operand *v;
    int n, cap;
};

/* The statement being assembled: its first word and what follows it. */
struct stmt {
    char *word;
    int col;
    char *rest;
    int rest_col;
    struct oplist ops;
};

struct assembler {
    struct isa_asm_options opt;
    FILE *diag;
    int pass;
    bool final;   /* the last pass: diagnostics on */
    int errors;
    int diags;    /* errors and warnings of the final pass */

    struct src_file *files;
    struct frame *frame;
    struct cur_line line;
    int include_depth, macro_depth;
    long lines_this_pass;
    size_t bytes_this_pass;
    bool runaway;

    struct section sec[SEC_COUNT];
    int cur;
    int stmt_col;       /* column of the statement, for errors about it */
    bool misaligned_said[SEC_COUNT]; /* one misaligned-instruction error is enough */
    uint64_t dot;       /* address of the statement (`.`) */
    bool dot_known;

    /* .phase: while phase_id != 0, addresses are phase_base + (bytes emitted
     * into the current section since phase_start). */
    int phase_id;       /* the open block's number this pass, 0 when none */
    int phase_count;    /* .phase blocks opened so far this pass */
    int64_t phase_base;
    bool phase_known;   /* phase_base has a value (it may be a forward reference) */
    uint32_t phase_start;
    struct saved_loc phase_loc;
    bool checking_target;   /* evaluating a branch target: note labels of another block */
    char target_clash[64];  /* the first such label, as written ("" if none) */
    int target_clash_phase; /* its phase_id */

    struct sym **syms;
    int nsyms, capsyms;
    struct sym **buckets;   /* nbuckets chains (a power of two, grown with nsyms) */
    size_t nbuckets;
    struct numlabel *nums;  /* open addressing, capnums a power of two (0 = none yet) */
    int nnums, capnums;

    struct macro **macros;
    int nmacros, capmacros;
    struct macro **mbuckets; /* the macros by name, chained like the symbols */
    size_t nmbuckets;
    struct macro *rec;  /* the macro whose body is being recorded */
    int rec_depth;
    struct frame *rec_frame;
    unsigned macro_counter;

    struct cond *conds;
    int nconds, capconds;

    bool have_entry, entry_known;
    int64_t entry;
    struct saved_loc entry_loc;
};

/* ---- memory ---------------------------------------------------------------
 * The assembler is a host tool: if the host runs out of memory there is no
 * sensible way to go on, so allocation failure stops the program. */
static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p) {
        fputs("ringsim asm: out of memory\n", stderr);
        abort();
    }
    return p;
}

static void *xmalloc(size_t n) { return xrealloc(NULL, n); }

static char *xstrndup(const char *s, size_t n)
{
    char *d = xmalloc(n + 1);
    memcpy(d, s, n);
    d[n] = 0;
    return d;
}

static char *xstrdup(const char *s) { return xstrndup(s, strlen(s)); }

/* Makes room for one more element in a growing array. */
#define GROW(arr, n, cap)                                                  \
    do {                                                                   \
        if ((n) >= (cap)) {                                                \
            (cap) = (cap) ? 2 * (cap) : 8;                                 \
            (arr) = xrealloc((arr), sizeof *(arr) * (size_t)(cap));        \
        }                                                                  \
    } while (0)

/* A growing byte string. */
struct bytes {
    char *p;
    size_t len, cap;
};

static void bytes_add(struct bytes *b, const void *src, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->p = xrealloc(b->p, b->cap);
    }
    memcpy(b->p + b->len, src, n);
    b->len += n;
    b->p[b->len] = 0;
}

static void bytes_addc(struct bytes *b, char c) { bytes_add(b, &c, 1); }

/* ---- characters ---------------------------------------------------------- */
static bool is_ident_start(int c) { return isalpha((unsigned char)c) || c == '_' || c == '.' || c == '$'; }
static bool is_ident_char(int c) { return isalnum((unsigned char)c) || c == '_' || c == '.' || c == '$'; }

static char *skip_ws(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\f' || *p == '\v') p++;
    return (char *)p;
}

/* True when s is exactly one identifier. */
static bool is_identifier(const char *s)
{
    if (!is_ident_start(*s)) return false;
    while (is_ident_char(*s)) s++;
    return *s == 0;
}

/* ---- diagnostics -----------------------------------------------------------
 * Only the final pass speaks: earlier passes meet the same errors (they run
 * the same code) but stay quiet, so each problem is reported once. */

/* The line and a caret under column col.  A long line (a generated table,
 * a file with no newlines) shows only the part around col, so that many
 * errors on one huge line cannot print it again and again. */
static void print_caret(FILE *f, const char *text, int col)
{
    enum { WIDTH = 160, BEFORE = 80 };
    size_t len = strlen(text), from = 0, to = len;
    if (len > WIDTH) {
        size_t at = col > 0 ? (size_t)col - 1 : 0;
        from = at > BEFORE ? at - BEFORE : 0;
        to = from + WIDTH < len ? from + WIDTH : len;
    }
    const char *dots = from ? "..." : "";
    fprintf(f, "%s%.*s%s\n", dots, (int)(to - from), text + from, to < len ? "..." : "");
    fputs(dots, f);
    for (size_t i = from + 1; i < (size_t)(col > 0 ? col : 1) && i <= to + 1; i++)
        fputc(i - 1 < len && text[i - 1] == '\t' ? '\t' : ' ', f);
    fputs("^\n", f);
}

/* Where the current line came from, innermost first; a deep recursion
 * shows its first few levels and a count of the rest. */
static void print_notes(struct assembler *as)
{
    enum { MAX_NOTES = 8 };
    int shown = 0, hidden = 0;
    for (struct frame *fr = as->frame; fr && fr->kind != FRAME_FILE; fr = fr->up) {
        if (shown == MAX_NOTES) {
            hidden++;
            continue;
        }
        shown++;
        if (fr->kind == FRAME_MACRO)
            fprintf(as->diag, "note: in expansion of macro '%s' from %s:%d\n", fr->macro, fr->from_file, fr->from_line);
        else
            fprintf(as->diag, "note: in file included from %s:%d\n", fr->from_file, fr->from_line);
    }
    if (hidden) fprintf(as->diag, "note: and %d more levels\n", hidden);
}

static void vdiag(struct assembler *as, bool is_error, const char *file, int line, int col, const char *text,
                  const char *fmt, va_list ap)
{
    if (!as->final) return;
    if (is_error) as->errors++;
    /* Enough is enough: past MAX_DIAGS the rest would only bury the first
     * (and a generated line could produce millions). */
    if (++as->diags > MAX_DIAGS) {
        if (as->diags == MAX_DIAGS + 1)
            fprintf(as->diag, "%s: note: more than %d errors and warnings; the rest are not shown\n", file, MAX_DIAGS);
        if (is_error) as->runaway = true; /* the image is lost anyway: stop the pass */
        return;
    }
    const char *kind = is_error ? "error" : "warning";
    if (line > 0) fprintf(as->diag, "%s:%d:%d: %s: ", file, line, col, kind);
    else fprintf(as->diag, "%s: %s: ", file, kind);
    vfprintf(as->diag, fmt, ap);
    fputc('\n', as->diag);
    if (line > 0 && text) print_caret(as->diag, text, col);
    print_notes(as);
}

/* An error at column col of the current line; returns false for `return error(...)`. */
PRINTF_LIKE(3, 4) static bool error(struct assembler *as, int col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vdiag(as, true, as->line.file, as->line.no, col, as->line.text, fmt, ap);
    va_end(ap);
    return false;
}

PRINTF_LIKE(3, 4) static void warning(struct assembler *as, int col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vdiag(as, false, as->line.file, as->line.no, col, as->line.text, fmt, ap);
    va_end(ap);
}

PRINTF_LIKE(3, 4) static bool error_at(struct assembler *as, const struct saved_loc *at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vdiag(as, true, at->file, at->line, at->col, at->text, fmt, ap);
    va_end(ap);
    return false;
}

PRINTF_LIKE(3, 4) static void warning_at(struct assembler *as, const struct saved_loc *at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vdiag(as, false, at->file, at->line, at->col, at->text, fmt, ap);
    va_end(ap);
}

/* Remembers column col of the current line (with a copy of its text when
 * the diagnostic may come after the line is gone). */
static void save_loc(struct assembler *as, struct saved_loc *l, int col, bool with_text)
{
    free(l->text);
    l->file = as->line.file;
    l->line = as->line.no;
    l->col = col;
    /* only the final pass prints, and every place is saved again in it: the
     * copy of the line is not worth making before (a copy per label per
     * pass adds up in a big program) */
    l->text = with_text && as->final && as->line.text ? xstrdup(as->line.text) : NULL;
}

/* ---- symbols ---------------------------------------------------------------- */

/* Names are looked up by hash, and the tables grow with what they hold, so
 * that a program with many symbols or macros assembles in time linear in
 * its length (80000 labels: well under a second). */
static size_t name_hash(const char *s)
{
    size_t h = 2166136261u; /* FNV-1a */
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

static struct sym *sym_find(struct assembler *as, const char *name)
{
    if (!as->nbuckets) return NULL;
    for (struct sym *s = as->buckets[name_hash(name) & (as->nbuckets - 1)]; s; s = s->next)
        if (strcmp(s->name, name) == 0) return s;
    return NULL;
}

/* Makes the chains twice as many as before (1024 at first) and puts every
 * symbol on its chain again. */
static void sym_rehash(struct assembler *as)
{
    size_t n = as->nbuckets ? 2 * as->nbuckets : 1024;
    free(as->buckets);
    as->buckets = xmalloc(sizeof *as->buckets * n);
    memset(as->buckets, 0, sizeof *as->buckets * n);
    as->nbuckets = n;
    for (int i = 0; i < as->nsyms; i++) {
        struct sym *s = as->syms[i];
        size_t h = name_hash(s->name) & (n - 1);
        s->next = as->buckets[h];
        as->buckets[h] = s;
    }
}

/* The symbol called name, created (undefined) if it does not exist yet. */
static struct sym *sym_intern(struct assembler *as, const char *name)
{
    struct sym *s = sym_find(as, name);
    if (s) return s;
    s = xmalloc(sizeof *s);
    memset(s, 0, sizeof *s);
    s->name = xstrdup(name);
    s->sec = SEC_ABS;
    GROW(as->syms, as->nsyms, as->capsyms);
    as->syms[as->nsyms++] = s;
    if ((size_t)as->nsyms > as->nbuckets) {
        sym_rehash(as); /* chains stay short: at most one symbol per chain on average */
    } else {
        size_t h = name_hash(name) & (as->nbuckets - 1);
        s->next = as->buckets[h];
        as->buckets[h] = s;
    }
    return s;
}

/* A symbol has a value if this pass defined it, or the previous pass did
 * (a forward reference), and its value (or its section's place) is known. */
static bool sym_known(const struct assembler *as, const struct sym *s)
{
    return s->def_pass > 0 && s->def_pass >= as->pass - 1 && s->value_known &&
           (s->sec == SEC_ABS || as->sec[s->sec].base_known);
}

static int64_t sym_value(const struct assembler *as, const struct sym *s)
{
    return s->sec == SEC_ABS ? s->value : (int64_t)as->sec[s->sec].base + s->value;
}

/* The slot of num in the open-addressed table of numeric labels: its own,
 * or the empty one where it would go (count -1 marks an empty slot). */
static struct numlabel *numlabel_slot(struct numlabel *t, int cap, long num)
{
    size_t i = ((size_t)num * 2654435761u) & (size_t)(cap - 1);
    while (t[i].count >= 0 && t[i].num != num) i = (i + 1) & (size_t)(cap - 1);
    return &t[i];
}

/* How many `num:` labels this pass has seen so far (a pointer, to count one more). */
static int *numlabel_count(struct assembler *as, long num)
{
    if (2 * (as->nnums + 1) > as->capnums) { /* at most half full: probes stay short */
        int cap = as->capnums ? 2 * as->capnums : 64;
        struct numlabel *t = xmalloc(sizeof *t * (size_t)cap);
        for (int i = 0; i < cap; i++) t[i].count = -1;
        for (int i = 0; i < as->capnums; i++)
            if (as->nums[i].count >= 0) *numlabel_slot(t, cap, as->nums[i].num) = as->nums[i];
        free(as->nums);
        as->nums = t;
        as->capnums = cap;
    }
    struct numlabel *e = numlabel_slot(as->nums, as->capnums, num);
    if (e->count < 0) {
        *e = (struct numlabel){num, 0};
        as->nnums++;
    }
    return &e->count;
}

/* Forgets every numeric label (a new pass counts them from the start). */
static void numlabel_reset(struct assembler *as)
{
    for (int i = 0; i < as->capnums; i++) as->nums[i].count = -1;
    as->nnums = 0;
}

/* A name the user may define: an identifier that is not a register. */
static bool check_symbol_name(struct assembler *as, const char *name, int col)
{
    if (!is_identifier(name)) return error(as, col, "expected a symbol name, got '%s'", name);
    if (isa_reg_parse(name) >= 0) return error(as, col, "'%s' is a register and cannot be a symbol", name);
    return true;
}

static void define_label(struct assembler *as, const char *name, int col)
{
    char numname[48];
    bool numeric = isdigit((unsigned char)name[0]);
    if (numeric) {
        if (strlen(name) > 9) {
            error(as, col, "numeric label '%s' is too long (at most 9 digits)", name);
            return;
        }
        long num = strtol(name, NULL, 10);
        int *count = numlabel_count(as, num);
        snprintf(numname, sizeof numname, "%ld:%d", num, (*count)++);
        name = numname;
    } else if (!check_symbol_name(as, name, col)) {
        return;
    }
    struct sym *s = sym_intern(as, name);
    if (s->def_pass == as->pass) {
        error(as, col, "%s '%s' (first defined at %s:%d)",
              s->kind == SYM_LABEL ? "duplicate label" : "label clashes with constant", name, s->def.file,
              s->def.line);
        return;
    }
    s->kind = SYM_LABEL;
    s->phase_id = as->phase_id;
    if (as->phase_id) { /* an address outside every section: absolute */
        s->sec = SEC_ABS;
        s->value = as->phase_base + (int64_t)(as->sec[as->cur].size - as->phase_start);
        s->value_known = as->phase_known;
    } else {
        s->sec = as->cur;
        s->value = as->sec[as->cur].size;
        s->value_known = true;
    }
    s->def_pass = as->pass;
    s->hidden = numeric || strncmp(name, ".L", 2) == 0;
    save_loc(as, &s->def, col, true);
}

static bool eval(struct assembler *as, const char *text, int col, int64_t *out, bool *known);

/* .equ (fixed) and .set / `name = expr` (redefinable) constants. */
static void define_constant(struct assembler *as, const char *name, int col, const char *expr, int ecol,
                            bool redefinable)
{
    int64_t v = 0;
    bool known = false;
    if (!check_symbol_name(as, name, col)) return;
    bool ok = eval(as, expr, ecol, &v, &known);
    struct sym *s = sym_intern(as, name);
    if (s->def_pass == as->pass && !(redefinable && s->kind == SYM_SET)) {
        error(as, col, "'%s' is already defined (at %s:%d)", name, s->def.file, s->def.line);
        return;
    }
    s->kind = redefinable ? SYM_SET : SYM_EQU;
    s->sec = SEC_ABS;
    s->value = v;
    s->value_known = ok && known;
    s->def_pass = as->pass;
    s->hidden = true;
    save_loc(as, &s->def, col, false);
}

/* ---- sections and output ------------------------------------------------------ */

static struct section *cursec(struct assembler *as) { return &as->sec[as->cur]; }

/* Address of the next byte of the current section (its offset while the
 * section's place is not yet known). */
static uint64_t here(struct assembler *as) { return cursec(as)->base + cursec(as)->size; }

/* The address the code being assembled will run at: here(), or inside a
 * .phase block the phased address.  loc_known says whether it is known yet. */
static uint64_t loc(struct assembler *as)
{
    if (as->phase_id) return (uint64_t)as->phase_base + (cursec(as)->size - as->phase_start);
    return here(as);
}

static bool loc_known(struct assembler *as) { return as->phase_id ? as->phase_known : cursec(as)->base_known; }

/* Makes room for n more bytes; false (with an error) if the section would
 * grow past what the machine or the assembler allows. */
static bool section_reserve(struct assembler *as, uint64_t n)
{
    struct section *s = cursec(as);
    uint64_t end = (uint64_t)s->size + n;
    if (as->cur != SEC_BSS && end > MAX_SECTION_BYTES)
        return error(as, as->stmt_col, "%s would grow past %u MiB", s->name, MAX_SECTION_BYTES >> 20);
    if (s->base + end > 0x100000000ull)
        return error(as, as->stmt_col, "%s runs past the end of the 32-bit address space", s->name);
    if (as->phase_id && (uint64_t)as->phase_base + (end - as->phase_start) > 0x100000000ull)
        return error(as, as->stmt_col, "the .phase block runs past the end of the 32-bit address space");
    if (as->cur != SEC_BSS && end > s->cap) {
        size_t cap = s->cap ? s->cap : 1024;
        while (cap < end) cap *= 2;
        s->bytes = xrealloc(s->bytes, cap);
        s->cap = cap;
    }
    return true;
}

/* Appends n bytes (zeros if src is NULL) at the location counter. */
static void emit(struct assembler *as, const void *src, uint64_t n)
{
    struct section *s = cursec(as);
    if (!section_reserve(as, n)) return;
    if (s->bytes) {
        if (src) memcpy(s->bytes + s->size, src, (size_t)n);
        else memset(s->bytes + s->size, 0, (size_t)n);
    }
    s->size += (uint32_t)n;
}

/* Appends a value of size bytes, little-endian. */
static void emit_le(struct assembler *as, uint64_t v, int size)
{
    uint8_t b[4];
    for (int i = 0; i < size; i++) b[i] = (uint8_t)(v >> (8 * i));
    emit(as, b, (uint64_t)size);
}

/* ---- lexing ------------------------------------------------------------------- */

/* Cuts the line at its comment (#, ; or //), ignoring those inside "strings"
 * and 'c' literals; the rest keeps its columns. */
static void strip_comment(char *s)
{
    char quote = 0;
    for (char *p = s; *p; p++) {
        if (quote) {
            if (*p == '\\' && p[1]) p++;
            else if (*p == quote) quote = 0;
        } else if (*p == '"' || *p == '\'') {
            quote = *p;
        } else if (*p == '#' || *p == ';' || (*p == '/' && p[1] == '/')) {
            *p = 0;
            break;
        }
    }
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1])) s[--n] = 0;
}

/* Splits s (whose first character is at column col) at top-level commas —
 * not those inside (parentheses), "strings" or 'c' — into trimmed operands. */
static bool split_operands(struct assembler *as, char *s, int col, struct oplist *out, bool allow_empty)
{
    out->n = 0;
    char *start = skip_ws(s);
    if (!*start) return true;
    char *p = s, *piece = s;
    int depth = 0;
    for (;; p++) {
        if (*p == '"' || *p == '\'') {
            char q = *p, *open = p;
            for (p++; *p && *p != q; p++)
                if (*p == '\\' && p[1]) p++;
            if (!*p)
                return error(as, col + (int)(open - s),
                             q == '"' ? "unterminated string" : "unterminated character constant");
            continue;
        }
        if (*p == '(') depth++;
        if (*p == ')' && depth > 0) depth--;
        if (*p == 0 || (*p == ',' && depth == 0)) {
            bool last = *p == 0;
            *p = 0;
            char *t = skip_ws(piece);
            size_t n = strlen(t);
            while (n && isspace((unsigned char)t[n - 1])) t[--n] = 0;
            int tcol = col + (int)(t - s);
            if (!*t && !allow_empty) return error(as, tcol, "missing operand");
            GROW(out->v, out->n, out->cap);
            out->v[out->n++] = (struct operand){t, tcol};
            if (last) return true;
            piece = p + 1;
        }
    }
}

/* Decodes one escape after a backslash (*p points past the backslash);
 * returns the byte, or -1 for an unknown escape. */
static int decode_escape(const char **p)
{
    char c = *(*p)++;
    switch (c) {
    case 'n': return '\n';
    case 't': return '\t';
    case 'r': return '\r';
    case '0': return 0;
    case '\\': return '\\';
    case '\'': return '\'';
    case '"': return '"';
    case 'x': {
        int v = 0, n = 0;
        while (n < 2 && isxdigit((unsigned char)**p)) {
            char d = *(*p)++;
            v = v * 16 + (isdigit((unsigned char)d) ? d - '0' : tolower((unsigned char)d) - 'a' + 10);
            n++;
        }
        return n ? v : -1;
    }
    default: return -1;
    }
}

/* Decodes a "string" operand into out. */
static bool parse_string(struct assembler *as, const struct operand *o, struct bytes *out)
{
    const char *p = o->text;
    if (*p != '"') return error(as, o->col, "expected a string in double quotes, got '%s'", o->text);
    for (p++; *p != '"'; ) {
        if (!*p) return error(as, o->col, "unterminated string");
        if (*p == '\\') {
            const char *esc = p++;
            int c = decode_escape(&p);
            if (c < 0) return error(as, o->col + (int)(esc - o->text), "unknown escape '\\%c'", esc[1]);
            bytes_addc(out, (char)c);
        } else {
            bytes_addc(out, *p++);
        }
    }
    p++;
    p = skip_ws(p);
    if (*p) return error(as, o->col + (int)(p - o->text), "unexpected '%c' after string", *p);
    return true;
}

/* ---- expressions -----------------------------------------------------------------
 * Recursive descent for the operands, precedence climbing for the binary
 * operators (one table, C's levels).  Values are 64-bit two's complement;
 * each use checks the range it needs.  A symbol without a value yet (in an
 * early pass) makes the whole expression "unknown", which is fine until the
 * final pass, where it is an error. */

struct parser {
    struct assembler *as;
    const char *text; /* the whole operand, for columns */
    const char *p;
    int col;          /* column of text[0] */
    bool known;
    bool failed;
    int depth;        /* parse_unary calls under way: parentheses and unary operators */
};

PRINTF_LIKE(3, 4) static int64_t parse_fail(struct parser *ps, const char *at, const char *fmt, ...)
{
    if (!ps->failed) {
        va_list ap;
        va_start(ap, fmt);
        struct assembler *as = ps->as;
        vdiag(as, true, as->line.file, as->line.no, ps->col + (int)(at - ps->text), as->line.text, fmt, ap);
        va_end(ap);
        ps->failed = true;
    }
    return 0;
}

enum binop { B_LOR, B_LAND, B_BOR, B_BXOR, B_BAND, B_EQ, B_NE, B_LT, B_LE, B_GT, B_GE,
             B_SHL, B_SHR, B_ADD, B_SUB, B_MUL, B_DIV, B_MOD };

/* Two-character operators first, so that "<<" is not read as "<". */
static const struct { const char *tok; enum binop op; int prec; } binops[] = {
    {"||", B_LOR, 1}, {"&&", B_LAND, 2}, {"==", B_EQ, 6}, {"!=", B_NE, 6}, {"<=", B_LE, 7},
    {">=", B_GE, 7},  {"<<", B_SHL, 8},  {">>", B_SHR, 8}, {"|", B_BOR, 3}, {"^", B_BXOR, 4},
    {"&", B_BAND, 5}, {"<", B_LT, 7},    {">", B_GT, 7},   {"+", B_ADD, 9}, {"-", B_SUB, 9},
    {"*", B_MUL, 10}, {"/", B_DIV, 10},  {"%", B_MOD, 10},
};

static int64_t parse_binary(struct parser *ps, int min_prec);

static bool expect_char(struct parser *ps, char c)
{
    ps->p = skip_ws(ps->p);
    if (*ps->p == c) {
        ps->p++;
        return true;
    }
    if (*ps->p) parse_fail(ps, ps->p, "expected '%c', got '%c'", c, *ps->p);
    else parse_fail(ps, ps->p, "expected '%c'", c);
    return false;
}

/* In a branch target, a label from another .phase block (or from none,
 * when the branch is in one) gives an offset from the wrong pc: note it. */
static void note_target_label(struct assembler *as, const struct sym *s, const char *written)
{
    if (!as->checking_target || s->kind != SYM_LABEL || s->phase_id == as->phase_id || as->target_clash[0]) return;
    snprintf(as->target_clash, sizeof as->target_clash, "%.*s", (int)sizeof as->target_clash - 1, written);
    as->target_clash_phase = s->phase_id;
}

/* Nb / Nf: the nearest `N:` before / after this point. */
static int64_t local_label_value(struct parser *ps, const char *at, long num, char dir)
{
    struct assembler *as = ps->as;
    int k = *numlabel_count(as, num);
    char name[48];
    if (dir == 'b' && k == 0) return parse_fail(ps, at, "no '%ld:' label before this '%ldb'", num, num);
    snprintf(name, sizeof name, "%ld:%d", num, dir == 'b' ? k - 1 : k);
    struct sym *s = sym_find(as, name);
    if (s && sym_known(as, s)) {
        snprintf(name, sizeof name, "%ld%c", num, dir);
        note_target_label(as, s, name);
        return sym_value(as, s);
    }
    if (as->final) return parse_fail(ps, at, "no '%ld:' label after this '%ldf'", num, num);
    ps->known = false;
    return 0;
}

static int64_t parse_number(struct parser *ps)
{
    const char *at = ps->p, *p = at;
    int base = 10;
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        base = 16;
        p += 2;
        if (!isxdigit((unsigned char)*p)) return parse_fail(ps, at, "hexadecimal number needs digits after '0x'");
    } else if (p[0] == '0' && (p[1] == 'b' || p[1] == 'B') && (p[2] == '0' || p[2] == '1')) {
        base = 2;
        p += 2;
    }
    uint64_t v = 0;
    bool big = false;
    for (;; p++) {
        int d = isdigit((unsigned char)*p) ? *p - '0'
              : isxdigit((unsigned char)*p) ? tolower((unsigned char)*p) - 'a' + 10 : 99;
        if (d >= base) break;
        if (!big) v = v * (unsigned)base + (unsigned)d;
        if (v > 0xffffffffu) big = true;
    }
    if (base == 10 && (*p == 'b' || *p == 'f') && !is_ident_char(p[1])) {
        ps->p = p + 1;
        if (p - at > 9) return parse_fail(ps, at, "numeric label '%.*s' is too long", (int)(p - at), at);
        return local_label_value(ps, at, strtol(at, NULL, 10), *p);
    }
    const char *end = p;
    while (is_ident_char(*end)) end++;
    ps->p = end;
    if (end != p) return parse_fail(ps, at, "bad number '%.*s'", (int)(end - at), at);
    if (big) return parse_fail(ps, at, "number '%.*s' does not fit in 32 bits", (int)(end - at), at);
    return (int64_t)v;
}

static int64_t parse_char(struct parser *ps)
{
    const char *at = ps->p, *p = at + 1;
    int c;
    if (*p == '\'') return parse_fail(ps, at, "empty character constant");
    if (!*p) return parse_fail(ps, at, "unterminated character constant");
    if (*p == '\\') {
        p++;
        c = decode_escape(&p);
        if (c < 0) return parse_fail(ps, p - 1, "unknown escape '\\%c'", p[-1]);
    } else {
        c = (unsigned char)*p++;
    }
    if (*p != '\'') {
        ps->p = p;
        return parse_fail(ps, at, *p ? "character constant has more than one character"
                                     : "unterminated character constant");
    }
    ps->p = p + 1;
    return c;
}

static int64_t parse_symbol(struct parser *ps)
{
    struct assembler *as = ps->as;
    const char *at = ps->p, *end = at;
    while (is_ident_char(*end)) end++;
    ps->p = end;
    char small[128]; /* most names: no allocation */
    size_t len = (size_t)(end - at);
    char *name = len < sizeof small ? small : xmalloc(len + 1);
    memcpy(name, at, len);
    name[len] = 0;
    struct sym *s = sym_find(as, name);
    int64_t v = 0;
    if (s && sym_known(as, s)) {
        v = sym_value(as, s);
        note_target_label(as, s, name);
    } else if (!s && isa_reg_parse(name) >= 0) {
        parse_fail(ps, at, "register '%s' where a value is expected", name);
    } else if (as->final) {
        if (s && s->def_pass == as->pass)
            parse_fail(ps, at, "'%s' has no value (its definition at %s:%d failed)", name, s->def.file, s->def.line);
        else
            parse_fail(ps, at, "undefined symbol '%s'", name);
    } else {
        ps->known = false;
    }
    if (name != small) free(name);
    return v;
}

/* %hi(x) and %lo(x): the upper and lower 16 bits of a 32-bit value, so that
 * `lui rd, %hi(x); ori rd, rd, %lo(x)` builds x in a register. */
static int64_t parse_hilo(struct parser *ps)
{
    const char *at = ps->p;
    bool hi = strncmp(at, "%hi", 3) == 0;
    if (!hi && strncmp(at, "%lo", 3) != 0) return parse_fail(ps, at, "expected %%hi(...) or %%lo(...)");
    ps->p = at + 3;
    if (!expect_char(ps, '(')) return 0;
    const char *inner = skip_ws(ps->p);
    int64_t v = parse_binary(ps, 1);
    if (ps->failed || !expect_char(ps, ')')) return 0;
    if (ps->known && (v < INT32_MIN || v > (int64_t)UINT32_MAX))
        return parse_fail(ps, inner, "value %lld does not fit in 32 bits", (long long)v);
    uint32_t u = (uint32_t)v;
    return hi ? u >> 16 : u & 0xffff;
}

static int64_t parse_unary_nested(struct parser *ps);

/* Every way an expression can nest — parentheses, %hi(…), unary operators —
 * passes through here, so this one counter bounds the recursion (and the C
 * stack it takes) whatever the input: 100000 '(' are an error, not a crash. */
static int64_t parse_unary(struct parser *ps)
{
    if (ps->depth >= MAX_EXPR_DEPTH)
        return parse_fail(ps, skip_ws(ps->p), "expression nested too deeply (more than %d levels of "
                          "parentheses and unary operators)", MAX_EXPR_DEPTH);
    ps->depth++;
    int64_t v = parse_unary_nested(ps);
    ps->depth--;
    return v;
}

static int64_t parse_unary_nested(struct parser *ps)
{
    struct assembler *as = ps->as;
    const char *at = ps->p = skip_ws(ps->p);
    char c = *at;
    if (ps->failed) return 0;
    if (c == '-' || c == '+' || c == '~' || c == '!') {
        ps->p++;
        int64_t v = parse_unary(ps);
        return c == '-' ? (int64_t)(0 - (uint64_t)v) : c == '~' ? ~v : c == '!' ? !v : v;
    }
    if (c == '(') {
        ps->p++;
        int64_t v = parse_binary(ps, 1);
        return expect_char(ps, ')') ? v : 0;
    }
    if (c == '%') return parse_hilo(ps);
    if (c == '\'') return parse_char(ps);
    if (isdigit((unsigned char)c)) return parse_number(ps);
    if (c == '.' && !is_ident_char(at[1])) {
        ps->p++;
        if (!as->dot_known) ps->known = false;
        return (int64_t)as->dot;
    }
    if (is_ident_start(c)) return parse_symbol(ps);
    if (!c) return parse_fail(ps, at, "expected a value");
    return parse_fail(ps, at, "expected a value, got '%c'", c);
}

static int64_t apply_binop(struct parser *ps, enum binop op, int64_t a, int64_t b, const char *at)
{
    uint64_t ua = (uint64_t)a, ub = (uint64_t)b; /* wrap-around arithmetic without overflow */
    switch (op) {
    case B_LOR: return a || b;
    case B_LAND: return a && b;
    case B_BOR: return a | b;
    case B_BXOR: return a ^ b;
    case B_BAND: return a & b;
    case B_EQ: return a == b;
    case B_NE: return a != b;
    case B_LT: return a < b;
    case B_LE: return a <= b;
    case B_GT: return a > b;
    case B_GE: return a >= b;
    case B_ADD: return (int64_t)(ua + ub);
    case B_SUB: return (int64_t)(ua - ub);
    case B_MUL: return (int64_t)(ua * ub);
    case B_SHL: case B_SHR:
        if (!ps->known) return 0;
        if (b < 0 || b > 63) return parse_fail(ps, at, "shift count %lld out of range 0..63", (long long)b);
        return op == B_SHL ? (int64_t)(ua << b) : a >= 0 ? a >> b : ~(~a >> b);
    case B_DIV: case B_MOD:
        if (!ps->known) return 0;
        if (b == 0) return parse_fail(ps, at, "division by zero");
        if (b == -1) return op == B_DIV ? (int64_t)(0 - ua) : 0; /* INT64_MIN / -1 would trap */
        return op == B_DIV ? a / b : a % b;
    }
    return 0;
}

static int64_t parse_binary(struct parser *ps, int min_prec)
{
    int64_t lhs = parse_unary(ps);
    while (!ps->failed) {
        const char *at = ps->p = skip_ws(ps->p);
        size_t i, n = sizeof binops / sizeof binops[0];
        for (i = 0; i < n; i++) {
            const char *t = binops[i].tok;
            if (t[0] == at[0] && (!t[1] || t[1] == at[1])) break;
        }
        if (i == n || binops[i].prec < min_prec) break;
        ps->p += binops[i].tok[1] ? 2 : 1;
        int64_t rhs = parse_binary(ps, binops[i].prec + 1);
        if (ps->failed) break;
        lhs = apply_binop(ps, binops[i].op, lhs, rhs, at);
    }
    return lhs;
}

/* Evaluates text (an operand starting at column col).  False if it has an
 * error (reported).  *known is false when some symbol has no value yet —
 * which the final pass never allows. */
static bool eval(struct assembler *as, const char *text, int col, int64_t *out, bool *known)
{
    struct parser ps = {as, text, text, col, true, false, 0};
    int64_t v = parse_binary(&ps, 1);
    if (!ps.failed) {
        const char *end = skip_ws(ps.p);
        if (*end) parse_fail(&ps, end, "unexpected '%c' in expression", *end);
    }
    *out = ps.failed || !ps.known ? 0 : v;
    *known = !ps.failed && ps.known;
    return !ps.failed;
}

/* eval for values that must be known now (sizes, alignments, conditions):
 * in an early pass an unknown value reads as `dflt`; later passes fix it. */
static bool eval_now(struct assembler *as, const struct operand *o, int64_t dflt, int64_t *out)
{
    bool known;
    if (!eval(as, o->text, o->col, out, &known)) return false;
    if (!known) *out = dflt;
    return true;
}

/* ---- instructions ------------------------------------------------------------------ */

enum opkind { K_REG, K_CREG, K_PORT, K_IMM, K_TARGET, K_MEM };

#define MAX_OPERANDS 4
#define NAME_LEN 24

/* Splits an operand list such as "rd, simm16(rs1)" into its names. */
static int split_names(const char *list, char names[][NAME_LEN])
{
    int n = 0;
    while (*list && n < MAX_OPERANDS) {
        size_t len = strcspn(list, ","), keep = len < NAME_LEN ? len : NAME_LEN - 1;
        memcpy(names[n], list, keep);   /* not snprintf: a third of all assembling time */
        names[n++][keep] = '\0';
        list += len;
        while (*list == ',' || *list == ' ') list++;
    }
    return n;
}

/* What an operand name of isa_format_operands asks for (see the top). */
static enum opkind operand_kind(const char *name)
{
    if (strchr(name, '(')) return K_MEM;
    if (strcmp(name, "label") == 0) return K_TARGET;
    if (strcmp(name, "cr") == 0) return K_CREG;
    if (strcmp(name, "port") == 0) return K_PORT;
    if (name[0] == 'r') return K_REG;
    return K_IMM;
}

/* "addi expects 3 operands (rd, rs1, simm16), got 2" */
static bool check_count(struct assembler *as, const char *mn, const char *syntax, int want,
                        const struct oplist *ops, int col)
{
    if (ops->n == want) return true;
    int at = ops->n > want ? ops->v[want].col : col;
    if (want == 0) return error(as, at, "%s takes no operands, got %d", mn, ops->n);
    return error(as, at, "%s expects %d operand%s (%s), got %d", mn, want, want == 1 ? "" : "s", syntax, ops->n);
}

static bool parse_reg(struct assembler *as, const struct operand *o, uint8_t *out)
{
    int r = isa_reg_parse(o->text);
    if (r < 0) return error(as, o->col, "expected a register (r0..r15, zero, sp, lr), got '%s'", o->text);
    *out = (uint8_t)r;
    return true;
}

/* A value for the imm field, checked against the format's range. */
static bool parse_imm(struct assembler *as, const char *text, int col, const char *what, enum isa_op op,
                      int32_t *out)
{
    int64_t v;
    bool known;
    int32_t lo, hi;
    if (!eval(as, text, col, &v, &known)) return false;
    isa_imm_range(isa_info[op].format, &lo, &hi);
    if (known && (v < lo || v > hi))
        return error(as, col, "%s %lld out of range %d..%d for %s", what, (long long)v, lo, hi, isa_info[op].mnemonic);
    *out = known ? (int32_t)v : 0;
    return true;
}

/* A control register or port: by name, or by number. */
static bool parse_named(struct assembler *as, const struct operand *o, int named, const char *what, enum isa_op op,
                        int32_t *out)
{
    if (named >= 0) {
        *out = named;
        return true;
    }
    struct sym *s = sym_find(as, o->text);
    if (is_identifier(o->text) && !(s && s->def_pass))
        return error(as, o->col, "unknown %s '%s'", what, o->text);
    return parse_imm(as, o->text, o->col, what, op, out);
}

/* "offset(reg)" or "(reg)": the offset's value and the register. */
static bool parse_mem(struct assembler *as, const struct operand *o, enum isa_op op, int32_t *imm, uint8_t *reg)
{
    char *t = o->text;
    size_t len = strlen(t);
    int depth = 0;
    size_t open = len;
    if (len && t[len - 1] == ')') {
        for (size_t i = len; i-- > 0;) {
            if (t[i] == ')') depth++;
            if (t[i] == '(' && --depth == 0) { open = i; break; }
        }
    }
    if (open == len) return error(as, o->col, "expected offset(register), got '%s'", t);
    char *inner = xstrndup(t + open + 1, len - open - 2);
    struct operand r = {skip_ws(inner), o->col + (int)(open + 1) + (int)(skip_ws(inner) - inner)};
    size_t rl = strlen(r.text);
    while (rl && isspace((unsigned char)r.text[rl - 1])) r.text[--rl] = 0;
    bool ok = parse_reg(as, &r, reg);
    free(inner);
    if (!ok) return false;
    char *off = xstrndup(t, open);
    ok = *skip_ws(off) ? parse_imm(as, off, o->col, "offset", op, imm) : (*imm = 0, true);
    free(off);
    return ok;
}

/* A branch or jump target: an address, encoded as words from pc. */
static bool parse_target(struct assembler *as, const struct operand *o, enum isa_op op, uint32_t pc, int32_t *out)
{
    int64_t v;
    bool known;
    int32_t lo, hi;
    *out = 0;
    as->checking_target = true;
    as->target_clash[0] = 0;
    bool ok = eval(as, o->text, o->col, &v, &known);
    as->checking_target = false;
    if (!ok) return false;
    if (as->target_clash[0]) {
        if (as->phase_id)
            return error(as, o->col, "branch from a .phase block to a label outside it ('%s')", as->target_clash);
        return error(as, o->col, "branch to a label inside a .phase block ('%s') from outside it",
                     as->target_clash);
    }
    if (!known) return true;
    if (v < INT32_MIN || v > (int64_t)UINT32_MAX)
        return error(as, o->col, "target %lld is not a 32-bit address", (long long)v);
    /* PC arithmetic wraps modulo 2^32, so the distance does too */
    int32_t delta = (int32_t)((uint32_t)v - pc);
    if (delta % 4) return error(as, o->col, "target 0x%x is not 4-byte aligned", (uint32_t)v);
    isa_imm_range(isa_info[op].format, &lo, &hi);
    if (delta / 4 < lo || delta / 4 > hi)
        return error(as, o->col, "target 0x%x is out of range for %s (%d words away, limit %d..%d)", (uint32_t)v,
                     isa_info[op].mnemonic, delta / 4, lo, hi);
    *out = delta / 4;
    return true;
}

/* Assembles one real instruction at pc; returns its word, or 0 after an error. */
static uint32_t assemble_insn(struct assembler *as, enum isa_op op, const struct oplist *ops, int col, uint32_t pc)
{
    enum isa_fmt fmt = isa_info[op].format;
    char names[MAX_OPERANDS][NAME_LEN];
    int want = split_names(isa_format_operands[fmt], names);
    struct isa_insn in = {.op = op};
    uint8_t *regs[3] = {&in.a, &in.b, &in.c};
    int nreg = 0;
    uint32_t word;

    if (!check_count(as, isa_info[op].mnemonic, isa_format_operands[fmt], want, ops, col)) return 0;
    for (int i = 0; i < want; i++) {
        const struct operand *o = &ops->v[i];
        bool ok = true;
        switch (operand_kind(names[i])) {
        case K_REG: ok = parse_reg(as, o, regs[nreg++]); break;
        case K_MEM: ok = parse_mem(as, o, op, &in.imm, regs[nreg++]); break;
        case K_IMM: ok = parse_imm(as, o->text, o->col, "immediate", op, &in.imm); break;
        case K_CREG: ok = parse_named(as, o, isa_creg_parse(o->text), "control register", op, &in.imm); break;
        case K_PORT: ok = parse_named(as, o, isa_port_parse(o->text), "port", op, &in.imm); break;
        case K_TARGET: ok = parse_target(as, o, op, pc, &in.imm); break;
        }
        if (!ok) return 0;
    }
    if (!isa_encode(&in, &word)) {
        error(as, col, "cannot encode %s (internal error)", isa_info[op].mnemonic);
        return 0;
    }
    return word;
}

/* ---- pseudo-instructions -------------------------------------------------------------- */

static int pseudo_lookup(const char *mn)
{
    for (int i = 0; isa_pseudo_doc[i][0]; i++) {
        size_t len = strcspn(isa_pseudo_doc[i][0], " ");
        if (strlen(mn) == len && strncasecmp(isa_pseudo_doc[i][0], mn, len) == 0) return i;
    }
    return -1;
}

/* Builds one operand of an expansion from its template: a parameter name
 * in it is replaced by the operand the user wrote, and the column is moved
 * so that errors inside it still point at the user's text. */
static struct operand substitute_operand(const char *tmpl, char params[][NAME_LEN], int np,
                                         const struct oplist *ops, int col)
{
    for (const char *p = tmpl; *p; p++) {
        if (!is_ident_start(*p) || (p > tmpl && is_ident_char(p[-1]))) continue;
        const char *e = p;
        while (is_ident_char(*e)) e++;
        for (int k = 0; k < np; k++) {
            if (strlen(params[k]) == (size_t)(e - p) && strncmp(params[k], p, (size_t)(e - p)) == 0) {
                struct bytes b = {0};
                bytes_add(&b, tmpl, (size_t)(p - tmpl));
                bytes_add(&b, ops->v[k].text, strlen(ops->v[k].text));
                bytes_add(&b, e, strlen(e));
                return (struct operand){b.p, ops->v[k].col - (int)(p - tmpl)};
            }
        }
        p = e - 1;
    }
    return (struct operand){xstrdup(tmpl), col};
}

/* Expands pseudo pi (see isa_pseudo_doc) and assembles each instruction. */
static void assemble_pseudo(struct assembler *as, int pi, const struct oplist *ops, int col)
{
    const char *syntax = isa_pseudo_doc[pi][0], *exp = isa_pseudo_doc[pi][1];
    char mn[NAME_LEN], params[MAX_OPERANDS][NAME_LEN];
    size_t mnlen = strcspn(syntax, " ");
    snprintf(mn, sizeof mn, "%.*s", (int)mnlen, syntax);
    const char *plist = syntax + mnlen + (syntax[mnlen] == ' ');
    int np = split_names(plist, params);
    bool ok = check_count(as, mn, plist, np, ops, col);

    while (*exp) { /* one instruction per ';'-separated part */
        size_t len = strcspn(exp, ";");
        char *part = xstrndup(exp, len), *sp = strchr(part, ' ');
        char tmpl[MAX_OPERANDS][NAME_LEN];
        int nt = sp ? split_names(sp + 1, tmpl) : 0;
        if (sp) *sp = 0;
        enum isa_op op = isa_op_by_mnemonic(part);
        uint32_t word = 0;
        if (ok && op != OP_INVALID) {
            struct oplist sub = {xmalloc(sizeof *sub.v * MAX_OPERANDS), 0, MAX_OPERANDS};
            for (int i = 0; i < nt; i++) sub.v[sub.n++] = substitute_operand(tmpl[i], params, np, ops, col);
            word = assemble_insn(as, op, &sub, col, (uint32_t)loc(as));
            for (int i = 0; i < sub.n; i++) free(sub.v[i].text);
            free(sub.v);
            ok = word != 0;
        } else if (ok) {
            ok = error(as, col, "pseudo-instruction %s expands to unknown '%s' (internal error)", mn, part);
        }
        emit_le(as, word, 4);
        free(part);
        exp += len;
        while (*exp == ';' || *exp == ' ') exp++;
    }
}

static void statement_insn(struct assembler *as, struct stmt *st)
{
    enum isa_op op = isa_op_by_mnemonic(st->word);
    int pi = op == OP_INVALID ? pseudo_lookup(st->word) : -1;
    if (op == OP_INVALID && pi < 0) {
        error(as, st->col, "unknown instruction '%s'", st->word);
        return;
    }
    if (as->cur == SEC_BSS) {
        error(as, st->col, "instruction in .bss (it holds only zeros)");
        return;
    }
    if (!split_operands(as, st->rest, st->rest_col, &st->ops, false)) {
        emit(as, NULL, pi >= 0 ? 4 * (1 + (uint64_t)(strchr(isa_pseudo_doc[pi][1], ';') != NULL)) : 4);
        return;
    }
    if (cursec(as)->size % 4 && !as->misaligned_said[as->cur]) {
        error(as, st->col, "instruction at misaligned address 0x%llx (add .align 4 before it)",
              (unsigned long long)here(as));
        as->misaligned_said[as->cur] = true;
    }
    if (op != OP_INVALID) emit_le(as, assemble_insn(as, op, &st->ops, st->col, (uint32_t)loc(as)), 4);
    else assemble_pseudo(as, pi, &st->ops, st->col);
}

/* ---- directives --------------------------------------------------------------------------- */

static bool want_ops(struct assembler *as, const struct stmt *st, int min, int max)
{
    int n = st->ops.n;
    if (n >= min && n <= max) return true;
    int col = n > max ? st->ops.v[max].col : st->col;
    if (max == INT_MAX) return error(as, col, "'%s' expects at least %d operand%s", st->word, min, min == 1 ? "" : "s");
    if (min == max)
        return error(as, col, "'%s' expects %d operand%s, got %d", st->word, min, min == 1 ? "" : "s", n);
    return error(as, col, "'%s' expects %d or %d operands, got %d", st->word, min, max, n);
}

static void switch_section(struct assembler *as, int sec)
{
    if (as->phase_id && sec != as->cur) {
        error(as, as->stmt_col, "section switch inside a .phase block (started at %s:%d; end it with .dephase)",
              as->phase_loc.file, as->phase_loc.line);
        return;
    }
    as->cur = sec;
}

static void dir_text(struct assembler *as, struct stmt *st)
{
    if (want_ops(as, st, 0, 0)) switch_section(as, SEC_TEXT);
}

static void dir_data(struct assembler *as, struct stmt *st)
{
    if (want_ops(as, st, 0, 0)) switch_section(as, SEC_DATA);
}

static void dir_bss(struct assembler *as, struct stmt *st)
{
    if (want_ops(as, st, 0, 0)) switch_section(as, SEC_BSS);
}

static void dir_section(struct assembler *as, struct stmt *st)
{
    if (!want_ops(as, st, 1, 1)) return;
    for (int i = 0; i < SEC_COUNT; i++) {
        if (strcmp(st->ops.v[0].text, as->sec[i].name) == 0) {
            switch_section(as, i);
            return;
        }
    }
    error(as, st->ops.v[0].col, "unknown section '%s' (ringsim images have .text, .data and .bss)", st->ops.v[0].text);
}

/* .byte/.half/.word: each value stored little-endian in size bytes. */
static void data_values(struct assembler *as, struct stmt *st, int size)
{
    static const int64_t lo[5] = {0, -128, -32768, 0, INT32_MIN};
    static const int64_t hi[5] = {0, 255, 65535, 0, UINT32_MAX};
    if (!want_ops(as, st, 1, INT_MAX)) return;
    if (as->cur == SEC_BSS) {
        error(as, st->col, "'%s' in .bss (it holds only zeros; use .space)", st->word);
        return;
    }
    if (size > 1 && loc(as) % (uint64_t)size)
        warning(as, st->col, "'%s' at misaligned address 0x%llx (loads of it will fault; add .align %d)", st->word,
                (unsigned long long)loc(as), size);
    for (int i = 0; i < st->ops.n; i++) {
        int64_t v;
        bool known;
        const struct operand *o = &st->ops.v[i];
        if (eval(as, o->text, o->col, &v, &known) && known && (v < lo[size] || v > hi[size]))
            warning(as, o->col, "value %lld truncated to %d bits (0x%llx) in '%s'", (long long)v, 8 * size,
                    (unsigned long long)((uint64_t)v & ((1ull << (8 * size)) - 1)), st->word);
        emit_le(as, (uint64_t)v, size);
    }
}

static void dir_byte(struct assembler *as, struct stmt *st) { data_values(as, st, 1); }
static void dir_half(struct assembler *as, struct stmt *st) { data_values(as, st, 2); }
static void dir_word(struct assembler *as, struct stmt *st) { data_values(as, st, 4); }

static void string_values(struct assembler *as, struct stmt *st, bool nul)
{
    if (!want_ops(as, st, 1, INT_MAX)) return;
    if (as->cur == SEC_BSS) {
        error(as, st->col, "'%s' in .bss (it holds only zeros; use .space)", st->word);
        return;
    }
    for (int i = 0; i < st->ops.n; i++) {
        struct bytes b = {0};
        if (parse_string(as, &st->ops.v[i], &b)) emit(as, b.p, b.len + nul);
        free(b.p);
    }
}

static void dir_ascii(struct assembler *as, struct stmt *st) { string_values(as, st, false); }
static void dir_asciz(struct assembler *as, struct stmt *st) { string_values(as, st, true); }

static void dir_space(struct assembler *as, struct stmt *st)
{
    int64_t n, fill = 0;
    if (!want_ops(as, st, 1, 2) || !eval_now(as, &st->ops.v[0], 0, &n)) return;
    if (st->ops.n == 2 && !eval_now(as, &st->ops.v[1], 0, &fill)) return;
    if (n < 0) {
        error(as, st->ops.v[0].col, "'.space' size %lld is negative", (long long)n);
        return;
    }
    if (fill < -128 || fill > 255)
        warning(as, st->ops.v[1].col, "fill value %lld truncated to 8 bits", (long long)fill);
    if (fill && as->cur == SEC_BSS) {
        error(as, st->ops.v[1].col, "'.space' with a non-zero fill in .bss (it holds only zeros)");
        return;
    }
    if (!section_reserve(as, (uint64_t)n)) return;
    if (cursec(as)->bytes) memset(cursec(as)->bytes + cursec(as)->size, (int)(fill & 0xff), (size_t)n);
    cursec(as)->size += (uint32_t)n;
}

/* Pads to a multiple of n bytes: with nop words in .text (so that falling
 * through the padding is harmless), zeros elsewhere.  In a .phase block it
 * is the phased address that gets aligned. */
static void dir_align(struct assembler *as, struct stmt *st)
{
    int64_t n;
    if (!want_ops(as, st, 1, 1) || !eval_now(as, &st->ops.v[0], 1, &n)) return;
    if (n < 1 || n > 65536 || (n & (n - 1))) {
        error(as, st->ops.v[0].col, "alignment %lld is not a power of two in 1..65536", (long long)n);
        return;
    }
    if (as->cur == SEC_TEXT && n % 4)
        warning(as, st->ops.v[0].col, "'.align %lld' in .text does not keep instructions 4-byte aligned", (long long)n);
    uint64_t pad = (uint64_t)(-(int64_t)loc(as)) & (uint64_t)(n - 1);
    while (pad && (as->cur != SEC_TEXT || loc(as) % 4)) {
        emit(as, NULL, 1);
        pad--;
    }
    struct isa_insn nop = {.op = OP_ADDI};
    uint32_t w;
    isa_encode(&nop, &w);
    for (; pad >= 4; pad -= 4) emit_le(as, w, 4);
}

/* .org ADDRESS: move forward to an absolute address in the current section
 * (in a .phase block, to a phased address). */
static void dir_org(struct assembler *as, struct stmt *st)
{
    int64_t to;
    bool known;
    const struct operand *o = st->ops.n ? &st->ops.v[0] : NULL;
    if (!want_ops(as, st, 1, 1) || !eval(as, o->text, o->col, &to, &known)) return;
    if (!known || !loc_known(as)) return; /* a later pass knows */
    if (to < (int64_t)loc(as)) {
        error(as, o->col, "'.org 0x%llx' would move backwards (%s is already at 0x%llx)", (unsigned long long)to,
              as->phase_id ? "the .phase block" : cursec(as)->name, (unsigned long long)loc(as));
        return;
    }
    emit(as, NULL, (uint64_t)to - loc(as));
}

/* .phase ADDRESS: what follows runs at ADDRESS, wherever its bytes are. */
static void dir_phase(struct assembler *as, struct stmt *st)
{
    int64_t v;
    bool known;
    if (!want_ops(as, st, 1, 1)) return;
    if (as->phase_id) {
        error(as, st->col, "already in a .phase block started at %s:%d", as->phase_loc.file, as->phase_loc.line);
        return;
    }
    const struct operand *o = &st->ops.v[0];
    if (!eval(as, o->text, o->col, &v, &known)) known = false, v = 0;
    if (known && (v < 0 || v > (int64_t)UINT32_MAX)) {
        error(as, o->col, "'.phase' address %lld is not a 32-bit address", (long long)v);
        known = false, v = 0;
    }
    as->phase_id = ++as->phase_count;
    as->phase_base = v;
    as->phase_known = known;
    as->phase_start = cursec(as)->size;
    save_loc(as, &as->phase_loc, st->col, true);
}

static void dir_dephase(struct assembler *as, struct stmt *st)
{
    if (!want_ops(as, st, 0, 0)) return;
    if (!as->phase_id) {
        error(as, st->col, "'.dephase' without '.phase'");
        return;
    }
    as->phase_id = 0;
}

static void dir_equ(struct assembler *as, struct stmt *st)
{
    if (want_ops(as, st, 2, 2))
        define_constant(as, st->ops.v[0].text, st->ops.v[0].col, st->ops.v[1].text, st->ops.v[1].col,
                        strcmp(st->word, ".set") == 0);
}

static void dir_global(struct assembler *as, struct stmt *st)
{
    if (!want_ops(as, st, 1, INT_MAX)) return;
    for (int i = 0; i < st->ops.n; i++) {
        const struct operand *o = &st->ops.v[i];
        if (!check_symbol_name(as, o->text, o->col)) continue;
        struct sym *s = sym_intern(as, o->text);
        s->global_pass = as->pass;
        save_loc(as, &s->global_loc, o->col, true);
    }
}

static void dir_entry(struct assembler *as, struct stmt *st)
{
    if (!want_ops(as, st, 1, 1)) return;
    if (!eval(as, st->ops.v[0].text, st->ops.v[0].col, &as->entry, &as->entry_known)) return;
    as->have_entry = true;
    save_loc(as, &as->entry_loc, st->ops.v[0].col, true);
}

static void dir_message(struct assembler *as, struct stmt *st)
{
    bool is_error = strcmp(st->word, ".error") == 0;
    struct bytes b = {0};
    if (!want_ops(as, st, 0, 1)) return;
    if (st->ops.n && !parse_string(as, &st->ops.v[0], &b)) return;
    if (is_error) error(as, st->col, "%s", b.p ? b.p : ".error");
    else warning(as, st->col, "%s", b.p ? b.p : ".warning");
    free(b.p);
}

static void include_file(struct assembler *as, const char *name, int col);
static void macro_begin(struct assembler *as, struct stmt *st);

static void dir_include(struct assembler *as, struct stmt *st)
{
    struct bytes b = {0};
    if (want_ops(as, st, 1, 1) && parse_string(as, &st->ops.v[0], &b))
        include_file(as, b.p ? b.p : "", st->ops.v[0].col);
    free(b.p);
}

static void dir_endm(struct assembler *as, struct stmt *st) { error(as, st->col, "'.endm' without '.macro'"); }

/* raw: the handler reads st->rest itself instead of comma-split operands. */
static const struct directive {
    const char *name;
    void (*fn)(struct assembler *, struct stmt *);
    bool raw;
} directives[] = {
    {".text", dir_text, false},     {".data", dir_data, false},       {".bss", dir_bss, false},
    {".section", dir_section, false}, {".org", dir_org, false},       {".byte", dir_byte, false},
    {".half", dir_half, false},     {".word", dir_word, false},       {".ascii", dir_ascii, false},
    {".asciz", dir_asciz, false},   {".string", dir_asciz, false},    {".space", dir_space, false},
    {".align", dir_align, false},   {".equ", dir_equ, false},         {".set", dir_equ, false},
    {".global", dir_global, false}, {".globl", dir_global, false},    {".entry", dir_entry, false},
    {".error", dir_message, false}, {".warning", dir_message, false}, {".include", dir_include, false},
    {".macro", macro_begin, true},  {".endm", dir_endm, true},        {".phase", dir_phase, false},
    {".dephase", dir_dephase, false},
};

/* ---- conditional assembly ------------------------------------------------------------------
 * The .if stack is looked at on every line, even those being skipped, so that
 * nested .if/.endif pairs inside a skipped block still match up. */

static bool cond_active(const struct assembler *as)
{
    if (!as->nconds) return true;
    const struct cond *c = &as->conds[as->nconds - 1];
    return c->outer_active && (c->in_else ? !c->taken : c->taken);
}

static void cond_push(struct assembler *as, bool taken, int col)
{
    GROW(as->conds, as->nconds, as->capconds);
    struct cond *c = &as->conds[as->nconds];
    *c = (struct cond){cond_active(as), taken, false, {0}};
    save_loc(as, &c->where, col, true);
    as->nconds++;
}

static void cond_pop(struct assembler *as)
{
    free(as->conds[--as->nconds].where.text);
}

static bool is_cond_directive(const char *w)
{
    return !strcmp(w, ".if") || !strcmp(w, ".ifdef") || !strcmp(w, ".ifndef") || !strcmp(w, ".else") ||
           !strcmp(w, ".endif");
}

/* .if expr / .ifdef sym / .ifndef sym: in a skipped block only pushed, not evaluated. */
static void cond_open(struct assembler *as, struct stmt *st, bool active)
{
    bool taken = false;
    if (active && split_operands(as, st->rest, st->rest_col, &st->ops, false) && want_ops(as, st, 1, 1)) {
        const struct operand *o = &st->ops.v[0];
        int64_t v;
        if (strcmp(st->word, ".if") == 0) {
            taken = eval_now(as, o, 0, &v) && v != 0;
        } else if (check_symbol_name(as, o->text, o->col)) {
            struct sym *s = sym_find(as, o->text);
            bool defined = s && s->def_pass == as->pass;
            taken = strcmp(st->word, ".ifdef") == 0 ? defined : !defined;
        }
    }
    cond_push(as, taken, st->col);
}

static void cond_directive(struct assembler *as, struct stmt *st, bool active)
{
    bool open = as->nconds > (as->frame ? as->frame->cond_base : 0);
    if (strncmp(st->word, ".if", 3) == 0) {
        cond_open(as, st, active);
    } else if (!open) {
        error(as, st->col, "'%s' without '.if'", st->word);
    } else if (strcmp(st->word, ".else") == 0) {
        struct cond *c = &as->conds[as->nconds - 1];
        if (c->in_else) error(as, st->col, "second '.else' for the '.if' at line %d", c->where.line);
        c->in_else = true;
    } else {
        cond_pop(as);
    }
}

/* ---- macros ------------------------------------------------------------------------------
 * A macro is recorded as raw lines and replayed with \param replaced by the
 * argument, \@ by a number unique to the expansion (for labels), \() by
 * nothing (to glue text to a parameter). */

static struct macro *macro_find(struct assembler *as, const char *name)
{
    if (!as->nmbuckets) return NULL;
    for (struct macro *m = as->mbuckets[name_hash(name) & (as->nmbuckets - 1)]; m; m = m->next)
        if (strcmp(m->name, name) == 0) return m;
    return NULL;
}

/* Adds a recorded macro, hashed by name as the symbols are. */
static void macro_add(struct assembler *as, struct macro *m)
{
    GROW(as->macros, as->nmacros, as->capmacros);
    as->macros[as->nmacros++] = m;
    if ((size_t)as->nmacros > as->nmbuckets) {
        size_t n = as->nmbuckets ? 2 * as->nmbuckets : 64;
        free(as->mbuckets);
        as->mbuckets = xmalloc(sizeof *as->mbuckets * n);
        memset(as->mbuckets, 0, sizeof *as->mbuckets * n);
        as->nmbuckets = n;
        for (int i = 0; i < as->nmacros; i++) {
            struct macro *x = as->macros[i];
            size_t h = name_hash(x->name) & (n - 1);
            x->next = as->mbuckets[h];
            as->mbuckets[h] = x;
        }
    } else {
        size_t h = name_hash(m->name) & (as->nmbuckets - 1);
        m->next = as->mbuckets[h];
        as->mbuckets[h] = m;
    }
}

/* Forgets every macro (each pass defines them again). */
static void macro_free(struct macro *m);
static void macros_reset(struct assembler *as)
{
    for (int i = 0; i < as->nmacros; i++) macro_free(as->macros[i]);
    as->nmacros = 0;
    if (as->nmbuckets) memset(as->mbuckets, 0, sizeof *as->mbuckets * as->nmbuckets);
}

static void macro_free(struct macro *m)
{
    if (!m) return;
    for (int i = 0; i < m->nparams; i++) {
        free(m->params[i]);
        free(m->defaults[i]);
    }
    for (int i = 0; i < m->nlines; i++) free(m->lines[i].text);
    free(m->params);
    free(m->defaults);
    free(m->lines);
    free(m->name);
    free(m->def.text);
    free(m);
}

/* Parses "name p1, p2=default" into the macro m; false with an error. */
static bool macro_header(struct assembler *as, struct stmt *st, struct macro *m)
{
    char *p = skip_ws(st->rest), *e = p;
    while (is_ident_char(*e)) e++;
    m->name = xstrndup(p, (size_t)(e - p));
    int col = st->rest_col + (int)(p - st->rest);
    if (!is_identifier(m->name) || m->name[0] == '.') return error(as, col, "expected a macro name after '.macro'");
    if (isa_op_by_mnemonic(m->name) != OP_INVALID || pseudo_lookup(m->name) >= 0)
        return error(as, col, "'%s' is an instruction and cannot be a macro name", m->name);
    struct macro *old = macro_find(as, m->name);
    if (old) return error(as, col, "macro '%s' is already defined (at %s:%d)", m->name, old->def.file, old->def.line);
    if (*e && !isspace((unsigned char)*e))
        return error(as, st->rest_col + (int)(e - st->rest), "unexpected '%c' after macro name", *e);
    if (!split_operands(as, e, st->rest_col + (int)(e - st->rest), &st->ops, false)) return false;
    m->params = xmalloc(sizeof *m->params * (size_t)(st->ops.n + 1));
    m->defaults = xmalloc(sizeof *m->defaults * (size_t)(st->ops.n + 1));
    for (int i = 0; i < st->ops.n; i++) {
        char *t = st->ops.v[i].text, *eq = strchr(t, '=');
        if (eq) *eq = 0;
        size_t n = strlen(t);
        while (n && isspace((unsigned char)t[n - 1])) t[--n] = 0;
        m->params[i] = xstrdup(t);
        m->defaults[i] = eq ? xstrdup(skip_ws(eq + 1)) : NULL;
        m->nparams++;
        if (!is_identifier(t)) return error(as, st->ops.v[i].col, "bad macro parameter name '%s'", t);
        for (int k = 0; k < i; k++)
            if (strcmp(m->params[k], t) == 0) return error(as, st->ops.v[i].col, "duplicate macro parameter '%s'", t);
    }
    return true;
}

/* .macro: start recording lines until the matching .endm. */
static void macro_begin(struct assembler *as, struct stmt *st)
{
    struct macro *m = xmalloc(sizeof *m);
    memset(m, 0, sizeof *m);
    save_loc(as, &m->def, st->col, true);
    m->bad = !macro_header(as, st, m);
    as->rec = m;
    as->rec_depth = 1;
    as->rec_frame = as->frame;
}

/* The first word of a line, for spotting .macro/.endm while recording. */
static bool first_word_is(const char *line, const char *word)
{
    const char *p = skip_ws(line);
    size_t n = strlen(word);
    return strncmp(p, word, n) == 0 && !is_ident_char(p[n]);
}

static void macro_record(struct assembler *as, const char *stripped, const char *raw)
{
    struct macro *m = as->rec;
    if (first_word_is(stripped, ".macro")) as->rec_depth++;
    if (first_word_is(stripped, ".endm") && --as->rec_depth == 0) {
        as->rec = NULL;
        if (m->bad) {
            macro_free(m);
            return;
        }
        macro_add(as, m);
        return;
    }
    GROW(m->lines, m->nlines, m->cap);
    m->lines[m->nlines++] = (struct macro_line){xstrdup(raw), as->line.file, as->line.no};
}

/* The line text with the arguments put in, or NULL if it would be longer
 * than max bytes (arguments that grow at every level of nesting). */
static char *macro_substitute(const struct macro *m, char **values, const char *text, unsigned unique, size_t max)
{
    struct bytes b = {0};
    bytes_add(&b, "", 0);
    for (const char *p = text; *p;) {
        if (b.len > max) {
            free(b.p);
            return NULL;
        }
        if (p[0] == '\\' && p[1] == '@') {
            char num[16];
            snprintf(num, sizeof num, "%u", unique);
            bytes_add(&b, num, strlen(num));
            p += 2;
        } else if (p[0] == '\\' && p[1] == '(' && p[2] == ')') {
            p += 3;
        } else if (p[0] == '\\' && is_ident_start(p[1])) {
            const char *e = p + 1;
            while (is_ident_char(*e)) e++;
            size_t len = (size_t)(e - p - 1);
            int k;
            for (k = 0; k < m->nparams; k++)
                if (strlen(m->params[k]) == len && !strncmp(m->params[k], p + 1, len)) break;
            if (k < m->nparams) bytes_add(&b, values[k], strlen(values[k]));
            else bytes_add(&b, p, (size_t)(e - p)); /* not a parameter: leave it, e.g. "\n" in a string */
            p = e;
        } else {
            /* up to the next backslash in one go (the text can be long) */
            const char *e = strchr(p + 1, '\\');
            size_t n = e ? (size_t)(e - p) : strlen(p);
            bytes_add(&b, p, n);
            p += n;
        }
    }
    if (b.len > max) {
        free(b.p);
        return NULL;
    }
    return b.p;
}

static void frame_enter(struct assembler *as, struct frame *fr, enum frame_kind kind, const char *macro);
static void frame_leave(struct assembler *as, struct frame *fr);
static bool pass_budget(struct assembler *as, size_t len);
static void process_line(struct assembler *as, const char *file, int no, const char *raw);

static void macro_expand(struct assembler *as, struct macro *m, struct stmt *st)
{
    if (as->macro_depth >= MAX_MACRO_DEPTH) {
        /* surely endless recursion: stop the pass rather than report each of
         * the (possibly exponentially many) calls at this depth */
        error(as, st->col, "macro '%s' nested more than %d deep (does it call itself without end?)", m->name,
              MAX_MACRO_DEPTH);
        as->runaway = true;
        return;
    }
    if (!split_operands(as, st->rest, st->rest_col, &st->ops, true)) return;
    if (st->ops.n > m->nparams) {
        error(as, st->ops.v[m->nparams].col, "macro '%s' takes %d argument%s, got %d", m->name, m->nparams,
              m->nparams == 1 ? "" : "s", st->ops.n);
        return;
    }
    char **values = xmalloc(sizeof *values * (size_t)(m->nparams + 1));
    for (int i = 0; i < m->nparams; i++) {
        bool given = i < st->ops.n && st->ops.v[i].text[0];
        values[i] = given ? st->ops.v[i].text : m->defaults[i] ? m->defaults[i] : i < st->ops.n ? "" : NULL;
        if (!values[i]) {
            error(as, st->col, "macro '%s' needs a value for parameter '%s'", m->name, m->params[i]);
            free(values);
            return;
        }
    }
    struct cur_line saved = as->line;
    struct frame fr;
    unsigned unique = as->macro_counter++;
    frame_enter(as, &fr, FRAME_MACRO, m->name);
    as->macro_depth++;
    for (int i = 0; i < m->nlines && !as->runaway; i++) {
        char *text = macro_substitute(m, values, m->lines[i].text, unique, MAX_LINE_BYTES);
        if (!text) {
            as->line = saved;
            error(as, st->col, "the expansion of macro '%s' makes a line longer than %u MiB "
                  "(do its arguments grow at every level?)", m->name, MAX_LINE_BYTES >> 20);
            as->runaway = true; /* the caller's expansion would only double again */
            break;
        }
        process_line(as, m->lines[i].file, m->lines[i].line, text);
        free(text);
    }
    as->macro_depth--;
    frame_leave(as, &fr);
    as->line = saved;
    free(values);
}

/* ---- files and lines ------------------------------------------------------------------------- */

static struct src_file *file_add(struct assembler *as, const char *path, char *text, size_t len)
{
    struct src_file *f = xmalloc(sizeof *f);
    *f = (struct src_file){xstrdup(path), text, len, as->files};
    as->files = f;
    return f;
}

/* The file at path, read on first use; NULL with the reason in why if it
 * cannot be read (not a regular file, over MAX_FILE_BYTES: see
 * isa_read_file). */
static struct src_file *file_load(struct assembler *as, const char *path, char *why, size_t whylen)
{
    for (struct src_file *f = as->files; f; f = f->next)
        if (strcmp(f->path, path) == 0) return f;
    char *text;
    size_t len;
    if (!isa_read_file(path, MAX_FILE_BYTES, &text, &len, why, whylen)) return NULL;
    return file_add(as, path, text, len);
}

static void run_file(struct assembler *as, const struct src_file *f)
{
    const char *p = f->text, *end = f->text + f->len;
    int no = 0;
    while (p < end && !as->runaway) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if (n > MAX_LINE_BYTES) {
            /* shown with its first few hundred bytes; its bytes count all the same */
            char *head = xstrndup(p, 200);
            as->line = (struct cur_line){f->path, ++no, head};
            if (pass_budget(as, n + 1))
                error(as, 1, "line longer than %u MiB (%zu bytes)", MAX_LINE_BYTES >> 20, n);
            free(head);
            p += n + 1;
            continue;
        }
        char *line = xstrndup(p, n);
        if (n && line[n - 1] == '\r') line[n - 1] = 0;
        const char *nul = memchr(p, 0, n);
        if (nul) {
            /* the line would silently end at the NUL: say so instead (its
             * bytes count all the same) */
            as->line = (struct cur_line){f->path, ++no, line};
            if (pass_budget(as, n + 1)) error(as, (int)(nul - p) + 1, "a NUL byte in the source; expected text");
        } else {
            process_line(as, f->path, ++no, line);
        }
        free(line);
        p += n + 1;
    }
}

/* .include: relative to the including file's directory, then the -I dirs. */
static void include_file(struct assembler *as, const char *name, int col)
{
    if (as->include_depth >= MAX_INCLUDE_DEPTH) {
        error(as, col, "'.include' nested more than %d deep (does '%s' include itself?)", MAX_INCLUDE_DEPTH, name);
        return;
    }
    struct src_file *f = NULL;
    struct bytes path = {0};
    char why[256], first_why[256] = "";
    if (name[0] == '/') {
        f = file_load(as, name, first_why, sizeof first_why);
    } else {
        const char *slash = strrchr(as->line.file, '/');
        if (slash) bytes_add(&path, as->line.file, (size_t)(slash - as->line.file + 1));
        bytes_add(&path, name, strlen(name));
        f = file_load(as, path.p, first_why, sizeof first_why);
        for (const char **d = as->opt.include_dirs; !f && d && *d; d++) {
            path.len = 0;
            bytes_add(&path, *d, strlen(*d));
            bytes_add(&path, "/", 1);
            bytes_add(&path, name, strlen(name));
            f = file_load(as, path.p, why, sizeof why);
            if (!f && strcmp(first_why, strerror(ENOENT)) == 0) memcpy(first_why, why, sizeof why);
        }
    }
    free(path.p);
    if (!f) {
        /* why the first place that has such a file refused it, if any did */
        error(as, col, "cannot open include file '%s': %s", name, first_why);
        return;
    }
    struct cur_line saved = as->line;
    struct frame fr;
    frame_enter(as, &fr, FRAME_INCLUDE, NULL);
    as->include_depth++;
    run_file(as, f);
    as->include_depth--;
    frame_leave(as, &fr);
    as->line = saved;
}

static void frame_enter(struct assembler *as, struct frame *fr, enum frame_kind kind, const char *macro)
{
    *fr = (struct frame){as->frame, kind, macro, as->line.file, as->line.no, as->nconds};
    as->frame = fr;
}

/* A file or macro body must close what it opened. */
static void frame_leave(struct assembler *as, struct frame *fr)
{
    if (as->runaway) { /* cut short: what is left open is not the user's fault */
        while (as->nconds > fr->cond_base) cond_pop(as);
        if (as->rec && as->rec_frame == fr) {
            macro_free(as->rec);
            as->rec = NULL;
        }
    }
    while (as->nconds > fr->cond_base) {
        error_at(as, &as->conds[as->nconds - 1].where, "unterminated '.if' (no '.endif' before the end of %s)",
                 fr->kind == FRAME_MACRO ? "the macro" : "the file");
        cond_pop(as);
    }
    if (as->rec && as->rec_frame == fr) {
        error_at(as, &as->rec->def, "unterminated '.macro %s' (no '.endm')", as->rec->name ? as->rec->name : "");
        macro_free(as->rec);
        as->rec = NULL;
    }
    as->frame = fr->up;
}

/* Reads `label:` prefixes; returns where the statement proper begins. */
static char *statement_labels(struct assembler *as, char *buf, bool active)
{
    char *p = buf;
    for (;;) {
        char *s = skip_ws(p), *e = s;
        if (isdigit((unsigned char)*s)) while (isdigit((unsigned char)*e)) e++;
        else if (is_ident_start(*s)) while (is_ident_char(*e)) e++;
        char *colon = skip_ws(e);
        if (e == s || *colon != ':') return s;
        if (active) {
            char keep = *e;
            *e = 0;
            define_label(as, s, (int)(s - buf) + 1);
            *e = keep;
        }
        p = colon + 1;
    }
}

static void statement(struct assembler *as, struct stmt *st)
{
    as->stmt_col = st->col;
    if (st->word[0] == '.') {
        for (size_t i = 0; i < sizeof directives / sizeof directives[0]; i++) {
            const struct directive *d = &directives[i];
            if (strcmp(d->name, st->word) != 0) continue;
            if (d->raw || split_operands(as, st->rest, st->rest_col, &st->ops, false)) d->fn(as, st);
            return;
        }
        error(as, st->col, "unknown directive '%s'", st->word);
        return;
    }
    struct macro *m = macro_find(as, st->word);
    if (m) macro_expand(as, m, st);
    else statement_insn(as, st);
}

/* Counts len more bytes of text against MAX_PASS_BYTES; false (the pass
 * cut short, said once) when they do not fit. */
static bool pass_budget(struct assembler *as, size_t len)
{
    if (len <= MAX_PASS_BYTES - as->bytes_this_pass) {
        as->bytes_this_pass += len;
        return true;
    }
    if (!as->runaway)
        error(as, 1, "more than %u MiB of source text in one pass (counting each include and macro "
              "expansion; a file included without end?)", MAX_PASS_BYTES >> 20);
    as->runaway = true;
    return false;
}

/* One line: labels, then `name = expr`, a directive, a macro call or an
 * instruction.  Columns are 1-based positions in the line as written. */
static void process_line(struct assembler *as, const char *file, int no, const char *raw)
{
    as->line = (struct cur_line){file, no, raw};
    if (++as->lines_this_pass > MAX_LINES) {
        if (!as->runaway) error(as, 1, "more than %d lines in one pass (a macro that expands without end?)", MAX_LINES);
        as->runaway = true;
        return;
    }
    if (!pass_budget(as, strlen(raw) + 1)) return;
    char *buf = xstrdup(raw);
    strip_comment(buf);
    if (as->rec) {
        macro_record(as, buf, raw);
        free(buf);
        return;
    }
    bool active = cond_active(as);
    char *w = statement_labels(as, buf, active), *we = w;
    while (is_ident_char(*we)) we++;
    char *after = skip_ws(we);
    int col = (int)(w - buf) + 1;
    as->dot = loc(as);
    as->dot_known = loc_known(as);
    /* the line table (opt.line_hook): this line's bytes in .text, reported
     * on the final pass after its statement ran */
    int line_sec = as->cur;
    uint32_t line_size = cursec(as)->size;
    uint64_t line_dot = as->dot;
    bool line_known = as->dot_known, line_include = false;
    if (!*w) {
        /* only labels, or nothing */
    } else if (we == w || !is_ident_start(*w)) {
        if (active) error(as, col, "expected an instruction, directive or label, got '%c'", *w);
    } else if (*after == '=' && after[1] != '=') {
        if (active) {
            *we = 0;
            define_constant(as, w, col, after + 1, (int)(after + 1 - buf) + 1, true);
        }
    } else if (*we && !isspace((unsigned char)*we)) {
        if (active) error(as, (int)(we - buf) + 1, "unexpected '%c' after '%.*s'", *we, (int)(we - w), w);
    } else {
        struct stmt st = {xstrndup(w, (size_t)(we - w)), col, we, (int)(we - buf) + 1, {0}};
        line_include = !strcasecmp(st.word, ".include");
        if (is_cond_directive(st.word)) cond_directive(as, &st, active);
        else if (active) statement(as, &st);
        free(st.word);
        free(st.ops.v);
    }
    free(buf);
    if (as->final && as->opt.line_hook && line_sec == SEC_TEXT && as->cur == SEC_TEXT && line_known &&
        !line_include && cursec(as)->size > line_size)
        as->opt.line_hook(as->opt.line_ctx, file, no, (uint32_t)line_dot, cursec(as)->size - line_size,
                          as->macro_depth > 0);
}

/* ---- passes ---------------------------------------------------------------------------------- */

static void define_command_line(struct assembler *as)
{
    for (const char **d = as->opt.defines; d && *d; d++) {
        as->line = (struct cur_line){"<command line>", 0, *d};
        const char *eq = strchr(*d, '=');
        char *name = xstrndup(*d, eq ? (size_t)(eq - *d) : strlen(*d));
        define_constant(as, name, 0, eq ? eq + 1 : "1", 0, false);
        free(name);
    }
}

static void run_pass(struct assembler *as, struct src_file *main_file)
{
    as->pass++;
    for (int i = 0; i < SEC_COUNT; i++) {
        as->sec[i].size = 0;
        as->misaligned_said[i] = false;
    }
    as->cur = SEC_TEXT;
    while (as->nconds) cond_pop(as);
    macros_reset(as);
    numlabel_reset(as);
    as->macro_counter = 0;
    as->lines_this_pass = 0;
    as->bytes_this_pass = 0;
    as->runaway = false;
    as->have_entry = false;
    as->phase_id = as->phase_count = 0;
    as->frame = NULL;
    as->include_depth = as->macro_depth = 0;
    define_command_line(as);
    struct frame fr;
    as->line = (struct cur_line){main_file->path, 0, NULL};
    frame_enter(as, &fr, FRAME_FILE, NULL);
    run_file(as, main_file);
    frame_leave(as, &fr);
    if (as->phase_id && !as->runaway)
        error_at(as, &as->phase_loc, "unterminated '.phase' (no '.dephase' before the end of the file)");
    as->phase_id = 0;
}

/* Places the sections: .text at the text base, .data on the next page
 * after it, .bss on the next page after that (page-aligned so that an OS
 * can give each its own permissions). */
static void layout(struct assembler *as)
{
    struct section *t = &as->sec[SEC_TEXT], *d = &as->sec[SEC_DATA], *b = &as->sec[SEC_BSS];
    t->base = as->opt.text_base;
    d->base = (t->base + t->size + PAGE_SIZE - 1) & ~(uint64_t)(PAGE_SIZE - 1);
    b->base = (d->base + d->size + PAGE_SIZE - 1) & ~(uint64_t)(PAGE_SIZE - 1);
    t->base_known = d->base_known = b->base_known = true;
}

/* What a pass found: every symbol's value, every section's size.  Two equal
 * snapshots in a row mean the layout has settled. */
struct snapshot {
    int n;
    int64_t *value; /* INT64_MIN: no value */
    uint32_t size[SEC_COUNT];
};

static void take_snapshot(struct assembler *as, struct snapshot *s)
{
    s->n = as->nsyms;
    s->value = xmalloc(sizeof *s->value * (size_t)(s->n + 1));
    for (int i = 0; i < s->n; i++) {
        const struct sym *y = as->syms[i];
        s->value[i] = y->def_pass == as->pass && y->value_known ? sym_value(as, y) : INT64_MIN;
    }
    for (int i = 0; i < SEC_COUNT; i++) s->size[i] = as->sec[i].size;
}

static bool snapshot_equal(const struct snapshot *a, const struct snapshot *b)
{
    return a->n == b->n && !memcmp(a->size, b->size, sizeof a->size) &&
           !memcmp(a->value, b->value, sizeof *a->value * (size_t)a->n);
}

/* After the final pass: .global names must be defined labels, and the
 * entry point must be an instruction. */
static uint32_t check_symbols_and_entry(struct assembler *as)
{
    const struct section *t = &as->sec[SEC_TEXT];
    for (int i = 0; i < as->nsyms; i++) {
        struct sym *s = as->syms[i];
        if (s->global_pass != as->pass) continue;
        if (s->def_pass != as->pass)
            error_at(as, &s->global_loc, "'%s' is declared .global but never defined", s->name);
        else if (s->kind != SYM_LABEL)
            warning_at(as, &s->global_loc, "'%s' is a constant; only labels go in the symbol table", s->name);
    }
    struct sym *start = sym_find(as, "_start");
    int64_t entry = t->base;
    if (as->have_entry) {
        entry = as->entry;
        if (entry < (int64_t)t->base || entry >= (int64_t)(t->base + t->size))
            error_at(as, &as->entry_loc, "entry point 0x%llx is not in .text (0x%llx..0x%llx)",
                     (unsigned long long)entry, (unsigned long long)t->base, (unsigned long long)(t->base + t->size));
    } else if (start && start->def_pass == as->pass && start->kind == SYM_LABEL) {
        entry = sym_value(as, start);
        if (start->phase_id)
            error_at(as, &start->def, "'_start' is in a .phase block (its address is not where its code is)");
        else if (start->sec != SEC_TEXT)
            error_at(as, &start->def, "'_start' is in %s, not .text", as->sec[start->sec].name);
    }
    return (uint32_t)entry;
}

static void build_image(struct assembler *as, uint32_t entry, struct isa_image *img)
{
    static const uint32_t flags[SEC_COUNT] = {PF_R | PF_X, PF_R | PF_W, PF_R | PF_W};
    img->entry = entry;
    img->segments = xmalloc(sizeof *img->segments * SEC_COUNT);
    for (int i = 0; i < SEC_COUNT; i++) {
        const struct section *s = &as->sec[i];
        if (!s->size) continue;
        struct isa_segment *g = &img->segments[img->nsegments++];
        g->vaddr = (uint32_t)s->base;
        g->memsz = s->size;
        g->filesz = i == SEC_BSS ? 0 : s->size;
        g->flags = flags[i];
        g->data = NULL;
        if (i != SEC_BSS) {
            g->data = xmalloc(s->size);
            memcpy(g->data, s->bytes, s->size);
        }
    }
    img->symbols = xmalloc(sizeof *img->symbols * (size_t)(as->nsyms + 1));
    for (int i = 0; i < as->nsyms; i++) {
        const struct sym *s = as->syms[i];
        if (s->kind != SYM_LABEL || s->def_pass != as->pass || s->hidden) continue;
        img->symbols[img->nsymbols++] =
            (struct isa_symbol){xstrdup(s->name), (uint32_t)sym_value(as, s), s->global_pass == as->pass};
    }
}

static int assemble(struct assembler *as, struct src_file *main_file, struct isa_image *img)
{
    struct snapshot prev = {0}, cur;
    bool settled = false;
    if (as->opt.text_base % 4) {
        as->final = true;
        as->line = (struct cur_line){main_file->path, 0, NULL};
        error(as, 0, "text base 0x%x is not 4-byte aligned", as->opt.text_base);
        return as->errors;
    }
    for (int i = 0; i < MAX_PASSES && !settled; i++) {
        run_pass(as, main_file);
        layout(as);
        take_snapshot(as, &cur);
        settled = i > 0 && snapshot_equal(&prev, &cur);
        free(prev.value);
        prev = cur;
        /* a pass cut short at a limit fails the same way every time: go
         * straight to the final pass, which says so */
        if (as->runaway) break;
    }
    free(prev.value);
    as->final = true;
    run_pass(as, main_file);
    as->line = (struct cur_line){main_file->path, 0, NULL};
    if (!settled && !as->runaway)
        error(as, 0, "the layout did not settle after %d passes (does a size depend on an address after it?)",
              MAX_PASSES);
    uint32_t entry = check_symbols_and_entry(as);
    if (!as->errors) build_image(as, entry, img);
    return as->errors;
}

static void asm_init(struct assembler *as, const struct isa_asm_options *opt)
{
    static const char *const names[SEC_COUNT] = {".text", ".data", ".bss"};
    memset(as, 0, sizeof *as);
    if (opt) as->opt = *opt;
    if (!as->opt.text_base) as->opt.text_base = DEFAULT_TEXT_BASE;
    as->diag = as->opt.diag ? as->opt.diag : stderr;
    for (int i = 0; i < SEC_COUNT; i++) as->sec[i].name = names[i];
    as->sec[SEC_TEXT].base = as->opt.text_base;
    as->sec[SEC_TEXT].base_known = true;
}

static void asm_free(struct assembler *as)
{
    for (struct src_file *f = as->files, *next; f; f = next) {
        next = f->next;
        free(f->path);
        free(f->text);
        free(f);
    }
    for (int i = 0; i < as->nsyms; i++) {
        free(as->syms[i]->name);
        free(as->syms[i]->def.text);
        free(as->syms[i]->global_loc.text);
        free(as->syms[i]);
    }
    macros_reset(as);
    macro_free(as->rec);
    while (as->nconds) cond_pop(as);
    for (int i = 0; i < SEC_COUNT; i++) free(as->sec[i].bytes);
    free(as->syms);
    free(as->buckets);
    free(as->nums);
    free(as->macros);
    free(as->mbuckets);
    free(as->conds);
    free(as->entry_loc.text);
    free(as->phase_loc.text);
}

/* Assembles an already loaded main file. */
static int assemble_main(struct assembler *as, struct src_file *f, struct isa_image *img)
{
    int errors = assemble(as, f, img);
    asm_free(as);
    return errors;
}

int isa_assemble_string(const char *name, const char *text, const struct isa_asm_options *opt,
                        struct isa_image *img)
{
    struct assembler as;
    memset(img, 0, sizeof *img);
    asm_init(&as, opt);
    return assemble_main(&as, file_add(&as, name, xstrdup(text), strlen(text)), img);
}

int isa_assemble_file(const char *src, const struct isa_asm_options *opt, struct isa_image *img)
{
    struct assembler as;
    memset(img, 0, sizeof *img);
    asm_init(&as, opt);
    char why[256];
    struct src_file *f = file_load(&as, src, why, sizeof why);
    if (!f) {
        fprintf(as.diag, "%s: error: cannot open '%s': %s\n", src, src, why);
        asm_free(&as);
        return 1;
    }
    return assemble_main(&as, f, img);
}
