/*
 * compare.c — one workload under every virtualisation mode, side by side:
 * a table a student can read, the same figures as CSV and JSON, and a
 * chart drawn by gnuplot.
 *
 * The one idea: every figure comes from the runs' own statistics (`ringsim
 * run --stats`), and every output — table, CSV, JSON, chart — is made from
 * one struct row per run, so they cannot disagree.  Slowdowns are against
 * the native run at the same value of a sweep, and so is equivalence: a
 * mode that prints something else than bare metal has failed Popek and
 * Goldberg's equivalence property, and the table says so on its row.
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "visualise/visualise.h"

extern char **environ;

/* ---- the figures of one run --------------------------------------------------- */
struct row {
    bool ran;                    /* available, with statistics */
    uint64_t cycles, instructions, by_cause[CY_COUNT];
    double slowdown;             /* cycles / the reference's cycles; 0 without one */
    uint64_t exits, traps, tlb_misses, walks, walk_refs;
    double refs_per_walk;        /* -1: no walks */
    int64_t hidden_faults, tracing_faults; /* -1: not in these statistics (no shadow paging) */
    double bt_hit_rate;          /* -1: no binary translation */
    bool same_output;            /* as the reference run (output and exit status) */
    char diff[160];              /* else where they part */
};

/* A number at a dotted path of the stats ("tlb.misses"); -1 if absent. */
static double stat_num(json_t *o, const char *path)
{
    char key[64];
    while (o && *path) {
        size_t n = strcspn(path, ".");
        snprintf(key, sizeof key, "%.*s", (int)n, path);
        o = json_object_get(o, key);
        path += n + (path[n] == '.');
    }
    return json_is_number(o) ? json_number_value(o) : -1;
}

static uint64_t stat_u64(json_t *o, const char *path)
{
    double v = stat_num(o, path);
    return v < 0 ? 0 : (uint64_t)v;
}

/* The run the others are measured against: native at the same value, else
 * the first run there that has figures. */
static const struct vis_run *reference(const struct vis_comparison *c, int v)
{
    const struct vis_run *first = NULL;
    for (int k = 0; k < c->nmodes; k++) {
        const struct vis_run *r = &c->runs[v * c->nmodes + k];
        if (!r->stats) continue;
        if (!strcmp(r->mode, "native")) return r;
        if (!first) first = r;
    }
    return first;
}

/* Where output b first differs from a, as "line N: 'the line in b'". */
static void first_difference(const char *a, const char *b, char *buf, size_t len)
{
    int line = 1;
    const char *start = b;   /* of the current line of b */
    for (; *a && *a == *b; a++, b++)
        if (*b == '\n') { line++; start = b + 1; }
    size_t n = strcspn(start, "\n");
    if (!*start) snprintf(buf, len, "line %d: nothing (the reference printed more)", line);
    else snprintf(buf, len, "line %d: '%.*s'", line, (int)(n > 60 ? 60 : n), start);
}

