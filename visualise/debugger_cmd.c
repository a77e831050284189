/*
 * debugger_cmd.c — the command language: one interpreter for the full
 * screen and for line mode.
 *
 * A command is a line: its first word names it (or an alias: s, c, b…),
 * the rest are its arguments.  One table lists every command with its
 * usage and a line of help; `help`, tab completion and docs/debugger.md
 * follow it.  Each command is one function that parses its arguments,
 * says what it expected when they are wrong, and prints what it did.
 * Commands that move the machine end with a report: why it stopped, the
 * events on the way (for short moves), and where it is now.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hypervisor/technique.h"
#include "visualise/debugger.h"

typedef int (*cmd_fn)(struct vis_dbg *d, char *args);

/* A command: how it is called, a line for `help`, and its row of the
 * table in docs/debugger.md (`make docs` writes that table from this one,
 * and a test holds them equal).  A usage with %s spells out subs there,
 * joined by '|': the names completion offers and the command accepts. */
struct command {
    const char *name, *alias;
    cmd_fn fn;
    const char *usage;
    const char *const *subs;
    const char *help;
    const char *doc;      /* Markdown */
};

static const struct command commands[];

/* ---- small parsing helpers ---------------------------------------------------------- */
static char *skip(char *p)
{
    while (*p == ' ' || *p == '\t') p++;
    return p;
}

/* Splits off the next word (NUL-terminating it); *rest points past it. */
static char *word(char **rest)
{
    char *p = skip(*rest);
    if (!*p) {
        *rest = p;
        return NULL;
    }
    char *w = p;
    while (*p && *p != ' ' && *p != '\t') p++;
    if (*p) *p++ = 0;
    *rest = skip(p);
    return w;
}

/* An optional count: the whole of s, a positive number; 1 if s is empty. */
static bool count_arg(struct vis_dbg *d, const char *cmd, char *s, uint64_t *n)
{
    s = skip(s);
    *n = 1;
    if (!*s) return true;
    char *end;
    unsigned long long v = strtoull(s, &end, 0);
    while (*end == ' ') end++;
    if (end == s || *end || v == 0 || s[0] == '-') {
        dbg_error(d, "%s: expected a positive number of steps, not '%s'", cmd, s);
        return false;
    }
    *n = v;
    return true;
}

/* "v:EXPR", "g:EXPR", "h:EXPR" or EXPR (virtual). */
static bool address_arg(struct vis_dbg *d, const char *cmd, const char *s, char *space, uint32_t *addr)
{
    s = skip((char *)s);
    *space = 'v';
    if ((s[0] == 'v' || s[0] == 'g' || s[0] == 'h') && s[1] == ':') {
        *space = s[0];
        s += 2;
    }
    if (*s == '*') s++;   /* gdb's "break *ADDR" */
    if (!*s) {
        dbg_error(d, "%s: expected an address (a number, a symbol or an expression)", cmd);
        return false;
    }
    char err[256];
    if (!dbg_eval_all(d, s, addr, err, sizeof err)) {
        dbg_error(d, "%s: %s", cmd, err);
        return false;
    }
    return true;
}

/* Cuts " if CONDITION" off s; returns the condition ("" if none). */
static char *split_if(char *s)
{
    for (char *p = s; (p = strstr(p, "if")) != NULL; p += 2) {
        bool before = p == s || p[-1] == ' ' || p[-1] == '\t';
        bool after = p[2] == ' ' || p[2] == '\t' || p[2] == 0;
        if (before && after) {
            *p = 0;
            char *e = p;
            while (e > s && (e[-1] == ' ' || e[-1] == '\t')) *--e = 0;
            return skip(p + 2);
        }
    }
    return s + strlen(s);
}

/* ---- reporting a move of the machine ---------------------------------------------------- */
static void report(struct vis_dbg *d, enum dbg_why why, bool events)
{
    d->last_why = why;
    fflush(d->out);
    if (d->status[0]) dbg_printf(d, "%s\n", d->status);
    if (events && d->ev_count > d->ev_before) {
        int shown = 0, more = 0;
        for (uint64_t s = d->ev_before > d->ev_lo ? d->ev_before : d->ev_lo; s < d->ev_count; s++) {
            const struct dbg_event *e = dbg_event_at(d, s);
            if (e->ev.kind == TR_WALK || e->ev.kind == TR_FLUSH) continue;
            if (shown < 8) {
                dbg_printf(d, "  event: %s\n", dbg_event_text(e));
                shown++;
            } else {
                more++;
            }
        }
        if (more) dbg_printf(d, "  ... and %d more events (info events)\n", more);
    }
    char where[512];
    dbg_where(d, where, sizeof where);
    dbg_printf(d, "%s\n", where);
}

static bool can_run(struct vis_dbg *d, const char *cmd)
{
    if (dbg_running(d)) return true;
    dbg_error(d, "%s: the machine has stopped (%s); go back with reverse-step, reverse-continue or goto", cmd,
              d->m->stop_detail[0] ? d->m->stop_detail : stop_reason_name[d->m->stop]);
    return false;
}

/* ---- moving forward --------------------------------------------------------------------------- */
static const char *e_op_name(uint32_t op) { return op < OP_COUNT ? isa_info[op].mnemonic : "?"; }

/* A step that retired no instruction: say why, from its events. */
static void explain_no_insn(struct vis_dbg *d)
{
    const struct dbg_event *exit = NULL, *hidden = NULL, *trap = NULL, *emul = NULL, *walk = NULL;
    for (uint64_t s = d->ev_before > d->ev_lo ? d->ev_before : d->ev_lo; s < d->ev_count; s++) {
        const struct dbg_event *e = dbg_event_at(d, s);
        switch (e->ev.kind) {
        case TR_VMEXIT: if (!exit) exit = e; break;
        case TR_SHADOW: if (!hidden && e->ev.a != 2) hidden = e; break;
        case TR_TRAP: if (!trap) trap = e; break;
        case TR_EMULATE: if (!emul) emul = e; break;
        case TR_WALK: if (!walk) walk = e; break;
        default: break;
        }
    }
    const char *why;
    char buf[256];
    if (emul) {
        snprintf(buf, sizeof buf, "the hypervisor emulated %s for the guest (its work, not a guest instruction)",
                 e_op_name(emul->ev.a));
        why = buf;
    } else if (hidden) {
        why = "a hidden page fault: the hypervisor filled a shadow page-table entry, and the instruction "
              "runs again (the guest cannot see it)";
    } else if (exit) {
        snprintf(buf, sizeof buf, "a VM exit (%s): the hypervisor handled it%s",
                 exit->ev.a < EXIT_COUNT ? vmexit_reason_name[exit->ev.a] : "?",
                 trap ? " and delivered a trap into the guest" : " and entered the guest again");
        why = buf;
    } else if (trap) {
        snprintf(buf, sizeof buf, "the CPU took a trap (%s) before the instruction completed: pc is the "
                                  "handler's first instruction",
                 trap->ev.a < CAUSE_COUNT ? isa_cause_name[trap->ev.a] : "?");
        why = buf;
    } else if (walk) {
        why = "a TLB miss and its page walk, and no instruction completed";
    } else {
        why = "the machine spent the step outside the guest's instructions (the Cycles pane says on what)";
    }
    dbg_printf(d, "  (no instruction retired in this step: %s)\n", why);
}

