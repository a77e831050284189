/*
 * test_net.c — the network interface, the virtual switch and the kernel's
 * two drivers for it (docs/isa.md "Network interface", docs/io.md
 * "Network").  netping prints the same checksum natively (against the
 * switch's echo host), under every technique, passed through and between
 * two VMs; the split driver (guests/netq.s) exits less per KB than the
 * plain one and pass-through less still; an interrupt the driver
 * suppresses never comes; malformed descriptors and rings are refused as
 * bare metal refuses them; the switch's counters add up.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/helpers.h"

static const char *const ways[] = {
    "--mode native", "--mode te --isa strict", "--mode bt", "--mode hw --mmu shadow", "--mode hw --mmu nested",
    "--mode pv", "--mode hw --mmu nested --passthrough 0",
};
#define NWAYS (sizeof ways / sizeof ways[0])

static long long num(json_t *o, const char *key) { return json_integer_value(json_object_get(o, key)); }

/* The first line a run printed (malloc'd). */
static char *first_line(const char *out)
{
    size_t n = strcspn(out, "\n");
    char *s = malloc(n + 1);
    memcpy(s, out, n);
    s[n] = 0;
    return s;
}

/* Exits as tools/iovirt.sh counts them: VM exits under hw; under te, bt
 * and pv every entry into the hypervisor (traps, callouts). */
static long long exits_of(json_t *s)
{
    const char *mode = json_string_value(json_object_get(s, "mode"));
    long long n = stats_num(s, "vmexits", "total");
    if (mode && strcmp(mode, "hw") && strcmp(mode, "native")) n += stats_num(s, "traps", "total");
    return n + stats_num(s, "bt", "callouts");
}

/* Port p of the switch in a run's statistics. */
static json_t *port_of(json_t *s, int p)
{
    json_t *o = json_array_get(json_object_get(json_object_get(s, "net"), "ports"), (size_t)p);
    cr_assert(o, "no port %d in the statistics' \"net\"", p);
    return o;
}

/* Every frame a port sent is received by a port or dropped (none is left
 * in flight once the run has ended). */
static void counters_add_up(json_t *s, const char *what)
{
    json_t *ports = json_object_get(json_object_get(s, "net"), "ports");
    long long sent = 0, received = 0, dropped = 0, in_fifo = 0;
    cr_assert(json_array_size(ports) >= 2, "%s: no ports", what);
    for (size_t i = 0; i < json_array_size(ports); i++) {
        json_t *p = json_array_get(ports, i);
        sent += num(p, "sent");
        received += num(p, "received");
        dropped += num(p, "dropped_unknown") + num(p, "dropped_spoofed") + num(p, "dropped_full");
        json_t *nic = json_object_get(p, "nic");
        if (nic) {
            in_fifo += num(nic, "in_fifo");
            /* an interface sends what its switch port says it sent */
            cr_assert_eq(num(nic, "tx_frames"), num(p, "sent"), "%s: port %zu", what, i);
        }
    }
    cr_assert_gt(sent, 0, "%s: nothing was sent", what);
    cr_assert_eq(sent, received + dropped, "%s: sent %lld, received %lld + dropped %lld", what, sent, received,
                 dropped);
    cr_assert_eq(in_fifo, 0, "%s: frames left in flight", what);
}

Test(net, netping_prints_the_same_checksum_every_way)
{
    char *want = NULL;
    const char *images[] = {"netping", "netq"};
    for (unsigned g = 0; g < 2; g++)
        for (unsigned i = 0; i < NWAYS; i++) {
            char a[400];
            int st;
            snprintf(a, sizeof a, "run %s --net --args 8 %s", images[g], ways[i]);
            char *out = run_out(a, &st);
            cr_assert_eq(st, 0, "%s: status %d: %s", a, st, out);
            char *line = first_line(out);
            cr_assert(strstr(line, "netping: 8 iterations, checksum 0x"), "%s: %s", a, out);
            cr_assert(strstr(out, "netping: round trip "), "%s: %s", a, out);
            if (!want) want = strdup(line);
            cr_assert_str_eq(line, want, "%s", a);
            free(line);
            free(out);
        }
    /* two VMs, one answering the other: both print it */
    for (unsigned g = 0; g < 2; g++) {
        char a[400], expect[300];
        int st;
        snprintf(a, sizeof a, "run %s %s --net --args 8 --mode hw", images[g], images[g]);
        char *out = run_out(a, &st);
        cr_assert_eq(st, 0, "%s: status %d: %s", a, st, out);
        snprintf(expect, sizeof expect, "[%s] %s\n", images[g], want);
        char *second = strstr(out, expect);
        cr_assert(second && strstr(second + 1, expect), "%s: not twice %s in: %s", a, expect, out);
        free(out);
    }
    free(want);
}

