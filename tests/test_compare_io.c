/*
 * test_compare_io.c — `ringsim compare --io`: the emulated device, the
 * split driver and pass-through for diskio and netping (cli/compare_io.c),
 * and what an emulated register access costs (hypervisor/vdev.c).
 *
 * What it pins down: a row for each way under each technique that can do
 * it, the same in the table, the CSV and the JSON, every guest printing
 * bare metal's checksum; the published shape as relations between measured
 * figures, never constants — an emulated device slower than bare metal,
 * the split driver with fewer exits and (under hw) nearer bare metal,
 * pass-through nearest, the IOMMU free for the disk's persistent mappings;
 * an emulated access charged the device access it stands for; the docs
 * showing the table as measured now; bad arguments refused with status 2.
 * The comparison runs once per test process (a fixture), a few seconds.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tests/helpers.h"

static json_t *rows;          /* the JSON's "rows" */
static char *table, *csv, chart[256];

static void compare_once(void)
{
    const char *dir = temp_dir();
    char args[1024], csvf[256], jsf[256], *err;
    snprintf(csvf, sizeof csvf, "%s/io.csv", dir);
    snprintf(jsf, sizeof jsf, "%s/io.json", dir);
    snprintf(chart, sizeof chart, "%s/io.svg", dir);
    snprintf(args, sizeof args, "compare --io --jobs 2 --csv %s --json %s --chart %s", csvf, jsf, chart);
    int st = run_ringsim(args, &table, &err);
    cr_assert_eq(st, 0, "compare --io failed (%d):\n%s\n%s", st, table, err);
    free(err);
    json_error_t jerr;
    json_t *root = json_load_file(jsf, 0, &jerr);
    cr_assert(root, "the JSON parses: %s", jerr.text);
    rows = json_incref(json_object_get(root, "rows"));
    json_decref(root);
    csv = slurp(csvf);
    cr_assert(csv);
}

static void release(void)
{
    json_decref(rows);
    free(table);
    free(csv);
}

static const char *str(json_t *r, const char *k) { return json_string_value(json_object_get(r, k)); }
static double real(json_t *r, const char *k)
{
    json_t *v = json_object_get(r, k);
    cr_assert(json_is_number(v), "%s is a number", k);
    return json_number_value(v);
}

/* The row of workload w, way, technique, VMs and IOMMU ("-", "on", "off"). */
static json_t *row_of(const char *w, const char *way, const char *technique, int vms, const char *iommu)
{
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r)
        if (!strcmp(str(r, "workload"), w) && !strcmp(str(r, "way"), way) && !strcmp(str(r, "technique"), technique) &&
            json_integer_value(json_object_get(r, "vms")) == vms && !strcmp(str(r, "iommu"), iommu))
            return r;
    cr_assert_fail("no row %s %s %s %d VMs IOMMU %s", w, way, technique, vms, iommu);
    return NULL;
}

TestSuite(compare_io, .init = compare_once, .fini = release, .timeout = 300);

Test(compare_io, a_row_for_each_way_and_technique_alike_in_table_csv_and_json)
{
    static const char *const techniques[] = {"hw+nested", "hw+shadow", "bt+shadow", "te+shadow", "pv"};
    static const char *const workloads[] = {"diskio", "netping"};
    for (int w = 0; w < 2; w++) {
        row_of(workloads[w], "bare metal", "native", 1, "-");
        for (size_t t = 0; t < sizeof techniques / sizeof techniques[0]; t++) {
            row_of(workloads[w], "emulated", techniques[t], 1, "-");
            row_of(workloads[w], "split", techniques[t], 1, "-");
        }
        row_of(workloads[w], "pass-through", "hw+nested", 1, "on");
    }
    row_of("diskio", "pass-through", "hw+nested", 1, "off");
    row_of("netping", "emulated", "hw+nested", 2, "-");
    row_of("netping", "split", "hw+nested", 2, "-");
    row_of("netping", "pass-through", "hw+nested", 2, "on");
    size_t i, n = 0;
    json_t *r;
    json_array_foreach(rows, i, r) {
        cr_assert(json_is_true(json_object_get(r, "ok")), "%s %s %s ran", str(r, "workload"), str(r, "way"),
                  str(r, "technique"));
        cr_assert(json_is_object(json_object_get(r, "stats")), "the run's statistics are in the JSON");
        /* the table's row and the CSV's line give the same figures */
        char line[256];
        snprintf(line, sizeof line, "%-12s %-9s %-10s %3lld %5s %8.1f %9.0f ", str(r, "way"), str(r, "driver"),
                 str(r, "technique"), json_integer_value(json_object_get(r, "vms")), str(r, "iommu"),
                 real(r, "exits_per_kb"), real(r, "cycles_per_kb"));
        cr_assert(strstr(table, line), "table row '%s' in:\n%s", line, table);
        snprintf(line, sizeof line, "\n%s,%s,%s,%s,%lld,%s,1,%.3f,%.1f,", str(r, "workload"), str(r, "way"),
                 str(r, "driver"), str(r, "technique"), json_integer_value(json_object_get(r, "vms")),
                 str(r, "iommu"), real(r, "exits_per_kb"), real(r, "cycles_per_kb"));
        cr_assert(strstr(csv, line), "CSV line '%s' in:\n%s", line + 1, csv);
        n++;
    }
    int csv_lines = 0;
    for (const char *p = csv; (p = strchr(p, '\n')); p++) csv_lines++;
    cr_assert_eq((size_t)csv_lines, n + 1, "a header and a line per row");
}

