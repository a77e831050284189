/*
 * exec.c — the interpreter: a computed-goto loop over decoded instructions.
 *
 * The loop itself is in exec.inc, instantiated four times (fast with paging
 * off, fast with paging on, stepping, counting) so that none pays for
 * another's bookkeeping.  machine_run picks one: full speed normally (the
 * copy for the paging state), stepping for the debugger and for the first
 * instruction of a trap handler when a cycle limit is set.
 */
#include <stddef.h>
#include <string.h>
#include <stdlib.h>

#include "cpu/decode.h"
#include "cpu/jit.h"

/* The loop's cases stay apart: GCC would merge the tails of cases that end
 * alike (the shifts by an immediate and by a register), a jump more on the
 * hot path of each. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-crossjumping")
#endif

/* What a failed translation becomes: a page fault (with CR fault set), a
 * bus error, or — for the host dimension of nested paging — a VM exit. */
static enum isa_cause fault_cause(struct machine *m, uint32_t fault)
{
    if (fault & FAULT_NESTED) return CAUSE_NESTED_EXIT;
    if (fault & FAULT_BUS) return CAUSE_BUS_ERROR;
    /* a page fault that leaves the guest for ring -1 (the exception bitmap)
     * does not touch the guest's `fault` register, as VT-x leaves CR2: the
     * bits go with the exit, and the hypervisor sets the register only if
     * it delivers the fault to the guest */
    struct vmcs *v = &m->vmx.vmcs[m->vmx.cur < 0 ? 0 : m->vmx.cur];
    if (m->cpu.nonroot && ((v->exception_bitmap >> CAUSE_PAGE_FAULT) & 1) && !m->vmx.injecting)
        v->exit_fault = fault;
    else
        m->cpu.cr[CR_FAULT] = fault;
    return CAUSE_PAGE_FAULT;
}

/* The TLB had no plain hit (mmu_translate_hit found seen): the walk.
 * Returns the host pointer, or NULL with the trap cause set (and CR fault). */
static inline __attribute__((always_inline)) uint8_t *data_miss(struct machine *m, uint32_t vaddr, unsigned size,
                                                                enum mmu_access acc, struct tlb_entry *seen,
                                                                enum isa_cause *cause)
{
    uint32_t pa, fault;
    if (!mmu_translate_miss(m, vaddr, acc, &pa, &fault, seen)) {
        *cause = fault_cause(m, fault);
        return NULL;
    }
    if (pa > m->memsize - size) {
        *cause = CAUSE_BUS_ERROR;
        return NULL;
    }
    return m->mem + pa;
}

/* data_miss, out of the loop (the loop's code stays small) */
__attribute__((noinline)) static uint8_t *data_slow(struct machine *m, uint32_t vaddr, unsigned size,
                                                    enum mmu_access acc, struct tlb_entry *seen,
                                                    enum isa_cause *cause)
{
    return data_miss(m, vaddr, size, acc, seen, cause);
}

/* data_miss for a miss no one watches (exec.inc, HOST_MISS): the host
 * pointer, and the cycles the walk charged (to CY_WALK), which the fast
 * loop's own count of cycles takes.  (A structure of two, returned in
 * registers: measured, the loop's hot counters stay in registers with this
 * call, not with the two reads of CY_WALK around data_slow in the loop.) */
struct quiet_miss {
    uint8_t *host;
    uint64_t walk_cycles;
};
__attribute__((noinline)) static struct quiet_miss data_quiet(struct machine *m, uint32_t vaddr, unsigned size,
                                                              enum mmu_access acc, enum isa_cause *cause)
{
    uint64_t before = m->st.cycles_by_cause[CY_WALK];
    uint8_t *host = data_miss(m, vaddr, size, acc, NULL, cause);
    return (struct quiet_miss){host, m->st.cycles_by_cause[CY_WALK] - before};
}

/* Instruction side: translates pc when execution enters a page, after
 * mmu_translate_hit found no plain hit. */
