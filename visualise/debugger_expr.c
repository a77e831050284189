/*
 * debugger_expr.c — the little expression language of the debugger.
 *
 * Used for addresses (`break kernel_trap+8`, `x/4i pc`) and conditions
 * (`break kernel_trap if cause == PAGE_FAULT`).  Values are 32-bit and
 * unsigned, as the machine's registers are.  A name is, in this order:
 *
 *   a register        r0 … r15, sp, lr, zero, pc
 *   a control register sr, vbr, epc, esr, cause, badaddr, ksp, usp, scratch,
 *                     ptb, asid, mmu, levels, fault, memsize, cycle (the
 *                     guest's own: its virtual CPU's under te and bt)
 *   a machine fact    ring, ie, insns, cycles, step, vm, reason, qual
 *   a trap cause      page_fault, syscall, … (any case: PAGE_FAULT)
 *   an exit reason    io, hlt, vmcall, nested_violation, …
 *   a symbol          of the image being debugged
 *
 * Operators, loosest first: || && | ^ & == != < <= > >= << >> + - * / %,
 * and the unary - ! ~ and * (the 32-bit word at a virtual address).
 * Numbers: 42, 0x2a, 0b101010.  A recursive-descent parser that evaluates
 * as it parses: one function per precedence level.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "visualise/debugger.h"

/* Parentheses and unary operators nest by recursion; past this many levels
 * an expression is refused rather than allowed to exhaust the C stack. */
#define MAX_DEPTH 256

struct parser {
    struct vis_dbg *d;
    const char *p;
    char *err;
    size_t errlen;
    bool failed;
    int depth;          /* unary() calls under way */
};

static bool fail(struct parser *ps, const char *fmt, const char *what)
{
    if (!ps->failed) snprintf(ps->err, ps->errlen, fmt, what);
    ps->failed = true;
    return false;
}

static void skip_space(struct parser *ps)
{
    while (*ps->p == ' ' || *ps->p == '\t') ps->p++;
}

/* Consumes op if it is next (and not the start of a longer operator). */
static bool accept(struct parser *ps, const char *op)
{
    skip_space(ps);
    size_t n = strlen(op);
    if (strncmp(ps->p, op, n) != 0) return false;
    char next = ps->p[n];
    if (n == 1 && (op[0] == '<' || op[0] == '>') && (next == op[0] || next == '=')) return false;
    if (n == 1 && (op[0] == '&' || op[0] == '|') && next == op[0]) return false;
    if (n == 1 && (op[0] == '!' || op[0] == '=') && next == '=') return false;
    ps->p += n;
    return true;
}

static bool ident_start(char c) { return isalpha((unsigned char)c) || c == '_' || c == '.' || c == '$'; }
static bool ident_char(char c) { return isalnum((unsigned char)c) || c == '_' || c == '.' || c == '$'; }

/* The value of a name (see the top of the file). */
static bool name_value(struct parser *ps, const char *name, uint32_t *v)
{
    struct vis_dbg *d = ps->d;
    struct machine *m = d->m;
    int r = isa_reg_parse(name);
    if (r >= 0) { *v = m->cpu.r[r]; return true; }
    if (!strcasecmp(name, "pc")) { *v = m->cpu.pc; return true; }
    int cr = isa_creg_parse(name);
    if (cr >= 0) {
        if (cr == CR_LEVELS) *v = m->levels;
        else if (cr == CR_MEMSIZE) *v = m->cpu.nonroot ? m->vmx.vmcs[m->vmx.cur].guest_memsize : m->memsize;
        else if (cr == CR_CYCLE) *v = (uint32_t)m->st.cycles;
        else *v = dbg_guest_cr(d)[cr];
        return true;
    }
    if (!strcasecmp(name, "ring")) { *v = dbg_ring(d); return true; }
    if (!strcasecmp(name, "ie")) { *v = m->cpu.cr[CR_SR] & SR_IE; return true; }
    if (!strcasecmp(name, "insns")) { *v = (uint32_t)m->st.instructions; return true; }
    if (!strcasecmp(name, "cycles")) { *v = (uint32_t)m->st.cycles; return true; }
    if (!strcasecmp(name, "step")) { *v = (uint32_t)d->pos; return true; }
    if (!strcasecmp(name, "vm") || !strcasecmp(name, "reason") || !strcasecmp(name, "qual")) {
        if (!d->hv || m->vmx.cur < 0)
            return fail(ps, "'%s' is about VM exits: it needs a hypervisor (--mode hw)", name);
        const struct vmcs *vc = &m->vmx.vmcs[m->vmx.cur];
        *v = !strcasecmp(name, "vm") ? (uint32_t)m->vmx.cur
           : !strcasecmp(name, "reason") ? (uint32_t)vc->exit_reason : vc->exit_qual;
        return true;
    }
    int c = isa_cause_parse(name);
    if (c >= 0) { *v = (uint32_t)c; return true; }
    for (int e = 0; e < EXIT_COUNT; e++)
        if (!strcasecmp(vmexit_reason_name[e], name)) { *v = (uint32_t)e; return true; }
    if (d->img && isa_image_symbol_addr(d->img, name, v)) return true;
    return fail(ps, "unknown name '%s': expected a register, a control register, a trap cause, "
                    "an exit reason or a symbol", name);
}

