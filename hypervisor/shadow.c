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

#include "hypervisor/technique.h"
#include "hypervisor/vcpu.h"

static struct vm *the_vm(struct hv *hv) { return &hv->vms[0]; }

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

/* A write to a guest page table at gpa: the caller emulates it (tracing). */
static bool traced(struct hv *hv, uint32_t gpa, uint32_t *gfault)
{
    hv->sh.trace_gpa = gpa;
    *gfault = SHADOW_TRACE;
    return false;
}

/* Sets bits in the guest's entry i of the path, as the walker's A/D update. */
static void set_bits(struct hv *hv, struct gpath *p, unsigned i, uint32_t want)
{
    if ((p->pte[i] & want) == want) return;
    p->pte[i] |= want;
    hv_guest_write(hv, p->entry_gpa[i], p->pte[i], 4);
}

/* Walks the guest's tables for va as the hardware would.  True with *gpa,
 * *w, *u; false with the guest's fault bits in *fault (FAULT_BUS if a table
 * lies outside the VM).  Note that the fault bits of a supervisor read of a
 * not-present page are 0: success is the return value, never "no fault
 * bits".  With set_ad the walk sets A and D exactly where the hardware's
 * does (mmu.c, walk_dim): A in every upper entry it goes through — even if
 * the walk then fails below — and A (and D for a write) in a leaf that
 * allows the access. */
/* A mark in the software bits of a shadow leaf: the guest's entry allows
 * writing, and the write permission is withheld only to trace or to catch
 * the first write (so a write fault through it is ours, not the guest's). */
#define SHADOW_GUEST_W 0x80u

static bool gwalk(struct hv *hv, uint32_t va, enum mmu_access acc, bool user, bool set_ad, struct gpath *p,
                  uint32_t *gpa, bool *w, bool *u, uint32_t *fault)
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
        if (!hv_guest_read32(hv, e, &pte)) { *fault = why | FAULT_BUS; return false; }
        p->entry_gpa[p->n] = e;
        p->pte[p->n++] = pte;
        if (!(pte & PTE_P)) { *fault = why; return false; }
        *w = *w && (pte & PTE_W);
        *u = *u && (pte & PTE_U);
        if (l == levels - 1 || (pte & PTE_L)) {
            if ((user && !*u) || (acc == ACC_WRITE && !*w)) { *fault = why | FAULT_PRESENT; return false; }
            if (set_ad) set_bits(hv, p, l, PTE_A | (acc == ACC_WRITE ? PTE_D : 0));
            uint32_t mask = (1u << sh) - 1;
            *gpa = ((pte & PTE_FRAME) & ~mask) | (va & mask);
            p->large = l != levels - 1;
            return true;
        }
        if (set_ad) set_bits(hv, p, l, PTE_A);
        table = pte & PTE_FRAME;
    }
    *fault = why;
    return false;
}

bool shadow_guest_translate(struct hv *hv, uint32_t va, uint32_t *gpa)
{
    if (!(hv->vcpu.cr[CR_MMU] & 1)) {
        *gpa = va;
        return va < the_vm(hv)->size;
    }
    struct gpath p;
    bool w, u;
    uint32_t fault;
    return gwalk(hv, va, ACC_READ, false, false, &p, gpa, &w, &u, &fault);
}

/* ---- shadow tables --------------------------------------------------------- */
/* The real control registers the shadow lives in: the CPU's under te/bt,
 * the VMCS guest-state area under hw (loaded at the next VM entry). */
static uint32_t *real_cr(struct hv *hv) { return hv_technique_of(hv)->shadow_cr(hv); }

static uint32_t rd(struct hv *hv, uint32_t hpa) { uint32_t v; memcpy(&v, hv->m->mem + hpa, 4); return v; }
static void wr(struct hv *hv, uint32_t hpa, uint32_t v)
{
    memcpy(hv->m->mem + hpa, &v, 4);
    cpu_charge(hv->m, CY_HV, hv->m->prof.mem_ref);
}

/* The pool frame at host address hpa, or NULL if hpa is not one.  Every
 * shadow entry the hypervisor follows is checked here first, so a walk of
 * the shadows can only ever descend into the pool, whatever the guest did. */
static struct shadow_page *pool_page(struct hv *hv, uint32_t hpa)
{
    struct shadow *s = &hv->sh;
    if (hpa < s->frames_start || hpa >= s->frames_next || (hpa & 0xfff)) return NULL;
    return &s->pg[(hpa - s->frames_start) >> 12];
}
static uint32_t pool_addr(const struct shadow *s, uint32_t idx) { return s->frames_start + (idx << 12); }

