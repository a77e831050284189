/*
 * test_switch.c — changing technique while the guest runs (issue #5): a
 * single VM switches live between te+shadow, bt+shadow, hw+shadow and
 * hw+nested in any order, at any instruction boundary, and prints exactly
 * what it prints on bare metal; the books stay right (every cycle charged
 * to one cause, every switch counted); the same command gives the same
 * cycles; what cannot be switched is refused with a reason.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/helpers.h"

/* The techniques a single VM can switch between, as --mode options and as
 * --switch-at targets. */
static const char *const start_opts[] = {"--mode te", "--mode bt", "--mode hw --mmu shadow",
                                         "--mode hw --mmu nested"};
static const char *const targets[] = {"te:shadow", "bt:shadow", "hw:shadow", "hw:nested"};
#define NTECH 4

static const char *const workloads[] = {"syscall", "pgfault", "ptemod", "ctxswitch", "compute", "tlbstride",
                                        "forkwait"};
static const char *const small_args[] = {"300", "40", "30", "60", "3000", "2", "4"};
#define NWORK 7

/* Runs `ringsim ARGS --stats FILE`: its stdout (malloc'd) and, in *stats,
 * the statistics it wrote; the exit status in *status. */
static char *run_with_stats(const char *args, int *status, json_t **stats)
{
    const char *dir = temp_dir();
    char path[128], a[2048];
    snprintf(path, sizeof path, "%s/stats.json", dir);
    snprintf(a, sizeof a, "%s --stats %s", args, path);
    char *out = run_out(a, status);
    *stats = json_load_file(path, 0, NULL);
    cr_assert(*stats, "no statistics from: %s", a);
    unlink(path);
    rmdir(dir);
    return out;
}

static json_int_t integer(json_t *o, const char *key) { return json_integer_value(json_object_get(o, key)); }

/* The books: every cycle is charged to exactly one cause, and the
 * switches counted are the switches asked for. */
static void assert_books(json_t *stats, json_int_t switches, const char *what)
{
    json_int_t sum = 0;
    const char *cause;
    json_t *v;
    json_object_foreach(json_object_get(stats, "cycles_by_cause"), cause, v) sum += json_integer_value(v);
    cr_assert_eq(sum, integer(stats, "cycles"), "%s: cycles_by_cause adds up to %lld, not %lld", what,
                 (long long)sum, (long long)integer(stats, "cycles"));
    cr_assert_eq(integer(stats, "switches"), switches, "%s: %lld switches counted", what,
                 (long long)integer(stats, "switches"));
}

/* What the workload prints on bare metal (strict ISA, so that te is exact). */
static char *native_output(const char *workload, const char *args, int levels)
{
    char a[256];
    int st;
    snprintf(a, sizeof a, "run %s --args %s --levels %d --isa strict", workload, args, levels);
    char *out = run_out(a, &st);
    cr_assert_eq(st, 0, "%s", a);
    return out;
}

/* Runs a switched run: it must end with status 0, print exactly `expect`,
 * and keep the books right with `switches` switches.  Returns its stats. */
static json_t *assert_switched_run(const char *args, const char *expect, json_int_t switches)
{
    int st;
    json_t *stats;
    char *out = run_with_stats(args, &st, &stats);
    cr_assert_eq(st, 0, "%s: %s", args, out);
    cr_assert_str_eq(out, expect, "%s", args);
    assert_books(stats, switches, args);
    free(out);
    return stats;
}

