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

/* ---- the block accounting: a down-counter to the next event ------------ */

/* A guest's work for the accounting tests: loads, stores, ALU and branches
 * in blocks of several lengths, over two pages of code (a jump between
 * them), then `out power`. */
#define ACCOUNTING_BODY                                                      \
    " la r2, buf\n li r4, 12\n"                                              \
    "top: lw r1, 0(r2)\n add r1, r1, r4\n sw r1, 4(r2)\n addi r4, r4, -1\n" \
    " andi r5, r4, 3\n beq r5, r0, skip\n lw r6, 4(r2)\n sw r6, 8(r2)\n"    \
    "skip: jal r7, far\n bne r4, r0, top\n lw r1, 8(r2)\n out power, r1\n"   \
    " .align 4096\nfar: addi r8, r8, 1\n sb r8, 12(r2)\n jalr r0, r7, 0\n"      \
    " .data\n .align 4\nbuf: .word 1, 2, 3, 4\n"

/* Every instruction boundary of a stepped run: where it was and what it
 * had cost. */
struct boundary {
    uint32_t pc;
    uint64_t cycles, instructions, mem_refs;
    bool transfer;      /* the instruction at pc is a branch or a jump */
};

static size_t step_trace(struct machine *m, struct boundary *b, size_t max)
{
    size_t n = 0;
    do {
        cr_assert_lt(n, max);
        /* (these programs run where virtual = physical) */
        struct isa_insn in;
        bool transfer = isa_decode(peek32(m, m->cpu.pc), &in) &&
                        (isa_info[in.op].cls == CL_BRANCH || isa_info[in.op].cls == CL_JUMP);
        b[n++] = (struct boundary){m->cpu.pc, m->st.cycles, m->st.instructions, m->st.mem_refs, transfer};
    } while (machine_run(m, 1) == STOP_STEPS);
    cr_assert_eq(m->stop, STOP_EXIT, "%s", m->stop_detail);
    return n;
}

/* Is m where the stepped run was before its instruction i, for some i?
 * The same pc, instructions and memory references, and cycles between the
 * neighbouring boundaries': where the fetch side's translation of a new
 * page is paid differs (a stepped run pays it in the step that jumps
 * there; a run stopped at the fetch has not paid it, one stopped at the
 * block's entry has). */
static bool at_boundary(const struct machine *m, const struct boundary *b, size_t n)
{
    for (size_t i = 0; i + 1 < n; i++)
        if (b[i].pc == m->cpu.pc && b[i].instructions == m->st.instructions && b[i].mem_refs == m->st.mem_refs &&
            (i == 0 || b[i - 1].cycles < m->st.cycles) && m->st.cycles < b[i + 1].cycles)
            return true;
    return false;
}

/* For every cycle limit up to the run's length: the fast loop stops at an
 * instruction boundary the stepped run passes (at_boundary), at or past
 * the limit, at the first block entry there, and exactly where the
 * counting loop (the
 * debugger's) stops for the same cycle.  A block charged or refunded
 * wrongly, or an event check out of place, lands between boundaries. */
static void limits_land_on_boundaries(struct machine *(*make)(void))
{
    static struct boundary b[4096];
    struct machine *s = make();
    size_t n = step_trace(s, b, sizeof b / sizeof b[0]);
    uint64_t end = s->st.cycles;
    shutdown(s);
    cr_assert_gt(end, 200);
    for (uint64_t limit = 1; limit < end; limit++) {
        struct machine *f = make(), *k = make();
        f->max_cycles = limit;
        machine_run(f, 0);
        if (f->stop == STOP_EXIT) {
            /* past the last block's entry: the run ends as stepped */
            cr_assert_eq(f->st.cycles, end, "limit %llu", (unsigned long long)limit);
            cr_assert_eq(f->st.instructions, b[n - 1].instructions + 1);
            cr_assert_gt(limit, end - 64);
            shutdown(f);
            shutdown(k);
            continue;
        }
        cr_assert_eq(f->stop, STOP_CYCLE_LIMIT, "limit %llu: %s", (unsigned long long)limit, f->stop_detail);
        cr_assert(at_boundary(f, b, n), "limit %llu: stopped at pc 0x%x, %llu cycles, between instructions",
                  (unsigned long long)limit, f->cpu.pc, (unsigned long long)f->st.cycles);
        cr_assert_geq(f->st.cycles, limit);
        /* the first block entry (the start, a jump's or a branch's target,
         * the instruction after a branch) the stepped run passes at or past
         * the limit: where events are looked at */
        size_t j = 1;   /* (the start: before its fetch-side walk, b[0] cannot say) */
        if (f->st.instructions == 0) j = 0;
        else while (j + 1 < n && !(b[j].cycles >= limit &&
                              (j == 0 || b[j].pc != b[j - 1].pc + 4 || b[j - 1].transfer)))
            j++;
        cr_assert_eq(f->st.instructions, b[j].instructions, "limit %llu: not the first block entry past it",
                     (unsigned long long)limit);
        k->max_cycles = limit;  /* (looked at in the fetch, as in the fast loop) */
        machine_run_until(k, limit);
        cr_assert_eq(k->cpu.pc, f->cpu.pc, "limit %llu", (unsigned long long)limit);
        cr_assert_eq(k->st.cycles, f->st.cycles, "limit %llu", (unsigned long long)limit);
        cr_assert_eq(k->st.instructions, f->st.instructions);
        cr_assert_eq(memcmp(k->st.cycles_by_cause, f->st.cycles_by_cause, sizeof f->st.cycles_by_cause), 0);
        shutdown(f);
        shutdown(k);
    }
}

static struct machine *accounting_physical(void)
{
    return boot(".text\n_start:\n" ACCOUNTING_BODY, ISA_CLASSIC);
}

