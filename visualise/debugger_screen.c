/*
 * debugger_screen.c — the full-screen debugger: ncurses panes above, the
 * output of commands below them, a readline command line at the bottom.
 *
 * ncurses owns the terminal; readline only edits the line.  That is
 * readline's callback ("alternate") interface: the loop reads a key with
 * ncurses, hands it to readline (rl_callback_read_char, through our
 * rl_getc_function), and readline calls back with a finished line, which
 * the shared interpreter (debugger_cmd.c) runs with its output captured
 * into the output pane.  Readline never touches the terminal itself: its
 * redisplay is ours (the prompt line), and completions are shown in the
 * output pane.  Readline's callbacks take no context, so the session being
 * shown is the one static pointer of this file.
 *
 * Layout: three rows of panes (Registers | Code | Memory, TLB | Page walk |
 * Devices, Events | Cycles | Console), each pane as wide as its lines ask; what does
 * not fit takes turns in the last place (F12; see lay_out).  Any pane can be hidden,
 * shown or zoomed to the whole area (`pane NAME on|off|zoom`, its key —
 * F2..F9, F11 — toggles it, F10 unzooms).  Everything is recomputed on every redraw, so a resize is
 * just a redraw.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <locale.h>
#include <ncurses.h>
#include <readline/history.h>
#include <readline/readline.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hypervisor/technique.h"
#include "visualise/debugger.h"

#define PROMPT "(ringsim) "
#define OUTLOG_MAX (256u << 10)

struct screen {
    struct vis_dbg *d;
    char *log;                 /* the output pane: everything commands printed */
    size_t log_len;
    int scroll;                /* output lines scrolled back */
    char last[256];            /* the last command that moves: Enter repeats it */
    bool quit;
    int key;                   /* the key handed to readline */
    bool key_ready;
    char **matches;            /* tab completion candidates, for the generator */
    const char *history_file;
    bool busy;                 /* a command is running */
};

static struct screen *S;       /* the one session on the screen (readline has no context) */

enum { C_HEAD = 1, C_CURRENT, C_MARK, C_ERROR, C_HL, C_TITLE };

/* ---- the output pane ------------------------------------------------------------------ */
static void log_append(const char *text, size_t n)
{
    if (S->log_len + n + 1 > OUTLOG_MAX) {
        /* forget the oldest half */
        size_t cut = S->log_len / 2;
        while (cut < S->log_len && S->log[cut - 1] != '\n') cut++;
        memmove(S->log, S->log + cut, S->log_len - cut);
        S->log_len -= cut;
    }
    char *p = realloc(S->log, S->log_len + n + 1);
    if (!p) return;
    S->log = p;
    memcpy(S->log + S->log_len, text, n);
    S->log_len += n;
    S->log[S->log_len] = 0;
}

static void log_str(const char *s) { log_append(s, strlen(s)); }

/* ---- drawing ------------------------------------------------------------------------------- */
static int attr_of(int a)
{
    switch (a) {
    case AT_HEAD: return A_BOLD;
    case AT_CURRENT: return has_colors() ? COLOR_PAIR(C_CURRENT) | A_BOLD : A_REVERSE;
    case AT_MARK: return has_colors() ? COLOR_PAIR(C_MARK) : A_BOLD;
    case AT_DIM: return A_DIM;
    case AT_ERROR: return has_colors() ? COLOR_PAIR(C_ERROR) | A_BOLD : A_BOLD;
    default: return A_NORMAL;
    }
}

/* Draws one line of text at (y, x), at most w columns, honouring the
 * highlight markers; pads with blanks so the line's attribute fills it. */
static void draw_text(int y, int x, int w, const char *s, int attr)
{
    int base = attr_of(attr), hl = has_colors() ? COLOR_PAIR(C_HL) | A_BOLD : A_BOLD;
    int col = 0;
    move(y, x);
    attrset(base);
    for (const char *p = s; *p && col < w; p++) {
        if (*p == HL_ON[0]) { attrset(hl); continue; }
        if (*p == HL_OFF[0]) { attrset(base); continue; }
        addch((unsigned char)(*p == '\t' ? ' ' : *p));
        col++;
    }
    attrset(base);
    for (; col < w; col++) addch(' ');
    attrset(A_NORMAL);
}

