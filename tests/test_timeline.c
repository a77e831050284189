/*
 * test_timeline.c — `ringsim run --trace-format chrome`: the run's timeline
 * as Trace Event JSON.  It is JSON in the object form a viewer opens; its
 * VM exits are the statistics' exits, one slice each; the slices of a
 * track never overlap (a hypervisor slice's parts lie inside it) and tile
 * the run, adding up to its cycles; every flow has a start and an end, each
 * inside a slice of its track.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/helpers.h"
#include "tests/rows.h"

#define HV_TID 1   /* ring -1's track (visualise/chrome.c) */

/* A run's timeline and its statistics. */
struct traced {
    json_t *trace, *stats;
    json_t *events;            /* trace.traceEvents */
};

static struct traced run_traced(const char *args)
{
    const char *dir = temp_dir();
    char a[768], path[256], stats[256];
    snprintf(path, sizeof path, "%s/t.json", dir);
    snprintf(stats, sizeof stats, "%s/s.json", dir);
    snprintf(a, sizeof a, "%s --trace all:%s --trace-format chrome --stats %s", args, path, stats);
    char *err = NULL;
    int st = run_ringsim(a, NULL, &err);
    cr_assert(st == 0, "%s: exit status %d: %s", a, st, err);
    free(err);
    struct traced t;
    json_error_t je;
    t.trace = json_load_file(path, 0, &je);
    cr_assert(t.trace, "%s: not JSON: %s at line %d", a, je.text, je.line);
    t.stats = json_load_file(stats, 0, NULL);
    cr_assert(t.stats);
    t.events = json_object_get(t.trace, "traceEvents");
    cr_assert(json_is_array(t.events), "the object form: {\"traceEvents\": [...]}");
    unlink(path);
    unlink(stats);
    rmdir(dir);
    return t;
}

static void done(struct traced *t)
{
    json_decref(t->trace);
    json_decref(t->stats);
}

static const char *str(json_t *e, const char *k) { return json_string_value(json_object_get(e, k)); }
static double num(json_t *e, const char *k) { return json_number_value(json_object_get(e, k)); }
static bool is(json_t *e, const char *ph) { return str(e, "ph") && !strcmp(str(e, "ph"), ph); }

Test(timeline, chrome_trace_is_trace_event_json_with_named_tracks)
{
    struct traced t = run_traced("run syscall --args 5 --mode hw");
    cr_assert(json_is_object(json_object_get(t.trace, "otherData")));
    int named = 0, slices = 0, counters = 0;
    size_t i;
    json_t *e;
    json_array_foreach(t.events, i, e) {
        cr_assert(str(e, "ph") && json_is_integer(json_object_get(e, "pid")), "every event has ph and pid");
        if (is(e, "M") && !strcmp(str(e, "name"), "thread_name")) {
            const char *n = json_string_value(json_object_get(json_object_get(e, "args"), "name"));
            named++;
            if (num(e, "tid") == HV_TID) cr_assert_str_eq(n, "ring -1: hypervisor");
        }
        if (is(e, "X")) {
            slices++;
            cr_assert(json_is_number(json_object_get(e, "ts")) && json_is_number(json_object_get(e, "dur")));
            cr_assert_gt(num(e, "dur"), 0);
            cr_assert_eq(num(e, "dur"), json_integer_value(json_object_get(json_object_get(e, "args"), "cycles")),
                         "dur is the slice's cycles");
        }
        counters += is(e, "C");
    }
    cr_assert_eq(named, 5, "a track per ring 0-3 and one for ring -1");
    cr_assert_gt(slices, 100);
    cr_assert_gt(counters, 0, "TLB misses and walk references");
    done(&t);
}

/* The exits: one slice each, from the exit to its entry. */
static const char *const exit_runs[] = {
    "run syscall --args 20 --mode hw",
    "run pgfault --args 5 --mode hw --mmu shadow",
    "run syscall compute --args 3 --mode hw",
};
ROW_PARAMETERS(timeline, exit_slices_are_the_statistics_exits, sizeof exit_runs / sizeof exit_runs[0])

ParameterizedTest(size_t *row, timeline, exit_slices_are_the_statistics_exits)
{
    struct traced t = run_traced(exit_runs[*row]);
    long long exits = 0;
    size_t i;
    json_t *e;
    json_array_foreach(t.events, i, e) exits += is(e, "X") && !strcmp(str(e, "cat"), "exit");
    long long want = stats_num(t.stats, "vmexits", "total");
    cr_assert_gt(want, 0);
    cr_assert_eq(exits, want, "%s: %lld exit slices, the statistics count %lld exits", exit_runs[*row], exits, want);
    done(&t);
}

static int by_ts(const void *a, const void *b)
{
    double x = num(*(json_t *const *)a, "ts"), y = num(*(json_t *const *)b, "ts");
    return (x > y) - (x < y);
}

/* The slices of a track at one depth (pieces of the run, or parts), by ts. */
static size_t track(json_t *events, int tid, bool parts, json_t **out)
{
    size_t n = 0, i;
    json_t *e;
    json_array_foreach(events, i, e)
        if (is(e, "X") && num(e, "tid") == tid && !strcmp(str(e, "cat"), "part") == parts) out[n++] = e;
    qsort(out, n, sizeof *out, by_ts);
    return n;
}

/* The slice of the track enclosing ts, or NULL. */
static json_t *enclosing(json_t **s, size_t n, double ts)
{
    for (size_t k = 0; k < n; k++)
        if (num(s[k], "ts") <= ts && ts < num(s[k], "ts") + num(s[k], "dur")) return s[k];
    return NULL;
}

