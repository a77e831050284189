/*
 * test_compare.c — `ringsim compare`: a row per mode, the same figures in
 * the table, the CSV and the JSON, the guests' outputs compared, modes this
 * build lacks listed rather than failed, charts that are real images, and
 * sweeps that run the grid.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/helpers.h"

/* A file the test expects to exist. */
static char *must_slurp(const char *path)
{
    char *s = slurp(path);
    cr_assert(s, "%s exists", path);
    return s;
}

/* A short workload: a few dozen system calls. */
#define WORKLOAD "syscall --args 30"


/* "1,234,567" -> 1234567 */
static long long uncomma(const char *s)
{
    long long v = 0;
    for (; *s == ',' || (*s >= '0' && *s <= '9'); s++)
        if (*s != ',') v = v * 10 + (*s - '0');
    return v;
}

/* The table row of a mode: the line that starts with its name and a space. */
static const char *table_row(const char *table, const char *mode)
{
    size_t n = strlen(mode);
    for (const char *l = table; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
        if (!strncmp(l, mode, n) && l[n] == ' ') return l;
    return NULL;
}

/* Field i (0-based) of a CSV line, quotes removed, into buf. */
static const char *csv_field(const char *line, int i, char *buf, size_t len)
{
    const char *p = line;
    for (int k = 0; k < i; k++) {
        bool q = false;
        while (*p && (q || *p != ',') && *p != '\n') q ^= *p++ == '"';
        if (*p == ',') p++;
    }
    size_t n = 0;
    bool q = false;
    while (*p && (q || *p != ',') && *p != '\n' && n + 1 < len) {
        if (*p == '"') q = !q;
        else buf[n++] = *p;
        p++;
    }
    buf[n] = 0;
    return buf;
}

static int csv_column(const char *header, const char *name)
{
    char buf[64];
    for (int i = 0; i < 64; i++)
        if (!strcmp(csv_field(header, i, buf, sizeof buf), name)) return i;
    cr_assert_fail("CSV has a column %s", name);
    return -1;
}

Test(compare, a_row_per_mode_and_the_table_csv_and_json_agree)
{
    const char *dir = temp_dir();
    char args[512], csv[128], js[128], svg[128], *out, *err;
    snprintf(csv, sizeof csv, "%s/c.csv", dir);
    snprintf(js, sizeof js, "%s/c.json", dir);
    snprintf(svg, sizeof svg, "%s/c.svg", dir);
    snprintf(args, sizeof args, "compare " WORKLOAD " --jobs 4 --csv %s --json %s --chart %s", csv, js, svg);
    cr_assert_eq(run_ringsim(args, &out, &err), 0, "%s\n%s", out, err);

    json_error_t jerr;
    json_t *root = json_load_file(js, 0, &jerr);
    cr_assert(root, "the JSON parses: %s", jerr.text);
    char *text = must_slurp(csv);
    const char *header = text, *line = strchr(text, '\n') + 1;
    int c_mode = csv_column(header, "mode"), c_cycles = csv_column(header, "cycles"),
        c_avail = csv_column(header, "available"), c_same = csv_column(header, "same_output"),
        c_exits = csv_column(header, "exits"), c_misses = csv_column(header, "tlb_misses");
    json_t *runs = json_object_get(root, "runs");
    cr_assert_gt(json_array_size(runs), 1);
    size_t i, available = 0;
    json_t *run;
    json_array_foreach(runs, i, run) {
        const char *mode = json_string_value(json_object_get(run, "mode"));
        const char *row = table_row(out, mode);
        char f[64];
        cr_assert(row, "the table has a row for %s", mode);
        cr_assert(line && *line, "the CSV has a line for %s", mode);
        cr_assert_str_eq(csv_field(line, c_mode, f, sizeof f), mode, "CSV and JSON list the modes in one order");
        if (!json_is_true(json_object_get(run, "available"))) {
            cr_assert(strstr(row, "not available in this build"), "%s", row);
            cr_assert_str_eq(csv_field(line, c_avail, f, sizeof f), "false");
        } else {
            available++;
            long long cycles = json_integer_value(json_object_get(run, "cycles"));
            cr_assert_gt(cycles, 0);
            cr_assert_eq(uncomma(row + strspn(row + strlen(mode), " ") + strlen(mode)), cycles,
                         "%s: the table's cycles are the JSON's", mode);
            cr_assert_eq(atoll(csv_field(line, c_cycles, f, sizeof f)), cycles, "%s: the CSV's cycles too", mode);
            cr_assert_eq(atoll(csv_field(line, c_exits, f, sizeof f)),
                         json_integer_value(json_object_get(run, "exits")), "%s: exits", mode);
            cr_assert_eq(atoll(csv_field(line, c_misses, f, sizeof f)),
                         json_integer_value(json_object_get(run, "tlb_misses")), "%s: TLB misses", mode);
            json_t *stats = json_object_get(run, "stats");
            cr_assert_eq(json_integer_value(json_object_get(stats, "cycles")), cycles, "the run's own stats");
            /* every mode prints what bare metal prints, except trap-and-emulate
             * on the classic ISA, whose red pills the kernel reports */
            bool same = json_is_true(json_object_get(run, "same_output"));
            cr_assert_str_eq(csv_field(line, c_same, f, sizeof f), same ? "true" : "false");
            if (strcmp(mode, "te+shadow")) {
                cr_assert(same, "%s prints what native prints: %s", mode, row);
                cr_assert(strstr(row, "same as native") || strstr(row, "the reference"), "%s", row);
            }
        }
        line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL;
    }
    cr_assert_geq(available, 2, "native and hw+nested at least");
    cr_assert(table_row(out, "native") && table_row(out, "hw+nested"));

    char *chart = must_slurp(svg);
    cr_assert(strstr(chart, "<svg"), "the chart is an SVG");
    cr_assert(strstr(chart, "cycles by cause"), "with a title");
    free(chart);
    free(text);
    json_decref(root);
    free(out);
    free(err);
    unlink(csv);
    unlink(js);
    unlink(svg);
    rmdir(dir);
}

Test(compare, classic_trap_and_emulate_differs_where_a_red_pill_runs_and_strict_agrees)
{
    char *out, *err;
    int st = run_ringsim("compare " WORKLOAD " --modes native,te+shadow", &out, &err);
    cr_assert_eq(st, 0, "%s", err);
    const char *row = table_row(out, "te+shadow");
    cr_assert(row);
    if (strstr(row, "not available")) {
        free(out);
        free(err);
        cr_skip_test("te is not in this build");
    }
    cr_assert(strstr(row, "DIFFERS from native") && strstr(row, "RED PILL"), "%s", row);
    free(out);
    free(err);
    cr_assert_eq(run_ringsim("compare " WORKLOAD " --isa strict --modes native,te+shadow", &out, &err), 0);
    cr_assert(strstr(table_row(out, "te+shadow"), "same as native"), "%s", out);
    free(out);
    free(err);
}

Test(compare, png_chart_is_a_png)
{
    const char *dir = temp_dir();
    char args[512], png[128];
    snprintf(png, sizeof png, "%s/c.png", dir);
    snprintf(args, sizeof args, "compare " WORKLOAD " --modes native,hw+nested --chart %s", png);
    cr_assert_eq(run_ringsim(args, NULL, NULL), 0);
    unsigned char magic[8] = {0};
    FILE *f = fopen(png, "rb");
    cr_assert(f);
    cr_assert_eq(fread(magic, 1, 8, f), 8);
    fclose(f);
    cr_assert(!memcmp(magic, "\x89PNG\r\n\x1a\n", 8), "a PNG file");
    unlink(png);
    rmdir(dir);
}

Test(compare, a_mode_this_build_lacks_is_listed_not_failed)
{
    char *out, *err;
    cr_assert_eq(run_ringsim("compare " WORKLOAD " --modes native,pv", &out, &err), 0, "%s", err);
    const char *row = table_row(out, "pv");
    cr_assert(row);
    /* pv arrives with issue #5; once it has, it simply runs */
    cr_assert(strstr(row, "not available in this build") || strstr(row, "same as native"), "%s", row);
    free(out);
    free(err);
}

Test(compare, sweep_runs_the_grid_and_charts_a_line_per_mode)
{
    const char *dir = temp_dir();
    char args[512], js[128], svg[128];
    snprintf(js, sizeof js, "%s/s.json", dir);
    snprintf(svg, sizeof svg, "%s/s.svg", dir);
    snprintf(args, sizeof args, "compare " WORKLOAD " --modes native,hw+nested --sweep levels=2,4 --json %s --chart %s",
             js, svg);
    char *out;
    cr_assert_eq(run_ringsim(args, &out, NULL), 0);
    cr_assert(strstr(out, "== levels = 2 ==") && strstr(out, "== levels = 4 =="), "%s", out);
    json_t *root = json_load_file(js, 0, NULL);
    cr_assert(root);
    json_t *runs = json_object_get(root, "runs");
    cr_assert_eq(json_array_size(runs), 4, "2 values x 2 modes");
    /* a deeper table makes every 2D walk longer: (n+1)(m+1)-1 */
    double at2 = json_real_value(json_object_get(json_array_get(runs, 1), "refs_per_walk"));
    double at4 = json_real_value(json_object_get(json_array_get(runs, 3), "refs_per_walk"));
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(runs, 3), "value")), "4");
    cr_assert_gt(at4, at2, "refs per walk under hw+nested: %.2f at 4 levels, %.2f at 2", at4, at2);
    char *chart = must_slurp(svg);
    cr_assert(strstr(chart, "<svg") && strstr(chart, "hw+nested"), "a line per mode, named in the legend");
    free(chart);
    json_decref(root);
    free(out);
    unlink(js);
    unlink(svg);
    rmdir(dir);
}

