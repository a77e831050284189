/*
 * isadoc.c — the ISA reference (docs/isa.md), generated from the tables.
 *
 * Every fact printed here comes from isa.h: the instruction table
 * (isa_info[], from isa_table.h), the formats, cost classes, control
 * registers, trap causes and ports, the paging section's PTE and fault bits
 * and isa_level_bits itself for the address split (the MMU uses the same),
 * the boot-parameter address and the VM exit reasons (isa/ includes nothing
 * from the CPU or the MMU: they build on it).  The prose between the tables
 * explains them but names no opcode, so adding a line to isa_table.h changes the
 * reference without anyone editing it — and tests/test_isadoc.c fails if the
 * committed docs/isa.md was not regenerated (`make docs`).  Even the prose
 * takes mnemonics, register, port and cause names from the tables.
 *
 * The one idea to hold: the Popek–Goldberg table is *computed*.  An
 * instruction's behaviour outside ring 0 follows from two bits of its table
 * line (privileged, sensitive) and the ISA variant; only the words that
 * describe how a red pill misbehaves are written here, keyed by opcode.
 */
#include "isa.h"

#include <string.h>

static const char *const format_id[FMT_COUNT] = {
#define X(id, ops, fields) [id] = #id,
    ISA_FORMATS(X)
#undef X
};

/* What a red pill (sensitive, unprivileged on classic) silently does outside
 * ring 0.  Instructions missing here get red_pill_fallback. */
static const char *const red_pill_effect[OP_COUNT] = {
    [OP_PUSHF] = "pushes the real SR — reveals ring 3 (or 1, 2) and the real IE flag",
    [OP_POPF]  = "pops the word, but the IE change is silently ignored outside ring 0",
    [OP_SMSW]  = "returns the real SR, revealing the ring the code really runs in",
    [OP_SPTB]  = "returns the real page-table base, not the one the guest kernel believes it set",
};
static const char *const red_pill_fallback = "reads or changes privileged state without trapping";

/* Instructions whose effect is the same in every ring and on both variants,
 * but is not simply "runs". */
static const char *const everywhere_effect[OP_COUNT] = {
    [OP_VMCALL] = "a VM exit inside a VM; outside one a `hypercall` trap from ring 1 or 2, an illegal-instruction trap from ring 0 or 3",
};

/* ---- small Markdown helpers ------------------------------------------- */

/* Writes s with '|' escaped, so that it stays inside one table cell (GFM
 * honours the escape inside code spans too). */
static void put_cell(FILE *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '|') fputc('\\', out);
        fputc(*s, out);
    }
}

/* Writes s as a code span for a table cell, or an em dash when empty. */
static void put_code_cell(FILE *out, const char *s)
{
    if (!*s) { fputs("—", out); return; }
    fputc('`', out);
    put_cell(out, s);
    fputc('`', out);
}

static const char *yes_no(bool b) { return b ? "yes" : "no"; }
static const char *mn(enum isa_op op) { return isa_info[op].mnemonic; }
static const char *operands(enum isa_op op) { return isa_format_operands[isa_info[op].format]; }

/* ---- formats ------------------------------------------------------------ */

/* The first instruction in the table with format f, or OP_INVALID. */
static enum isa_op first_op_of_format(enum isa_fmt f)
{
    for (int op = 1; op < OP_COUNT; op++)
        if (isa_info[op].format == f) return (enum isa_op)op;
    return OP_INVALID;
}

/* Which fields a format occupies.  Asked of isa_encode itself, by encoding an
 * instruction of that format with one field set at a time, so the diagram
 * shows what the encoder does rather than what a second table claims. */
struct layout {
    bool a, b, c;
    int imm_bits;   /* 0, 16 (bits 15..0) or 20 (bits 19..0) */
};

static bool format_layout(enum isa_fmt f, struct layout *l)
{
    enum isa_op op = first_op_of_format(f);
    memset(l, 0, sizeof *l);
    if (op == OP_INVALID) return false;
    struct isa_insn in = {.op = op};
    uint32_t w = 0;
    in.a = 15;
    l->a = isa_encode(&in, &w) && ((w >> 20) & 15);
    in.a = 0; in.b = 15;
    l->b = isa_encode(&in, &w) && ((w >> 16) & 15);
    in.b = 0; in.c = 15;
    l->c = isa_encode(&in, &w) && ((w >> 12) & 15);
    in.c = 0;
    int32_t lo, hi;
    isa_imm_range(f, &lo, &hi);
    if (lo != 0 || hi != 0) {
        in.imm = lo < 0 ? -1 : hi;
        if (isa_encode(&in, &w)) l->imm_bits = (w & 0xf0000u) ? 20 : 16;
    }
    return true;
}

/* The operand named for field `key` in a format's field description
 * ("a=rd b=rs1 ..." -> "rd" for 'a'); the bare letter if none is named. */
static void field_label(const char *fields, char key, char *buf, size_t len)
{
    for (const char *p = fields; *p; p++) {
        if (p[0] == key && p[1] == '=' && (p == fields || p[-1] == ' ')) {
            size_t n = strcspn(p + 2, " ");
            if (n >= len) n = len - 1;
            memcpy(buf, p + 2, n);
            buf[n] = 0;
            return;
        }
    }
    snprintf(buf, len, "%c", key);
}

/* One cell of a bit diagram: bits hi..lo, spanning `cols` base columns. */
struct cell {
    int hi, lo;
    int cols;
    char label[24];
};

/* Base columns: opcode 31..24, a 23..20, b 19..16, c 15..12, rest 11..0. */
static const int base_width[5] = {10, 6, 6, 6, 14};

static int cell_width(int first, int cols)
{
    int w = cols - 1; /* the bars a merged cell swallows */
    for (int i = first; i < first + cols; i++) w += base_width[i];
    return w;
}

/* Prints the four-line diagram of one format (bit numbers, border, fields,
 * border). */
static void write_diagram(FILE *out, enum isa_fmt f, const struct layout *l)
{
    struct cell cells[5];
    int n = 0;
    char lab[24];
    cells[n++] = (struct cell){31, 24, 1, "opcode"};
    if (l->imm_bits == 20) {
        field_label(isa_format_fields[f], 'a', lab, sizeof lab);
        cells[n] = (struct cell){23, 20, 1, ""};
        snprintf(cells[n++].label, sizeof cells[0].label, "%s", l->a ? lab : "0");
        cells[n++] = (struct cell){19, 0, 3, "imm20"};
    } else {
        static const char keys[3] = {'a', 'b', 'c'};
        const bool used[3] = {l->a, l->b, l->c};
        int fields = l->imm_bits == 16 ? 2 : 3; /* imm16 covers c */
        for (int i = 0; i < fields; i++) {
            field_label(isa_format_fields[f], keys[i], lab, sizeof lab);
            cells[n] = (struct cell){23 - 4 * i, 20 - 4 * i, 1, ""};
            snprintf(cells[n++].label, sizeof cells[0].label, "%s", used[i] ? lab : "0");
        }
        if (l->imm_bits == 16) cells[n++] = (struct cell){15, 0, 2, "imm16"};
        else cells[n++] = (struct cell){11, 0, 1, "0"};
    }

    char bits[128] = "", border[128] = "", row[128] = "";
    int col = 0;
    for (int i = 0; i < n; i++) {
        int w = cell_width(col, cells[i].cols);
        char hi[8], lo[8];
        snprintf(hi, sizeof hi, "%d", cells[i].hi);
        snprintf(lo, sizeof lo, "%d", cells[i].lo);
        size_t b = strlen(bits);
        snprintf(bits + b, sizeof bits - b, " %-*s%s", w - (int)strlen(lo), hi, lo);
        b = strlen(border);
        snprintf(border + b, sizeof border - b, "+%.*s", w, "----------------------------------------------");
        int pad = w - (int)strlen(cells[i].label);
        b = strlen(row);
        snprintf(row + b, sizeof row - b, "|%*s%s%*s", pad / 2, "", cells[i].label, pad - pad / 2, "");
        col += cells[i].cols;
    }
    fprintf(out, "%s  %s\n%s\n%s+\n%s|\n%s+\n", format_id[f] + 4,
            *isa_format_operands[f] ? isa_format_operands[f] : "(no operands)", bits, border, row,
            border);
}

