/*
 * test_mmu.c — the TLB and the page walker, against page tables built by hand.
 *
 * Each test lays out tables in a fresh machine's memory, turns paging on by
 * setting the control registers, and calls mmu_translate as the interpreter
 * would, then checks references, hits, misses, evictions and faults.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/cpu.h"

static struct machine M;
static uint32_t next_frame;

static void setup_machine(unsigned levels, unsigned entries, unsigned ways, bool no_asid, unsigned pwc)
{
    char err[256];
    struct machine_config cfg = {.memsize = 8u << 20, .levels = levels, .tlb_entries = entries,
                                 .tlb_ways = ways, .no_asid = no_asid, .pwc_entries = pwc};
    cr_assert(machine_init(&M, &cfg, err, sizeof err), "%s", err);
    next_frame = 0x100000;
}
static void teardown_machine(void) { machine_free(&M); }

static uint32_t alloc_table(void)
{
    uint32_t f = next_frame;
    next_frame += 4096;
    memset(M.mem + f, 0, 4096);
    return f;
}
static uint32_t rd(uint32_t pa) { uint32_t v; memcpy(&v, M.mem + pa, 4); return v; }
static void wr(uint32_t pa, uint32_t v) { memcpy(M.mem + pa, &v, 4); }

/* Maps va -> pa with a leaf at `leaf_level` (levels-1 = a 4 KiB page). */
static void map(uint32_t root, uint32_t va, uint32_t pa, uint32_t flags, unsigned leaf_level)
{
    unsigned bits[MMU_MAX_LEVELS];
    mmu_level_bits(M.levels, bits);
    uint32_t table = root;
    for (unsigned l = 0; l < M.levels; l++) {
        unsigned shift = 12;
        for (unsigned k = l + 1; k < M.levels; k++) shift += bits[k];
        uint32_t e = table + 4 * ((va >> shift) & ((1u << bits[l]) - 1));
        if (l == leaf_level) {
            wr(e, (pa & PTE_FRAME) | flags | PTE_P | (l < M.levels - 1 ? PTE_L : 0));
            return;
        }
        if (!(rd(e) & PTE_P)) wr(e, alloc_table() | PTE_P | PTE_W | PTE_U);
        table = rd(e) & PTE_FRAME;
    }
}

static void paging_on(uint32_t root, uint32_t asid, unsigned ring)
{
    M.cpu.cr[CR_PTB] = root;
    M.cpu.cr[CR_ASID] = asid;
    M.cpu.cr[CR_MMU] = 1;
    M.cpu.cr[CR_SR] = ring << SR_RING_SHIFT;
    mmu_context_changed(&M, true);
}

static bool xlate(uint32_t va, enum mmu_access acc, uint32_t *pa, uint32_t *fault)
{
    uint32_t p, f;
    bool ok = mmu_translate(&M, va, acc, pa ? pa : &p, fault ? fault : &f);
    return ok;
}

/* Pages 0..7 mapped writable to 0x200000 on, leaves at leaf_level; paging
 * on in ASID 1, ring 0. */
static void pages_0_to_7_mapped(unsigned leaf_level)
{
    uint32_t root = alloc_table();
    for (uint32_t p = 0; p < 8; p++) map(root, p << 12, 0x200000 + (p << 12), PTE_W, leaf_level);
    paging_on(root, 1, 0);
}

TestSuite(mmu, .fini = teardown_machine);

Test(mmu, cold_miss_costs_one_reference_per_level)
{
    for (unsigned levels = 2; levels <= 4; levels++) {
        setup_machine(levels, 64, 4, false, 0);
        uint32_t root = alloc_table();
        map(root, 0x40001000, 0x200000, PTE_W | PTE_U, levels - 1);
        paging_on(root, 1, 0);
        uint32_t pa;
        cr_assert(xlate(0x40001234, ACC_READ, &pa, NULL));
        cr_assert_eq(pa, 0x200234);
        cr_assert_eq(M.mmu.st.walk_refs, levels, "%u levels: %llu refs", levels,
                     (unsigned long long)M.mmu.st.walk_refs);
        cr_assert_eq(M.mmu.st.walks, 1);
        cr_assert_eq(M.st.cycles_by_cause[CY_WALK], (levels + M.mmu.st.walk_ad_writes) * M.prof.walk_ref);
        machine_free(&M);
    }
    setup_machine(2, 64, 4, false, 0);
}