static int cmd_step(struct vis_dbg *d, char *args)
{
    uint64_t n;
    if (!count_arg(d, "step", args, &n)) return VIS_DBG_ERROR;
    if (!can_run(d, "step")) return VIS_DBG_ERROR;
    dbg_mark(d);
    enum dbg_why w = dbg_run(d, n, n > 1, NULL);
    report(d, w, n <= 1000);
    if (n == 1 && dbg_running(d) && d->m->st.instructions == d->st_before.instructions) explain_no_insn(d);
    return VIS_DBG_OK;
}

/* The instruction at pc, decoded; false if pc is not mapped. */
static bool insn_at_pc(struct vis_dbg *d, struct isa_insn *in)
{
    uint32_t w;
    return dbg_read32(d, 'v', d->m->cpu.pc, &w) && isa_decode(w, in);
}

static int cmd_next(struct vis_dbg *d, char *args)
{
    uint64_t n;
    if (!count_arg(d, "next", args, &n)) return VIS_DBG_ERROR;
    if (!can_run(d, "next")) return VIS_DBG_ERROR;
    dbg_mark(d);
    enum dbg_why w = WHY_DONE;
    for (uint64_t i = 0; i < n && w == WHY_DONE; i++) {
        struct isa_insn in;
        struct dbg_temp t = {0};
        /* a call (a jump that links) or a system call: run until it returns
         * to the next instruction in this frame */
        if (insn_at_pc(d, &in) && (((in.op == OP_JAL || in.op == OP_JALR) && in.a != 0) || in.op == OP_SYSCALL)) {
            t = (struct dbg_temp){true, d->m->cpu.pc + 4, true, d->m->cpu.r[ISA_REG_SP]};
            w = dbg_run(d, UINT64_MAX, true, &t);
            if (w == WHY_TEMP) w = WHY_DONE;
        } else {
            w = dbg_run(d, 1, false, NULL);
        }
    }
    report(d, w, d->ev_count - d->ev_before <= 64);
    return VIS_DBG_OK;
}

static int cmd_continue(struct vis_dbg *d, char *args)
{
    if (*skip(args)) return dbg_error(d, "continue: takes no arguments (got '%s')", skip(args));
    if (!can_run(d, "continue")) return VIS_DBG_ERROR;
    dbg_mark(d);
    enum dbg_why w = dbg_run(d, UINT64_MAX, true, NULL);
    report(d, w, false);
    return VIS_DBG_OK;
}

static int cmd_finish(struct vis_dbg *d, char *args)
{
    if (*skip(args)) return dbg_error(d, "finish: takes no arguments (got '%s')", skip(args));
    if (!can_run(d, "finish")) return VIS_DBG_ERROR;
    struct dbg_frame f[2];
    bool truncated;
    if (dbg_frames(d, f, 2, &truncated) < 2 && !truncated)
        return dbg_error(d, "finish: not inside a trap handler (backtrace shows one frame): nothing to return "
                            "from; use `next`, `until ADDR` or `continue`");
    dbg_mark(d);
    enum dbg_why w = dbg_finish(d, NULL, NULL);
    report(d, w, d->ev_count - d->ev_before <= 64);
    return VIS_DBG_OK;
}

#define DBG_MAX_FRAMES 16
static int cmd_backtrace(struct vis_dbg *d, char *args)
{
    if (*skip(args)) return dbg_error(d, "backtrace: takes no arguments (got '%s')", skip(args));
    struct dbg_frame f[DBG_MAX_FRAMES];
    bool truncated;
    int n = dbg_frames(d, f, DBG_MAX_FRAMES, &truncated);
    for (int i = 0; i < n; i++) {
        char sym[96];
        dbg_symbolize(d, f[i].pc, sym, sizeof sym);
        dbg_printf(d, "#%d  v:0x%08x%s%s%s  (ring %u)", i, f[i].pc, sym[0] ? " <" : "", sym, sym[0] ? ">" : "",
                   f[i].ring);
        if (i > 0)
            dbg_printf(d, "  interrupted by %s at cycle %llu",
                       f[i].cause >= 0 && f[i].cause < CAUSE_COUNT ? isa_cause_name[f[i].cause] : "?",
                       (unsigned long long)f[i].cycle);
        dbg_printf(d, "\n");
    }
    if (truncated)
        dbg_printf(d, "(older frames: the event log reaches back to step %llu only)\n",
                   (unsigned long long)(d->ev_lo < d->ev_count ? dbg_event_at(d, d->ev_lo)->pos : d->pos));
    return VIS_DBG_OK;
}

static int cmd_until(struct vis_dbg *d, char *args)
{
    char space;
    uint32_t a;
    if (!*skip(args)) return dbg_error(d, "until: expected an address or symbol to run to");
    if (!address_arg(d, "until", args, &space, &a)) return VIS_DBG_ERROR;
    if (space != 'v') return dbg_error(d, "until: expected a virtual address (the pc), not %c:", space);
    if (!can_run(d, "until")) return VIS_DBG_ERROR;
    dbg_mark(d);
    struct dbg_temp t = {true, a, false, 0};
    enum dbg_why w = dbg_run(d, UINT64_MAX, true, &t);
    report(d, w, false);
    return VIS_DBG_OK;
}

/* ---- moving backward -------------------------------------------------------------------------- */
static int cmd_reverse_step(struct vis_dbg *d, char *args)
{
    uint64_t n;
    if (!count_arg(d, "reverse-step", args, &n)) return VIS_DBG_ERROR;
    enum dbg_why w = dbg_reverse_step(d, n);
    dbg_mark(d);
    report(d, w, false);
    return VIS_DBG_OK;
}

static int cmd_reverse_continue(struct vis_dbg *d, char *args)
{
    if (*skip(args)) return dbg_error(d, "reverse-continue: takes no arguments (got '%s')", skip(args));
    enum dbg_why w = dbg_reverse_continue(d);
    dbg_mark(d);
    report(d, w, false);
    return VIS_DBG_OK;
}

static int cmd_goto(struct vis_dbg *d, char *args)
{
    char *s = skip(args), *end;
    if (!*s) return dbg_error(d, "goto: expected a cycle number (see history), or 'step N'");
    if (!strncmp(s, "step", 4) && (s[4] == ' ' || s[4] == '\t')) {
        unsigned long long v = strtoull(skip(s + 4), &end, 0);
        if (end == skip(s + 4) || *skip(end)) return dbg_error(d, "goto step: expected a step number");
        if (v > d->hist_end)
            return dbg_error(d, "goto step %llu: the history ends at step %llu (step or continue to go further)", v,
                             (unsigned long long)d->hist_end);
        d->status[0] = 0;
        if (!dbg_goto(d, v) && !d->status[0]) snprintf(d->status, sizeof d->status, "Interrupted.");
        dbg_mark(d);
        report(d, WHY_DONE, false);
        return VIS_DBG_OK;
    }
    unsigned long long c = strtoull(s, &end, 0);
    if (end == s || *skip(end) || s[0] == '-') return dbg_error(d, "goto: expected a cycle number, not '%s'", s);
    enum dbg_why w = dbg_goto_cycle(d, c);
    dbg_mark(d);
    report(d, w, false);
    return VIS_DBG_OK;
}

static int cmd_history(struct vis_dbg *d, char *args)
{
    if (*skip(args)) return dbg_error(d, "history: takes no arguments (got '%s')", skip(args));
    struct dbg_text t = {0};
    dbg_history_view(d, &t);
    dbg_text_print(&t, d->out);
    dbg_text_free(&t);
    return VIS_DBG_OK;
}

