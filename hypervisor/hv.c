/*
 * hv.c — VMs, their memory, their VMCS, and which one runs.
 *
 * Host memory: VM 0 at host address 0, then the hypervisor's own frames
 * (host page tables, shadow tables), then the other VMs down from the top,
 * each region 4 MiB-aligned so that large host pages can map it.  A single
 * VM thus sits at the same place under every technique, which is what lets
 * it switch technique live (switch.c).  Scheduling is round-robin on the
 * host timer: a VM runs for a slice, or until it halts; an idle host
 * fast-forwards to the next virtual timer.
 */
#include <stdlib.h>
#include <string.h>

#include "hypervisor/hooks.h"
#include "hypervisor/technique.h"
#include "hypervisor/vcpu.h"

static uint32_t align_up(uint32_t v, uint32_t a) { return (v + a - 1) / a * a; }

/* Frames the host tables of one VM can need, at worst. */
static uint32_t table_frames(uint32_t vm_memsize, unsigned host_levels)
{
    unsigned bits[MMU_MAX_LEVELS];
    mmu_level_bits(host_levels, bits);
    uint32_t frames = 1, span_pages = vm_memsize >> 12;
    for (int l = (int)host_levels - 1; l > 0; l--) {
        span_pages = (span_pages + (1u << bits[l]) - 1) >> bits[l];
        frames += span_pages;
    }
    return frames;
}

#define SHADOW_POOL (8u << 20)   /* frames for shadow tables */

uint32_t hv_host_memsize(int nvms, uint32_t vm_memsize, unsigned host_levels)
{
    uint32_t own = (64u << 10) + SHADOW_POOL;
    own += (uint32_t)nvms * table_frames(vm_memsize, host_levels) * 4096u;
    return align_up(own, HV_VM_ALIGN) + (uint32_t)nvms * align_up(vm_memsize, HV_VM_ALIGN);
}

bool hv_init(struct hv *hv, struct machine *m, const struct hv_config *cfg, char *err, size_t errlen)
{
    memset(hv, 0, sizeof *hv);
    hv->m = m;
    hv->cfg = *cfg;
    if (!hv->cfg.vm_memsize) hv->cfg.vm_memsize = 16u << 20;
    if (!hv->cfg.host_levels) hv->cfg.host_levels = m->levels;
    if (!hv->cfg.slice) hv->cfg.slice = 200000;
    const struct hv_technique *t = hv_technique(cfg->mode);
    char why[160];
    if (!t || !hv_technique_virtual(t) || !hv_technique_allows(t, cfg->mmu, why, sizeof why)) {
        snprintf(err, errlen, "this hypervisor runs --mode te|bt|hw --mmu shadow, --mode hw --mmu nested, "
                              "and --mode pv (which needs no --mmu: the guest's own tables are validated)");
        return false;
    }
    hv->running = -1;
    hv->next_frame = 4096; /* page 0 stays empty */
    hv->frames_end = m->memsize;
    m->hv = hv;
    hv_hooks_install(hv);          /* the CPU reaches the hypervisor only through these */
    m->vmx.cur = -1;
    hv_set_machine_mode(hv);
    return true;
}

void hv_set_machine_mode(struct hv *hv)
{
    struct machine *m = hv->m;
    /* a guest in its own ring 0 needs a ring -1 below it; a deprivileged
     * one leaves ring 0 to the hypervisor */
    bool vmx = !hv_technique_of(hv)->deprivileged, nested = vmx && hv->cfg.mmu == HV_MMU_NESTED;
    m->vmx.enabled = vmx;
    m->vmx.nested = nested;
    m->mmu.phys_space = false;     /* shadow paging sets it (shadow_load_context) */
    /* hw+shadow runs one VM: its TLB entries need no tag */
    m->vmx.vpid_tags = nested && !hv->no_vpid;
    /* what makes each VM exit depends on the MMU technique (a VM added
     * later gets its own in hv_add_vm) */
    for (int i = 0; vmx && i < hv->nvms; i++) hv_set_exit_controls(hv, &hv->vms[i]);
}

