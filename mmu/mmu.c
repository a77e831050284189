/*
 * mmu.c — the TLB and the page walker.
 *
 * The one idea: a translation is first looked up in the TLB; only a miss
 * walks the radix tables, and the walk reads one entry per level, each read a
 * counted memory reference (walk.refs) charged to the cause `walk`.  A walk of
 * an n-level table without large pages therefore costs exactly n references;
 * a page-walk cache of upper-level entries lets a walk skip the levels it
 * remembers.  The walk is written to be read, not to be fast: it runs only
 * on a miss.  It reads only the walk context it is given (mmu.h): the live
 * walk of a miss and the debugger's probes, which change nothing, are the
 * same function.
 */
#include "mmu/mmu.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/cpu.h"

bool mmu_parse_tlb(const char *s, unsigned *entries, unsigned *ways)
{
    char *end;
    unsigned long e = strtoul(s, &end, 10), w = e;
    if (end == s) return false;
    if (*end == ':') {
        const char *p = end + 1;
        w = strtoul(p, &end, 10);
        if (end == p) return false;
    }
    if (*end || e == 0 || w == 0 || e > 65536 || w > e || e % w) return false;
    unsigned long sets = e / w;
    if (sets & (sets - 1)) return false; /* sets must be a power of two */
    *entries = (unsigned)e;
    *ways = (unsigned)w;
    return true;
}

bool mmu_init(struct mmu *u, const struct mmu_config *cfg, char *err, size_t errlen)
{
    memset(u, 0, sizeof *u);
    u->levels = cfg->levels ? cfg->levels : 2;
    if (u->levels < 2 || u->levels > MMU_MAX_LEVELS) {
        snprintf(err, errlen, "page-table levels %u: expected 2, 3 or 4", u->levels);
        return false;
    }
    mmu_level_bits(u->levels, u->bits);
    for (unsigned n = 2; n <= MMU_MAX_LEVELS; n++) mmu_shape_of(n, &u->shapes[n]);
    u->tlb_entries = cfg->tlb_entries ? cfg->tlb_entries : 64;
    u->tlb_ways = cfg->tlb_ways ? cfg->tlb_ways : (cfg->tlb_entries ? cfg->tlb_entries : 4);
    if (u->tlb_ways > u->tlb_entries || u->tlb_entries % u->tlb_ways ||
        ((u->tlb_entries / u->tlb_ways) & (u->tlb_entries / u->tlb_ways - 1))) {
        snprintf(err, errlen, "TLB %u entries, %u ways: the number of sets (entries/ways) must be a power of two",
                 u->tlb_entries, u->tlb_ways);
        return false;
    }
    u->tlb_sets = u->tlb_entries / u->tlb_ways;
    u->tlb_slots = 2 * u->tlb_entries;   /* the TLB, then the physical-space one */
    u->tlb = calloc(u->tlb_slots, sizeof *u->tlb);
    /* N entries for each dimension: the host table's entries (nested
     * paging) never push the guest's out, so a guest sees the cache it
     * would see on bare metal */
    u->pwc_entries = 2 * cfg->pwc_entries;
    u->pwc = cfg->pwc_entries ? calloc(u->pwc_entries, sizeof *u->pwc) : NULL;
    u->ntlb_entries = cfg->ntlb_entries;
    u->ntlb = cfg->ntlb_entries ? calloc(cfg->ntlb_entries, sizeof *u->ntlb) : NULL;
    if (!u->tlb || (cfg->pwc_entries && !u->pwc) || (cfg->ntlb_entries && !u->ntlb)) {
        mmu_free(u);
        snprintf(err, errlen, "out of host memory for the TLB");
        return false;
    }
    u->asid_tags = !cfg->no_asid;
    u->last_vpn = 0xffffffffu;
    u->soft_stamp = 0xffffffffu;
    mmu_soft_clear(u);
    return true;
}

void mmu_free(struct mmu *u)
{
    free(u->tlb);
    free(u->pwc);
    free(u->ntlb);
    u->tlb = NULL;
    u->pwc = NULL;
    u->ntlb = NULL;
}

/* ---- walk contexts ----------------------------------------------------------
 * A walk reads what its context names (struct mmu_walk_ctx), never the
 * machine: the same walker then serves the live translation, which builds
 * its context from the CPU as it stands, and the debugger and the drawings,
 * which build one for whatever they want to show. */
static uint16_t cur_asid(const struct machine *m) { return (uint16_t)m->cpu.cr[CR_ASID]; }

static uint16_t cur_vpid(const struct machine *m)
{
    return m->cpu.nonroot ? m->vmx.vmcs[m->vmx.cur].vpid : 0;
}

/* Inline: the live walk builds one on every TLB miss. */
static inline void ctx_init(struct mmu_walk_ctx *c, const struct machine *m, const uint32_t cr[CR_COUNT], int vm)
{
    *c = (struct mmu_walk_ctx){.paging = cr[CR_MMU] & 1, .table = {cr[CR_PTB], m->mmu.levels},
                               .mem = m->mem, .memsize = m->memsize, .asid = (uint16_t)cr[CR_ASID]};
    if (vm < 0) return;
    const struct vmcs *v = &m->vmx.vmcs[vm];
    c->vpid = v->vpid;
    if (m->vmx.nested) {
        c->two_d = true;
        c->host = (struct mmu_table){v->ept_root, v->ept_levels};
        c->guest_memsize = v->guest_memsize;
    }
}

static inline void ctx_init_now(struct mmu_walk_ctx *c, const struct machine *m)
{
    ctx_init(c, m, m->cpu.cr, m->cpu.nonroot ? m->vmx.cur : -1);
}

struct mmu_walk_ctx mmu_walk_ctx_of(const struct machine *m, const uint32_t cr[CR_COUNT], int vm)
{
    struct mmu_walk_ctx c;
    ctx_init(&c, m, cr, vm);
    return c;
}

struct mmu_walk_ctx mmu_walk_ctx_now(const struct machine *m)
{
    struct mmu_walk_ctx c;
    ctx_init_now(&c, m);
    return c;
}

/* ---- one dimension of translation ------------------------------------------
 * A dimension is a radix table: its root, its number of levels and its index
 * split (its shape).  Native paging has one (the guest's tables, or the only
 * ones); nested paging adds the host dimension, which maps guest-physical to
 * host-physical addresses. */
void mmu_shape_of(unsigned levels, struct mmu_shape *s)
{
    unsigned bits[MMU_MAX_LEVELS];
    mmu_level_bits(levels, bits);
    s->levels = levels;
    for (unsigned i = levels, sh = 12; i-- > 0; sh += bits[i]) {
        s->shift[i] = sh;
        s->mask[i] = (1u << bits[i]) - 1;
    }
}

struct dim {
    uint32_t root;
    const struct mmu_shape *s;
    uint8_t which;               /* DIM_GUEST or DIM_HOST */
};

