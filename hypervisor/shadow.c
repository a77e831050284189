/*
 * shadow.c — shadow page tables: the MMU walks tables the hypervisor owns,
 * which map guest-virtual addresses straight to host-physical ones.
 *
 * The one idea: every shadow table mirrors one guest table (the guest frame
 * it shadows is its key, so shadows are shared exactly as the guest shares
 * its own tables, and a context switch finds its shadow again — the cache),
 * and the shadows are filled lazily:
 * - Hidden fault: the guest's tables say present, our shadow doesn't yet;
 *   walk the guest's tables, fill the shadow and retry — the guest never
 *   sees this fault.
 * - Tracing fault: guest page-table pages are mapped read-only in the
 *   shadow, so a guest write to its own PTE faults; the hypervisor emulates
 *   the write and drops the shadow entry it made stale.
 * - Dirty fault: a page the guest has not written yet is mapped read-only,
 *   so its first write faults and the hypervisor sets D in the guest's PTE:
 *   accessed and dirty bits reach the guest as on bare metal.
 * Every guest page-table entry the hypervisor reads or writes is a counted
 * memory reference charged to `hv`.
 */
#include <stdlib.h>
#include <string.h>

#include "hypervisor/hv.h"

/* ---- guest memory, as the hypervisor sees it ------------------------------ */
static struct vm *the_vm(struct hv *hv) { return &hv->vms[0]; }

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
    hv->sh.guest_refs++;
    cpu_charge(hv->m, CY_HV, hv->m->prof.mem_ref);
    return true;
}

/* ---- the guest's own tables, walked in software ----------------------------- */
struct gpath {
    unsigned n;                        /* entries on the path */
    uint32_t entry_gpa[MMU_MAX_LEVELS];
    uint32_t pte[MMU_MAX_LEVELS];
    bool large;                        /* the leaf is above the bottom level */
};

static unsigned shift_below(unsigned levels, const unsigned *bits, unsigned level)
{
    unsigned s = 12;
    for (unsigned i = level + 1; i < levels; i++) s += bits[i];
    return s;
}

/* Walks the guest's tables for va as the hardware would (without setting
 * A/D).  Returns 0 with *gpa, *w, *u, or the guest's fault bits (FAULT_BUS if
 * a table lies outside the VM). */
static uint32_t gwalk(struct hv *hv, uint32_t va, enum mmu_access acc, bool user, struct gpath *p,
                      uint32_t *gpa, bool *w, bool *u)
{
    unsigned levels = hv->m->levels, bits[MMU_MAX_LEVELS];
    mmu_level_bits(levels, bits);
    uint32_t why = (acc == ACC_WRITE ? FAULT_WRITE : 0) | (user ? FAULT_USER : 0) |
                   (acc == ACC_FETCH ? FAULT_FETCH : 0);
    uint32_t table = hv->vcpu.cr[CR_PTB] & PTE_FRAME;
    *w = *u = true;
    p->n = 0;
    p->large = false;
    for (unsigned l = 0; l < levels; l++) {
        unsigned sh = shift_below(levels, bits, l);
        uint32_t e = table + 4 * ((va >> sh) & ((1u << bits[l]) - 1)), pte;
        if (!hv_guest_read32(hv, e, &pte)) return why | FAULT_BUS;
        p->entry_gpa[p->n] = e;
        p->pte[p->n++] = pte;
        if (!(pte & PTE_P)) return why;
        *w = *w && (pte & PTE_W);
        *u = *u && (pte & PTE_U);
        if (l == levels - 1 || (pte & PTE_L)) {
            if ((user && !*u) || (acc == ACC_WRITE && !*w)) return why | FAULT_PRESENT;
            uint32_t mask = (1u << sh) - 1;
            *gpa = ((pte & PTE_FRAME) & ~mask) | (va & mask);
            p->large = l != levels - 1;
            return 0;
        }
        table = pte & PTE_FRAME;
    }
    return why;
}

bool shadow_guest_translate(struct hv *hv, uint32_t va, uint32_t *gpa)
{
    if (!(hv->vcpu.cr[CR_MMU] & 1)) {
        *gpa = va;
        return va < the_vm(hv)->size;
    }
    struct gpath p;
    bool w, u;
    return gwalk(hv, va, ACC_READ, false, &p, gpa, &w, &u) == 0;
}

/* ---- shadow tables --------------------------------------------------------- */
/* The real control registers the shadow lives in: the CPU's under te/bt,
 * the VMCS guest-state area under hw (loaded at the next VM entry). */
static uint32_t *real_cr(struct hv *hv)
{
    return hv->cfg.mode == HV_HW ? hv->m->vmx.vmcs[0].cr : hv->m->cpu.cr;
}