Test(switching, a_random_schedule_over_every_technique_leaves_every_workload_unchanged)
{
    uint32_t seed = 20240605;
    for (int w = 0; w < NWORK; w++)
        for (int levels = 2; levels <= 4; levels += 2) {
            char *native = native_output(workloads[w], small_args[w], levels);
            /* a seeded schedule: a starting technique, then six switches,
             * each to another technique, 15000..65000 cycles apart (all
             * within the shortest of these runs) */
            seed = seed * 1103515245u + 12345u;
            int tech = (int)((seed >> 16) % NTECH);
            char a[2048];
            int n = snprintf(a, sizeof a, "run %s --args %s --levels %d --isa strict %s", workloads[w],
                             small_args[w], levels, start_opts[tech]);
            uint64_t at = 0;
            for (int k = 0; k < 6; k++) {
                seed = seed * 1103515245u + 12345u;
                at += 15000 + (seed >> 8) % 50000;
                seed = seed * 1103515245u + 12345u;
                tech = (tech + 1 + (int)((seed >> 16) % (NTECH - 1))) % NTECH;
                n += snprintf(a + n, sizeof a - (size_t)n, " --switch-at %llu:%s", (unsigned long long)at,
                              targets[tech]);
            }
            json_decref(assert_switched_run(a, native, 6));
            free(native);
        }
}

Test(switching, every_direction_leaves_the_output_and_the_books_right)
{
    /* all twelve ordered pairs of techniques, each on another workload */
    int k = 0;
    for (int from = 0; from < NTECH; from++)
        for (int to = 0; to < NTECH; to++) {
            if (from == to) continue;
            int w = k++ % NWORK;
            char *native = native_output(workloads[w], small_args[w], 2);
            char a[512];
            snprintf(a, sizeof a, "run %s --args %s --isa strict %s --switch-at 120000:%s", workloads[w],
                     small_args[w], start_opts[from], targets[to]);
            json_t *stats = assert_switched_run(a, native, 1);
            char now[32];
            snprintf(now, sizeof now, "%s:%s", json_string_value(json_object_get(stats, "mode")),
                     json_string_value(json_object_get(stats, "mmu")));
            cr_assert_str_eq(now, targets[to], "%s ends under %s", a, now);
            json_decref(stats);
            free(native);
        }
}

Test(switching, a_round_trip_through_every_technique_counts_every_switch)
{
    char *native = native_output("ctxswitch", "60", 4);
    json_t *stats = assert_switched_run("run ctxswitch --args 60 --levels 4 --isa strict --mode te"
                                        " --switch-at 60000:hw:nested --switch-at 90000:hw:shadow"
                                        " --switch-at 120000:bt --switch-at 150000:hw --switch-at 180000:te"
                                        " --switch-at 210000:hw:shadow --switch-at 240000:hw:nested"
                                        " --switch-at 270000:te",
                                        native, 8);
    /* each technique's own counters stay in the books after leaving it */
    cr_assert_gt(integer(json_object_get(stats, "bt"), "blocks"), 0);
    cr_assert_gt(integer(json_object_get(stats, "vmexits"), "total"), 0);
    json_decref(stats);
    free(native);
}

Test(switching, the_same_schedule_gives_the_same_cycles)
{
    const char *a = "run forkwait --args 4 --isa strict --mode hw --switch-at 40000:te --switch-at 70000:hw:shadow"
                    " --switch-at 100000:bt --switch-at 130000:hw:nested";
    int s1, s2;
    json_t *x, *y;
    char *o1 = run_with_stats(a, &s1, &x), *o2 = run_with_stats(a, &s2, &y);
    cr_assert_eq(s1, 0);
    cr_assert_str_eq(o1, o2);
    char *jx = json_dumps(x, JSON_SORT_KEYS), *jy = json_dumps(y, JSON_SORT_KEYS);
    cr_assert_str_eq(jx, jy, "every statistic, bit for bit");
    free(jx);
    free(jy);
    json_decref(x);
    json_decref(y);
    free(o1);
    free(o2);
}

Test(switching, a_switch_to_the_technique_already_running_changes_nothing)
{
    int s1, s2;
    json_t *plain, *same;
    char *o1 = run_with_stats("run syscall --args 300 --mode hw --mmu shadow", &s1, &plain);
    char *o2 = run_with_stats("run syscall --args 300 --mode hw --mmu shadow --switch-at 100000:hw:shadow", &s2,
                              &same);
    cr_assert_str_eq(o1, o2);
    cr_assert_eq(integer(same, "cycles"), integer(plain, "cycles"));
    assert_books(same, 0, "no switch");
    json_decref(plain);
    json_decref(same);
    free(o1);
    free(o2);
}