/* A zeroed frame for a shadow table of the given kind; 0 when the pool is empty. */
static uint32_t sh_alloc(struct hv *hv, enum shadow_kind kind, unsigned level)
{
    struct shadow *s = &hv->sh;
    if (s->frames_next + 4096 > s->frames_end) return 0;
    uint32_t f = s->frames_next;
    s->frames_next += 4096;
    memset(hv->m->mem + f, 0, 4096);
    struct shadow_page *p = pool_page(hv, f);
    *p = (struct shadow_page){.kind = (uint8_t)kind, .level = (uint8_t)level};
    hv_charge_op(hv, 1);
    return f;
}

/* Throws every shadow away (the pool ran dry, or the guest's tables changed
 * unseen under nested paging); they refill on demand.  The TLB keeps what
 * it caches — those are the guest's translations, which bare metal would
 * keep too — but the walk caches hold our tables' entries, and the frames
 * they point at are about to be reused. */
void shadow_reset(struct hv *hv)
{
    struct shadow *s = &hv->sh;
    for (uint32_t f = 0; f < s->gframes; f++) {
        struct shadow_frame *g = &s->fr[f];
        g->first = 0;
        g->rmap_n = g->flood = 0;
    }
    if (s->pg) memset(s->pg, 0, (size_t)s->npool * sizeof *s->pg);
    s->frames_next = s->frames_start;
    s->phys_root = s->empty_root = 0;
    s->resets++;
    mmu_flush_walk_caches(hv->m);
}

bool shadow_init(struct hv *hv, char *err, size_t errlen)
{
    struct shadow *s = &hv->sh;
    shadow_free(hv);   /* arrays a snapshot restore left behind (cpu/snapshot.c) */
    memset(s, 0, sizeof *s);
    s->gframes = hv->cfg.vm_memsize >> 12;
    s->frames_start = s->frames_next = hv->next_frame;
    s->frames_end = hv->frames_end;
    s->npool = s->frames_end > s->frames_start ? (s->frames_end - s->frames_start) >> 12 : 0;
    s->fr = calloc(s->gframes, sizeof *s->fr);
    s->pg = calloc(s->npool + 1, sizeof *s->pg);
    if (!s->fr || !s->pg) {
        shadow_free(hv);
        snprintf(err, errlen, "out of host memory for shadow bookkeeping");
        return false;
    }
    return true;
}

/* Shadow paging's state in a save file (hooks.c): the counters and, when
 * it has them, the per-frame bookkeeping and the pool's (the shadow tables
 * themselves are in host memory, saved with it).  A guest switched away
 * from shadow paging may still hold them; a machine rebuilt without them
 * gets them made here. */
void shadow_file(struct hv *hv, struct savefile *f)
{
    struct shadow *s = &hv->sh;
    uint32_t *w[] = {&s->gframes, &s->npool, &s->phys_root, &s->empty_root, &s->frames_start, &s->frames_next,
                     &s->frames_end, &s->trace_gpa};
    for (size_t i = 0; i < sizeof w / sizeof w[0]; i++) sf_u32(f, w[i]);
    uint64_t *c[] = {&s->hidden_faults, &s->tracing_faults, &s->dirty_faults, &s->cache_hits, &s->cache_misses,
                     &s->resets, &s->prefetched, &s->syncs, &s->unshadowed, &s->guest_refs};
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) sf_u64(f, c[i]);
    bool has = s->fr != NULL;
    sf_bool(f, &has);
    if (!sf_ok(f)) return;
    if (!sf_writing(f)) {
        shadow_free(hv);
        if (!has) return;
        if (s->gframes > (1u << 20) || s->npool > (1u << 20)) {
            sf_fail(f, "shadow bookkeeping of %u frames and a pool of %u: too large", s->gframes, s->npool);
            return;
        }
        s->fr = calloc(s->gframes, sizeof *s->fr);
        s->pg = calloc(s->npool + 1, sizeof *s->pg);
        if (!s->fr || !s->pg) {
            sf_fail(f, "out of host memory for shadow bookkeeping");
            return;
        }
    }
    if (!has) return;
    for (uint32_t i = 0; i < s->gframes && sf_ok(f); i++) {
        struct shadow_frame *e = &s->fr[i];
        sf_u32(f, &e->first);
        sf_u32(f, &e->rmap[0]);
        sf_u32(f, &e->rmap[1]);
        sf_u8(f, &e->is_table);
        sf_u8(f, &e->rmap_n);
        sf_u8(f, &e->flood);
    }
    for (uint32_t i = 0; i <= s->npool && sf_ok(f); i++) {
        struct shadow_page *e = &s->pg[i];
        sf_u32(f, &e->gframe);
        sf_u32(f, &e->next);
        sf_u32(f, &e->parent[0]);
        sf_u32(f, &e->parent[1]);
        sf_u8(f, &e->parent_n);
        sf_u8(f, &e->kind);
        sf_u8(f, &e->level);
        sf_u8(f, &e->role);
    }
}