Test(net, the_same_run_takes_the_same_cycles_and_latency_is_a_parameter)
{
    json_t *a = stats_of("run netq --net --args 8 --mode hw");
    json_t *b = stats_of("run netq --net --args 8 --mode hw");
    json_t *slow = stats_of("run netq --net --args 8 --mode hw --net-latency 20000");
    cr_assert_eq(num(a, "cycles"), num(b, "cycles"));
    cr_assert_eq(stats_num(a, "net", "latency"), 2000);
    cr_assert_eq(stats_num(slow, "net", "latency"), 20000);
    /* 9 round trips (8 pings, a batch of 8), each 2 x 18000 cycles longer, less what the
     * guest did meanwhile anyway */
    cr_assert_gt(num(slow, "cycles"), num(a, "cycles") + 9 * 30000);
    json_decref(a);
    json_decref(b);
    json_decref(slow);
}

/* Exits per KB moved by the interface's DMA, under hw with nested paging. */
static double exits_per_kb(const char *args)
{
    json_t *s = stats_of(args);
    double kb = (double)num(json_object_get(port_of(s, 0), "nic"), "dma_bytes") / 1024.0;
    cr_assert_gt(kb, 0, "%s: no DMA", args);
    double e = (double)exits_of(s) / kb;
    json_decref(s);
    return e;
}

Test(net, the_split_driver_exits_less_per_kb_and_pass_through_less_still)
{
    double plain = exits_per_kb("run netping --net --args 32 --mode hw");
    double split = exits_per_kb("run netq --net --args 32 --mode hw");
    double direct = exits_per_kb("run netq --net --args 32 --mode hw --passthrough 0");
    double direct_plain = exits_per_kb("run netping --net --args 32 --mode hw --passthrough 0");
    cr_assert_lt(split, plain, "split %.2f, plain %.2f exits per KB", split, plain);
    cr_assert_lt(direct, split, "pass-through %.2f, split %.2f exits per KB", direct, split);
    cr_assert_lt(direct_plain, plain, "pass-through %.2f, plain %.2f exits per KB", direct_plain, plain);
    /* and under te, where every register access is a trap */
    double te_plain = exits_per_kb("run netping --net --args 32 --mode te --isa strict");
    double te_split = exits_per_kb("run netq --net --args 32 --mode te --isa strict");
    cr_assert_lt(te_split, te_plain, "te: split %.2f, plain %.2f", te_split, te_plain);
}

/* A frame sent with NR_NO_INTERRUPT in the transmit ring's flags raises
 * nothing (net_status bit 0 stays clear, no trap); without it the same
 * frame raises the interrupt, which net_ack clears. */
