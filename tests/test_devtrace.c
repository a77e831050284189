/*
 * test_devtrace.c — the device events (cpu/devtrace.c, `run --trace dev`):
 * every doorbell, DMA transfer and interrupt of the disk and the network
 * interface, natively and under every technique, the emulated device, the
 * split driver and pass-through.
 *
 * What it pins down: the events agree with the statistics the devices keep
 * themselves (doorbells, interrupts, DMA bytes, the IOMMU's references), the
 * disk's busy time adds up from the profile's costs of what the events say
 * moved, the costs of all the run's events (devices' included) still add up
 * to its overhead, interrupts say how they came (native, posted, injected),
 * and an IOMMU fault names the device that made it.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/cpu.h"
#include "tests/helpers.h"

struct devsum {
    unsigned long long cost, doorbells, irqs, dma_bytes, refs, busy, lines;
    unsigned long long ways[3];   /* irq native, posted, injected */
};

static unsigned long long field(const char *line, const char *key)
{
    const char *p = strstr(line, key);
    return p ? strtoull(p + strlen(key), NULL, 10) : 0;
}

/* Reads a --trace all file: every event's cost, and the device events of dev. */
static void read_trace(const char *path, const char *dev, struct devsum *s)
{
    memset(s, 0, sizeof *s);
    FILE *f = fopen(path, "r");
    cr_assert(f, "%s", path);
    char line[4096], tag[16];
    snprintf(tag, sizeof tag, " dev %s ", dev);
    while (fgets(line, sizeof line, f)) {
        s->cost += field(line, " cost=");
        if (!strstr(line, tag)) continue;
        s->lines++;
        if (strstr(line, " doorbell ")) s->doorbells++;
        if (strstr(line, " irq ")) {
            s->irqs++;
            s->ways[strstr(line, " native") ? 0 : strstr(line, " posted") ? 1 : 2]++;
        }
        if (strstr(line, " dma ") && !strstr(line, " failed")) s->dma_bytes += field(line, " bytes=");
        s->refs += field(line, " refs=");
        s->busy += field(line, " busy=");
    }
    fclose(f);
}

static unsigned long long num(json_t *o, const char *k) { return (unsigned long long)json_integer_value(json_object_get(o, k)); }

struct io_case {
    const char *guest, *mode;
    bool disk, passthrough;
};