static uint32_t index_at(const struct dim *d, uint32_t addr, unsigned level)
{
    return (addr >> d->s->shift[level]) & d->s->mask[level];
}

/* One walk under way: what it reads, the machine a live walk updates (NULL
 * for a probe, which therefore has nothing it could write to but its
 * result), and the result so far. */
struct walker {
    const struct mmu_walk_ctx *c;
    struct machine *live;
    struct walk_result *r;
    struct dim guest, host;
    struct mmu_shape own[2];     /* shapes worked out for this walk (a probe's) */
    uint32_t leaf_pte;           /* the guest leaf as read (before any A/D update), 0 if the
                                  * walk reached none: a leaf is present, never 0 */
    struct walk_ref *ref;        /* where the next reference is recorded (in r->refs) */
    unsigned ad;                 /* A/D updates so far: the rest of the references are reads */
    bool pwc, ntlb;              /* a live walk with a page-walk cache, a nested TLB */
    const uint8_t *mem;          /* the context's memory, */
    uint32_t mem_last;           /* and the last address an entry can be read at */
};

/* What a walk is compiled for (a constant in each copy: walk_1d and the
 * rest): a probe, which has no machine; a live walk; a live walk with
 * walk caches (a page-walk cache or a nested TLB) to use. */
enum walk_how { WALK_PROBE, WALK_LIVE, WALK_CACHED, WALK_LIVE_2 };
/* WALK_LIVE_2: a live walk without caches whose every table has two levels
 * (the default machine's), its level loops unrolled: no loop to count, the
 * leaf's level known at each step.  (Copies for three and four levels were
 * measured: the four-level walk gains 2%, the default loses 2-4%, the
 * function that holds them all growing.) */

/* A live walk takes its shapes from the MMU's cache; a probe, which has no
 * machine, works them out. */
static inline __attribute__((always_inline)) void dim_init(struct walker *k, struct dim *d, const struct mmu_table *t,
                                                          uint8_t which, const enum walk_how how)
{
    d->root = t->root;
    d->which = which;
    if (how != WALK_PROBE && t->levels >= 2 && t->levels <= MMU_MAX_LEVELS) {
        d->s = &k->live->mmu.shapes[t->levels];
    } else {
        mmu_shape_of(t->levels, &k->own[which]);
        d->s = &k->own[which];
    }
}

/* What one dimension's walk found at its leaf. */
struct leaf {
    uint32_t pa;
    bool w, u;                   /* every entry on the path allowed writing, ring 3 */
    unsigned level;              /* of the leaf, 0 = bottom */
};

/* The references a walk can make at most: at each guest level a host walk,
 * the entry and its A/D update, then the host walk of the page — so the
 * record in a walk_result never needs a bound check. */
_Static_assert(MMU_MAX_LEVELS * (MMU_MAX_LEVELS + 2) + MMU_MAX_LEVELS <= MMU_MAX_WALK_REFS,
               "a walk_result holds the longest 2D walk");

/* (dim: which dimension, DIM_GUEST or DIM_HOST — a constant where the
 * walker is compiled for one, so that it is not read from memory the
 * record's own stores might have changed, as far as the compiler knows) */
static inline void record(struct walker *k, uint8_t dim, unsigned level, int kind, uint32_t table, uint32_t idx,
                          uint32_t pte)
{
    struct walk_ref *w = k->ref++;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    /* level, kind, dim and the padding after them as one word: in a
     * walker unrolled for its levels, one store of a constant */
    _Static_assert(offsetof(struct walk_ref, level) == 0 && offsetof(struct walk_ref, kind) == 1 &&
                       offsetof(struct walk_ref, dim) == 2 && offsetof(struct walk_ref, table) == 4,
                   "the first word of a walk_ref is level, kind, dim");
    uint32_t head = (uint32_t)(uint8_t)level | (uint32_t)(uint8_t)kind << 8 | (uint32_t)dim << 16;
    memcpy(w, &head, 4);
#else
    w->level = (uint8_t)level;
    w->kind = (uint8_t)kind;
    w->dim = dim;
#endif
    w->table = table;
    w->index = idx;
    w->pte = pte;
}

/* Reads the entry idx of the table at table (host-physical pa) in
 * dimension dim: the one counted reference, recorded (a live walk charges
 * its references once it ends: walk_charge). */
static inline bool pte_read(struct walker *k, const uint8_t *mem, uint32_t mem_last, uint8_t dim, unsigned level,
                            uint32_t table, uint32_t idx, uint32_t pa, uint32_t *pte)
{
    if (pa > mem_last) return false;
    memcpy(pte, mem + pa, 4);
    record(k, dim, level, WALK_READ, table, idx, *pte);
    return true;
}

/* Counts and charges the references a live walk read (a probe's are only
 * recorded; its A/D updates were charged as they were made).  Nothing in a
 * walk looks at the cycles, so charging them at its end gives the same
 * figures as charging each as it is made. */
static inline __attribute__((always_inline)) void walk_charge(struct walker *k, const enum walk_how how)
{
    if (how != WALK_PROBE) {
        unsigned reads = (unsigned)k->r->nrefs - k->ad;
        k->live->mmu.st.walk_refs += reads;
        cpu_charge(k->live, CY_WALK, (uint64_t)reads * k->live->prof.walk_ref);
    }
}

/* A live walk's A/D update: its context reads the machine's own memory,
 * which is where the entry is written back. */
static void pte_write_ad(struct walker *k, const struct dim *d, unsigned level, uint32_t table, uint32_t idx,
                         uint32_t pa, uint32_t pte)
{
    struct machine *m = k->live;
    memcpy(m->mem + pa, &pte, 4);
    m->mmu.st.walk_ad_writes++;
    cpu_charge(m, CY_WALK, m->prof.walk_ref);
    if (m->code_page[pa >> 12]) decode_invalidate_page(m, pa >> 12);
    record(k, d->which, level, WALK_AD_WRITE, table, idx, pte);
    k->ad++;
}

/* ---- page-walk cache ------------------------------------------------------ */
// LAB(nested) BEGIN: the page-walk cache: look up the deepest remembered entry on a path, remember one
/* The deepest remembered entry on addr's path in dimension d: returns the
 * level to continue at and that table's address (0 = start at the root). */
static unsigned pwc_lookup(struct machine *m, const struct mmu_walk_ctx *c, const struct dim *d, uint32_t addr,
                           uint32_t *table)
{
    struct mmu *u = &m->mmu;
    struct pwc_entry *best = NULL;
    uint16_t asid = d->which == DIM_HOST ? 0 : c->asid;
    for (unsigned i = 0; i < u->pwc_entries; i++) {
        struct pwc_entry *e = &u->pwc[i];
        /* (an entry of this dimension and VM has this table's shape: the
         * level test only keeps d->shift in bounds) */
        if (!e->valid || e->dim != d->which || e->vpid != c->vpid || e->level >= d->s->levels) continue;
        if (u->asid_tags && e->asid != asid) continue;
        if (e->prefix != addr >> d->s->shift[e->level]) continue;
        if (!best || e->level > best->level) best = e;
    }
    if (!best) return 0;
    best->lru = ++u->lru_clock;
    u->st.pwc_hits++;
    *table = best->pte & PTE_FRAME;
    return best->level + 1u;
}

