/*
 * audit.c — the isolation invariant, checked from the hardware's side.
 *
 * hv_audit answers one question: could the hardware, as it stands right now,
 * give a guest an address outside the VM it belongs to?  It must not trust
 * the hypervisor's bookkeeping (the shadow's reverse maps, pv's frame
 * counts), since that bookkeeping is exactly what a bug makes wrong.  So it
 * looks only at what the MMU itself would use:
 *
 * (a) the real page tables: every table reachable from a real root, every
 *     present entry of each.  The real root is the CPU's ptb under te, bt
 *     and pv (the guest runs on it directly); under hw with shadow paging it
 *     is each VM's (the CPU's for the VM loaded, its VMCS's for the others);
 *     under hw with nested paging the guest's own tables are guest-physical
 *     and the hardware translates every address they produce through the
 *     VM's host table, so that host table (the VMCS's ept_root, ept_levels
 *     levels) is what decides, and is what is walked.  Every leaf must map
 *     host memory inside its VM's [base, base + size) — or, for clones
 *     (clone.c), read-only, the template they share; every table walked
 *     must be the hypervisor's own (pv: the guest's own tables are real
 *     tables, in its memory, which it can read but — (c) — not write).
 * (b) every valid TLB entry, nested-TLB entry and page-walk-cache entry, by
 *     the VM its tag names (under te, bt and pv there is one VM, whatever the
 *     tag), and the interpreter's cached translations (the last data page,
 *     the fetch position a stepped run resumes at).
 * (c) under pv, where the guest's tables are real: no frame that is a page
 *     table (of those reachable now) is writable through any leaf or any
 *     TLB entry — else the guest could rewrite what the MMU walks.
 * And the few machine bits without which (a) means nothing: a guest under
 * te, bt or pv never runs in real ring 0 nor with real paging off, nor one
 * under hw+shadow with its paging off, nor one under hw+nested without the
 * host dimension.
 *
 * Every table frame is checked to lie inside host memory before a word of
 * it is read (beyond it there is nothing: the MMU's read is a bus error, so
 * neither a table nor a page there is anyone's memory); the walk remembers which (frame, level, writability above)
 * it has done, so a table that points at itself, or a cycle of tables, is
 * walked once, and it gives up (a violation: nothing reasonable needs that
 * many) past AUDIT_MAX_TABLES tables per root.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "hypervisor/hv.h"
#include "hypervisor/technique.h"

#define AUDIT_MAX_TABLES 65536u

/* Who owns a host address: a VM's index, or one of these. */
enum { OWN_NOBODY = -3, OWN_OUTSIDE = -2, OWN_HV = -1 };

/* Which tables a root's walk may pass through. */
enum table_rule {
    TABLES_HV,          /* shadow and host tables: the hypervisor's frames only */
    TABLES_HV_OR_VM,    /* pv: the guest's own tables, or the hypervisor's boot map */
};

struct audit {
    struct hv *hv;
    struct machine *m;
    char *why;
    size_t whylen;
    bool failed;
    uint32_t nframes;           /* host frames */
    uint8_t *seen;              /* per frame: bit (level * 2 + writable) walked */
    uint8_t *is_table;          /* pv: frames walked as tables from the current root */
    uint32_t *writable_va;      /* pv: a VA mapping the frame writable, + 1 (0 = none) */
    unsigned tables;            /* tables walked from the current root */
};

/* The context of one root's walk. */
struct root_ctx {
    int vm;                     /* the VM it belongs to */
    const char *what;           /* "shadow", "nested", "pv", for messages */
    unsigned levels, bits[MMU_MAX_LEVELS];
    enum table_rule rule;
    bool track_tables;          /* (c): pv */
};

static const char *mode_name(enum hv_mode mode) { return hv_technique(mode)->name; }

/* A guest in its own ring 0 runs in a ring -1's non-root mode, each VM in
 * its VMCS; a deprivileged one (te, bt, pv) runs on the CPU, the only VM. */
