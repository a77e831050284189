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
 * So a switch, at an instruction boundary, takes the virtual CPU out of the
 * old technique into the VMCS (whose guest-state area holds all of it),
 * drops what the new technique cannot trust (cached translations, the code
 * cache, shadows the guest's tables outran under nested paging), builds
 * what it needs and has not got yet (the shadows' bookkeeping, the host
 * table), and enters the guest the way the new technique always does.  The
 * virtual timer and console stay in struct vm, and the guest's memory stays
 * where it is: hv.c puts a single VM at host address 0 under every
 * technique.  The guest notices nothing but the time the switch took.
 *
 * What cannot be switched is refused before anything changes: several VMs
 * (shadow paging, te and bt run one), pv (a different build of the kernel)
 * and native (no hypervisor to switch with).
 */
#include <string.h>

#include "cpu/decode.h"
#include "hypervisor/hv.h"
#include "hypervisor/technique.h"

/* te and bt: the guest on the real CPU, its control registers in hv->vcpu */
static bool is_soft(enum hv_mode mode) { return hv_technique(mode)->deprivileged; }

/* Every field of the virtual CPU that moves between the CPU and the VMCS. */
#define VCPU_FIELDS (ISA_NREGS + 1 + CR_COUNT)

/* The guest's paging registers, which shadow paging keeps in hv->vcpu.cr. */
static const int paging_crs[] = {CR_PTB, CR_ASID, CR_MMU};

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
    const struct hv_technique *from = hv_technique(hv->cfg.mode), *to = hv_technique(mode);
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
    struct vmcs *v = &m->vmx.vmcs[0];
    if (hv->cfg.mode == HV_HW) {
        if (m->cpu.nonroot) {
            /* the hypervisor takes the CPU with a host interrupt of its own */
            vmx_leave(m);
            vm->exits++;
            vm->exits_by_reason[EXIT_EXTINT]++;
        }
        hv_account(hv);
        if (hv->cfg.mmu == HV_MMU_SHADOW)
            for (unsigned i = 0; i < sizeof paging_crs / sizeof paging_crs[0]; i++)
                v->cr[paging_crs[i]] = hv->vcpu.cr[paging_crs[i]];
        v->irq_window = false;
    } else {
        memcpy(v->r, m->cpu.r, sizeof v->r);
        v->pc = m->cpu.pc;
        memcpy(v->cr, hv->vcpu.cr, sizeof v->cr);
        v->trap_depth = 0;
        v->detour = m->detour;   /* where it stopped (cpu_resume_unseen) */
        m->trap_to_hv = false;
        m->bt_active = false;
        hv_account(hv);   /* the time it ran under te or bt */
    }
    if (vm->state == VM_HALTED) {
        /* halted under hw (hlt with the timer running): it waits for its
         * timer first, as it would have, so that it runs again */
        if (!vm->vtimer.pending && vm->vtimer.deadline > m->st.cycles)
            cpu_charge(m, CY_IDLE, vm->vtimer.deadline - m->st.cycles);
        vm->state = VM_RUNNABLE;
    }
    hv->running = -1;
}

/* Enters the guest from VMCS 0 under the technique in hv->cfg, as that
 * technique always enters it (te_enter; hv_schedule and VM entry). */
static void put_in(struct hv *hv)
{
    struct machine *m = hv->m;
    struct vm *vm = &hv->vms[0];
    struct vmcs *v = &m->vmx.vmcs[0];
    hv_set_machine_mode(hv);
    if (hv->cfg.mmu == HV_MMU_SHADOW) memcpy(hv->vcpu.cr, v->cr, sizeof hv->vcpu.cr);
    if (is_soft(hv->cfg.mode)) {
        memcpy(m->cpu.r, v->r, sizeof v->r);
        m->cpu.r[ISA_NREGS] = 0;
        m->cpu.pc = v->pc;
        m->cpu.trap_depth = 0;
        /* the host timer stands for the guest's again (te.c); a timer
         * interrupt pending for it is taken at once, as a VM entry would
         * inject it */
        m->timer.period = vm->vtimer.period;
        m->timer.deadline = vm->vtimer.deadline;
        m->timer.pending = vm->vtimer.pending && (hv->vcpu.cr[CR_SR] & SR_IE);
        te_enter(hv);
        /* the switch is the hypervisor's business: the guest goes on as
         * though nothing had stopped it (as VM entry does, cpu/vmx.c) */
        m->detour = v->detour;
        v->detour.kind = DETOUR_NONE;
        cpu_resume_unseen(m);
        return;
    }
    if (hv->cfg.mmu == HV_MMU_SHADOW) shadow_load_context(hv, false);   /* into the VMCS */
    hv_set_exit_controls(hv, vm);
    hv_schedule(hv, false);
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

/* Binary translation's code cache starts afresh in the new technique. */
static void drop_code_cache(struct machine *m)
{
    for (uint32_t p = 0; m->bt_pages && p < m->memsize >> 12; p++)
        if (m->bt_pages[p] && m->bt_pages[p]->valid) {
            m->bt_pages[p]->valid = false;
            m->bt.invalidations++;
        }
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
    if (mode == hv->cfg.mode && mmu == hv->cfg.mmu) {
        /* nothing to change — but if the run stopped while the VM was
         * halted under hw, no guest is loaded: enter it again, as the
         * scheduler would have had the stop not come */
        if (hv->cfg.mode == HV_HW && !m->cpu.nonroot) {
            take_out(hv);
            put_in(hv);
        }
        return true;
    }
    enum hv_mode was = hv->cfg.mode;
    take_out(hv);
    if (!prepare_mmu(hv, mmu, err, errlen)) {
        put_in(hv);   /* back into the technique it ran under */
        return false;
    }
    /* te and bt see the same shadow in the same rings: their TLB stays */
    if (!is_soft(was) || !is_soft(mode)) flush_translations(m);
    drop_code_cache(m);
    hv->cfg.mode = mode;
    hv->cfg.mmu = mmu;
    hv->switches++;
    hv_charge_op(hv, 1);
    /* the virtual CPU moves between the CPU and the VMCS: one access a field */
    if (is_soft(was) != is_soft(mode))
        cpu_charge(m, CY_HV, (uint64_t)VCPU_FIELDS * (is_soft(mode) ? m->prof.vmcs_read : m->prof.vmcs_write));
    put_in(hv);
    return true;
}
