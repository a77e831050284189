/*
 * compare_io.c — `ringsim compare --io`: the lecture's three ways of giving
 * a guest a device, side by side, for the disk (diskio) and the network
 * (netping).  docs/io.md, "ringsim compare --io".
 *
 *   emulated      the kernel's register driver (diskio, netping): every
 *                 access to a device register traps or exits, and the
 *                 hypervisor plays the device (hypervisor/vdev.c);
 *   split         the queue driver (diskq, netq): requests in rings in the
 *                 guest's memory, one doorbell a batch, interrupts
 *                 suppressed — virtio's shape;
 *   pass-through  the register driver on the device itself, its ports not
 *                 trapped, its DMA through the IOMMU (or without one), its
 *                 interrupts posted (hypervisor/passthrough.c);
 *
 * each beside bare metal running the same driver, under every technique
 * that can do it (the table of techniques decides: pass-through needs a
 * guest in its own ring 0 over nested paging, two VMs a technique that runs
 * several).  For netping also two VMs pinging each other.  Every row is one
 * `ringsim run --stats` (compare.c's job runner) and every figure comes out
 * of its statistics: exits, cycles, the device's interrupts, doorbells and
 * DMA bytes, the IOMMU's walk references.  Nothing is written in.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cli/cli.h"
#include "hypervisor/technique.h"
#include "visualise/visualise.h"

/* A workload and its two drivers: the register driver (the device as it
 * is, used natively, emulated and passed through) and the queue driver
 * (the split driver's front end). */
struct io_workload {
    const char *name, *registers, *queue;
    bool disk;                     /* a block device (--disk), else a network interface (--net) */
    const char *unit;              /* what --args counts */
    unsigned default_args;
};
static const struct io_workload io_workloads[] = {
    {"diskio", "diskio", "diskq", true, "blocks of 4 KiB", 32},
    {"netping", "netping", "netq", false, "frames of 1 KiB", 64},
};
#define IO_NWORKLOADS (sizeof io_workloads / sizeof io_workloads[0])
#define IO_MAX_ROWS (IO_NWORKLOADS * (4 * HV_MODE_COUNT * HV_MMU_COUNT + 8))
#define IO_MAX_ARGS 4096u

/* One row: one run of a driver under one technique. */
struct io_row {
    const struct io_workload *w;
    const char *way;               /* "bare metal", "emulated", "split", "pass-through" */
    bool queue;                    /* the queue driver (else the register driver) */
    char technique[24];            /* "native", "hw+nested" */
    const char *argv[4];           /* --mode M [--mmu U] */
    bool deprivileged;             /* its every trap enters the hypervisor (te, bt, pv) */
    int vms;                       /* 1, or 2 pinging each other */
    unsigned args;                 /* the workload's --args */
    const char *iommu;             /* pass-through: "on" or "off"; else "-" */
    char disk[PATH_MAX + 32];      /* --disk FILE:create=SIZE */
    /* measured */
    bool ok;
    int status;
    char note[200];
    char *output;
    json_t *stats;
    double kb;                     /* moved by the device's DMA (VM 0's), KiB */
    uint64_t cycles, busy, exits, irqs, doorbells, dma_bytes, walk_refs;
    bool same;
};

