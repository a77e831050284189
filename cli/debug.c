/*
 * debug.c — `ringsim debug`: build the machine as `run` would, then hand it
 * to the debugger (visualise/): full screen on a terminal, line mode with
 * --batch FILE or when the input or output is not a terminal.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "visualise/visualise.h"

#define BATCH_MAX_BYTES (16u << 20)   /* a script of commands, however long */

static void debug_help(FILE *out)
{
    fprintf(out,
        "usage: ringsim debug IMG [options] [--batch FILE]\n"
        "       ringsim debug SAVEFILE [--batch FILE]   (a machine `save FILE` or run --save-at wrote)\n"
        "       ringsim debug --tour syscall            (one system call under each technique)\n\n"
        "The debugger: step the machine, watch every trap, VM exit, TLB fill and page\n"
        "walk, and go back in time.  On a terminal it is full screen (panes above, a\n"
        "command line below: help lists the commands, F2..F9 and F11 toggle panes;\n"
        "F11 is the devices' queues and events, on by itself with --disk or --net).  With\n"
        "--batch FILE, or when stdin is not a terminal, it reads the same commands one\n"
        "per line and prints plain text.  docs/debugger.md is the manual.\n\n"
        "  --batch FILE       run the commands in FILE (- = stdin), then quit\n"
        "  --max-cycles N     the machine stops at cycle N\n"
        "  --commands         print the table of commands (as in docs/debugger.md) and exit\n"
        "  --tour syscall     follow one system call under native, te, bt, hw and pv, with\n"
        "                     explanations at each stop and the costs side by side (Enter\n"
        "                     moves on; with --batch -, or not on a terminal, it runs through)\n");
    cli_machine_help(out);
    fprintf(out, "\nExit status: 0, or 1 if a command of the script failed; %d for bad arguments.\n", EXIT_USAGE);
}

/* The debugger's `save FILE`: the machine with the options it was built with. */
static bool save_machine(void *ctx, const char *path, char *err, size_t errlen)
{
    return cli_machine_save(ctx, path, err, errlen);
}

int cmd_debug(int argc, char **argv)
{
    enum { O_BATCH = 0x400, O_MAXCYC, O_COMMANDS, O_TOUR };
    static const struct option longopts[] = {
        {"help", no_argument, 0, 'h'},
        CLI_MACHINE_OPTIONS,
        {"batch", required_argument, 0, O_BATCH},
        {"max-cycles", required_argument, 0, O_MAXCYC},
        {"commands", no_argument, 0, O_COMMANDS},
        {"tour", required_argument, 0, O_TOUR},
        {0, 0, 0, 0},
    };
    struct machine_opts o;
    cli_machine_defaults(&o);
    const char *batch = NULL, *tour = NULL;
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        int r = cli_machine_option(ch, optarg, &o, "debug");
        if (r < 0) return EXIT_USAGE;
        if (r > 0) continue;
        switch (ch) {
        case 'h': debug_help(stdout); return 0;
        case O_BATCH: batch = optarg; break;
        case O_COMMANDS: vis_dbg_commands_markdown(stdout); return 0;
        case O_TOUR: tour = optarg; break;
        case O_MAXCYC:
            if (!cli_parse_u64(optarg, &o.max_cycles) || o.max_cycles == 0) {
                fprintf(stderr, "ringsim debug: --max-cycles '%s': expected a positive number\n", optarg);
                return EXIT_USAGE;
            }
            break;
        default: debug_help(stderr); cli_unknown_option(argc, argv, longopts, "debug"); return EXIT_USAGE;
        }
    }
    if (tour) {
        if (optind < argc) {
            fprintf(stderr, "ringsim debug: --tour brings its own workload: no image\n");
            return EXIT_USAGE;
        }
        return cli_tour(tour, &o, batch != NULL);
    }
    if (optind >= argc) {
        fprintf(stderr, "ringsim debug: expected an image (a path or a bundled program name)\n");
        return EXIT_USAGE;
    }
    if (argc - optind > 1) {
        fprintf(stderr, "ringsim debug: one image at a time (several VMs: ringsim run --mode hw)\n");
        return EXIT_USAGE;
    }
    /* A script is read whole first, as every file ringsim reads: a regular
     * file of at most BATCH_MAX_BYTES (a directory or /dev/zero is refused
     * here, not met as an endless line); line mode then reads it from
     * memory. */
    FILE *in = stdin;
    char *script = NULL;
    if (batch && strcmp(batch, "-") != 0) {
        char why[256];
        size_t len;
        if (!isa_read_file(batch, BATCH_MAX_BYTES, &script, &len, why, sizeof why)) {
            fprintf(stderr, "ringsim debug: --batch %s: cannot read it: %s\n", batch, why);
            return EXIT_USAGE;
        }
        if (!(in = fmemopen(script, len, "r"))) {
            fprintf(stderr, "ringsim debug: --batch %s: %s\n", batch, strerror(errno));
            free(script);
            return EXIT_USAGE;
        }
    }
    struct cli_machine cm;
    /* a save file in place of an image: its machine, where it was saved */
    struct machine_opts given = {.max_cycles = o.max_cycles};
    bool restored = savefile_is(argv[optind]);
    if (restored ? !cli_machine_restore(argv[optind], &given, NULL, "debug", &cm)
                 : !cli_machine_build(&o, argv + optind, 1, "debug", &cm)) {
        if (in != stdin) fclose(in);
        free(script);
        return EXIT_USAGE;
    }
    /* the image once more, for its symbols (the machine has its bytes) */
    char err[512];
    struct isa_image img = {0};
    if (!isa_image_load(cm.image0, &img, err, sizeof err)) memset(&img, 0, sizeof img);
    int status = EXIT_USAGE;
    struct vis_dbg *d = vis_dbg_new(cm.m, cm.hv, &img, stdout, stderr);
    if (d) vis_dbg_set_save(d, save_machine, &cm);
    if (d && restored) cpu_trace(cm.m, TR_MIGRATE, 5, 0, 0, NULL);   /* the event pane's first line */
    if (!d) {
        fprintf(stderr, "ringsim debug: out of host memory\n");
    } else if (batch || !isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
        status = vis_dbg_line_mode(d, in, true);
    } else {
        status = vis_dbg_fullscreen(d);
    }
    vis_dbg_free(d);
    if (in != stdin) fclose(in);
    free(script);
    isa_image_free(&img);
    cli_machine_free(&cm);
    return status;
}