/* ---- breakpoints ---------------------------------------------------------------------------------- */
static struct dbg_break *new_break(struct vis_dbg *d)
{
    if (d->nbp == DBG_MAX_BREAKS) {
        dbg_error(d, "break: at most %d breakpoints and watchpoints (delete some)", DBG_MAX_BREAKS);
        return NULL;
    }
    struct dbg_break *b = &d->bp[d->nbp];
    memset(b, 0, sizeof *b);
    b->id = d->next_id;
    b->what = -1;
    return b;
}

static bool check_cond(struct vis_dbg *d, const char *cmd, const char *cond, struct dbg_break *b)
{
    if (!*cond) return true;
    if (strlen(cond) >= sizeof b->cond) {
        dbg_error(d, "%s: condition too long (at most %zu characters)", cmd, sizeof b->cond - 1);
        return false;
    }
    uint32_t v;
    char err[256];
    if (!dbg_eval_all(d, cond, &v, err, sizeof err)) {
        dbg_error(d, "%s: in the condition: %s", cmd, err);
        return false;
    }
    snprintf(b->cond, sizeof b->cond, "%s", cond);
    return true;
}

static void list_names(char *buf, size_t len, const char *const *names, int n)
{
    size_t k = 0;
    buf[0] = 0;
    for (int i = 0; i < n && k < len; i++) k += (size_t)snprintf(buf + k, len - k, "%s%s", i ? ", " : "", names[i]);
}

/* Does s start with the word w? */
static bool word_is(const char *s, const char *w)
{
    size_t n = strlen(w);
    return !strncmp(s, w, n) && (s[n] == 0 || s[n] == ' ' || s[n] == '\t');
}

static int cmd_break(struct vis_dbg *d, char *args)
{
    char *cond = split_if(args);
    char *loc = skip(args);
    if (!*loc)
        return dbg_error(d, "break: expected an address or symbol, 'trap [CAUSE]' or 'exit [REASON]', "
                            "then optionally 'if CONDITION'");
    struct dbg_break *b = new_break(d);
    if (!b) return VIS_DBG_ERROR;
    char names[512];
    if (word_is(loc, "trap") || word_is(loc, "exit")) {
        bool trap = loc[0] == 't';
        char *rest = loc + 4, *name = word(&rest);
        if (*rest)
            return dbg_error(d, "break %s: unexpected '%s' (a condition starts with 'if')", trap ? "trap" : "exit",
                             rest);
        if (!trap && !d->hv)
            return dbg_error(d, "break exit: the machine runs natively, without VM exits (try --mode hw)");
        b->kind = trap ? BK_TRAP : BK_EXIT;
        if (name && strcasecmp(name, "any") != 0) {
            if (trap) {
                b->what = isa_cause_parse(name);
            } else {
                for (int e = 0; e < EXIT_COUNT; e++)
                    if (!strcasecmp(vmexit_reason_name[e], name)) b->what = e;
            }
            if (b->what < 0) {
                if (trap) list_names(names, sizeof names, isa_cause_name, CAUSE_COUNT);
                else list_names(names, sizeof names, vmexit_reason_name, EXIT_COUNT);
                return dbg_error(d, "break %s: unknown %s '%s': expected one of %s (or nothing for any)",
                                 trap ? "trap" : "exit", trap ? "cause" : "reason", name, names);
            }
        }
    } else {
        char space;
        if (!address_arg(d, "break", loc, &space, &b->addr)) return VIS_DBG_ERROR;
        if (space != 'v') return dbg_error(d, "break: expected a virtual address (where the pc will be), not %c:", space);
        b->kind = BK_ADDR;
    }
    if (!check_cond(d, "break", cond, b)) return VIS_DBG_ERROR;
    d->nbp++;
    d->next_id++;
    char sym[96];
    switch (b->kind) {
    case BK_ADDR:
        dbg_symbolize(d, b->addr, sym, sizeof sym);
        dbg_printf(d, "Breakpoint %d at v:0x%08x%s%s%s", b->id, b->addr, sym[0] ? " <" : "", sym, sym[0] ? ">" : "");
        break;
    case BK_TRAP:
        dbg_printf(d, "Breakpoint %d: trap %s", b->id, b->what < 0 ? "(any)" : isa_cause_name[b->what]);
        break;
    default:
        dbg_printf(d, "Breakpoint %d: VM exit %s", b->id, b->what < 0 ? "(any)" : vmexit_reason_name[b->what]);
        break;
    }
    dbg_printf(d, "%s%s\n", b->cond[0] ? " if " : "", b->cond);
    return VIS_DBG_OK;
}

static int cmd_watch(struct vis_dbg *d, char *args)
{
    char space;
    uint32_t a, h;
    if (!*skip(args)) return dbg_error(d, "watch: expected the address of a word to watch (v:, g: or h:ADDR)");
    if (!address_arg(d, "watch", args, &space, &a)) return VIS_DBG_ERROR;
    if (a & 3) return dbg_error(d, "watch: expected a word-aligned address (a multiple of 4), not 0x%08x", a);
    if (!dbg_to_host(d, space, a, &h) || h > d->m->memsize - 4)
        return dbg_error(d, "watch: %c:0x%08x is not mapped now; give a physical address as h:ADDR", space, a);
    struct dbg_break *b = new_break(d);
    if (!b) return VIS_DBG_ERROR;
    b->kind = BK_WATCH;
    b->addr = a;
    b->haddr = h;
    dbg_read32(d, 'h', h, &b->old);
    d->nbp++;
    d->next_id++;
    dbg_printf(d, "Watchpoint %d: %c:0x%08x (h:0x%08x) = 0x%08x\n", b->id, space, a, h, b->old);
    return VIS_DBG_OK;
}

static int cmd_delete(struct vis_dbg *d, char *args)
{
    char *s = skip(args), *end;
    if (!*s) {
        dbg_printf(d, "Deleted %d breakpoint%s.\n", d->nbp, d->nbp == 1 ? "" : "s");
        d->nbp = 0;
        return VIS_DBG_OK;
    }
    long id = strtol(s, &end, 10);
    if (end == s || *skip(end)) return dbg_error(d, "delete: expected a breakpoint number (see info break), not '%s'", s);
    for (int i = 0; i < d->nbp; i++) {
        if (d->bp[i].id != id) continue;
        memmove(&d->bp[i], &d->bp[i + 1], (size_t)(d->nbp - i - 1) * sizeof d->bp[0]);
        d->nbp--;
        dbg_printf(d, "Deleted breakpoint %ld.\n", id);
        return VIS_DBG_OK;
    }
    return dbg_error(d, "delete: no breakpoint %ld (see info break)", id);
}

/* ---- looking ------------------------------------------------------------------------------------------ */
static const char *const info_subs[] = {"regs", "tlb", "walk", "vmcs", "stats", "pt", "break",
                                        "events", "console", "history", "bt", "pv", "ns", "dev", NULL};
#define NINFO (int)(sizeof info_subs / sizeof info_subs[0] - 1)