static bool expr(struct parser *ps, uint32_t *v);

static bool primary(struct parser *ps, uint32_t *v)
{
    skip_space(ps);
    const char *p = ps->p;
    if (*p == '(') {
        ps->p++;
        if (!expr(ps, v)) return false;
        if (!accept(ps, ")")) return fail(ps, "expected ')' at '%s'", ps->p);
        return true;
    }
    if (isdigit((unsigned char)*p)) {
        char *end;
        int base = 10;
        if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) base = 16, p += 2;
        else if (p[0] == '0' && (p[1] == 'b' || p[1] == 'B')) base = 2, p += 2;
        unsigned long long n = strtoull(p, &end, base);
        if (end == p || ident_char(*end)) return fail(ps, "bad number at '%s'", ps->p);
        if (n > 0xffffffffull) return fail(ps, "%s: more than 32 bits", ps->p);
        *v = (uint32_t)n;
        ps->p = end;
        return true;
    }
    if (ident_start(*p)) {
        char name[128];
        size_t n = 0;
        while (ident_char(p[n]) && n < sizeof name - 1) n++;
        memcpy(name, p, n);
        name[n] = 0;
        if (!strcmp(name, "if")) return fail(ps, "expected an expression before '%s'", "if");
        ps->p = p + n;
        return name_value(ps, name, v);
    }
    if (!*p) return fail(ps, "expected a number, a name or '(' %s", "at the end");
    return fail(ps, "expected a number, a name or '(' at '%s'", p);
}

static bool unary_nested(struct parser *ps, uint32_t *v);

/* Every way an expression nests — '(' in primary, and the unary operators —
 * passes through here, so one counter bounds the recursion. */
static bool unary(struct parser *ps, uint32_t *v)
{
    if (ps->depth >= MAX_DEPTH) {
        char what[64];
        snprintf(what, sizeof what, "more than %d levels of parentheses and unary operators", MAX_DEPTH);
        return fail(ps, "expression nested too deeply (%s)", what);
    }
    ps->depth++;
    bool ok = unary_nested(ps, v);
    ps->depth--;
    return ok;
}

static bool unary_nested(struct parser *ps, uint32_t *v)
{
    if (accept(ps, "-")) { if (!unary(ps, v)) return false; *v = -*v; return true; }
    if (accept(ps, "!")) { if (!unary(ps, v)) return false; *v = !*v; return true; }
    if (accept(ps, "~")) { if (!unary(ps, v)) return false; *v = ~*v; return true; }
    if (accept(ps, "*")) {
        uint32_t a;
        if (!unary(ps, &a)) return false;
        if (!dbg_read32(ps->d, 'v', a, v)) {
            char where[32];
            snprintf(where, sizeof where, "v:0x%08x", a);
            return fail(ps, "*%s: not mapped in the current address space", where);
        }
        return true;
    }
    return primary(ps, v);
}