static void row_of(const struct vis_comparison *c, int i, struct row *r)
{
    memset(r, 0, sizeof *r);
    const struct vis_run *run = &c->runs[i];
    json_t *s = run->stats;
    r->refs_per_walk = r->bt_hit_rate = -1;
    r->hidden_faults = r->tracing_faults = -1;
    if (!run->available || !s) return;
    r->ran = true;
    r->cycles = stat_u64(s, "cycles");
    r->instructions = stat_u64(s, "instructions");
    for (int k = 0; k < CY_COUNT; k++) {
        char path[64];
        snprintf(path, sizeof path, "cycles_by_cause.%s", cycle_cause_name[k]);
        r->by_cause[k] = stat_u64(s, path);
    }
    r->exits = stat_u64(s, "vmexits.total");
    r->traps = stat_u64(s, "traps.total");
    r->tlb_misses = stat_u64(s, "tlb.misses");
    r->walks = stat_u64(s, "walk.walks");
    r->walk_refs = stat_u64(s, "walk.refs");
    if (r->walks) r->refs_per_walk = (double)r->walk_refs / (double)r->walks;
    if (stat_num(s, "shadow.hidden_faults") >= 0) {
        r->hidden_faults = (int64_t)stat_u64(s, "shadow.hidden_faults");
        r->tracing_faults = (int64_t)stat_u64(s, "shadow.tracing_faults");
    }
    /* BT hit rate: blocks found in the code cache over blocks looked up
     * (found, or translated afresh) */
    double hits = stat_num(s, "bt.cache_hits"), blocks = stat_num(s, "bt.blocks");
    if (hits >= 0 && blocks >= 0 && hits + blocks > 0) r->bt_hit_rate = hits / (hits + blocks);
    const struct vis_run *ref = reference(c, i / c->nmodes);
    if (ref) {
        uint64_t rc = stat_u64(ref->stats, "cycles");
        r->slowdown = rc ? (double)r->cycles / (double)rc : 0;
        const char *a = ref->output ? ref->output : "", *b = run->output ? run->output : "";
        r->same_output = !strcmp(a, b) && ref->status == run->status;
        if (strcmp(a, b)) first_difference(a, b, r->diff, sizeof r->diff);
        else if (!r->same_output) snprintf(r->diff, sizeof r->diff, "exit status %d, not %d", run->status, ref->status);
    }
}

bool vis_compare_outputs_agree(const struct vis_comparison *c)
{
    for (int i = 0; i < c->nvalues * c->nmodes; i++) {
        struct row r;
        row_of(c, i, &r);
        if (r.ran && !r.same_output) return false;
    }
    return true;
}

/* ---- the table ------------------------------------------------------------------ */
const char *vis_commas(uint64_t v, char *buf)
{
    char tmp[32];
    int n = snprintf(tmp, sizeof tmp, "%llu", (unsigned long long)v), o = 0;
    for (int i = 0; i < n; i++) {
        if (i && (n - i) % 3 == 0) buf[o++] = ',';
        buf[o++] = tmp[i];
    }
    buf[o] = 0;
    return buf;
}

static const char *maybe_int(int64_t v, char *buf)
{
    if (v < 0) return "-";
    return vis_commas((uint64_t)v, buf);
}

static const char *maybe_fixed(double v, const char *fmt, char *buf)
{
    if (v < 0) return "-";
    snprintf(buf, 32, fmt, v);
    return buf;
}

/* Is cause k non-zero in some run at value v? (Only those get a column.) */
static bool cause_used(const struct vis_comparison *c, int v, int k)
{
    for (int m = 0; m < c->nmodes; m++) {
        struct row r;
        row_of(c, v * c->nmodes + m, &r);
        if (r.by_cause[k]) return true;
    }
    return false;
}