static void io_help(FILE *out)
{
    fprintf(out,
        "usage: ringsim compare --io [diskio] [netping] [--args N] [--profile P] [--isa ISA]\n"
        "                       [--csv FILE] [--json FILE] [--chart FILE.svg|FILE.png]\n"
        "                       [--jobs N] [--timeout S]\n\n"
        "The three ways of virtualising a device, for the disk (diskio) and the network\n"
        "(netping), both unless one is named: the emulated device (the register driver; every\n"
        "register access traps or exits) and the split driver (the queue driver: rings in\n"
        "memory, a doorbell a batch) natively and under every technique, and the device passed\n"
        "through (hw with nested paging) with the IOMMU and without; for netping also two VMs\n"
        "pinging each other (natively and with one VM, the peer is the switch's echo host).\n"
        "Each row is a separate `ringsim run --stats` on a fresh disk file (or with --net):\n"
        "exits per KB moved by the device's DMA (VM exits under hw; under te, bt and pv every\n"
        "entry into the hypervisor), cycles and busy (non-idle) cycles per KB, throughput\n"
        "against bare metal with the same driver (its cycles per KB over the row's), the\n"
        "device's interrupts, doorbells (commands started by a register, queue\n"
        "notifications) and DMA bytes, the IOMMU's walk references per KB, and whether the\n"
        "guest printed bare metal's checksum.\n\n"
        "  --args N           the workloads' iteration count (diskio: blocks of 4 KiB, 32;\n"
        "                     netping: frames of 1 KiB, 64), 1..%u\n"
        "  --profile P        machine profile NAME or FILE.ini (default modern)\n"
        "  --isa ISA          strict (default) or classic\n"
        "  --csv FILE         the rows as CSV\n"
        "  --json FILE        the rows as JSON, each with its run's whole statistics\n"
        "  --chart FILE       a gnuplot chart of cycles per KB, a bar per way and technique, a\n"
        "                     panel per workload, SVG or PNG by extension\n"
        "  --jobs N           runs at a time (default 2)\n"
        "  --timeout S        kill a run still going after S seconds (default 300)\n\n"
        "Exit status: 0 when every run ran, 1 if one failed, %d for bad arguments.\n\n"
        "Example: ringsim compare --io diskio --chart io.svg --csv io.csv\n", IO_MAX_ARGS, EXIT_USAGE);
}

/* The rows of workload w, appended to rows from n; returns the new count.
 * Bare metal and the emulated device, then bare metal and the split driver,
 * under each technique in the order of the table of techniques; then
 * pass-through under each configuration with a guest in its own ring 0 over
 * nested paging; then (netping) two VMs under each configuration that runs
 * several, each way. */
static int io_rows(const struct io_workload *w, struct io_row *rows, int n)
{
    struct hv_config_choice c[HV_MODE_COUNT * HV_MMU_COUNT];
    int nc = hv_compare_configs(c, HV_MODE_COUNT * HV_MMU_COUNT);
    if (nc > HV_MODE_COUNT * HV_MMU_COUNT) nc = HV_MODE_COUNT * HV_MMU_COUNT;
    for (int pass = 0; pass < 4; pass++)
        for (int k = 0; k < nc; k++) {
            const struct hv_technique *t = c[k].t;
            bool virt = hv_technique_virtual(t);
            bool direct = virt && !t->deprivileged && c[k].mmu == HV_MMU_NESTED;   /* can pass through */
            bool many = virt && (t->many_vms_mmus & HV_MMU_BIT(c[k].mmu));
            /* rows of this pass under this configuration: 0 registers, 1 queue
             * (one each); 2 passed through with the IOMMU, and for the disk
             * without (--no-iommu is the disk's); 3 two VMs: registers, queue,
             * and VM 0's passed through where it can be */
            int variants = pass < 2 ? 1 : pass == 2 ? (direct ? (w->disk ? 2 : 1) : 0)
                                                    : (!w->disk && many ? (direct ? 3 : 2) : 0);
            for (int v = 0; v < variants && n < (int)IO_MAX_ROWS; v++) {
                struct io_row *r = &rows[n++];
                memset(r, 0, sizeof *r);
                r->w = w;
                r->vms = pass == 3 ? 2 : 1;
                r->queue = pass == 1 || (pass == 3 && v == 1);
                r->iommu = "-";
                if (pass == 2) r->iommu = v == 0 ? "on" : "off";
                if (pass == 3 && v == 2) r->iommu = "on";
                r->way = !virt ? "bare metal" : !strcmp(r->iommu, "-") ? (r->queue ? "split" : "emulated")
                                                                       : "pass-through";
                hv_config_name(t->mode, c[k].mmu, r->technique, sizeof r->technique);
                r->deprivileged = t->deprivileged;
                if (!virt) continue;
                r->argv[0] = "--mode";
                r->argv[1] = t->name;
                if (t->mmus) {
                    r->argv[2] = "--mmu";
                    r->argv[3] = hv_mmu_name(c[k].mmu);
                }
            }
        }
    return n;
}

static long long jnum(json_t *o, const char *k) { return json_integer_value(json_object_get(o, k)); }

/* The checksum lines a run printed ("diskio: 32 iterations, checksum …"),
 * each without the "[vm] " a VM's line starts with when several share the
 * console: all equal to line, and as many as the row has VMs? */
