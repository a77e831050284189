/*
 * vcpu.c — the virtual CPU the techniques share (vcpu.h).
 *
 * The one idea: a technique is where the guest's CPU state lives and how
 * the hypervisor gets control; what the hypervisor then does to that state
 * is the same whichever technique caught it.  An mfcr reads the same
 * register under te as under hw, a store to a guest page table is emulated
 * the same way, guest memory is read through the same counted function.
 * So it is written once, here, and each technique file (te.c, bt.c, hw.c,
 * pv.c) keeps only what is its own.  Where the techniques really differ —
 * a guest register read free from the CPU or charged from the VMCS — the
 * difference is a parameter, said at the call.
 *
 * The second half is the deprivileged guest's CPU (te, bt, pv): the guest
 * kernel runs in ring 1, so the CPU's own trap entry and trap return — SR
 * saved into ESR, the ring dropped to 0, the kernel stack, the vector
 * table, and back — are done here in software, to hv->vcpu, exactly as the
 * hardware would have done them to the real CPU.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "hypervisor/technique.h"
#include "hypervisor/vcpu.h"

#define VRING(sr) SR_RING(sr)

/* A deprivileged guest, and shadow paging, run one VM. */
static struct vm *the_vm(struct hv *hv) { return &hv->vms[0]; }

/* ---- guest memory, as the hypervisor sees it ------------------------------ */
bool hv_guest_read32(struct hv *hv, uint32_t gpa, uint32_t *v)
{
    struct vm *vm = the_vm(hv);
    if (gpa > vm->size - 4 || (gpa & 3)) return false;
    memcpy(v, hv->m->mem + vm->base + gpa, 4);
    hv->sh.guest_refs++;
    cpu_charge(hv->m, CY_HV, hv->m->prof.mem_ref);
    return true;
}

bool hv_guest_write(struct hv *hv, uint32_t gpa, uint32_t v, unsigned size)
{
    struct vm *vm = the_vm(hv);
    if (gpa > vm->size - size || (gpa & (size - 1))) return false;
    uint8_t *p = hv->m->mem + vm->base + gpa;
    if (size == 4) memcpy(p, &v, 4);
    else if (size == 2) { uint16_t h = (uint16_t)v; memcpy(p, &h, 2); }
    else *p = (uint8_t)v;
    uint32_t hpa = vm->base + gpa;
    if (hv->m->code_page[hpa >> 12]) decode_invalidate_page(hv->m, hpa >> 12);
    hv_dirty_mark(hv, gpa >> 12);   /* the hypervisor's own writes, for a migration */
    hv->sh.guest_refs++;
    cpu_charge(hv->m, CY_HV, hv->m->prof.mem_ref);
    return true;
}

/* The guest-physical word at va for an access of the guest's, through the
 * real MMU in the guest's context (it is on the CPU: only a deprivileged
 * guest on shadow paging emulates pushf and popf), so the TLB is looked up
 * and filled exactly as by the guest's own access; a hidden fault is
 * handled and the access retried.  A failure is delivered to the guest. */
static bool virt_access(struct hv *hv, uint32_t va, enum mmu_access acc, uint32_t *gpa, uint32_t epc)
{
    struct machine *m = hv->m;
    struct vm *vm = the_vm(hv);
    if (va & 3) { vcpu_reflect(hv, CAUSE_MISALIGNED, va, epc); return false; }
    uint32_t f = FAULT_BUS;
    for (int tries = 0; tries < 4; tries++) {
        uint32_t pa, fault, gfault;
        if (mmu_translate(m, va, acc, &pa, &fault)) {
            *gpa = pa - vm->base;
            if (pa < vm->base || *gpa > vm->size - 4) break;   /* beyond the VM: bus error */
            return true;
        }
        if (shadow_page_fault(hv, va, fault, &gfault)) continue;
        if (gfault == SHADOW_TRACE) { *gpa = hv->sh.trace_gpa; return true; }
        f = gfault;
        break;
    }
    if (f & FAULT_BUS) {
        vcpu_reflect(hv, CAUSE_BUS_ERROR, va, epc);
    } else {
        hv->vcpu.cr[CR_FAULT] = f;
        vcpu_reflect(hv, CAUSE_PAGE_FAULT, va, epc);
    }
    return false;
}

