/*
 * test_consolidate.c — consolidation (issue #15): `ringsim run … --hosts N
 * --balance PERIOD` runs several VMs on simulated hosts and live-migrates
 * them off lightly loaded hosts, powering emptied hosts off
 * (cli/datacentre.c, docs/migration.md "Consolidation").  And the bug found
 * on the way: under hw, the cycle limit while every VM waits in hlt must
 * stop the run as bare metal's hlt does, the VM still a VM.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/helpers.h"

static long long num(json_t *o, const char *key) { return json_integer_value(json_object_get(o, key)); }

/* phases spends most of its run halted: a save at cycle 15,000,000 (the
 * idle phase) stops the run there, writes the file, and runs on.  Before
 * the fix the hypervisor stopped in root mode at the guest's pc, and the
 * run went on executing the guest's code as the host: no VM exits, the
 * instructions no VM's. */
Test(consolidate, hw_cycle_limit_while_every_vm_is_halted_leaves_the_vm_a_vm)
{
    const char *dir = temp_dir();
    char a[512], save[256];
    snprintf(save, sizeof save, "%s/p.save", dir);
    int s_native, s_split, s_restored;
    char *native = run_out("run phases", &s_native);
    cr_assert_eq(s_native, 0);
    cr_assert(strstr(native, "phases: idle phase, 400 ticks"), "the workload ran: %s", native);
    for (int vms = 1; vms <= 2; vms++) {
        const char *images = vms == 1 ? "phases" : "phases phases --args 2";
        snprintf(a, sizeof a, "run %s --mode hw", images);
        json_t *whole = stats_of(a);
        snprintf(a, sizeof a, "run %s --mode hw --save-at 15000000:%s", images, save);
        char *out = run_out(a, &s_split);
        cr_assert_eq(s_split, 0, "%d VMs: exit status %d", vms, s_split);
        json_t *split = stats_of(a);
        /* every instruction of a hw run is a VM's: none ran in root mode */
        long long insns = num(split, "instructions"), vm_insns = 0;
        json_t *arr = json_object_get(split, "vms");
        for (size_t i = 0; i < json_array_size(arr); i++) vm_insns += num(json_array_get(arr, i), "instructions");
        cr_assert_eq(vm_insns, insns, "%d VMs: %lld instructions, %lld of them the VMs'", vms, insns, vm_insns);
        /* as bare metal stopped in hlt, the VM resumes past its hlt: its idle
         * loop looks once more and halts again — a few instructions, one
         * exit */
        long long extra = insns - num(whole, "instructions");
        cr_assert(extra >= 0 && extra <= 16, "%d VMs: %lld instructions more than the unbroken run", vms, extra);
        long long dex = num(json_object_get(split, "vmexits"), "total") -
                        num(json_object_get(whole, "vmexits"), "total");
        cr_assert(dex >= 0 && dex <= 2, "%d VMs: %lld exits more than the unbroken run", vms, dex);
        if (vms == 1) {
            cr_assert_str_eq(out, native, "the same output as bare metal");
            snprintf(a, sizeof a, "run %s", save);
            char *rest = run_out(a, &s_restored);
            cr_assert_eq(s_restored, 0);
            cr_assert(strstr(native, rest), "the restored run prints the rest: %s", rest);
            free(rest);
        }
        free(out);
        json_decref(whole);
        json_decref(split);
        unlink(save);
    }
    /* the stop itself says why */
    char *err;
    int st = run_ringsim("run phases --mode hw --max-cycles 15000000", NULL, &err);
    cr_assert_eq(st, 124, "a run that hits --max-cycles: exit status %d", st);
    cr_assert(strstr(err, "while every VM was halted"), "said: %s", err);
    free(err);
    free(native);
    rmdir(dir);
}

/* Four phases VMs, busy for 2, 4, 6 and 8 units, on four two-core hosts. */
#define DC "phases phases phases phases --mode hw --mem 1M --hosts 4 --vm-args 2,4,6,8"
#define BALANCE " --balance 1000000"
/* The same four with a quiet start first (the load rises, then falls),
 * packed onto one two-core host: two VMs to a core. */
#define OVER "phases phases phases phases --mode hw --mem 1M --hosts 4 --vm-args q2,q4,q6,q8 --placement pack " \
             "--overcommit 2"

