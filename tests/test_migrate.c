/*
 * test_migrate.c — live migration (issue #15): `ringsim run … --hosts N
 * --migrate-at CYCLE:HOST` moves the running VM to another simulated host by
 * pre-copy (hypervisor/migrate.c).  Under each dirty-log mechanism — the
 * nested table's (hw+nested), shadow paging's (hw+shadow, te, bt), pv's
 * log-dirty mode (a shadow of its validated tables for the rounds) — the
 * guest prints what a run that never moved prints, and the target's memory
 * is the source's at the pause, page for page.  With the `dirty` workload,
 * whose write rate is its parameter, rounds converge for a moderate rate and
 * not for a heavy one, whose downtime stop-and-copy then bounds.  Post-copy
 * (hw+nested) resumes at once and fetches pages on demand, printing the
 * same.  What cannot be migrated is refused with the reason.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/helpers.h"

#define WORKLOAD "dirty --mem 4M"
#define MOVE "--hosts 2 --migrate-at 3000000:1"

/* The one migration of a run's statistics. */
static json_t *migration_of(json_t *st)
{
    json_t *arr = json_object_get(st, "migrations");
    cr_assert(json_is_array(arr) && json_array_size(arr) == 1, "one migration in the statistics");
    return json_array_get(arr, 0);
}

static long long num(json_t *o, const char *key) { return json_integer_value(json_object_get(o, key)); }

static const char *const techniques[] = {"--mode hw --mmu nested", "--mode hw --mmu shadow", "--mode te", "--mode bt",
                                         "--mode pv"};

ParameterizedTestParameters(migrate, output_is_a_never_moved_runs_under_each_dirty_log)
{
    static int idx[] = {0, 1, 2, 3, 4};
    return cr_make_param_array(int, idx, sizeof idx / sizeof idx[0]);
}

ParameterizedTest(int *i, migrate, output_is_a_never_moved_runs_under_each_dirty_log)
{
    const char *t = techniques[*i];
    char a[512], path[256];
    const char *dir = temp_dir();
    snprintf(path, sizeof path, "%s/m.json", dir);
    int st_still, st_moved;
    snprintf(a, sizeof a, "run " WORKLOAD " --args 16 %s", t);
    char *still = run_out(a, &st_still);
    snprintf(a, sizeof a, "run " WORKLOAD " --args 16 %s " MOVE " --link 4 --stats %s", t, path);
    char *moved = run_out(a, &st_moved);
    cr_assert_eq(st_moved, st_still, "%s: exit status %d, never moved %d", t, st_moved, st_still);
    cr_assert(strstr(still, "dirty: 16 iterations, checksum"), "%s: the workload's line: %s", t, still);
    cr_assert_str_eq(moved, still, "%s: the migrated guest printed something else", t);
    json_t *st = json_load_file(path, 0, NULL);
    cr_assert(st, "%s: statistics", t);
    json_t *mg = migration_of(st);
    cr_assert(json_is_true(json_object_get(mg, "moved")), "%s: the VM resumed on host 1", t);
    cr_assert_eq(num(mg, "stale_pages"), 0, "%s: %lld pages reached the target stale: the log missed a write", t,
                 num(mg, "stale_pages"));
    cr_assert_geq(num(mg, "rounds"), 2, "%s: pre-copy rounds", t);
    cr_assert_gt(num(mg, "log_faults"), 0, "%s: the log caught the guest's writes", t);
    cr_assert_eq(json_integer_value(json_array_get(json_object_get(mg, "pages_per_round"), 0)), 1024,
                 "%s: round 1 sends the whole VM (4 MiB)", t);
    json_decref(st);
    free(still);
    free(moved);
    unlink(path);
    rmdir(dir);
}

/* A migration of `dirty --args RATE` over a link of 2 bytes per cycle. */
static json_t *migrate_at_rate(int rate, json_t **st)
{
    char a[256];
    snprintf(a, sizeof a, "run " WORKLOAD " --args %d --mode hw " MOVE " --link 2:10000 --stop-pages 16", rate);
    *st = stats_of(a);
    json_t *mg = migration_of(*st);
    cr_assert(json_is_true(json_object_get(mg, "moved")), "rate %d: moved", rate);
    return mg;
}

