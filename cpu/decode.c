/*
 * decode.c — fills the decoded-instruction cache, one physical page at a time.
 *
 * See decode.h for the block idea.  Decoding walks the page backwards so that
 * each instruction's block totals are its own cost plus the totals of the
 * instruction after it (unless it ends its block).
 */
#include "cpu/decode.h"
#include "cpu/jit.h"

#include <stdlib.h>
#include <string.h>

/* Formats whose field a is a destination register. */
static bool writes_a(enum isa_fmt f)
{
    switch (f) {
    case FMT_R: case FMT_I: case FMT_IU: case FMT_SH: case FMT_LUI: case FMT_LD:
    case FMT_J: case FMT_JR: case FMT_RD: case FMT_CRR: case FMT_IN:
        return true;
    default:
        return false;
    }
}

/* Does this instruction end (and, for system ones, also start) a block? */
static bool is_block_end(int op)
{
    if (op >= OP_COUNT) return true;
    switch (isa_info[op].cls) {
    case CL_BRANCH: case CL_JUMP: case CL_SYSTEM: case CL_PRIV: case CL_IO:
        return true;
    default:
        return op == OP_PUSHF || op == OP_POPF; /* red pills: observable state */
    }
}

static bool is_block_alone(int op)
{
    if (op >= OP_COUNT) return true;
    enum isa_class c = isa_info[op].cls;
    return c == CL_SYSTEM || c == CL_PRIV || c == CL_IO || op == OP_PUSHF || op == OP_POPF;
}

static void decode_word(const struct machine *m, uint32_t w, struct dinsn *d, struct dinsn_cold *k)
{
    struct isa_insn in;
    memset(d, 0, sizeof *d);
    memset(k, 0, sizeof *k);
    if (!isa_decode(w, &in)) {
        d->op = OPX_ILLEGAL;
        k->ends_block = 1;
        return;
    }
    d->op = (uint8_t)in.op;
    d->a = in.a;
    d->b = in.b;
    d->c = in.c;
    d->imm = in.imm;
    if (d->a == 0 && writes_a(isa_info[in.op].format)) d->a = ISA_NREGS; /* sink */
    k->self_insn = (uint16_t)m->prof.class_cycles[isa_info[in.op].cls];
    enum isa_class c = isa_info[in.op].cls;
    k->self_mem = (c == CL_LOAD || c == CL_STORE) ? 1 : 0;
    k->ends_block = is_block_end(in.op);
}

/* --engine jit: where p's blocks start, for the JIT's counting and
 * compiling (decode_block_starts): the page's first record, one after each
 * block's end, each in-page target of a branch.  (A pass of its own after
 * the decoding, whose loop the interpreter's runs would otherwise pay.) */
static void mark_block_starts(struct decode_page *p)
{
#define MARK_START(j) (p->block_start[(j) >> 5] |= 1u << ((j) & 31))
    memset(p->block_start, 0, sizeof p->block_start);
    MARK_START(0);
    for (unsigned i = 0; i < PAGE_INSNS; i++) {
        const struct dinsn *d = &p->insn[i];
        if (p->cold[i].ends_block) MARK_START(i + 1);
        if (dinsn_has_page_target(d->op) && (uint32_t)d->imm < DINSN_PAGE_BYTES)
            MARK_START(DINSN_TARGET_INDEX(d->imm));
    }
#undef MARK_START
}

static void decode_fill(struct machine *m, uint32_t ppn, struct decode_page *p, bool code_cache)
{
    const uint8_t *base = m->mem + ((size_t)ppn << 12);
    struct dinsn *end = &p->insn[PAGE_INSNS];
    memset(end, 0, sizeof *end);
    end->op = OPX_PAGE_END;
    memset(&p->cold[PAGE_INSNS], 0, sizeof p->cold[PAGE_INSNS]);
    p->cold[PAGE_INSNS].ends_block = 1;
    bool next_alone = false;    /* is_block_alone(the instruction after i) */
    const uint32_t mem_ref = m->prof.mem_ref, tlb_hit = m->prof.tlb_hit;
    for (int i = PAGE_INSNS - 1; i >= 0; i--) {
        uint32_t w;
        memcpy(&w, base + 4 * i, 4);
        struct dinsn *d = &p->insn[i];
        struct dinsn_cold *k = &p->cold[i];
        decode_word(m, w, d, k);
        if (dinsn_has_page_target(d->op)) d->imm = DINSN_TARGET(d->imm + i);
        /* a system instruction stands alone: the one before it ends there */
        if (next_alone) k->ends_block = 1;
        uint32_t mem_cyc = k->self_mem * mem_ref;
        next_alone = is_block_alone(d->op);
        if (next_alone) {
            /* charges itself when it completes: nothing for its block */
            k->ends_block = 1;
            continue;
        }
        d->blk_nm = DINSN_BLK_NM(1, k->self_mem);
        d->blk_total = k->self_insn + mem_cyc;
        if (!k->ends_block) {
            const struct dinsn *n = d + 1;
            d->blk_nm += n->blk_nm;
            d->blk_total += n->blk_total;
        }
        d->blk_total_pg = DINSN_BLK_PG(d->blk_total, DINSN_BLK_MEM(d), tlb_hit);
    }
    if (m->jit && !code_cache) mark_block_starts(p);
    if (code_cache) {
        /* nothing is translated until execution reaches it */
        for (int i = 0; i < PAGE_INSNS; i++) {
            p->guest_op[i] = p->insn[i].op;
            p->insn[i].op = OPX_TRANSLATE;
        }
        /* and no exit is chained: every block exit starts at the dispatcher */
        for (int i = 0; i <= PAGE_INSNS; i++)
            for (int e = 0; e < BT_EXITS; e++) p->link[i][e].ppn = BT_UNCHAINED;
    }
    p->code_cache = code_cache;
    jit_page_free(m, p);
    p->jit_mode = m->jit && !code_cache ? JIT_COUNTING : JIT_OFF;
    p->heat = 0;
    decode_set_handlers(p, 0, PAGE_INSNS + 1);
    p->valid = true;
    m->code_page[ppn] = 1;
    mmu_soft_code_page(m, ppn);   /* a store into it must reach the code check */
    m->st.decoded_pages++;
}

