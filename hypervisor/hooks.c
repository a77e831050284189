/*
 * hooks.c — the hypervisor's side of struct cpu_hooks: what the CPU calls,
 * and the hypervisor's own state in a snapshot of the machine.
 *
 * The CPU hands over at a trap of a deprivileged guest, a VM exit and a
 * binary-translation callout; each goes to the running technique's own
 * handler (technique.h), so a live switch changes where the next one goes.
 *
 * A save file (cpu/savefile.c) takes the same state, field by field
 * (file(), below; shadow_file; each technique's own `file`).
 *
 * A snapshot (cpu/snapshot.c, the debugger's reverse execution) must put
 * back everything that changes what the machine does next, and the
 * hypervisor's bookkeeping does: struct hv, and the arrays it points at
 * whose filling costs cycles — shadow paging's per-frame bookkeeping and
 * pool, copied here, and each technique's own state, which the technique
 * copies (snap_save, snap_restore: pv's page-table validation).  A new
 * array hanging off struct hv must be copied by one of them.
 */
#include <stdlib.h>
#include <string.h>

#include "hypervisor/hooks.h"
#include "hypervisor/technique.h"

/* ---- the CPU's calls, to the running technique ---------------------------- */
static void trap(struct machine *m, enum isa_cause cause, uint32_t badaddr, uint32_t epc)
{
    hv_technique_of(m->hv)->on_trap(m->hv, cause, badaddr, epc);
}

static void vm_exit(struct machine *m) { hv_technique_of(m->hv)->on_exit(m->hv); }

static void callout(struct machine *m, uint32_t pc) { hv_technique_of(m->hv)->on_callout(m->hv, pc); }

/* ---- snapshots ---------------------------------------------------------------- */
struct hv_snapshot {
    struct hv hv;
    struct shadow_frame *sh_fr;    /* copies of the per-frame bookkeeping: shadow paging */
    struct shadow_page *sh_pg;     /* ... the shadow pool's */
    void *own[HV_MODE_COUNT];      /* each technique's own state (snap_save) */
    size_t own_bytes[HV_MODE_COUNT];
};

static void *dup_array(const void *src, size_t n, size_t size)
{
    if (!src || !n) return NULL;
    void *p = malloc(n * size);
    if (p) memcpy(p, src, n * size);
    return p;
}

static void snap_free(void *saved)
{
    struct hv_snapshot *s = saved;
    if (!s) return;
    free(s->sh_fr);
    free(s->sh_pg);
    for (int i = 0; i < HV_MODE_COUNT; i++) free(s->own[i]);
    free(s);
}

static void *snap_save(const void *ctx)
{
    const struct hv *hv = ctx;
    struct hv_snapshot *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->hv = *hv;
    s->sh_fr = dup_array(hv->sh.fr, hv->sh.gframes, sizeof *hv->sh.fr);
    s->sh_pg = dup_array(hv->sh.pg, hv->sh.npool + 1, sizeof *hv->sh.pg);
    bool ok = !(hv->sh.fr && !s->sh_fr) && !(hv->sh.pg && !s->sh_pg);
    for (int i = 0; ok && i < HV_MODE_COUNT; i++) {
        const struct hv_technique *t = hv_technique((enum hv_mode)i);
        if (t->snap_save) ok = t->snap_save(hv, &s->own[i], &s->own_bytes[i]);
    }
    if (!ok) {
        snap_free(s);
        return NULL;
    }
    return s;
}

/* Restores struct hv; its arrays stay the live ones, refilled. */
static void snap_restore(void *ctx, const void *saved)
{
    struct hv *hv = ctx;
    const struct hv_snapshot *s = saved;
    struct hv live = *hv;
    *hv = s->hv;
    hv->m = live.m;   /* the hypervisor's own back-pointer */
    hv->sh.fr = live.sh.fr;
    hv->sh.pg = live.sh.pg;
    hv->dirty = live.dirty;   /* a migration's log is not part of the machine's state */
    hv->post = live.post;     /* nor are the pages post-copy has yet to fetch */
    /* each VM's network interface keeps its own FIFO (a migration restores
     * another host's VM here): the frames are copied in by cpu/snapshot.c */
    for (int i = 0; i < MAX_VMS; i++) hv->vms[i].nic.fifo = live.vms[i].nic.fifo;
    if (s->sh_fr && live.sh.fr && live.sh.gframes == s->hv.sh.gframes)
        memcpy(live.sh.fr, s->sh_fr, live.sh.gframes * sizeof *live.sh.fr);
    if (s->sh_pg && live.sh.pg && live.sh.npool == s->hv.sh.npool)
        memcpy(live.sh.pg, s->sh_pg, (live.sh.npool + 1) * sizeof *live.sh.pg);
    for (int i = 0; i < HV_MODE_COUNT; i++) {
        const struct hv_technique *t = hv_technique((enum hv_mode)i);
        if (t->snap_restore) t->snap_restore(hv, &live, s->own[i]);
    }
}