static bool fetch_translate(struct machine *m, uint32_t pc, uint32_t *pa, struct tlb_entry *seen,
                            enum isa_cause *cause)
{
    uint32_t fault;
    if (!mmu_translate_miss(m, pc, ACC_FETCH, pa, &fault, seen)) {
        *cause = fault_cause(m, fault);
        return false;
    }
    return true;
}

/* Does bare metal carry on past op in the same page, with no fetch-side
 * look-up (its case in exec.inc ends with NEXT or ALONE_NEXT, not fetch or
 * check_irq)?  Transfers, traps and the system instructions that change
 * what the next fetch sees do not. */
static bool native_carries_on(int op)
{
    if (op >= OP_COUNT) return false;
    switch (op) {
    case OP_SMSW: case OP_SPTB: case OP_MFCR: case OP_CLI: case OP_IN:
    case OP_PUSHF:   /* unless it wrote decoded code: see past_if_no_code_write */
        return true;
    case OP_POPF:
        return false;
    default:
        break;
    }
    switch (isa_info[op].cls) {
    case CL_ALU: case CL_MUL: case CL_DIV: case CL_LOAD: case CL_STORE: return true;
    default: return false;
    }
}

/* Notes where the guest's instruction stream leaves for the hypervisor (or
 * for its own trap handler, where it stays unused): struct cpu_detour. */
__attribute__((noinline)) static void detour_note(struct machine *m, enum detour_kind kind, const struct dinsn *d,
                                                  const struct dinsn *dpage, uint32_t vpage, uint32_t ppn, int op)
{
    struct cpu_detour *t = &m->detour;
    unsigned i = (unsigned)(d - dpage);
    if (i >= PAGE_INSNS) {
        /* the sentinel past the page's last word (an event due as the
         * stream leaves the page): bare metal goes on with a fetch in the
         * next page, its lookup included, so nothing resumes without one
         * (pa would be (ppn << 12) | 4096: this frame's first word for an
         * odd ppn, the next frame's for an even one — never the next
         * page's own) */
        t->kind = DETOUR_NONE;
        return;
    }
    t->kind = (uint8_t)kind;
    t->pc = vpage + 4 * i;
    t->pa = (ppn << 12) | (4 * i);
    t->bt = m->bt_active;
    /* (an event is looked at as a block is entered: entered again after
     * one, the block looks again) */
    t->mid_block = kind != DETOUR_EVENT && i > 0 && dinsn_falls_through(d - 1);
    t->mid_next = dinsn_falls_through(d);
    t->past_ok = native_carries_on(op) && i + 1 < PAGE_INSNS;
    t->past_if_no_code_write = op == OP_PUSHF;
    t->code_writes = m->code_writes;
}

void cpu_resume_unseen(struct machine *m)
{
    struct cpu_detour *t = &m->detour;
    uint32_t pc = m->cpu.pc;
    /* the instruction did not run (a hidden fault, an interrupt): again */
    bool again = (t->kind == DETOUR_ACCESS || t->kind == DETOUR_EVENT) && pc == t->pc;
    /* the hypervisor completed it, and bare metal would have run on */
    bool past = (t->kind == DETOUR_INSN || t->kind == DETOUR_ACCESS) && t->past_ok && pc == t->pc + 4 &&
                !(t->past_if_no_code_write && m->code_writes != t->code_writes);
    if (again || past) {
        m->resume.valid = true;
        m->resume.unseen = true;
        m->resume.pc = pc;
        m->resume.pa = again ? t->pa : t->pa + 4;
        m->resume.bt = t->bt;
        m->resume.mid_block = again ? t->mid_block : t->mid_next;
        m->resume.gen = m->mmu.gen;
    }
    t->kind = DETOUR_NONE;
}

/* The fast loop comes twice more: paging off (every address physical)
 * and paging on; each hands the machine back (STOP_NONE) at a fetch that
 * finds the paging state changed, and machine_run calls the other.  The
 * stepping and counting loops look at the paging state (EXEC_PAGING -1). */
/* The conditional branches, each with its condition, for the cases of the
 * loops (exec.inc): the fast loops have two of each (see BT_ON). */
