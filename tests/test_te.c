/*
 * test_te.c — trap-and-emulate with shadow page tables: the same guest
 * output as on bare metal on the strict ISA, the red pills showing on the
 * classic one, accessed/dirty bits as the hardware would set them, the
 * shadow's hidden and tracing faults, and containment.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/helpers.h"

Test(te, every_workload_prints_the_same_as_bare_metal_on_the_strict_isa)
{
    const char *w[] = {"syscall", "pgfault", "ptemod", "ctxswitch", "compute", "tlbstride", "forkwait"};
    const char *args[] = {"300", "40", "30", "60", "3000", "2", "4"};
    for (int i = 0; i < 7; i++)
        for (int levels = 2; levels <= 4; levels += 2) {
            char a[256];
            int s1, s2;
            snprintf(a, sizeof a, "run %s --levels %d --args %s --isa strict", w[i], levels, args[i]);
            char *native = run_out(a, &s1);
            snprintf(a, sizeof a, "run %s --levels %d --args %s --isa strict --mode te --mmu shadow", w[i],
                     levels, args[i]);
            char *te = run_out(a, &s2);
            cr_assert_eq(s1, 0, "%s native", w[i]);
            cr_assert_eq(s2, 0, "%s te: %s", w[i], te);
            cr_assert_str_eq(te, native, "%s at %d levels", w[i], levels);
            cr_assert_null(strstr(te, "RED PILL"));
            free(native);
            free(te);
        }
}

Test(te, the_red_pills_show_on_the_classic_isa_and_name_the_instruction)
{
    int st;
    char *out = run_out("run syscall --args 100 --mode te --isa classic", &st);
    cr_assert_eq(st, 0);
    cr_assert(strstr(out, "RED PILL: smsw"), "%s", out);
    cr_assert(strstr(out, "RED PILL: pushf"), "%s", out);
    cr_assert(strstr(out, "syscall: 100 iterations, checksum 0x"), "the kernel carries on: %s", out);
    free(out);
    out = run_out("run syscall --args 100 --isa classic", &st);
    cr_assert_null(strstr(out, "RED PILL"), "never on bare metal");
    free(out);
}

Test(te, accessed_and_dirty_bits_match_bare_metal)
{
    /* labs/shadow/adbits.s: identity-map 4 MiB with A/D clear, read one
     * page, write another, and print what the guest then reads back from its
     * own page tables */
    const char *img = root_path("build/labs/shadow/adbits.img");
    char a[512];
    int s1, s2;
    snprintf(a, sizeof a, "run %s --isa strict", img);
    char *native = run_out(a, &s1);
    snprintf(a, sizeof a, "run %s --isa strict --mode te", img);
    char *te = run_out(a, &s2);
    cr_assert_str_eq(native, "00000008\n00000018\n00000000\n00000008\n");
    cr_assert_str_eq(te, native);
    free(native);
    free(te);
}


Test(te, page_table_writes_are_traced_and_shadows_are_cached)
{
    json_t *o = stats_of("run ptemod --args 30 --mode te --isa strict");
    cr_assert_str_eq(json_string_value(json_object_get(o, "mode")), "te");
    cr_assert_str_eq(json_string_value(json_object_get(o, "mmu")), "shadow");
    cr_assert_gt(stats_num(o, "shadow", "hidden_faults"), 0);
    cr_assert_geq(stats_num(o, "shadow", "tracing_faults"), 30, "each PTE change is traced");
    cr_assert_gt(stats_num(o, "shadow", "syncs"), 30, "and the shadow entry mirroring it follows");
    cr_assert_leq(stats_num(o, "shadow", "syncs"),
                  stats_num(o, "shadow", "tracing_faults") + stats_num(o, "shadow", "hidden_faults"));
    cr_assert_gt(stats_num(o, "te", "emulated"), 0);
    cr_assert_gt(json_integer_value(json_object_get(o, "cycles")), 0);
    json_decref(o);
    o = stats_of("run ctxswitch --args 60 --mode te --isa strict");
    cr_assert_gt(stats_num(o, "shadow", "cache_hits"), 100, "a context switch finds its shadow again");
    json_decref(o);
}

/* Runs img natively and under every technique that runs an unmodified
 * kernel: each must end with exit status `status`, saying `says` on stderr. */
static void ends_alike_in_every_mode(const char *img, int status, const char *says)
{
    const char *modes[] = {"native", "te", "bt", "hw --mmu shadow", "hw --mmu nested"};
    for (int i = 0; i < 5; i++) {
        char a[512], *err;
        snprintf(a, sizeof a, "run %s --mem 4M --mode %s --max-cycles 50000000", img, modes[i]);
        int st = run_ringsim(a, NULL, &err);
        cr_assert_eq(st, status, "%s: exit status %d, expected %d: %s", modes[i], st, status, err);
        cr_assert(strstr(err, says), "%s: %s", modes[i], err);
        free(err);
    }
}

