/*
 * timeline.c — cutting a run into slices of time, one lane per ring, from
 * the machine's events (timeline.h says why they never overlap).
 *
 * The cutter keeps one fact: up to `pos` the run is cut, and from `pos` on
 * the CPU runs in `lane`.  Each event that moves the CPU between rings
 * closes what ran before it and says where the CPU goes:
 *
 *   trap   (the hardware delivers it)     [cycle - cost, cycle] in the ring that trapped,
 *                                         then ring 0 (the kernel's, a guest's in non-root mode)
 *   iret                                  [cycle - cost, cycle] in ring 0, then the ring returned to
 *   exit .. entry  (hw)                   one slice in ring -1 from the exit's start to the entry's
 *                                         end: the hardware's exit, the handling, the entry
 *   hv enter .. hv leave  (te, bt, pv)    the trap into the hypervisor in the ring that trapped,
 *                                         then one slice in ring -1 up to the return
 *   bt translate                          [cycle - cost, cycle] in ring -1, then back
 *
 * and what the hypervisor reports inside its slice (an emulated
 * instruction, a trap reflected into the guest, a hidden fault, a
 * hypercall) names that slice and becomes a part of it or an instant.  An
 * event is stamped when its cost has been paid, so [cycle - cost, cycle] is
 * exactly when it happened; a stamp that would reach back before `pos` is
 * clamped to it, so the slices never overlap even where `run` stamps a
 * walk with the end of its block.
 */
#include <stdio.h>
#include <string.h>

#include "hypervisor/hv.h"
#include "visualise/timeline.h"

const char *const tl_kind_name[TL_KIND_COUNT] = {
#define X(id, name, desc) [id] = name,
    TL_KINDS(X)
#undef X
};

const char *tl_lane_name(int lane)
{
    static const char *const names[TL_LANES] = {"hypervisor", "kernel", "guest kernel", "ring 2 code", "user"};
    return lane >= TL_HV && lane <= 3 ? names[lane + 1] : "?";
}

void tl_init(struct tl *t, const struct tl_sink *sink)
{
    memset(t, 0, sizeof *t);
    t->sink = *sink;
    t->vm = -1;
}

static const char *cause_name(uint32_t c) { return c < CAUSE_COUNT ? isa_cause_name[c] : "?"; }

/* Hands a slice to the sink; a piece of a guest lane is remembered for the
 * arrow of a hypervisor slice that may follow it. */
static void emit(struct tl *t, const struct tl_slice *s)
{
    if (s->depth == 0 && s->lane != TL_HV) {
        t->have_last = true;
        t->last = *s;
    } else if (s->depth == 0) {
        t->have_last = false;
    }
    if (t->sink.slice) t->sink.slice(t->sink.ctx, s);
}

static void counters(struct tl *t)
{
    if (t->misses == t->shown_misses && t->refs == t->shown_refs) return;
    t->shown_misses = t->misses;
    t->shown_refs = t->refs;
    if (t->sink.counters) t->sink.counters(t->sink.ctx, t->pos, t->misses, t->refs);
}

/* A piece of the run, [pos, end) in lane; pos moves to end. */
static void piece(struct tl *t, uint64_t end, int lane, enum tl_kind kind, const char *name)
{
    if (end <= t->pos) return;
    struct tl_slice s = {.start = t->pos, .end = end, .lane = lane, .kind = kind, .vm = t->vm};
    snprintf(s.name, sizeof s.name, "%s", name);
    t->pos = end;
    emit(t, &s);
    counters(t);
}

/* The CPU ran in its lane up to cycle: that becomes a running slice. */
static void run_until(struct tl *t, uint64_t cycle)
{
    piece(t, cycle, t->lane, TL_RUN, tl_lane_name(t->lane));
}

static void set_lane(struct tl *t, uint64_t cycle, int lane)
{
    t->lane = lane;
    if (t->sink.lane) t->sink.lane(t->sink.ctx, cycle, lane);
}

/* An event with a cost of its own in `lane`: what ran before it, then it. */
static void box(struct tl *t, uint64_t start, uint64_t end, int lane, enum tl_kind kind, const char *name)
{
    run_until(t, start);
    piece(t, end, lane, kind, name);
}

/* A trap from `from` (the hardware's, or one into the hypervisor): its
 * slice, and the start of a system call when it is one from ring 3. */
static void trap_box(struct tl *t, uint64_t start, uint64_t end, int from, uint32_t cause)
{
    char name[48];
    snprintf(name, sizeof name, "trap %s", cause_name(cause));
    run_until(t, start);
    if (cause == CAUSE_SYSCALL && from == 3 && t->sink.syscall) t->sink.syscall(t->sink.ctx, t->pos);
    piece(t, end, from, TL_TRAP, name);
}