static size_t snap_bytes(const void *saved)
{
    const struct hv_snapshot *s = saved;
    size_t n = sizeof *s + (s->sh_fr ? s->hv.sh.gframes * sizeof *s->sh_fr : 0) +
               (s->sh_pg ? (s->hv.sh.npool + 1) * sizeof *s->sh_pg : 0);
    for (int i = 0; i < HV_MODE_COUNT; i++) n += s->own_bytes[i];
    return n;
}

/* ---- save files ---------------------------------------------------------------------
 * struct hv field by field (cpu/savefile.c's visitors: one function writes
 * and reads), then shadow paging's bookkeeping and each technique's own
 * state.  The machine it is read into was built with the same VMs (names,
 * memory), so those are checked, not taken. */
static void vm_file(struct savefile *f, struct vm *vm)
{
    sf_string(f, vm->name, sizeof vm->name);
    sf_same(f, "a VM's index", (uint32_t)vm->index);
    sf_same(f, "a VM's base", vm->base);
    sf_same(f, "a VM's size", vm->size);
    SF_ENUM(f, vm->state);
    sf_u32(f, &vm->exit_code);
    sf_string(f, vm->detail, sizeof vm->detail);
    sf_bool(f, &vm->killed);
    sf_u32(f, &vm->vtimer.period);
    sf_u64(f, &vm->vtimer.deadline);
    sf_bool(f, &vm->vtimer.pending);
    sf_bool(f, &vm->at_line_start);
    sf_bool(f, &vm->con_irq);
    sf_u64(f, &vm->console_bytes);
    disk_file(f, &vm->disk);
    sf_u64(f, &vm->exits);
    sf_u64s(f, "exit reasons", vm->exits_by_reason, EXIT_COUNT);
    uint64_t *c[] = {&vm->instructions, &vm->cycles, &vm->loaded_at_cycles, &vm->loaded_at_insns};
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) sf_u64(f, c[i]);
}

static void file(void *ctx, struct savefile *f)
{
    struct hv *hv = ctx;
    SF_ENUM(f, hv->cfg.mode);
    SF_ENUM(f, hv->cfg.mmu);
    if ((unsigned)hv->cfg.mode >= HV_MODE_COUNT || (unsigned)hv->cfg.mmu >= HV_MMU_COUNT) {
        sf_fail(f, "technique %u with MMU technique %u: no such technique", hv->cfg.mode, hv->cfg.mmu);
        return;
    }
    sf_same(f, "VM memory bytes", hv->cfg.vm_memsize);
    sf_unsigned(f, &hv->cfg.host_levels);
    sf_bool(f, &hv->cfg.host_large_pages);
    sf_u32(f, &hv->cfg.slice);
    sf_same(f, "VMs", (uint32_t)hv->nvms);
    for (int i = 0; i < hv->nvms && sf_ok(f); i++) vm_file(f, &hv->vms[i]);
    sf_int(f, &hv->running);
    if (hv->running < -1 || hv->running >= hv->nvms) sf_fail(f, "running VM %d of %d", hv->running, hv->nvms);
    sf_u64(f, &hv->slice_end);
    sf_u32(f, &hv->next_frame);
    sf_u32(f, &hv->frames_end);
    sf_u64(f, &hv->ept_entries_written);
    sf_u32s(f, "virtual control registers", hv->vcpu.cr, CR_COUNT);
    sf_u64(f, &hv->vcpu.emulated);
    sf_u64(f, &hv->vcpu.reflected);
    sf_u64(f, &hv->vcpu.hv_interrupts);
    sf_u64s(f, "emulated opcodes", hv->vcpu.emulated_by_op, OP_COUNT);
    sf_bool(f, &hv->in_callout);
    sf_u64(f, &hv->switches);
    sf_bool(f, &hv->no_vpid);
    if (!sf_ok(f)) return;
    shadow_file(hv, f);
    for (int i = 0; i < HV_MODE_COUNT && sf_ok(f); i++) {
        const struct hv_technique *t = hv_technique((enum hv_mode)i);
        if (t->file) t->file(hv, f);
    }
}

static const struct cpu_hooks hv_hooks = {
    .file = file,
    .trap = trap,
    .exit = vm_exit,
    .callout = callout,
    .snap_save = snap_save,
    .snap_restore = snap_restore,
    .snap_free = snap_free,
    .snap_bytes = snap_bytes,
    .iommu_fault = hv_iommu_fault,
};

void hv_hooks_install(struct hv *hv)
{
    hv->m->hooks = &hv_hooks;
    hv->m->hooks_ctx = hv;
}

void hv_hooks_remove(struct hv *hv)
{
    if (!hv->m) return;
    hv->m->hooks = NULL;
    hv->m->hooks_ctx = NULL;
}
