/*
 * test_softtlb.c — the interpreter's shortcuts to the TLB (the one-page
 * data shortcut with the alignment folded into its tag, the soft TLB, and
 * no write tag for a page that holds decoded code) keep the architecture.
 *
 * Each guest below does what a shortcut could get wrong — a misaligned
 * access at a page's edge right after a hit on that page, a store into
 * the code it runs, a read through a TLB entry its page table no longer
 * says, paging turned off and on, two address spaces under two ASIDs — and
 * each test checks what the ISA says must happen (docs/isa.md, "Paging").
 * Every guest runs twice, at full speed and one instruction at a time, and
 * both runs must reach the same machine, statistics included: the stepping
 * loop goes through the TLB for every access, with no shortcut.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "tests/helpers.h"

/* Two-level tables (10/10): the root at `root`, the table for virtual
 * addresses [i << 22, (i + 1) << 22) at root + (i + 1) * 4 KiB. */
static void pt_map(struct machine *m, uint32_t root, uint32_t va, uint32_t pa, uint32_t flags)
{
    uint32_t top = va >> 22, table = root + (top + 1) * 4096;
    uint32_t pde = table | PTE_P | PTE_W | PTE_U, pte = (pa & PTE_FRAME) | flags | PTE_P;
    memcpy(m->mem + root + 4 * top, &pde, 4);
    memcpy(m->mem + table + 4 * ((va >> 12) & 0x3ff), &pte, 4);
}

/* Identity-maps [lo, hi) writable, with empty tables first. */
static void pt_identity(struct machine *m, uint32_t root, uint32_t lo, uint32_t hi)
{
    memset(m->mem + root, 0, 2 * 4096);
    for (uint32_t p = lo; p < hi; p += 4096) pt_map(m, root, p, p, PTE_W);
}

/* What each test prepares in a machine before it runs. */
typedef void setup_fn(struct machine *m);

/* Boots src twice with setup applied to each, runs one at full speed and
 * one a step at a time, and checks that they end alike; returns the fast
 * one (shutdown it). */
static struct machine *run_fast_and_stepped(const char *src, setup_fn *setup)
{
    struct machine *fast = boot(src, ISA_CLASSIC), *stepped = boot(src, ISA_CLASSIC);
    setup(fast);
    setup(stepped);
    machine_run(fast, 0);
    while (machine_run(stepped, 1) == STOP_STEPS) {}
    cr_assert_eq(fast->stop, stepped->stop, "%s / %s", fast->stop_detail, stepped->stop_detail);
    cr_assert_eq(fast->exit_code, stepped->exit_code);
    cr_assert_eq(fast->st.cycles, stepped->st.cycles);
    cr_assert_eq(fast->st.instructions, stepped->st.instructions);
    cr_assert_eq(fast->st.mem_refs, stepped->st.mem_refs);
    cr_assert_eq(memcmp(fast->st.cycles_by_cause, stepped->st.cycles_by_cause, sizeof fast->st.cycles_by_cause), 0);
    cr_assert_eq(memcmp(fast->st.traps_by_cause, stepped->st.traps_by_cause, sizeof fast->st.traps_by_cause), 0);
    cr_assert_eq(memcmp(&fast->mmu.st, &stepped->mmu.st, sizeof fast->mmu.st), 0, "the TLB's statistics");
    cr_assert_eq(fast->mmu.lru_clock, stepped->mmu.lru_clock, "the TLB's ages");
    cr_assert_eq(memcmp(fast->cpu.r, stepped->cpu.r, sizeof fast->cpu.r), 0);
    cr_assert_eq(memcmp(fast->mem, stepped->mem, fast->memsize), 0, "memory, page tables and their A/D bits");
    shutdown(stepped);
    return fast;
}

/* Paging on from the first instruction: 0x1000..0x9000 identity-mapped,
 * tables at 0x80000. */