/* The lines of VM "i:phases" in a data centre's output, without the name. */
static char *lines_of(const char *out, int vm)
{
    char tag[32];
    snprintf(tag, sizeof tag, "[%d:phases] ", vm);
    size_t cap = strlen(out) + 1, n = 0;
    char *r = calloc(cap, 1);
    for (const char *p = out; *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) + 1 : strlen(p);
        if (!strncmp(p, tag, strlen(tag))) {
            memcpy(r + n, p + strlen(tag), len - strlen(tag));
            n += len - strlen(tag);
        } else {
            cr_assert(p[0] == '[', "every line names its VM: %.*s", (int)len, p);
        }
        p += len;
    }
    return r;
}

Test(consolidate, every_vm_prints_what_it_prints_alone_with_and_without_balancing)
{
    static const char *const modes[] = {"--mode hw", "--mode hw --mmu shadow", "--mode te", "--mode bt"};
    for (size_t k = 0; k < sizeof modes / sizeof modes[0]; k++) {
        char a[512];
        int s1, s2;
        snprintf(a, sizeof a, "run phases phases phases phases %s --mem 1M --hosts 4 --vm-args 2,4,6,8", modes[k]);
        char *still = run_out(a, &s1);
        strcat(a, BALANCE);
        char *bal = run_out(a, &s2);
        cr_assert_eq(s1, 0, "%s: exit status %d", modes[k], s1);
        cr_assert_eq(s2, 0, "%s: exit status %d with balancing", modes[k], s2);
        for (int vm = 0; vm < 4; vm++) {
            char solo[256];
            int s3;
            snprintf(solo, sizeof solo, "run phases %s --mem 1M --args %d", modes[k], 2 * (vm + 1));
            char *alone = run_out(solo, &s3);
            cr_assert_eq(s3, 0);
            cr_assert(strstr(alone, "idle phase, 400 ticks"), "%s: the workload ran alone: %s", solo, alone);
            char *a1 = lines_of(still, vm), *a2 = lines_of(bal, vm);
            cr_assert_str_eq(a1, alone, "%s: VM %d without balancing prints what it prints alone", modes[k], vm);
            cr_assert_str_eq(a2, alone, "%s: VM %d with balancing prints what it prints alone", modes[k], vm);
            free(a1);
            free(a2);
            free(alone);
        }
        free(still);
        free(bal);
    }
}

Test(consolidate, hosts_on_fall_as_load_drops_and_balancing_saves_energy)
{
    json_t *st = stats_of("run " DC BALANCE), *nb = stats_of("run " DC);
    json_t *d = json_object_get(st, "datacentre"), *dn = json_object_get(nb, "datacentre");
    json_t *tl = json_object_get(d, "timeline"), *tn = json_object_get(dn, "timeline");
    cr_assert_eq(json_array_size(tl), json_array_size(tn), "both runs last as long");
    cr_assert_eq(num(json_array_get(tl, 0), "hosts_on"), 4, "spread: one VM per host at the start");
    /* while every VM still runs (all four placed), balancing brings the
     * hosts on down, never up, as the VMs' busy phases end one by one */
    long long prev = 4, fewest_while_all_run = 4;
    for (size_t i = 0; i < json_array_size(tl); i++) {
        json_t *s = json_array_get(tl, i);
        long long on = num(s, "hosts_on");
        cr_assert_leq(on, prev, "hosts on went up at cycle %lld", num(s, "cycle"));
        cr_assert_leq(on, num(json_array_get(tn, i), "hosts_on"), "never more hosts on than without balancing");
        prev = on;
        bool all = true;
        json_t *where = json_object_get(s, "vm_hosts");
        for (size_t v = 0; v < json_array_size(where); v++) all &= json_integer_value(json_array_get(where, v)) >= 0;
        if (all && on < fewest_while_all_run) fewest_while_all_run = on;
        /* and a host's load never passes what the balancer packs it to
         * because of a move: two busy VMs are never put together */
        json_t *load = json_object_get(s, "load_permille");
        for (size_t h = 0; h < json_array_size(load); h++)
            cr_assert_leq(json_integer_value(json_array_get(load, h)), 1000);
    }
    cr_assert_eq(fewest_while_all_run, 2, "four VMs, two cores a host: two hosts once they idle");
    cr_assert_gt(num(d, "moves_total"), 0, "the balancer moved VMs");
    cr_assert_eq(num(dn, "moves_total"), 0, "nothing moves without --balance");
    cr_assert_lt(num(d, "host_on_cycles"), num(dn, "host_on_cycles"));
    cr_assert_lt(num(d, "energy_uj"), num(dn, "energy_uj"), "balancing saves energy: %lld uJ against %lld uJ",
                 num(d, "energy_uj"), num(dn, "energy_uj"));
    /* the energy is the power model's, integrated: idle power x time on,
     * and the busy cores' */
    long long idle_mw = 60000, core_mw = 20000, sum = 0;
    json_t *hs = json_object_get(d, "host_stats");
    for (size_t h = 0; h < json_array_size(hs); h++) {
        json_t *x = json_array_get(hs, h);
        long long pj = idle_mw * num(x, "on_cycles") + core_mw * num(x, "busy_cycles");
        cr_assert_eq(num(x, "energy_uj"), pj / 1000000, "host %zu: the power model's energy", h);
        sum += pj;
    }
    cr_assert_eq(num(d, "energy_uj"), sum / 1000000);
    json_decref(st);
    json_decref(nb);
}

