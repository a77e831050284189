/*
 * test_containers_compare.c — `ringsim compare --isolation`: one service as
 * a process, a container and in a VM under every technique (cli/isolation.c,
 * guests/kernel/user/service.s).
 *
 * What it pins down: a row for each way of running the service and each
 * technique, the same in the table, the CSV and the JSON; and the shape the
 * lecture claims, as relations between measured figures, never constants: a
 * container takes longer to start than a process, a VM longer than a
 * container; a container costs the guest no frames a process does not, a VM
 * costs the hypervisor frames; a container's system calls and computing cost
 * what a process's do, and hardware assist computes near native speed.
 * The comparison runs before each test (a fixture: Criterion runs each test
 * in a process of its own), about a second.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/helpers.h"

static json_t *runs;          /* the JSON's "runs" */
static char *table, *csv;

static void compare_once(void)
{
    const char *dir = temp_dir();
    char args[1024], csvf[256], jsf[256], *err;
    snprintf(csvf, sizeof csvf, "%s/iso.csv", dir);
    snprintf(jsf, sizeof jsf, "%s/iso.json", dir);
    snprintf(args, sizeof args, "compare --isolation --jobs 2 --csv %s --json %s", csvf, jsf);
    int st = run_ringsim(args, &table, &err);
    cr_assert_eq(st, 0, "compare --isolation failed (%d):\n%s\n%s", st, table, err);
    free(err);
    json_error_t jerr;
    json_t *root = json_load_file(jsf, 0, &jerr);
    cr_assert(root, "the JSON parses: %s", jerr.text);
    runs = json_incref(json_object_get(root, "runs"));
    json_decref(root);
    csv = slurp(csvf);
    cr_assert(csv);
}

static void release(void)
{
    json_decref(runs);
    free(table);
    free(csv);
}

/* The run of that kind ("process", "container in VM") under technique. */
static json_t *run_of(const char *kind, const char *technique)
{
    size_t i;
    json_t *r;
    json_array_foreach(runs, i, r)
        if (!strcmp(json_string_value(json_object_get(r, "run")), kind) &&
            !strcmp(json_string_value(json_object_get(r, "technique")), technique))
            return r;
    cr_assert_fail("no run %s under %s", kind, technique);
    return NULL;
}

static long long num(json_t *r, const char *key)
{
    json_t *v = json_object_get(r, key);
    cr_assert(json_is_integer(v), "%s is a number", key);
    return json_integer_value(v);
}

static long long hv_frames(json_t *r)
{
    return json_integer_value(json_object_get(json_object_get(r, "footprint"), "hv_frames"));
}

TestSuite(containers_compare, .init = compare_once, .fini = release, .timeout = 120);

Test(containers_compare, a_row_for_each_way_and_technique_alike_in_table_csv_and_json)
{
    static const char *const kinds[] = {"process", "container", "VM", "container in VM"};
    int per_kind[4] = {0};
    size_t i, lines = 0;
    json_t *r;
    json_array_foreach(runs, i, r) {
        const char *kind = json_string_value(json_object_get(r, "run"));
        const char *tech = json_string_value(json_object_get(r, "technique"));
        cr_assert(json_is_true(json_object_get(r, "ok")), "%s under %s measured", kind, tech);
        for (int k = 0; k < 4; k++) per_kind[k] += !strcmp(kind, kinds[k]);
        bool native = !strcmp(tech, "native");
        cr_assert_eq(native, !strcmp(kind, "process") || !strcmp(kind, "container"), "%s %s", kind, tech);
        /* the table's row and the CSV's line say the same start-up */
        char row[96], line[128];
        snprintf(row, sizeof row, "%-16s %-10s %10lld ", kind, tech, num(r, "startup_cycles"));
        cr_assert(strstr(table, row), "table row '%s' in:\n%s", row, table);
        snprintf(line, sizeof line, "\n%s,%s,1,%lld,%lld,%lld,", kind, tech, num(r, "startup_cycles"),
                 num(r, "launch_cycles"), num(r, "guest_frames"));
        cr_assert(strstr(csv, line), "CSV line '%s' in:\n%s", line + 1, csv);
        lines++;
    }
    cr_assert_eq(per_kind[0], 1);
    cr_assert_eq(per_kind[1], 1);
    cr_assert_gt(per_kind[2], 3, "a VM under each technique");
    cr_assert_eq(per_kind[2], per_kind[3], "a container in a VM under each technique too");
    int csv_lines = 0;
    for (const char *p = csv; (p = strchr(p, '\n')); p++) csv_lines++;
    cr_assert_eq((size_t)csv_lines, lines + 1, "a header and a line per run");
}