Test(compare_io, every_way_prints_bare_metals_checksum_and_moves_the_same_bytes)
{
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r) {
        cr_assert(json_is_true(json_object_get(r, "same_output")), "%s %s %s", str(r, "workload"), str(r, "way"),
                  str(r, "technique"));
        json_t *b = row_of(str(r, "workload"), "bare metal", "native", 1, "-");
        cr_assert_eq(json_integer_value(json_object_get(r, "dma_bytes")),
                     json_integer_value(json_object_get(b, "dma_bytes")), "the same work: %s %s %s",
                     str(r, "workload"), str(r, "way"), str(r, "technique"));
    }
}

Test(compare_io, an_emulated_device_is_slower_than_bare_metal_and_the_split_driver_exits_less)
{
    static const char *const techniques[] = {"hw+nested", "hw+shadow", "bt+shadow", "te+shadow", "pv"};
    static const char *const workloads[] = {"diskio", "netping"};
    for (int w = 0; w < 2; w++)
        for (size_t t = 0; t < sizeof techniques / sizeof techniques[0]; t++) {
            json_t *em = row_of(workloads[w], "emulated", techniques[t], 1, "-");
            json_t *sp = row_of(workloads[w], "split", techniques[t], 1, "-");
            cr_assert_lt(real(em, "throughput_vs_native"), 1.0, "%s %s emulated: %f", workloads[w], techniques[t],
                         real(em, "throughput_vs_native"));
            cr_assert_lt(real(sp, "throughput_vs_native"), 1.0, "%s %s split", workloads[w], techniques[t]);
            cr_assert_lt(real(sp, "exits_per_kb"), real(em, "exits_per_kb"), "%s %s: split %f, emulated %f",
                         workloads[w], techniques[t], real(sp, "exits_per_kb"), real(em, "exits_per_kb"));
        }
    /* the network's split driver rings a doorbell a batch and suppresses
     * interrupts: fewer of both than the register driver, natively too */
    json_t *reg = row_of("netping", "bare metal", "native", 1, "-"), *q = row_of("netping", "split", "hw+nested", 1, "-");
    cr_assert_lt(json_integer_value(json_object_get(q, "doorbells")), json_integer_value(json_object_get(reg, "doorbells")));
    cr_assert_lt(json_integer_value(json_object_get(q, "device_interrupts")),
                 json_integer_value(json_object_get(reg, "device_interrupts")));
}

Test(compare_io, under_hw_split_closes_the_gap_and_pass_through_comes_nearest_bare_metal)
{
    static const char *const workloads[] = {"diskio", "netping"};
    for (int w = 0; w < 2; w++) {
        double em = real(row_of(workloads[w], "emulated", "hw+nested", 1, "-"), "throughput_vs_native");
        double sp = real(row_of(workloads[w], "split", "hw+nested", 1, "-"), "throughput_vs_native");
        json_t *pt = row_of(workloads[w], "pass-through", "hw+nested", 1, "on");
        cr_assert_lt(em, sp, "%s: emulated %f, split %f", workloads[w], em, sp);
        cr_assert_lt(sp, real(pt, "throughput_vs_native"), "%s: split %f, passed through %f", workloads[w], sp,
                     real(pt, "throughput_vs_native"));
        cr_assert_lt(real(pt, "exits_per_kb"), real(row_of(workloads[w], "split", "hw+nested", 1, "-"), "exits_per_kb"),
                     "%s: none of pass-through's exits is the device's", workloads[w]);
        cr_assert_gt(real(pt, "iommu_walk_refs_per_kb"), 0, "%s: the IOMMU walked", workloads[w]);
    }
    /* the disk's IOMMU, mapped once for the VM's life, costs nothing */
    json_t *on = row_of("diskio", "pass-through", "hw+nested", 1, "on");
    json_t *off = row_of("diskio", "pass-through", "hw+nested", 1, "off");
    cr_assert_eq(json_integer_value(json_object_get(on, "cycles")), json_integer_value(json_object_get(off, "cycles")));
    cr_assert_eq(real(off, "iommu_walk_refs_per_kb"), 0);
}

Test(compare_io, the_chart_is_drawn_and_the_docs_show_this_table)
{
    char *svg = slurp(chart);
    cr_assert(svg, "the chart was written");
    cr_assert(strstr(svg, "<svg") && strstr(svg, "diskio") && strstr(svg, "netping"), "an SVG with both panels");
    free(svg);
    char *doc = slurp(root_path("docs/io.md"));
    cr_assert(doc);
    cr_assert(strstr(doc, table), "docs/io.md is not what compare --io prints now; run make docs:\n%s", table);
    free(doc);
}

