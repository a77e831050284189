/*
 * test_containers_quota.c — a cgroup's cpu quota (guests/kernel/cgroup.s),
 * measured by the guest itself: `ringsim run quota` (guests/kernel/user/
 * quota.s) reads its group's counters over 100 ticks beside a busy
 * neighbour and alone, for quotas of 1, 2, 5 and 8 ticks in every 10.
 *
 * What they pin down: the share a group gets is its quota, within a tick a
 * period, whenever the quota is below what it would get anyway (beside one
 * neighbour, half); alone, a group still gets only its quota (the processor
 * idles, and an idle tick is nobody's); a group that used its quota is
 * counted throttled in each period, a group without one never; the same in
 * every mode.  Every figure is what the kernel's counters say, set against
 * the quota the same line states.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/helpers.h"
#include "tests/rows.h"

struct round {
    int quota, beside, beside_throttled, alone, alone_throttled;
};

/* The rounds the output reports (at most max); *root the root group's
 * throttled periods. */
static int rounds_of(const char *out, struct round *r, int max, int *root)
{
    int n = 0;
    *root = -1;
    for (const char *l = out; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        if (n < max && sscanf(l,
                              "quota: cpu %d ticks in every 10: beside a busy neighbour the group ran %d of 100 ticks, "
                              "throttled in %d periods; alone %d of 100, throttled in %d",
                              &r[n].quota, &r[n].beside, &r[n].beside_throttled, &r[n].alone,
                              &r[n].alone_throttled) == 5)
            n++;
        sscanf(l, "quota: the root group, with no quota, was throttled in %d periods", root);
    }
    return n;
}

static char *quota_out(const char *args)
{
    int st;
    char a[256];
    snprintf(a, sizeof a, "run quota %s", args);
    char *out = run_out(a, &st);
    cr_assert_eq(st, 0, "ringsim %s: exit status %d:\n%s", a, st, out);
    return out;
}

Test(containers_quota, a_groups_share_beside_a_busy_neighbour_is_its_quota)
{
    char *out = quota_out("");
    struct round r[8];
    int root, n = rounds_of(out, r, 8, &root);
    cr_assert_eq(n, 4, "%s", out);
    for (int i = 0; i < n; i++) {
        /* 100 ticks are 10 periods: quota * 10 ticks, unless half the processor is less */
        int want = r[i].quota * 10 < 50 ? r[i].quota * 10 : 50;
        cr_assert(abs(r[i].beside - want) <= 1, "quota %d: %d of 100 ticks, want %d\n%s", r[i].quota, r[i].beside,
                  want, out);
        if (r[i].quota * 10 <= 50)
            cr_assert_eq(r[i].beside_throttled, 10, "it used its quota in every period:\n%s", out);
        else
            cr_assert_eq(r[i].beside_throttled, 0, "half the processor is less than its quota:\n%s", out);
    }
    free(out);
}

Test(containers_quota, a_group_alone_still_gets_only_its_quota)
{
    char *out = quota_out("");
    struct round r[8];
    int root, n = rounds_of(out, r, 8, &root);
    cr_assert_eq(n, 4, "%s", out);
    for (int i = 0; i < n; i++) {
        cr_assert(abs(r[i].alone - r[i].quota * 10) <= 1, "quota %d alone: %d of 100\n%s", r[i].quota, r[i].alone,
                  out);
        cr_assert_eq(r[i].alone_throttled, 10);
    }
    free(out);
}

Test(containers_quota, a_group_without_a_quota_is_never_throttled)
{
    char *out = quota_out("--args 3");
    struct round r[2];
    int root, n = rounds_of(out, r, 2, &root);
    cr_assert_eq(n, 1, "--args 3 measures one quota: %s", out);
    cr_assert_eq(r[0].quota, 3);
    cr_assert(abs(r[0].beside - 30) <= 1, "%s", out);
    cr_assert_eq(root, 0, "%s", out);
    free(out);
}

static const char *modes[] = {"--mode te --isa strict", "--mode bt", "--mode hw", "--mode pv",
                              "--mode hw --mmu shadow --levels 4"};
#define NMODES (sizeof modes / sizeof modes[0])

ROW_PARAMETERS(containers_quota, quota_prints_the_same_in_every_mode, NMODES)

ParameterizedTest(size_t *row, containers_quota, quota_prints_the_same_in_every_mode)
{
    char a[128];
    char *native = quota_out("--args 2 --isa strict");
    snprintf(a, sizeof a, "--args 2 --isa strict %s", modes[*row]);
    char *virt = quota_out(a);
    cr_assert_str_eq(virt, native, "under '%s':\n%s\nnatively:\n%s", modes[*row], virt, native);
    free(native);
    free(virt);
}
