/*
 * exec.c — the interpreter: a computed-goto loop over decoded instructions.
 *
 * The loop itself is in exec.inc, instantiated twice (fast and stepping) so
 * that neither pays for the other's bookkeeping.  machine_run picks one:
 * full speed normally, stepping for the debugger and for the first
 * instruction of every trap handler (where a fault is a double fault).
 */
#include <stddef.h>
#include <string.h>
#include <stdlib.h>

#include "cpu/decode.h"

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

/* The TLB missed the interpreter's shortcut: full lookup (and walk).
 * Returns the host pointer, or NULL with the trap cause set (and CR fault). */
__attribute__((noinline)) static uint8_t *data_slow(struct machine *m, uint32_t vaddr, unsigned size,
                                                    enum mmu_access acc, enum isa_cause *cause)
{
    uint32_t pa, fault;
    if (!mmu_translate(m, vaddr, acc, &pa, &fault)) {
        *cause = fault_cause(m, fault);
        return NULL;
    }
    if (pa > m->memsize - size) {
        *cause = CAUSE_BUS_ERROR;
        return NULL;
    }
    return m->mem + pa;
}

/* Instruction side: translates pc when execution enters a page. */
static bool fetch_translate(struct machine *m, uint32_t pc, uint32_t *pa, enum isa_cause *cause)
{
    uint32_t fault;
    if (!mmu_translate(m, pc, ACC_FETCH, pa, &fault)) {
        *cause = fault_cause(m, fault);
        return false;
    }
    return true;
}

#define EXEC_NAME cpu_exec_fast
#define EXEC_STEPPING 0
#include "cpu/exec.inc"
#undef EXEC_NAME
#undef EXEC_STEPPING

#define EXEC_NAME cpu_exec_step
#define EXEC_STEPPING 1
#include "cpu/exec.inc"
#undef EXEC_NAME
#undef EXEC_STEPPING

enum stop_reason machine_run(struct machine *m, uint64_t max_insns)
{
    m->stop = STOP_NONE;
    if (max_insns) return cpu_exec_step(m, max_insns);
    while (m->stop == STOP_NONE) {
        if (m->cpu.trap_depth) {
            /* run the handler's first instruction where a fault is visible */
            if (cpu_exec_step(m, 1) == STOP_STEPS) m->stop = STOP_NONE;
            continue;
        }
        cpu_exec_fast(m, 0);
    }
    return m->stop;
}