static void write_formats(FILE *out)
{
    fputs("## Encoding formats\n\n"
          "Every instruction is one 32-bit little-endian word.  Bits 31..24 are the opcode; "
          "the other bits are split into fields: a = 23..20, b = 19..16, c = 15..12, "
          "imm16 = 15..0, imm20 = 19..0.  A format says which fields an instruction uses "
          "and how its operands are written.  Bits a format does not use must be zero, and "
          "an immediate must lie in its range: any other word, like any opcode not in the "
          "table, raises an illegal-instruction trap.  Branch and jump offsets count words "
          "from the instruction itself.\n\n"
          "| format | operands | fields | immediate range | instructions |\n"
          "|---|---|---|---|---|\n",
          out);
    for (int f = 0; f < FMT_COUNT; f++) {
        int32_t lo, hi;
        isa_imm_range((enum isa_fmt)f, &lo, &hi);
        fprintf(out, "| %s | ", format_id[f] + 4);
        put_code_cell(out, isa_format_operands[f]);
        fputs(" | ", out);
        put_cell(out, isa_format_fields[f]);
        if (lo == 0 && hi == 0) fputs(" | — | ", out);
        else fprintf(out, " | %d..%d | ", lo, hi);
        int k = 0;
        for (int op = 1; op < OP_COUNT; op++)
            if (isa_info[op].format == (enum isa_fmt)f)
                fprintf(out, "%s`%s`", k++ ? ", " : "", isa_info[op].mnemonic);
        fputs(" |\n", out);
    }
    fputs("\nBit layout of each format (as `isa_encode` lays it out):\n\n```\n", out);
    for (int f = 0; f < FMT_COUNT; f++) {
        struct layout l;
        if (!format_layout((enum isa_fmt)f, &l)) continue; /* no instruction uses it */
        write_diagram(out, (enum isa_fmt)f, &l);
        if (f + 1 < FMT_COUNT) fputc('\n', out);
    }
    fputs("```\n\n", out);
}

/* ---- overview ----------------------------------------------------------- */

static void write_overview(FILE *out)
{
    fprintf(out,
            "## Overview\n\n"
            "- **Words and memory**: 32-bit, byte-addressed, little-endian.  Every "
            "instruction is one fixed 32-bit word.\n"
            "- **Registers**: %d general registers r0..r%d.  r0 reads as zero and writes to "
            "it are discarded (`zero` is another name for it); r%d is the stack pointer `%s`, "
            "r%d the link register `%s`.\n"
            "- **Calling convention**: arguments and results in r1..r6; r1..r7 are "
            "caller-saved, r8..r13 callee-saved.\n"
            "- **PC** is the address of the current instruction; it is not a general "
            "register.\n"
            "- **Status register SR** (control register %d): bit 0 is IE (interrupts "
            "enabled, mask 0x%x), bits 2..1 the current ring 0..3 (mask 0x%x).  Ring 0 is the "
            "most privileged.\n"
            "- **Memory faults**: loads, stores and instruction fetches must be naturally "
            "aligned (`%s` trap otherwise); a physical address beyond the end of memory "
            "raises `%s`.  Both put the address in BADADDR.\n"
            "- **Reset state**: ring 0, IE = 0, pc = the image's entry point, sp = the memory "
            "size in bytes (the stack grows down from the top of memory), every other "
            "register and writable control register 0.\n\n",
            ISA_NREGS, ISA_NREGS - 1, ISA_REG_SP, isa_reg_name(ISA_REG_SP), ISA_REG_LR,
            isa_reg_name(ISA_REG_LR), CR_SR, SR_IE, SR_RING_MASK,
            isa_cause_name[CAUSE_MISALIGNED], isa_cause_name[CAUSE_BUS_ERROR]);
}

/* ---- instruction summary and cost classes ------------------------------- */

/* "yes", "no", or "strict only" for an instruction privileged only there. */
static const char *privileged_text(enum isa_op op)
{
    bool c = isa_is_privileged(op, ISA_CLASSIC), s = isa_is_privileged(op, ISA_STRICT);
    if (s && !c) return "strict only";
    return c ? "yes" : "no";
}

static void write_summary(FILE *out)
{
    fputs("## Instruction summary\n\n"
          "In table order.  Semantics use a fixed notation: R[x] register, M32/M16/M8[addr] "
          "memory, PC, SR, CR[n] control register, sx()/zx() sign/zero extension, imm the "
          "immediate, off a branch or jump offset in words; a, b, c name the fields.  "
          "Cycles are the default of the instruction's cost class; a machine profile "
          "(`profiles/*.ini`, section `[class]`) may change them, and loads and stores add "
          "the cost of their memory reference.  *Privileged*: faults with a protection trap "
          "outside ring 0 (\"strict only\": on the `strict` ISA variant).  *Sensitive*: "
          "reads or changes privileged machine state.\n\n"
          "| mnemonic | opcode | operands | format | class | cycles | privileged | sensitive | semantics |\n"
          "|---|---|---|---|---|---|---|---|---|\n",
          out);
    for (int op = 1; op < OP_COUNT; op++) {
        const struct isa_info *in = &isa_info[op];
        fprintf(out, "| `%s` | 0x%02x | ", in->mnemonic, in->opcode);
        put_code_cell(out, isa_format_operands[in->format]);
        fprintf(out, " | %s | %s | %d | %s | %s | ", format_id[in->format] + 4,
                isa_class_name[in->cls], isa_class_default_cycles[in->cls],
                privileged_text((enum isa_op)op), yes_no(in->sensitive));
        put_code_cell(out, in->semantics);
        fputs(" |\n", out);
    }
    fputc('\n', out);
}

static void write_classes(FILE *out)
{
    fputs("## Cost classes\n\n"
          "An instruction's base cost is its class's cycles.  The defaults below are what "
          "an empty profile gives; each `profiles/NAME.ini` may set them in its `[class]` "
          "section.  Memory references, TLB lookups, page walks, traps and VM exits are "
          "charged on top, each from its own profile entry.\n\n"
          "| class | default cycles | what | instructions |\n|---|---|---|---|\n",
          out);
    for (int cl = 0; cl < CL_COUNT; cl++) {
        fprintf(out, "| `%s` | %d | %s | ", isa_class_name[cl], isa_class_default_cycles[cl],
                isa_class_desc[cl]);
        int k = 0;
        for (int op = 1; op < OP_COUNT; op++)
            if (isa_info[op].cls == (enum isa_class)cl)
                fprintf(out, "%s`%s`", k++ ? ", " : "", isa_info[op].mnemonic);
        if (!k) fputs("—", out);
        fputs(" |\n", out);
    }
    fputc('\n', out);
}

/* ---- Popek and Goldberg ------------------------------------------------- */

static bool is_red_pill(enum isa_op op)
{
    return isa_info[op].sensitive && !isa_is_privileged(op, ISA_CLASSIC);
}

/* What the instruction does outside ring 0 on variant v. */
static void write_unprivileged_effect(FILE *out, enum isa_op op, enum isa_variant v)
{
    if (everywhere_effect[op]) fputs(everywhere_effect[op], out);
    else if (isa_is_privileged(op, v)) fprintf(out, "**protection fault** (trap, cause %d)", CAUSE_PROTECTION);
    else if (isa_info[op].sensitive)
        fprintf(out, "**runs without trapping**: %s",
                red_pill_effect[op] ? red_pill_effect[op] : red_pill_fallback);
    else fputs("runs", out);
}

/* Prints the mnemonics of the ops for which pick() holds, "a, b and c". */
static int write_op_list(FILE *out, bool (*pick)(enum isa_op))
{
    int total = 0, k = 0;
    for (int op = 1; op < OP_COUNT; op++) total += pick((enum isa_op)op);
    for (int op = 1; op < OP_COUNT; op++) {
        if (!pick((enum isa_op)op)) continue;
        k++;
        fprintf(out, "%s`%s`", k == 1 ? "" : k == total ? " and " : ", ", isa_info[op].mnemonic);
    }
    if (!total) fputs("none", out);
    return total;
}

static bool is_sensitive(enum isa_op op) { return isa_info[op].sensitive; }
static bool is_privileged_classic(enum isa_op op) { return isa_is_privileged(op, ISA_CLASSIC); }