static void paged(struct machine *m)
{
    pt_identity(m, 0x80000, 0x1000, 0x9000);
    m->cpu.cr[CR_PTB] = 0x80000;
    m->cpu.cr[CR_MMU] = 1;
    mmu_context_changed(m, true);
}

/* A handler that logs each fault's cause and address at 0x8000 on (r12
 * the next slot) and goes on after the faulting instruction. */
#define LOGGING_START ".text\n_start:\n la r1, vectors\n mtcr vbr, r1\n li r12, 0x8000\n"
#define LOGGING_HANDLER                                                             \
    "logfault: mfcr r10, cause\n sw r10, 0(r12)\n mfcr r10, badaddr\n sw r10, 4(r12)\n" \
    " addi r12, r12, 8\n mfcr r10, epc\n addi r10, r10, 4\n mtcr epc, r10\n iret\n"    \
    " .data\n .align 4\nvectors: .word logfault, logfault, logfault, logfault, logfault, logfault," \
    " logfault, logfault, logfault, logfault, logfault, logfault, logfault, logfault, logfault, logfault\n"

/* An access that is not aligned to its size faults as misaligned (cause
 * CAUSE_MISALIGNED, BADADDR the address) even right after an aligned hit
 * on the same page, and at a page's last bytes misalignment wins over the
 * page fault the next page (not mapped) would give. */
Test(softtlb, misaligned_accesses_at_a_page_edge_fault_after_a_hit, .timeout = 30)
{
    const char *src = LOGGING_START " li r2, 0x2ffc\n li r3, 0x8ffc\n"
                      " lw r1, 0(r2)\n lw r1, 2(r2)\n"       /* a hit, then 0x2ffe */
                      " lh r1, 2(r2)\n lh r1, 3(r2)\n"       /* a hit, then 0x2fff */
                      " sw r1, 0(r2)\n sw r1, 1(r2)\n"       /* a hit, then 0x2ffd */
                      " sh r1, 0(r2)\n sh r1, 3(r2)\n"       /* a hit, then 0x2fff */
                      " lw r1, 0(r3)\n lw r1, 2(r3)\n"       /* 0x8ffe: 0x9000 is not mapped */
                      " li r6, 0x1ab\n sb r6, 3(r2)\n lbu r5, 3(r2)\n" /* bytes are never misaligned */
                      " li r1, 7\n out power, r1\n" LOGGING_HANDLER;
    struct machine *m = run_fast_and_stepped(src, paged);
    cr_assert_eq(m->exit_code, 7, "%s", m->stop_detail);
    const uint32_t want[] = {0x2ffe, 0x2fff, 0x2ffd, 0x2fff, 0x8ffe};
    cr_assert_eq(m->st.traps_by_cause[CAUSE_MISALIGNED], 5);
    cr_assert_eq(m->st.traps_by_cause[CAUSE_PAGE_FAULT], 0);
    for (unsigned i = 0; i < 5; i++) {
        cr_assert_eq(peek32(m, 0x8000 + 8 * i), CAUSE_MISALIGNED, "fault %u", i);
        cr_assert_eq(peek32(m, 0x8004 + 8 * i), want[i], "fault %u's BADADDR", i);
    }
    cr_assert_eq(m->cpu.r[5], 0xab, "the byte store went through");
    shutdown(m);
}

/* The guest rewrites an instruction of the block it is running, in a loop,
 * the second time through a page it has just stored to: each time the new
 * instruction is the one that runs (r6 sums 2 and 3). */
static const char smc_src[] =
    ".text\n_start:\n li r6, 0\n li r7, 0\n la r2, target\n la r3, newi\n"
    "again: sw r0, 8(r3)\n"                 /* a store to the code page first */
    " slli r8, r7, 2\n add r8, r8, r3\n lw r4, 0(r8)\n"
    " sw r4, 0(r2)\n"                       /* the rewrite */
    "target: addi r5, r0, 1\n add r6, r6, r5\n addi r7, r7, 1\n li r9, 2\n bne r7, r9, again\n"
    " out power, r6\n"
    "newi: addi r5, r0, 2\n addi r5, r0, 3\n .word 0\n";