void hv_free(struct hv *hv)
{
    /* allocated now or before a live switch */
    shadow_free(hv);
    for (int i = 0; i < HV_MODE_COUNT; i++) {
        const struct hv_technique *t = hv_technique((enum hv_mode)i);
        if (t->free) t->free(hv);
    }
    hv_hooks_remove(hv);
    free(hv->clones.index);
    hv->clones.index = NULL;
    free(hv->dirty.bits);
    free(hv->post.remote);
    free(hv->post.have);
    hv->dirty.bits = hv->post.remote = hv->post.have = NULL;
    for (int i = 0; i < hv->nvms; i++) disk_detach(&hv->vms[i].disk);
    for (int i = 0; i < hv->nvms; i++) net_detach(&hv->vms[i].nic);
    if (hv->m) hv->m->hv = NULL;
}

bool hv_add_vm(struct hv *hv, const char *name, const struct isa_image *img, const char *boot_args,
               char *err, size_t errlen)
{
    struct machine *m = hv->m;
    if (hv->nvms >= MAX_VMS) {
        snprintf(err, errlen, "at most %d VMs", MAX_VMS);
        return false;
    }
    int i = hv->nvms;
    struct vm *vm = &hv->vms[i];
    memset(vm, 0, sizeof *vm);
    snprintf(vm->name, sizeof vm->name, "%s", name);
    vm->index = i;
    vm->size = hv->cfg.vm_memsize;
    uint32_t vm_span = align_up(vm->size, HV_VM_ALIGN);
    if (i == 0) {
        /* VM 0 at host address 0, the hypervisor's frames above it, under
         * every technique: a single VM keeps its place when it switches live
         * (and hw+shadow needs it there: its vector table is read at the
         * guest-physical address) */
        vm->base = 0;
        hv->next_frame = vm_span;
        if (vm_span > hv->frames_end) {
            snprintf(err, errlen, "host memory too small for VM %d", i);
            return false;
        }
    } else {
        /* the others are stacked down from the top of host memory; the
         * hypervisor's own frames grow up and may not reach them */
        vm->base = m->memsize - vm_span * (uint32_t)i;
        if (vm->base < hv->next_frame) {
            snprintf(err, errlen, "host memory too small for VM %d", i);
            return false;
        }
        hv->frames_end = vm->base;
    }
    vm->at_line_start = true;
    /* load the image at its guest-physical addresses */
    for (int s = 0; s < img->nsegments; s++) {
        const struct isa_segment *seg = &img->segments[s];
        if (seg->memsz > vm->size || seg->vaddr > vm->size - seg->memsz) {
            snprintf(err, errlen, "%s: segment %d (0x%08x, %u bytes) does not fit in %u bytes of guest memory",
                     name, s, seg->vaddr, seg->memsz, vm->size);
            return false;
        }
        if (seg->filesz) memcpy(m->mem + vm->base + seg->vaddr, seg->data, seg->filesz);
    }
    if (boot_args) {
        size_t n = strlen(boot_args);
        if (n > BOOT_ARGS_MAX - 1) n = BOOT_ARGS_MAX - 1;
        memcpy(m->mem + vm->base + BOOT_ARGS_ADDR, boot_args, n);
        m->mem[vm->base + BOOT_ARGS_ADDR + n] = 0;
    }
    /* its virtual CPU: reset state, and the controls of hardware assist */
    struct vmcs *v = &m->vmx.vmcs[i];
    memset(v, 0, sizeof *v);
    v->pc = img->entry;
    v->r[ISA_REG_SP] = vm->size;
    hv_set_exit_controls(hv, vm);
    v->ept_levels = hv->cfg.host_levels;
    v->vpid = (uint16_t)(i + 1);
    v->guest_memsize = vm->size;
    if (hv->cfg.mmu == HV_MMU_NESTED && !nested_build(hv, vm, &v->ept_root, err, errlen)) return false;
    if (hv->cfg.mmu == HV_MMU_SHADOW) {
        if (i > 0) {
            snprintf(err, errlen, "shadow paging runs one VM");
            return false;
        }
        if (!shadow_init(hv, err, errlen)) return false;
    }
    const struct hv_technique *t = hv_technique_of(hv);
    if (i > 0 && !(t->many_vms_mmus & HV_MMU_BIT(hv->cfg.mmu))) {
        snprintf(err, errlen, "%s runs one VM", t->title);
        return false;
    }
    if (t->init && !t->init(hv, err, errlen)) return false;
    hv->nvms++;
    m->vmx.nvmcs = hv->nvms;
    return true;
}

