/*
 * test_jit.c — --engine jit changes nothing a guest or the statistics can
 * see: the compiled code (cpu/jit.c) against the interpreter, on programs
 * built to reach every template with the values where host and guest
 * arithmetic could part (signs, shifts by 31 and 32, the top bit), on the
 * loops the code runs without the interpreter (events arriving inside
 * them), and on a guest that rewrites code the JIT has compiled.  The
 * whole suite also runs with RINGSIM_ENGINE=jit, every machine compiled
 * (README, "Tests"); tests/test_diffmodes.c holds the JIT to bare metal on
 * generated guests under every technique.
 */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/decode.h"
#include "tests/helpers.h"

/* A growing program text. */
struct text {
    char *s;
    size_t len, cap;
};

static void emit(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void emit(struct text *t, const char *fmt, ...)
{
    va_list ap;
    for (;;) {
        va_start(ap, fmt);
        int n = vsnprintf(t->s ? t->s + t->len : NULL, t->s ? t->cap - t->len : 0, fmt, ap);
        va_end(ap);
        cr_assert_geq(n, 0);
        if (t->s && t->len + (size_t)n < t->cap) {
            t->len += (size_t)n;
            return;
        }
        t->cap = t->cap ? 2 * t->cap + (size_t)n : 65536;
        t->s = realloc(t->s, t->cap);
        cr_assert(t->s);
    }
}

/* Every template, PASSES times over (the pages are compiled once hot, so
 * the last passes run compiled): each result stored at its own word of
 * `out`, which the test compares between the engines, memory entire. */
#define PASSES 300
static char *templates_program(void)
{
    static const char *const rr[] = {"add", "sub", "and", "or", "xor", "sll", "srl", "sra",
                                     "slt", "sltu", "mul", "mulh", "mulhu"};
    static const char *const br[] = {"beq", "bne", "blt", "bge", "bltu", "bgeu"};
    struct text t = {0};
    unsigned off = 0;
    emit(&t, ".text\n_start:\n la r14, out\n la r15, scratch\n li r13, %d\n", PASSES);
    emit(&t, "top:\n li r1, 0x80000000\n li r2, -1\n li r3, 1\n li r4, 31\n li r5, 32\n"
             " li r6, 0x12345678\n li r7, 0x7fffffff\n li r8, -2\n");
    for (size_t o = 0; o < sizeof rr / sizeof rr[0]; o++)
        for (int b = 1; b <= 8; b++)
            for (int c = 1; c <= 8; c++) {
                emit(&t, " %s r9, r%d, r%d\n sw r9, %u(r14)\n", rr[o], b, c, off);
                off += 4;
            }
    static const int simm[] = {0, 1, -1, 32767, -32768};
    static const int uimm[] = {0, 1, 0xffff, 0x8000};
    static const int shamt[] = {0, 1, 16, 31};
    for (int b = 1; b <= 8; b++) {
        for (size_t k = 0; k < 5; k++) {
            emit(&t, " addi r9, r%d, %d\n sw r9, %u(r14)\n", b, simm[k], off);
            emit(&t, " slti r9, r%d, %d\n sw r9, %u(r14)\n", b, simm[k], off + 4);
            emit(&t, " sltiu r9, r%d, %d\n sw r9, %u(r14)\n", b, simm[k], off + 8);
            off += 12;
        }
        for (size_t k = 0; k < 4; k++) {
            emit(&t, " andi r9, r%d, %d\n sw r9, %u(r14)\n", b, uimm[k], off);
            emit(&t, " ori r9, r%d, %d\n sw r9, %u(r14)\n", b, uimm[k], off + 4);
            emit(&t, " xori r9, r%d, %d\n sw r9, %u(r14)\n", b, uimm[k], off + 8);
            emit(&t, " slli r9, r%d, %d\n sw r9, %u(r14)\n", b, shamt[k], off + 12);
            emit(&t, " srli r9, r%d, %d\n sw r9, %u(r14)\n", b, shamt[k], off + 16);
            emit(&t, " srai r9, r%d, %d\n sw r9, %u(r14)\n", b, shamt[k], off + 20);
            off += 24;
        }
    }
    for (size_t k = 0; k < 4; k++) {
        emit(&t, " lui r9, %d\n sw r9, %u(r14)\n", uimm[k], off);
        off += 4;
    }
    /* loads of every size and sign from a word with every byte's top bit
     * different, at every aligned offset */
    for (int k = 0; k < 8; k += 4) emit(&t, " lw r9, %d(r15)\n sw r9, %u(r14)\n", k, off), off += 4;
    for (int k = 0; k < 8; k += 2) {
        emit(&t, " lh r9, %d(r15)\n sw r9, %u(r14)\n", k, off);
        emit(&t, " lhu r9, %d(r15)\n sw r9, %u(r14)\n", k, off + 4);
        off += 8;
    }
    for (int k = 0; k < 8; k++) {
        emit(&t, " lb r9, %d(r15)\n sw r9, %u(r14)\n", k, off);
        emit(&t, " lbu r9, %d(r15)\n sw r9, %u(r14)\n", k, off + 4);
        off += 8;
    }
    /* stores of every size, read back whole */
    for (int k = 0; k < 8; k++) emit(&t, " sb r%d, %d(r15)\n", 1 + k, 8 + k);
    for (int k = 0; k < 8; k += 2) emit(&t, " sh r%d, %d(r15)\n", 2 + k, 16 + k);
    emit(&t, " sw r6, 24(r15)\n sw r0, 28(r15)\n");
    for (int k = 8; k < 32; k += 4) emit(&t, " lw r9, %d(r15)\n sw r9, %u(r14)\n", k, off), off += 4;
    /* r0 as a destination stays 0; a division (no template) mid-run */
    emit(&t, " add r0, r6, r6\n sw r0, %u(r14)\n div r9, r6, r3\n sw r9, %u(r14)\n"
             " divu r9, r2, r8\n addi r9, r9, 5\n sw r9, %u(r14)\n", off, off + 4, off + 8);
    off += 12;
    /* every branch, taken or not, by signed and unsigned order */
    for (size_t o = 0; o < sizeof br / sizeof br[0]; o++)
        for (int a = 1; a <= 8; a++)
            for (int b = 1; b <= 8; b++) {
                emit(&t, " li r9, 0\n %s r%d, r%d, 1f\n ori r9, r9, 1\n1: sw r9, %u(r14)\n", br[o], a, b, off);
                off += 4;
            }
    emit(&t, " addi r13, r13, -1\n bne r13, r0, top\n li r1, 0\n out power, r1\n");
    emit(&t, " .data\n .align 4\nscratch: .word 0x80ff7f01, 0x017fff80, 0, 0, 0, 0, 0, 0\nout: .space %u\n",
         off);
    cr_assert_lt(off, 32768, "the results' offsets fit an immediate");
    return t.s;
}

/* Two-level tables (10/10) at 0x80000: virtual = physical for the first
 * 512 KiB, writable, supervisor. */
static void page_on(struct machine *m)
{
    uint32_t root = 0x80000, table = 0x81000;
    memset(m->mem + root, 0, 8192);
    uint32_t pde = table | PTE_P | PTE_W;
    memcpy(m->mem + root, &pde, 4);
    for (uint32_t va = 0; va < 0x80000; va += 4096) {
        uint32_t pte = va | PTE_P | PTE_W;
        memcpy(m->mem + table + 4 * (va >> 12), &pte, 4);
    }
    m->cpu.cr[CR_PTB] = root;
    m->cpu.cr[CR_MMU] = 1;
    mmu_context_changed(m, true);
}

static struct machine *run_engine(const char *src, bool jit, bool paging)
{
    struct machine_config cfg = {.memsize = 1u << 20, .isa = ISA_CLASSIC, .levels = 2, .jit = jit};
    struct machine *m = boot_cfg(src, &cfg);
    if (paging) page_on(m);
    machine_run(m, 0);
    return m;
}

/* What a guest and the statistics can see, the same. */
static void assert_same_machine(const struct machine *a, const struct machine *b, const char *what)
{
    cr_assert_eq(a->stop, b->stop, "%s: stop", what);
    cr_assert_eq(a->exit_code, b->exit_code, "%s: exit code", what);
    cr_assert_eq(memcmp(a->cpu.r, b->cpu.r, sizeof a->cpu.r), 0, "%s: registers", what);
    cr_assert_eq(a->cpu.pc, b->cpu.pc, "%s: pc", what);
    cr_assert_eq(memcmp(a->cpu.cr, b->cpu.cr, sizeof a->cpu.cr), 0, "%s: control registers", what);
    cr_assert_eq(a->st.cycles, b->st.cycles, "%s: cycles %llu and %llu", what, (unsigned long long)a->st.cycles,
                 (unsigned long long)b->st.cycles);
    cr_assert_eq(a->st.instructions, b->st.instructions, "%s: instructions", what);
    cr_assert_eq(a->st.mem_refs, b->st.mem_refs, "%s: memory references", what);
    cr_assert_eq(memcmp(a->st.cycles_by_cause, b->st.cycles_by_cause, sizeof a->st.cycles_by_cause), 0,
                 "%s: cycles by cause", what);
    cr_assert_eq(memcmp(a->st.traps_by_cause, b->st.traps_by_cause, sizeof a->st.traps_by_cause), 0,
                 "%s: traps by cause", what);
    cr_assert_eq(a->mmu.st.tlb_hits, b->mmu.st.tlb_hits, "%s: TLB hits", what);
    cr_assert_eq(a->mmu.st.tlb_misses, b->mmu.st.tlb_misses, "%s: TLB misses", what);
    cr_assert_eq(a->st.decoded_pages, b->st.decoded_pages, "%s: decoded pages", what);
    cr_assert_eq(a->memsize, b->memsize);
    cr_assert_eq(memcmp(a->mem, b->mem, a->memsize), 0, "%s: memory", what);
}

/* Did the program's pages run compiled? */
static unsigned compiled_pages(const struct machine *m)
{
    unsigned n = 0;
    for (uint32_t i = 0; i < m->memsize >> 12; i++)
        if (m->dpages[i] && m->dpages[i]->valid && m->dpages[i]->jit) n++;
    return n;
}

static void every_template(bool paging)
{
    cr_assert(cpu_jit_available(), "this suite's host runs the JIT (x86-64)");
    char *src = templates_program();
    struct machine *i = run_engine(src, false, paging), *j = run_engine(src, true, paging);
    cr_assert_eq(j->stop, STOP_EXIT, "%s", j->stop_detail);
    cr_assert_gt(compiled_pages(j), 3, "the program's pages were compiled (%u)", compiled_pages(j));
    cr_assert_gt(j->jit_bytes, 0);
    assert_same_machine(i, j, paging ? "paging on" : "paging off");
    /* and the interpreter's results are what the ISA says, for a few */
    uint32_t out = sym(i, "out");
    cr_assert_eq(peek32(i, out), 0x80000000u + 0x80000000u, "add r1, r1");
    cr_assert_eq(peek32(i, out + 4 * (5 * 64 + 0 * 8 + 4)), 0x80000000u, "sll r1, r5: 0x80000000 shifted by 32, which is by 0");
    free(src);
    shutdown(i);
    shutdown(j);
}

Test(jit, every_template_computes_what_the_interpreter_does_paging_off, .timeout = 60) { every_template(false); }
Test(jit, every_template_computes_what_the_interpreter_does_paging_on, .timeout = 60) { every_template(true); }

/* A loop the code runs by itself (its branch enters its own block again),
 * with a timer every `period` cycles: each interrupt must come at the same
 * instruction, the handler recording where (EPC) in a list.  (The handler
 * has a page of its own: its system instructions hand back to the
 * interpreter at once, and on the loop's page, entered after every
 * interrupt, they would have the page interpreted again.) */
Test(jit, events_reach_a_compiled_loop_at_the_same_instruction, .timeout = 60)
{
    for (int period = 61; period <= 997; period += 234) {
        char src[2048];
        snprintf(src, sizeof src,
                 ".text\n_start:\n la r1, vectors\n mtcr vbr, r1\n li r1, 0x9000\n mtcr ksp, r1\n"
                 " la r10, epcs\n li r1, %d\n out timer_period, r1\n sti\n li r4, 20000\n li r3, 7\n"
                 "loop: add r1, r1, r3\n xor r2, r2, r1\n slli r5, r1, 3\n sub r2, r2, r5\n"
                 " addi r4, r4, -1\n bne r4, r0, loop\n cli\n out power, r0\n"
                 " .align 4096\ntick: out timer_ack, r0\n mfcr r11, epc\n sw r11, 0(r10)\n addi r10, r10, 4\n"
                 " la r12, epcs_end\n bltu r10, r12, 1f\n la r10, epcs\n1: iret\n"
                 " .data\n .align 4\nvectors: .word tick, tick, tick, tick, tick, tick, tick, tick,"
                 " tick, tick, tick, tick, tick, tick, tick, tick\nepcs: .space 4096\nepcs_end: .word 0\n",
                 period);
        for (int paging = 0; paging < 2; paging++) {
            struct machine *i = run_engine(src, false, paging), *j = run_engine(src, true, paging);
            cr_assert_eq(j->stop, STOP_EXIT, "%s", j->stop_detail);
            const struct decode_page *lp = j->dpages[sym(j, "loop") >> 12];
            cr_assert(lp && lp->jit_churn > 0, "period %d: the loop's page was compiled", period);
            /* (a period of 61 cycles leaves the loop a few instructions
             * each time it is entered: too few to pay for the entry, and
             * the page goes back to the interpreter, JIT_REVIEW) */
            if (period > 61) cr_assert(lp->jit, "period %d: the loop ran compiled to the end", period);
            cr_assert_gt(j->st.traps_by_cause[CAUSE_TIMER], 10, "period %d: the timer interrupted the loop", period);
            assert_same_machine(i, j, "a timer in a compiled loop");
            shutdown(i);
            shutdown(j);
        }
    }
}

/* A loop runs long enough to be compiled, then stores over an instruction
 * ahead of it in the same block, and over one in a block its branch
 * enters: the rewritten instructions run, the old code never again. */
Test(jit, a_guest_that_rewrites_compiled_code_runs_the_new_code, .timeout = 60)
{
    const char *src = ".text\n_start:\n li r4, 3000\n li r6, 0\n"
                      "warm: addi r6, r6, 1\n addi r4, r4, -1\n bne r4, r0, warm\n"
                      " la r2, patch\n la r3, tmpl\n lw r4, 0(r3)\n li r7, 3\n"
                      "again: sw r4, 0(r2)\npatch: addi r5, r0, 7\n add r6, r6, r5\n"
                      " la r8, later\n lw r9, 4(r3)\n sw r9, 0(r8)\n addi r7, r7, -1\n beq r0, r0, later\n"
                      "later: addi r5, r0, 9\n add r6, r6, r5\n bne r7, r0, again\n"
                      " out power, r6\n"
                      "tmpl: addi r5, r0, 42\n addi r5, r0, 100\n";
    struct machine *i = run_engine(src, false, false), *j = run_engine(src, true, false);
    cr_assert_eq(i->stop, STOP_EXIT, "%s", i->stop_detail);
    /* 3000 + 3 x (42 + 100): every pass ran both rewritten instructions */
    cr_assert_eq(i->cpu.r[6], 3000 + 3 * (42 + 100), "%u", i->cpu.r[6]);
    assert_same_machine(i, j, "rewritten code");
    cr_assert_gt(j->code_writes, 0);
    shutdown(i);
    shutdown(j);
}

/* A compiled page whose entries run too little to pay for themselves (the
 * loop's loads alternate between two data pages, so each misses the
 * one-page shortcut and hands back to the interpreter at once) goes back
 * to the interpreter after JIT_REVIEW entries, for good; nothing a guest
 * or the statistics see changes.  (A loop that runs compiled stays so:
 * events_reach_a_compiled_loop_at_the_same_instruction.) */
Test(jit, a_compiled_page_that_keeps_handing_back_is_interpreted_again, .timeout = 60)
{
    const char *src = ".text\n_start:\n li r4, 5000\n la r2, a\n la r3, b\n"
                      "loop: lw r5, 0(r2)\n lw r6, 0(r3)\n add r7, r7, r5\n add r7, r7, r6\n"
                      " addi r4, r4, -1\n bne r4, r0, loop\n out power, r7\n"
                      " .data\n .align 4096\na: .word 3\n .align 4096\nb: .word 4\n";
    for (int paging = 0; paging < 2; paging++) {
        struct machine *i = run_engine(src, false, paging), *j = run_engine(src, true, paging);
        cr_assert_eq(j->stop, STOP_EXIT, "%s", j->stop_detail);
        cr_assert_eq(j->exit_code, 5000 * 7, "%u", j->exit_code);
        const struct decode_page *p = j->dpages[sym(j, "loop") >> 12];
        cr_assert(p && p->valid);
        cr_assert_eq(p->jit, NULL, "paging %d: the loop's page still runs compiled", paging);
        cr_assert_eq(p->jit_mode, JIT_OFF, "paging %d: the loop's page is counted for compiling again", paging);
        cr_assert_gt(p->jit_churn, 0, "paging %d: the loop's page was compiled first", paging);
        assert_same_machine(i, j, paging ? "handed back, paging on" : "handed back, paging off");
        shutdown(i);
        shutdown(j);
    }
}

/* The bundled workloads, with everything --stats reports, the same under
 * both engines and every technique. */
Test(jit, bundled_workloads_report_the_same_statistics_under_both_engines, .timeout = 300)
{
    static const char *const runs[] = {
        "compute --args 3000", "syscall --args 200", "tlbstride --args 4", "forkwait --args 3",
        "pgfault", "ptemod",
    };
    static const char *const modes[] = {"", "--mode te --isa strict", "--mode bt", "--mode hw",
                                        "--mode hw --mmu shadow", "--mode pv"};
    char dir[512];
    snprintf(dir, sizeof dir, "%s", temp_dir());
    for (size_t r = 0; r < sizeof runs / sizeof runs[0]; r++)
        for (size_t k = 0; k < sizeof modes / sizeof modes[0]; k++) {
            char args[1400];
            char *out[2], *err[2];
            int st[2];
            char stats[2][600];
            for (int e = 0; e < 2; e++) {
                snprintf(stats[e], sizeof stats[e], "%s/s%d.json", dir, e);
                /* (every page compiled the first time it runs: the most code compiled) */
                snprintf(args, sizeof args, "run %s %s --engine %s --max-cycles 20000000 --stats %s", runs[r],
                         modes[k], e ? "jit --jit-threshold 1" : "interp", stats[e]);
                st[e] = run_ringsim(args, &out[e], &err[e]);
            }
            cr_assert_eq(st[0], st[1], "%s %s: exit status", runs[r], modes[k]);
            cr_assert_str_eq(out[0], out[1], "%s %s: output", runs[r], modes[k]);
            char *s0 = slurp(stats[0]), *s1 = slurp(stats[1]);
            cr_assert(s0 && s1, "%s %s: statistics written (status %d: %s)", runs[r], modes[k], st[0], err[0]);
            cr_assert_str_eq(s0, s1, "%s %s: statistics", runs[r], modes[k]);
            cr_assert(strstr(s0, "\"instructions\""));
            free(s0);
            free(s1);
            for (int e = 0; e < 2; e++) {
                free(out[e]);
                free(err[e]);
            }
        }
}

Test(jit, a_bad_engine_or_threshold_is_refused_with_what_is_expected)
{
    char *out, *err;
    int st = run_ringsim("run hello --engine fast", &out, &err);
    cr_assert_neq(st, 0);
    cr_assert(strstr(err, "--engine 'fast': expected interp or jit"), "%s", err);
    free(out);
    free(err);
    st = run_ringsim("run hello --engine jit --jit-threshold 0", &out, &err);
    cr_assert_neq(st, 0);
    cr_assert(strstr(err, "--jit-threshold '0': expected 1..1000000"), "%s", err);
    free(out);
    free(err);
}
