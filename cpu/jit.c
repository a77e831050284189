/*
 * jit.c — the per-block template JIT for x86-64 hosts (--engine jit).
 *
 * The interpreter's cost per instruction is mostly its own: load the
 * record, decode the operands' register numbers, jump to the case.  Here
 * the decoded page's runs are compiled once into host code that does only
 * the guest's work.  The design keeps every simulated figure the
 * interpreter's (see jit.h): the code runs inside a block the interpreter
 * has already charged, and hands back every decision that has a cost or a
 * side effect — a load or store that misses the data shortcut, a division
 * (which may trap), a system instruction, a jump.  So the statistics are
 * identical by construction, and the differential tests run every guest
 * under both engines to hold it to that.
 *
 * A run starts at a record where the fast loop dispatches (a block's first
 * record: the page's first, one after a block's end, an in-page branch's
 * target) and takes the instructions that follow while it has a template
 * for them, up to the next such record, where it jumps into that record's
 * run: every instruction is compiled once.  An in-page conditional branch
 * ends a block: the code enters the block it goes to as the loop would
 * (events first, then the block's totals charged) and jumps to its run, so
 * a loop inside a page runs without the interpreter until an event is due.
 *
 * Register use (System V): rdi = R, esi = the shortcut's read tag, edx its
 * write tag, r11 its addend (from rcx), r8 = the loop's counters (struct
 * jit_state), r9 = where a record's block total is; rax, rcx, r10 scratch.
 * The code touches no stack and calls nothing.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "cpu/decode.h"
#include "cpu/jit.h"

/* The code of one machine's pages, at most (a guest that makes every page
 * a maze of branch targets is interpreted past it). */
#define JIT_BUDGET (16u << 20)
/* One page's code, at most (each instruction is compiled once: a page
 * needs well under this). */
#define JIT_PAGE_MAX (256u << 10)

#if defined(__x86_64__)
bool cpu_jit_available(void) { return true; }

/* ---- the emitter --------------------------------------------------- */
struct emit {
    uint8_t *buf;
    size_t len, cap;
    bool full;                      /* past JIT_PAGE_MAX or out of memory */
};

/* Room for n more bytes (false: the emitter is full).  Every record's
 * templates together take less than RECORD_ROOM, and a bail BAIL_ROOM: the
 * writes below check nothing. */
#define RECORD_ROOM 192
#define BAIL_ROOM 16
static bool reserve(struct emit *e, size_t n)
{
    if (e->full) return false;
    if (e->len + n > e->cap) {
        size_t cap = e->cap ? e->cap * 2 : 16384;
        while (cap < e->len + n) cap *= 2;
        uint8_t *nb = cap <= JIT_PAGE_MAX ? realloc(e->buf, cap) : NULL;
        if (!nb) {
            e->full = true;
            return false;
        }
        e->buf = nb;
        e->cap = cap;
    }
    return true;
}
#define PUT(e, ...) do {                                                   \
        const uint8_t b_[] = {__VA_ARGS__};                                \
        memcpy((e)->buf + (e)->len, b_, sizeof b_);                        \
        (e)->len += sizeof b_;                                             \
    } while (0)
static void put32(struct emit *e, uint32_t v)
{
    memcpy(e->buf + e->len, &v, 4);   /* x86-64 is little-endian */
    e->len += 4;
}
static void put64(struct emit *e, uint64_t v)
{
    memcpy(e->buf + e->len, &v, 8);
    e->len += 8;
}

/* [rdi + 4r]: R[r] (r <= 16, a disp8) */
#define RD(r) (uint8_t)(4 * (r))
/* eax = R[r] */
static void load_eax(struct emit *e, unsigned r) { PUT(e, 0x8b, 0x47, RD(r)); }
/* R[r] = eax */
static void store_eax(struct emit *e, unsigned r) { PUT(e, 0x89, 0x47, RD(r)); }
/* return record p (JIT_ENTER in its low bit if so) */
static void ret_record(struct emit *e, uintptr_t p)
{
    PUT(e, 0x48, 0xb8);             /* mov rax, imm64 */
    put64(e, p);
    PUT(e, 0xc3);                   /* ret */
}

/* The op-specific part of each template (has_template says which ops
 * have one).  A load or store that misses the shortcut leaves through a
 * bail, laid out after the run. */
struct bail;
static void emit_insn(struct emit *e, const struct dinsn *d, struct bail *bails, unsigned *nb);