static int cmd_info(struct vis_dbg *d, char *args)
{
    char *rest = args, *what = word(&rest);
    char names[256];
    list_names(names, sizeof names, info_subs, NINFO);
    if (!what) return dbg_error(d, "info: expected one of %s", names);
    struct dbg_text t = {0};
    if (!strcmp(what, "regs") || !strcmp(what, "registers") || !strcmp(what, "r")) dbg_view_regs(d, &t, 80);
    else if (!strcmp(what, "tlb")) dbg_view_tlb(d, &t, 80);
    else if (!strcmp(what, "walk")) dbg_view_walk_pane(d, &t);
    else if (!strcmp(what, "vmcs")) dbg_view_vmcs(d, &t);
    else if (!strcmp(what, "stats")) dbg_view_stats(d, &t);
    else if (!strcmp(what, "pt")) dbg_view_pt(d, &t);
    else if (!strcmp(what, "break") || !strcmp(what, "breakpoints") || !strcmp(what, "b")) dbg_view_breaks(d, &t);
    else if (!strcmp(what, "console")) dbg_view_console(d, &t, 1000000);
    else if (!strcmp(what, "history")) dbg_history_view(d, &t);
    else if (!strcmp(what, "bt")) dbg_view_bt(d, &t);
    else if (!strcmp(what, "pv")) dbg_view_pv(d, &t);
    else if (!strcmp(what, "ns")) dbg_view_ns(d, &t);
    else if (!strcmp(what, "dev")) dbg_view_dev(d, &t, DBG_DEV_EVENTS);
    else if (!strcmp(what, "events")) {
        uint64_t n = 20;
        if (*rest && !count_arg(d, "info events", rest, &n)) return VIS_DBG_ERROR;
        dbg_view_events(d, &t, n > DBG_EVENTS ? DBG_EVENTS : (int)n, true);
    } else {
        const char *near = vis_suggest(what, info_subs, NINFO);
        if (near) return dbg_error(d, "info: unknown '%s': did you mean info %s?", what, near);
        return dbg_error(d, "info: unknown '%s': expected one of %s", what, names);
    }
    if (strcmp(what, "events") != 0 && *rest) {
        dbg_text_free(&t);
        return dbg_error(d, "info %s: takes no arguments (got '%s')", what, rest);
    }
    dbg_text_print(&t, d->out);
    dbg_text_free(&t);
    return VIS_DBG_OK;
}

/* x/FMT ADDR: fmt = [COUNT][x|d|u|b|c|s|i] */
static int cmd_x(struct vis_dbg *d, const char *fmt, char *args)
{
    int count = 1;
    char f = 'x';
    const char *p = fmt;
    if (*p) {
        if (isdigit((unsigned char)*p)) {
            count = atoi(p);
            while (isdigit((unsigned char)*p)) p++;
        }
        if (*p) f = *p++;
        if (*p || !strchr("xdubcsi", f) || count < 1 || count > 4096)
            return dbg_error(d, "x/%s: expected x/COUNT FORMAT with FORMAT one of x (hex words), d (signed), "
                                "u (unsigned), b (bytes), c (characters), s (strings), i (instructions), "
                                "COUNT 1..4096, e.g. x/8x sp",
                             fmt);
    }
    char space;
    uint32_t a;
    if (!*skip(args)) return dbg_error(d, "x: expected an address (v:, g: or h: then a number or expression)");
    if (!address_arg(d, "x", args, &space, &a)) return VIS_DBG_ERROR;
    struct dbg_text t = {0};
    dbg_view_examine(d, &t, space, a, count, f);
    dbg_text_print(&t, d->out);
    dbg_text_free(&t);
    if (f != 'i') {
        d->mem_space = space;
        d->mem_addr = a & ~0xfu;
    }
    return VIS_DBG_OK;
}

static int cmd_translate(struct vis_dbg *d, char *args)
{
    char *rest = args, *a = word(&rest);
    if (!a) return dbg_error(d, "translate: expected a virtual address, then optionally read|write|fetch and user|kernel");
    enum mmu_access acc = ACC_READ;
    bool user = dbg_ring(d) == 3;
    for (char *w; (w = word(&rest)) != NULL;) {
        if (!strcmp(w, "read")) acc = ACC_READ;
        else if (!strcmp(w, "write")) acc = ACC_WRITE;
        else if (!strcmp(w, "fetch")) acc = ACC_FETCH;
        else if (!strcmp(w, "user")) user = true;
        else if (!strcmp(w, "kernel")) user = false;
        else return dbg_error(d, "translate: unknown '%s': expected read, write, fetch, user or kernel", w);
    }
    char space;
    uint32_t va;
    if (!address_arg(d, "translate", a, &space, &va)) return VIS_DBG_ERROR;
    if (space != 'v') return dbg_error(d, "translate: expected a virtual address, not %c:", space);
    struct mmu_walk_ctx c = mmu_walk_ctx_now(d->m);
    c.user = user;
    mmu_probe(&c, va, acc, &d->probe);
    d->probe_on = true;
    d->probe_2d = c.two_d;
    if (d->fullscreen) {   /* show it */
        d->pane_on[PANE_WALK] = true;
        d->pane_front = PANE_WALK;
    }
    struct dbg_text t = {0};
    dbg_view_walk(d, &t, &d->probe, d->probe_2d, "translate");
    if (d->probe.faulted) dbg_text_add(&t, AT_ERROR, "the walk fails here: this access would fault");
    dbg_text_print(&t, d->out);
    dbg_text_free(&t);
    return VIS_DBG_OK;
}

/* ---- changing the machine --------------------------------------------------------------------------- */
static int cmd_set(struct vis_dbg *d, char *args)
{
    char *rest = args, *name = word(&rest);
    if (rest && *rest == '=') rest = skip(rest + 1);
    if (!name || !*rest) return dbg_error(d, "set: expected a register and a value, e.g. set r1 42");
    struct machine *m = d->m;
    uint32_t v;
    char err[256];
    if (!dbg_eval_all(d, rest, &v, err, sizeof err)) return dbg_error(d, "set %s: %s", name, err);
    int r = isa_reg_parse(name), cr = isa_creg_parse(name);
    if (r == 0) return dbg_error(d, "set: r0 always reads 0");
    if (r > 0) {
        m->cpu.r[r] = v;
    } else if (!strcasecmp(name, "pc")) {
        if (v & 3) return dbg_error(d, "set pc: expected a word-aligned address, not 0x%08x", v);
        m->cpu.pc = v;
    } else if (cr >= 0) {
        if (!isa_creg_writable[cr]) return dbg_error(d, "set: %s is read-only", isa_creg_name[cr]);
        if (dbg_deprivileged(d))
            return dbg_error(d, "set %s: the guest's control registers are the hypervisor's to emulate "
                                "under this mode; set them natively or under hw", name);
        if (cr == CR_SR) v &= SR_IE | SR_RING_MASK;
        m->cpu.cr[cr] = v;
        if (cr == CR_SR || cr == CR_PTB || cr == CR_ASID || cr == CR_MMU)
            mmu_context_changed(m, cr == CR_PTB || cr == CR_ASID);
    } else {
        return dbg_error(d, "set: unknown register '%s': expected r1..r15, sp, lr, pc or a control register", name);
    }
    /* the machine has left its recorded path: history goes on from here */
    dbg_history_checkpoint_now(d);
    dbg_printf(d, "%s = 0x%08x\n", name, v);
    return VIS_DBG_OK;
}

static int cmd_mode(struct vis_dbg *d, char *args)
{
    char *rest = args, *mode = word(&rest), *mmu = word(&rest);
    char now[96] = "native";
    if (d->hv) hv_technique_of(d->hv)->describe(d->hv, now, sizeof now);
    if (!mode) {
        dbg_printf(d, "mode: %s\n", now);
        return VIS_DBG_OK;
    }
    const struct hv_technique *t = hv_technique_named(mode);
    if (!t) return dbg_error(d, "mode: unknown mode '%s': expected %s", mode, hv_technique_names());
    enum hv_mmu mm = t->mmus ? t->default_mmu : HV_MMU_SHADOW;
    if (mmu && !hv_mmu_named(mmu, &mm))
        return dbg_error(d, "mode %s: unknown MMU '%s': expected shadow or nested", mode, mmu);
    if (rest && *rest) return dbg_error(d, "mode: unexpected '%s'", rest);
    if (!d->hv)
        return dbg_error(d, "mode: this session runs native; switching live needs a virtualised session "
                            "(start it with --mode te, bt or hw)");
    char err[256];
    if (!hv_switch(d->hv, t->mode, mm, err, sizeof err)) return dbg_error(d, "mode: %s", err);
    /* the next instruction is fetched afresh in the new technique */
    d->m->resume.valid = false;
    /* the machine has left its recorded path (as after `set`): history
     * goes on from here, and going forward past this step switches again */
    dbg_history_checkpoint_now(d);
    dbg_printf(d, "mode: now %s with %s paging (from the next instruction)\n", t->name, hv_mmu_name(mm));
    return VIS_DBG_OK;
}