static bool in_vmx(const struct hv *hv) { return !hv_technique_of(hv)->deprivileged; }

/* Without an MMU technique (pv) the MMU walks the guest's own tables: real
 * tables in the VM's memory, which the guest may read but never write. */
static bool own_tables(const struct hv *hv) { return hv->cfg.mmu == HV_MMU_NONE; }

/* Records the first violation (later ones would only repeat its cause). */
__attribute__((format(printf, 2, 3))) static void fail(struct audit *a, const char *fmt, ...)
{
    if (a->failed) return;
    a->failed = true;
    if (!a->why || !a->whylen) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(a->why, a->whylen, fmt, ap);
    va_end(ap);
}

static uint32_t align_up(uint32_t v, uint32_t al) { return (v + al - 1) / al * al; }

/* Where the hypervisor's own frames begin: above VM 0's region (hv.c lays
 * host memory out as VM 0, the hypervisor's frames, then the other VMs down
 * from the top, hv->frames_end being the lowest of those). */
static uint32_t hv_lo(const struct hv *hv)
{
    const struct vm *vm0 = &hv->vms[0];
    return vm0->base + align_up(vm0->size, HV_VM_ALIGN);
}

static int owner(const struct audit *a, uint64_t addr)
{
    const struct hv *hv = a->hv;
    if (addr >= a->m->memsize) return OWN_OUTSIDE;
    for (int i = 0; i < hv->nvms; i++)
        if (addr >= hv->vms[i].base && addr < (uint64_t)hv->vms[i].base + hv->vms[i].size) return i;
    if (addr >= hv_lo(hv) && addr < hv->frames_end) return OWN_HV;
    return OWN_NOBODY;
}

/* "in the hypervisor's own memory", for the message of a violation. */
static const char *where(const struct audit *a, int own, int vm, char *buf, size_t len)
{
    switch (own) {
    case OWN_OUTSIDE: return "beyond host memory";
    case OWN_HV: return "in the hypervisor's own memory";
    case OWN_NOBODY: return "in host memory no VM or table owns";
    default:
        if (own == vm) return "in the VM's own memory";
        snprintf(buf, len, "in VM %s's memory", a->hv->vms[own].name);
        return buf;
    }
}

/* Is [start, start + len) inside VM vm?  Otherwise a violation describing
 * it.  What lies beyond host memory is nothing at all: every access there is
 * a bus error, so a translation to it (MMU_NO_MEMORY_FRAME, a guest's entry
 * past the end) reaches no one's memory and only the part below the end of
 * host memory counts. */
static bool inside(struct audit *a, int vm, uint64_t start, uint64_t len, const char *what_maps)
{
    const struct vm *v = &a->hv->vms[vm];
    if (start >= a->m->memsize) return true;
    if (start + len > a->m->memsize) len = a->m->memsize - start;
    if (start >= v->base && start + len <= (uint64_t)v->base + v->size) return true;
    char buf[64];
    int own = owner(a, start < v->base || start >= (uint64_t)v->base + v->size ? start : start + len - 1);
    fail(a, "VM %s (%s): %s host 0x%08llx..0x%08llx, outside the VM's 0x%08x..0x%08x (%s)", v->name,
         mode_name(a->hv->cfg.mode), what_maps, (unsigned long long)start, (unsigned long long)(start + len - 1),
         v->base, v->base + v->size - 1, where(a, own, vm, buf, sizeof buf));
    return false;
}

/* inside, except that a clone may read (never write) the template its
 * pages are shared from (clone.c): [start, start + len) read-only inside
 * it is no violation; written, it would be every other clone's page. */
static bool inside_or_shared(struct audit *a, int vm, uint64_t start, uint64_t len, bool writable,
                             const char *what_maps)
{
    const struct hv_clones *c = &a->hv->clones;
    if (c->active && !writable && start >= c->base && start + len <= (uint64_t)c->base + c->size) return true;
    return inside(a, vm, start, len, what_maps);
}

