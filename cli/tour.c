/*
 * tour.c — `ringsim debug --tour syscall`: one system call, followed under
 * each technique in turn by the debugger itself, with a short explanation
 * at each stop and, at the end, what it cost under each.
 *
 * Each leg builds the machine as `ringsim debug syscall --mode M` would and
 * types the debugger's own commands (shown as typed), so what the tour
 * shows is what a student gets by typing them.  The figures are measured
 * on the way, never written in.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "visualise/visualise.h"

/* One technique's leg: the mode and what to say at each stop. */
struct leg {
    const char *mode, *title;
    const char *at_trap;   /* the debugger stands on the handler's first instruction */
};

static const struct leg legs[] = {
    {"native", "bare metal",
     "The kernel runs in ring 0.  The user program's `syscall` (ring 3) traps\n"
     "straight to the kernel's handler: the CPU saves the pc in EPC, raises the\n"
     "ring to 0 and jumps to the vector.  One trap entry, nobody in between:\n"
     "the last event below is the `trap` itself."},
    {"te", "trap and emulate",
     "The guest kernel runs deprivileged, in ring 1; the hypervisor owns ring 0.\n"
     "The user's `syscall` traps to the hypervisor first (`hv enter`), which\n"
     "reflects it into the guest as bare metal would deliver it — the guest's\n"
     "own EPC, status and ring, kept by the hypervisor — and resumes the guest\n"
     "kernel at its handler (`trap`, `hv leave`).  Every privileged instruction\n"
     "the handler runs (mfcr, mtcr, iret) traps again and is emulated."},
    {"bt", "binary translation",
     "The guest kernel runs in ring 1 again, but from the translator's code\n"
     "cache: its sensitive instructions became callouts to the hypervisor, so\n"
     "they cost no trap.  The user program runs untranslated, and its `syscall`\n"
     "still traps to the hypervisor, which reflects it as under trap and\n"
     "emulate (`bt translate` shows a block translated on first use)."},
    {"hw", "hardware assistance (nested paging)",
     "The guest kernel runs in ring 0 of non-root mode, inside the VM.  The\n"
     "user's `syscall` traps straight to the guest kernel: no VM exit, the\n"
     "hypervisor in ring -1 never sees it.  What it does see is what the VMCS's\n"
     "exit controls ask for (I/O, hlt).  Note the page walks: 8 references each,\n"
     "the guest's table walked through the host's."},
    {"pv", "paravirtualisation",
     "The paravirtual kernel knows it runs on a hypervisor.  It runs in ring 1\n"
     "and asks the hypervisor for what it cannot do itself by hypercall (the\n"
     "`trap cause=hypercall … call=iret` above is its return to user mode).  The\n"
     "user's `syscall` goes to the hypervisor, which delivers it to the handler\n"
     "the kernel registered."},
};
#define NLEGS (int)(sizeof legs / sizeof legs[0])

struct leg_result {
    uint64_t first;                         /* cycles of the first system call (cold) */
    uint64_t cycles, insns, by_cause[CY_COUNT];   /* the second (warm) */
};

/* Runs to the user's return after a syscall, and reports what it cost. */
static bool measure(struct vis_dbg *d, struct machine *m, struct leg_result *r)
{
    const struct stats before = m->st;
    if (vis_dbg_command(d, "until epc") != VIS_DBG_OK) return false;
    r->cycles = m->st.cycles - before.cycles;
    r->insns = m->st.instructions - before.instructions;
    for (int c = 0; c < CY_COUNT; c++) r->by_cause[c] = m->st.cycles_by_cause[c] - before.cycles_by_cause[c];
    printf("\nFrom the handler's first instruction back to the user program: %llu cycles,\n"
           "%llu guest instructions:\n",
           (unsigned long long)r->cycles, (unsigned long long)r->insns);
    for (int c = 0; c < CY_COUNT; c++)
        if (r->by_cause[c])
            printf("  %-7s %8llu  %s\n", cycle_cause_name[c], (unsigned long long)r->by_cause[c], cycle_cause_desc[c]);
    return true;
}

static bool interactive;

/* Between stops: wait for Enter (q leaves) when a person is there. */
static bool pause_here(void)
{
    if (!interactive) return true;
    printf("\n-- Enter for the next stop, q to leave the tour --");
    fflush(stdout);
    char line[64];
    if (!fgets(line, sizeof line, stdin)) return false;
    return line[0] != 'q' && line[0] != 'Q';
}