static uint32_t rd(struct hv *hv, uint32_t hpa) { uint32_t v; memcpy(&v, hv->m->mem + hpa, 4); return v; }
static void wr(struct hv *hv, uint32_t hpa, uint32_t v)
{
    memcpy(hv->m->mem + hpa, &v, 4);
    cpu_charge(hv->m, CY_HV, hv->m->prof.mem_ref);
}

/* A zeroed frame for a shadow table; 0 when the pool is empty. */
static uint32_t sh_alloc(struct hv *hv)
{
    struct shadow *s = &hv->sh;
    if (s->frames_next + 4096 > s->frames_end) return 0;
    uint32_t f = s->frames_next;
    s->frames_next += 4096;
    memset(hv->m->mem + f, 0, 4096);
    hv_charge_op(hv, 1);
    return f;
}

/* Throws every shadow away (the pool ran dry, or the guest's tables changed
 * unseen under nested paging); they refill on demand. */
void shadow_reset(struct hv *hv)
{
    struct shadow *s = &hv->sh;
    for (uint32_t f = 0; f < s->gframes; f++) {
        struct shadow_frame *g = &s->fr[f];
        g->shadow = 0;
        g->rmap_n = g->parent_n = g->flood = 0;
    }
    s->frames_next = s->frames_start;
    s->phys_root = 0;
    s->resets++;
    mmu_flush_all(hv->m);
}

bool shadow_init(struct hv *hv, char *err, size_t errlen)
{
    struct shadow *s = &hv->sh;
    shadow_free(hv);   /* arrays a snapshot restore left behind (cpu/snapshot.c) */
    memset(s, 0, sizeof *s);
    s->gframes = hv->cfg.vm_memsize >> 12;
    s->fr = calloc(s->gframes, sizeof *s->fr);
    if (!s->fr) {
        snprintf(err, errlen, "out of host memory for shadow bookkeeping");
        return false;
    }
    s->frames_start = s->frames_next = hv->next_frame;
    s->frames_end = hv->frames_end;
    return true;
}

void shadow_free(struct hv *hv)
{
    free(hv->sh.fr);
    hv->sh.fr = NULL;
}

/* Guest frame f now holds a page table: from now on writes to it are
 * traced, so any shadow leaf mapping it writable loses W. */
static void mark_table(struct hv *hv, uint32_t f)
{
    struct shadow *s = &hv->sh;
    if (f >= s->gframes || s->fr[f].is_table) return;
    s->fr[f].is_table = 1;
    if (s->fr[f].rmap_n > 2) {
        shadow_reset(hv);  /* too many mappings remembered: start over */
        return;
    }
    for (unsigned i = 0; i < s->fr[f].rmap_n; i++) {
        uint32_t e = s->fr[f].rmap[i], pte = rd(hv, e);
        if ((pte & PTE_P) && (pte & PTE_FRAME) == the_vm(hv)->base + (f << 12)) {
            wr(hv, e, pte & ~PTE_W);
            s->syncs++;
        }
    }
    s->fr[f].rmap_n = 0;
    mmu_flush_all(hv->m);
}

/* The shadow of guest table frame f, made if needed (0 if the pool is dry). */
static uint32_t shadow_table(struct hv *hv, uint32_t f)
{
    struct shadow *s = &hv->sh;
    if (f >= s->gframes) return 0;
    if (!s->fr[f].shadow) {
        uint32_t t = sh_alloc(hv);
        if (!t) return 0;
        s->fr[f].shadow = t;
        mark_table(hv, f);
    }
    return s->fr[f].shadow;
}

/* Remembers that shadow entry `entry` points at the shadow of guest table f. */
static void parent_add(struct hv *hv, uint32_t f, uint32_t entry)
{
    struct shadow_frame *g = &hv->sh.fr[f];
    for (unsigned i = 0; i < g->parent_n && i < 2; i++)
        if (g->parent[i] == entry) return;
    if (g->parent_n < 2) g->parent[g->parent_n++] = entry;
    else g->parent_n = 3;
}

static void rmap_add(struct hv *hv, uint32_t f, uint32_t entry)
{
    struct shadow *s = &hv->sh;
    if (s->fr[f].rmap_n < 2) s->fr[f].rmap[s->fr[f].rmap_n++] = entry;
    else s->fr[f].rmap_n = 3;
}

/* Fills the shadow path for va down to a 4 KiB leaf mapping guest frame
 * gframe with flags.  `mirror` says the guest path (p) has tables to mirror;
 * without it (paging off, or below a guest large page) tables are private. */