void shadow_free(struct hv *hv)
{
    free(hv->sh.fr);
    free(hv->sh.pg);
    hv->sh.fr = NULL;
    hv->sh.pg = NULL;
}

/* Guest frame f now holds a page table: from now on writes to it are
 * traced, so no translation of it may stay writable — neither a shadow leaf
 * nor a TLB entry (which keeps its place, read-only: the guest's TLB still
 * holds the page, as it would on bare metal). */
static void mark_table(struct hv *hv, uint32_t f)
{
    struct shadow *s = &hv->sh;
    if (f >= s->gframes || s->fr[f].is_table) return;
    s->fr[f].is_table = 1;
    uint32_t host = the_vm(hv)->base + (f << 12);
    mmu_protect_frame(hv->m, host >> 12, SHADOW_GUEST_W >> 7);
    if (s->fr[f].rmap_n > 2) {
        /* too many leaves remembered: start over (the caller's fill fails
         * and is retried on a fresh pool) */
        s->fr[f].rmap_n = 0;
        shadow_reset(hv);
        return;
    }
    for (unsigned i = 0; i < s->fr[f].rmap_n; i++) {
        uint32_t e = s->fr[f].rmap[i], pte = rd(hv, e);
        if ((pte & PTE_P) && (pte & PTE_FRAME) == host) {
            wr(hv, e, (pte & ~PTE_W) | SHADOW_GUEST_W);
            s->syncs++;
        }
    }
    s->fr[f].rmap_n = 0;
}

/* ---- live migration's dirty log (migrate.c) ---------------------------------
 * Write protection, as for the guest's page tables: while the log is on, a
 * shadow leaf is made writable only for a page the log has marked (fill),
 * so the first write to any other page is a fault of ours, where the page is
 * marked and the leaf refilled writable.  Logging starts from an empty set
 * of writable leaves, and re-arming takes the write permission back from
 * the pages collected: their leaves (the reverse map) and their TLB entries,
 * which keep their place read-only as mark_table's do. */
static void log_protect(struct hv *hv, uint32_t f)
{
    struct shadow *s = &hv->sh;
    uint32_t host = the_vm(hv)->base + (f << 12);
    mmu_protect_frame(hv->m, host >> 12, SHADOW_GUEST_W >> 7);
    for (unsigned i = 0; i < s->fr[f].rmap_n && i < 2; i++) {
        uint32_t e = s->fr[f].rmap[i], pte = rd(hv, e);
        if ((pte & PTE_P) && (pte & PTE_W) && (pte & PTE_FRAME) == host) wr(hv, e, (pte & ~PTE_W) | SHADOW_GUEST_W);
    }
    s->fr[f].rmap_n = 0;
}

void shadow_dirty_log(struct hv *hv, enum hv_dirty_op op)
{
    struct shadow *s = &hv->sh;
    if (op == HV_DIRTY_STOP) return;   /* leaves withheld are refilled writable on their next write */
    bool reset = false;
    for (uint32_t f = 0; f < s->gframes; f++) {
        if (op == HV_DIRTY_REARM && !hv_dirty_marked(hv, f)) continue;
        if (s->fr[f].rmap_n > 2) reset = true;   /* too many leaves to remember: start over */
        log_protect(hv, f);
    }
    if (reset) {
        shadow_reset(hv);
        shadow_load_context(hv, false);
    }
}

/* The shadow of guest table frame f as used at `level` with `role` (the W
 * and U the entries above grant), made if needed; 0 if the pool is dry. */
