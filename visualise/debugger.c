/*
 * debugger.c — a debugging session: the step engine, breakpoints, the
 * event log, the guest's console, and reading the machine without
 * disturbing it.
 *
 * A step is machine_run(m, 1) — one instruction — ended early when a trap
 * or a VM entry hands control over: the trace hook sees the trap (or the
 * entry) and asks the CPU to stop at its next block entry, which is the
 * handler's (or the guest's) first instruction.  So `step` into a system
 * call stops on the first instruction of the trap handler, as a student
 * expects, and every step is the same whether it runs for the first time
 * or is replayed from a checkpoint (debugger_history.c).  The request uses
 * the one stop the CPU offers at a block entry, the cycle limit, set to
 * "now" and put back after the step; a VM exit takes the request back,
 * because the hypervisor may idle up to the limit while it handles one.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hypervisor/technique.h"
#include "visualise/debugger.h"

const char *const dbg_pane_name[PANE_COUNT] = {
#define X(id, name, title, key, desc) [id] = name,
    DBG_PANES(X)
#undef X
};
const char *const dbg_pane_title[PANE_COUNT] = {
#define X(id, name, title, key, desc) [id] = title,
    DBG_PANES(X)
#undef X
};
const char *const dbg_pane_key[PANE_COUNT] = {
#define X(id, name, title, key, desc) [id] = key,
    DBG_PANES(X)
#undef X
};
const char *const dbg_pane_desc[PANE_COUNT] = {
#define X(id, name, title, key, desc) [id] = desc,
    DBG_PANES(X)
#undef X
};

/* ---- output ------------------------------------------------------------------ */
void dbg_printf(struct vis_dbg *d, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(d->out, fmt, ap);
    va_end(ap);
}

int dbg_error(struct vis_dbg *d, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("error: ", d->err);
    vfprintf(d->err, fmt, ap);
    fputc('\n', d->err);
    va_end(ap);
    fflush(d->err);
    return VIS_DBG_ERROR;
}

/* ---- Ctrl-C: the one flag a signal handler may set ------------------------------ */
static volatile sig_atomic_t sigint_seen;

static void on_sigint(int sig)
{
    (void)sig;
    sigint_seen = 1;
}

bool dbg_interrupted(void) { return sigint_seen != 0; }
void dbg_clear_interrupt(void) { sigint_seen = 0; }

void dbg_catch_sigint(bool on)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on ? on_sigint : SIG_DFL;
    sa.sa_flags = SA_RESTART;   /* reading the next command goes on */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
}

/* ---- the event log ------------------------------------------------------------------ */
const struct dbg_event *dbg_event_at(const struct vis_dbg *d, uint64_t seq)
{
    if (seq < d->ev_lo || seq >= d->ev_count) return NULL;
    return &d->ev[seq % DBG_EVENTS];
}

static void event_clear(struct dbg_event *e)
{
    free(e->text);
    free(e->walk);
    e->text = NULL;
    e->walk = NULL;
}

const char *dbg_event_text(const struct dbg_event *e)
{
    if (!e->text) {
        char line[4096];
        vis_trace_format_context(&e->ctx, &e->ev, true, line, sizeof line);
        ((struct dbg_event *)e)->text = strdup(line);   /* a cache, filled on first look */
    }
    return e->text ? e->text : "";
}

void dbg_events_truncate(struct vis_dbg *d, uint64_t count)
{
    if (count >= d->ev_count) return;
    /* the log's slots are distinct, so the events kept are intact */
    for (uint64_t s = count > d->ev_lo ? count : d->ev_lo; s < d->ev_count; s++) event_clear(&d->ev[s % DBG_EVENTS]);
    d->ev_count = count;
    if (d->ev_lo > count) d->ev_lo = count;
}

/* Logging is on the machine's slow paths, so it stays cheap: the event and
 * the few facts its line needs; the line itself is made when shown. */