static bool fill(struct hv *hv, uint32_t root, uint32_t va, const struct gpath *p, bool mirror,
                 uint32_t gframe, uint32_t flags)
{
    unsigned levels = hv->m->levels, bits[MMU_MAX_LEVELS];
    mmu_level_bits(levels, bits);
    uint32_t table = root;
    for (unsigned l = 0; l < levels; l++) {
        unsigned sh = shift_below(levels, bits, l);
        uint32_t e = table + 4 * ((va >> sh) & ((1u << bits[l]) - 1));
        if (l == levels - 1) {
            uint32_t host = the_vm(hv)->base + (gframe << 12);
            wr(hv, e, host | flags | PTE_P);
            if (flags & PTE_W) rmap_add(hv, gframe, e);
            return true;
        }
        uint32_t child;
        /* entry l of the guest path points at a guest table unless it is
         * the leaf (a large page: below it our tables are private) */
        if (mirror && l + 1 < p->n) {
            uint32_t g = p->pte[l] >> 12;
            child = shadow_table(hv, g);
            if (child) {
                parent_add(hv, g, e);
                hv->sh.fr[g].flood = 0;   /* in use as a table: not a flood */
            }
        } else {
            uint32_t old = rd(hv, e);
            child = (old & PTE_P) ? (old & PTE_FRAME) : sh_alloc(hv);
        }
        if (!child) return false;
        /* upper shadow entries allow everything: the leaf carries the rights */
        wr(hv, e, child | PTE_P | PTE_W | PTE_U);
        table = child;
    }
    return false;
}

/* Whether the shadow under root already maps va (no side effects). */
static bool leaf_present(struct hv *hv, uint32_t root, uint32_t va)
{
    unsigned levels = hv->m->levels, bits[MMU_MAX_LEVELS];
    mmu_level_bits(levels, bits);
    uint32_t table = root;
    for (unsigned l = 0; l < levels; l++) {
        unsigned sh = shift_below(levels, bits, l);
        uint32_t pte = rd(hv, table + 4 * ((va >> sh) & ((1u << bits[l]) - 1)));
        if (!(pte & PTE_P)) return false;
        table = pte & PTE_FRAME;
    }
    return true;
}

void shadow_load_context(struct hv *hv)
{
    struct machine *m = hv->m;
    struct shadow *s = &hv->sh;
    uint32_t root;
    for (int attempt = 0; attempt < 2; attempt++) {
        if (hv->vcpu.cr[CR_MMU] & 1) {
            uint32_t f = hv->vcpu.cr[CR_PTB] >> 12;
            if (f < s->gframes && s->fr[f].shadow) s->cache_hits++;
            else s->cache_misses++;
            root = shadow_table(hv, f);
        } else {
            if (!s->phys_root) s->phys_root = sh_alloc(hv);
            root = s->phys_root;
        }
        if (root) break;
        shadow_reset(hv);
    }
    /* the guest's own ASID tags its shadow's TLB entries; paging-off uses 0.
     * Under hw the real values go into the VMCS, loaded at the next entry. */
    uint32_t *cr = real_cr(hv);
    cr[CR_PTB] = root;
    cr[CR_ASID] = (hv->vcpu.cr[CR_MMU] & 1) ? ((hv->vcpu.cr[CR_ASID] + 1) & 0xffff) : 0;
    cr[CR_MMU] = 1;
    if (hv->cfg.mode == HV_HW) {
        /* without ASID tags in the TLB model, a switch flushes (as the
         * guest's own mtcr ptb would) */
        if (!m->mmu.asid_tags) mmu_flush_all(m);
    } else {
        mmu_context_changed(m, true);
    }
}

