/*
 * isolation.c — `ringsim compare --isolation`: the lecture's processes,
 * containers and VMs, measured.  One service (guests/kernel/user/service.s)
 * is started as a process (guests/isoproc.s) and as a container in new
 * namespaces and a cgroup of its own (guests/isoct.s), each natively and in
 * a VM under every technique of the table (hv_compare_configs), as separate
 * `ringsim run`s (compare.c's job runner); then one table, CSV and JSON.
 *
 * Every figure is measured by the mechanism, never written in by the guest:
 * the runs trace their traps (`--trace trap`), and the cycle at which the
 * system call at each of the service's marker labels traps (found in the
 * image's symbol table) times the start-up and the two phases; the guest's
 * frames in use are what its kernel counts (the `meminfo` call, printed by
 * the service); the hypervisor's are what it took (`run --footprint`).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cli/cli.h"
#include "hypervisor/technique.h"

/* The service's markers: labels of system calls in the user image. */
enum marker { MK_LAUNCH, MK_START, MK_SYSCALLS, MK_COMPUTE, MK_DONE, MK_COUNT };
static const char *const marker_labels[MK_COUNT][2] = {
    {"iso_launch_proc", "iso_launch_ct"},   /* the init's spawn (process); its cgroup_create (container) */
    {"svc_start", NULL}, {"svc_syscalls", NULL}, {"svc_compute", NULL}, {"svc_done", NULL},
};

#define ISO_MAX_ROWS (2 * (HV_MODE_COUNT * HV_MMU_COUNT + 1))

/* One run: the service started one way, under one technique. */
struct iso_row {
    bool container;                /* isoct (else isoproc) */
    char mode[24];                 /* "native", "hw+nested", … */
    const char *argv[4];           /* the run options that select it */
    const char *build;             /* the technique's own build of the image (pv), or NULL */
    /* measured */
    int status;
    bool ok;
    char note[200];
    char *output;
    uint64_t at[MK_COUNT];         /* cycle of each marker's trap */
    uint64_t syscalls;             /* system-call traps in the syscall phase */
    long guest_frames;             /* as the guest's kernel counts them */
    long kernel_frames;            /* of them, the kernel image's: up to its kernel_end */
    json_t *footprint;             /* run --footprint's object, NULL natively */
    uint64_t cycles;
};

static void isolation_help(FILE *out)
{
    fprintf(out,
        "usage: ringsim compare --isolation [--profile P] [--levels N] [--isa ISA]\n"
        "                       [--csv FILE] [--json FILE] [--jobs N] [--timeout S]\n\n"
        "Runs one service (guests/kernel/user/service.s: a loop of getpid system calls, then\n"
        "compute's loop) as a process (guests/isoproc.s) and as a container, in new pid, UTS,\n"
        "user and IPC namespaces and a cgroup (guests/isoct.s), natively and in a VM under every\n"
        "technique, and prints per run: the start-up (cycles to the service's first system\n"
        "call: natively from a running kernel, in a VM from power-on, its boot included), the\n"
        "launch (from the spawn, or from the container's cgroup_create, clone and all), the frames\n"
        "of memory the guest kernel counts in use, the frames the hypervisor holds besides\n"
        "the VM's memory (host or shadow tables, its bookkeeping), and the cycles of a system\n"
        "call and of the compute phase against the process natively.  Every cycle is taken\n"
        "from the run's trace of traps (--trace trap) at marker labels of the image.\n\n"
        "  --profile P, --levels N, --isa ISA, --jobs N, --timeout S   as compare's\n"
        "  --csv FILE, --json FILE   the figures as CSV, or JSON with each run's statistics\n\n"
        "Exit status: 0 when every run measured, 1 if one failed, %d for bad arguments.\n", EXIT_USAGE);
}

/* The rows: the process and the container natively, then in a VM under
 * each technique in the order of the table of techniques.  Returns how many. */
static int iso_rows(struct iso_row rows[ISO_MAX_ROWS])
{
    struct hv_config_choice c[HV_MODE_COUNT * HV_MMU_COUNT];
    int nc = hv_compare_configs(c, HV_MODE_COUNT * HV_MMU_COUNT), n = 0;
    if (nc > HV_MODE_COUNT * HV_MMU_COUNT) nc = HV_MODE_COUNT * HV_MMU_COUNT;
    for (int ct = 0; ct < 2; ct++)
        for (int k = 0; k < nc; k++) {
            struct iso_row *r = &rows[n++];
            memset(r, 0, sizeof *r);
            r->container = ct;
            hv_config_name(c[k].t->mode, c[k].mmu, r->mode, sizeof r->mode);
            if (!hv_technique_virtual(c[k].t)) continue;
            r->build = c[k].t->build;
            r->argv[0] = "--mode";
            r->argv[1] = c[k].t->name;
            if (c[k].t->mmus) {
                r->argv[2] = "--mmu";
                r->argv[3] = hv_mmu_name(c[k].mmu);
            }
        }
    return n;
}