static bool io_same_checksum(const char *output, const char *line, int vms)
{
    int n = 0;
    for (const char *p = output; p && *p;) {
        const char *end = strchr(p, '\n');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        const char *s = p;
        if (vms > 1 && *s == '[') {
            const char *close = memchr(s, ']', len);
            if (close && close[1] == ' ') {
                len -= (size_t)(close + 2 - s);
                s = close + 2;
            }
        }
        char text[256];
        snprintf(text, sizeof text, "%.*s", (int)len, s);
        if (strstr(text, ", checksum ")) {
            if (strcmp(text, line)) return false;
            n++;
        }
        p = end ? end + 1 : NULL;
    }
    return n == vms;
}

/* Bare metal's first checksum line (the oracle), in out. */
static void io_checksum_line(const char *output, char *out, size_t len)
{
    const char *p = strstr(output, ", checksum ");
    out[0] = 0;
    if (!p) return;
    while (p > output && p[-1] != '\n') p--;
    snprintf(out, len, "%.*s", (int)strcspn(p, "\n"), p);
}

/* The figures of a row out of its statistics; false (with a note) if they
 * are not there. */
static bool io_measure(struct io_row *r)
{
    json_t *s = r->stats, *dev;
    if (r->w->disk) {
        dev = json_object_get(s, "disk");
        if (!dev) dev = json_object_get(json_array_get(json_object_get(s, "vms"), 0), "disk");
    } else {
        dev = json_object_get(json_array_get(json_object_get(json_object_get(s, "net"), "ports"), 0), "nic");
    }
    if (!dev || jnum(dev, "dma_bytes") <= 0) {
        snprintf(r->note, sizeof r->note, "no DMA in its statistics (exit status %d)", r->status);
        return false;
    }
    r->dma_bytes = (uint64_t)jnum(dev, "dma_bytes");
    r->kb = (double)r->dma_bytes / 1024.0;
    r->cycles = (uint64_t)jnum(s, "cycles");
    r->busy = r->cycles - (uint64_t)jnum(json_object_get(s, "cycles_by_cause"), "idle");
    /* exits: VM exits; under a deprivileged technique every trap of the
     * guest enters the hypervisor, and so does a translated callout */
    r->exits = (uint64_t)jnum(json_object_get(s, "vmexits"), "total") +
               (uint64_t)jnum(json_object_get(s, "bt"), "callouts") +
               (r->deprivileged ? (uint64_t)jnum(json_object_get(s, "traps"), "total") : 0);
    r->irqs = (uint64_t)jnum(dev, "interrupts");
    /* a doorbell starts the device: a command by its register, or a
     * notification of the queue (the disk's); the NIC's are counted so */
    r->doorbells = (uint64_t)(jnum(dev, "notifications") +
                              (r->w->disk ? jnum(dev, "commands") - jnum(dev, "queue_requests") : 0));
    /* the IOMMU's walks for this device: the NIC counts its own, the disk
     * is the VM's only DMA-capable device in these runs */
    r->walk_refs = r->w->disk ? (uint64_t)jnum(json_object_get(json_array_get(json_object_get(s, "vms"), 0), "iommu"),
                                               "walk_refs")
                              : (uint64_t)jnum(dev, "iommu_walk_refs");
    return true;
}

static double per_kb(const struct io_row *r, uint64_t v) { return r->kb > 0 ? (double)v / r->kb : 0; }

/* Bare metal's row with r's driver (the same workload), or NULL. */
static const struct io_row *io_native(const struct io_row *rows, int n, const struct io_row *r)
{
    for (int i = 0; i < n; i++)
        if (rows[i].w == r->w && rows[i].queue == r->queue && !rows[i].argv[0]) return &rows[i];
    return NULL;
}

static double io_throughput(const struct io_row *rows, int n, const struct io_row *r)
{
    const struct io_row *b = io_native(rows, n, r);
    return b && b->ok && r->ok && r->cycles ? per_kb(b, b->cycles) / per_kb(r, r->cycles) : 0;
}

static const char *io_driver(const struct io_row *r) { return r->queue ? "queue" : "registers"; }

