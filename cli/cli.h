/*
 * cli.h — the ringsim program: one binary, one function per subcommand.
 *
 * Each subcommand parses its own options with getopt_long, prints its own
 * `--help`, and returns the process exit status.  Options shared by every
 * command that builds a machine (run, debug, dot) are parsed once, in
 * cli/machine.c, into a struct machine_opts.
 */
#ifndef RINGSIM_CLI_H
#define RINGSIM_CLI_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "cpu/cpu.h"

/* Process exit statuses of `ringsim run` besides the guest's own code. */
#define EXIT_USAGE        2    /* bad command line, file or image */
#define EXIT_CYCLE_LIMIT  124  /* --max-cycles reached (as timeout(1)) */
#define EXIT_TRIPLE_FAULT 125  /* the machine triple-faulted */
#define EXIT_HOST_ERROR   70   /* the simulator itself failed (EX_SOFTWARE) */
#define EXIT_GUEST_MAX    123  /* guest exit codes above this are clamped */

struct machine_opts {
    const char *mode, *mmu, *profile, *input, *input_file;
    enum isa_variant isa;
    unsigned levels;
    uint64_t max_cycles;
    uint32_t memsize;
    const char *args;
    bool args_typed;                 /* --args came from a command line: held to what each image
                                      * reads (cli_args_fit) — a program building a machine is trusted */
    unsigned tlb_entries, tlb_ways, pwc_entries, ntlb_entries, host_levels;
    bool no_asid, no_vpid, host_large_pages;
    uint32_t slice;
    bool invariants;                 /* --invariants (hv_config) */
    bool empty_vms;                  /* build the machine's shape only, its VMs empty, their
                                      * images not read: a save file fills them (restore) */
    const char *disks[MAX_VMS];      /* --disk, one per image in order */
    int ndisks;
    int spare_vms;                   /* host memory for this many VMs more (clones' template) */
    int passthrough;                 /* --passthrough N: 1 + N, 0 = none */
    bool no_iommu;                   /* --no-iommu */
    bool net;                        /* --net: a network interface each, on one switch */
    uint64_t net_latency;            /* --net-latency CYCLES (implies --net); 0 = the default */
    bool no_bt_chain;                /* --bt-chain off */
    bool jit;                        /* --engine jit */
    uint32_t jit_threshold;          /* --jit-threshold N, 0 = the default */
};