/* The jcc (second byte of 0f 8x) taken when an ISA branch is. */
static int branch_cc(int op)
{
    switch (op) {
    case OP_BEQ: return 0x84;       /* je */
    case OP_BNE: return 0x85;       /* jne */
    case OP_BLT: return 0x8c;       /* jl */
    case OP_BGE: return 0x8d;       /* jge */
    case OP_BLTU: return 0x82;      /* jb */
    case OP_BGEU: return 0x83;      /* jae */
    default: return -1;
    }
}

/* A jump inside the page's code whose target is not laid out yet: the
 * rel32 at `at` goes to the body of record rec's run (past its prologue). */
struct fixup {
    uint32_t at;
    uint16_t rec;
};
/* A load or store's exit to the interpreter, laid out after its run's
 * body: the rel32 of its jne, the record it returns. */
struct bail {
    size_t at;
    uintptr_t rec;
};
#define PROLOGUE 3                  /* mov r11, rcx */
/* where the templates find a record's and the state's fields */
_Static_assert(offsetof(struct dinsn, blk_nm) == 8, "enter_block reads a record's blk_nm at 8");
_Static_assert(offsetof(struct jit_state, left) == 0 && offsetof(struct jit_state, cnt) == 8,
               "enter_block reads left at [r8] and cnt at [r8 + 8]");

/* Is op a load or a store (not pushf or popf, which are system
 * instructions that touch memory)?  From the instruction table. */
static bool is_access(int op)
{
    return op < OP_COUNT && (isa_info[op].format == FMT_LD || isa_info[op].format == FMT_ST);
}

/* Does record d have a template (a run can start at it)?  By the
 * instruction table's classes: every ALU and multiply instruction, every
 * load and store, a conditional branch to its own page. */
static bool has_template(const struct dinsn *d)
{
    if (branch_cc(d->op) >= 0) return (uint32_t)d->imm < DINSN_PAGE_BYTES;
    if (d->op >= OP_COUNT) return false;
    enum isa_class c = isa_info[d->op].cls;
    return c == CL_ALU || c == CL_MUL || is_access(d->op);
}

static void emit_insn(struct emit *e, const struct dinsn *d, struct bail *bails, unsigned *nb)
{
    unsigned a = d->a, b = d->b, c = d->c;
    uint32_t imm = (uint32_t)d->imm;
    switch (d->op) {
    /* R[a] = R[b] op R[c] */
#define RR(opc) do { load_eax(e, b); PUT(e, (opc), 0x47, RD(c)); store_eax(e, a); } while (0)
    case OP_ADD: RR(0x03); return;
    case OP_SUB: RR(0x2b); return;
    case OP_AND: RR(0x23); return;
    case OP_OR:  RR(0x0b); return;
    case OP_XOR: RR(0x33); return;
#undef RR
    case OP_MUL: load_eax(e, b); PUT(e, 0x0f, 0xaf, 0x47, RD(c)); store_eax(e, a); return;
    /* x86 masks a 32-bit shift's count to 5 bits, as the ISA does */
#define SHIFT_CL(modrm) do {                                               \
        PUT(e, 0x8b, 0x4f, RD(c));            /* mov ecx, R[c] */          \
        load_eax(e, b); PUT(e, 0xd3, (modrm)); store_eax(e, a);            \
    } while (0)
    case OP_SLL: SHIFT_CL(0xe0); return;
    case OP_SRL: SHIFT_CL(0xe8); return;
    case OP_SRA: SHIFT_CL(0xf8); return;
#undef SHIFT_CL
    /* cmp eax, R[c]; setcc al; movzx eax, al */
#define SET_RR(cc) do {                                                    \
        load_eax(e, b); PUT(e, 0x3b, 0x47, RD(c));                         \
        PUT(e, 0x0f, (cc), 0xc0, 0x0f, 0xb6, 0xc0); store_eax(e, a);       \
    } while (0)
    case OP_SLT:  SET_RR(0x9c); return;       /* setl */
    case OP_SLTU: SET_RR(0x92); return;       /* setb */
#undef SET_RR
    case OP_MULH:                   /* movsxd rax, R[b]; movsxd r10, R[c] */
        PUT(e, 0x48, 0x63, 0x47, RD(b), 0x4c, 0x63, 0x57, RD(c));
        goto high_half;
    case OP_MULHU:                  /* mov eax, R[b]; mov r10d, R[c] */
        load_eax(e, b);
        PUT(e, 0x44, 0x8b, 0x57, RD(c));
    high_half:                      /* imul rax, r10; shr rax, 32 */
        PUT(e, 0x49, 0x0f, 0xaf, 0xc2, 0x48, 0xc1, 0xe8, 0x20);
        store_eax(e, a);
        return;
    /* R[a] = R[b] op imm */