static void unpaged(struct machine *m) { (void)m; }

Test(softtlb, a_store_to_running_code_is_seen_with_paging_on, .timeout = 30)
{
    struct machine *m = run_fast_and_stepped(smc_src, paged);
    cr_assert_eq(m->stop, STOP_EXIT, "%s", m->stop_detail);
    cr_assert_eq(m->exit_code, 5, "the rewritten instruction ran both times");
    shutdown(m);
}

Test(softtlb, a_store_to_running_code_is_seen_with_paging_off, .timeout = 30)
{
    struct machine *m = run_fast_and_stepped(smc_src, unpaged);
    cr_assert_eq(m->stop, STOP_EXIT, "%s", m->stop_detail);
    cr_assert_eq(m->exit_code, 5, "the rewritten instruction ran both times");
    shutdown(m);
}

/* Virtual page 0x5000 on frame 0x5000 (0x11 there; 0x22 at 0x6000),
 * already dirty (a write needs no walk to set D); its page-table entry is
 * at 0x81014, mapped for the guest at the same address. */
static void stale_setup(struct machine *m)
{
    paged(m);
    pt_map(m, 0x80000, 0x5000, 0x5000, PTE_W | PTE_A | PTE_D);
    pt_map(m, 0x80000, 0x81000, 0x81000, PTE_W);
    uint32_t a = 0x11, b = 0x22;
    memcpy(m->mem + 0x5000, &a, 4);
    memcpy(m->mem + 0x6000, &b, 4);
}

/* The TLB is not coherent with the tables: after the guest points the
 * entry of 0x5000 at frame 0x6000 without invlpg, reads and writes of
 * 0x5000 still reach frame 0x5000 — through the shortcut and, after a
 * read of another page, through the soft TLB — until invlpg.  (A first
 * write through an entry that is not dirty would walk again to set D, and
 * meet the new entry: here the page was dirty from the start.) */
Test(softtlb, a_stale_tlb_entry_is_used_until_invlpg, .timeout = 30)
{
    const char *src = ".text\n_start:\n li r2, 0x5000\n li r3, 0x81014\n li r4, 0x6003\n li r8, 0x2000\n"
                      " lw r1, 0(r2)\n"               /* fills the TLB: frame 0x5000 */
                      " sw r4, 0(r3)\n"               /* the entry now says frame 0x6000 (P|W) */
                      " lw r5, 0(r2)\n"               /* stale: 0x11 */
                      " lw r0, 0(r8)\n lw r6, 0(r2)\n"/* another page between: still stale */
                      " li r9, 0x33\n sw r9, 0(r2)\n" /* a write through the stale entry: frame 0x5000 */
                      " invlpg r2\n lw r7, 0(r2)\n"   /* now the new frame: 0x22 */
                      " li r1, 1\n out power, r1\n";
    struct machine *m = run_fast_and_stepped(src, stale_setup);
    cr_assert_eq(m->exit_code, 1, "%s", m->stop_detail);
    cr_assert_eq(m->cpu.r[5], 0x11, "stale right after the change");
    cr_assert_eq(m->cpu.r[6], 0x11, "stale after another page");
    cr_assert_eq(peek32(m, 0x5000), 0x33, "the stale write reached the old frame");
    cr_assert_eq(peek32(m, 0x6000), 0x22);
    cr_assert_eq(m->cpu.r[7], 0x22, "invlpg: the new frame");
    shutdown(m);
}

/* Tables ready at 0x80000 (virtual 0x5000 on frame 0x6000, the program's
 * pages identity-mapped), paging off. */
static void tables_ready(struct machine *m)
{
    stale_setup(m);
    pt_map(m, 0x80000, 0x5000, 0x6000, PTE_W);
    m->cpu.cr[CR_MMU] = 0;
    mmu_context_changed(m, true);
}