void decode_set_handlers(struct decode_page *p, unsigned from, unsigned to)
{
    if (!cpu_fast_handlers[0]) cpu_exec_fast_handlers();
    void *const *h = cpu_fast_handlers[(p->hmode & 1) | (p->code_cache ? 2 : 0)];
    const struct jit_page *j = p->jit;
    for (unsigned i = from; i < to; i++)
        p->insn[i].h = j && j->entry[i] ? h[OPX_JIT_CASE] : h[p->insn[i].op];
    if (p->jit_mode == JIT_COUNTING) {
        /* where blocks start: there the page's heat is counted */
        for (unsigned w = 0; w < sizeof p->block_start / sizeof p->block_start[0]; w++)
            for (uint32_t b = p->block_start[w]; b; b &= b - 1)
                p->insn[32 * w + (unsigned)__builtin_ctz(b)].h = h[OPX_JIT_COUNT_CASE];
    }
}

void decode_block_starts(const struct decode_page *p, bool start[PAGE_INSNS + 1])
{
    for (unsigned i = 0; i <= PAGE_INSNS; i++) start[i] = p->block_start[i >> 5] >> (i & 31) & 1;
}

void decode_page_handlers(struct decode_page *p, unsigned mode)
{
    p->hmode = (uint8_t)mode;
    decode_set_handlers(p, 0, PAGE_INSNS + 1);
}

bool dinsn_falls_through(const struct dinsn *d)
{
    if (d->op >= OP_COUNT || is_block_alone(d->op)) return false;
    enum isa_class c = isa_info[d->op].cls;
    return c != CL_BRANCH && c != CL_JUMP;
}

static struct decode_page *page_get(struct machine *m, struct decode_page **set, uint32_t ppn,
                                    bool code_cache)
{
    struct decode_page *p = set[ppn];
    if (!p) {
        p = malloc(sizeof *p);
        if (!p) return NULL;
        p->valid = false;
        p->jit = NULL;
        p->jit_mode = JIT_OFF;
        p->jit_churn = 0;
        p->hmode = 1;   /* most code runs with paging on */
        set[ppn] = p;
    }
    if (!p->valid) decode_fill(m, ppn, p, code_cache);
    else if (code_cache) m->bt.cache_hits++;
    return p;
}

struct decode_page *decode_page_get(struct machine *m, uint32_t ppn)
{
    return page_get(m, m->dpages, ppn, false);
}

struct decode_page *bt_page_get(struct machine *m, uint32_t ppn)
{
    return page_get(m, m->bt_pages, ppn, true);
}

// LAB(bt) BEGIN: which instructions become callouts, and translating one block lazily
/* Binary translation: which instructions the translator must not copy.
 * Privileged and red-pill instructions alike touch the (virtual) machine
 * state, so they become calls into the hypervisor; vmcall too. */
static bool needs_callout(int op)
{
    return op < OP_COUNT && (isa_info[op].sensitive || isa_info[op].privileged || op == OP_VMCALL);
}

void bt_translate_block(struct machine *m, struct decode_page *p, unsigned i)
{
    unsigned n = 0;
    for (unsigned j = i; j < PAGE_INSNS; j++) {
        struct dinsn *d = &p->insn[j];
        if (d->op == OPX_TRANSLATE) {
            d->op = needs_callout(p->guest_op[j]) ? OPX_CALLOUT : p->guest_op[j];
            n++;
        }
        if (p->cold[j].ends_block) break;
    }
//| void bt_translate_block(struct machine *m, struct decode_page *p, unsigned i)
//| {
//|     unsigned n = 0;             /* copies the instruction at i, callouts nowhere */
//|     if (p->insn[i].op == OPX_TRANSLATE) { p->insn[i].op = p->guest_op[i]; n++; }
    // LAB(bt) END
    m->bt.blocks++;
    m->bt.instructions += n;
    cpu_charge(m, CY_BT, (uint64_t)n * m->prof.bt_translate);
    cpu_trace(m, TR_BT, 0, m->cpu.pc, n, NULL);
}