static const char suppress_src[] =
    ".text\n.global _start\n_start:\n"
    "  la r1, vectors\n mtcr vbr, r1\n"
    "  in r8, net_mac\n li r2, 0x20000\n li r3, 0x52\n sb r3, 0(r2)\n sb r3, 6(r2)\n"
    "  li r3, 0x54\n sb r3, 1(r2)\n sb r3, 7(r2)\n sb r8, 5(r2)\n sb r8, 11(r2)\n"
    "  li r1, 0x200000\n out net_tx_ring, r1\n li r1, 1\n out net_ctrl, r1\n"
    "  li r1, 0x200010\n li r2, 0x20000\n sw r2, 0(r1)\n li r2, 64\n sw r2, 4(r1)\n"
    "  sw r2, 12(r1)\n li r2, 0x20000\n sw r2, 8(r1)\n"
    "  li r1, 0x200008\n li r2, 1\n sw r2, 0(r1)\n"       /* NR_NO_INTERRUPT */
    "  li r1, 0x200000\n li r2, 1\n sw r2, 0(r1)\n out net_tx_notify, r0\n"
    "  in r1, net_status\n call hex\n"
    "  li r1, 0x200008\n sw r0, 0(r1)\n"                  /* interrupts on */
    "  li r1, 0x200000\n li r2, 2\n sw r2, 0(r1)\n out net_tx_notify, r0\n"
    "  in r1, net_status\n call hex\n"
    "  li r13, 0\n sti\n nop\n nop\n cli\n mov r1, r13\n call hex\n"
    "  in r1, net_status\n andi r1, r1, 3\n call hex\n out power, r0\n"
    "net:\n addi r13, r13, 1\n out net_ack, r0\n iret\n"
    "other:\n li r1, 99\n out power, r1\n" PRINT_HEX
    ".data\n.align 4\nvectors:\n"
    ".word other, other, other, other, other, other, other, other\n"
    ".word other, other, other, other, other, net, other, other\n";

Test(net, an_interrupt_the_driver_suppresses_never_comes)
{
    const char *dir = temp_dir();
    char img[300];
    snprintf(img, sizeof img, "%s", assemble(dir, "suppress", suppress_src));
    const char *want = "00000000\n00000001\n00000001\n00000000\n";
    for (unsigned i = 0; i < NWAYS; i++) {
        if (strstr(ways[i], "pv")) continue;   /* pv runs paravirtual kernels only */
        char a[600];
        int st;
        snprintf(a, sizeof a, "run %s --net %s", img, ways[i]);
        char *out = run_out(a, &st);
        cr_assert_eq(st, 0, "%s: status %d: %s", ways[i], st, out);
        cr_assert_str_eq(out, want, "%s", ways[i]);
        free(out);
    }
    /* the kernel's split driver suppresses: fewer interrupts for the same frames */
    json_t *plain = stats_of("run netping --net --args 16");
    json_t *split = stats_of("run netq --net --args 16");
    json_t *pn = json_object_get(port_of(plain, 0), "nic"), *sn = json_object_get(port_of(split, 0), "nic");
    cr_assert_eq(num(pn, "tx_frames"), num(sn, "tx_frames"));
    /* the plain driver takes one for every frame sent at the least */
    cr_assert_geq(num(pn, "interrupts"), num(pn, "tx_frames"));
    /* the split one at most one for each wait (8 pings and 2 batches) */
    cr_assert_leq(num(sn, "interrupts"), 10, "%lld", num(sn, "interrupts"));
    json_decref(plain);
    json_decref(split);
}