/* One binary precedence level: operands from `next`, operators from ops. */
typedef bool (*level_fn)(struct parser *, uint32_t *);
static bool binary(struct parser *ps, uint32_t *v, level_fn next, const char *const *ops)
{
    if (!next(ps, v)) return false;
    for (;;) {
        int k = -1;
        for (int i = 0; ops[i]; i++)
            if (accept(ps, ops[i])) { k = i; break; }
        if (k < 0) return true;
        uint32_t r;
        if (!next(ps, &r)) return false;
        const char *op = ops[k];
        uint32_t l = *v;
        if (!strcmp(op, "||")) *v = l || r;
        else if (!strcmp(op, "&&")) *v = l && r;
        else if (!strcmp(op, "|")) *v = l | r;
        else if (!strcmp(op, "^")) *v = l ^ r;
        else if (!strcmp(op, "&")) *v = l & r;
        else if (!strcmp(op, "==")) *v = l == r;
        else if (!strcmp(op, "!=")) *v = l != r;
        else if (!strcmp(op, "<=")) *v = l <= r;
        else if (!strcmp(op, ">=")) *v = l >= r;
        else if (!strcmp(op, "<")) *v = l < r;
        else if (!strcmp(op, ">")) *v = l > r;
        else if (!strcmp(op, "<<")) *v = r > 31 ? 0 : l << r;
        else if (!strcmp(op, ">>")) *v = r > 31 ? 0 : l >> r;
        else if (!strcmp(op, "+")) *v = l + r;
        else if (!strcmp(op, "-")) *v = l - r;
        else if (!strcmp(op, "*")) *v = l * r;
        else if (!r) return fail(ps, "division by zero in '%s'", op);
        else if (!strcmp(op, "/")) *v = l / r;
        else *v = l % r;
    }
}

static const char *const ops_mul[] = {"*", "/", "%", NULL};
static const char *const ops_add[] = {"+", "-", NULL};
static const char *const ops_shift[] = {"<<", ">>", NULL};
static const char *const ops_rel[] = {"<=", ">=", "<", ">", NULL};
static const char *const ops_eq[] = {"==", "!=", NULL};
static const char *const ops_band[] = {"&", NULL};
static const char *const ops_bxor[] = {"^", NULL};
static const char *const ops_bor[] = {"|", NULL};
static const char *const ops_land[] = {"&&", NULL};
static const char *const ops_lor[] = {"||", NULL};

static bool mul(struct parser *ps, uint32_t *v) { return binary(ps, v, unary, ops_mul); }
static bool add(struct parser *ps, uint32_t *v) { return binary(ps, v, mul, ops_add); }
static bool shift(struct parser *ps, uint32_t *v) { return binary(ps, v, add, ops_shift); }
static bool rel(struct parser *ps, uint32_t *v) { return binary(ps, v, shift, ops_rel); }
static bool eq(struct parser *ps, uint32_t *v) { return binary(ps, v, rel, ops_eq); }
static bool band(struct parser *ps, uint32_t *v) { return binary(ps, v, eq, ops_band); }
static bool bxor(struct parser *ps, uint32_t *v) { return binary(ps, v, band, ops_bxor); }
static bool bor(struct parser *ps, uint32_t *v) { return binary(ps, v, bxor, ops_bor); }
static bool land(struct parser *ps, uint32_t *v) { return binary(ps, v, bor, ops_land); }
static bool expr(struct parser *ps, uint32_t *v) { return binary(ps, v, land, ops_lor); }

bool dbg_eval(struct vis_dbg *d, const char **p, uint32_t *value, char *err, size_t errlen)
{
    struct parser ps = {d, *p, err, errlen, false, 0};
    bool ok = expr(&ps, value);
    skip_space(&ps);
    *p = ps.p;
    return ok;
}

bool dbg_eval_all(struct vis_dbg *d, const char *text, uint32_t *value, char *err, size_t errlen)
{
    const char *p = text;
    if (!dbg_eval(d, &p, value, err, errlen)) return false;
    if (*p) {
        snprintf(err, errlen, "expected an operator or the end of the expression at '%s'", p);
        return false;
    }
    return true;
}