/* in the order of enum vis_table */
static const char *const dot_tables[] = {"guest", "shadow", "nested", NULL};

static int cmd_dot(struct vis_dbg *d, char *args)
{
    char *rest = args, *which = word(&rest);
    struct vis_dot_request req = {.vm = d->m->vmx.cur >= 0 ? d->m->vmx.cur : 0};
    if (!which) return dbg_error(d, "dot: expected guest, shadow or nested, then optionally walk VADDR and a FILE");
    int k = 0;
    while (dot_tables[k] && strcmp(which, dot_tables[k])) k++;
    if (!dot_tables[k]) return dbg_error(d, "dot: unknown table '%s': expected guest, shadow or nested", which);
    req.table = (enum vis_table)k;
    char *file = NULL, path[256];
    for (char *w; (w = word(&rest)) != NULL;) {
        if (!strcmp(w, "walk")) {
            char *a = word(&rest), space;
            if (!a) return dbg_error(d, "dot walk: expected a virtual address");
            if (!address_arg(d, "dot walk", a, &space, &req.walk_vaddr)) return VIS_DBG_ERROR;
            req.walk = true;
        } else if (!file) {
            file = w;
        } else {
            return dbg_error(d, "dot: unexpected '%s'", w);
        }
    }
    if (!file) {
        snprintf(path, sizeof path, "ringsim-%s-step%llu.dot", which, (unsigned long long)d->pos);
        file = path;
    }
    char err[512];
    char *text = vis_dot_tables(d->m, &req, err, sizeof err);
    if (!text) return dbg_error(d, "dot: %s", err);
    bool ok = vis_dot_write(text, NULL, file, err, sizeof err);
    free(text);
    if (!ok) return dbg_error(d, "dot: %s", err);
    dbg_printf(d, "wrote %s\n", file);
    return VIS_DBG_OK;
}

void vis_dbg_set_save(struct vis_dbg *d, bool (*save)(void *ctx, const char *path, char *err, size_t errlen),
                      void *ctx)
{
    d->save = save;
    d->save_ctx = ctx;
}

static int save_breakpoints(struct vis_dbg *d, char *args);

/* The machine as it stands, to a save file: with the run's own cycle limit
 * and not stopped (a step or a breakpoint is the debugger's, not the run's),
 * so that `ringsim run FILE` carries on from here. */
static int cmd_save(struct vis_dbg *d, char *args)
{
    if (word_is(skip(args), "breakpoints")) return save_breakpoints(d, skip(args) + strlen("breakpoints"));
    char *rest = args, *file = word(&rest);
    if (!file || word(&rest)) return dbg_error(d, "save: expected one FILE");
    if (!d->save) return dbg_error(d, "save: this machine cannot be saved here");
    struct machine *m = d->m;
    if (m->stop != STOP_NONE && m->stop != STOP_STEPS && m->stop != STOP_BREAK && m->stop != STOP_CYCLE_LIMIT)
        return dbg_error(d, "save: the machine has stopped (%s): nothing to continue", stop_reason_name[m->stop]);
    uint64_t limit = m->max_cycles;
    enum stop_reason stop = m->stop;
    char detail[sizeof m->stop_detail];
    memcpy(detail, m->stop_detail, sizeof detail);
    m->max_cycles = d->max_cycles;
    m->stop = STOP_NONE;
    m->stop_detail[0] = 0;
    char err[4608];
    bool ok = d->save(d->save_ctx, file, err, sizeof err);
    m->max_cycles = limit;
    m->stop = stop;
    memcpy(m->stop_detail, detail, sizeof detail);
    if (!ok) return dbg_error(d, "save: %s", err);
    dbg_printf(d, "saved the machine at cycle %llu to %s (ringsim run %s continues it)\n",
               (unsigned long long)m->st.cycles, file, file);
    return VIS_DBG_OK;
}

static int cmd_pane(struct vis_dbg *d, char *args)
{
    char *rest = args, *name = word(&rest), *what = word(&rest);
    char names[256];
    list_names(names, sizeof names, dbg_pane_name, PANE_COUNT);
    if (!name) return dbg_error(d, "pane: expected a pane (%s) and on, off or zoom", names);
    int p = -1;
    for (int i = 0; i < PANE_COUNT; i++)
        if (!strcmp(name, dbg_pane_name[i])) p = i;
    if (p < 0) return dbg_error(d, "pane: unknown pane '%s': expected one of %s", name, names);
    if (!what) what = d->pane_on[p] ? "off" : "on";
    if (!strcmp(what, "on")) {
        d->pane_on[p] = true;
        d->pane_front = p;   /* on a screen too small for all, this one is shown */
    } else if (!strcmp(what, "off")) {
        d->pane_on[p] = false;
        if (d->zoom == p) d->zoom = -1;
    } else if (!strcmp(what, "zoom")) {
        d->pane_on[p] = true;
        d->zoom = d->zoom == p ? -1 : p;
    } else {
        return dbg_error(d, "pane %s: expected on, off or zoom, not '%s'", name, what);
    }
    if (rest && *rest) return dbg_error(d, "pane: unexpected '%s'", rest);
    dbg_printf(d, "pane %s: %s%s\n", name, d->pane_on[p] ? "on" : "off", d->zoom == p ? ", zoomed" : "");
    return VIS_DBG_OK;
}

/* ---- help and quit ------------------------------------------------------------------------------------- */
static const struct command *find(const char *name)
{
    for (const struct command *c = commands; c->name; c++)
        if (!strcmp(c->name, name) || (c->alias && !strcmp(c->alias, name))) return c;
    return NULL;
}

/* A command's usage with its list spelt out: "info regs|tlb|…". */
static void usage_of(const struct command *c, char *buf, size_t len)
{
    char subs[256] = "";
    size_t k = 0;
    for (int i = 0; c->subs && c->subs[i] && k < sizeof subs; i++)
        k += (size_t)snprintf(subs + k, sizeof subs - k, "%s%s", i ? "|" : "", c->subs[i]);
    snprintf(buf, len, c->usage, subs);
}

/* The names and aliases of the commands, NULL-terminated, for suggestions. */
static int command_names(const char **names, int max)
{
    int n = 0;
    for (const struct command *c = commands; c->name && n + 2 < max; c++) {
        names[n++] = c->name;
        if (c->alias) names[n++] = c->alias;
    }
    names[n] = NULL;
    return n;
}

static int unknown_command(struct vis_dbg *d, const char *what, const char *name)
{
    const char *names[64];
    command_names(names, 64);
    const char *near = vis_suggest(name, names, -1);
    if (near) return dbg_error(d, "%s '%s': did you mean %s? (help lists the commands)", what, name, near);
    return dbg_error(d, "%s '%s' (help lists the commands)", what, name);
}