bool cpu_bt_insn_at(const struct machine *m, uint32_t hpa, struct cpu_bt_insn *out)
{
    const struct decode_page *p = hpa < m->memsize ? m->bt_pages[hpa >> 12] : NULL;
    if (!p || !p->valid) return false;
    unsigned i = (hpa & 0xfff) / 4;
    uint8_t op = p->insn[i].op;
    out->fate = op == OPX_TRANSLATE ? CPU_BT_UNTRANSLATED : op == OPX_CALLOUT ? CPU_BT_CALLOUT : CPU_BT_IDENTICAL;
    out->guest_op = p->guest_op[i];
    out->ends_block = p->cold[i].ends_block;
    return true;
}

void decode_invalidate_page(struct machine *m, uint32_t ppn)
{
    if (m->dpages[ppn]) m->dpages[ppn]->valid = false;
    // LAB(bt) BEGIN: the guest wrote a page we translated from: drop its translation
    if (m->bt_pages[ppn] && m->bt_pages[ppn]->valid) {
        /* the guest wrote a page we translated from: drop its translation */
        m->bt_pages[ppn]->valid = false;
        m->bt.invalidations++;
    }
    // LAB(bt) END
    if (m->bt_pages[ppn]) bt_unchain(m, ppn);
    m->code_page[ppn] = 0;
    m->code_writes++;
}

/*
 * Chaining.  A translated block ends at a branch or a jump; without more,
 * every end leaves the code cache for the dispatcher, which looks the
 * target up (translating it if it must) and jumps there: bt_dispatch
 * cycles each time (exec.inc, bt_exit).  A block whose exit has a target
 * known from the code — a branch, jal, the fall-through — is patched the
 * first time the dispatcher finds that target's translation: from then on
 * it jumps straight there, as VMware's translator and QEMU's TCG do.  Two
 * things can make a link lie: the code it leads to is rewritten (its
 * translation dropped, decode_invalidate_page), or the guest maps the
 * target's address elsewhere.  The first undoes the links (bt_unchain);
 * the second is checked where a link leaves its page (bt_link_holds, with
 * the target's physical address from the TLB).  An indirect jump's target
 * is in a register, a new one each time: it always goes to the dispatcher.
 */
void bt_chain(struct machine *m, struct decode_page *from, unsigned i, unsigned e, uint32_t va, uint32_t pa)
{
    struct decode_page *to = pa < m->memsize ? m->bt_pages[pa >> 12] : NULL;
    if (!to || !to->valid) return;      /* nothing translated to jump to yet */
    from->link[i][e] = (struct bt_link){.va = va, .ppn = pa >> 12};
}

// LAB(bt) BEGIN: chaining: which exits may be patched, and whether a link still holds
bool bt_may_chain(enum bt_exit_kind kind)
{
    return kind == BT_EXIT_DIRECT;      /* jalr's target changes: never patched */
}

bool bt_link_holds(const struct bt_link *l, uint32_t pa)
{
    /* the target's address still leads to the page the link was made for */
    return pa != BT_NO_PA && pa >> 12 == l->ppn;
}
//| bool bt_may_chain(enum bt_exit_kind kind)
//| {
//|     (void)kind;
//|     return false;               /* every exit through the dispatcher */
//| }
//|
//| bool bt_link_holds(const struct bt_link *l, uint32_t pa)
//| {
//|     (void)l, (void)pa;
//|     return false;
//| }
// LAB(bt) END

void bt_unchain(struct machine *m, uint32_t ppn)
{
    // LAB(bt) BEGIN: unchaining: undoing every link into a page whose translation went
    /* every link into the page, from any translated page (itself too) */
    for (uint32_t q = 0; q < m->memsize >> 12; q++) {
        struct decode_page *p = m->bt_pages[q];
        if (!p || (!p->valid && q != ppn)) continue;
        for (unsigned i = 0; i <= PAGE_INSNS; i++)
            for (unsigned e = 0; e < BT_EXITS; e++) {
                struct bt_link *l = &p->link[i][e];
                if (l->ppn == ppn) {
                    l->ppn = BT_UNCHAINED;
                    m->bt.unchains++;
                } else if (q == ppn) {
                    l->ppn = BT_UNCHAINED;  /* its own exits: their blocks are gone */
                }
            }
    }
    //| (void)m, (void)ppn;         /* no link is ever undone */
    // LAB(bt) END
}