static uint32_t shadow_table(struct hv *hv, uint32_t f, unsigned level, uint32_t role)
{
    struct shadow *s = &hv->sh;
    if (f >= s->gframes) return 0;
    for (uint32_t i = s->fr[f].first; i; i = s->pg[i - 1].next) {
        const struct shadow_page *p = &s->pg[i - 1];
        if (p->kind == SP_MIRROR && p->level == level && p->role == role) return pool_addr(s, i - 1);
    }
    uint64_t resets = s->resets;
    mark_table(hv, f);
    if (s->resets != resets) return 0;   /* the pool was emptied under us: retry */
    uint32_t t = sh_alloc(hv, SP_MIRROR, level);
    if (!t) return 0;
    struct shadow_page *p = pool_page(hv, t);
    p->gframe = f;
    p->role = (uint8_t)role;
    p->next = s->fr[f].first;
    s->fr[f].first = ((t - s->frames_start) >> 12) + 1;
    return t;
}

/* Remembers that shadow entry `entry` points at pool table p. */
static void parent_add(struct shadow_page *p, uint32_t entry)
{
    for (unsigned i = 0; i < p->parent_n && i < 2; i++)
        if (p->parent[i] == entry) return;
    if (p->parent_n < 2) p->parent[p->parent_n++] = entry;
    else p->parent_n = 3;
}

static void rmap_add(struct hv *hv, uint32_t f, uint32_t entry)
{
    struct shadow *s = &hv->sh;
    if (s->fr[f].rmap_n < 2) s->fr[f].rmap[s->fr[f].rmap_n++] = entry;
    else s->fr[f].rmap_n = 3;
}

/* Fills the shadow path for va under root down to a 4 KiB leaf mapping
 * guest frame gframe with flags.  `mirror` says the guest path (p) has
 * tables to mirror; without it (paging off, or below a guest large page)
 * tables are private.  Only frames of the pool are ever descended into,
 * each checked to be the table this entry must lead to. */
static bool fill(struct hv *hv, uint32_t root, uint32_t va, const struct gpath *p, bool mirror,
                 uint32_t gframe, uint32_t flags)
{
    unsigned levels = hv->m->levels, bits[MMU_MAX_LEVELS];
    mmu_level_bits(levels, bits);
    struct shadow_page *rp = pool_page(hv, root);
    if (!rp || rp->kind == SP_EMPTY || rp->kind == SP_FREE) return false;
    uint32_t table = root, role = PTE_W | PTE_U;
    for (unsigned l = 0; l < levels; l++) {
        unsigned sh = shift_below(levels, bits, l);
        uint32_t e = table + 4 * ((va >> sh) & ((1u << bits[l]) - 1));
        if (l == levels - 1) {
            /* a page beyond the VM's memory maps nothing: a bus error on
             * every access, cached in the TLB as bare metal caches it */
            bool in_vm = gframe < hv->sh.gframes;
            uint32_t host = in_vm ? the_vm(hv)->base + (gframe << 12) : MMU_NO_MEMORY_FRAME;
            /* the page may have become a table on the way down (a table
             * that maps itself): then it is traced from now on */
            if (in_vm && hv->sh.fr[gframe].is_table && (flags & PTE_W))
                flags = (flags & ~PTE_W) | SHADOW_GUEST_W;
            /* a migration's dirty log: writable only once the log has
             * the page marked (shadow_dirty_log) */
            if (in_vm && hv->dirty.on && (flags & PTE_W) && !hv_dirty_marked(hv, gframe))
                flags = (flags & ~PTE_W) | SHADOW_GUEST_W;
            wr(hv, e, host | flags | PTE_P);
            if (in_vm && (flags & PTE_W)) rmap_add(hv, gframe, e);
            return true;
        }
        uint32_t child = 0;
        /* entry l of the guest path points at a guest table unless it is
         * the leaf (a large page: below it our tables are private) */
        if (mirror && l + 1 < p->n) {
            role &= p->pte[l] & (PTE_W | PTE_U);
            uint32_t g = p->pte[l] >> 12;
            child = shadow_table(hv, g, l + 1, role);
            if (!child) return false;
            hv->sh.fr[g].flood = 0;   /* in use as a table: not a flood */
        } else {
            struct shadow_page *cp = pool_page(hv, rd(hv, e) & PTE_FRAME);
            if ((rd(hv, e) & PTE_P) && cp && cp->kind == SP_PRIVATE && cp->level == l + 1 &&
                cp->parent_n == 1 && cp->parent[0] == e)
                child = rd(hv, e) & PTE_FRAME;
            else if (!(child = sh_alloc(hv, SP_PRIVATE, l + 1)))
                return false;
        }
        parent_add(pool_page(hv, child), e);
        /* upper shadow entries allow everything: the leaf carries the rights */
        wr(hv, e, child | PTE_P | PTE_W | PTE_U);
        table = child;
    }
    return false;
}