void vis_compare_print(FILE *out, const struct vis_comparison *c)
{
    fprintf(out, "ringsim compare: %s%s%s, profile %s, %u levels, ISA %s\n", c->workload,
            c->args ? " --args " : "", c->args ? c->args : "", c->profile, c->levels, c->isa);
    for (int v = 0; v < c->nvalues; v++) {
        const struct vis_run *ref = reference(c, v);
        if (c->sweep) fprintf(out, "\n== %s = %s ==\n", c->sweep, c->runs[v * c->nmodes].value);
        fprintf(out, "\n%-12s %14s %10s %10s %10s %11s %9s %8s %8s %8s  %s\n", "mode", "cycles", "vs native",
                "exits", "traps", "TLB misses", "refs/walk", "hidden", "tracing", "BT hits", "guest output");
        for (int m = 0; m < c->nmodes; m++) {
            const struct vis_run *run = &c->runs[v * c->nmodes + m];
            struct row r;
            row_of(c, v * c->nmodes + m, &r);
            if (!run->available) {
                fprintf(out, "%-12s not available in this build (%s)\n", run->mode, run->note);
                continue;
            }
            if (!r.ran) {
                fprintf(out, "%-12s failed: %s\n", run->mode, run->note);
                continue;
            }
            char b[7][32], same[200];
            if (run == ref) snprintf(same, sizeof same, "the reference");
            else if (r.same_output) snprintf(same, sizeof same, "same as %s", ref->mode);
            else snprintf(same, sizeof same, "DIFFERS from %s at %s", ref->mode, r.diff);
            if (run->status) {
                size_t n = strlen(same);
                snprintf(same + n, sizeof same - n, " (exit status %d)", run->status);
            }
            char sd[32], bt[32] = "-";
            snprintf(sd, sizeof sd, "%.2fx", r.slowdown);
            if (r.bt_hit_rate >= 0) snprintf(bt, sizeof bt, "%.1f%%", 100 * r.bt_hit_rate);
            fprintf(out, "%-12s %14s %10s %10s %10s %11s %9s %8s %8s %8s  %s\n", run->mode, vis_commas(r.cycles, b[0]),
                    sd, vis_commas(r.exits, b[1]), vis_commas(r.traps, b[2]), vis_commas(r.tlb_misses, b[3]),
                    maybe_fixed(r.refs_per_walk, "%.2f", b[4]), maybe_int(r.hidden_faults, b[5]),
                    maybe_int(r.tracing_faults, b[6]),
                    bt, same);
        }
        fprintf(out, "\ncycles by cause\n%-12s", "mode");
        for (int k = 0; k < CY_COUNT; k++)
            if (cause_used(c, v, k)) fprintf(out, " %12s", cycle_cause_name[k]);
        fputc('\n', out);
        for (int m = 0; m < c->nmodes; m++) {
            struct row r;
            row_of(c, v * c->nmodes + m, &r);
            if (!r.ran) continue;
            fprintf(out, "%-12s", c->runs[v * c->nmodes + m].mode);
            for (int k = 0; k < CY_COUNT; k++) {
                char b[32];
                if (cause_used(c, v, k)) fprintf(out, " %12s", vis_commas(r.by_cause[k], b));
            }
            fputc('\n', out);
        }
    }
    if (!vis_compare_outputs_agree(c))
        fprintf(out, "\nThe guest's output is not the same in every mode (see \"guest output\" above).\n");
}

/* ---- CSV and JSON ---------------------------------------------------------------- */
static void csv_field(FILE *o, const char *s)
{
    fputc('"', o);
    for (; *s; s++) {
        if (*s == '"') fputc('"', o);
        fputc(*s == '\n' ? ' ' : *s, o);
    }
    fputc('"', o);
}

bool vis_compare_csv(const struct vis_comparison *c, const char *path, char *err, size_t errlen)
{
    char *text = NULL;
    size_t len = 0;
    FILE *o = open_memstream(&text, &len);
    if (!o) {
        snprintf(err, errlen, "out of host memory");
        return false;
    }
    fprintf(o, "workload,profile,isa,levels,sweep,value,mode,available,status,cycles,instructions,slowdown");
    for (int k = 0; k < CY_COUNT; k++) fprintf(o, ",cycles_%s", cycle_cause_name[k]);
    fprintf(o, ",exits,traps,tlb_misses,walks,walk_refs,refs_per_walk,hidden_faults,tracing_faults,"
               "bt_hit_rate,same_output,note\n");
    for (int i = 0; i < c->nvalues * c->nmodes; i++) {
        const struct vis_run *run = &c->runs[i];
        struct row r;
        row_of(c, i, &r);
        csv_field(o, c->workload);
        fputc(',', o);
        csv_field(o, c->profile);
        fprintf(o, ",%s,%u,%s,", c->isa, c->levels, c->sweep ? c->sweep : "");
        csv_field(o, run->value);
        fprintf(o, ",%s,%s,%d", run->mode, run->available ? "true" : "false", run->status);
        if (r.ran) {
            fprintf(o, ",%llu,%llu,%.4f", (unsigned long long)r.cycles, (unsigned long long)r.instructions,
                    r.slowdown);
            for (int k = 0; k < CY_COUNT; k++) fprintf(o, ",%llu", (unsigned long long)r.by_cause[k]);
            fprintf(o, ",%llu,%llu,%llu,%llu,%llu,", (unsigned long long)r.exits, (unsigned long long)r.traps,
                    (unsigned long long)r.tlb_misses, (unsigned long long)r.walks, (unsigned long long)r.walk_refs);
            if (r.refs_per_walk >= 0) fprintf(o, "%.4f", r.refs_per_walk);
            fputc(',', o);
            if (r.hidden_faults >= 0) fprintf(o, "%lld", (long long)r.hidden_faults);
            fputc(',', o);
            if (r.tracing_faults >= 0) fprintf(o, "%lld", (long long)r.tracing_faults);
            fputc(',', o);
            if (r.bt_hit_rate >= 0) fprintf(o, "%.4f", r.bt_hit_rate);
            fprintf(o, ",%s,", r.same_output ? "true" : "false");
            csv_field(o, r.same_output ? "" : r.diff);
        } else {
            fprintf(o, ",,,");
            for (int k = 0; k < CY_COUNT; k++) fputc(',', o);
            fprintf(o, ",,,,,,,,,,");
            csv_field(o, run->note);
        }
        fputc('\n', o);
    }
    fclose(o);
    bool ok = write_file_atomic(path, text, err, errlen);
    free(text);
    return ok;
}