/* May the walk of ctx use the table at host frame address t?  1: walk it;
 * 0: nothing to walk (beyond host memory, where the MMU's read is a bus
 * error: no translation comes out of it); -1: a violation. */
static int table_ok(struct audit *a, const struct root_ctx *c, uint64_t t, unsigned level, uint32_t va)
{
    /* a table is read only when it lies wholly inside host memory */
    if (t + 4096 > a->m->memsize) return 0;
    int own = owner(a, t);
    if (own == OWN_HV || (c->rule == TABLES_HV_OR_VM && own == c->vm)) return 1;
    char buf[64];
    const struct vm *v = &a->hv->vms[c->vm];
    fail(a, "VM %s (%s): the %s table the MMU walks at level %u for VA 0x%08x is at host 0x%08llx, %s%s", v->name,
         mode_name(a->hv->cfg.mode), c->what, level, va, (unsigned long long)t, where(a, own, c->vm, buf, sizeof buf),
         own == c->vm ? ": the guest could rewrite the tables that confine it" : "");
    return -1;
}

static unsigned shift_below(const struct root_ctx *c, unsigned level)
{
    unsigned s = 12;
    for (unsigned i = level + 1; i < c->levels; i++) s += c->bits[i];
    return s;
}

/* Walks the table at host address t, of the given level, reached through
 * entries that all allow writes (w) or not; va is the address its first
 * entry maps. */
static void walk(struct audit *a, const struct root_ctx *c, uint32_t t, unsigned level, bool w, uint32_t va)
{
    if (a->failed) return;
    uint32_t f = t >> 12;
    uint8_t bit = (uint8_t)(1u << (level * 2 + (w ? 1 : 0)));
    if (a->seen[f] & bit) return;       /* done already: shared, or a cycle */
    a->seen[f] |= bit;
    if (++a->tables > AUDIT_MAX_TABLES) {
        fail(a, "VM %s (%s): more than %u %s tables reachable from one root (a cycle the walk cannot end?)",
             a->hv->vms[c->vm].name, mode_name(a->hv->cfg.mode), AUDIT_MAX_TABLES, c->what);
        return;
    }
    if (c->track_tables) a->is_table[f] = 1;
    unsigned shift = shift_below(c, level);
    uint32_t n = 1u << c->bits[level];
    for (uint32_t i = 0; i < n && !a->failed; i++) {
        uint32_t ea = t + 4 * i, pte;
        if ((uint64_t)ea + 4 > a->m->memsize) {   /* table_ok said no already; never read past memory */
            fail(a, "VM %s: a %s table entry at host 0x%08x is beyond host memory", a->hv->vms[c->vm].name, c->what, ea);
            return;
        }
        memcpy(&pte, a->m->mem + ea, 4);
        if (!(pte & PTE_P)) continue;
        uint32_t eva = va + (uint32_t)((uint64_t)i << shift);
        bool ew = w && (pte & PTE_W);
        if (level == c->levels - 1 || (pte & PTE_L)) {
            /* a leaf: the walker ignores the frame's low bits of a large page */
            uint64_t span = 1ull << shift, start = (pte & PTE_FRAME) & ~(uint32_t)(span - 1);
            char what[160];
            snprintf(what, sizeof what, "the %s entry at host 0x%08x (level %u, VA 0x%08x) maps%s", c->what, ea, level,
                     eva, ew ? " writable" : "");
            if (!inside_or_shared(a, c->vm, start, span, ew, what)) return;
            if (c->track_tables && ew)
                for (uint64_t p = start; p < start + span && p < a->m->memsize; p += 4096)
                    if (!a->writable_va[p >> 12]) a->writable_va[p >> 12] = eva + (uint32_t)(p - start) + 1;
            continue;
        }
        uint32_t child = pte & PTE_FRAME;
        int ok = table_ok(a, c, child, level + 1, eva);
        if (ok < 0) return;
        if (ok) walk(a, c, child, level + 1, ew, eva);
    }
}

