/*
 * lanes.c — a swim-lane picture of a window of a run, drawn as SVG by
 * ringsim itself: `ringsim lanes`.
 *
 * One lane per ring, ring 3 on top and ring -1 (the hypervisor) at the
 * bottom; every slice of the timeline (timeline.h) that falls in the window
 * is a box as wide as its cycles, so the boxes of the window tile it
 * exactly and a student sees where one system call's time goes: the user's
 * code, the trap, the kernel, the return — and under a hypervisor the exits,
 * the emulations and the traps into it, with an arrow from each guest trap
 * to the hypervisor's work on it.  Below the lanes, an axis in cycles, a
 * legend, and a table that adds the window up by lane and by what was done.
 *
 * The window is a system call (the Nth trap of cause syscall from ring 3,
 * until the CPU runs in ring 3 again) or a range of cycles.  Boxes carry
 * their numbers as attributes (data-lane, data-kind, data-cycles) so that a
 * test, or a student's script, can read the picture back.
 */
#include <stdlib.h>
#include <string.h>

#include "visualise/timeline.h"

struct vis_lanes {
    struct vis_lanes_request req;
    struct machine *m;
    struct tl tl;
    uint64_t from, to;           /* the window [from, to), once known */
    bool have_from, have_to;
    unsigned syscalls;           /* system calls from ring 3 seen so far */
    struct tl_slice *s;          /* the slices in the window, clipped to it */
    size_t n, cap;
    bool oom;
};

/* ---- collecting the window ------------------------------------------------------ */
static void keep(void *ctx, const struct tl_slice *sl)
{
    struct vis_lanes *l = ctx;
    uint64_t to = l->have_to ? l->to : l->req.to && !l->req.syscall ? l->req.to : UINT64_MAX;
    if (!l->have_from || sl->end <= l->from || sl->start >= to) return;
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 256;
        struct tl_slice *p = realloc(l->s, cap * sizeof *p);
        if (!p) {
            l->oom = true;
            return;
        }
        l->s = p;
        l->cap = cap;
    }
    struct tl_slice c = *sl;
    if (c.start < l->from) c.start = l->from;
    if (c.end > to) c.end = to;
    l->s[l->n++] = c;
}

/* The window is complete: nothing more to see, so the run may stop at its
 * next block boundary (as the debugger stops one). */
static void window_done(struct vis_lanes *l, uint64_t to)
{
    l->to = to;
    l->have_to = true;
    if (!l->m->max_cycles || l->m->max_cycles > l->m->st.cycles) l->m->max_cycles = l->m->st.cycles ? l->m->st.cycles : 1;
}

static void lane_changed(void *ctx, uint64_t cycle, int lane)
{
    struct vis_lanes *l = ctx;
    if (l->req.syscall && l->have_from && !l->have_to && lane == 3 && cycle > l->from) window_done(l, cycle);
}

static void syscall_seen(void *ctx, uint64_t cycle)
{
    struct vis_lanes *l = ctx;
    if (!l->req.syscall || l->have_from || ++l->syscalls != l->req.syscall) return;
    l->from = cycle;
    l->have_from = true;
}

static void lanes_hook(void *ctx, struct machine *m, const struct trace_event *ev)
{
    struct vis_lanes *l = ctx;
    if (l->have_to) return;
    struct vis_trace_context x;
    vis_trace_context(m, ev, &x);
    tl_event(&l->tl, ev, &x);
}

struct vis_lanes *vis_lanes_begin(struct machine *m, const struct vis_lanes_request *req)
{
    struct vis_lanes *l = calloc(1, sizeof *l);
    if (!l) return NULL;
    l->req = *req;
    l->m = m;
    struct tl_sink sink = {.ctx = l, .slice = keep, .lane = lane_changed, .syscall = syscall_seen};
    tl_init(&l->tl, &sink);
    if (!req->syscall) {
        l->from = req->from;
        l->have_from = true;
        if (req->to && (!m->max_cycles || m->max_cycles > req->to)) m->max_cycles = req->to;
    }
    m->trace = lanes_hook;
    m->trace_ctx = l;
    return l;
}

/* ---- drawing ----------------------------------------------------------------------- */
#define LEFT     150      /* the lanes' names */
#define RIGHT    40
#define TOP      78
#define LANE_H   58
#define FONT     11

