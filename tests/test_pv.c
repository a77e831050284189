/*
 * test_pv.c — paravirtualisation: the paravirtual build of the kernel prints
 * what the native kernel prints, with hypercalls instead of sensitive
 * instructions, no shadow tables and no tracing faults; the hypervisor
 * validates every page-table update and contains a guest that asks for
 * someone else's memory.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/helpers.h"


static json_int_t num3(json_t *o, const char *a, const char *b, const char *c)
{
    return json_integer_value(json_object_get(json_object_get(json_object_get(o, a), b), c));
}

Test(pv, every_workload_prints_the_same_as_bare_metal)
{
    const char *w[] = {"syscall", "pgfault", "ptemod", "ctxswitch", "compute", "tlbstride", "forkwait",
                       "kernel_faults"};
    const char *args[] = {"300", "40", "30", "60", "3000", "2", "4", ""};
    for (int i = 0; i < 8; i++)
        for (int levels = 2; levels <= 4; levels += 2) {
            char a[256];
            int s1, s2;
            snprintf(a, sizeof a, "run %s --levels %d %s%s", w[i], levels, *args[i] ? "--args " : "", args[i]);
            char *native = run_out(a, &s1);
            snprintf(a, sizeof a, "run %s --levels %d %s%s --mode pv", w[i], levels, *args[i] ? "--args " : "",
                     args[i]);
            char *pv = run_out(a, &s2);
            cr_assert_eq(s2, s1, "%s pv: %s", w[i], pv);
            cr_assert_str_eq(pv, native, "%s at %d levels", w[i], levels);
            cr_assert_null(strstr(pv, "RED PILL"));
            free(native);
            free(pv);
        }
}

Test(pv, hypercalls_replace_traps_and_no_shadow_is_needed)
{
    json_t *o = stats_of("run ptemod --args 30 --mode pv --levels 4");
    cr_assert_str_eq(json_string_value(json_object_get(o, "mode")), "pv");
    cr_assert_str_eq(json_string_value(json_object_get(o, "mmu")), "none");
    cr_assert_eq(stats_num(o, "shadow", "hidden_faults"), 0);
    cr_assert_eq(stats_num(o, "shadow", "tracing_faults"), 0);
    cr_assert_eq(stats_num(o, "te", "emulated"), 0, "a paravirtual kernel executes no privileged instruction");
    cr_assert_eq(num3(o, "traps", "by_cause", "protection"), 0);
    json_int_t calls = stats_num(o, "pv", "hypercalls"), updates = stats_num(o, "pv", "updates");
    json_int_t batches = stats_num(o, "pv", "batches");
    cr_assert_eq(num3(o, "traps", "by_cause", "hypercall"), calls, "each hypercall is one trap");
    cr_assert_gt(num3(o, "pv", "by_op", "update_va"), 0, "ptemod's protect calls change one entry each");
    cr_assert_geq(updates, 30 * 2, "every PTE change is a validated update");
    cr_assert_lt(batches * 4, updates, "updates go in batches");
    cr_assert_gt(stats_num(o, "pv", "traps_replaced"), calls, "a hypercall stands for several traps");
    cr_assert_eq(stats_num(o, "pv", "refused"), 0);
    cr_assert_gt(stats_num(o, "pv", "tables_validated"), 0);
    /* cycles by cause still add up */
    json_int_t sum = 0;
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(o, "cycles_by_cause"), k, v) sum += json_integer_value(v);
    cr_assert_eq(sum, json_integer_value(json_object_get(o, "cycles")));
    json_t *te = stats_of("run ptemod --args 30 --mode te --isa strict --levels 4");
    cr_assert_lt(stats_num(o, "traps", "total") * 3, stats_num(te, "traps", "total"),
                 "pv traps far less than trap-and-emulate: %lld vs %lld", (long long)stats_num(o, "traps", "total"),
                 (long long)stats_num(te, "traps", "total"));
    json_decref(te);
    json_decref(o);
}