Test(consolidate, every_move_leaves_no_stale_page_and_the_run_is_deterministic)
{
    const char *dir = temp_dir();
    char a[512], p1[256], p2[256];
    snprintf(p1, sizeof p1, "%s/1.json", dir);
    snprintf(p2, sizeof p2, "%s/2.json", dir);
    static const char *const runs[] = {
        "run " DC BALANCE,
        /* bigger VMs on a slower link: a second round chases the pages
         * written while the first travelled */
        "run phases phases phases --mode hw --mem 4M --hosts 3 --vm-args 1,3,5 --balance 500000 --link 4",
        "run phases phases phases phases --mode te --mem 1M --hosts 4 --vm-args 2,4,6,8 --placement pack "
        "--host-cores 3" BALANCE,
        /* all four packed on one host, sharing its cores, spread and
         * consolidated again */
        "run " OVER BALANCE,
    };
    for (size_t k = 0; k < sizeof runs / sizeof runs[0]; k++) {
        snprintf(a, sizeof a, "%s --stats %s", runs[k], p1);
        int s1, s2;
        char *o1 = run_out(a, &s1);
        snprintf(a, sizeof a, "%s --stats %s", runs[k], p2);
        char *o2 = run_out(a, &s2);
        cr_assert(s1 == 0 && s2 == 0, "%s: exit status %d, %d", runs[k], s1, s2);
        char *j1 = slurp(p1), *j2 = slurp(p2);
        cr_assert(j1 && j2);
        cr_assert_str_eq(o1, o2, "%s: the same output twice", runs[k]);
        cr_assert_str_eq(j1, j2, "%s: the same statistics twice, cycle for cycle", runs[k]);
        json_t *st = json_loads(j1, 0, NULL), *d = json_object_get(st, "datacentre");
        json_t *mv = json_object_get(d, "moves");
        cr_assert_gt(json_array_size(mv), 0, "%s: moves", runs[k]);
        long long most_rounds = 0;
        for (size_t i = 0; i < json_array_size(mv); i++)
            if (num(json_array_get(mv, i), "rounds") > most_rounds) most_rounds = num(json_array_get(mv, i), "rounds");
        if (k == 1) cr_assert_geq(most_rounds, 2, "%s: pre-copy went round again", runs[k]);
        for (size_t i = 0; i < json_array_size(mv); i++) {
            json_t *m = json_array_get(mv, i);
            cr_assert_eq(num(m, "stale_pages"), 0, "%s: move %zu left %lld stale pages", runs[k], i,
                         num(m, "stale_pages"));
            if (json_is_true(json_object_get(m, "moved"))) {
                cr_assert_gt(num(m, "rounds"), 0);
                cr_assert_gt(num(m, "downtime"), 0);
                long long sent = num(m, "final_pages");
                json_t *pr = json_object_get(m, "pages_per_round");
                for (size_t r = 0; r < json_array_size(pr); r++) sent += json_integer_value(json_array_get(pr, r));
                cr_assert_eq(num(m, "pages_sent"), sent, "%s: move %zu: the rounds and stop-and-copy", runs[k], i);
            }
        }
        json_decref(st);
        free(o1);
        free(o2);
        free(j1);
        free(j2);
    }
    unlink(p1);
    unlink(p2);
    rmdir(dir);
}

