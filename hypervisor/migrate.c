/*
 * migrate.c — live migration: a running VM moved from one simulated host to
 * another by pre-copy (Clark et al., "Live Migration of Virtual Machines",
 * NSDI 2005), the one idea being that memory can be copied while the guest
 * goes on writing it, as long as the pages it writes again are sent again.
 *
 * Round 1 sends every page of the VM while the guest runs on the source;
 * each later round sends the pages the guest wrote during the round before,
 * found by the dirty log: the technique's own write protection
 * (technique.h's dirty_log — the nested table's leaves under hw with nested
 * paging, the shadow tables under shadow paging, a shadow of its
 * validated tables for the rounds under pv; the hypervisor's own writes
 * into the VM are logged by hv_guest_write).  A round's pages are
 * copied as it starts, and it lasts as long as the link takes to carry
 * them: latency + pages x 4096 / bandwidth cycles, during which the guest
 * runs on.  Rounds stop when one leaves few enough pages dirty (the stop
 * condition), when the dirty set stops shrinking (the guest writes faster
 * than the link carries), or after a maximum number of rounds.  Then
 * stop-and-copy: the guest is paused, the last dirty pages and its virtual
 * CPU and devices (one page, HV_MIGRATE_STATE_BYTES) are sent, and it
 * resumes on the target.  The pause is the downtime.
 *
 * The target is another machine of the same shape: its memory holds exactly
 * the pages the rounds sent, and the rest of the state — the CPU, the
 * VMCS, the devices, the hypervisor's bookkeeping, its tables in host
 * memory — is moved by the machine's snapshot (cpu/snapshot.c, through the
 * hypervisor's hooks).  Its cost profile stays its own.  The guest's clock
 * runs on across the move, the downtime included, as a real guest's would.
 *
 * The copying itself is the source's dom0 work on another core: it costs
 * the guest nothing but the log's write faults and the downtime.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "hypervisor/technique.h"

static uint32_t count_marked(const struct hv *hv)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < (hv->dirty.pages + 7) / 8; i++) n += (uint32_t)__builtin_popcount(hv->dirty.bits[i]);
    return n;
}

/* Cycles the link takes to carry n bytes. */
static uint64_t link_cycles(const struct hv_link *l, uint64_t bytes)
{
    return l->latency + (bytes + l->bytes_per_cycle - 1) / l->bytes_per_cycle;
}

bool hv_migrate_can(const struct hv *hv, char *err, size_t errlen)
{
    const struct hv_technique *t = hv_technique_of(hv);
    char name[32];
    hv_config_name(hv->cfg.mode, hv->cfg.mmu, name, sizeof name);
    if (hv->cfg.passthrough) {
        snprintf(err, errlen, "a VM with a passed-through device cannot be migrated: its device's DMA writes "
                              "no dirty log");
        return false;
    }
    if (!t->dirty_log) {
        snprintf(err, errlen, "%s has no dirty log to pre-copy with (use te, bt, hw+shadow, hw+nested or pv)", name);
        return false;
    }
    if (hv->nvms != 1) {
        snprintf(err, errlen, "the host runs %d VMs; a migration moves a host's only VM", hv->nvms);
        return false;
    }
    if (hv->clones.active) {
        snprintf(err, errlen, "a clone shares its memory with the template on this host: it cannot move alone");
        return false;
    }
    if (hv->cfg.mmu == HV_MMU_NESTED && hv->cfg.host_large_pages) {
        snprintf(err, errlen, "--host-large-pages: the dirty log protects the host table page by page; "
                              "migrate without large host pages");
        return false;
    }
    if (hv->vms[0].disk.present) {
        snprintf(err, errlen, "the VM has a disk (--disk): its file is this host's, and no shared storage is "
                              "simulated");
        return false;
    }
    return true;
}

/* ---- the network interface (--net) --------------------------------------------
 * The VM's interface goes with it: its registers and the frames in flight
 * to it (its FIFO — the only port of the host's switch but the echo host,
 * since a migrating host runs one VM) are part of the state the snapshot
 * moves.  Its DMA into the VM (a frame received, a ring's status words) is
 * no write of the guest's, so no fault of the log sees it: the backend
 * logs it itself, as vhost does — while the log is on, the interface's DMA
 * window reports every write here, which marks the pages and passes the
 * news on to whoever heard it before (shadow paging's dma_write). */