Test(pv, the_same_run_gives_the_same_cycles)
{
    json_t *a = stats_of("run forkwait --args 3 --mode pv --levels 4");
    json_t *b = stats_of("run forkwait --args 3 --mode pv --levels 4");
    cr_assert_eq(json_integer_value(json_object_get(a, "cycles")), json_integer_value(json_object_get(b, "cycles")));
    cr_assert_eq(stats_num(a, "pv", "type_flushes"), stats_num(b, "pv", "type_flushes"));
    json_decref(a);
    json_decref(b);
}

Test(pv, a_kernel_that_is_not_paravirtual_is_refused_clearly)
{
    char *err;
    int st = run_ringsim("run hello --mode pv", NULL, &err);
    cr_assert_neq(st, 0);
    cr_assert(strstr(err, "not a paravirtual kernel: privileged instruction out"), "%s", err);
    free(err);
    st = run_ringsim("run syscall --mode pv --mmu shadow", NULL, &err);
    cr_assert_eq(st, 2);
    cr_assert(strstr(err, "--mode pv takes no --mmu"), "%s", err);
    free(err);
    st = run_ringsim("run syscall compute --mode pv", NULL, &err);
    cr_assert_eq(st, 2, "%s", err);
    free(err);
}

Test(pv, a_guest_asking_for_memory_outside_its_own_is_contained)
{
    /* labs/pv/adversary.s: every attempt that fails as it should sets a bit
     * of the exit code */
    const char *dir = temp_dir();
    const char *img = root_path("build/labs/pv/adversary.img");
    char a[512], path[160];
    snprintf(path, sizeof path, "%s/s.json", dir);
    snprintf(a, sizeof a, "run %s --mem 4M --mode pv --levels 2 --stats %s", img, path);
    int st;
    char *out = run_out(a, &st);
    json_t *o = json_load_file(path, 0, NULL);
    cr_assert(o, "%s", out);
    json_t *vm = json_array_get(json_object_get(o, "vms"), 0);
    int code = (int)json_integer_value(json_object_get(vm, "exit_code"));
    cr_assert_eq(code, 255, "every attempt contained, every legal update done: exit code %d (%s)", code, out);
    cr_assert_eq(stats_num(o, "pv", "refused"), 4, "the bad root, the outside frame, the writable table twice");
    json_decref(o);
    free(out);
}

Test(pv, dot_draws_the_guests_own_tables_and_its_walk)
{
    const char *dir = temp_dir();
    char a[512], path[160], *err;
    snprintf(path, sizeof path, "%s/pv.dot", dir);
    snprintf(a, sizeof a, "dot syscall --mode pv --levels 4 --table guest --walk 0x40000000 --at 1500000 -o %s", path);
    cr_assert_eq(run_ringsim(a, NULL, &err), 0, "%s", err);
    free(err);
    char *dot = slurp(path);
    cr_assert(dot);
    int refs = 0;
    for (const char *p = dot; (p = strstr(p, "// walk ref ")); p++) refs++;
    cr_assert_eq(refs, 4, "no shadow, no host table: the MMU walks the guest's 4 levels");
    free(dot);
    snprintf(a, sizeof a, "dot -Tsvg %s -o %s/pv.svg 2>&1", path, dir);
    cr_assert_eq(system(a), 0, "Graphviz accepts it");
    cr_assert_eq(run_ringsim("dot syscall --mode pv --table shadow", NULL, &err), 2);
    cr_assert(strstr(err, "paravirtual: there is no shadow table"), "%s", err);
    free(err);
}