static void log_event(struct vis_dbg *d, const struct trace_event *ev)
{
    struct dbg_event *e = &d->ev[d->ev_count % DBG_EVENTS];
    event_clear(e);
    e->ev = *ev;
    e->ev.walk = NULL;
    e->pos = d->pos + 1 + (d->in_run ? d->m->step_count - d->run_base : 0);
    vis_trace_context(d->m, ev, &e->ctx);
    if (ev->walk && (e->walk = malloc(sizeof *e->walk)) != NULL) {
        /* the result and the references it made, not the unused rest */
        const struct walk_result *w = ev->walk;
        memcpy(e->walk, w, offsetof(struct walk_result, refs) + (size_t)w->nrefs * sizeof w->refs[0]);
        e->ev.walk = e->walk;
    }
    d->ev_count++;
    if (d->ev_count - d->ev_lo > DBG_EVENTS) d->ev_lo = d->ev_count - DBG_EVENTS;
}

/* ---- the step engine ---------------------------------------------------------------- */
/* The traps and VM exits of the current step (for trap and exit
 * breakpoints and the "Event:" a step reports): the bits are the step's
 * whose number m->step_count gives while it runs. */
static void step_bits_now(struct vis_dbg *d)
{
    if (d->bits_step != d->m->step_count) {
        d->step_traps = d->step_exits = 0;
        d->bits_step = d->m->step_count;
    }
}

static void dbg_hook(void *ctx, struct machine *m, const struct trace_event *ev)
{
    struct vis_dbg *d = ctx;
    switch (ev->kind) {
    case TR_TRAP:
        step_bits_now(d);
        if (ev->a < 32) {
            d->step_traps |= 1u << ev->a;
            if ((d->end_traps >> ev->a) & 1) m->step_end_now = true;
        }
        break;
    case TR_VMEXIT:
        step_bits_now(d);
        if (ev->a < 32) {
            d->step_exits |= 1u << ev->a;
            if ((d->end_exits >> ev->a) & 1) m->step_end_now = true;
        }
        break;
    default:
        break;
    }
    log_event(d, ev);
}

bool dbg_running(const struct vis_dbg *d)
{
    enum stop_reason s = d->m->stop;
    return s == STOP_NONE || s == STOP_STEPS || s == STOP_BREAK;
}

/* What ends a run of steps early besides its count: the pcs of the address
 * breakpoints (and temp's), the traps and exits of the trap and exit
 * breakpoints.  False if they do not fit the CPU's list: step one by one. */
static bool set_stops(struct vis_dbg *d, bool breaks, const struct dbg_temp *temp)
{
    struct machine *m = d->m;
    m->nstep_break = 0;
    d->end_traps = d->end_exits = 0;
    d->can_count = true;
    if (!breaks) return true;
    for (int i = 0; i < d->nbp; i++) {
        const struct dbg_break *b = &d->bp[i];
        switch (b->kind) {
        case BK_ADDR:
            if (m->nstep_break == MACHINE_STEP_BREAKS) return false;
            m->step_break[m->nstep_break++] = b->addr;
            break;
        case BK_TRAP:
            d->end_traps |= b->what < 0 ? ~0u : b->what < 32 ? 1u << b->what : 0;
            break;
        case BK_EXIT:
            d->end_exits |= b->what < 0 ? ~0u : b->what < 32 ? 1u << b->what : 0;
            break;
        case BK_WATCH:
            return false;   /* a word compared after every step */
        }
    }
    if (temp && temp->on) {
        if (m->nstep_break == MACHINE_STEP_BREAKS) return false;
        m->step_break[m->nstep_break++] = temp->pc;
    }
    return true;
}

/* Steps a counting run can take past the cycle it stops at: the rest of
 * one block (a page of instructions at most) and a trap's entry. */
#define DBG_COUNT_SLACK 2048u

/* Up to k steps from here, stopping where set_stops says.  At full speed
 * (machine_run_until, which counts steps as single steps would) while far
 * from k — every step costs a cycle at least, so a run to k - slack steps'
 * worth of cycles cannot pass k — and one step at a time near k, near an
 * address it stops at, and whenever a hook may end the run. */
