/*
 * isa.c — the instruction table as C data, and the one encoder/decoder.
 *
 * isa_encode and isa_decode are the only two places that know how fields sit
 * in a word; the assembler calls the first, the CPU's decoder and the
 * disassembler the second, so the three can never disagree about an encoding.
 */
#include "isa.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const struct isa_info isa_info[OP_COUNT] = {
    [OP_INVALID] = {"(invalid)", 0, FMT_N, CL_SYSTEM, false, false, "illegal-instruction trap"},
#define INSN(id, mn, opc, fmt, cls, pv, sn, sem) [OP_##id] = {mn, opc, fmt, cls, pv, sn, sem},
#include "isa_table.h"
#undef INSN
};

const char *const isa_format_operands[FMT_COUNT] = {
#define X(id, ops, fields) [id] = ops,
    ISA_FORMATS(X)
#undef X
};
const char *const isa_format_fields[FMT_COUNT] = {
#define X(id, ops, fields) [id] = fields,
    ISA_FORMATS(X)
#undef X
};
const char *const isa_class_name[CL_COUNT] = {
#define X(id, name, cyc, desc) [id] = name,
    ISA_CLASSES(X)
#undef X
};
const char *const isa_class_desc[CL_COUNT] = {
#define X(id, name, cyc, desc) [id] = desc,
    ISA_CLASSES(X)
#undef X
};
const int isa_class_default_cycles[CL_COUNT] = {
#define X(id, name, cyc, desc) [id] = cyc,
    ISA_CLASSES(X)
#undef X
};
const char *const isa_creg_name[CR_COUNT] = {
#define X(id, num, name, wr, desc) [id] = name,
    ISA_CREGS(X)
#undef X
};
const char *const isa_creg_desc[CR_COUNT] = {
#define X(id, num, name, wr, desc) [id] = desc,
    ISA_CREGS(X)
#undef X
};
const bool isa_creg_writable[CR_COUNT] = {
#define X(id, num, name, wr, desc) [id] = wr,
    ISA_CREGS(X)
#undef X
};
const char *const isa_cause_name[CAUSE_COUNT] = {
#define X(id, num, name, desc) [id] = name,
    ISA_CAUSES(X)
#undef X
};
const char *const isa_cause_desc[CAUSE_COUNT] = {
#define X(id, num, name, desc) [id] = desc,
    ISA_CAUSES(X)
#undef X
};

const char *const vmexit_reason_name[EXIT_COUNT] = {
#define X(id, name, desc) [id] = name,
    VMEXIT_REASONS(X)
#undef X
};
const char *const vmexit_reason_desc[EXIT_COUNT] = {
#define X(id, name, desc) [id] = desc,
    VMEXIT_REASONS(X)
#undef X
};

void isa_level_bits(unsigned levels, unsigned bits[ISA_MAX_LEVELS])
{
    /* 20 bits of page number; the root takes what does not divide evenly */
    for (unsigned i = 0; i < levels; i++) bits[i] = ISA_INDEX_BITS(levels, i);
}

/* opcode byte -> op, built on first use from the table. */
static enum isa_op opcode_map[256];
static bool opcode_map_ready;

enum isa_op isa_op_of_opcode(uint8_t opcode)
{
    if (!opcode_map_ready) {
        for (int op = 1; op < OP_COUNT; op++)
            opcode_map[isa_info[op].opcode] = (enum isa_op)op;
        opcode_map_ready = true;
    }
    return opcode_map[opcode];
}

/* The assembler asks for a mnemonic on every line: a binary search in the
 * ops sorted by mnemonic, built on first use, rather than a scan. */
static enum isa_op by_mnemonic[OP_COUNT - 1];

static int mnemonic_order(const void *a, const void *b)
{
    return strcasecmp(isa_info[*(const enum isa_op *)a].mnemonic, isa_info[*(const enum isa_op *)b].mnemonic);
}

static int mnemonic_key(const void *key, const void *elem)
{
    return strcasecmp(key, isa_info[*(const enum isa_op *)elem].mnemonic);
}

enum isa_op isa_op_by_mnemonic(const char *m)
{
    static bool sorted;
    if (!sorted) {
        for (int op = 1; op < OP_COUNT; op++) by_mnemonic[op - 1] = (enum isa_op)op;
        qsort(by_mnemonic, OP_COUNT - 1, sizeof by_mnemonic[0], mnemonic_order);
        sorted = true;
    }
    const enum isa_op *hit = bsearch(m, by_mnemonic, OP_COUNT - 1, sizeof by_mnemonic[0], mnemonic_key);
    return hit ? *hit : OP_INVALID;
}

bool isa_is_privileged(enum isa_op op, enum isa_variant v)
{
    return isa_info[op].privileged || (v == ISA_STRICT && isa_info[op].sensitive);
}

const char *isa_variant_name(enum isa_variant v) { return v == ISA_STRICT ? "strict" : "classic"; }