Test(te, a_guest_pointing_its_tables_outside_its_memory_is_contained)
{
    const char *src =
        ".text\n_start: la r1, vectors\n mtcr vbr, r1\n mfcr r9, memsize\n"
        " la r8, step1\n sw r0, 0(r9)\n"
        "step1: la r8, step2\n li r1, 0x200000\n"
        " li r2, 0x23\n sw r2, 0(r1)\n"
        " lui r2, 0x7fff\n ori r2, r2, 0x3\n sw r2, 0x400(r1)\n"
        " mtcr ptb, r1\n li r1, 1\n mtcr mmu, r1\n lui r1, 0x4000\n sw r0, 0x10(r1)\n"
        "step2: li r1, 0\n mtcr mmu, r1\n la r8, step3\n"
        " lui r1, 0x7f00\n jr r1\n"
        "step3: out power, r10\n"
        "bus: addi r10, r10, 1\n mtcr epc, r8\n iret\n"
        "other: li r1, 99\n out power, r1\n"
        " .data\n .align 4\nvectors: .word other, other, other, other, other, other, other, bus,"
        " other, other, other\n";
    /* the same three bus errors natively and under every technique that runs
     * this (privileged, unmodified) kernel; pv has its own (test_pv.c) */
    ends_alike_in_every_mode(assemble(temp_dir(), "adversary", src), 3, "");
}

/* ---- binary translation ------------------------------------------------------ */
Test(bt, every_workload_prints_the_same_as_bare_metal_even_on_the_classic_isa)
{
    const char *w[] = {"syscall", "pgfault", "ptemod", "ctxswitch", "compute", "tlbstride", "forkwait"};
    const char *args[] = {"300", "40", "30", "60", "3000", "2", "4"};
    for (int v = 0; v < 2; v++)
        for (int i = 0; i < 7; i++) {
            int levels = 2 + 2 * ((i + v) % 2);
            char a[256];
            int s1, s2;
            const char *isa = v ? "strict" : "classic";
            snprintf(a, sizeof a, "run %s --levels %d --args %s --isa %s", w[i], levels, args[i], isa);
            char *native = run_out(a, &s1);
            snprintf(a, sizeof a, "run %s --levels %d --args %s --isa %s --mode bt --mmu shadow", w[i], levels,
                     args[i], isa);
            char *bt = run_out(a, &s2);
            cr_assert_eq(s2, 0, "%s bt: %s", w[i], bt);
            cr_assert_str_eq(bt, native, "%s at %d levels on %s", w[i], levels, isa);
            free(native);
            free(bt);
        }
}

Test(bt, kernel_code_runs_from_the_code_cache_and_sensitive_instructions_call_out)
{
    json_t *o = stats_of("run syscall --args 200 --mode bt");
    cr_assert_str_eq(json_string_value(json_object_get(o, "mode")), "bt");
    json_int_t blocks = stats_num(o, "bt", "blocks"), insns = stats_num(o, "bt", "instructions");
    cr_assert_gt(blocks, 10);
    cr_assert_geq(insns, blocks);
    cr_assert_gt(stats_num(o, "bt", "callouts"), 200, "each system call's iret and more call out");
    cr_assert_gt(stats_num(o, "bt", "cache_hits"), blocks, "translated code is reused");
    json_int_t bt_cycles = stats_num(o, "cycles_by_cause", "bt");
    cr_assert_geq(bt_cycles, insns * 1200, "translation is charged at the profile's cost per instruction");
    /* no protection faults from the kernel: its privileged code never runs as is */
    cr_assert_eq(stats_num(json_object_get(o, "traps"), "by_cause", "protection"), 0);
    json_decref(o);
}

Test(bt, writing_translated_code_invalidates_its_translation)
{
    /* a kernel that patches an instruction of a function it already ran:
     * f returns 1 the first time and 40 after the patch */
    const char *src =
        ".text\n_start: li r9, 0\n"
        "again: call f\n add r9, r9, r1\n"
        " la r2, patch\n la r3, newinsn\n lw r3, 0(r3)\n sw r3, 0(r2)\n"
        " addi r8, r8, 1\n li r4, 2\n blt r8, r4, again\n"
        " out power, r9\n"
        "f: li r1, 0\npatch: addi r1, r1, 1\n ret\n"
        " .data\nnewinsn: addi r1, r1, 40\n";
    const char *dir = temp_dir();
    const char *img = assemble(dir, "smc", src);
    char a[512], path[128];
    snprintf(path, sizeof path, "%s/s.json", dir);
    snprintf(a, sizeof a, "run %s", img);
    cr_assert_eq(run_ringsim(a, NULL, NULL), 41, "natively: 1 + 40");
    snprintf(a, sizeof a, "run %s --mode bt --stats %s", img, path);
    cr_assert_eq(run_ringsim(a, NULL, NULL), 41, "under bt the patched code is retranslated");
    json_t *o = json_load_file(path, 0, NULL);
    cr_assert(o);
    cr_assert_geq(stats_num(o, "bt", "invalidations"), 1);
    json_decref(o);
}

