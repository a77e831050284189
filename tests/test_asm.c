/*
 * test_asm.c — the assembler's behaviour, one rule per test or per row of a
 * table.
 *
 * Most tests assemble a few lines with isa_assemble_string, capture the
 * diagnostics with open_memstream, and look at the words in the image; the
 * rules that need nothing more than words, symbols and the entry point are
 * rows of words_cases, one parameterized test.
 * Expected words are built with isa_encode, never written as hex, so the
 * tests follow the instruction table.  The last test is the round-trip
 * property: whatever the disassembler prints, the assembler turns back into
 * the same word.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <elf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "isa/isa.h"
#include "tests/rows.h"

/* ---- helpers ---------------------------------------------------------- */

struct run {
    int errors;
    struct isa_image img;
    char *diag; /* everything the assembler printed */
};

static struct run assemble_with(const char *src, struct isa_asm_options opt)
{
    struct run r = {0};
    size_t len;
    FILE *f = open_memstream(&r.diag, &len);
    cr_assert(f);
    opt.diag = f;
    r.errors = isa_assemble_string("t.s", src, &opt, &r.img);
    fclose(f);
    return r;
}

static struct run assemble(const char *src) { return assemble_with(src, (struct isa_asm_options){0}); }

static void done(struct run *r)
{
    isa_image_free(&r->img);
    free(r->diag);
}

/* Assembles src and insists there were no errors. */
static struct run assemble_ok(const char *src)
{
    struct run r = assemble(src);
    cr_assert_eq(r.errors, 0, "unexpected errors for:\n%s\n---\n%s", src, r.diag);
    return r;
}

static const struct isa_segment *segment_at(const struct isa_image *img, uint32_t addr)
{
    for (int i = 0; i < img->nsegments; i++) {
        const struct isa_segment *g = &img->segments[i];
        if (addr >= g->vaddr && addr - g->vaddr < g->memsz) return g;
    }
    return NULL;
}

static uint8_t byte_at(const struct isa_image *img, uint32_t addr)
{
    const struct isa_segment *g = segment_at(img, addr);
    cr_assert(g, "no segment holds 0x%x", addr);
    return addr - g->vaddr < g->filesz ? g->data[addr - g->vaddr] : 0;
}

static uint32_t word_at(const struct isa_image *img, uint32_t addr)
{
    return byte_at(img, addr) | byte_at(img, addr + 1) << 8 | byte_at(img, addr + 2) << 16 |
           (uint32_t)byte_at(img, addr + 3) << 24;
}

static uint32_t enc(enum isa_op op, int a, int b, int c, int32_t imm)
{
    struct isa_insn in = {op, (uint8_t)a, (uint8_t)b, (uint8_t)c, imm};
    uint32_t w = 0;
    cr_assert(isa_encode(&in, &w), "cannot encode %s a=%d b=%d c=%d imm=%d", isa_info[op].mnemonic, a, b, c, imm);
    return w;
}

static uint32_t symbol(const struct isa_image *img, const char *name)
{
    uint32_t a = 0;
    cr_assert(isa_image_symbol_addr(img, name, &a), "no symbol '%s'", name);
    return a;
}

static const struct isa_symbol *find_symbol(const struct isa_image *img, const char *name)
{
    for (int i = 0; i < img->nsymbols; i++)
        if (strcmp(img->symbols[i].name, name) == 0) return &img->symbols[i];
    return NULL;
}

#define assert_diag(r, needle) \
    cr_assert(strstr((r).diag, (needle)), "expected a diagnostic containing\n  %s\ngot:\n%s", (needle), (r).diag)

/* The value of an expression, as `.word` stores it. */
static uint32_t value_of(const char *expr)
{
    char src[512];
    snprintf(src, sizeof src, ".data\n.word %s\n", expr);
    struct run r = assemble_ok(src);
    uint32_t v = word_at(&r.img, r.img.segments[0].vaddr); /* .data alone starts at the text base */
    done(&r);
    return v;
}

/* ---- small programs and what they assemble to: one table ---------------- */

/* User code for 0x40000000 carried inside the image at 0x1004. */
static const char phase_src[] = "_start: la r2, user\n"        /* 0x1000, 0x1004 */
                                "la r3, uend - user\n"         /* 0x1008, 0x100c */
                                ".phase 0x40000000\n"
                                "user: addi r1, r0, 1\n"       /* real 0x1010, runs at 0x40000000 */
                                "loop: beq r1, r0, loop\n"     /* 0x40000004 */
                                "call 1f\n"                    /* 0x40000008 */
                                "1: j user\n"                  /* 0x4000000c */
                                "here: .word .\n"              /* 0x40000010 */
                                "uend:\n"
                                ".dephase\n"
                                "after: .word .\n"             /* back to real: 0x1024 */
                                ".data\n"
                                "d: .word user\n";

/* One thing to look at in an assembled image.  Instructions are kept as
 * fields and encoded with isa_encode when checked, so that the table, like
 * the other tests, follows the instruction table rather than hex. */
enum check_kind { CK_END, CK_INSN, CK_WORD, CK_SYM, CK_ENTRY };
struct check {
    enum check_kind kind;
    uint32_t addr;        /* INSN, WORD: where the word is; SYM, ENTRY: the address wanted */
    const char *sym;      /* SYM: the symbol's name */
    struct isa_insn insn; /* INSN: the instruction wanted at addr */
    uint32_t value;       /* WORD: the word wanted at addr */
};
#define INSN(at, op, a, b, c, imm) {CK_INSN, (at), NULL, {(op), (a), (b), (c), (imm)}, 0}
#define WORD(at, v)                {CK_WORD, (at), NULL, {0}, (v)}
#define SYM(name, at)              {CK_SYM, (at), (name), {0}, 0}
#define ENTRY(at)                  {CK_ENTRY, (at), NULL, {0}, 0}

/* A source that must assemble without errors, and what its image must hold. */
struct words_case {
    const char *name; /* the rule it shows, as a test name would say it */
    const char *src;
    struct check checks[10]; /* up to the first CK_END */
};

