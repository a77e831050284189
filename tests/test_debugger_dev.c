/*
 * test_debugger_dev.c — the debugger's `info dev` (visualise/debugger_dev.c,
 * the Devices pane's text): the block device's registers, the split
 * driver's queue, a mirror's files, the network interface's rings, the
 * switch's ports, under pass-through the IOMMU's domain and IOTLB, and the
 * last device events, as the run has them.  The full-screen pane itself is
 * driven through tmux in tests/test_debugger_tmux.c.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/helpers.h"

/* `ringsim debug OPTS --batch` with commands: stdout. */
static char *debug_batch(const char *dir, const char *opts, const char *commands)
{
    char batch[400], a[1500], why[256];
    snprintf(batch, sizeof batch, "%s/cmds", dir);
    cr_assert(write_file_atomic(batch, commands, why, sizeof why), "%s", why);
    snprintf(a, sizeof a, "debug %s --batch %s", opts, batch);
    char *out, *err;
    int st = run_ringsim(a, &out, &err);
    cr_assert_eq(st, 0, "%s\n%s", out, err);
    free(err);
    return out;
}

static void says(const char *text, const char *line) { cr_assert(strstr(text, line), "lacks '%s':\n%s", line, text); }

Test(debugger_dev, info_dev_shows_the_queue_at_each_completion)
{
    const char *dir = temp_dir();
    char opts[600];
    snprintf(opts, sizeof opts, "diskq --args 2 --mode hw --disk %s/q.img:create=256K:mirror=%s/r.img", dir, dir);
    char *out = debug_batch(dir, opts, "info dev\nbreak trap disk\ncontinue\ninfo dev\ncontinue\ninfo dev\nquit\n");
    /* before the driver ran: no queue yet, no command */
    says(out, "block device: ");
    says(out, "request queue: none");
    says(out, "commands 0 (reads 0, writes 0");
    /* at the first completion one request was taken, at the second two */
    says(out, "available 1, used 1: 0 outstanding; 1 notifications, 1 requests taken");
    says(out, "available 2, used 2: 0 outstanding; 2 notifications, 2 requests taken");
    says(out, "commands 2 (reads 1, writes 1, flushes 0, errors 0), DMA 4608 bytes, interrupts 2");
    says(out, "status: idle, done (not acknowledged), last error ok");
    says(out, "emulated by the hypervisor");
    says(out, "/r.img ok (0 reads)");
    free(out);
}

Test(debugger_dev, info_dev_shows_the_iommu_when_passed_through)
{
    const char *dir = temp_dir();
    char opts[600];
    snprintf(opts, sizeof opts, "diskio --args 2 --mode hw --passthrough 0 --disk %s/p.img:create=256K", dir);
    char *out = debug_batch(dir, opts, "break trap disk\ncontinue\ninfo dev\nquit\n");
    says(out, "passed through (its ports do not exit, its DMA goes through the IOMMU)");
    says(out, "IOMMU domain 0: table h:");
    says(out, "walks 1 (2 references)");
    /* the IOTLB holds the page of the first transfer, mapped inside VM 0 (host 0..16 MiB) */
    const char *e = strstr(out, "  IOTLB 0: domain 0, bus ");
    cr_assert(e, "%s", out);
    unsigned bus, host;
    cr_assert_eq(sscanf(e, "  IOTLB 0: domain 0, bus %x -> h:%x", &bus, &host), 2, "%s", e);
    cr_assert_lt(host, 16u << 20);
    free(out);
    /* bare metal, and no disk at all */
    snprintf(opts, sizeof opts, "diskio --args 2 --disk %s/n.img:create=256K", dir);
    out = debug_batch(dir, opts, "break trap disk\ncontinue\ninfo dev\nquit\n");
    says(out, "block device (bare metal): ");
    cr_assert_null(strstr(out, "IOMMU domain"), "%s", out);
    free(out);
    out = debug_batch(dir, "hello", "info dev\nquit\n");
    says(out, "no devices: no block device and no network interface");
    free(out);
}