static void pwc_fill(struct machine *m, const struct mmu_walk_ctx *c, const struct dim *d, uint32_t addr,
                     unsigned level, uint32_t pte)
{
    struct mmu *u = &m->mmu;
    unsigned half = u->pwc_entries / 2, first = d->which == DIM_HOST ? half : 0;
    struct pwc_entry *victim = &u->pwc[first];
    for (unsigned i = first; i < first + half; i++) {
        struct pwc_entry *e = &u->pwc[i];
        if (!e->valid) { victim = e; break; }
        if (e->lru < victim->lru) victim = e;
    }
    *victim = (struct pwc_entry){.prefix = addr >> d->s->shift[level], .pte = pte,
                                 .asid = d->which == DIM_HOST ? 0 : c->asid, .vpid = c->vpid,
                                 .level = (uint8_t)level, .dim = d->which, .valid = 1,
                                 .lru = ++u->lru_clock};
}
//| /* The deepest remembered entry on addr's path in dimension d: returns the
//|  * level to continue at and that table's address (0 = start at the root). */
//| static unsigned pwc_lookup(struct machine *m, const struct mmu_walk_ctx *c, const struct dim *d, uint32_t addr,
//|                            uint32_t *table)
//| {
//|     (void)m, (void)c, (void)d, (void)addr, (void)table;
//|     return 0;
//| }
//|
//| /* Remembers the entry pte read at level on addr's path in dimension d. */
//| static void pwc_fill(struct machine *m, const struct mmu_walk_ctx *c, const struct dim *d, uint32_t addr,
//|                      unsigned level, uint32_t pte)
//| {
//|     (void)m, (void)c, (void)d, (void)addr, (void)level, (void)pte;
//| }
// LAB(nested) END

/* ---- the nested TLB: guest-physical page -> host-physical page ------------- */
/* (the leaf by value, not by its address: the host walk keeps its own in
 * registers) */
static bool ntlb_lookup(struct machine *m, uint16_t vpid, uint32_t gpa, uint32_t *hpa, bool *w)
{
    struct mmu *u = &m->mmu;
    for (unsigned i = 0; i < u->ntlb_entries; i++) {
        struct ntlb_entry *e = &u->ntlb[i];
        if (e->valid && e->vpid == vpid && e->gpn == gpa >> 12) {
            e->lru = ++u->lru_clock;
            u->st.ntlb_hits++;
            *hpa = (e->hpn << 12) | (gpa & 0xfff);
            *w = e->writable;
            return true;
        }
    }
    return false;
}

static void ntlb_fill(struct machine *m, uint16_t vpid, uint32_t gpa, uint32_t hpa, bool w)
{
    struct mmu *u = &m->mmu;
    struct ntlb_entry *victim = &u->ntlb[0];
    for (unsigned i = 0; i < u->ntlb_entries; i++) {
        struct ntlb_entry *e = &u->ntlb[i];
        if (!e->valid) { victim = e; break; }
        if (e->lru < victim->lru) victim = e;
    }
    *victim = (struct ntlb_entry){gpa >> 12, hpa >> 12, vpid, 1, w, ++u->lru_clock};
}

/* ---- the walker ----------------------------------------------------------- */
/* How a dimension's walk reaches the tables of a dimension below it:
 * nested, for the guest dimension of a two-dimensional walk, in the copy
 * for the way the walk is made (nested_probe, nested_live, nested_cached:
 * enum walk_how). */
typedef bool walk_below_fn(struct walker *k, uint32_t gpa, enum mmu_access acc, struct leaf *out);
static inline bool nested_probe(struct walker *k, uint32_t gpa, enum mmu_access acc, struct leaf *out);
static inline bool nested_live(struct walker *k, uint32_t gpa, enum mmu_access acc, struct leaf *out);
static inline bool nested_cached(struct walker *k, uint32_t gpa, enum mmu_access acc, struct leaf *out);

/* A live walk must set an accessed or dirty bit in a guest table entry at
 * guest-physical gpa that the host table maps read-only (a page shared
 * copy-on-write, hypervisor/clone.c): as with EPT, the hardware's A/D
 * update is a write in the host dimension, so it is a nested violation and
 * nothing is written. */
static bool ad_violation(struct walker *k, uint32_t gpa)
{
    k->r->fault = FAULT_NESTED | FAULT_PRESENT | FAULT_WRITE;
    k->r->nested_gpa = gpa;
    return false;
}

/*
 * walk_dim: translates addr through the radix table of dimension d, as the
 * hardware does.  Every entry read is one reference (counted when live);
 * a live walk also sets accessed/dirty bits (guest dimension) and uses the
 * page-walk cache.  In the guest dimension of a nested walk, each table
 * address is guest-physical and is itself translated through the host
 * dimension first: that is what makes a cold 2D walk cost (n+1)(m+1)-1.
 * Returns true with the leaf in *out; false with the reason bits in the
 * result's fault (FAULT_BUS if a table lies outside memory, FAULT_NESTED if
 * the host dimension failed).
 *
 * `guest` says which dimension d is, and `below` how to reach a dimension
 * under it (NULL: none).  Both are constants at each of the calls below
 * (walk_flat, walk_2d, walk_host), so each is compiled with the other
 * dimension's concerns left out: the host walk, made once per guest level
 * and inlined there, has no rings, no A/D bits and no second dimension to
 * look at.  `how`, a constant as well, is the way the walk is made (enum
 * walk_how): a probe's has no A/D bits, a live one without walk caches no
 * look-ups in them.
 */
