/*
 * compare.c — `ringsim compare`: one workload under every virtualisation
 * mode, as separate runs of this very program (`ringsim run … --stats`),
 * several at a time; then the table, CSV, JSON and chart of
 * visualise/compare.c.
 *
 * Separate processes keep each run exactly what `ringsim run` would do (no
 * state shared between modes) and use the cores.  A mode this build does
 * not have is found out by asking: `run` refuses it with exit status 2 and
 * a message saying which issue brings it, and the comparison lists it as
 * not available instead of failing.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cli/cli.h"
#include "hypervisor/technique.h"
#include "visualise/visualise.h"

extern char **environ;

/* Every combination of CPU and MMU technique, in the order of the table of
 * techniques (compare_rank), with the `run` options that select it.  A run
 * that is refused all the same is reported as not available. */
#define MAX_MODES (HV_MODE_COUNT * HV_MMU_COUNT)
struct mode {
    char name[24];                 /* "hw+nested", as hv_config_name says it */
    const char *argv[5];
};

/* Fills modes; returns how many. */
static int list_modes(struct mode modes[MAX_MODES])
{
    struct hv_config_choice c[MAX_MODES];
    int nmodes = hv_compare_configs(c, MAX_MODES);
    if (nmodes > MAX_MODES) nmodes = MAX_MODES;
    for (int k = 0; k < nmodes; k++) {
        struct mode *md = &modes[k];
        hv_config_name(c[k].t->mode, c[k].mmu, md->name, sizeof md->name);
        md->argv[0] = "--mode";
        md->argv[1] = c[k].t->name;
        if (c[k].t->mmus) {
            md->argv[2] = "--mmu";
            md->argv[3] = hv_mmu_name(c[k].mmu);
        }
    }
    return nmodes;
}

/* A mode by its name in the table, or by a technique's alone, as `run
 * --mode` takes it: hw is hw+nested, te and bt te+shadow and bt+shadow
 * (the technique table's default MMU). */
static const struct mode *mode_named(const struct mode *modes, int nmodes, const char *name)
{
    char full[32];
    const struct hv_technique *t = hv_technique_named(name);
    if (t) {
        hv_config_name(t->mode, t->default_mmu, full, sizeof full);
        name = full;
    }
    for (int k = 0; k < nmodes; k++)
        if (!strcmp(modes[k].name, name)) return &modes[k];
    return NULL;
}

/* Parameters --sweep can vary, and the `run` option each becomes. */
static const char *const sweep_params[] = {"levels", "tlb", "exit_cost", "pwc", "bt_chain"};