Test(mmu, a_hit_costs_no_reference)
{
    setup_machine(4, 64, 4, false, 0);
    uint32_t root = alloc_table();
    map(root, 0x1000, 0x300000, PTE_W, 3);
    paging_on(root, 1, 0);
    cr_assert(xlate(0x1000, ACC_READ, NULL, NULL));
    uint64_t refs = M.mmu.st.walk_refs;
    cr_assert(xlate(0x1ffc, ACC_READ, NULL, NULL));
    cr_assert_eq(M.mmu.st.walk_refs, refs);
    cr_assert_eq(M.mmu.st.tlb_hits, 1);
    cr_assert_eq(M.mmu.st.tlb_misses, 1);
}

Test(mmu, large_pages_shorten_the_walk)
{
    setup_machine(4, 64, 4, false, 0);
    uint32_t root = alloc_table();
    /* a leaf at level 1 of 4 maps 4 KiB << (5 + 5) = 4 MiB */
    map(root, 0x00400000, 0x00400000, PTE_W, 1);
    paging_on(root, 1, 0);
    uint32_t pa;
    cr_assert(xlate(0x00412345, ACC_READ, &pa, NULL));
    cr_assert_eq(pa, 0x00412345);
    cr_assert_eq(M.mmu.st.walk_refs, 2, "root and the large leaf");
}

Test(mmu, accessed_and_dirty_bits_are_set_and_counted)
{
    setup_machine(2, 64, 4, false, 0);
    uint32_t root = alloc_table();
    map(root, 0x5000, 0x205000, PTE_W, 1);
    paging_on(root, 1, 0);
    cr_assert(xlate(0x5000, ACC_READ, NULL, NULL));
    uint32_t leaf_table = rd(root) & PTE_FRAME;
    uint32_t pte = rd(leaf_table + 4 * 5);
    cr_assert(pte & PTE_A);
    cr_assert(!(pte & PTE_D));
    cr_assert(rd(root) & PTE_A, "upper levels get A too");
    cr_assert_eq(M.mmu.st.walk_ad_writes, 2);
    /* the first write through a clean entry walks again to set D */
    cr_assert(xlate(0x5004, ACC_WRITE, NULL, NULL));
    cr_assert(rd(leaf_table + 4 * 5) & PTE_D);
    cr_assert_eq(M.mmu.st.walk_ad_writes, 3);
    cr_assert(xlate(0x5008, ACC_WRITE, NULL, NULL));
    cr_assert_eq(M.mmu.st.walk_ad_writes, 3, "now dirty in the TLB: no more walks");
}

Test(mmu, faults_say_why)
{
    setup_machine(2, 64, 4, false, 0);
    uint32_t root = alloc_table();
    map(root, 0x1000, 0x201000, 0, 1);          /* supervisor, read-only */
    map(root, 0x2000, 0x202000, PTE_U, 1);      /* user, read-only */
    paging_on(root, 1, 0);
    uint32_t f;
    cr_assert(!xlate(0x9000, ACC_READ, NULL, &f));
    cr_assert_eq(f, 0, "not present, read, supervisor");
    cr_assert(!xlate(0x1000, ACC_WRITE, NULL, &f));
    cr_assert_eq(f, FAULT_PRESENT | FAULT_WRITE);
    paging_on(root, 1, 3);
    cr_assert(!xlate(0x1000, ACC_READ, NULL, &f));
    cr_assert_eq(f, FAULT_PRESENT | FAULT_USER);
    cr_assert(!xlate(0x9000, ACC_FETCH, NULL, &f));
    cr_assert_eq(f, FAULT_USER | FAULT_FETCH);
    cr_assert(xlate(0x2000, ACC_READ, NULL, NULL));
    cr_assert(!xlate(0x2000, ACC_WRITE, NULL, &f), "a cached read-only entry still faults on write");
    cr_assert_eq(f, FAULT_PRESENT | FAULT_WRITE | FAULT_USER);
    cr_assert_eq(M.mmu.st.page_faults, 5);
}

