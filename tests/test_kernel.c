/*
 * test_kernel.c — the guest kernel (guests/kernel/) and its workloads, run
 * as a user runs them: `ringsim run NAME --levels N --args COUNT --stats F`.
 *
 * What they pin down: every workload runs to completion and prints the same
 * checksum line whatever the number of page-table levels (the kernel builds
 * its tables generically, and the user-visible results do not depend on
 * them); each workload really exercises the mechanism it is named for
 * (faults, system calls, TLB misses, ...); the statistics add up; the kernel
 * kills only a misbehaving process and preempts one that spins; and natively
 * no red-pill check ever fires.  Counts are small so that the whole file
 * stays fast under ASan.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/helpers.h"

/* One run of the simulator: exit status, console output, statistics. */
struct run {
    int status;
    char *out;
    char *err;
    json_t *stats;
};

/* Runs `ringsim run NAME --levels LEVELS --stats … EXTRA`. */
static struct run run_guest(const char *name, int levels, const char *extra)
{
    struct run r;
    char dir[64], path[128], args[512];
    snprintf(dir, sizeof dir, "%s", temp_dir());
    snprintf(path, sizeof path, "%s/stats.json", dir);
    snprintf(args, sizeof args, "run %s --levels %d --stats %s %s", name, levels, path, extra ? extra : "");
    r.status = run_ringsim(args, &r.out, &r.err);
    json_error_t e;
    r.stats = json_load_file(path, 0, &e);
    unlink(path);
    rmdir(dir);
    cr_assert(r.stats, "%s: no stats (%s); stderr: %s", args, e.text, r.err);
    return r;
}

static void run_free(struct run *r)
{
    free(r->out);
    free(r->err);
    json_decref(r->stats);
}

/* A number in the statistics, by a dotted path ("traps.by_cause.syscall"). */
static json_int_t stat_of(const struct run *r, const char *dotted)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", dotted);
    json_t *o = r->stats;
    for (char *part = strtok(buf, "."); part && o; part = strtok(NULL, "."))
        o = json_object_get(o, part);
    return o ? json_integer_value(o) : 0;
}

static void assert_cycles_add_up(const struct run *r)
{
    json_int_t sum = 0;
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(r->stats, "cycles_by_cause"), k, v) sum += json_integer_value(v);
    cr_assert_eq(sum, stat_of(r, "cycles"), "cycles_by_cause sums to %lld, cycles = %lld", (long long)sum,
                 (long long)stat_of(r, "cycles"));
}

/* Runs workload NAME with COUNT iterations at 2 and 4 levels; both must exit
 * 0 and print exactly one line, the same one, "NAME: COUNT iterations,
 * checksum 0x…".  Returns the 4-level run for further checks. */
static struct run check_workload(const char *name, int count)
{
    char extra[32], prefix[96];
    snprintf(extra, sizeof extra, "--args %d", count);
    snprintf(prefix, sizeof prefix, "%s: %d iterations, checksum 0x", name, count);
    struct run two = run_guest(name, 2, extra);
    struct run four = run_guest(name, 4, extra);
    struct run *both[2] = {&two, &four};
    for (int i = 0; i < 2; i++) {
        struct run *r = both[i];
        cr_assert_eq(r->status, 0, "%s at %d levels: exit status %d; output:\n%s%s", name, i ? 4 : 2,
                     r->status, r->out, r->err);
        cr_assert_eq(strncmp(r->out, prefix, strlen(prefix)), 0, "%s: got\n%s", name, r->out);
        cr_assert_eq(strlen(r->out), strlen(prefix) + 9, "one line with 8 hex digits: %s", r->out);
        cr_assert_eq(stat_of(r, "guest.exit_code"), 0);
        assert_cycles_add_up(r);
    }
    cr_assert_str_eq(two.out, four.out, "2 and 4 levels agree");
    cr_assert_neq(stat_of(&two, "walk.refs"), stat_of(&four, "walk.refs"), "the levels really differed");
    run_free(&two);
    return four;
}

/* ---- the workloads -------------------------------------------------------- */

Test(kernel, syscall_loop_makes_one_system_call_per_iteration)
{
    struct run r = check_workload("syscall", 300);
    cr_assert_geq(stat_of(&r, "traps.by_cause.syscall"), 300);
    run_free(&r);
}

Test(kernel, pgfault_loop_takes_one_page_fault_per_iteration)
{
    struct run r = check_workload("pgfault", 100);
    cr_assert_geq(stat_of(&r, "traps.by_cause.page_fault"), 100);
    cr_assert_lt(stat_of(&r, "traps.by_cause.page_fault"), 100 + 8, "and few others");
    run_free(&r);
}

Test(kernel, ptemod_loop_changes_page_table_entries_by_system_call)
{
    struct run r = check_workload("ptemod", 40);
    cr_assert_geq(stat_of(&r, "traps.by_cause.syscall"), 4 * 40, "map, protect twice, unmap");
    run_free(&r);
}