static const char *const techniques[] = {
    "run syscall --args 5",
    "run syscall --args 5 --mode te --isa strict",
    "run syscall --args 5 --mode bt",
    "run syscall --args 5 --mode hw",
    "run ptemod --args 2 --mode hw --mmu shadow",
    "run syscall --args 5 --mode pv",
};
ROW_PARAMETERS(timeline, slices_never_overlap_and_tile_the_run, sizeof techniques / sizeof techniques[0])

ParameterizedTest(size_t *row, timeline, slices_never_overlap_and_tile_the_run)
{
    struct traced t = run_traced(techniques[*row]);
    size_t cap = json_array_size(t.events);
    json_t **s = malloc(cap * sizeof *s), **p = malloc(cap * sizeof *p);
    cr_assert(s && p);
    double total = 0;
    for (int tid = 1; tid <= 5; tid++) {
        size_t n = track(t.events, tid, false, s);
        for (size_t k = 0; k < n; k++) {
            total += num(s[k], "dur");
            if (k) cr_assert_leq(num(s[k - 1], "ts") + num(s[k - 1], "dur"), num(s[k], "ts"),
                                 "%s: track %d: '%s' overlaps '%s'", techniques[*row], tid, str(s[k - 1], "name"),
                                 str(s[k], "name"));
        }
        size_t np = track(t.events, tid, true, p);
        for (size_t k = 0; k < np; k++) {
            json_t *in = enclosing(s, n, num(p[k], "ts"));
            cr_assert(in && num(p[k], "ts") + num(p[k], "dur") <= num(in, "ts") + num(in, "dur"),
                      "%s: part '%s' lies inside a hypervisor slice", techniques[*row], str(p[k], "name"));
            if (k) cr_assert_leq(num(p[k - 1], "ts") + num(p[k - 1], "dur"), num(p[k], "ts"));
        }
    }
    cr_assert_eq((long long)total, json_integer_value(json_object_get(t.stats, "cycles")),
                 "%s: the slices add up to the run's cycles", techniques[*row]);
    free(s);
    free(p);
    done(&t);
}

ParameterizedTestParameters(timeline, every_flow_has_a_start_and_an_end)
{
    static size_t rows[] = {1, 2, 3, 5};   /* te, bt, hw, pv of techniques[] */
    return cr_make_param_array(size_t, rows, sizeof rows / sizeof rows[0]);
}

ParameterizedTest(size_t *row, timeline, every_flow_has_a_start_and_an_end)
{
    struct traced t = run_traced(techniques[*row]);
    size_t cap = json_array_size(t.events), nflows = 0;
    json_t **s = malloc(cap * sizeof *s);
    cr_assert(s);
    size_t i;
    json_t *e;
    json_array_foreach(t.events, i, e) {
        if (!is(e, "s")) continue;
        nflows++;
        json_t *end = NULL;
        size_t j;
        json_t *f;
        json_array_foreach(t.events, j, f)
            if (is(f, "f") && json_equal(json_object_get(f, "id"), json_object_get(e, "id"))) {
                cr_assert_null(end, "one end per flow");
                end = f;
            }
        cr_assert(end, "%s: flow %lld has an end", techniques[*row], json_integer_value(json_object_get(e, "id")));
        cr_assert_str_eq(str(end, "bp"), "e", "it binds to the slice enclosing it");
        cr_assert_eq(num(end, "tid"), HV_TID, "it ends in the hypervisor");
        cr_assert_neq(num(e, "tid"), HV_TID, "it starts in a guest's ring");
        size_t n = track(t.events, (int)num(e, "tid"), false, s);
        cr_assert(enclosing(s, n, num(e, "ts")), "its start lies in a slice of its track");
        n = track(t.events, HV_TID, false, s);
        cr_assert(enclosing(s, n, num(end, "ts")), "its end lies in a slice of the hypervisor");
        cr_assert_leq(num(e, "ts"), num(end, "ts"));
    }
    json_array_foreach(t.events, i, e) nflows -= is(e, "f");
    cr_assert_eq(nflows, 0, "as many ends as starts");
    free(s);
    done(&t);
}

Test(timeline, te_trap_into_the_hypervisor_flows_to_its_emulation)
{
    struct traced t = run_traced("run syscall --args 3 --mode te --isa strict");
    size_t cap = json_array_size(t.events);
    json_t **parts = malloc(cap * sizeof *parts);
    cr_assert(parts);
    size_t np = track(t.events, HV_TID, true, parts), emulations = 0, landed = 0, i;
    json_t *e;
    json_array_foreach(t.events, i, e) {
        if (!is(e, "f")) continue;
        json_t *in = enclosing(parts, np, num(e, "ts"));
        landed += in && !strncmp(str(in, "name"), "emulate ", 8);
    }
    for (size_t k = 0; k < np; k++) emulations += !strncmp(str(parts[k], "name"), "emulate ", 8);
    cr_assert_eq(emulations, stats_num(t.stats, "te", "emulated"), "a part per emulated instruction");
    cr_assert_eq(landed, emulations, "every emulation is reached by an arrow from the trap that asked for it");
    free(parts);
    done(&t);
}

Test(timeline, trace_format_is_checked)
{
    char *out, *err;
    cr_assert_eq(run_ringsim("run hello --trace all:- --trace-format jsno", &out, &err), 2);
    cr_assert(strstr(err, "--trace-format 'jsno': expected text or chrome"), "%s", err);
    free(out), free(err);
    cr_assert_eq(run_ringsim("run hello --trace-format chrome", &out, &err), 2);
    cr_assert(strstr(err, "--trace-format needs --trace SPEC:FILE"), "%s", err);
    free(out), free(err);
}
