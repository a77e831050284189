/*
 * vmx.c — ring -1: VM entry and VM exit, the two halves of a world switch.
 *
 * The one idea: while a guest runs, the CPU's registers ARE the guest's
 * virtual CPU.  VM exit copies them into the guest-state area of its VMCS,
 * writes why it left (reason and qualification), charges the exit, and runs
 * the hypervisor; VM entry copies a guest-state area back and charges the
 * entry.  Everything the guest does between the two runs at native speed
 * unless an exit control says otherwise.
 */
#include <string.h>

#include "cpu/decode.h"

/* The CPU's half of every VM exit: the guest into its VMCS, the CPU back
 * in root mode, the exit charged and counted. */
static void save_guest(struct machine *m, enum vmexit_reason reason, uint32_t qual)
{
    struct cpu *c = &m->cpu;
    struct vmcs *v = &m->vmx.vmcs[m->vmx.cur];
    memcpy(v->r, c->r, sizeof v->r);
    v->pc = c->pc;
    memcpy(v->cr, c->cr, sizeof v->cr);
    v->trap_depth = c->trap_depth;
    v->detour = m->detour;          /* kept for the entry that resumes it */
    m->detour.kind = DETOUR_NONE;
    v->exit_reason = reason;
    v->exit_qual = qual;
    c->nonroot = false;
    c->trap_depth = 0;
    m->vmx.exits++;
    m->vmx.exits_by_reason[reason]++;
    cpu_charge(m, CY_VMEXIT, m->prof.vm_exit);
    cpu_trace(m, TR_VMEXIT, reason, qual, (uint32_t)m->vmx.cur, NULL);
    m->step_cut = false;   /* the hypervisor's work belongs to the step */
    /* the hypervisor's address space: no guest translation applies */
    c->cr[CR_MMU] = 0;
    mmu_context_changed(m, false);
}

void vmx_exit(struct machine *m, enum vmexit_reason reason, uint32_t qual)
{
    save_guest(m, reason, qual);
    m->hooks->exit(m);        /* only a hypervisor enters non-root mode */
}

void vmx_leave(struct machine *m)
{
    save_guest(m, EXIT_EXTINT, 0);
}

void vmx_enter(struct machine *m, int i)
{
    struct cpu *c = &m->cpu;
    struct vmcs *v = &m->vmx.vmcs[i];
    bool switched = m->vmx.cur != i;
    m->vmx.cur = i;
    memcpy(c->r, v->r, sizeof v->r);
    c->r[ISA_NREGS] = 0;
    c->pc = v->pc;
    memcpy(c->cr, v->cr, sizeof c->cr);
    c->trap_depth = v->trap_depth;
    c->nonroot = true;
    cpu_charge(m, CY_VMEXIT, m->prof.vm_entry);
    cpu_trace(m, TR_VMENTRY, 0, 0, (uint32_t)i, NULL);
    m->step_cut = true;
    if (switched) mmu_vm_switched(m);
    else mmu_context_changed(m, false);
    if (v->inject) {
        /* event injection: the trap happens as the guest resumes */
        v->inject = false;
        m->vmx.injecting = true;   /* an injected event never exits again */
        cpu_trap(m, v->inject_cause, v->inject_badaddr, v->inject_epc);
        m->vmx.injecting = false;
        v->detour.kind = DETOUR_NONE;
    } else if (iommu_posted_pending(m)) {
        /* pass-through: the device's interrupt posted while the guest was
         * out is taken as it resumes (a trap of its own, no exit) */
        iommu_take_posted(m);
        v->detour.kind = DETOUR_NONE;
    }
    /* with nothing injected, the guest goes on where it left (or past the
     * instruction the hypervisor completed) as though it had never left */
    m->detour = v->detour;
    v->detour.kind = DETOUR_NONE;
    cpu_resume_unseen(m);
}
