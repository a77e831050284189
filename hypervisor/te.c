/*
 * te.c — trap-and-emulate (and binary translation, which shares it): the
 * guest kernel runs deprivileged, in ring 1.
 *
 * The hypervisor owns ring 0, so every trap of the guest lands here first
 * (hv_trap).  A privileged instruction of the guest kernel faults and is
 * emulated against the virtual CPU (struct vcpu: the guest's SR and control
 * registers); a system call, a fault or an interrupt meant for the guest is
 * reflected into the guest's own vector table, exactly as the hardware
 * would have delivered it.  Popek and Goldberg's condition decides whether
 * this works: on the strict ISA every sensitive instruction traps here; on
 * the classic one the red pills (pushf, popf, smsw, sptb) run in ring 1
 * without trapping and see or change the real state, not the virtual one —
 * and the guest kernel's own self-check notices.
 *
 * Binary translation (--mode bt) runs the guest kernel's code from a code
 * cache (cpu/decode.c: bt_page_get, bt_translate_block) in which every
 * sensitive instruction — red pills included — has become a callout into
 * hv_bt_callout: the same emulation, without a trap, at bt_callout's cost.
 */
#include <string.h>

#include "hypervisor/hooks.h"
#include "hypervisor/hv.h"

#define VRING(sr) SR_RING(sr)

static struct vm *the_vm(struct hv *hv) { return &hv->vms[0]; }

/* The real SR for the guest's virtual one: virtual ring 0 runs in ring 1,
 * rings 1 and 2 in ring 2 (supervisor for paging, and vmcall still traps as
 * a hypercall there, as in the guest's own rings 1 and 2), ring 3 in ring 3;
 * interrupts are always on (they are the host's). */
static uint32_t real_sr(uint32_t vsr)
{
    unsigned ring = VRING(vsr) == 0 ? 1 : VRING(vsr) == 3 ? 3 : 2;
    return (ring << SR_RING_SHIFT) | SR_IE;
}

/* Leaves the hypervisor for the guest at pc: a trap return, or — from a
 * binary-translation callout — a plain return into the code cache.  Under
 * bt the guest kernel's code runs from the code cache, its user code as is. */
static void resume(struct hv *hv, uint32_t pc)
{
    struct machine *m = hv->m;
    m->cpu.pc = pc;
    m->cpu.cr[CR_SR] = real_sr(hv->vcpu.cr[CR_SR]);
    if (hv->cfg.mode == HV_PV) pv_sync_out(hv);
    if (!hv->in_callout) cpu_charge(m, CY_TRAP, m->prof.trap_return);
    m->bt_active = hv->cfg.mode == HV_BT;
    mmu_context_changed(m, false);
}

/* Leaves the hypervisor after something the guest cannot see (a hidden
 * fault handled, an instruction emulated, a host interrupt that brought it
 * nothing): bare metal would not have looked its instruction page up again,
 * so neither does the CPU (cpu_resume_unseen). */
static void carry_on(struct hv *hv, uint32_t pc)
{
    resume(hv, pc);
    cpu_resume_unseen(hv->m);
}

static void kill(struct hv *hv, const char *why)
{
    struct machine *m = hv->m;
    hv_vm_done(hv, the_vm(hv), 0, true, why);
    machine_stop(m, STOP_TRIPLE, "the guest was stopped by the hypervisor: %s", why);
}

/* Delivers a trap into the guest: what the CPU's trap entry does, done to
 * the virtual CPU, then on to the guest's own handler. */
static void reflect(struct hv *hv, enum isa_cause cause, uint32_t badaddr, uint32_t epc)
{
    struct machine *m = hv->m;
    uint32_t *v = hv->vcpu.cr;
    /* as the CPU would: a fault before the guest's handler has run one
     * instruction is a double fault, and one more a triple fault (the CPU
     * clears trap_depth when an instruction completes) */
    if (m->cpu.trap_depth >= 2) {
        kill(hv, "triple fault: the guest's double-fault handler faulted too");
        return;
    }
    bool nested = m->cpu.trap_depth == 1;
    m->cpu.trap_depth++;
    if (nested) {
        badaddr = (uint32_t)cause;
        cause = CAUSE_DOUBLE;
        epc = v[CR_EPC];
    }
    hv->vcpu.reflected++;
    hv_charge_op(hv, 1);
    if (!nested) v[CR_ESR] = v[CR_SR];
    v[CR_EPC] = epc;
    v[CR_CAUSE] = cause;
    v[CR_BADADDR] = badaddr;
    if (VRING(v[CR_SR]) != 0) {
        v[CR_USP] = m->cpu.r[ISA_REG_SP];
        m->cpu.r[ISA_REG_SP] = v[CR_KSP];
    }
    v[CR_SR] &= ~(SR_IE | SR_RING_MASK);
    if (hv->cfg.mode == HV_PV) pv_trap_info(hv);
    uint32_t handler;
    if (!hv_guest_read32(hv, v[CR_VBR] + 4u * cause, &handler)) {
        kill(hv, "triple fault: the guest's vector table is outside its memory");
        return;
    }
    cpu_trace(m, TR_TRAP, cause, badaddr, epc, 0, NULL);
    resume(hv, handler);
}

