/*
 * clone.c — clones: several VMs made from one saved machine (`ringsim run
 * FILE --clones N`), sharing its memory copy-on-write.
 *
 * The saved VM's guest-physical memory is copied once into a region of
 * host memory that belongs to no VM, the template, below the clones' own
 * regions (hv.c's layout with one VM more: VM 0 at host 0, the
 * hypervisor's frames, the other VMs down from the top, then the
 * template).  Each clone starts with the saved virtual CPU and devices and
 * a host table whose every leaf maps its guest page to the template's copy
 * of that page, read-only.  Reading, fetching and walking the guest's own
 * tables go on there at full speed; the first write to a page (the guest's
 * store, or the MMU setting an accessed or dirty bit in one of its page
 * tables: mmu.c's ad_violation) is a nested violation, and the hypervisor
 * copies the template's page into the clone's own frame for it (hv.c gives
 * every VM a whole region anyway), maps that writable, drops the clone's
 * cached translations of the template's frame, and lets the guest retry.
 * The guest never sees it: the write happens as on bare metal, one exit
 * and a page copy later.  Nobody ever writes the template again, so a
 * clone cannot see another's writes, and a writable mapping only ever
 * reaches the clone's own region (the audit, audit.c, checks both).
 *
 * What the simulator does not save is host memory: every clone keeps its
 * whole region whether it uses it or not.  clone.shared_pages counts the
 * pages a real hypervisor would not have had to allocate.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "hypervisor/technique.h"

static uint32_t align_up(uint32_t v, uint32_t a) { return (v + a - 1) / a * a; }

static uint32_t read_pte(const struct hv *hv, uint32_t pa)
{
    uint32_t v;
    memcpy(&v, hv->m->mem + pa, 4);
    return v;
}

/* One host PTE written by the hypervisor: a memory reference of its own. */
static void write_pte(struct hv *hv, uint32_t pa, uint32_t pte)
{
    memcpy(hv->m->mem + pa, &pte, 4);
    hv->ept_entries_written++;
    cpu_charge(hv->m, CY_HV, hv->m->prof.mem_ref);
}

static bool on_template(const struct hv_clones *c, uint32_t pte)
{
    uint32_t f = pte & PTE_FRAME;
    return (pte & PTE_P) && f >= c->base && f - c->base < c->size;
}

bool hv_clone_can(const struct hv *from, char *err, size_t errlen)
{
    const struct hv_technique *t = hv_technique_of(from);
    if (from->cfg.mmu != HV_MMU_NESTED || !(t->many_vms_mmus & HV_MMU_BIT(HV_MMU_NESTED))) {
        char name[32];
        hv_config_name(from->cfg.mode, from->cfg.mmu, name, sizeof name);
        snprintf(err, errlen, "it was saved under %s; clones share memory through nested paging's host "
                              "tables: save it under --mode hw --mmu nested", name);
        return false;
    }
    if (from->nvms != 1) {
        snprintf(err, errlen, "it holds %d VMs; clones are made from a machine of one VM", from->nvms);
        return false;
    }
    if (from->cfg.host_large_pages) {
        snprintf(err, errlen, "it maps guest memory with large host pages (--host-large-pages); clones share "
                              "memory page by page: save it without");
        return false;
    }
    if (from->vms[0].nic.present) {
        /* its interface's registers and frames in flight are one VM's (the
         * save file's NET_ section), not a template's */
        snprintf(err, errlen, "it has a network interface (--net): its interface and the frames in flight to it "
                              "belong to one VM, and clones would each need their own");
        return false;
    }
    if (from->vms[0].state == VM_DONE) {
        snprintf(err, errlen, "its guest had ended (%s): there is nothing to clone", from->vms[0].detail);
        return false;
    }
    return true;
}

bool hv_clone_cow(struct hv *hv, struct vm *vm, uint32_t gpa)
{
    struct hv_clones *c = &hv->clones;
    struct machine *m = hv->m;
    if (!c->active || gpa >= vm->size) return false;
    uint32_t e = nested_leaf(hv, vm, gpa);
    if (!e) return false;
    uint32_t pte = read_pte(hv, e);
    if (!on_template(c, pte) || (pte & PTE_W)) return false;
    uint32_t page = gpa & ~0xfffu, from = pte & PTE_FRAME, to = vm->base + page;
    /* the copy: a word at a time, each a reference of the hypervisor's */
    memcpy(m->mem + to, m->mem + from, 4096);
    cpu_charge(m, CY_HV, 1024ull * m->prof.mem_ref);
    hv_charge_op(hv, 1);
    if (m->code_page[to >> 12]) decode_invalidate_page(m, to >> 12);
    write_pte(hv, e, to | PTE_P | PTE_W | PTE_U);
    /* its cached translations of the template's frame are stale now */
    mmu_drop_vm_frame(m, m->vmx.vmcs[vm->index].vpid, from >> 12);
    c->shared[vm->index]--;
    return true;
}