static inline __attribute__((always_inline)) bool walk_dim(struct walker *k, const struct dim *d, uint32_t addr,
                                                           enum mmu_access acc, struct leaf *out, const bool guest,
                                                           walk_below_fn *below, const enum walk_how how)
{
    struct machine *m = k->live;
    struct walk_result *r = k->r;
    const struct mmu_shape *s = d->s;
    bool user = guest && k->c->user;            /* the host table has no rings */
    bool two_d = below != NULL;                 /* (walk_2d, the one to pass one, walks two dimensions) */
    bool pwc = how == WALK_CACHED && k->pwc;
    bool ad = how != WALK_PROBE && guest;       /* host tables keep no A/D bits */
    uint32_t table = d->root & PTE_FRAME;
    unsigned level = 0, bottom = how == WALK_LIVE_2 ? 1 : s->levels - 1;
    uint32_t path = ~0u;                        /* the and of every entry's bits on the path */
    /* The memory and its bound, read once: the stores of each record could
     * change them, as far as the compiler knows, and would have them read
     * again at every level.  (Measured: once the walker is compiled for
     * each way of walking, the one-dimensional walk is faster with this
     * too, which it was not before.) */
    const uint8_t *mem = k->mem;
    uint32_t mem_last = k->mem_last;
#define WHY() ((acc == ACC_WRITE ? FAULT_WRITE : 0) | (user ? FAULT_USER : 0) | (acc == ACC_FETCH ? FAULT_FETCH : 0))
    if (pwc) level = pwc_lookup(m, k->c, d, addr, &table);
#pragma GCC unroll 4
    for (; level <= bottom; level++) {
        uint32_t idx = how == WALK_LIVE_2 ? (addr >> ISA_INDEX_SHIFT(2, level)) & ((1u << ISA_INDEX_BITS(2, level)) - 1)
                                          : index_at(d, addr, level);
        uint32_t epa = table + 4 * idx, pte;
        bool epa_w = true;           /* may the walker write A/D bits there? */
        if (two_d) {
            // LAB(nested) BEGIN: the guest table lives at a guest-physical address: through the host dimension first
            /* the guest table lives at a guest-physical address */
            struct leaf h;
            if (!below(k, epa, ACC_READ, &h)) return false;
            epa_w = h.w;
            epa = h.pa;
            // LAB(nested) END
        }
        if (!pte_read(k, mem, mem_last, guest ? DIM_GUEST : DIM_HOST, level, table, idx, epa, &pte)) {
            r->fault = WHY() | FAULT_BUS;
            return false;
        }
        if (!(pte & PTE_P)) {
            r->fault = WHY();
            return false;
        }
        path &= pte;
        if (level != bottom && !(pte & PTE_L)) {
            /* permission faults are decided at the leaf, with all bits seen */
            if (ad && !(pte & PTE_A)) {
                if (!epa_w) return ad_violation(k, table + 4 * idx);
                pte |= PTE_A;
                pte_write_ad(k, d, level, table, idx, epa, pte);
            }
            if (pwc) pwc_fill(m, k->c, d, addr, level, pte);
            table = pte & PTE_FRAME;
            continue;
        }
        if (guest) k->leaf_pte = pte;
        bool w = path & PTE_W, usr = path & PTE_U;
        if ((user && !usr) || (acc == ACC_WRITE && !w)) {
            r->fault = WHY() | FAULT_PRESENT;
            return false;
        }
        uint32_t want = PTE_A | (acc == ACC_WRITE ? PTE_D : 0);
        if (ad && (pte & want) != want) {
            if (!epa_w) return ad_violation(k, table + 4 * idx);
            pte |= want;
            pte_write_ad(k, d, level, table, idx, epa, pte);
        }
        uint32_t page_mask = (1u << (how == WALK_LIVE_2 ? ISA_INDEX_SHIFT(2, level) : s->shift[level])) - 1;
        *out = (struct leaf){((pte & PTE_FRAME) & ~page_mask) | (addr & page_mask), w, usr, bottom - level};
        return true;
    }
    r->fault = WHY(); /* not reached: the bottom level is always a leaf */
    return false;
#undef WHY
}

/* The guest's tables: walk_flat with one dimension (native, shadow, or a
 * guest's own tables under paravirtualisation), walk_2d (below) with a
 * host dimension below every table it reads.  Two copies of one function,
 * each inlined into the copies of walk of its kind (walk_1d, walk_2d_whole
 * and the rest), so that the one-dimensional walk, the common one, carries
 * none of the nested walk's state, and no call between the walk and its
 * level loop. */
static inline __attribute__((always_inline)) bool walk_flat(struct walker *k, uint32_t vaddr, enum mmu_access acc,
                                                            struct leaf *out, const enum walk_how how)
{
    return walk_dim(k, &k->guest, vaddr, acc, out, true, NULL, how);
}

static inline __attribute__((always_inline)) bool walk_host(struct walker *k, uint32_t gpa, enum mmu_access acc,
                                                            struct leaf *out, const enum walk_how how)
{
    return walk_dim(k, &k->host, gpa, acc, out, false, NULL, how);
}

/*
 * nested: the host dimension of a two-dimensional walk.  Translates the
 * guest-physical address gpa into a host-physical one through the host
 * table (or the nested TLB).  A failure is a nested violation: the hardware
 * leaves the guest with a VM exit, and the guest never sees a fault.
 */
static inline __attribute__((always_inline)) bool nested(struct walker *k, uint32_t gpa, enum mmu_access acc,
                                                         struct leaf *out, const enum walk_how how)
{
    struct machine *m = k->live;
    if (gpa >= k->c->guest_memsize) {
        /* beyond the VM's memory there is nothing, as beyond the end of
         * physical memory on bare metal: a table there, or a page, is a bus
         * error when it is touched — not a violation of the host table */
        out->pa = MMU_NO_MEMORY_FRAME | (gpa & 0xfff);
        out->w = true;
        return true;
    }
    uint32_t hpa;
    bool w;
    if (how == WALK_CACHED && k->ntlb && ntlb_lookup(m, k->c->vpid, gpa, &hpa, &w)) {
        out->pa = hpa;
        out->w = w;
        if (acc == ACC_WRITE && !out->w) {
            k->r->fault = FAULT_NESTED | FAULT_PRESENT | FAULT_WRITE;
            k->r->nested_gpa = gpa;
            return false;
        }
        return true;
    }
    if (!walk_host(k, gpa, acc, out, how)) {
        k->r->fault |= FAULT_NESTED;
        k->r->nested_gpa = gpa;
        return false;
    }
    if (how == WALK_CACHED && k->ntlb) ntlb_fill(m, k->c->vpid, gpa, out->pa, out->w);
    return true;
}

/* nested for each way of walking, with below's signature (walk_2d) */
#define NESTED_FOR(name, how)                                                                                   \
    static inline __attribute__((always_inline)) bool name(struct walker *k, uint32_t gpa, enum mmu_access acc, \
                                                           struct leaf *out)                                    \
    {                                                                                                           \
        return nested(k, gpa, acc, out, how);                                                                   \
    }
NESTED_FOR(nested_probe, WALK_PROBE)
NESTED_FOR(nested_live, WALK_LIVE)
NESTED_FOR(nested_cached, WALK_CACHED)
NESTED_FOR(nested_live_2, WALK_LIVE_2)
#undef NESTED_FOR

/* A two-dimensional walk: the guest's tables if its paging is on, each
 * table through the host dimension, then the host dimension for the page.
 * On success *g is the translation, with the rights of both dimensions,
 * and *host_ro says whether the host's alone refused writing; on a failure
 * of the host dimension *g stays the guest's. */