static const struct words_case words_cases[] = {
    /* basics */
    {"control_registers_and_ports_may_be_numbers_or_expressions",
     ".equ PORT, 0x20\nmtcr 9, r1\nmfcr r2, 4 + 1\nin r3, PORT + 2\nout 0x7, r4\n",
     {INSN(0x1000, OP_MTCR, 1, 0, 0, CR_PTB), INSN(0x1004, OP_MFCR, 2, 0, 0, CR_BADADDR),
      INSN(0x1008, OP_IN, 3, 0, 0, PORT_TIMER_NOW), INSN(0x100c, OP_OUT, 4, 0, 0, 7)}},
    {"memory_offsets_may_be_omitted_or_any_expression",
     ".equ X, 3\nlw r1, (r2)\nlw r1, 4 * 2 + X(r2)\nsw r3, (1 + 1) * 2 (sp)\n"
     "lbu r4, %lo(0x12345678)-0x5678(r5)\nsh r6, -4(r7)\n",
     {INSN(0x1000, OP_LW, 1, 2, 0, 0), INSN(0x1004, OP_LW, 1, 2, 0, 11), INSN(0x1008, OP_SW, 3, 14, 0, 4),
      INSN(0x100c, OP_LBU, 4, 5, 0, 0), INSN(0x1010, OP_SH, 6, 7, 0, -4)}},
    {"mnemonics_and_registers_are_case_insensitive",
     "ADD R1, Sp, ZERO\nMtCr VBR, LR\n",
     {INSN(0x1000, OP_ADD, 1, 14, 0, 0), INSN(0x1004, OP_MTCR, 15, 0, 0, CR_VBR)}},
    {"several_labels_may_precede_a_statement",
     "nop\na: b:c: nop\nd:\ne: nop\n",
     {SYM("a", 0x1004), SYM("b", 0x1004), SYM("c", 0x1004), SYM("d", 0x1008), SYM("e", 0x1008)}},
    {"identifiers_may_use_dot_dollar_and_underscore",
     "_a.b$c: nop\n$x: j _a.b$c\n",
     {SYM("_a.b$c", 0x1000), INSN(0x1004, OP_JAL, 0, 0, 0, -1)}},
    {"crlf_line_endings_are_accepted",
     "nop\r\nx: addi r1, r1, 1\r\n",
     {SYM("x", 0x1004)}},

    /* expressions */
    {"dot_is_the_address_of_the_statement",
     "nop\nhere: .word .\n.word . - here\n.data\n.word .\n",
     {WORD(0x1004, 0x1004), WORD(0x1008, 4), WORD(0x2000, 0x2000)}},
    {"labels_may_be_used_before_they_are_defined",
     "beq r1, r2, later\nj later\n.word later, end - start\nlater: nop\n.data\nstart: .space 12\nend:\n",
     {INSN(0x1000, OP_BEQ, 1, 2, 0, 4), INSN(0x1004, OP_JAL, 0, 0, 0, 3), WORD(0x1008, 0x1010),
      WORD(0x100c, 12)}},
    /* SIZE is used before its .equ, which refers to labels after it */
    {"constants_may_depend_on_later_labels_and_be_used_early",
     "li r1, SIZE\n.equ SIZE, end - start\n.data\nstart: .word 1, 2, 3\nend:\n",
     {INSN(0x1000, OP_LUI, 1, 0, 0, 0), INSN(0x1004, OP_ORI, 1, 1, 0, 12)}},

    /* labels and symbols */
    {"numeric_labels_refer_backward_and_forward",
     "1: nop\n"  /* 0x1000 */
     "j 1f\n"    /* 0x1004 -> 0x100c */
     "j 1b\n"    /* 0x1008 -> 0x1000 */
     "1: nop\n"  /* 0x100c */
     "j 1b\n"    /* 0x1010 -> 0x100c */
     "2: beq r1, r2, 2b\n",
     {INSN(0x1004, OP_JAL, 0, 0, 0, 2), INSN(0x1008, OP_JAL, 0, 0, 0, -2), INSN(0x1010, OP_JAL, 0, 0, 0, -1),
      INSN(0x1014, OP_BEQ, 1, 2, 0, 0)}},

    /* pseudo-instructions */
    {"li_expands_to_lui_ori",
     "li r5, 0x12345678\nli r6, -1\nli r7, 3\n",
     {INSN(0x1000, OP_LUI, 5, 0, 0, 0x1234), INSN(0x1004, OP_ORI, 5, 5, 0, 0x5678),
      INSN(0x1008, OP_LUI, 6, 0, 0, 0xffff), INSN(0x100c, OP_ORI, 6, 6, 0, 0xffff),
      INSN(0x1010, OP_LUI, 7, 0, 0, 0), INSN(0x1014, OP_ORI, 7, 7, 0, 3)}},
    {"li_is_always_two_words_even_for_forward_symbols",
     "li r1, later\nlater: nop\n",
     {SYM("later", 0x1008), INSN(0x1004, OP_ORI, 1, 1, 0, 0x1008)}},
    {"dot_inside_a_pseudo_is_the_pseudo_address",
     "nop\nli r1, .\n",
     {INSN(0x1008, OP_ORI, 1, 1, 0, 0x1004)}},
    {"la_loads_an_address",
     "la r2, msg\n.data\nmsg: .asciz \"x\"\n",
     {INSN(0x1000, OP_LUI, 2, 0, 0, 0), INSN(0x1004, OP_ORI, 2, 2, 0, 0x2000)}},
    /* not: ~x = -x - 1, correct even when rd == rs */
    {"nop_mov_neg_not_expand_to_alu_instructions",
     "nop\nmov r1, r2\nneg r3, r4\nnot r5, r5\n",
     {INSN(0x1000, OP_ADDI, 0, 0, 0, 0), INSN(0x1004, OP_ADDI, 1, 2, 0, 0), INSN(0x1008, OP_SUB, 3, 0, 4, 0),
      INSN(0x100c, OP_SUB, 5, 0, 5, 0), INSN(0x1010, OP_ADDI, 5, 5, 0, -1)}},
    {"jumps_calls_and_returns",
     "f: j f\ncall f\nret\njr r9\n",
     {INSN(0x1000, OP_JAL, 0, 0, 0, 0), INSN(0x1004, OP_JAL, 15, 0, 0, -1), INSN(0x1008, OP_JALR, 0, 15, 0, 0),
      INSN(0x100c, OP_JALR, 0, 9, 0, 0)}},
    {"push_and_pop_use_the_stack_pointer",
     "push r3\npop r4\n",
     {INSN(0x1000, OP_ADDI, 14, 14, 0, -4), INSN(0x1004, OP_SW, 3, 14, 0, 0), INSN(0x1008, OP_LW, 4, 14, 0, 0),
      INSN(0x100c, OP_ADDI, 14, 14, 0, 4)}},
    {"branch_pseudos_compare_with_zero_or_swap_operands",
     "t: beqz r1, t\nbnez r2, t\nbgt r3, r4, t\nble r3, r4, t\nbgtu r5, r6, t\nbleu r5, r6, t\n",
     {INSN(0x1000, OP_BEQ, 1, 0, 0, 0), INSN(0x1004, OP_BNE, 2, 0, 0, -1), INSN(0x1008, OP_BLT, 4, 3, 0, -2),
      INSN(0x100c, OP_BGE, 4, 3, 0, -3), INSN(0x1010, OP_BLTU, 6, 5, 0, -4), INSN(0x1014, OP_BGEU, 6, 5, 0, -5)}},

    /* directives */
    {"org_moves_forward_to_an_address",
     "nop\n.org 0x1010\nx: nop\n.data\n.org 0x2008\ny: .word 1\n",
     {SYM("x", 0x1010), WORD(0x1008, 0), SYM("y", 0x2008)}},
    {"equ_set_and_assignment_define_constants",
     ".equ A, 2\n.set B, A * 3\nC = B + 1\n.set B, 100\n.data\n.word A, C, B\n",
     {WORD(0x1000, 2), WORD(0x1004, 7), WORD(0x1008, 100)}},
    {"set_may_be_redefined_as_a_counter",
     "n = 0\n.data\n.word n\nn = n + 1\n.word n\nn = n + 1\n.word n\n",
     {WORD(0x1000, 0), WORD(0x1004, 1), WORD(0x1008, 2)}},
    {"entry_directive_sets_the_entry_point",
     ".entry main\n_start: nop\nmain: nop\n",
     {ENTRY(0x1004)}},

    /* .phase / .dephase */
    {"phase_gives_labels_and_dot_the_phased_address",
     phase_src,
     {SYM("user", 0x40000000), SYM("loop", 0x40000004), SYM("here", 0x40000010), SYM("uend", 0x40000014),
      WORD(0x1020, 0x40000010) /* `.word .` in the block */, SYM("after", 0x1024), WORD(0x1024, 0x1024),
      SYM("d", 0x2000) /* .data follows the real size of .text */, WORD(0x2000, 0x40000000)}},
    {"branches_inside_a_phase_block_use_the_phased_pc",
     phase_src,
     {INSN(0x1014, OP_BEQ, 1, 0, 0, 0) /* loop: beq ..., loop */, INSN(0x1018, OP_JAL, 15, 0, 0, 1) /* call 1f */,
      INSN(0x101c, OP_JAL, 0, 0, 0, -3) /* j user */}},
    {"la_of_a_phased_label_gives_the_phased_address",
     phase_src,
     {INSN(0x1000, OP_LUI, 2, 0, 0, 0x4000), INSN(0x1004, OP_ORI, 2, 2, 0, 0), INSN(0x1008, OP_LUI, 3, 0, 0, 0),
      INSN(0x100c, OP_ORI, 3, 3, 0, 0x14)}},
    {"phase_address_may_be_a_later_constant",
     ".phase UBASE\nu: nop\n.dephase\nv: nop\n.equ UBASE, 0x40000000 + 0x100\n",
     {SYM("u", 0x40000100), SYM("v", 0x1004)}},
    {"phase_blocks_may_follow_one_another_and_be_opened_by_macros",
     ".macro user at\n.phase \\at\n.endm\nuser 0x100\na: j a\n.dephase\nuser 0x200\nb: j b\n.dephase\n",
     {SYM("a", 0x100), SYM("b", 0x200), INSN(0x1004, OP_JAL, 0, 0, 0, 0)}},

    /* macros */
    {"macros_substitute_arguments_and_defaults",
     ".macro addk reg, k=7\n  addi \\reg, \\reg, \\k\n.endm\naddk r1\naddk r2, 3\naddk r3,\n",
     {INSN(0x1000, OP_ADDI, 1, 1, 0, 7), INSN(0x1004, OP_ADDI, 2, 2, 0, 3),
      INSN(0x1008, OP_ADDI, 3, 3, 0, 7) /* empty argument: default */}},
    {"macro_counter_makes_labels_unique",
     ".macro spin\n.Lspin\\@: j .Lspin\\@\n.word \\@\n.endm\nspin\nspin\n",
     {INSN(0x1000, OP_JAL, 0, 0, 0, 0), WORD(0x1004, 0), INSN(0x1008, OP_JAL, 0, 0, 0, 0), WORD(0x100c, 1)}},
    {"macro_parameters_glue_with_empty_parens",
     ".macro lbl name\n\\name\\()_end: nop\n.endm\nlbl foo\n",
     {SYM("foo_end", 0x1000)}},
};

