/*
 * debugger.h — inside the debugger (private to visualise/debugger*.c).
 *
 * A session (struct vis_dbg) owns nothing of the machine: it steps it,
 * listens to its events through the trace hook, keeps checkpoints of it for
 * reverse execution, and shows it.  The files, one concern each:
 *
 *   debugger.c          the session, the step engine, breakpoints, the event log
 *   debugger_history.c  checkpoints and replay: reverse-step, reverse-continue, goto
 *   debugger_expr.c     the expression language of conditions and addresses
 *   debugger_cmd.c      the command interpreter, help and tab completion
 *   debugger_views.c    the text of every pane and `info` (shared by both front ends)
 *   debugger_screen.c   the full-screen front end: ncurses panes, readline line
 *   debugger_line.c     the line-mode front end: one command per line, plain text
 *
 * The one idea: the debugger moves the machine in *steps*, and a step is
 * always the same thing — one instruction, ended early where a trap or a
 * VM entry hands control to a handler or a guest — so the machine after
 * step N is the same however it got there: forward, or restored from a
 * checkpoint and replayed.  `pos` counts steps since boot; it is the
 * debugger's clock, and reverse execution is "go to pos N".
 */
#ifndef RINGSIM_VISUALISE_DEBUGGER_H
#define RINGSIM_VISUALISE_DEBUGGER_H

#include <signal.h>
#include <stdarg.h>

#include "hypervisor/hv.h"
#include "visualise/visualise.h"

#define DBG_MAX_BREAKS   64
#define DBG_MAX_DISPLAYS 16
#define DBG_SOURCE_DEPTH 8              /* `source` files read one inside another */
#define DBG_EVENTS       8192           /* events the log keeps */
#define DBG_CK_EVERY     200000u        /* steps between checkpoints, at least */
#define DBG_CK_PER_PAGE  512u           /* and at least this many per page of memory */
#define DBG_HISTORY_MAX  (512ull << 20) /* host bytes for checkpoints before thinning */

/* ---- panes ---------------------------------------------------------------- */
#define DBG_PANES(X)                                                                       \
    X(PANE_REGS,    "registers", "Registers", "F2", "general registers, pc, status, ring, root/non-root") \
    X(PANE_CODE,    "code",      "Code",      "F3", "disassembly around pc, symbols and breakpoints")   \
    X(PANE_MEMORY,  "memory",    "Memory",    "F4", "hex and ASCII at an address (x/FMT moves it)")     \
    X(PANE_TLB,     "tlb",       "TLB",       "F5", "TLB entries, hits and misses; the last fill marked") \
    X(PANE_WALK,    "walk",      "Page walk", "F6", "the last page walk (or translate), reference by reference") \
    X(PANE_EVENTS,  "events",    "Events",    "F7", "traps, interrupts, VM exits, walks, with cycle and cost") \
    X(PANE_CYCLES,  "cycles",    "Cycles",    "F8", "cycles by cause: overall and for the last command") \
    X(PANE_CONSOLE, "console",   "Console",   "F9", "what the guest printed")                         \
    X(PANE_DEVICES, "devices",   "Devices",   "F11", "the disk's and the network's queues and rings, the last device events")

enum dbg_pane {
#define X(id, name, title, key, desc) id,
    DBG_PANES(X)
#undef X
    PANE_COUNT
};
extern const char *const dbg_pane_name[PANE_COUNT];
extern const char *const dbg_pane_title[PANE_COUNT];
extern const char *const dbg_pane_key[PANE_COUNT];
extern const char *const dbg_pane_desc[PANE_COUNT];

/* ---- breakpoints ---------------------------------------------------------- */
enum dbg_break_kind { BK_ADDR, BK_TRAP, BK_EXIT, BK_WATCH };

struct dbg_break {
    int id;
    enum dbg_break_kind kind;
    uint32_t addr;           /* BK_ADDR: the pc; BK_WATCH: the word's virtual address */
    uint32_t haddr;          /* BK_WATCH: its host-physical address (fixed when set) */
    int what;                /* BK_TRAP: a cause, BK_EXIT: a reason; -1 = any */
    char cond[160];          /* "" = unconditional */
    uint32_t old;            /* BK_WATCH: the value last seen */
    uint64_t hits;
};

/* ---- the event log ---------------------------------------------------------- */
struct dbg_event {
    struct trace_event ev;   /* as reported; ev.walk points at walk */
    struct vis_trace_context ctx;
    struct walk_result *walk;  /* a copy (malloc'd), for walks */
    uint64_t pos;            /* the step it happened in */
    char *text;              /* its line, made when first shown */
};