static void draw_title(int y, int x, int w, enum dbg_pane p, bool zoomed)
{
    char t[128];
    snprintf(t, sizeof t, " %s%s (%s)", dbg_pane_title[p], zoomed ? " [zoom]" : "", dbg_pane_key[p]);
    attrset(has_colors() ? COLOR_PAIR(C_TITLE) | A_BOLD : A_REVERSE);
    mvaddnstr(y, x, t, w);
    for (int col = (int)strlen(t); col < w; col++) addch(' ');
    attrset(A_NORMAL);
}

/* The lines of pane p for a box of w x h (content rows). */
static void pane_text(struct vis_dbg *d, enum dbg_pane p, int w, int h, struct dbg_text *t)
{
    switch (p) {
    case PANE_REGS: dbg_view_regs(d, t, w); break;
    case PANE_CODE: dbg_view_code(d, t, h, w); break;
    case PANE_MEMORY: dbg_view_memory(d, t, h, w); break;
    case PANE_TLB: dbg_view_tlb(d, t, w); break;
    case PANE_WALK: dbg_view_walk_pane(d, t); break;
    case PANE_EVENTS: dbg_view_events(d, t, h, false); break;
    case PANE_CYCLES: dbg_view_cycles(d, t); break;
    case PANE_CONSOLE: dbg_view_console(d, t, h); break;
    case PANE_DEVICES: dbg_view_dev(d, t, DBG_DEV_EVENTS); break;
    default: break;
    }
}

static void draw_pane(struct vis_dbg *d, enum dbg_pane p, int y, int x, int w, int h)
{
    if (w < 4 || h < 2) return;
    draw_title(y, x, w, p, d->zoom == (int)p);
    struct dbg_text t = {0};
    pane_text(d, p, w, h - 1, &t);
    int first = 0;
    if (p == PANE_TLB && t.n > h - 1) {
        /* keep the two header lines, and the marked entry in view */
        int hot = -1;
        for (int i = 2; i < t.n; i++)
            if (t.lines[i].attr == AT_CURRENT) hot = i;
        int room = h - 3;
        first = hot > 2 + room - 1 ? hot - room + 1 : 0;
        for (int i = 0; i < 2 && i < h - 1; i++) draw_text(y + 1 + i, x, w, t.lines[i].text, t.lines[i].attr);
        for (int r = 0; r < room; r++) {
            int i = (first ? first : 2) + r;
            draw_text(y + 3 + r, x, w, i < t.n ? t.lines[i].text : "", i < t.n ? t.lines[i].attr : AT_NORMAL);
        }
        dbg_text_free(&t);
        return;
    }
    for (int r = 0; r < h - 1; r++) {
        int i = first + r;
        const char *text = i < t.n ? t.lines[i].text : "";
        char cut[512];
        const char *cost = p == PANE_EVENTS || p == PANE_DEVICES ? strstr(text, " cost=") : NULL;
        if (cost && (int)strlen(text) > w) {
            /* an event too long for the pane keeps its cost: the middle gives way */
            int tail = (int)strlen(cost), head = w - tail - 4;
            if (head > 12) {
                snprintf(cut, sizeof cut, "%.*s ..%s", head, text, cost);
                text = cut;
            }
        }
        draw_text(y + 1 + r, x, w, text, i < t.n ? t.lines[i].attr : AT_NORMAL);
    }
    dbg_text_free(&t);
}

/* ---- the layout ------------------------------------------------------------------------
 * Panes sit in three rows (registers, code, memory | TLB, page walk,
 * devices | events, cycles, console), each as wide as what it holds asks, within what
 * the row has.  Every redraw lays them out again for the terminal's size
 * now, so a resize never leaves panes squeezed or hidden.  When rows or
 * columns run out, the panes that do not fit share the last place on the
 * screen: F12 brings the next one there, `pane NAME on` that one. */
static const int pane_row[PANE_COUNT] = {
    [PANE_REGS] = 0, [PANE_CODE] = 0, [PANE_MEMORY] = 0, [PANE_TLB] = 1,
    [PANE_WALK] = 1, [PANE_EVENTS] = 2, [PANE_CYCLES] = 2, [PANE_CONSOLE] = 2, [PANE_DEVICES] = 1,
};
/* the narrowest a pane is useful at */
static const int pane_min_w[PANE_COUNT] = {
    [PANE_REGS] = 39, [PANE_CODE] = 38, [PANE_MEMORY] = 50, [PANE_TLB] = 36,
    [PANE_WALK] = 40, [PANE_EVENTS] = 44, [PANE_CYCLES] = 40, [PANE_CONSOLE] = 30, [PANE_DEVICES] = 44,
};
/* the order panes give way in when there is no room for all: last first */
static const int pane_order[PANE_COUNT] = {PANE_REGS, PANE_CODE, PANE_EVENTS, PANE_CYCLES, PANE_TLB,
                                           PANE_WALK, PANE_DEVICES, PANE_CONSOLE, PANE_MEMORY};

