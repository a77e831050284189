/*
 * dot.c — `ringsim dot`: run a guest, then draw its page tables (and one
 * walk) with Graphviz.  The drawing itself is visualise/dot.c.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/cli.h"
#include "hypervisor/hv.h"
#include "visualise/visualise.h"

static void dot_help(FILE *out)
{
    fprintf(out,
        "usage: ringsim dot IMG --table guest|shadow|nested [--walk VADDR] [--walk-only] [--at CYCLE]\n"
        "                   [--vm N] [run options] [-o FILE] [-T svg|png|…]\n"
        "       ringsim dot IMG --processes [--at CYCLE] [run options] [-o FILE] [-T svg|png|…]\n"
        "       ringsim dot IMG --io --disk FILE [--vm N] [run options] [-o FILE] [-T svg|png|…]\n"
        "       ringsim dot IMG --io --net [--vm N] [run options] [-o FILE] [-T svg|png|…]\n"
        "       ringsim dot --datacentre STATS.json [-o FILE] [-T svg|png|…]\n\n"
        "Runs IMG as `ringsim run` would (the guest's console is not shown), stops it at\n"
        "--at CYCLE (default: when the guest stops by itself), and draws page tables as\n"
        "Graphviz DOT: one node per table page listing its present entries (index, target,\n"
        "flags P W U A D L G; long regular runs folded into one row), an edge from each\n"
        "entry to the next-level table, each level in one column.\n\n"
        "  --table guest      the tables at the guest's CR ptb (physical natively; under\n"
        "                     --mode hw the VM's, in guest-physical addresses)\n"
        "  --table nested     the host (nested) table of a VM: guest-physical -> host-physical\n"
        "                     (needs --mode hw)\n"
        "  --table shadow     the hypervisor's shadow tables (--mode te or bt) beside the guest\n"
        "                     tables they mirror, with the entries not filled yet\n"
        "  --walk VADDR       number every page-table reference of the translation of VADDR\n"
        "                     (a ring-0 read), in the walker's order: under nested paging\n"
        "                     (n+1)(m+1)-1 of them across the guest and host tables; under\n"
        "                     shadow paging the shadow's, and g1… the guest's own\n"
        "  --walk-only        draw only the table pages the walk reads\n"
        "  --processes        instead of tables, the guest kernel's processes (a kernel built\n"
        "                     with containers): a cluster per pid namespace, nested as they\n"
        "                     are, each process with its pid inside and in every namespace\n"
        "                     above, its host name, uid and cgroup (and with the file\n"
        "                     system, its mount namespace and root; with network namespaces,\n"
        "                     its network namespace and address); parent -> child edges.\n"
        "                     Read from the kernel's process table through the layouts it\n"
        "                     publishes (ns_layout, proc_layout); under a hypervisor, VM 0's\n"
        "                     (a process exiting, which holds no namespace any more, is left out)\n"
        "  --io               instead of tables, the path the run's disk I/O took: the guest's\n"
        "                     driver, its request queue (the split driver, guests/diskq.s),\n"
        "                     the hypervisor, the device's DMA, memory and the host file, each\n"
        "                     edge with the run's own count; the edges that exit (every access\n"
        "                     to a device register under a hypervisor) red (docs/io.md); with\n"
        "                     --passthrough N, the device without the hypervisor: the IOMMU\n"
        "                     with its walks and IOTLB hits, the interrupts posted, nothing red;\n"
        "                     with --net and no disk, the network's path: driver, rings,\n"
        "                     hypervisor, interface, switch and the ports beyond it\n"
        "  --datacentre STATS.json  instead of running anything, a data centre's hosts and VMs\n"
        "                     from the statistics of `ringsim run IMG… --hosts N --stats\n"
        "                     STATS.json`: a cluster per host (grey: switched off by the\n"
        "                     balancer), each VM in every host it lived on, a blue edge per\n"
        "                     live migration with its cycle, rounds, pages and downtime\n"
        "  --at CYCLE         stop the machine at this cycle (first block boundary past it)\n"
        "  --vm N             which VM under --mode hw (default 0)\n"
        "  -o FILE            write to FILE (atomically) instead of stdout: the DOT text for\n"
        "                     FILE.dot, FILE.gv or no extension; rendered with Graphviz for\n"
        "                     FILE.svg, .png, .pdf, .jpg, .gif, .ps and its other formats\n"
        "  -T FORMAT          render with Graphviz (`dot -TFORMAT`): svg, png, pdf, …\n\n"
        "Run options:\n");
    cli_machine_help(out);
    fprintf(out, "\nExit status: 0, 1 if writing or rendering failed, %d for bad arguments or images,\n"
                 "or a table the machine does not have (shadow without shadow paging, nested without\n"
                 "nested paging).\n\n"
                 "Example: ringsim dot kernel --mode hw --levels 4 --walk 0x1000 --walk-only -T svg -o walk.svg\n"
                 "         ringsim dot containers --processes --at 514441 -o ps.svg\n"
                 "         ringsim dot diskq --io --mode hw --disk d.img:create=256K -o io.svg\n"
                 "         ringsim dot --datacentre s.json -o dc.svg\n"
                 "         ringsim dot netq netq --io --mode hw --net -o net.svg\n",
            EXIT_USAGE);
}

/* --datacentre STATS.json: drawn from a run's statistics, nothing run. */
static int dot_datacentre(const char *path, const char *format, const char *out)
{
    char err[512];
    json_error_t je;
    json_t *st = json_load_file(path, 0, &je);
    if (!st) {
        fprintf(stderr, "ringsim dot: --datacentre %s: line %d: %s (expected the JSON of `ringsim run … --hosts N "
                        "--stats FILE`)\n", path, je.line, je.text);
        return EXIT_USAGE;
    }
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    char title[160];
    snprintf(title, sizeof title, "data centre: %s", base);
    for (char *c = title; *c; c++)   /* a DOT string: no quote or backslash from the file's name */
        if (*c == '"' || *c == '\\') *c = '_';
    char *text = vis_dot_datacentre(st, title, err, sizeof err);
    json_decref(st);
    if (!text) {
        fprintf(stderr, "ringsim dot: --datacentre %s: %s\n", path, err);
        return EXIT_USAGE;
    }
    int status = 0;
    if (!vis_dot_write(text, format, out, err, sizeof err)) {
        fprintf(stderr, "ringsim dot: %s\n", err);
        status = 1;
    }
    free(text);
    return status;
}