bool isa_variant_parse(const char *s, enum isa_variant *out)
{
    if (strcmp(s, "classic") == 0) { *out = ISA_CLASSIC; return true; }
    if (strcmp(s, "strict") == 0) { *out = ISA_STRICT; return true; }
    return false;
}

/* ---- names ------------------------------------------------------------ */
static const char *const reg_names[ISA_NREGS] = {
    "r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7",
    "r8", "r9", "r10", "r11", "r12", "r13", "sp", "lr",
};

const char *isa_reg_name(int reg) { return reg >= 0 && reg < ISA_NREGS ? reg_names[reg] : "?"; }

int isa_reg_parse(const char *name)
{
    if ((name[0] == 'r' || name[0] == 'R') && isdigit((unsigned char)name[1])) {   /* the common case first */
        int n = 0;
        for (const char *p = name + 1; *p; p++) {
            if (!isdigit((unsigned char)*p)) return -1;
            n = n * 10 + (*p - '0');
            if (n >= ISA_NREGS) return -1;
        }
        if (name[1] == '0' && name[2]) return -1; /* no "r01" */
        return n;
    }
    if (strcasecmp(name, "zero") == 0) return 0;
    if (strcasecmp(name, "sp") == 0) return ISA_REG_SP;
    if (strcasecmp(name, "lr") == 0) return ISA_REG_LR;
    return -1;
}

int isa_creg_parse(const char *name)
{
    for (int i = 0; i < CR_COUNT; i++)
        if (strcasecmp(isa_creg_name[i], name) == 0) return i;
    return -1;
}

int isa_cause_parse(const char *name)
{
    for (int i = 0; i < CAUSE_COUNT; i++)
        if (strcasecmp(isa_cause_name[i], name) == 0) return i;
    return -1;
}

static const struct { unsigned num; const char *name; } port_table[] = {
#define X(id, num, name, desc) {num, name},
    ISA_PORTS(X)
#undef X
};

const char *isa_port_name(unsigned port)
{
    for (size_t i = 0; i < sizeof port_table / sizeof port_table[0]; i++)
        if (port_table[i].num == port) return port_table[i].name;
    return NULL;
}

int isa_port_parse(const char *name)
{
    for (size_t i = 0; i < sizeof port_table / sizeof port_table[0]; i++)
        if (strcasecmp(port_table[i].name, name) == 0) return (int)port_table[i].num;
    return -1;
}

/* ---- fields ----------------------------------------------------------- */
/* Which fields a format uses: bit 0 a, bit 1 b, bit 2 c, bit 3 imm16, bit 4 imm20. */
enum { F_A = 1, F_B = 2, F_C = 4, F_I16 = 8, F_I20 = 16 };

static unsigned format_fields(enum isa_fmt f)
{
    switch (f) {
    case FMT_R: return F_A | F_B | F_C;
    case FMT_I: case FMT_IU: case FMT_SH: case FMT_LD: case FMT_ST: case FMT_B: case FMT_JR:
        return F_A | F_B | F_I16;
    case FMT_LUI: case FMT_CRW: case FMT_CRR: case FMT_IN: case FMT_OUT: return F_A | F_I16;
    case FMT_J: return F_A | F_I20;
    case FMT_RD: case FMT_RS: return F_A;
    case FMT_N: case FMT_COUNT: break;
    }
    return 0;
}

void isa_imm_range(enum isa_fmt fmt, int32_t *min, int32_t *max)
{
    switch (fmt) {
    case FMT_I: case FMT_LD: case FMT_ST: case FMT_B: case FMT_JR:
        *min = -32768; *max = 32767; return;
    case FMT_IU: case FMT_LUI: case FMT_IN: case FMT_OUT: *min = 0; *max = 65535; return;
    case FMT_CRW: case FMT_CRR: *min = 0; *max = CR_COUNT - 1; return;
    case FMT_SH: *min = 0; *max = 31; return;
    case FMT_J: *min = -(1 << 19); *max = (1 << 19) - 1; return;
    default: *min = 0; *max = 0; return;
    }
}

static bool imm_is_signed(enum isa_fmt f)
{
    return f == FMT_I || f == FMT_LD || f == FMT_ST || f == FMT_B || f == FMT_JR || f == FMT_J;
}