uint32_t hv_clone_host_addr(const struct hv *hv, const struct vm *vm, uint32_t gpa)
{
    if (!hv->clones.active) return vm->base + gpa;
    uint32_t e = nested_leaf(hv, vm, gpa);
    uint32_t pte = e ? read_pte(hv, e) : 0;
    return on_template(&hv->clones, pte) ? (pte & PTE_FRAME) + (gpa & 0xfff) : vm->base + gpa;
}

/* Writes len bytes at guest-physical gpa of vm, each page made its own
 * first (not counted as a fault: the hypervisor's write, before the guest
 * runs); the last byte written is a NUL. */
static bool own_bytes(struct hv *hv, struct vm *vm, uint32_t gpa, const char *data, uint32_t len)
{
    struct hv_clones *c = &hv->clones;
    if (gpa >= vm->size || len > vm->size - gpa || !len) return false;
    for (uint32_t page = gpa & ~0xfffu; page < gpa + len; page += 4096) {
        uint32_t e = nested_leaf(hv, vm, page);
        if (!e) return false;
        uint32_t pte = read_pte(hv, e);
        if (on_template(c, pte) && !(pte & PTE_W)) {
            if (!hv_clone_cow(hv, vm, page)) return false;
            c->shared_at_start--;
        }
    }
    memcpy(hv->m->mem + vm->base + gpa, data, len);
    hv->m->mem[vm->base + gpa + len - 1] = 0;
    return true;
}

bool hv_clone_from(struct hv *hv, struct hv *from, const char *const *params, uint32_t kept_gpa, uint32_t kept_max,
                   char *err, size_t errlen)
{
    struct machine *m = hv->m, *fm = from->m;
    struct hv_clones *c = &hv->clones;
    const struct vm *src = &from->vms[0];
    if (!hv_clone_can(from, err, errlen)) return false;
    uint32_t span = align_up(src->size, HV_VM_ALIGN);
    /* below the lowest VM: the space hv_host_memsize gave one VM more */
    uint64_t lowest = hv->nvms > 1 ? hv->vms[hv->nvms - 1].base : m->memsize;
    if (hv->nvms < 1 || src->size != hv->cfg.vm_memsize || lowest < (uint64_t)span + hv->next_frame ||
        hv->cfg.mmu != HV_MMU_NESTED || hv->cfg.host_large_pages) {
        snprintf(err, errlen, "the machine built for the clones has no room for the saved VM's memory");
        return false;
    }
    /* the saved VM, off the CPU: its whole virtual CPU in its VMCS */
    hv_technique_of(from)->leave(from);
    c->active = true;
    c->base = (uint32_t)lowest - span;
    c->size = src->size;
    hv->frames_end = c->base;
    memcpy(m->mem + c->base, fm->mem + src->base, src->size);
    /* the clock, and the machine's counts, go on from the saved moment (as
     * a restore's do): the guests' timers and cycle counter run on */
    m->st = fm->st;
    m->max_cycles = fm->max_cycles;
    for (int i = 0; i < hv->nvms; i++) {
        struct vm *vm = &hv->vms[i];
        struct vmcs *v = &m->vmx.vmcs[vm->index], keep = *v;
        *v = fm->vmx.vmcs[src->index];
        /* its own host table and VM tag */
        v->ept_root = keep.ept_root;
        v->ept_levels = keep.ept_levels;
        v->vpid = keep.vpid;
        v->guest_memsize = keep.guest_memsize;
        /* where the saved guest left its instruction stream is a host
         * address of the saved machine: this one looks it up again */
        memset(&v->detour, 0, sizeof v->detour);
        v->detour.kind = DETOUR_NONE;
        vm->state = src->state;
        vm->vtimer = src->vtimer;
        vm->at_line_start = src->at_line_start;
        vm->con_irq = src->con_irq;
        for (uint32_t gpa = 0; gpa < vm->size; gpa += 4096) {
            uint32_t e = nested_leaf(hv, vm, gpa);
            if (!e) {
                snprintf(err, errlen, "VM %s: no host table entry for guest-physical 0x%08x", vm->name, gpa);
                return false;
            }
            write_pte(hv, e, (c->base + gpa) | PTE_P | PTE_U);
        }
        c->shared[vm->index] = vm->size >> 12;
        c->shared_at_start += vm->size >> 12;
        if (params && params[i]) {
            /* its own boot parameter, where --args puts it, and where the
             * guest keeps its copy: those pages become the clone's own
             * before the guest runs again */
            char buf[BOOT_ARGS_MAX] = {0};
            snprintf(buf, sizeof buf, "%s", params[i]);
            if (!own_bytes(hv, vm, BOOT_ARGS_ADDR, buf, BOOT_ARGS_MAX) ||
                (kept_max && !own_bytes(hv, vm, kept_gpa, buf, kept_max < BOOT_ARGS_MAX ? kept_max : BOOT_ARGS_MAX))) {
                snprintf(err, errlen, "VM %s: cannot write its boot parameter into its memory", vm->name);
                return false;
            }
        }
    }
    m->vmx.nested = true;
    return true;
}