void hv_set_exit_controls(struct hv *hv, struct vm *vm)
{
    struct vmcs *v = &hv->m->vmx.vmcs[vm->index];
    memset(v->exit_on_op, 0, sizeof v->exit_on_op);
    v->cr_exit_mask = v->exception_bitmap = 0;
    v->exit_on_op[OP_IN] = v->exit_on_op[OP_OUT] = v->exit_on_op[OP_HLT] = true;
    if (hv->cfg.mmu == HV_MMU_SHADOW) {
        /* early VT-x without nested paging: the hypervisor must see every
         * page-table switch, TLB invalidation and page fault to keep its
         * shadow tables right */
        v->exit_on_op[OP_MTCR] = v->exit_on_op[OP_MFCR] = v->exit_on_op[OP_SPTB] = true;
        /* like CR3/CR0/CR4 on x86: only the paging registers, and the
         * read-only ones whose guest value differs from the machine's */
        v->cr_exit_mask = (1u << CR_PTB) | (1u << CR_MMU) | (1u << CR_ASID) | (1u << CR_MEMSIZE);
        v->exit_on_op[OP_INVLPG] = v->exit_on_op[OP_TLBFLUSH] = true;
        v->exception_bitmap = 1u << CAUSE_PAGE_FAULT;
    }
}

/* ---- VMCS access: what the hypervisor's handlers pay ------------------------ */
void hv_charge_op(struct hv *hv, unsigned n) { cpu_charge(hv->m, CY_HV, (uint64_t)n * hv->m->prof.hv_op); }
static void charge_read(struct hv *hv) { cpu_charge(hv->m, CY_HV, hv->m->prof.vmcs_read); }
static void charge_write(struct hv *hv) { cpu_charge(hv->m, CY_HV, hv->m->prof.vmcs_write); }

uint32_t hv_vmcs_read_reg(struct hv *hv, struct vm *vm, int reg)
{
    charge_read(hv);
    return hv->m->vmx.vmcs[vm->index].r[reg];
}
void hv_vmcs_write_reg(struct hv *hv, struct vm *vm, int reg, uint32_t v)
{
    charge_write(hv);
    if (reg) hv->m->vmx.vmcs[vm->index].r[reg] = v;
}
uint32_t hv_vmcs_read_pc(struct hv *hv, struct vm *vm)
{
    charge_read(hv);
    return hv->m->vmx.vmcs[vm->index].pc;
}
void hv_vmcs_write_pc(struct hv *hv, struct vm *vm, uint32_t pc)
{
    charge_write(hv);
    hv->m->vmx.vmcs[vm->index].pc = pc;
}
uint32_t hv_vmcs_read_cr(struct hv *hv, struct vm *vm, int cr)
{
    charge_read(hv);
    return hv->m->vmx.vmcs[vm->index].cr[cr];
}

/* ---- life and death of VMs ---------------------------------------------------- */
void hv_vm_done(struct hv *hv, struct vm *vm, uint32_t code, bool killed, const char *why)
{
    vm->state = VM_DONE;
    vm->exit_code = code;
    vm->killed = killed;
    snprintf(vm->detail, sizeof vm->detail, "%s", why);
    if (killed && hv->m->con.out) {
        fflush(hv->m->con.out);
        fprintf(stderr, "ringsim: VM %s killed: %s\n", vm->name, why);
    }
}

void hv_account(struct hv *hv)
{
    if (hv->running < 0) return;
    struct vm *vm = &hv->vms[hv->running];
    vm->cycles += hv->m->st.cycles - vm->loaded_at_cycles;
    vm->instructions += hv->m->st.instructions - vm->loaded_at_insns;
    /* booked: its clock starts again from now */
    vm->loaded_at_cycles = hv->m->st.cycles;
    vm->loaded_at_insns = hv->m->st.instructions;
}

