/*
 * compare_migration.c — `ringsim compare --migration`: the migration table as
 * rows of one comparison.  Each row is one live migration (`ringsim run IMG
 * --hosts 2 --migrate-at CYCLE:1 …`, a separate process, as compare's other
 * runs) of the workload at one write rate (its --args) over one link with
 * one stop condition, by pre-copy or post-copy; its columns are what the
 * migration's statistics say (hypervisor/migrate.c): rounds, pages sent,
 * pages in stop-and-copy, downtime, total time, why the rounds stopped — and
 * whether the guest printed what the same workload prints when it never
 * moves (one more run per write rate).  Nothing is computed here that the
 * runs did not measure.  docs/migration.md, "ringsim compare --migration".
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cli/cli.h"

#define MIG_MAX_VALUES 16

static void help(FILE *out)
{
    fprintf(out,
        "usage: ringsim compare --migration [IMG] [--mode M] [--mmu U] [--mem SIZE] [--at CYCLE]\n"
        "                       [--rates LIST] [--links LIST] [--latency L] [--stop-pages LIST]\n"
        "                       [--max-rounds LIST] [--copy pre,post] [--csv FILE] [--json FILE]\n"
        "                       [--jobs N] [--timeout S]\n\n"
        "Migrates IMG (default dirty, whose write rate, pages written per pass, is its --args)\n"
        "from host 0 to host 1 at CYCLE, once for every combination of the lists, each a\n"
        "separate `ringsim run … --hosts 2 --migrate-at CYCLE:1` (docs/migration.md), and\n"
        "prints a row per migration: rounds, pages sent, pages in stop-and-copy, downtime,\n"
        "total cycles, why the rounds stopped, pages the log missed (stale), and whether the\n"
        "guest printed what it prints when it never moves (a run per write rate).\n\n"
        "  --mode M, --mmu U  the technique (hw; nested): every one with a dirty log\n"
        "  --mem SIZE         the VM's memory (4M)\n"
        "  --at CYCLE         when the migration starts (3000000)\n"
        "  --rates LIST       write rates, the workload's --args, comma-separated (1,4,16,64)\n"
        "  --links LIST       link bandwidths in bytes per cycle (2,8)\n"
        "  --latency L        the link's latency in cycles (10000)\n"
        "  --stop-pages LIST  stop-and-copy once a round leaves at most P dirty pages (16)\n"
        "  --max-rounds LIST  at most R pre-copy rounds (30)\n"
        "  --copy LIST        pre, post or both (pre); post-copy is hw with nested paging only\n"
        "  --csv FILE         the rows as CSV\n"
        "  --json FILE        the rows as JSON, each with its run's whole \"migrations\" entry\n"
        "  --jobs N           runs at a time (2)\n"
        "  --timeout S        kill a run still going after S seconds (300)\n\n"
        "Exit status: 0 when every run ran, 1 if one failed, %d for bad arguments.\n\n"
        "Example: ringsim compare --migration --rates 4,64 --links 2,8 --stop-pages 4,64 --csv m.csv\n",
        EXIT_USAGE);
}

/* A comma-separated list of positive numbers, kept as the words given. */
static bool parse_list(const char *opt, char *arg, char **vals, int *n, uint64_t max)
{
    *n = 0;
    for (char *v = strtok(arg, ","); v; v = strtok(NULL, ",")) {
        uint64_t x;
        if (*n == MIG_MAX_VALUES || !cli_parse_u64(v, &x) || !x || x > max) {
            fprintf(stderr, "ringsim compare: --%s: expected at most %d numbers 1..%llu, comma-separated; "
                            "'%s' is not one\n", opt, MIG_MAX_VALUES, (unsigned long long)max, v);
            return false;
        }
        vals[(*n)++] = v;
    }
    if (!*n) fprintf(stderr, "ringsim compare: --%s: expected a list of numbers\n", opt);
    return *n > 0;
}