static struct machine *accounting_paged(void)
{
    const uint32_t pages[] = {0x1000, 0x2000, 0x3000, 0x4000};
    return boot_paged(".text\n_start:\n" ACCOUNTING_BODY, pages, sizeof pages / sizeof pages[0], PTE_W);
}

Test(fastpath, a_cycle_limit_mid_block_stops_where_single_steps_pass_paging_off, .timeout = 120)
{
    limits_land_on_boundaries(accounting_physical);
}

Test(fastpath, a_cycle_limit_mid_block_stops_where_single_steps_pass_paging_on, .timeout = 120)
{
    limits_land_on_boundaries(accounting_paged);
}

/* A timer every 60 to 67 cycles (an interrupt and its handler take about
 * 40): the interrupts arrive at block entries; at full speed the machine ends exactly as
 * stepped (registers, cycles by cause, traps), paging off and on. */
Test(fastpath, frequent_timer_interrupts_arrive_where_they_do_stepped, .timeout = 60)
{
    for (int period = 60; period <= 67; period++) {
        char src[2048];
        snprintf(src, sizeof src,
                 VECTORED_START " li r1, %d\n out timer_period, r1\n sti\n" ACCOUNTING_BODY
                 " .text\ntick: out timer_ack, r0\n addi r9, r9, 1\n iret\n" VECTORS("tick", "tick"),
                 period);
        struct machine *m = run_both_ways(src);
        cr_assert_eq(m->stop, STOP_EXIT, "period %d: %s", period, m->stop_detail);
        cr_assert_gt(m->cpu.r[9], 3, "period %d: the timer interrupted the work", period);
        shutdown(m);
    }
}

/* Long enough to cross the down-counter's horizon (EV_CAP, 2^24 cycles)
 * several times: each count is exactly linear in the iterations, as a
 * short run's difference predicts. */
static void loop_stats(unsigned iter, uint64_t out[3])
{
    char src[512];
    snprintf(src, sizeof src,
             ".text\n_start:\n la r2, counter\n li r4, %u\n li r3, 3\n"
             "loop: lw r1, 0(r2)\n add r1, r1, r3\n sw r1, 0(r2)\n addi r4, r4, -1\n bne r4, r0, loop\n"
             " out power, r0\n .data\ncounter: .word 0\n",
             iter);
    struct machine *m = boot(src, ISA_CLASSIC);
    machine_run(m, 0);
    cr_assert_eq(m->stop, STOP_EXIT, "%s", m->stop_detail);
    out[0] = m->st.cycles;
    out[1] = m->st.instructions;
    out[2] = m->st.mem_refs;
    shutdown(m);
}

Test(fastpath, counts_stay_exact_across_the_event_horizon, .timeout = 120)
{
    uint64_t a[3], b[3], big[3];
    loop_stats(1000, a);
    loop_stats(2000, b);
    const unsigned n = 12u << 20;   /* about 3 horizons of cycles */
    loop_stats(n, big);
    cr_assert_gt(big[0], (uint64_t)3 << 24);
    for (int i = 0; i < 3; i++) {
        uint64_t per = (b[i] - a[i]) / 1000;
        cr_assert_eq(b[i] - a[i], per * 1000);
        cr_assert_eq(big[i], a[i] + per * (n - 1000), "count %d", i);
    }
    cr_assert_eq(big[1], a[1] + 5ull * (n - 1000), "five instructions an iteration");
}

/* A store into the block being run, one instruction ahead: the new
 * instruction runs (not the decoded old one), at full speed as stepped,
 * paging off and on; and a store into a block further on in the page. */
#define SELF_MODIFYING_BODY                                                  \
    " la r2, patch\n la r3, tmpl\n lw r4, 0(r3)\n li r5, 1\n"               \
    " sw r4, 0(r2)\npatch: addi r5, r0, 7\n addi r6, r5, 0\n"                \
    " la r2, later\n sw r4, 0(r2)\n beq r0, r0, later\n addi r6, r6, 100\n"  \
    "later: addi r5, r0, 9\n add r1, r5, r6\n out power, r1\n"               \
    "tmpl: addi r5, r0, 42\n"

Test(fastpath, a_store_into_the_running_block_takes_effect_at_the_next_instruction, .timeout = 30)
{
    struct machine *m = run_both_ways(".text\n_start:\n" SELF_MODIFYING_BODY);
    cr_assert_eq(m->stop, STOP_EXIT, "%s", m->stop_detail);
    cr_assert_eq(m->cpu.r[6], 42, "the patched instruction ran");
    cr_assert_eq(m->exit_code, 84, "both patched instructions ran");
    shutdown(m);

    static struct boundary b[256];
    const uint32_t pages[] = {0x1000, 0x2000};
    struct machine *s = boot_paged(".text\n_start:\n" SELF_MODIFYING_BODY, pages, 2, PTE_W);
    size_t n = step_trace(s, b, sizeof b / sizeof b[0]);
    struct machine *f = boot_paged(".text\n_start:\n" SELF_MODIFYING_BODY, pages, 2, PTE_W);
    machine_run(f, 0);
    cr_assert_eq(f->stop, STOP_EXIT, "%s", f->stop_detail);
    cr_assert_eq(f->exit_code, 84);
    cr_assert(at_boundary(f, b, n) || (f->st.cycles == s->st.cycles && f->st.instructions == s->st.instructions));
    cr_assert_eq(memcmp(f->cpu.r, s->cpu.r, sizeof f->cpu.r), 0);
    cr_assert_eq(memcmp(f->st.cycles_by_cause, s->st.cycles_by_cause, sizeof f->st.cycles_by_cause), 0);
    cr_assert_eq(f->mmu.st.tlb_hits, s->mmu.st.tlb_hits);
    shutdown(s);
    shutdown(f);
}