#define RI(opc) do { load_eax(e, b); PUT(e, (opc)); put32(e, imm); store_eax(e, a); } while (0)
    case OP_ADDI: RI(0x05); return;
    case OP_ANDI: RI(0x25); return;
    case OP_ORI:  RI(0x0d); return;
    case OP_XORI: RI(0x35); return;
#undef RI
#define SHIFT_I(modrm) do { load_eax(e, b); PUT(e, 0xc1, (modrm), (uint8_t)(imm & 31)); store_eax(e, a); } while (0)
    case OP_SLLI: SHIFT_I(0xe0); return;
    case OP_SRLI: SHIFT_I(0xe8); return;
    case OP_SRAI: SHIFT_I(0xf8); return;
#undef SHIFT_I
    /* signed or unsigned against the immediate, sign-extended as decoded */
#define SET_RI(cc) do {                                                    \
        load_eax(e, b); PUT(e, 0x3d); put32(e, imm);                       \
        PUT(e, 0x0f, (cc), 0xc0, 0x0f, 0xb6, 0xc0); store_eax(e, a);       \
    } while (0)
    case OP_SLTI:  SET_RI(0x9c); return;
    case OP_SLTIU: SET_RI(0x92); return;
#undef SET_RI
    case OP_LUI:                    /* mov dword R[a], imm << 16 */
        PUT(e, 0xc7, 0x47, RD(a));
        put32(e, imm << 16);
        return;
    case OP_LW: case OP_LH: case OP_LHU: case OP_LB: case OP_LBU: case OP_SW: case OP_SH: case OP_SB: {
        /* a load or a store: eax = R[b] + imm, then the shortcut's check,
         * (eax & (~0xfff | size - 1)) == tag, the alignment folded in */
        bool store = isa_info[d->op].cls == CL_STORE;
        unsigned size = d->op == OP_LW || d->op == OP_SW ? 4 : d->op == OP_LB || d->op == OP_LBU || d->op == OP_SB ? 1 : 2;
        load_eax(e, b);
        if (imm) { PUT(e, 0x05); put32(e, imm); }
        PUT(e, 0x41, 0x89, 0xc2, 0x41, 0x81, 0xe2);          /* mov r10d, eax; and r10d, mask */
        put32(e, ~0xfffu | (size - 1));
        PUT(e, 0x41, 0x39, store ? 0xd2 : 0xf2);             /* cmp r10d, edx / esi */
        PUT(e, 0x0f, 0x85);                                  /* jne its bail */
        bails[*nb].at = e->len;
        bails[*nb].rec = (uintptr_t)d;
        (*nb)++;
        put32(e, 0);
        /* the host address is r11 + rax (eax zero-extended) */
        switch (d->op) {
        case OP_LW:  PUT(e, 0x41, 0x8b, 0x04, 0x03); break;          /* mov eax, [r11+rax] */
        case OP_LH:  PUT(e, 0x41, 0x0f, 0xbf, 0x04, 0x03); break;    /* movsx eax, word */
        case OP_LHU: PUT(e, 0x41, 0x0f, 0xb7, 0x04, 0x03); break;    /* movzx eax, word */
        case OP_LB:  PUT(e, 0x41, 0x0f, 0xbe, 0x04, 0x03); break;    /* movsx eax, byte */
        case OP_LBU: PUT(e, 0x41, 0x0f, 0xb6, 0x04, 0x03); break;    /* movzx eax, byte */
        default:
            PUT(e, 0x8b, 0x4f, RD(a));                               /* mov ecx, R[a] */
            if (d->op == OP_SW) PUT(e, 0x41, 0x89, 0x0c, 0x03);      /* mov [r11+rax], ecx */
            else if (d->op == OP_SH) PUT(e, 0x66, 0x41, 0x89, 0x0c, 0x03);
            else PUT(e, 0x41, 0x88, 0x0c, 0x03);                     /* cl */
            return;
        }
        store_eax(e, a);
        return;
    }
    default:
        /* an instruction the table's classes give a template that has
         * none here: the page stays interpreted rather than wrong */
        e->full = true;
        return;
    }
}

/* Entering compiled code from the loop costs about what interpreting a
 * few instructions does (the counters handed over and back, a call): the
 * loop enters a run only if the code goes on for at least ENTRY_WORTH
 * instructions from it, or reaches a branch (which it follows in the
 * page without the loop).  Runs that are not entered are still reached
 * from the run before them. */