/* Whether the shadow under root already maps va, with its leaf entry in
 * *leaf (no side effects). */
static bool shadow_leaf(struct hv *hv, uint32_t root, uint32_t va, uint32_t *leaf)
{
    unsigned levels = hv->m->levels, bits[MMU_MAX_LEVELS];
    mmu_level_bits(levels, bits);
    uint32_t table = root;
    for (unsigned l = 0; l < levels; l++) {
        unsigned sh = shift_below(levels, bits, l);
        uint32_t pte = rd(hv, table + 4 * ((va >> sh) & ((1u << bits[l]) - 1)));
        if (!(pte & PTE_P)) return false;
        if (l + 1 < levels && !pool_page(hv, pte & PTE_FRAME)) return false;
        table = pte & PTE_FRAME;
        *leaf = pte;
    }
    return true;
}

/* Whether the shadow under root already maps va (no side effects). */
static bool leaf_present(struct hv *hv, uint32_t root, uint32_t va)
{
    uint32_t leaf;
    return shadow_leaf(hv, root, va, &leaf);
}

/* The root for the guest's paging state: the shadow of its root table; a
 * private one while paging is off; an empty one if the root lies outside
 * the VM, where every walk fails as it would on bare metal (a bus error:
 * the table is beyond the end of memory).  0 if the pool is dry. */
static uint32_t context_root(struct hv *hv)
{
    struct shadow *s = &hv->sh;
    if (!(hv->vcpu.cr[CR_MMU] & 1)) {
        if (!s->phys_root) s->phys_root = sh_alloc(hv, SP_PHYS, 0);
        return s->phys_root;
    }
    uint32_t f = hv->vcpu.cr[CR_PTB] >> 12;
    if (f >= s->gframes) {
        if (!s->empty_root) s->empty_root = sh_alloc(hv, SP_EMPTY, 0);
        return s->empty_root;
    }
    uint32_t root = 0;
    for (uint32_t i = s->fr[f].first; i && !root; i = s->pg[i - 1].next)
        if (s->pg[i - 1].kind == SP_MIRROR && s->pg[i - 1].level == 0) root = pool_addr(s, i - 1);
    if (root) s->cache_hits++;
    else s->cache_misses++;
    return root ? root : shadow_table(hv, f, 0, PTE_W | PTE_U);
}

uint32_t shadow_root_of(const struct hv *hv, const uint32_t guest_cr[CR_COUNT])
{
    const struct shadow *s = &hv->sh;
    if (!(guest_cr[CR_MMU] & 1)) return s->phys_root;
    uint32_t f = guest_cr[CR_PTB] >> 12;
    if (f >= s->gframes) return s->empty_root;
    for (uint32_t i = s->fr[f].first; i; i = s->pg[i - 1].next)
        if (s->pg[i - 1].kind == SP_MIRROR && s->pg[i - 1].level == 0) return pool_addr(s, i - 1);
    return 0;
}

bool shadow_mirror_of(const struct hv *hv, uint32_t host_frame, uint32_t *gframe, unsigned *level)
{
    const struct shadow *s = &hv->sh;
    if (!s->pg || host_frame < s->frames_start || host_frame >= s->frames_next) return false;
    const struct shadow_page *p = &s->pg[(host_frame - s->frames_start) >> 12];
    if (p->kind != SP_MIRROR) return false;
    *gframe = p->gframe;
    *level = p->level;
    return true;
}

void shadow_load_context(struct hv *hv, bool ptb_written)
{
    struct machine *m = hv->m;
    uint32_t root = 0;
    for (int attempt = 0; attempt < 2 && !root; attempt++) {
        root = context_root(hv);
        if (!root) shadow_reset(hv);
    }
    /* the guest's own ASID tags its shadow's TLB entries; paging-off uses 0.
     * Under hw the real values go into the VMCS, loaded at the next entry. */
    uint32_t *cr = real_cr(hv);
    cr[CR_PTB] = root;
    cr[CR_ASID] = (hv->vcpu.cr[CR_MMU] & 1) ? ((hv->vcpu.cr[CR_ASID] + 1) & 0xffff) : 0;
    cr[CR_MMU] = 1;
    m->mmu.phys_space = !(hv->vcpu.cr[CR_MMU] & 1);
    /* the TLB sees what the guest's own write would have done to it:
     * without ASID tags a ptb write drops every entry but the global ones */
    mmu_context_changed(m, ptb_written);
}