struct draw {
    FILE *o;
    const struct vis_lanes *l;
    double x0, scale;            /* x of the window's start, pixels per cycle */
    unsigned plot_w;
};

static const char *fill(const struct tl_slice *s)
{
    switch (s->kind) {
    case TL_RUN: return s->lane == 3 ? "#cfe2f3" : s->lane == TL_HV ? "#e6e0f2" : "#d9ead3";
    case TL_TRAP: return "#f6b26b";
    case TL_IRET: return "#ffe599";
    case TL_EXIT: return "#f4cccc";
    case TL_HYPERVISOR: return "#d9d2e9";
    case TL_BT: return "#93c47d";
    case TL_PART: return strncmp(s->name, "VM e", 4) == 0 ? "#cc0000" : "#674ea7";
    default: return "#cccccc";
    }
}

/* SVG text: & < > " escaped. */
static void text(FILE *o, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", o); break;
        case '<': fputs("&lt;", o); break;
        case '>': fputs("&gt;", o); break;
        case '"': fputs("&quot;", o); break;
        default: fputc(*s, o);
        }
    }
}

/* Roughly how wide a text of n characters is at size px (the fonts that
 * render SVG differ; this errs wide, so a label that is drawn fits). */
static double text_w(size_t n, double px) { return (double)n * px * 0.62; }

static double lane_y(int lane) { return TOP + (double)(3 - lane) * LANE_H; }

static void lane_backgrounds(struct draw *d, const uint64_t *per_lane)
{
    static const char *const ring[TL_LANES] = {"ring -1", "ring 0", "ring 1", "ring 2", "ring 3"};
    for (int lane = 3; lane >= TL_HV; lane--) {
        double y = lane_y(lane);
        char c[32];
        fprintf(d->o, "<rect x=\"0\" y=\"%.1f\" width=\"%u\" height=\"%d\" fill=\"%s\"/>\n", y,
                LEFT + d->plot_w + RIGHT, LANE_H, lane % 2 ? "#f7f7f7" : "#ffffff");
        fprintf(d->o, "<text x=\"10\" y=\"%.1f\" font-weight=\"bold\">%s</text>\n", y + 22, ring[lane + 1]);
        fprintf(d->o, "<text x=\"10\" y=\"%.1f\" fill=\"#555555\">%s</text>\n", y + 37, tl_lane_name(lane));
        fprintf(d->o, "<text x=\"10\" y=\"%.1f\" fill=\"#555555\" font-size=\"9\">%s cycles</text>\n", y + 50,
                vis_commas(per_lane[lane + 1], c));
    }
    fprintf(d->o, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%.1f\" stroke=\"#999999\"/>\n", LEFT, TOP, LEFT,
            lane_y(TL_HV) + LANE_H);
}

/* The longest label that fits w pixels: "emulate mfcr 50", "mfcr 50",
 * "mfcr" or "50" (the last word of a name says the most), or none. */
static bool fit_label(const char *name, const char *cycles, double w, double size, char *buf, size_t len)
{
    const char *last = strrchr(name, ' ') ? strrchr(name, ' ') + 1 : name;
    for (int k = 0; k < 4; k++) {
        if (k == 0) snprintf(buf, len, "%s %s", name, cycles);
        else if (k == 1) snprintf(buf, len, "%s %s", last, cycles);
        else snprintf(buf, len, "%s", k == 2 && last != name ? last : cycles);
        if (text_w(strlen(buf), size) + 4 <= w) return true;
    }
    return false;
}