static void io_print(FILE *out, const struct io_row *rows, int n, const char *profile, const char *isa,
                     const unsigned *args)
{
    const struct io_workload *w = NULL;
    for (int i = 0; i < n; i++) {
        const struct io_row *r = &rows[i];
        if (r->w != w) {
            w = r->w;
            fprintf(out, "%s%s, %u %s (profile %s, %s ISA)\n\n", i ? "\n" : "", w->name,
                    args[w - io_workloads], w->unit, profile, isa);
            fprintf(out, "%-12s %-9s %-10s %3s %5s %8s %9s %8s %8s %8s %9s %10s %8s %4s\n", "way", "driver",
                    "technique", "VMs", "IOMMU", "exits/KB", "cycles/KB", "busy/KB", "x native", "dev irqs",
                    "doorbells", "DMA bytes", "wref/KB", "same");
        }
        if (!r->ok) {
            fprintf(out, "%-12s %-9s %-10s %3d %5s  %s\n", r->way, io_driver(r), r->technique, r->vms, r->iommu,
                    r->note);
            continue;
        }
        fprintf(out, "%-12s %-9s %-10s %3d %5s %8.1f %9.0f %8.0f %8.3f %8llu %9llu %10llu %8.3f %4s\n", r->way,
                io_driver(r), r->technique, r->vms, r->iommu, per_kb(r, r->exits), per_kb(r, r->cycles),
                per_kb(r, r->busy), io_throughput(rows, n, r), (unsigned long long)r->irqs,
                (unsigned long long)r->doorbells, (unsigned long long)r->dma_bytes, per_kb(r, r->walk_refs),
                r->same ? "yes" : "NO");
    }
    fprintf(out, "\nper KB moved by the device's DMA (VM 0's with two VMs): exits (VM exits; under te, bt\n"
                 "and pv every entry into the hypervisor), cycles, busy (non-idle) cycles, the IOMMU's\n"
                 "walk references; x native: bare metal's cycles per KB with the same driver over the\n"
                 "row's; dev irqs, doorbells: the device's (VM 0's) interrupts and commands started\n"
                 "(a register's or a queue's notification); same: bare metal's checksum printed (by\n"
                 "each VM).  Natively and with one VM the peer of netping is the switch's echo host.\n");
}

static json_t *io_row_json(const struct io_row *rows, int n, const struct io_row *r)
{
    json_t *j = json_pack("{s:s,s:i,s:s,s:s,s:s,s:i,s:s,s:b,s:i}", "workload", r->w->name, "args", (int)r->args,
                          "way", r->way, "driver", io_driver(r), "technique", r->technique, "vms", r->vms, "iommu",
                          r->iommu, "ok", r->ok, "status", r->status);
    if (!r->ok) {
        json_object_set_new(j, "note", json_string(r->note));
        return j;
    }
    json_object_set_new(j, "exits_per_kb", json_real(per_kb(r, r->exits)));
    json_object_set_new(j, "cycles_per_kb", json_real(per_kb(r, r->cycles)));
    json_object_set_new(j, "busy_cycles_per_kb", json_real(per_kb(r, r->busy)));
    json_object_set_new(j, "throughput_vs_native", json_real(io_throughput(rows, n, r)));
    json_object_set_new(j, "device_interrupts", json_integer((json_int_t)r->irqs));
    json_object_set_new(j, "doorbells", json_integer((json_int_t)r->doorbells));
    json_object_set_new(j, "dma_bytes", json_integer((json_int_t)r->dma_bytes));
    json_object_set_new(j, "iommu_walk_refs_per_kb", json_real(per_kb(r, r->walk_refs)));
    json_object_set_new(j, "exits", json_integer((json_int_t)r->exits));
    json_object_set_new(j, "cycles", json_integer((json_int_t)r->cycles));
    json_object_set_new(j, "same_output", json_boolean(r->same));
    json_object_set(j, "stats", r->stats);
    return j;
}

