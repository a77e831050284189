/*
 * hw.c — hardware assist (--mode hw): the guest runs in VMX non-root mode,
 * in its own ring 0, and the hypervisor sees only its VM exits.
 *
 * Nothing the guest does traps to the hypervisor unless the VMCS's exit
 * controls say so (hv_set_exit_controls): in/out, hlt, vmcall, the host's
 * own timer, and under shadow paging (early VT-x) every page-table switch,
 * TLB invalidation and page fault.  On an exit the CPU has saved the guest
 * into its VMCS and charged the exit; the handler for its reason decodes
 * what happened by reading VMCS fields (each read charged: Adams & Agesen
 * note a VT exit needs about ten to decode), emulates it against the VM's
 * virtual hardware, and the scheduler re-enters a guest (charging the
 * entry).  A handler never touches another VM's state.  Several VMs run
 * side by side, each in its own VMCS.  Entering hardware assist (hw_enter)
 * is the scheduler's first VM entry; leaving it for another technique
 * (hw_leave) takes the CPU back with a host interrupt of the hypervisor's.
 */
#include <string.h>

#include "hypervisor/technique.h"
#include "hypervisor/vcpu.h"

static struct vm *current(struct hv *hv) { return &hv->vms[hv->m->vmx.cur]; }

static void skip_instruction(struct hv *hv, struct vm *vm)
{
    hv_vmcs_write_pc(hv, vm, hv_vmcs_read_pc(hv, vm) + 4);
}

/* Delivers a trap into the guest at the next entry, as bare metal would. */
static void inject(struct hv *hv, struct vm *vm, enum isa_cause cause, uint32_t badaddr, uint32_t epc)
{
    struct vmcs *v = &hv->m->vmx.vmcs[vm->index];
    v->inject = true;
    v->inject_cause = cause;
    v->inject_badaddr = badaddr;
    v->inject_epc = epc;
    hv_charge_op(hv, 1);
}

/* The CPU checks privilege before it exits (cpu/exec.inc, VMEXIT_IF), so a
 * privileged instruction run in the guest's ring 1, 2 or 3 takes the guest's
 * own protection fault and never reaches these handlers; a real hypervisor
 * relies on the hardware for that.  Should one arrive all the same (a new
 * exit control, a change to the CPU), emulating it would hand a guest user
 * program its kernel's powers: halting or powering off the VM, its console,
 * its timer, its page tables.  So every handler that emulates an instruction
 * asks here first, and gets the protection fault bare metal would have taken
 * delivered instead.  The saved SR is read uncharged: the check stands for
 * the hardware's guarantee, not for work the modelled hypervisor does. */
static bool refused(struct hv *hv, struct vm *vm, enum isa_op op)
{
    const struct vmcs *v = &hv->m->vmx.vmcs[vm->index];
    if (SR_RING(v->cr[CR_SR]) == 0 || !isa_is_privileged(op, hv->m->isa)) return false;
    inject(hv, vm, CAUSE_PROTECTION, 0, v->pc);
    return true;
}

/* in/out: emulate the port against the VM's virtual devices. */
static bool on_io(struct hv *hv, struct vm *vm, uint32_t qual)
{
    uint32_t port = qual & 0xffff;
    int reg = (int)((qual >> 20) & 15);
    if (refused(hv, vm, (qual & 0x10000u) ? OP_OUT : OP_IN)) return false;
    if (qual & 0x10000u) {
        vdev_out(hv, vm, port, hv_vmcs_read_reg(hv, vm, reg));
        if (vm->state == VM_DONE) return true;
    } else {
        hv_vmcs_write_reg(hv, vm, reg, vdev_in(hv, vm, port));
    }
    skip_instruction(hv, vm);
    return false;
}

