/*
 * switch.c — changing technique while the guest runs (issue #5).
 *
 * The one idea: every technique runs the same virtual CPU — sixteen
 * registers, a pc, the control registers — and only keeps it somewhere else:
 *
 *   te, bt      registers and pc on the real CPU, control registers in
 *               hv->vcpu.cr (the real SR says ring 1 or 3, the real ptb,
 *               asid and mmu are the shadow's)
 *   hw+shadow   all of it in the VMCS, but the VMCS's ptb, asid and mmu are
 *               the shadow's: the guest's own are in hv->vcpu.cr
 *   hw+nested   all of it in the VMCS, as the guest set it
 *
 * So a switch, at an instruction boundary, is three steps, each the same
 * whatever the techniques: the old technique leaves (technique.h: it puts
 * the virtual CPU into the VMCS, whose guest-state area holds all of it,
 * and drops what only it used — bt its code cache); the MMU is prepared
 * (what the new technique cannot trust is dropped: cached translations,
 * shadows the guest's tables outran under nested paging; what it needs and
 * has not got yet is built: the shadows' bookkeeping, the host table); the
 * new technique enters, the way it always enters the guest.  The virtual
 * timer and console stay in struct vm, and the guest's memory stays where
 * it is: hv.c puts a single VM at host address 0 under every technique.
 * The guest notices nothing but the time the switch took.
 *
 * What cannot be switched is refused before anything changes: several VMs
 * (shadow paging, te and bt run one), pv (a different build of the kernel)
 * and native (no hypervisor to switch with).
 */
#include "hypervisor/technique.h"

/* Every field of the virtual CPU that moves between the CPU and the VMCS. */
#define VCPU_FIELDS (ISA_NREGS + 1 + CR_COUNT)

/* Can this run switch to mode+mmu?  Else false with the reason. */
bool hv_can_switch(struct hv *hv, enum hv_mode mode, enum hv_mmu mmu, char *err, size_t errlen)
{
    const char *what = "this build switches live between te, bt and hw with shadow paging and hw with "
                       "nested paging";
    if (hv->nvms > 1) {
        snprintf(err, errlen, "%s, for a single VM; this run has %d VMs (several VMs run only under hw "
                              "with nested paging)", what, hv->nvms);
        return false;
    }
    if (hv->cfg.passthrough) {
        snprintf(err, errlen, "%s; a VM with a passed-through device stays under hw with nested paging (the "
                              "IOMMU shares its host table, the CPU posts its interrupts)", what);
        return false;
    }
    if (hv->clones.active) {
        snprintf(err, errlen, "%s; clones share memory through nested paging's host tables and stay under it",
                 what);
        return false;
    }
    const struct hv_technique *from = hv_technique_of(hv), *to = hv_technique(mode);
    if (!from->live_switch || !to->live_switch) {
        snprintf(err, errlen, "%s; %s", what, (from->live_switch ? to : from)->no_switch_why);
        return false;
    }
    if (mmu != HV_MMU_SHADOW && mmu != HV_MMU_NESTED) {
        snprintf(err, errlen, "%s; expected shadow or nested paging", what);
        return false;
    }
    char why[160];
    if (!hv_technique_allows(to, mmu, why, sizeof why)) {
        snprintf(err, errlen, "%s; %s", what, why);
        return false;
    }
    if (hv->vms[0].state == VM_DONE) {
        snprintf(err, errlen, "the guest has ended: there is nothing left to switch");
        return false;
    }
    return true;
}

/* Takes the virtual CPU out of the running technique into VMCS 0, leaving
 * the machine in the hypervisor's hands (root mode, no guest loaded). */
static void take_out(struct hv *hv)
{
    struct machine *m = hv->m;
    struct vm *vm = &hv->vms[0];
    hv_technique_of(hv)->leave(hv);
    if (vm->state == VM_HALTED) {
        /* halted under hw (hlt with the timer running or a disk command
         * in flight): it waits for its interrupt first, as it would have,
         * so that it runs again */
        uint64_t wake = vdev_wake_at(hv, vm);
        if (wake != UINT64_MAX && wake > m->st.cycles) cpu_charge(m, CY_IDLE, wake - m->st.cycles);
        vm->state = VM_RUNNABLE;
    }
    hv->running = -1;
}

