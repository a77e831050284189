/*
 * test_lanes.c — `ringsim lanes`: the SVG is well-formed XML (xmllint), it
 * has boxes in the lanes the technique runs in, and the boxes of the window
 * add up to its cycles; windows by system call and by cycles; the errors
 * said before the run, and no file left behind.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/helpers.h"
#include "tests/rows.h"

/* An attribute's number after position p: data-cycles="123" -> 123. */
static long long attr(const char *p, const char *name)
{
    char key[48];
    snprintf(key, sizeof key, " %s=\"", name);
    const char *a = strstr(p, key);
    cr_assert(a, "%s in %.80s", name, p);
    return strtoll(a + strlen(key), NULL, 10);
}

struct boxes {
    long long window, sum;         /* the svg's data-cycles, and its boxes' */
    int per_lane[5];               /* boxes in rings -1..3 */
};

static struct boxes read_boxes(const char *svg)
{
    struct boxes b = {0};
    const char *root = strstr(svg, "<svg ");
    cr_assert(root);
    b.window = attr(root, "data-cycles");
    for (const char *p = svg; (p = strstr(p, "<rect class=\"slice\"")) != NULL; p++) {
        long long lane = attr(p, "data-lane");
        cr_assert(lane >= -1 && lane <= 3);
        b.per_lane[lane + 1]++;
        b.sum += attr(p, "data-cycles");
    }
    return b;
}

/* Draws with `ringsim lanes ARGS -o DIR/l.svg`, checks it with xmllint, returns the text. */
static char *lanes(const char *args, const char *dir)
{
    char a[512], path[256], cmd[600];
    snprintf(path, sizeof path, "%s/l.svg", dir);
    snprintf(a, sizeof a, "lanes %s -o %s", args, path);
    char *err = NULL;
    int st = run_ringsim(a, NULL, &err);
    cr_assert_eq(st, 0, "%s: %s", a, err);
    free(err);
    snprintf(cmd, sizeof cmd, "xmllint --noout '%s'", path);
    cr_assert_eq(system(cmd), 0, "%s is well-formed XML", path);
    char *svg = slurp(path);
    cr_assert(svg);
    unlink(path);
    return svg;
}

/* One system call of the syscall workload under each technique: the lanes it uses. */
static const struct {
    const char *args;
    int lanes[5];                  /* 1: boxes expected in ring -1..3, 0: none */
} syscalls[] = {
    {"syscall --args 3 --syscall 2", {0, 1, 0, 0, 1}},
    {"syscall --args 3 --syscall 2 --mode te --isa strict", {1, 0, 1, 0, 1}},
    {"syscall --args 3 --syscall 3 --mode bt", {1, 0, 1, 0, 1}},
    {"syscall --args 3 --syscall 2 --mode hw", {0, 1, 0, 0, 1}},
    {"syscall --args 3 --syscall 2 --mode pv", {1, 0, 1, 0, 1}},
};
ROW_PARAMETERS(lanes, a_system_call_is_boxes_that_add_up_to_it, sizeof syscalls / sizeof syscalls[0])

ParameterizedTest(size_t *row, lanes, a_system_call_is_boxes_that_add_up_to_it)
{
    const char *dir = temp_dir();
    char *svg = lanes(syscalls[*row].args, dir);
    struct boxes b = read_boxes(svg);
    cr_assert_gt(b.window, 0);
    cr_assert_eq(b.sum, b.window, "%s: boxes of %lld cycles in a window of %lld", syscalls[*row].args, b.sum,
                 b.window);
    for (int l = 0; l < 5; l++)
        cr_assert_eq(b.per_lane[l] > 0, syscalls[*row].lanes[l], "%s: ring %d has %d boxes", syscalls[*row].args,
                     l - 1, b.per_lane[l]);
    cr_assert(strstr(svg, "trap syscall"), "the system call's trap is a box");
    free(svg);
    rmdir(dir);
}

Test(lanes, a_window_of_cycles_is_tiled_exactly)
{
    const char *dir = temp_dir();
    char *svg = lanes("syscall --args 5 --mode hw --from-cycle 200000 --to-cycle 230000", dir);
    struct boxes b = read_boxes(svg);
    cr_assert_eq(b.window, 30000);
    cr_assert_eq(b.sum, 30000);
    cr_assert_gt(b.per_lane[0], 0, "VM exits in ring -1");
    cr_assert(strstr(svg, "class=\"flow\""), "arrows from the guest to the hypervisor");
    cr_assert(strstr(svg, "Where the 30,000 cycles went"), "the table");
    free(svg);
    rmdir(dir);
}

Test(lanes, errors_are_said_before_the_run_and_leave_no_file)
{
    const char *dir = temp_dir();
    char a[512], path[256], *out, *err;
    snprintf(path, sizeof path, "%s/l.svg", dir);
    snprintf(a, sizeof a, "lanes syscall --args 3 --syscall 99 -o %s", path);
    cr_assert_eq(run_ringsim(a, &out, &err), 1);
    cr_assert(strstr(err, "--syscall 99: the guest made 6 system calls from ring 3"), "%s", err);
    cr_assert_neq(access(path, F_OK), 0);
    free(out), free(err);
    cr_assert_eq(run_ringsim("lanes syscall -o /nonexistent/dir/l.svg", &out, &err), 2);
    cr_assert(strstr(err, "no such directory /nonexistent/dir"), "%s", err);
    free(out), free(err);
    cr_assert_eq(run_ringsim("lanes syscall --from-cycle 9 --to-cycle 5 -o x.svg", &out, &err), 2);
    cr_assert(strstr(err, "--to-cycle 5: expected more than --from-cycle 9"), "%s", err);
    free(out), free(err);
    cr_assert_eq(run_ringsim("lanes syscall --syscall 2 --to-cycle 5 -o x.svg", &out, &err), 2);
    free(out), free(err);
    cr_assert_eq(run_ringsim("lanes syscall", &out, &err), 2);
    cr_assert(strstr(err, "expected -o FILE.svg"), "%s", err);
    free(out), free(err);
    snprintf(a, sizeof a, "ls -A '%s' | wc -l", dir);
    FILE *p = popen(a, "r");
    int n = -1;
    cr_assert(p && fscanf(p, "%d", &n) == 1);
    pclose(p);
    cr_assert_eq(n, 0, "nothing left in %s", dir);
    rmdir(dir);
}
