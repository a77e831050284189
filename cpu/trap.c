/*
 * trap.c — traps, interrupts, and the return from them.
 *
 * A trap saves PC, SR, the cause and the faulting address in control
 * registers (EPC, ESR, CAUSE, BADADDR), raises the CPU to ring 0 with
 * interrupts masked, switches to the kernel stack if it came from ring > 0
 * (sp -> USP, KSP -> sp), and jumps to the handler whose address is word
 * `cause` of the vector table at VBR.  iret undoes it.
 *
 * Faults while entering a handler escalate as on x86: the first is a double
 * fault (vector 8, BADADDR = the original cause), the second a triple fault,
 * which stops the machine with a report instead of crashing the simulator.
 */
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

#include "cpu/decode.h"

static void triple_fault(struct machine *m, enum isa_cause cause, uint32_t badaddr)
{
    const struct cpu *c = &m->cpu;
    machine_stop(m, STOP_TRIPLE,
                 "triple fault: %s (badaddr 0x%08x) while entering the double-fault handler; "
                 "pc 0x%08x sr 0x%x vbr 0x%08x epc 0x%08x cause %u",
                 isa_cause_name[cause], badaddr, c->pc, c->cr[CR_SR], c->cr[CR_VBR], c->cr[CR_EPC],
                 c->cr[CR_CAUSE]);
}

/* Reads the handler address for `cause` from the vector table.  Returns
 * false (with the fault in fc and fa) when the table itself is unreadable. */
static bool read_vector(struct machine *m, enum isa_cause cause, uint32_t *handler,
                        enum isa_cause *fc, uint32_t *fa)
{
    uint32_t a = m->cpu.cr[CR_VBR] + 4u * (uint32_t)cause, ha;
    if (a & 3) { *fc = CAUSE_MISALIGNED; *fa = a; return false; }
    /* in a guest, VBR is guest-physical: the host dimension translates it */
    if (!vmx_guest_phys(m, a, &ha) || ha > m->memsize - 4) { *fc = CAUSE_BUS_ERROR; *fa = a; return false; }
    a = ha;
    /* The vector table is read at its physical address (VBR is physical),
     * so a trap never needs a translation to start. */
    memcpy(handler, m->mem + a, 4);
    m->st.mem_refs++;
    return true;
}

void cpu_trap(struct machine *m, enum isa_cause cause, uint32_t badaddr, uint32_t epc)
{
    struct cpu *c = &m->cpu;
    if (m->trap_to_hv) {
        /* trap-and-emulate: the hypervisor owns ring 0 and sees every trap
         * (trap_to_hv is set only by whoever installed m->hooks) */
        m->st.traps_total++;
        m->st.traps_by_cause[cause]++;
        cpu_charge(m, CY_TRAP, m->prof.trap_entry);
        c->pc = epc;
        /* the hypervisor's turn, between two events: a timeline of the
         * run (visualise/timeline.c) cuts it there */
        cpu_trace(m, TR_HV, 1, cause, epc, NULL);
        m->hooks->trap(m, cause, badaddr, epc);
        cpu_trace(m, TR_HV, 0, c->pc, 0, NULL);
        m->step_cut = true;
        return;
    }
    for (;;) {
        if (c->nonroot) {
            /* a guest's trap: the exception bitmap may send it to ring -1 */
            struct vmcs *v = &m->vmx.vmcs[m->vmx.cur];
            /* the exception bitmap first: the hypervisor may find the
             * fault its own (a shadow's hidden fault), however deep in trap
             * entry the guest is; only a fault delivered to the guest counts
             * towards its double and triple faults */
            if ((v->exception_bitmap & (1u << cause)) && !m->vmx.injecting) {
                v->inject_badaddr = badaddr;
                v->inject_epc = epc;
                vmx_exit(m, EXIT_EXCEPTION, cause);
                return;
            }
            if (c->trap_depth >= 2) {
                vmx_exit(m, EXIT_TRIPLE, cause);
                return;
            }
        }
        if (c->trap_depth >= 2) { triple_fault(m, cause, badaddr); return; }
        if (c->trap_depth == 1) {
            /* a fault while entering a handler: double fault */
            badaddr = (uint32_t)cause;
            cause = CAUSE_DOUBLE;
            epc = c->cr[CR_EPC];
        }
        c->trap_depth++;
        m->st.traps_total++;
        m->st.traps_by_cause[cause]++;
        cpu_charge(m, CY_TRAP, m->prof.trap_entry);
        cpu_trace(m, TR_TRAP, cause, badaddr, epc, NULL);
        m->step_cut = true;

        uint32_t sr = c->cr[CR_SR];
        if (c->trap_depth == 1 || cause != CAUSE_DOUBLE) {
            c->cr[CR_ESR] = sr;
            c->cr[CR_EPC] = epc;
        }
        c->cr[CR_CAUSE] = cause;
        c->cr[CR_BADADDR] = badaddr;
        if (SR_RING(sr) != 0) {
            c->cr[CR_USP] = c->r[ISA_REG_SP];
            c->r[ISA_REG_SP] = c->cr[CR_KSP];
        }
        c->cr[CR_SR] = sr & ~(SR_IE | SR_RING_MASK); /* ring 0, masked */
        mmu_context_changed(m, false);

        uint32_t handler;
        enum isa_cause fc;
        uint32_t fa;
        if (read_vector(m, cause, &handler, &fc, &fa)) {
            c->pc = handler;
            return;
        }
        cause = fc;     /* the vector read faulted: escalate */
        badaddr = fa;
    }
}

