/*
 * te.c — trap-and-emulate (--mode te): the guest kernel runs deprivileged,
 * in ring 1, on shadow page tables.
 *
 * The hypervisor owns ring 0, so every trap of the guest lands here first
 * (te_trap).  A privileged instruction of the guest kernel faults and is
 * emulated against the virtual CPU (struct vcpu: the guest's SR and control
 * registers); a system call, a fault or an interrupt meant for the guest is
 * reflected into the guest's own vector table, exactly as the hardware
 * would have delivered it (vcpu.c).  Popek and Goldberg's condition decides
 * whether this works: on the strict ISA every sensitive instruction traps
 * here; on the classic one the red pills (pushf, popf, smsw, sptb) run in
 * ring 1 without trapping and see or change the real state, not the
 * virtual one — and the guest kernel's own self-check notices.
 *
 * Binary translation (bt.c) is this technique without the traps: its
 * callouts land in te_emulate, its traps in te_trap.
 */
#include "hypervisor/technique.h"
#include "hypervisor/vcpu.h"

#define VRING(sr) SR_RING(sr)

static struct vm *the_vm(struct hv *hv) { return &hv->vms[0]; }

/* A privileged (or, on strict, sensitive) instruction of the guest kernel,
 * or (bt.c) a translated sensitive instruction of the guest in any ring. */
void te_emulate(struct hv *hv, uint32_t epc)
{
    struct machine *m = hv->m;
    struct vm *vm = the_vm(hv);
    uint32_t *R = m->cpu.r, *v = hv->vcpu.cr;
    struct isa_insn in;
    if (!vcpu_fetch(hv, epc, &in)) {
        vcpu_reflect(hv, CAUSE_ILLEGAL, 0, epc);
        return;
    }
    /* the guest's own privilege check comes first: a privileged
     * instruction outside its ring 0 (a bt callout can come from any ring)
     * is its protection fault, as on bare metal */
    if (VRING(v[CR_SR]) != 0 && isa_is_privileged(in.op, m->isa)) {
        vcpu_reflect(hv, CAUSE_PROTECTION, 0, epc);
        return;
    }
    hv->vcpu.emulated++;
    hv->vcpu.emulated_by_op[in.op]++;
    hv_charge_op(hv, 1);
    cpu_trace(m, TR_EMULATE, in.op, epc, 0, NULL);
    uint32_t next = epc + 4;
    switch (in.op) {
    case OP_MTCR:
        if (!isa_creg_writable[in.imm]) { vcpu_reflect(hv, CAUSE_ILLEGAL, 0, epc); return; }
        vcpu_write_cr(hv, vm, (unsigned)in.imm, R[in.a]);
        break;
    case OP_MFCR: if (in.a) R[in.a] = vcpu_read_cr(hv, vm, (unsigned)in.imm); break;
    // LAB(te) BEGIN: emulate cli, sti, iret, pushf and popf against the virtual CPU
    case OP_CLI: v[CR_SR] &= ~SR_IE; break;
    case OP_STI: v[CR_SR] |= SR_IE; break;
    case OP_IRET:
        v[CR_SR] = v[CR_ESR] & (SR_IE | SR_RING_MASK);
        next = v[CR_EPC];
        if (VRING(v[CR_SR]) != 0) R[ISA_REG_SP] = v[CR_USP];
        break;
    /* the red pills, when the strict ISA makes them trap */
    case OP_PUSHF:
        if (!vcpu_virt_write(hv, R[ISA_REG_SP] - 4, v[CR_SR], 4, epc)) return;
        R[ISA_REG_SP] -= 4;
        break;
    case OP_POPF: {
        uint32_t w;
        if (!vcpu_virt_read(hv, R[ISA_REG_SP], &w, epc)) return;
        /* outside ring 0 (classic only: on strict it trapped above) the IE
         * change is silently ignored, as the hardware ignores it */
        if (VRING(v[CR_SR]) == 0) v[CR_SR] = (v[CR_SR] & ~SR_IE) | (w & SR_IE);
        R[ISA_REG_SP] += 4;
        break;
    }
    //| /* you will want vcpu_virt_read() and vcpu_virt_write() (vcpu.h) */
    // LAB(te) END
    case OP_IN: {
        uint32_t val = vdev_in(hv, vm, (uint32_t)in.imm);
        if (in.a) R[in.a] = val;
        break;
    }
    case OP_OUT:
        if (!vcpu_port_out(hv, (uint32_t)in.imm, R[in.a])) {
            m->cpu.pc = next;
            return;
        }
        break;
    case OP_INVLPG: mmu_invlpg(m, R[in.a]); break;
    case OP_TLBFLUSH: mmu_flush_all(m); break;
    case OP_HLT:
        if (!vcpu_halt(hv)) return;
        break;
    case OP_SMSW: if (in.a) R[in.a] = v[CR_SR]; break;
    case OP_VMCALL:
        /* a bt callout: nothing serves it here */
        vcpu_vmcall_unserved(hv, epc);
        return;
    case OP_SPTB: if (in.a) R[in.a] = v[CR_PTB]; break;
    default:
        vcpu_reflect(hv, CAUSE_ILLEGAL, 0, epc);
        return;
    }
    R[0] = 0;
    m->cpu.trap_depth = 0;   /* the instruction completed */
    if (!vcpu_deliver_pending(hv, next)) vcpu_carry_on(hv, next);
}