/* A box, its label if it fits (the name, else the cycles), and a tooltip. */
static void slice_box(struct draw *d, const struct tl_slice *s)
{
    uint64_t cyc = s->end - s->start;
    double x = d->x0 + (double)(s->start - d->l->from) * d->scale, w = (double)cyc * d->scale;
    double y = lane_y(s->lane) + (s->depth ? 24 : 10), h = s->depth ? 22 : 40;
    char c[32], label[128];
    fprintf(d->o, "<rect class=\"%s\" data-lane=\"%d\" data-kind=\"%s\" data-start=\"%llu\" data-cycles=\"%llu\" "
                  "x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"%.0f\" fill=\"%s\" stroke=\"%s\" stroke-width=\"0.5\">"
                  "<title>",
            s->depth ? "part" : "slice", s->lane, tl_kind_name[s->kind], (unsigned long long)s->start,
            (unsigned long long)cyc, x, y, w, h, fill(s), s->depth ? "none" : "#666666");
    text(d->o, s->name);
    fprintf(d->o, ": %s cycles, from cycle %llu</title></rect>\n", vis_commas(cyc, c), (unsigned long long)s->start);
    bool dark = s->kind == TL_PART;
    double size = s->depth ? 9 : 10;
    if (!fit_label(s->name, vis_commas(cyc, c), w, size, label, sizeof label)) return;
    /* a hypervisor slice's own label goes above its parts */
    double ty = s->depth ? y + 15 : (s->kind == TL_EXIT || s->kind == TL_HYPERVISOR) ? y + 11 : y + 24;
    fprintf(d->o, "<text x=\"%.2f\" y=\"%.1f\" font-size=\"%.0f\" text-anchor=\"middle\"%s>", x + w / 2, ty, size,
            dark ? " fill=\"#ffffff\"" : "");
    text(d->o, label);
    fputs("</text>\n", d->o);
}

/* From the guest's trap (or the code that exited) down to the hypervisor's work. */
static void arrow(struct draw *d, const struct tl_slice *s)
{
    if (!s->flow || s->flow_end <= d->l->from) return;
    double x1 = d->x0 + ((double)(s->flow_start + s->flow_end) / 2 - (double)d->l->from) * d->scale;
    double x2 = d->x0 + ((double)(s->flow_to_start + s->flow_to_end) / 2 - (double)d->l->from) * d->scale;
    double y1 = lane_y(s->flow_lane) + 50, y2 = lane_y(TL_HV) + 10;
    fprintf(d->o, "<path class=\"flow\" d=\"M %.2f %.1f C %.2f %.1f, %.2f %.1f, %.2f %.1f\" fill=\"none\" "
                  "stroke=\"#cc0000\" stroke-width=\"0.8\" marker-end=\"url(#head)\"/>\n",
            x1, y1, x1, (y1 + y2) / 2, x2, (y1 + y2) / 2, x2, y2);
}

/* Ticks every 1, 2 or 5 times a power of ten cycles, about 100 px apart. */
static void axis(struct draw *d, uint64_t span)
{
    double y = lane_y(TL_HV) + LANE_H;
    uint64_t step = 1;
    while ((double)step * d->scale < 90) {
        if ((double)step * 2 * d->scale >= 90) step *= 2;
        else if ((double)step * 5 * d->scale >= 90) step *= 5;
        else step *= 10;
    }
    fprintf(d->o, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%u\" y2=\"%.1f\" stroke=\"#333333\"/>\n", LEFT, y,
            LEFT + d->plot_w, y);
    char c[32];
    for (uint64_t t = 0; t <= span; t += step) {
        double x = d->x0 + (double)t * d->scale;
        fprintf(d->o, "<line x1=\"%.2f\" y1=\"%.1f\" x2=\"%.2f\" y2=\"%.1f\" stroke=\"#333333\"/>"
                      "<text x=\"%.2f\" y=\"%.1f\" font-size=\"10\" text-anchor=\"middle\">%s</text>\n",
                x, y, x, y + 5, x, y + 17, vis_commas(t, c));
    }
    fprintf(d->o, "<text x=\"%d\" y=\"%.1f\" font-size=\"10\" fill=\"#555555\">cycles from cycle %s</text>\n",
            LEFT, y + 32, vis_commas(d->l->from, c));
}