bool vcpu_virt_write(struct hv *hv, uint32_t va, uint32_t v, unsigned size, uint32_t epc)
{
    uint32_t gpa;
    if (!virt_access(hv, va, ACC_WRITE, &gpa, epc)) return false;
    hv_guest_write(hv, gpa, v, size);
    if ((gpa >> 12) < hv->sh.gframes && hv->sh.fr[gpa >> 12].is_table) shadow_traced_write(hv, gpa);
    return true;
}

bool vcpu_virt_read(struct hv *hv, uint32_t va, uint32_t *v, uint32_t epc)
{
    uint32_t gpa;
    return virt_access(hv, va, ACC_READ, &gpa, epc) && hv_guest_read32(hv, gpa, v);
}

/* What the CPU fetched.  A deprivileged guest's context is on the CPU, so
 * the TLB entry its fetch used (stale or not) is there to look at; else —
 * and always under hw, whose handlers run in root mode — the word is found
 * through the guest's own tables as they are now. */
bool vcpu_fetch(struct hv *hv, uint32_t pc, struct isa_insn *in)
{
    struct vm *vm = the_vm(hv);
    uint32_t gpa, w;
    struct tlb_entry e;
    if (hv_technique_of(hv)->deprivileged && mmu_tlb_lookup(hv->m, pc, &e) && e.pfn >= (vm->base >> 12))
        gpa = ((e.pfn << 12) - vm->base) | (pc & 0xfff);
    else if (!shadow_guest_translate(hv, pc, &gpa))
        return false;
    return hv_guest_read32(hv, gpa, &w) && isa_decode(w, in);
}

/* ---- control registers ------------------------------------------------------ */
bool vcpu_paging_cr(unsigned cr) { return cr == CR_PTB || cr == CR_MMU || cr == CR_ASID; }

/* Where the guest's own cr is kept (technique.h, guest_cr). */
static uint32_t *own_cr(struct hv *hv, struct vm *vm, unsigned cr)
{
    if (vcpu_paging_cr(cr) && hv->cfg.mmu == HV_MMU_SHADOW) return hv->vcpu.cr;
    return hv_technique_of(hv)->guest_cr(hv, vm->index);
}

/* The computed registers read as the machine's (cpu_read_creg), but the
 * memory size is the VM's. */
uint32_t vcpu_read_cr(struct hv *hv, struct vm *vm, unsigned cr)
{
    switch (cr) {
    case CR_LEVELS:
    case CR_CYCLE: return cpu_read_creg(hv->m, cr);
    case CR_MEMSIZE: return vm->size;
    default: return own_cr(hv, vm, cr)[cr];
    }
}

void vcpu_write_cr(struct hv *hv, struct vm *vm, unsigned cr, uint32_t value)
{
    if (cr == CR_SR) value &= SR_IE | SR_RING_MASK;
    own_cr(hv, vm, cr)[cr] = value;
    if (vcpu_paging_cr(cr) && hv->cfg.mmu == HV_MMU_SHADOW) shadow_load_context(hv, cr == CR_PTB);
}

uint32_t *vcpu_guest_cr(struct hv *hv, int vm)
{
    (void)vm;   /* the one VM */
    return hv->vcpu.cr;
}

uint32_t *vcpu_real_cr(struct hv *hv) { return hv->m->cpu.cr; }

/* ---- a store to a guest page table --------------------------------------------- */
static uint32_t reg(struct hv *hv, const struct vcpu_regs *g, unsigned i)
{
    cpu_charge(hv->m, CY_HV, g->read_cost);
    return g->r[i];
}