/* Paging off, 0x5000 is physical; on, it is frame 0x6000; off again,
 * physical again — reads and writes both, each switch right after an
 * access to the same address. */
Test(softtlb, turning_paging_on_and_off_changes_what_an_address_means, .timeout = 30)
{
    const char *src = ".text\n_start:\n li r2, 0x5000\n li r3, 1\n"
                      " lw r4, 0(r2)\n"                       /* physical: 0x11 */
                      " mtcr mmu, r3\n lw r5, 0(r2)\n"        /* frame 0x6000: 0x22 */
                      " li r9, 0x44\n sw r9, 0(r2)\n"         /* to frame 0x6000 */
                      " mtcr mmu, r0\n lw r6, 0(r2)\n"        /* physical again: 0x11 */
                      " li r9, 0x55\n sw r9, 0(r2)\n"         /* to 0x5000 */
                      " mtcr mmu, r3\n lw r7, 0(r2)\n"        /* 0x44, from the TLB */
                      " li r1, 1\n out power, r1\n";
    struct machine *m = run_fast_and_stepped(src, tables_ready);
    cr_assert_eq(m->exit_code, 1, "%s", m->stop_detail);
    cr_assert_eq(m->cpu.r[4], 0x11);
    cr_assert_eq(m->cpu.r[5], 0x22);
    cr_assert_eq(m->cpu.r[6], 0x11);
    cr_assert_eq(m->cpu.r[7], 0x44);
    cr_assert_eq(peek32(m, 0x5000), 0x55);
    cr_assert_eq(peek32(m, 0x6000), 0x44);
    shutdown(m);
}

/* Two address spaces: ASID 1 with the tables at 0x80000 (virtual 0x5000
 * on frame 0x6000), ASID 2 with tables at 0x90000 (on frame 0x7000). */
static void two_spaces(struct machine *m)
{
    tables_ready(m);
    pt_identity(m, 0x90000, 0x1000, 0x9000);
    pt_map(m, 0x90000, 0x5000, 0x7000, PTE_W);
    uint32_t c = 0x77;
    memcpy(m->mem + 0x7000, &c, 4);
}

static const char asid_src[] =
    ".text\n_start:\n li r2, 0x5000\n li r3, 1\n li r10, 0x80000\n li r11, 0x90000\n li r12, 2\n"
    " mtcr ptb, r10\n mtcr asid, r3\n mtcr mmu, r3\n lw r4, 0(r2)\n"   /* space 1: 0x22 */
    " mtcr ptb, r11\n mtcr asid, r12\n lw r5, 0(r2)\n"                 /* space 2: 0x77 */
    " li r9, 0x99\n sw r9, 0(r2)\n"                                    /* to frame 0x7000 */
    " mtcr ptb, r10\n mtcr asid, r3\n lw r6, 0(r2)\n"                  /* space 1 again: 0x22 */
    " li r1, 1\n out power, r1\n";

/* An ASID change changes what a page means at once, right after an access
 * to it in the other space; with ASID tags, going back finds space 1's
 * entries still in the TLB, without them the ptb write flushed them. */
Test(softtlb, an_asid_switch_changes_the_space_and_tags_keep_entries, .timeout = 30)
{
    struct machine *m = run_fast_and_stepped(asid_src, two_spaces);
    cr_assert_eq(m->exit_code, 1, "%s", m->stop_detail);
    cr_assert_eq(m->cpu.r[4], 0x22);
    cr_assert_eq(m->cpu.r[5], 0x77);
    cr_assert_eq(m->cpu.r[6], 0x22);
    cr_assert_eq(peek32(m, 0x7000), 0x99);
    cr_assert_eq(peek32(m, 0x6000), 0x22);
    uint64_t tagged_misses = m->mmu.st.tlb_misses;
    shutdown(m);

    struct machine_config cfg = {.memsize = 1u << 20, .isa = ISA_CLASSIC, .levels = 2, .no_asid = true};
    m = boot_cfg(asid_src, &cfg);
    two_spaces(m);
    machine_run(m, 0);
    cr_assert_eq(m->exit_code, 1, "%s", m->stop_detail);
    cr_assert_eq(m->cpu.r[6], 0x22);
    /* back in space 1: the code page and 0x5000 are walked again */
    cr_assert_eq(m->mmu.st.tlb_misses, tagged_misses + 2);
    shutdown(m);
}