bool shadow_page_fault(struct hv *hv, uint32_t va, uint32_t fault, uint32_t *gfault)
{
    struct shadow *s = &hv->sh;
    enum mmu_access acc = (fault & FAULT_WRITE) ? ACC_WRITE : (fault & FAULT_FETCH) ? ACC_FETCH : ACC_READ;
    bool user = fault & FAULT_USER;
    hv_charge_op(hv, 1);
    if (!(hv->vcpu.cr[CR_MMU] & 1)) {
        /* guest paging off: guest-virtual = guest-physical.  There are no
         * guest entries whose accessed bits a prefetch could get wrong, so
         * the whole aligned group around va is mapped at once (KVM prefetches
         * neighbouring entries the same way): a kernel sweeping its memory
         * at boot takes one hidden fault per group, not one per page. */
        if (va >= the_vm(hv)->size) { *gfault = FAULT_BUS; return false; }
        struct gpath none = {0};
        uint32_t root = real_cr(hv)[CR_PTB], first = (va >> 12) & ~(PHYS_PREFETCH - 1);
        bool ok = fill(hv, root, va, &none, false, va >> 12, PTE_W | PTE_U);
        for (uint32_t f = first; ok && f < first + PHYS_PREFETCH && f < s->gframes; f++) {
            if (f == va >> 12 || leaf_present(hv, root, f << 12)) continue;
            ok = fill(hv, root, f << 12, &none, false, f, s->fr[f].is_table ? PTE_U : PTE_W | PTE_U);
            s->prefetched++;
        }
        if (!ok) {
            shadow_reset(hv);
            shadow_load_context(hv);
        }
        s->hidden_faults++;
        mmu_invlpg(hv->m, va);
        cpu_trace(hv->m, TR_SHADOW, 0, va, 0, 0, NULL);
        return true;
    }
    struct gpath p;
    uint32_t gpa;
    bool w, u;
    uint32_t g = gwalk(hv, va, acc, user, &p, &gpa, &w, &u);
    if (g) { *gfault = g; return false; }            /* the guest's own fault */
    uint32_t gframe = gpa >> 12;
    if (gframe >= s->gframes) { *gfault = FAULT_BUS | (g & 0xf); return false; }
    // LAB(shadow) BEGIN: a hidden fault: trace table writes, set A/D in the guest's entries, fill the shadow
    if (acc == ACC_WRITE && s->fr[gframe].is_table) {
        *gfault = SHADOW_TRACE;                      /* tracing: the caller emulates the write */
        return false;
    }
    /* set A on the path, and D on the leaf for a write, as the walker would */
    uint32_t leaf = p.n - 1;
    for (unsigned i = 0; i < p.n; i++) {
        uint32_t want = PTE_A | (i == leaf && acc == ACC_WRITE ? PTE_D : 0);
        if ((p.pte[i] & want) != want) {
            p.pte[i] |= want;
            hv_guest_write(hv, p.entry_gpa[i], p.pte[i], 4);
        }
    }
    if ((fault & FAULT_PRESENT) && acc == ACC_WRITE) s->dirty_faults++;
    else s->hidden_faults++;
    /* writable only once dirty, and never for a page table (traced) */
    uint32_t flags = (u ? PTE_U : 0) |
                     ((w && (p.pte[leaf] & PTE_D) && !s->fr[gframe].is_table) ? PTE_W : 0);
    if (!fill(hv, real_cr(hv)[CR_PTB], va, &p, true, gframe, flags)) {
        shadow_reset(hv);
        shadow_load_context(hv);
    }
    //| (void)w; (void)u;
    //| *gfault = FAULT_BUS;   /* for now every hidden fault becomes the guest's bus error */
    //| return false;
    // LAB(shadow) END
    mmu_invlpg(hv->m, va);
    cpu_trace(hv->m, TR_SHADOW, 1, va, gpa, 0, NULL);
    return true;
}

/* Frame f was written SHADOW_FLOOD times in a row without its shadow being
 * used: it is most likely no page table any more (a freed table, reused and
 * being cleared as data).  Stop tracing it: unlink its shadow from the
 * shadow entries that point at it, as KVM does on a write flood.  If it is
 * still a table the guest uses, the next walk through it shadows it anew. */
static void unshadow(struct hv *hv, uint32_t f)
{
    struct shadow *s = &hv->sh;
    struct shadow_frame *g = &s->fr[f];
    g->flood = 0;
    if (!(hv->vcpu.cr[CR_MMU] & 1) || (hv->vcpu.cr[CR_PTB] >> 12) == f) return;   /* the root in use */
    if (g->parent_n > 2) {
        shadow_reset(hv);   /* too many parents remembered: start over */
        g->is_table = 0;
        s->unshadowed++;
        return;
    }
    for (unsigned i = 0; i < g->parent_n; i++) {
        uint32_t pte = rd(hv, g->parent[i]);
        if ((pte & PTE_P) && g->shadow && (pte & PTE_FRAME) == g->shadow) wr(hv, g->parent[i], 0);
    }
    g->shadow = 0;
    g->is_table = 0;
    g->parent_n = g->rmap_n = 0;
    s->unshadowed++;
    hv_charge_op(hv, 1);
    mmu_flush_all(hv->m);
}

/* The guest wrote word gpa of one of its page tables (emulated by the
 * caller): the shadow entry mirroring it is stale — drop it. */
void shadow_traced_write(struct hv *hv, uint32_t gpa)
{
    struct shadow *s = &hv->sh;
    uint32_t f = gpa >> 12;
    s->tracing_faults++;
    if (f < s->gframes && s->fr[f].shadow && rd(hv, s->fr[f].shadow + (gpa & 0xffc))) {
        wr(hv, s->fr[f].shadow + (gpa & 0xffc), 0);
        s->syncs++;
    }
    if (f < s->gframes && ++s->fr[f].flood >= SHADOW_FLOOD) unshadow(hv, f);
    cpu_trace(hv->m, TR_SHADOW, 2, gpa, 0, 0, NULL);
}