/* The text of the last `info CMD` of a batch's output: from after its
 * prompt line to the next prompt (malloc'd). */
static char *last_output(const char *out, const char *cmd)
{
    char prompt[64];
    snprintf(prompt, sizeof prompt, "(ringsim) %s\n", cmd);
    const char *at = NULL;
    for (const char *p = strstr(out, prompt); p; p = strstr(p + 1, prompt)) at = p;
    cr_assert(at, "no '%s' in:\n%s", cmd, out);
    at += strlen(prompt);
    const char *end = strstr(at, "(ringsim) ");
    size_t n = end ? (size_t)(end - at) : strlen(at);
    char *r = strndup(at, n);
    cr_assert(r);
    return r;
}

/* What the interface's device events add up to, in `info events` lines. */
struct nic_events {
    unsigned lines, doorbells, tx_taken, received, irqs;
    unsigned long long bytes;
};

static struct nic_events count_nic_events(const char *events)
{
    struct nic_events c = {0};
    for (const char *l = events; *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : l + strlen(l)) {
        c.lines++;
        const char *dev = strstr(l, " dev nic "), *nl = strchr(l, '\n');
        if (!dev || (nl && dev > nl)) continue;
        unsigned took, bytes;
        if (sscanf(dev, " dev nic doorbell port=net_tx_notify took=%u", &took) == 1) c.tx_taken += took;
        if (!strncmp(dev, " dev nic doorbell ", 18)) c.doorbells++;
        if (!strncmp(dev, " dev nic irq ", 13)) c.irqs++;
        if (sscanf(dev, " dev nic dma %*s addr=g:%*x bytes=%u", &bytes) == 1) {
            const char *failed = strstr(dev, " failed");
            cr_assert(!failed || (nl && failed > nl), "a refused transfer in a clean run: %.*s", (int)(nl - l), l);
            c.bytes += bytes;
            if (!strncmp(dev, " dev nic dma to-mem ", 20)) c.received++;
        }
    }
    return c;
}

/* The numbers `info dev` gives the interface in front. */
struct nic_view {
    unsigned tx_avail, tx_used, rx_avail, rx_used;
    unsigned long long sent, notifications, interrupts, dma, port_sent;
};

static struct nic_view parse_nic(const char *dev, int port)
{
    struct nic_view v;
    const char *tx = strstr(dev, "  tx ring: "), *rx = strstr(dev, "  rx ring: "), *n = strstr(dev, "  notifications ");
    cr_assert(tx && rx && n, "%s", dev);
    cr_assert_eq(sscanf(tx, "  tx ring: available %u, used %u: %*u to send; sent %llu", &v.tx_avail, &v.tx_used,
                        &v.sent), 3, "%s", tx);
    cr_assert_eq(sscanf(rx, "  rx ring: available %u, used %u", &v.rx_avail, &v.rx_used), 2, "%s", rx);
    cr_assert_eq(sscanf(n, "  notifications %llu, interrupts %llu, DMA %llu bytes", &v.notifications, &v.interrupts,
                        &v.dma), 3, "%s", n);
    char mark[16];
    snprintf(mark, sizeof mark, "> port %d ", port);   /* the switch's line for the interface in front */
    const char *p = strstr(dev, mark);
    cr_assert(p, "the switch marks port %d:\n%s", port, dev);
    cr_assert_eq(sscanf(p + strlen(mark), "%*s sent %llu", &v.port_sent), 1, "%s", p);
    return v;
}

/* netping's rings after three of its interrupts: every index `info dev`
 * shows is what the device events of the same run add up to (the
 * doorbells' frames taken, the frames DMA'd in, the interrupts), and the
 * switch counted the frames the ring says were sent — under bare metal, an
 * emulated interface (hw) and trap-and-emulate alike. */
