/*
 * test_fastpath.c — the interpreter's fast paths change nothing a guest or
 * the statistics can see.
 *
 * The soft TLB (mmu.h) answers data and fetch hits without searching the
 * TLB's set: a hit through it must age the entry as a search would (so the
 * TLB evicts what LRU says), and it outlives ring changes, so it must keep
 * what ring 3 may touch apart from what ring 0 may.  The fast loop runs a
 * trap handler's first instruction itself: a fault there is a double fault,
 * a fault anywhere after it — the same instruction reached again included —
 * is not, exactly as when the handler is stepped.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "tests/helpers.h"

/* A program's start: every trap vectored by the table at `vectors`, the
 * kernel stack at 0x9000; then the test's own lines. */
#define VECTORED_START ".text\n_start:\n la r1, vectors\n mtcr vbr, r1\n li r1, 0x9000\n mtcr ksp, r1\n"
/* The vector table: 16 causes, cause 8 (double fault) to `dbl`, the rest to `h`. */
#define VECTORS(h, dbl) " .data\n .align 4\nvectors: .word " h ", " h ", " h ", " h ", " h ", " h ", " h ", " h ", " \
                        dbl ", " h ", " h ", " h ", " h ", " h ", " h ", " h "\n"

/* Two-level tables (10/10) at `root` in m's memory, the next free frame in
 * *next: maps virtual page va to physical page pa with the given flags. */
static void map_page(struct machine *m, uint32_t root, uint32_t *next, uint32_t va, uint32_t pa, uint32_t flags)
{
    uint32_t pde_at = root + 4 * (va >> 22), pde;
    memcpy(&pde, m->mem + pde_at, 4);
    if (!(pde & PTE_P)) {
        memset(m->mem + *next, 0, 4096);
        pde = *next | PTE_P | PTE_W | PTE_U;
        memcpy(m->mem + pde_at, &pde, 4);
        *next += 4096;
    }
    uint32_t pte = (pa & PTE_FRAME) | flags | PTE_P;
    memcpy(m->mem + (pde & PTE_FRAME) + 4 * ((va >> 12) & 0x3ff), &pte, 4);
}

/* Boots src (text at 0x1000) with paging on from its first instruction:
 * the pages of `pages` (virtual = physical) mapped with `flags`, tables
 * from 0x80000 on. */
static struct machine *boot_paged(const char *src, const uint32_t *pages, size_t n, uint32_t flags)
{
    struct machine *m = boot(src, ISA_CLASSIC);
    uint32_t root = 0x80000, next = root + 4096;
    memset(m->mem + root, 0, 4096);
    for (size_t i = 0; i < n; i++) map_page(m, root, &next, pages[i], pages[i], flags);
    m->cpu.cr[CR_PTB] = root;
    m->cpu.cr[CR_MMU] = 1;
    mmu_context_changed(m, true);
    return m;
}

/* The TLB has 16 sets of 4 ways: pages 2, 18, 34, 50 and 66 all fall in set
 * 2 (the code, page 1, in set 1).  A B C D fill the set; A hits (through
 * the soft TLB: the last page was D), which makes B the least recently
 * used, so E evicts B and A hits again; B then misses and evicts C.  Had
 * the hit on A not aged A, E would have evicted A, and A would miss. */
Test(fastpath, soft_tlb_hits_age_the_entry_as_a_search_would, .timeout = 30)
{
    const char *src = ".text\n_start:\n"
                      " li r2, 0x2000\n li r3, 0x12000\n li r4, 0x22000\n li r5, 0x32000\n li r6, 0x42000\n"
                      " lw r1, 0(r2)\n lw r1, 0(r3)\n lw r1, 0(r4)\n lw r1, 0(r5)\n"
                      " lw r1, 0(r2)\n lw r1, 0(r6)\n lw r1, 0(r2)\n lw r1, 0(r3)\n"
                      " out power, r0\n";
    const uint32_t pages[] = {0x1000, 0x2000, 0x12000, 0x22000, 0x32000, 0x42000};
    struct machine *m = boot_paged(src, pages, sizeof pages / sizeof pages[0], PTE_W);
    machine_run(m, 0);
    cr_assert_eq(m->stop, STOP_EXIT, "%s", m->stop_detail);
    /* misses: the code page, then A B C D, E, B */
    cr_assert_eq(m->mmu.st.tlb_misses, 7);
    cr_assert_eq(m->mmu.st.tlb_evictions, 2);
    cr_assert_eq(m->mmu.st.tlb_hits, 2, "the two accesses to A after the set filled hit");
    shutdown(m);
}

/* Ring 0 reads a supervisor page (the soft TLB now holds it, and keeps it
 * across the iret), then ring 3 reads the same page: a protection page
 * fault, with the user bit, as the TLB's own entry says. */
