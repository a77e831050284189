/*
 * test_containers_cgns.c — cgroup namespaces (guests/kernel/cgns.s):
 * `ringsim run cgroupns` (guests/kernel/user/cgroupns.s).
 *
 * What they pin down: outside, the host names its groups by their numbers;
 * inside a container's cgroup namespace its own group is "/", number 0, and
 * reading the neighbour's group — or its own by the number the host uses —
 * is refused (-1), while moving into it, cloning into it and lifting its own
 * limit need root of the machine (E_PERM, -2); a namespace made again inside
 * keeps the same root; a process whose group was moved out of its
 * namespace's root gets -1 from getcgroup.  The kernel's counts in run
 * --stats ("cgroupns_made", "cgroupns_refused") are those attempts; the same
 * output natively and under every technique; `info ns` and `dot --processes`
 * show the namespace and its root, read from the guest's memory.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "isa/isa.h"
#include "tests/helpers.h"
#include "tests/rows.h"
#include "tests/test_debugger.h"

static char *cgns_out(const char *more)
{
    char a[256];
    int st;
    snprintf(a, sizeof a, "run cgroupns --isa strict %s", more);
    char *out = run_out(a, &st);
    cr_assert_eq(st, 0, "ringsim %s: exit status %d; output:\n%s", a, st, out);
    return out;
}

/* What the run printed. */
struct cgns_run {
    int host_view, ct_group, nb_group;                  /* the host's getcgroup, the two groups */
    int inside, procs, pids_max;                        /* the container's getcgroup and group 0's counters */
    int nb_named, nb_stat, own_named, own_stat;         /* cgroup_stat by the host's numbers */
    int attach_to, attach, clone_into, set;             /* moves and limits */
    int unshare, again;                                 /* unshare(CLONE_NEWCGROUP) inside, getcgroup after */
    int ct_exit, ct_group2, peak, nb_group2, nb_procs;  /* the host, after */
    int moved_pid, moved_to, moved_attach;
    int moved_view, moved_root, moved_root_procs, moved_exit;
};

static const char *line(const char *out, const char *prefix)
{
    const char *l = strstr(out, prefix);
    cr_assert(l, "no line \"%s\" in:\n%s", prefix, out);
    return l;
}

static struct cgns_run parse(const char *out)
{
    struct cgns_run r;
    memset(&r, 0x7f, sizeof r);
    cr_assert_eq(sscanf(line(out, "cgroupns: host: getcgroup"),
                        "cgroupns: host: getcgroup %d; made group %d (the container's, pids.max 8) and group %d",
                        &r.host_view, &r.ct_group, &r.nb_group),
                 3, "%s", out);
    cr_assert_eq(sscanf(line(out, "cgroupns: container: getcgroup"),
                        "cgroupns: container: getcgroup %d, its group is \"/\": %d processes, pids.max %d", &r.inside,
                        &r.procs, &r.pids_max),
                 3, "%s", out);
    cr_assert_eq(sscanf(line(out, "cgroupns: container: cgroup_stat("),
                        "cgroupns: container: cgroup_stat(%d), the neighbour's group: %d; cgroup_stat(%d), its own by "
                        "the host's number: %d",
                        &r.nb_named, &r.nb_stat, &r.own_named, &r.own_stat),
                 4, "%s", out);
    cr_assert_eq(sscanf(line(out, "cgroupns: container: cgroup_attach("),
                        "cgroupns: container: cgroup_attach(%d): %d; clone into it: %d; cgroup_set(0, pids.max 0): %d",
                        &r.attach_to, &r.attach, &r.clone_into, &r.set),
                 4, "%s", out);
    cr_assert_eq(sscanf(line(out, "cgroupns: container: unshare("),
                        "cgroupns: container: unshare(CLONE_NEWCGROUP) again: %d; getcgroup %d", &r.unshare, &r.again),
                 2, "%s", out);
    cr_assert_eq(sscanf(line(out, "cgroupns: host: the container exited"),
                        "cgroupns: host: the container exited with %d; group %d had %d processes at its peak, group %d "
                        "has %d",
                        &r.ct_exit, &r.ct_group2, &r.peak, &r.nb_group2, &r.nb_procs),
                 5, "%s", out);
    cr_assert_eq(sscanf(line(out, "cgroupns: host: pid "),
                        "cgroupns: host: pid %d, with a cgroup namespace rooted at the neighbour's group, moved into "
                        "group %d: %d",
                        &r.moved_pid, &r.moved_to, &r.moved_attach),
                 3, "%s", out);
    cr_assert_eq(sscanf(line(out, "cgroupns: moved: "),
                        "cgroupns: moved: getcgroup %d (its group is outside its namespace); its \"/\" is the host's "
                        "group %d: %d processes",
                        &r.moved_view, &r.moved_root, &r.moved_root_procs),
                 3, "%s", out);
    cr_assert_eq(sscanf(line(out, "cgroupns: host: it exited"), "cgroupns: host: it exited with %d", &r.moved_exit), 1);
    return r;
}