static void say(const char *text)
{
    printf("\n%s\n\n", text);
}

/* Types a command as a student would, and shows what it printed. */
static bool type(struct vis_dbg *d, const char *cmd)
{
    printf("(ringsim) %s\n", cmd);
    fflush(stdout);
    return vis_dbg_command(d, cmd) == VIS_DBG_OK;
}

static bool run_leg(const struct leg *l, const struct machine_opts *base, int k, struct leg_result *r)
{
    struct machine_opts o = *base;
    o.mode = l->mode;
    char *images[] = {(char *)"syscall", NULL};
    struct cli_machine cm;
    memset(r, 0, sizeof *r);
    if (!cli_machine_build(&o, images, 1, "debug --tour", &cm)) return false;
    char err[512];
    struct isa_image img = {0};
    if (!isa_image_load(cm.image0, &img, err, sizeof err)) memset(&img, 0, sizeof img);
    struct vis_dbg *d = vis_dbg_new(cm.m, cm.hv, &img, stdout, stderr);
    bool ok = d != NULL;
    if (ok) {
        printf("\n==== %d of %d: one system call under %s (--mode %s) ====\n", k + 1, NLEGS, l->title, l->mode);
        say("The kernel boots and starts the user program, which makes system calls.\n"
            "A breakpoint on the syscall trap, then continue:");
        ok = type(d, "break trap syscall") && type(d, "continue");
    }
    if (ok) {
        say(l->at_trap);
        ok = type(d, "info events 6");
    }
    if (ok) {
        say("Now run until the user program is back, after its syscall instruction\n"
            "(EPC holds that address):");
        printf("(ringsim) until epc\n");
        ok = measure(d, cm.m, r);
        r->first = r->cycles;
    }
    if (ok) {
        say("That was the first system call of the run: it met cold TLBs and, under\n"
            "binary translation, code not translated yet.  The next one, warm:");
        ok = type(d, "continue");
        if (ok) {
            printf("(ringsim) until epc\n");
            ok = measure(d, cm.m, r);
        }
    }
    vis_dbg_free(d);
    isa_image_free(&img);
    cli_machine_free(&cm);
    return ok;
}

int cli_tour(const char *name, const struct machine_opts *o, bool batch)
{
    if (strcmp(name, "syscall") != 0) {
        fprintf(stderr, "ringsim debug: --tour '%s': expected syscall (the one tour there is)\n", name);
        return EXIT_USAGE;
    }
    if (strcmp(o->mode, "native") != 0 || o->mmu) {
        fprintf(stderr, "ringsim debug: --tour takes every technique in turn: no --mode or --mmu\n");
        return EXIT_USAGE;
    }
    interactive = !batch && isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
    printf("A tour of one system call under each technique: native, te, bt, hw, pv.\n"
           "Each leg is a debugger session on the `syscall` workload; the commands it\n"
           "types are shown as typed, and work the same in `ringsim debug syscall`.\n");
    struct leg_result res[NLEGS];
    int done = 0;
    for (int k = 0; k < NLEGS; k++) {
        if (k && !pause_here()) break;
        if (!run_leg(&legs[k], o, k, &res[k])) {
            fprintf(stderr, "ringsim debug: --tour: the %s leg failed\n", legs[k].mode);
            return 1;
        }
        done++;
    }
    if (done == NLEGS) {
        printf("\n==== The same system call, side by side ====\n\n");
        printf("  %-8s %8s %8s %7s", "mode", "first", "second", "insns");
        for (int c = 0; c < CY_COUNT; c++) printf(" %7s", cycle_cause_name[c]);
        printf("\n");
        for (int k = 0; k < NLEGS; k++) {
            printf("  %-8s %8llu %8llu %7llu", legs[k].mode, (unsigned long long)res[k].first,
                   (unsigned long long)res[k].cycles, (unsigned long long)res[k].insns);
            for (int c = 0; c < CY_COUNT; c++) printf(" %7llu", (unsigned long long)res[k].by_cause[c]);
            printf("\n");
        }
        printf("\nCycles from the handler's first instruction back to user mode, for the first\n"
               "system call of the run and the second (whose instructions and causes follow).\n"
               "`ringsim compare` measures many; docs/debugger.md says how to read the panes.\n");
    }
    return 0;
}