/* hlt: the VM waits for its next interrupt; others may run meanwhile. */
static bool on_hlt(struct hv *hv, struct vm *vm)
{
    if (refused(hv, vm, OP_HLT)) return false;
    skip_instruction(hv, vm);
    bool ie = hv_vmcs_read_cr(hv, vm, CR_SR) & SR_IE;
    if (!ie || vdev_wake_at(hv, vm) == UINT64_MAX) {
        hv_vm_done(hv, vm, 0, false, "halted");
        return true;
    }
    vm->state = VM_HALTED;
    return true;
}

/* A nested violation: the guest touched guest-physical memory it does not
 * have.  On bare metal that address would be beyond memory: a bus error,
 * delivered to the guest alone. */
static void on_nested_violation(struct hv *hv, struct vm *vm)
{
    struct vmcs *v = &hv->m->vmx.vmcs[vm->index];
    hv_charge_op(hv, 1);
    /* a clone's first write to a page it shares: the page becomes its own
     * and the instruction runs again (clone.c) */
    if (hv_clone_cow(hv, vm, v->exit_qual)) {
        hv->clones.cow_faults[vm->index]++;
        return;
    }
    /* a write the migration's dirty log withheld: marked, and run again */
    if (nested_dirty_fault(hv, vm, v->exit_qual)) return;
    /* a page post-copy has yet to bring from the source: fetched, run again */
    if (hv_postcopy_fault(hv, vm, v->exit_qual)) return;
    inject(hv, vm, CAUSE_BUS_ERROR, v->exit_guest_va, hv_vmcs_read_pc(hv, vm));
}

/* ---- hardware assist without nested paging: shadow page tables ---------------
 * The guest's page-table base, paging switch and ASID live in hv->vcpu; the
 * VMCS holds the shadow's.  Every access to them, every TLB invalidation and
 * every page fault exits, and is handled here. */

/* mtcr/mfcr/sptb of the guest: paging registers are virtual, others pass. */
static void on_cr_access(struct hv *hv, struct vm *vm)
{
    struct machine *m = hv->m;
    struct vmcs *v = &m->vmx.vmcs[vm->index];
    struct isa_insn in;
    uint32_t pc = hv_vmcs_read_pc(hv, vm);
    if (!vcpu_fetch(hv, pc, &in)) {
        hv_vm_done(hv, vm, 0, true, "cannot decode a control-register access");
        return;
    }
    if (in.op != OP_MTCR && in.op != OP_MFCR && in.op != OP_SPTB) {
        hv_vm_done(hv, vm, 0, true, "a control-register exit on another instruction");
        return;
    }
    /* sptb on classic is no privileged instruction: from any ring it reads
     * the guest's own page-table base, as on bare metal */
    if (refused(hv, vm, in.op)) return;
    unsigned cr = in.op == OP_SPTB ? CR_PTB : (unsigned)in.imm;
    if (in.op == OP_MTCR) {
        uint32_t val = hv_vmcs_read_reg(hv, vm, in.a);
        if (!isa_creg_writable[cr]) {
            v->inject = true;
            v->inject_cause = CAUSE_ILLEGAL;
            v->inject_badaddr = 0;
            v->inject_epc = pc;
            return;
        }
        vcpu_write_cr(hv, vm, cr, val);
        /* a VMCS field written (the paging registers are the hypervisor's) */
        if (!vcpu_paging_cr(cr)) cpu_charge(m, CY_HV, m->prof.vmcs_write);
    } else {
        hv_vmcs_write_reg(hv, vm, in.a, vcpu_read_cr(hv, vm, cr));
    }
    hv_vmcs_write_pc(hv, vm, pc + 4);
}