static int cmd_help(struct vis_dbg *d, char *args)
{
    char *rest = args, *name = word(&rest);
    char usage[320];
    if (name) {
        if (!strncmp(name, "x/", 2)) name = "x";
        const struct command *c = find(name);
        if (!c) return unknown_command(d, "help: no command", name);
        usage_of(c, usage, sizeof usage);
        dbg_printf(d, "%s%s%s%s\n  %s\n", usage, c->alias ? "   (alias: " : "", c->alias ? c->alias : "",
                   c->alias ? ")" : "", c->help);
        if (c->fn == cmd_pane)
            for (int p = 0; p < PANE_COUNT; p++)
                dbg_printf(d, "  %-10s %-4s %s%s\n", dbg_pane_name[p], dbg_pane_key[p], dbg_pane_desc[p],
                           d->pane_on[p] ? "" : " (off)");
        return VIS_DBG_OK;
    }
    dbg_printf(d, "Commands (help CMD for one; docs/debugger.md for all):\n");
    for (const struct command *c = commands; c->name; c++) {
        usage_of(c, usage, sizeof usage);
        dbg_printf(d, "  %-40s %s\n", usage, c->help);
    }
    dbg_printf(d, "Addresses and conditions are expressions over registers, symbols, numbers, cause and reason;\n"
                  "prefix an address with v: (virtual, the default), g: (guest-physical) or h: (host-physical).\n");
    return VIS_DBG_OK;
}

/* ---- gdb's habits: source, save breakpoints, display ----------------------------------------------------- */
/* Runs FILE's lines as commands; the first that fails stops it, named by
 * file and line. */
static int cmd_source(struct vis_dbg *d, char *args)
{
    char *file = skip(args);
    if (!*file) return dbg_error(d, "source: expected a FILE of debugger commands");
    if (d->source_depth >= DBG_SOURCE_DEPTH)
        return dbg_error(d, "source %s: files sourced %d deep (one sources itself?)", file, d->source_depth);
    FILE *f = fopen(file, "r");
    if (!f) return dbg_error(d, "source %s: cannot read it: %s", file, strerror(errno));
    char *path = strdup(file), *line = NULL;
    size_t cap = 0;
    int rc = VIS_DBG_OK, lineno = 0;
    d->source_depth++;
    while (rc == VIS_DBG_OK && getline(&line, &cap, f) != -1) {
        lineno++;
        rc = vis_dbg_command(d, line);
        if (rc == VIS_DBG_ERROR) dbg_error(d, "source: stopped at %s:%d", path ? path : "?", lineno);
    }
    d->source_depth--;
    free(line);
    free(path);
    fclose(f);
    return rc;
}

/* The breakpoints as the commands that set them again. */
static int save_breakpoints(struct vis_dbg *d, char *args)
{
    char *rest = args, *file = word(&rest);
    if (!file || word(&rest)) return dbg_error(d, "save breakpoints: expected one FILE");
    size_t cap = 128 + (size_t)d->nbp * 256, len = 0;
    char *text = malloc(cap);
    if (!text) return dbg_error(d, "save breakpoints: out of memory");
    len += (size_t)snprintf(text + len, cap - len, "# ringsim debugger breakpoints: `source %s` sets them again\n",
                            file);
    for (int i = 0; i < d->nbp; i++) {
        const struct dbg_break *b = &d->bp[i];
        switch (b->kind) {
        case BK_ADDR: len += (size_t)snprintf(text + len, cap - len, "break 0x%08x", b->addr); break;
        case BK_TRAP:
            len += (size_t)snprintf(text + len, cap - len, "break trap %s", b->what < 0 ? "any" : isa_cause_name[b->what]);
            break;
        case BK_EXIT:
            len += (size_t)snprintf(text + len, cap - len, "break exit %s",
                                    b->what < 0 ? "any" : vmexit_reason_name[b->what]);
            break;
        case BK_WATCH:
            /* the word it watches, translated when it was set */
            len += (size_t)snprintf(text + len, cap - len, "watch h:0x%08x", b->haddr);
            break;
        }
        len += (size_t)snprintf(text + len, cap - len, "%s%s\n", b->cond[0] ? " if " : "", b->cond);
    }
    char err[4608];
    bool ok = write_file_atomic(file, text, err, sizeof err);
    free(text);
    if (!ok) return dbg_error(d, "save breakpoints: %s", err);
    dbg_printf(d, "Saved %d breakpoint%s to %s.\n", d->nbp, d->nbp == 1 ? "" : "s", file);
    return VIS_DBG_OK;
}

static void show_display(struct vis_dbg *d, const struct dbg_display *e)
{
    uint32_t v;
    char err[256];
    if (dbg_eval_all(d, e->expr, &v, err, sizeof err))
        dbg_printf(d, "%d: %s = 0x%08x (%d)\n", e->id, e->expr, v, (int32_t)v);
    else
        dbg_printf(d, "%d: %s = <%s>\n", e->id, e->expr, err);
}

static void show_displays(struct vis_dbg *d)
{
    for (int i = 0; i < d->ndisp; i++) show_display(d, &d->disp[i]);
}

static int cmd_display(struct vis_dbg *d, char *args)
{
    char *expr = skip(args);
    if (!*expr) {
        show_displays(d);
        return VIS_DBG_OK;
    }
    uint32_t v;
    char err[256];
    if (!dbg_eval_all(d, expr, &v, err, sizeof err)) return dbg_error(d, "display: %s", err);
    if (d->ndisp == DBG_MAX_DISPLAYS)
        return dbg_error(d, "display: already %d expressions shown (undisplay N removes one)", DBG_MAX_DISPLAYS);
    if (strlen(expr) >= sizeof d->disp[0].expr)
        return dbg_error(d, "display: expected an expression under %zu characters", sizeof d->disp[0].expr);
    struct dbg_display *e = &d->disp[d->ndisp++];
    e->id = ++d->next_disp;
    snprintf(e->expr, sizeof e->expr, "%s", expr);
    show_display(d, e);
    return VIS_DBG_OK;
}

static int cmd_undisplay(struct vis_dbg *d, char *args)
{
    char *s = skip(args), *end;
    if (!*s) {
        dbg_printf(d, "Removed %d display%s.\n", d->ndisp, d->ndisp == 1 ? "" : "s");
        d->ndisp = 0;
        return VIS_DBG_OK;
    }
    long id = strtol(s, &end, 10);
    if (end == s || *skip(end)) return dbg_error(d, "undisplay: expected a display number (see display), not '%s'", s);
    for (int i = 0; i < d->ndisp; i++) {
        if (d->disp[i].id != id) continue;
        memmove(&d->disp[i], &d->disp[i + 1], (size_t)(d->ndisp - i - 1) * sizeof d->disp[0]);
        d->ndisp--;
        dbg_printf(d, "Removed display %ld.\n", id);
        return VIS_DBG_OK;
    }
    return dbg_error(d, "undisplay: no display %ld (see display)", id);
}

static int cmd_quit(struct vis_dbg *d, char *args)
{
    (void)d;
    (void)args;
    return VIS_DBG_QUIT;
}

static int cmd_x_placeholder(struct vis_dbg *d, char *args) { return cmd_x(d, "", args); }