void cpu_iret(struct machine *m)
{
    struct cpu *c = &m->cpu;
    uint32_t sr = c->cr[CR_ESR] & (SR_IE | SR_RING_MASK);
    cpu_charge(m, CY_TRAP, m->prof.trap_return);
    c->cr[CR_SR] = sr;
    c->pc = c->cr[CR_EPC];
    if (SR_RING(sr) != 0) c->r[ISA_REG_SP] = c->cr[CR_USP];
    mmu_context_changed(m, false);
    cpu_trace(m, TR_IRET, c->pc, sr, 0, NULL);
}

bool cpu_interrupt_pending(const struct machine *m)
{
    if (m->cpu.nonroot) {
        /* host interrupts always leave the guest; the guest's own arrive by
         * injection, and an interrupt window asks to exit once it is open */
        return m->timer.pending ||
               (m->vmx.vmcs[m->vmx.cur].irq_window && (m->cpu.cr[CR_SR] & SR_IE)) ||
               iommu_posted_pending(m);   /* pass-through's posted interrupt */
    }
    if (!(m->cpu.cr[CR_SR] & SR_IE)) return false;
    return m->timer.pending ||
           (m->con.rx_irq_enabled && m->con.input_pos < m->con.input_len) ||
           disk_irq_line(&m->disk, m->st.cycles) || net_irq_line(&m->nic);
}

void cpu_take_interrupt(struct machine *m)
{
    if (m->cpu.nonroot) {
        /* a posted interrupt needs no exit, unless the hypervisor has one to deliver first */
        if (!m->timer.pending && !(m->vmx.vmcs[m->vmx.cur].irq_window && (m->cpu.cr[CR_SR] & SR_IE)) &&
            iommu_posted_pending(m)) {
            iommu_take_posted(m);
            return;
        }
        vmx_exit(m, m->timer.pending ? EXIT_EXTINT : EXIT_IRQ_WINDOW, 0);
        return;
    }
    /* the timer first, then the console, then the disk */
    enum isa_cause cause = m->timer.pending                                                ? CAUSE_TIMER
                           : m->con.rx_irq_enabled && m->con.input_pos < m->con.input_len ? CAUSE_CONSOLE
                           : disk_irq_line(&m->disk, m->st.cycles)                          ? CAUSE_DISK
                                                                                           : CAUSE_NET;
    if (cause == CAUSE_DISK) m->disk.interrupts++;
    if (cause == CAUSE_NET) m->nic.interrupts++;
    m->st.interrupts++;
    dev_trace_irq(m, cause, DEV_IRQ_NATIVE, -1);
    /* EPC = the instruction that has not run yet */
    cpu_trap(m, cause, 0, m->cpu.pc);
}

void cpu_halt(struct machine *m)
{
    /* pc already points after the hlt */
    uint64_t disk = disk_irq_at(&m->disk);
    bool can_wake = (m->cpu.cr[CR_SR] & SR_IE) &&
                    (m->timer.period || m->timer.pending ||
                     (m->con.rx_irq_enabled && m->con.input_pos < m->con.input_len) || disk != UINT64_MAX ||
                     net_next_arrival(&m->nic) != UINT64_MAX || net_irq_line(&m->nic));
    if (!can_wake) {
        machine_stop(m, STOP_HALT, "halted at pc 0x%08x", m->cpu.pc - 4);
        return;
    }
    if (!cpu_interrupt_pending(m)) {
        /* idle until the timer deadline or the disk's completion (or the
         * cycle limit) */
        uint64_t wake = m->timer.deadline;
        if (disk != UINT64_MAX && (!m->timer.period || disk < wake)) wake = disk;
        uint64_t frame = net_next_arrival(&m->nic);   /* a frame arriving */
        if (frame != UINT64_MAX && ((!m->timer.period && disk == UINT64_MAX) || frame < wake)) wake = frame;
        if (m->max_cycles && wake > m->max_cycles) wake = m->max_cycles;
        if (wake > m->st.cycles) cpu_charge(m, CY_IDLE, wake - m->st.cycles);
        if (m->max_cycles && m->st.cycles >= m->max_cycles) {
            machine_stop(m, STOP_CYCLE_LIMIT, "cycle limit %llu reached while halted",
                         (unsigned long long)m->max_cycles);
            return;
        }
        dev_tick(m);
    }
    if (cpu_interrupt_pending(m)) cpu_take_interrupt(m);
}

uint32_t cpu_read_creg(const struct machine *m, unsigned cr)
{
    switch (cr) {
    case CR_LEVELS: return m->levels;
    case CR_MEMSIZE: return m->cpu.nonroot ? m->vmx.vmcs[m->vmx.cur].guest_memsize : m->memsize;
    case CR_CYCLE: return (uint32_t)m->st.cycles;
    default: return cr < CR_COUNT ? m->cpu.cr[cr] : 0;
    }
}