/* Programs the host timer for the next thing the hypervisor must see while
 * the running VM runs: the end of its slice, or its own next virtual-timer
 * tick or disk completion (vdev_next_event), whichever comes first.  Never another VM's: a VM that is not
 * running cannot take an interrupt anyway — its due tick is simply made
 * pending (coalesced, like every tick missed meanwhile) by vdev_deliver
 * when it is next scheduled, or wakes it from hlt at a scheduling point —
 * and looking at its deadline here would only make the running VM exit at
 * every block once that deadline is past.  Nor the running VM's own
 * deadline while a tick is still pending for it: a tick then would only
 * coalesce into that one, and the guest's acknowledgement (an io exit,
 * vdev.c) moves the deadline on and programs the timer again.  So a VM
 * that asks for a tick every cycle pays for its interrupts within its own
 * slice, and the slice's end still comes. */
void hv_program_timer(struct hv *hv)
{
    struct machine *m = hv->m;
    uint64_t next = hv->slice_end;
    if (hv->running >= 0) {
        uint64_t dev = vdev_next_event(hv, &hv->vms[hv->running]);
        if (dev < next) next = dev;
    }
    if (next <= m->st.cycles) next = m->st.cycles + 1;
    m->timer.pending = false;
    m->timer.period = (uint32_t)(next - m->st.cycles);
    m->timer.deadline = next;
}

static bool wakes(const struct hv *hv, const struct vm *vm)
{
    return vm->vtimer.pending || (vm->vtimer.period && hv->m->st.cycles >= vm->vtimer.deadline) ||
           disk_irq_line(&vm->disk, hv->m->st.cycles) || net_irq_line(&vm->nic) ||
           net_next_arrival(&vm->nic) <= hv->m->st.cycles;   /* a frame has arrived for it */
}

void hv_schedule(struct hv *hv, bool preempt)
{
    struct machine *m = hv->m;
    hv_account(hv);
    if (hv->clones.share_period) hv_clone_tick(hv);
    bool stop_at_limit = false;   /* the cycle limit came while every VM was halted */
    for (;;) {
        /* halted VMs whose timer is due become runnable */
        for (int i = 0; i < hv->nvms; i++)
            if (hv->vms[i].state == VM_HALTED && wakes(hv, &hv->vms[i])) hv->vms[i].state = VM_RUNNABLE;
        int start = hv->running < 0 ? 0 : hv->running + (preempt ? 1 : 0), pick = -1;
        for (int k = 0; k < hv->nvms; k++) {
            int i = (start + k) % hv->nvms;
            if (hv->vms[i].state == VM_RUNNABLE) { pick = i; break; }
        }
        if (pick >= 0) {
            struct vm *vm = &hv->vms[pick];
            if (pick != hv->running || preempt) hv->slice_end = m->st.cycles + hv->cfg.slice;
            if (pick != hv->running) hv_charge_op(hv, 2); /* a world switch */
            hv->running = pick;
            vdev_deliver(hv, vm);
            hv_program_timer(hv);
            vm->loaded_at_cycles = m->st.cycles;
            vm->loaded_at_insns = m->st.instructions;
            vmx_enter(m, pick);
            if (stop_at_limit)
                machine_stop(m, STOP_CYCLE_LIMIT, "cycle limit %llu reached while every VM was halted",
                             (unsigned long long)m->max_cycles);
            return;
        }
        /* nothing runnable: idle until the earliest virtual timer or disk */
        uint64_t wake = UINT64_MAX;
        bool any_left = false;
        for (int i = 0; i < hv->nvms; i++) {
            const struct vm *vm = &hv->vms[i];
            if (vm->state == VM_DONE) continue;
            any_left = true;
            uint64_t at = vdev_wake_at(hv, vm);
            if (at < wake) wake = at;
        }
        if (!any_left || wake == UINT64_MAX) {
            /* every VM is done (or halted for ever) */
            for (int i = 0; i < hv->nvms; i++)
                if (hv->vms[i].state == VM_HALTED) hv_vm_done(hv, &hv->vms[i], 0, false, "halted");
            m->exit_code = hv->vms[0].exit_code;
            if (hv->vms[0].killed)
                /* the run ends as the first VM did: as on bare metal, a
                 * guest stopped by a triple fault is not an exit */
                machine_stop(m, STOP_TRIPLE, "every VM has ended; VM %s was stopped by the hypervisor: %s",
                             hv->vms[0].name, hv->vms[0].detail);
            else
                machine_stop(m, STOP_EXIT, "every VM has ended");
            hv->running = -1;
            return;
        }
        if (m->max_cycles && wake > m->max_cycles) wake = m->max_cycles;
        if (wake > m->st.cycles) cpu_charge(m, CY_IDLE, wake - m->st.cycles);
        hv->running = -1;
        preempt = false;
        if (m->max_cycles && m->st.cycles >= m->max_cycles) {
            /* the limit while every VM waits in hlt: as bare metal's hlt at
             * the limit, the run stops with the CPU still the guest's — the
             * VM that would wake first is loaded again past its hlt (where a
             * bare-metal CPU stopped in hlt resumes), so that the next run
             * goes on in non-root mode, never runs guest code as the host */
            int first = -1;
            for (int i = 0; i < hv->nvms; i++)
                if (hv->vms[i].state == VM_HALTED &&
                    (first < 0 || vdev_wake_at(hv, &hv->vms[i]) < vdev_wake_at(hv, &hv->vms[first])))
                    first = i;
            hv->vms[first].state = VM_RUNNABLE;
            stop_at_limit = true;
        }
    }
}