static void run_machine(struct vis_dbg *d, uint64_t k)
{
    struct machine *m = d->m;
    uint64_t target = m->step_count + k;
    bool count = d->can_count && !d->max_cycles;
    for (;;) {
        uint64_t before = m->step_count, left = target - before;
        if (count && left > 2 * DBG_COUNT_SLACK) {
            uint64_t until = m->st.cycles + left - DBG_COUNT_SLACK;
            machine_run_until(m, until);
            if (m->stop != STOP_STEPS || m->step_end_now) return;
            bool moved = m->step_count != before;
            if (moved && m->st.cycles >= until) continue;
            /* at or before a block with a pc to stop at: at it if it is
             * the block's first, else step through the block */
            if (moved) {
                for (unsigned i = 0; i < m->nstep_break; i++)
                    if (m->step_break[i] == m->cpu.pc) return;
            }
        }
        before = m->step_count;
        left = target - before;
        uint64_t n = left < DBG_COUNT_SLACK || !count ? left : DBG_COUNT_SLACK;
        machine_run(m, n);
        if (m->stop != STOP_STEPS || m->step_count - before < n || m->step_count == target) return;
    }
}

/* Up to k steps in one run of the CPU, ended early where a breakpoint may
 * stop (set_stops) or the machine stops; returns the steps taken.  pos, the
 * console and the history come out as k single steps leave them: a run
 * never crosses the end of the recorded history (output of a step taken
 * before is not printed again) nor the next checkpoint. */
static uint64_t run_steps(struct vis_dbg *d, uint64_t k)
{
    struct machine *m = d->m;
    if (!dbg_running(d) || k == 0) return 0;
    if (d->pos < d->hist_end) {
        if (k > d->hist_end - d->pos) k = d->hist_end - d->pos;
    } else {
        uint64_t next_ck = d->ck[d->nck - 1].pos + d->ck_every;
        if (next_ck > d->pos && k > next_ck - d->pos) k = next_ck - d->pos;
    }
    m->con.out = d->pos < d->hist_end ? NULL : d->con_sink;
    m->max_cycles = d->max_cycles;
    m->step_events = true;
    m->step_end_now = false;
    d->run_base = m->step_count;
    d->bits_step = m->step_count;
    d->step_traps = d->step_exits = 0;
    d->in_run = true;
    m->step_cut = m->step_ended = false;
    run_machine(d, k);
    d->in_run = false;
    /* a run that stopped inside a step (a halt, a fault, the cycle limit)
     * took that step too */
    bool at_end = m->stop == STOP_STEPS;
    uint64_t n = m->step_count - d->run_base + !at_end;
    if (d->bits_step != m->step_count - at_end) d->step_traps = d->step_exits = 0;
    m->step_end_now = false;
    d->pos += n;
    if (d->pos > d->hist_end) dbg_history_note(d);
    return n;
}

bool dbg_step(struct vis_dbg *d)
{
    if (!dbg_running(d)) return false;
    d->m->nstep_break = 0;
    d->end_traps = d->end_exits = 0;
    d->can_count = false;
    run_steps(d, 1);
    return true;
}

uint64_t dbg_steps(struct vis_dbg *d, uint64_t k)
{
    d->m->nstep_break = 0;
    d->end_traps = d->end_exits = 0;
    d->can_count = true;
    return run_steps(d, k);
}

/* ---- breakpoints and watchpoints ------------------------------------------------------ */
void dbg_watch_refresh(struct vis_dbg *d)
{
    for (int i = 0; i < d->nbp; i++) {
        struct dbg_break *b = &d->bp[i];
        if (b->kind == BK_WATCH) dbg_read32(d, 'h', b->haddr, &b->old);
    }
}

/* Is the breakpoint's condition true now?  A condition that cannot be
 * evaluated here (a symbol of another image…) counts as true, so that the
 * student sees why. */
static bool cond_holds(struct vis_dbg *d, const struct dbg_break *b)
{
    if (!b->cond[0]) return true;
    uint32_t v;
    char err[160];
    if (!dbg_eval_all(d, b->cond, &v, err, sizeof err)) return true;
    return v != 0;
}