Test(containers_compare, a_container_starts_slower_than_a_process_and_a_vm_slower_than_a_container)
{
    long long proc = num(run_of("process", "native"), "startup_cycles");
    long long ct = num(run_of("container", "native"), "startup_cycles");
    cr_assert_gt(ct, proc, "namespaces and a cgroup cost something: %lld > %lld", ct, proc);
    size_t i;
    json_t *r;
    json_array_foreach(runs, i, r) {
        if (strcmp(json_string_value(json_object_get(r, "technique")), "native")) {
            cr_assert_gt(num(r, "startup_cycles"), 2 * ct, "a VM boots a kernel first: %s %s",
                         json_string_value(json_object_get(r, "run")),
                         json_string_value(json_object_get(r, "technique")));
            cr_assert_gt(num(r, "startup_cycles"), num(r, "launch_cycles"));
        }
    }
}

Test(containers_compare, a_container_costs_the_guest_no_frames_and_a_vm_costs_the_hypervisor_some)
{
    json_t *proc = run_of("process", "native"), *ct = run_of("container", "native");
    cr_assert_eq(num(ct, "guest_frames"), num(proc, "guest_frames"),
                 "namespaces and cgroups live in the kernel's own tables");
    cr_assert_eq(hv_frames(proc), 0);
    size_t i;
    json_t *r;
    json_array_foreach(runs, i, r) {
        if (!strcmp(json_string_value(json_object_get(r, "technique")), "native")) continue;
        cr_assert_gt(hv_frames(r), 0, "%s", json_string_value(json_object_get(r, "technique")));
        cr_assert_eq(num(r, "guest_frames"), num(proc, "guest_frames"), "the same kernel counts the same");
    }
}

Test(containers_compare, a_containers_system_calls_and_computing_cost_what_a_processs_do)
{
    json_t *proc = run_of("process", "native"), *ct = run_of("container", "native");
    cr_assert_eq(num(ct, "syscall_phase_cycles"), num(proc, "syscall_phase_cycles"));
    cr_assert_eq(num(ct, "compute_phase_cycles"), num(proc, "compute_phase_cycles"));
    cr_assert_eq(num(ct, "syscalls"), num(proc, "syscalls"));
    /* hardware assist computes within 5% of native; trap-and-emulate's
     * system calls cost more than a process's */
    long long c0 = num(proc, "compute_phase_cycles");
    long long hw = num(run_of("VM", "hw+nested"), "compute_phase_cycles");
    cr_assert_lt(hw, c0 + c0 / 20, "%lld against %lld", hw, c0);
    cr_assert_gt(num(run_of("VM", "te+shadow"), "syscall_phase_cycles"), 2 * num(proc, "syscall_phase_cycles"));
}

Test(containers_compare, the_service_prints_the_same_everywhere_but_for_the_red_pills_and_the_docs_show_this_table)
{
    size_t i;
    json_t *r;
    json_array_foreach(runs, i, r) {
        const char *tech = json_string_value(json_object_get(r, "technique"));
        bool same = json_is_true(json_object_get(r, "same_output"));
        cr_assert_eq(same, strcmp(tech, "te+shadow") != 0, "%s: same %d", tech, same);
    }
    /* docs/containers.md shows the table as it is measured now (make docs) */
    char *doc = slurp(root_path("docs/containers.md"));
    cr_assert(doc);
    cr_assert(strstr(doc, table), "docs/containers.md is not what compare --isolation prints now; run make docs:\n%s",
              table);
    free(doc);
}