/* "what the hypervisor did" grows by one thing (the slice's name) */
static void did(struct tl *t, const char *what)
{
    size_t n = strlen(t->what);
    if (n + 3 >= sizeof t->what) return;
    snprintf(t->what + n, sizeof t->what - n, "%s%s", n ? " + " : "", what);
}

/* A part of the open hypervisor slice, [max(start, parts so far), end). */
static void part(struct tl *t, uint64_t start, uint64_t end, const char *name)
{
    if (start < t->part_end) start = t->part_end;
    if (end <= start) return;
    struct tl_slice s = {.start = start, .end = end, .lane = TL_HV, .depth = 1, .kind = TL_PART, .vm = t->vm};
    snprintf(s.name, sizeof s.name, "%s", name);
    t->part_end = end;
    /* the arrow from the guest lands on the hypervisor's work, not on the
     * hardware's half of the world switch */
    if (t->span.flow && !t->landed && strcmp(name, "VM exit") != 0 && strcmp(name, "VM entry") != 0) {
        t->landed = true;
        t->span.flow_to_start = start;
        t->span.flow_to_end = end;
    }
    emit(t, &s);
}

/* Opens the hypervisor's slice at pos (after what ran before it). */
static void open_span(struct tl *t, enum tl_kind kind)
{
    t->open = true;
    t->span = (struct tl_slice){.start = t->pos, .lane = TL_HV, .kind = kind, .vm = t->vm};
    t->part_end = t->pos;
    t->what[0] = 0;
    t->landed = false;
    t->callout = false;
    t->cause = CAUSE_COUNT;
    if (t->have_last && t->last.end == t->pos) {
        t->span.flow = true;
        t->span.flow_lane = t->last.lane;
        t->span.flow_start = t->last.start;
        t->span.flow_end = t->last.end;
    }
}

static void close_span(struct tl *t, uint64_t end)
{
    if (!t->open) return;
    t->open = false;
    if (end < t->span.start) end = t->span.start;
    if (end < t->part_end) end = t->part_end;
    struct tl_slice s = t->span;
    s.end = end;
    if (s.flow && !t->landed) {
        s.flow_to_start = s.start;
        s.flow_to_end = s.end;
    }
    if (s.kind == TL_EXIT)
        snprintf(s.name, sizeof s.name, "exit %s%s%.56s", vmexit_reason_name[t->exit_reason],
                 t->what[0] ? ": " : "", t->what);
    else if (t->what[0])
        snprintf(s.name, sizeof s.name, "%s%.70s", t->callout ? "callout: " : "", t->what);
    else if (t->callout)
        snprintf(s.name, sizeof s.name, "callout");
    else if (t->cause == CAUSE_TIMER)
        snprintf(s.name, sizeof s.name, "host timer");
    else
        snprintf(s.name, sizeof s.name, "hypervisor");
    t->pos = end;
    emit(t, &s);
    counters(t);
}

/* The lane the CPU was in before the first event (nothing said it yet). */
static int lane_before(const struct trace_event *ev, const struct vis_trace_context *x)
{
    if (ev->kind == TR_VMENTRY || (ev->kind == TR_HV && !ev->a)) return TL_HV;
    if (ev->kind == TR_IRET) return 0;
    return (int)SR_RING(x->sr);
}

/* ---- the events ------------------------------------------------------------------- */
static void hw_trap(struct tl *t, const struct trace_event *ev, const struct vis_trace_context *x, uint64_t start)
{
    trap_box(t, start, ev->cycle, (int)SR_RING(x->sr), ev->a);
    set_lane(t, ev->cycle, 0);
}

/* What the hypervisor reports inside its slice: a trap it reflects into
 * the guest (TR_TRAP of cost 0 from hypervisor/te.c), a hypercall
 * (hypervisor/pv.c), a shadow-paging fault. */
static void hv_report(struct tl *t, const char *what)
{
    did(t, what);
    if (t->sink.instant) t->sink.instant(t->sink.ctx, t->open ? t->part_end : t->pos, TL_HV, what);
}

static void hypervisor_trap(struct tl *t, const struct trace_event *ev)
{
    char what[64];
    /* pv.c names the call in b; a reflected trap has its badaddr there, 0 for a hypercall */
    if (ev->a == CAUSE_HYPERCALL && ev->b < PV_HC_COUNT && pv_hypercall_name[ev->b])
        snprintf(what, sizeof what, "hypercall %s", pv_hypercall_name[ev->b]);
    else
        snprintf(what, sizeof what, "reflect %s", cause_name(ev->a));
    hv_report(t, what);
}