#define ENTRY_WORTH 8
static bool worth_entering(const struct decode_page *p, unsigned k)
{
    for (unsigned n = 0; k < PAGE_INSNS && has_template(&p->insn[k]); k++, n++) {
        if (branch_cc(p->insn[k].op) >= 0 || n + 1 >= ENTRY_WORTH) return true;
        if (p->cold[k].ends_block) return false;
    }
    return false;
}

/* The page being compiled. */
struct page_build {
    struct emit e;
    struct decode_page *p;
    bool leader[PAGE_INSNS + 1];    /* the fast loop dispatches there */
    bool run[PAGE_INSNS + 1];       /* a run starts there */
    uint32_t at[PAGE_INSNS + 1];    /* where it starts in the code */
    struct fixup *fix;
    unsigned nfix, capfix;
};

/* jmp (rel32) to record k's run, patched once every run is laid out. */
static void jump_to_run(struct page_build *b, unsigned k)
{
    if (b->nfix == b->capfix) {
        unsigned cap = b->capfix ? 2 * b->capfix : 256;
        struct fixup *f = realloc(b->fix, cap * sizeof *f);
        if (!f) { b->e.full = true; return; }
        b->fix = f;
        b->capfix = cap;
    }
    PUT(&b->e, 0xe9);
    b->fix[b->nfix].at = (uint32_t)b->e.len;
    b->fix[b->nfix].rec = (uint16_t)k;
    b->nfix++;
    put32(&b->e, 0);
}

/* A block's entry, as the fast loop's ENTER makes it: with cycles left,
 * the block's totals charged and on to its run; else back to the loop,
 * which looks at the event first.  A record without a run goes back to
 * the loop uncharged. */
static void enter_block(struct page_build *b, unsigned k)
{
    struct emit *e = &b->e;
    const struct dinsn *t = &b->p->insn[k];
    if (!b->run[k]) {
        ret_record(e, (uintptr_t)t | JIT_ENTER);
        return;
    }
    PUT(e, 0x49, 0x83, 0x38, 0x00);            /* cmp qword [r8], 0 (left) */
    PUT(e, 0x7e, 30);                          /* jle over the charge (30 bytes) */
    PUT(e, 0x48, 0xb9);                        /* mov rcx, t */
    put64(e, (uintptr_t)t);
    PUT(e, 0x42, 0x8b, 0x04, 0x09);            /* mov eax, [rcx + r9]: its total */
    PUT(e, 0x49, 0x29, 0x00);                  /* sub [r8], rax */
    PUT(e, 0x48, 0x8b, 0x41, 0x08);            /* mov rax, [rcx + 8]: its blk_nm */
    PUT(e, 0x49, 0x01, 0x40, 0x08);            /* add [r8 + 8], rax (cnt) */
    jump_to_run(b, k);
    ret_record(e, (uintptr_t)t | JIT_ENTER);
}

/* Compiles the run that starts at record i: to the block's end, or to the
 * next leader (a jump to its run), or to an instruction without a
 * template (back to the loop for its case). */
static void emit_run(struct page_build *b, unsigned i)
{
    struct emit *e = &b->e;
    struct decode_page *p = b->p;
    struct bail bails[PAGE_INSNS];
    unsigned nb = 0;
    if (!reserve(e, RECORD_ROOM)) return;
    b->at[i] = (uint32_t)e->len;
    PUT(e, 0x49, 0x89, 0xcb);                  /* mov r11, rcx */
    for (unsigned k = i;; k++) {
        const struct dinsn *d = &p->insn[k];
        if (!reserve(e, RECORD_ROOM)) return;
        if (k > i && b->leader[k]) {
            /* into the next leader's run, which the loop may enter apart */
            if (b->run[k]) jump_to_run(b, k);
            else ret_record(e, (uintptr_t)d);
            break;
        }
        if (!has_template(d)) {
            ret_record(e, (uintptr_t)d);
            break;
        }
        int cc = branch_cc(d->op);
        if (cc >= 0) {
            /* ends the block: enter the taken target or the next record */
            load_eax(e, d->a);
            PUT(e, 0x3b, 0x47, RD(d->b));      /* cmp eax, R[b] */
            PUT(e, 0x0f, (uint8_t)cc);         /* jcc taken */
            size_t jcc = e->len;
            put32(e, 0);
            enter_block(b, k + 1);
            uint32_t rel = (uint32_t)(e->len - (jcc + 4));
            memcpy(e->buf + jcc, &rel, 4);
            enter_block(b, (unsigned)DINSN_TARGET_INDEX(d->imm));
            break;
        }
        emit_insn(e, d, bails, &nb);
        if (p->cold[k].ends_block) {
            /* the page's end, or a system instruction next: its case */
            ret_record(e, (uintptr_t)(d + 1));
            break;
        }
    }
    for (unsigned k = 0; k < nb; k++) {
        if (!reserve(e, BAIL_ROOM)) return;
        uint32_t rel = (uint32_t)(e->len - (bails[k].at + 4));
        memcpy(e->buf + bails[k].at, &rel, 4);
        ret_record(e, bails[k].rec);
    }
}