static json_t *opt_int(int64_t v) { return v < 0 ? json_null() : json_integer(v); }
static json_t *opt_real(double v) { return v < 0 ? json_null() : json_real(v); }

bool vis_compare_json(const struct vis_comparison *c, const char *path, char *err, size_t errlen)
{
    json_t *o = json_object(), *runs = json_array();
    json_object_set_new(o, "workload", json_string(c->workload));
    json_object_set_new(o, "profile", json_string(c->profile));
    json_object_set_new(o, "isa", json_string(c->isa));
    json_object_set_new(o, "levels", json_integer(c->levels));
    json_object_set_new(o, "args", c->args ? json_string(c->args) : json_null());
    json_object_set_new(o, "sweep", c->sweep ? json_string(c->sweep) : json_null());
    json_object_set_new(o, "outputs_agree", json_boolean(vis_compare_outputs_agree(c)));
    for (int i = 0; i < c->nvalues * c->nmodes; i++) {
        const struct vis_run *run = &c->runs[i];
        struct row r;
        row_of(c, i, &r);
        json_t *j = json_object();
        json_object_set_new(j, "mode", json_string(run->mode));
        if (c->sweep) json_object_set_new(j, "value", json_string(run->value));
        json_object_set_new(j, "available", json_boolean(run->available));
        json_object_set_new(j, "status", json_integer(run->status));
        if (run->note[0]) json_object_set_new(j, "note", json_string(run->note));
        if (r.ran) {
            json_t *by = json_object();
            for (int k = 0; k < CY_COUNT; k++)
                json_object_set_new(by, cycle_cause_name[k], json_integer((json_int_t)r.by_cause[k]));
            json_object_set_new(j, "cycles", json_integer((json_int_t)r.cycles));
            json_object_set_new(j, "instructions", json_integer((json_int_t)r.instructions));
            json_object_set_new(j, "slowdown", json_real(r.slowdown));
            json_object_set_new(j, "cycles_by_cause", by);
            json_object_set_new(j, "exits", json_integer((json_int_t)r.exits));
            json_object_set_new(j, "traps", json_integer((json_int_t)r.traps));
            json_object_set_new(j, "tlb_misses", json_integer((json_int_t)r.tlb_misses));
            json_object_set_new(j, "walks", json_integer((json_int_t)r.walks));
            json_object_set_new(j, "walk_refs", json_integer((json_int_t)r.walk_refs));
            json_object_set_new(j, "refs_per_walk", opt_real(r.refs_per_walk));
            json_object_set_new(j, "hidden_faults", opt_int(r.hidden_faults));
            json_object_set_new(j, "tracing_faults", opt_int(r.tracing_faults));
            json_object_set_new(j, "bt_hit_rate", opt_real(r.bt_hit_rate));
            json_object_set_new(j, "same_output", json_boolean(r.same_output));
            if (!r.same_output) json_object_set_new(j, "difference", json_string(r.diff));
            json_object_set_new(j, "output", json_string(run->output ? run->output : ""));
            json_object_set_new(j, "stats", json_incref(run->stats));
        }
        json_array_append_new(runs, j);
    }
    json_object_set_new(o, "runs", runs);
    return json_write_file(o, path, err, errlen);
}