const char *vcpu_traced_store(struct hv *hv, uint32_t pc, const struct vcpu_regs *g)
{
    struct isa_insn in;
    if (!vcpu_fetch(hv, pc, &in)) return "cannot decode a traced store";
    unsigned size = in.op == OP_SW ? 4 : in.op == OP_SH ? 2 : in.op == OP_SB ? 1 : 0;
    uint32_t addr = reg(hv, g, in.b) + (uint32_t)in.imm;
    bool pushf = in.op == OP_PUSHF && g->pushf_sr;
    if (pushf) { size = 4; addr = g->r[ISA_REG_SP] - 4; }
    /* the word the faulting walk (or the TLB entry) resolved the store to */
    uint32_t gpa = hv->sh.trace_gpa;
    if (!size || (addr & 0xfff) != (gpa & 0xfff)) return "unexpected write to a page table";
    hv_guest_write(hv, gpa, pushf ? *g->pushf_sr : reg(hv, g, in.a), size);
    if (pushf) g->r[ISA_REG_SP] = addr;
    shadow_traced_write(hv, gpa);
    return NULL;
}

/* ---- a deprivileged guest: entering and leaving ------------------------------- */
/* The real SR for the guest's virtual one: virtual ring 0 runs in ring 1,
 * rings 1 and 2 in ring 2 (supervisor for paging, and vmcall still traps as
 * a hypercall there, as in the guest's own rings 1 and 2), ring 3 in ring 3;
 * interrupts are always on (they are the host's). */
static uint32_t real_sr(uint32_t vsr)
{
    unsigned ring = VRING(vsr) == 0 ? 1 : VRING(vsr) == 3 ? 3 : 2;
    return (ring << SR_RING_SHIFT) | SR_IE;
}

/* The host timer, set for the virtual timer, is brought forward to the
 * virtual disk's completion if that comes first and will raise the
 * guest's interrupt (the VM's next device event).  Its period is the
 * hypervisor's business: every host tick comes back to it
 * (vcpu_deliver_pending), which sets the host timer again. */
static void host_timer_for_disk(struct hv *hv, const struct vm *vm)
{
    struct machine *m = hv->m;
    uint64_t next = vdev_next_event(hv, vm);
    if (next == UINT64_MAX || (m->timer.period && m->timer.deadline <= next)) return;
    m->timer.deadline = next;
    if (!m->timer.period) m->timer.period = 1;
}

void vcpu_load(struct hv *hv)
{
    struct machine *m = hv->m;
    struct vm *vm = the_vm(hv);
    struct vmcs *v = &m->vmx.vmcs[0];
    memcpy(hv->vcpu.cr, v->cr, sizeof hv->vcpu.cr);
    memcpy(m->cpu.r, v->r, sizeof v->r);
    m->cpu.r[ISA_NREGS] = 0;
    m->cpu.pc = v->pc;
    m->cpu.trap_depth = 0;
    /* the host timer stands for the guest's devices (vcpu_deliver_pending);
     * an interrupt raised for it is taken at once, as a VM entry would
     * inject it */
    m->timer.period = vm->vtimer.period;
    m->timer.deadline = vm->vtimer.deadline;
    host_timer_for_disk(hv, vm);
    m->timer.pending = vdev_irq_raised(hv, vm) && (hv->vcpu.cr[CR_SR] & SR_IE);
    /* from here every trap of the guest comes to the technique's on_trap */
    m->trap_to_hv = true;
    m->vmx.cur = -1;
    hv->running = 0;
    /* the VM's clock: its cycles are counted from here (hw's were booked) */
    vm->loaded_at_cycles = m->st.cycles;
    vm->loaded_at_insns = m->st.instructions;
    vm->state = VM_RUNNABLE;
}

void vcpu_run(struct hv *hv)
{
    struct machine *m = hv->m;
    struct vmcs *v = &m->vmx.vmcs[0];
    m->cpu.cr[CR_SR] = real_sr(hv->vcpu.cr[CR_SR]);
    mmu_context_changed(m, false);
    /* entering is the hypervisor's business: the guest goes on as though
     * nothing had stopped it (as VM entry does, cpu/vmx.c) */
    m->detour = v->detour;
    v->detour.kind = DETOUR_NONE;
    cpu_resume_unseen(m);
}