static void write_popek_goldberg(FILE *out)
{
    fputs("## Privileged and sensitive instructions (Popek and Goldberg)\n\n"
          "Popek and Goldberg call an instruction *privileged* if it traps when run outside "
          "the most privileged mode, and *sensitive* if it changes the machine's "
          "configuration (control-sensitive: IE, the ring, the page tables, the devices) or "
          "behaves differently depending on it (behaviour-sensitive: its result reveals the "
          "ring or the page-table base).  An instruction that is sensitive but not privileged "
          "is a **red pill**: run by a deprivileged guest kernel, it neither traps to the "
          "virtual-machine monitor nor does what the guest meant, and it lets the guest see "
          "that it is not in ring 0.\n\n"
          "ringsim has two ISA variants (`--isa classic|strict`).  On `classic` the red pills "
          "behave as on 1980s x86; on `strict` every sensitive instruction is privileged.  "
          "This table is computed from the two bits of each instruction's table line.  Any "
          "instruction may still take its ordinary faults (memory, divide) in any ring; "
          "rings 1 and 2 behave exactly like ring 3.\n\n"
          "| instruction | privileged | sensitive | ring 0 | ring 3 (and 1–2), `classic` | ring 3 (and 1–2), `strict` |\n"
          "|---|---|---|---|---|---|\n",
          out);
    for (int op = 1; op < OP_COUNT; op++) {
        const struct isa_info *in = &isa_info[op];
        fprintf(out, "| `%s` | %s | %s | %s | ", in->mnemonic, privileged_text((enum isa_op)op),
                yes_no(in->sensitive), everywhere_effect[op] ? everywhere_effect[op] : "runs");
        write_unprivileged_effect(out, (enum isa_op)op, ISA_CLASSIC);
        fputs(" | ", out);
        write_unprivileged_effect(out, (enum isa_op)op, ISA_STRICT);
        fputs(" |\n", out);
    }

    fputs("\n**Theorem 1** of Popek and Goldberg (1974): a virtual-machine monitor can be built "
          "by trap-and-emulate — run the guest kernel deprivileged, let every sensitive "
          "instruction trap, emulate it — if the set of sensitive instructions is a subset of "
          "the set of privileged ones.\n\n"
          "- The sensitive instructions are ",
          out);
    int nsens = write_op_list(out, is_sensitive);
    fprintf(out, " (%d).\n- On `strict` all of them are privileged: the theorem's condition "
                 "holds, and trap-and-emulate works.\n- On `classic` only ",
            nsens);
    write_op_list(out, is_privileged_classic);
    fputs(" are privileged.  The condition fails because of the red pills ", out);
    write_op_list(out, is_red_pill);
    fputs(".\n\n"
          "Robin and Irvine (2000) found the same on the Intel Pentium: seventeen sensitive "
          "but unprivileged instructions (SGDT, SIDT, SLDT, SMSW, PUSHF, POPF and others), so "
          "x86 could not be virtualised by trap-and-emulate.  That is why VMware's binary "
          "translation exists (rewrite the red pills before they run: `--mode bt`), why Xen "
          "changed the guest kernel instead (paravirtualisation: `--mode pv`), and why Intel "
          "VT-x and AMD-V later added a new, more privileged mode below ring 0 — \"ring -1\" — "
          "that can be told to exit on exactly these instructions (`--mode hw`).\n\n",
          out);
}

/* ---- control registers --------------------------------------------------- */

static void write_cregs(FILE *out)
{
    fprintf(out,
            "## Control registers\n\n"
            "Read with `%s %s` and written with `%s %s`, both privileged; `cr` is a name below "
            "or a number.\n\n"
            "| number | name | writable | description |\n|---|---|---|---|\n",
            mn(OP_MFCR), operands(OP_MFCR), mn(OP_MTCR), operands(OP_MTCR));
    for (int cr = 0; cr < CR_COUNT; cr++) {
        fprintf(out, "| %d | `%s` | %s | ", cr, isa_creg_name[cr],
                isa_creg_writable[cr] ? "yes" : "read-only");
        put_cell(out, isa_creg_desc[cr]);
        fputs(" |\n", out);
    }
    fprintf(out,
            "\n`%s` to a read-only register raises an illegal-instruction trap (cause %d); a "
            "register number beyond %d is not a valid encoding and raises the same trap.  A "
            "write to `%s` keeps only the IE and ring bits.\n\n",
            mn(OP_MTCR), CAUSE_ILLEGAL, CR_COUNT - 1, isa_creg_name[CR_SR]);
}

/* ---- traps and interrupts ------------------------------------------------ */

/* Where EPC points after a trap of this cause. */
static const char *epc_of_cause(enum isa_cause c)
{
    switch (c) {
    case CAUSE_SYSCALL: case CAUSE_BREAKPOINT: case CAUSE_HYPERCALL: return "the next instruction";
    case CAUSE_TIMER: case CAUSE_CONSOLE: case CAUSE_DISK: return "the instruction not yet run";
    case CAUSE_DOUBLE: return "unchanged: that of the original trap";
    default: return "the faulting instruction";
    }
}

static void write_traps(FILE *out)
{
    fprintf(out,
            "## Traps and interrupts\n\n"
            "### Vector table\n\n"
            "Control register `%s` holds the physical address of a table of %d words: word N "
            "(at VBR + 4·N) is the address of the handler for cause N.  Causes are:\n\n"
            "| cause | name | description | EPC points at |\n|---|---|---|---|\n",
            isa_creg_name[CR_VBR], ISA_VECTORS);
    for (int c = 0; c < CAUSE_COUNT; c++) {
        fprintf(out, "| %d | `%s` | ", c, isa_cause_name[c]);
        put_cell(out, isa_cause_desc[c]);
        fprintf(out, " | %s |\n", epc_of_cause((enum isa_cause)c));
    }
    fprintf(out, "\nWords %d..%d of the table are reserved.\n\n", CAUSE_COUNT, ISA_VECTORS - 1);

    fputs("### Trap entry\n\n"
          "A trap or interrupt, in this order:\n\n"
          "1. ESR = SR; EPC = the address given in the table above (a double fault leaves "
          "both as they are).\n"
          "2. CAUSE = the cause number; BADADDR = the faulting address for a memory fault, "
          "the original cause for a double fault, 0 otherwise.\n"
          "3. If the trap came from ring > 0: USP = sp, then sp = KSP (the kernel stack).\n"
          "4. SR: ring = 0, IE = 0.\n"
          "5. pc = word CAUSE of the vector table.\n\n"
          "Entering a handler costs the profile's `trap_entry` cycles.\n\n",
          out);
    fprintf(out,
            "### Return from a trap\n\n"
            "`%s`: SR = ESR (its IE and ring bits); pc = EPC; if the restored ring is > 0, "
            "sp = USP.  It costs the profile's `trap_return` cycles beyond the instruction.\n\n",
            mn(OP_IRET));

    fprintf(out,
            "### Double and triple faults\n\n"
            "A fault while entering a handler — reading its vector, fetching or running its "
            "first instruction — becomes a `%s` (cause %d) with BADADDR = the original cause "
            "number; EPC and ESR keep the values saved for the original trap.  A fault while "
            "entering the double-fault handler is a triple fault: the machine stops (stop "
            "reason `triple_fault`) with a report of pc, SR, VBR, EPC and CAUSE — the "
            "simulator itself never crashes.\n\n",
            isa_cause_name[CAUSE_DOUBLE], CAUSE_DOUBLE);

    fprintf(out,
            "### Interrupts\n\n"
            "Interrupts are taken between instructions when SR.IE is set; EPC is the first "
            "instruction not yet run.  When several are pending the timer (cause %d) is taken "
            "first, then the console (cause %d), then the disk (cause %d).  All are "
            "level-triggered: the timer's stays raised until acknowledged (`%s`), the "
            "console's while input is waiting and its interrupt is enabled (`%s`), the disk's "
            "while a command is done and not acknowledged (`%s`) and its interrupt is enabled "
            "(`%s`).  An instruction that can set IE (`%s`, `%s`, `%s` to "
            "`%s`, `%s`) lets a pending interrupt in before the next instruction.  `%s` waits "
            "for an interrupt, charging idle cycles; if IE is clear or nothing can raise one, "
            "it stops the machine.\n\n",
            CAUSE_TIMER, CAUSE_CONSOLE, CAUSE_DISK, isa_port_name(PORT_TIMER_ACK),
            isa_port_name(PORT_CON_CTRL), isa_port_name(PORT_DISK_ACK), isa_port_name(PORT_DISK_CTRL),
            mn(OP_STI), mn(OP_POPF), mn(OP_MTCR), isa_creg_name[CR_SR], mn(OP_IRET), mn(OP_HLT));
}