Test(debugger_dev, info_dev_nic_rings_agree_with_the_dev_events)
{
    const char *dir = temp_dir();
    static const char *const modes[] = {"native", "hw", "te"};
    for (int i = 0; i < 3; i++) {
        char opts[200];
        snprintf(opts, sizeof opts, "netping --args 4 --net --mode %s", modes[i]);
        char *out = debug_batch(dir, opts, "break trap net\ncontinue\ncontinue\ncontinue\ninfo dev\n"
                                           "info events 8192\nquit\n");
        char *dev = last_output(out, "info dev"), *events = last_output(out, "info events 8192");
        struct nic_events c = count_nic_events(events);
        cr_assert_lt(c.lines, 8192, "%s: the log should still hold the run's first event", modes[i]);
        struct nic_view v = parse_nic(dev, 0);
        cr_assert_gt(v.tx_used, 0, "%s: %s", modes[i], dev);
        cr_assert_gt(v.rx_used, 0, "%s: %s", modes[i], dev);
        cr_assert_eq(v.tx_avail, v.tx_used, "%s: at the interrupt every frame is taken:\n%s", modes[i], dev);
        cr_assert_eq(v.tx_used, c.tx_taken, "%s: tx used vs frames the doorbells took\n%s", modes[i], dev);
        cr_assert_eq(v.rx_used, c.received, "%s: rx used vs frames DMA'd in\n%s", modes[i], dev);
        cr_assert_eq(v.notifications, c.doorbells, "%s: notifications vs doorbells\n%s", modes[i], dev);
        cr_assert_eq(v.interrupts, c.irqs, "%s: interrupts vs irq events\n%s", modes[i], dev);
        cr_assert_eq(v.dma, c.bytes, "%s: DMA bytes vs the transfers' bytes\n%s", modes[i], dev);
        cr_assert_eq(v.sent, v.port_sent, "%s: frames sent vs the switch's count\n%s", modes[i], dev);
        /* the section of device events is the last lines of the event log's, as they are */
        const char *sec = strstr(dev, "device events, the last ");
        cr_assert(sec, "%s", dev);
        for (const char *l = strchr(sec, '\n') + 1; *l == ' '; l = strchr(l, '\n') + 1) {
            char line[256];
            snprintf(line, sizeof line, "%.*s\n", (int)(strchr(l, '\n') - l - 2), l + 2);
            cr_assert(strstr(events, line), "%s: '%s' is not an event of the log", modes[i], line);
        }
        says(dev, "no block device");
        free(dev);
        free(events);
        free(out);
    }
}

/* Two VMs on the switch (a save file of `run netping netping`): `info dev`
 * shows the VM in front — the one running — and the switch marks its port. */
Test(debugger_dev, info_dev_shows_the_vm_in_front)
{
    const char *dir = temp_dir();
    char a[600], *out, *err;
    snprintf(a, sizeof a, "run netping netping --mode hw --net --args 4 --save-at 400000:%s/two.sav", dir);
    cr_assert_eq(run_ringsim(a, &out, &err), 0, "%s", err);
    free(out);
    free(err);
    snprintf(a, sizeof a, "%s/two.sav", dir);
    out = debug_batch(dir, a, "break trap net if vm == 0\ncontinue\ninfo dev\ndelete\nbreak trap net if vm == 1\n"
                              "continue\ninfo dev\nquit\n");
    const char *second = strstr(out, "(ringsim) delete");
    cr_assert(second, "%s", out);
    char *first = strndup(out, (size_t)(second - out));
    says(first, "VM 0 (netping), of 2: emulated by the hypervisor");
    struct nic_view v0 = parse_nic(first, 0);
    says(second, "VM 1 (netping), of 2: emulated by the hypervisor");
    struct nic_view v1 = parse_nic(second, 1);
    /* each interface's own rings: each VM sent what its port counts */
    cr_assert_eq(v0.sent, v0.port_sent);
    cr_assert_eq(v1.sent, v1.port_sent);
    cr_assert_gt(v0.sent + v1.sent, 0, "%s", out);
    says(out, "switch: 2 interfaces and the echo host");
    free(first);
    free(out);
}

/* Passed through, the interface's DMA goes through the IOMMU: the view says
 * so, shows the domain, and its device events carry the walks' references. */