int cmd_asm(int argc, char **argv);
int cmd_disasm(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_isadoc(int argc, char **argv);

/* Resolves IMG: an existing path, or the name of a bundled guest
 * ("hello" -> guests/hello.img on the search path). */
bool cli_resolve_image(const char *arg, char *out, size_t outlen);
/* "ringsim CMD: ARG: no such file or bundled program", with the bundled
 * program ARG is closest to ("did you mean tour?"). */
void cli_no_such_image(const char *cmd, const char *arg);
/* After getopt_long refused an option (it has said so): the long option of
 * longopts closest to it, as "ringsim CMD: did you mean --trace?". */
struct option;
void cli_unknown_option(int argc, char **argv, const struct option *longopts, const char *cmd);
/* Can an output file be written at path (atomically: a temporary file
 * beside it, then a rename)?  Checked before a run, so that a bad path
 * fails at once and not after the run; nothing is created.  False with
 * "PATH: why" in why. */
bool cli_output_ok(const char *path, char *why, size_t len);
/* Does the boot parameter args suit image img (called name)?  A bundled
 * workload reads it as its iteration count (it has u_count, the kernel's
 * reader: digits only), so for it args must be a number, 0..2^32-1; if not,
 * says so as "ringsim CMD: --args 'abc': … expected …". */
struct isa_image;
bool cli_args_fit(const char *args, const struct isa_image *img, const char *name, const char *cmd);
/* Parses an unsigned number with an optional K/M/G suffix (binary). */
bool cli_parse_u64(const char *s, uint64_t *out);

/* ---- building a machine from the shared options (cli/machine.c) ----------
 * For the commands that run a guest (run, debug, dot):
 *     static const struct option longopts[] = {CLI_MACHINE_OPTIONS, …, {0}};
 * and in the getopt loop, cli_machine_option() first. */
enum {
    CLI_O_MODE = 0x300, CLI_O_MMU, CLI_O_ISA, CLI_O_PROFILE, CLI_O_LEVELS, CLI_O_MEM, CLI_O_INPUT,
    CLI_O_TLB, CLI_O_NOASID, CLI_O_PWC, CLI_O_ARGS, CLI_O_HOSTLEVELS, CLI_O_HOSTLARGE, CLI_O_NTLB,
    CLI_O_NOVPID, CLI_O_SLICE, CLI_O_INPUTFILE, CLI_O_DISK, CLI_O_INVARIANTS,
    CLI_O_PASSTHROUGH, CLI_O_NOIOMMU,
    CLI_O_NET, CLI_O_NETLATENCY, CLI_O_BTCHAIN, CLI_O_ENGINE, CLI_O_JITTHRESHOLD
};
#define CLI_MACHINE_OPTIONS                                                                      \
    {"mode", required_argument, 0, CLI_O_MODE}, {"mmu", required_argument, 0, CLI_O_MMU},        \
    {"isa", required_argument, 0, CLI_O_ISA}, {"profile", required_argument, 0, CLI_O_PROFILE},  \
    {"levels", required_argument, 0, CLI_O_LEVELS}, {"mem", required_argument, 0, CLI_O_MEM},    \
    {"input", required_argument, 0, CLI_O_INPUT}, {"tlb", required_argument, 0, CLI_O_TLB},      \
    {"no-asid", no_argument, 0, CLI_O_NOASID}, {"pwc", required_argument, 0, CLI_O_PWC},         \
    {"args", required_argument, 0, CLI_O_ARGS},                                                  \
    {"host-levels", required_argument, 0, CLI_O_HOSTLEVELS},                                     \
    {"host-large-pages", no_argument, 0, CLI_O_HOSTLARGE},                                       \
    {"ntlb", required_argument, 0, CLI_O_NTLB}, {"no-vpid", no_argument, 0, CLI_O_NOVPID},       \
    {"slice", required_argument, 0, CLI_O_SLICE},                                                \
    {"input-file", required_argument, 0, CLI_O_INPUTFILE},                                       \
    {"disk", required_argument, 0, CLI_O_DISK}, {"invariants", no_argument, 0, CLI_O_INVARIANTS}, \
    {"passthrough", required_argument, 0, CLI_O_PASSTHROUGH}, {"no-iommu", no_argument, 0, CLI_O_NOIOMMU}, \
    {"net", no_argument, 0, CLI_O_NET}, {"net-latency", required_argument, 0, CLI_O_NETLATENCY},  \
    {"bt-chain", required_argument, 0, CLI_O_BTCHAIN}, {"engine", required_argument, 0, CLI_O_ENGINE}, \
    {"jit-threshold", required_argument, 0, CLI_O_JITTHRESHOLD}

/* run's defaults: native, classic, 2 levels, modern, 16 MiB. */
void cli_machine_defaults(struct machine_opts *o);
/* The option lines of a --help. */
void cli_machine_help(FILE *out);
/* Takes one option getopt_long returned: 1 = taken, 0 = not a machine
 * option, -1 = a bad value (already reported as "ringsim CMD: …"). */
int cli_machine_option(int ch, const char *arg, struct machine_opts *o, const char *cmd);

/* A machine ready to run: with --mode hw, the hypervisor has started its
 * first VM (hv is NULL natively). */
struct hv;
struct cli_machine {
    struct machine *m;
    struct hv *hv;
    char image0[PATH_MAX];         /* the file the first VM was loaded from (pv: its paravirtual build) */
    struct machine_opts opts;      /* what it was built with (a save file's configuration) */
    char *owned;                   /* restored: the configuration words opts points into */
};
/* Builds it from the options and images (o->max_cycles included): a VM per
 * image under --mode hw, named after the image's basename.  On error prints
 * "ringsim CMD: …" and returns false (exit status EXIT_USAGE). */
bool cli_machine_build(const struct machine_opts *o, char *const *images, int nimages, const char *cmd,
                       struct cli_machine *cm);
/* The same in two steps, for a caller that hooks the machine (run's --trace)
 * before the hypervisor enters its first VM. */
bool cli_machine_load(const struct machine_opts *o, char *const *images, int nimages, const char *cmd,
                      struct cli_machine *cm);
void cli_machine_start(struct cli_machine *cm);
/* "syscall under hw+nested": what a picture or a trace of the run shows. */
void cli_machine_title(const struct cli_machine *cm, char *const *images, int nimages, char *buf, size_t len);
void cli_machine_free(struct cli_machine *cm);
/* The guest kernel's control groups as the run left them, from its memory
 * (cli/cgroups.c): o's "cgroups", one object per group in use with every
 * counter of cgroup_stat; nothing for a kernel without containers. */
struct json_t;
void cli_cgroups_json(const struct cli_machine *cm, struct json_t *o);

/* ---- save files (cpu/savefile.c; docs/savefile.md) -------------------------
 * The configuration section of a save file is the machine options it was
 * built with (the technique running when it was saved), as NUL-separated
 * words, then "--", the first image's path and each VM's name: enough to
 * build a machine of the same shape, which the rest of the file fills.  A
 * clone is another machine built and filled from the same file. */
bool cli_machine_save(const struct cli_machine *cm, const char *path, char *err, size_t errlen);
/* Builds a machine from save file path, ready to continue (not started
 * again).  given: the options of the command line; those that shape the
 * machine are refused (named in given_shape, NULL for none), --mode and
 * --mmu switch the restored guest where a live switch allows, --max-cycles
 * replaces the saved limit.  On error prints "ringsim CMD: …", false. */
bool cli_machine_restore(const char *path, const struct machine_opts *given, const char *given_shape,
                         const char *cmd, struct cli_machine *cm);
/* run FILE --clones N: n VMs cloned from the one saved in path under hw
 * with nested paging (hypervisor/clone.c), params[i] (NULL: none; or
 * params NULL) clone i's boot parameter; given as for a restore, but
 * --mode and --mmu may only name what the file was saved under.  On error
 * prints "ringsim CMD: …" naming the file and returns false. */
bool cli_machine_clone(const char *path, int n, const char *const *params, const struct machine_opts *given,
                       const char *given_shape, const char *cmd, struct cli_machine *cm);
/* Parses "CYCLE:FILE" (--save-at). */
bool cli_parse_save_at(const char *arg, uint64_t *cycle, const char **file);

/* ---- hosts and live migration (cli/migrate.c; docs/migration.md) ----------
 * run … --hosts N --migrate-at CYCLE:HOST [--link BW[:LAT]] [--stop-pages P]
 * [--max-rounds R]: the VM starts on host 0 and moves, while it runs, to
 * HOST at CYCLE (hypervisor/migrate.c). */
#define CLI_MAX_HOSTS 8
#include "hypervisor/hv.h"
struct cli_migrate {
    int hosts;                       /* --hosts N */
    const char *profile[CLI_MAX_HOSTS];   /* --host-profile H:P (NULL: the run's --profile) */
    struct { uint64_t cycle; int host; } at[16];
    int n;                           /* --migrate-at, in cycle order */
    struct hv_migrate_cfg cfg;       /* --link, --stop-pages, --max-rounds */
};
void cli_migrate_defaults(struct cli_migrate *mo);
/* "CYCLE:HOST" (--migrate-at); "BW[:LAT]" (--link: bytes per cycle, cycles). */
bool cli_parse_migrate_at(const char *arg, uint64_t *cycle, int *host);
bool cli_parse_link(const char *arg, struct hv_link *link);
/* The migrations name hosts that exist, each elsewhere, in cycle order; if
 * not, says so as "ringsim CMD: …". */
bool cli_migrate_check(const struct cli_migrate *mo, const char *cmd);
/* Runs cm (started, on host 0) to each migration and moves it; cm is then
 * the machine of the host the VM ended on, to be run on.  *report: a JSON
 * array, one object per migration (hv_migration_json).  On error prints
 * "ringsim CMD: …" and returns false. */
bool cli_migrate_run(struct cli_machine *cm, char *const *images, int nimages, const struct cli_migrate *mo,
                     struct json_t **report, const char *cmd);
/* Moves cm's VM (one VM, running) by live migration to a new host built
 * from cm's options (profile: the target's cost profile, NULL = cm's), over
 * cfg; the console and the trace hook carry over.  If it moved, cm is the
 * target's machine now (the source freed).  *mg says how it went.  On error
 * prints "ringsim CMD: WHAT: …" and returns false.  (--migrate-at and the
 * data centre's balancer, cli/datacentre.c, both move VMs with it.) */
struct hv_migration;
bool cli_move_vm(struct cli_machine *cm, char *const *images, int nimages, const char *profile,
                 const struct hv_migrate_cfg *cfg, struct hv_migration *mg, const char *what, const char *cmd);

/* ---- a data centre and consolidation (cli/datacentre.c; docs/migration.md) --
 * run IMG… --mode hw --hosts N [--host-cores C] [--host-mem FRAMES]
 * [--placement spread|pack] [--balance PERIOD] [--power IDLE:CORE]
 * [--vm-args A0,A1,…]: each image a VM on one core of a host; with
 * --balance, VMs are live-migrated off lightly loaded hosts, which are
 * switched off; with --overcommit R, VMs share cores and the balancer also
 * spreads VMs off overloaded hosts. */
enum {
    CLI_O_HOSTCORES = 0x600, CLI_O_HOSTMEM, CLI_O_PLACEMENT, CLI_O_BALANCE, CLI_O_POWER, CLI_O_VMARGS,
    CLI_O_OVERCOMMIT
};
#define CLI_DATACENTRE_OPTIONS                                                                    \
    {"host-cores", required_argument, 0, CLI_O_HOSTCORES},                                       \
    {"host-mem", required_argument, 0, CLI_O_HOSTMEM},                                           \
    {"placement", required_argument, 0, CLI_O_PLACEMENT},                                        \
    {"balance", required_argument, 0, CLI_O_BALANCE}, {"power", required_argument, 0, CLI_O_POWER}, \
    {"vm-args", required_argument, 0, CLI_O_VMARGS},                                             \
    {"overcommit", required_argument, 0, CLI_O_OVERCOMMIT}
struct cli_datacentre {
    bool given;                      /* any of its options */
    unsigned cores;                  /* --host-cores (2) */
    uint32_t frames;                 /* --host-mem, 4 KiB frames per host (65536) */
    bool pack;                       /* --placement pack (default spread) */
    unsigned overcommit;             /* --overcommit R: up to R VMs per core (1) */
    uint64_t balance;                /* --balance PERIOD, 0 = no balancing */
    uint32_t idle_mw, core_mw;       /* --power IDLE:CORE (60000:20000) */
    const char *vm_args[MAX_VMS];    /* --vm-args, split at its commas */
    int nvm_args;
    char vm_args_buf[MAX_VMS * BOOT_ARGS_MAX];
};
void cli_datacentre_defaults(struct cli_datacentre *dc);
/* Its option lines, for run's --help. */
void cli_datacentre_help(FILE *out);
/* 1 = taken, 0 = not one of its options, -1 = a bad value (said). */
int cli_datacentre_option(int ch, const char *arg, struct cli_datacentre *dc);
/* Runs the data centre to its end; writes --stats (stats: NULL, a file or
 * -) and the text trace; returns the exit status (status_of: run's, of VM
 * 0's machine). */
int cli_datacentre_run(const struct machine_opts *o, char *const *images, int nimages, const struct cli_migrate *mo,
                       const struct cli_datacentre *dc, const char *stats, const char *trace,
                       int (*status_of)(const struct machine *m));

int cmd_dot(int argc, char **argv);
int cmd_compare(int argc, char **argv);
/* `ringsim compare --isolation` (cli/isolation.c): one service as a process,
 * a container and in a VM under each technique. */
int cmd_compare_isolation(int argc, char **argv);
/* `ringsim compare --migration` (cli/compare_migration.c): a live migration
 * per write rate, link, stop condition and pre/post-copy, a row each. */
int cmd_compare_migration(int argc, char **argv);
/* `ringsim compare --io` (cli/compare_io.c): the emulated device, the split
 * driver and pass-through for diskio and netping, a row per way and technique. */
int cmd_compare_io(int argc, char **argv);

/* Runs of this very program, several at a time (cli/compare.c), for compare
 * and compare --isolation: argv (argv[0] the program), and files for the
 * run's output, messages and statistics. */
struct cli_job {
    char *argv[40];
    int argc;
    char out[PATH_MAX], err[PATH_MAX], stats[PATH_MAX];
    char profile[PATH_MAX];      /* a generated profile, for exit_cost */
    pid_t pid;
    double started;
};
void cli_job_arg(struct cli_job *j, const char *a);
/* Runs the jobs, at most `jobs` at a time; each one's exit status (128 +
 * signal when killed) goes to status[].  A run still going after `timeout`
 * seconds of wall-clock time is killed (timed_out[i]). */
void cli_run_jobs(struct cli_job *js, int n, int jobs, double timeout, int *status, bool *timed_out);
/* A file's whole text, malloc'd ("" if it cannot be read). */
char *cli_slurp(const char *path);
/* The first line of a run's messages, without the "ringsim run: " prefix. */
void cli_first_line(const char *text, char *out, size_t len);

/* Ends what vis_trace_install (visualise/visualise.h) began: flushes and
 * closes the trace file and frees the hook's state.  False with "FILE:
 * what" (the errno text) in err if any line of the trace could not be
 * written — a full disk must fail the run, not truncate the trace in
 * silence.  (visualise/trace.c; declared here, beside its one caller, run.) */
bool vis_trace_close(struct machine *m, char *err, size_t errlen);

/* `ringsim debug` (cli/debug.c): the debugger, full screen or line mode. */
int cmd_debug(int argc, char **argv);
/* `ringsim dap`: the debugger over the Debug Adapter Protocol (cli/dap.c; docs/dap.md). */
int cmd_dap(int argc, char **argv);
/* `ringsim debug --tour NAME` (cli/tour.c): batch = no pauses. */
int cli_tour(const char *name, const struct machine_opts *o, bool batch);
/* `ringsim lanes` (cli/lanes.c): a window of a run as swim lanes, in SVG. */
int cmd_lanes(int argc, char **argv);

#endif