struct row {
    const char *rate, *link, *stop, *rounds_max;
    bool post;
    int job;           /* the migrating run */
    int still;         /* the run that never moved, at this rate */
};

static long long num(json_t *o, const char *k) { return json_integer_value(json_object_get(o, k)); }

/* The CSV and JSON files: the same rows, atomically. */
static bool write_rows(const char *csv, const char *jsonf, json_t *rows, char *err, size_t errlen)
{
    static const char *const cols[] = {"rate", "link", "latency", "stop_pages", "max_rounds", "copy", "status",
                                       "rounds", "pages_sent", "final_pages", "downtime", "total_cycles",
                                       "stop_reason", "stale_pages", "log_faults", "same_output"};
    if (csv) {
        char *text = NULL;
        size_t n = 0;
        FILE *f = open_memstream(&text, &n);
        if (!f) return false;
        for (size_t c = 0; c < sizeof cols / sizeof cols[0]; c++) fprintf(f, "%s%s", c ? "," : "", cols[c]);
        fputc('\n', f);
        size_t i;
        json_t *r;
        json_array_foreach(rows, i, r) {
            for (size_t c = 0; c < sizeof cols / sizeof cols[0]; c++) {
                json_t *v = json_object_get(r, cols[c]);
                if (c) fputc(',', f);
                if (json_is_string(v)) fputs(json_string_value(v), f);
                else if (json_is_integer(v)) fprintf(f, "%lld", (long long)json_integer_value(v));
                else if (json_is_boolean(v)) fputs(json_is_true(v) ? "yes" : "no", f);
            }
            fputc('\n', f);
        }
        fclose(f);
        bool ok = write_file_atomic(csv, text, err, errlen);
        free(text);
        if (!ok) return false;
    }
    if (jsonf) {
        char *text = json_dumps(rows, JSON_INDENT(2));
        if (!text) return false;
        size_t n = strlen(text);
        char *nl = realloc(text, n + 2);
        if (!nl) { free(text); return false; }
        memcpy(nl + n, "\n", 2);
        bool ok = write_file_atomic(jsonf, nl, err, errlen);
        free(nl);
        if (!ok) return false;
    }
    return true;
}