/* Audits every table reachable from one real root. */
static void audit_root(struct audit *a, struct root_ctx *c, uint32_t root)
{
    if (a->failed) return;
    if (c->levels < 2 || c->levels > MMU_MAX_LEVELS) {
        fail(a, "VM %s: its %s table has %u levels", a->hv->vms[c->vm].name, c->what, c->levels);
        return;
    }
    mmu_level_bits(c->levels, c->bits);
    memset(a->seen, 0, a->nframes);
    a->tables = 0;
    if (c->track_tables) {
        memset(a->is_table, 0, a->nframes);
        memset(a->writable_va, 0, a->nframes * sizeof *a->writable_va);
    }
    root &= PTE_FRAME;
    if (table_ok(a, c, root, 0, 0) <= 0) return;
    walk(a, c, root, 0, true, 0);
    if (a->failed || !c->track_tables) return;
    /* (c): no table writable through a leaf */
    for (uint32_t f = 0; f < a->nframes; f++)
        if (a->is_table[f] && a->writable_va[f]) {
            fail(a, "VM %s (pv): frame 0x%08x is a page table and VA 0x%08x maps it writable", a->hv->vms[c->vm].name,
                 f << 12, a->writable_va[f] - 1);
            return;
        }
}

/* The VM a VPID tags, -1 if none. */
static int vm_of_vpid(const struct hv *hv, uint16_t vpid)
{
    for (int i = 0; i < hv->nvms; i++)
        if (hv->m->vmx.vmcs[hv->vms[i].index].vpid == vpid) return i;
    return -1;
}

/* The VM whose code the CPU runs now, -1 if none (root mode, or stopped). */
static int running_vm(const struct audit *a)
{
    const struct machine *m = a->m;
    if (in_vmx(a->hv)) {
        if (!m->cpu.nonroot || m->vmx.cur < 0) return -1;
        for (int i = 0; i < a->hv->nvms; i++)
            if (a->hv->vms[i].index == m->vmx.cur) return i;
        return -1;
    }
    return a->hv->vms[0].state == VM_DONE ? -1 : 0;
}

/* (a) for every VM: the machine's own state, then its real tables. */
static void audit_tables(struct audit *a)
{
    struct hv *hv = a->hv;
    struct machine *m = a->m;
    bool hw = in_vmx(hv), nested = hw && hv->cfg.mmu == HV_MMU_NESTED;
    int run = running_vm(a);
    if (!hw) {
        /* te, bt, pv: one VM, running deprivileged on the CPU's own tables */
        const struct vm *v = &hv->vms[0];
        if (run == 0) {
            if (!m->trap_to_hv)
                fail(a, "VM %s (%s): its traps go straight to its own vector table, not to the hypervisor", v->name,
                     mode_name(hv->cfg.mode));
            else if (SR_RING(m->cpu.cr[CR_SR]) == 0)
                fail(a, "VM %s (%s): it runs in real ring 0", v->name, mode_name(hv->cfg.mode));
            else if (!(m->cpu.cr[CR_MMU] & 1) || !m->mmu.paging)
                fail(a, "VM %s (%s): it runs with real paging off: every host address is its to use", v->name,
                     mode_name(hv->cfg.mode));
        }
        struct root_ctx c = {.vm = 0, .levels = m->levels};
        c.what = own_tables(hv) ? mode_name(hv->cfg.mode) : "shadow";
        c.rule = own_tables(hv) ? TABLES_HV_OR_VM : TABLES_HV;
        c.track_tables = own_tables(hv);
        if (m->cpu.cr[CR_MMU] & 1) audit_root(a, &c, m->cpu.cr[CR_PTB]);
        return;
    }
    for (int i = 0; i < hv->nvms && !a->failed; i++) {
        const struct vm *v = &hv->vms[i];
        const struct vmcs *vc = &m->vmx.vmcs[v->index];
        /* the loaded VM's state is in the CPU; the others' in their VMCS */
        const uint32_t *cr = run == i ? m->cpu.cr : vc->cr;
        if (nested) {
            if (run == i && !m->vmx.nested) {
                fail(a, "VM %s (hw): it runs without nested paging: its guest-physical addresses are host ones",
                     v->name);
                return;
            }
            struct root_ctx c = {.vm = i, .what = "nested", .levels = vc->ept_levels, .rule = TABLES_HV};
            audit_root(a, &c, vc->ept_root);
        } else {
            if (v->state != VM_DONE && !(cr[CR_MMU] & 1)) {
                fail(a, "VM %s (hw, shadow): it runs with real paging off: every host address is its to use",
                     v->name);
                return;
            }
            if (run == i && m->vmx.nested) {
                fail(a, "VM %s (hw, shadow): the MMU walks a host table it was never given", v->name);
                return;
            }
            struct root_ctx c = {.vm = i, .what = "shadow", .levels = m->levels, .rule = TABLES_HV};
            if (cr[CR_MMU] & 1) audit_root(a, &c, cr[CR_PTB]);
        }
    }
}