static inline __attribute__((always_inline)) bool walk_2d(struct walker *k, uint32_t vaddr, enum mmu_access acc,
                                                          struct leaf *g, bool *host_ro, const enum walk_how how)
{
    walk_below_fn *below = how == WALK_CACHED ? nested_cached
                           : how == WALK_LIVE  ? nested_live
                           : how == WALK_LIVE_2 ? nested_live_2
                                               : nested_probe;
    if (k->c->paging && !walk_dim(k, &k->guest, vaddr, acc, g, true, below, how)) return false;
    struct leaf h;
    if (!nested(k, g->pa, acc, &h, how)) return false;
    *host_ro = g->w && !h.w;
    g->pa = h.pa;
    g->w = g->w && h.w;
    return true;
}

/*
 * walk: the whole translation of a virtual address in the walker's context:
 * one dimension, or under nested paging the guest's own tables if it has
 * paging on, then the host dimension for the result.  Fills the result.
 * Compiled for one dimension and for two (two_d), and for each way a walk
 * is made (how: enum walk_how), all constants (walk, below): the
 * one-dimensional walk, the common one, is a function with nothing of the
 * host dimension in it; the live walks without caches, the default, have
 * no call to them (so the table address a look-up would take stays in a
 * register), nor a test of whether they are live.
 */
static inline __attribute__((always_inline)) bool walk_in(struct walker *k, uint32_t vaddr, enum mmu_access acc,
                                                          const bool two_d, const enum walk_how how)
{
    const struct mmu_walk_ctx *c = k->c;
    struct walk_result *r = k->r;
    r->vaddr = vaddr;
    r->access = acc;
    r->fault = r->nested_gpa = 0;
    struct leaf g = {vaddr, true, true, 0};
    bool ok = true, host_ro = false;
    k->leaf_pte = 0;
    k->ref = r->refs;
    k->ad = 0;
    k->mem = c->mem;
    k->mem_last = c->memsize - 4;
    if (how == WALK_CACHED) {   /* (read only then: walk_dim, nested) */
        k->pwc = k->live && k->live->mmu.pwc_entries;
        k->ntlb = k->live && k->live->mmu.ntlb_entries;
    }
    if (two_d) dim_init(k, &k->host, &c->host, DIM_HOST, how);
    if (c->paging) dim_init(k, &k->guest, &c->table, DIM_GUEST, how);
    if (two_d) ok = walk_2d(k, vaddr, acc, &g, &host_ro, how);
    else if (c->paging) ok = walk_flat(k, vaddr, acc, &g, how);
    r->faulted = !ok;
    if (ok) r->pa = g.pa;
    r->writable = g.w;
    r->host_ro = host_ro;
    r->user = g.u;
    r->leaf_level = (uint8_t)g.level;
    r->nrefs = (int)(k->ref - r->refs);
    walk_charge(k, how);
    return ok;
}

static __attribute__((noinline)) bool walk_1d(struct walker *k, uint32_t vaddr, enum mmu_access acc)
{
    return walk_in(k, vaddr, acc, false, WALK_LIVE);
}

static __attribute__((noinline)) bool walk_1d_cached(struct walker *k, uint32_t vaddr, enum mmu_access acc)
{
    return walk_in(k, vaddr, acc, false, WALK_CACHED);
}

static __attribute__((noinline)) bool walk_2d_whole(struct walker *k, uint32_t vaddr, enum mmu_access acc)
{
    return walk_in(k, vaddr, acc, true, WALK_LIVE);
}

static __attribute__((noinline)) bool walk_2d_cached(struct walker *k, uint32_t vaddr, enum mmu_access acc)
{
    return walk_in(k, vaddr, acc, true, WALK_CACHED);
}

static __attribute__((noinline)) bool walk_1d_probe(struct walker *k, uint32_t vaddr, enum mmu_access acc)
{
    return walk_in(k, vaddr, acc, false, WALK_PROBE);
}

static __attribute__((noinline)) bool walk_2d_probe(struct walker *k, uint32_t vaddr, enum mmu_access acc)
{
    return walk_in(k, vaddr, acc, true, WALK_PROBE);
}

/* The copy of walk for this one: a probe's (no machine), or a live walk's
 * with walk caches or without. */
static inline bool walk(struct walker *k, uint32_t vaddr, enum mmu_access acc)
{
    const struct mmu *u = k->live ? &k->live->mmu : NULL;
    if (!u) return k->c->two_d ? walk_2d_probe(k, vaddr, acc) : walk_1d_probe(k, vaddr, acc);
    if (u->pwc_entries || u->ntlb_entries)
        return k->c->two_d ? walk_2d_cached(k, vaddr, acc) : walk_1d_cached(k, vaddr, acc);
    return k->c->two_d ? walk_2d_whole(k, vaddr, acc) : walk_1d(k, vaddr, acc);
}

bool mmu_probe(const struct mmu_walk_ctx *c, uint32_t vaddr, enum mmu_access acc, struct walk_result *r)
{
    struct walker k;   /* (not zeroed: walk sets what it reads) */
    k.c = c;
    k.live = NULL;
    k.r = r;
    return walk(&k, vaddr, acc);
}

/* The live walk: the machine's own context, and every effect on it.  With
 * leaf_pte, also the guest leaf's entry as read (0 if the walk read none,
 * as with paging off). */
static bool walk_live(struct machine *m, const struct mmu_walk_ctx *c, uint32_t vaddr, enum mmu_access acc,
                      struct walk_result *r, uint32_t *leaf_pte)
{
    struct walker k;   /* (not zeroed: walk sets what it reads) */
    k.c = c;
    k.live = m;
    k.r = r;
    bool ok = walk(&k, vaddr, acc);
    if (leaf_pte) *leaf_pte = k.leaf_pte;
    return ok;
}

bool vmx_guest_phys(struct machine *m, uint32_t gpa, uint32_t *hpa)
{
    if (!m->cpu.nonroot || !m->vmx.nested) {
        *hpa = gpa;
        return gpa <= m->memsize - 4;
    }
    /* the host dimension alone: the guest's paging does not apply */
    struct mmu_walk_ctx c;
    ctx_init_now(&c, m);
    c.paging = false;
    struct walk_result r;
    bool ok = walk_live(m, &c, gpa, ACC_READ, &r, NULL);
    /* a walk of its own (a trap's vector, a hypervisor's read): an event */
    cpu_trace(m, TR_WALK, ok ? 0 : r.fault, ok ? r.pa : 0, ACC_READ, &r);
    if (ok) {
        *hpa = r.pa;
        return true;
    }
    m->mmu.nested_fault_gpa = r.nested_gpa;
    return false;
}

/* ---- the TLB -------------------------------------------------------------- */
/* Whether translations now are of the (guest-)physical space: paging off. */
static bool phys_context(const struct machine *m)
{
    return !(m->cpu.cr[CR_MMU] & 1) || m->mmu.phys_space;
}