/* The registers pane's width (four registers a line when there is room,
 * else three) and the height that shows all of it. */
static int regs_width(int W) { return W >= 150 ? 52 : 39; }
static int regs_height(struct vis_dbg *d, int W)
{
    struct dbg_text t = {0};
    dbg_view_regs(d, &t, regs_width(W));
    int h = t.n + 1;
    dbg_text_free(&t);
    return h;
}

/* How wide pane p would like to be: its longest line, at most the screen. */
static int pane_want_w(struct vis_dbg *d, int p, int h, int W)
{
    struct dbg_text t = {0};
    if (p == PANE_REGS) return regs_width(W);
    pane_text(d, (enum dbg_pane)p, W, h, &t);
    int want = (int)strlen(dbg_pane_title[p]) + 8;
    for (int i = 0; i < t.n; i++) {
        int n = 0;
        for (const char *c = t.lines[i].text; *c; c++)
            if (*c != HL_ON[0] && *c != HL_OFF[0] && ((unsigned char)*c & 0xc0) != 0x80) n++;
        if (n + 1 > want) want = n + 1;
    }
    dbg_text_free(&t);
    if (want < pane_min_w[p]) want = pane_min_w[p];
    return want > W ? W : want;
}

struct layout {
    int rows[3][PANE_COUNT], nrow[3];
    int heights[3];
    int hidden[PANE_COUNT], nhidden;   /* on, but no room: they share the last place */
    int front_row, front_i;            /* that place, or front_row < 0 */
};


/* Which panes fit in W x height, in which rows, how tall. */
static void lay_out(struct vis_dbg *d, int height, int W, struct layout *L)
{
    memset(L, 0, sizeof *L);
    L->front_row = -1;
    int regs_h = regs_height(d, W);
    /* rows that fit: each below the first needs 7 lines */
    int nrows = height >= regs_h + 14 ? 3 : height >= regs_h + 7 ? 2 : 1;
    for (int k = 0; k < PANE_COUNT; k++) {
        int p = pane_order[k];
        if (!d->pane_on[p]) continue;
        int r = pane_row[p] < nrows ? pane_row[p] : nrows - 1;
        /* room in row r for one more, each at its minimum? */
        int need = pane_min_w[p];
        for (int i = 0; i < L->nrow[r]; i++) need += pane_min_w[L->rows[r][i]] + 1;
        if (need <= W) L->rows[r][L->nrow[r]++] = p;
        else L->hidden[L->nhidden++] = p;
    }
    /* keep each row in its own order (left to right as the table above) */
    for (int r = 0; r < 3; r++)
        for (int i = 1; i < L->nrow[r]; i++)
            for (int j = i; j > 0 && L->rows[r][j - 1] > L->rows[r][j]; j--) {
                int t = L->rows[r][j];
                L->rows[r][j] = L->rows[r][j - 1];
                L->rows[r][j - 1] = t;
            }
    if (L->nhidden) {
        /* the last place of the last row takes turns: the pane in front, or
         * the one there now if none is */
        int r = nrows - 1;
        while (r > 0 && !L->nrow[r]) r--;
        if (L->nrow[r]) {
            L->front_row = r;
            L->front_i = L->nrow[r] - 1;
            int here = L->rows[r][L->front_i], front = d->pane_front;
            if (front < 0 || !d->pane_on[front]) {
                /* none chosen: the one that gives way last */
                for (int k = PANE_COUNT - 1; k >= 0; k--) {
                    int p = pane_order[k];
                    bool cand = p == here;
                    for (int i = 0; i < L->nhidden; i++) cand = cand || L->hidden[i] == p;
                    if (cand) front = p;
                }
            }
            bool hidden = false;
            for (int i = 0; i < L->nhidden; i++) hidden = hidden || L->hidden[i] == front;
            if (hidden && here != PANE_REGS && here != PANE_CODE) {
                /* swap: the one in front shows, the one that was there waits */
                for (int i = 0; i < L->nhidden; i++)
                    if (L->hidden[i] == front) L->hidden[i] = here;
                L->rows[r][L->front_i] = front;
            }
        }
    }
    int used = 0;
    for (int r = 0; r < 3; r++) used += L->nrow[r] > 0;
    if (!used) return;
    int rest_rows = (L->nrow[1] > 0) + (L->nrow[2] > 0);
    if (L->nrow[0]) L->heights[0] = rest_rows ? (regs_h < height * 55 / 100 ? regs_h : height * 55 / 100) : height;
    if (L->nrow[0] && rest_rows && height - L->heights[0] > 2 * 14 * rest_rows) L->heights[0] = height - 14 * rest_rows;
    int left = height - L->heights[0];
    for (int r = 1; r < 3; r++)
        if (L->nrow[r]) L->heights[r] = left / rest_rows + ((r == 2 || !L->nrow[2]) ? left % rest_rows : 0);
}

