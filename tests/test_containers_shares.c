/*
 * test_containers_shares.c — cgroups' cpu shares, enforced by the stride
 * scheduler (guests/kernel/cgroup.s): `ringsim run shares`
 * (guests/kernel/user/shares.s) reads two groups' ticks over 200 ticks, A
 * with three computing processes and B with one, for shares 1024/3072,
 * 1024/1024 and 4096/1024.
 *
 * What they pin down: each group gets 200 * its shares / the sum, within
 * 3 ticks (1.5 % of the window), whatever its number of processes (round
 * robin over processes would give A three quarters every time); the window
 * is all theirs; the same split natively and under every technique (the
 * ticks are the guest's, so the virtual timer must tick where bare metal's
 * does); `--args S` measures 1024 against S; a weight of 0 is refused and
 * leaves the shares as they were.  Every figure is the kernel's own counter
 * (cgroup_stat), set against what the shares the same line states give.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "tests/helpers.h"
#include "tests/rows.h"

#define WINDOW 200
#define TOLERANCE 3

struct split {
    int sa, sb, a, b, want_a, want_b, charged;
};

static int splits_of(const char *out, struct split *s, int max)
{
    int n = 0;
    for (const char *l = out; l && *l && n < max; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        if (sscanf(l, "shares: A %d (3 processes), B %d (1 process): A ran %d of 200 ticks, B %d", &s[n].sa, &s[n].sb,
                   &s[n].a, &s[n].b) != 4)
            continue;
        const char *w = strchr(l, '\n');
        cr_assert(w, "%s", out);
        cr_assert_eq(sscanf(w + 1, "shares:   by the shares A %d, B %d; ticks charged in the window %d", &s[n].want_a,
                            &s[n].want_b, &s[n].charged),
                     3, "%s", out);
        n++;
    }
    return n;
}

static char *shares_out(const char *args)
{
    int st;
    char a[256];
    snprintf(a, sizeof a, "run shares %s", args);
    char *out = run_out(a, &st);
    cr_assert_eq(st, 0, "ringsim %s: exit status %d:\n%s", a, st, out);
    return out;
}

/* Every split of out is what the shares say, within TOLERANCE ticks. */
static void splits_hold(const char *out, const char *how, int want_n)
{
    struct split s[8];
    int n = splits_of(out, s, 8);
    cr_assert_eq(n, want_n, "%s:\n%s", how, out);
    for (int i = 0; i < n; i++) {
        int want_a = WINDOW * s[i].sa / (s[i].sa + s[i].sb);
        cr_assert_eq(s[i].want_a, want_a, "the guest's arithmetic");
        cr_assert_eq(s[i].want_b, WINDOW - want_a);
        cr_assert(abs(s[i].a - want_a) <= TOLERANCE, "%s: shares %d/%d: A ran %d of %d, want %d\n%s", how, s[i].sa,
                  s[i].sb, s[i].a, WINDOW, want_a, out);
        cr_assert(abs(s[i].b - (WINDOW - want_a)) <= TOLERANCE, "%s: shares %d/%d: B ran %d, want %d\n%s", how,
                  s[i].sa, s[i].sb, s[i].b, WINDOW - want_a, out);
        cr_assert(abs(s[i].a + s[i].b - WINDOW) <= 1, "%s: the two groups had the processor:\n%s", how, out);
        cr_assert_eq(s[i].charged, s[i].a + s[i].b);
    }
}

TestSuite(containers_shares, .timeout = 120);

Test(containers_shares, each_group_gets_its_shares_whatever_its_processes)
{
    char *out = shares_out("");
    splits_hold(out, "natively", 3);
    struct split s[3];
    splits_of(out, s, 3);
    cr_assert_eq(s[0].sa, 1024);
    cr_assert_eq(s[0].sb, 3072);
    cr_assert_eq(s[1].sb, 1024);
    cr_assert_eq(s[2].sa, 4096);
    /* not round robin over the processes: that gives A 3/4 in every round */
    cr_assert_lt(s[0].a, 150 - 50, "%s", out);
    cr_assert_lt(s[1].a, 150 - 25, "%s", out);
    free(out);
}

Test(containers_shares, args_measure_one_pair)
{
    char *out = shares_out("--args 2048");
    splits_hold(out, "--args 2048", 1);
    struct split s;
    splits_of(out, &s, 1);
    cr_assert_eq(s.sa, 1024);
    cr_assert_eq(s.sb, 2048);
    free(out);
}

Test(containers_shares, a_weight_of_zero_is_refused)
{
    char *out = shares_out("");
    int r = 0, kept = 0;
    const char *l = strstr(out, "shares: cgroup_set(A, shares 0):");
    cr_assert(l, "%s", out);
    cr_assert_eq(sscanf(l, "shares: cgroup_set(A, shares 0): %d; A's shares stay %d", &r, &kept), 2);
    cr_assert_eq(r, -1);
    cr_assert_eq(kept, 4096, "the last round's");
    free(out);
}

/* run --stats: each group's shares and pass ("cpu_shares", "cpu_pass"). */
Test(containers_shares, run_stats_show_each_groups_shares)
{
    json_t *st = stats_of("run shares --args 3072");
    json_t *groups = json_object_get(st, "cgroups");
    cr_assert(json_is_array(groups));
    cr_assert_eq(json_array_size(groups), 3);
    long long shares[3], pass[3];
    for (size_t g = 0; g < 3; g++) {
        json_t *o = json_array_get(groups, g);
        shares[g] = json_integer_value(json_object_get(o, "cpu_shares"));
        pass[g] = json_integer_value(json_object_get(o, "cpu_pass"));
    }
    cr_assert_eq(shares[0], 1024, "the root group's default");
    cr_assert_eq(shares[1], 1024);
    cr_assert_eq(shares[2], 3072);
    /* both ran the same virtual time, within a stride of the lighter */
    cr_assert(llabs(pass[1] - pass[2]) <= 65536 / 1024, "passes %lld and %lld", pass[1], pass[2]);
    json_decref(st);
}

static const char *modes[] = {"--mode te", "--mode bt", "--mode hw", "--mode pv", "--mode hw --mmu shadow --levels 4"};
#define NMODES (sizeof modes / sizeof modes[0])

ROW_PARAMETERS(containers_shares, the_splits_hold_in_every_mode, NMODES)

ParameterizedTest(size_t *row, containers_shares, the_splits_hold_in_every_mode)
{
    char a[128];
    snprintf(a, sizeof a, "--isa strict %s", modes[*row]);
    char *out = shares_out(a);
    splits_hold(out, modes[*row], 3);
    free(out);
}