/* ---- paging --------------------------------------------------------------- */

/* The lowest and the highest set bit of a non-zero mask. */
static int lowest_bit(uint32_t mask)
{
    int b = 0;
    while (!(mask & 1u)) { mask >>= 1; b++; }
    return b;
}

static int highest_bit(uint32_t mask)
{
    int b = 31;
    while (!(mask & 0x80000000u)) { mask <<= 1; b--; }
    return b;
}

/* Writes 2^shift bytes as "4 KiB", "4 MiB", "1 GiB". */
static void put_size(FILE *out, int shift)
{
    static const char *const unit[] = {"bytes", "KiB", "MiB", "GiB"};
    int u = shift / 10 < 3 ? shift / 10 : 3;
    fprintf(out, "%llu %s", 1ull << (shift - 10 * u), unit[u]);
}

/* The PTE flags of mmu.h, lowest bit first; the letter is the constant's
 * name.  Bits that are neither one of these nor in PTE_FRAME are printed as
 * ignored, so a flag added to mmu.h must be added here too. */
#define PTE_FLAG(f, name, meaning) {PTE_##f, #f, name, meaning}
static const struct pte_flag {
    uint32_t mask;
    const char *letter, *name, *meaning;
} pte_flags[] = {
    PTE_FLAG(P, "present", "the entry is valid.  Clear: the walk stops with a not-present fault, "
                           "and the other bits are the kernel's to use"),
    PTE_FLAG(W, "writable", "writes allowed: a write needs W in every entry of its walk, in every ring"),
    PTE_FLAG(U, "user", "ring 3 may use it: an access from ring 3 needs U in every entry of its walk"),
    PTE_FLAG(A, "accessed", "set by the walker in every entry a walk uses"),
    PTE_FLAG(D, "dirty", "set by the walker in the leaf on a write"),
    PTE_FLAG(L, "large", "above the bottom level: this entry is a leaf mapping a large page; "
                         "ignored at the bottom level"),
    PTE_FLAG(G, "global", "in a leaf: its TLB entry matches every ASID; ignored above the leaf"),
};
#undef PTE_FLAG
enum { N_PTE_FLAGS = sizeof pte_flags / sizeof pte_flags[0] };

static const struct pte_flag *pte_flag_at(int bit)
{
    for (int i = 0; i < N_PTE_FLAGS; i++)
        if (pte_flags[i].mask == 1u << bit) return &pte_flags[i];
    return NULL;
}

/* A field of a bit diagram: bits hi..lo. */
struct field {
    int hi, lo;
    const char *label;
};

/* Prints a word's bit diagram (bit numbers, border, labels, border), fields
 * from the highest bit down.  A field is as wide as its label, or as its
 * bit numbers with one column per bit between them. */
static void write_bit_diagram(FILE *out, const struct field *f, int n)
{
    char bits[256] = "", border[256] = "", row[256] = "";
    for (int i = 0; i < n; i++) {
        char hi[8], lo[8];
        snprintf(hi, sizeof hi, "%d", f[i].hi);
        snprintf(lo, sizeof lo, "%d", f[i].lo);
        int w = (int)strlen(f[i].label) + 2;
        int need = f[i].hi == f[i].lo ? (int)strlen(hi) + 2
                                      : (int)(strlen(hi) + strlen(lo)) + (f[i].hi - f[i].lo);
        if (w < need) w = need;
        size_t b = strlen(bits);
        if (f[i].hi == f[i].lo) {
            int pad = w - (int)strlen(hi);
            snprintf(bits + b, sizeof bits - b, " %*s%s%*s", pad / 2, "", hi, pad - pad / 2, "");
        } else {
            snprintf(bits + b, sizeof bits - b, " %-*s%s", w - (int)strlen(lo), hi, lo);
        }
        b = strlen(border);
        snprintf(border + b, sizeof border - b, "+%.*s", w, "------------------------------------------------");
        int pad = w - (int)strlen(f[i].label);
        b = strlen(row);
        snprintf(row + b, sizeof row - b, "|%*s%s%*s", pad / 2, "", f[i].label, pad - pad / 2, "");
    }
    for (size_t b = strlen(bits); b > 0 && bits[b - 1] == ' '; b--) bits[b - 1] = 0;
    fprintf(out, "%s\n%s+\n%s|\n%s+\n", bits, border, row, border);
}

/* The virtual-address split for every number of levels, as isa_level_bits
 * makes it: the index bits of each level, the address bits they come from,
 * the entries of a table, and the size of a large page at each upper level. */
static void write_address_split(FILE *out)
{
    const int page_shift = lowest_bit(PTE_FRAME);
    fputs("| levels | index bits, root first | address bits, root first | entries per table | "
          "large page (L) at level 0 (root), 1, … |\n|---|---|---|---|---|\n",
          out);
    for (unsigned n = 2; n <= ISA_MAX_LEVELS; n++) {
        unsigned bits[ISA_MAX_LEVELS];
        int low[ISA_MAX_LEVELS]; /* the lowest address bit of each level's index */
        isa_level_bits(n, bits);
        int s = page_shift;
        for (int i = (int)n - 1; i >= 0; i--) {
            low[i] = s;
            s += (int)bits[i];
        }
        fprintf(out, "| %u | ", n);
        for (unsigned i = 0; i < n; i++) fprintf(out, "%s%u", i ? " / " : "", bits[i]);
        fputs(" | ", out);
        for (unsigned i = 0; i < n; i++)
            fprintf(out, "%s%d..%d", i ? ", " : "", low[i] + (int)bits[i] - 1, low[i]);
        fputs(" | ", out);
        for (unsigned i = 0; i < n; i++) fprintf(out, "%s%u", i ? " / " : "", 1u << bits[i]);
        fputs(" | ", out);
        for (unsigned i = 0; i + 1 < n; i++) {
            fputs(i ? ", " : "", out);
            put_size(out, low[i]);
        }
        fputs(" |\n", out);
    }
}

/* The PTE: its diagram (frame, ignored bits, flags) and a row per flag. */
static void write_pte(FILE *out)
{
    uint32_t flags = 0;
    for (int i = 0; i < N_PTE_FLAGS; i++) flags |= pte_flags[i].mask;
    const int frame_lo = lowest_bit(PTE_FRAME), flags_hi = highest_bit(flags);

    struct field f[40];
    int n = 0;
    f[n++] = (struct field){highest_bit(PTE_FRAME), frame_lo, "frame"};
    if (frame_lo - 1 > flags_hi) f[n++] = (struct field){frame_lo - 1, flags_hi + 1, "ignored"};
    for (int bit = flags_hi; bit >= 0; bit--) {
        const struct pte_flag *pf = pte_flag_at(bit);
        f[n++] = (struct field){bit, bit, pf ? pf->letter : "ignored"};
    }
    fputs("```\n", out);
    write_bit_diagram(out, f, n);
    fputs("```\n\n| bit | mask | flag | meaning |\n|---|---|---|---|\n", out);
    fprintf(out, "| %d..%d | 0x%08x | frame | the physical frame of the next table, or at a leaf of "
                 "the page: `pte & 0x%08x` is its address |\n",
            highest_bit(PTE_FRAME), frame_lo, PTE_FRAME, PTE_FRAME);
    if (frame_lo - 1 > flags_hi)
        fprintf(out, "| %d..%d | 0x%x | — | ignored by the walker: free for the kernel |\n",
                frame_lo - 1, flags_hi + 1, ~PTE_FRAME & ~flags & ~((1u << (flags_hi + 1)) - 1));
    for (int i = 0; i < N_PTE_FLAGS; i++)
        fprintf(out, "| %d | 0x%02x | **%s** %s | %s |\n", lowest_bit(pte_flags[i].mask),
                pte_flags[i].mask, pte_flags[i].letter, pte_flags[i].name, pte_flags[i].meaning);
    fputc('\n', out);
}

/* The reason bits of CR fault, lowest first. */
static const struct {
    uint32_t mask;
    const char *set, *clear;
} fault_bits[] = {
    {FAULT_PRESENT, "the page was present: a protection violation (U or W missing)",
     "not present: an entry of the walk has P clear"},
    {FAULT_WRITE, "the access was a write", "a read or a fetch"},
    {FAULT_USER, "the access came from ring 3, the user ring", "from a supervisor ring"},
    {FAULT_FETCH, "an instruction fetch", "a load or a store"},
};