/* (b): the translations the MMU and the interpreter have cached. */
static void audit_caches(struct audit *a)
{
    struct hv *hv = a->hv;
    struct machine *m = a->m;
    const struct mmu *u = &m->mmu;
    bool hw = in_vmx(hv);
    int run = running_vm(a);
    char what[160];
    for (unsigned i = 0; i < u->tlb_slots && !a->failed; i++) {
        const struct tlb_entry *e = &u->tlb[i];
        if (!e->valid) continue;
        int vm = hw ? vm_of_vpid(hv, e->vpid) : 0;
        if (vm < 0) {
            fail(a, "a valid TLB entry (VA 0x%08x -> host 0x%08x) is tagged VPID %u, which is no VM's", e->vpn << 12,
                 e->pfn << 12, e->vpid);
            return;
        }
        snprintf(what, sizeof what, "a TLB entry (VPID %u, ASID %u, VA 0x%08x) maps%s", e->vpid, e->asid,
                 e->vpn << 12, e->writable ? " writable" : "");
        if (!inside_or_shared(a, vm, (uint64_t)e->pfn << 12, 4096, e->writable, what)) return;
        /* untagged entries match whichever VM is loaded */
        if (hw && !m->vmx.vpid_tags && run >= 0 && run != vm &&
            !inside_or_shared(a, run, (uint64_t)e->pfn << 12, 4096, e->writable,
                              "a TLB entry left by another VM, untagged (--no-vpid), maps"))
            return;
    }
    for (unsigned i = 0; i < u->ntlb_entries && !a->failed; i++) {
        const struct ntlb_entry *e = &u->ntlb[i];
        if (!e->valid) continue;
        int vm = vm_of_vpid(hv, e->vpid);
        if (vm < 0) {
            fail(a, "a valid nested-TLB entry (guest-physical 0x%08x) is tagged VPID %u, which is no VM's",
                 e->gpn << 12, e->vpid);
            return;
        }
        snprintf(what, sizeof what, "a nested-TLB entry (guest-physical 0x%08x) maps", e->gpn << 12);
        if (!inside_or_shared(a, vm, (uint64_t)e->hpn << 12, 4096, e->writable, what)) return;
    }
    for (unsigned i = 0; i < u->pwc_entries && !a->failed; i++) {
        const struct pwc_entry *e = &u->pwc[i];
        if (!e->valid) continue;
        bool nested_guest = e->dim == DIM_GUEST && hw && hv->cfg.mmu == HV_MMU_NESTED;
        if (nested_guest) continue;     /* guest-physical: translated by the host table */
        int vm = hw ? vm_of_vpid(hv, e->vpid) : 0;
        if (vm < 0) vm = run >= 0 ? run : 0;
        struct root_ctx c = {.vm = vm, .what = e->dim == DIM_HOST ? "nested (page-walk cache)" : "page-walk cache",
                             .rule = own_tables(hv) && e->dim == DIM_GUEST ? TABLES_HV_OR_VM : TABLES_HV};
        if (table_ok(a, &c, e->pte & PTE_FRAME, e->level + 1u, 0) < 0) return;
    }
    if (a->failed) return;
    /* the interpreter's shortcut to the last data page, and where a stepped
     * run resumes fetching: host addresses the CPU uses without a lookup,
     * for the VM loaded last (a stopped machine keeps them, unused) */
    int last = run >= 0 ? run : !hw ? 0 : vm_of_vpid(hv, m->vmx.cur >= 0 ? m->vmx.vmcs[m->vmx.cur].vpid : 0);
    if (last < 0) return;
    if (u->last_vpn != 0xffffffffu) {
        uintptr_t host = (uintptr_t)u->last_vpn * 4096u + u->last_addend;
        uint64_t off = (uint64_t)(host - (uintptr_t)m->mem);
        snprintf(what, sizeof what, "the interpreter's last data page (VA 0x%08x) is", u->last_vpn << 12);
        if (!inside_or_shared(a, last, off, 4096, u->last_write_ok, what)) return;
    }
    /* the soft TLB behind the shortcut: each live entry must stand for a
     * valid TLB entry (audited above) of the same page and frame, with no
     * more rights (mmu.h) */
    for (unsigned i = 0; i < MMU_SOFT_ENTRIES; i++) {
        uint32_t vpn, pfn, slot;
        bool write_ok, write_tag;
        if (!mmu_soft_get(m, i, &vpn, &pfn, &slot, &write_ok, &write_tag)) continue;   /* empty */
        const struct tlb_entry *e = slot < u->tlb_slots ? &u->tlb[slot] : NULL;
        if (!e || !e->valid || e->vpn != vpn || e->pfn != pfn || (write_ok && !(e->writable && e->dirty)) ||
            (write_tag && (!write_ok || pfn >= m->memsize >> 12 || m->code_page[pfn]))) {
            fail(a, "the interpreter's soft TLB holds VA 0x%08x -> 0x%08x%s, which no valid TLB entry maps so",
                 vpn << 12, pfn << 12, write_tag ? " writable, not code" : write_ok ? " writable" : "");
            return;
        }
    }
    if (m->resume.valid && (m->resume.unseen || m->resume.gen == u->gen)) {
        snprintf(what, sizeof what, "the fetch a stepped run resumes at (pc 0x%08x) reads", m->resume.pc);
        if (!inside_or_shared(a, last, m->resume.pa & ~3u, 4, false, what)) return;
    }
    /* where each guest left its instruction stream: an entry resumes there
     * without a lookup (cpu_resume_unseen) */
    for (int i = 0; hw && i < m->vmx.nvmcs && !a->failed; i++) {
        const struct cpu_detour *t = &m->vmx.vmcs[i].detour;
        if (t->kind == DETOUR_NONE) continue;
        int vm = vm_of_vpid(hv, m->vmx.vmcs[i].vpid);
        snprintf(what, sizeof what, "the instruction VM %d resumes at without a lookup (pc 0x%08x) is", i, t->pc);
        if (vm >= 0 && !inside_or_shared(a, vm, t->pa & ~3u, 8, false, what)) return;
    }
}