/* A page fault in the guest: the shadow's (hidden, dirty, tracing) or its own. */
static void on_page_fault(struct hv *hv, struct vm *vm)
{
    struct machine *m = hv->m;
    struct vmcs *v = &m->vmx.vmcs[vm->index];
    uint32_t va = v->inject_badaddr, pc = v->inject_epc, gfault;
    cpu_charge(m, CY_HV, 2ull * m->prof.vmcs_read);
    if (shadow_page_fault(hv, va, v->exit_fault, &gfault)) return; /* retry */
    if (gfault == SHADOW_TRACE) {
        /* emulate the guest's write to its own page table: its registers
         * are the VMCS's, each read charged */
        struct vcpu_regs regs = {.r = v->r, .read_cost = m->prof.vmcs_read, .pushf_sr = NULL};
        const char *why = vcpu_traced_store(hv, pc, &regs);
        if (why) hv_vm_done(hv, vm, 0, true, why);
        else hv_vmcs_write_pc(hv, vm, pc + 4);
        return;
    }
    v->inject = true;
    v->inject_epc = pc;
    v->inject_badaddr = va;
    if (gfault & FAULT_BUS) {
        v->inject_cause = CAUSE_BUS_ERROR;
    } else {
        v->inject_cause = CAUSE_PAGE_FAULT;
        v->cr[CR_FAULT] = gfault;
    }
}

/* Every VM exit: decode, handle, and enter a guest again. */
static void hw_exit(struct hv *hv)
{
    struct machine *m = hv->m;
    struct vm *vm = current(hv);
    struct vmcs *v = &m->vmx.vmcs[vm->index];
    /* decode: reason and qualification come out of the VMCS */
    hv_charge_op(hv, 1);
    enum vmexit_reason reason = v->exit_reason;
    uint32_t qual = v->exit_qual;
    cpu_charge(m, CY_HV, 2ull * m->prof.vmcs_read);
    vm->exits++;
    vm->exits_by_reason[reason]++;
    bool reschedule = false, preempt = false;
    switch (reason) {
    case EXIT_IO:
        reschedule = on_io(hv, vm, qual);
        break;
    case EXIT_HLT:
        reschedule = on_hlt(hv, vm);
        break;
    case EXIT_EXTINT:
        /* the host timer: a slice ended or a virtual timer is due */
        m->timer.pending = false;
        preempt = m->st.cycles >= hv->slice_end;
        reschedule = true;
        break;
    case EXIT_IRQ_WINDOW:
        break; /* vdev_deliver at entry injects what is pending */
    case EXIT_VMCALL: {
        /* no paravirtual interface in this mode: as on bare metal, where
         * ring 1 or 2 takes a hypercall trap past the instruction (no
         * hypervisor serves it there either), ring 0 or 3 an illegal one */
        uint32_t pc = hv_vmcs_read_pc(hv, vm);
        unsigned ring = SR_RING(hv_vmcs_read_cr(hv, vm, CR_SR));
        if (ring == 1 || ring == 2) inject(hv, vm, CAUSE_HYPERCALL, 0, pc + 4);
        else inject(hv, vm, CAUSE_ILLEGAL, 0, pc);
        break;
    }
    case EXIT_EPT_VIOLATION:
        on_nested_violation(hv, vm);
        break;
    case EXIT_EXCEPTION:
        if (qual == CAUSE_PAGE_FAULT && hv->cfg.mmu == HV_MMU_SHADOW) on_page_fault(hv, vm);
        else inject(hv, vm, (enum isa_cause)qual, v->inject_badaddr, v->inject_epc);
        break;
    case EXIT_CR_ACCESS:
        on_cr_access(hv, vm);
        break;
    case EXIT_INVLPG: {
        /* the guest's TLB maintenance, done to the real TLB */
        uint32_t pc = hv_vmcs_read_pc(hv, vm);
        struct isa_insn in;
        if (refused(hv, vm, OP_INVLPG)) break;  /* invlpg and tlbflush alike */
        if (vcpu_fetch(hv, pc, &in) && in.op == OP_INVLPG)
            mmu_invlpg(m, hv_vmcs_read_reg(hv, vm, in.a));
        else
            mmu_flush_all(m);
        hv_vmcs_write_pc(hv, vm, pc + 4);
        break;
    }
    case EXIT_TRIPLE:
        hv_vm_done(hv, vm, 0, true, "triple fault");
        reschedule = true;
        break;
    default:
        /* an exit whose control this mode never sets */
        hv_vm_done(hv, vm, 0, true, vmexit_reason_name[reason]);
        reschedule = true;
        break;
    }
    if (vm->state != VM_RUNNABLE) reschedule = true;
    /* the slice is over, whichever exit noticed it: the next VM's turn now,
     * so that a VM that exits all the time (a timer storm) cannot outstay
     * its slice until the host timer's own exit comes round */
    if (m->st.cycles >= hv->slice_end) reschedule = preempt = true;
    if (reschedule) {
        hv_schedule(hv, preempt);
        return;
    }
    vdev_deliver(hv, vm);
    hv_program_timer(hv);
    vmx_enter(m, vm->index);
}