/* The virtual timer: due -> pending; pending and unmasked -> delivered. */
static bool deliver_pending(struct hv *hv, uint32_t pc)
{
    struct machine *m = hv->m;
    struct vm *vm = the_vm(hv);
    if (vm->vtimer.period && m->st.cycles >= vm->vtimer.deadline) {
        uint64_t late = m->st.cycles - vm->vtimer.deadline;
        vm->vtimer.pending = true;
        vm->vtimer.deadline += vm->vtimer.period * (late / vm->vtimer.period + 1);
    }
    /* the host timer stands in for the guest's, until its tick is pending:
     * then nothing more can happen until the guest unmasks (each emulated
     * sti, popf, iret or mtcr sr comes back here), so the host timer stops —
     * a period of 1 must not become a host interrupt at every instruction */
    m->timer.pending = false;
    m->timer.period = vm->vtimer.pending ? 0 : vm->vtimer.period;
    m->timer.deadline = vm->vtimer.deadline;
    bool con = vdev_console_irq(hv, vm);
    if ((vm->vtimer.pending || con) && (hv->vcpu.cr[CR_SR] & SR_IE)) {
        hv->vcpu.hv_interrupts++;
        reflect(hv, vm->vtimer.pending ? CAUSE_TIMER : CAUSE_CONSOLE, 0, pc);   /* the timer first */
        return true;
    }
    return false;
}

/* Reads the instruction word at guest-virtual pc: what the CPU fetched,
 * through the translation the TLB holds for it (stale or not, as the fetch
 * used it), else through the guest's tables as they are now. */
static bool fetch_guest(struct hv *hv, uint32_t pc, struct isa_insn *in)
{
    uint32_t gpa, w;
    struct tlb_entry e;
    if (mmu_tlb_lookup(hv->m, pc, &e) && e.pfn >= (the_vm(hv)->base >> 12))
        gpa = ((e.pfn << 12) - the_vm(hv)->base) | (pc & 0xfff);
    else if (!shadow_guest_translate(hv, pc, &gpa))
        return false;
    return hv_guest_read32(hv, gpa, &w) && isa_decode(w, in);
}

static void reflect(struct hv *hv, enum isa_cause cause, uint32_t badaddr, uint32_t epc);

/* A word the hypervisor reads or writes for the guest's instruction at epc
 * (an emulated pushf or popf): checked as the hardware checks the guest's
 * own access — alignment, then the walk with the rights of the guest's ring
 * (A and D set) — and a failure is the guest's fault, delivered.  A write
 * to one of its page tables is a traced write. */
static bool guest_virt_access(struct hv *hv, uint32_t va, enum mmu_access acc, uint32_t *gpa, uint32_t epc)
{
    struct machine *m = hv->m;
    if (va & 3) { reflect(hv, CAUSE_MISALIGNED, va, epc); return false; }
    uint32_t f = FAULT_BUS;
    if (hv->cfg.mode == HV_PV) {
        if (shadow_guest_translate(hv, va, gpa)) return true;
    } else {
        /* through the real MMU, in the guest's context (it is on the CPU):
         * the TLB is looked up and filled exactly as by the guest's own
         * access; a hidden fault is handled and the access retried */
        for (int tries = 0; tries < 4; tries++) {
            uint32_t pa, fault, gfault;
            if (mmu_translate(m, va, acc, &pa, &fault)) {
                *gpa = pa - the_vm(hv)->base;
                if (pa < the_vm(hv)->base || *gpa > the_vm(hv)->size - 4) break;   /* beyond the VM: bus error */
                return true;
            }
            if (shadow_page_fault(hv, va, fault, &gfault)) continue;
            if (gfault == SHADOW_TRACE) { *gpa = hv->sh.trace_gpa; return true; }
            f = gfault;
            break;
        }
    }
    if (f & FAULT_BUS) {
        reflect(hv, CAUSE_BUS_ERROR, va, epc);
    } else {
        hv->vcpu.cr[CR_FAULT] = f;
        reflect(hv, CAUSE_PAGE_FAULT, va, epc);
    }
    return false;
}