/* Does e translate vpn in the current context?  A lookup also matches the
 * paging state (now_phys: phys_context); an invalidation (invlpg) drops the
 * page whichever it is. */
static bool tlb_match(const struct machine *m, const struct tlb_entry *e, uint32_t vpn, bool lookup,
                      bool now_phys)
{
    const struct mmu *u = &m->mmu;
    return e->valid && e->vpn == vpn && (!m->vmx.vpid_tags || e->vpid == cur_vpid(m)) &&
           (!lookup || e->phys == now_phys) &&
           (e->global || !u->asid_tags || e->asid == cur_asid(m));
}

/* vpn's set.  Translations made while a guest's paging is off (which a
 * hypervisor needs and bare metal never makes) have a TLB of the same shape
 * to themselves, after the guest's: they take no way of the guest's TLB
 * and age none of its entries, so the guest finds it as bare metal leaves
 * it when it turns paging on again. */
static struct tlb_entry *tlb_set(const struct machine *m, uint32_t vpn, bool phys)
{
    const struct mmu *u = &m->mmu;
    return &u->tlb[(phys ? u->tlb_entries : 0) + (vpn & (u->tlb_sets - 1)) * u->tlb_ways];
}

/* A lookup searches the current context's TLB; an invalidation both.
 * (Every TLB miss and every page change of the interpreter looks here:
 * the set is scanned for the page number first, the context only then;
 * inlined, so that a look-up is not a call within a call.) */
static inline __attribute__((always_inline)) struct tlb_entry *tlb_find(struct machine *m, uint32_t vpn, bool lookup)
{
    struct mmu *u = &m->mmu;
    bool now_phys = phys_context(m);
    if (lookup) {
        /* the current context's set only, the one every miss searches */
        struct tlb_entry *set = tlb_set(m, vpn, now_phys);
        for (unsigned i = 0; i < u->tlb_ways; i++)
            if (set[i].vpn == vpn && tlb_match(m, &set[i], vpn, true, now_phys)) return &set[i];
        return NULL;
    }
    for (int phys = 0; phys < 2; phys++) {
        if (lookup && phys != now_phys) continue;
        struct tlb_entry *set = tlb_set(m, vpn, phys);
        for (unsigned i = 0; i < u->tlb_ways; i++)
            if (set[i].vpn == vpn && tlb_match(m, &set[i], vpn, lookup, now_phys)) return &set[i];
    }
    return NULL;
}

/* The way to fill in vpn's set: an invalid one, else the least recently used. */
static struct tlb_entry *tlb_victim(struct machine *m, uint32_t vpn, bool phys)
{
    struct mmu *u = &m->mmu;
    struct tlb_entry *set = tlb_set(m, vpn, phys);
    if (u->tlb_ways == 4 && set[0].valid & set[1].valid & set[2].valid & set[3].valid) {
        /* the common set, full, of the default TLB: the least recently
         * used of four, the first of them if two tie, as below */
        struct tlb_entry *a = set[1].lru < set[0].lru ? &set[1] : &set[0];
        struct tlb_entry *b = set[3].lru < set[2].lru ? &set[3] : &set[2];
        u->st.tlb_evictions++;
        return b->lru < a->lru ? b : a;
    }
    struct tlb_entry *v = &set[0];
    uint64_t oldest = v->lru;
    for (unsigned i = 0; i < u->tlb_ways; i++) {
        if (!set[i].valid) return &set[i];
        if (set[i].lru < oldest) {
            v = &set[i];
            oldest = v->lru;
        }
    }
    u->st.tlb_evictions++;
    return v;
}

/* ---- the soft TLB (mmu.h) ---------------------------------------------------- */
#define SOFT_RING3 (1ull << 32)        /* in a tag: found in ring 3 */
#define SOFT_STAMP_SHIFT 33
#define SOFT_STAMP_MASK 0x7fffffffu    /* the stamp's 31 bits */

void mmu_soft_clear(struct mmu *u)
{
    /* a new stamp empties every entry at once; when the stamp wraps, an
     * entry of the stamp's previous round could match again: emptied one
     * by one */
    u->soft_stamp = (u->soft_stamp + 1) & SOFT_STAMP_MASK;
    if (u->soft_stamp == 0)
        for (unsigned i = 0; i < MMU_SOFT_ENTRIES; i++) u->soft[i].addr_read = u->soft[i].addr_write = MMU_SOFT_EMPTY;
    u->soft_key = (uint64_t)u->soft_stamp << SOFT_STAMP_SHIFT | (u->soft_key & SOFT_RING3);
}

/* The tags a TLB look-up matches now (tlb_match): the VM, the ASID and the
 * paging state; bit 0 set, so that it is never the 0 of a new MMU. */
static uint64_t soft_context(const struct machine *m)
{
    return (uint64_t)cur_vpid(m) << 48 | (uint64_t)cur_asid(m) << 32 | (uint64_t)phys_context(m) << 1 | 1;
}

/* e becomes usable from the soft TLB in the current context, as it is now
 * (its frame has memory behind it): a read tag, and a write tag if a store
 * may go through with no walk and no code check.  Returns the entry. */
static inline __attribute__((always_inline)) const struct mmu_soft *soft_fill(struct machine *m,
                                                                              const struct tlb_entry *e, bool user)
{
    struct mmu *u = &m->mmu;
    struct mmu_soft *s = &u->soft[e->vpn & (MMU_SOFT_ENTRIES - 1)];
    uint64_t tag = (u->soft_key & ~SOFT_RING3) | (user ? SOFT_RING3 : 0) | (uint64_t)e->vpn << 12;
    bool write_ok = e->writable && e->dirty;
    s->addr_read = tag;
    s->addr_write = write_ok && !m->code_page[e->pfn] ? tag : MMU_SOFT_EMPTY;
    s->addend = (uintptr_t)m->mem + ((uintptr_t)e->pfn << 12) - ((uintptr_t)e->vpn << 12);
    s->slot = (uint32_t)(e - u->tlb);
    s->write_ok = write_ok;
    return s;
}

/* e is about to change or go: the soft TLB must not stand for it. */
static void soft_forget(struct mmu *u, const struct tlb_entry *e)
{
    struct mmu_soft *s = &u->soft[e->vpn & (MMU_SOFT_ENTRIES - 1)];
    if (s->slot == (uint32_t)(e - u->tlb)) s->addr_read = s->addr_write = MMU_SOFT_EMPTY;
}

/* Where entry s's page lies in memory: its frame (of a filled entry). */
static uint32_t soft_frame(const struct machine *m, const struct mmu_soft *s)
{
    return (uint32_t)(((uintptr_t)(uint32_t)s->addr_read + s->addend - (uintptr_t)m->mem) >> 12);
}