struct nic_log {
    struct hv *hv;
    struct disk_window orig;
};

static void nic_dma_logged(void *ctx, uint32_t gpa, uint32_t len)
{
    struct nic_log *l = ctx;
    for (uint32_t f = gpa >> 12; len && f <= (gpa + len - 1) >> 12; f++) hv_dirty_mark(l->hv, f);
    if (l->orig.wrote) l->orig.wrote(l->orig.ctx, gpa, len);
}

static bool nic_may_write(void *ctx, uint32_t gpa, uint32_t len)
{
    const struct nic_log *l = ctx;
    return l->orig.may_write(l->orig.ctx, gpa, len);
}

static void nic_log_on(struct hv *hv, struct nic_log *l)
{
    struct nic *nic = &hv->vms[0].nic;
    if (!nic->present) return;
    l->hv = hv;
    l->orig = hv->m->netsw->win[nic->port];
    struct disk_window w = l->orig;
    w.ctx = l;
    w.wrote = nic_dma_logged;
    w.may_write = l->orig.may_write ? nic_may_write : NULL;
    net_set_window(hv->m->netsw, nic, &w);
}

static void nic_log_off(struct hv *hv, const struct nic_log *l)
{
    if (hv->vms[0].nic.present) net_set_window(hv->m->netsw, &hv->vms[0].nic, &l->orig);
}

/* The target must have the source's network: an interface for the VM on a
 * switch of the same ports and latency. */
static bool same_network(const struct hv *src, const struct hv *dst, const struct hv_migrate_cfg *cfg, char *err,
                         size_t errlen)
{
    const struct netswitch *a = src->m->netsw, *b = dst->m->netsw;
    if (!src->vms[0].nic.present) return true;
    if (!b || !dst->vms[0].nic.present || a->nports != b->nports || a->latency != b->latency) {
        snprintf(err, errlen, "the VM has a network interface (--net, latency %llu) and the target host's network "
                              "is not the same (give the target --net with the same --net-latency)",
                 (unsigned long long)a->latency);
        return false;
    }
    if (cfg->post_copy) {
        snprintf(err, errlen, "post-copy with a network interface (--net): a frame arriving on the target would be "
                              "written into a page not fetched yet; migrate it by pre-copy");
        return false;
    }
    return true;
}

/* Copies the pages marked in the log (all of them when all) from the VM's
 * memory into img; returns how many. */
static uint32_t send_pages(const struct hv *hv, uint8_t *img, bool all)
{
    const struct vm *vm = &hv->vms[0];
    uint32_t n = 0;
    for (uint32_t f = 0; f < hv->dirty.pages; f++)
        if (all || hv_dirty_marked(hv, f)) {
            memcpy(img + ((size_t)f << 12), hv->m->mem + vm->base + ((size_t)f << 12), 4096);
            n++;
        }
    return n;
}

/* Takes the marks away once their pages are protected again. */
static void rearm(struct hv *hv)
{
    hv_technique_of(hv)->dirty_log(hv, HV_DIRTY_REARM);
    memset(hv->dirty.bits, 0, (hv->dirty.pages + 7) / 8);
}

static void log_off(struct hv *hv)
{
    hv_technique_of(hv)->dirty_log(hv, HV_DIRTY_STOP);
    hv->dirty.on = false;
    free(hv->dirty.bits);
    hv->dirty.bits = NULL;
}

/* Puts the source's state on the target, its memory what was sent. */
static bool resume_on_target(struct hv *src, struct hv *dst, const uint8_t *img, char *err, size_t errlen)
{
    struct machine *sm = src->m, *dm = dst->m;
    struct profile own = dm->prof;
    struct machine_snapshot *s = machine_snapshot_take(sm, NULL);
    if (!s) {
        snprintf(err, errlen, "out of host memory to move the VM's state");
        return false;
    }
    bool ok = machine_snapshot_restore(dm, s);
    machine_snapshot_free(s);
    if (!ok) {
        snprintf(err, errlen, "the target host is not of the source's shape");
        return false;
    }
    dm->prof = own;
    const struct vm *vm = &dst->vms[0];
    for (uint32_t f = 0; f < vm->size >> 12; f++) {
        uint32_t hp = vm->base + (f << 12);
        if (memcmp(dm->mem + hp, img + ((size_t)f << 12), 4096) == 0) continue;
        memcpy(dm->mem + hp, img + ((size_t)f << 12), 4096);
        if (dm->code_page[hp >> 12]) decode_invalidate_page(dm, hp >> 12);
    }
    return true;
}