Test(pv, the_debugger_shows_the_paravirtual_builds_symbols)
{
    const char *dir = temp_dir();
    char a[512], path[160], *out;
    snprintf(path, sizeof path, "%s/b.txt", dir);
    FILE *f = fopen(path, "w");
    cr_assert(f);
    fputs("info pv\nbreak trap syscall\ncontinue\ninfo pt\ninfo pv\nquit\n", f);
    fclose(f);
    snprintf(a, sizeof a, "debug syscall --mode pv --args 5 --batch %s", path);
    cr_assert_eq(run_ringsim(a, &out, NULL), 0, "%s", out);
    char want[96];
    snprintf(want, sizeof want, "v:0x%08x <trap_entry>", guest_sym("pv/syscall", "trap_entry"));
    cr_assert(strstr(out, want), "stops in the pv build's trap_entry (%s):\n%s", want, out);
    cr_assert_neq(guest_sym("pv/syscall", "trap_entry"), guest_sym("syscall", "trap_entry"));
    cr_assert(strstr(out, "P-----G"), "its page tables are mapped read-only to it:\n%s", out);
    cr_assert(strstr(out, "the hypervisor's 1:1 boot map"), "info pv at boot:\n%s", out);
    cr_assert(strstr(out, "paging: the guest's own tables, root g:"), "info pv later:\n%s", out);
    cr_assert(strstr(out, "last trap delivered: cause syscall"), "%s", out);
    cr_assert(strstr(out, "pinned roots: g:"), "%s", out);
    free(out);
}

Test(pv, no_hypercall_keeps_the_hypervisor_busy_for_long)
{
    /* a console write and an update list of absurd lengths: each call does
     * at most 4096 and says how many it did (here the whole 4096: the
     * boot map maps all of the VM's memory) */
    const char *src =
        ".text\n_start: la r2, shared\n li r1, 1\n vmcall\n"
        " la r2, msg\n lui r3, 0x7fff\n li r1, 14\n vmcall\n mov r8, r1\n"      /* console_write */
        " la r2, list\n li r3, -1\n li r1, 4\n vmcall\n mov r9, r1\n"           /* mmu_update */
        " li r10, 0\n li r4, 4096\n bne r9, r4, 1f\n ori r10, r10, 1\n"
        "1: bne r8, r4, 2f\n ori r10, r10, 2\n"
        "2: li r2, 0\n mov r3, r10\n li r1, 13\n vmcall\n"                     /* out power, r10 */
        ".data\n.align 4\nshared: .space 48\nmsg: .asciz \"hi\"\n.align 4\nlist: .space 64\n";
    const char *dir = temp_dir();
    const char *img = assemble(dir, "pvlong", src);
    char a[512], path[160];
    snprintf(path, sizeof path, "%s/s.json", dir);
    snprintf(a, sizeof a, "run %s --mem 1M --mode pv --max-cycles 100000000 --stats %s", img, path);
    int st;
    char *out = run_out(a, &st);
    cr_assert_eq(st, 3, "4096 updates done and 4096 bytes written, promptly: %d", st);
    cr_assert(strncmp(out, "hi", 2) == 0, "%s", out);
    free(out);
}

/* The kernel queues its page-table updates and sends them PV_BATCH (32) at
 * a time (guests/kernel/pv.s; labs/pvbatch).  The same kernel built with
 * -D PV_BATCH=1 sends one hypercall an update: it prints the same, sends
 * the same updates, but in many more hypercalls and cycles.  The bundled
 * image is what -D PV_BATCH=32 builds: the flag only names the default. */
