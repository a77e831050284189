/*
 * main.c — `ringsim SUBCOMMAND …`: finds the subcommand and runs it.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "visualise/visualise.h"

struct subcommand {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
    const char *issue;   /* non-NULL: not built yet, arrives with this issue */
};

static const struct subcommand commands[] = {
    {"asm",     cmd_asm,    "assemble SRC.s into an ELF32 image", NULL},
    {"disasm",  cmd_disasm, "disassemble an image, with symbols", NULL},
    {"run",     cmd_run,    "run images (several = several VMs under --mode hw) and print their console;\n"
                "           --save-at CYCLE:FILE saves the machine, ringsim run FILE continues it;\n"
                "           --hosts N --balance PERIOD: a data centre consolidating its VMs", NULL},
    {"debug",   cmd_debug,  "the full-screen debugger, or its command language with --batch", NULL},
    {"dap",     cmd_dap,    "the debugger as a Debug Adapter Protocol server on stdio, for VS Code (docs/dap.md)", NULL},
    {"compare", cmd_compare, "run a workload under every virtualisation mode and tabulate", NULL},
    {"dot",     cmd_dot,    "draw page tables and 2D walks with Graphviz (--datacentre: hosts, VMs, moves)", NULL},
    {"lanes",   cmd_lanes,  "draw a system call (or any window of a run) as swim lanes, one per ring, in SVG", NULL},
    {"isadoc",  cmd_isadoc, "print the ISA reference (docs/isa.md) from the instruction table", NULL},
    {"help",    NULL,       "this list; `ringsim CMD --help` for one command", NULL},
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *out)
{
    fprintf(out, "usage: ringsim COMMAND [ARGS…]\n\n"
                 "ringsim simulates a small 32-bit machine with protection rings and a\n"
                 "ring -1 virtualisation mode, cycle by cycle.  Commands:\n\n");
    for (size_t i = 0; i < NCOMMANDS; i++) {
        fprintf(out, "  %-8s %s", commands[i].name, commands[i].summary);
        if (commands[i].issue) fprintf(out, "  [arrives with issue %s]", commands[i].issue);
        fputc('\n', out);
    }
    fprintf(out, "\nBundled programs can be named instead of a path: ringsim run hello\n"
                 "Containers in the guest kernel (namespaces, cgroups): ringsim run containers, forkbomb,\n"
                 "memhog, ipc, mounts, escape, netns, cgroupns, quota, shares; compare --isolation\n"
                 "I/O three ways (emulated, split driver, pass-through): ringsim compare --io\n"
                 "Documentation: README.md, docs/isa.md, docs/debugger.md, docs/dap.md, docs/containers.md.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    const char *name = argv[1];
    if (strcmp(name, "help") == 0 || strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0) {
        if (argc > 2) {
            for (size_t i = 0; i < NCOMMANDS; i++)
                if (strcmp(commands[i].name, argv[2]) == 0 && commands[i].fn) {
                    char *sub[] = {argv[2], "--help", NULL};
                    return commands[i].fn(2, sub);
                }
        }
        usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < NCOMMANDS; i++) {
        if (strcmp(commands[i].name, name) != 0) continue;
        if (!commands[i].fn) {
            fprintf(stderr, "ringsim %s: not available in this build; it arrives with issue %s "
                            "(see `ringsim help`)\n", name, commands[i].issue);
            return EXIT_USAGE;
        }
        return commands[i].fn(argc - 1, argv + 1);
    }
    const char *names[NCOMMANDS];
    for (size_t i = 0; i < NCOMMANDS; i++) names[i] = commands[i].name;
    const char *best = vis_suggest(name, names, (int)NCOMMANDS);
    fprintf(stderr, "ringsim: unknown command '%s'", name);
    if (best) fprintf(stderr, "; did you mean %s?", best);
    fprintf(stderr, "\n\n");
    usage(stderr);
    return EXIT_USAGE;
}