Test(mmu, known_pattern_gives_exact_hits_misses_and_evictions)
{
    /* 4 entries, 2 ways: 2 sets chosen by vpn & 1.  Pages 0,2,4 share set 0. */
    setup_machine(2, 4, 2, false, 0);
    pages_0_to_7_mapped(1);
    const uint32_t pages[] = {0, 2, 0, 4, 2, 0, 1, 1};
    /* set 0 LRU: 0 miss; 2 miss; 0 hit; 4 miss evicts 2; 2 miss evicts 0; 0 miss evicts 4;
     * set 1: 1 miss; 1 hit */
    for (size_t i = 0; i < sizeof pages / sizeof pages[0]; i++)
        cr_assert(xlate(pages[i] << 12, ACC_READ, NULL, NULL));
    cr_assert_eq(M.mmu.st.tlb_hits, 2);
    cr_assert_eq(M.mmu.st.tlb_misses, 6);
    cr_assert_eq(M.mmu.st.tlb_evictions, 3);
}

/* The way a miss fills is the one its failed look-up found on the way
 * through the set; the walk's caches move the LRU clock meanwhile and
 * must not change which way that is. */
Test(mmu, a_miss_evicts_the_least_recently_used_way_with_walk_caches_on)
{
    setup_machine(4, 4, 2, false, 16);
    pages_0_to_7_mapped(3);
    const uint32_t pages[] = {0, 2, 0, 4};   /* set 0: 4 evicts 2, the least recently used */
    for (size_t i = 0; i < sizeof pages / sizeof pages[0]; i++)
        cr_assert(xlate(pages[i] << 12, ACC_READ, NULL, NULL));
    cr_assert_gt(M.mmu.st.pwc_hits, 0);
    struct tlb_entry e;
    cr_assert(mmu_tlb_lookup(&M, 0x0000, &e), "page 0, used after 2, stays");
    cr_assert(mmu_tlb_lookup(&M, 0x4000, &e));
    cr_assert_not(mmu_tlb_lookup(&M, 0x2000, &e), "page 2 was the victim");
    cr_assert_eq(M.mmu.st.tlb_evictions, 1);
}

/* A first write through a clean entry drops it and walks again: the new
 * entry takes the way it left, the first invalid one, and evicts nothing. */
Test(mmu, a_first_write_refills_the_way_of_the_clean_entry)
{
    setup_machine(2, 4, 2, false, 0);
    pages_0_to_7_mapped(1);
    cr_assert(xlate(0x0000, ACC_READ, NULL, NULL));
    cr_assert(xlate(0x2000, ACC_READ, NULL, NULL));
    cr_assert(xlate(0x0000, ACC_WRITE, NULL, NULL));
    cr_assert_eq(M.mmu.st.tlb_misses, 3);
    cr_assert_eq(M.mmu.st.tlb_evictions, 0);
    cr_assert(xlate(0x2000, ACC_READ, NULL, NULL));
    cr_assert(xlate(0x0000, ACC_WRITE, NULL, NULL));
    cr_assert_eq(M.mmu.st.tlb_hits, 2, "both pages still cached, page 0 now dirty");
}

Test(mmu, asid_tags_keep_entries_across_a_switch)
{
    setup_machine(2, 64, 4, false, 0);
    uint32_t a = alloc_table(), b = alloc_table();
    map(a, 0x1000, 0x201000, PTE_W, 1);
    map(b, 0x1000, 0x301000, PTE_W, 1);
    paging_on(a, 1, 0);
    uint32_t pa;
    cr_assert(xlate(0x1000, ACC_READ, &pa, NULL));
    paging_on(b, 2, 0);
    cr_assert(xlate(0x1000, ACC_READ, &pa, NULL));
    cr_assert_eq(pa, 0x301000, "ASID 2 sees its own mapping");
    paging_on(a, 1, 0);
    cr_assert(xlate(0x1000, ACC_READ, &pa, NULL));
    cr_assert_eq(pa, 0x201000);
    cr_assert_eq(M.mmu.st.tlb_hits, 1, "back in ASID 1: still cached");
    cr_assert_eq(M.mmu.st.tlb_flushes, 0);
}