/* ---- post-copy ----------------------------------------------------------------
 * The other order (Hines and Gopalan, VEE 2009): stop at once, send only
 * the virtual CPU and devices, resume on the target with none of the VM's
 * memory there — every leaf of its host table not present — and fetch each
 * page from the source when the guest first touches it: a nested violation
 * whose handling waits a link's latency and a page's transfer.  Downtime is
 * only the state's transfer; the cost moves to the faults after.  Only
 * nested paging has a table of the VM's own to leave pages out of. */
static bool postcopy_start(struct hv *src, struct hv *dst, const struct hv_migrate_cfg *cfg, struct hv_migration *mg,
                           char *err, size_t errlen)
{
    const struct vm *vm = &src->vms[0];
    uint32_t pages = vm->size >> 12;
    struct hv_postcopy *p = &dst->post;
    uint8_t *zero = calloc(vm->size, 1);
    p->remote = malloc(vm->size);
    p->have = calloc(pages, 1);
    if (!zero || !p->remote || !p->have) {
        free(zero);
        snprintf(err, errlen, "out of host memory for the migration");
        return false;
    }
    memcpy(p->remote, src->m->mem + vm->base, vm->size);   /* the source keeps it, frozen */
    bool ok = resume_on_target(src, dst, zero, err, errlen);
    free(zero);
    if (!ok) return false;
    struct vm *dvm = &dst->vms[0];
    /* the CPU reads the vector table (at a guest-physical VBR) while it
     * enters a handler, where it cannot take a nested fault: those pages
     * go with the state */
    struct machine *dm = dst->m;
    uint32_t vbr = dm->cpu.nonroot ? dm->cpu.cr[CR_VBR] : hv_technique_of(dst)->guest_cr(dst, 0)[CR_VBR];
    uint32_t vfirst = vbr >> 12, vlast = (uint32_t)(((uint64_t)vbr + 4u * CAUSE_COUNT - 1) >> 12);
    for (uint32_t gpa = 0; gpa < dvm->size; gpa += 4096) {
        uint32_t e = nested_leaf(dst, dvm, gpa), pte;
        if (!e) continue;
        if (gpa >> 12 >= vfirst && gpa >> 12 <= vlast) {
            memcpy(dm->mem + dvm->base + gpa, p->remote + gpa, 4096);
            if (dm->code_page[(dvm->base + gpa) >> 12]) decode_invalidate_page(dm, (dvm->base + gpa) >> 12);
            p->have[gpa >> 12] = 1;
            mg->final_pages++;
            continue;
        }
        memcpy(&pte, dst->m->mem + e, 4);
        pte &= ~PTE_P;
        memcpy(dst->m->mem + e, &pte, 4);
        mmu_drop_vm_frame(dst->m, dst->m->vmx.vmcs[dvm->index].vpid, (pte & PTE_FRAME) >> 12);
    }
    mmu_flush_walk_caches(dst->m);
    p->on = true;
    p->pages = pages;
    p->missing = pages - mg->final_pages;
    mg->pages_sent = mg->final_pages;
    mg->downtime = link_cycles(&cfg->link, (uint64_t)mg->final_pages * 4096 + HV_MIGRATE_STATE_BYTES);
    p->link = cfg->link;
    return true;
}

bool hv_postcopy_fault(struct hv *hv, struct vm *vm, uint32_t gpa)
{
    struct hv_postcopy *p = &hv->post;
    struct machine *m = hv->m;
    if (!p->on || vm->index != hv->vms[0].index || gpa >= vm->size || p->have[gpa >> 12]) return false;
    uint32_t e = nested_leaf(hv, vm, gpa), pte;
    if (!e) return false;
    memcpy(&pte, m->mem + e, 4);
    uint32_t f = gpa >> 12, host = vm->base + (f << 12);
    memcpy(m->mem + host, p->remote + ((size_t)f << 12), 4096);
    if (m->code_page[host >> 12]) decode_invalidate_page(m, host >> 12);
    pte |= PTE_P;
    memcpy(m->mem + e, &pte, 4);
    hv->ept_entries_written++;
    cpu_charge(m, CY_HV, m->prof.mem_ref);
    /* the vCPU waits for the page to come over the link */
    uint64_t wait = link_cycles(&p->link, 4096);
    cpu_charge(m, CY_IDLE, wait);
    p->wait_cycles += wait;
    p->have[f] = 1;
    p->faults++;
    if (--p->missing == 0) {
        p->on = false;   /* everything is here: the source can let go */
        free(p->remote);
        p->remote = NULL;
    }
    return true;
}