Test(fastpath, soft_tlb_keeps_supervisor_pages_from_ring_3, .timeout = 30)
{
    const char *src = VECTORED_START " li r2, 0x8000\n lw r1, 0(r2)\n"
                      " li r1, 3 << 1\n mtcr esr, r1\n la r1, user\n mtcr epc, r1\n iret\n"
                      "user: lw r1, 0(r2)\n li r1, 1\n out power, r1\n"
                      "handler: mfcr r1, cause\n mfcr r3, fault\n mfcr r4, badaddr\n"
                      " addi r1, r1, 100\n out power, r1\n" VECTORS("handler", "handler");
    struct machine *m = boot(src, ISA_CLASSIC);
    uint32_t root = 0x80000, next = root + 4096;
    memset(m->mem + root, 0, 4096);
    /* the program's pages for every ring; page 8 (0x8000) and the kernel
     * stack page for ring 0 only */
    for (uint32_t p = 0x1000; p < 0x8000; p += 0x1000) map_page(m, root, &next, p, p, PTE_W | PTE_U);
    map_page(m, root, &next, 0x8000, 0x8000, PTE_W);
    m->cpu.cr[CR_PTB] = root;
    m->cpu.cr[CR_MMU] = 1;
    mmu_context_changed(m, true);
    machine_run(m, 0);
    cr_assert_eq(m->exit_code, 100 + CAUSE_PAGE_FAULT, "ring 3 read a supervisor page: %s", m->stop_detail);
    cr_assert_eq(m->cpu.r[3], FAULT_PRESENT | FAULT_USER);
    cr_assert_eq(m->cpu.r[4], 0x8000);
    shutdown(m);
}

/* Runs src to its end twice, at full speed and one step at a time, and
 * checks that both reach the same machine. */
static struct machine *run_both_ways(const char *src)
{
    struct machine *fast = boot(src, ISA_CLASSIC), *slow = boot(src, ISA_CLASSIC);
    machine_run(fast, 0);
    while (machine_run(slow, 1) == STOP_STEPS) {}
    cr_assert_eq(fast->stop, slow->stop);
    cr_assert_eq(fast->st.cycles, slow->st.cycles);
    cr_assert_eq(fast->st.instructions, slow->st.instructions);
    cr_assert_eq(memcmp(fast->st.traps_by_cause, slow->st.traps_by_cause, sizeof fast->st.traps_by_cause), 0);
    cr_assert_eq(memcmp(fast->st.cycles_by_cause, slow->st.cycles_by_cause, sizeof fast->st.cycles_by_cause), 0);
    cr_assert_eq(memcmp(fast->cpu.r, slow->cpu.r, sizeof fast->cpu.r), 0);
    shutdown(slow);
    return fast;
}

/* The handler's first instruction loads through r7 (0 at first: it runs),
 * then the handler makes r7 odd and jumps back to that instruction, which
 * now faults: not a double fault, since the handler's first instruction
 * completed long ago — a misaligned fault, entering the handler again,
 * whose first instruction faults this time: a double fault, then a triple. */
Test(fastpath, a_handlers_first_instruction_reached_again_faults_plainly, .timeout = 30)
{
    const char *src = VECTORED_START " brk\n"
                      "h: lw r1, 0(r7)\n addi r7, r7, 1\n addi r5, r5, 1\n j h\n" VECTORS("h", "h");
    struct machine *m = run_both_ways(src);
    cr_assert_eq(m->stop, STOP_TRIPLE, "%s", m->stop_detail);
    cr_assert_eq(m->st.traps_by_cause[CAUSE_BREAKPOINT], 1);
    cr_assert_eq(m->st.traps_by_cause[CAUSE_MISALIGNED], 1, "the load reached by the jump faults plainly");
    cr_assert_eq(m->st.traps_by_cause[CAUSE_DOUBLE], 1, "the same load as a handler's first instruction");
    cr_assert_eq(m->cpu.r[5], 1);
    shutdown(m);
}

/* A system call whose handler's first instruction completes and whose
 * second faults (a misaligned load): a plain fault, at every entry, and the
 * same machine at full speed as stepped. */
Test(fastpath, a_fault_after_a_handlers_first_instruction_is_not_a_double_fault, .timeout = 30)
{
    const char *src = VECTORED_START " li r6, 1\n syscall\n"
                      "sc: addi r5, r5, 1\n li r8, 4\n beq r5, r8, done\n lw r1, 0(r6)\n"
                      "done: out power, r5\n" VECTORS("sc", "sc");
    struct machine *m = run_both_ways(src);
    cr_assert_eq(m->stop, STOP_EXIT, "%s", m->stop_detail);
    cr_assert_eq(m->exit_code, 4);
    cr_assert_eq(m->st.traps_by_cause[CAUSE_SYSCALL], 1);
    cr_assert_eq(m->st.traps_by_cause[CAUSE_MISALIGNED], 3);
    cr_assert_eq(m->st.traps_by_cause[CAUSE_DOUBLE], 0);
    shutdown(m);
}

/* A fault in the handler's very first instruction, entered at full speed,
 * is a double fault, as when stepped. */
Test(fastpath, a_fault_in_a_handlers_first_instruction_is_a_double_fault_at_full_speed, .timeout = 30)
{
    const char *src = VECTORED_START " li r6, 2\n syscall\n"
                      "sc: lw r1, 0(r6)\n out power, r0\n"
                      "dbl: mfcr r1, badaddr\n addi r1, r1, 100\n out power, r1\n" VECTORS("sc", "dbl");
    struct machine *m = run_both_ways(src);
    cr_assert_eq(m->stop, STOP_EXIT, "%s", m->stop_detail);
    cr_assert_eq(m->exit_code, 100 + CAUSE_MISALIGNED, "BADADDR of a double fault names the first fault");
    cr_assert_eq(m->st.traps_by_cause[CAUSE_DOUBLE], 1);
    shutdown(m);
}