Test(mmu, without_asid_tags_a_switch_flushes)
{
    setup_machine(2, 64, 4, true, 0);
    uint32_t a = alloc_table(), b = alloc_table();
    map(a, 0x1000, 0x201000, PTE_W, 1);
    map(a, 0x2000, 0x202000, PTE_W | PTE_G, 1);
    map(b, 0x1000, 0x301000, PTE_W, 1);
    map(b, 0x2000, 0x202000, PTE_W | PTE_G, 1);
    paging_on(a, 1, 0);
    cr_assert(xlate(0x1000, ACC_READ, NULL, NULL));
    cr_assert(xlate(0x2000, ACC_READ, NULL, NULL));
    uint64_t flushes = M.mmu.st.tlb_flushes;
    paging_on(b, 2, 0);
    cr_assert_eq(M.mmu.st.tlb_flushes, flushes + 1);
    uint32_t pa;
    cr_assert(xlate(0x1000, ACC_READ, &pa, NULL));
    cr_assert_eq(pa, 0x301000);
    cr_assert(xlate(0x2000, ACC_READ, NULL, NULL));
    cr_assert_eq(M.mmu.st.tlb_hits, 1, "only the global entry survived");
}

Test(mmu, invlpg_drops_one_page_and_flush_drops_all)
{
    setup_machine(2, 64, 4, false, 0);
    uint32_t root = alloc_table();
    map(root, 0x1000, 0x201000, PTE_W, 1);
    map(root, 0x2000, 0x202000, PTE_W, 1);
    paging_on(root, 1, 0);
    xlate(0x1000, ACC_READ, NULL, NULL);
    xlate(0x2000, ACC_READ, NULL, NULL);
    mmu_invlpg(&M, 0x1000);
    xlate(0x1000, ACC_READ, NULL, NULL);
    xlate(0x2000, ACC_READ, NULL, NULL);
    cr_assert_eq(M.mmu.st.tlb_misses, 3);
    cr_assert_eq(M.mmu.st.tlb_hits, 1);
    mmu_flush_all(&M);
    xlate(0x2000, ACC_READ, NULL, NULL);
    cr_assert_eq(M.mmu.st.tlb_misses, 4);
}

Test(mmu, page_walk_cache_skips_remembered_levels)
{
    setup_machine(4, 64, 4, false, 16);
    uint32_t root = alloc_table();
    map(root, 0x40000000, 0x200000, PTE_W, 3);
    map(root, 0x40001000, 0x201000, PTE_W, 3);
    paging_on(root, 1, 0);
    cr_assert(xlate(0x40000000, ACC_READ, NULL, NULL));
    cr_assert_eq(M.mmu.st.walk_refs, 4);
    cr_assert(xlate(0x40001000, ACC_READ, NULL, NULL));
    cr_assert_eq(M.mmu.st.walk_refs, 5, "only the leaf level is read again");
    cr_assert_eq(M.mmu.st.pwc_hits, 1);
}

Test(mmu, tables_outside_memory_are_a_bus_error_not_a_crash)
{
    setup_machine(2, 64, 4, false, 0);
    uint32_t root = alloc_table();
    wr(root, 0xfffff000 | PTE_P | PTE_W);
    paging_on(root, 1, 0);
    uint32_t f;
    cr_assert(!xlate(0x1000, ACC_READ, NULL, &f));
    cr_assert(f & FAULT_BUS);
}

Test(mmu, tlb_shape_is_validated)
{
    unsigned e, w;
    cr_assert(mmu_parse_tlb("64:4", &e, &w));
    cr_assert_eq(e, 64);
    cr_assert_eq(w, 4);
    cr_assert(mmu_parse_tlb("16", &e, &w));
    cr_assert_eq(w, 16, "ENTRIES alone is fully associative");
    cr_assert(!mmu_parse_tlb("48:4", &e, &w), "12 sets is not a power of two");
    cr_assert(!mmu_parse_tlb("4:8", &e, &w));
    cr_assert(!mmu_parse_tlb("x", &e, &w));
    setup_machine(2, 64, 4, false, 0);
}