void jit_page_build(struct machine *m, struct decode_page *p)
{
    jit_page_free(m, p);
    p->jit_calls = p->jit_work = 0;
    if (m->jit_bytes >= JIT_BUDGET) return;
    struct page_build *b = calloc(1, sizeof *b);
    struct jit_page *j = calloc(1, sizeof *j);
    if (!b || !j) goto fail;
    b->p = p;
    /* where the fast loop dispatches: where blocks start, and one after a
     * load or store (the loop, having done one that missed the shortcut,
     * comes back to the code there) */
    decode_block_starts(p, b->leader);
    for (unsigned k = 0; k < PAGE_INSNS; k++)
        if (is_access(p->insn[k].op)) b->leader[k + 1] = true;
    for (unsigned k = 0; k < PAGE_INSNS; k++) b->run[k] = b->leader[k] && has_template(&p->insn[k]);
    for (unsigned k = 0; k < PAGE_INSNS && !b->e.full; k++)
        if (b->run[k]) emit_run(b, k);
    if (b->e.full || b->e.len == 0 || m->jit_bytes + b->e.len > JIT_BUDGET) goto fail;
    for (unsigned f = 0; f < b->nfix; f++) {
        uint32_t rel = b->at[b->fix[f].rec] + PROLOGUE - (b->fix[f].at + 4);
        memcpy(b->e.buf + b->fix[f].at, &rel, 4);
    }
    size_t size = (b->e.len + 4095) & ~(size_t)4095;
    void *code = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (code == MAP_FAILED) goto fail;
    memcpy(code, b->e.buf, b->e.len);
    if (mprotect(code, size, PROT_READ | PROT_EXEC) != 0) {
        munmap(code, size);
        goto fail;
    }
    for (unsigned k = 0; k < PAGE_INSNS; k++)
        if (b->run[k] && worth_entering(p, k)) j->entry[k] = b->at[k] + 1;
    j->code = code;
    j->size = (uint32_t)size;
    m->jit_bytes += size;
    p->jit = j;
    j = NULL;
fail:
    if (b) {
        free(b->e.buf);
        free(b->fix);
    }
    free(b);
    free(j);
}

void jit_page_free(struct machine *m, struct decode_page *p)
{
    struct jit_page *j = p->jit;
    if (!j) return;
    munmap(j->code, j->size);
    m->jit_bytes -= j->size;
    free(j);
    p->jit = NULL;
}
#else
bool cpu_jit_available(void) { return false; }
void jit_page_build(struct machine *m, struct decode_page *p) { (void)m; (void)p; }
void jit_page_free(struct machine *m, struct decode_page *p) { (void)m; (void)p; }
#endif

static void jit_review(struct machine *m, struct decode_page *p)
{
    bool pays = p->jit_work >= (uint64_t)JIT_MIN_WORK * p->jit_calls;
    p->jit_calls = p->jit_work = 0;
    if (pays) return;
    /* interpreted again, and not counted again (a count at every block
     * start costs a kernel's short blocks more than the JIT saved), for
     * as long as the page stays decoded */
    jit_page_free(m, p);
    p->jit_mode = JIT_OFF;
    p->heat = 0;
    decode_set_handlers(p, 0, PAGE_INSNS + 1);
}

__attribute__((noinline)) void jit_ran(struct machine *m, struct decode_page *p, const struct dinsn *d, uintptr_t r,
                                       uint32_t entered)
{
    /* the rest of its block, the blocks it entered, less what it handed
     * back of the block it was in (the records from there to that block's
     * end: a block the code returns to enter is not charged yet) */
    const struct dinsn *dx = (const struct dinsn *)(r & ~(uintptr_t)JIT_ENTER);
    uint32_t ran = DINSN_BLK_N(d) + entered - (r & JIT_ENTER ? 0 : DINSN_BLK_N(dx));
    p->jit_work += ran;
    if (++p->jit_calls == JIT_REVIEW) jit_review(m, p);
}