Test(compare, exit_cost_sweep_makes_every_exit_dearer)
{
    const char *dir = temp_dir();
    char args[512], js[128];
    snprintf(js, sizeof js, "%s/e.json", dir);
    snprintf(args, sizeof args, "compare " WORKLOAD " --modes hw+nested --sweep exit_cost=100,4000 --json %s", js);
    cr_assert_eq(run_ringsim(args, NULL, NULL), 0);
    json_t *root = json_load_file(js, 0, NULL), *runs = json_object_get(root, "runs");
    json_t *cheap = json_array_get(runs, 0), *dear = json_array_get(runs, 1);
    long long e0 = json_integer_value(json_object_get(cheap, "exits"));
    long long e1 = json_integer_value(json_object_get(dear, "exits"));
    cr_assert_gt(e0, 0);
    long long c0 = json_integer_value(json_object_get(json_object_get(cheap, "cycles_by_cause"), "vmexit"));
    long long c1 = json_integer_value(json_object_get(json_object_get(dear, "cycles_by_cause"), "vmexit"));
    cr_assert_eq(c0, e0 * 100, "each round trip costs the swept 100 cycles");
    cr_assert_eq(c1, e1 * 4000, "and then 4000");
    cr_assert_gt(json_integer_value(json_object_get(dear, "cycles")),
                 json_integer_value(json_object_get(cheap, "cycles")));
    json_decref(root);
    unlink(js);
    rmdir(dir);
}