/* ---- probes: the walker on a context, changing nothing ------------------- */
Test(mmu, a_probe_changes_nothing)
{
    setup_machine(4, 64, 4, false, 16);
    uint32_t root = alloc_table();
    map(root, 0x40001000, 0x200000, PTE_W | PTE_U, 3);
    paging_on(root, 1, 3);
    size_t n = next_frame - 0x100000;
    uint8_t *tables = malloc(n);
    memcpy(tables, M.mem + 0x100000, n);
    struct mmu_stats st = M.mmu.st;
    uint64_t cycles = M.st.cycles;
    struct mmu_walk_ctx c = mmu_walk_ctx_now(&M);
    c.user = true;
    struct walk_result r;
    cr_assert(mmu_probe(&c, 0x40001234, ACC_WRITE, &r));
    cr_assert_eq(r.pa, 0x200234);
    cr_assert_eq(r.nrefs, 4, "one reference per level, no A/D write-back");
    cr_assert(r.writable && r.user);
    cr_assert_eq(memcmp(tables, M.mem + 0x100000, n), 0, "no A or D bit set");
    cr_assert_eq(memcmp(&st, &M.mmu.st, sizeof st), 0, "no statistic counted");
    cr_assert_eq(M.st.cycles, cycles, "no cycle charged");
    cr_assert(xlate(0x40001234, ACC_WRITE, NULL, NULL));
    cr_assert_eq(M.mmu.st.pwc_hits, 0, "the probe filled no walk cache");
    cr_assert_eq(M.mmu.st.tlb_misses, 1, "nor the TLB");
    free(tables);
}

Test(mmu, a_probe_sees_what_the_live_walk_sees)
{
    setup_machine(4, 64, 4, false, 0);
    uint32_t root = alloc_table();
    map(root, 0x00400000, 0x00400000, PTE_W, 1);   /* a large page */
    paging_on(root, 1, 0);
    struct mmu_walk_ctx c = mmu_walk_ctx_now(&M);
    struct walk_result r;
    cr_assert(mmu_probe(&c, 0x00412345, ACC_READ, &r));
    uint32_t pa;
    cr_assert(xlate(0x00412345, ACC_READ, &pa, NULL));
    struct tlb_entry e;
    cr_assert(mmu_tlb_lookup(&M, 0x00412345, &e));
    cr_assert_eq(r.pa, pa);
    cr_assert_eq(r.leaf_level, e.level);
    cr_assert_eq(r.writable, e.writable);
    cr_assert_eq(r.user, e.user);
    /* the same entries read, in the same order (the live walk also wrote A back) */
    const struct walk_result *live = &M.mmu.last_walk;
    int k = 0;
    for (int i = 0; i < live->nrefs; i++) {
        if (live->refs[i].kind != WALK_READ) continue;
        cr_assert_lt(k, r.nrefs);
        cr_assert_eq(r.refs[k].table, live->refs[i].table, "reference %d", k + 1);
        cr_assert_eq(r.refs[k].index, live->refs[i].index, "reference %d", k + 1);
        k++;
    }
    cr_assert_eq(k, r.nrefs);
}

Test(mmu, a_probe_walks_any_table_in_any_memory)
{
    /* tables the CPU is not using, in a memory that starts elsewhere (as a
     * VM's guest-physical memory does): what the debugger and dot draw */
    setup_machine(2, 64, 4, false, 0);
    uint32_t root = alloc_table();
    map(root, 0x3000, 0x7000, PTE_W, 1);
    struct mmu_walk_ctx c = {.paging = true, .table = {root - 0x100000, 2}, .mem = M.mem + 0x100000,
                             .memsize = 0x100000};
    /* the table's own entries point at frames of the whole memory: move them */
    uint32_t leaf = rd(root) & PTE_FRAME;
    wr(root, (leaf - 0x100000) | PTE_P | PTE_W | PTE_U);
    struct walk_result r;
    cr_assert(mmu_probe(&c, 0x3abc, ACC_READ, &r));
    cr_assert_eq(r.pa, 0x7abc);
    cr_assert_eq(r.refs[0].table, root - 0x100000, "addresses are the context's memory's");
    cr_assert(!mmu_probe(&c, 0x5000, ACC_READ, &r));
    cr_assert(r.faulted);
    cr_assert_eq(r.fault, 0, "a supervisor read of a page not present");
    cr_assert_eq(M.cpu.cr[CR_MMU], 0, "the CPU's paging stays off");
}