static const char *iso_image(const struct iso_row *r) { return r->container ? "isoct" : "isoproc"; }

/* "process", "container", "VM", "container in VM". */
static const char *iso_kind(const struct iso_row *r)
{
    bool vm = strcmp(r->mode, "native") != 0;
    return r->container ? (vm ? "container in VM" : "container") : (vm ? "VM" : "process");
}

/* The user-space addresses of the markers in the image a row runs (pv: its
 * own build), and the frames of that kernel image (r->kernel_frames, 4 KiB
 * pages).  False with a message when the image or a label is missing. */
static bool iso_markers(struct iso_row *r, uint32_t addr[MK_COUNT], char *err, size_t errlen)
{
    char path[PATH_MAX], own[64];
    snprintf(own, sizeof own, "%s%s%s.img", r->build ? r->build : "", r->build ? "/" : "", iso_image(r));
    if (!ringsim_find_file("guests", own, path, sizeof path)) {
        snprintf(err, errlen, "the bundled image %s is not built (make)", own);
        return false;
    }
    struct isa_image img;
    if (!isa_image_load(path, &img, err, errlen)) return false;
    uint32_t end = 0;
    bool ok = true;
    /* the image's own frames, which meminfo counts in use from boot on:
     * text, data and bss up to kernel_end (guests/kernel/main.s) */
    r->kernel_frames = isa_image_symbol_addr(&img, "kernel_end", &end) ? (long)(end >> 12) : -1;
    for (int k = 0; ok && k < MK_COUNT; k++) {
        const char *label = marker_labels[k][k == MK_LAUNCH && r->container];
        if (!isa_image_symbol_addr(&img, label, &addr[k])) {
            snprintf(err, errlen, "%.200s: no symbol %s", path, label);
            ok = false;
        }
    }
    isa_image_free(&img);
    return ok;
}

/* Reads a run's trace of traps: the first system-call trap at each marker,
 * and the system calls between the syscall and compute markers. */
static bool iso_read_trace(struct iso_row *r, const char *trace, const uint32_t addr[MK_COUNT])
{
    FILE *f = fopen(trace, "r");
    if (!f) return false;
    bool seen[MK_COUNT] = {0};
    char line[512];
    while (fgets(line, sizeof line, f)) {
        uint64_t cycle;
        const char *epc = strstr(line, " epc=v:");
        if (!strstr(line, " trap cause=syscall ") || !epc || sscanf(line, "%" SCNu64, &cycle) != 1) continue;
        /* a system call's epc is the instruction after it, where it returns */
        uint32_t pc = (uint32_t)strtoul(epc + 7, NULL, 16) - 4; /* one fixed-width word */
        if (seen[MK_SYSCALLS] && !seen[MK_COMPUTE]) r->syscalls++;
        for (int k = 0; k < MK_COUNT; k++)
            if (!seen[k] && pc == addr[k]) {
                seen[k] = true;
                r->at[k] = cycle;
            }
    }
    fclose(f);
    for (int k = 0; k < MK_COUNT; k++)
        if (!seen[k]) return false;
    return true;
}

/* The frames in use the service printed ("service: pid 1, 27 frames in use"). */
static long iso_guest_frames(const char *output)
{
    const char *p = strstr(output, "service: pid ");
    const char *q = p ? strchr(p, ',') : NULL;
    return q ? strtol(q + 1, NULL, 10) : -1;
}

static long long fp_get(const struct iso_row *r, const char *key)
{
    return r->footprint ? (long long)json_integer_value(json_object_get(r->footprint, key)) : 0;
}

/* Derived figures, against the process natively (rows[0]).  The launch is
 * what it takes a running kernel to start the service: from the spawn, or
 * from the first call of the container's set-up (its cgroup) to the
 * service's first system call.  The start-up is what it takes from
 * nothing: natively the kernel is up already, so it is the launch; in a VM
 * it is from power-on, the VM's boot included. */
