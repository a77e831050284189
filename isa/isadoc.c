/*
 * isadoc.c — the ISA reference (docs/isa.md), generated from the tables.
 *
 * Every fact printed here comes from isa.h: the instruction table
 * (isa_info[], from isa_table.h), the formats, cost classes, control
 * registers, trap causes and ports.  The prose between the tables explains
 * them but names no opcode, so adding a line to isa_table.h changes the
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
    [OP_VMCALL] = "illegal-instruction trap on bare metal; a VM exit to the hypervisor inside a VM",
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
    case CAUSE_SYSCALL: case CAUSE_BREAKPOINT: return "the next instruction";
    case CAUSE_TIMER: case CAUSE_CONSOLE: return "the instruction not yet run";
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
            "instruction not yet run.  When both are pending the timer (cause %d) is taken "
            "before the console (cause %d).  Both are level-triggered: the timer's stays "
            "raised until acknowledged (`%s`), the console's while input is waiting and its "
            "interrupt is enabled (`%s`).  An instruction that can set IE (`%s`, `%s`, `%s` to "
            "`%s`, `%s`) lets a pending interrupt in before the next instruction.  `%s` waits "
            "for an interrupt, charging idle cycles; if IE is clear or nothing can raise one, "
            "it stops the machine.\n\n",
            CAUSE_TIMER, CAUSE_CONSOLE, isa_port_name(PORT_TIMER_ACK),
            isa_port_name(PORT_CON_CTRL), mn(OP_STI), mn(OP_POPF), mn(OP_MTCR),
            isa_creg_name[CR_SR], mn(OP_IRET), mn(OP_HLT));
}

/* ---- I/O ----------------------------------------------------------------- */

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
          "This file is generated from the instruction table (`isa/isa_table.h`) and the "
          "tables in `isa/isa.h`; run `make docs` after changing them.  A test checks that "
          "it is up to date.\n\n"
          "Contents: [Overview](#overview) · [Encoding formats](#encoding-formats) · "
          "[Instruction summary](#instruction-summary) · [Cost classes](#cost-classes) · "
          "[Popek and Goldberg](#privileged-and-sensitive-instructions-popek-and-goldberg) · "
          "[Control registers](#control-registers) · "
          "[Traps and interrupts](#traps-and-interrupts) · "
          "[I/O ports and devices](#io-ports-and-devices) · "
          "[Assembler syntax](#assembler-syntax)\n\n",
          out);
    write_overview(out);
    write_formats(out);
    write_summary(out);
    write_classes(out);
    write_popek_goldberg(out);
    write_cregs(out);
    write_traps(out);
    write_ports(out);
    write_assembler(out);
}
