/*
 * mmu.c — the TLB and the page walker.
 *
 * The one idea: a translation is first looked up in the TLB; only a miss
 * walks the radix tables, and the walk reads one entry per level, each read a
 * counted memory reference (walk.refs) charged to the cause `walk`.  A walk of
 * an n-level table without large pages therefore costs exactly n references;
 * a page-walk cache of upper-level entries lets a walk skip the levels it
 * remembers.  The walk is written to be read, not to be fast: it runs only
 * on a miss.
 */
#include "mmu/mmu.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/cpu.h"

void mmu_level_bits(unsigned levels, unsigned bits[MMU_MAX_LEVELS])
{
    /* 20 bits of page number; the root takes what does not divide evenly */
    unsigned each = 20 / levels, rest = 20 - each * levels;
    for (unsigned i = 0; i < levels; i++) bits[i] = each + (i == 0 ? rest : 0);
}

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
    u->tlb_entries = cfg->tlb_entries ? cfg->tlb_entries : 64;
    u->tlb_ways = cfg->tlb_ways ? cfg->tlb_ways : (cfg->tlb_entries ? cfg->tlb_entries : 4);
    if (u->tlb_ways > u->tlb_entries || u->tlb_entries % u->tlb_ways ||
        ((u->tlb_entries / u->tlb_ways) & (u->tlb_entries / u->tlb_ways - 1))) {
        snprintf(err, errlen, "TLB %u entries, %u ways: the number of sets (entries/ways) must be a power of two",
                 u->tlb_entries, u->tlb_ways);
        return false;
    }
    u->tlb_sets = u->tlb_entries / u->tlb_ways;
    u->tlb = calloc(u->tlb_entries, sizeof *u->tlb);
    u->pwc_entries = cfg->pwc_entries;
    u->pwc = cfg->pwc_entries ? calloc(cfg->pwc_entries, sizeof *u->pwc) : NULL;
    if (!u->tlb || (cfg->pwc_entries && !u->pwc)) {
        mmu_free(u);
        snprintf(err, errlen, "out of host memory for the TLB");
        return false;
    }
    u->asid_tags = !cfg->no_asid;
    u->last_vpn = 0xffffffffu;
    return true;
}

void mmu_free(struct mmu *u)
{
    free(u->tlb);
    free(u->pwc);
    u->tlb = NULL;
    u->pwc = NULL;
}

/* ---- helpers ------------------------------------------------------------ */
static unsigned shift_below(const struct mmu *u, unsigned level)
{
    unsigned s = 12;
    for (unsigned i = level + 1; i < u->levels; i++) s += u->bits[i];
    return s;
}

static uint32_t index_at(const struct mmu *u, uint32_t vaddr, unsigned level)
{
    return (vaddr >> shift_below(u, level)) & ((1u << u->bits[level]) - 1);
}

static uint16_t cur_asid(const struct machine *m) { return (uint16_t)m->cpu.cr[CR_ASID]; }

/* Reads or writes one page-table entry: the one counted memory reference. */
static bool pte_read(struct machine *m, uint32_t pa, uint32_t *pte, bool counted)
{
    if (pa > m->memsize - 4) return false;
    memcpy(pte, m->mem + pa, 4);
    if (counted) {
        m->mmu.st.walk_refs++;
        cpu_charge(m, CY_WALK, m->prof.walk_ref);
    }
    return true;
}

static void pte_write_ad(struct machine *m, uint32_t pa, uint32_t pte)
{
    memcpy(m->mem + pa, &pte, 4);
    m->mmu.st.walk_ad_writes++;
    cpu_charge(m, CY_WALK, m->prof.walk_ref);
    if (m->code_page[pa >> 12]) decode_invalidate_page(m, pa >> 12);
}

static void record(struct walk_record *rec, unsigned level, int kind, uint32_t table, uint32_t idx,
                   uint32_t pte)
{
    if (!rec || rec->nrefs >= MMU_MAX_WALK_REFS) return;
    rec->refs[rec->nrefs++] = (struct walk_ref){(uint8_t)level, (uint8_t)kind, table, idx, pte};
}

/* ---- page-walk cache ------------------------------------------------------ */
/* The deepest remembered entry on vaddr's path: the level of the table it
 * points at, and that table's address.  Returns 0 (start at the root) if none. */
static unsigned pwc_lookup(struct machine *m, uint32_t vaddr, uint32_t *table)
{
    struct mmu *u = &m->mmu;
    struct pwc_entry *best = NULL;
    for (unsigned i = 0; i < u->pwc_entries; i++) {
        struct pwc_entry *e = &u->pwc[i];
        if (!e->valid || (u->asid_tags && e->asid != cur_asid(m))) continue;
        if (e->prefix != vaddr >> shift_below(u, e->level)) continue;
        if (!best || e->level > best->level) best = e;
    }
    if (!best) return 0;
    best->lru = ++u->lru_clock;
    u->st.pwc_hits++;
    *table = best->pte & PTE_FRAME;
    return best->level + 1u;
}