void hv_start(struct hv *hv)
{
    hv->running = -1;
    hv->no_vpid = hv->cfg.mmu == HV_MMU_NESTED && !hv->m->vmx.vpid_tags;  /* --no-vpid (cli/machine.c) */
    hv_technique_of(hv)->enter(hv);
}

/* ---- statistics ------------------------------------------------------------ */
#include <jansson.h>

static json_t *exits_json(uint64_t total, const uint64_t by[EXIT_COUNT])
{
    json_t *o = json_object(), *b = json_object();
    json_object_set_new(o, "total", json_integer((json_int_t)total));
    for (int r = 0; r < EXIT_COUNT; r++)
        if (by[r]) json_object_set_new(b, vmexit_reason_name[r], json_integer((json_int_t)by[r]));
    json_object_set_new(o, "by_reason", b);
    return o;
}

bool hv_guest_word(const struct machine *m, const struct hv *hv, uint32_t gpa, uint32_t *v)
{
    uint32_t base = 0, size = m->memsize;
    if (hv && hv->nvms) {
        base = hv->vms[0].base;
        size = hv->vms[0].size;
    }
    if (gpa > size - 4 || (gpa & 3)) return false;
    if (hv && hv->nvms) base = hv_clone_host_addr(hv, &hv->vms[0], gpa) - gpa;   /* a clone's shared page */
    memcpy(v, m->mem + base + gpa, 4);
    return true;
}

void hv_footprint_json(const struct hv *hv, json_t *o)
{
    uint32_t vm_span = hv->nvms ? align_up(hv->vms[0].size, HV_VM_ALIGN) : 0;
    uint32_t host_tables = hv->next_frame > vm_span ? (hv->next_frame - vm_span) >> 12 : 0;
    const struct shadow *sh = &hv->sh;
    uint32_t shadow_tables = sh->frames_next > sh->frames_start ? (sh->frames_next - sh->frames_start) >> 12 : 0;
    size_t book = 0;
    if (sh->fr) book += (size_t)sh->gframes * sizeof *sh->fr + ((size_t)sh->npool + 1) * sizeof *sh->pg;
    if (hv->pv.fr) book += (size_t)hv->pv.nframes * sizeof *hv->pv.fr;
    uint32_t vm_frames = 0;
    for (int i = 0; i < hv->nvms; i++) vm_frames += hv->vms[i].size >> 12;
    json_object_set_new(o, "footprint", json_pack("{s:I,s:I,s:I,s:I,s:I}",
        "vm_frames", (json_int_t)vm_frames, "table_frames", (json_int_t)host_tables,
        "shadow_table_frames", (json_int_t)shadow_tables, "bookkeeping_bytes", (json_int_t)book,
        "hv_frames", (json_int_t)(host_tables + shadow_tables + (book + 4095) / 4096)));
}