Test(debugger_dev, info_dev_shows_a_passed_through_nic_and_its_iommu)
{
    const char *dir = temp_dir();
    char *out = debug_batch(dir, "netping --args 4 --net --mode hw --passthrough 0",
                            "break trap net\ncontinue\ninfo dev\nquit\n");
    char *dev = last_output(out, "info dev");
    says(dev, "VM 0 (netping), of 1: passed through (its ports do not exit, its DMA goes through the IOMMU)");
    says(dev, "no block device in this VM");
    says(dev, "IOMMU domain 0: table h:");
    says(dev, " iommu refs=");
    says(dev, "dev nic irq cause=net vm=0 posted");
    free(dev);
    free(out);
}

/* While a disk command is in flight the view says until when: the cycle of
 * its doorbell plus the device time its events took (set-up and sectors),
 * which is the cycle the run later reports it complete. */
Test(debugger_dev, info_dev_shows_the_disk_busy_until_its_completion)
{
    const char *dir = temp_dir();
    char opts[300];
    snprintf(opts, sizeof opts, "diskio --args 2 --disk %s/b.img:create=256K", dir);
    char *out = debug_batch(dir, opts, "break trap disk\ncontinue\ninfo dev\nquit\n");
    char *dev = last_output(out, "info dev");
    unsigned long long bell, bell_busy, dma, dma_busy, done;
    const char *b = strstr(dev, " dev disk doorbell port=disk_cmd took=1"), *m = strstr(dev, " dev disk dma to-mem ");
    const char *c = strstr(dev, "; the last command completed at cycle ");
    cr_assert(b && m && c, "%s", dev);
    while (b > dev && b[-1] != ' ') b--;
    while (m > dev && m[-1] != ' ') m--;
    cr_assert_eq(sscanf(b, "%llu dev disk doorbell port=disk_cmd took=1 busy=%llu", &bell, &bell_busy), 2, "%s", b);
    cr_assert_eq(sscanf(m, "%llu dev disk dma to-mem addr=g:%*x bytes=%*u busy=%llu", &dma, &dma_busy), 2, "%s", m);
    cr_assert_eq(sscanf(c, "; the last command completed at cycle %llu", &done), 1);
    cr_assert_eq(dma, bell, "the read's sectors move when the command starts");
    cr_assert_eq(done, bell + bell_busy + dma_busy, "%s", dev);
    free(dev);
    free(out);
    /* back to just after the doorbell: busy, until that cycle */
    char cmds[200], want[96];
    snprintf(cmds, sizeof cmds, "break trap disk\ncontinue\ngoto %llu\ninfo dev\nquit\n", bell + 1);
    out = debug_batch(dir, opts, cmds);
    dev = last_output(out, "info dev");
    snprintf(want, sizeof want, "  in flight: busy until cycle %llu (", done);
    says(dev, want);
    says(dev, "  status: busy, last error ok");
    free(dev);
    free(out);
}

/* `help pane` lists the panes from their table, each with its key, and says
 * which are off: the Devices pane starts on only where there are devices. */
Test(debugger_dev, help_pane_lists_the_devices_pane_on_f11)
{
    const char *dir = temp_dir();
    char *out = debug_batch(dir, "hello", "help pane\npane devices on\nhelp pane\nquit\n");
    const char *on = strstr(out, "pane devices: on");
    cr_assert(on, "%s", out);
    says(out, "  registers  F2   general registers");
    const char *off = strstr(out, "  devices    F11  the disk's and the network's queues and rings, the last device events (off)");
    cr_assert(off && off < on, "without devices the pane starts off:\n%s", out);
    cr_assert(strstr(on, "  devices    F11  the disk's and the network's queues and rings, the last device events\n"),
              "%s", on);
    free(out);
    char opts[300];
    snprintf(opts, sizeof opts, "diskio --disk %s/h.img:create=256K", dir);
    out = debug_batch(dir, opts, "help pane\nquit\n");
    says(out, "  devices    F11  the disk's and the network's queues and rings, the last device events\n");
    free(out);
}
