/*
 * chrome.c — the run's timeline as Trace Event JSON, the format Perfetto
 * (ui.perfetto.dev) and chrome://tracing open: `ringsim run …
 * --trace SPEC:FILE --trace-format chrome`.
 *
 * The one idea: a viewer made for threads shows rings.  Each lane of the
 * timeline (timeline.h) is a thread of one process — ring 3 on top, ring -1
 * (the hypervisor) at the bottom — and each slice a complete event ("X")
 * whose ts and dur are cycles: 1 cycle is shown as 1 µs, so "1 ms" on the
 * viewer's ruler reads 1000 cycles.  A hypervisor slice holds its parts as
 * nested slices; an arrow (a flow, "s" then "f") leads from the guest's
 * trap, or the guest code that exited, to the hypervisor's work on it.
 * Counters ("C") follow the TLB misses and page-walk references; metadata
 * ("M") names the lanes.  Events are written as the run makes them (the
 * format allows any order), so a long run needs no memory for its trace.
 */
#include <errno.h>
#include <stdio.h>

#include "visualise/timeline.h"

#define PID 1

/* A lane's thread id: 1 for ring -1, 2..5 for rings 0..3 (0 is special to some viewers). */
static int tid(int lane) { return lane + 2; }

static const char *lane_title(int lane)
{
    static const char *const titles[TL_LANES] = {"ring -1: hypervisor", "ring 0", "ring 1", "ring 2", "ring 3"};
    return titles[lane + 1];
}

/* Starts an event: the comma before it, unless a write has failed. */
static bool event(struct tl_chrome *c)
{
    if (c->error) return false;
    if (c->any && fputs(",\n", c->f) == EOF) c->error = errno ? errno : EIO;
    c->any = true;
    return !c->error;
}

static void done(struct tl_chrome *c, int rc)
{
    if (rc < 0 && !c->error) c->error = errno ? errno : EIO;
}

/* A JSON string: the names are ours (mnemonics, causes, reasons), but a
 * title carries a file name, which may hold anything. */
static void string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') fprintf(f, "\\%c", ch);
        else if (ch < 0x20) fprintf(f, "\\u%04x", ch);
        else fputc(ch, f);
    }
    fputc('"', f);
}

/* The middle of [a, b): a flow binds to the slice enclosing its ts. */
static void mid(FILE *f, uint64_t a, uint64_t b)
{
    uint64_t s = a + b;
    fprintf(f, "%llu%s", (unsigned long long)(s / 2), s % 2 ? ".5" : "");
}

static void slice(void *ctx, const struct tl_slice *s)
{
    struct tl_chrome *c = ctx;
    if (!event(c)) return;
    FILE *f = c->f;
    fprintf(f, "{\"ph\":\"X\",\"pid\":%d,\"tid\":%d,\"ts\":%llu,\"dur\":%llu,\"name\":", PID, tid(s->lane),
            (unsigned long long)s->start, (unsigned long long)(s->end - s->start));
    string(f, s->name);
    fprintf(f, ",\"cat\":\"%s\",\"args\":{\"cycles\":%llu", tl_kind_name[s->kind],
            (unsigned long long)(s->end - s->start));
    if (s->vm >= 0) fprintf(f, ",\"vm\":%d", s->vm);
    done(c, fputs("}}", f));
    if (!s->flow || !event(c)) return;
    unsigned id = ++c->flows;
    fprintf(f, "{\"ph\":\"s\",\"id\":%u,\"pid\":%d,\"tid\":%d,\"ts\":", id, PID, tid(s->flow_lane));
    mid(f, s->flow_start, s->flow_end);
    fprintf(f, ",\"name\":\"to the hypervisor\",\"cat\":\"flow\"}");
    if (!event(c)) return;
    fprintf(f, "{\"ph\":\"f\",\"bp\":\"e\",\"id\":%u,\"pid\":%d,\"tid\":%d,\"ts\":", id, PID, tid(s->lane));
    mid(f, s->flow_to_start, s->flow_to_end);
    done(c, fprintf(f, ",\"name\":\"to the hypervisor\",\"cat\":\"flow\"}"));
}

static void instant(void *ctx, uint64_t cycle, int lane, const char *name)
{
    struct tl_chrome *c = ctx;
    if (!c->instants || !event(c)) return;
    fprintf(c->f, "{\"ph\":\"i\",\"s\":\"t\",\"pid\":%d,\"tid\":%d,\"ts\":%llu,\"name\":", PID, tid(lane),
            (unsigned long long)cycle);
    string(c->f, name);
    done(c, fputs(",\"cat\":\"event\"}", c->f));
}

static void counters(void *ctx, uint64_t cycle, uint64_t misses, uint64_t refs)
{
    struct tl_chrome *c = ctx;
    if (!c->counters || !event(c)) return;
    fprintf(c->f, "{\"ph\":\"C\",\"pid\":%d,\"ts\":%llu,\"name\":\"TLB misses\",\"args\":{\"misses\":%llu}}",
            PID, (unsigned long long)cycle, (unsigned long long)misses);
    if (!event(c)) return;
    done(c, fprintf(c->f, "{\"ph\":\"C\",\"pid\":%d,\"ts\":%llu,\"name\":\"page-walk references\","
                          "\"args\":{\"references\":%llu}}",
                    PID, (unsigned long long)cycle, (unsigned long long)refs));
}

/* "M" events: the process, each lane's name, and the lanes in ring order. */
static void metadata(struct tl_chrome *c, const char *title)
{
    if (!event(c)) return;
    fprintf(c->f, "{\"ph\":\"M\",\"pid\":%d,\"name\":\"process_name\",\"args\":{\"name\":", PID);
    string(c->f, title);
    fputs("}}", c->f);
    for (int lane = 3; lane >= TL_HV; lane--) {
        if (!event(c)) return;
        fprintf(c->f, "{\"ph\":\"M\",\"pid\":%d,\"tid\":%d,\"name\":\"thread_name\",\"args\":{\"name\":\"%s\"}}",
                PID, tid(lane), lane_title(lane));
        if (!event(c)) return;
        done(c, fprintf(c->f, "{\"ph\":\"M\",\"pid\":%d,\"tid\":%d,\"name\":\"thread_sort_index\","
                              "\"args\":{\"sort_index\":%d}}",
                        PID, tid(lane), 3 - lane));
    }
}

void tl_chrome_begin(struct tl_chrome *c, const char *title, struct tl_sink *sink)
{
    *sink = (struct tl_sink){.ctx = c, .slice = slice, .instant = instant, .counters = counters};
    done(c, fputs("{\"traceEvents\":[\n", c->f));
    metadata(c, title);
}

bool tl_chrome_end(struct tl_chrome *c, const char *title)
{
    if (!c->error) {
        fputs("\n],\n\"otherData\":{\"title\":", c->f);
        string(c->f, title);
        done(c, fputs(",\"clock\":\"1 cycle = 1 us: ts and dur are simulated cycles\"}}\n", c->f));
    }
    return !c->error;
}