/* The TLB is looked up and filled in the guest's context.  Where the
 * shadow's registers are the CPU's (te, bt) that context is on the CPU;
 * else (hw) the CPU is in root mode, so the guest's — its VMCS guest state,
 * with the shadow's ptb — is lent to it, in non-root mode. */
static bool context_on_cpu(struct hv *hv) { return real_cr(hv) == hv->m->cpu.cr; }

static void guest_context_in(struct hv *hv, struct cpu *saved)
{
    struct machine *m = hv->m;
    *saved = m->cpu;
    if (context_on_cpu(hv)) return;
    memcpy(m->cpu.cr, real_cr(hv), sizeof m->cpu.cr);
    m->cpu.nonroot = true;
}

static void guest_context_out(struct hv *hv, const struct cpu *saved)
{
    if (context_on_cpu(hv)) return;
    hv->m->cpu = *saved;
    mmu_context_changed(hv->m, false);
}

/* Makes the TLB entry for va that a read in the guest's context would make. */
static void tlb_fill_as_guest(struct hv *hv, uint32_t va)
{
    struct cpu saved;
    uint32_t pa, f;
    guest_context_in(hv, &saved);
    mmu_translate(hv->m, va, ACC_READ, &pa, &f);
    guest_context_out(hv, &saved);
}

/* Drops the guest's TLB entries for va (its context, not the hypervisor's). */
static void tlb_forget_as_guest(struct hv *hv, uint32_t va)
{
    struct cpu saved;
    guest_context_in(hv, &saved);
    mmu_forget_page(hv->m, va);
    guest_context_out(hv, &saved);
}

/* The guest's TLB entry for va, if it holds one. */
static bool tlb_lookup_as_guest(struct hv *hv, uint32_t va, struct tlb_entry *e)
{
    struct cpu saved;
    guest_context_in(hv, &saved);
    bool hit = mmu_tlb_lookup(hv->m, va, e);
    guest_context_out(hv, &saved);
    return hit;
}

/*
 * --invariants (labs/grade.sh turns it on): after a hidden fault is filled,
 * the shadow's leaf for va must give no more than the guest's own entries
 * give — writing only once the guest's D bit is set, never to a page table,
 * ring 3 only where the guest allows it — and map the frame the guest's
 * entry names.  The first broken rule stops the guest there and then,
 * saying which rule, where and when: the moment a wrong fill happens, not
 * the moment, much later, its output goes wrong.  Returns false after
 * stopping it.
 */