/* The CSV and the JSON: the same rows, each written atomically. */
static bool io_files(const struct io_row *rows, int n, const char *profile, const char *isa, const char *csv,
                     const char *jsonf, char *err, size_t errlen)
{
    if (csv) {
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);
        if (!f) return false;
        fprintf(f, "workload,way,driver,technique,vms,iommu,ok,exits_per_kb,cycles_per_kb,busy_cycles_per_kb,"
                   "throughput_vs_native,device_interrupts,doorbells,dma_bytes,iommu_walk_refs_per_kb,same_output\n");
        for (int i = 0; i < n; i++) {
            const struct io_row *r = &rows[i];
            fprintf(f, "%s,%s,%s,%s,%d,%s,%d", r->w->name, r->way, io_driver(r), r->technique, r->vms, r->iommu,
                    r->ok);
            if (r->ok)
                fprintf(f, ",%.3f,%.1f,%.1f,%.4f,%llu,%llu,%llu,%.4f,%d\n", per_kb(r, r->exits),
                        per_kb(r, r->cycles), per_kb(r, r->busy), io_throughput(rows, n, r),
                        (unsigned long long)r->irqs, (unsigned long long)r->doorbells,
                        (unsigned long long)r->dma_bytes, per_kb(r, r->walk_refs), r->same);
            else
                fprintf(f, ",,,,,,,,,\n");
        }
        fclose(f);
        bool ok = write_file_atomic(csv, text, err, errlen);
        free(text);
        if (!ok) return false;
    }
    if (jsonf) {
        json_t *o = json_pack("{s:s,s:s}", "profile", profile, "isa", isa), *a = json_array();
        for (int i = 0; i < n; i++) json_array_append_new(a, io_row_json(rows, n, &rows[i]));
        json_object_set_new(o, "rows", a);
        char *text = json_dumps(o, JSON_INDENT(2));
        json_decref(o);
        if (!text) return false;
        size_t len = strlen(text);
        char *nl = realloc(text, len + 2);
        if (!nl) { free(text); return false; }
        memcpy(nl + len, "\n", 2);
        bool ok = write_file_atomic(jsonf, nl, err, errlen);
        free(nl);
        if (!ok) return false;
    }
    return true;
}

/* The chart: a panel per workload; along it each technique (and two VMs),
 * a bar per way — the register driver (bare metal's, emulated), the queue
 * driver (bare metal's, split), passed through with and without the IOMMU —
 * of cycles per KB moved. */
struct io_chart { const struct io_row *rows; int n; const char *profile; };

enum { IO_BAR_REGISTERS, IO_BAR_QUEUE, IO_BAR_PT, IO_BAR_PT_OFF, IO_NBARS };
static const char *const io_bar_title[IO_NBARS] = {"registers (emulated)", "queue (split)",
                                                    "passed through", "... no IOMMU"};
static const char *const io_bar_colour[IO_NBARS] = {"#e15759", "#4e79a7", "#59a14f", "#bab0ac"};

static int io_bar(const struct io_row *r)
{
    if (!strcmp(r->iommu, "on")) return IO_BAR_PT;
    if (!strcmp(r->iommu, "off")) return IO_BAR_PT_OFF;
    return r->queue ? IO_BAR_QUEUE : IO_BAR_REGISTERS;
}