static const struct command commands[] = {
    {"step", "s", cmd_step, "step [N]", NULL, "run N steps (1): an instruction, or into a trap or VM exit",
     "N steps (1); with N > 1 breakpoints stop it early"},
    {"stepi", "si", cmd_step, "stepi [N]", NULL, "the same as step: one instruction a step", "the same as `step`"},
    {"next", "n", cmd_next, "next [N]", NULL, "step over a call (jal/jalr that links) or a syscall",
     "step over a call (`jal`/`jalr` that links) or a `syscall`: run until the next instruction, in the same "
     "frame (same sp)"},
    {"continue", "c", cmd_continue, "continue", NULL, "run until a breakpoint, the machine stops, or Ctrl-C",
     "run until a breakpoint or watchpoint, the machine stops, or Ctrl-C"},
    {"finish", "fin", cmd_finish, "finish", NULL, "run until the trap handler returns",
     "run until the trap handler the machine is in returns to the code it interrupted: the first return from a "
     "trap (`iret`; emulated under te and bt; the iret hypercall under pv) not matched by a trap taken on the way "
     "(breakpoints still stop it)"},
    {"backtrace", "bt", cmd_backtrace, "backtrace", NULL, "the trap frames: the pc, then the code each trap interrupted",
     "the trap frames, newest first: #0 the pc, then where each trap still being handled interrupted the code "
     "beneath it, with its cause and cycle, down to user code"},
    {"until", "u", cmd_until, "until ADDR", NULL, "run until pc reaches ADDR (or a breakpoint)",
     "run until pc is ADDR (breakpoints still stop it)"},
    {"break", "b", cmd_break, "break ADDR|trap C|exit R [if EXPR]", NULL, "stop at an address, a trap cause, a VM exit",
     "`break ADDR`: stop before the instruction at ADDR (a number, a symbol, an expression: `break kernel_trap+8`, "
     "`break *0x1000`); `break trap [CAUSE]`: stop on the handler's first instruction after a trap of CAUSE (any "
     "case: `PAGE_FAULT`, `syscall`, `timer`…; none = any trap); `break exit [REASON]`: stop after a VM exit for "
     "REASON (`io`, `hlt`, `vmcall`, `nested_violation`…; none = any), with a hypervisor; each with `if EXPR`"},
    {"watch", NULL, cmd_watch, "watch ADDR", NULL, "stop when the word at ADDR changes",
     "stop when the 32-bit word at ADDR changes (translated once, when set; `h:ADDR` for a physical word)"},
    {"delete", "d", cmd_delete, "delete [N]", NULL, "delete breakpoint N (or all)", "delete breakpoint N, or all"},
    {"info", "i", cmd_info, "info %s", info_subs, "show part of the machine",
     "print a pane (`info events [N]`: the last N events, with every reference of a walk), or: the VMCS "
     "(controls, exception bitmap, nested table, last exit), all statistics, the current page table as runs of "
     "mappings, the breakpoints with their hit counts, all the guest printed (`console`), how far back reverse "
     "execution reaches (`history`); `info bt` the binary-translation block containing pc beside its translation, "
     "`info pv` the paravirtual guest's shared page, hypercalls and validated tables (below), `info ns` the "
     "running process's pids, namespaces (with the mount, network and cgroup ones, in kernels that have them) "
     "and cgroup (a kernel built with containers: docs/containers.md), `info dev` the devices of the "
     "running VM (else VM 0), as the Devices pane shows them: the block device's registers and the command in "
     "flight, the split driver's queue (available and used indexes, the requests outstanding), a mirror's two "
     "files; the network interface's transmit and receive rings (available and used indexes, interrupt "
     "suppression), the frames in flight to it and its drops; passed through, the IOMMU's domain and IOTLB; the "
     "switch's ports; and the last device events (docs/io.md)"},
    {"x", NULL, cmd_x_placeholder, "x/FMT ADDR", NULL, "examine memory: x/8x sp, x/4i pc, x/s h:0x100",
     "examine memory: FMT is a count and one of `x` (hex words), `d`, `u`, `b` (bytes), `c`, `s` (strings), `i` "
     "(instructions): `x/8x sp`, `x/4i pc`, `x/s h:0x100`"},
    {"translate", "t", cmd_translate, "translate VADDR [read|write|fetch] [user|kernel]", NULL,
     "walk VADDR's page tables, no side effects",
     "walk the page tables for VADDR as the MMU would, through both dimensions under nested paging, without "
     "executing: no TLB fill, no A/D bits, no cycles.  The Page walk pane shows it"},
    {"set", NULL, cmd_set, "set REG VALUE", NULL, "change a register (r1..r15, sp, lr, pc, a control register)",
     "change r1…r15, sp, lr, pc or a writable control register; history goes on from the changed machine"},
    {"mode", NULL, cmd_mode, "mode [MODE [MMU]]", NULL,
     "show the virtualisation mode, or switch it live: te, bt, hw; shadow, nested",
     "show the virtualisation mode, or switch it live at the current instruction: between `te`, `bt` and `hw` with "
     "`shadow` paging and `hw` with `nested` paging (MMU defaults to nested for `hw`, shadow otherwise); one VM, "
     "not `pv` or `native`.  Going back in history past a switch returns to the old mode; a `goto` forward past it "
     "switches again"},
    {"dot", NULL, cmd_dot, "dot %s [walk VADDR] [FILE]", dot_tables, "write the page tables as Graphviz",
     "write the page tables as Graphviz DOT (rendered by Graphviz if FILE ends in .svg, .png, .pdf, .jpg or "
     "another of its formats)"},
    {"save", NULL, cmd_save, "save FILE | save breakpoints FILE", NULL,
     "write the whole machine to a save file, or the breakpoints as commands",
     "write the whole machine — CPU, memory, devices, the hypervisor's state, the statistics — to FILE "
     "(docs/savefile.md), atomically; `ringsim run FILE` or `ringsim debug FILE` continues from this instruction, "
     "as the run would have.  `save breakpoints FILE` writes the breakpoints and watchpoints, with their "
     "conditions, as the commands that set them (`source FILE` sets them again; a watchpoint as the physical word "
     "it watches)"},
    {"source", NULL, cmd_source, "source FILE", NULL, "run the debugger commands in FILE",
     "run FILE's lines as debugger commands (`#` starts a comment); the first that fails stops it, named by file "
     "and line.  `ringsim debug --batch FILE` does the same for a whole session"},
    {"display", NULL, cmd_display, "display [EXPR]", NULL, "show EXPR after every command that moves the machine",
     "show the value of EXPR (registers, symbols, memory: `display r1`, `display *sp`) now and after every "
     "command that moves the machine; without EXPR, show them all"},
    {"undisplay", NULL, cmd_undisplay, "undisplay [N]", NULL, "stop showing display N (or all)",
     "stop showing display N, or all of them"},
    {"pane", NULL, cmd_pane, "pane NAME on|off|zoom", NULL, "show, hide or zoom a pane of the full screen",
     "show, hide or zoom a pane of the full screen: `registers` (F2), `code` (F3), `memory` (F4), `tlb` (F5), "
     "`walk` (F6), `events` (F7), `cycles` (F8), `console` (F9), `devices` (F11: the disk's and the network's "
     "queues and rings and the last device events, as `info dev`; on by itself with `--disk` or `--net`); "
     "`help pane` lists them"},
    {"reverse-step", "rs", cmd_reverse_step, "reverse-step [N]", NULL, "go back N steps", "go back N steps"},
    {"reverse-continue", "rc", cmd_reverse_continue, "reverse-continue", NULL, "go back to the last breakpoint or event",
     "go back to the latest earlier step where a breakpoint or watchpoint would have stopped, or a trap, interrupt "
     "or VM exit happened"},
    {"goto", NULL, cmd_goto, "goto CYCLE | goto step N", NULL, "go to a moment in the recorded history",
     "go to the first step at or after a cycle, or to a step, anywhere in the recorded history"},
    {"history", NULL, cmd_history, "history", NULL, "how far back reverse execution reaches",
     "how far back reverse execution reaches, and its checkpoints"},
    {"help", "h", cmd_help, "help [CMD]", NULL, "this list, or one command", "the list, or one command"},
    {"quit", "q", cmd_quit, "quit", NULL, "leave the debugger", "leave"},
    {NULL, NULL, NULL, NULL, NULL, NULL, NULL},
};