Test(pv, batching_the_page_table_updates_saves_hypercalls_and_cycles)
{
    const char *dir = temp_dir();
    char a[1024], *err;
    snprintf(a, sizeof a, "asm %s -o %s/fw1.img -D PV=1 -D PV_BATCH=1", root_path("guests/forkwait.s"), dir);
    cr_assert_eq(run_ringsim(a, NULL, &err), 0, "%s", err);
    free(err);
    snprintf(a, sizeof a, "asm %s -o %s/fw32.img -D PV=1 -D PV_BATCH=32", root_path("guests/forkwait.s"), dir);
    cr_assert_eq(run_ringsim(a, NULL, &err), 0, "%s", err);
    free(err);
    char cmpcmd[1024];
    snprintf(cmpcmd, sizeof cmpcmd, "cmp %s/fw32.img %s/pv/forkwait.img", dir, getenv("RINGSIM_GUESTS"));
    cr_assert_eq(system(cmpcmd), 0, "the bundled pv forkwait is the PV_BATCH=32 build");
    int s0, s1, s2;
    char *native = run_out("run forkwait --args 6 --levels 4", &s0);
    char *batched = run_out("run forkwait --args 6 --levels 4 --mode pv", &s1);
    snprintf(a, sizeof a, "run %s/fw1.img --args 6 --levels 4 --mode pv", dir);
    char *single = run_out(a, &s2);
    cr_assert(s0 == 0 && s1 == 0 && s2 == 0);
    cr_assert_str_eq(batched, native);
    cr_assert_str_eq(single, native);
    free(native);
    free(batched);
    free(single);
    json_t *b = stats_of("run forkwait --args 6 --levels 4 --mode pv");
    json_t *o = stats_of(a);
    json_int_t bu = stats_num(b, "pv", "updates"), ou = stats_num(o, "pv", "updates");
    json_int_t bm = num3(b, "pv", "by_op", "mmu_update"), om = num3(o, "pv", "by_op", "mmu_update");
    json_int_t ova = num3(o, "pv", "by_op", "update_va");
    cr_assert_eq(bu, ou, "the same updates, however they are sent: %lld vs %lld", (long long)bu, (long long)ou);
    cr_assert_eq(om, ou - ova, "unbatched: one mmu_update hypercall an update");
    cr_assert_leq(bm * 10, om, "batched: %lld mmu_update hypercalls, unbatched %lld", (long long)bm, (long long)om);
    cr_assert_lt(stats_num(b, "pv", "hypercalls") * 5, stats_num(o, "pv", "hypercalls"), "batching saves hypercalls");
    json_int_t bc = json_integer_value(json_object_get(b, "cycles")), oc = json_integer_value(json_object_get(o, "cycles"));
    cr_assert_lt(bc * 5, oc * 4, "and at least a fifth of the cycles: %lld vs %lld", (long long)bc, (long long)oc);
    cr_assert_eq(stats_num(b, "pv", "refused"), 0);
    cr_assert_eq(stats_num(o, "pv", "refused"), 0);
    json_decref(b);
    json_decref(o);
}

/* ringsim run --invariants under pv recounts the frame table from the pinned
 * roots after every hypercall that changes page tables (hypervisor/pv.c):
 * the real kernel keeps every rule, and checking changes nothing it can
 * see — the same output, exit status and statistics, cycle for cycle. */
Test(pv, invariants_hold_for_the_real_kernel_and_cost_it_nothing, .timeout = 120)
{
    const char *runs[] = {"forkwait --args 6 --levels 4", "ptemod --args 20 --levels 3", "ctxswitch --args 40 --levels 2",
                          "pgfault --args 40 --levels 2", "kernel_faults --levels 4"};
    for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
        char a[512], *out1, *out2, *err1, *err2;
        snprintf(a, sizeof a, "run %s --mode pv", runs[i]);
        int s1 = run_ringsim(a, &out1, &err1);
        snprintf(a, sizeof a, "run %s --mode pv --invariants", runs[i]);
        int s2 = run_ringsim(a, &out2, &err2);
        cr_assert_eq(s1, s2, "%s: %s", runs[i], err2);
        cr_assert_str_eq(out1, out2, "%s", runs[i]);
        cr_assert_null(strstr(err2, "invariant"), "%s: %s", runs[i], err2);
        free(out1);
        free(out2);
        free(err1);
        free(err2);
        snprintf(a, sizeof a, "run %s --mode pv", runs[i]);
        json_t *plain = stats_of(a);
        snprintf(a, sizeof a, "run %s --mode pv --invariants", runs[i]);
        json_t *checked = stats_of(a);
        cr_assert(json_equal(plain, checked), "%s: the statistics differ with --invariants", runs[i]);
        cr_assert_gt(stats_num(checked, "pv", "updates"), 0);
        json_decref(plain);
        json_decref(checked);
    }
}