static void write_paging(FILE *out)
{
    const int page_shift = lowest_bit(PTE_FRAME);
    const unsigned user_ring = SR_RING_MASK >> SR_RING_SHIFT;
    const char *ptb = isa_creg_name[CR_PTB], *asid = isa_creg_name[CR_ASID],
               *mmu = isa_creg_name[CR_MMU], *levels = isa_creg_name[CR_LEVELS],
               *fault = isa_creg_name[CR_FAULT];
    const int asid_bits = ISA_ASID_BITS;
    unsigned deepest[ISA_MAX_LEVELS];
    isa_level_bits(ISA_MAX_LEVELS, deepest);

    fprintf(out,
            "## Paging\n\n"
            "With paging on, every instruction fetch, load and store uses a 32-bit virtual "
            "address, which the MMU translates to a physical one through radix page tables in "
            "physical memory, caching translations in a TLB.  Pages are ");
    put_size(out, page_shift);
    fprintf(out,
            ".  At reset paging is off and addresses are physical.\n\n"
            "### Turning paging on\n\n"
            "With `%s %s`, in ring 0:\n\n"
            "1. Build the tables (below) in physical memory.\n"
            "2. Write the physical address of the root table to `%s` (its low %d bits are "
            "ignored).\n"
            "3. Write an address-space id to `%s`: its low %d bits tag the TLB entries made "
            "from then on (below).\n"
            "4. Set bit 0 of `%s`.  The next instruction is fetched through the tables, "
            "so the code that does this must be mapped at the address it runs from (an identity "
            "map is simplest).  Clearing the bit turns paging off again; neither changes the "
            "TLB.\n\n"
            "`%s` is read-only: the number of levels, 2 to %d, chosen with `ringsim run --levels "
            "N`.  A kernel reads it and builds tables to match.\n\n",
            mn(OP_MTCR), operands(OP_MTCR), ptb, page_shift, asid, asid_bits, mmu, levels,
            ISA_MAX_LEVELS);

    fprintf(out,
            "### Virtual addresses\n\n"
            "Bits %d..0 of a virtual address are the offset in the page; the %d-bit virtual page "
            "number above them is split into one table index per level, root first, in equal "
            "parts with the root taking what does not divide evenly:\n\n",
            page_shift - 1, 32 - page_shift);
    write_address_split(out);
    fprintf(out,
            "\nA table's address is a frame number, so every table starts on a page boundary, "
            "even one of %u entries (%u bytes).  Without the page-walk cache a walk reads one "
            "entry per level: n references for a page at the bottom level, k + 1 for a large page mapped by an L entry at "
            "level k.  A large page's frame must be aligned to its size: the walker ignores the "
            "frame's low bits.\n\n",
            1u << deepest[ISA_MAX_LEVELS - 1], 4u << deepest[ISA_MAX_LEVELS - 1]);

    fputs("### Page-table entries\n\nEvery entry, at every level, is one 32-bit word:\n\n", out);
    write_pte(out);
    fprintf(out,
            "A **leaf** is an entry at the bottom level, or one with L above it.  Permissions are "
            "decided at the leaf, with the bits of every level seen:\n\n"
            "- **Rings**: ring %u is user and needs U in every entry of the walk; rings 0 to %u "
            "are supervisor and need no U (rings 1 and 2 differ from ring 0 only in what is "
            "privileged and in `vmcall`).\n"
            "- **Writes** need W in every entry of the walk, in every ring (as x86 with CR0.WP "
            "set): a kernel cannot write through a read-only mapping either.\n"
            "- **Fetches** need what a read needs: there is no execute permission.\n\n"
            "The walker sets **A** in every entry it uses, upper levels included, and **D** in "
            "the leaf on a write; each update is one more write to the table, charged like a "
            "reference (`walk.ad_writes` in the statistics).  A TLB entry remembers whether its "
            "page is dirty: the first write through a clean entry walks again to set D.  A kernel "
            "that clears A or D must `%s` the page, or the TLB goes on using the old entry and "
            "the bit is not set again.\n\n",
            user_ring, user_ring - 1, mn(OP_INVLPG));

    fprintf(out,
            "### Page faults\n\n"
            "A translation that fails raises `%s` (cause %d): BADADDR is the virtual address "
            "(pc for a fetch) and `%s` says why:\n\n"
            "| bit | mask | set | clear |\n|---|---|---|---|\n",
            isa_cause_name[CAUSE_PAGE_FAULT], CAUSE_PAGE_FAULT, fault);
    for (size_t i = 0; i < sizeof fault_bits / sizeof fault_bits[0]; i++)
        fprintf(out, "| %d | 0x%x | %s | %s |\n", lowest_bit(fault_bits[i].mask), fault_bits[i].mask,
                fault_bits[i].set, fault_bits[i].clear);
    fprintf(out,
            "\nA page table outside physical memory raises `%s` (cause %d) instead, and so "
            "does a leaf whose page lies beyond the end of memory; BADADDR is the virtual "
            "address.  `%s` is written only by a page fault (and by `mtcr`): a bus error, or "
            "any other trap, leaves it as it was, so it always describes the last page fault.\n\n"
            "A walk that fails caches nothing: the TLB holds only translations that successful "
            "walks made, so the next access to a page whose walk faulted walks the tables again "
            "and sees what the kernel has changed since, without an `invlpg`.  (A protection "
            "fault on a TLB hit is different: the entry stays, and faults again until it is "
            "dropped.)\n\n",
            isa_cause_name[CAUSE_BUS_ERROR], CAUSE_BUS_ERROR, fault);

    fprintf(out,
            "### The TLB and address spaces\n\n"
            "The TLB caches translations of single pages, set-associative with LRU replacement "
            "(`ringsim run --tlb ENTRIES[:WAYS]`).  It is not kept coherent with the tables: "
            "after changing or removing an entry that may be cached, the kernel drops it.\n\n"
            "- `%s %s` drops the TLB entry for the virtual address in the register (one of the "
            "current ASID, or a global one) and empties the page-walk cache.\n"
            "- `%s` drops every TLB entry, global ones included, and empties the page-walk "
            "cache.\n\n"
            "**ASIDs.**  Each TLB entry is tagged with the `%s` that was current when it was "
            "filled and matches only while that ASID is current.  So a write to `%s` leaves "
            "the TLB alone: a kernel that gives each address space its own ASID and writes "
            "`%s` and `%s` together on a switch keeps every space's entries, and must flush "
            "before it gives an ASID to another space.  A write to `%s` never flushes.\n\n"
            "**Without ASIDs** (`ringsim run --no-asid`) entries are untagged and match "
            "whatever `%s` holds, so a write to `%s` drops every entry except global ones, and "
            "empties the page-walk cache — as x86 does on a CR3 write without PCIDs.\n\n"
            "**Global entries.**  A TLB entry filled from a leaf with G matches every ASID and "
            "survives the flush of a `%s` write under `--no-asid`; only `%s` and `%s` drop it.  "
            "It is meant for mappings that are the same in every address space, such as the "
            "kernel's.\n\n",
            mn(OP_INVLPG), operands(OP_INVLPG), mn(OP_TLBFLUSH), asid, ptb, ptb, asid, asid, asid,
            ptb, ptb, mn(OP_INVLPG), mn(OP_TLBFLUSH));

    fprintf(out,
            "### The model\n\n"
            "- **Costs**: a TLB lookup that hits costs the profile's `tlb_hit` cycles; a miss "
            "costs its walk, `walk_ref` cycles for each entry read and each A/D update.  The "
            "statistics count `tlb.hits`, `tlb.misses`, `walk.walks`, `walk.refs`, "
            "`walk.ad_writes` and `walk.page_faults`.\n"
            "- **Instruction side**: the TLB is looked up when execution enters a page (a jump "
            "or branch into it, running on from the page before, a trap or `%s`, and after "
            "`%s`, `%s` and `%s`) and the translation is kept while execution stays in the "
            "page, as a real fetch unit does: one lookup per page entered, not one per "
            "instruction.\n"
            "- **Large pages** are cached in the TLB as the ",
            mn(OP_IRET), mn(OP_MTCR), mn(OP_INVLPG), mn(OP_TLBFLUSH));
    put_size(out, page_shift);
    fputs(" piece that was touched (\"splintered\"): they shorten walks but do not make the "
          "TLB reach further.\n"
          "- **Page-walk cache** (`ringsim run --pwc N`, off by default): N upper-level entries "
          "(never leaves), fully associative with LRU replacement and tagged by ASID like the "
          "TLB.  A walk starts below the deepest entry it remembers on the address's path and "
          "skips the references above it (`walk.pwc_hits`) — and their W and U bits, which it "
          "does not check again; looking it up costs nothing.  ",
          out);
    fprintf(out, "`%s`, `%s` and a `%s` write under `--no-asid` empty it.\n\n", mn(OP_INVLPG),
            mn(OP_TLBFLUSH), ptb);
}