void vcpu_leave(struct hv *hv)
{
    struct machine *m = hv->m;
    struct vmcs *v = &m->vmx.vmcs[0];
    memcpy(v->r, m->cpu.r, sizeof v->r);
    v->pc = m->cpu.pc;
    memcpy(v->cr, hv->vcpu.cr, sizeof v->cr);
    v->trap_depth = 0;
    v->detour = m->detour;   /* where it stopped (cpu_resume_unseen) */
    m->trap_to_hv = false;
    hv_account(hv);          /* the time it ran deprivileged */
}

/* ---- a deprivileged guest: traps ------------------------------------------------ */
void vcpu_resume(struct hv *hv, uint32_t pc)
{
    struct machine *m = hv->m;
    const struct hv_technique *t = hv_technique_of(hv);
    m->cpu.pc = pc;
    m->cpu.cr[CR_SR] = real_sr(hv->vcpu.cr[CR_SR]);
    if (t->publish_resume) t->publish_resume(hv);
    /* a callout (bt.c) came in by a call, not a trap: it returns the same way */
    if (!hv->in_callout) cpu_charge(m, CY_TRAP, m->prof.trap_return);
    mmu_context_changed(m, false);
}

/* After a hidden fault handled, an instruction emulated, a host interrupt
 * that brought the guest nothing: bare metal would not have looked its
 * instruction page up again, so neither does the CPU. */
void vcpu_carry_on(struct hv *hv, uint32_t pc)
{
    vcpu_resume(hv, pc);
    cpu_resume_unseen(hv->m);
}

void vcpu_kill(struct hv *hv, const char *why)
{
    hv_vm_done(hv, the_vm(hv), 0, true, why);
    machine_stop(hv->m, STOP_TRIPLE, "the guest was stopped by the hypervisor: %s", why);
}