/* The panes of the last place in turn: F12. */
static void next_front(void)
{
    struct vis_dbg *d = S->d;
    int H, W;
    getmaxyx(stdscr, H, W);
    struct layout L;
    lay_out(d, H - (H >= 40 ? 8 : H >= 30 ? 5 : 3) - 2, W, &L);
    if (L.front_row < 0 || !L.nhidden) return;
    /* the next on-pane after the one in front, among the ones that take turns */
    int turn[PANE_COUNT], n = 0, cur = L.rows[L.front_row][L.front_i];
    for (int p = 0; p < PANE_COUNT; p++) {
        bool in = p == cur;
        for (int i = 0; i < L.nhidden; i++) in = in || L.hidden[i] == p;
        if (in) turn[n++] = p;
    }
    for (int i = 0; i < n; i++)
        if (turn[i] == cur) d->pane_front = turn[(i + 1) % n];
}

static void draw_panes(struct vis_dbg *d, int top, int height, int W)
{
    if (d->zoom >= 0) {
        draw_pane(d, (enum dbg_pane)d->zoom, top, 0, W, height);
        return;
    }
    struct layout L;
    lay_out(d, height, W, &L);
    int y = top;
    for (int r = 0; r < 3; r++) {
        int n = L.nrow[r];
        if (!n) continue;
        /* widths: each its minimum, then what is left to those that want
         * more, in proportion to how much more; the last takes the rest */
        int w[PANE_COUNT], want[PANE_COUNT], left = W - (n - 1), extra = 0;
        for (int i = 0; i < n; i++) {
            int p = L.rows[r][i];
            want[i] = pane_want_w(d, p, L.heights[r] - 1, W);
            /* the registers are as wide as the row's height was made for */
            w[i] = p == PANE_REGS ? want[i] : pane_min_w[p];
            left -= w[i];
            extra += want[i] - w[i];
        }
        for (int i = 0; i < n && left > 0 && extra > 0; i++) {
            int more = (int)((long)left * (want[i] - w[i]) / extra);
            if (more > want[i] - w[i]) more = want[i] - w[i];
            w[i] += more;
        }
        int x = 0;
        for (int i = 0; i < n; i++) {
            int p = L.rows[r][i];
            int wi = i == n - 1 ? W - x : w[i];
            bool turns = r == L.front_row && i == L.front_i;
            draw_pane(d, (enum dbg_pane)p, y, x, wi, L.heights[r]);
            if (turns && wi > 20) {
                /* the place the panes that do not fit take in turns */
                char more[32];
                snprintf(more, sizeof more, " +%d F12 ", L.nhidden);
                attrset(has_colors() ? COLOR_PAIR(C_TITLE) | A_BOLD : A_REVERSE);
                mvaddstr(y, x + wi - (int)strlen(more), more);
                attrset(A_NORMAL);
            }
            if (i < n - 1) mvvline(y, x + wi, ACS_VLINE, L.heights[r]);
            x += wi + 1;
        }
        y += L.heights[r];
    }
}

/* The pane whose function key (its entry in DBG_PANES) ch is, or -1. */
static int pane_of_key(int ch)
{
    for (int p = 0; p < PANE_COUNT; p++)
        if (ch == KEY_F(atoi(dbg_pane_key[p] + 1))) return p;
    return -1;
}