Test(consolidate, trace_migrate_shows_rounds_stop_and_copy_and_resume)
{
    char *out, *err;
    int st = run_ringsim("run " DC BALANCE " --trace migrate", &out, &err);
    cr_assert_eq(st, 0);
    cr_assert(strstr(err, " migrate vm=0 round=1 pages=256"), "round 1 sends VM 0's 256 pages: %s", err);
    cr_assert(strstr(err, " stop-and-copy pages="), "stop-and-copy: %s", err);
    cr_assert(strstr(err, " resume stale_pages=0"), "resumed on the target: %s", err);
    /* one resume per move the statistics count */
    json_t *s = stats_of("run " DC BALANCE);
    long long moves = num(json_object_get(s, "datacentre"), "moves_total"), resumes = 0;
    for (const char *p = err; (p = strstr(p, " resume ")); p++) resumes++;
    cr_assert_eq(resumes, moves, "%lld resume lines for %lld moves", resumes, moves);
    cr_assert_eq(strstr(err, " exit "), NULL, "only the migrate category");
    json_decref(s);
    free(out);
    free(err);
    /* --migrate-at's single move is traced the same way */
    st = run_ringsim("run dirty --mem 4M --args 16 --mode hw --hosts 2 --migrate-at 3000000:1 --link 4 "
                     "--trace migrate", &out, &err);
    cr_assert_eq(st, 0);
    cr_assert(strstr(err, " round=2 "), "a second round: %s", err);
    cr_assert(strstr(err, " resume stale_pages=0"), "%s", err);
    free(out);
    free(err);
}