/* Paging on, the fast loop charges a block's TLB hits when it enters the
 * block, one per load or store, and gives back the hit of an access that
 * walks instead.  Every TLB cycle is a hit's (the walk's own references
 * are walk cycles), so after any run CY_TLB is tlb_hits hits' worth —
 * whatever the fast loop charged ahead and gave back. */
static void assert_tlb_cycles_are_hits(const struct machine *m)
{
    cr_assert_eq(m->st.cycles_by_cause[CY_TLB], m->mmu.st.tlb_hits * m->prof.tlb_hit,
                 "CY_TLB %llu, %llu hits", (unsigned long long)m->st.cycles_by_cause[CY_TLB],
                 (unsigned long long)m->mmu.st.tlb_hits);
}

/* A logging guest powered off with exit, having taken n traps of cause. */
static void assert_ended_after(const struct machine *m, uint32_t exit, unsigned n, uint32_t cause)
{
    cr_assert_eq(m->exit_code, exit, "%s", m->stop_detail);
    cr_assert_eq(m->st.traps_by_cause[cause], n, "traps of cause %u", cause);
}

/* The i-th fault the logging handler wrote down: its cause and BADADDR. */
static void assert_logged_fault(const struct machine *m, unsigned i, uint32_t cause, uint32_t badaddr)
{
    cr_assert_eq(peek32(m, 0x8000 + 8 * i), cause, "fault %u's cause", i);
    cr_assert_eq(peek32(m, 0x8004 + 8 * i), badaddr, "fault %u's BADADDR", i);
}

/* One block of loads and stores where the third access walks (its page
 * not touched yet) and the others hit: the block is charged its hits once,
 * the walk sees the counters as the stepping loop has them, and the run
 * ends with the hits and misses of stepping one instruction at a time. */
Test(softtlb, a_walk_inside_a_block_leaves_the_other_hits_charged_once, .timeout = 30)
{
    const char *src = ".text\n_start:\n li r2, 0x5000\n li r3, 0x7000\n li r4, 0x2000\n"
                      " lw r5, 0(r4)\n"                        /* fills 0x2000's entry */
                      " li r9, 7\n"
                      " lw r6, 0(r4)\n sw r9, 4(r4)\n"         /* hits */
                      " lw r7, 0(r3)\n"                        /* walks: 0x7000 is new */
                      " lw r8, 4(r3)\n sw r9, 8(r4)\n lw r10, 8(r4)\n" /* hits again */
                      " li r1, 3\n out power, r1\n";
    struct machine *m = run_fast_and_stepped(src, stale_setup);
    cr_assert_eq(m->exit_code, 3, "%s", m->stop_detail);
    cr_assert_eq(m->cpu.r[10], 7, "the last store reached memory");
    assert_tlb_cycles_are_hits(m);
    shutdown(m);
}

/* A store that page-faults halfway through a block (0x9000 is not mapped):
 * the fault's instruction and the rest of the block are refunded, hits
 * included, the handler runs, and the block's rest runs after it. */
Test(softtlb, a_store_that_faults_halfway_through_a_block_refunds_the_rest, .timeout = 30)
{
    const char *src = LOGGING_START " li r2, 0x2000\n li r3, 0x9000\n li r9, 5\n"
                      " lw r4, 0(r2)\n"                        /* fills 0x2000's entry */
                      " li r9, 5\n sw r9, 0(r2)\n lw r5, 0(r2)\n"
                      " sw r9, 0(r3)\n"                        /* page fault */
                      " lw r6, 0(r2)\n sw r6, 4(r2)\n lw r7, 4(r2)\n"
                      " li r1, 9\n out power, r1\n" LOGGING_HANDLER;
    struct machine *m = run_fast_and_stepped(src, paged);
    assert_ended_after(m, 9, 1, CAUSE_PAGE_FAULT);
    assert_logged_fault(m, 0, CAUSE_PAGE_FAULT, 0x9000);
    cr_assert_eq(m->cpu.r[7], 5, "the block's rest ran after the handler");
    assert_tlb_cycles_are_hits(m);
    shutdown(m);
}