Test(net, malformed_descriptors_and_rings_are_refused_as_on_bare_metal)
{
    const char *dir = temp_dir();
    char a[800];
    int st;
    char *native = NULL;
    const char *img = assemble_attack(dir, "net_ring");
    for (unsigned i = 0; i < NWAYS; i++) {
        if (strstr(ways[i], "pv")) continue;
        snprintf(a, sizeof a, "run %s --net %s", img, ways[i]);
        char *out = run_out(a, &st);
        cr_assert_eq(st, 42, "%s: status %d: %s", ways[i], st, out);
        if (!native) {
            native = out;
            /* dma, dma, bad_len x3, three sent (one of them spoofed) */
            cr_assert(strstr(out, "tx status=00000002\ntx status=00000002\ntx status=00000001\n"
                                  "tx status=00000001\ntx status=00000001\ntx status=00000000\n"),
                      "%s", out);
            cr_assert(strstr(out, "rx used=00000002\nrx status 0=00000040\nrx status 1=00020000\n"), "%s", out);
            cr_assert(strstr(out, "net error=00000003\nnet error=00000003\nnet error=00000003\n"
                                  "net error=00000003\ndone\n"), "%s", out);
            continue;
        }
        cr_assert_str_eq(out, native, "%s", ways[i]);
        free(out);
    }
    free(native);
    /* the spoofed frame is the switch's to drop, counted, and nothing is lost */
    char path[400];
    snprintf(path, sizeof path, "%s/s.json", dir);
    snprintf(a, sizeof a, "run %s --net --stats %s", img, path);
    cr_assert_eq(run_ringsim(a, NULL, NULL), 42, "%s", a);
    json_t *s = json_load_file(path, 0, NULL);
    cr_assert(s, "%s: no statistics", a);
    cr_assert_eq(num(port_of(s, 0), "dropped_spoofed"), 1);
    counters_add_up(s, "net_ring");
    json_decref(s);
    /* beside a VM that pings another, it changes nothing they print */
    snprintf(a, sizeof a, "run netq netq %s --net --args 8 --mode hw", img);
    char *out = run_out(a, &st);
    cr_assert_eq(st, 0, "%s: status %d: %s", a, st, out);
    char *alone = run_out("run netq netq --net --args 8 --mode hw", &st);
    char *mine = strstr(out, "[netq] netping: 8 iterations"), *theirs = strstr(alone, "[netq] netping: 8 iterations");
    cr_assert(mine && theirs, "%s", out);
    cr_assert_eq(strncmp(mine, theirs, strcspn(theirs, "\n")), 0, "%s\n%s", out, alone);
    free(out);
    free(alone);
}

Test(net, the_switch_counters_add_up)
{
    const char *runs[] = {"run netping --net --args 8", "run netq netq --net --args 8 --mode hw",
                          "run netping netping --net --args 8 --mode hw --net-latency 1",
                          "run netq --net --args 8 --mode pv"};
    for (unsigned i = 0; i < sizeof runs / sizeof runs[0]; i++) {
        json_t *s = stats_of(runs[i]);
        counters_add_up(s, runs[i]);
        json_decref(s);
    }
    /* natively the echo host answers every frame: 8 pings and 8 more */
    json_t *s = stats_of("run netping --net --args 8");
    cr_assert_eq(num(port_of(s, 1), "received"), 16);
    cr_assert_eq(num(port_of(s, 1), "sent"), 16);
    cr_assert_str_eq(json_string_value(json_object_get(port_of(s, 1), "name")), "echo");
    json_decref(s);
}

Test(net, bad_options_are_refused_before_the_guest_runs)
{
    char *out = NULL, *err = NULL;
    cr_assert_eq(run_ringsim("run netping --net-latency soon", &out, &err), 2);
    cr_assert(strstr(err, "--net-latency 'soon': expected cycles"), "%s", err);
    free(out);
    free(err);
    cr_assert_eq(run_ringsim("run netping --net --passthrough 0", &out, &err), 2);
    cr_assert(strstr(err, "--passthrough needs --mode hw --mmu nested"), "%s", err);
    free(out);
    free(err);
    /* a network is saved with the machine, a passed-through device is not */
    cr_assert_eq(run_ringsim("run netping --net --mode hw --passthrough 0 --save-at 100000:x.save", &out, &err), 2);
    cr_assert(strstr(err, "passed-through device (--passthrough) cannot be saved"), "%s", err);
    free(out);
    free(err);
    /* without an interface netping says so */
    cr_assert_eq(run_ringsim("run netping", &out, &err), 1);
    cr_assert(strstr(out, "no network interface (run with --net)"), "%s", out);
    free(out);
    free(err);
}

Test(net, dot_io_draws_the_network_path_with_its_exits_red)
{
    int st;
    char *hw = run_out("dot netq netq --io --mode hw --net --args 8", &st);
    cr_assert_eq(st, 0, "%s", hw);
    cr_assert(strstr(hw, "doorbells\\n(each an exit)\", color=red"), "%s", hw);
    cr_assert(strstr(hw, "virtual switch"), "%s", hw);
    cr_assert(strstr(hw, "port1 [shape=box, label=\"netq\\n52:54:00:00:00:02\"]"), "%s", hw);
    char *direct = run_out("dot netq --io --mode hw --net --passthrough 0 --args 8", &st);
    cr_assert_eq(st, 0, "%s", direct);
    cr_assert(!strstr(direct, "color=red"), "passed through, nothing exits: %s", direct);
    cr_assert(strstr(direct, "interrupts posted"), "%s", direct);
    char *native = run_out("dot netping --io --net --args 8", &st);
    cr_assert_eq(st, 0, "%s", native);
    cr_assert(!strstr(native, "color=red") && strstr(native, "echo host"), "%s", native);
    free(hw);
    free(direct);
    free(native);
}