/* (c): under pv, no table (of the current root's) writable through the TLB. */
static void audit_pv_tlb(struct audit *a)
{
    const struct mmu *u = &a->m->mmu;
    for (unsigned i = 0; i < u->tlb_slots && !a->failed; i++) {
        const struct tlb_entry *e = &u->tlb[i];
        if (e->valid && e->writable && e->pfn < a->nframes && a->is_table[e->pfn])
            fail(a, "VM %s (pv): frame 0x%08x is a page table and a TLB entry (ASID %u, VA 0x%08x) maps it writable",
                 a->hv->vms[0].name, e->pfn << 12, e->asid, e->vpn << 12);
    }
}

/* Pass-through: a device's DMA is a reach of its VM as much as the CPU's
 * accesses are.  Without the IOMMU it reaches all host memory (a
 * violation, said so); with it, every domain's table is audited as a host
 * table is, and every IOTLB entry must map inside its domain's VM. */
static void audit_iommu(struct audit *a)
{
    const struct hv *hv = a->hv;
    const struct iommu *io = &a->m->iommu;
    for (int i = 0; i < hv->nvms && !a->failed; i++) {
        const struct vm *v = &hv->vms[i];
        if (!v->passthrough) continue;
        if (!io->enabled) {
            fail(a, "VM %s: its disk is passed through with no IOMMU: its DMA reaches all of host memory", v->name);
            return;
        }
        const struct iommu_domain *d = &io->dom[v->index];
        if (!d->valid) continue;   /* no table: every DMA faults */
        struct root_ctx c = {.vm = i, .what = "IOMMU", .levels = d->levels, .rule = TABLES_HV};
        audit_root(a, &c, d->root);
    }
    for (unsigned k = 0; k < IOMMU_TLB_ENTRIES && !a->failed; k++) {
        const struct iotlb_entry *e = &io->tlb[k];
        if (!e->valid) continue;
        int vm = -1;
        for (int i = 0; i < hv->nvms; i++)
            if (hv->vms[i].index == e->domain && hv->vms[i].passthrough) vm = i;
        char what[96];
        snprintf(what, sizeof what, "an IOTLB entry (bus address 0x%08x) maps", e->iopn << 12);
        if (vm < 0) fail(a, "a valid IOTLB entry (bus address 0x%08x) is of domain %u, no VM's device's", e->iopn << 12,
                         e->domain);
        else inside(a, vm, (uint64_t)e->hpfn << 12, 4096, what);
    }
}