static bool guest_virt_write(struct hv *hv, uint32_t va, uint32_t v, unsigned size, uint32_t epc)
{
    uint32_t gpa;
    if (!guest_virt_access(hv, va, ACC_WRITE, &gpa, epc)) return false;
    hv_guest_write(hv, gpa, v, size);
    if (hv->cfg.mode != HV_PV && (gpa >> 12) < hv->sh.gframes && hv->sh.fr[gpa >> 12].is_table)
        shadow_traced_write(hv, gpa);
    return true;
}

static bool guest_virt_read(struct hv *hv, uint32_t va, uint32_t *v, uint32_t epc)
{
    uint32_t gpa;
    return guest_virt_access(hv, va, ACC_READ, &gpa, epc) && hv_guest_read32(hv, gpa, v);
}

/* A store to a guest page table faulted (tracing): do it for the guest. */
static void emulate_traced_store(struct hv *hv, uint32_t epc)
{
    struct machine *m = hv->m;
    struct isa_insn in;
    uint32_t *R = m->cpu.r;
    if (!fetch_guest(hv, epc, &in)) { kill(hv, "cannot decode a traced store"); return; }
    unsigned size = in.op == OP_SW ? 4 : in.op == OP_SH ? 2 : in.op == OP_SB ? 1 : 0;
    uint32_t addr = R[in.b] + (uint32_t)in.imm, gpa;
    if (in.op == OP_PUSHF) { size = 4; addr = R[ISA_REG_SP] - 4; }
    /* the word the faulting walk (or the TLB entry) resolved the store to */
    gpa = hv->sh.trace_gpa;
    if (!size || (addr & 0xfff) != (gpa & 0xfff)) { kill(hv, "unexpected write to a page table"); return; }
    uint32_t value = in.op == OP_PUSHF ? m->cpu.cr[CR_SR] : R[in.a];
    hv_guest_write(hv, gpa, value, size);
    if (in.op == OP_PUSHF) R[ISA_REG_SP] = addr;
    shadow_traced_write(hv, gpa);
    m->cpu.trap_depth = 0;   /* the store completed */
    carry_on(hv, epc + 4);
}

/* A control-register write of the guest kernel. */
static void write_cr(struct hv *hv, unsigned cr, uint32_t value)
{
    uint32_t *v = hv->vcpu.cr;
    if (cr == CR_SR) value &= SR_IE | SR_RING_MASK;
    v[cr] = value;
    if (cr == CR_PTB || cr == CR_MMU || cr == CR_ASID) shadow_load_context(hv, cr == CR_PTB);
}

static uint32_t read_cr(struct hv *hv, unsigned cr)
{
    switch (cr) {
    case CR_LEVELS: return hv->m->levels;
    case CR_MEMSIZE: return the_vm(hv)->size;
    case CR_CYCLE: return (uint32_t)hv->m->st.cycles;
    default: return hv->vcpu.cr[cr];
    }
}

bool te_port_out(struct hv *hv, uint32_t port, uint32_t value)
{
    struct machine *m = hv->m;
    struct vm *vm = the_vm(hv);
    vdev_out(hv, vm, port, value);
    if (vm->state == VM_DONE) {
        m->exit_code = vm->exit_code;
        machine_stop(m, STOP_EXIT, "guest exited with code %u", vm->exit_code);
        return false;
    }
    if (port == PORT_TIMER_PERIOD || port == PORT_TIMER_ACK) {
        m->timer.period = vm->vtimer.period;
        m->timer.deadline = vm->vtimer.deadline;
        m->timer.pending = false;
    }
    return true;
}

/* A hypercall of a paravirtual kernel (pv.c serves it). */
static void hypercall(struct hv *hv, uint32_t next)
{
    switch (pv_hypercall(hv, &next)) {
    case PV_RESUME:
        hv->m->cpu.trap_depth = 0;   /* the vmcall completed */
        if (!deliver_pending(hv, next)) resume(hv, next);
        return;
    case PV_STOPPED:
        hv->m->cpu.pc = next;
        return;
    case PV_KILL:
        kill(hv, hv->pv.last_refusal);
        return;
    }
}