enum dbg_why dbg_stop_here(struct vis_dbg *d, bool events, bool count_hits, char *msg, size_t len)
{
    struct machine *m = d->m;
    uint32_t pc = m->cpu.pc;
    for (int i = 0; i < d->nbp; i++) {
        struct dbg_break *b = &d->bp[i];
        bool hit = false;
        char what[160] = "";
        switch (b->kind) {
        case BK_ADDR:
            hit = pc == b->addr;
            if (hit) {
                char sym[96];
                dbg_symbolize(d, pc, sym, sizeof sym);
                snprintf(what, sizeof what, "at v:0x%08x%s%s%s", pc, sym[0] ? " <" : "", sym, sym[0] ? ">" : "");
            }
            break;
        case BK_TRAP:
            hit = b->what < 0 ? d->step_traps != 0 : (d->step_traps >> b->what) & 1;
            if (hit) {
                int c = b->what >= 0 ? b->what : __builtin_ctz(d->step_traps);
                snprintf(what, sizeof what, "trap %s", c < CAUSE_COUNT ? isa_cause_name[c] : "?");
            }
            break;
        case BK_EXIT:
            hit = b->what < 0 ? d->step_exits != 0 : (d->step_exits >> b->what) & 1;
            if (hit) {
                int r = b->what >= 0 ? b->what : __builtin_ctz(d->step_exits);
                snprintf(what, sizeof what, "VM exit %s", r < EXIT_COUNT ? vmexit_reason_name[r] : "?");
            }
            break;
        case BK_WATCH: {
            uint32_t now;
            if (dbg_read32(d, 'h', b->haddr, &now) && now != b->old) {
                snprintf(what, sizeof what, "v:0x%08x (h:0x%08x) changed 0x%08x -> 0x%08x", b->addr, b->haddr,
                         b->old, now);
                b->old = now;
                hit = true;
            }
            break;
        }
        }
        if (!hit || !cond_holds(d, b)) continue;
        if (count_hits) b->hits++;
        snprintf(msg, len, "%s %d, %s%s%s", b->kind == BK_WATCH ? "Watchpoint" : "Breakpoint", b->id, what,
                 b->cond[0] ? " if " : "", b->cond);
        return b->kind == BK_WATCH ? WHY_WATCH : WHY_BREAK;
    }
    if (events && (d->step_traps || d->step_exits)) {
        const struct dbg_event *e = NULL;
        for (uint64_t s = d->ev_count; s > d->ev_lo; s--) {
            const struct dbg_event *x = dbg_event_at(d, s - 1);
            if (x->pos != d->pos) break;
            if (x->ev.kind == TR_TRAP || x->ev.kind == TR_VMEXIT) e = x;
        }
        snprintf(msg, len, "Event: %s", e ? dbg_event_text(e) : "a trap or VM exit");
        return WHY_EVENT;
    }
    return WHY_DONE;
}

static double now_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec * 1e-9;
}

enum dbg_why dbg_run(struct vis_dbg *d, uint64_t n, bool check, const struct dbg_temp *temp)
{
    struct machine *m = d->m;
    d->status[0] = 0;
    if (!dbg_running(d)) {
        snprintf(d->status, sizeof d->status, "The machine has stopped: %.200s", m->stop_detail);
        return WHY_MACHINE;
    }
    dbg_watch_refresh(d);
    dbg_clear_interrupt();
    /* in runs of steps as long as nothing needs a look after each step */
    uint64_t most = set_stops(d, check, temp) ? DBG_RUN_CHUNK : 1;
    double last_progress = now_seconds();
    for (uint64_t i = 0; i < n;) {
        if (dbg_interrupted()) {
            dbg_clear_interrupt();
            snprintf(d->status, sizeof d->status, "Interrupted.");
            return WHY_INTERRUPT;
        }
        if (d->progress && now_seconds() - last_progress > 0.25) {
            d->progress(d);
            last_progress = now_seconds();
        }
        i += run_steps(d, n - i < most ? n - i : most);
        if (!dbg_running(d)) {
            snprintf(d->status, sizeof d->status, "The machine stopped: %.200s",
                     m->stop_detail[0] ? m->stop_detail : stop_reason_name[m->stop]);
            return WHY_MACHINE;
        }
        if (!check) continue;
        enum dbg_why w = dbg_stop_here(d, false, true, d->status, sizeof d->status);
        if (w != WHY_DONE) return w;
        if (temp && temp->on && m->cpu.pc == temp->pc &&
            (!temp->match_sp || m->cpu.r[ISA_REG_SP] == temp->sp)) {
            snprintf(d->status, sizeof d->status, "Reached v:0x%08x.", temp->pc);
            return WHY_TEMP;
        }
    }
    if (dbg_interrupted()) {
        dbg_clear_interrupt();
        snprintf(d->status, sizeof d->status, "Interrupted.");
        return WHY_INTERRUPT;
    }
    return WHY_DONE;
}