/* The legend: a key for each colour the window shows, then the arrow. */
static void legend(struct draw *d, double y)
{
    static const struct { const char *fill, *text; } keys[] = {
        {"#cfe2f3", "user code"},
        {"#d9ead3", "kernel code"},
        {"#e6e0f2", "hypervisor code"},
        {"#f6b26b", "trap (the hardware enters it)"},
        {"#ffe599", "iret"},
        {"#f4cccc", "VM exit, to its entry"},
        {"#cc0000", "the hardware's exit / entry"},
        {"#d9d2e9", "in the hypervisor (te, bt, pv)"},
        {"#674ea7", "emulation, handling"},
        {"#93c47d", "binary translation"},
    };
    double x = LEFT;
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        size_t k = 0;
        while (k < d->l->n && strcmp(fill(&d->l->s[k]), keys[i].fill) != 0) k++;
        if (k == d->l->n) continue;
        double w = 18 + text_w(strlen(keys[i].text), FONT) + 14;
        if (x + w > LEFT + d->plot_w) {
            x = LEFT;
            y += 20;
        }
        fprintf(d->o, "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"12\" fill=\"%s\" stroke=\"#666666\" "
                      "stroke-width=\"0.5\"/><text x=\"%.1f\" y=\"%.1f\">%s</text>\n",
                x, y, keys[i].fill, x + 16, y + 10, keys[i].text);
        x += w;
    }
    y += 20;
    fprintf(d->o, "<path d=\"M %d %.1f L %d %.1f\" stroke=\"#cc0000\" marker-end=\"url(#head)\"/>"
                  "<text x=\"%d\" y=\"%.1f\">a guest trap (or exit) and the hypervisor's work on it</text>\n",
            LEFT, y + 6, LEFT + 24, y + 6, LEFT + 30, y + 10);
}

/* The window added up: per lane, the boxes by name, with count, cycles and share. */
struct row {
    int lane;
    const char *name;
    unsigned count;
    uint64_t cycles;
};

static int by_lane_then_cycles(const void *a, const void *b)
{
    const struct row *x = a, *y = b;
    if (x->lane != y->lane) return y->lane - x->lane;
    return (x->cycles < y->cycles) - (x->cycles > y->cycles);
}

static double table(struct draw *d, double y, uint64_t total)
{
    const struct vis_lanes *l = d->l;
    struct row *rows = calloc(l->n ? l->n : 1, sizeof *rows);
    size_t nr = 0;
    if (!rows) return y;
    for (size_t i = 0; i < l->n; i++) {
        const struct tl_slice *s = &l->s[i];
        if (s->depth) continue;
        size_t k = 0;
        while (k < nr && !(rows[k].lane == s->lane && !strcmp(rows[k].name, s->name))) k++;
        if (k == nr) rows[nr++] = (struct row){s->lane, s->name, 0, 0};
        rows[k].count++;
        rows[k].cycles += s->end - s->start;
    }
    qsort(rows, nr, sizeof *rows, by_lane_then_cycles);
    char c[32];
    fprintf(d->o, "<text x=\"%d\" y=\"%.1f\" font-weight=\"bold\">Where the %s cycles went</text>\n", LEFT, y,
            vis_commas(total, c));
    y += 18;
    static const char *const heads[] = {"ring", "what", "times", "cycles", "share"};
    static const int cols[] = {0, 70, 420, 490, 570};
    for (int k = 0; k < 5; k++)
        fprintf(d->o, "<text x=\"%d\" y=\"%.1f\" font-weight=\"bold\"%s>%s</text>\n", LEFT + cols[k] + (k >= 2 ? 50 : 0),
                y, k >= 2 ? " text-anchor=\"end\"" : "", heads[k]);
    for (size_t i = 0; i < nr; i++) {
        y += 15;
        fprintf(d->o, "<text x=\"%d\" y=\"%.1f\">%d</text><text x=\"%d\" y=\"%.1f\">", LEFT, y, rows[i].lane,
                LEFT + cols[1], y);
        text(d->o, rows[i].name);
        fprintf(d->o, "</text><text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%u</text>", LEFT + cols[2] + 50, y,
                rows[i].count);
        fprintf(d->o, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>", LEFT + cols[3] + 50, y,
                vis_commas(rows[i].cycles, c));
        fprintf(d->o, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%.1f%%</text>\n", LEFT + cols[4] + 50, y,
                total ? 100.0 * (double)rows[i].cycles / (double)total : 0.0);
    }
    free(rows);
    return y;
}