static void draw_status(struct vis_dbg *d, int y, int W)
{
    struct machine *m = d->m;
    char mode[64] = "native";
    if (d->hv) hv_config_name(d->hv->cfg.mode, d->hv->cfg.mmu, mode, sizeof mode);
    char s[512];
    snprintf(s, sizeof s, " %s, %u levels | step %llu cycle %llu | %s | F1 help  F2-F9,F11 panes  F10 unzoom  F12 next pane  PgUp/PgDn",
             mode, m->levels, (unsigned long long)d->pos, (unsigned long long)m->st.cycles,
             S->busy ? "running... (Ctrl-C stops)" : d->status[0] ? d->status : dbg_running(d) ? "stopped" : m->stop_detail);
    attrset(A_REVERSE);
    mvaddnstr(y, 0, s, W);
    for (int x = (int)strlen(s); x < W; x++) mvaddch(y, x, ' ');
    attrset(A_NORMAL);
}

/* The last h lines of the output pane (minus the scroll). */
static void draw_output(int y, int h, int W)
{
    const char *lines[512];
    int n = 0;
    size_t i = S->log_len;
    int want = h + S->scroll;
    if (want > 500) want = 500;
    if (i && S->log[i - 1] == '\n') i--;
    while (S->log && n < want) {
        while (i > 0 && S->log[i - 1] != '\n') i--;
        lines[n++] = S->log + i;
        if (i == 0) break;
        i--;
    }
    if (S->scroll > n - h) S->scroll = n - h > 0 ? n - h : 0;
    for (int r = 0; r < h; r++) {
        int k = h - 1 - r + S->scroll;   /* lines[0] is the newest */
        char buf[1024] = "";
        int attr = AT_NORMAL;
        if (k < n) {
            const char *l = lines[k];
            size_t len = strcspn(l, "\n");
            if (len >= sizeof buf) len = sizeof buf - 1;
            memcpy(buf, l, len);
            buf[len] = 0;
            if (!strncmp(buf, "error:", 6)) attr = AT_ERROR;
            else if (!strncmp(buf, PROMPT, strlen(PROMPT))) attr = AT_HEAD;
        }
        draw_text(y + r, 0, W, buf, attr);
    }
}

static void draw_prompt(void)
{
    int H, W;
    getmaxyx(stdscr, H, W);
    const char *line = rl_line_buffer ? rl_line_buffer : "";
    int plen = (int)strlen(PROMPT), point = rl_point;
    int room = W - plen - 1 > 1 ? W - plen - 1 : 1;
    int from = point > room ? point - room : 0;
    move(H - 1, 0);
    attrset(A_BOLD);
    addstr(PROMPT);
    attrset(A_NORMAL);
    addnstr(line + from, room);
    clrtoeol();
    move(H - 1, plen + point - from);
}

static void redraw(void)
{
    struct vis_dbg *d = S->d;
    int H, W;
    getmaxyx(stdscr, H, W);
    erase();
    if (W < 40 || H < 12) {
        mvaddstr(0, 0, "ringsim: the terminal is too small (80x24 or more)");
        draw_prompt();
        refresh();
        return;
    }
    int out_h = H >= 40 ? 8 : H >= 30 ? 5 : 3;
    int panes_h = H - out_h - 2;
    draw_panes(d, 0, panes_h, W);
    draw_status(d, panes_h, W);
    draw_output(panes_h + 1, out_h, W);
    draw_prompt();
    refresh();
}

/* During a long run: the panes as they are, and how to stop. */
static void progress(struct vis_dbg *d)
{
    (void)d;
    redraw();
}

/* ---- running a command ----------------------------------------------------------------------- */
static bool moves(const char *cmd)
{
    static const char *const m[] = {"step", "s", "stepi", "si", "next", "n", "reverse-step", "rs", NULL};
    char w[32];
    sscanf(cmd, "%31s", w);
    for (int i = 0; m[i]; i++)
        if (!strcmp(w, m[i])) return true;
    return false;
}

static void run_command(const char *line)
{
    struct vis_dbg *d = S->d;
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    if (!mem) return;
    FILE *out = d->out, *err = d->err;
    d->out = d->err = mem;
    char echo[512];
    snprintf(echo, sizeof echo, PROMPT "%s\n", line);
    log_str(echo);
    S->busy = true;
    redraw();
    int rc = vis_dbg_command(d, line);
    S->busy = false;
    fclose(mem);
    d->out = out;
    d->err = err;
    if (buf) log_append(buf, len);
    free(buf);
    S->scroll = 0;
    if (rc == VIS_DBG_QUIT) S->quit = true;
}