static void io_chart_write(void *ctx, FILE *s, FILE *d, const char *term, const char *out, const char *data)
{
    const struct io_chart *c = ctx;
    int panels = 0;
    for (int i = 0; i < c->n; i++) panels += !i || c->rows[i].w != c->rows[i - 1].w;
    fprintf(s, "set terminal %s\nset output '%s'\nset encoding utf8\nset termoption noenhanced\n"
               "set multiplot layout %d,1 title 'cycles per KB moved by the device, per way (profile %s)'\n"
               "set ylabel 'cycles per KB'\nset yrange [0:*]\nset grid ytics\nset datafile missing '-'\n"
               "set style data histograms\nset style histogram clustered gap 1\n"
               "set style fill solid 0.9 border rgb '#333333'\nset xtics scale 0 font ',8'\n"
               "set key outside right top vertical font ',9'\nset border 3\nset tics nomirror\n",
            term, out, panels, c->profile);
    int block = 0;
    for (int i = 0; i < c->n;) {
        const struct io_workload *w = c->rows[i].w;
        int end = i;
        while (end < c->n && c->rows[end].w == w) end++;
        fprintf(s, "set title '%s'\nplot", w->name);
        for (int b = 0; b < IO_NBARS; b++)
            fprintf(s, "%s '%s' index %d using %d%s title '%s' lc rgb '%s'", b ? "," : "", data, block, b + 2,
                    b ? "" : ":xtic(1)", io_bar_title[b], io_bar_colour[b]);
        fprintf(s, "\n");
        /* a line per technique and number of VMs, in the rows' order */
        fprintf(d, "%s# technique registers queue passthrough passthrough-no-iommu\n", block ? "\n\n" : "");
        for (int k = i; k < end; k++) {
            bool first = true;
            for (int e = i; e < k; e++)
                first &= strcmp(c->rows[e].technique, c->rows[k].technique) || c->rows[e].vms != c->rows[k].vms;
            if (!first) continue;
            fprintf(d, "%s%s", c->rows[k].technique, c->rows[k].vms > 1 ? ",2VMs" : "");
            for (int b = 0; b < IO_NBARS; b++) {
                const struct io_row *r = NULL;
                for (int e = i; e < end; e++)
                    if (!strcmp(c->rows[e].technique, c->rows[k].technique) && c->rows[e].vms == c->rows[k].vms &&
                        io_bar(&c->rows[e]) == b && c->rows[e].ok)
                        r = &c->rows[e];
                if (r) fprintf(d, " %.1f", per_kb(r, r->cycles));
                else fprintf(d, " -");
            }
            fprintf(d, "\n");
        }
        block++;
        i = end;
    }
    fprintf(s, "unset multiplot\n");
}