TestSuite(containers_cgns, .timeout = 120);

Test(containers_cgns, the_host_names_every_group_by_its_number)
{
    char *out = cgns_out("");
    struct cgns_run r = parse(out);
    cr_assert_eq(r.host_view, 0, "the host is in the root group, in the initial namespace");
    cr_assert(r.ct_group > 0 && r.nb_group > 0 && r.ct_group != r.nb_group, "%s", out);
    cr_assert_eq(r.ct_group2, r.ct_group);
    cr_assert_eq(r.peak, 1, "the host reads the container's group by its number: its one process");
    cr_assert_eq(r.nb_group2, r.nb_group);
    cr_assert_eq(r.nb_procs, 0);
    cr_assert_eq(r.ct_exit, 0);
    free(out);
}

Test(containers_cgns, inside_its_own_group_is_the_root_and_the_only_one)
{
    char *out = cgns_out("");
    struct cgns_run r = parse(out);
    cr_assert_eq(r.inside, 0, "its group is \"/\"");
    cr_assert_eq(r.procs, 1, "group 0 to it is its own group: itself");
    cr_assert_eq(r.pids_max, 8, "with the limit the host set on group %d", r.ct_group);
    cr_assert_eq(r.nb_named, r.nb_group);
    cr_assert_eq(r.nb_stat, -1, "the neighbour's group does not exist for it");
    cr_assert_eq(r.own_named, r.ct_group);
    cr_assert_eq(r.own_stat, -1, "nor does its own under the host's number");
    free(out);
}

Test(containers_cgns, a_container_cannot_move_or_lift_its_group)
{
    char *out = cgns_out("");
    struct cgns_run r = parse(out);
    cr_assert_eq(r.attach_to, r.nb_group);
    cr_assert_eq(r.attach, -2, "E_PERM: %s", out);
    cr_assert_eq(r.clone_into, -2, "E_PERM: %s", out);
    cr_assert_eq(r.set, -2, "E_PERM: %s", out);
    cr_assert_eq(r.unshare, 0, "root of its user namespace may make another");
    cr_assert_eq(r.again, 0, "rooted at the same group");
    free(out);
}

Test(containers_cgns, a_group_outside_the_namespace_is_not_named)
{
    char *out = cgns_out("");
    struct cgns_run r = parse(out);
    cr_assert_eq(r.moved_to, r.ct_group);
    cr_assert_eq(r.moved_attach, 0, "root of the machine may move it");
    cr_assert_eq(r.moved_view, -1, "its group is outside its namespace");
    cr_assert_eq(r.moved_root, r.nb_group);
    cr_assert_eq(r.moved_root_procs, 0, "its \"/\" is still the neighbour's group, now empty");
    cr_assert_eq(r.moved_exit, 0);
    free(out);
}

/* run --stats: the namespaces made and the names refused, as the kernel counted them. */
Test(containers_cgns, run_stats_count_the_namespaces_and_the_refusals)
{
    char file[256], a[512], *out, *err;
    snprintf(file, sizeof file, "%s/cgns.json", temp_dir());
    snprintf(a, sizeof a, "run cgroupns --stats %s", file);
    cr_assert_eq(run_ringsim(a, &out, &err), 0, "%s", err);
    struct cgns_run r = parse(out);
    free(out);
    free(err);
    json_error_t jerr;
    json_t *root = json_load_file(file, 0, &jerr);
    cr_assert(root, "%s", jerr.text);
    /* the container's, the one it made inside, the moved process's */
    cr_assert_eq(json_integer_value(json_object_get(root, "cgroupns_made")), 3);
    /* two cgroup_stat calls named groups outside (the others were E_PERM first) */
    int refused = (r.nb_stat == -1) + (r.own_stat == -1);
    cr_assert_eq(json_integer_value(json_object_get(root, "cgroupns_refused")), refused);
    json_t *all = json_object_get(root, "cgroupns");
    cr_assert(json_is_array(all) && json_array_size(all) == 1, "only the initial namespace outlives the processes");
    json_t *n0 = json_array_get(all, 0);
    cr_assert_eq(json_integer_value(json_object_get(n0, "cgroupns")), 0);
    cr_assert_eq(json_integer_value(json_object_get(n0, "root")), 0);
    json_decref(root);
}