/* Markdown code in a table cell: a '|' would end the cell. */
static void md_code(FILE *out, const char *s)
{
    fputc('`', out);
    for (; *s; s++) {
        if (*s == '|') fputs("\\|", out);
        else fputc(*s, out);
    }
    fputc('`', out);
}

void vis_dbg_commands_markdown(FILE *out)
{
    fputs("| command | what it does |\n|---|---|\n", out);
    char usage[320];
    for (const struct command *c = commands; c->name; c++) {
        usage_of(c, usage, sizeof usage);
        fputs("| ", out);
        md_code(out, usage);
        if (c->alias) fprintf(out, ", `%s`", c->alias);
        fprintf(out, " | %s |\n", c->doc);
    }
}

int vis_dbg_command(struct vis_dbg *d, const char *line)
{
    char *buf = strdup(line ? line : "");
    if (!buf) return dbg_error(d, "out of memory");
    char *p = skip(buf);
    size_t n = strlen(p);
    while (n && (p[n - 1] == '\n' || p[n - 1] == '\r' || p[n - 1] == ' ' || p[n - 1] == '\t')) p[--n] = 0;
    int rc = VIS_DBG_OK;
    if (*p && *p != '#') {
        char *rest = p, *name = word(&rest);
        if (!strncmp(name, "x/", 2) || !strcmp(name, "x")) {
            rc = cmd_x(d, name[1] == '/' ? name + 2 : "", rest);
        } else {
            const struct command *c = find(name);
            uint64_t pos = d->pos, cycles = d->m->st.cycles;
            if (c) rc = c->fn(d, rest);
            else rc = unknown_command(d, "unknown command", name);
            if (rc != VIS_DBG_QUIT && d->ndisp && c && c->fn != cmd_display && c->fn != cmd_source &&
                (d->pos != pos || d->m->st.cycles != cycles))
                show_displays(d);
        }
    }
    free(buf);
    fflush(d->out);
    return rc;
}

/* ---- tab completion --------------------------------------------------------------------------------------- */
struct cands {
    char **v;
    int n, cap;
    const char *prefix;
};

static void cand(struct cands *c, const char *s)
{
    if (strncmp(s, c->prefix, strlen(c->prefix)) != 0) return;
    for (int i = 0; i < c->n; i++)
        if (!strcmp(c->v[i], s)) return;
    if (c->n + 1 >= c->cap) {
        int cap = c->cap ? c->cap * 2 : 32;
        char **p = realloc(c->v, (size_t)cap * sizeof *p);
        if (!p) return;
        c->v = p;
        c->cap = cap;
    }
    c->v[c->n++] = strdup(s);
    c->v[c->n] = NULL;
}

static void cand_list(struct cands *c, const char *const *names, int n)
{
    for (int i = 0; i < n || (n < 0 && names[i]); i++) cand(c, names[i]);
}

static void cand_registers(struct cands *c)
{
    for (unsigned r = 0; r < ISA_NREGS; r++) {
        char name[16];
        snprintf(name, sizeof name, "r%u", r);
        cand(c, name);
    }
    cand(c, "sp");
    cand(c, "lr");
    cand(c, "pc");
}

static void cand_symbols(struct vis_dbg *d, struct cands *c)
{
    for (int i = 0; d->img && i < d->img->nsymbols; i++) cand(c, d->img->symbols[i].name);
}

char **dbg_complete(struct vis_dbg *d, const char *line, const char *word_prefix)
{
    struct cands c = {NULL, 0, 0, word_prefix};
    char *buf = strdup(line), *rest = buf, *w;
    char *words[8];
    int nw = 0;
    while (nw < 8 && (w = word(&rest)) != NULL) words[nw++] = w;
    const struct command *cmd = nw ? find(!strncmp(words[0], "x/", 2) ? "x" : words[0]) : NULL;
    bool in_cond = false;
    for (int i = 1; i < nw; i++) in_cond |= !strcmp(words[i], "if");
    if (nw == 0) {
        for (const struct command *k = commands; k->name; k++) cand(&c, k->fn == cmd_x_placeholder ? "x/" : k->name);
    } else if (!cmd) {
        /* nothing to offer after an unknown command */
    } else if (in_cond) {
        cand_registers(&c);
        cand_list(&c, isa_creg_name, CR_COUNT);
        static const char *const facts[] = {"ring", "ie", "insns", "cycles", "step", "vm", "reason", "qual", NULL};
        cand_list(&c, facts, -1);
        cand_list(&c, isa_cause_name, CAUSE_COUNT);
        if (d->hv) cand_list(&c, vmexit_reason_name, EXIT_COUNT);
        cand_symbols(d, &c);
    } else if (cmd->fn == cmd_break && nw == 2 && !strcmp(words[1], "trap")) {
        cand_list(&c, isa_cause_name, CAUSE_COUNT);
        cand(&c, "if");
    } else if (cmd->fn == cmd_break && nw == 2 && !strcmp(words[1], "exit")) {
        cand_list(&c, vmexit_reason_name, EXIT_COUNT);
        cand(&c, "if");
    } else if (cmd->fn == cmd_break && nw >= 2) {
        cand(&c, "if");
    } else if (cmd->fn == cmd_break || cmd->fn == cmd_until || cmd->fn == cmd_x_placeholder ||
               cmd->fn == cmd_translate || cmd->fn == cmd_watch) {
        if (cmd->fn == cmd_break) {
            cand(&c, "trap");
            if (d->hv) cand(&c, "exit");
        }
        if (cmd->fn == cmd_translate && nw >= 2) {
            static const char *const how[] = {"read", "write", "fetch", "user", "kernel", NULL};
            cand_list(&c, how, -1);
        } else {
            cand_registers(&c);
            cand_symbols(d, &c);
        }
    } else if (cmd->subs && nw == 1) {
        cand_list(&c, cmd->subs, -1);
    } else if (cmd->fn == cmd_pane && nw == 1) {
        cand_list(&c, dbg_pane_name, PANE_COUNT);
    } else if (cmd->fn == cmd_pane && nw == 2) {
        static const char *const how[] = {"on", "off", "zoom", NULL};
        cand_list(&c, how, -1);
    } else if (cmd->fn == cmd_set && nw == 1) {
        cand_registers(&c);
        cand_list(&c, isa_creg_name, CR_COUNT);
    } else if (cmd->fn == cmd_set) {
        cand_registers(&c);
        cand_symbols(d, &c);
    } else if (cmd->fn == cmd_help && nw == 1) {
        for (const struct command *k = commands; k->name; k++) cand(&c, k->name);
    } else if (cmd->fn == cmd_mode && nw == 1) {
        cand_list(&c, hv_technique_name_array(), -1);
    } else if (cmd->fn == cmd_mode && nw == 2) {
        cand_list(&c, hv_mmu_name_array(), -1);
    } else if (cmd->fn == cmd_dot) {
        cand(&c, "walk");
        cand_symbols(d, &c);
    } else if (cmd->fn == cmd_goto && nw == 1) {
        cand(&c, "step");
    }
    free(buf);
    return c.v;
}