/* ---- trap frames: backtrace and finish ----------------------------------------------------
 * The guest's "call stack" a student steps through is its trap nesting: a
 * handler runs on behalf of the code a trap interrupted.  The event log
 * knows both ends of every handler, whatever the technique: a trap
 * delivered (the CPU's, or reflected by the hypervisor), and its return —
 * a real iret, an emulated one under te and bt, the iret hypercall under
 * pv.  Other hypercalls return in place: they are no frame. */
int dbg_trap_nesting(const struct vis_dbg *d, const struct trace_event *ev)
{
    switch (ev->kind) {
    case TR_IRET: return -1;
    case TR_EMULATE: return ev->a == OP_IRET ? -1 : 0;
    case TR_TRAP:
        if (ev->a == CAUSE_HYPERCALL && d->hv && d->hv->cfg.mode == HV_PV) return ev->b == PV_HC_IRET ? -1 : 0;
        return 1;
    default: return 0;
    }
}

int dbg_frames(const struct vis_dbg *d, struct dbg_frame *f, int max, bool *truncated)
{
    int n = 0;
    *truncated = false;
    if (max <= 0) return 0;
    f[n++] = (struct dbg_frame){d->m->cpu.pc, dbg_ring(d), -1, d->m->st.cycles};
    int returned = 0;   /* handlers seen returning, newest first: their traps are closed */
    for (uint64_t s = d->ev_count; s > d->ev_lo && n < max; s--) {
        const struct dbg_event *e = dbg_event_at(d, s - 1);
        int k = dbg_trap_nesting(d, &e->ev);
        if (k < 0) returned++;
        else if (k > 0 && returned > 0) returned--;
        else if (k > 0) {
            f[n++] = (struct dbg_frame){e->ev.c, SR_RING(e->ctx.sr), (int)e->ev.a, e->ev.cycle};
            if (SR_RING(e->ctx.sr) == 3) return n;   /* user code: nothing runs beneath it */
        }
    }
    /* the log's oldest event reached while still inside a handler */
    *truncated = n == max || (d->ev_lo > 0 && f[n - 1].ring != 3);
    return n;
}

enum dbg_why dbg_finish(struct vis_dbg *d, bool (*poll)(void *ctx), void *ctx)
{
    int depth = 0;
    enum dbg_why w = WHY_DONE;
    for (uint64_t n = 1; dbg_running(d); n++) {
        uint64_t ev = d->ev_count;
        if (dbg_interrupted()) break;
        w = dbg_run(d, 1, true, NULL);
        for (uint64_t s = ev > d->ev_lo ? ev : d->ev_lo; s < d->ev_count; s++)
            depth += dbg_trap_nesting(d, &dbg_event_at(d, s)->ev);
        if (w != WHY_DONE) return w;
        if (depth < 0) {
            char where[200];
            dbg_where(d, where, sizeof where);
            snprintf(d->status, sizeof d->status, "Returned from the trap handler: %.200s", where);
            return WHY_TEMP;
        }
        if (poll && n % DBG_POLL_EVERY == 0 && poll(ctx)) {
            snprintf(d->status, sizeof d->status, "Paused.");
            return WHY_INTERRUPT;
        }
    }
    if (dbg_interrupted()) {
        dbg_clear_interrupt();
        snprintf(d->status, sizeof d->status, "Interrupted.");
        return WHY_INTERRUPT;
    }
    if (!dbg_running(d)) {
        snprintf(d->status, sizeof d->status, "The machine stopped: %.200s",
                 d->m->stop_detail[0] ? d->m->stop_detail : stop_reason_name[d->m->stop]);
        return WHY_MACHINE;
    }
    return w;
}

/* ---- the guest's console ----------------------------------------------------------------
 * The guest writes through m->con.out into this sink.  A byte's place is
 * the console's byte count, so output written again after going back in
 * time lands where it was and is shown (and echoed in line mode) once. */
static ssize_t con_write(void *cookie, const char *buf, size_t n)
{
    struct vis_dbg *d = cookie;
    size_t at = (size_t)d->m->con.bytes_out;
    if (at + n > d->con_cap) {
        size_t cap = d->con_cap ? d->con_cap : 4096;
        while (cap < at + n) cap *= 2;
        char *p = realloc(d->con, cap);
        if (!p) return (ssize_t)n;
        d->con = p;
        d->con_cap = cap;
    }
    memcpy(d->con + at, buf, n);
    d->con_len = at + n;
    if (!d->fullscreen && at + n > d->con_echoed) {
        size_t from = at > d->con_echoed ? at : d->con_echoed;
        fwrite(d->con + from, 1, at + n - from, d->out);
        fflush(d->out);
        d->con_echoed = at + n;
    }
    return (ssize_t)n;
}