static void enter_hv(struct tl *t, const struct trace_event *ev, const struct vis_trace_context *x, uint64_t start)
{
    close_span(t, start);
    if (ev->b < CAUSE_COUNT) trap_box(t, start, ev->cycle, (int)SR_RING(x->sr), ev->b);
    else run_until(t, ev->cycle);   /* a callout is a call: no trap */
    open_span(t, TL_HYPERVISOR);
    t->cause = ev->b < CAUSE_COUNT ? (enum isa_cause)ev->b : CAUSE_COUNT;
    t->callout = ev->b >= CAUSE_COUNT;
    set_lane(t, ev->cycle, TL_HV);
}

/* The part of an exit between the hardware's exit and entry: the
 * hypervisor handling it, named by what it did. */
static void handling(struct tl *t, uint64_t end)
{
    char what[96];
    if (t->what[0]) snprintf(what, sizeof what, "%s", t->what);
    else snprintf(what, sizeof what, "handle %s", vmexit_reason_name[t->exit_reason]);
    part(t, t->part_end, end, what);
}

static void vm_exit(struct tl *t, const struct trace_event *ev, uint64_t start)
{
    close_span(t, start);
    run_until(t, start);
    t->vm = (int)ev->c;
    t->exit_reason = ev->a < EXIT_COUNT ? (int)ev->a : 0;
    open_span(t, TL_EXIT);
    part(t, start, ev->cycle, "VM exit");
    set_lane(t, ev->cycle, TL_HV);
}

static void vm_entry(struct tl *t, const struct trace_event *ev, const struct vis_trace_context *x, uint64_t start)
{
    if (!t->open) {
        /* an entry with no exit before it: the hypervisor starting a VM */
        open_span(t, TL_HYPERVISOR);
        did(t, "start the VM");
    }
    if (x->inject) {
        char what[48];
        snprintf(what, sizeof what, "reflect %s", cause_name(x->inject_cause));
        did(t, what);
    }
    if (t->span.kind == TL_EXIT) handling(t, start);
    part(t, start, ev->cycle, "VM entry");
    close_span(t, ev->cycle);
    t->vm = (int)ev->c;
    set_lane(t, ev->cycle, (int)SR_RING(x->sr));
}

void tl_event(struct tl *t, const struct trace_event *ev, const struct vis_trace_context *x)
{
    if (!t->started) {
        t->started = true;
        t->lane = lane_before(ev, x);
    }
    uint64_t start = ev->cycle >= ev->cost ? ev->cycle - ev->cost : 0;
    char what[64];
    switch (ev->kind) {
    case TR_TRAP:
        if (t->open) hypervisor_trap(t, ev);
        else hw_trap(t, ev, x, start);
        break;
    case TR_IRET:
        box(t, start, ev->cycle, t->lane, TL_IRET, "iret");
        set_lane(t, ev->cycle, (int)SR_RING(ev->b));
        break;
    case TR_VMEXIT: vm_exit(t, ev, start); break;
    case TR_VMENTRY: vm_entry(t, ev, x, start); break;
    case TR_HV:
        if (ev->a) {
            enter_hv(t, ev, x, start);
        } else {
            close_span(t, ev->cycle);
            set_lane(t, ev->cycle, (int)SR_RING(x->sr));
        }
        break;
    case TR_EMULATE:
        snprintf(what, sizeof what, "emulate %s", ev->a < OP_COUNT ? isa_info[ev->a].mnemonic : "?");
        if (t->open) {
            did(t, what);
            part(t, start, ev->cycle, what);
        } else if (t->sink.instant) {
            t->sink.instant(t->sink.ctx, ev->cycle, TL_HV, what);
        }
        break;
    case TR_SHADOW:
        /* hypervisor/shadow.c: 0 and 1 hidden faults, 2 a traced write */
        hv_report(t, ev->a == 2 ? "traced write" : "hidden fault");
        break;
    case TR_BT:
        snprintf(what, sizeof what, "translate %u instructions", ev->c);
        if (t->open) {
            did(t, what);
            part(t, start, ev->cycle, what);
        } else {
            box(t, start, ev->cycle, TL_HV, TL_BT, what);   /* then the guest goes on where it was */
        }
        break;
    case TR_WALK:
        if (ev->walk) {
            t->misses++;
            t->refs += (uint64_t)vis_walk_reads(ev->walk);
        }
        break;
    case TR_FLUSH:
        if (t->sink.instant) t->sink.instant(t->sink.ctx, ev->cycle, t->lane, ev->a ? "TLB flush" : "invlpg");
        break;
    default:
        break;
    }
}

void tl_finish(struct tl *t, uint64_t now)
{
    if (t->open) {
        if (t->span.kind == TL_EXIT) handling(t, now);
        close_span(t, now);
    } else {
        run_until(t, now);
    }
    counters(t);
}