/* ---- save, restore and migration (docs/savefile.md, docs/migration.md) ---- */

/* Frames in flight at cycle c of run `args` (the run stopped there). */
static long long in_flight_at(const char *args, unsigned long long c)
{
    char a[768], path[256];
    snprintf(path, sizeof path, "%s/stop.json", temp_dir());
    snprintf(a, sizeof a, "run %s --max-cycles %llu --stats %s", args, c, path);
    cr_assert_eq(run_ringsim(a, NULL, NULL), 124, "%s: stopped by the cycle limit", a);
    json_t *s = json_load_file(path, 0, NULL);
    cr_assert(s, "%s: no statistics", a);
    long long n = 0;
    json_t *ports = json_object_get(json_object_get(s, "net"), "ports");
    for (size_t i = 0; i < json_array_size(ports); i++)
        n += num(json_object_get(json_array_get(ports, i), "nic"), "in_fifo");
    json_decref(s);
    return n;
}

/* Saved at each of the cycles and restored, a network run is the run that
 * never stopped: the restored part prints the end of its output, and the
 * statistics (the switch's and the interfaces' counters with them) are
 * the same byte for byte — with frames in flight at some of the cycles. */
Test(net, a_saved_and_restored_network_run_is_the_run_that_never_stopped, .timeout = 300)
{
    static const char *const runs[] = {
        "netping --net --args 16", "netping --net --args 16 --mode te --isa strict",
        "netping --net --args 16 --mode bt", "netping --net --args 16 --mode hw --mmu shadow",
        "netping --net --args 16 --mode hw", "netping --net --args 16 --mode pv",
        "netq --net --args 16 --mode hw --net-latency 5000", "netping netping --net --args 16 --mode hw",
    };
    static const unsigned long long at[] = {250000, 420000, 555555};
    const char *dir = temp_dir();
    char a[1024], save[256], s1[256], s2[256];
    snprintf(save, sizeof save, "%s/n.save", dir);
    snprintf(s1, sizeof s1, "%s/whole.json", dir);
    snprintf(s2, sizeof s2, "%s/rest.json", dir);
    long long flights = 0;
    for (size_t r = 0; r < sizeof runs / sizeof runs[0]; r++) {
        int st;
        snprintf(a, sizeof a, "run %s --stats %s", runs[r], s1);
        char *whole = run_out(a, &st);
        cr_assert_eq(st, 0, "%s: %s", runs[r], whole);
        char *whole_stats = slurp(s1);
        for (size_t k = 0; k < sizeof at / sizeof at[0]; k++) {
            snprintf(a, sizeof a, "run %s --save-at %llu:%s", runs[r], at[k], save);
            free(run_out(a, &st));
            cr_assert_eq(st, 0, "%s", a);
            snprintf(a, sizeof a, "run %s --stats %s", save, s2);
            char *rest = run_out(a, &st);
            cr_assert_eq(st, 0, "%s: restored at %llu: %s", runs[r], at[k], rest);
            size_t n = strlen(whole), m = strlen(rest);
            cr_assert(m > 0 && m <= n && strcmp(whole + n - m, rest) == 0,
                      "%s saved at %llu: the restored run printed\n%s\nnot the end of\n%s", runs[r], at[k], rest, whole);
            char *rest_stats = slurp(s2);
            cr_assert_str_eq(rest_stats, whole_stats, "%s saved at %llu: the statistics differ", runs[r], at[k]);
            free(rest_stats);
            free(rest);
            flights += in_flight_at(runs[r], at[k]);
        }
        free(whole);
        free(whole_stats);
    }
    cr_assert_gt(flights, 0, "no save point had a frame in flight: the test would not test them");
}
