/*
 * lanes.c — `ringsim lanes`: run a guest as `run` would and draw a window of
 * its run as swim lanes, one per ring and one for ring -1, in SVG.  The
 * drawing is visualise/lanes.c; the slices come from the machine's events
 * (visualise/timeline.c).
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "visualise/visualise.h"

static void lanes_help(FILE *out)
{
    fprintf(out,
        "usage: ringsim lanes IMG [run options] [--syscall N | --from-cycle A --to-cycle B]\n"
        "                     [--axis CYCLES] -o FILE.svg\n\n"
        "Runs IMG as `ringsim run` would (the guest's console is not shown) and draws a\n"
        "window of the run as swim lanes: one lane per ring (3 on top) and one for ring -1,\n"
        "the hypervisor; each trap, iret, VM exit, emulation and stretch of code is a box\n"
        "as wide as its cycles, so the boxes add up to the window.  Arrows lead from a\n"
        "guest's trap (or the code that exited) to the hypervisor's work on it.  Below: an\n"
        "axis in cycles, a legend, and a table of where the window's cycles went.\n\n"
        "  --syscall N        the window is system call N from ring 3 (default 1), from its\n"
        "                     trap until the CPU runs in ring 3 again (the syscall workload's\n"
        "                     getpid loop starts at 2: 1 reads the boot parameter)\n"
        "  --from-cycle A     the window is cycles A to B instead\n"
        "  --to-cycle B       (default: to the end of the run)\n"
        "  --axis CYCLES      draw the axis to CYCLES at least, so that pictures of several\n"
        "                     runs share one scale\n"
        "  -o FILE            the SVG, written atomically (- = stdout)\n\n"
        "Run options:\n");
    cli_machine_help(out);
    fprintf(out, "\nExit status: 0; 1 if writing failed or the run never reached the window; %d for\n"
                 "bad arguments or images.\n\n"
                 "Example (one getpid under each technique, on one scale; rsvg-convert makes a PNG):\n"
                 "  for m in te bt hw pv; do\n"
                 "    ringsim lanes syscall --args 5 --mode $m --syscall 2 --axis 3000 -o $m.svg\n"
                 "  done\n",
            EXIT_USAGE);
}

/* A number of cycles for option opt, or a message and false. */
static bool cycles_arg(const char *opt, const char *arg, uint64_t *v, bool positive)
{
    if (cli_parse_u64(arg, v) && (!positive || *v > 0)) return true;
    fprintf(stderr, "ringsim lanes: %s '%s': expected a %snumber of cycles\n", opt, arg, positive ? "positive " : "");
    return false;
}

int cmd_lanes(int argc, char **argv)
{
    enum { O_SYSCALL = 0x400, O_FROM, O_TO, O_AXIS };
    static const struct option longopts[] = {
        {"help", no_argument, 0, 'h'},
        {"output", required_argument, 0, 'o'},
        {"syscall", required_argument, 0, O_SYSCALL},
        {"from-cycle", required_argument, 0, O_FROM},
        {"to-cycle", required_argument, 0, O_TO},
        {"axis", required_argument, 0, O_AXIS},
        CLI_MACHINE_OPTIONS,
        {0, 0, 0, 0},
    };
    struct machine_opts o;
    cli_machine_defaults(&o);
    struct vis_lanes_request req = {0};
    const char *out = NULL;
    bool by_cycles = false;
    uint64_t v;
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "ho:", longopts, NULL)) != -1) {
        int taken = cli_machine_option(ch, optarg, &o, "lanes");
        if (taken < 0) return EXIT_USAGE;
        if (taken) continue;
        switch (ch) {
        case 'h': lanes_help(stdout); return 0;
        case 'o': out = optarg; break;
        case O_SYSCALL:
            if (!cli_parse_u64(optarg, &v) || v < 1 || v > 1000000000) {
                fprintf(stderr, "ringsim lanes: --syscall '%s': expected a system call's number, 1 or more\n", optarg);
                return EXIT_USAGE;
            }
            req.syscall = (unsigned)v;
            break;
        case O_FROM:
            if (!cycles_arg("--from-cycle", optarg, &req.from, false)) return EXIT_USAGE;
            by_cycles = true;
            break;
        case O_TO:
            if (!cycles_arg("--to-cycle", optarg, &req.to, true)) return EXIT_USAGE;
            by_cycles = true;
            break;
        case O_AXIS:
            if (!cycles_arg("--axis", optarg, &req.axis, true)) return EXIT_USAGE;
            break;
        default: lanes_help(stderr); cli_unknown_option(argc, argv, longopts, "lanes"); return EXIT_USAGE;
        }
    }
    if (req.syscall && by_cycles) {
        fprintf(stderr, "ringsim lanes: either --syscall N or --from-cycle/--to-cycle, not both\n");
        return EXIT_USAGE;
    }
    if (by_cycles && req.to && req.to <= req.from) {
        fprintf(stderr, "ringsim lanes: --to-cycle %llu: expected more than --from-cycle %llu\n",
                (unsigned long long)req.to, (unsigned long long)req.from);
        return EXIT_USAGE;
    }
    if (!by_cycles && !req.syscall) req.syscall = 1;
    if (!out) {
        fprintf(stderr, "ringsim lanes: expected -o FILE.svg (- for stdout)\n");
        return EXIT_USAGE;
    }
    char err[512];
    if (strcmp(out, "-") != 0 && !cli_output_ok(out, err, sizeof err)) {
        fprintf(stderr, "ringsim lanes: -o %s\n", err);
        return EXIT_USAGE;
    }
    struct cli_machine cm;
    if (!cli_machine_load(&o, argv + optind, argc - optind, "lanes", &cm)) return EXIT_USAGE;
    char title[200];
    cli_machine_title(&cm, argv + optind, argc - optind, title, sizeof title);
    req.title = title;
    cm.m->con.out = NULL;   /* stdout may be the drawing */
    struct vis_lanes *l = vis_lanes_begin(cm.m, &req);
    if (!l) {
        fprintf(stderr, "ringsim lanes: out of host memory\n");
        cli_machine_free(&cm);
        return EXIT_HOST_ERROR;
    }
    cli_machine_start(&cm);
    if (cm.m->stop == STOP_NONE) machine_run(cm.m, 0);
    if (cm.m->stop == STOP_TRIPLE || cm.m->stop == STOP_HOST_ERROR)
        fprintf(stderr, "ringsim lanes: note: %s\n", cm.m->stop_detail);
    int status = 0;
    char *svg = vis_lanes_end(cm.m, l, err, sizeof err);
    if (!svg) {
        fprintf(stderr, "ringsim lanes: %s\n", err);
        status = 1;
    } else if (strcmp(out, "-") == 0) {
        if (fputs(svg, stdout) == EOF || fflush(stdout) != 0) status = 1;
    } else if (!write_file_atomic(out, svg, err, sizeof err)) {
        fprintf(stderr, "ringsim lanes: %s\n", err);
        status = 1;
    }
    free(svg);
    cli_machine_free(&cm);
    return status;
}