static char *draw(struct vis_lanes *l, char *err, size_t errlen)
{
    uint64_t span = l->to - l->from, per_lane[TL_LANES] = {0};
    for (size_t i = 0; i < l->n; i++)
        if (!l->s[i].depth) per_lane[l->s[i].lane + 1] += l->s[i].end - l->s[i].start;
    uint64_t axis_cycles = l->req.axis > span ? l->req.axis : span;
    /* three pixels for four cycles, within reason: a short window is drawn wide enough to read */
    double want = (double)axis_cycles * 0.75;
    unsigned plot_w = want < 900 ? 900 : want > 2400 ? 2400 : (unsigned)want;
    struct draw d = {.l = l, .x0 = LEFT, .scale = (double)plot_w / (double)(axis_cycles ? axis_cycles : 1),
                     .plot_w = plot_w};
    char *buf = NULL;
    size_t len = 0;
    FILE *o = d.o = open_memstream(&buf, &len);
    if (!o) {
        snprintf(err, errlen, "out of host memory");
        return NULL;
    }
    /* the height: lanes, axis, legend (two rows at most), the table */
    size_t rows = 0;
    for (size_t i = 0; i < l->n; i++) {
        size_t k = 0;   /* the table's rows: one per lane and name */
        while (k < i && (l->s[k].depth || l->s[k].lane != l->s[i].lane || strcmp(l->s[k].name, l->s[i].name))) k++;
        rows += !l->s[i].depth && k == i;
    }
    double legend_y = lane_y(TL_HV) + LANE_H + 52, table_y = legend_y + 80;
    unsigned width = LEFT + plot_w + RIGHT;
    fprintf(o, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
               "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%u\" height=\"%.0f\" viewBox=\"0 0 %u %.0f\" "
               "font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\" font-size=\"%d\" data-from=\"%llu\" "
               "data-to=\"%llu\" data-cycles=\"%llu\">\n",
            width, table_y + 40 + 15.0 * (double)rows, width, table_y + 40 + 15.0 * (double)rows, FONT,
            (unsigned long long)l->from, (unsigned long long)l->to, (unsigned long long)span);
    fputs("<defs><marker id=\"head\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"6\" "
          "markerHeight=\"6\" orient=\"auto\"><path d=\"M 0 0 L 10 5 L 0 10 z\" fill=\"#cc0000\"/></marker></defs>\n"
          "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n", o);
    char c1[32], c2[32], c3[32];
    fprintf(o, "<text x=\"10\" y=\"24\" font-size=\"16\" font-weight=\"bold\">");
    text(o, l->req.title ? l->req.title : "ringsim lanes");
    fprintf(o, "</text>\n<text x=\"10\" y=\"46\" fill=\"#333333\">");
    if (l->req.syscall) fprintf(o, "system call %u from ring 3, until the CPU runs in ring 3 again: ", l->req.syscall);
    fprintf(o, "%s cycles, from cycle %s to %s; each box is as wide as its cycles</text>\n", vis_commas(span, c1),
            vis_commas(l->from, c2), vis_commas(l->to, c3));
    lane_backgrounds(&d, per_lane);
    for (int depth = 0; depth < 2; depth++)
        for (size_t i = 0; i < l->n; i++)
            if (l->s[i].depth == depth) slice_box(&d, &l->s[i]);
    for (size_t i = 0; i < l->n; i++) arrow(&d, &l->s[i]);
    axis(&d, axis_cycles);
    legend(&d, legend_y);
    table(&d, table_y, span);
    fputs("</svg>\n", o);
    if (fclose(o) != 0) {
        free(buf);
        snprintf(err, errlen, "out of host memory");
        return NULL;
    }
    return buf;
}

char *vis_lanes_end(struct machine *m, struct vis_lanes *l, char *err, size_t errlen)
{
    char *svg = NULL;
    if (m->trace_ctx == l) {
        m->trace = NULL;
        m->trace_ctx = NULL;
    }
    if (!l->have_to) {
        tl_finish(&l->tl, m->st.cycles);
        l->to = l->req.to && l->req.to < m->st.cycles ? l->req.to : m->st.cycles;
        l->have_to = true;
    }
    if (l->req.syscall && !l->have_from)
        snprintf(err, errlen, "--syscall %u: the guest made %u system call%s from ring 3 in %llu cycles",
                 l->req.syscall, l->syscalls, l->syscalls == 1 ? "" : "s", (unsigned long long)m->st.cycles);
    else if (l->to <= l->from)
        snprintf(err, errlen, "--from-cycle %llu: the run ended at cycle %llu", (unsigned long long)l->from,
                 (unsigned long long)m->st.cycles);
    else if (l->oom)
        snprintf(err, errlen, "out of host memory");
    else
        svg = draw(l, err, errlen);
    free(l->s);
    free(l);
    return svg;
}
