/*
 * test_containers_net.c — network namespaces in the guest kernel
 * (guests/kernel/net.s), run as a user runs them: `ringsim run netns`.
 *
 * What they pin down: every network namespace has a loopback of its own
 * (the same 127.0.0.1:7 is another socket in each, and the host's is none
 * of them); a veth pair joins a container to the host's bridge, over which
 * packets go container to container and container to host; a port bound to
 * a namespace's lo is reachable from nowhere else, not even over the
 * bridge; a namespace with no veth reaches only itself; a container's root
 * cannot wire itself to the host; a process that shares the host's
 * namespace shares its lo.  The same output natively and under every
 * technique; `info ns` and `dot --processes` show each process's network
 * namespace.  Figures are read from what the guest prints and checked
 * against each other or the kernel's refusal (-1, E_PERM -2).
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "tests/helpers.h"
#include "tests/rows.h"

static char *netns_out(const char *more)
{
    char a[256];
    int st;
    snprintf(a, sizeof a, "run netns --isa strict %s", more);
    char *out = run_out(a, &st);
    cr_assert_eq(st, 0, "ringsim %s: exit status %d; output:\n%s", a, st, out);
    return out;
}

/* The line of out that starts with prefix; the test fails without one. */
static const char *must_line(const char *out, const char *prefix)
{
    size_t n = strlen(prefix);
    for (const char *l = out; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
        if (strncmp(l, prefix, n) == 0) return l;
    cr_assert_fail("no line starting \"%s\" in:\n%s", prefix, out);
    return NULL;
}

/* What each line of the workload says (guests/kernel/user/netns.s). */
struct netns_run {
    int pid1, veth1, pid2, veth2;                              /* host: veth(pid, addr) -> */
    int got1, lo1_sent, lo1_recv, perm1;                       /* container 1 */
    int got2, lo2_sent, lo2_recv, perm2, reach_lo1;            /* container 2 */
    int got_host, host_lo, host_lo1, host_nobody;              /* host, the token back */
    int outside1, outside2;                                    /* words on their lo from outside */
    int word3, lo3_sent, lo3_recv, reach3;                     /* container 3: no veth */
    int plain_sent, plain_got;                                 /* a process of the host's */
};

static struct netns_run parse(const char *out)
{
    struct netns_run r;
    cr_assert_eq(sscanf(must_line(out, "host: br0 "),
                        "host: br0 10.0.0.1; veth(%d, 10.0.0.2) -> %d, veth(%d, 10.0.0.3) -> %d", &r.pid1, &r.veth1,
                        &r.pid2, &r.veth2),
                 4);
    cr_assert_eq(sscanf(must_line(out, "container 1: "),
                        "container 1: got %d on eth0 10.0.0.2; lo: sendto(127.0.0.1:7, 111) -> %d, recv -> %d; "
                        "veth -> %d",
                        &r.got1, &r.lo1_sent, &r.lo1_recv, &r.perm1),
                 4);
    cr_assert_eq(sscanf(must_line(out, "container 2: "),
                        "container 2: got %d from container 1 over the bridge; lo: sendto(127.0.0.1:7, 222) -> %d, "
                        "recv -> %d; veth -> %d; sendto(10.0.0.2:7) -> %d",
                        &r.got2, &r.lo2_sent, &r.lo2_recv, &r.perm2, &r.reach_lo1),
                 5);
    cr_assert_eq(sscanf(must_line(out, "host: got "),
                        "host: got %d from container 2 over br0; sendto(127.0.0.1:7) -> %d, sendto(10.0.0.2:7) -> %d, "
                        "sendto(10.0.0.9:9) -> %d",
                        &r.got_host, &r.host_lo, &r.host_lo1, &r.host_nobody),
                 4);
    cr_assert_eq(sscanf(must_line(out, "host: containers 1 and 2 exited"),
                        "host: containers 1 and 2 exited, with %d and %d words", &r.outside1, &r.outside2),
                 2);
    cr_assert_eq(sscanf(must_line(out, "container 3 (no veth): "),
                        "container 3 (no veth): lo: sendto(127.0.0.1:7, %d) -> %d, recv -> %d; sendto(10.0.0.1:9) -> %d",
                        &r.word3, &r.lo3_sent, &r.lo3_recv, &r.reach3),
                 4);
    cr_assert_eq(sscanf(must_line(out, "host: a process of its namespace: "),
                        "host: a process of its namespace: sendto(127.0.0.1:9, 44) -> %d; the host's socket got %d",
                        &r.plain_sent, &r.plain_got),
                 2);
    return r;
}

Test(containers_net, each_network_namespace_has_a_loopback_of_its_own)
{
    char *out = netns_out("");
    struct netns_run r = parse(out);
    /* each container sends to 127.0.0.1:7 and reads its own word back there */
    cr_assert_eq(r.lo1_sent, 0);
    cr_assert_eq(r.lo1_recv, 111);
    cr_assert_eq(r.lo2_sent, 0);
    cr_assert_eq(r.lo2_recv, 222, "container 2's lo held its word, not container 1's");
    cr_assert_eq(r.lo3_sent, 0);
    cr_assert_eq(r.lo3_recv, r.word3);
    /* two containers bound 127.0.0.1:7, the host did not: on its lo nobody is there */
    cr_assert_eq(r.host_lo, -1);
    free(out);
}

Test(containers_net, veth_pairs_carry_packets_through_the_bridge)
{
    char *out = netns_out("");
    struct netns_run r = parse(out);
    cr_assert_eq(r.veth1, 0);
    cr_assert_eq(r.veth2, 0);
    cr_assert_neq(r.pid1, r.pid2);
    /* the token went host -> 1 -> 2 -> host, each hop a different word */
    cr_assert_gt(r.got1, 0);
    cr_assert_gt(r.got2, 0);
    cr_assert_gt(r.got_host, 0);
    cr_assert(r.got1 != r.got2 && r.got2 != r.got_host, "%s", out);
    /* an address no namespace has is not reached */
    cr_assert_eq(r.host_nobody, -1);
    free(out);
}

Test(containers_net, a_port_bound_to_lo_is_unreachable_from_other_namespaces)
{
    char *out = netns_out("");
    struct netns_run r = parse(out);
    /* container 1's 127.0.0.1:7, through its eth0 address, from container 2 and from the host */
    cr_assert_eq(r.reach_lo1, -1);
    cr_assert_eq(r.host_lo1, -1);
    /* and nothing arrived there: container 1 counted the words on its lo at the end */
    cr_assert_eq(r.outside1, 0);
    cr_assert_eq(r.outside2, 0);
    free(out);
}

Test(containers_net, a_namespace_without_a_veth_reaches_only_itself)
{
    char *out = netns_out("");
    struct netns_run r = parse(out);
    cr_assert_eq(r.lo3_sent, 0, "its own lo works");
    cr_assert_eq(r.reach3, -1, "the host's br0, reachable from the containers with a veth, is not from it");
    free(out);
}

Test(containers_net, root_of_a_container_cannot_make_a_veth_pair)
{
    char *out = netns_out("");
    struct netns_run r = parse(out);
    cr_assert_eq(r.perm1, -2, "E_PERM");
    cr_assert_eq(r.perm2, -2, "E_PERM");
    cr_assert_eq(r.veth1, 0, "while root of the machine may");
    free(out);
}

Test(containers_net, a_process_of_the_hosts_namespace_shares_its_loopback)
{
    char *out = netns_out("");
    struct netns_run r = parse(out);
    cr_assert_eq(r.plain_sent, 0);
    cr_assert_eq(r.plain_got, 44);
    free(out);
}

static const char *modes[] = {"--mode te", "--mode bt", "--mode hw", "--mode pv", "--mode hw --mmu shadow --levels 4"};
#define NMODES (sizeof modes / sizeof modes[0])

ROW_PARAMETERS(containers_net, netns_prints_the_same_in_every_mode, NMODES)

ParameterizedTest(size_t *row, containers_net, netns_prints_the_same_in_every_mode)
{
    char *native = netns_out("");
    char *virt = netns_out(modes[*row]);
    cr_assert_str_eq(virt, native, "under '%s' the guest printed\n%s\nnatively\n%s", modes[*row], virt, native);
    parse(native);
    free(native);
    free(virt);
}

/* ---- seeing it ---------------------------------------------------------------------- */

/* The cycle of the first return to user mode at label's user address, from
 * `ringsim run netns --trace trap`. */
static unsigned long long first_return_to(const char *label)
{
    uint32_t a = guest_sym("netns", label);
    char want[64], *out, *err;
    snprintf(want, sizeof want, " iret pc=v:0x%08x ", a);
    cr_assert_eq(run_ringsim("run netns --trace trap", &out, &err), 0);
    free(out);
    const char *l = strstr(err, want);
    cr_assert(l, "no return to %s (0x%08x) in the trace", label, a);
    while (l > err && l[-1] != '\n') l--;
    unsigned long long c = strtoull(l, NULL, 10);
    free(err);
    cr_assert_gt(c, 0);
    return c;
}

Test(containers_net, the_process_tree_shows_each_processs_network_namespace)
{
    /* container 1 back from its veth attempt: both pairs are made */
    unsigned long long c = first_return_to("net_ct_vethed");
    char args[128], *dot, *err;
    snprintf(args, sizeof args, "dot netns --processes --at %llu", c);
    cr_assert_eq(run_ringsim(args, &dot, &err), 0, "%s", err);
    free(err);
    cr_assert(strstr(dot, "net ns 0, br0 10.0.0.1"), "the host on the bridge: %s", dot);
    const char *a = strstr(dot, "eth0 10.0.0.2"), *b = strstr(dot, "eth0 10.0.0.3");
    cr_assert(a && b, "both containers with their eth0: %s", dot);
    /* in two namespaces of their own, neither the host's */
    unsigned na = 99, nb = 99;
    while (a > dot && strncmp(a, "net ns ", 7) != 0) a--;
    while (b > dot && strncmp(b, "net ns ", 7) != 0) b--;
    cr_assert_eq(sscanf(a, "net ns %u", &na), 1);
    cr_assert_eq(sscanf(b, "net ns %u", &nb), 1);
    cr_assert(na != 0 && nb != 0 && na != nb, "%u %u", na, nb);
    cr_assert(strstr(dot, "mnt ns 0, root /"), "and the mount namespace: %s", dot);
    free(dot);
}

/* run --stats: "netns", each live network namespace's address and packets,
 * and "bridged", what br0 carried.  At the end only the host's is left. */
Test(containers_net, run_stats_count_the_packets_of_each_namespace_and_the_bridge)
{
    char file[256], a[512], *out, *err;
    snprintf(file, sizeof file, "%s/net.json", temp_dir());
    snprintf(a, sizeof a, "run netns --stats %s", file);
    cr_assert_eq(run_ringsim(a, &out, &err), 0, "%s", err);
    struct netns_run r = parse(out);
    free(out);
    free(err);
    json_error_t jerr;
    json_t *root = json_load_file(file, 0, &jerr);
    cr_assert(root, "%s", jerr.text);
    json_t *all = json_object_get(root, "netns");
    cr_assert(json_is_array(all) && json_array_size(all) == 1, "only the host's namespace outlives the containers");
    json_t *host = json_array_get(all, 0);
    cr_assert_eq(json_integer_value(json_object_get(host, "netns")), 0);
    cr_assert_str_eq(json_string_value(json_object_get(host, "address")), "10.0.0.1");
    /* what the host received: container 2's token over br0, the plain process's word over lo */
    cr_assert(r.got_host > 0 && r.plain_got > 0, "%d %d", r.got_host, r.plain_got);
    cr_assert_eq(json_integer_value(json_object_get(host, "received")), 2);
    /* br0 carried at least the token's three hops; the host's own packets
     * over lo (the plain process's) are counted as sent and received, not bridged */
    json_int_t bridged = json_integer_value(json_object_get(root, "bridged"));
    cr_assert_geq(bridged, 3);
    cr_assert_lt(bridged, json_integer_value(json_object_get(host, "sent")) + 2,
                 "the host sent the token and two stops over br0, one word over lo; the containers two more");
    json_decref(root);
}