/* ---- what an emulated access costs -------------------------------------- */

/* An emulated disk or NIC register access pays the device access it stands
 * for, io_access, as bare metal's does: the cycles of cause io are the
 * device's exits times io_access under every technique — and nothing for a
 * workload with no disk or NIC. */
Test(vdev_cost, an_emulated_register_access_pays_the_device_access)
{
    static const char *const modes[] = {"te", "bt", "hw", "pv"};
    char dir[64];   /* temp_dir's buffers are reused by the runs' own */
    snprintf(dir, sizeof dir, "%s", temp_dir());
    for (size_t k = 0; k < sizeof modes / sizeof modes[0]; k++) {
        char args[512];
        snprintf(args, sizeof args, "run diskio --mode %s --isa strict --args 4 --disk %s/%s.img:create=20K", modes[k],
                 dir, modes[k]);
        json_t *s = stats_of(args);
        json_t *disk = json_object_get(json_array_get(json_object_get(s, "vms"), 0), "disk");
        long long exits = json_integer_value(json_object_get(disk, "exits"));
        cr_assert_gt(exits, 0, "%s: the disk's accesses exit", modes[k]);
        cr_assert_eq(stats_num(s, "cycles_by_cause", "io"), exits * 1000, "%s: %lld exits of io_access 1000 (modern)",
                     modes[k], exits);
        json_decref(s);
        snprintf(args, sizeof args, "run netping --mode %s --isa strict --args 8 --net", modes[k]);
        s = stats_of(args);
        json_t *nic = json_object_get(json_array_get(json_object_get(json_object_get(s, "net"), "ports"), 0), "nic");
        long long acc = json_integer_value(json_object_get(nic, "port_accesses"));
        cr_assert_gt(acc, 0);
        cr_assert_eq(stats_num(s, "cycles_by_cause", "io"), acc * 1000, "%s: NIC accesses %lld", modes[k], acc);
        json_decref(s);
        snprintf(args, sizeof args, "run compute --mode %s --args 100", modes[k]);
        s = stats_of(args);
        cr_assert_eq(stats_num(s, "cycles_by_cause", "io"), 0, "%s: the console and timer pay no device access",
                     modes[k]);
        json_decref(s);
    }
}

/* Passed through, the guest's own accesses pay io_access on the CPU, as
 * natively, and the hypervisor pays nothing on top. */
Test(vdev_cost, a_passed_through_access_pays_it_once)
{
    const char *dir = temp_dir();
    char args[512];
    snprintf(args, sizeof args, "run diskio --mode hw --passthrough 0 --isa strict --args 4 --disk %s/pt.img:create=20K",
             dir);
    json_t *s = stats_of(args);
    json_t *vm = json_array_get(json_object_get(s, "vms"), 0);
    long long direct = json_integer_value(json_object_get(json_object_get(vm, "iommu"), "direct_accesses"));
    cr_assert_gt(direct, 0);
    cr_assert_eq(stats_num(s, "cycles_by_cause", "io"), direct * 1000);
    json_decref(s);
}

/* ---- bad arguments ------------------------------------------------------------ */

Test(compare_io_args, bad_arguments_are_refused_with_status_2_and_a_message)
{
    static const struct { const char *args, *says; } bad[] = {
        {"compare --io diskoi", "unknown workload 'diskoi'; expected diskio or netping"},
        {"compare --io diskoi", "did you mean diskio?"},
        {"compare --io --args 0", "--args '0': expected a number of iterations, 1..4096"},
        {"compare --io --args many", "--args 'many'"},
        {"compare --io --isa modern", "--isa 'modern': expected strict or classic"},
        {"compare --io --jobs 0", "--jobs '0': expected 1..64"},
        {"compare --io --timeout 0", "--timeout '0'"},
        {"compare --io --chart io.txt", "expected a file name ending in .svg or .png"},
        {"compare --io --profile nosuch", "profile 'nosuch' not found"},
        {"compare --io --csv /nonexistent-dir/x.csv", "--csv /nonexistent-dir/x.csv"},
        {"compare --io --frobnicate", "unrecognized option"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *out, *err;
        int st = run_ringsim(bad[i].args, &out, &err);
        cr_assert_eq(st, 2, "%s: exit status %d\n%s", bad[i].args, st, err);
        cr_assert(strstr(err, bad[i].says), "%s: '%s' in:\n%s", bad[i].args, bad[i].says, err);
        free(out);
        free(err);
    }
}

Test(compare_io_args, help_names_the_ways_and_the_options)
{
    static const char *const words[] = {"emulated", "split driver", "device passed", "IOMMU", "--args", "--csv",
                                        "--json", "--chart", "--jobs", "--timeout", "Exit status"};
    char *out, *err;
    int st = run_ringsim("compare --io --help", &out, &err);
    cr_assert_eq(st, 0);
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        cr_assert(strstr(out, words[i]), "'%s' in:\n%s", words[i], out);
    free(out);
    free(err);
    out = run_out("compare --help", &st);
    cr_assert(strstr(out, "compare --io"), "compare --help points to it:\n%s", out);
    free(out);
}