Test(consolidate, bad_arguments_are_refused_with_what_was_expected)
{
    static const struct {
        const char *args, *says;
    } cases[] = {
        {"run " DC " --host-cores 0", "--host-cores '0': expected cores per host, 1..8"},
        {"run " DC " --host-mem 3", "--host-mem '3': expected frames"},
        {"run " DC " --placement random", "--placement 'random': expected spread or pack"},
        {"run " DC " --balance 5", "--balance '5': expected cycles"},
        {"run " DC " --balance x", "--balance 'x': expected cycles"},
        {"run " DC " --power 10", "--power '10': expected IDLE:CORE"},
        {"run " DC " --power a:b", "--power 'a:b': expected IDLE:CORE"},
        {"run " DC " --overcommit 0", "--overcommit '0': expected VMs per core a host may take, 1..8"},
        {"run " DC " --overcommit 9", "--overcommit '9': expected VMs per core"},
        {"run " DC " --overcommit 1.5", "--overcommit '1.5': expected VMs per core"},
        {"run phases phases phases phases phases --mode hw --mem 1M --hosts 2 --host-cores 1 --overcommit 2",
         "VM 4 (4:phases, 256 frames) fits on no host"},
        {"run phases phases --mode hw --hosts 2 --vm-args 1,2,3", "--vm-args: 3 parameters for 2 VMs"},
        {"run phases phases --hosts 2 --balance 100000", "a data centre runs VMs: add --mode hw"},
        {"run phases phases --mode hw --host-large-pages --hosts 2 --balance 100000",
         "--balance moves VMs by live migration: --host-large-pages"},
        {"run phases phases phases --mode hw --hosts 2 --host-cores 1",
         "VM 2 (2:phases, 4096 frames) fits on no host"},
        {"run phases phases --mode hw --hosts 2 --host-mem 1000", "fits on no host"},
        {"run phases phases --mode hw --hosts 2 --migrate-at 100:1 --balance 100000", "without --migrate-at"},
        {"run phases phases --mode hw --balance 100000", "a data centre needs --hosts N"},
        {"run phases --mode hw --hosts 2", "add --migrate-at"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *out, *err;
        int st = run_ringsim(cases[i].args, &out, &err);
        cr_expect_eq(st, 2, "%s: exit status %d", cases[i].args, st);
        cr_expect(strstr(err, cases[i].says), "%s: said '%s'", cases[i].args, err);
        cr_expect_eq(out[0], 0, "%s: nothing ran: %s", cases[i].args, out);
        free(out);
        free(err);
    }
}

Test(consolidate, dot_draws_the_hosts_the_vms_and_every_move)
{
    const char *dir = temp_dir();
    char a[1024], stats[256], svg[256];
    snprintf(stats, sizeof stats, "%s/dc.json", dir);
    snprintf(svg, sizeof svg, "%s/dc.svg", dir);
    snprintf(a, sizeof a, "run " DC BALANCE " --stats %s", stats);
    int st;
    free(run_out(a, &st));
    cr_assert_eq(st, 0);
    json_t *s = json_load_file(stats, 0, NULL);
    json_t *d = json_object_get(s, "datacentre");
    long long moves = num(d, "moves_total");
    snprintf(a, sizeof a, "dot --datacentre %s", stats);
    char *text = run_out(a, &st);
    cr_assert_eq(st, 0);
    for (int h = 0; h < 4; h++) {
        char c[48];
        snprintf(c, sizeof c, "subgraph cluster_host%d {", h);
        cr_assert(strstr(text, c), "a cluster for host %d: %s", h, text);
    }
    long long edges = 0;
    for (const char *p = text; (p = strstr(p, " -> ")); p++) edges++;
    cr_assert_eq(edges, moves, "an edge per move: %lld edges, %lld moves", edges, moves);
    cr_assert(strstr(text, "switched off at cycle"), "a host the balancer switched off: %s", text);
    free(text);
    json_decref(s);
    /* rendered by Graphviz itself */
    snprintf(a, sizeof a, "dot --datacentre %s -o %s", stats, svg);
    free(run_out(a, &st));
    cr_assert_eq(st, 0);
    char *pic = slurp(svg);
    cr_assert(pic && strstr(pic, "<svg") && strstr(pic, "host 3"), "an SVG of the hosts");
    free(pic);
    /* what is not a data centre's statistics is refused, naming the file */
    char *err;
    snprintf(a, sizeof a, "dot --datacentre %s/nothing.json", dir);
    cr_assert_eq(run_ringsim(a, NULL, &err), 2);
    cr_assert(strstr(err, "nothing.json"), "%s", err);
    free(err);
    json_t *plain = stats_of("run phases --mode hw");
    char other[256];
    snprintf(other, sizeof other, "%s/plain.json", dir);
    json_dump_file(plain, other, 0);
    json_decref(plain);
    snprintf(a, sizeof a, "dot --datacentre %s", other);
    cr_assert_eq(run_ringsim(a, NULL, &err), 2);
    cr_assert(strstr(err, "expected the statistics of a data centre"), "%s", err);
    free(err);
    unlink(stats);
    unlink(svg);
    unlink(other);
    rmdir(dir);
}

/* --overcommit: VMs sharing a host's cores are paused while another runs,
 * their time stopped — so each prints exactly what it prints alone, packed
 * onto one host or spread by the balancer. */
Test(consolidate, every_vm_prints_what_it_prints_alone_with_overcommit_and_spreading)
{
    static const char *const modes[] = {"--mode hw", "--mode te", "--mode hw --mmu shadow"};
    for (size_t k = 0; k < sizeof modes / sizeof modes[0]; k++) {
        char a[512];
        int s1, s2;
        snprintf(a, sizeof a, "run phases phases phases phases %s --mem 1M --hosts 4 --vm-args q2,q4,q6,q8 "
                              "--placement pack --overcommit 2", modes[k]);
        char *shared = run_out(a, &s1);
        strcat(a, BALANCE);
        char *bal = run_out(a, &s2);
        cr_assert_eq(s1, 0, "%s: exit status %d", modes[k], s1);
        cr_assert_eq(s2, 0, "%s: exit status %d with balancing", modes[k], s2);
        for (int vm = 0; vm < 4; vm++) {
            char solo[256];
            int s3;
            snprintf(solo, sizeof solo, "run phases %s --mem 1M --args q%d", modes[k], 2 * (vm + 1));
            char *alone = run_out(solo, &s3);
            cr_assert_eq(s3, 0);
            cr_assert(strstr(alone, "quiet start, 200 ticks"), "%s: the quiet start ran alone: %s", solo, alone);
            cr_assert(strstr(alone, "idle phase, 400 ticks"), "%s: the workload ran alone: %s", solo, alone);
            char *a1 = lines_of(shared, vm), *a2 = lines_of(bal, vm);
            cr_assert_str_eq(a1, alone, "%s: VM %d sharing a core prints what it prints alone", modes[k], vm);
            cr_assert_str_eq(a2, alone, "%s: VM %d spread and consolidated prints what it prints alone", modes[k], vm);
            free(a1);
            free(a2);
            free(alone);
        }
        free(shared);
        free(bal);
    }
}

/* Four VMs packed on one two-core host: quiet at first, nothing moves; busy,
 * they want twice its cycles and the balancer spreads them (hosts on
 * rises, a host switched on); as their busy phases end it consolidates them
 * again (hosts on falls). */
Test(consolidate, a_packed_overloaded_host_is_spread_then_consolidated)
{
    json_t *st = stats_of("run " OVER BALANCE), *nb = stats_of("run " OVER);
    json_t *d = json_object_get(st, "datacentre"), *dn = json_object_get(nb, "datacentre");
    json_t *tl = json_object_get(d, "timeline"), *tn = json_object_get(dn, "timeline");
    cr_assert_eq(num(d, "overcommit"), 2);
    cr_assert_eq(num(json_array_get(tl, 0), "hosts_on"), 1, "packed: all four on host 0");
    /* quiet at first: host 0 under 25%; later overloaded, without balancing */
    json_t *l0 = json_object_get(json_array_get(tn, 1), "load_permille");
    cr_assert_lt(json_integer_value(json_array_get(l0, 0)), 250, "four quiet VMs on two cores");
    long long peak_load = 0;
    for (size_t i = 0; i < json_array_size(tn); i++) {
        long long l = json_integer_value(json_array_get(json_object_get(json_array_get(tn, i), "load_permille"), 0));
        if (l > peak_load) peak_load = l;
    }
    cr_assert_gt(peak_load, 1000, "four busy VMs on two cores: over 100%%");
    long long most = 0, peak_at = -1, last_on = -1;
    for (size_t i = 0; i < json_array_size(tl); i++) {
        long long on = num(json_array_get(tl, i), "hosts_on");
        if (on > most) most = on, peak_at = (long long)i;
        if (on) last_on = on;
    }
    cr_assert_geq(most, 2, "hosts on rose: at most %lld", most);
    cr_assert_lt(last_on, most, "hosts on fell again: %lld at the end, %lld at the peak", last_on, most);
    cr_assert_gt(peak_at, 0);
    cr_assert_geq(num(d, "spread_moves"), 1, "VMs moved off the overloaded host");
    cr_assert_geq(num(d, "power_ons"), 1, "a host switched on for them");
    cr_assert_gt(num(d, "moves_total"), num(d, "spread_moves"), "and moved back when idle");
    cr_assert_eq(num(d, "stale_pages"), 0);
    /* the first moves are spreads, off host 0, once the quiet start is over
     * (10,000,000 of each VM's own cycles, at half speed): none before */
    json_t *m0 = json_array_get(json_object_get(d, "moves"), 0);
    cr_assert_eq(num(m0, "from"), 0);
    cr_assert_neq(num(m0, "to"), 0);
    cr_assert_gt(num(m0, "cycle"), 10000000, "nothing moved while the VMs were quiet: %lld", num(m0, "cycle"));
    for (size_t i = 0; i < json_array_size(tl); i++)
        if (num(json_array_get(tl, i), "cycle") < num(m0, "cycle"))
            cr_assert_eq(num(json_array_get(tl, i), "hosts_on"), 1);
    /* without balancing nothing moves and host 0 alone runs them, longer:
     * sharing its cores, each VM's time passes at half speed while busy */
    cr_assert_eq(num(dn, "moves_total"), 0);
    cr_assert_eq(num(dn, "power_ons"), 0);
    for (size_t i = 0; i < json_array_size(tn); i++)
        cr_assert_leq(num(json_array_get(tn, i), "hosts_on"), 1);
    cr_assert_gt(json_array_size(tn), json_array_size(tl), "the shared host takes longer than the spread ones");
    /* without --overcommit, pack needs two hosts for four VMs */
    json_t *one = stats_of("run phases phases phases phases --mode hw --mem 1M --hosts 4 --vm-args q2,q4,q6,q8 "
                           "--placement pack");
    json_t *t1 = json_object_get(json_object_get(one, "datacentre"), "timeline");
    cr_assert_eq(num(json_array_get(t1, 0), "hosts_on"), 2);
    json_decref(one);
    json_decref(st);
    json_decref(nb);
}