int cmd_dot(int argc, char **argv)
{
    enum { O_TABLE = 0x400, O_WALK, O_WALKONLY, O_AT, O_VM, O_PROCESSES, O_IO, O_DATACENTRE };
    static const struct option longopts[] = {
        {"help", no_argument, 0, 'h'},
        {"output", required_argument, 0, 'o'},
        {"format", required_argument, 0, 'T'},
        {"table", required_argument, 0, O_TABLE},
        {"walk", required_argument, 0, O_WALK},
        {"walk-only", no_argument, 0, O_WALKONLY},
        {"at", required_argument, 0, O_AT},
        {"vm", required_argument, 0, O_VM},
        {"processes", no_argument, 0, O_PROCESSES},
        {"io", no_argument, 0, O_IO},
        {"datacentre", required_argument, 0, O_DATACENTRE},
        CLI_MACHINE_OPTIONS,
        {0, 0, 0, 0},
    };
    struct machine_opts o;
    cli_machine_defaults(&o);
    struct vis_dot_request req = {.table = VIS_TABLE_GUEST};
    const char *out = NULL, *format = NULL, *table = NULL;
    bool processes = false, io = false;
    const char *datacentre = NULL;   /* --datacentre STATS.json */
    uint64_t v;
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "ho:T:", longopts, NULL)) != -1) {
        int taken = cli_machine_option(ch, optarg, &o, "dot");
        if (taken < 0) return EXIT_USAGE;
        if (taken) continue;
        switch (ch) {
        case 'h': dot_help(stdout); return 0;
        case 'o': out = optarg; break;
        case 'T': format = optarg; break;
        case O_TABLE:
            table = optarg;
            if (!strcmp(optarg, "guest")) req.table = VIS_TABLE_GUEST;
            else if (!strcmp(optarg, "nested")) req.table = VIS_TABLE_NESTED;
            else if (!strcmp(optarg, "shadow")) req.table = VIS_TABLE_SHADOW;
            else {
                fprintf(stderr, "ringsim dot: --table '%s': expected guest, shadow or nested\n", optarg);
                return EXIT_USAGE;
            }
            break;
        case O_WALK:
            if (!cli_parse_u64(optarg, &v) || v > 0xffffffffu) {
                fprintf(stderr, "ringsim dot: --walk '%s': expected a 32-bit virtual address\n", optarg);
                return EXIT_USAGE;
            }
            req.walk = true;
            req.walk_vaddr = (uint32_t)v;
            break;
        case O_WALKONLY: req.walk_only = true; break;
        case O_PROCESSES: processes = true; break;
        case O_IO: io = true; break;
        case O_DATACENTRE: datacentre = optarg; break;
        case O_AT:
            if (!cli_parse_u64(optarg, &o.max_cycles) || o.max_cycles == 0) {
                fprintf(stderr, "ringsim dot: --at '%s': expected a positive number of cycles\n", optarg);
                return EXIT_USAGE;
            }
            break;
        case O_VM:
            if (!cli_parse_u64(optarg, &v) || v >= MAX_VMS) {
                fprintf(stderr, "ringsim dot: --vm '%s': expected a VM number, 0..%d\n", optarg, MAX_VMS - 1);
                return EXIT_USAGE;
            }
            req.vm = (int)v;
            break;
        default: dot_help(stderr); cli_unknown_option(argc, argv, longopts, "dot"); return EXIT_USAGE;
        }
    }
    if (datacentre && (argc > optind || table || processes || io || req.walk)) {
        fprintf(stderr, "ringsim dot: --datacentre draws a run's statistics: no image, --table, --walk, "
                        "--processes or --io\n");
        return EXIT_USAGE;
    }
    if (processes && (table || req.walk || req.walk_only || req.vm)) {
        fprintf(stderr, "ringsim dot: --processes draws no tables: not with --table, --walk, --walk-only or --vm\n");
        return EXIT_USAGE;
    }
    if (io && (processes || table || req.walk || req.walk_only)) {
        fprintf(stderr, "ringsim dot: --io draws no tables: not with --table, --walk, --walk-only or --processes\n");
        return EXIT_USAGE;
    }
    if (!table && !processes && !io && !datacentre) {
        fprintf(stderr, "ringsim dot: expected --table guest, shadow or nested, --processes, --io or --datacentre\n");
        return EXIT_USAGE;
    }
    if (format && (!*format || strspn(format, "abcdefghijklmnopqrstuvwxyz0123456789:") != strlen(format))) {
        fprintf(stderr, "ringsim dot: -T '%s': expected a Graphviz output format such as svg or png\n", format);
        return EXIT_USAGE;
    }
    if (req.walk_only && !req.walk) {
        fprintf(stderr, "ringsim dot: --walk-only needs --walk VADDR\n");
        return EXIT_USAGE;
    }
    char err[512];
    const char *by_name;
    if (out && ((!format && !vis_dot_format_of(out, &by_name, err, sizeof err)) || !cli_output_ok(out, err, sizeof err))) {
        fprintf(stderr, "ringsim dot: -o %s\n", err);
        return EXIT_USAGE;
    }
    if (datacentre) return dot_datacentre(datacentre, format, out);
    struct cli_machine cm;
    if (!cli_machine_build(&o, argv + optind, argc - optind, "dot", &cm)) return EXIT_USAGE;
    cm.m->con.out = NULL;   /* stdout may be the drawing */
    if (cm.m->stop == STOP_NONE) machine_run(cm.m, 0);
    if (cm.m->stop == STOP_TRIPLE) fprintf(stderr, "ringsim dot: note: %s\n", cm.m->stop_detail);

    int status = 0;
    char *text;
    if (io) {
        char title[256];
        cli_machine_title(&cm, argv + optind, argc - optind, title, sizeof title);
        text = vis_dot_io(cm.m, cm.hv, req.vm, title, err, sizeof err);
    } else if (processes) {
        char title[256];
        cli_machine_title(&cm, argv + optind, argc - optind, title, sizeof title);
        text = vis_dot_processes(cm.m, cm.hv, cm.image0, title, cm.m->st.cycles, err, sizeof err);
    } else
        text = vis_dot_tables(cm.m, &req, err, sizeof err);
    if (!text) {
        fprintf(stderr, "ringsim dot: %s\n", err);
        status = EXIT_USAGE;
    } else if (!vis_dot_write(text, format, out, err, sizeof err)) {
        fprintf(stderr, "ringsim dot: %s\n", err);
        status = 1;
    }
    free(text);
    cli_machine_free(&cm);
    return status;
}