/* ---- entering and leaving hardware assist ------------------------------------ */
/* VMCS 0 already holds the guest's whole virtual CPU (and its exit
 * controls are set: hv_set_machine_mode); under shadow paging the guest's
 * own paging registers go to hv->vcpu and the VMCS gets the shadow's.  The
 * scheduler enters the first runnable VM. */
static void hw_enter(struct hv *hv)
{
    struct vmcs *v = &hv->m->vmx.vmcs[0];
    if (hv->cfg.mmu == HV_MMU_SHADOW) {
        memcpy(hv->vcpu.cr, v->cr, sizeof hv->vcpu.cr);
        shadow_load_context(hv, false);   /* into the VMCS */
    }
    hv_schedule(hv, false);
}

/* The single VM, out of non-root mode into its VMCS, with its own paging
 * registers back in place of the shadow's. */
static void hw_leave(struct hv *hv)
{
    struct machine *m = hv->m;
    struct vm *vm = &hv->vms[0];
    struct vmcs *v = &m->vmx.vmcs[0];
    if (m->cpu.nonroot) {
        /* the hypervisor takes the CPU with a host interrupt of its own */
        vmx_leave(m);
        vm->exits++;
        vm->exits_by_reason[EXIT_EXTINT]++;
    }
    hv_account(hv);
    if (hv->cfg.mmu == HV_MMU_SHADOW)
        for (unsigned cr = 0; cr < CR_COUNT; cr++)
            if (vcpu_paging_cr(cr)) v->cr[cr] = hv->vcpu.cr[cr];
    v->irq_window = false;
}

/* The guest's registers: on the CPU while it runs, else in its VMCS. */
static uint32_t *hw_guest_cr(struct hv *hv, int vm)
{
    struct machine *m = hv->m;
    return m->cpu.nonroot && m->vmx.cur == vm ? m->cpu.cr : m->vmx.vmcs[vm].cr;
}

/* Shadow paging (one VM): the shadow's root is loaded at the next entry. */
static uint32_t *hw_shadow_cr(struct hv *hv) { return hv->m->vmx.vmcs[0].cr; }

/* A migration's dirty log: the MMU technique's own write protection. */
static void hw_dirty_log(struct hv *hv, enum hv_dirty_op op)
{
    if (hv->cfg.mmu == HV_MMU_NESTED) nested_dirty_log(hv, op);
    else shadow_dirty_log(hv, op);
}

const struct hv_technique hv_hw = {
    .mode = HV_HW,
    .name = "hw",
    .title = "hardware assist",
    .mmus = HV_MMU_BIT(HV_MMU_SHADOW) | HV_MMU_BIT(HV_MMU_NESTED),
    .default_mmu = HV_MMU_NESTED,
    .many_vms_mmus = HV_MMU_BIT(HV_MMU_NESTED),
    .live_switch = true,
    .compare_rank = {[HV_MMU_NESTED] = 2, [HV_MMU_SHADOW] = 3},
    .enter = hw_enter,
    .leave = hw_leave,
    .on_exit = hw_exit,
    .guest_cr = hw_guest_cr,
    .shadow_cr = hw_shadow_cr,
    .dirty_log = hw_dirty_log,
    .describe = hv_describe_paging,
};