static void pwc_fill(struct machine *m, uint32_t vaddr, unsigned level, uint32_t pte)
{
    struct mmu *u = &m->mmu;
    struct pwc_entry *victim = &u->pwc[0];
    for (unsigned i = 0; i < u->pwc_entries; i++) {
        struct pwc_entry *e = &u->pwc[i];
        if (!e->valid) { victim = e; break; }
        if (e->lru < victim->lru) victim = e;
    }
    *victim = (struct pwc_entry){vaddr >> shift_below(u, level), pte, cur_asid(m), (uint8_t)level, 1,
                                 ++u->lru_clock};
}

/* ---- the walker ----------------------------------------------------------- */
/*
 * walk: translates vaddr through the tables rooted at ptb, as the hardware
 * does.  Every entry read is one reference (counted when `live`); with `live`
 * it also sets accessed/dirty bits and uses the page-walk cache.  Fills rec
 * when non-NULL.  Returns true with *pa, *w, *u, *level set; false with the
 * fault reason bits in *fault (FAULT_BUS if a table lies outside memory).
 */
static bool walk(struct machine *m, uint32_t ptb, uint32_t vaddr, enum mmu_access acc, bool user,
                 bool live, struct walk_record *rec, uint32_t *pa, bool *w_ok, bool *u_ok,
                 unsigned *leaf_level, uint32_t *fault)
{
    struct mmu *u = &m->mmu;
    uint32_t table = ptb & PTE_FRAME;
    unsigned level = 0;
    bool w = true, usr = true;
    uint32_t why = (acc == ACC_WRITE ? FAULT_WRITE : 0) | (user ? FAULT_USER : 0) |
                   (acc == ACC_FETCH ? FAULT_FETCH : 0);
    if (live && u->pwc_entries) level = pwc_lookup(m, vaddr, &table);
    if (rec) {
        rec->vaddr = vaddr;
        rec->access = acc;
        rec->nrefs = 0;
        rec->faulted = false;
    }
    for (; level < u->levels; level++) {
        uint32_t idx = index_at(u, vaddr, level);
        uint32_t epa = table + 4 * idx, pte;
        if (!pte_read(m, epa, &pte, live)) {
            *fault = why | FAULT_BUS;
            if (rec) rec->faulted = true;
            return false;
        }
        record(rec, level, WALK_READ, table, idx, pte);
        if (!(pte & PTE_P)) {
            *fault = why;
            if (rec) rec->faulted = true;
            return false;
        }
        w = w && (pte & PTE_W);
        usr = usr && (pte & PTE_U);
        bool leaf = level == u->levels - 1 || (pte & PTE_L);
        if (!leaf) {
            /* permission faults are decided at the leaf, with all bits seen */
            if (live && !(pte & PTE_A)) {
                pte |= PTE_A;
                pte_write_ad(m, epa, pte);
                record(rec, level, WALK_AD_WRITE, table, idx, pte);
            }
            if (live && u->pwc_entries) pwc_fill(m, vaddr, level, pte);
            table = pte & PTE_FRAME;
            continue;
        }
        if ((user && !usr) || (acc == ACC_WRITE && !w)) {
            *fault = why | FAULT_PRESENT;
            if (rec) rec->faulted = true;
            return false;
        }
        uint32_t want = PTE_A | (acc == ACC_WRITE ? PTE_D : 0);
        if (live && (pte & want) != want) {
            pte |= want;
            pte_write_ad(m, epa, pte);
            record(rec, level, WALK_AD_WRITE, table, idx, pte);
        }
        uint32_t page_mask = (1u << shift_below(u, level)) - 1;
        *pa = ((pte & PTE_FRAME) & ~page_mask) | (vaddr & page_mask);
        *w_ok = w;
        *u_ok = usr;
        *leaf_level = u->levels - 1 - level;
        if (rec) rec->pa = *pa;
        return true;
    }
    *fault = why; /* not reached: the bottom level is always a leaf */
    return false;
}

bool mmu_probe(struct machine *m, uint32_t ptb, uint32_t vaddr, enum mmu_access acc, bool user,
               struct walk_record *rec)
{
    uint32_t pa, fault;
    bool w, u;
    unsigned lvl;
    return walk(m, ptb, vaddr, acc, user, false, rec, &pa, &w, &u, &lvl, &fault);
}

/* ---- the TLB -------------------------------------------------------------- */
static bool tlb_match(const struct mmu *u, const struct tlb_entry *e, uint32_t vpn, uint16_t asid)
{
    return e->valid && e->vpn == vpn && (e->global || !u->asid_tags || e->asid == asid);
}

static struct tlb_entry *tlb_find(struct machine *m, uint32_t vpn)
{
    struct mmu *u = &m->mmu;
    struct tlb_entry *set = &u->tlb[(vpn & (u->tlb_sets - 1)) * u->tlb_ways];
    for (unsigned i = 0; i < u->tlb_ways; i++)
        if (tlb_match(u, &set[i], vpn, cur_asid(m))) return &set[i];
    return NULL;
}