/* ---- the walk, level by level (what a change to the walker could break) ---- */
/* The physical address of the entry for va at level l of the tables under
 * root (which map() built): the walker's own arithmetic, done again. */
static uint32_t entry_at(uint32_t root, uint32_t va, unsigned l)
{
    unsigned bits[MMU_MAX_LEVELS];
    mmu_level_bits(M.levels, bits);
    uint32_t table = root;
    for (unsigned k = 0;; k++) {
        unsigned shift = 12;
        for (unsigned j = k + 1; j < M.levels; j++) shift += bits[j];
        uint32_t e = table + 4 * ((va >> shift) & ((1u << bits[k]) - 1));
        if (k == l) return e;
        table = rd(e) & PTE_FRAME;
    }
}

/* The references of the last walk of each kind. */
static int refs_of_kind(int kind)
{
    int n = 0;
    for (int i = 0; i < M.mmu.last_walk.nrefs; i++) n += M.mmu.last_walk.refs[i].kind == kind;
    return n;
}

Test(mmu, a_walk_stops_at_the_first_entry_not_present_at_every_level)
{
    for (unsigned levels = 2; levels <= 4; levels++) {
        for (unsigned l = 0; l < levels; l++) {
            setup_machine(levels, 64, 4, false, 0);
            uint32_t root = alloc_table();
            map(root, 0x40003000, 0x200000, PTE_W | PTE_U, levels - 1);
            uint32_t e = entry_at(root, 0x40003000, l);
            wr(e, rd(e) & ~PTE_P);
            paging_on(root, 1, 3);
            uint32_t f;
            cr_assert(!xlate(0x40003000, ACC_WRITE, NULL, &f), "%u levels, level %u absent", levels, l);
            cr_assert_eq(f, FAULT_WRITE | FAULT_USER, "not present: no FAULT_PRESENT (%u levels, level %u)", levels, l);
            cr_assert_eq(M.mmu.st.walk_refs, l + 1, "%u levels: read down to level %u", levels, l);
            cr_assert_eq(refs_of_kind(WALK_READ), (int)l + 1);
            const struct walk_ref *last = &M.mmu.last_walk.refs[M.mmu.last_walk.nrefs - 1];
            cr_assert(last->kind == WALK_READ && last->level == l && last->pte == rd(e), "the absent entry, read last");
            /* the levels above it were used: accessed, one write each */
            for (unsigned k = 0; k < l; k++) cr_assert(rd(entry_at(root, 0x40003000, k)) & PTE_A, "level %u", k);
            cr_assert_eq(M.mmu.st.walk_ad_writes, l);
            cr_assert(!(rd(e) & PTE_A), "the absent entry is not marked");
            cr_assert_eq(M.mmu.st.page_faults, 1);
            struct tlb_entry t;
            cr_assert(!mmu_tlb_lookup(&M, 0x40003000, &t), "a fault caches nothing");
            teardown_machine();
        }
    }
    setup_machine(2, 64, 4, false, 0); /* for the fixture's teardown */
}

Test(mmu, rights_missing_at_any_level_fault_at_the_leaf_with_every_level_read)
{
    for (unsigned levels = 2; levels <= 4; levels++) {
        for (unsigned l = 0; l < levels; l++) {
            for (int what = 0; what < 2; what++) {  /* 0: no U, read from ring 3; 1: no W, write from ring 0 */
                setup_machine(levels, 64, 4, false, 0);
                uint32_t root = alloc_table();
                map(root, 0x40003000, 0x200000, PTE_W | PTE_U, levels - 1);
                uint32_t e = entry_at(root, 0x40003000, l);
                wr(e, rd(e) & ~(what ? PTE_W : PTE_U));
                paging_on(root, 1, what ? 0 : 3);
                uint32_t f;
                cr_assert(!xlate(0x40003000, what ? ACC_WRITE : ACC_READ, NULL, &f));
                cr_assert_eq(f, FAULT_PRESENT | (what ? FAULT_WRITE : FAULT_USER), "%u levels, level %u", levels, l);
                cr_assert_eq(M.mmu.st.walk_refs, levels, "decided at the leaf, every level read");
                uint32_t leaf = rd(entry_at(root, 0x40003000, levels - 1));
                cr_assert(!(leaf & PTE_D), "a refused write marks nothing dirty");
                cr_assert_eq(M.mmu.st.page_faults, 1);
                teardown_machine();
            }
        }
    }
    setup_machine(2, 64, 4, false, 0);
}