/* ---- hardware assist with shadow paging (early VT-x) ------------------------ */
Test(hwshadow, every_workload_prints_the_same_as_bare_metal)
{
    const char *w[] = {"syscall", "pgfault", "ptemod", "ctxswitch", "compute", "tlbstride", "forkwait"};
    const char *args[] = {"300", "40", "30", "60", "3000", "2", "4"};
    for (int i = 0; i < 7; i++) {
        int levels = 2 + 2 * (i % 2);
        char a[256];
        int s1, s2;
        snprintf(a, sizeof a, "run %s --levels %d --args %s", w[i], levels, args[i]);
        char *native = run_out(a, &s1);
        snprintf(a, sizeof a, "run %s --levels %d --args %s --mode hw --mmu shadow", w[i], levels, args[i]);
        char *hw = run_out(a, &s2);
        cr_assert_eq(s2, 0, "%s hw+shadow: %s", w[i], hw);
        cr_assert_str_eq(hw, native, "%s at %d levels", w[i], levels);
        free(native);
        free(hw);
    }
}

Test(hwshadow, page_faults_and_page_table_switches_exit)
{
    json_t *o = stats_of("run ctxswitch --args 60 --mode hw --mmu shadow");
    cr_assert_str_eq(json_string_value(json_object_get(o, "mmu")), "shadow");
    json_t *by = json_object_get(json_object_get(o, "vmexits"), "by_reason");
    cr_assert_gt(json_integer_value(json_object_get(by, "exception")), 80, "hidden faults exit");
    cr_assert_gt(json_integer_value(json_object_get(by, "cr_access")), 60, "each switch of ptb exits");
    cr_assert_gt(stats_num(o, "shadow", "cache_hits"), 60);
    json_decref(o);
}

Test(te, guest_physical_memory_is_shadowed_a_group_of_pages_at_a_time)
{
    /* the kernel writes a free-list link into each of its 4,000-odd frames
     * while paging is off: one hidden fault maps 64 pages, not one */
    json_t *o = stats_of("run compute --args 1 --mode te --isa strict");
    cr_assert_geq(stats_num(o, "shadow", "prefetched"), 3900);
    cr_assert_lt(stats_num(o, "shadow", "hidden_faults"), 200);
    json_decref(o);
}

Test(te, a_freed_table_written_like_data_stops_being_traced)
{
    /* forkwait frees each child's tables; reused as data and cleared, they
     * would trace every word, so after SHADOW_FLOOD writes they are unshadowed */
    json_t *o = stats_of("run forkwait --args 10 --mode te --isa strict --levels 4");
    cr_assert_gt(stats_num(o, "shadow", "unshadowed"), 0);
    cr_assert_lt(stats_num(o, "shadow", "tracing_faults"), 10 * 200,
                 "a few dozen traced writes per fork, not a page's worth: %lld",
                 stats_num(o, "shadow", "tracing_faults"));
    json_decref(o);
}

Test(te, a_guest_whose_handlers_fault_ends_in_a_triple_fault_in_every_mode)
{
    /* every vector points outside memory: the first fault's handler cannot
     * be fetched (a double fault), nor can that one's (a triple fault) */
    const char *src =
        ".text\n_start: la r1, vectors\n mtcr vbr, r1\n li r1, 0x7f000000\n jr r1\n"
        ".data\n.align 4\nvectors: .word 0x7f000000, 0x7f000000, 0x7f000000, 0x7f000000\n"
        " .word 0x7f000000, 0x7f000000, 0x7f000000, 0x7f000000, 0x7f000000, 0x7f000000\n"
        " .word 0x7f000000, 0x7f000000, 0x7f000000, 0x7f000000, 0x7f000000, 0x7f000000\n";
    ends_alike_in_every_mode(assemble(temp_dir(), "tripler", src), 125, "triple fault");
}