/* The way to fill in vpn's set: an invalid one, else the least recently used. */
static struct tlb_entry *tlb_victim(struct machine *m, uint32_t vpn)
{
    struct mmu *u = &m->mmu;
    struct tlb_entry *set = &u->tlb[(vpn & (u->tlb_sets - 1)) * u->tlb_ways];
    struct tlb_entry *v = &set[0];
    for (unsigned i = 0; i < u->tlb_ways; i++) {
        if (!set[i].valid) return &set[i];
        if (set[i].lru < v->lru) v = &set[i];
    }
    u->st.tlb_evictions++;
    return v;
}

/* Remember e as the interpreter's shortcut for the next data access. */
static void set_shortcut(struct machine *m, const struct tlb_entry *e, bool user)
{
    struct mmu *u = &m->mmu;
    if ((user && !e->user) || e->pfn >= m->memsize >> 12) {
        u->last_vpn = 0xffffffffu;
        return;
    }
    u->last_vpn = e->vpn;
    u->last_addend = (uintptr_t)m->mem + ((uintptr_t)e->pfn << 12) - ((uintptr_t)e->vpn << 12);
    u->last_write_ok = e->writable && e->dirty;
}

bool mmu_translate(struct machine *m, uint32_t vaddr, enum mmu_access acc, uint32_t *pa,
                   uint32_t *fault)
{
    struct mmu *u = &m->mmu;
    uint32_t vpn = vaddr >> 12;
    bool user = SR_RING(m->cpu.cr[CR_SR]) == 3;
    struct tlb_entry *e = tlb_find(m, vpn);
    if (e) {
        if ((user && !e->user) || (acc == ACC_WRITE && !e->writable)) {
            /* a cached translation that forbids this access: protection fault */
            u->st.tlb_hits++;
            cpu_charge(m, CY_TLB, m->prof.tlb_hit);
            e->lru = ++u->lru_clock;
            *fault = FAULT_PRESENT | (acc == ACC_WRITE ? FAULT_WRITE : 0) | (user ? FAULT_USER : 0) |
                     (acc == ACC_FETCH ? FAULT_FETCH : 0);
            u->st.page_faults++;
            return false;
        }
        if (!(acc == ACC_WRITE && !e->dirty)) {
            u->st.tlb_hits++;
            cpu_charge(m, CY_TLB, m->prof.tlb_hit);
            e->lru = ++u->lru_clock;
            *pa = (e->pfn << 12) | (vaddr & 0xfff);
            if (acc != ACC_FETCH) set_shortcut(m, e, user);
            else if (e->vpn != u->last_vpn) u->last_vpn = 0xffffffffu; /* keep LRU exact */
            return true;
        }
        /* first write through a clean entry: walk again to set D */
        e->valid = 0;
    }
    u->st.tlb_misses++;
    u->st.walks++;
    bool w, uok;
    unsigned lvl;
    if (!walk(m, m->cpu.cr[CR_PTB], vaddr, acc, user, true, &u->last_walk, pa, &w, &uok, &lvl, fault)) {
        u->st.page_faults++;
        return false;
    }
    e = tlb_victim(m, vpn);
    *e = (struct tlb_entry){.vpn = vpn, .pfn = *pa >> 12, .asid = cur_asid(m), .valid = 1,
                            .global = 0, .writable = w, .user = uok, .dirty = acc == ACC_WRITE,
                            .level = (uint8_t)lvl, .lru = ++u->lru_clock};
    /* G on the leaf makes the entry global */
    if (u->last_walk.nrefs) {
        const struct walk_ref *leaf = &u->last_walk.refs[u->last_walk.nrefs - 1];
        e->global = (leaf->pte & PTE_G) != 0;
        /* a write that already found D set keeps the entry writable-clean */
        if (leaf->pte & PTE_D) e->dirty = 1;
    }
    if (acc != ACC_FETCH) set_shortcut(m, e, user);
    else u->last_vpn = 0xffffffffu;
    return true;
}

/* ---- maintenance ------------------------------------------------------------ */
static void flush(struct machine *m, bool keep_global)
{
    struct mmu *u = &m->mmu;
    for (unsigned i = 0; i < u->tlb_entries; i++)
        if (!(keep_global && u->tlb[i].global)) u->tlb[i].valid = 0;
    for (unsigned i = 0; i < u->pwc_entries; i++) u->pwc[i].valid = 0;
    u->st.tlb_flushes++;
    u->last_vpn = 0xffffffffu;
}

void mmu_flush_all(struct machine *m) { flush(m, false); }

void mmu_invlpg(struct machine *m, uint32_t vaddr)
{
    struct mmu *u = &m->mmu;
    struct tlb_entry *e = tlb_find(m, vaddr >> 12);
    if (e) e->valid = 0;
    /* like x86, invlpg also drops the paging-structure caches */
    for (unsigned i = 0; i < u->pwc_entries; i++) u->pwc[i].valid = 0;
    u->last_vpn = 0xffffffffu;
}

void mmu_context_changed(struct machine *m, bool ptb_changed)
{
    struct mmu *u = &m->mmu;
    u->paging = m->cpu.cr[CR_MMU] & 1;
    u->last_vpn = 0xffffffffu;
    /* without ASID tags a new address space cannot share the TLB */
    if (ptb_changed && !u->asid_tags) flush(m, true);
}