Test(mmu, walks_mark_every_level_accessed_and_only_the_leaf_dirty)
{
    for (unsigned levels = 2; levels <= 4; levels++) {
        setup_machine(levels, 64, 4, false, 0);
        uint32_t root = alloc_table();
        map(root, 0x40003000, 0x200000, PTE_W, levels - 1);
        paging_on(root, 1, 0);
        uint32_t pa;
        cr_assert(xlate(0x40003010, ACC_READ, &pa, NULL));
        cr_assert_eq(pa, 0x200010);
        for (unsigned l = 0; l < levels; l++) {
            uint32_t pte = rd(entry_at(root, 0x40003000, l));
            cr_assert(pte & PTE_A, "%u levels: level %u accessed", levels, l);
            cr_assert(!(pte & PTE_D), "%u levels: level %u not dirty after a read", levels, l);
        }
        cr_assert_eq(M.mmu.st.walk_ad_writes, levels);
        cr_assert_eq(refs_of_kind(WALK_AD_WRITE), (int)levels, "each update is in the walk's record");
        /* the first write walks again: D on the leaf alone, one more write */
        cr_assert(xlate(0x40003010, ACC_WRITE, &pa, NULL));
        cr_assert_eq(M.mmu.st.walk_refs, 2 * levels);
        cr_assert_eq(M.mmu.st.walk_ad_writes, levels + 1);
        cr_assert_eq(refs_of_kind(WALK_AD_WRITE), 1);
        const struct walk_ref *last = &M.mmu.last_walk.refs[M.mmu.last_walk.nrefs - 1];
        cr_assert_eq(last->level, levels - 1);
        cr_assert(last->pte & PTE_D, "the record holds the entry as written");
        for (unsigned l = 0; l + 1 < levels; l++)
            cr_assert(!(rd(entry_at(root, 0x40003000, l)) & PTE_D), "level %u: D only on the leaf", l);
        cr_assert(rd(entry_at(root, 0x40003000, levels - 1)) & PTE_D);
        /* the walk's cycles: every reference and every update at walk_ref */
        cr_assert_eq(M.st.cycles_by_cause[CY_WALK], (2 * levels + levels + 1) * M.prof.walk_ref);
        teardown_machine();
    }
    setup_machine(2, 64, 4, false, 0);
}

/* The walker unrolled for two-level tables computes its index split from
 * ISA_INDEX_SHIFT and ISA_INDEX_BITS; every other walk reads the shapes
 * mmu_shape_of works out from isa_level_bits.  Both must be the ISA's one
 * rule (docs/isa.md: 20 bits of page number, the root taking the rest). */
Test(mmu, the_index_split_is_one_rule_for_every_walker)
{
    for (unsigned n = 2; n <= MMU_MAX_LEVELS; n++) {
        struct mmu_shape s;
        mmu_shape_of(n, &s);
        unsigned bits = 0;
        for (unsigned i = 0; i < n; i++) {
            cr_expect_eq(s.shift[i], ISA_INDEX_SHIFT(n, i), "levels %u, level %u: shift", n, i);
            cr_expect_eq(s.mask[i], (1u << ISA_INDEX_BITS(n, i)) - 1, "levels %u, level %u: mask", n, i);
            bits += ISA_INDEX_BITS(n, i);
        }
        cr_expect_eq(bits, 20u, "levels %u: the index bits make a page number", n);
        cr_expect_eq(s.shift[n - 1], 12u, "levels %u: the bottom level indexes pages", n);
    }
}