#define TRANSFERS(X)                                                       \
    X(BEQ, R[d->a] == R[d->b])                                             \
    X(BNE, R[d->a] != R[d->b])                                             \
    X(BLT, (int32_t)R[d->a] < (int32_t)R[d->b])                            \
    X(BGE, (int32_t)R[d->a] >= (int32_t)R[d->b])                           \
    X(BLTU, R[d->a] < R[d->b])                                             \
    X(BGEU, R[d->a] >= R[d->b])

#define EXEC_COUNTING 0
#define EXEC_STEPPING 0
#define EXEC_PAGING 0
#define EXEC_NAME cpu_exec_fast_phys
#include "cpu/exec.inc"
#undef EXEC_NAME
#undef EXEC_PAGING
#define EXEC_PAGING 1
#define EXEC_NAME cpu_exec_fast_virt
#include "cpu/exec.inc"
#undef EXEC_NAME
#undef EXEC_PAGING
#undef EXEC_STEPPING
#define EXEC_PAGING (-1)

void *const *cpu_fast_handlers[4];

void cpu_exec_fast_handlers(void)
{
    cpu_exec_fast_phys(NULL, 0);
    cpu_exec_fast_virt(NULL, 0);
}

/* Stepping: is the next pc one the caller stops at? */
static inline bool step_at_break(const struct machine *m, uint32_t pc)
{
    for (unsigned i = 0; i < m->nstep_break; i++)
        if (m->step_break[i] == pc) return true;
    return false;
}

/* Does a stepped run stop at this step's end (besides its budget)? */
static inline bool step_stop(const struct machine *m, uint32_t pc, uint64_t total)
{
    return m->step_end_now || step_at_break(m, pc) || (m->max_cycles && total >= m->max_cycles);
}

#define EXEC_NAME cpu_exec_step
#define EXEC_STEPPING 1
#include "cpu/exec.inc"
#undef EXEC_NAME
#undef EXEC_STEPPING

/* Counting: does the block of n instructions at pc hold a stop pc?  Or the
 * instruction after it: a system instruction stands alone (decode.c) and
 * is reached from the block before it by falling through, not through a
 * block entry that would look (n = 0: the system instruction itself). */
static bool block_has_break(const struct machine *m, uint32_t pc, unsigned n)
{
    uint32_t len = (n ? n + 1 : 1) * 4u;
    for (unsigned i = 0; i < m->nstep_break; i++)
        if (m->step_break[i] - pc < len) return true;
    return false;
}

#undef EXEC_COUNTING
#define EXEC_COUNTING 1
#define EXEC_NAME cpu_exec_count
#define EXEC_STEPPING 0
#include "cpu/exec.inc"
#undef EXEC_NAME
#undef EXEC_STEPPING
#undef EXEC_COUNTING
#undef EXEC_PAGING

enum stop_reason machine_run_until(struct machine *m, uint64_t until)
{
    m->stop = STOP_NONE;
    m->run_until = until;
    while (m->stop == STOP_NONE) {
        if (m->cpu.trap_depth) {
            /* the handler's first instruction, as machine_run runs it */
            if (cpu_exec_step(m, 1) == STOP_STEPS && !m->step_end_now && !step_at_break(m, m->cpu.pc))
                m->stop = STOP_NONE;
            continue;
        }
        cpu_exec_count(m, 0);
    }
    m->run_until = 0;
    return m->stop;
}

enum stop_reason machine_run(struct machine *m, uint64_t max_steps)
{
    m->stop = STOP_NONE;
    if (max_steps) return cpu_exec_step(m, max_steps);
    while (m->stop == STOP_NONE) {
        if (m->cpu.trap_depth) {
            /* run the handler's first instruction where a fault is visible */
            if (cpu_exec_step(m, 1) == STOP_STEPS) m->stop = STOP_NONE;
            continue;
        }
        if (m->mmu.paging) cpu_exec_fast_virt(m, 0);
        else cpu_exec_fast_phys(m, 0);
    }
    return m->stop;
}