void hv_stats_json(const struct hv *hv, json_t *o)
{
    const struct machine *m = hv->m;
    json_object_set_new(o, "mode", json_string(hv_technique(hv->cfg.mode)->name));
    json_object_set_new(o, "mmu", json_string(hv_mmu_name(hv->cfg.mmu)));
    const struct shadow *sh = &hv->sh;
    json_object_set_new(o, "shadow", json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}",
        "hidden_faults", (json_int_t)sh->hidden_faults, "tracing_faults", (json_int_t)sh->tracing_faults,
        "dirty_faults", (json_int_t)sh->dirty_faults, "cache_hits", (json_int_t)sh->cache_hits,
        "cache_misses", (json_int_t)sh->cache_misses, "resets", (json_int_t)sh->resets,
        "prefetched", (json_int_t)sh->prefetched, "syncs", (json_int_t)sh->syncs,
        "unshadowed", (json_int_t)sh->unshadowed,
        "guest_refs", (json_int_t)sh->guest_refs));
    /* each technique's own counters: the one running, and any that ran
     * before a live switch */
    const struct hv_technique *now = hv_technique_of(hv);
    for (int i = 0; i < HV_MODE_COUNT; i++) {
        const struct hv_technique *t = hv_technique((enum hv_mode)i);
        if (t->stats) t->stats(hv, o, t == now);
    }
    vcpu_stats_json(hv, o);
    json_object_set_new(o, "host_levels", json_integer(hv->cfg.host_levels));
    json_object_set_new(o, "switches", json_integer((json_int_t)hv->switches));
    json_object_set_new(o, "host_large_pages", json_boolean(hv->cfg.host_large_pages));
    json_object_set_new(o, "vmexits", exits_json(m->vmx.exits, m->vmx.exits_by_reason));
    json_t *vms = json_array();
    for (int i = 0; i < hv->nvms; i++) {
        const struct vm *vm = &hv->vms[i];
        json_t *v = json_object();
        json_object_set_new(v, "name", json_string(vm->name));
        json_object_set_new(v, "state", json_string(vm->state == VM_DONE ? (vm->killed ? "killed" : "ended") : "running"));
        json_object_set_new(v, "detail", json_string(vm->detail));
        json_object_set_new(v, "exit_code", json_integer(vm->exit_code));
        /* the VM still loaded (always, under te, bt and pv) counts up to now */
        uint64_t insns = vm->instructions, cycles = vm->cycles;
        if (hv->running == i) {
            insns += m->st.instructions - vm->loaded_at_insns;
            cycles += m->st.cycles - vm->loaded_at_cycles;
        }
        json_object_set_new(v, "instructions", json_integer((json_int_t)insns));
        json_object_set_new(v, "cycles", json_integer((json_int_t)cycles));
        json_object_set_new(v, "memory", json_pack("{s:I,s:I}", "host_base", (json_int_t)vm->base,
                                                   "size", (json_int_t)vm->size));
        json_object_set_new(v, "vmexits", exits_json(vm->exits, vm->exits_by_reason));
        json_t *disk = disk_stats_json(&vm->disk);
        if (disk) {
            /* every access to its ports left the guest: an exit, a trap, a
             * callout or a hypercall, as the technique has it */
            json_object_set_new(disk, "exits", json_integer((json_int_t)vm->disk.port_accesses));
            json_object_set_new(v, "disk", disk);
        }
        json_t *iommu = hv_passthrough_json(hv, vm);   /* pass-through: its direct accesses did not exit */
        if (iommu) {
            /* the direct accesses are the disk's and the network interface's (passed through with it) */
            uint64_t direct = m->iommu.dom[vm->index].direct_accesses - (vm->nic.present ? vm->nic.port_accesses : 0);
            json_object_set_new(disk, "exits", json_integer((json_int_t)(vm->disk.port_accesses - direct)));
            json_object_set_new(v, "iommu", iommu);
        }
        json_array_append_new(vms, v);
    }
    json_object_set_new(o, "vms", vms);
    hv_clone_stats_json(hv, o);
    hv_postcopy_stats_json(hv, o);
    json_object_set_new(json_object_get(o, "walk"), "ntlb_hits", json_integer((json_int_t)m->mmu.st.ntlb_hits));
    json_object_set_new(json_object_get(o, "walk"), "ntlb_entries", json_integer(m->mmu.ntlb_entries));
}