/* ---- the chart, by gnuplot ---------------------------------------------------------- */
/* One colour per cause, the same in every chart. */
static const char *const cause_colour[CY_COUNT] = {
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac",
};
static const char *const mode_colour[] = {"#4e79a7", "#e15759", "#59a14f", "#f28e2b", "#b07aa1", "#76b7b2",
                                          "#9c755f", "#edc948"};

/* Runs `gnuplot script`; its messages go to errfile. */
static bool run_gnuplot(const char *script, const char *errfile, char *err, size_t errlen)
{
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, errfile, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    char *argv[] = {"gnuplot", (char *)script, NULL};
    pid_t pid;
    int rc = posix_spawnp(&pid, "gnuplot", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc == ENOENT) {
        snprintf(err, errlen, "gnuplot is not installed: apt-get install gnuplot-nox (sh tools/setup.sh does it)");
        return false;
    }
    if (rc) {
        snprintf(err, errlen, "cannot run gnuplot: %s", strerror(rc));
        return false;
    }
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        char msg[4096] = "";
        FILE *f = fopen(errfile, "r");
        if (f) {
            size_t n = fread(msg, 1, sizeof msg - 1, f);
            msg[n] = 0;
            fclose(f);
        }
        /* gnuplot's message is its last line */
        size_t n = strlen(msg);
        while (n && msg[n - 1] == '\n') msg[--n] = 0;
        const char *last = strrchr(msg, '\n') ? strrchr(msg, '\n') + 1 : msg;
        snprintf(err, errlen, "gnuplot failed: %s", last[0] ? last : "(no message)");
        return false;
    }
    return true;
}

/* Writes the data and the script of the chart into dir. */
static void chart_script(const struct vis_comparison *c, FILE *s, FILE *d, const char *term, const char *out,
                         const char *data)
{
    char title[256], lv[32] = "";
    if (!c->sweep || strcmp(c->sweep, "levels")) snprintf(lv, sizeof lv, ", %u levels", c->levels);
    if (c->sweep)
        snprintf(title, sizeof title, "%s%s%s: cycles per mode against %s (profile %s%s)", c->workload,
                 c->args ? " --args " : "", c->args ? c->args : "", c->sweep, c->profile, lv);
    else
        snprintf(title, sizeof title, "%s%s%s: cycles by cause per mode (profile %s%s)", c->workload,
                 c->args ? " --args " : "", c->args ? c->args : "", c->profile, lv);
    fprintf(s, "set terminal %s\nset output '%s'\nset encoding utf8\nset termoption noenhanced\n"
               "set title \"%s\"\nset ylabel 'cycles'\nset yrange [0:*]\nset format y '%%.1s%%c'\n"
               "set grid ytics\nset key outside right top vertical box\nset border 3\nset tics nomirror\n",
            term, out, title);
    if (!c->sweep) {
        fprintf(s, "set xlabel 'virtualisation mode'\nset key title 'cause'\nset style data histograms\n"
                   "set style histogram rowstacked\nset style fill solid 0.9 border rgb '#333333'\nset boxwidth 0.6\n");
        fprintf(d, "# mode");
        for (int k = 0; k < CY_COUNT; k++) fprintf(d, " %s", cycle_cause_name[k]);
        fputc('\n', d);
        for (int m = 0; m < c->nmodes; m++) {
            struct row r;
            row_of(c, m, &r);
            if (!r.ran) continue;
            fprintf(d, "%s", c->runs[m].mode);
            for (int k = 0; k < CY_COUNT; k++) fprintf(d, " %llu", (unsigned long long)r.by_cause[k]);
            fputc('\n', d);
        }
        fprintf(s, "plot");
        int n = 0;
        for (int k = 0; k < CY_COUNT; k++) {
            if (!cause_used(c, 0, k)) continue;
            fprintf(s, "%s '%s' using %d:xtic(1) title '%s' lc rgb '%s'", n++ ? ", \\\n    " : " ", data, k + 2,
                    cycle_cause_name[k], cause_colour[k]);
        }
        fputc('\n', s);
        return;
    }
    /* a sweep: x = the swept value (as a label), a line per mode */
    fprintf(s, "set xlabel '%s'\nset key title 'mode'\nset offsets 0.3, 0.3, 0, 0\n", c->sweep);
    fprintf(d, "# value");
    for (int m = 0; m < c->nmodes; m++) fprintf(d, " %s", c->runs[m].mode);
    fputc('\n', d);
    for (int v = 0; v < c->nvalues; v++) {
        fprintf(d, "%s", c->runs[v * c->nmodes].value);
        for (int m = 0; m < c->nmodes; m++) {
            struct row r;
            row_of(c, v * c->nmodes + m, &r);
            if (r.ran) fprintf(d, " %llu", (unsigned long long)r.cycles);
            else fprintf(d, " NaN");
        }
        fputc('\n', d);
    }
    fprintf(s, "plot");
    int n = 0;
    for (int m = 0; m < c->nmodes; m++) {
        bool any = false;
        for (int v = 0; v < c->nvalues; v++) any |= c->runs[v * c->nmodes + m].stats != NULL;
        if (!any) continue;
        fprintf(s, "%s '%s' using 0:%d:xtic(1) title '%s' with linespoints lw 2 pt 7 lc rgb '%s'",
                n++ ? ", \\\n    " : " ", data, m + 2, c->runs[m].mode, mode_colour[m % 8]);
    }
    fputc('\n', s);
}