/* A store to a guest page table faulted (tracing): do it for the guest.  A
 * pushf on the classic ISA runs in ring 1 and pushes the real SR, which is
 * what it pushes here too. */
static void traced_store(struct hv *hv, uint32_t epc)
{
    struct machine *m = hv->m;
    struct vcpu_regs regs = {.r = m->cpu.r, .read_cost = 0, .pushf_sr = &m->cpu.cr[CR_SR]};
    const char *why = vcpu_traced_store(hv, epc, &regs);
    if (why) { vcpu_kill(hv, why); return; }
    m->cpu.trap_depth = 0;   /* the store completed */
    vcpu_carry_on(hv, epc + 4);
}

/* A real page fault on the shadow: the hypervisor's own (hidden: retry, the
 * guest never knows), a write to a guest page table, or the guest's. */
static void page_fault(struct hv *hv, uint32_t badaddr, uint32_t epc)
{
    uint32_t gfault;
    if (shadow_page_fault(hv, badaddr, hv->m->cpu.cr[CR_FAULT], &gfault)) {
        vcpu_carry_on(hv, epc);
    } else if (gfault == SHADOW_TRACE) {
        traced_store(hv, epc);
    } else if (gfault & FAULT_BUS) {
        vcpu_reflect(hv, CAUSE_BUS_ERROR, badaddr, epc);
    } else {
        hv->vcpu.cr[CR_FAULT] = gfault;
        vcpu_reflect(hv, CAUSE_PAGE_FAULT, badaddr, epc);
    }
}

void te_page_fault(struct hv *hv, uint32_t badaddr, uint32_t epc) { page_fault(hv, badaddr, epc); }

/* The guest kernel's privileged instruction is emulated, a page fault is
 * the shadow's first; the rest is what every deprivileged guest gets. */
void te_trap(struct hv *hv, enum isa_cause cause, uint32_t badaddr, uint32_t epc)
{
    bool from_kernel = VRING(hv->vcpu.cr[CR_SR]) == 0;
    if (cause == CAUSE_PROTECTION && from_kernel) te_emulate(hv, epc);
    else if (cause == CAUSE_PAGE_FAULT) page_fault(hv, badaddr, epc);
    else vcpu_trap(hv, cause, badaddr, epc);
}

/* The guest's virtual CPU onto the machine, deprivileged, on the shadow of
 * its paging state.  From here every trap of the guest comes to te_trap. */
void te_enter(struct hv *hv)
{
    vcpu_load(hv);
    shadow_load_context(hv, false);
    vcpu_run(hv);
}

const struct hv_technique hv_te = {
    .mode = HV_TE,
    .name = "te",
    .title = "trap-and-emulate",
    .mmus = HV_MMU_BIT(HV_MMU_SHADOW),
    .default_mmu = HV_MMU_SHADOW,
    .live_switch = true,
    .deprivileged = true,
    .compare_rank = {[HV_MMU_SHADOW] = 5},
    .enter = te_enter,
    .leave = vcpu_leave,
    .on_trap = te_trap,
    .guest_cr = vcpu_guest_cr,
    .shadow_cr = vcpu_real_cr,
    .dirty_log = shadow_dirty_log,
    .describe = hv_describe_paging,
};