/* Virtual 0x7000 on a frame beyond the machine's memory (1 MiB): the
 * first load walks and takes a bus error; the second, in the same block,
 * hits the entry that walk left and takes one too — its hit charged, the
 * rest of its block refunded. */
static void beyond_memory(struct machine *m)
{
    paged(m);
    pt_map(m, 0x80000, 0x7000, 0x200000, PTE_W);
}

Test(softtlb, a_bus_error_after_a_tlb_hit_keeps_the_hit_charged, .timeout = 30)
{
    const char *src = LOGGING_START " li r2, 0x2000\n li r3, 0x7000\n"
                      " lw r4, 0(r2)\n"
                      " lw r5, 0(r3)\n lw r6, 0(r2)\n lw r5, 4(r3)\n lw r7, 4(r2)\n"
                      " li r1, 2\n out power, r1\n" LOGGING_HANDLER;
    struct machine *m = run_fast_and_stepped(src, beyond_memory);
    assert_ended_after(m, 2, 2, CAUSE_BUS_ERROR);
    assert_logged_fault(m, 0, CAUSE_BUS_ERROR, 0x7000);
    assert_logged_fault(m, 1, CAUSE_BUS_ERROR, 0x7004);
    assert_tlb_cycles_are_hits(m);
    shutdown(m);
}

/* A branch finds an in-page target's record by its place in the page, and
 * leaves for another page through the fetch: backward in the page, then
 * jal forward into the next page, then a branch back into the first one —
 * the same under paging and without, fast and stepped. */
static const char pages_src[] =
    ".text\n_start:\n li r5, 0\n li r4, 3\n"
    "a: addi r5, r5, 1\n addi r4, r4, -1\n bne r4, r0, a\n"   /* taken twice */
    " jal r6, next\n"
    "back: addi r5, r5, 100\n li r1, 1\n out power, r1\n"
    " .align 4096\n"
    "next: addi r5, r5, 10\n beq r0, r0, back\n";

Test(softtlb, branches_reach_targets_in_their_page_and_beyond_it, .timeout = 30)
{
    setup_fn *const setups[] = {paged, unpaged};
    for (unsigned i = 0; i < 2; i++) {
        struct machine *m = run_fast_and_stepped(pages_src, setups[i]);
        cr_assert_eq(m->exit_code, 1, "%s", m->stop_detail);
        cr_assert_eq(m->cpu.r[5], 113, "3 times round, once in the next page, once back");
        /* (li is lui and ori) */
        cr_assert_eq(m->st.instructions, 4 + 3 * 3 + 1 + 2 + 4, "each instruction once, the loop's three times");
        shutdown(m);
    }
}

/* The soft TLB's write tag (mmu.h) is never set for a page that holds
 * decoded code, so a store that hits it skips the self-modifying-code
 * check.  Here every rewrite of the subroutine `sub` (a page of its own)
 * goes through the soft TLB, never through the one-page shortcut (a read
 * of 0x5000 comes between): first with the write tag the page got while it
 * was still data (the decoder must take it away when the page becomes
 * code), then with an entry filled again after invlpg while the page is
 * code (the fill must not give it one).  Each rewrite must be the code
 * that runs: r6 sums 1, 2 and 4. */