size_t dbg_console_len(const struct vis_dbg *d)
{
    size_t n = (size_t)d->m->con.bytes_out;
    return n < d->con_len ? n : d->con_len;
}

/* ---- reading the machine without touching it ---------------------------------------------- */
bool dbg_deprivileged(const struct vis_dbg *d)
{
    return d->hv && hv_technique(d->hv->cfg.mode)->deprivileged;
}

uint32_t *dbg_guest_cr(struct vis_dbg *d)
{
    return dbg_deprivileged(d) ? d->hv->vcpu.cr : d->m->cpu.cr;
}

int dbg_vm(const struct vis_dbg *d)
{
    return d->hv ? d->m->vmx.cur : -1;
}

unsigned dbg_ring(const struct vis_dbg *d)
{
    return SR_RING(d->m->cpu.cr[CR_SR]);
}

/* Where a ring-0 read of addr in context c goes, found by a probe: the
 * debugger looks without touching. */
static bool probe_read(const struct mmu_walk_ctx *c, uint32_t addr, uint32_t *pa)
{
    struct walk_result r;
    if (!mmu_probe(c, addr, ACC_READ, &r)) return false;
    *pa = r.pa;
    return true;
}

bool dbg_to_host(struct vis_dbg *d, char space, uint32_t addr, uint32_t *hpa)
{
    struct machine *m = d->m;
    switch (space) {
    case 'h':
        *hpa = addr;
        return addr < m->memsize;
    case 'g': {
        if (!d->hv) {
            *hpa = addr;
            return addr < m->memsize;
        }
        int vm = m->vmx.cur >= 0 ? m->vmx.cur : 0;
        if (vm >= d->hv->nvms) return false;
        if (!m->vmx.nested) {
            /* without nested paging a VM's memory is one host range */
            const struct vm *v = &d->hv->vms[vm];
            *hpa = v->base + addr;
            return addr < v->size;
        }
        /* the host dimension alone: the VM's context with guest paging off */
        struct mmu_walk_ctx c = mmu_walk_ctx_of(m, m->cpu.cr, vm);
        c.paging = false;
        return probe_read(&c, addr, hpa) && *hpa < m->memsize;
    }
    default: {
        struct mmu_walk_ctx c;
        if (d->hv && d->hv->cfg.mmu == HV_MMU_SHADOW) {
            /* the shadow tables fill lazily: read the guest's own tables
             * (shadow paging runs one VM, VM 0) */
            uint32_t gpa;
            c = vis_guest_tables_ctx(m, 0, d->hv->vcpu.cr);
            return probe_read(&c, addr, &gpa) && dbg_to_host(d, 'g', gpa, hpa);
        }
        if (d->hv && m->vmx.nested && !m->cpu.nonroot && m->vmx.cur >= 0)
            /* in ring -1 (every VM ended): look through the last guest's
             * state, as its VM exit saved it */
            c = mmu_walk_ctx_of(m, m->vmx.vmcs[m->vmx.cur].cr, m->vmx.cur);
        else
            c = mmu_walk_ctx_now(m);
        return probe_read(&c, addr, hpa) && *hpa < m->memsize;
    }
    }
}

bool dbg_read32(struct vis_dbg *d, char space, uint32_t addr, uint32_t *v)
{
    uint32_t h;
    if (!dbg_to_host(d, space, addr, &h) || h > d->m->memsize - 4) return false;
    memcpy(v, d->m->mem + h, 4);
    return true;
}

bool dbg_read8(struct vis_dbg *d, char space, uint32_t addr, uint8_t *v)
{
    uint32_t h;
    if (!dbg_to_host(d, space, addr, &h)) return false;
    *v = d->m->mem[h];
    return true;
}