/* A privileged instruction of a paravirtual kernel: it should have made a
 * hypercall.  One that never registered is no paravirtual kernel at all. */
static void pv_privileged(struct hv *hv, uint32_t epc)
{
    if (hv->pv.shared) {
        reflect(hv, CAUSE_PROTECTION, 0, epc);   /* as the hardware would: the kernel's bug */
        return;
    }
    struct isa_insn in;
    char why[160];
    snprintf(why, sizeof why, "not a paravirtual kernel: privileged instruction %s at 0x%08x "
             "(a pv kernel makes hypercalls; build it with ringsim asm -D PV=1)",
             fetch_guest(hv, epc, &in) ? isa_info[in.op].mnemonic : "?", epc);
    kill(hv, why);
}

/* A privileged (or, on strict, sensitive) instruction of the guest kernel. */
static void emulate(struct hv *hv, uint32_t epc)
{
    struct machine *m = hv->m;
    struct vm *vm = the_vm(hv);
    uint32_t *R = m->cpu.r, *v = hv->vcpu.cr;
    struct isa_insn in;
    if (!fetch_guest(hv, epc, &in)) {
        reflect(hv, CAUSE_ILLEGAL, 0, epc);
        return;
    }
    /* the guest's own privilege check comes first: a privileged
     * instruction outside its ring 0 (a bt callout can come from any ring)
     * is its protection fault, as on bare metal */
    if (VRING(v[CR_SR]) != 0 && isa_is_privileged(in.op, m->isa)) {
        reflect(hv, CAUSE_PROTECTION, 0, epc);
        return;
    }
    hv->vcpu.emulated++;
    hv->vcpu.emulated_by_op[in.op]++;
    hv_charge_op(hv, 1);
    cpu_trace(m, TR_EMULATE, in.op, epc, 0, m->prof.hv_op, NULL);
    uint32_t next = epc + 4;
    switch (in.op) {
    case OP_MTCR:
        if (!isa_creg_writable[in.imm]) { reflect(hv, CAUSE_ILLEGAL, 0, epc); return; }
        write_cr(hv, (unsigned)in.imm, R[in.a]);
        break;
    case OP_MFCR: if (in.a) R[in.a] = read_cr(hv, (unsigned)in.imm); break;
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
        if (!guest_virt_write(hv, R[ISA_REG_SP] - 4, v[CR_SR], 4, epc)) return;
        R[ISA_REG_SP] -= 4;
        break;
    case OP_POPF: {
        uint32_t w;
        if (!guest_virt_read(hv, R[ISA_REG_SP], &w, epc)) return;
        /* outside ring 0 (classic only: on strict it trapped above) the IE
         * change is silently ignored, as the hardware ignores it */
        if (VRING(v[CR_SR]) == 0) v[CR_SR] = (v[CR_SR] & ~SR_IE) | (w & SR_IE);
        R[ISA_REG_SP] += 4;
        break;
    }
    //| (void)guest_virt_read; (void)guest_virt_write;   /* you will want these two */
    // LAB(te) END
    case OP_IN: {
        uint32_t val = vdev_in(hv, vm, (uint32_t)in.imm);
        if (in.a) R[in.a] = val;
        break;
    }
    case OP_OUT:
        if (!te_port_out(hv, (uint32_t)in.imm, R[in.a])) {
            m->cpu.pc = next;
            return;
        }
        break;
    case OP_INVLPG: mmu_invlpg(m, R[in.a]); break;
    case OP_TLBFLUSH: mmu_flush_all(m); break;
    case OP_HLT:
        if (!(v[CR_SR] & SR_IE) || !vm->vtimer.period) {
            hv_vm_done(hv, vm, 0, false, "halted");
            machine_stop(m, STOP_HALT, "the guest halted");
            return;
        }
        /* idle until the virtual timer */
        if (vm->vtimer.deadline > m->st.cycles) cpu_charge(m, CY_IDLE, vm->vtimer.deadline - m->st.cycles);
        break;
    case OP_SMSW: if (in.a) R[in.a] = v[CR_SR]; break;
    case OP_VMCALL:
        /* a bt callout: what bare metal does with a vmcall outside a VM */
        if (VRING(v[CR_SR]) == 1 || VRING(v[CR_SR]) == 2) reflect(hv, CAUSE_HYPERCALL, 0, next);
        else reflect(hv, CAUSE_ILLEGAL, 0, epc);
        return;
    case OP_SPTB: if (in.a) R[in.a] = v[CR_PTB]; break;
    default:
        reflect(hv, CAUSE_ILLEGAL, 0, epc);
        return;
    }
    R[0] = 0;
    m->cpu.trap_depth = 0;   /* the instruction completed */
    if (!deliver_pending(hv, next)) carry_on(hv, next);
}