int cmd_compare_io(int argc, char **argv)
{
    enum { O_IO = 0x700, O_ARGS, O_PROFILE, O_ISA, O_CSV, O_JSON, O_CHART, O_JOBS, O_TIMEOUT };
    static const struct option longopts[] = {
        {"help", no_argument, 0, 'h'},
        {"io", no_argument, 0, O_IO},
        {"args", required_argument, 0, O_ARGS},
        {"profile", required_argument, 0, O_PROFILE},
        {"isa", required_argument, 0, O_ISA},
        {"csv", required_argument, 0, O_CSV},
        {"json", required_argument, 0, O_JSON},
        {"chart", required_argument, 0, O_CHART},
        {"jobs", required_argument, 0, O_JOBS},
        {"timeout", required_argument, 0, O_TIMEOUT},
        {0, 0, 0, 0},
    };
    const char *profile = "modern", *isa = "strict", *csv = NULL, *jsonf = NULL, *chart = NULL, *args_s = NULL;
    unsigned timeout = 300, args[IO_NWORKLOADS];
    int jobs = 2, ch;
    uint64_t v;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (ch) {
        case 'h': io_help(stdout); return 0;
        case O_IO: break;
        case O_ARGS:
            if (!cli_parse_u64(optarg, &v) || v < 1 || v > IO_MAX_ARGS) {
                fprintf(stderr, "ringsim compare --io: --args '%s': expected a number of iterations, 1..%u\n",
                        optarg, IO_MAX_ARGS);
                return EXIT_USAGE;
            }
            args_s = optarg;
            break;
        case O_PROFILE: profile = optarg; break;
        case O_ISA:
            if (strcmp(optarg, "strict") && strcmp(optarg, "classic")) {
                fprintf(stderr, "ringsim compare --io: --isa '%s': expected strict or classic\n", optarg);
                return EXIT_USAGE;
            }
            isa = optarg;
            break;
        case O_CSV: csv = optarg; break;
        case O_JSON: jsonf = optarg; break;
        case O_CHART: chart = optarg; break;
        case O_JOBS:
            if (!cli_parse_u64(optarg, &v) || v < 1 || v > 64) {
                fprintf(stderr, "ringsim compare --io: --jobs '%s': expected 1..64\n", optarg);
                return EXIT_USAGE;
            }
            jobs = (int)v;
            break;
        case O_TIMEOUT:
            if (!cli_parse_u64(optarg, &v) || v < 1 || v > 86400) {
                fprintf(stderr, "ringsim compare --io: --timeout '%s': expected seconds, 1..86400\n", optarg);
                return EXIT_USAGE;
            }
            timeout = (unsigned)v;
            break;
        default:
            io_help(stderr);
            cli_unknown_option(argc, argv, longopts, "compare");
            return EXIT_USAGE;
        }
    }
    /* the workloads named, in the order of io_workloads; none: all */
    bool chosen[IO_NWORKLOADS] = {0}, any = false;
    for (int i = optind; i < argc; i++) {
        size_t k = 0;
        while (k < IO_NWORKLOADS && strcmp(argv[i], io_workloads[k].name)) k++;
        if (k == IO_NWORKLOADS) {
            const char *names[IO_NWORKLOADS];
            for (size_t e = 0; e < IO_NWORKLOADS; e++) names[e] = io_workloads[e].name;
            const char *near = vis_suggest(argv[i], names, (int)IO_NWORKLOADS);
            fprintf(stderr, "ringsim compare --io: unknown workload '%s'; expected diskio or netping "
                            "(each runs its register and its queue driver)%s%s%s\n",
                    argv[i], near ? "; did you mean " : "", near ? near : "", near ? "?" : "");
            return EXIT_USAGE;
        }
        chosen[k] = any = true;
    }
    for (size_t k = 0; k < IO_NWORKLOADS; k++) {
        if (!any) chosen[k] = true;
        args[k] = args_s ? (unsigned)strtoul(args_s, NULL, 10) : io_workloads[k].default_args;
    }
    char err[512];
    struct profile prof;
    if (!profile_load(profile, &prof, err, sizeof err)) {
        fprintf(stderr, "ringsim compare --io: --profile: %s\n", err);
        return EXIT_USAGE;
    }
    const char *outs[][2] = {{"csv", csv}, {"json", jsonf}, {"chart", chart}};
    for (size_t i = 0; i < 3; i++)
        if (outs[i][1] && !cli_output_ok(outs[i][1], err, sizeof err)) {
            fprintf(stderr, "ringsim compare --io: --%s %s\n", outs[i][0], err);
            return EXIT_USAGE;
        }
    if (chart) {
        size_t len = strlen(chart);
        if (len < 5 || (strcmp(chart + len - 4, ".svg") && strcmp(chart + len - 4, ".png"))) {
            fprintf(stderr, "ringsim compare --io: --chart %s: expected a file name ending in .svg or .png\n", chart);
            return EXIT_USAGE;
        }
    }

    struct io_row *rows = calloc(IO_MAX_ROWS, sizeof *rows);
    if (!rows) {
        fprintf(stderr, "ringsim compare --io: out of memory\n");
        return 1;
    }
    int n = 0;
    for (size_t k = 0; k < IO_NWORKLOADS; k++)
        if (chosen[k]) n = io_rows(&io_workloads[k], rows, n);
    char exe[PATH_MAX], dir[] = "/tmp/ringsim-io-XXXXXX", (*argstr)[16] = calloc((size_t)n, sizeof *argstr);
    struct cli_job *js = calloc((size_t)n, sizeof *js);
    int *st = calloc((size_t)n, sizeof *st), status = 0;
    bool *timed_out = calloc((size_t)n, sizeof *timed_out);
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    bool have_dir = false;
    if (!js || !st || !timed_out || !argstr) {
        fprintf(stderr, "ringsim compare --io: out of memory\n");
        status = 1;
        goto done;
    }
    if (len <= 0 || !(have_dir = mkdtemp(dir) != NULL)) {
        fprintf(stderr, "ringsim compare --io: cannot run myself: %s\n", strerror(errno));
        status = 1;
        goto done;
    }
    exe[len] = 0;
    for (int i = 0; i < n; i++) {
        struct io_row *r = &rows[i];
        struct cli_job *j = &js[i];
        unsigned a = r->args = args[r->w - io_workloads];
        const char *image = r->queue ? r->w->queue : r->w->registers;
        snprintf(argstr[i], sizeof argstr[i], "%u", a);
        snprintf(j->out, sizeof j->out, "%s/%d.out", dir, i);
        snprintf(j->err, sizeof j->err, "%s/%d.err", dir, i);
        snprintf(j->stats, sizeof j->stats, "%s/%d.json", dir, i);
        cli_job_arg(j, exe);
        cli_job_arg(j, "run");
        for (int vm = 0; vm < r->vms; vm++) cli_job_arg(j, image);   /* by name: pv finds its own build */
        for (int k = 0; k < 4 && r->argv[k]; k++) cli_job_arg(j, r->argv[k]);
        const char *common[] = {"--profile", profile, "--isa", isa, "--args", argstr[i], "--stats", j->stats};
        for (size_t k = 0; k < sizeof common / sizeof common[0]; k++) cli_job_arg(j, common[k]);
        if (r->w->disk) {
            /* a fresh disk for every run: a block for each of N and the one diskio keeps its count in */
            snprintf(r->disk, sizeof r->disk, "%s/%d.img:create=%uK", dir, i, (a + 1) * 4);
            cli_job_arg(j, "--disk");
            cli_job_arg(j, r->disk);
        } else {
            cli_job_arg(j, "--net");
        }
        if (strcmp(r->iommu, "-")) {
            cli_job_arg(j, "--passthrough");
            cli_job_arg(j, "0");
            if (!strcmp(r->iommu, "off")) cli_job_arg(j, "--no-iommu");
        }
        j->argv[j->argc] = NULL;
    }
    fflush(stdout);
    cli_run_jobs(js, n, jobs, timeout, st, timed_out);

    /* a refusal (a profile or ISA run does not take) is every row's: said once, as run said it */
    for (int i = 0; i < n; i++)
        if (st[i] == EXIT_USAGE) {
            char *msgs = cli_slurp(js[i].err), line[512];
            cli_first_line(msgs, line, sizeof line);
            fprintf(stderr, "ringsim compare --io: %s\n", line);
            free(msgs);
            status = EXIT_USAGE;
            goto done;
        }
    int failed = 0;
    for (int i = 0; i < n; i++) {
        struct io_row *r = &rows[i];
        json_error_t jerr;
        r->status = st[i];
        r->output = cli_slurp(js[i].out);
        r->stats = access(js[i].stats, R_OK) == 0 ? json_load_file(js[i].stats, 0, &jerr) : NULL;
        if (timed_out[i]) {
            snprintf(r->note, sizeof r->note, "still running after %u s: killed (--timeout)", timeout);
        } else if (!r->stats) {
            char *msgs = cli_slurp(js[i].err), line[160];
            cli_first_line(msgs, line, sizeof line);
            snprintf(r->note, sizeof r->note, "exit status %d, no statistics%s%s", st[i], line[0] ? ": " : "", line);
            free(msgs);
        } else {
            r->ok = io_measure(r);
        }
        failed += !r->ok;
    }
    /* bare metal's register driver is each workload's oracle */
    for (int i = 0; i < n; i++) {
        struct io_row *r = &rows[i];
        char line[256] = "";
        for (int b = 0; b < n; b++)
            if (rows[b].w == r->w && !rows[b].argv[0] && !rows[b].queue)
                io_checksum_line(rows[b].output, line, sizeof line);
        const struct io_row *b = io_native(rows, n, r);
        r->same = r->ok && line[0] && b && r->status == b->status && io_same_checksum(r->output, line, r->vms);
    }
    io_print(stdout, rows, n, profile, isa, args);
    fflush(stdout);
    if (!io_files(rows, n, profile, isa, csv, jsonf, err, sizeof err)) {
        fprintf(stderr, "ringsim compare --io: %s\n", err[0] ? err : "out of memory writing the table");
        status = 1;
    }
    struct io_chart c = {rows, n, profile};
    if (chart && !vis_chart(chart, io_chart_write, &c, err, sizeof err)) {
        fprintf(stderr, "ringsim compare --io: --chart: %s\n", err);
        status = 1;
    }
    if (failed) {
        fprintf(stderr, "ringsim compare --io: %d run%s failed (see the table)\n", failed, failed == 1 ? "" : "s");
        status = 1;
    }
done:
    for (int i = 0; js && i < n; i++) {
        unlink(js[i].out);
        unlink(js[i].err);
        unlink(js[i].stats);
        if (rows[i].disk[0]) {
            char img[PATH_MAX + 32];
            snprintf(img, sizeof img, "%s", rows[i].disk);
            char *colon = strchr(img, ':');
            if (colon) *colon = 0;
            unlink(img);
        }
    }
    for (int i = 0; i < n; i++) {
        free(rows[i].output);
        json_decref(rows[i].stats);
    }
    if (have_dir) rmdir(dir);
    free(rows);
    free(js);
    free(st);
    free(timed_out);
    free(argstr);
    return status;
}