void vcpu_invariant_broken(struct hv *hv, const char *fmt, ...)
{
    char what[320], why[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    snprintf(why, sizeof why, "invariant broken (--invariants): %s, cycle %llu", what,
             (unsigned long long)hv->m->st.cycles);
    vcpu_kill(hv, why);
}

bool vcpu_peek32(const struct hv *hv, uint32_t gpa, uint32_t *v)
{
    const struct vm *vm = &hv->vms[0];
    if (gpa > vm->size - 4 || (gpa & 3)) return false;
    memcpy(v, hv->m->mem + vm->base + gpa, 4);
    return true;
}

void vcpu_reflect(struct hv *hv, enum isa_cause cause, uint32_t badaddr, uint32_t epc)
{
    struct machine *m = hv->m;
    const struct hv_technique *t = hv_technique_of(hv);
    uint32_t *v = hv->vcpu.cr;
    /* as the CPU would: a fault before the guest's handler has run one
     * instruction is a double fault, and one more a triple fault (the CPU
     * clears trap_depth when an instruction completes) */
    if (m->cpu.trap_depth >= 2) {
        vcpu_kill(hv, "triple fault: the guest's double-fault handler faulted too");
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
    if (t->publish_trap) t->publish_trap(hv);
    uint32_t handler;
    if (!hv_guest_read32(hv, v[CR_VBR] + 4u * cause, &handler)) {
        vcpu_kill(hv, "triple fault: the guest's vector table is outside its memory");
        return;
    }
    cpu_trace(m, TR_TRAP, cause, badaddr, epc, NULL);
    vcpu_resume(hv, handler);
}

/* The virtual timer: due -> pending; pending and unmasked -> delivered.
 * The disk's interrupt likewise, raised at its completion cycle. */
bool vcpu_deliver_pending(struct hv *hv, uint32_t pc)
{
    struct machine *m = hv->m;
    struct vm *vm = the_vm(hv);
    enum isa_cause cause;
    bool due = vdev_irq_due(hv, vm, &cause);
    /* the host timer stands in for the guest's, until its tick is pending:
     * then nothing more can happen until the guest unmasks (each emulated
     * sti, popf, iret or mtcr sr comes back here), so the host timer stops —
     * a period of 1 must not become a host interrupt at every instruction */
    m->timer.pending = false;
    m->timer.period = vm->vtimer.pending ? 0 : vm->vtimer.period;
    m->timer.deadline = vm->vtimer.deadline;
    host_timer_for_disk(hv, vm);
    if (due && (hv->vcpu.cr[CR_SR] & SR_IE)) {
        hv->vcpu.hv_interrupts++;
        vdev_delivered(hv, vm, cause);
        vcpu_reflect(hv, cause, 0, pc);
        return true;
    }
    return false;
}

bool vcpu_halt(struct hv *hv)
{
    struct machine *m = hv->m;
    struct vm *vm = the_vm(hv);
    uint64_t wake = vdev_wake_at(hv, vm);
    if (!(hv->vcpu.cr[CR_SR] & SR_IE) || wake == UINT64_MAX) {
        hv_vm_done(hv, vm, 0, false, "halted");
        machine_stop(m, STOP_HALT, "the guest halted");
        return false;
    }
    /* idle until the virtual timer or the disk */
    if (wake > m->st.cycles) cpu_charge(m, CY_IDLE, wake - m->st.cycles);
    return true;
}

/* The host timer stands for the guest's virtual timer. */
static void host_timer(struct hv *hv, uint32_t epc)
{
    hv->m->timer.pending = false;
    if (!vcpu_deliver_pending(hv, epc)) vcpu_carry_on(hv, epc);
}

/* Bare metal's vmcall outside a VM: ring 1 or 2 takes a hypercall trap
 * past the instruction (its own ring 0 would serve it), ring 0 or 3 an
 * illegal instruction. */
void vcpu_vmcall_unserved(struct hv *hv, uint32_t pc)
{
    unsigned ring = VRING(hv->vcpu.cr[CR_SR]);
    if (ring == 1 || ring == 2) vcpu_reflect(hv, CAUSE_HYPERCALL, 0, pc + 4);
    else vcpu_reflect(hv, CAUSE_ILLEGAL, 0, pc);
}

void vcpu_trap(struct hv *hv, enum isa_cause cause, uint32_t badaddr, uint32_t epc)
{
    switch (cause) {
    case CAUSE_TIMER: host_timer(hv, epc); return;
    case CAUSE_HYPERCALL: vcpu_vmcall_unserved(hv, epc - 4); return;   /* epc is past the vmcall */
    case CAUSE_PAGE_FAULT:
        /* the guest's own, from its own tables: the MMU's fault bits are its */
        hv->vcpu.cr[CR_FAULT] = hv->m->cpu.cr[CR_FAULT];
        vcpu_reflect(hv, cause, badaddr, epc);
        return;
    default: vcpu_reflect(hv, cause, badaddr, epc); return;
    }
}

/* A write to the timer's ports needs nothing more here: the host timer,
 * which stands for the guest's, is set on the way out whichever way the
 * guest goes on (vcpu_deliver_pending). */
bool vcpu_port_out(struct hv *hv, uint32_t port, uint32_t value)
{
    struct machine *m = hv->m;
    struct vm *vm = the_vm(hv);
    vdev_out(hv, vm, port, value);
    if (vm->state != VM_DONE) return true;
    m->exit_code = vm->exit_code;
    machine_stop(m, STOP_EXIT, "guest exited with code %u", vm->exit_code);
    return false;
}

void vcpu_stats_json(const struct hv *hv, json_t *o)
{
    const struct vcpu *c = &hv->vcpu;
    if (!hv_technique_of(hv)->deprivileged && !c->emulated && !c->reflected) return;
    json_t *by = json_object();
    for (int op = 1; op < OP_COUNT; op++)
        if (c->emulated_by_op[op])
            json_object_set_new(by, isa_info[op].mnemonic, json_integer((json_int_t)c->emulated_by_op[op]));
    json_object_set_new(o, "te", json_pack("{s:I,s:I,s:o}", "emulated", (json_int_t)c->emulated,
                                           "reflected", (json_int_t)c->reflected, "emulated_by_op", by));
}