Test(te, every_emulated_instruction_is_an_event)
{
    const char *dir = temp_dir();
    char a[512], path[160], stats[160];
    snprintf(path, sizeof path, "%s/t.txt", dir);
    snprintf(stats, sizeof stats, "%s/s.json", dir);
    for (int bt = 0; bt < 2; bt++) {
        snprintf(a, sizeof a, "run syscall --args 3 --mode %s --trace trap:%s --stats %s",
                 bt ? "bt" : "te --isa strict", path, stats);
        cr_assert_eq(run_ringsim(a, NULL, NULL), 0);
        char *t = slurp(path);
        cr_assert(t);
        int lines = 0;
        for (const char *p = t; (p = strstr(p, " emulate ")); p++) lines++;
        json_t *o = json_load_file(stats, 0, NULL);
        cr_assert(o);
        cr_assert_eq(lines, stats_num(o, "te", "emulated"), "one event per emulated instruction (%s)", bt ? "bt" : "te");
        cr_assert(strstr(t, " emulate mtcr pc=v:0x"), "%.400s", t);
        cr_assert(strstr(t, " emulate iret pc=v:0x"), "%.400s", t);
        cr_assert(strstr(t, " emulate pushf pc=v:0x"), "a red pill, trapped or called out: %.400s", t);
        json_decref(o);
        free(t);
    }
}

/* Chaining (cpu/decode.c): a block's direct exit, patched once its target is
 * translated, skips the dispatcher; the guest sees nothing of it.  Every
 * cycle bt charges is a translation, a callout or a dispatch. */
Test(bt, chaining_skips_the_dispatcher_and_changes_nothing_the_guest_sees)
{
    int s0, s1, s2;
    char *native = run_out("run forkwait --args 3", &s0);
    char *on = run_out("run forkwait --args 3 --mode bt", &s1);
    char *off = run_out("run forkwait --args 3 --mode bt --bt-chain off", &s2);
    cr_assert_eq(s1, s0);
    cr_assert_eq(s2, s0);
    cr_assert_str_eq(on, native);
    cr_assert_str_eq(off, native);
    free(native);
    free(on);
    free(off);
    json_t *a = stats_of("run forkwait --args 3 --mode bt");
    json_t *b = stats_of("run forkwait --args 3 --mode bt --bt-chain off");
    cr_assert_str_eq(json_string_value(json_object_get(json_object_get(a, "bt"), "chaining")), "on");
    cr_assert_str_eq(json_string_value(json_object_get(json_object_get(b, "bt"), "chaining")), "off");
    cr_assert_gt(stats_num(a, "bt", "chained"), stats_num(a, "bt", "dispatches"), "most exits chained");
    cr_assert_eq(stats_num(b, "bt", "chained"), 0);
    cr_assert_eq(stats_num(b, "bt", "unchains"), 0, "no link, nothing to undo");
    cr_assert_gt(stats_num(b, "bt", "dispatches"), 10 * stats_num(a, "bt", "dispatches"));
    cr_assert_lt(json_integer_value(json_object_get(a, "cycles")), json_integer_value(json_object_get(b, "cycles")));
    /* modern.ini: bt_translate 1200, bt_callout 20, bt_dispatch 40 */
    json_t *runs[] = {a, b};
    for (int i = 0; i < 2; i++)
        cr_assert_eq(stats_num(runs[i], "cycles_by_cause", "bt"),
                     stats_num(runs[i], "bt", "instructions") * 1200 + stats_num(runs[i], "bt", "callouts") * 20 +
                         stats_num(runs[i], "bt", "dispatches") * 40, "bt's cycles come from its three causes");
    json_decref(a);
    json_decref(b);
}

/* The labs' guests that a wrong link would give away (labs/bt): a link
 * into code the guest rewrote, a jalr chained, a link across a remapped
 * page.  Each prints what bare metal prints, chaining on. */
Test(bt, no_stale_or_wrong_link_ever_runs)
{
    const char *g[] = {"smcchain", "indirect", "remap"};
    for (int i = 0; i < 3; i++) {
        char a[512], path[256];
        int s1, s2;
        snprintf(path, sizeof path, "build/labs/bt/%s.img", g[i]);
        snprintf(a, sizeof a, "run %s", root_path(path));
        char *native = run_out(a, &s1);
        snprintf(a, sizeof a, "run %s --mode bt", root_path(path));
        char *bt = run_out(a, &s2);
        cr_assert_eq(s1, 0, "%s", g[i]);
        cr_assert_eq(s2, 0, "%s", g[i]);
        cr_assert_str_eq(bt, native, "%s", g[i]);
        free(native);
        free(bt);
    }
    char a[512];
    snprintf(a, sizeof a, "run %s --mode bt", root_path("build/labs/bt/smcchain.img"));
    json_t *o = stats_of(a);
    cr_assert_geq(stats_num(o, "bt", "unchains"), 1, "the link into the rewritten routine was undone");
    cr_assert_gt(stats_num(o, "bt", "chained"), 0);
    json_decref(o);
}

Test(bt, bt_chain_takes_on_or_off)
{
    char *err = NULL;
    cr_assert_eq(run_ringsim("run syscall --mode bt --bt-chain maybe", NULL, &err), 2);
    cr_assert(strstr(err, "--bt-chain") && strstr(err, "on or off"), "%s", err);
    free(err);
}