Test(kernel, ctxswitch_loop_switches_between_two_processes)
{
    struct run r = check_workload("ctxswitch", 100);
    cr_assert_geq(stat_of(&r, "traps.by_cause.syscall"), 2 * 100, "both sides yield");
    run_free(&r);
}

Test(kernel, compute_loop_stays_in_user_mode)
{
    struct run r = check_workload("compute", 20000);
    cr_assert_lt(stat_of(&r, "traps.by_cause.syscall"), 8, "no system calls in the loop");
    cr_assert_geq(stat_of(&r, "instructions"), 20000 * 10);
    run_free(&r);
}

Test(kernel, tlbstride_misses_the_tlb_on_every_strided_access)
{
    struct run r = check_workload("tlbstride", 6);
    cr_assert_geq(stat_of(&r, "tlb.misses"), 6 * 256, "256 pages > a 64-entry TLB: every access misses");
    run_free(&r);
}

Test(kernel, forkwait_loop_creates_and_destroys_address_spaces)
{
    struct run r = check_workload("forkwait", 8);
    cr_assert_geq(stat_of(&r, "traps.by_cause.syscall"), 2 * 8, "spawn and wait, each time");
    run_free(&r);
}

Test(kernel, a_workload_without_args_runs_its_default_count)
{
    struct run r = run_guest("syscall", 2, NULL);
    cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
    cr_assert(strstr(r.out, "syscall: 2000 iterations, checksum 0x"), "%s", r.out);
    run_free(&r);
}

Test(kernel, asids_roll_over_into_a_new_generation_with_a_tlb_flush)
{
    /* 300 processes need more than the 255 ASIDs of one generation. */
    struct run r = run_guest("forkwait", 4, "--args 300");
    cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
    cr_assert(strstr(r.out, "forkwait: 300 iterations"), "%s", r.out);
    cr_assert_geq(stat_of(&r, "tlb.flushes"), 1);
    run_free(&r);
}

Test(kernel, the_demo_init_runs_every_workload_and_exits_0)
{
    struct run r = run_guest("kernel", 3, NULL);
    cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
    const char *names[] = {"syscall", "compute", "pgfault", "ptemod", "ctxswitch", "tlbstride", "forkwait"};
    for (int i = 0; i < 7; i++) {
        char want[64];
        snprintf(want, sizeof want, "\n%s: ", names[i]);
        cr_assert(strstr(r.out, want), "%s ran: %s", names[i], r.out);
    }
    cr_assert(strstr(r.out, "init: done\n"), "%s", r.out);
    assert_cycles_add_up(&r);
    run_free(&r);
}

Test(kernel, runs_are_deterministic_to_the_cycle)
{
    struct run a = run_guest("kernel", 2, NULL), b = run_guest("kernel", 2, NULL);
    cr_assert_str_eq(a.out, b.out);
    cr_assert_eq(stat_of(&a, "cycles"), stat_of(&b, "cycles"));
    cr_assert_eq(stat_of(&a, "instructions"), stat_of(&b, "instructions"));
    run_free(&a);
    run_free(&b);
}

Test(kernel, native_runs_print_no_red_pill_on_either_isa)
{
    const char *isas[] = {"--isa classic", "--isa strict"};
    for (int i = 0; i < 2; i++) {
        struct run r = run_guest("kernel", 4, isas[i]);
        cr_assert_eq(r.status, 0, "%s: %s%s", isas[i], r.out, r.err);
        cr_assert_null(strstr(r.out, "RED PILL"), "%s: %s", isas[i], r.out);
        run_free(&r);
    }
}

/* ---- misbehaving processes (guests/kernel_faults.s) ----------------------- */

/* kernel_faults at `levels`; its output must not depend on them. */
static struct run run_faults(int levels)
{
    struct run r = run_guest("kernel_faults", levels, NULL);
    cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
    cr_assert(strstr(r.out, "faults: the kernel survived\n"), "%s", r.out);
    assert_cycles_add_up(&r);
    return r;
}

Test(kernel, a_null_pointer_read_kills_only_that_process)
{
    struct run r = run_faults(2);
    cr_assert(strstr(r.out, "kernel: pid 2 killed: page fault at 0x00000000 (read, not present)\n"
                            "faults: pid 2 exited with code -1\n"), "%s", r.out);
    run_free(&r);
}

Test(kernel, privileged_and_illegal_instructions_kill_only_that_process)
{
    struct run r = run_faults(2);
    cr_assert(strstr(r.out, "kernel: pid 3 killed: privileged instruction at 0x4"), "%s", r.out);
    cr_assert(strstr(r.out, "kernel: pid 4 killed: illegal instruction at 0x4"), "%s", r.out);
    cr_assert(strstr(r.out, "kernel: pid 5 killed: divide by zero at 0x4"), "%s", r.out);
    run_free(&r);
}

Test(kernel, protection_faults_on_user_and_kernel_pages_kill_the_process)
{
    struct run r = run_faults(2);
    cr_assert(strstr(r.out, "kernel: pid 6 killed: page fault at 0x60000000 (write, protection)\n"), "%s",
              r.out);
    cr_assert(strstr(r.out, "kernel: pid 7 killed: page fault at 0x00001000 (fetch, protection)\n"), "%s",
              r.out);
    run_free(&r);
}