static uint64_t iso_launch(const struct iso_row *r) { return r->at[MK_START] - r->at[MK_LAUNCH]; }
static uint64_t iso_startup(const struct iso_row *r) { return r->argv[0] ? r->at[MK_START] : iso_launch(r); }
static uint64_t iso_syscall_phase(const struct iso_row *r) { return r->at[MK_COMPUTE] - r->at[MK_SYSCALLS]; }
static uint64_t iso_compute_phase(const struct iso_row *r) { return r->at[MK_DONE] - r->at[MK_COMPUTE]; }
static double ratio(uint64_t a, uint64_t b) { return b ? (double)a / (double)b : 0; }

/* The output of the row natively that this one should match (the service's
 * pid differs between a process and a container, so each matches its own). */
static bool iso_same(const struct iso_row *rows, const struct iso_row *r)
{
    for (const struct iso_row *b = rows; b->mode[0]; b++)
        if (b->container == r->container && !strcmp(b->mode, "native"))
            return b->output && r->output && !strcmp(b->output, r->output);
    return false;
}

static void iso_print(FILE *out, const struct iso_row *rows, int n, const char *profile, unsigned levels,
                      const char *isa)
{
    const struct iso_row *p0 = &rows[0];
    fprintf(out, "one service as a process, a container and in a VM (profile %s, %u levels, %s ISA)\n\n",
            profile, levels, isa);
    fprintf(out, "%-16s %-10s %10s %9s %8s %8s %8s %9s %6s %9s %6s %5s\n", "run", "technique", "start-up",
            "launch", "guest fr", "hv fr", "VM fr", "syscall", "x", "compute", "x", "same");
    for (int i = 0; i < n; i++) {
        const struct iso_row *r = &rows[i];
        if (!r->ok) {
            fprintf(out, "%-16s %-10s %s\n", iso_kind(r), r->mode, r->note);
            continue;
        }
        double per = r->syscalls ? (double)iso_syscall_phase(r) / (double)r->syscalls : 0;
        double per0 = p0->syscalls ? (double)iso_syscall_phase(p0) / (double)p0->syscalls : 0;
        fprintf(out, "%-16s %-10s %10" PRIu64 " %9" PRIu64 " %8ld %8lld %8lld %9.1f %6.2f %9" PRIu64 " %6.2f %5s\n",
                iso_kind(r), r->mode, iso_startup(r), iso_launch(r), r->guest_frames, fp_get(r, "hv_frames"),
                fp_get(r, "vm_frames"), per, per0 ? per / per0 : 0, iso_compute_phase(r),
                ratio(iso_compute_phase(r), iso_compute_phase(p0)), iso_same(rows, r) ? "yes" : "NO");
    }
    fprintf(out, "\nstart-up: cycles to the service's first system call from a running kernel natively,\n"
                 "from power-on in a VM (its boot included); launch: from the spawn, or the container's\n"
                 "first set-up call (cgroup_create), to it, in a running kernel; guest fr: frames the guest\n"
                 "kernel counts in use; hv fr: frames the hypervisor holds besides the VM (tables,\n"
                 "bookkeeping); VM fr: the VM's guest-physical memory; syscall: cycles per getpid,\n"
                 "compute: cycles of the compute phase, each x against the process natively.\n");
}

static bool iso_csv(const struct iso_row *rows, int n, const char *path, char *err, size_t errlen)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) return false;
    fprintf(f, "run,technique,ok,startup_cycles,launch_cycles,guest_frames,hv_frames,vm_frames,"
               "syscalls,syscall_phase_cycles,compute_phase_cycles,same_output\n");
    for (int i = 0; i < n; i++) {
        const struct iso_row *r = &rows[i];
        fprintf(f, "%s,%s,%d,%" PRIu64 ",%" PRIu64 ",%ld,%lld,%lld,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%d\n",
                iso_kind(r), r->mode, r->ok, r->ok ? iso_startup(r) : 0, r->ok ? iso_launch(r) : 0,
                r->guest_frames, fp_get(r, "hv_frames"), fp_get(r, "vm_frames"), r->syscalls,
                r->ok ? iso_syscall_phase(r) : 0, r->ok ? iso_compute_phase(r) : 0, iso_same(rows, r));
    }
    fclose(f);
    bool ok = write_file_atomic(path, text, err, errlen);
    free(text);
    return ok;
}