Test(containers_cgns, a_kernel_without_cgroup_namespaces_publishes_none)
{
    /* netns is the same kernel without CGNS: no cgns_layout, so neither
     * `info ns` nor dot nor --stats shows a cgroup namespace */
    char path[512], err[256];
    const char *dir = getenv("RINGSIM_GUESTS");
    snprintf(path, sizeof path, "%s/netns.img", dir ? dir : "build/guests");
    struct isa_image img = {0};
    cr_assert(isa_image_load(path, &img, err, sizeof err), "%s", err);
    uint32_t a = 0;
    cr_assert_not(isa_image_symbol_addr(&img, "cgns_layout", &a));
    isa_image_free(&img);
    json_t *st = stats_of("run netns");
    cr_assert_null(json_object_get(st, "cgroupns"));
    json_decref(st);
}

static const char *modes[] = {"--mode te", "--mode bt", "--mode hw", "--mode pv", "--mode hw --mmu shadow --levels 4"};
#define NMODES (sizeof modes / sizeof modes[0])

ROW_PARAMETERS(containers_cgns, cgroupns_prints_the_same_in_every_mode, NMODES)

ParameterizedTest(size_t *row, containers_cgns, cgroupns_prints_the_same_in_every_mode)
{
    char *native = cgns_out("");
    char *virt = cgns_out(modes[*row]);
    cr_assert_str_eq(virt, native, "under '%s' the guest printed\n%s\nnatively\n%s", modes[*row], virt, native);
    parse(native);
    free(native);
    free(virt);
}

/* ---- seeing it ---------------------------------------------------------------------- */

Test(containers_cgns, info_ns_shows_the_cgroup_namespace_and_its_root)
{
    struct dsession *s = ds_open("cgroupns", "hw", 2, 0);
    cr_assert_eq(ds_cmd(s, "break cgns_ct_inside"), 0, "%s", ds_err(s));
    cr_assert_eq(ds_cmd(s, "continue"), 0, "%s", ds_err(s));
    cr_assert_eq(ds_cmd(s, "info ns"), 0, "%s", ds_err(s));
    cr_assert(strstr(ds_out(s), "  cgroup 1\n"), "%s", ds_out(s));
    cr_assert(strstr(ds_out(s), "  cgroup namespace 1: its \"/\" is cgroup 1; 0 names of groups outside it refused"),
              "%s", ds_out(s));
    cr_assert_eq(ds_cmd(s, "break cgns_moved"), 0, "%s", ds_err(s));
    cr_assert_eq(ds_cmd(s, "continue"), 0, "%s", ds_err(s));
    cr_assert_eq(ds_cmd(s, "info ns"), 0, "%s", ds_err(s));
    cr_assert(strstr(ds_out(s), "  cgroup 1\n"), "moved into group 1: %s", ds_out(s));
    cr_assert(strstr(ds_out(s), "its \"/\" is cgroup 2;"), "its namespace still rooted at 2: %s", ds_out(s));
    ds_close(s);
}

/* The cycle of the first return to user mode at label's user address. */
static unsigned long long first_return_to(const char *label)
{
    uint32_t a = guest_sym("cgroupns", label);
    char want[64], *out, *err;
    snprintf(want, sizeof want, " iret pc=v:0x%08x ", a);
    cr_assert_eq(run_ringsim("run cgroupns --trace trap", &out, &err), 0);
    free(out);
    const char *l = strstr(err, want);
    cr_assert(l, "no return to %s (0x%08x) in the trace", label, a);
    while (l > err && l[-1] != '\n') l--;
    unsigned long long c = strtoull(l, NULL, 10);
    free(err);
    cr_assert_gt(c, 0);
    return c;
}

Test(containers_cgns, dot_processes_shows_the_cgroup_namespace)
{
    unsigned long long c = first_return_to("cgns_ct_main");
    char a[256], *dot, *err;
    snprintf(a, sizeof a, "dot cgroupns --processes --at %llu", c + 1);
    cr_assert_eq(run_ringsim(a, &dot, &err), 0, "%s", err);
    free(err);
    cr_assert(strstr(dot, "\\ncgroup 1\\ncgroup ns 1, / = cgroup 1"), "the container: %s", dot);
    cr_assert_null(strstr(dot, "cgroup ns 0"), "the initial namespace is not labelled: %s", dot);
    free(dot);
}