static void compare_help(FILE *out)
{
    fprintf(out,
        "usage: ringsim compare IMG [--modes LIST] [--levels N] [--profile P] [--isa ISA] [--args N]\n"
        "                       [--csv FILE] [--json FILE] [--chart FILE.svg|FILE.png]\n"
        "                       [--sweep PARAM=V1,V2,…] [--jobs N]\n"
        "       ringsim compare --isolation [options]   (processes, containers and VMs: --isolation --help)\n"
        "       ringsim compare --migration [IMG] [options]   (live migration's rows: --migration --help)\n"
        "       ringsim compare --io [diskio] [netping] [options]   (I/O three ways: --io --help)\n\n"
        "Runs IMG under each virtualisation mode (each a separate `ringsim run`, --jobs at a\n"
        "time) and prints, per mode: cycles, the slowdown against native, VM exits, traps, TLB\n"
        "misses, page-table references per walk, hidden and tracing faults (shadow paging), the\n"
        "binary-translation cache hit rate (hits / (hits + blocks translated)), and whether the\n"
        "guest printed the same as natively; then the cycles by cause.\n\n"
        "  --modes LIST       comma-separated, from: native hw+nested hw+shadow bt+shadow\n"
        "                     te+shadow pv, or a technique alone as run --mode takes it (hw is\n"
        "                     hw+nested; te, bt with shadow) (default: all of them; those this\n"
        "                     build lacks are listed as not available)\n"
        "  --levels N         page-table levels (default 2)\n"
        "  --profile P        machine profile NAME or FILE.ini (default modern)\n"
        "  --isa ISA          classic (default) or strict\n"
        "  --args N           the guest's boot parameter (a workload's iteration count)\n"
        "  --tlb E[:W], --pwc N, --mem SIZE, --max-cycles N, --bt-chain on|off   passed to\n"
        "                     every run\n"
        "  --csv FILE         the figures as CSV, one line per run\n"
        "  --json FILE        the figures as JSON, with each run's full statistics\n"
        "  --chart FILE       a gnuplot chart, SVG or PNG by extension: cycles by cause per\n"
        "                     mode (stacked bars), or with --sweep a line of cycles per mode\n"
        "  --sweep P=V1,V2,…  run the grid over one parameter: levels, tlb (E[:W]), pwc\n"
        "                     (entries), exit_cost (the VM exit + entry round trip in cycles,\n"
        "                     split evenly between vm_exit and vm_entry of the profile),\n"
        "                     bt_chain (on, off: binary translation's chaining of blocks)\n"
        "  --jobs N           runs at a time (default 2)\n"
        "  --timeout S        kill a run still going after S seconds (default 300)\n\n"
        "Exit status: 0 when every available mode ran (a guest output that differs is shown\n"
        "in the table, not an error), 1 if a run failed, %d for bad arguments.\n\n"
        "Example: ringsim compare forkwait --chart forkwait.svg --csv forkwait.csv\n", EXIT_USAGE);
}

/* The options every run gets, besides its mode and the swept parameter. */
struct compare_opts {
    const char *image, *profile, *isa, *args, *tlb, *pwc, *mem, *max_cycles, *bt_chain;
    unsigned levels;
    const char *sweep;
    char *values[64];
    int nvalues;
    int jobs;
    unsigned timeout;            /* seconds of wall-clock time a run may take */
};

static bool parse_sweep(char *spec, struct compare_opts *o)
{
    char *eq = strchr(spec, '=');
    if (!eq || eq == spec || !eq[1]) return false;
    *eq = 0;
    bool known = false;
    for (size_t i = 0; i < sizeof sweep_params / sizeof sweep_params[0]; i++)
        known |= !strcmp(spec, sweep_params[i]);
    if (!known) return false;
    o->sweep = spec;
    for (char *v = strtok(eq + 1, ","); v; v = strtok(NULL, ",")) {
        if (o->nvalues == 64) return false;
        if (!strcmp(spec, "bt_chain") && strcmp(v, "on") && strcmp(v, "off")) return false;
        o->values[o->nvalues++] = v;
    }
    return o->nvalues > 0;
}

/* A profile whose VM exit + entry round trip costs `cost` cycles, written
 * from the chosen one into dir.  Returns its path in out. */
static bool exit_cost_profile(const char *profile, const char *cost, const char *dir, char *out, size_t len,
                              char *err, size_t errlen)
{
    uint64_t v;
    struct profile p;
    if (!cli_parse_u64(cost, &v) || v > 2000000000u) {
        snprintf(err, errlen, "--sweep exit_cost: '%s' is not a number of cycles", cost);
        return false;
    }
    if (!profile_load(profile, &p, err, errlen)) return false;
    p.vm_exit = (uint32_t)(v / 2);
    p.vm_entry = (uint32_t)(v - v / 2);
    char *text = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&text, &n);
    if (!f) return false;
    fprintf(f, "; %s with a VM exit + entry round trip of %s cycles (ringsim compare --sweep)\n"
               "[machine]\nname = %s\n[class]\n", p.source, cost, p.name);
    for (int i = 0; i < CL_COUNT; i++) fprintf(f, "%s = %u\n", isa_class_name[i], p.class_cycles[i]);
    fprintf(f, "[cost]\n");
#define X(key, dflt, desc) fprintf(f, "%s = %u\n", #key, p.key);
    PROFILE_COSTS(X)