void hv_postcopy_stats_json(const struct hv *hv, json_t *o)
{
    const struct hv_postcopy *p = &hv->post;
    if (!p->pages) return;
    json_object_set_new(o, "postcopy", json_pack("{s:I,s:I,s:I,s:I}", "demand_faults", (json_int_t)p->faults,
                                                 "pages_fetched", (json_int_t)(p->pages - p->missing),
                                                 "pages_missing", (json_int_t)p->missing, "wait_cycles",
                                                 (json_int_t)p->wait_cycles));
}

bool hv_migrate(struct hv *src, struct hv *dst, const struct hv_migrate_cfg *cfg, struct hv_migration *mg, char *err,
                size_t errlen)
{
    struct machine *m = src->m;
    const struct hv_technique *t = hv_technique_of(src);
    memset(mg, 0, sizeof *mg);
    if (!hv_migrate_can(src, err, errlen)) return false;
    if (dst->nvms != 1 || dst->vms[0].size != src->vms[0].size || dst->vms[0].base != src->vms[0].base ||
        dst->cfg.mode != src->cfg.mode || dst->cfg.mmu != src->cfg.mmu) {
        snprintf(err, errlen, "the target host is not of the source's shape");
        return false;
    }
    if (!same_network(src, dst, cfg, err, errlen)) return false;
    if (!cfg->link.bytes_per_cycle || !cfg->max_rounds || cfg->max_rounds > HV_MIGRATE_MAX_ROUNDS) {
        snprintf(err, errlen, "the link needs a bandwidth, and 1..%d rounds", HV_MIGRATE_MAX_ROUNDS);
        return false;
    }
    if (cfg->post_copy) {
        if (src->cfg.mmu != HV_MMU_NESTED) {
            snprintf(err, errlen, "post-copy fetches pages on demand through the nested table's faults: "
                                  "use --mode hw --mmu nested");
            return false;
        }
        mg->post_copy = true;
        mg->start = src->m->st.cycles;
        if (!postcopy_start(src, dst, cfg, mg, err, errlen)) return false;
        cpu_charge(dst->m, CY_IDLE, mg->downtime);
        mg->resumed = dst->m->st.cycles;
        mg->total = mg->resumed - mg->start;
        mg->stop_reason = "post_copy";
        mg->moved = true;
        return true;
    }
    const struct vm *vm = &src->vms[0];
    uint32_t pages = vm->size >> 12;
    uint8_t *img = malloc(vm->size);
    src->dirty = (struct hv_dirty){.on = true, .pages = pages, .bits = calloc((pages + 7) / 8, 1)};
    if (!img || !src->dirty.bits) {
        free(img);
        src->dirty.on = false;
        free(src->dirty.bits);
        src->dirty.bits = NULL;
        snprintf(err, errlen, "out of host memory for the migration");
        return false;
    }
    uint64_t limit = m->max_cycles;
    mg->start = m->st.cycles;
    mg->stop_pages = cfg->stop_pages;
    t->dirty_log(src, HV_DIRTY_START);
    struct nic_log nlog;
    nic_log_on(src, &nlog);
    uint32_t sent = send_pages(src, img, true);
    for (;;) {
        /* a round: the pages just copied travel, the guest runs on */
        unsigned r = mg->rounds++;
        cpu_trace(m, TR_MIGRATE, 0 | cfg->trace_label << 8, r + 1, sent, NULL);
        mg->sent[r] = sent;
        mg->pages_sent += sent;
        uint64_t until = m->st.cycles + link_cycles(&cfg->link, (uint64_t)sent * 4096);
        m->max_cycles = limit && limit < until ? limit : until;
        machine_run(m, 0);
        mg->round_cycles[r] = m->st.cycles - (r ? mg->round_end[r - 1] : mg->start);
        mg->round_end[r] = m->st.cycles;
        mg->dirtied[r] = count_marked(src);
        if (m->stop != STOP_CYCLE_LIMIT || (limit && m->st.cycles >= limit)) {
            /* the guest ended (or the run's limit came) before the move */
            mg->guest_ended = true;
            cpu_trace(m, TR_MIGRATE, 3 | cfg->trace_label << 8, 0, 0, NULL);
            mg->log_faults = src->dirty.faults;
            nic_log_off(src, &nlog);
            log_off(src);
            m->max_cycles = limit;
            free(img);
            return true;
        }
        m->stop = STOP_NONE;
        m->stop_detail[0] = 0;
        if (mg->dirtied[r] <= cfg->stop_pages) { mg->stop_reason = "converged"; break; }
        if (r + 1 == cfg->max_rounds) { mg->stop_reason = "max_rounds"; break; }
        if (r > 0 && mg->dirtied[r] >= sent) { mg->stop_reason = "not_shrinking"; break; }
        sent = send_pages(src, img, false);
        rearm(src);
    }
    /* stop-and-copy: the guest paused, its last dirty pages and its state sent */
    mg->final_pages = send_pages(src, img, false);
    mg->pages_sent += mg->final_pages;
    mg->log_faults = src->dirty.faults;
    nic_log_off(src, &nlog);
    log_off(src);
    mg->downtime = link_cycles(&cfg->link, (uint64_t)mg->final_pages * 4096 + HV_MIGRATE_STATE_BYTES);
    cpu_trace(m, TR_MIGRATE, 1 | cfg->trace_label << 8, mg->final_pages,
              mg->downtime > UINT32_MAX ? UINT32_MAX : (uint32_t)mg->downtime, NULL);
    m->max_cycles = limit;
    bool ok = resume_on_target(src, dst, img, err, errlen);
    free(img);
    if (!ok) return false;
    /* what the log missed would differ here: a page written and not resent
     * (the target's memory against the source's, paused, at the switch) */
    for (uint32_t f = 0; f < pages; f++)
        if (memcmp(dst->m->mem + vm->base + ((size_t)f << 12), m->mem + vm->base + ((size_t)f << 12), 4096))
            mg->stale_pages++;
    /* the guest's clock runs on through the pause */
    cpu_charge(dst->m, CY_IDLE, mg->downtime);
    mg->resumed = dst->m->st.cycles;
    mg->total = mg->resumed - mg->start;
    mg->moved = true;
    cpu_trace(dst->m, TR_MIGRATE, 2 | cfg->trace_label << 8, mg->stale_pages, 0, NULL);
    return true;
}