Test(migrate, moderate_write_rate_converges)
{
    json_t *st, *mg = migrate_at_rate(4, &st);
    cr_assert_str_eq(json_string_value(json_object_get(mg, "stop_reason")), "converged");
    cr_assert_leq(num(mg, "final_pages"), 16, "stop-and-copy sends at most --stop-pages");
    json_t *d = json_object_get(mg, "dirtied_per_round");
    size_t n = json_array_size(d);
    cr_assert_geq(n, 3, "several rounds");
    for (size_t r = 2; r < n; r++)
        cr_assert_lt(json_integer_value(json_array_get(d, r)), json_integer_value(json_array_get(d, r - 1)),
                     "round %zu found fewer dirty pages than the one before", r + 1);
    json_decref(st);
}

Test(migrate, heavy_write_rate_does_not_converge_and_stop_and_copy_bounds_it)
{
    json_t *st_m, *mod = migrate_at_rate(4, &st_m);
    json_t *st_h, *heavy = migrate_at_rate(64, &st_h);
    cr_assert_str_neq(json_string_value(json_object_get(heavy, "stop_reason")), "converged");
    long long fin = num(heavy, "final_pages");
    cr_assert_gt(fin, 16, "the guest dirties faster than the link carries: more than --stop-pages are left");
    /* stop-and-copy sends what is left — at most the writable working set
     * (the workload's 256 pages and the few its kernel writes) — and the
     * downtime is exactly that on the link */
    cr_assert_leq(fin, 256 + 16);
    cr_assert_eq(num(heavy, "downtime"), 10000 + (fin * 4096 + 4096 + 1) / 2);
    cr_assert_gt(num(heavy, "downtime"), 2 * num(mod, "downtime"), "downtime grows with the write rate");
    json_decref(st_m);
    json_decref(st_h);
}

Test(migrate, the_target_keeps_its_own_cost_profile)
{
    int s1, s2;
    char *a = run_out("run " WORKLOAD " --mode hw " MOVE " --link 4", &s1);
    char *b = run_out("run " WORKLOAD " --mode hw " MOVE " --link 4 --host-profile 1:p4-2006", &s2);
    cr_assert_eq(s1, 0);
    cr_assert_eq(s2, 0);
    cr_assert_str_eq(a, b, "the same output on a slower host");
    free(a);
    free(b);
    json_t *x = stats_of("run " WORKLOAD " --mode hw " MOVE " --link 4");
    json_t *y = stats_of("run " WORKLOAD " --mode hw " MOVE " --link 4 --host-profile 1:p4-2006");
    cr_assert_str_eq(json_string_value(json_object_get(y, "profile")), "p4-2006");
    cr_assert_gt(json_integer_value(json_object_get(y, "cycles")), json_integer_value(json_object_get(x, "cycles")),
                 "the P4's VM exits cost more after the move");
    json_decref(x);
    json_decref(y);
}