void dbg_symbolize(const struct vis_dbg *d, uint32_t addr, char *buf, size_t len)
{
    uint32_t off = 0;
    const char *s = d->img ? isa_image_symbol_near(d->img, addr, &off) : NULL;
    /* a symbol far below is not this address's name */
    if (!s || off > 0x10000) buf[0] = 0;
    else if (off) snprintf(buf, len, "%s+%u", s, off);
    else snprintf(buf, len, "%s", s);
}

static const char *symbol_at(void *ctx, uint32_t addr)
{
    const struct vis_dbg *d = ctx;
    return d->img ? isa_image_symbol_at(d->img, addr) : NULL;
}

void dbg_where(struct vis_dbg *d, char *buf, size_t len)
{
    struct machine *m = d->m;
    uint32_t pc = m->cpu.pc, w;
    char sym[96], insn[96] = "(not mapped)";
    dbg_symbolize(d, pc, sym, sizeof sym);
    if (dbg_read32(d, 'v', pc, &w)) isa_disasm(w, pc, insn, sizeof insn, symbol_at, d);
    char vm[32] = "";
    if (d->hv && m->cpu.nonroot) snprintf(vm, sizeof vm, ", VM %d", m->vmx.cur);
    else if (d->hv && !dbg_deprivileged(d)) snprintf(vm, sizeof vm, ", root");
    snprintf(buf, len, "v:0x%08x%s%s%s  %s   (ring %u%s, cycle %llu, step %llu)", pc, sym[0] ? " <" : "", sym,
             sym[0] ? ">" : "", insn, dbg_ring(d), vm, (unsigned long long)m->st.cycles,
             (unsigned long long)d->pos);
}

void dbg_mark(struct vis_dbg *d)
{
    d->st_before = d->m->st;
    d->mst_before = d->m->mmu.st;
    d->exits_before = d->m->vmx.exits;
    d->cpu_before = d->m->cpu;
    d->ev_before = d->ev_count;
    d->probe_on = false;   /* the walk pane goes back to the last miss */
}

/* ---- life of a session ------------------------------------------------------------------ */
struct vis_dbg *vis_dbg_new(struct machine *m, struct hv *hv, const struct isa_image *img, FILE *out, FILE *err)
{
    struct vis_dbg *d = calloc(1, sizeof *d);
    if (!d) return NULL;
    d->m = m;
    d->hv = hv;
    d->img = img;
    d->out = out;
    d->err = err;
    d->next_id = 1;
    d->zoom = -1;
    d->pane_front = -1;
    d->mem_space = 'v';
    d->mem_addr = m->cpu.pc & ~0xfu;
    for (int i = 0; i < PANE_COUNT; i++) d->pane_on[i] = true;
    /* the Devices pane is on by itself where there are devices, and it is
     * the one a small screen shows in its last place */
    d->pane_on[PANE_DEVICES] = dbg_has_devices(d);
    if (d->pane_on[PANE_DEVICES]) d->pane_front = PANE_DEVICES;
    d->max_cycles = m->max_cycles;
    /* a checkpoint compares all of memory with the one before: spread them
     * so that costs the run about one host instruction a step */
    d->ck_every = (uint64_t)DBG_CK_PER_PAGE * (m->memsize / 4096);
    if (d->ck_every < DBG_CK_EVERY) d->ck_every = DBG_CK_EVERY;
    static const cookie_io_functions_t io = {.write = con_write};
    d->con_sink = fopencookie(d, "w", io);
    if (!d->con_sink) {
        free(d);
        return NULL;
    }
    setvbuf(d->con_sink, NULL, _IONBF, 0);
    m->con.out = d->con_sink;
    m->trace = dbg_hook;
    m->trace_ctx = d;
    if (!dbg_history_init(d)) {
        vis_dbg_free(d);
        return NULL;
    }
    dbg_mark(d);
    return d;
}

void vis_dbg_free(struct vis_dbg *d)
{
    if (!d) return;
    dbg_history_free(d);
    dbg_events_truncate(d, 0);
    if (d->m->con.out == d->con_sink) d->m->con.out = NULL;
    if (d->m->trace_ctx == d) {
        d->m->trace = NULL;
        d->m->trace_ctx = NULL;
    }
    d->m->max_cycles = d->max_cycles;
    d->m->step_events = false;
    d->m->nstep_break = 0;
    if (d->con_sink) fclose(d->con_sink);
    free(d->con);
    free(d);
}