bool hv_audit(struct hv *hv, char *why, size_t whylen)
{
    struct machine *m = hv->m;
    struct audit a = {.hv = hv, .m = m, .why = why, .whylen = whylen, .nframes = m->memsize >> 12};
    if (why && whylen) why[0] = 0;
    if (hv->nvms == 0) return true;
    /* the layout itself: every VM inside host memory, none over another or
     * over the hypervisor's frames */
    for (int i = 0; i < hv->nvms && !a.failed; i++) {
        const struct vm *v = &hv->vms[i];
        if ((uint64_t)v->base + v->size > m->memsize)
            fail(&a, "VM %s: its memory 0x%08x..0x%08x runs past host memory", v->name, v->base, v->base + v->size - 1);
        for (int j = 0; j < i && !a.failed; j++) {
            const struct vm *o = &hv->vms[j];
            if (v->base < o->base + o->size && o->base < v->base + v->size)
                fail(&a, "VMs %s and %s share host memory", o->name, v->name);
        }
        if (i > 0 && v->base < hv->frames_end)
            fail(&a, "VM %s lies in the hypervisor's own frames", v->name);
    }
    const struct hv_clones *c = &hv->clones;
    for (int i = 0; c->active && i < hv->nvms && !a.failed; i++) {
        const struct vm *v = &hv->vms[i];
        if (v->base < c->base + c->size && c->base < v->base + v->size)
            fail(&a, "VM %s overlaps the template its clones share", v->name);
    }
    if (c->active && ((uint64_t)c->base + c->size > m->memsize || c->base < hv->frames_end))
        fail(&a, "the clones' template 0x%08x..0x%08x is not outside the hypervisor's frames and host memory",
             c->base, c->base + c->size - 1);
    if (a.failed) return false;
    a.seen = calloc(a.nframes, 1);
    a.is_table = calloc(a.nframes, 1);
    a.writable_va = calloc(a.nframes, sizeof *a.writable_va);
    if (!a.seen || !a.is_table || !a.writable_va) {
        fail(&a, "out of host memory for the audit");
    } else {
        audit_tables(&a);
        audit_caches(&a);
        audit_iommu(&a);
        /* is_table still describes the pv root just walked (the only root) */
        if (own_tables(hv) && (m->cpu.cr[CR_MMU] & 1)) audit_pv_tlb(&a);
    }
    free(a.seen);
    free(a.is_table);
    free(a.writable_va);
    return !a.failed;
}