void mmu_soft_code_page(struct machine *m, uint32_t ppn)
{
    /* every entry, whatever its stamp or ring: one of an old stamp is
     * never matched again, and a write tag dropped costs only speed (nor
     * does an empty one need leaving out: emptying it again is harmless) */
    struct mmu *u = &m->mmu;
    uintptr_t page = (uintptr_t)m->mem + ((uintptr_t)ppn << 12);
    for (unsigned i = 0; i < MMU_SOFT_ENTRIES; i++) {
        struct mmu_soft *s = &u->soft[i];
        if ((uintptr_t)(uint32_t)s->addr_write + s->addend - page < 4096) s->addr_write = MMU_SOFT_EMPTY;
    }
}

bool mmu_soft_get(const struct machine *m, unsigned i, uint32_t *vpn, uint32_t *pfn, uint32_t *slot,
                  bool *write_ok, bool *write_tag)
{
    const struct mmu *u = &m->mmu;
    const struct mmu_soft *s = &u->soft[i];
    if (s->addr_read == MMU_SOFT_EMPTY || s->addr_read >> SOFT_STAMP_SHIFT != u->soft_stamp) return false;
    *vpn = (uint32_t)s->addr_read >> 12;
    *pfn = soft_frame(m, s);
    *slot = s->slot;
    *write_ok = s->write_ok;
    *write_tag = s->addr_write == s->addr_read;
    return true;
}

/* Translations may change: neither the shortcut nor the soft TLB holds. */
static void drop_shortcuts(struct mmu *u)
{
    u->last_vpn = 0xffffffffu;
    mmu_soft_clear(u);
}

/* e has just translated an access (acc) in the current ring, found in the
 * TLB (a hit) or just filled (a miss): it goes into the soft TLB and, for
 * a data access, becomes the shortcut — only if the ring may use it and
 * its frame has memory behind it (asked once, for both).  A fetch keeps
 * the shortcut only if it is a hit in the shortcut's own entry
 * (keep_same_page and the same page): a shortcut hit must be one in the
 * most recently used entry, or the LRU order would not stay exact. */
static inline __attribute__((always_inline)) void remember(struct machine *m, const struct tlb_entry *e, bool user,
                                                           enum mmu_access acc, bool keep_same_page)
{
    struct mmu *u = &m->mmu;
    bool usable = !(user && !e->user) && e->pfn < m->memsize >> 12;
    if (usable) {
        const struct mmu_soft *s = soft_fill(m, e, user);
        if (acc != ACC_FETCH) {
            /* the shortcut for the next data access: the same page and host pointer */
            u->last_vpn = e->vpn;
            u->last_addend = s->addend;
            u->last_write_ok = s->write_ok;
            return;
        }
    }
    if (acc != ACC_FETCH || !keep_same_page || e->vpn != u->last_vpn) u->last_vpn = 0xffffffffu;
}

bool mmu_translate_hit(struct machine *m, uint32_t vaddr, enum mmu_access acc, uint32_t *pa,
                       struct tlb_entry **seen)
{
    struct mmu *u = &m->mmu;
    bool user = SR_RING(m->cpu.cr[CR_SR]) == 3;
    struct tlb_entry *e = tlb_find(m, vaddr >> 12, true);
    if (!e || (user && !e->user) || (acc == ACC_WRITE && (!e->writable || !e->dirty))) {
        *seen = e;
        return false;
    }
    e->lru = ++u->lru_clock;
    *pa = (e->pfn << 12) | (vaddr & 0xfff);
    remember(m, e, user, acc, true);
    return true;
}

bool mmu_translate(struct machine *m, uint32_t vaddr, enum mmu_access acc, uint32_t *pa,
                   uint32_t *fault)
{
    struct tlb_entry *seen;
    if (mmu_translate_hit(m, vaddr, acc, pa, &seen)) {
        m->mmu.st.tlb_hits++;
        cpu_charge(m, CY_TLB, m->prof.tlb_hit);
        return true;
    }
    return mmu_translate_miss(m, vaddr, acc, pa, fault, seen);
}

/* No plain hit: a protection fault from a cached entry (e), a first write
 * through a clean one, or a miss. */
bool mmu_translate_miss(struct machine *m, uint32_t vaddr, enum mmu_access acc, uint32_t *pa,
                        uint32_t *fault, struct tlb_entry *e)
{
    struct mmu *u = &m->mmu;
    uint32_t vpn = vaddr >> 12;
    bool user = SR_RING(m->cpu.cr[CR_SR]) == 3;
    if (e) {
        if ((user && !e->user) || (acc == ACC_WRITE && !e->writable && !e->host_ro)) {
            /* a cached translation that forbids this access: protection fault.
             * (A host-side refusal never gets cached: see the fill below.) */
            u->st.tlb_hits++;
            cpu_charge(m, CY_TLB, m->prof.tlb_hit);
            e->lru = ++u->lru_clock;
            *fault = FAULT_PRESENT | (acc == ACC_WRITE ? FAULT_WRITE : 0) | (user ? FAULT_USER : 0) |
                     (acc == ACC_FETCH ? FAULT_FETCH : 0);
            u->st.page_faults++;
            return false;
        }
        /* first write through a clean entry: walk again to set D; or a
         * write the host table refused: walk again to its violation */
        soft_forget(u, e);
        e->valid = 0;
    }
    u->st.tlb_misses++;
    u->st.walks++;
    struct mmu_walk_ctx c;
    ctx_init_now(&c, m);
    c.user = user;
    const struct walk_result *r = &u->last_walk;
    /* The walk: walk_live's, with the walks of the default machine (no
     * walk caches) compiled in here rather than called, on a walker of
     * their own that no call sees (so that the compiler may keep it in
     * registers). */
    bool ok;
    uint32_t leaf_pte;
    if (u->pwc_entries || u->ntlb_entries) {
        ok = walk_live(m, &c, vaddr, acc, &u->last_walk, &leaf_pte);
    } else {
        struct walker k;   /* (not zeroed: walk sets what it reads) */
        k.c = &c;
        k.live = m;
        k.r = &u->last_walk;
        if (c.two_d) ok = c.table.levels == 2 && c.host.levels == 2 ? walk_in(&k, vaddr, acc, true, WALK_LIVE_2)
                                                                     : walk_in(&k, vaddr, acc, true, WALK_LIVE);
        else ok = c.table.levels == 2 ? walk_in(&k, vaddr, acc, false, WALK_LIVE_2) : walk_in(&k, vaddr, acc, false, WALK_LIVE);
        leaf_pte = k.leaf_pte;
    }
    if (ok) {
        *pa = r->pa;
    } else {
        *fault = r->fault;
        if (*fault & FAULT_NESTED) {
            /* for the VM exit: where the host table refused, and why the guest asked */
            u->nested_fault_gpa = r->nested_gpa;
            u->nested_fault_va = vaddr;
        }
    }
    cpu_trace(m, TR_WALK, ok ? 0 : *fault, ok ? *pa : 0, acc, r);
    if (!ok) {
        if (!(*fault & FAULT_NESTED)) u->st.page_faults++;
        return false;
    }
    bool phys = phys_context(m);
    e = tlb_victim(m, vpn, phys);
    soft_forget(u, e);
    /* the new entry, field by field (every one is set): G on the guest
     * leaf makes it global; a leaf found already dirty, or no guest PTE to
     * mark (the guest's paging off), needs no walk on the first write.
     * (No leaf read, leaf_pte is 0: none of its bits.) */
    e->vpn = vpn;
    e->pfn = *pa >> 12;
    e->asid = cur_asid(m);
    e->vpid = c.vpid;
    e->valid = 1;
    e->global = (leaf_pte & PTE_G) != 0;
    e->writable = r->writable;
    e->user = r->user;
    e->dirty = acc == ACC_WRITE || (leaf_pte & PTE_D) || !(m->cpu.cr[CR_MMU] & 1);
    e->level = r->leaf_level;
    e->soft = (uint8_t)((leaf_pte >> 7) & 0x1f);
    e->phys = phys;
    e->host_ro = r->host_ro;
    e->lru = ++u->lru_clock;
    remember(m, e, user, acc, false);
    return true;
}