/* vis_chart's writer for a comparison's chart. */
static void compare_chart_write(void *ctx, FILE *script, FILE *data, const char *term, const char *out,
                                const char *datapath)
{
    chart_script(ctx, script, data, term, out, datapath);
}

bool vis_compare_chart(const struct vis_comparison *c, const char *path, char *err, size_t errlen)
{
    return vis_chart(path, compare_chart_write, (void *)c, err, errlen);
}

bool vis_chart(const char *path, vis_chart_writer *write, void *ctx, char *err, size_t errlen)
{
    size_t n = strlen(path);
    const char *term;
    if (n > 4 && !strcmp(path + n - 4, ".svg"))
        term = "svg size 900,520 dynamic font 'Helvetica,12' background rgb 'white'";
    else if (n > 4 && !strcmp(path + n - 4, ".png"))
        term = "pngcairo size 900,520 font 'Helvetica,11' background rgb 'white'";
    else {
        snprintf(err, errlen, "--chart %s: expected a file name ending in .svg or .png", path);
        return false;
    }
    if (strchr(path, '\'')) {
        snprintf(err, errlen, "--chart %s: a quote in the file name", path);
        return false;
    }
    char dir[] = "/tmp/ringsim-chart-XXXXXX", script[64], data[64], log[64], tmp[4096];
    if (!mkdtemp(dir)) {
        snprintf(err, errlen, "mkdtemp: %s", strerror(errno));
        return false;
    }
    snprintf(script, sizeof script, "%s/chart.gp", dir);
    snprintf(data, sizeof data, "%s/chart.dat", dir);
    snprintf(log, sizeof log, "%s/gnuplot.log", dir);
    snprintf(tmp, sizeof tmp, "%s.tmp-%d", path, (int)getpid());
    FILE *s = fopen(script, "w"), *d = fopen(data, "w");
    bool ok = s && d;
    if (ok) write(ctx, s, d, term, tmp, data);
    if (s) ok = fclose(s) == 0 && ok;
    if (d) ok = fclose(d) == 0 && ok;
    if (!ok) snprintf(err, errlen, "%s: %s", dir, strerror(errno));
    else ok = run_gnuplot(script, log, err, errlen);
    if (ok && rename(tmp, path) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        ok = false;
    }
    unlink(tmp);
    unlink(script);
    unlink(data);
    unlink(log);
    rmdir(dir);
    return ok;
}