#undef X
    fclose(f);
    snprintf(out, len, "%s/exit_cost_%s.ini", dir, cost);
    bool ok = write_file_atomic(out, text, err, errlen);
    free(text);
    return ok;
}

/* ---- running ringsim itself ---------------------------------------------------- */
void cli_job_arg(struct cli_job *j, const char *a) { if (j->argc < 39) j->argv[j->argc++] = (char *)a; }

static pid_t spawn_job(struct cli_job *j)
{
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, j->out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&fa, 2, j->err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    pid_t pid;
    int rc = posix_spawn(&pid, j->argv[0], &fa, NULL, j->argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    return rc ? -1 : pid;
}

char *cli_slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return strdup("");
    char *buf = NULL;
    size_t len = 0;
    FILE *o = open_memstream(&buf, &len);
    char chunk[4096];
    size_t n;
    while (o && (n = fread(chunk, 1, sizeof chunk, f)) > 0) fwrite(chunk, 1, n, o);
    fclose(f);
    if (o) fclose(o);
    return buf ? buf : strdup("");
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Runs the jobs, at most `jobs` at a time; each one's exit status (128 +
 * signal when killed) goes to status[].  A run still going after `timeout`
 * seconds of wall-clock time is killed (timed_out[i]). */
void cli_run_jobs(struct cli_job *js, int n, int jobs, double timeout, int *status, bool *timed_out)
{
    int next = 0, running = 0;
    while (next < n || running) {
        while (running < jobs && next < n) {
            js[next].pid = spawn_job(&js[next]);
            js[next].started = now();
            if (js[next].pid < 0) status[next] = 127;
            else running++;
            next++;
        }
        if (!running) break;
        int st;
        pid_t p = waitpid(-1, &st, WNOHANG);
        if (p == 0) {
            for (int i = 0; i < next; i++)
                if (js[i].pid > 0 && !timed_out[i] && now() - js[i].started > timeout) {
                    kill(js[i].pid, SIGKILL);
                    timed_out[i] = true;
                }
            nanosleep(&(struct timespec){0, 2000000}, NULL);
            continue;
        }
        if (p < 0) {
            if (errno == EINTR) continue;
            break;
        }
        for (int i = 0; i < next; i++)
            if (js[i].pid == p) {
                status[i] = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
                js[i].pid = 0;
                running--;
            }
    }
}

/* The first line of a run's messages, without the "ringsim run: " prefix. */
void cli_first_line(const char *text, char *out, size_t len)
{
    const char *p = strncmp(text, "ringsim run: ", 13) ? text : text + 13;
    snprintf(out, len, "%.*s", (int)strcspn(p, "\n"), p);
}

