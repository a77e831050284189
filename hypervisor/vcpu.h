/*
 * vcpu.h — the virtual CPU every technique runs, and what the techniques
 * share to run it (vcpu.c).  Used inside hypervisor/ only.
 *
 * Every technique gives the guest the same CPU — sixteen registers, a pc,
 * the control registers — and only keeps it somewhere else (switch.c): on
 * the real CPU with the control registers in hv->vcpu (te, bt, pv: the
 * guest deprivileged), or in a VMCS (hw).  What does not depend on where
 * is written once here: guest memory as the hypervisor reads and writes
 * it, fetching the guest's instruction, its control registers, a store to
 * one of its page tables under shadow paging; and, for a deprivileged
 * guest, what the CPU's own trap entry and return would do to it.
 */
#ifndef RINGSIM_VCPU_H
#define RINGSIM_VCPU_H

#include "hypervisor/hv.h"

/* ---- guest memory --------------------------------------------------------- */
/* Reads/writes a word (or, writing, size bytes) of guest-physical memory,
 * counted and charged as the hypervisor's memory references; false outside
 * the VM. */
bool hv_guest_read32(struct hv *hv, uint32_t gpa, uint32_t *v);
bool hv_guest_write(struct hv *hv, uint32_t gpa, uint32_t v, unsigned size);
/* A word at guest-virtual va that the hypervisor reads or writes for the
 * deprivileged guest's instruction at epc (an emulated pushf or popf), as
 * the hardware would: alignment, then the walk with the rights of the
 * guest's ring, on the shadow.  A failure is the guest's fault, delivered
 * (false).  A write to one of its page tables is a traced write. */
bool vcpu_virt_read(struct hv *hv, uint32_t va, uint32_t *v, uint32_t epc);
bool vcpu_virt_write(struct hv *hv, uint32_t va, uint32_t v, unsigned size, uint32_t epc);
/* The guest's instruction at guest-virtual pc, decoded; false if it has
 * none there. */
bool vcpu_fetch(struct hv *hv, uint32_t pc, struct isa_insn *in);

/* ---- control registers ---------------------------------------------------- */
/* The paging registers (ptb, mmu, asid): under shadow paging the guest's
 * own are in hv->vcpu.cr, and the real ones are the shadow's. */
bool vcpu_paging_cr(unsigned cr);
/* What the guest's mfcr of cr reads, and its mtcr of a writable cr (a new
 * paging state loads its shadow). */
uint32_t vcpu_read_cr(struct hv *hv, struct vm *vm, unsigned cr);
void vcpu_write_cr(struct hv *hv, struct vm *vm, unsigned cr, uint32_t value);
/* guest_cr and shadow_cr of a deprivileged technique (technique.h):
 * hv->vcpu.cr, and the CPU's own. */
uint32_t *vcpu_guest_cr(struct hv *hv, int vm);
uint32_t *vcpu_real_cr(struct hv *hv);

/* ---- a store to a guest page table (shadow paging) ------------------------- */
/* Where a handler finds the guest's general registers: on the CPU for a
 * deprivileged guest, each read free; in the VMCS under hw, each read a
 * charged VMCS access. */
struct vcpu_regs {
    uint32_t *r;
    uint64_t read_cost;            /* cycles (cause hv) a read costs */
    const uint32_t *pushf_sr;      /* the SR a pushf there pushes; NULL: a pushf to a
                                    * page table is not emulated (hw) and ends the VM */
};
/* The guest's store at pc to one of its page tables faulted (a tracing
 * fault: hv->sh.trace_gpa is the word it goes to).  Does it for the guest
 * and drops the shadow entries it makes stale; the caller moves the guest
 * past it.  NULL, or why it could not (the caller ends the VM). */
const char *vcpu_traced_store(struct hv *hv, uint32_t pc, const struct vcpu_regs *regs);

/* ---- a deprivileged guest (te, bt, pv) -------------------------------------- */
/* Entering: its registers from VMCS 0 onto the CPU, its control registers
 * into hv->vcpu, the VM's clock started (vcpu_load); then, its MMU context
 * loaded by the technique, on from where it stopped (vcpu_run).  Leaving:
 * all of it back into VMCS 0 (vcpu_leave). */
void vcpu_load(struct hv *hv);
void vcpu_run(struct hv *hv);
void vcpu_leave(struct hv *hv);
/* Leaves the hypervisor for the guest at pc (a trap return, or a plain
 * return from a callout); and the same after something the guest cannot
 * see, from where bare metal would have gone on (cpu_resume_unseen). */
void vcpu_resume(struct hv *hv, uint32_t pc);
void vcpu_carry_on(struct hv *hv, uint32_t pc);
/* Delivers a trap into the guest: what the CPU's trap entry does, done to
 * the virtual CPU, then on to the guest's own handler. */
void vcpu_reflect(struct hv *hv, enum isa_cause cause, uint32_t badaddr, uint32_t epc);
/* Delivers a pending interrupt if the guest can take it (true: it is on its
 * way to the guest's handler), and sets the host timer to stand for the
 * guest's. */
bool vcpu_deliver_pending(struct hv *hv, uint32_t pc);
/* hlt of a deprivileged guest (te's emulated hlt, pv's HC_BLOCK): idles
 * until its next interrupt (vdev_wake_at); false if nothing can wake it or
 * its interrupts are masked: the guest is done and the machine stops, as
 * bare metal's hlt stops it. */
bool vcpu_halt(struct hv *hv);
/* A vmcall at pc that no hypervisor serves: what bare metal does with it. */
void vcpu_vmcall_unserved(struct hv *hv, uint32_t pc);
/* A trap its technique has nothing of its own to do with: the host timer,
 * which stands for the guest's; a vmcall nobody serves; else the guest's
 * own trap (a page fault with the MMU's fault bits), reflected into it. */
void vcpu_trap(struct hv *hv, enum isa_cause cause, uint32_t badaddr, uint32_t epc);
/* An out of the guest kernel to port; false if it ended the VM (the
 * machine is stopped). */
bool vcpu_port_out(struct hv *hv, uint32_t port, uint32_t value);
/* Ends the VM and stops the machine: the hypervisor's triple fault. */
void vcpu_kill(struct hv *hv, const char *why);
/* --invariants: one of a technique's own rules is broken (shadow.c, pv.c).
 * Stops the guest there and then, as vcpu_kill, saying "invariant broken
 * (--invariants): ", what fmt says, and the cycle — the moment it broke,
 * not the moment, much later, the guest's output goes wrong. */
void vcpu_invariant_broken(struct hv *hv, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The guest-physical word at gpa for such a check: read as the hypervisor's
 * own reads are, but charging no cycle, so that checking changes nothing
 * the guest can measure.  False outside the VM or unaligned. */
bool vcpu_peek32(const struct hv *hv, uint32_t gpa, uint32_t *v);
/* The virtual CPU's counters (the statistics' "te"), for a deprivileged
 * technique running now or after one ran. */
void vcpu_stats_json(const struct hv *hv, struct json_t *o);

#endif