/* One run: the trace against the statistics. */
static void check(const struct io_case *c, int i, const struct profile *p, unsigned long long ways[3])
{
    char tr[512], st[512], cmd[2048], disk[600] = "";
    const char *dir = temp_dir();
    snprintf(tr, sizeof tr, "%s/dev%d.txt", dir, i);
    snprintf(st, sizeof st, "%s/dev%d.json", dir, i);
    if (c->disk) snprintf(disk, sizeof disk, "--disk %s/dev%d.img:create=16K", dir, i);
    snprintf(cmd, sizeof cmd, "run %s --args 3 --profile modern %s %s %s %s --trace all:%s --stats %s", c->guest,
             c->mode, disk, c->disk ? "" : "--net", c->passthrough ? "--passthrough 0" : "", tr, st);
    char *out = NULL, *err = NULL;
    cr_assert_eq(run_ringsim(cmd, &out, &err), 0, "%s: %s", cmd, err);
    free(out), free(err);
    struct devsum s;
    read_trace(tr, c->disk ? "disk" : "nic", &s);
    json_error_t je;
    json_t *j = json_load_file(st, 0, &je);
    cr_assert(j, "%s: %s", st, je.text);
    json_t *by = json_object_get(j, "cycles_by_cause"), *vm0 = json_array_get(json_object_get(j, "vms"), 0);
    unsigned long long over = num(by, "trap") + num(by, "walk") + num(by, "vmexit") + num(by, "hv") + num(by, "bt");
    cr_assert_eq(s.cost, over, "%s: the events (devices' too) cost %llu, the run's overhead is %llu", cmd, s.cost, over);
    json_t *dev = c->disk ? json_object_get(j, "disk") : NULL;
    if (c->disk && !dev) dev = json_object_get(vm0, "disk");
    if (!c->disk) dev = json_object_get(json_array_get(json_object_get(json_object_get(j, "net"), "ports"), 0), "nic");
    cr_assert(dev, "%s: the device's statistics", cmd);
    cr_assert_gt(s.lines, 0, "%s: device events", cmd);
    unsigned long long doorbells = num(dev, "notifications") + (c->disk ? num(dev, "commands") - num(dev, "queue_requests") : 0);
    cr_assert_eq(s.doorbells, doorbells, "%s: %llu doorbell events, the device counted %llu", cmd, s.doorbells, doorbells);
    cr_assert_eq(s.irqs, num(dev, "interrupts"), "%s: %llu irq events, the device counted %llu", cmd, s.irqs,
                 num(dev, "interrupts"));
    cr_assert_eq(s.dma_bytes, num(dev, "dma_bytes"), "%s: DMA events moved %llu bytes, the device %llu", cmd, s.dma_bytes,
                 num(dev, "dma_bytes"));
    unsigned long long refs = c->disk ? num(json_object_get(vm0, "iommu"), "walk_refs") : num(dev, "iommu_walk_refs");
    cr_assert_eq(s.refs, refs, "%s: DMA events' IOMMU references %llu, the statistics' %llu", cmd, s.refs, refs);
    if (c->passthrough) cr_assert_gt(refs, 0, "%s: the IOMMU walked", cmd);
    if (c->disk) {
        /* the disk's time: a command's set-up, its sectors, the IOMMU's references */
        unsigned long long busy = (num(dev, "commands") - num(dev, "errors")) * p->disk_command +
                                  (num(dev, "sectors_read") + num(dev, "sectors_written")) * p->disk_sector +
                                  refs * p->walk_ref;
        cr_assert_eq(s.busy, busy, "%s: the disk events' busy time %llu, from the statistics %llu", cmd, s.busy, busy);
    } else {
        cr_assert_eq(s.busy, 0, "%s: the NIC spends no time of its own", cmd);
    }
    /* how the interrupts came */
    bool native = !*c->mode;
    cr_assert_eq(s.ways[0], native ? s.irqs : 0, "%s: native interrupts", cmd);
    cr_assert_eq(s.ways[1], c->passthrough ? s.irqs : 0, "%s: posted interrupts", cmd);
    cr_assert_eq(s.ways[2], !native && !c->passthrough ? s.irqs : 0, "%s: injected interrupts", cmd);
    for (int w = 0; w < 3; w++) ways[w] += s.ways[w];
    json_decref(j);
}

Test(devtrace, device_events_agree_with_the_stats_and_add_up_under_every_technique, .timeout = 240)
{
    struct profile p;
    char perr[256];
    cr_assert(profile_load("modern", &p, perr, sizeof perr), "%s", perr);
    static const char *const modes[] = {"", "--mode te", "--mode bt", "--mode hw", "--mode hw --mmu shadow",
                                        "--mode pv"};
    static const struct { const char *guest; bool disk; } guests[] = {
        {"diskio", true}, {"diskq", true}, {"netping", false}, {"netq", false}};
    int i = 0;
    unsigned long long ways[3] = {0, 0, 0};
    for (size_t g = 0; g < sizeof guests / sizeof guests[0]; g++)
        for (size_t k = 0; k < sizeof modes / sizeof modes[0]; k++) {
            struct io_case c = {guests[g].guest, modes[k], guests[g].disk, false};
            check(&c, i++, &p, ways);
        }
    /* pass-through: the device's own ports, its DMA through the IOMMU, posted interrupts */
    struct io_case pt[] = {{"diskio", "--mode hw", true, true}, {"netping", "--mode hw", false, true}};
    for (size_t k = 0; k < 2; k++) check(&pt[k], i++, &p, ways);
    cr_assert(ways[0] && ways[1] && ways[2], "interrupts came every way: %llu native, %llu posted, %llu injected",
              ways[0], ways[1], ways[2]);
}
