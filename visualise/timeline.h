/*
 * timeline.h — the run as slices of time, one lane per ring (private to
 * visualise/timeline.c and the two pictures made from it: chrome.c, the
 * Trace Event JSON of `run --trace-format chrome`, and lanes.c, the SVG of
 * `ringsim lanes`).
 *
 * The one idea: at every cycle the CPU is doing exactly one thing in
 * exactly one ring, so the run cuts into slices that follow each other
 * with no gap and no overlap — code running in ring 3, the hardware
 * entering a trap, the kernel in ring 0, an iret, the hypervisor in ring -1
 * — and the slices of a window add up to its cycles.  The cuts come from
 * the events the machine reports anyway (cpu_trace: a trap and its cost, a
 * VM exit, the hypervisor taking the CPU and giving it back, …), never
 * from costs written in here.
 *
 * A slice of the hypervisor (a VM exit to its entry; under te, bt and pv a
 * trap into the hypervisor to its return) holds parts, depth 1: the
 * hardware's exit and entry, the emulation of an instruction, the handling
 * of an exit.  Parts lie inside their slice and follow each other.
 */
#ifndef RINGSIM_VISUALISE_TIMELINE_H
#define RINGSIM_VISUALISE_TIMELINE_H

#include "visualise/visualise.h"

#define TL_HV     (-1)         /* the lane of ring -1: the hypervisor */
#define TL_LANES  5            /* rings -1..3; a lane's index is ring + 1 */

/* What a slice is (a colour in the pictures, a category in the JSON). */
#define TL_KINDS(X)                                                                          \
    X(TL_RUN,    "run",   "code running in the ring")                                       \
    X(TL_TRAP,   "trap",  "the hardware entering a trap (its trap_entry cost)")             \
    X(TL_IRET,   "iret",  "the return from a trap")                                         \
    X(TL_EXIT,   "exit",  "a VM exit, until the VM entry that ends it")                     \
    X(TL_HYPERVISOR, "hv",    "the hypervisor: under te, bt, pv from a trap into it to its return") \
    X(TL_BT,     "bt",    "binary translation of a block of the guest's code")              \
    X(TL_PART,   "part",  "a part of a hypervisor slice: exit, entry, emulation, handling")

enum tl_kind {
#define X(id, name, desc) id,
    TL_KINDS(X)
#undef X
    TL_KIND_COUNT
};
extern const char *const tl_kind_name[TL_KIND_COUNT];

struct tl_slice {
    uint64_t start, end;       /* cycles: [start, end) */
    int lane;                  /* -1..3 */
    int depth;                 /* 0: a piece of the run; 1: a part of the hypervisor slice around it */
    enum tl_kind kind;
    char name[80];
    int vm;                    /* under a hypervisor, the VM (hw: the one that exited), else -1 */
    /* A hypervisor slice entered from a guest: the guest's slice that led
     * into it (the trap, or the code that exited), for an arrow. */
    bool flow;
    int flow_lane;
    uint64_t flow_start, flow_end;
    uint64_t flow_to_start, flow_to_end;   /* where it lands: the hypervisor's work in the slice */
};

/* Where the slices go.  Every callback may be NULL. */
struct tl_sink {
    void *ctx;
    void (*slice)(void *ctx, const struct tl_slice *s);
    /* something the hypervisor did that took no cycles of its own (a trap
     * reflected into the guest, a hidden fault, a hypercall), or a TLB flush */
    void (*instant)(void *ctx, uint64_t cycle, int lane, const char *name);
    /* TLB misses and page-walk references so far, at the end of a slice
     * during which they changed */
    void (*counters)(void *ctx, uint64_t cycle, uint64_t misses, uint64_t refs);
    /* the CPU runs in lane from cycle on */
    void (*lane)(void *ctx, uint64_t cycle, int lane);
    /* a system call from ring 3 begins (its trap slice starts at cycle) */
    void (*syscall)(void *ctx, uint64_t cycle);
};

struct tl {
    struct tl_sink sink;
    bool started;
    uint64_t pos;              /* the run is cut into slices up to here */
    int lane;                  /* and from here on the CPU runs in this lane */
    int vm;
    /* the last piece of a guest lane, for the arrow into the hypervisor */
    bool have_last;
    struct tl_slice last;
    /* the hypervisor slice being built, if any */
    bool open;
    struct tl_slice span;
    uint64_t part_end;         /* its parts so far end here */
    char what[80];             /* what the hypervisor did in it */
    enum isa_cause cause;      /* te, bt, pv: the trap that entered it (CAUSE_COUNT: none) */
    bool callout;              /* bt: a callout entered it, not a trap */
    bool landed;               /* the arrow into it has found its part */
    int exit_reason;
    /* counters */
    uint64_t misses, refs, shown_misses, shown_refs;
};

void tl_init(struct tl *t, const struct tl_sink *sink);
/* One event, as the trace hook gets it, with the facts of the machine it
 * needs (vis_trace_context). */
void tl_event(struct tl *t, const struct trace_event *ev, const struct vis_trace_context *x);
/* The run ended (or is cut) at cycle now: the last slices. */
void tl_finish(struct tl *t, uint64_t now);
/* What the CPU does in a lane when nothing else is said: "user", "kernel"… */
const char *tl_lane_name(int lane);

/* ---- the Trace Event JSON of `run --trace-format chrome` (chrome.c) ------
 * A sink that writes each slice as it comes: the object form,
 * {"traceEvents": [...], "otherData": {...}}, one thread (tid) per lane,
 * ts and dur in cycles (1 cycle = 1 µs).  docs/debugger.md has the format. */
struct tl_chrome {
    FILE *f;
    bool counters;             /* the TLB-miss and walk-reference counters */
    bool instants;             /* hidden faults, reflected traps, flushes as instant events */
    bool any;                  /* an event written (the commas) */
    unsigned flows;            /* flow ids given */
    int error;                 /* errno of the first failed write */
};
/* Writes the head (the lanes' names) and fills sink to write the rest. */
void tl_chrome_begin(struct tl_chrome *c, const char *title, struct tl_sink *sink);
/* Writes the tail; the caller closes the file.  False if any write failed. */
bool tl_chrome_end(struct tl_chrome *c, const char *title);

#endif