Test(compare, bad_arguments_are_usage_errors)
{
    cr_assert_eq(run_ringsim("compare " WORKLOAD " --modes native,warp", NULL, NULL), 2);
    cr_assert_eq(run_ringsim("compare " WORKLOAD " --sweep colour=1,2", NULL, NULL), 2);
    cr_assert_eq(run_ringsim("compare " WORKLOAD " --chart c.gif", NULL, NULL), 2);
    cr_assert_eq(run_ringsim("compare no-such-image", NULL, NULL), 2);
}

/* `run --mode hw` is hw with nested paging; so is `compare --modes hw`. */
Test(compare, a_technique_alone_is_its_default_mmu_as_run_takes_it)
{
    const char *dir = temp_dir();
    char args[512], json[256], *out, *err;
    snprintf(json, sizeof json, "%s/c.json", dir);
    snprintf(args, sizeof args, "compare syscall --args 5 --modes hw,te,native --json %s", json);
    cr_assert_eq(run_ringsim(args, &out, &err), 0, "%s", err);
    cr_assert(table_row(out, "hw+nested") && table_row(out, "te+shadow") && table_row(out, "native"), "%s", out);
    free(out), free(err);
    json_t *o = json_load_file(json, 0, NULL);
    cr_assert(o);
    json_t *runs = json_object_get(o, "runs");
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(runs, 0), "mode")), "hw+nested");
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(runs, 1), "mode")), "te+shadow");
    json_decref(o);
    unlink(json);
    rmdir(dir);
    cr_assert_eq(run_ringsim("compare syscall --modes hw+nestd", NULL, &err), 2);
    cr_assert(strstr(err, "unknown mode 'hw+nestd'") && strstr(err, "did you mean hw+nested?"), "%s", err);
    free(err);
    cr_assert_eq(run_ringsim("compare syscall --args 12x", NULL, &err), 2);
    cr_assert(strstr(err, "--args '12x'"), "refused before any run: %s", err);
    free(err);
}