void hv_migration_json(const struct hv_migration *mg, const struct hv_migrate_cfg *cfg, int from, int to, json_t *arr)
{
    json_t *sent = json_array(), *dirtied = json_array(), *rc = json_array();
    for (unsigned r = 0; r < mg->rounds; r++) {
        json_array_append_new(sent, json_integer(mg->sent[r]));
        json_array_append_new(dirtied, json_integer(mg->dirtied[r]));
        json_array_append_new(rc, json_integer((json_int_t)mg->round_cycles[r]));
    }
    json_t *o = json_pack("{s:i,s:i,s:I,s:I,s:I,s:i,s:b,s:b,s:I,s:o,s:o,s:o,s:I,s:I,s:I,s:I,s:I,s:I}", "from", from,
                          "to", to, "bytes_per_cycle", (json_int_t)cfg->link.bytes_per_cycle, "latency",
                          (json_int_t)cfg->link.latency, "stop_pages", (json_int_t)cfg->stop_pages, "max_rounds",
                          (int)cfg->max_rounds, "moved", mg->moved, "guest_ended", mg->guest_ended, "rounds",
                          (json_int_t)mg->rounds, "pages_per_round", sent, "dirtied_per_round", dirtied,
                          "round_cycles", rc, "final_pages", (json_int_t)mg->final_pages, "pages_sent",
                          (json_int_t)mg->pages_sent, "log_faults", (json_int_t)mg->log_faults, "downtime",
                          (json_int_t)mg->downtime, "total_cycles", (json_int_t)mg->total, "stale_pages",
                          (json_int_t)mg->stale_pages);
    json_object_set_new(o, "start", json_integer((json_int_t)mg->start));
    json_object_set_new(o, "post_copy", json_boolean(mg->post_copy));
    json_object_set_new(o, "stop_reason", json_string(mg->stop_reason ? mg->stop_reason : "none"));
    json_array_append_new(arr, o);
}