/* ---- I/O ----------------------------------------------------------------- */

/* The block device's section: its registers are in the port table above. */
static void write_disk(FILE *out)
{
    fprintf(out,
            "### Block device\n\n"
            "A disk of %u-byte sectors kept in a host file (`ringsim run --disk FILE`, or "
            "`--disk FILE:create=64K` to make a zeroed one if it is missing; with several images, "
            "one `--disk` per image in order: each VM has its own disk or none), and a DMA engine "
            "that moves whole sectors between the disk and physical memory.\n\n"
            "- **Programming**: write the first sector to `%s`, the number of sectors (1..%u) to "
            "`%s` and the physical address to `%s` (any alignment), then the command to `%s`: "
            "%d read (disk to memory), %d write (memory to disk), %d flush.  The registers keep "
            "their values and read back.  `%s` reads the disk's size in sectors, 0 when no disk "
            "is attached.\n"
            "- **Transfer**: the device checks the command whole when it is written and either "
            "refuses it (an error code, nothing moved) or moves every byte at once; it then stays "
            "busy for its latency.  Wait until `%s` bit 0 (busy) is clear before using the data "
            "or starting the next command.\n"
            "- **Timing**: the latency is simulated cycles from the machine profile, never host "
            "time: the profile's `disk_command` per command plus its `disk_sector` per "
            "sector moved; a flush costs `disk_command`.  The same run takes the same cycles every "
            "time.\n"
            "- **Completion**: busy clears at the completion cycle, and the command is *done*: "
            "`%s` bit 1 is set until a write to `%s` acknowledges it.  Every command written "
            "to `%s` is done once: one refused is done at once (its error in the status), one "
            "accepted at its completion cycle; one refused as `busy` is not a command of its "
            "own, and the one in flight is done when it completes.  A new command clears the "
            "done bit of the last.  A write to `%s` before the command in flight is done "
            "acknowledges nothing.\n"
            "- **Interrupt**: with `%s` bit 0 set, the device raises its interrupt, cause %d "
            "(`%s`), while a command is done and not acknowledged — level-triggered, as the "
            "timer's: a handler acknowledges it (`%s`) before it unmasks, or it is taken "
            "again.  Enabling it with a command already done raises it at once; clearing the "
            "bit lowers it without acknowledging anything.  It is off at reset: a driver may "
            "instead poll `%s` (bit 0, busy, or bit 1, done), which costs a trap or a VM "
            "exit per look under a hypervisor (`diskio` measures both).  Under every "
            "technique a VM's disk interrupts that VM only, at its completion cycle as bare "
            "metal's does (the hypervisor sets its own timer for it), and the `disk` "
            "statistics count the `interrupts` delivered.\n"
            "- **Status**: `%s` bits 8..15 hold the last command's error code:\n\n"
            "| code | name | meaning |\n|---|---|---|\n",
            DISK_SECTOR, isa_port_name(PORT_DISK_SECTOR), DISK_MAX_COUNT, isa_port_name(PORT_DISK_COUNT),
            isa_port_name(PORT_DISK_ADDR), isa_port_name(PORT_DISK_CMD), DISK_READ, DISK_WRITE, DISK_FLUSH,
            isa_port_name(PORT_DISK_SIZE), isa_port_name(PORT_DISK_STATUS),
            isa_port_name(PORT_DISK_STATUS), isa_port_name(PORT_DISK_ACK), isa_port_name(PORT_DISK_CMD),
            isa_port_name(PORT_DISK_ACK), isa_port_name(PORT_DISK_CTRL), CAUSE_DISK,
            isa_cause_name[CAUSE_DISK], isa_port_name(PORT_DISK_ACK), isa_port_name(PORT_DISK_STATUS),
            isa_port_name(PORT_DISK_STATUS));
#define X(id, num, name, desc) fprintf(out, "| %d | `%s` | %s |\n", num, name, desc);
    DISK_ERRORS(X)
#undef X
    fprintf(out,
            "\n- **Memory**: DMA reaches physical memory and nothing else: a transfer that would "
            "cross its end is refused with `dma`.  Under a hypervisor, physical memory is the VM's "
            "guest-physical memory, so a guest can reach neither another VM nor the hypervisor; "
            "under `pv` a read into a frame the hypervisor validated as a page table is refused "
            "too (DMA would be a way around the validation).  A disk passed through to a VM "
            "(`--passthrough N`, hw with nested paging) takes the guest's own `in` and `out` "
            "without an exit, and its DMA addresses go through the IOMMU, page by page, in the "
            "VM's domain: a transfer any page of which is outside the VM is refused with `dma`, "
            "nothing moved, as bare metal refuses memory that is not there (docs/io.md).\n"
            "- **Partitions**: with `--disk FILE:part=FIRST+COUNT` the disk is sectors FIRST to "
            "FIRST+COUNT-1 of the file: `disk_size` reads COUNT, sector 0 is the file's sector "
            "FIRST, and a command reaching past COUNT is refused with `range`.\n"
            "- **Durability**: a write reaches the host file when the command is written (the "
            "simulator keeps no cache of its own), so it survives the simulator being killed; a "
            "flush `fsync`s the file, so what was written before it survives the host going down "
            "as well.\n"
            "- **The file**: refused before the guest runs, with a message naming it and exit "
            "status 2, if it is missing (without `create=`), not a regular file, without write "
            "permission, not a whole number of sectors, or locked (`flock`) by another simulator "
            "using it.\n\n");
    fprintf(out,
            "### Request queue\n\n"
            "The same device takes commands from a queue in memory too — the ring of a split "
            "driver (virtio-like: the guest's driver fills it, the device or, under a "
            "hypervisor, the hypervisor's backend empties it).  The driver writes the physical "
            "address of a page to `%s`; the page holds, as 32-bit words at these byte offsets:\n\n"
            "| offset | written by | what |\n|---|---|---|\n"
            "| %u | driver | the available index: requests added so far, counting from 0 |\n"
            "| %u | device | the used index: requests taken so far |\n"
            "| %u | driver | flags: bit 0 = no completion interrupt for the requests taken |\n"
            "| %u + 16 × slot | driver | a request: command, sector, count, physical address (the "
            "registers' meanings), slot = index mod %u |\n"
            "| %u + 4 × slot | device | the request's error code (the table above) |\n\n"
            "- **Notification**: a write to `%s` makes the device take, in order, every request "
            "from its used index up to the available index — a whole batch for one write, where "
            "the registers take four writes a command.  Each request is checked and done as a "
            "register command is (a malformed one gets its error code in its status word and the "
            "others go on); the device writes each status and the new used index into the page.\n"
            "- **Completion**: the batch keeps the device busy for the sum of its commands' "
            "latencies, after any batch still in flight, and completes once: `%s` bit 0 and bit 1 "
            "and the interrupt as for a register command, unless the flags ask for no interrupt "
            "(interrupt suppression: a polling driver's).  The requests' data has moved when the "
            "notification is written; a driver uses it once the batch is done.\n"
            "- **Refused** with `queue` in `%s`, taking nothing: a notification with no queue "
            "(0), one not page-aligned or not wholly in physical memory (under `pv`, a validated "
            "page table), or an available index more than %u ahead of the used index (or behind "
            "it).  Without a disk `%s` keeps nothing and a notification is refused with `no_disk`.\n\n",
            isa_port_name(PORT_DISK_QUEUE), DQ_AVAIL, DQ_USED, DQ_FLAGS, DQ_REQ, DISK_QUEUE_SIZE, DQ_STATUS,
            isa_port_name(PORT_DISK_NOTIFY), isa_port_name(PORT_DISK_STATUS), isa_port_name(PORT_DISK_STATUS),
            DISK_QUEUE_SIZE, isa_port_name(PORT_DISK_QUEUE));
}