Test(switching, a_guest_halted_under_hw_switches_and_wakes_on_its_timer)
{
    /* a kernel that sleeps in hlt until its timer has ticked twelve times;
     * under hw a halted VM waits in the hypervisor, not in the guest, so
     * the schedule also catches it halted */
    const char *src =
        ".text\n_start: la r1, vectors\n mtcr vbr, r1\n li r1, 20000\n out timer_period, r1\n sti\n"
        "1: hlt\n la r2, ticks\n lw r1, 0(r2)\n li r3, 12\n blt r1, r3, 1b\n"
        " cli\n call hex\n out power, r0\n"
        "tick: push r1\n push r2\n la r1, ticks\n lw r2, 0(r1)\n addi r2, r2, 1\n sw r2, 0(r1)\n"
        " out timer_ack, r0\n pop r2\n pop r1\n iret\n"
        "other: li r1, 99\n out power, r1\n" PRINT_HEX
        " .data\n .align 4\nvectors: .word other, other, other, other, other, other, other, other, other,"
        " tick, other, other, other, other, other, other\nticks: .word 0\n";
    const char *img = assemble(temp_dir(), "sleeper", src);
    for (int from = 2; from < NTECH; from++)
        for (int to = 0; to < NTECH; to++) {
            char a[1024];
            snprintf(a, sizeof a, "run %s --isa strict %s --switch-at 50000:%s --switch-at 103000:%s"
                     " --switch-at 150001:%s", img, start_opts[from], targets[to], targets[from],
                     targets[(to + 1) % NTECH]);
            /* a switch to the technique already running is none */
            json_decref(assert_switched_run(a, "0000000c\n", 2 * (to != from) + ((to + 1) % NTECH != from)));
        }
}

/* ---- what cannot be switched ------------------------------------------------- */
/* `ringsim ARGS` is refused (status 2) with a message saying `why` and,
 * unless NULL, `also`. */
static void assert_refused(const char *args, const char *why, const char *also)
{
    char *out, *err;
    cr_assert_eq(run_ringsim(args, &out, &err), 2, "%s", args);
    cr_assert(strstr(err, why), "%s: %s", args, err);
    cr_assert(!also || strstr(err, also), "%s: %s", args, err);
    cr_assert_str_eq(out, "", "refused before the guest runs: %s", out);
    free(out);
    free(err);
}

Test(switching, several_vms_are_refused)
{
    assert_refused("run syscall compute --args 100 --mode hw --switch-at 1000:hw:shadow", "single VM", "2 VMs");
}

Test(switching, a_native_run_is_refused)
{
    assert_refused("run syscall --args 100 --switch-at 1000:hw", "needs a virtualised run (--mode te, bt or hw)",
                   NULL);
    assert_refused("run syscall --args 100 --mode hw --switch-at 1000:native", "native means no hypervisor", NULL);
}

Test(switching, a_switch_to_pv_is_refused)
{
    /* and the message says what can be switched */
    assert_refused("run syscall --args 100 --mode te --switch-at 1000:pv",
                   "pv runs a paravirtualised build of the kernel", "switches live between te, bt and hw");
}

Test(switching, impossible_combinations_and_bad_schedules_are_refused)
{
    assert_refused("run syscall --args 100 --mode hw --switch-at 1000:te:nested", "te has no nested paging", NULL);
    assert_refused("run syscall --mode te --switch-at soon:bt", "CYCLE:MODE", NULL);
}

/* ---- the debugger's mode command --------------------------------------------- */
/* Runs the debugger on a --batch file of commands: what it printed, its
 * error messages in *err if err is not NULL. */
static char *debug_batch(const char *run_opts, const char *commands, char **err)
{
    const char *dir = temp_dir();
    char batch[128], a[512], why[256];
    snprintf(batch, sizeof batch, "%s/cmds", dir);
    cr_assert(write_file_atomic(batch, commands, why, sizeof why), "%s", why);
    snprintf(a, sizeof a, "debug %s --batch %s", run_opts, batch);
    char *out, *e;
    run_ringsim(a, &out, &e);
    if (err) *err = e;
    else free(e);
    unlink(batch);
    rmdir(dir);
    return out;
}