static bool fill_is_sound(struct hv *hv, uint32_t va, const struct gpath *p, uint32_t gpa)
{
    struct shadow *s = &hv->sh;
    uint32_t sl, gl, gframe = gpa >> 12;
    if (!shadow_leaf(hv, real_cr(hv)[CR_PTB], va, &sl)) return true;   /* nothing filled */
    if (!hv_guest_read32(hv, p->entry_gpa[p->n - 1], &gl)) return true;
    bool w = true, u = true;
    for (unsigned i = 0; i < p->n; i++) {
        w = w && (p->pte[i] & PTE_W);
        u = u && (p->pte[i] & PTE_U);
    }
    bool in_vm = gframe < s->gframes;
    const char *broken = NULL;
    if ((sl & PTE_W) && !(gl & PTE_D))
        broken = "a shadow entry is writable while the guest's D bit is clear";
    else if ((sl & PTE_W) && !w)
        broken = "a shadow entry is writable where the guest's entries forbid writing";
    else if ((sl & PTE_W) && in_vm && s->fr[gframe].is_table)
        broken = "a shadow entry makes a guest page table writable: its writes would not be traced";
    else if ((sl & PTE_U) && !u)
        broken = "a shadow entry lets ring 3 in where the guest's entries do not";
    else if (in_vm && (sl & PTE_FRAME) != the_vm(hv)->base + (gframe << 12))
        broken = "a shadow entry maps another frame than the guest's entry names";
    if (!broken) return true;
    vcpu_invariant_broken(hv, "%s, at va 0x%08x (guest entry 0x%08x, shadow entry 0x%08x)", broken, va, gl, sl);
    return false;
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
        if (acc == ACC_WRITE && s->fr[va >> 12].is_table) return traced(hv, va, gfault);
        if (acc == ACC_WRITE && hv->dirty.on && !hv_dirty_marked(hv, va >> 12)) {
            hv->dirty.faults++;                      /* the write goes ahead: logged */
            hv_dirty_mark(hv, va >> 12);
        }
        struct gpath none = {0};
        uint32_t root = real_cr(hv)[CR_PTB], first = (va >> 12) & ~(PHYS_PREFETCH - 1);
        bool ok = true;
        for (uint32_t f = first; ok && f < first + PHYS_PREFETCH && f < s->gframes; f++) {
            if (f != va >> 12 && leaf_present(hv, root, f << 12)) continue;
            ok = fill(hv, root, f << 12, &none, false, f, s->fr[f].is_table ? PTE_U | PTE_D : PTE_W | PTE_U | PTE_D);
            if (f != va >> 12) s->prefetched++;
        }
        if (!ok) {
            shadow_reset(hv);
            shadow_load_context(hv, false);
        }
        s->hidden_faults++;
        mmu_forget_page(hv->m, va);
        cpu_trace(hv->m, TR_SHADOW, 0, va, 0, NULL);
        return true;
    }
    /* A fault from a translation the TLB holds: bare metal would not walk
     * either, so neither do we.  The entry keeps what the guest's entry
     * allowed when it was cached (stale or not), less the write permission
     * we withheld, which its leaf's SHADOW_GUEST_W says. */
    struct tlb_entry cached;
    if (tlb_lookup_as_guest(hv, va, &cached)) {
        uint32_t why = (acc == ACC_WRITE ? FAULT_WRITE : 0) | (user ? FAULT_USER : 0) |
                       (acc == ACC_FETCH ? FAULT_FETCH : 0);
        if ((user && !cached.user) || (acc == ACC_WRITE && !cached.writable && !(cached.soft & (SHADOW_GUEST_W >> 7)))) {
            *gfault = why | FAULT_PRESENT;           /* the guest's own protection fault */
            return false;
        }
        if (acc == ACC_WRITE && !cached.dirty)
            /* the first write through a clean entry: bare metal drops the
             * entry and walks again to set D — and if that walk fails, the
             * page is no longer in the TLB */
            tlb_forget_as_guest(hv, va);
        uint32_t cf = cached.pfn - (the_vm(hv)->base >> 12);
        if (acc == ACC_WRITE && cached.dirty && cf < s->gframes && s->fr[cf].is_table)
            return traced(hv, (cf << 12) | (va & 0xfff), gfault);   /* through a dirty entry */
    }
    struct gpath p;
    uint32_t gpa;
    bool w, u;
    if (!gwalk(hv, va, acc, user, true, &p, &gpa, &w, &u, gfault)) return false;   /* the guest's own fault */
    uint32_t gframe = gpa >> 12;
    bool in_vm = gframe < s->gframes;
    /* a write the guest's tables allow goes ahead: a migration logs it */
    if (acc == ACC_WRITE && w && in_vm) {
        if (hv->dirty.on && !hv_dirty_marked(hv, gframe)) hv->dirty.faults++;
        hv_dirty_mark(hv, gframe);
    }
    // LAB(shadow) BEGIN: a hidden fault: fill the shadow (read-only until dirty, never writable for a page table), trace table writes
    /* the walk set A on the path, and D on the leaf for a write, as the
     * hardware's walk would (a write to a page table too: it walks first) */
    uint32_t leaf = p.n - 1;
    bool table = in_vm && s->fr[gframe].is_table;
    if (acc == ACC_WRITE && !table) {
        if (fault & FAULT_PRESENT) s->dirty_faults++;
        else s->hidden_faults++;
    } else if (acc != ACC_WRITE) {
        s->hidden_faults++;
    }
    /* writable only once dirty, and never for a page table (traced); the
     * leaf carries the guest's D and G, which the TLB entry made from it
     * keeps, as it would from the guest's own leaf, and SHADOW_GUEST_W where
     * the guest allows the write we withhold */
    uint32_t gl = p.pte[leaf];
    bool writable = w && (gl & PTE_D) && !table;
    uint32_t flags = (u ? PTE_U : 0) | (gl & (PTE_D | PTE_G)) | (writable ? PTE_W : 0) |
                     (w && !writable ? SHADOW_GUEST_W : 0);
    if (!fill(hv, real_cr(hv)[CR_PTB], va, &p, true, gframe, flags)) {
        shadow_reset(hv);
        shadow_load_context(hv, false);
    }
    if (acc == ACC_WRITE && table) {
        /* tracing: the caller emulates the write.  On bare metal the walk
         * would have left a writable, dirty entry in the TLB; leave its
         * read-only twin there */
        mmu_forget_page(hv->m, va);
        tlb_fill_as_guest(hv, va);
        return traced(hv, gpa, gfault);
    }
    //| (void)w; (void)u; (void)in_vm; (void)tlb_fill_as_guest;
    //| *gfault = FAULT_BUS;   /* for now every hidden fault becomes the guest's bus error */
    //| return false;
    // LAB(shadow) END
    if (hv->cfg.invariants && !fill_is_sound(hv, va, &p, gpa)) return true;   /* stopped */
    mmu_forget_page(hv->m, va);
    cpu_trace(hv->m, TR_SHADOW, 1, va, gpa, NULL);
    return true;
}