#define NWORDS_CASES (sizeof words_cases / sizeof words_cases[0])

ROW_PARAMETERS(asm, each_program_assembles_to_its_words_and_symbols, NWORDS_CASES)

ParameterizedTest(size_t *row, asm, each_program_assembles_to_its_words_and_symbols)
{
    const struct words_case *c = &words_cases[*row];
    struct run r = assemble(c->src);
    cr_assert_eq(r.errors, 0, "%s: unexpected errors for:\n%s\n---\n%s", c->name, c->src, r.diag);
    cr_assert(c->checks[0].kind != CK_END, "%s: nothing to check", c->name);
    size_t nchecks = sizeof c->checks / sizeof c->checks[0];
    for (const struct check *k = c->checks; k < c->checks + nchecks && k->kind != CK_END; k++) {
        uint32_t a = 0, want = 0;
        char line[96];
        if (k->kind == CK_INSN || k->kind == CK_WORD) /* word_at's own message would not name the case */
            cr_assert(segment_at(&r.img, k->addr) && segment_at(&r.img, k->addr + 3), "%s: no segment holds 0x%x",
                      c->name, k->addr);
        switch (k->kind) {
        case CK_INSN:
            cr_assert(isa_encode(&k->insn, &want), "%s: cannot encode %s a=%d b=%d c=%d imm=%d", c->name,
                      isa_info[k->insn.op].mnemonic, k->insn.a, k->insn.b, k->insn.c, k->insn.imm);
            isa_disasm(want, k->addr, line, sizeof line, NULL, NULL);
            cr_assert_eq(word_at(&r.img, k->addr), want, "%s: word at 0x%x is 0x%08x, want 0x%08x (%s)", c->name,
                         k->addr, word_at(&r.img, k->addr), want, line);
            break;
        case CK_WORD:
            cr_assert_eq(word_at(&r.img, k->addr), k->value, "%s: word at 0x%x is 0x%08x, want 0x%08x", c->name,
                         k->addr, word_at(&r.img, k->addr), k->value);
            break;
        case CK_SYM:
            cr_assert(isa_image_symbol_addr(&r.img, k->sym, &a), "%s: no symbol '%s'", c->name, k->sym);
            cr_assert_eq(a, k->addr, "%s: symbol '%s' is 0x%x, want 0x%x", c->name, k->sym, a, k->addr);
            break;
        case CK_ENTRY:
            cr_assert_eq(r.img.entry, k->addr, "%s: entry point 0x%x, want 0x%x", c->name, r.img.entry, k->addr);
            break;
        case CK_END: break;
        }
    }
    done(&r);
}

/* ---- basics ----------------------------------------------------------- */

Test(asm, empty_source_gives_empty_image)
{
    struct run r = assemble_ok("# nothing here\n\n   \n");
    cr_assert_eq(r.img.nsegments, 0);
    cr_assert_eq(r.img.nsymbols, 0);
    done(&r);
}

Test(asm, text_starts_at_0x1000_by_default)
{
    struct run r = assemble_ok("add r1, r2, r3\n");
    cr_assert_eq(r.img.nsegments, 1);
    cr_assert_eq(r.img.segments[0].vaddr, 0x1000);
    cr_assert_eq(r.img.segments[0].filesz, 4);
    cr_assert_eq(word_at(&r.img, 0x1000), enc(OP_ADD, 1, 2, 3, 0));
    done(&r);
}

Test(asm, text_base_option_moves_text)
{
    struct run r = assemble_with("nop\n", (struct isa_asm_options){.text_base = 0x8000});
    cr_assert_eq(r.errors, 0, "%s", r.diag);
    cr_assert_eq(r.img.segments[0].vaddr, 0x8000);
    cr_assert_eq(r.img.entry, 0x8000);
    done(&r);
}