int cmd_compare_migration(int argc, char **argv)
{
    enum { O_MIGRATION = 0x500, O_MODE, O_MMU, O_MEM, O_AT, O_RATES, O_LINKS, O_LATENCY, O_STOP, O_MAXR, O_COPY,
           O_CSV, O_JSON, O_JOBS, O_TIMEOUT };
    static const struct option longopts[] = {
        {"help", no_argument, 0, 'h'},
        {"migration", no_argument, 0, O_MIGRATION},
        {"mode", required_argument, 0, O_MODE},
        {"mmu", required_argument, 0, O_MMU},
        {"mem", required_argument, 0, O_MEM},
        {"at", required_argument, 0, O_AT},
        {"rates", required_argument, 0, O_RATES},
        {"links", required_argument, 0, O_LINKS},
        {"latency", required_argument, 0, O_LATENCY},
        {"stop-pages", required_argument, 0, O_STOP},
        {"max-rounds", required_argument, 0, O_MAXR},
        {"copy", required_argument, 0, O_COPY},
        {"csv", required_argument, 0, O_CSV},
        {"json", required_argument, 0, O_JSON},
        {"jobs", required_argument, 0, O_JOBS},
        {"timeout", required_argument, 0, O_TIMEOUT},
        {0, 0, 0, 0},
    };
    static char d_rates[] = "1,4,16,64", d_links[] = "2,8", d_stop[] = "16", d_maxr[] = "30";
    char *rates[MIG_MAX_VALUES], *links[MIG_MAX_VALUES], *stops[MIG_MAX_VALUES], *maxrs[MIG_MAX_VALUES];
    int nrates = 0, nlinks = 0, nstops = 0, nmaxrs = 0;
    char *rates_arg = d_rates, *links_arg = d_links, *stop_arg = d_stop, *maxr_arg = d_maxr;
    const char *mode = "hw", *mmu = NULL, *mem = "4M", *at = "3000000", *latency = "10000";
    const char *csv = NULL, *jsonf = NULL;
    bool pre = true, post = false;
    unsigned jobs = 2, timeout = 300;
    uint64_t v;
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (ch) {
        case 'h': help(stdout); return 0;
        case O_MIGRATION: break;
        case O_MODE: mode = optarg; break;
        case O_MMU: mmu = optarg; break;
        case O_MEM: mem = optarg; break;
        case O_AT:
        case O_LATENCY:
            if (!cli_parse_u64(optarg, &v) || (ch == O_AT && !v)) {
                fprintf(stderr, "ringsim compare: --%s '%s': expected a number of cycles\n",
                        ch == O_AT ? "at" : "latency", optarg);
                return EXIT_USAGE;
            }
            if (ch == O_AT) at = optarg;
            else latency = optarg;
            break;
        case O_RATES: rates_arg = optarg; break;
        case O_LINKS: links_arg = optarg; break;
        case O_STOP: stop_arg = optarg; break;
        case O_MAXR: maxr_arg = optarg; break;
        case O_COPY:
            pre = post = false;
            for (char *w = strtok(optarg, ","); w; w = strtok(NULL, ",")) {
                if (!strcmp(w, "pre")) pre = true;
                else if (!strcmp(w, "post")) post = true;
                else {
                    fprintf(stderr, "ringsim compare: --copy '%s': expected pre, post or pre,post\n", w);
                    return EXIT_USAGE;
                }
            }
            if (!pre && !post) {
                fprintf(stderr, "ringsim compare: --copy: expected pre, post or pre,post\n");
                return EXIT_USAGE;
            }
            break;
        case O_CSV: csv = optarg; break;
        case O_JSON: jsonf = optarg; break;
        case O_JOBS:
        case O_TIMEOUT:
            if (!cli_parse_u64(optarg, &v) || !v || v > 100000) {
                fprintf(stderr, "ringsim compare: --%s '%s': expected a positive number\n",
                        ch == O_JOBS ? "jobs" : "timeout", optarg);
                return EXIT_USAGE;
            }
            if (ch == O_JOBS) jobs = (unsigned)v;
            else timeout = (unsigned)v;
            break;
        default: help(stderr); return EXIT_USAGE;
        }
    }
    if (argc - optind > 1) {
        fprintf(stderr, "ringsim compare --migration: one workload at most (default dirty); '%s' is one too many\n",
                argv[optind + 1]);
        return EXIT_USAGE;
    }
    const char *image = argc - optind == 1 ? argv[optind] : "dirty";
    if (!parse_list("rates", rates_arg, rates, &nrates, UINT32_MAX) ||
        !parse_list("links", links_arg, links, &nlinks, 1u << 20) ||
        !parse_list("stop-pages", stop_arg, stops, &nstops, UINT32_MAX) ||
        !parse_list("max-rounds", maxr_arg, maxrs, &nmaxrs, 64))
        return EXIT_USAGE;
    char err[512];
    if (csv && !cli_output_ok(csv, err, sizeof err)) {
        fprintf(stderr, "ringsim compare: --csv %s\n", err);
        return EXIT_USAGE;
    }
    if (jsonf && !cli_output_ok(jsonf, err, sizeof err)) {
        fprintf(stderr, "ringsim compare: --json %s\n", err);
        return EXIT_USAGE;
    }
    int ncopies = (int)pre + (int)post;
    int nrows = nlinks * nrates * nstops * nmaxrs * ncopies;
    int njobs = nrows + nrates;
    char exe[PATH_MAX], dir[] = "/tmp/ringsim-migration-XXXXXX";
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) {
        fprintf(stderr, "ringsim compare: cannot find my own program (/proc/self/exe): %s\n", strerror(errno));
        return 1;
    }
    exe[n] = 0;
    if (!mkdtemp(dir)) {
        fprintf(stderr, "ringsim compare: mkdtemp: %s\n", strerror(errno));
        return 1;
    }
    struct cli_job *js = calloc((size_t)njobs, sizeof *js);
    struct row *rows = calloc((size_t)nrows, sizeof *rows);
    int *st = calloc((size_t)njobs, sizeof *st);
    bool *timed_out = calloc((size_t)njobs, sizeof *timed_out);
    char (*link_arg)[48] = calloc((size_t)nlinks, sizeof *link_arg);
    int status = 0;
    json_t *out = json_array();
    if (!js || !rows || !st || !timed_out || !link_arg || !out) {
        fprintf(stderr, "ringsim compare: out of memory\n");
        status = 1;
        goto done;
    }
    for (int l = 0; l < nlinks; l++) snprintf(link_arg[l], sizeof link_arg[l], "%s:%s", links[l], latency);
    char migrate_at[48];
    snprintf(migrate_at, sizeof migrate_at, "%s:1", at);
    /* every job: the common part, then its own */
    for (int i = 0; i < njobs; i++) {
        struct cli_job *j = &js[i];
        snprintf(j->out, sizeof j->out, "%s/%d.out", dir, i);
        snprintf(j->err, sizeof j->err, "%s/%d.err", dir, i);
        snprintf(j->stats, sizeof j->stats, "%s/%d.json", dir, i);
        cli_job_arg(j, exe);
        cli_job_arg(j, "run");
        cli_job_arg(j, image);
        cli_job_arg(j, "--mode");
        cli_job_arg(j, mode);
        if (mmu) { cli_job_arg(j, "--mmu"); cli_job_arg(j, mmu); }
        cli_job_arg(j, "--mem");
        cli_job_arg(j, mem);
        cli_job_arg(j, "--stats");
        cli_job_arg(j, j->stats);
    }
    int r = 0;
    for (int l = 0; l < nlinks; l++)
        for (int k = 0; k < nrates; k++)
            for (int s = 0; s < nstops; s++)
                for (int m = 0; m < nmaxrs; m++)
                    for (int c = 0; c < 2; c++) {
                        if ((c == 0 && !pre) || (c == 1 && !post)) continue;
                        struct row *w = &rows[r];
                        *w = (struct row){.rate = rates[k], .link = links[l], .stop = stops[s],
                                          .rounds_max = maxrs[m], .post = c == 1, .job = r, .still = nrows + k};
                        struct cli_job *j = &js[r];
                        cli_job_arg(j, "--args");
                        cli_job_arg(j, rates[k]);
                        cli_job_arg(j, "--hosts");
                        cli_job_arg(j, "2");
                        cli_job_arg(j, "--migrate-at");
                        cli_job_arg(j, migrate_at);
                        cli_job_arg(j, "--link");
                        cli_job_arg(j, link_arg[l]);
                        cli_job_arg(j, "--stop-pages");
                        cli_job_arg(j, stops[s]);
                        cli_job_arg(j, "--max-rounds");
                        cli_job_arg(j, maxrs[m]);
                        if (c == 1) cli_job_arg(j, "--post-copy");
                        r++;
                    }
    for (int k = 0; k < nrates; k++) {   /* the runs that never move */
        cli_job_arg(&js[nrows + k], "--args");
        cli_job_arg(&js[nrows + k], rates[k]);
    }
    for (int i = 0; i < njobs; i++) js[i].argv[js[i].argc] = NULL;
    fflush(stdout);
    cli_run_jobs(js, njobs, (int)jobs, timeout, st, timed_out);

    /* a refusal (a technique with no dirty log, post-copy off nested
     * paging) is the same for every row: said once, as run said it */
    for (int i = 0; i < njobs; i++)
        if (st[i] == EXIT_USAGE) {
            char *msgs = cli_slurp(js[i].err), line[512];
            cli_first_line(msgs, line, sizeof line);
            fprintf(stderr, "ringsim compare --migration: %s\n", line);
            free(msgs);
            status = EXIT_USAGE;
            goto done;
        }
    printf("Live migration of %s (--mem %s, --mode %s%s%s) from host 0 to host 1 at cycle %s, latency %s cycles\n\n",
           image, mem, mode, mmu ? " --mmu " : "", mmu ? mmu : "", at, latency);
    printf("%6s %6s %6s %6s %5s %6s %10s %7s %10s %12s %-13s %5s %4s\n", "rate", "link", "stop", "max_r", "copy",
           "rounds", "pages_sent", "final", "downtime", "total", "stop_reason", "stale", "same");
    for (int i = 0; i < nrows; i++) {
        struct row *w = &rows[i];
        char *o = cli_slurp(js[w->job].out), *o0 = cli_slurp(js[w->still].out);
        bool same = st[w->job] == st[w->still] && !strcmp(o, o0);
        json_t *sj = access(js[w->job].stats, R_OK) == 0 ? json_load_file(js[w->job].stats, 0, NULL) : NULL;
        json_t *mg = json_array_get(json_object_get(sj, "migrations"), 0);
        json_t *row = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:i}", "rate", w->rate, "link", w->link, "latency", latency,
                                "stop_pages", w->stop, "max_rounds", w->rounds_max, "copy", w->post ? "post" : "pre",
                                "status", st[w->job]);
        if (!mg) {
            printf("%6s %6s %6s %6s %5s  the run failed (exit status %d%s)\n", w->rate, w->link, w->stop,
                   w->rounds_max, w->post ? "post" : "pre", st[w->job], timed_out[w->job] ? ", timed out" : "");
            status = 1;
        } else {
            const char *why = json_string_value(json_object_get(mg, "stop_reason"));
            if (json_is_true(json_object_get(mg, "guest_ended"))) why = "guest_ended";
            printf("%6s %6s %6s %6s %5s %6lld %10lld %7lld %10lld %12lld %-13s %5lld %4s\n", w->rate, w->link,
                   w->stop, w->rounds_max, w->post ? "post" : "pre", num(mg, "rounds"), num(mg, "pages_sent"),
                   num(mg, "final_pages"), num(mg, "downtime"), num(mg, "total_cycles"), why ? why : "none",
                   num(mg, "stale_pages"), same ? "yes" : "NO");
            json_object_set_new(row, "rounds", json_integer(num(mg, "rounds")));
            json_object_set_new(row, "pages_sent", json_integer(num(mg, "pages_sent")));
            json_object_set_new(row, "final_pages", json_integer(num(mg, "final_pages")));
            json_object_set_new(row, "downtime", json_integer(num(mg, "downtime")));
            json_object_set_new(row, "total_cycles", json_integer(num(mg, "total_cycles")));
            json_object_set_new(row, "stop_reason", json_string(why ? why : "none"));
            json_object_set_new(row, "stale_pages", json_integer(num(mg, "stale_pages")));
            json_object_set_new(row, "log_faults", json_integer(num(mg, "log_faults")));
            json_object_set_new(row, "migration", json_incref(mg));
            json_t *pc = json_object_get(sj, "postcopy");
            if (pc) json_object_set_new(row, "postcopy", json_incref(pc));
        }
        json_object_set_new(row, "same_output", json_boolean(same));
        json_array_append_new(out, row);
        json_decref(sj);
        free(o);
        free(o0);
    }
    if (!write_rows(csv, jsonf, out, err, sizeof err)) {
        fprintf(stderr, "ringsim compare: %s\n", err[0] ? err : "out of memory writing the table");
        status = 1;
    }
done:
    for (int i = 0; js && i < njobs; i++) {
        unlink(js[i].out);
        unlink(js[i].err);
        unlink(js[i].stats);
    }
    rmdir(dir);
    json_decref(out);
    free(js);
    free(rows);
    free(st);
    free(timed_out);
    free(link_arg);
    return status;
}