static bool iso_json(const struct iso_row *rows, int n, const char *profile, unsigned levels, const char *isa,
                     const char *path, char *err, size_t errlen)
{
    json_t *o = json_pack("{s:s,s:i,s:s}", "profile", profile, "levels", (int)levels, "isa", isa);
    json_t *a = json_array();
    for (int i = 0; i < n; i++) {
        const struct iso_row *r = &rows[i];
        json_t *j = json_pack("{s:s,s:s,s:b}", "run", iso_kind(r), "technique", r->mode, "ok", r->ok);
        if (r->ok) {
            json_object_set_new(j, "startup_cycles", json_integer((json_int_t)iso_startup(r)));
            json_object_set_new(j, "launch_cycles", json_integer((json_int_t)iso_launch(r)));
            json_object_set_new(j, "guest_frames", json_integer(r->guest_frames));
            json_object_set_new(j, "kernel_image_frames", json_integer(r->kernel_frames));
            json_object_set_new(j, "syscalls", json_integer((json_int_t)r->syscalls));
            json_object_set_new(j, "syscall_phase_cycles", json_integer((json_int_t)iso_syscall_phase(r)));
            json_object_set_new(j, "compute_phase_cycles", json_integer((json_int_t)iso_compute_phase(r)));
            json_object_set_new(j, "cycles", json_integer((json_int_t)r->cycles));
            json_object_set_new(j, "same_output", json_boolean(iso_same(rows, r)));
            if (r->footprint) json_object_set(j, "footprint", r->footprint);
        } else {
            json_object_set_new(j, "note", json_string(r->note));
        }
        json_array_append_new(a, j);
    }
    json_object_set_new(o, "runs", a);
    char *text = json_dumps(o, JSON_INDENT(2));
    json_decref(o);
    if (!text) return false;
    size_t len = strlen(text);
    char *nl = malloc(len + 2);
    bool ok = nl != NULL;
    if (ok) {
        memcpy(nl, text, len);
        memcpy(nl + len, "\n", 2);
        ok = write_file_atomic(path, nl, err, errlen);
    }
    free(nl);
    free(text);
    return ok;
}