void hv_trap(struct machine *m, enum isa_cause cause, uint32_t badaddr, uint32_t epc)
{
    struct hv *hv = m->hv;
    bool pv = hv->cfg.mode == HV_PV;
    if (pv) pv_sync_in(hv);
    unsigned vring = VRING(hv->vcpu.cr[CR_SR]);
    bool from_kernel = vring == 0;
    switch (cause) {
    case CAUSE_PROTECTION:
        if (from_kernel && pv) pv_privileged(hv, epc);
        else if (from_kernel) emulate(hv, epc);
        else reflect(hv, cause, badaddr, epc);
        return;
    case CAUSE_HYPERCALL:
        /* epc is past the vmcall; a kernel that is not paravirtual gets
         * what bare metal gives it, an illegal instruction */
        if (pv && from_kernel) hypercall(hv, epc);
        else if (vring == 1 || vring == 2) reflect(hv, CAUSE_HYPERCALL, 0, epc);
        else reflect(hv, CAUSE_ILLEGAL, 0, epc - 4);
        return;
    case CAUSE_PAGE_FAULT: {
        uint32_t gfault;
        if (pv) {
            /* no shadow: the guest's own tables faulted, the guest's fault */
            hv->vcpu.cr[CR_FAULT] = m->cpu.cr[CR_FAULT];
            reflect(hv, CAUSE_PAGE_FAULT, badaddr, epc);
            return;
        }
        if (shadow_page_fault(hv, badaddr, m->cpu.cr[CR_FAULT], &gfault)) {
            carry_on(hv, epc);           /* hidden: retry, the guest never knows */
        } else if (gfault == SHADOW_TRACE) {
            emulate_traced_store(hv, epc);
        } else if (gfault & FAULT_BUS) {
            reflect(hv, CAUSE_BUS_ERROR, badaddr, epc);
        } else {
            hv->vcpu.cr[CR_FAULT] = gfault;
            reflect(hv, CAUSE_PAGE_FAULT, badaddr, epc);
        }
        return;
    }
    case CAUSE_TIMER:
        /* the host timer: stands for the guest's virtual timer */
        m->timer.pending = false;
        if (!deliver_pending(hv, epc)) carry_on(hv, epc);
        return;
    default:
        reflect(hv, cause, badaddr, epc);
        return;
    }
}

void hv_bt_callout(struct machine *m, uint32_t pc)
{
    struct hv *hv = m->hv;
    m->bt.callouts++;
    cpu_charge(m, CY_BT, m->prof.bt_callout);
    hv->in_callout = true;
    emulate(hv, pc);
    hv->in_callout = false;
}

/* Loads the virtual CPU onto the machine: the guest's registers and pc are
 * already in m->cpu, its control registers in hv->vcpu.  From here every
 * trap of the guest comes to hv_trap. */
void te_enter(struct hv *hv)
{
    struct machine *m = hv->m;
    m->trap_to_hv = true;
    m->vmx.cur = -1;
    hv->running = 0;
    /* the VM's clock: its cycles are counted from here (hw's were booked) */
    the_vm(hv)->loaded_at_cycles = m->st.cycles;
    the_vm(hv)->loaded_at_insns = m->st.instructions;
    the_vm(hv)->state = VM_RUNNABLE;
    if (hv->cfg.mode == HV_PV) pv_load_context(hv);
    else shadow_load_context(hv, false);
    m->cpu.cr[CR_SR] = real_sr(hv->vcpu.cr[CR_SR]);
    m->bt_active = hv->cfg.mode == HV_BT;
    mmu_context_changed(m, false);
}

void te_start(struct hv *hv)
{
    struct machine *m = hv->m;
    struct vmcs *boot = &m->vmx.vmcs[0];
    memset(&hv->vcpu, 0, sizeof hv->vcpu);
    memcpy(m->cpu.r, boot->r, sizeof boot->r);
    m->cpu.r[ISA_NREGS] = 0;
    m->cpu.pc = boot->pc;
    te_enter(hv);
}