int cmd_compare(int argc, char **argv)
{
    enum { O_MODES = 0x400, O_LEVELS, O_PROFILE, O_ISA, O_ARGS, O_CSV, O_JSON, O_CHART, O_SWEEP, O_JOBS,
           O_TLB, O_PWC, O_MEM, O_MAXCYC, O_TIMEOUT, O_BTCHAIN };
    static const struct option longopts[] = {
        {"help", no_argument, 0, 'h'},
        {"modes", required_argument, 0, O_MODES},
        {"levels", required_argument, 0, O_LEVELS},
        {"profile", required_argument, 0, O_PROFILE},
        {"isa", required_argument, 0, O_ISA},
        {"args", required_argument, 0, O_ARGS},
        {"csv", required_argument, 0, O_CSV},
        {"json", required_argument, 0, O_JSON},
        {"chart", required_argument, 0, O_CHART},
        {"sweep", required_argument, 0, O_SWEEP},
        {"jobs", required_argument, 0, O_JOBS},
        {"tlb", required_argument, 0, O_TLB},
        {"pwc", required_argument, 0, O_PWC},
        {"mem", required_argument, 0, O_MEM},
        {"max-cycles", required_argument, 0, O_MAXCYC},
        {"timeout", required_argument, 0, O_TIMEOUT},
        {"bt-chain", required_argument, 0, O_BTCHAIN},
        {0, 0, 0, 0},
    };
    struct compare_opts o = {.profile = "modern", .isa = "classic", .levels = 2, .jobs = 2, .timeout = 300};
    const char *csv = NULL, *json = NULL, *chart = NULL;
    char *modes_arg = NULL;
    uint64_t v;
    int ch;
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--isolation")) return cmd_compare_isolation(argc, argv);
        else if (!strcmp(argv[i], "--migration")) return cmd_compare_migration(argc, argv);
        else if (!strcmp(argv[i], "--io")) return cmd_compare_io(argc, argv);
    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (ch) {
        case 'h': compare_help(stdout); return 0;
        case O_MODES: modes_arg = optarg; break;
        case O_LEVELS:
            if (!cli_parse_u64(optarg, &v) || v < 2 || v > 4) {
                fprintf(stderr, "ringsim compare: --levels '%s': expected 2, 3 or 4\n", optarg);
                return EXIT_USAGE;
            }
            o.levels = (unsigned)v;
            break;
        case O_PROFILE: o.profile = optarg; break;
        case O_ISA: o.isa = optarg; break;
        case O_ARGS: o.args = optarg; break;
        case O_CSV: csv = optarg; break;
        case O_JSON: json = optarg; break;
        case O_CHART: chart = optarg; break;
        case O_TLB: o.tlb = optarg; break;
        case O_PWC: o.pwc = optarg; break;
        case O_MEM: o.mem = optarg; break;
        case O_MAXCYC: o.max_cycles = optarg; break;
        case O_BTCHAIN:
            if (strcmp(optarg, "on") && strcmp(optarg, "off")) {
                fprintf(stderr, "ringsim compare: --bt-chain '%s': expected on or off\n", optarg);
                return EXIT_USAGE;
            }
            o.bt_chain = optarg;
            break;
        case O_SWEEP:
            if (o.sweep || !parse_sweep(optarg, &o)) {
                fprintf(stderr, "ringsim compare: --sweep: expected one PARAM=V1,V2,… with PARAM levels, tlb, "
                                "exit_cost, pwc or bt_chain (on, off)\n");
                return EXIT_USAGE;
            }
            break;
        case O_TIMEOUT:
            if (!cli_parse_u64(optarg, &v) || v < 1 || v > 86400) {
                fprintf(stderr, "ringsim compare: --timeout '%s': expected seconds, 1..86400\n", optarg);
                return EXIT_USAGE;
            }
            o.timeout = (unsigned)v;
            break;
        case O_JOBS:
            if (!cli_parse_u64(optarg, &v) || v < 1 || v > 64) {
                fprintf(stderr, "ringsim compare: --jobs '%s': expected 1..64\n", optarg);
                return EXIT_USAGE;
            }
            o.jobs = (int)v;
            break;
        default: compare_help(stderr); cli_unknown_option(argc, argv, longopts, "compare"); return EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "ringsim compare: expected one image (a path or a bundled program name)\n");
        return EXIT_USAGE;
    }
    char image[PATH_MAX], exe[PATH_MAX], err[512];
    if (!cli_resolve_image(argv[optind], image, sizeof image)) {
        cli_no_such_image("compare", argv[optind]);
        return EXIT_USAGE;
    }
    /* refused now rather than by every run */
    struct isa_image img;
    if (!isa_image_load(image, &img, err, sizeof err)) {
        fprintf(stderr, "ringsim compare: %s\n", err);
        return EXIT_USAGE;
    }
    bool fits = cli_args_fit(o.args, &img, argv[optind], "compare");
    isa_image_free(&img);
    if (!fits) return EXIT_USAGE;
    /* a bundled program goes by name, so that --mode pv finds its
     * paravirtual build (guests/pv/) */
    const char *run_image = !strchr(argv[optind], '/') && access(argv[optind], R_OK) != 0 ? argv[optind] : image;
    if (chart) {
        size_t n = strlen(chart);
        if (n < 5 || (strcmp(chart + n - 4, ".svg") && strcmp(chart + n - 4, ".png"))) {
            fprintf(stderr, "ringsim compare: --chart %s: expected a file name ending in .svg or .png\n", chart);
            return EXIT_USAGE;
        }
    }
    /* which modes, in the order asked for */
    struct mode modes[MAX_MODES] = {0};
    int nmodes = list_modes(modes);
    const struct mode *chosen[MAX_MODES];
    int nchosen = 0;
    if (!modes_arg) {
        for (int k = 0; k < nmodes; k++) chosen[nchosen++] = &modes[k];
    } else {
        for (char *name = strtok(modes_arg, ","); name; name = strtok(NULL, ",")) {
            const struct mode *md = mode_named(modes, nmodes, name);
            if (!md) {
                const char *names[MAX_MODES];
                for (int k = 0; k < nmodes; k++) names[k] = modes[k].name;
                const char *near = vis_suggest(name, names, nmodes);
                fprintf(stderr, "ringsim compare: --modes: unknown mode '%s'; expected some of", name);
                for (int e = 0; e < nmodes; e++) fprintf(stderr, " %s", modes[e].name);
                fprintf(stderr, " (or te, bt, hw: with their default MMU)%s%s%s\n",
                        near ? "; did you mean " : "", near ? near : "", near ? "?" : "");
                return EXIT_USAGE;
            }
            if (nchosen == nmodes) {
                fprintf(stderr, "ringsim compare: --modes: at most %d modes\n", nmodes);
                return EXIT_USAGE;
            }
            chosen[nchosen++] = md;
        }
    }
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) {
        fprintf(stderr, "ringsim compare: cannot find my own program (/proc/self/exe): %s\n", strerror(errno));
        return 1;
    }
    exe[n] = 0;
    char dir[] = "/tmp/ringsim-compare-XXXXXX";
    if (!mkdtemp(dir)) {
        fprintf(stderr, "ringsim compare: mkdtemp: %s\n", strerror(errno));
        return 1;
    }
    if (!o.sweep) {
        o.values[0] = "";
        o.nvalues = 1;
    }

    int njobs = o.nvalues * nchosen, status = 0;
    struct cli_job *js = calloc((size_t)njobs, sizeof *js);
    struct vis_run *runs = calloc((size_t)njobs, sizeof *runs);
    int *st = calloc((size_t)njobs, sizeof *st);
    bool *timed_out = calloc((size_t)njobs, sizeof *timed_out);
    char levels[8];
    snprintf(levels, sizeof levels, "%u", o.levels);
    if (!js || !runs || !st || !timed_out) {
        fprintf(stderr, "ringsim compare: out of memory\n");
        status = 1;
        goto done;
    }
    for (int i = 0; i < njobs; i++) {
        struct cli_job *j = &js[i];
        const struct mode *md = chosen[i % nchosen];
        const char *value = o.values[i / nchosen];
        snprintf(j->out, sizeof j->out, "%s/%d.out", dir, i);
        snprintf(j->err, sizeof j->err, "%s/%d.err", dir, i);
        snprintf(j->stats, sizeof j->stats, "%s/%d.json", dir, i);
        cli_job_arg(j, exe);
        cli_job_arg(j, "run");
        cli_job_arg(j, run_image);
        for (int a = 0; a < 5 && md->argv[a]; a++) cli_job_arg(j, md->argv[a]);
        cli_job_arg(j, "--levels");
        cli_job_arg(j, o.sweep && !strcmp(o.sweep, "levels") ? value : levels);
        cli_job_arg(j, "--profile");
        if (o.sweep && !strcmp(o.sweep, "exit_cost")) {
            if (!exit_cost_profile(o.profile, value, dir, j->profile, sizeof j->profile, err, sizeof err)) {
                fprintf(stderr, "ringsim compare: %s\n", err);
                status = EXIT_USAGE;
                goto done;
            }
            cli_job_arg(j, j->profile);
        } else {
            cli_job_arg(j, o.profile);
        }
        cli_job_arg(j, "--isa");
        cli_job_arg(j, o.isa);
        if (o.args) { cli_job_arg(j, "--args"); cli_job_arg(j, o.args); }
        if (o.tlb) { cli_job_arg(j, "--tlb"); cli_job_arg(j, o.tlb); }
        if (o.pwc) { cli_job_arg(j, "--pwc"); cli_job_arg(j, o.pwc); }
        if (o.mem) { cli_job_arg(j, "--mem"); cli_job_arg(j, o.mem); }
        if (o.max_cycles) { cli_job_arg(j, "--max-cycles"); cli_job_arg(j, o.max_cycles); }
        if (o.sweep && !strcmp(o.sweep, "tlb")) { cli_job_arg(j, "--tlb"); cli_job_arg(j, value); }
        if (o.sweep && !strcmp(o.sweep, "pwc")) { cli_job_arg(j, "--pwc"); cli_job_arg(j, value); }
        if (o.bt_chain) { cli_job_arg(j, "--bt-chain"); cli_job_arg(j, o.bt_chain); }
        if (o.sweep && !strcmp(o.sweep, "bt_chain")) { cli_job_arg(j, "--bt-chain"); cli_job_arg(j, value); }
        cli_job_arg(j, "--stats");
        cli_job_arg(j, j->stats);
        j->argv[j->argc] = NULL;
        runs[i].mode = md->name;
        runs[i].value = value;
    }
    fflush(stdout);
    cli_run_jobs(js, njobs, o.jobs, o.timeout, st, timed_out);

    /* what each run left behind */
    int failed = 0;
    for (int i = 0; i < njobs; i++) {
        struct vis_run *r = &runs[i];
        char *msgs = cli_slurp(js[i].err);
        r->status = st[i];
        r->output = cli_slurp(js[i].out);
        r->available = !(st[i] == EXIT_USAGE && strstr(msgs, "arrives with issue"));
        json_error_t jerr;
        r->stats = r->available && access(js[i].stats, R_OK) == 0 ? json_load_file(js[i].stats, 0, &jerr) : NULL;
        if (!r->available) {
            cli_first_line(msgs, r->note, sizeof r->note);
        } else if (timed_out[i]) {
            snprintf(r->note, sizeof r->note, "still running after %u s: killed (--timeout)", o.timeout);
            failed++;
        } else if (!r->stats) {
            char line[200];
            cli_first_line(msgs, line, sizeof line);
            snprintf(r->note, sizeof r->note, "exit status %d, no statistics%s%s", st[i], line[0] ? ": " : "", line);
            failed++;
        }
        free(msgs);
    }
    struct vis_comparison c = {.workload = argv[optind], .profile = o.profile, .isa = o.isa, .args = o.args,
                               .levels = o.levels, .sweep = o.sweep, .nvalues = o.nvalues, .nmodes = nchosen,
                               .runs = runs};
    vis_compare_print(stdout, &c);
    fflush(stdout);
    if (csv && !vis_compare_csv(&c, csv, err, sizeof err)) {
        fprintf(stderr, "ringsim compare: --csv: %s\n", err);
        status = 1;
    }
    if (json && !vis_compare_json(&c, json, err, sizeof err)) {
        fprintf(stderr, "ringsim compare: --json: %s\n", err);
        status = 1;
    }
    if (chart && !vis_compare_chart(&c, chart, err, sizeof err)) {
        fprintf(stderr, "ringsim compare: --chart: %s\n", err);
        status = 1;
    }
    if (failed) {
        fprintf(stderr, "ringsim compare: %d run%s failed (see the table)\n", failed, failed == 1 ? "" : "s");
        status = 1;
    }

done:
    for (int i = 0; js && runs && i < njobs; i++) {
        free(runs[i].output);
        json_decref(runs[i].stats);
        unlink(js[i].out);
        unlink(js[i].err);
        unlink(js[i].stats);
        if (js[i].profile[0]) unlink(js[i].profile);
    }
    free(js);
    free(runs);
    free(st);
    free(timed_out);
    rmdir(dir);
    return status;
}