/* Frame f was written SHADOW_FLOOD times in a row without its shadow being
 * used: it is most likely no page table any more (a freed table, reused and
 * being cleared as data).  Stop tracing it: unlink its shadows from the
 * shadow entries that point at them, as KVM does on a write flood.  If it is
 * still a table the guest uses, the next walk through it shadows it anew. */
static void unshadow(struct hv *hv, uint32_t f)
{
    struct shadow *s = &hv->sh;
    struct shadow_frame *g = &s->fr[f];
    g->flood = 0;
    if (!(hv->vcpu.cr[CR_MMU] & 1) || (hv->vcpu.cr[CR_PTB] >> 12) == f) return;   /* the root in use */
    for (uint32_t i = g->first; i; i = s->pg[i - 1].next)
        if (s->pg[i - 1].parent_n > 2) {
            shadow_reset(hv);   /* too many parents remembered: start over */
            g->is_table = 0;
            s->unshadowed++;
            return;
        }
    for (uint32_t i = g->first; i; i = s->pg[i - 1].next) {
        struct shadow_page *sp = &s->pg[i - 1];
        uint32_t t = pool_addr(s, i - 1);
        for (unsigned k = 0; k < sp->parent_n; k++) {
            uint32_t pte = rd(hv, sp->parent[k]);
            if ((pte & PTE_P) && (pte & PTE_FRAME) == t) wr(hv, sp->parent[k], 0);
        }
        sp->kind = SP_FREE;   /* unreachable now; the pool reclaims it at the next reset */
    }
    g->first = 0;
    g->is_table = 0;
    g->rmap_n = 0;
    s->unshadowed++;
    hv_charge_op(hv, 1);
    mmu_flush_walk_caches(hv->m);
}

/* A device (the disk's DMA) wrote guest-physical [gpa, gpa + len) behind
 * the CPU's back, so no write fault traced it: every shadow entry mirroring
 * a word of it is stale, and dropped as a traced write drops one. */
void shadow_dma_write(struct hv *hv, uint32_t gpa, uint32_t len)
{
    struct shadow *s = &hv->sh;
    for (uint32_t a = gpa & ~3u; s->fr && a < gpa + len; a += 4) {
        uint32_t f = a >> 12;
        if (f >= s->gframes) return;
        if (s->fr[f].first) shadow_traced_write(hv, a);
        else a = (a | 0xfff) - 3;   /* nothing mirrors this frame: the next one */
    }
}

/* The guest wrote word gpa of one of its page tables (emulated by the
 * caller): the shadow entries mirroring it, in every shadow of the frame,
 * are stale — drop them.  The TLB keeps what it holds, as on bare metal. */
void shadow_traced_write(struct hv *hv, uint32_t gpa)
{
    struct shadow *s = &hv->sh;
    uint32_t f = gpa >> 12;
    s->tracing_faults++;
    if (f >= s->gframes) return;
    for (uint32_t i = s->fr[f].first; i; i = s->pg[i - 1].next) {
        uint32_t e = pool_addr(s, i - 1) + (gpa & 0xffc);
        if (rd(hv, e)) {
            wr(hv, e, 0);
            s->syncs++;
        }
    }
    if (++s->fr[f].flood >= SHADOW_FLOOD) unshadow(hv, f);
    cpu_trace(hv->m, TR_SHADOW, 2, gpa, 0, NULL);
}