/* ---- content-based sharing (--share-pages), as ESX's page sharing ---------
 * The template's pages are hashed once (it never changes); a scan hashes
 * each page a clone owns and, where a template page has the same hash and
 * the same bytes, maps the clone's page to that template page read-only
 * again: its next write is a cow fault like any other.  Only sharing with
 * the template is found (a zeroed page, code or data as saved), not
 * between two clones' own pages.  The hypervisor pays for the scan: 1024
 * word reads to hash each own page, as many to compare a candidate, and a
 * host PTE write per page merged. */
static uint64_t page_hash(const uint8_t *p)
{
    uint64_t h = 1469598103934665603ull;   /* FNV-1a */
    for (int i = 0; i < 4096; i++) h = (h ^ p[i]) * 1099511628211ull;
    return h;
}

static int by_hash(const void *a, const void *b)
{
    const struct clone_hash *x = a, *y = b;
    if (x->hash != y->hash) return x->hash < y->hash ? -1 : 1;
    return (x->frame > y->frame) - (x->frame < y->frame);
}

bool hv_clone_share(struct hv *hv, uint64_t period)
{
    struct hv_clones *c = &hv->clones;
    uint32_t n = c->size >> 12;
    c->index = malloc((size_t)n * sizeof *c->index);
    if (!c->index) return false;
    for (uint32_t i = 0; i < n; i++)
        c->index[i] = (struct clone_hash){page_hash(hv->m->mem + c->base + (i << 12)), c->base + (i << 12)};
    qsort(c->index, n, sizeof *c->index, by_hash);
    c->share_period = period;
    c->next_scan = hv->m->st.cycles + period;
    return true;
}

/* A template frame holding the same bytes as host page p, 0 if none. */
static uint32_t same_in_template(struct hv *hv, const uint8_t *p)
{
    struct hv_clones *c = &hv->clones;
    struct machine *m = hv->m;
    uint64_t h = page_hash(p);
    size_t lo = 0, hi = c->size >> 12;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (c->index[mid].hash < h) lo = mid + 1;
        else hi = mid;
    }
    for (; lo < c->size >> 12 && c->index[lo].hash == h; lo++) {
        cpu_charge(m, CY_HV, 1024ull * m->prof.mem_ref);
        if (memcmp(m->mem + c->index[lo].frame, p, 4096) == 0) return c->index[lo].frame;
    }
    return 0;
}

void hv_clone_tick(struct hv *hv)
{
    struct hv_clones *c = &hv->clones;
    struct machine *m = hv->m;
    if (!c->active || !c->index || m->st.cycles < c->next_scan) return;
    c->scans++;
    for (int i = 0; i < hv->nvms; i++) {
        struct vm *vm = &hv->vms[i];
        if (vm->state == VM_DONE) continue;
        for (uint32_t gpa = 0; gpa < vm->size; gpa += 4096) {
            uint32_t e = nested_leaf(hv, vm, gpa);
            if (!e) continue;
            uint32_t pte = read_pte(hv, e);
            if (on_template(c, pte) || !(pte & PTE_P)) continue;
            uint32_t own = pte & PTE_FRAME;
            cpu_charge(m, CY_HV, 1024ull * m->prof.mem_ref);   /* hashing it */
            uint32_t t = same_in_template(hv, m->mem + own);
            if (!t) continue;
            write_pte(hv, e, t | PTE_P | PTE_U);
            mmu_drop_vm_frame(m, m->vmx.vmcs[vm->index].vpid, own >> 12);
            c->shared[vm->index]++;
            c->merged[vm->index]++;
        }
    }
    c->next_scan = m->st.cycles + c->share_period;
}

void hv_clone_stats_json(const struct hv *hv, json_t *o)
{
    const struct hv_clones *c = &hv->clones;
    if (!c->active) return;
    json_t *vms = json_array();
    uint64_t shared = 0, faults = 0, merged = 0;
    for (int i = 0; i < hv->nvms; i++) {
        int k = hv->vms[i].index;
        shared += c->shared[k];
        faults += c->cow_faults[k];
        merged += c->merged[k];
        json_array_append_new(vms, json_pack("{s:s,s:I,s:I,s:I}", "name", hv->vms[i].name, "shared_pages",
                                             (json_int_t)c->shared[k], "cow_faults", (json_int_t)c->cow_faults[k],
                                             "merged_pages", (json_int_t)c->merged[k]));
    }
    json_object_set_new(o, "clone", json_pack("{s:I,s:I,s:I,s:I,s:I,s:o}", "clones", (json_int_t)hv->nvms,
                                              "template_pages", (json_int_t)(c->size >> 12),
                                              "shared_pages_at_start", (json_int_t)c->shared_at_start,
                                              "shared_pages", (json_int_t)shared, "cow_faults",
                                              (json_int_t)faults, "vms", vms));
    json_t *o2 = json_object_get(o, "clone");
    json_object_set_new(o2, "share_period", json_integer((json_int_t)c->share_period));
    json_object_set_new(o2, "scans", json_integer((json_int_t)c->scans));
    json_object_set_new(o2, "merged_pages", json_integer((json_int_t)merged));
}