/* text holds every one of the NULL-terminated lines. */
static void assert_says(const char *text, const char *const *lines)
{
    for (; *lines; lines++) cr_assert(strstr(text, *lines), "lacks '%s':\n%s", *lines, text);
}

/* The debugger's session printed what syscall --args 100 prints natively. */
static void assert_ends_as_on_bare_metal(const char *out)
{
    char *native = native_output("syscall", "100", 2);
    cr_assert(strstr(out, native), "the guest finishes as on bare metal:\n%s", out);
    free(native);
}

Test(switching, the_debugger_switches_hw_to_te_mid_run)
{
    /* and history keeps the switch: back before it is hw again, forward
     * past it te again */
    char *out = debug_batch("syscall --args 100 --isa strict --mode hw",
                            "step 50000\nmode te\nmode\nstep 1000\nreverse-step 2000\nmode\n"
                            "goto step 50500\nmode\ncontinue\n", NULL);
    const char *now = strstr(out, "mode: now te with shadow paging");
    cr_assert(now, "%s", out);
    const char *shown = strstr(now, "mode: te with shadow paging");
    cr_assert(shown, "%s", out);
    const char *back = strstr(shown + 1, "mode: hw with nested paging");
    cr_assert(back, "back before the switch: %s", out);
    cr_assert(strstr(back, "mode: te with shadow paging"), "forward past it: %s", out);
    assert_ends_as_on_bare_metal(out);
    free(out);
}

Test(switching, the_debugger_switches_te_to_bt_and_to_nested_paging)
{
    char *out = debug_batch("syscall --args 100 --isa strict --mode te",
                            "step 30000\nmode bt\nmode\nstep 30000\nmode hw nested\nmode\ncontinue\n", NULL);
    assert_says(out, (const char *const[]){"mode: now bt with shadow paging", "mode: bt with shadow paging",
                                           "mode: now hw with nested paging", "mode: hw with nested paging",
                                           NULL});
    assert_ends_as_on_bare_metal(out);
    free(out);
}

Test(switching, the_debugger_refuses_what_cannot_be_switched)
{
    char *err, *out = debug_batch("syscall --args 100 --mode hw", "step 100\nmode pv\nmode te nested\nmode\n",
                                  &err);
    assert_says(err, (const char *const[]){"mode: this build switches live between te, bt and hw",
                                           "pv runs a paravirtualised build", "te has no nested paging", NULL});
    cr_assert(strstr(out, "mode: hw with nested paging"), "nothing changed: %s", out);
    free(out);
    free(err);
    out = debug_batch("syscall --args 100", "mode hw\n", &err);
    cr_assert(strstr(err, "start it with --mode te, bt or hw"), "%s", err);
    free(out);
    free(err);
}

Test(switching, the_vms_own_counters_cover_the_whole_run_across_switches)
{
    const char *runs[] = {
        "run syscall --args 200 --mode te",
        "run syscall --args 200 --mode pv",
        "run syscall --args 200 --mode te --switch-at 300000:hw:nested --switch-at 600000:bt",
        "run syscall --args 200 --mode hw --mmu shadow --switch-at 200000:bt --switch-at 400000:hw:nested",
    };
    for (int i = 0; i < 4; i++) {
        json_t *o = stats_of(runs[i]);
        json_t *vm = json_array_get(json_object_get(o, "vms"), 0);
        json_int_t insns = json_integer_value(json_object_get(o, "instructions"));
        json_int_t cycles = json_integer_value(json_object_get(o, "cycles"));
        json_int_t vi = json_integer_value(json_object_get(vm, "instructions"));
        json_int_t vc = json_integer_value(json_object_get(vm, "cycles"));
        cr_assert_eq(vi, insns, "%s: every instruction was the VM's", runs[i]);
        cr_assert(vc <= cycles && vc > cycles * 9 / 10, "%s: %lld of %lld cycles", runs[i], (long long)vc,
                  (long long)cycles);
        json_decref(o);
    }
}