/* The network interface's section: its registers are in the port table. */
static void write_net(FILE *out)
{
    fprintf(out,
            "### Network interface\n\n"
            "A machine run with `--net` has a network interface on a virtual switch (every VM of a "
            "run its own, all on one switch).  Interface k (0 natively; the VM's index under a "
            "hypervisor) has the MAC address 52:54:00:00:00:k+1; `%s` reads its low four bytes "
            "(k+1), 0xffffffff without an interface.  It sends and receives Ethernet frames of "
            "%u to %u bytes: destination MAC, source MAC, a two-byte type, then data.  Both "
            "directions are rings in physical memory, one page each, laid out as the disk's "
            "request queue is (32-bit words at these byte offsets):\n\n"
            "| offset | written by | what |\n|---|---|---|\n"
            "| %u | driver | the available index: descriptors added so far, counting from 0 |\n"
            "| %u | device | the used index: descriptors taken so far |\n"
            "| %u | driver | flags: bit 0 = no interrupt for this ring's frames (interrupt suppression) |\n"
            "| %u + 8 × slot | driver | a descriptor: physical address, length; slot = index mod %u |\n"
            "| %u + 4 × slot | device | transmit: the frame's error code; receive: the length of the "
            "frame received, or an error code << 16 |\n\n"
            "- **Rings**: the driver writes each ring's page to `%s` and `%s` (which also sets "
            "the device's used index to 0).\n"
            "- **Transmit**: a write to `%s` (the doorbell) makes the device take, in order, every "
            "descriptor from its used index up to the available index — a batch for one write.  "
            "Each is checked (a length of %u to %u bytes, `bad_len`; the buffer wholly in "
            "physical memory, `dma`), its frame read by DMA and handed to the switch; the device "
            "writes each status and the new used index back.  Frames sent raise `%s` bit 0.\n"
            "- **Receive**: the driver offers empty buffers (address, room) on the receive ring "
            "and says so with `%s`.  A frame that has arrived goes into the next buffer, its "
            "length into the status word: a frame larger than the buffer gets `bad_len` << 16, a "
            "buffer outside memory `dma` << 16, and the buffer is used up either way.  A frame "
            "that arrives with no buffer free waits in the interface's FIFO of %d frames (a "
            "full FIFO drops it) until `%s`.  Frames received raise `%s` bit 1.  `%s` and `%s` "
            "read the used indices.\n"
            "- **Interrupt**: with `%s` bit 0 set, cause %d (`%s`) is raised while `%s` bit 0 or "
            "1 is set — level-triggered, until a write to `%s` clears both — except for frames of "
            "a ring whose flags word has bit 0 set: a driver that polls its rings in memory "
            "turns off the interrupts it does not need.\n"
            "- **Refused** with `ring` in `%s` bits 8..15, taking nothing: a doorbell with no "
            "ring (0), one not page-aligned or not wholly in physical memory, or an available "
            "index more than %u ahead of the used index (or behind it).\n\n"
            "| code | name | meaning |\n|---|---|---|\n",
            isa_port_name(PORT_NET_MAC), NET_HEADER, NET_MAX_FRAME, NR_AVAIL, NR_USED, NR_FLAGS, NR_DESC,
            NET_RING_SIZE, NR_STATUS, isa_port_name(PORT_NET_TX_RING), isa_port_name(PORT_NET_RX_RING),
            isa_port_name(PORT_NET_TX_NOTIFY), NET_HEADER, NET_MAX_FRAME, isa_port_name(PORT_NET_STATUS),
            isa_port_name(PORT_NET_RX_NOTIFY), NET_FIFO_FRAMES, isa_port_name(PORT_NET_RX_NOTIFY),
            isa_port_name(PORT_NET_STATUS), isa_port_name(PORT_NET_RX_USED), isa_port_name(PORT_NET_TX_USED),
            isa_port_name(PORT_NET_CTRL), CAUSE_NET, isa_cause_name[CAUSE_NET], isa_port_name(PORT_NET_STATUS),
            isa_port_name(PORT_NET_ACK), isa_port_name(PORT_NET_STATUS), NET_RING_SIZE);
#define X(id, num, name, desc) fprintf(out, "| %d | `%s` | %s |\n", num, name, desc);
    NET_ERRORS(X)
#undef X
    fprintf(out,
            "\n- **The switch** forwards a frame to the interface whose MAC is its destination, "
            "arriving `--net-latency` cycles (default %d) after it was sent, so the same run "
            "takes the same cycles every time.  It drops, and counts, a frame to no MAC it knows "
            "and a frame whose source MAC is not its sender's (a spoofed frame).  Its port after "
            "the last interface is an echo host, which sends every frame back, MACs swapped, "
            "another latency later: natively the peer of the machine's only interface.\n"
            "- **Memory**: as the disk's DMA: physical memory only, under a hypervisor the VM's "
            "guest-physical memory; passed through (`--passthrough N`) through the IOMMU, a page "
            "outside the VM an IOMMU fault and `dma` for the guest.\n\n",
            NET_DEFAULT_LATENCY);
}

static void write_ports(FILE *out)
{
    fprintf(out,
            "## I/O ports and devices\n\n"
            "Ports are reached only with the privileged `%s %s` and `%s %s`; `port` is a name "
            "below or a number.  Reading a port with nothing behind it gives 0xffffffff; "
            "writing one is ignored.\n\n"
            "| port | name | description |\n|---|---|---|\n",
            mn(OP_IN), operands(OP_IN), mn(OP_OUT), operands(OP_OUT));
#define X(id, num, name, desc) fprintf(out, "| 0x%02x | `%s` | %s |\n", num, name, desc);
    ISA_PORTS(X)
#undef X
    fprintf(out,
            "\n- **Console**: every byte written to `%s` goes to the simulator's standard "
            "output.  Input is a script fixed before the run (`ringsim run --input`), so runs "
            "are repeatable: `%s` bit 0 says a byte is waiting, reading `%s` takes it (-1 when "
            "none), and `%s` bit 0 asks for an interrupt while input is waiting.\n"
            "- **Timer**: writing a period N (in simulated cycles) to `%s` starts it: an "
            "interrupt every N cycles from now, until 0 is written.  Each interrupt stays "
            "pending until a write to `%s`; ticks missed meanwhile coalesce into one.  `%s` "
            "reads the low 32 bits of the cycle counter.\n"
            "- **Power**: writing a value to `%s` stops the machine; the value is the exit "
            "code (`guest.exit_code` in the statistics).\n\n",
            isa_port_name(PORT_CON_DATA), isa_port_name(PORT_CON_STATUS),
            isa_port_name(PORT_CON_DATA), isa_port_name(PORT_CON_CTRL),
            isa_port_name(PORT_TIMER_PERIOD), isa_port_name(PORT_TIMER_ACK),
            isa_port_name(PORT_TIMER_NOW), isa_port_name(PORT_POWER));
    write_disk(out);
    write_net(out);
}

/* ---- boot parameters -------------------------------------------------------- */

static void write_boot_args(FILE *out)
{
    fprintf(out,
            "## Boot parameters\n\n"
            "`ringsim run IMG --args TEXT` copies TEXT (at most %d characters), NUL-terminated, "
            "to physical address 0x%x, after loading the image and before the first "
            "instruction.  Nothing else marks it: it is ordinary memory, so a kernel that wants "
            "the string reads it before it reuses that page.  Without `--args` nothing is "
            "written there (memory starts zeroed).  The bundled kernel's workloads read it as "
            "their iteration count (`u_count`, guests/kernel/user/ulib.s, which stops at the "
            "first character that is not a digit), so for an image with `u_count` the command "
            "line takes a number only, 0 to 4294967295, and refuses anything else rather than "
            "let a mistyped count run as the default.\n\n",
            BOOT_ARGS_MAX - 1, BOOT_ARGS_ADDR);
}

/* ---- ring -1 --------------------------------------------------------------- */