Test(kernel, a_spinning_process_is_preempted_and_others_still_finish)
{
    struct run r = run_faults(2);
    const char *good = strstr(r.out, "good: finished beside a spinning process, checksum 0x");
    cr_assert(good, "%s", r.out);
    cr_assert(strstr(good, "faults: pid 9 exited with code 0\n"
                           "faults: pid 8 exited with code -1\n"), "the spinner was killed after: %s", r.out);
    cr_assert_geq(stat_of(&r, "traps.by_cause.timer"), 3, "the timer took the CPU back");
    run_free(&r);
}

Test(kernel, fault_handling_is_the_same_at_every_level_count)
{
    struct run a = run_faults(2), b = run_faults(3), c = run_faults(4);
    cr_assert_str_eq(a.out, b.out);
    cr_assert_str_eq(a.out, c.out);
    cr_assert_null(strstr(a.out, "RED PILL"), "%s", a.out);
    run_free(&a);
    run_free(&b);
    run_free(&c);
}

/* ---- the TLB as the kernel uses it ----------------------------------------- */
Test(kernel, asid_tags_spare_the_tlb_on_a_context_switch)
{
    struct run tagged = run_guest("ctxswitch", 2, "--args 100");
    struct run untagged = run_guest("ctxswitch", 2, "--args 100 --no-asid");
    cr_assert_str_eq(tagged.out, untagged.out, "the guest cannot tell");
    cr_assert_lt(stat_of(&tagged, "tlb.flushes"), 10, "tagged: flushes only at ASID roll-over");
    cr_assert_geq(stat_of(&untagged, "tlb.flushes"), 200, "untagged: every page-table switch flushes");
    cr_assert_gt(stat_of(&untagged, "tlb.misses"), stat_of(&tagged, "tlb.misses"));
    run_free(&tagged);
    run_free(&untagged);
}
Test(kernel, a_smaller_tlb_misses_more_on_tlbstride)
{
    struct run small = run_guest("tlbstride", 2, "--args 4 --tlb 16:4");
    struct run big = run_guest("tlbstride", 2, "--args 4 --tlb 1024:8");
    cr_assert_str_eq(small.out, big.out);
    /* 256 pages, 4 passes: a 1024-entry TLB keeps them all after the first
     * pass, a 16-entry one misses on every page of every pass */
    cr_assert_geq(stat_of(&small, "tlb.misses") - stat_of(&big, "tlb.misses"), 3 * 256);
    /* two references per walk at two levels, fewer only for a walk that stops
     * at a not-present root entry (a demand fault) */
    json_int_t walks = stat_of(&small, "walk.walks"), refs = stat_of(&small, "walk.refs");
    cr_assert_leq(refs, 2 * walks);
    cr_assert_geq(refs, 2 * walks - stat_of(&small, "walk.page_faults"));
    run_free(&small);
    run_free(&big);
}

/* ---- stepping is invisible ----------------------------------------------------- */
Test(kernel, stepping_one_instruction_at_a_time_matches_an_unbroken_run_exactly)
{
    /* the debugger steps; `run` runs: both must see the same machine, down
     * to every TLB hit (no extra fetch lookups or event checks on resume) */
    char err[256];
    struct profile p;
    cr_assert(profile_load(root_path("profiles/modern.ini"), &p, err, sizeof err), "%s", err);
    struct isa_image img = {0};
    cr_assert(isa_image_load(root_path("build/guests/ctxswitch.img"), &img, err, sizeof err), "%s", err);
    struct machine_config cfg = {.memsize = 16u << 20, .levels = 4, .prof = &p};
    static struct machine a, b;
    cr_assert(machine_init(&a, &cfg, err, sizeof err) && machine_load_image(&a, &img, err, sizeof err));
    cr_assert(machine_init(&b, &cfg, err, sizeof err) && machine_load_image(&b, &img, err, sizeof err));
    isa_image_free(&img);
    machine_set_boot_args(&a, "40");
    machine_set_boot_args(&b, "40");
    a.con.out = b.con.out = NULL;
    machine_run(&a, 0);
    unsigned long steps = 0;
    while (machine_run(&b, 1 + steps % 5) == STOP_STEPS) steps++;
    cr_assert_gt(steps, 10000);
    cr_assert_eq(a.stop, STOP_EXIT);
    cr_assert_eq(b.stop, STOP_EXIT);
    cr_assert_eq(a.st.cycles, b.st.cycles);
    cr_assert_eq(a.st.instructions, b.st.instructions);
    cr_assert_eq(memcmp(a.st.cycles_by_cause, b.st.cycles_by_cause, sizeof a.st.cycles_by_cause), 0);
    cr_assert_eq(a.mmu.st.tlb_hits, b.mmu.st.tlb_hits);
    cr_assert_eq(a.mmu.st.tlb_misses, b.mmu.st.tlb_misses);
    cr_assert_eq(a.st.traps_total, b.st.traps_total);
    machine_free(&a);
    machine_free(&b);
}