/* readline calls this with a finished line (NULL at end of input). */
static void on_line(char *line)
{
    if (!line) {
        S->quit = true;
        return;
    }
    char *p = line;
    while (*p == ' ') p++;
    rl_replace_line("", 0);   /* the command line is empty while the command runs */
    rl_point = 0;
    if (!*p && S->last[0]) {
        run_command(S->last);   /* Enter alone repeats a step */
    } else if (*p) {
        HIST_ENTRY *h = history_length ? history_get(history_base + history_length - 1) : NULL;
        if (!h || strcmp(h->line, p)) add_history(p);
        if (moves(p)) snprintf(S->last, sizeof S->last, "%s", p);
        else S->last[0] = 0;
        run_command(p);
    }
    free(line);
    redraw();
}

/* ---- readline, told to leave the terminal to us ------------------------------------------------ */
static int rl_getc_ours(FILE *f)
{
    (void)f;
    S->key_ready = false;
    return S->key;
}
static int rl_avail_ours(void) { return S->key_ready; }
static void rl_redisplay_ours(void)
{
    draw_prompt();
    refresh();
}
static void rl_noprep(int meta) { (void)meta; }
static void rl_nodeprep(void) {}

static char *match_generator(const char *text, int state)
{
    static int i;
    (void)text;
    if (!state) i = 0;
    if (!S->matches || !S->matches[i]) return NULL;
    return strdup(S->matches[i++]);
}

static char **complete(const char *text, int start, int end)
{
    (void)end;
    rl_attempted_completion_over = 1;   /* no file names */
    char *before = strndup(rl_line_buffer, (size_t)start);
    if (S->matches) {
        for (char **m = S->matches; *m; m++) free(*m);
        free(S->matches);
    }
    S->matches = dbg_complete(S->d, before ? before : "", text);
    free(before);
    return rl_completion_matches(text, match_generator);
}

static void show_matches(char **matches, int n, int longest)
{
    (void)longest;
    char line[4096];
    size_t k = 0;
    for (int i = 1; i <= n && k < sizeof line - 64; i++) k += (size_t)snprintf(line + k, sizeof line - k, "%s  ", matches[i]);
    snprintf(line + k, sizeof line - k, "\n");
    log_str(line);
    redraw();
}

static void feed(int ch)
{
    S->key = ch;
    S->key_ready = true;
    rl_callback_read_char();
}

static void key_to_readline(int ch)
{
    switch (ch) {
    case KEY_UP: rl_get_previous_history(1, 0); break;
    case KEY_DOWN: rl_get_next_history(1, 0); break;
    case KEY_LEFT: rl_backward_char(1, 0); break;
    case KEY_RIGHT: rl_forward_char(1, 0); break;
    case KEY_HOME: rl_beg_of_line(1, 0); break;
    case KEY_END: rl_end_of_line(1, 0); break;
    case KEY_DC: rl_delete(1, 0); break;
    case KEY_BACKSPACE: feed(127); return;
    case KEY_ENTER: feed('\n'); return;
    default:
        if (ch >= 0 && ch < 256) feed(ch);
        return;
    }
    rl_redisplay_ours();
}

static const char *history_path(char *buf, size_t len)
{
    const char *env = getenv("RINGSIM_HISTORY");
    if (env && *env) return env;
    const char *home = getenv("HOME");
    if (!home) return NULL;
    snprintf(buf, len, "%s/.ringsim_history", home);
    return buf;
}