static void write_ring_minus_one(FILE *out)
{
    fputs("## Ring -1: hardware-assisted virtualisation\n\n"
          "Beside the rings the CPU has a root and a non-root mode.  The hypervisor runs in "
          "root mode (\"ring -1\"); a guest runs in non-root mode, where its ring 0 is its own: "
          "its privileged and red-pill instructions act on its own state as on bare metal, "
          "except those whose exit control is set in its VMCS (the VM control structure).  "
          "Then, and on the events below, the CPU performs a **VM exit**: it saves the guest's "
          "registers and control registers into the VMCS, records a reason and a "
          "qualification, and hands control to the hypervisor, which resumes a guest with a "
          "**VM entry**.  An instruction's privilege check comes before its exit control, as on "
          "VT-x: a privileged instruction outside the guest's ring 0 is the guest's own protection "
          "fault, never an exit.  Both cost cycles (`vm_exit`, `vm_entry` in the profile), and every "
          "VMCS field the hypervisor reads or writes costs `vmcs_read` / `vmcs_write`.\n\n"
          "`vmcall` is the hypercall: in non-root mode it always exits.  Outside a VM, from ring 1 "
          "or 2, it traps with cause `hypercall` (returning past the instruction, like `syscall`): "
          "that is how a paravirtual kernel, deprivileged in ring 1, calls a hypervisor that "
          "owns ring 0.  From ring 0 or 3 outside a VM it is an illegal instruction.  With nested paging the MMU translates every guest-physical "
          "address — the guest's page-table entries included — through the VM's host page "
          "table (same format as above), so a cold walk with n guest and m host levels reads "
          "(n+1)(m+1)-1 entries.  A guest-physical address beyond the VM's memory is what an "
          "address beyond the end of memory is on bare metal: a bus error when it is touched "
          "(and a translation to it is cached in the TLB like any other); one inside it that "
          "the host table does not map is a nested violation, an exit — never an access to "
          "someone else's memory.  TLB entries are tagged with the "
          "VM (VPID) as well as the ASID.\n\n"
          "**What a guest can tell.**  Under every technique of the hypervisor (`ringsim run "
          "--mode te|bt|hw|pv`) a guest sees what bare metal shows it — the same traps, causes, "
          "EPC, BADADDR, `fault`, A and D bits, TLB behaviour and output — with these "
          "exceptions.  *Time*: `timer_now`, `mfcr cycle` and the timer count the machine's "
          "cycles, the hypervisor's work included (as a real VM's time-stamp counter does), so "
          "a guest that measures time sees exits and emulation as time passing, and its timer "
          "interrupts arrive after a different number of its own instructions in each mode.  "
          "*Red pills*: on the `classic` ISA under trap-and-emulate (`--mode te`) the guest "
          "kernel runs in ring 1 and its rings 1 and 2 in ring 2, where `pushf`, `popf`, `smsw` "
          "and `sptb` act on the real state without trapping — the failure Popek and Goldberg "
          "predict; binary translation (`--mode bt`) translates every ring's code, so it is "
          "exact on `classic` too.  *The page-walk cache under shadow paging* (`--pwc`, off by "
          "default): it caches what the hardware walks, the hypervisor's shadow tables, while "
          "the hypervisor's own walk of the guest's tables (for a hidden fault) starts at the "
          "root, so a guest that changes an upper-level entry without `invlpg` can meet a page "
          "fault where bare metal still goes through the old table (or the reverse); under "
          "nested paging the host table's entries have N places of their own and the guest's "
          "cache is exactly its bare-metal one.  *Memory size*: `memsize` reads the VM's size.\n\n"
          "The TLB itself — which entries it holds, how stale they are, and which one a fill "
          "evicts — is the guest's bare-metal TLB in every mode, even at one way per set: the "
          "hypervisor's own translations never take a guest entry's place (those made while the "
          "guest has paging off, which bare metal does not make, have a TLB of the same shape to "
          "themselves), its look-ups of guest state count as no use, and after a trip through the "
          "hypervisor that the guest cannot see (a hidden page fault, an emulated instruction, a "
          "host interrupt that brings it nothing, a live switch) the CPU goes on in the "
          "instruction page it was running from without looking it up again, as bare metal "
          "would have.  Under several VMs with `--no-vpid` a VM switch empties the TLB: that one "
          "a guest can see, as on hardware without VM tags.\n\n"
          "| reason | when | qualification |\n|---|---|---|\n", out);
    for (int r = 0; r < EXIT_COUNT; r++) {
        const char *d = vmexit_reason_desc[r], *semi = strstr(d, "; qual = ");
        fprintf(out, "| `%s` | %.*s | %s |\n", vmexit_reason_name[r], semi ? (int)(semi - d) : (int)strlen(d), d,
                semi ? semi + 9 : "—");
    }
    fputs("\n", out);
}

/* ---- assembler ----------------------------------------------------------- */

static void write_assembler(FILE *out)
{
    fprintf(out,
            "## Assembler syntax\n\n"
            "`ringsim asm SRC.s -o IMG` writes an ELF32 little-endian executable with "
            "e_machine 0x%04x (\"RS\"), one loadable segment per section and a symbol table.  "
            "Errors are reported as `file:line:col: error: message`.\n\n"
            "- **Comments**: from `#`, `;` or `//` to the end of the line.\n"
            "- **Labels**: `name:`; names starting `.L` are local to the file.  Numeric local "
            "labels `1:` can be defined many times; `1b` refers to the nearest one backwards, "
            "`1f` forwards.\n"
            "- **Operands**: registers `r0`..`r%d`, `%s`, `%s`, `zero`; control registers and "
            "ports by name or number; memory operands `offset(rs)`.\n"
            "- **Expressions**: numbers and symbols combined with C's operators and "
            "precedence; `%%hi(x)` and `%%lo(x)` are the upper and lower 16 bits of x.\n"
            "- **Sections**: `.text`, `.data`, `.bss`, `.section NAME`; `.org ADDR`.\n"
            "- **Phase**: `.phase ADDR` … `.dephase` assembles code to run at ADDR while its bytes "
            "stay at the current place of the current section (e.g. user code carried in a kernel "
            "image and copied to its address at run time).  Inside, labels, `.`, branch offsets, "
            "`.align` and `.org` use the phased address; labels are absolute symbols.  Blocks do "
            "not nest, cannot switch sections, and a branch between a block and a label outside it "
            "is an error.\n"
            "- **Data**: `.word`, `.half`, `.byte`, `.ascii`, `.asciz` (also `.string`), "
            "`.space N`, `.align N`.\n"
            "- **Symbols**: `.equ NAME, VALUE` (also `.set`, `NAME = VALUE`), `.global NAME`, "
            "`.entry LABEL` (the entry point).\n"
            "- **Files and macros**: `.include \"FILE\"`; `.macro NAME ARGS` … `.endm`, with "
            "`\\ARG` for an argument and `\\@` for a number unique to each expansion.\n"
            "- **Conditions**: `.if EXPR`, `.ifdef NAME`, `.ifndef NAME`, `.else`, `.endif`; "
            "`.error \"MSG\"` and `.warning \"MSG\"`.\n\n",
            EM_RINGSIM, ISA_NREGS - 1, isa_reg_name(ISA_REG_SP), isa_reg_name(ISA_REG_LR));
}

/* ---- the whole reference --------------------------------------------------- */

void isa_write_reference(FILE *out)
{
    fputs("<!-- generated by ringsim isadoc from isa/isa_table.h: do not edit -->\n"
          "# ringsim ISA reference\n\n"
          "This file is generated from the instruction table (`isa/isa_table.h`), the "
          "tables in `isa/isa.h` and the paging constants in `mmu/mmu.h`; run `make docs` "
          "after changing them.  A test checks that it is up to date.\n\n"
          "Contents: [Overview](#overview) · [Encoding formats](#encoding-formats) · "
          "[Instruction summary](#instruction-summary) · [Cost classes](#cost-classes) · "
          "[Popek and Goldberg](#privileged-and-sensitive-instructions-popek-and-goldberg) · "
          "[Control registers](#control-registers) · "
          "[Traps and interrupts](#traps-and-interrupts) · [Paging](#paging) · "
          "[I/O ports and devices](#io-ports-and-devices) · "
          "[Boot parameters](#boot-parameters) · "
          "[Ring -1](#ring--1-hardware-assisted-virtualisation) · [Assembler syntax](#assembler-syntax)\n\n",
          out);
    write_overview(out);
    write_formats(out);
    write_summary(out);
    write_classes(out);
    write_popek_goldberg(out);
    write_cregs(out);
    write_traps(out);
    write_paging(out);
    write_ports(out);
    write_boot_args(out);
    write_ring_minus_one(out);
    write_assembler(out);
}