Test(asm, encodes_one_instruction_of_each_format)
{
    struct run r = assemble_ok("sub r1, r2, r3\n"
                               "addi r4, r5, -7\n"
                               "andi r4, r5, 0xff00\n"
                               "srai r1, sp, 31\n"
                               "lui lr, 0xbeef\n"
                               "lh r1, -2(sp)\n"
                               "sb r9, 3(r10)\n"
                               "bne r1, r2, .\n"
                               "jal lr, .\n"
                               "jalr r0, lr, 8\n"
                               "iret\n"
                               "smsw r3\n"
                               "invlpg r4\n"
                               "mtcr ptb, r5\n"
                               "mfcr r6, cause\n"
                               "in r7, con_status\n"
                               "out power, r8\n");
    uint32_t want[] = {
        enc(OP_SUB, 1, 2, 3, 0),   enc(OP_ADDI, 4, 5, 0, -7),     enc(OP_ANDI, 4, 5, 0, 0xff00),
        enc(OP_SRAI, 1, 14, 0, 31), enc(OP_LUI, 15, 0, 0, 0xbeef), enc(OP_LH, 1, 14, 0, -2),
        enc(OP_SB, 9, 10, 0, 3),   enc(OP_BNE, 1, 2, 0, 0),        enc(OP_JAL, 15, 0, 0, 0),
        enc(OP_JALR, 0, 15, 0, 8), enc(OP_IRET, 0, 0, 0, 0),       enc(OP_SMSW, 3, 0, 0, 0),
        enc(OP_INVLPG, 4, 0, 0, 0), enc(OP_MTCR, 5, 0, 0, CR_PTB), enc(OP_MFCR, 6, 0, 0, CR_CAUSE),
        enc(OP_IN, 7, 0, 0, PORT_CON_STATUS), enc(OP_OUT, 8, 0, 0, PORT_POWER),
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        cr_assert_eq(word_at(&r.img, 0x1000 + 4 * (uint32_t)i), want[i], "instruction %zu", i);
    done(&r);
}

Test(asm, comments_start_with_hash_semicolon_or_double_slash)
{
    struct run r = assemble_ok("nop # one\nnop ; two\nnop // three\n# whole line\n; whole line\n// whole line\n"
                               ".data\n.ascii \"#;//\" # the string keeps them\n.byte ';' // and so does a char\n");
    cr_assert_eq(r.img.segments[0].filesz, 12);
    cr_assert_eq(r.img.segments[1].filesz, 5);
    cr_assert_eq(byte_at(&r.img, 0x2000), '#');
    cr_assert_eq(byte_at(&r.img, 0x2001), ';');
    cr_assert_eq(byte_at(&r.img, 0x2004), ';');
    done(&r);
}

/* ---- expressions ------------------------------------------------------ */

Test(asm, expressions_follow_c_precedence)
{
    static const struct { const char *expr; uint32_t value; } cases[] = {
        {"1 + 2 * 3", 7},          {"(1 + 2) * 3", 9},        {"1 << 2 + 1", 8},
        {"1 | 2 ^ 3 & 1", 3},      {"7 - 2 - 1", 4},          {"100 / 10 / 5", 2},
        {"-7 / 2", (uint32_t)-3},  {"-7 % 3", (uint32_t)-1},  {"~0", 0xffffffff},
        {"!5", 0},                 {"!0", 1},                 {"1 < 2 == 1", 1},
        {"3 > 2 && 2 > 1 || 0", 1}, {"0 || 0 && 1", 0},       {"1 == 1 & 0", 0},
        {"-8 >> 1", (uint32_t)-4}, {"- -3", 3},               {"2 * -3", (uint32_t)-6},
        {"10 >= 10", 1},           {"3 <= 2", 0},             {"5 != 5", 0},
        {"4 > 3 > 2", 0},          {"0x80000000 >> 4", 0x08000000}, {"+5", 5},
        {"6 & 3 | 8", 10},         {"1 ? 2 : 3", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (strchr(cases[i].expr, '?')) continue; /* no ?: operator: see the error test */
        cr_assert_eq(value_of(cases[i].expr), cases[i].value, "%s", cases[i].expr);
    }
}

Test(asm, numbers_in_decimal_hex_binary_and_characters)
{
    cr_assert_eq(value_of("0x10 + 0XfF + 0b101 + 42"), 16 + 255 + 5 + 42);
    cr_assert_eq(value_of("'A'"), 65);
    cr_assert_eq(value_of("'\\n' + '\\t' + '\\0'"), 10 + 9);
    cr_assert_eq(value_of("'\\\\' + '\\''"), 92 + 39);
    cr_assert_eq(value_of("0xffffffff"), 0xffffffff);
    cr_assert_eq(value_of("';'"), ';');
}

Test(asm, hi_and_lo_split_a_32_bit_value)
{
    cr_assert_eq(value_of("%hi(0x12345678)"), 0x1234);
    cr_assert_eq(value_of("%lo(0x12345678)"), 0x5678);
    cr_assert_eq(value_of("%hi(-1)"), 0xffff);
    cr_assert_eq(value_of("%lo(-2)"), 0xfffe);
    cr_assert_eq(value_of("%hi(0x10000) << 16 | %lo(0x10000)"), 0x10000);
}

Test(asm, data_labels_follow_the_size_of_text)
{
    /* 0x1000 bytes of text fill one page; 0x1001 push .data to 0x3000 */
    struct run r = assemble_ok("la r1, v\n.space 0x1000 - 12\nnop\n.data\nv: .word 7\n");
    cr_assert_eq(symbol(&r.img, "v"), 0x2000);
    cr_assert_eq(word_at(&r.img, 0x1004), enc(OP_ORI, 1, 1, 0, 0x2000));
    done(&r);
    r = assemble_ok("la r1, v\n.space 0x1000 - 8\n.byte 0\n.data\nv: .word 7\n");
    cr_assert_eq(symbol(&r.img, "v"), 0x3000);
    done(&r);
}

/* ---- labels and symbols ----------------------------------------------- */

Test(asm, local_labels_stay_out_of_the_symbol_table)
{
    struct run r = assemble_ok("1: nop\n.Lloop: j .Lloop\nkept: j 1b\n");
    cr_assert_eq(r.img.nsymbols, 1);
    cr_assert_str_eq(r.img.symbols[0].name, "kept");
    done(&r);
}

Test(asm, labels_are_local_unless_declared_global)
{
    struct run r = assemble_ok(".global main\n.globl helper, other\nmain: nop\nhelper: nop\nother: nop\nlocal: nop\n");
    cr_assert(find_symbol(&r.img, "main")->global);
    cr_assert(find_symbol(&r.img, "helper")->global);
    cr_assert(find_symbol(&r.img, "other")->global);
    cr_assert_not(find_symbol(&r.img, "local")->global);
    done(&r);
}

Test(asm, constants_are_not_written_as_symbols)
{
    struct run r = assemble_ok(".equ K, 5\n.set J, 6\nL = 7\nnop\n");
    cr_assert_eq(r.img.nsymbols, 0);
    done(&r);
}

Test(asm, global_before_or_after_the_definition)
{
    struct run r = assemble_ok("f: nop\n.global f\n");
    cr_assert(find_symbol(&r.img, "f")->global);
    done(&r);
}

/* ---- pseudo-instructions ---------------------------------------------- */

Test(asm, pseudo_names_do_not_clash_with_instructions)
{
    for (int i = 0; isa_pseudo_doc[i][0]; i++) {
        char mn[32];
        sscanf(isa_pseudo_doc[i][0], "%31s", mn);
        cr_assert_eq(isa_op_by_mnemonic(mn), OP_INVALID, "pseudo '%s' shadows an instruction", mn);
    }
}

/* Replaces whole-word parameter names in s by sample operands. */
static void fill_params(const char *s, char *out, size_t len)
{
    static const char *const names[][2] = {{"rd", "r1"}, {"rs", "r2"}, {"rs1", "r3"}, {"rs2", "r4"},
                                            {"expr", "0x12345678"}, {"sym", "0xcafe0"}, {"label", "0x1000"}};
    size_t o = 0;
    while (*s && o + 16 < len) {
        size_t w = strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789");
        const char *rep = NULL;
        for (size_t k = 0; w && k < sizeof names / sizeof names[0]; k++)
            if (strlen(names[k][0]) == w && strncmp(s, names[k][0], w) == 0) rep = names[k][1];
        if (rep) { o += (size_t)snprintf(out + o, len - o, "%s", rep); s += w; }
        else if (w) { o += (size_t)snprintf(out + o, len - o, "%.*s", (int)w, s); s += w; }
        else out[o++] = *s == ';' ? '\n' : *s, s++;
    }
    out[o] = 0;
}

Test(asm, every_documented_pseudo_assembles_as_its_documented_expansion)
{
    for (int i = 0; isa_pseudo_doc[i][0]; i++) {
        char pseudo[256], expansion[256];
        fill_params(isa_pseudo_doc[i][0], pseudo, sizeof pseudo);
        fill_params(isa_pseudo_doc[i][1], expansion, sizeof expansion);
        struct run a = assemble_ok(pseudo), b = assemble_ok(expansion);
        /* the expansion's second line sits one word later; %hi/%lo and
         * branch targets are absolute, so both must give the same words */
        cr_assert_eq(a.img.segments[0].filesz, b.img.segments[0].filesz, "%s", pseudo);
        cr_assert_eq(memcmp(a.img.segments[0].data, b.img.segments[0].data, a.img.segments[0].filesz), 0,
                     "'%s' differs from '%s'", pseudo, expansion);
        done(&a);
        done(&b);
    }
}

/* ---- directives ------------------------------------------------------- */

Test(asm, sections_are_placed_text_then_data_then_bss_on_new_pages)
{
    struct run r = assemble_ok(".text\nnop\n.data\nd: .word 1\n.bss\nb: .space 8\n.section .text\nnop\n"
                               ".section .data\n.word 2\n");
    cr_assert_eq(r.img.nsegments, 3);
    const struct isa_segment *t = &r.img.segments[0], *d = &r.img.segments[1], *b = &r.img.segments[2];
    cr_assert_eq(t->vaddr, 0x1000);
    cr_assert_eq(t->filesz, 8);
    cr_assert_eq(t->flags, PF_R | PF_X);
    cr_assert_eq(d->flags, PF_R | PF_W);
    cr_assert_eq(b->flags, PF_R | PF_W);
    cr_assert_eq(d->vaddr, 0x2000);
    cr_assert_eq(d->filesz, 8);
    cr_assert_eq(word_at(&r.img, 0x2004), 2);
    cr_assert_eq(b->vaddr, 0x3000);
    cr_assert_eq(b->filesz, 0);
    cr_assert_eq(b->memsz, 8);
    cr_assert_eq(symbol(&r.img, "b"), 0x3000);
    done(&r);
}

Test(asm, empty_sections_are_omitted)
{
    struct run r = assemble_ok(".data\n.word 5\n");
    cr_assert_eq(r.img.nsegments, 1);
    cr_assert_eq(r.img.segments[0].vaddr, 0x1000); /* .data follows an empty .text */
    done(&r);
}

Test(asm, data_values_are_little_endian)
{
    struct run r = assemble_ok(".data\n.word 0x11223344\n.half 0x5566, -1\n.byte 0x77, -1, 'z'\n");
    static const uint8_t want[] = {0x44, 0x33, 0x22, 0x11, 0x66, 0x55, 0xff, 0xff, 0x77, 0xff, 'z'};
    cr_assert_eq(r.img.segments[0].filesz, sizeof want);
    cr_assert_eq(memcmp(r.img.segments[0].data, want, sizeof want), 0);
    done(&r);
}

Test(asm, strings_with_escapes)
{
    struct run r = assemble_ok(".data\n.ascii \"a\\n\\t\\\"\\\\\\x41\"\n.asciz \"hi\", \"yo\"\n.string \"\"\n");
    static const uint8_t want[] = {'a', '\n', '\t', '"', '\\', 'A', 'h', 'i', 0, 'y', 'o', 0, 0};
    cr_assert_eq(r.img.segments[0].filesz, sizeof want);
    cr_assert_eq(memcmp(r.img.segments[0].data, want, sizeof want), 0);
    done(&r);
}

Test(asm, space_reserves_bytes_with_an_optional_fill)
{
    struct run r = assemble_ok(".data\n.space 3\n.space 2, 0xab\n.byte 1\n");
    static const uint8_t want[] = {0, 0, 0, 0xab, 0xab, 1};
    cr_assert_eq(memcmp(r.img.segments[0].data, want, sizeof want), 0);
    done(&r);
}

Test(asm, align_pads_text_with_nops_and_data_with_zeros)
{
    struct run r = assemble_ok("nop\n.align 16\nx: nop\n.data\n.byte 1\n.align 8\ny: .byte 2\n");
    cr_assert_eq(symbol(&r.img, "x"), 0x1010);
    for (uint32_t a = 0x1004; a < 0x1010; a += 4) cr_assert_eq(word_at(&r.img, a), enc(OP_ADDI, 0, 0, 0, 0));
    cr_assert_eq(symbol(&r.img, "y"), 0x2008);
    for (uint32_t a = 0x2001; a < 0x2008; a++) cr_assert_eq(byte_at(&r.img, a), 0);
    done(&r);
}

Test(asm, align_after_bytes_in_text_zero_fills_then_uses_nops)
{
    struct run r = assemble_ok(".byte 1\n.align 8\nx: nop\n");
    cr_assert_eq(symbol(&r.img, "x"), 0x1008);
    cr_assert_eq(byte_at(&r.img, 0x1001), 0);
    cr_assert_eq(word_at(&r.img, 0x1004), enc(OP_ADDI, 0, 0, 0, 0));
    done(&r);
}

/* ---- .phase / .dephase ------------------------------------------------- */
/* phase_src, the program most of these look at, is with words_cases above. */

Test(asm, phase_bytes_stay_at_the_real_location)
{
    struct run r = assemble_ok(phase_src);
    cr_assert_eq(r.img.nsegments, 2);
    cr_assert_eq(r.img.segments[0].vaddr, 0x1000);
    cr_assert_eq(r.img.segments[0].memsz, 0x28);
    cr_assert_eq(word_at(&r.img, 0x1010), enc(OP_ADDI, 1, 0, 0, 1));
    cr_assert_null(segment_at(&r.img, 0x40000000));
    done(&r);
}

Test(asm, align_and_org_in_a_phase_block_use_the_phased_address)
{
    /* real 0x1004, phased 0x40000004: .align 16 pads 12 bytes (3 nops) */
    struct run r = assemble_ok("nop\n.phase 0x40000004\n.align 16\nx: nop\n.org 0x40000018\ny: nop\n.dephase\nz: nop\n");
    cr_assert_eq(symbol(&r.img, "x"), 0x40000010);
    for (uint32_t a = 0x1004; a < 0x1010; a += 4) cr_assert_eq(word_at(&r.img, a), enc(OP_ADDI, 0, 0, 0, 0));
    cr_assert_eq(symbol(&r.img, "y"), 0x40000018);
    cr_assert_eq(symbol(&r.img, "z"), 0x101c);
    done(&r);
}

/* The symbol table entry of name in an ELF file: its section index. */
static uint16_t elf_symbol_shndx(const char *path, const char *name)
{
    FILE *f = fopen(path, "rb");
    cr_assert(f);
    static uint8_t buf[1 << 16];
    size_t len = fread(buf, 1, sizeof buf, f);
    fclose(f);
    const Elf32_Ehdr *eh = (const Elf32_Ehdr *)buf;
    cr_assert(len >= sizeof *eh && eh->e_shoff + (size_t)eh->e_shnum * sizeof(Elf32_Shdr) <= len);
    const Elf32_Shdr *sh = (const Elf32_Shdr *)(buf + eh->e_shoff);
    for (int i = 0; i < eh->e_shnum; i++) {
        if (sh[i].sh_type != SHT_SYMTAB) continue;
        const Elf32_Sym *sy = (const Elf32_Sym *)(buf + sh[i].sh_offset);
        const char *str = (const char *)buf + sh[sh[i].sh_link].sh_offset;
        for (size_t k = 1; k < sh[i].sh_size / sizeof *sy; k++)
            if (strcmp(str + sy[k].st_name, name) == 0) return sy[k].st_shndx;
    }
    cr_assert_fail("no symbol '%s' in %s", name, path);
    return 0;
}

Test(asm, phased_symbols_are_absolute_in_the_elf_file)
{
    struct run r = assemble_ok(phase_src);
    char path[] = "/tmp/ringsim-phase-XXXXXX", err[256];
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    close(fd);
    cr_assert(isa_image_write(path, &r.img, err, sizeof err), "%s", err);
    cr_assert_eq(elf_symbol_shndx(path, "user"), SHN_ABS);
    cr_assert_eq(elf_symbol_shndx(path, "here"), SHN_ABS);
    cr_assert_neq(elf_symbol_shndx(path, "after"), SHN_ABS);
    struct isa_image back;
    cr_assert(isa_image_load(path, &back, err, sizeof err), "%s", err);
    cr_assert_str_eq(isa_image_symbol_at(&back, 0x40000004), "loop");
    isa_image_free(&back);
    unlink(path);
    done(&r);
}

Test(asm, defines_option_predefines_constants)
{
    const char *defs[] = {"DEBUG", "LEVEL=2*3", NULL};
    struct run r = assemble_with(".data\n.ifdef DEBUG\n.word LEVEL\n.endif\n.ifdef NDEBUG\n.word 99\n.endif\n",
                                 (struct isa_asm_options){.defines = defs});
    cr_assert_eq(r.errors, 0, "%s", r.diag);
    cr_assert_eq(r.img.segments[0].filesz, 4);
    cr_assert_eq(word_at(&r.img, 0x1000), 6);
    done(&r);
}

Test(asm, entry_defaults_to_start_symbol_then_text_base)
{
    struct run r = assemble_ok("nop\n_start: nop\n");
    cr_assert_eq(r.img.entry, 0x1004);
    done(&r);
    r = assemble_ok("nop\nnop\n");
    cr_assert_eq(r.img.entry, 0x1000);
    done(&r);
}

/* ---- conditional assembly --------------------------------------------- */

Test(asm, if_else_endif_nest)
{
    struct run r = assemble_ok(".equ A, 1\n.data\n"
                               ".if A\n"
                               "  .if A - 1\n    .word 1\n  .else\n    .word 2\n  .endif\n"
                               "  .if A == 1\n    .word 3\n  .endif\n"
                               ".else\n"
                               "  .if 1\n    .word 4\n  .else\n    .word 5\n  .endif\n"
                               ".endif\n");
    cr_assert_eq(r.img.segments[0].filesz, 8);
    cr_assert_eq(word_at(&r.img, 0x1000), 2);
    cr_assert_eq(word_at(&r.img, 0x1004), 3);
    done(&r);
}

Test(asm, skipped_blocks_are_not_assembled_even_if_broken)
{
    struct run r = assemble_ok(".if 0\n  this is not assembly @@\n  .ascii \"unterminated\n  undefined: .word nothing\n"
                               "  .if garbage(\n  .endif\n.endif\nnop\n");
    cr_assert_eq(r.img.nsymbols, 0);
    cr_assert_eq(r.img.segments[0].filesz, 4);
    done(&r);
}

Test(asm, ifdef_and_ifndef_test_symbols_defined_so_far)
{
    struct run r = assemble_ok(".data\nx: .ifdef x\n.word 1\n.endif\n.ifndef y\n.word 2\n.endif\n"
                               ".ifdef later\n.word 3\n.endif\nlater:\n");
    cr_assert_eq(r.img.segments[0].filesz, 8);
    cr_assert_eq(word_at(&r.img, 0x1000), 1);
    cr_assert_eq(word_at(&r.img, 0x1004), 2);
    done(&r);
}

/* ---- macros ----------------------------------------------------------- */

Test(asm, macros_may_call_macros_and_recurse_with_if)
{
    struct run r = assemble_ok(".macro words n\n.if \\n\n.word \\n\nwords \\n-1\n.endif\n.endm\n"
                               ".macro twice n\nwords \\n\nwords \\n\n.endm\n.data\ntwice 2\n");
    static const uint32_t want[] = {2, 1, 2, 1};
    cr_assert_eq(r.img.segments[0].filesz, sizeof want);
    for (int i = 0; i < 4; i++) cr_assert_eq(word_at(&r.img, 0x1000 + 4 * (uint32_t)i), want[i]);
    done(&r);
}

Test(asm, macro_errors_name_the_body_line_and_the_call)
{
    struct run r = assemble(".macro bad\n  addi r1, r1, 99999\n.endm\nnop\nbad\n");
    cr_assert_eq(r.errors, 1);
    assert_diag(r, "t.s:2:16: error: immediate 99999 out of range -32768..32767 for addi\n"
                   "  addi r1, r1, 99999\n"
                   "               ^\n"
                   "note: in expansion of macro 'bad' from t.s:5\n");
    done(&r);
}

/* ---- includes --------------------------------------------------------- */

static char *make_dir(void)
{
    char *d = strdup("/tmp/ringsim-asm-XXXXXX");
    cr_assert(mkdtemp(d));
    return d;
}

static void write_text(const char *dir, const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    cr_assert(f, "cannot write %s", path);
    fputs(text, f);
    fclose(f);
}

static void remove_tree(const char *dir)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}

static struct run assemble_path(const char *path, struct isa_asm_options opt)
{
    struct run r = {0};
    size_t len;
    FILE *f = open_memstream(&r.diag, &len);
    opt.diag = f;
    r.errors = isa_assemble_file(path, &opt, &r.img);
    fclose(f);
    return r;
}

Test(asm, include_is_relative_to_the_including_file)
{
    char *d = make_dir(), sub[512], main_s[512];
    snprintf(sub, sizeof sub, "%s/sub", d);
    cr_assert_eq(mkdir(sub, 0755), 0);
    write_text(d, "main.s", ".include \"sub/a.inc\"\nnop\n");
    write_text(d, "sub/a.inc", ".include \"b.inc\"\na: addi r1, r1, 1\n");
    write_text(d, "sub/b.inc", "b: addi r2, r2, 2\n");
    snprintf(main_s, sizeof main_s, "%s/main.s", d);
    struct run r = assemble_path(main_s, (struct isa_asm_options){0});
    cr_assert_eq(r.errors, 0, "%s", r.diag);
    cr_assert_eq(symbol(&r.img, "b"), 0x1000);
    cr_assert_eq(symbol(&r.img, "a"), 0x1004);
    cr_assert_eq(r.img.segments[0].filesz, 12);
    done(&r);
    remove_tree(d);
    free(d);
}

Test(asm, include_searches_the_include_dirs)
{
    char *d = make_dir(), lib[512], main_s[512];
    snprintf(lib, sizeof lib, "%s/lib", d);
    cr_assert_eq(mkdir(lib, 0755), 0);
    write_text(d, "lib/defs.inc", ".equ ANSWER, 42\n");
    write_text(d, "main.s", ".include \"defs.inc\"\n.data\n.word ANSWER\n");
    snprintf(main_s, sizeof main_s, "%s/main.s", d);
    const char *dirs[] = {"/nonexistent", lib, NULL};
    struct run r = assemble_path(main_s, (struct isa_asm_options){.include_dirs = dirs});
    cr_assert_eq(r.errors, 0, "%s", r.diag);
    cr_assert_eq(word_at(&r.img, 0x1000), 42);
    done(&r);
    remove_tree(d);
    free(d);
}

Test(asm, errors_in_an_included_file_name_that_file)
{
    char *d = make_dir(), main_s[512], want[1200];
    write_text(d, "bad.inc", "nop\n  frob r1\n");
    write_text(d, "main.s", "nop\n.include \"bad.inc\"\n");
    snprintf(main_s, sizeof main_s, "%s/main.s", d);
    struct run r = assemble_path(main_s, (struct isa_asm_options){0});
    cr_assert_eq(r.errors, 1);
    snprintf(want, sizeof want, "%s/bad.inc:2:3: error: unknown instruction 'frob'\n  frob r1\n  ^\n"
             "note: in file included from %s/main.s:2\n", d, d);
    assert_diag(r, want);
    done(&r);
    remove_tree(d);
    free(d);
}

Test(asm, include_recursion_is_stopped)
{
    char *d = make_dir(), main_s[512];
    write_text(d, "self.s", "nop\n.include \"self.s\"\n");
    snprintf(main_s, sizeof main_s, "%s/self.s", d);
    struct run r = assemble_path(main_s, (struct isa_asm_options){0});
    cr_assert_eq(r.errors, 1);
    assert_diag(r, "'.include' nested more than 16 deep (does 'self.s' include itself?)");
    done(&r);
    remove_tree(d);
    free(d);
}

Test(asm, assemble_file_reports_a_missing_file)
{
    struct run r = assemble_path("/nonexistent/prog.s", (struct isa_asm_options){0});
    cr_assert_eq(r.errors, 1);
    assert_diag(r, "/nonexistent/prog.s: error: cannot open '/nonexistent/prog.s': No such file or directory");
    cr_assert_eq(r.img.nsegments, 0);
    done(&r);
}

/* ---- diagnostics ------------------------------------------------------ */

Test(asm, error_names_line_and_column)
{
    struct run r = assemble("nop\n  addx r1, r2, r3\n");
    cr_assert_eq(r.errors, 1);
    cr_assert_str_eq(r.diag, "t.s:2:3: error: unknown instruction 'addx'\n  addx r1, r2, r3\n  ^\n");
    done(&r);
}

Test(asm, caret_keeps_tabs_so_it_lines_up)
{
    struct run r = assemble("\taddi\tr1, r2, 70000\n");
    cr_assert_str_eq(r.diag, "t.s:1:15: error: immediate 70000 out of range -32768..32767 for addi\n"
                             "\taddi\tr1, r2, 70000\n"
                             "\t    \t        ^\n");
    done(&r);
}

Test(asm, every_bad_line_is_reported_and_no_image_is_made)
{
    struct run r = assemble("addx\nnop\naddi r1, r1\n.word nothing\nnop\nlw r1, 0(r77)\n");
    cr_assert_eq(r.errors, 4, "%s", r.diag);
    assert_diag(r, "t.s:1:1:");
    assert_diag(r, "t.s:3:1:");
    assert_diag(r, "t.s:4:7:");
    assert_diag(r, "t.s:6:10:");
    cr_assert_eq(r.img.nsegments, 0);
    cr_assert_null(r.img.segments);
    done(&r);
}

/* Each source must give at least one error, and this text among them. */
static const struct { const char *src, *diag; } error_cases[] = {
    {"addx r1, r2, r3", "t.s:1:1: error: unknown instruction 'addx'"},
    {"addi r1, r2", "t.s:1:1: error: addi expects 3 operands (rd, rs1, simm16), got 2"},
    {"addi r1, r2, r3, r4", "t.s:1:18: error: addi expects 3 operands (rd, rs1, simm16), got 4"},
    {"smsw", "t.s:1:1: error: smsw expects 1 operand (rd), got 0"},
    {"syscall r1", "t.s:1:9: error: syscall takes no operands, got 1"},
    {"li r1", "t.s:1:1: error: li expects 2 operands (rd, expr), got 1"},
    {"ret r1", "t.s:1:5: error: ret takes no operands, got 1"},
    {"addi r1, r2, 70000", "t.s:1:14: error: immediate 70000 out of range -32768..32767 for addi"},
    {"ori r1, r2, -1", "t.s:1:13: error: immediate -1 out of range 0..65535 for ori"},
    {"slli r1, r2, 32", "t.s:1:14: error: immediate 32 out of range 0..31 for slli"},
    {"lui r1, 0x10000", "t.s:1:9: error: immediate 65536 out of range 0..65535 for lui"},
    {"lw r1, 40000(r2)", "t.s:1:8: error: offset 40000 out of range -32768..32767 for lw"},
    {"lw r1, 4(r16)", "t.s:1:10: error: expected a register (r0..r15, zero, sp, lr), got 'r16'"},
    {"lw r1, r2", "t.s:1:8: error: expected offset(register), got 'r2'"},
    {"add r1, r2, 5", "t.s:1:13: error: expected a register (r0..r15, zero, sp, lr), got '5'"},
    {"mov r1, 5", "t.s:1:9: error: expected a register (r0..r15, zero, sp, lr), got '5'"},
    {"addi r1, r2, r3", "t.s:1:14: error: register 'r3' where a value is expected"},
    {"mtcr bogus, r1", "t.s:1:6: error: unknown control register 'bogus'"},
    {"mtcr 16, r1", "t.s:1:6: error: control register 16 out of range 0..15 for mtcr"},
    {"in r1, nope", "t.s:1:8: error: unknown port 'nope'"},
    {"out 0x10000, r1", "t.s:1:5: error: port 65536 out of range 0..65535 for out"},
    {"beq r1, r2, nowhere", "t.s:1:13: error: undefined symbol 'nowhere'"},
    {"beq r1, r2, 0x1002", "t.s:1:13: error: target 0x1002 is not 4-byte aligned"},
    {"beq r1, r2, 0x100000",
     "t.s:1:13: error: target 0x100000 is out of range for beq (261120 words away, limit -32768..32767)"},
    {"jal lr, 0x10000000", "t.s:1:9: error: target 0x10000000 is out of range for jal"},
    {"j 0xffffffff + 5", "t.s:1:3: error: target 4294967300 is not a 32-bit address"},
    {"addi r1, r0, 1/0", "t.s:1:15: error: division by zero"},
    {"addi r1, r0, 5 % (2-2)", "t.s:1:16: error: division by zero"},
    {".word 1 << 64", "t.s:1:9: error: shift count 64 out of range 0..63"},
    {".word 0x100000000", "t.s:1:7: error: number '0x100000000' does not fit in 32 bits"},
    {".word 12ab", "t.s:1:7: error: bad number '12ab'"},
    {".word 0x", "t.s:1:7: error: hexadecimal number needs digits after '0x'"},
    {".word (1 + 2", "t.s:1:13: error: expected ')'"},
    {".word 1 +", "t.s:1:10: error: expected a value"},
    {".word 1 2", "t.s:1:9: error: unexpected '2' in expression"},
    {".word 1 ? 2 : 3", "t.s:1:9: error: unexpected '?' in expression"},
    {".word ''", "t.s:1:7: error: empty character constant"},
    {".word 'ab'", "t.s:1:7: error: character constant has more than one character"},
    {".word 'a", "t.s:1:7: error: unterminated character constant"},
    {".word 1b", "t.s:1:7: error: no '1:' label before this '1b'"},
    {"j 1f", "t.s:1:3: error: no '1:' label after this '1f'"},
    {"li r1, 0xffffffff + 1", "t.s:1:8: error: value 4294967296 does not fit in 32 bits"},
    {"x: nop\nx: nop", "t.s:2:1: error: duplicate label 'x' (first defined at t.s:1)"},
    {".equ A, 1\nA: nop", "t.s:2:1: error: label clashes with constant 'A' (first defined at t.s:1)"},
    {".equ A, 1\n.equ A, 2", "t.s:2:6: error: 'A' is already defined (at t.s:1)"},
    {"sp: nop", "t.s:1:1: error: 'sp' is a register and cannot be a symbol"},
    {".equ 3x, 1", "t.s:1:6: error: expected a symbol name, got '3x'"},
    {".equ B, nothing\n.word B", "t.s:1:9: error: undefined symbol 'nothing'"},
    {".ascii \"abc", "t.s:1:8: error: unterminated string"},
    {".ascii \"a\\qb\"", "t.s:1:10: error: unknown escape '\\q'"},
    {".ascii abc", "t.s:1:8: error: expected a string in double quotes, got 'abc'"},
    {".ascii \"a\" b", "t.s:1:12: error: unexpected 'b' after string"},
    {".endif", "t.s:1:1: error: '.endif' without '.if'"},
    {".else", "t.s:1:1: error: '.else' without '.if'"},
    {".if 1\n.else\n.else\n.endif", "t.s:3:1: error: second '.else' for the '.if' at line 1"},
    {"nop\n  .if 1\nnop",
     "t.s:2:3: error: unterminated '.if' (no '.endif' before the end of the file)\n  .if 1\n  ^\n"},
    {".if nothing\n.endif", "t.s:1:5: error: undefined symbol 'nothing'"},
    {".ifdef 1\n.endif", "t.s:1:8: error: expected a symbol name, got '1'"},
    {".macro m\nnop", "t.s:1:1: error: unterminated '.macro m' (no '.endm')"},
    {".endm", "t.s:1:1: error: '.endm' without '.macro'"},
    {".macro add\n.endm", "t.s:1:8: error: 'add' is an instruction and cannot be a macro name"},
    {".macro li\n.endm", "t.s:1:8: error: 'li' is an instruction and cannot be a macro name"},
    {".macro m\n.endm\n.macro m\n.endm", "t.s:3:8: error: macro 'm' is already defined (at t.s:1)"},
    {".macro m a, a\n.endm", "t.s:1:13: error: duplicate macro parameter 'a'"},
    {".macro m a\n.endm\nm 1, 2", "t.s:3:6: error: macro 'm' takes 1 argument, got 2"},
    {".macro m a\n.endm\nm", "t.s:3:1: error: macro 'm' needs a value for parameter 'a'"},
    {".macro m\nm\n.endm\nm", "error: macro 'm' nested more than 64 deep (does it call itself without end?)"},
    {".frob", "t.s:1:1: error: unknown directive '.frob'"},
    {".section .rodata", "t.s:1:10: error: unknown section '.rodata' (ringsim images have .text, .data and .bss)"},
    {".text 1", "t.s:1:7: error: '.text' expects 0 operands, got 1"},
    {".word", "t.s:1:1: error: '.word' expects at least 1 operand"},
    {".align 4, 5", "t.s:1:11: error: '.align' expects 1 operand, got 2"},
    {".space", "t.s:1:1: error: '.space' expects 1 or 2 operands, got 0"},
    {".align 3", "t.s:1:8: error: alignment 3 is not a power of two in 1..65536"},
    {".space -1", "t.s:1:8: error: '.space' size -1 is negative"},
    {".space 0x7fffffff", "t.s:1:1: error: .text would grow past 64 MiB"},
    {".bss\n.space 0xfffff001", "t.s:2:1: error: .bss runs past the end of the 32-bit address space"},
    {".org 0x10", "t.s:1:6: error: '.org 0x10' would move backwards (.text is already at 0x1000)"},
    {".bss\n.word 1", "t.s:2:1: error: '.word' in .bss (it holds only zeros; use .space)"},
    {".bss\n.ascii \"x\"", "t.s:2:1: error: '.ascii' in .bss (it holds only zeros; use .space)"},
    {".bss\nnop", "t.s:2:1: error: instruction in .bss (it holds only zeros)"},
    {".bss\n.space 4, 1", "t.s:2:11: error: '.space' with a non-zero fill in .bss (it holds only zeros)"},
    {".byte 1\nnop\nnop", "t.s:2:1: error: instruction at misaligned address 0x1001 (add .align 4 before it)"},
    {".global foo", "t.s:1:9: error: 'foo' is declared .global but never defined"},
    {".entry 0x5000\nnop", "t.s:1:8: error: entry point 0x5000 is not in .text (0x1000..0x1004)"},
    {".data\n_start: .word 0", "t.s:2:1: error: '_start' is in .data, not .text\n_start: .word 0\n^\n"},
    {".error \"stop here\"", "t.s:1:1: error: stop here"},
    {".error", "t.s:1:1: error: .error"},
    {".include \"/nonexistent/x.s\"",
     "t.s:1:10: error: cannot open include file '/nonexistent/x.s': No such file or directory"},
    {"nop,", "t.s:1:4: error: unexpected ',' after 'nop'"},
    {"add r1, , r2", "t.s:1:9: error: missing operand"},
    {"add r1, r2,", "t.s:1:12: error: missing operand"},
    {"@@", "t.s:1:1: error: expected an instruction, directive or label, got '@'"},
    {"  r1: nop", "t.s:1:3: error: 'r1' is a register and cannot be a symbol"},
    {".phase 0x100\nnop\n  .phase 0x200\n.dephase", "t.s:3:3: error: already in a .phase block started at t.s:1"},
    {".dephase", "t.s:1:1: error: '.dephase' without '.phase'"},
    {".phase 0x100\n  .data\n.dephase",
     "t.s:2:3: error: section switch inside a .phase block (started at t.s:1; end it with .dephase)"},
    {".phase 0x100\n.section .bss\n.dephase", "t.s:2:1: error: section switch inside a .phase block"},
    {"nop\n  .phase 0x100\nnop",
     "t.s:2:3: error: unterminated '.phase' (no '.dephase' before the end of the file)\n  .phase 0x100\n  ^\n"},
    {"out: nop\n.phase 0x40000000\nbeq r1, r2, out\n.dephase",
     "t.s:3:13: error: branch from a .phase block to a label outside it ('out')"},
    {".phase 0x40000000\ncall later\n.dephase\nlater: nop",
     "t.s:2:6: error: branch from a .phase block to a label outside it ('later')"},
    {".phase 0x100\na: nop\n.dephase\n.phase 0x200\nj a\n.dephase",
     "t.s:5:3: error: branch from a .phase block to a label outside it ('a')"},
    {"j in\n.phase 0x40000000\nin: nop\n.dephase",
     "t.s:1:3: error: branch to a label inside a .phase block ('in') from outside it"},
    {".phase 0x40000000\n1: nop\n.dephase\nbnez r1, 1b",
     "t.s:4:10: error: branch to a label inside a .phase block ('1b') from outside it"},
    {".phase -4\n.dephase", "t.s:1:8: error: '.phase' address -4 is not a 32-bit address"},
    {".phase 0x40000000\n_start: nop\n.dephase", "t.s:2:1: error: '_start' is in a .phase block"},
    {".phase 0x40000000\n.org 0x10\n.dephase",
     "t.s:2:6: error: '.org 0x10' would move backwards (the .phase block is already at 0x40000000)"},
};

Test(asm, each_error_has_its_message_line_and_column)
{
    for (size_t i = 0; i < sizeof error_cases / sizeof error_cases[0]; i++) {
        struct run r = assemble(error_cases[i].src);
        cr_expect_gt(r.errors, 0, "no error for: %s", error_cases[i].src);
        cr_expect(strstr(r.diag, error_cases[i].diag), "for source:\n%s\nexpected:\n  %s\ngot:\n%s", error_cases[i].src,
                  error_cases[i].diag, r.diag);
        cr_expect_eq(r.img.nsegments, 0);
        done(&r);
    }
}

Test(asm, command_line_define_errors_name_the_command_line)
{
    const char *defs[] = {"X=1+", NULL};
    struct run r = assemble_with("nop\n", (struct isa_asm_options){.defines = defs});
    cr_assert_eq(r.errors, 1);
    assert_diag(r, "<command line>: error: expected a value");
    done(&r);
}

Test(asm, misaligned_text_base_is_an_error)
{
    struct run r = assemble_with("nop\n", (struct isa_asm_options){.text_base = 0x1002});
    cr_assert_eq(r.errors, 1);
    assert_diag(r, "t.s: error: text base 0x1002 is not 4-byte aligned");
    done(&r);
}

/* Each source must assemble, with this warning. */
static const struct { const char *src, *diag; } warning_cases[] = {
    {".byte 300", "t.s:1:7: warning: value 300 truncated to 8 bits (0x2c) in '.byte'"},
    {".half 70000", "t.s:1:7: warning: value 70000 truncated to 16 bits (0x1170) in '.half'"},
    {".word 0xffffffff + 2", "t.s:1:7: warning: value 4294967297 truncated to 32 bits (0x1) in '.word'"},
    {".data\n.space 1, 256", "t.s:2:11: warning: fill value 256 truncated to 8 bits"},
    {".align 2", "t.s:1:8: warning: '.align 2' in .text does not keep instructions 4-byte aligned"},
    {".data\n.byte 1\n.word 2",
     "t.s:3:1: warning: '.word' at misaligned address 0x1001 (loads of it will fault; add .align 4)"},
    {".warning \"careful\"", "t.s:1:1: warning: careful\n.warning \"careful\"\n^\n"},
    {".equ K, 1\n.global K", "t.s:2:9: warning: 'K' is a constant; only labels go in the symbol table"},
};

Test(asm, warnings_do_not_stop_assembly)
{
    for (size_t i = 0; i < sizeof warning_cases / sizeof warning_cases[0]; i++) {
        struct run r = assemble(warning_cases[i].src);
        cr_expect_eq(r.errors, 0, "errors for: %s\n%s", warning_cases[i].src, r.diag);
        cr_expect(strstr(r.diag, warning_cases[i].diag), "for source:\n%s\nexpected:\n  %s\ngot:\n%s",
                  warning_cases[i].src, warning_cases[i].diag, r.diag);
        done(&r);
    }
}

Test(asm, correct_programs_print_nothing)
{
    struct run r = assemble_ok(".global _start\n_start: li sp, 0x8000\ncall f\nhlt\nf: push lr\npop lr\nret\n"
                               ".data\n.align 4\nmsg: .asciz \"ok\"\n");
    cr_assert_str_eq(r.diag, "");
    done(&r);
}

Test(asm, endless_macro_recursion_stops_with_one_error)
{
    /* each call makes two more: without a stop this would never end */
    struct run r = assemble(".macro m\nm\nm\n.endm\nm\n");
    cr_assert_eq(r.errors, 1, "%s", r.diag);
    assert_diag(r, "t.s:2:1: error: macro 'm' nested more than 64 deep");
    assert_diag(r, "note: and 56 more levels\n");
    done(&r);
}

Test(asm, a_layout_that_never_settles_is_an_error)
{
    /* end moves past 0x1010 exactly when it does not */
    struct run r = assemble(".if end > 0x1010\nnop\n.else\n.space 24\n.endif\nend:\n");
    cr_assert_eq(r.errors, 1);
    assert_diag(r, "t.s: error: the layout did not settle after 10 passes");
    done(&r);
}

Test(asm, garbage_source_never_crashes)
{
    static const char *const atoms[] = {
        "li", "r1", ",", " ", "(", ")", "%hi(", "%lo(", "\"", "'", "\\", ":", "1:", "1b", "1f", ".macro m a=1\n",
        ".endm\n", "\\a", "\\@", "m", ".if ", ".else\n", ".endif\n", ".word ", ".byte ", ".ascii ", ".space ",
        ".align ", ".org ", ".equ ", "x", "=", "\n", "+", "-", "*", "/", "%", "<<", ">>", "0x", "0b", "9",
        "-32768", "beq r1, r2, ", "jal lr, ", "lw r1, ", "mtcr ", "vbr", "in r2, ", "con_data", ".data\n",
        ".bss\n", ".text\n", ".global ", ".entry ", ".", "#", ";", "//", "push", "pop", "\t", "99999999999",
        "'\\x4", ".L1", "_start", "!", "~", "&&", "||", "==", "<=", "\r", "\x80", "\xff",
    };
    uint32_t seed = 99;
    FILE *null = fopen("/dev/null", "w");
    for (int it = 0; it < 300; it++) {
        char src[600];
        size_t n = 0;
        int atoms_in_source = 1 + it % 60;
        for (int i = 0; i < atoms_in_source; i++) {
            seed = seed * 1103515245u + 12345u;
            const char *a = atoms[(seed >> 8) % (sizeof atoms / sizeof atoms[0])];
            if (n + strlen(a) >= sizeof src) break;
            memcpy(src + n, a, strlen(a));
            n += strlen(a);
        }
        src[n] = 0;
        struct isa_image img;
        int errors = isa_assemble_string("f.s", src, &(struct isa_asm_options){.diag = null}, &img);
        cr_assert(errors >= 0);
        if (errors) cr_assert_eq(img.nsegments, 0);
        isa_image_free(&img);
    }
    fclose(null);
}

/* ---- the round trip: disassemble, reassemble, same word ------------------ */

/* A fixed-seed linear congruential generator: the same "random" operands on every run. */
static uint32_t lcg_state = 12345;
static uint32_t lcg(void)
{
    lcg_state = lcg_state * 1103515245u + 12345u;
    return lcg_state >> 8;
}

/* Immediates worth trying for a format: both ends, around zero, and a few
 * from the generator. */
static int interesting_imms(enum isa_fmt fmt, int32_t *out)
{
    int32_t lo, hi;
    int n = 0;
    isa_imm_range(fmt, &lo, &hi);
    out[n++] = lo;
    out[n++] = hi;
    out[n++] = 0;
    if (lo < 0) out[n++] = -1;
    if (hi >= 1) out[n++] = 1;
    for (int i = 0; i < 5; i++) out[n++] = lo + (int32_t)(lcg() % (uint32_t)(hi - lo + 1));
    return n;
}

/* For one op and one pc base: a program of disassembled lines, then check
 * that the assembler rebuilds every word. */
static void round_trip_op(enum isa_op op, uint32_t base)
{
    static const int regs[] = {0, 1, 7, 14, 15};
    enum isa_fmt fmt = isa_info[op].format;
    int32_t imms[16];
    int nimm = interesting_imms(fmt, imms);
    uint32_t words[64];
    int n = 0;
    size_t cap = 64 * 64, len = 0;
    char *src = malloc(cap);
    for (int i = 0; i < 40; i++) {
        struct isa_insn in = {op, (uint8_t)regs[i % 5], (uint8_t)regs[(i / 5 + i) % 5], (uint8_t)regs[(i / 2) % 5],
                              imms[i % nimm]};
        uint32_t w;
        char line[96];
        if (!isa_encode(&in, &w)) continue;
        isa_decode(w, &in); /* formats without a field leave it zero */
        isa_encode(&in, &w);
        isa_disasm(w, base + 4 * (uint32_t)n, line, sizeof line, NULL, NULL);
        len += (size_t)snprintf(src + len, cap - len, "%s\n", line);
        words[n++] = w;
    }
    struct run r = assemble_with(src, (struct isa_asm_options){.text_base = base});
    cr_assert_eq(r.errors, 0, "%s at base 0x%x:\n%s\n%s", isa_info[op].mnemonic, base, src, r.diag);
    cr_assert_eq(r.img.segments[0].filesz, 4 * (uint32_t)n);
    for (int i = 0; i < n; i++) {
        uint32_t got = word_at(&r.img, base + 4 * (uint32_t)i);
        char line[96];
        isa_disasm(words[i], base + 4 * (uint32_t)i, line, sizeof line, NULL, NULL);
        cr_assert_eq(got, words[i], "'%s' at 0x%x reassembled as 0x%08x, want 0x%08x", line, base + 4 * (uint32_t)i,
                     got, words[i]);
    }
    done(&r);
    free(src);
}

Test(asm, disassembly_of_every_instruction_reassembles_to_the_same_word)
{
    for (int op = 1; op < OP_COUNT; op++) {
        round_trip_op((enum isa_op)op, 0x00400000); /* branches reach both ways */
        round_trip_op((enum isa_op)op, 0x00001000); /* far back jumps wrap below 0 */
    }
}

Test(asm, undefined_words_reassemble_from_their_word_directive)
{
    static const uint32_t words[] = {0x00000000, 0xffffffff, 0x01000001 /* add with stray bits? */, 0x29010000};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        char line[64];
        isa_disasm(words[i], 0x1000, line, sizeof line, NULL, NULL);
        struct run r = assemble_ok(line);
        cr_assert_eq(word_at(&r.img, 0x1000), words[i], "%s", line);
        done(&r);
    }
}