static const char smc_soft_src[] =
    ".text\n_start:\n li r6, 0\n li r2, 0x5000\n la r3, sub\n la r4, newi\n"
    " lw r5, 0(r4)\n lw r7, 4(r4)\n"
    " sw r0, 64(r3)\n"                  /* sub's page, still data: dirty, a write tag */
    " jal r1, sub\n"                    /* now code: r6 = 1 */
    " lw r0, 0(r2)\n sw r5, 0(r3)\n"    /* the shortcut elsewhere; the rewrite through the soft TLB */
    " jal r1, sub\n"                    /* r6 = 3 */
    " invlpg r3\n lw r0, 4(r3)\n"       /* sub's entry filled again, the page code */
    " lw r0, 0(r2)\n sw r7, 0(r3)\n"    /* the second rewrite, through that entry */
    " jal r1, sub\n"                    /* r6 = 7 */
    " out power, r6\n"
    "newi: addi r6, r6, 2\n addi r6, r6, 4\n"
    " .align 4096\n"
    "sub: addi r6, r6, 1\n jalr r0, r1, 0\n";

Test(softtlb, a_store_through_the_soft_tlb_into_code_is_seen, .timeout = 30)
{
    struct machine *m = run_fast_and_stepped(smc_soft_src, paged);
    cr_assert_eq(m->stop, STOP_EXIT, "%s", m->stop_detail);
    cr_assert_eq(m->exit_code, 7, "each rewrite of sub ran (r6 %u)", m->exit_code);
    shutdown(m);
}

/* A misaligned access to a page the soft TLB holds (not the shortcut's: a
 * read of 0x6000, or the handler's log at 0x8000, comes between) misses
 * the tag and faults as misaligned, BADADDR the address, with no TLB
 * look-up: the same run with each misaligned access replaced by an
 * illegal instruction (the same handler, no access) ends with the same
 * TLB hits and misses. */
#define MISALIGNED_SOFT(a, b, c, d)                                                             \
    LOGGING_START " li r2, 0x5000\n li r3, 0x6000\n"                                         \
    " sw r0, 0(r2)\n lw r1, 0(r3)\n"   /* 0x5000 dirty (read and write tags), then 0x6000 */  \
    " " a "\n"                                                                                \
    " lw r1, 0(r3)\n " b "\n"                                                                 \
    " " c "\n"                         /* right after the handler's log */                    \
    " lw r1, 0(r3)\n " d "\n"                                                                 \
    " lw r1, 4(r2)\n li r1, 4\n out power, r1\n" LOGGING_HANDLER

Test(softtlb, a_misaligned_access_to_a_page_in_the_soft_tlb_faults_first, .timeout = 30)
{
    const char *src = MISALIGNED_SOFT("lw r1, 2(r2)", "sw r1, 1(r2)", "lh r1, 3(r2)", "sh r1, 1(r2)");
    struct machine *m = run_fast_and_stepped(src, paged);
    assert_ended_after(m, 4, 4, CAUSE_MISALIGNED);
    cr_assert_eq(m->st.traps_by_cause[CAUSE_PAGE_FAULT], 0);
    const uint32_t want[] = {0x5002, 0x5001, 0x5003, 0x5001};
    for (unsigned i = 0; i < 4; i++) assert_logged_fault(m, i, CAUSE_MISALIGNED, want[i]);
    assert_tlb_cycles_are_hits(m);

    const char *illegal = MISALIGNED_SOFT(".word 0xffffffff", ".word 0xffffffff", ".word 0xffffffff",
                                          ".word 0xffffffff");
    struct machine *n = run_fast_and_stepped(illegal, paged);
    assert_ended_after(n, 4, 4, CAUSE_ILLEGAL);
    cr_assert_eq(m->mmu.st.tlb_hits, n->mmu.st.tlb_hits, "a misaligned access counted a TLB hit");
    cr_assert_eq(m->mmu.st.tlb_misses, n->mmu.st.tlb_misses);
    cr_assert_eq(m->mmu.lru_clock, n->mmu.lru_clock, "a misaligned access aged a TLB entry");
    shutdown(n);
    shutdown(m);
}