int cmd_compare_isolation(int argc, char **argv)
{
    enum { O_ISOLATION = 0x400, O_LEVELS, O_PROFILE, O_ISA, O_CSV, O_JSON, O_JOBS, O_TIMEOUT };
    static const struct option longopts[] = {
        {"help", no_argument, 0, 'h'},
        {"isolation", no_argument, 0, O_ISOLATION},
        {"levels", required_argument, 0, O_LEVELS},
        {"profile", required_argument, 0, O_PROFILE},
        {"isa", required_argument, 0, O_ISA},
        {"csv", required_argument, 0, O_CSV},
        {"json", required_argument, 0, O_JSON},
        {"jobs", required_argument, 0, O_JOBS},
        {"timeout", required_argument, 0, O_TIMEOUT},
        {0, 0, 0, 0},
    };
    const char *profile = "modern", *isa = "classic", *csv = NULL, *json = NULL;
    unsigned levels = 2, timeout = 300;
    int jobs = 2, ch;
    uint64_t v;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (ch) {
        case 'h': isolation_help(stdout); return 0;
        case O_ISOLATION: break;
        case O_LEVELS:
            if (!cli_parse_u64(optarg, &v) || v < 2 || v > 4) {
                fprintf(stderr, "ringsim compare: --levels '%s': expected 2, 3 or 4\n", optarg);
                return EXIT_USAGE;
            }
            levels = (unsigned)v;
            break;
        case O_PROFILE: profile = optarg; break;
        case O_ISA: isa = optarg; break;
        case O_CSV: csv = optarg; break;
        case O_JSON: json = optarg; break;
        case O_JOBS:
            if (!cli_parse_u64(optarg, &v) || v < 1 || v > 64) {
                fprintf(stderr, "ringsim compare: --jobs '%s': expected 1..64\n", optarg);
                return EXIT_USAGE;
            }
            jobs = (int)v;
            break;
        case O_TIMEOUT:
            if (!cli_parse_u64(optarg, &v) || v < 1 || v > 86400) {
                fprintf(stderr, "ringsim compare: --timeout '%s': expected seconds, 1..86400\n", optarg);
                return EXIT_USAGE;
            }
            timeout = (unsigned)v;
            break;
        default:
            isolation_help(stderr);
            cli_unknown_option(argc, argv, longopts, "compare");
            return EXIT_USAGE;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "ringsim compare --isolation: takes no image (it runs its own: isoproc, isoct)\n");
        return EXIT_USAGE;
    }
    struct iso_row rows[ISO_MAX_ROWS + 1];
    memset(rows, 0, sizeof rows);
    int n = iso_rows(rows), status = 0;
    char exe[PATH_MAX], dir[] = "/tmp/ringsim-isolation-XXXXXX", levels_s[8], err[512];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len <= 0 || !mkdtemp(dir)) {
        fprintf(stderr, "ringsim compare: cannot run myself: %s\n", strerror(errno));
        return 1;
    }
    exe[len] = 0;
    snprintf(levels_s, sizeof levels_s, "%u", levels);
    struct cli_job *js = calloc((size_t)n, sizeof *js);
    char (*traces)[PATH_MAX + 16] = calloc((size_t)n, sizeof *traces);
    int *st = calloc((size_t)n, sizeof *st);
    bool *timed_out = calloc((size_t)n, sizeof *timed_out);
    if (!js || !traces || !st || !timed_out) {
        fprintf(stderr, "ringsim compare: out of memory\n");
        status = 1;
        goto done;
    }
    for (int i = 0; i < n; i++) {
        struct cli_job *j = &js[i];
        snprintf(j->out, sizeof j->out, "%s/%d.out", dir, i);
        snprintf(j->err, sizeof j->err, "%s/%d.err", dir, i);
        snprintf(j->stats, sizeof j->stats, "%s/%d.json", dir, i);
        snprintf(traces[i], sizeof traces[i], "trap:%s/%d.trace", dir, i);
        cli_job_arg(j, exe);
        cli_job_arg(j, "run");
        cli_job_arg(j, iso_image(&rows[i]));
        for (int a = 0; a < 4 && rows[i].argv[a]; a++) cli_job_arg(j, rows[i].argv[a]);
        const char *common[] = {"--levels", levels_s, "--profile", profile, "--isa", isa, "--stats", j->stats,
                                "--trace", traces[i]};
        for (size_t a = 0; a < sizeof common / sizeof common[0]; a++) cli_job_arg(j, common[a]);
        if (rows[i].argv[0]) cli_job_arg(j, "--footprint");
        j->argv[j->argc] = NULL;
    }
    fflush(stdout);
    cli_run_jobs(js, n, jobs, timeout, st, timed_out);

    int failed = 0;
    for (int i = 0; i < n; i++) {
        struct iso_row *r = &rows[i];
        uint32_t addr[MK_COUNT];
        json_error_t jerr;
        char *msgs = cli_slurp(js[i].err);
        r->status = st[i];
        r->output = cli_slurp(js[i].out);
        json_t *stats = access(js[i].stats, R_OK) == 0 ? json_load_file(js[i].stats, 0, &jerr) : NULL;
        if (timed_out[i]) {
            snprintf(r->note, sizeof r->note, "still running after %u s: killed (--timeout)", timeout);
        } else if (!stats) {
            char line[160];
            cli_first_line(msgs, line, sizeof line);
            snprintf(r->note, sizeof r->note, "exit status %d, no statistics%s%s", st[i], line[0] ? ": " : "", line);
        } else if (!iso_markers(r, addr, err, sizeof err)) {
            snprintf(r->note, sizeof r->note, "%.190s", err);
        } else if (!iso_read_trace(r, traces[i] + 5, addr)) {
            snprintf(r->note, sizeof r->note, "the trace lacks a marker's system call (exit status %d)", st[i]);
        } else if ((r->guest_frames = iso_guest_frames(r->output)) < 0) {
            snprintf(r->note, sizeof r->note, "the service printed no frames in use");
        } else {
            r->ok = true;
            r->cycles = (uint64_t)json_integer_value(json_object_get(stats, "cycles"));
            r->footprint = json_incref(json_object_get(stats, "footprint"));
        }
        failed += !r->ok;
        json_decref(stats);
        free(msgs);
        unlink(js[i].out);
        unlink(js[i].err);
        unlink(js[i].stats);
        unlink(traces[i] + 5);
    }
    if (!rows[0].ok) {
        fprintf(stderr, "ringsim compare: the process natively did not run: %s\n", rows[0].note);
        status = 1;
        goto done;
    }
    iso_print(stdout, rows, n, profile, levels, isa);
    fflush(stdout);
    if (csv && !iso_csv(rows, n, csv, err, sizeof err)) {
        fprintf(stderr, "ringsim compare: --csv: %s\n", err);
        status = 1;
    }
    if (json && !iso_json(rows, n, profile, levels, isa, json, err, sizeof err)) {
        fprintf(stderr, "ringsim compare: --json: %s\n", err);
        status = 1;
    }
    if (failed) {
        fprintf(stderr, "ringsim compare: %d run%s failed (see the table)\n", failed, failed == 1 ? "" : "s");
        status = 1;
    }

done:
    for (int i = 0; i < n; i++) {
        free(rows[i].output);
        json_decref(rows[i].footprint);
    }
    free(js);
    free(traces);
    free(st);
    free(timed_out);
    rmdir(dir);
    return status;
}