/* ---- checkpoints -------------------------------------------------------------- */
struct dbg_checkpoint {
    uint64_t pos, cycles, insns, events;
    struct machine_snapshot *snap;
    size_t bytes;
};

/* ---- text views ------------------------------------------------------------------ */
/* A view is lines of text, each with one attribute; inside a line, \001 and
 * \002 bracket a highlighted span (a changed register, a hot cell). */
#define HL_ON  "\001"
#define HL_OFF "\002"
enum dbg_attr { AT_NORMAL, AT_HEAD, AT_CURRENT, AT_MARK, AT_DIM, AT_ERROR };
struct dbg_line {
    int attr;
    char *text;
};
struct dbg_text {
    struct dbg_line *lines;
    int n, cap;
};
void dbg_text_add(struct dbg_text *t, int attr, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void dbg_text_free(struct dbg_text *t);
/* Prints a view as plain text (highlight markers dropped). */
void dbg_text_print(const struct dbg_text *t, FILE *out);

/* ---- why a run stopped ------------------------------------------------------------- */
enum dbg_why {
    WHY_DONE,        /* the steps asked for ran */
    WHY_BREAK,       /* a breakpoint (address, trap, exit) */
    WHY_WATCH,       /* a watched word changed */
    WHY_TEMP,        /* next / until reached its place */
    WHY_EVENT,       /* reverse-continue: an event */
    WHY_START,       /* reverse: the start of the history */
    WHY_INTERRUPT,   /* Ctrl-C */
    WHY_MACHINE      /* the machine stopped (exit, halt, cycle limit, triple fault) */
};

/* A temporary stop for next and until. */
struct dbg_temp {
    bool on;
    uint32_t pc;
    bool match_sp;       /* and only with this sp (the caller's frame) */
    uint32_t sp;
};

struct vis_dbg {
    struct machine *m;
    struct hv *hv;
    /* `save FILE`: how the owner of the machine writes it to a save file
     * (cli/debug.c; vis_dbg_set_save), NULL = it cannot */
    bool (*save)(void *ctx, const char *path, char *err, size_t errlen);
    void *save_ctx;
    const struct isa_image *img;
    FILE *out, *err;
    bool fullscreen;
    bool batch;                        /* line mode: Ctrl-C ends the script */

    /* stepping */
    uint64_t pos;                      /* steps since boot */
    uint64_t max_cycles;               /* the user's --max-cycles, 0 = none */
    uint32_t step_traps, step_exits;   /* causes / reasons seen in this step (bits) */
    uint64_t bits_step;                /* the step (m->step_count) they are of */
    uint32_t end_traps, end_exits;     /* causes / reasons that end a run (breakpoints) */
    bool can_count;                    /* runs of steps may go at full speed */
    bool in_run;                       /* a run of steps is under way, begun at */
    uint64_t run_base;                 /* m->step_count = run_base, pos = pos */
    void (*progress)(struct vis_dbg *d); /* called during long runs (full screen) */

    /* breakpoints */
    struct dbg_break bp[DBG_MAX_BREAKS];
    int nbp, next_id;

    /* display EXPR: printed after every command that moves the machine */
    struct dbg_display {
        int id;
        char expr[160];
    } disp[DBG_MAX_DISPLAYS];
    int ndisp, next_disp;
    int source_depth;                  /* `source` files being read, one inside another */

    /* events: the log holds [ev_lo, ev_count) in a ring */
    struct dbg_event ev[DBG_EVENTS];
    uint64_t ev_lo, ev_count;

    /* console: what the guest printed; the first m->con.bytes_out bytes are
     * the present's, the rest a future that replay may bring back */
    FILE *con_sink;
    char *con;
    size_t con_len, con_cap, con_echoed;

    /* history */
    struct dbg_checkpoint *ck;
    int nck, ck_cap;
    size_t ck_bytes;
    uint64_t hist_end;                 /* the furthest step recorded */
    uint64_t ck_every;                 /* steps between checkpoints (DBG_CK_EVERY, DBG_CK_PER_PAGE) */

    /* the last command, for the Cycles pane and changed registers */
    struct stats st_before;
    struct mmu_stats mst_before;
    uint64_t exits_before;
    struct cpu cpu_before;
    uint64_t ev_before;

    /* what the Page walk pane shows: a probe (translate) or the last miss */
    bool probe_on;
    struct walk_result probe;
    bool probe_2d;

    /* panes */
    bool pane_on[PANE_COUNT];
    int zoom;                          /* a pane, or -1 */
    int pane_front;                    /* the pane a small screen shows in its last slot, or -1 */
    char mem_space;                    /* 'v', 'g' or 'h' */
    uint32_t mem_addr;
    char status[256];                  /* the last stop, one line */
    enum dbg_why last_why;             /* of the last command that moved the machine */
};

/* ---- debugger.c -------------------------------------------------------------- */
void dbg_printf(struct vis_dbg *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* An error message: "error: …" on d->err.  Returns VIS_DBG_ERROR. */
int dbg_error(struct vis_dbg *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* One step (see the top of this file).  Returns false if the machine had
 * already stopped. */
bool dbg_step(struct vis_dbg *d);
/* Up to k steps in as few runs of the CPU as the history allows (no
 * breakpoints looked at); the steps taken. */
uint64_t dbg_steps(struct vis_dbg *d, uint64_t k);
/* Steps a continue runs between looks at the interrupt key and the
 * progress line, when no breakpoint needs a look after every step. */
#define DBG_RUN_CHUNK (1u << 20)
/* Is the machine still able to run? */
bool dbg_running(const struct vis_dbg *d);
/* Runs forward up to n steps, stopping at breakpoints (and temp) when
 * check; writes why into d->status. */
enum dbg_why dbg_run(struct vis_dbg *d, uint64_t n, bool check, const struct dbg_temp *temp);
/* After a step: does a breakpoint, watchpoint or (events) any trap or exit
 * stop here?  Writes the reason into msg; *id gets the breakpoint. */
enum dbg_why dbg_stop_here(struct vis_dbg *d, bool events, bool count_hits, char *msg, size_t len);
/* Re-reads every watched word (before a run). */
void dbg_watch_refresh(struct vis_dbg *d);
/* Ctrl-C: the flag, and clearing it. */
bool dbg_interrupted(void);
void dbg_clear_interrupt(void);
void dbg_catch_sigint(bool on);
/* The event log, and an event's line (vis_trace_format, references included). */
const struct dbg_event *dbg_event_at(const struct vis_dbg *d, uint64_t seq);
const char *dbg_event_text(const struct dbg_event *e);
void dbg_events_truncate(struct vis_dbg *d, uint64_t count);
/* Remembers the state before a command (for deltas and changed registers). */
void dbg_mark(struct vis_dbg *d);
/* Guest console bytes (the present's). */
size_t dbg_console_len(const struct vis_dbg *d);

/* Address spaces: 'v' virtual (current context), 'g' guest-physical, 'h'
 * host-physical.  Translations without side effects (mmu_probe). */
bool dbg_to_host(struct vis_dbg *d, char space, uint32_t addr, uint32_t *hpa);
bool dbg_read32(struct vis_dbg *d, char space, uint32_t addr, uint32_t *v);
bool dbg_read8(struct vis_dbg *d, char space, uint32_t addr, uint8_t *v);
/* "kernel_trap+8", or "" when no symbol is near. */
void dbg_symbolize(const struct vis_dbg *d, uint32_t addr, char *buf, size_t len);
/* The guest's own control registers: the CPU's, or under trap-and-emulate
 * and binary translation (the guest deprivileged) its virtual CPU's. */
uint32_t *dbg_guest_cr(struct vis_dbg *d);
bool dbg_deprivileged(const struct vis_dbg *d);
/* The guest's view: current ring, and which VM (-1 natively / none). */
unsigned dbg_ring(const struct vis_dbg *d);
int dbg_vm(const struct vis_dbg *d);
/* One line for "where are we": address, symbol, instruction, ring, cycle. */
void dbg_where(struct vis_dbg *d, char *buf, size_t len);

/* Trap frames.  How an event moves the guest's trap nesting: +1 a trap
 * delivered, -1 a return from one (iret, emulated under te/bt, the iret
 * hypercall under pv), 0 otherwise. */
int dbg_trap_nesting(const struct vis_dbg *d, const struct trace_event *ev);
struct dbg_frame {
    uint32_t pc;         /* frame 0: the pc; then where each open trap interrupted */
    unsigned ring;       /* the ring that code ran in */
    int cause;           /* the trap that opened the frame above it; -1 for frame 0 */
    uint64_t cycle;      /* when that trap was taken (frame 0: now) */
};
/* Frame 0 is the present; frame i+1 the code that trap i interrupted, back
 * to user code.  *truncated: the event log no longer reaches the outermost. */
int dbg_frames(const struct vis_dbg *d, struct dbg_frame *f, int max, bool *truncated);
/* Runs until the trap handler the machine is in returns (the first return
 * not matched by a trap taken on the way): WHY_TEMP, or a breakpoint, the
 * machine stopping, Ctrl-C, or poll(ctx) true (looked at every
 * DBG_POLL_EVERY steps) as WHY_INTERRUPT. */
#define DBG_POLL_EVERY 65536u
enum dbg_why dbg_finish(struct vis_dbg *d, bool (*poll)(void *ctx), void *ctx);

/* ---- debugger_history.c ---------------------------------------------------------- */
/* Takes the checkpoint at step 0. */
bool dbg_history_init(struct vis_dbg *d);
void dbg_history_free(struct vis_dbg *d);
/* After a fresh step: records it, taking a checkpoint when one is due. */
void dbg_history_note(struct vis_dbg *d);
/* The machine is about to leave the recorded path (a fresh run from the
 * past, or `set`): forgets the recorded future beyond the present. */
void dbg_history_fork(struct vis_dbg *d);
/* A checkpoint of the present (after `set` changed it). */
void dbg_history_checkpoint_now(struct vis_dbg *d);
/* Goes to step pos (restore + replay).  False if interrupted. */
bool dbg_goto(struct vis_dbg *d, uint64_t pos);
enum dbg_why dbg_reverse_step(struct vis_dbg *d, uint64_t n);
enum dbg_why dbg_reverse_continue(struct vis_dbg *d);
enum dbg_why dbg_goto_cycle(struct vis_dbg *d, uint64_t cycle);
void dbg_history_view(struct vis_dbg *d, struct dbg_text *t);

/* ---- debugger_expr.c ---------------------------------------------------------------- */
/* Evaluates the expression at *p (stopping at its end, at the word "if", or
 * at what cannot continue it) and advances *p.  False with "what was
 * expected" in err. */
bool dbg_eval(struct vis_dbg *d, const char **p, uint32_t *value, char *err, size_t errlen);
/* The whole of text must be one expression. */
bool dbg_eval_all(struct vis_dbg *d, const char *text, uint32_t *value, char *err, size_t errlen);

/* ---- debugger_cmd.c ------------------------------------------------------------------ */
/* Candidates for the word being typed: `line` is everything before it.
 * A NULL-terminated array of malloc'd strings (NULL if none). */
char **dbg_complete(struct vis_dbg *d, const char *line, const char *word);

/* ---- debugger_views.c ------------------------------------------------------------------ */
void dbg_view_regs(struct vis_dbg *d, struct dbg_text *t, int width);
void dbg_view_code(struct vis_dbg *d, struct dbg_text *t, int nlines, int width);
void dbg_view_memory(struct vis_dbg *d, struct dbg_text *t, int nlines, int width);
void dbg_view_tlb(struct vis_dbg *d, struct dbg_text *t, int width);
void dbg_view_walk(struct vis_dbg *d, struct dbg_text *t, const struct walk_result *w, bool two_d,
                   const char *what);
/* The pane's walk: the last translate, else the last TLB miss. */
void dbg_view_walk_pane(struct vis_dbg *d, struct dbg_text *t);
void dbg_view_events(struct vis_dbg *d, struct dbg_text *t, int nlines, bool refs);
void dbg_view_cycles(struct vis_dbg *d, struct dbg_text *t);
void dbg_view_console(struct vis_dbg *d, struct dbg_text *t, int nlines);
void dbg_view_vmcs(struct vis_dbg *d, struct dbg_text *t);
void dbg_view_stats(struct vis_dbg *d, struct dbg_text *t);
void dbg_view_pt(struct vis_dbg *d, struct dbg_text *t);
void dbg_view_breaks(struct vis_dbg *d, struct dbg_text *t);
void dbg_view_bt(struct vis_dbg *d, struct dbg_text *t);
void dbg_view_pv(struct vis_dbg *d, struct dbg_text *t);
/* The running guest process's namespaces and cgroup (a kernel built with
 * containers: read through the layout it publishes at ns_layout). */
void dbg_view_ns(struct vis_dbg *d, struct dbg_text *t);
/* The Devices pane and `info dev` (debugger_dev.c), of the VM in front (the
 * running one, else VM 0) or bare metal: the block device's registers,
 * queue, mirror and IOMMU, the network interface's rings and frames in
 * flight, the switch's ports, and the last nevents device events. */
#define DBG_DEV_EVENTS 8                /* the device events both show */
void dbg_view_dev(struct vis_dbg *d, struct dbg_text *t, int nevents);
/* Has the machine a disk or a network (the Devices pane starts on)? */
bool dbg_has_devices(const struct vis_dbg *d);
/* x/FMT: count items of fmt ('x' 'd' 'u' 'b' 'c' 's' 'i') at addr in space. */
void dbg_view_examine(struct vis_dbg *d, struct dbg_text *t, char space, uint32_t addr, int count, char fmt);

#endif