/* ---- maintenance ------------------------------------------------------------ */
static void flush(struct machine *m, bool keep_global, bool this_vm_only)
{
    struct mmu *u = &m->mmu;
    uint16_t vpid = cur_vpid(m);
    for (unsigned i = 0; i < u->tlb_slots; i++) {
        struct tlb_entry *e = &u->tlb[i];
        if (this_vm_only && m->vmx.vpid_tags && e->vpid != vpid) continue;
        if (!(keep_global && e->global)) e->valid = 0;
    }
    for (unsigned i = 0; i < u->pwc_entries; i++)
        if (!this_vm_only || !m->vmx.vpid_tags || u->pwc[i].vpid == vpid) u->pwc[i].valid = 0;
    u->st.tlb_flushes++;
    u->gen++;
    drop_shortcuts(u);
    cpu_trace(m, TR_FLUSH, 1, 0, 0, NULL);
}

void mmu_flush_all(struct machine *m) { flush(m, false, true); }

void mmu_forget_page(struct machine *m, uint32_t vaddr)
{
    struct mmu *u = &m->mmu;
    struct tlb_entry *e;
    while ((e = tlb_find(m, vaddr >> 12, false))) e->valid = 0;
    u->gen++;
    drop_shortcuts(u);
}

void mmu_invlpg(struct machine *m, uint32_t vaddr)
{
    struct mmu *u = &m->mmu;
    mmu_forget_page(m, vaddr);
    cpu_trace(m, TR_FLUSH, 0, vaddr, 0, NULL);
    /* like x86, invlpg also drops the paging-structure caches */
    for (unsigned i = 0; i < u->pwc_entries; i++)
        if (u->pwc[i].dim == DIM_GUEST) u->pwc[i].valid = 0;
    drop_shortcuts(u);
}

void mmu_protect_frame(struct machine *m, uint32_t pfn, uint8_t soft)
{
    struct mmu *u = &m->mmu;
    for (unsigned i = 0; i < u->tlb_slots; i++)
        if (u->tlb[i].valid && u->tlb[i].pfn == pfn && u->tlb[i].writable) {
            u->tlb[i].writable = 0;
            u->tlb[i].soft |= soft;
        }
    u->gen++;
    drop_shortcuts(u);
}

unsigned mmu_drop_writable_frame(struct machine *m, uint32_t pfn)
{
    struct mmu *u = &m->mmu;
    unsigned n = 0;
    for (unsigned i = 0; i < u->tlb_slots; i++) {
        struct tlb_entry *e = &u->tlb[i];
        if (e->valid && e->writable && e->pfn == pfn) {
            e->valid = 0;
            n++;
        }
    }
    if (n) {
        u->gen++;
        drop_shortcuts(u);
    }
    return n;
}

void mmu_drop_vm_frame(struct machine *m, uint16_t vpid, uint32_t pfn)
{
    struct mmu *u = &m->mmu;
    for (unsigned i = 0; i < u->tlb_slots; i++)
        if (u->tlb[i].valid && u->tlb[i].pfn == pfn && (u->tlb[i].vpid == vpid || !m->vmx.vpid_tags))
            u->tlb[i].valid = 0;
    for (unsigned i = 0; i < u->ntlb_entries; i++)
        if (u->ntlb[i].valid && u->ntlb[i].hpn == pfn && u->ntlb[i].vpid == vpid) u->ntlb[i].valid = 0;
    u->gen++;
    drop_shortcuts(u);
}

void mmu_drop_walks_into(struct machine *m, uint32_t pa)
{
    struct mmu *u = &m->mmu;
    bool any = false;
    for (unsigned i = 0; i < u->pwc_entries; i++)
        if (u->pwc[i].valid && (u->pwc[i].pte & PTE_FRAME) == pa) {
            u->pwc[i].valid = 0;
            any = true;
        }
    if (any) {
        u->gen++;
        drop_shortcuts(u);
    }
}

bool mmu_tlb_lookup(struct machine *m, uint32_t vaddr, struct tlb_entry *out)
{
    struct tlb_entry *e = tlb_find(m, vaddr >> 12, true);
    if (e) *out = *e;
    return e != NULL;
}

void mmu_flush_walk_caches(struct machine *m)
{
    struct mmu *u = &m->mmu;
    for (unsigned i = 0; i < u->pwc_entries; i++) u->pwc[i].valid = 0;
    for (unsigned i = 0; i < u->ntlb_entries; i++) u->ntlb[i].valid = 0;
    u->gen++;
    drop_shortcuts(u);
}

void mmu_context_changed(struct machine *m, bool ptb_changed)
{
    struct mmu *u = &m->mmu;
    u->paging = (m->cpu.cr[CR_MMU] & 1) || m->cpu.nonroot;
    u->last_vpn = 0xffffffffu;
    u->gen++;
    /* the soft TLB outlives a change of ring, not one of the tags */
    uint64_t ctx = soft_context(m);
    if (ctx != u->soft_ctx) {
        mmu_soft_clear(u);
        u->soft_ctx = ctx;
    }
    u->soft_key = (u->soft_key & ~SOFT_RING3) | (SR_RING(m->cpu.cr[CR_SR]) == 3 ? SOFT_RING3 : 0);
    /* without ASID tags a new address space cannot share the TLB */
    if (ptb_changed && !u->asid_tags) flush(m, true, true);
}

void mmu_vm_switched(struct machine *m)
{
    struct mmu *u = &m->mmu;
    mmu_context_changed(m, false);
    /* without VM tags a new VM cannot share the TLB or the nested caches */
    if (!m->vmx.vpid_tags) {
        flush(m, false, false);
        for (unsigned i = 0; i < u->ntlb_entries; i++) u->ntlb[i].valid = 0;
    }
}