Test(migrate, refusals_name_the_reason)
{
    static const struct {
        const char *args, *says;
    } cases[] = {
        {"run dirty " MOVE, "no hypervisor"},
        {"run dirty --mode hw --hosts 2 --migrate-at 100:2", "there are 2 hosts"},
        {"run dirty --mode hw --hosts 2 --migrate-at 100:0", "on host 0 already"},
        {"run dirty --mode hw --hosts 2", "add --migrate-at"},
        {"run dirty --mode hw " MOVE " --link 0", "--link '0': expected"},
        {"run dirty --mode hw --host-large-pages " MOVE, "page by page"},
        {"run dirty --mode te " MOVE " --post-copy", "post-copy fetches pages on demand"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *err;
        int st = run_ringsim(cases[i].args, NULL, &err);
        cr_expect_eq(st, 2, "%s: exit status %d", cases[i].args, st);
        cr_expect(strstr(err, cases[i].says), "%s: said '%s'", cases[i].args, err);
        free(err);
    }
}

Test(migrate, post_copy_resumes_at_once_and_fetches_pages_on_demand)
{
    int s1, s2;
    char *still = run_out("run " WORKLOAD " --args 16 --mode hw", &s1);
    char *moved = run_out("run " WORKLOAD " --args 16 --mode hw " MOVE " --link 4 --post-copy", &s2);
    cr_assert_eq(s2, s1);
    cr_assert_str_eq(moved, still, "post-copy: the same output as a run that never moved");
    free(still);
    free(moved);
    json_t *pre, *post_st = stats_of("run " WORKLOAD " --args 16 --mode hw " MOVE " --link 4 --post-copy");
    pre = stats_of("run " WORKLOAD " --args 16 --mode hw " MOVE " --link 4");
    json_t *mg = migration_of(post_st), *pc = json_object_get(post_st, "postcopy");
    cr_assert(json_is_true(json_object_get(mg, "post_copy")));
    cr_assert_eq(num(mg, "rounds"), 0, "no pre-copy round");
    long long faults = num(pc, "demand_faults");
    cr_assert_gt(faults, 0, "pages came on demand");
    cr_assert_eq(num(pc, "pages_fetched"), faults + num(mg, "final_pages"),
                 "every page on the target came by a demand fault or with the state");
    cr_assert_eq(num(pc, "wait_cycles"), faults * (10000 + 4096 / 4), "each fault waited for one page on the link");
    cr_assert_lt(num(mg, "downtime"), num(migration_of(pre), "downtime"), "post-copy's downtime is shorter");
    json_decref(pre);
    json_decref(post_st);
}

Test(migrate, two_hops_keep_the_output_and_a_guest_that_ends_first_never_moves)
{
    int s1, s2;
    char *still = run_out("run " WORKLOAD " --mode hw", &s1);
    char *hops = run_out("run " WORKLOAD " --mode hw --hosts 3 --migrate-at 3000000:1 --migrate-at 9000000:2", &s2);
    cr_assert_eq(s2, s1);
    cr_assert_str_eq(hops, still, "host 0 -> 1 -> 2 prints what one host prints");
    free(still);
    free(hops);
    json_t *st = stats_of("run " WORKLOAD " --mode hw --hosts 3 --migrate-at 3000000:1 --migrate-at 9000000:2");
    json_t *arr = json_object_get(st, "migrations");
    cr_assert_eq(json_array_size(arr), 2);
    cr_assert_eq(num(json_array_get(arr, 1), "from"), 1);
    cr_assert_eq(num(json_array_get(arr, 1), "to"), 2);
    cr_assert(json_is_true(json_object_get(json_array_get(arr, 1), "moved")));
    json_decref(st);
    /* migrated so late that round 1 on a slow link outlasts the guest */
    st = stats_of("run " WORKLOAD " --mode hw --hosts 2 --migrate-at 33000000:1 --link 1");
    json_t *mg = migration_of(st);
    cr_assert(json_is_true(json_object_get(mg, "guest_ended")), "it ended during round 1");
    cr_assert(json_is_false(json_object_get(mg, "moved")));
    json_decref(st);
}

/* pv's log-dirty mode while the guest changes its tables by hypercall all
 * the time (ptemod, forkwait) and before it has left the boot map (cycle
 * 2,000): the shadow follows every validated update, and two hops print
 * what a run that never moved prints, with nothing stale. */
Test(migrate, pv_log_dirty_follows_the_guests_table_updates)
{
    static const char *const work[] = {"ptemod", "forkwait", "pgfault"};
    static const unsigned long at[] = {2000, 400000};
    const char *dir = temp_dir();
    char path[256], a[512];
    snprintf(path, sizeof path, "%s/pv.json", dir);
    for (size_t w = 0; w < sizeof work / sizeof work[0]; w++)
        for (size_t i = 0; i < sizeof at / sizeof at[0]; i++) {
            int s1, s2;
            snprintf(a, sizeof a, "run %s --mem 4M --mode pv", work[w]);
            char *still = run_out(a, &s1);
            snprintf(a, sizeof a, "run %s --mem 4M --mode pv --hosts 3 --migrate-at %lu:1 --migrate-at %lu:2 "
                     "--link 64:1000 --stats %s", work[w], at[i], at[i] + 600000, path);
            char *moved = run_out(a, &s2);
            cr_assert_eq(s2, s1, "%s", a);
            cr_assert_str_eq(moved, still, "%s: the migrated pv guest printed something else", a);
            json_t *st = json_load_file(path, 0, NULL);
            cr_assert(st, "%s: statistics", a);
            json_t *arr = json_object_get(st, "migrations");
            cr_assert_geq(json_array_size(arr), 1, "%s", a);
            json_t *mg = json_array_get(arr, 0);
            cr_assert(json_is_true(json_object_get(mg, "moved")), "%s: moved", a);
            for (size_t k = 0; k < json_array_size(arr); k++)
                cr_assert_eq(num(json_array_get(arr, k), "stale_pages"), 0, "%s: migration %zu: the log missed a write",
                             a, k + 1);
            cr_assert_gt(num(mg, "log_faults"), 0, "%s: the shadow's write faults logged the guest's writes", a);
            json_decref(st);
            free(still);
            free(moved);
        }
    unlink(path);
    rmdir(dir);
}

/* The trace's migrate category (and the debugger's event pane, which logs
 * the same events) shows each round, stop-and-copy with its downtime and
 * the resume, as the statistics count them; and a save, a restore and the
 * start of clones, each with what it moved. */
static int count_of(const char *text, const char *what)
{
    int n = 0;
    for (const char *p = text; (p = strstr(p, what)) != NULL; p++) n++;
    return n;
}

Test(migrate, trace_shows_rounds_stop_and_copy_and_resume_as_the_statistics_count_them)
{
    const char *dir = temp_dir();
    char path[256], a[512], want[128];
    snprintf(path, sizeof path, "%s/t.json", dir);
    snprintf(a, sizeof a, "run " WORKLOAD " --args 16 --mode pv " MOVE " --link 4 --trace migrate --stats %s", path);
    char *err;
    cr_assert_eq(run_ringsim(a, NULL, &err), 0);
    json_t *st = json_load_file(path, 0, NULL);
    json_t *mg = migration_of(st);
    cr_assert_eq(count_of(err, " migrate vm=0 round="), num(mg, "rounds"), "one event per round: %s", err);
    snprintf(want, sizeof want, " stop-and-copy pages=%lld downtime=%lld ", num(mg, "final_pages"), num(mg, "downtime"));
    cr_assert(strstr(err, want), "'%s' in %s", want, err);
    cr_assert(strstr(err, " resume stale_pages=0 "), "%s", err);
    json_decref(st);
    free(err);
    unlink(path);
    rmdir(dir);
}

Test(migrate, trace_and_event_pane_show_save_restore_and_clones)
{
    const char *dir = temp_dir();
    char save[256], a[640], want[128];
    snprintf(save, sizeof save, "%s/m.save", dir);
    snprintf(a, sizeof a, "run " WORKLOAD " --args 4 --mode hw --save-at 2000000:%s --trace migrate", save);
    char *err;
    cr_assert_eq(run_ringsim(a, NULL, &err), 0);
    FILE *f = fopen(save, "rb");
    cr_assert(f);
    fseek(f, 0, SEEK_END);
    snprintf(want, sizeof want, " migrate vm=0 saved bytes=%ld ", ftell(f));
    fclose(f);
    cr_assert(strstr(err, want), "'%s' in %s", want, err);
    free(err);
    snprintf(a, sizeof a, "run %s --trace migrate", save);
    cr_assert_eq(run_ringsim(a, NULL, &err), 0);
    cr_assert_eq(count_of(err, " migrate vm=0 restored "), 1, "%s", err);
    free(err);
    snprintf(a, sizeof a, "run %s --clones 2 --trace migrate", save);
    cr_assert_eq(run_ringsim(a, NULL, &err), 0);
    cr_assert(strstr(err, " cloned clones=2 shared_pages=2048 "), "two clones of 1,024 pages share them all: %s", err);
    free(err);
    /* the debugger: its save command, and a machine it restored */
    char cmds[256];
    snprintf(cmds, sizeof cmds, "%s/cmds", dir);
    f = fopen(cmds, "w");
    fprintf(f, "step 100\nsave %s\ninfo events 1\nquit\n", save);
    fclose(f);
    snprintf(a, sizeof a, "debug " WORKLOAD " --mode hw --batch %s", cmds);
    char *out;
    run_ringsim(a, &out, &err);
    cr_assert(strstr(out, " migrate vm=0 saved bytes="), "the event pane: %s", out);
    free(out);
    free(err);
    f = fopen(cmds, "w");
    fprintf(f, "info events 1\nquit\n");
    fclose(f);
    snprintf(a, sizeof a, "debug %s --batch %s", save, cmds);
    run_ringsim(a, &out, &err);
    cr_assert(strstr(out, " migrate vm=0 restored cost=0"), "the event pane: %s", out);
    free(out);
    free(err);
    unlink(cmds);
    unlink(save);
    rmdir(dir);
}

/* ringsim compare --migration: a row per (write rate, link, stop condition,
 * pre/post-copy), each the figures of one real migration — the same as
 * `ringsim run` gives for that setting — in the table, CSV and JSON. */
Test(migrate, compare_migration_rows_are_the_runs_figures)
{
    const char *dir = temp_dir();
    char csv[256], js[256], a[768];
    snprintf(csv, sizeof csv, "%s/m.csv", dir);
    snprintf(js, sizeof js, "%s/m.json", dir);
    snprintf(a, sizeof a, "compare --migration --rates 4,64 --links 2 --stop-pages 16,300 --copy pre,post "
                          "--csv %s --json %s", csv, js);
    int status;
    char *out = run_out(a, &status);
    cr_assert_eq(status, 0, "%s", out);
    cr_assert(strstr(out, "rounds") && strstr(out, "downtime"), "%s", out);
    json_t *rows = json_load_file(js, 0, NULL);
    cr_assert(json_is_array(rows) && json_array_size(rows) == 8, "2 rates x 2 stop conditions x pre/post");
    char *text = slurp(csv);
    cr_assert_eq(count_of(text, "\n"), 9, "a header and 8 rows: %s", text);
    size_t i;
    json_t *r;
    int converged_by_stop = 0;
    json_array_foreach(rows, i, r) {
        const char *rate = json_string_value(json_object_get(r, "rate"));
        const char *stop = json_string_value(json_object_get(r, "stop_pages"));
        bool post = !strcmp(json_string_value(json_object_get(r, "copy")), "post");
        cr_assert(json_is_true(json_object_get(r, "same_output")), "row %zu: the guest's output", i);
        cr_assert_eq(num(r, "stale_pages"), 0, "row %zu", i);
        if (post) cr_assert_eq(num(r, "rounds"), 0, "post-copy has no round");
        /* the row is the run's own figures */
        snprintf(a, sizeof a, "run " WORKLOAD " --args %s --mode hw " MOVE " --link 2:10000 --stop-pages %s%s", rate,
                 stop, post ? " --post-copy" : "");
        json_t *st = stats_of(a);
        json_t *mg = migration_of(st);
        static const char *const keys[] = {"rounds", "pages_sent", "final_pages", "downtime", "total_cycles"};
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
            cr_assert_eq(num(r, keys[k]), num(mg, keys[k]), "row %zu (%s): %s", i, a, keys[k]);
        cr_assert_str_eq(json_string_value(json_object_get(r, "stop_reason")),
                         json_string_value(json_object_get(mg, "stop_reason")));
        /* a rate the link cannot keep up with converges only under a looser stop condition */
        if (!post && !strcmp(rate, "64"))
            converged_by_stop += (!strcmp(json_string_value(json_object_get(r, "stop_reason")), "converged") ? 1 : 0) *
                                 (!strcmp(stop, "300") ? 1 : -1);
        json_decref(st);
    }
    cr_assert_eq(converged_by_stop, 1, "rate 64 on 2 bytes per cycle: converged with --stop-pages 300, not 16");
    json_decref(rows);
    free(text);
    free(out);
    unlink(csv);
    unlink(js);
    rmdir(dir);
}

Test(migrate, compare_migration_refuses_bad_arguments_with_the_reason)
{
    static const struct {
        const char *args, *says;
    } cases[] = {
        {"compare --migration --rates 4,x", "--rates: expected"},
        {"compare --migration --copy sideways", "--copy 'sideways'"},
        {"compare --migration --max-rounds 65", "--max-rounds"},
        {"compare --migration --mode te --copy post --rates 4 --links 8", "post-copy fetches pages on demand"},
        {"compare --migration dirty dirty", "one workload at most"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *err;
        int st = run_ringsim(cases[i].args, NULL, &err);
        cr_expect_eq(st, 2, "%s: exit status %d", cases[i].args, st);
        cr_expect(strstr(err, cases[i].says), "%s: said '%s'", cases[i].args, err);
        free(err);
    }
}

/* A VM with a network interface moves with it: its registers and the
 * frames in flight to it go with the state, and its DMA into the VM is
 * logged as the guest's writes are (none reaches the target stale).
 * netping prints the checksum of a run that never moved under each dirty
 * log (its round-trip line is a timing, which the move's cost changes). */
Test(migrate, a_vm_with_a_network_interface_moves_with_its_frames_in_flight, .timeout = 240)
{
    const char *dir = temp_dir();
    char a[512], path[256];
    snprintf(path, sizeof path, "%s/n.json", dir);
    for (size_t i = 0; i < sizeof techniques / sizeof techniques[0]; i++) {
        const char *t = techniques[i];
        int st;
        snprintf(a, sizeof a, "run netping --net --args 64 --mem 4M %s", t);
        char *still = run_out(a, &st);
        cr_assert_eq(st, 0, "%s: %s", t, still);
        cr_assert(strstr(still, "netping: 64 iterations, checksum"), "%s: %s", t, still);
        static const unsigned at[] = {250000, 400000};
        for (size_t k = 0; k < sizeof at / sizeof at[0]; k++) {
            snprintf(a, sizeof a, "run netping --net --args 64 --mem 4M %s --hosts 2 --migrate-at %u:1 --link 64 "
                     "--stats %s", t, at[k], path);
            char *moved = run_out(a, &st);
            cr_assert_eq(st, 0, "%s: %s", a, moved);
            size_t line = strcspn(still, "\n");
            cr_assert(strncmp(moved, still, line + 1) == 0, "%s at %u: printed\n%s\nnot\n%.*s", t, at[k], moved,
                      (int)line, still);
            json_t *s = json_load_file(path, 0, NULL);
            cr_assert(s, "%s: statistics", t);
            json_t *mg = migration_of(s);
            cr_assert(json_is_true(json_object_get(mg, "moved")), "%s at %u: the VM resumed on host 1", t, at[k]);
            cr_assert_eq(num(mg, "stale_pages"), 0, "%s at %u: %lld pages reached the target stale", t, at[k],
                         num(mg, "stale_pages"));
            json_decref(s);
            free(moved);
        }
        free(still);
    }
}

Test(migrate, a_network_interface_is_not_moved_by_post_copy)
{
    char *err;
    int st = run_ringsim("run netping --net --mode hw --hosts 2 --migrate-at 100000:1 --post-copy", NULL, &err);
    cr_assert_eq(st, 2);
    cr_assert(strstr(err, "post-copy with a network interface"), "%s", err);
    free(err);
}