/* Enters the guest from VMCS 0 under the technique in hv->cfg, as that
 * technique always enters it. */
static void put_in(struct hv *hv)
{
    hv_set_machine_mode(hv);
    hv_technique_of(hv)->enter(hv);
}

/* Forgets every translation the old technique cached: the TLB, the
 * page-walk cache and the nested TLB, whatever their tags.  (Shadow and
 * nested entries map the same pages with different rights: a write
 * allowed under nested paging must fault under shadow paging.) */
static void flush_translations(struct machine *m)
{
    bool tags = m->vmx.vpid_tags;
    m->vmx.vpid_tags = false;   /* untagged, entering a VM flushes everything */
    mmu_vm_switched(m);
    m->vmx.vpid_tags = tags;
}

/* The VM's host table, built on the first switch to nested paging.  Under
 * shadow paging the pool of shadow tables has all of the hypervisor's free
 * frames, so it is emptied (its shadows are of no use under nested paging)
 * and the host table built at its bottom; the pool keeps the rest. */
static bool build_host_table(struct hv *hv, char *err, size_t errlen)
{
    struct shadow *s = &hv->sh;
    struct vmcs *v = &hv->m->vmx.vmcs[0];
    if (v->ept_root) return true;
    uint32_t next = hv->next_frame;
    bool pooled = s->gframes != 0;
    if (pooled) shadow_reset(hv);   /* the pool and hv->next_frame start at one frame */
    if (!nested_build(hv, &hv->vms[0], &v->ept_root, err, errlen)) {
        hv->next_frame = next;
        v->ept_root = 0;
        return false;
    }
    if (pooled) s->frames_start = s->frames_next = hv->next_frame;
    return true;
}

/* What the new MMU technique needs: the host table, or the shadows'
 * bookkeeping — fresh, or reset if the guest's tables changed unseen. */
static bool prepare_mmu(struct hv *hv, enum hv_mmu mmu, char *err, size_t errlen)
{
    if (mmu == HV_MMU_NESTED) return build_host_table(hv, err, errlen);
    if (!hv->sh.gframes) return shadow_init(hv, err, errlen);
    if (hv->cfg.mmu == HV_MMU_NESTED) shadow_reset(hv);
    return true;
}

bool hv_switch(struct hv *hv, enum hv_mode mode, enum hv_mmu mmu, char *err, size_t errlen)
{
    struct machine *m = hv->m;
    if (!hv_can_switch(hv, mode, mmu, err, errlen)) return false;
    const struct hv_technique *from = hv_technique_of(hv), *to = hv_technique(mode);
    if (mode == hv->cfg.mode && mmu == hv->cfg.mmu) {
        /* nothing to change — but if the run stopped while the VM was
         * halted under hw, no guest is loaded (the CPU is in root mode):
         * enter it again, as the scheduler would have had the stop not come */
        if (!from->deprivileged && !m->cpu.nonroot) {
            take_out(hv);
            put_in(hv);
        }
        return true;
    }
    take_out(hv);
    if (!prepare_mmu(hv, mmu, err, errlen)) {
        put_in(hv);   /* back into the technique it ran under */
        return false;
    }
    /* te and bt see the same shadow in the same rings: their TLB stays */
    if (!from->deprivileged || !to->deprivileged) flush_translations(m);
    hv->cfg.mode = mode;
    hv->cfg.mmu = mmu;
    hv->switches++;
    hv_charge_op(hv, 1);
    /* the virtual CPU moves between the CPU and the VMCS: one access a field */
    if (from->deprivileged != to->deprivileged)
        cpu_charge(m, CY_HV, (uint64_t)VCPU_FIELDS * (to->deprivileged ? m->prof.vmcs_read : m->prof.vmcs_write));
    put_in(hv);
    return true;
}