int vis_dbg_fullscreen(struct vis_dbg *d)
{
    struct screen scr = {.d = d};
    S = &scr;
    d->fullscreen = true;
    d->progress = progress;
    /* messages the simulator writes to stderr would tear the screen: keep
     * them in a file and show them afterwards */
    char errpath[] = "/tmp/ringsim-debug-XXXXXX";
    int errfd = mkstemp(errpath), saved_err = dup(2);
    if (errfd >= 0) {
        unlink(errpath);
        dup2(errfd, 2);
    }
    setlocale(LC_CTYPE, "");
    SCREEN *sc = newterm(NULL, stdout, stdin);
    if (!sc) {
        if (saved_err >= 0) dup2(saved_err, 2);
        fprintf(stderr, "ringsim debug: cannot use this terminal (TERM=%s); use --batch FILE\n",
                getenv("TERM") ? getenv("TERM") : "");
        S = NULL;
        return 1;
    }
    cbreak();
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    timeout(100);
    if (has_colors()) {
        start_color();
        use_default_colors();
        init_pair(C_HEAD, COLOR_CYAN, -1);
        init_pair(C_CURRENT, COLOR_BLACK, COLOR_CYAN);
        init_pair(C_MARK, COLOR_RED, -1);
        init_pair(C_ERROR, COLOR_RED, -1);
        init_pair(C_HL, COLOR_YELLOW, -1);
        init_pair(C_TITLE, COLOR_WHITE, COLOR_BLUE);
    }

    char hbuf[4096];
    S->history_file = history_path(hbuf, sizeof hbuf);
    using_history();
    if (S->history_file) read_history(S->history_file);
    rl_catch_signals = 0;
    rl_catch_sigwinch = 0;
    rl_change_environment = 0;
    rl_prep_term_function = rl_noprep;
    rl_deprep_term_function = rl_nodeprep;
    rl_getc_function = rl_getc_ours;
    rl_input_available_hook = rl_avail_ours;
    rl_redisplay_function = rl_redisplay_ours;
    rl_outstream = fopen("/dev/null", "w");
    rl_attempted_completion_function = complete;
    rl_completion_display_matches_hook = show_matches;
    rl_variable_bind("bell-style", "none");
    rl_callback_handler_install(PROMPT, on_line);
    dbg_catch_sigint(true);

    char where[512];
    dbg_where(d, where, sizeof where);
    log_str("ringsim debugger: help lists the commands, Enter repeats a step, quit leaves.\n");
    log_str(where);
    log_str("\n");
    redraw();
    while (!S->quit) {
        int ch = getch();
        if (ch == ERR) {
            if (dbg_interrupted()) {
                /* Ctrl-C at the prompt: forget the line being typed */
                dbg_clear_interrupt();
                rl_replace_line("", 0);
                rl_point = 0;
                rl_redisplay_ours();
            }
            continue;
        }
        if (ch == KEY_RESIZE) {
            redraw();
            continue;
        }
        if (ch == KEY_F(1)) {
            run_command("help");
            redraw();
            continue;
        }
        int p = pane_of_key(ch);
        if (p >= 0) {
            d->pane_on[p] = !d->pane_on[p];
            if (d->pane_on[p]) d->pane_front = p;   /* as `pane NAME on`: shown, on a small screen too */
            if (!d->pane_on[p] && d->zoom == p) d->zoom = -1;
            redraw();
            continue;
        }
        if (ch == KEY_F(12)) {
            next_front();
            redraw();
            continue;
        }
        if (ch == KEY_F(10)) {
            d->zoom = -1;
            redraw();
            continue;
        }
        if (ch == KEY_PPAGE || ch == KEY_NPAGE) {
            S->scroll += ch == KEY_PPAGE ? 5 : -5;
            if (S->scroll < 0) S->scroll = 0;
            redraw();
            continue;
        }
        if (ch == 12) {   /* Ctrl-L */
            clearok(stdscr, TRUE);
            redraw();
            continue;
        }
        key_to_readline(ch == '\r' ? '\n' : ch);
    }
    rl_callback_handler_remove();
    if (S->history_file) {
        write_history(S->history_file);
        history_truncate_file(S->history_file, 1000);
    }
    endwin();
    delscreen(sc);
    if (rl_outstream) fclose(rl_outstream);
    rl_outstream = NULL;
    dbg_catch_sigint(false);
    if (saved_err >= 0) {
        dup2(saved_err, 2);
        close(saved_err);
    }
    if (errfd >= 0) {
        /* what went to stderr meanwhile */
        char b[4096];
        ssize_t n;
        lseek(errfd, 0, SEEK_SET);
        while ((n = read(errfd, b, sizeof b)) > 0) fwrite(b, 1, (size_t)n, stderr);
        close(errfd);
    }
    if (S->matches) {
        for (char **m = S->matches; *m; m++) free(*m);
        free(S->matches);
    }
    free(S->log);
    d->progress = NULL;
    S = NULL;
    return 0;
}