bool isa_decode(uint32_t w, struct isa_insn *out)
{
    enum isa_op op = isa_op_of_opcode((uint8_t)(w >> 24));
    memset(out, 0, sizeof *out);
    if (op == OP_INVALID) return false;
    enum isa_fmt f = isa_info[op].format;
    unsigned used = format_fields(f);
    uint32_t mask = 0xff000000u;
    out->op = op;
    if (used & F_A) { out->a = (w >> 20) & 15; mask |= 0x00f00000u; }
    if (used & F_B) { out->b = (w >> 16) & 15; mask |= 0x000f0000u; }
    if (used & F_C) { out->c = (w >> 12) & 15; mask |= 0x0000f000u; }
    if (used & F_I16) {
        out->imm = imm_is_signed(f) ? (int32_t)(int16_t)(w & 0xffff) : (int32_t)(w & 0xffff);
        mask |= 0xffffu;
    }
    if (used & F_I20) {
        uint32_t v = w & 0xfffffu;
        out->imm = (int32_t)(v ^ 0x80000u) - 0x80000;
        mask |= 0xfffffu;
    }
    if (w & ~mask) return false; /* bits the format does not use must be zero */
    if (used & F_I16) {
        int32_t lo, hi;
        isa_imm_range(f, &lo, &hi);
        if (out->imm < lo || out->imm > hi) return false;
    }
    return true;
}

bool isa_encode(const struct isa_insn *in, uint32_t *out)
{
    if (in->op <= OP_INVALID || in->op >= OP_COUNT) return false;
    enum isa_fmt f = isa_info[in->op].format;
    unsigned used = format_fields(f);
    uint32_t w = (uint32_t)isa_info[in->op].opcode << 24;
    if (in->a > 15 || in->b > 15 || in->c > 15) return false;
    if (used & F_A) w |= (uint32_t)in->a << 20;
    if (used & F_B) w |= (uint32_t)in->b << 16;
    if (used & F_C) w |= (uint32_t)in->c << 12;
    if (used & (F_I16 | F_I20)) {
        int32_t lo, hi;
        isa_imm_range(f, &lo, &hi);
        if (in->imm < lo || in->imm > hi) return false;
        w |= (uint32_t)in->imm & ((used & F_I20) ? 0xfffffu : 0xffffu);
    }
    *out = w;
    return true;
}

/* ---- disassembler ----------------------------------------------------- */
static int fmt_target(char *buf, size_t len, uint32_t target, isa_symbolizer sym, void *ctx)
{
    const char *s = sym ? sym(ctx, target) : NULL;
    if (s) return snprintf(buf, len, "%s", s);
    return snprintf(buf, len, "0x%x", target);
}

int isa_disasm(uint32_t w, uint32_t pc, char *buf, size_t len, isa_symbolizer sym, void *ctx)
{
    struct isa_insn d;
    if (!isa_decode(w, &d)) return snprintf(buf, len, ".word 0x%08x", w);
    const char *mn = isa_info[d.op].mnemonic;
    const char *A = isa_reg_name(d.a), *B = isa_reg_name(d.b), *C = isa_reg_name(d.c);
    int n;
    switch (isa_info[d.op].format) {
    case FMT_R: return snprintf(buf, len, "%s %s, %s, %s", mn, A, B, C);
    case FMT_I: case FMT_SH: case FMT_JR:
        return snprintf(buf, len, "%s %s, %s, %d", mn, A, B, d.imm);
    case FMT_IU: return snprintf(buf, len, "%s %s, %s, 0x%x", mn, A, B, (unsigned)d.imm);
    case FMT_LUI: return snprintf(buf, len, "%s %s, 0x%x", mn, A, (unsigned)d.imm);
    case FMT_LD: case FMT_ST: return snprintf(buf, len, "%s %s, %d(%s)", mn, A, d.imm, B);
    case FMT_B:
        n = snprintf(buf, len, "%s %s, %s, ", mn, A, B);
        if (n < 0 || (size_t)n >= len) return n;
        return n + fmt_target(buf + n, len - (size_t)n, pc + (uint32_t)d.imm * 4u, sym, ctx);
    case FMT_J:
        n = snprintf(buf, len, "%s %s, ", mn, A);
        if (n < 0 || (size_t)n >= len) return n;
        return n + fmt_target(buf + n, len - (size_t)n, pc + (uint32_t)d.imm * 4u, sym, ctx);
    case FMT_N: return snprintf(buf, len, "%s", mn);
    case FMT_RD: case FMT_RS: return snprintf(buf, len, "%s %s", mn, A);
    case FMT_CRW: return snprintf(buf, len, "%s %s, %s", mn, isa_creg_name[d.imm], A);
    case FMT_CRR: return snprintf(buf, len, "%s %s, %s", mn, A, isa_creg_name[d.imm]);
    case FMT_IN: {
        const char *p = isa_port_name((unsigned)d.imm);
        return p ? snprintf(buf, len, "%s %s, %s", mn, A, p)
                 : snprintf(buf, len, "%s %s, 0x%x", mn, A, (unsigned)d.imm);
    }
    case FMT_OUT: {
        const char *p = isa_port_name((unsigned)d.imm);
        return p ? snprintf(buf, len, "%s %s, %s", mn, p, A)
                 : snprintf(buf, len, "%s 0x%x, %s", mn, (unsigned)d.imm, A);
    }
    case FMT_COUNT: break;
    }
    return snprintf(buf, len, ".word 0x%08x", w);
}
