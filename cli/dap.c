/*
 * dap.c — `ringsim dap`: the debugger (visualise/debugger*.c) spoken as the
 * Debug Adapter Protocol over stdin/stdout, for VS Code (editors/vscode/)
 * and any other DAP client.  docs/dap.md is the manual.
 *
 * There is no second debugger here: a launch builds the machine as
 * `ringsim debug` does and opens the same session (struct vis_dbg); steps,
 * continue, breakpoints and reverse execution are its commands and its step
 * engine (dbg_run, dbg_reverse_step, dbg_reverse_continue); the REPL is its
 * command line; the custom requests are its panes as JSON.  This file only
 * translates: messages in, commands and reads of the machine, messages out.
 *
 * Messages are framed as "Content-Length: N\r\n\r\n" and N bytes of JSON
 * (jansson).  Anything malformed — a bad header, JSON that does not parse,
 * a message that is not a request, missing or ill-typed arguments — gets
 * an error response (request_seq 0 when the request could not be read),
 * never a crash.  One thread, deterministic: a `continue` runs in chunks
 * and looks between them for a `pause`.
 *
 * Source lines: images carry no line table.  At launch the adapter finds
 * the program's assembly source (the launch argument `source`, else X.s
 * beside X.img, else guests/X.s under RINGSIM_ROOT or the working
 * directory), assembles it again with the assembler's line hook
 * (isa_asm_options.line_hook) and keeps the table only if the bytes it
 * assembles are the image's own; otherwise source breakpoints are refused
 * with that reason and instruction breakpoints still work.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cli/cli.h"
#include "hypervisor/technique.h"
#include "visualise/debugger.h"

#define DAP_MAX_BODY   (16u << 20)   /* one message, at most */
#define DAP_RUN_CHUNK  (1u << 16)    /* steps of a continue between looks for a pause */
#define DAP_THREAD     1

/* ---- the line table ------------------------------------------------------------ */
struct line_rec {
    int file;            /* index into files */
    int line;
    uint32_t addr, size;
    bool in_macro;       /* a macro's body line, expanded */
};

struct line_table {
    char **files;        /* real paths */
    int nfiles;
    struct line_rec *v;
    int n, cap;
};

static int lt_file(struct line_table *lt, const char *path)
{
    char real[PATH_MAX];
    if (!realpath(path, real)) snprintf(real, sizeof real, "%s", path);
    for (int i = 0; i < lt->nfiles; i++)
        if (!strcmp(lt->files[i], real)) return i;
    char **f = realloc(lt->files, (size_t)(lt->nfiles + 1) * sizeof *f);
    if (!f) return -1;
    lt->files = f;
    lt->files[lt->nfiles] = strdup(real);
    return lt->files[lt->nfiles] ? lt->nfiles++ : -1;
}

static void lt_hook(void *ctx, const char *file, int line, uint32_t addr, uint32_t size, bool in_macro)
{
    struct line_table *lt = ctx;
    int f = lt_file(lt, file);
    if (f < 0) return;
    if (lt->n == lt->cap) {
        int cap = lt->cap ? lt->cap * 2 : 1024;
        struct line_rec *v = realloc(lt->v, (size_t)cap * sizeof *v);
        if (!v) return;
        lt->v = v;
        lt->cap = cap;
    }
    lt->v[lt->n++] = (struct line_rec){f, line, addr, size, in_macro};
}

static void lt_free(struct line_table *lt)
{
    for (int i = 0; i < lt->nfiles; i++) free(lt->files[i]);
    free(lt->files);
    free(lt->v);
    memset(lt, 0, sizeof *lt);
}

/* The line that addr belongs to: the line written in the program, not a
 * macro's body — a macro is stepped through on its call line, as a C
 * debugger steps over a macro (the narrowest such record). */
static const struct line_rec *lt_at(const struct line_table *lt, uint32_t addr)
{
    const struct line_rec *best = NULL;
    for (int i = 0; i < lt->n; i++) {
        const struct line_rec *r = &lt->v[i];
        if (r->in_macro || addr < r->addr || addr - r->addr >= r->size) continue;
        if (!best || r->size < best->size) best = r;
    }
    return best;
}

/* The first address of line (or of the first line with code in the next
 * 20 of the same file, as a click on a label or a comment means); *at gets
 * the line used. */
static bool lt_addr(const struct line_table *lt, const char *path, int line, uint32_t *addr, int *at)
{
    char real[PATH_MAX];
    if (!realpath(path, real)) snprintf(real, sizeof real, "%s", path);
    int f = -1;
    for (int i = 0; i < lt->nfiles; i++)
        if (!strcmp(lt->files[i], real)) f = i;
    if (f < 0) return false;
    for (int l = line; l < line + 20; l++) {
        bool found = false;
        for (int i = 0; i < lt->n; i++) {
            const struct line_rec *r = &lt->v[i];
            if (r->file == f && r->line == l && (!found || r->addr < *addr)) {
                *addr = r->addr;
                found = true;
            }
        }
        if (found) {
            *at = l;
            return true;
        }
    }
    return false;
}

/* ---- the adapter ----------------------------------------------------------------- */
struct dap_bp {
    int id;             /* the debugger's breakpoint number */
    int kind;           /* 0 source, 1 instruction, 2 exception */
};

struct dap {
    int in_fd;
    FILE *out, *log;
    char *buf;           /* bytes read, not yet a whole message */
    size_t len, cap;
    bool eof;
    json_t **queue;      /* requests read while running, handled after the stop */
    int nqueue;
    int seq;

    bool launched, configured, stop_on_entry, terminated;
    struct cli_machine cm;
    struct isa_image img;
    struct vis_dbg *d;
    FILE *dout, *derr;   /* the session's output while a command runs */
    char *obuf, *ebuf;
    size_t olen, elen;
    struct line_table lt;
    char lt_why[2 * PATH_MAX + 256]; /* why there is no line table */
    struct dap_bp bps[DBG_MAX_BREAKS];
    int nbps;
};

/* ---- framing ---------------------------------------------------------------------- */
static void dap_log(struct dap *a, const char *dir, const char *text)
{
    if (!a->log) return;
    fprintf(a->log, "%s %s\n", dir, text);
    fflush(a->log);
}

static void send_json(struct dap *a, json_t *msg)
{
    json_object_set_new(msg, "seq", json_integer(++a->seq));
    char *text = json_dumps(msg, JSON_COMPACT | JSON_ENSURE_ASCII);
    json_decref(msg);
    if (!text) return;
    fprintf(a->out, "Content-Length: %zu\r\n\r\n%s", strlen(text), text);
    fflush(a->out);
    dap_log(a, "<-", text);
    free(text);
}

static void send_event(struct dap *a, const char *event, json_t *body)
{
    json_t *m = json_pack("{s:s, s:s}", "type", "event", "event", event);
    if (body) json_object_set_new(m, "body", body);
    send_json(a, m);
}

static void send_response(struct dap *a, json_t *req, json_t *body)
{
    json_t *m = json_pack("{s:s, s:I, s:b, s:s}", "type", "response", "request_seq",
                          (json_int_t)json_integer_value(json_object_get(req, "seq")), "success", 1, "command",
                          json_is_string(json_object_get(req, "command"))
                              ? json_string_value(json_object_get(req, "command"))
                              : "");
    if (body) json_object_set_new(m, "body", body);
    send_json(a, m);
}

static void send_error_seq(struct dap *a, json_int_t seq, const char *command, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void send_error_seq(struct dap *a, json_int_t seq, const char *command, const char *fmt, ...)
{
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    json_t *m = json_pack("{s:s, s:I, s:b, s:s, s:s, s:{s:{s:i, s:s, s:b}}}", "type", "response", "request_seq", seq,
                          "success", 0, "command", command ? command : "", "message", msg, "body", "error", "id", 1,
                          "format", msg, "showUser", 1);
    send_json(a, m);
}

#define send_error(a, req, ...)                                                                                \
    send_error_seq(a, (json_int_t)json_integer_value(json_object_get(req, "seq")),                               \
                   json_string_value(json_object_get(req, "command")), __VA_ARGS__)

static void send_output(struct dap *a, const char *category, const char *text)
{
    if (!text || !*text) return;
    send_event(a, "output", json_pack("{s:s, s:s}", "category", category, "output", text));
}

/* Reads more bytes; false at end of input.  wait: block for them. */
static bool fill(struct dap *a, bool wait)
{
    if (a->eof) return false;
    if (!wait) {
        struct pollfd p = {a->in_fd, POLLIN, 0};
        if (poll(&p, 1, 0) <= 0) return false;
    }
    if (a->cap - a->len < 65536) {
        size_t cap = a->cap ? a->cap * 2 : 131072;
        char *b = realloc(a->buf, cap + 1);
        if (!b) return false;
        a->buf = b;
        a->cap = cap;
    }
    ssize_t n;
    do n = read(a->in_fd, a->buf + a->len, a->cap - a->len);
    while (n < 0 && errno == EINTR);
    if (n <= 0) {
        a->eof = true;
        return false;
    }
    a->len += (size_t)n;
    return true;
}

static void consume(struct dap *a, size_t n)
{
    memmove(a->buf, a->buf + n, a->len - n);
    a->len -= n;
}

/* The next message's JSON, NULL at end of input (or, with !wait, when no
 * whole message is there yet).  A malformed one is answered and skipped. */
static json_t *read_message(struct dap *a, bool wait)
{
    for (;;) {
        char *end = NULL;
        if (a->len) {
            a->buf[a->len] = 0;
            end = strstr(a->buf, "\r\n\r\n");
        }
        if (!end) {
            if (a->len > 65536) {   /* a header that never ends */
                send_error_seq(a, 0, "", "malformed message: no end of header in %zu bytes", a->len);
                a->len = 0;
            }
            if (!fill(a, wait)) {
                if (a->eof && a->len) {
                    send_error_seq(a, 0, "", "malformed message: input ended inside a header");
                    a->len = 0;
                }
                return NULL;
            }
            continue;
        }
        size_t hlen = (size_t)(end - a->buf) + 4;
        long long clen = -1;
        for (char *h = a->buf; h < end;) {
            char *nl = strstr(h, "\r\n");
            if (!nl || nl > end) nl = end;
            if (!strncasecmp(h, "Content-Length:", 15)) {
                char *e;
                errno = 0;
                long long v = strtoll(h + 15, &e, 10);
                while (*e == ' ' || *e == '\t') e++;
                if (errno == 0 && e == nl && v >= 0) clen = v;
            }
            h = nl + 2;
        }
        if (clen < 0 || clen > (long long)DAP_MAX_BODY) {
            consume(a, hlen);
            send_error_seq(a, 0, "", clen < 0 ? "malformed message: no valid Content-Length header"
                                               : "malformed message: body over %u bytes",
                           DAP_MAX_BODY);
            continue;
        }
        while (a->len < hlen + (size_t)clen)
            if (!fill(a, true)) {
                send_error_seq(a, 0, "", "malformed message: input ended inside a body of %lld bytes", clen);
                a->len = 0;
                return NULL;
            }
        json_error_t jerr;
        json_t *msg = json_loadb(a->buf + hlen, (size_t)clen, 0, &jerr);
        char *body = strndup(a->buf + hlen, (size_t)clen);
        dap_log(a, "->", body ? body : "");
        free(body);
        consume(a, hlen + (size_t)clen);
        if (!msg) {
            send_error_seq(a, 0, "", "malformed message: not JSON: %s (at byte %d)", jerr.text, jerr.position);
            continue;
        }
        if (!json_is_object(msg) || !json_is_string(json_object_get(msg, "type")) ||
            strcmp(json_string_value(json_object_get(msg, "type")), "request") != 0 ||
            !json_is_string(json_object_get(msg, "command")) || !json_is_integer(json_object_get(msg, "seq"))) {
            json_t *s = json_is_object(msg) ? json_object_get(msg, "seq") : NULL;
            send_error_seq(a, json_is_integer(s) ? json_integer_value(s) : 0, "",
                           "malformed message: expected a request (an object with type \"request\", an integer "
                           "seq and a command)");
            json_decref(msg);
            continue;
        }
        return msg;
    }
}

/* ---- running the debugger's commands ------------------------------------------------ */
static void capture_begin(struct dap *a)
{
    a->obuf = a->ebuf = NULL;
    a->dout = open_memstream(&a->obuf, &a->olen);
    a->derr = open_memstream(&a->ebuf, &a->elen);
    a->d->out = a->dout ? a->dout : stderr;
    a->d->err = a->derr ? a->derr : stderr;
}

/* Ends a capture: the output and errors (malloc'd, the caller frees). */
static void capture_end(struct dap *a, char **out, char **err)
{
    a->d->out = stderr;
    a->d->err = stderr;
    if (a->dout) fclose(a->dout);
    if (a->derr) fclose(a->derr);
    a->dout = a->derr = NULL;
    *out = a->obuf ? a->obuf : strdup("");
    *err = a->ebuf ? a->ebuf : strdup("");
    a->obuf = a->ebuf = NULL;
}

/* Runs one debugger command; its output is sent to the debug console when
 * show.  Returns the command's status; *out / *err if asked. */
static int run_command(struct dap *a, const char *line, bool show, char **out, char **err)
{
    capture_begin(a);
    int rc = vis_dbg_command(a->d, line);
    char *o, *e;
    capture_end(a, &o, &e);
    if (show) {
        send_output(a, "console", o);
        send_output(a, "stderr", e);
    }
    if (out) *out = o;
    else free(o);
    if (err) *err = e;
    else free(e);
    return rc;
}

/* What the guest printed since the last look, as output events. */
static void flush_console(struct dap *a)
{
    struct vis_dbg *d = a->d;
    size_t n = dbg_console_len(d);
    if (n > d->con_echoed) {
        char *text = strndup(d->con + d->con_echoed, n - d->con_echoed);
        send_output(a, "stdout", text);
        free(text);
        d->con_echoed = n;
    }
}

static void send_stopped(struct dap *a, const char *reason, const char *text)
{
    flush_console(a);
    json_t *b = json_pack("{s:s, s:i, s:b}", "reason", reason, "threadId", DAP_THREAD, "allThreadsStopped", 1);
    if (text && *text) {
        json_object_set_new(b, "description", json_string(text));
        json_object_set_new(b, "text", json_string(text));
    }
    send_event(a, "stopped", b);
}

/* After a move: a stopped event saying why. */
static void stopped_after(struct dap *a, enum dbg_why why, const char *step_reason)
{
    const char *reason = step_reason;
    switch (why) {
    case WHY_BREAK:
        reason = !strncmp(a->d->status, "Breakpoint", 10) && strstr(a->d->status, "trap") ? "exception"
                 : strstr(a->d->status, "VM exit")                                        ? "exception"
                                                                                          : "breakpoint";
        break;
    case WHY_WATCH: reason = "data breakpoint"; break;
    case WHY_INTERRUPT: reason = "pause"; break;
    case WHY_MACHINE: reason = "exception"; break;
    case WHY_START: reason = "step"; break;
    default: break;
    }
    flush_console(a);   /* what the guest printed on the way comes first */
    char where[512];
    dbg_where(a->d, where, sizeof where);
    char text[1024];
    snprintf(text, sizeof text, "%s%s%s\n", a->d->status, a->d->status[0] ? "\n" : "", where);
    send_output(a, "console", text);
    send_stopped(a, reason, a->d->status[0] ? a->d->status : NULL);
}

/* ---- launch --------------------------------------------------------------------------- */
/* The assembly source of the image: see the top of the file. */
static bool find_source(const char *image, const char *given, char *out, size_t len)
{
    if (given) {
        snprintf(out, len, "%s", given);
        return access(out, R_OK) == 0;
    }
    const char *slash = strrchr(image, '/'), *base = slash ? slash + 1 : image;
    size_t blen = strlen(base);
    if (blen > 4 && !strcmp(base + blen - 4, ".img")) blen -= 4;
    if (slash || (strlen(image) > 4 && !strcmp(image + strlen(image) - 4, ".img"))) {
        snprintf(out, len, "%.*s.s", (int)(strlen(image) - (strlen(base) - blen)), image);
        if (access(out, R_OK) == 0) return true;
    }
    const char *root = getenv("RINGSIM_ROOT");
    snprintf(out, len, "%s%sguests/%.*s.s", root ? root : "", root ? "/" : "", (int)blen, base);
    if (access(out, R_OK) == 0) return true;
    snprintf(out, len, "guests/%.*s.s", (int)blen, base);
    return access(out, R_OK) == 0;
}

static bool same_bytes(const struct isa_image *x, const struct isa_image *y)
{
    if (x->entry != y->entry || x->nsegments != y->nsegments) return false;
    for (int i = 0; i < x->nsegments; i++) {
        const struct isa_segment *p = &x->segments[i], *q = &y->segments[i];
        if (p->vaddr != q->vaddr || p->filesz != q->filesz || (p->filesz && memcmp(p->data, q->data, p->filesz) != 0)) return false;
    }
    return true;
}

static void load_lines(struct dap *a, const char *given)
{
    char src[PATH_MAX];
    if (!find_source(a->cm.image0, given, src, sizeof src)) {
        snprintf(a->lt_why, sizeof a->lt_why,
                 "no assembly source found for %s (give the launch argument \"source\")", a->cm.image0);
        return;
    }
    const char *defines[] = {"PV=1", NULL};
    bool pv = strstr(a->cm.image0, "/pv/") != NULL;
    FILE *diag = fopen("/dev/null", "w");
    struct isa_asm_options opt = {.defines = pv ? defines : NULL, .diag = diag, .line_hook = lt_hook, .line_ctx = &a->lt};
    struct isa_image img;
    int errors = isa_assemble_file(src, &opt, &img);
    if (diag) fclose(diag);
    if (errors) {
        snprintf(a->lt_why, sizeof a->lt_why, "%s does not assemble: no line table", src);
        lt_free(&a->lt);
        return;
    }
    if (!same_bytes(&img, &a->img)) {
        snprintf(a->lt_why, sizeof a->lt_why,
                 "%s assembles to other bytes than %s (changed since it was built?): no line table", src,
                 a->cm.image0);
        lt_free(&a->lt);
    }
    isa_image_free(&img);
}

/* getopt over the launch's "args", with its complaints captured. */
static int launch_options(int argc, char **argv, struct machine_opts *o, char *err, size_t errlen)
{
    enum { O_MAXCYC = 0x400 };
    static const struct option longopts[] = {
        CLI_MACHINE_OPTIONS,
        {"max-cycles", required_argument, 0, O_MAXCYC},
        {0, 0, 0, 0},
    };
    int ch, rc = 0;
    optind = 1;
    opterr = 1;
    while ((ch = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
        int r = cli_machine_option(ch, optarg, o, "dap");
        if (r < 0) return -1;
        if (r > 0) continue;
        if (ch == O_MAXCYC) {
            if (!cli_parse_u64(optarg, &o->max_cycles) || o->max_cycles == 0) {
                snprintf(err, errlen, "--max-cycles '%s': expected a positive number", optarg);
                return -1;
            }
            continue;
        }
        return -1;
    }
    if (optind < argc) {
        snprintf(err, errlen, "unexpected '%s' in args (the program is the launch argument \"program\")", argv[optind]);
        rc = -1;
    }
    return rc;
}

static void do_launch(struct dap *a, json_t *req, json_t *args)
{
    if (a->launched) return send_error(a, req, "launch: already launched (one machine a session)");
    const char *program = json_string_value(json_object_get(args, "program"));
    if (!program || !*program)
        return send_error(a, req, "launch: expected the argument \"program\": an image path or a bundled name");
    json_t *jargs = json_object_get(args, "args");
    if (jargs && !json_is_array(jargs)) return send_error(a, req, "launch: \"args\" must be an array of strings");
    size_t nargs = json_array_size(jargs);
    if (nargs > 256) return send_error(a, req, "launch: at most 256 args");
    char *argv[260];
    int argc = 0;
    argv[argc++] = "dap";
    for (size_t i = 0; i < nargs; i++) {
        const char *s = json_string_value(json_array_get(jargs, i));
        if (!s) return send_error(a, req, "launch: \"args\" must be an array of strings (item %zu is not)", i);
        argv[argc++] = (char *)s;
    }
    argv[argc] = NULL;
    json_t *soe = json_object_get(args, "stopOnEntry");
    a->stop_on_entry = soe ? json_is_true(soe) : false;
    const char *source = json_string_value(json_object_get(args, "source"));

    /* the complaints of getopt and of building the machine go to stderr:
     * catch them for the error response */
    char err[4096] = "";
    fflush(stderr);
    FILE *tmp = tmpfile();
    int saved = dup(STDERR_FILENO);
    if (tmp && saved >= 0) dup2(fileno(tmp), STDERR_FILENO);
    struct machine_opts o;
    cli_machine_defaults(&o);
    char *images[] = {(char *)program, NULL};
    bool ok = launch_options(argc, argv, &o, err, sizeof err) == 0 &&
              cli_machine_build(&o, images, 1, "dap", &a->cm);
    fflush(stderr);
    if (tmp && saved >= 0) {
        dup2(saved, STDERR_FILENO);
        if (!err[0]) {
            rewind(tmp);
            size_t n = fread(err, 1, sizeof err - 1, tmp);
            err[n] = 0;
            while (n && (err[n - 1] == '\n' || err[n - 1] == ' ')) err[--n] = 0;
        }
    }
    if (saved >= 0) close(saved);
    if (tmp) fclose(tmp);
    if (!ok) return send_error(a, req, "launch: %s", err[0] ? err : "cannot build the machine");
    char why[512];
    if (!isa_image_load(a->cm.image0, &a->img, why, sizeof why)) memset(&a->img, 0, sizeof a->img);
    a->d = vis_dbg_new(a->cm.m, a->cm.hv, &a->img, stderr, stderr);
    if (!a->d) {
        cli_machine_free(&a->cm);
        return send_error(a, req, "launch: out of host memory");
    }
    a->d->fullscreen = true;   /* the console is sent as output events, not echoed */
    a->launched = true;
    load_lines(a, source);
    send_response(a, req, NULL);
    char where[512];
    dbg_where(a->d, where, sizeof where);
    char line[sizeof a->lt_why + PATH_MAX + 1024];
    snprintf(line, sizeof line, "ringsim dap: %s loaded; %s\n%s%s", a->cm.image0, where,
             a->lt.n ? "source lines from the assembly source (docs/dap.md)" : a->lt_why, "\n");
    send_output(a, "console", line);
    send_event(a, "initialized", NULL);
}

/* ---- breakpoints ------------------------------------------------------------------------ */
/* Deletes the breakpoints of one kind this adapter set. */
static void drop_breaks(struct dap *a, int kind, const char *source_real)
{
    (void)source_real;
    for (int i = 0; i < a->nbps;) {
        if (a->bps[i].kind != kind) {
            i++;
            continue;
        }
        char cmd[32];
        snprintf(cmd, sizeof cmd, "delete %d", a->bps[i].id);
        run_command(a, cmd, false, NULL, NULL);
        a->bps[i] = a->bps[--a->nbps];
    }
}

/* Sets one breakpoint with the debugger's `break`; the result as a DAP
 * Breakpoint object. */
static json_t *add_break(struct dap *a, int kind, const char *what, const char *cond)
{
    char cmd[512], *out, *err;
    snprintf(cmd, sizeof cmd, "break %s%s%s", what, cond && *cond ? " if " : "", cond && *cond ? cond : "");
    int id = a->d->next_id;
    int rc = run_command(a, cmd, false, &out, &err);
    json_t *b;
    if (rc == VIS_DBG_OK && a->d->next_id == id + 1 && a->nbps < DBG_MAX_BREAKS) {
        a->bps[a->nbps++] = (struct dap_bp){id, kind};
        size_t n = strlen(out);
        while (n && out[n - 1] == '\n') out[--n] = 0;
        b = json_pack("{s:i, s:b, s:s}", "id", id, "verified", 1, "message", out);
    } else {
        size_t n = strlen(err);
        while (n && err[n - 1] == '\n') err[--n] = 0;
        b = json_pack("{s:b, s:s}", "verified", 0, "message", !strncmp(err, "error: ", 7) ? err + 7 : err);
    }
    free(out);
    free(err);
    return b;
}

static void do_set_breakpoints(struct dap *a, json_t *req, json_t *args)
{
    json_t *source = json_object_get(args, "source");
    const char *path = json_string_value(json_object_get(source, "path"));
    json_t *list = json_object_get(args, "breakpoints");
    if (!path) return send_error(a, req, "setBreakpoints: expected source.path");
    if (list && !json_is_array(list)) return send_error(a, req, "setBreakpoints: \"breakpoints\" must be an array");
    /* one source's breakpoints replace that source's: the kind is the file */
    char real[PATH_MAX];
    if (!realpath(path, real)) snprintf(real, sizeof real, "%s", path);
    int fidx = -1;
    for (int i = 0; i < a->lt.nfiles; i++)
        if (!strcmp(a->lt.files[i], real)) fidx = i;
    int kind = 100 + (fidx < 0 ? 99999 : fidx);
    drop_breaks(a, kind, real);
    json_t *out = json_array();
    for (size_t i = 0; i < json_array_size(list); i++) {
        json_t *sb = json_array_get(list, i);
        json_int_t line = json_integer_value(json_object_get(sb, "line"));
        const char *cond = json_string_value(json_object_get(sb, "condition"));
        uint32_t addr = 0;
        int at = 0;
        if (!a->lt.n) {
            json_array_append_new(out, json_pack("{s:b, s:s}", "verified", 0, "message", a->lt_why));
        } else if (line <= 0 || line > INT_MAX - 20 || !lt_addr(&a->lt, path, (int)line, &addr, &at)) {
            json_array_append_new(out, json_pack("{s:b, s:s}", "verified", 0, "message",
                                                 "no instruction on this line or the 20 after it"));
        } else {
            char what[32];
            snprintf(what, sizeof what, "0x%08x", addr);
            json_t *b = add_break(a, kind, what, cond);
            if (json_is_true(json_object_get(b, "verified"))) {
                json_object_set_new(b, "line", json_integer(at));
                json_object_set(b, "source", source);
                char ref[16];
                snprintf(ref, sizeof ref, "0x%08x", addr);
                json_object_set_new(b, "instructionReference", json_string(ref));
            }
            json_array_append_new(out, b);
        }
    }
    send_response(a, req, json_pack("{s:o}", "breakpoints", out));
}

static bool parse_ref(const char *s, int64_t offset, uint32_t *addr)
{
    if (!s) return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || end == s || *end || v > UINT32_MAX) return false;
    *addr = (uint32_t)((int64_t)v + offset);
    return true;
}

static void do_set_instruction_breakpoints(struct dap *a, json_t *req, json_t *args)
{
    json_t *list = json_object_get(args, "breakpoints");
    if (!json_is_array(list)) return send_error(a, req, "setInstructionBreakpoints: expected \"breakpoints\", an array");
    drop_breaks(a, 1, NULL);
    json_t *out = json_array();
    for (size_t i = 0; i < json_array_size(list); i++) {
        json_t *ib = json_array_get(list, i);
        uint32_t addr;
        if (!parse_ref(json_string_value(json_object_get(ib, "instructionReference")),
                       json_integer_value(json_object_get(ib, "offset")), &addr)) {
            json_array_append_new(out, json_pack("{s:b, s:s}", "verified", 0, "message",
                                                 "expected instructionReference: an address such as 0x1000"));
            continue;
        }
        char what[32];
        snprintf(what, sizeof what, "0x%08x", addr);
        json_array_append_new(out, add_break(a, 1, what, json_string_value(json_object_get(ib, "condition"))));
    }
    send_response(a, req, json_pack("{s:o}", "breakpoints", out));
}

/* Exception filters: trap_CAUSE / exit_REASON, and trap_any / exit_any. */
static json_t *exception_filters(void)
{
    json_t *f = json_array();
    json_array_append_new(f, json_pack("{s:s, s:s, s:s}", "filter", "trap_any", "label", "Any trap",
                                       "description", "stop on the handler's first instruction after any trap"));
    for (int c = 0; c < CAUSE_COUNT; c++) {
        char filter[64], label[96];
        snprintf(filter, sizeof filter, "trap_%s", isa_cause_name[c]);
        snprintf(label, sizeof label, "Trap: %s", isa_cause_name[c]);
        json_array_append_new(f, json_pack("{s:s, s:s, s:b}", "filter", filter, "label", label, "supportsCondition", 1));
    }
    json_array_append_new(f, json_pack("{s:s, s:s, s:s}", "filter", "exit_any", "label", "Any VM exit", "description",
                                       "stop after any VM exit (with a hypervisor)"));
    for (int e = 0; e < EXIT_COUNT; e++) {
        char filter[64], label[96];
        snprintf(filter, sizeof filter, "exit_%s", vmexit_reason_name[e]);
        snprintf(label, sizeof label, "VM exit: %s", vmexit_reason_name[e]);
        json_array_append_new(f, json_pack("{s:s, s:s, s:b}", "filter", filter, "label", label, "supportsCondition", 1));
    }
    return f;
}

static json_t *exception_break(struct dap *a, const char *filter, const char *cond)
{
    char what[96];
    if (!strncmp(filter, "trap_", 5)) snprintf(what, sizeof what, "trap %s", filter + 5);
    else if (!strncmp(filter, "exit_", 5)) snprintf(what, sizeof what, "exit %s", filter + 5);
    else return json_pack("{s:b, s:s}", "verified", 0, "message", "unknown filter: expected trap_CAUSE or exit_REASON");
    return add_break(a, 2, what, cond);
}

static void do_set_exception_breakpoints(struct dap *a, json_t *req, json_t *args)
{
    json_t *filters = json_object_get(args, "filters"), *opts = json_object_get(args, "filterOptions");
    if (filters && !json_is_array(filters)) return send_error(a, req, "setExceptionBreakpoints: \"filters\" must be an array");
    drop_breaks(a, 2, NULL);
    json_t *out = json_array();
    for (size_t i = 0; i < json_array_size(filters); i++) {
        const char *f = json_string_value(json_array_get(filters, i));
        json_array_append_new(out, f ? exception_break(a, f, NULL)
                                     : json_pack("{s:b, s:s}", "verified", 0, "message", "a filter is a string"));
    }
    for (size_t i = 0; i < json_array_size(opts); i++) {
        json_t *o = json_array_get(opts, i);
        const char *f = json_string_value(json_object_get(o, "filterId"));
        json_array_append_new(out, f ? exception_break(a, f, json_string_value(json_object_get(o, "condition")))
                                     : json_pack("{s:b, s:s}", "verified", 0, "message", "expected filterId"));
    }
    send_response(a, req, json_pack("{s:o}", "breakpoints", out));
}

/* ---- moving --------------------------------------------------------------------------------- */
static bool take_pause(struct dap *a)
{
    bool paused = false;
    json_t *m;
    while ((m = read_message(a, false)) != NULL) {
        if (!strcmp(json_string_value(json_object_get(m, "command")), "pause")) {
            send_response(a, m, NULL);
            json_decref(m);
            paused = true;
        } else {
            json_t **q = realloc(a->queue, (size_t)(a->nqueue + 1) * sizeof *q);
            if (!q) {
                send_error(a, m, "out of host memory");
                json_decref(m);
                continue;
            }
            a->queue = q;
            a->queue[a->nqueue++] = m;
        }
    }
    return paused;
}

static void do_continue(struct dap *a)
{
    struct vis_dbg *d = a->d;
    dbg_mark(d);
    d->status[0] = 0;
    enum dbg_why w = WHY_DONE;
    while (dbg_running(d)) {
        w = dbg_run(d, DAP_RUN_CHUNK, true, NULL);
        if (w != WHY_DONE) break;
        flush_console(a);
        if (take_pause(a)) {
            snprintf(d->status, sizeof d->status, "Paused.");
            w = WHY_INTERRUPT;
            break;
        }
    }
    if (w == WHY_DONE && !dbg_running(d)) w = WHY_MACHINE;
    stopped_after(a, w, "step");
}

/* stepOut: the debugger's `finish` — run until the trap handler returns —
 * reading a pause every DBG_POLL_EVERY steps. */
static bool poll_pause(void *ctx) { return take_pause(ctx); }

static void do_step_out(struct dap *a)
{
    struct vis_dbg *d = a->d;
    dbg_mark(d);
    d->status[0] = 0;
    enum dbg_why w = dbg_finish(d, poll_pause, a);
    if (w == WHY_TEMP) w = WHY_DONE;
    stopped_after(a, w, "step");
}

/* A move the debugger's command line makes (step, next, reverse-…). */
static void move_command(struct dap *a, json_t *req, const char *cmd, bool forward)
{
    if (forward && !dbg_running(a->d))
        return send_error(a, req, "the machine has stopped (%s): go back with stepBack or reverseContinue",
                          a->d->m->stop_detail[0] ? a->d->m->stop_detail : stop_reason_name[a->d->m->stop]);
    send_response(a, req, NULL);
    char *out, *err;
    run_command(a, cmd, false, &out, &err);
    send_output(a, "console", out);
    send_output(a, "stderr", err);
    free(out);
    free(err);
    send_stopped(a, a->d->last_why == WHY_BREAK ? "breakpoint" : "step", NULL);
}

/* ---- looking ------------------------------------------------------------------------------- */
static json_t *source_of(struct dap *a, uint32_t addr, int *line)
{
    const struct line_rec *r = lt_at(&a->lt, addr);
    if (!r) return NULL;
    *line = r->line;
    const char *path = a->lt.files[r->file], *slash = strrchr(path, '/');
    return json_pack("{s:s, s:s}", "name", slash ? slash + 1 : path, "path", path);
}

/* The trap frames (the debugger's `backtrace`): the pc, then the code each
 * trap still being handled interrupted, down to user code. */
#define DAP_MAX_FRAMES 16
static void do_stack_trace(struct dap *a, json_t *req)
{
    struct vis_dbg *d = a->d;
    struct dbg_frame fr[DAP_MAX_FRAMES];
    bool truncated;
    int n = dbg_frames(d, fr, DAP_MAX_FRAMES, &truncated);
    json_t *frames = json_array();
    for (int i = 0; i < n; i++) {
        char sym[96], name[200], ref[16];
        dbg_symbolize(d, fr[i].pc, sym, sizeof sym);
        if (i == 0)
            snprintf(name, sizeof name, "%s (ring %u)", sym[0] ? sym : "?", fr[i].ring);
        else
            snprintf(name, sizeof name, "%s (ring %u, interrupted by %s)", sym[0] ? sym : "?", fr[i].ring,
                     fr[i].cause >= 0 && fr[i].cause < CAUSE_COUNT ? isa_cause_name[fr[i].cause] : "?");
        snprintf(ref, sizeof ref, "0x%08x", fr[i].pc);
        json_t *f = json_pack("{s:i, s:s, s:i, s:i, s:s}", "id", i + 1, "name", name, "line", 0, "column", 0,
                              "instructionPointerReference", ref);
        if (i > 0) json_object_set_new(f, "presentationHint", json_string("label"));
        int line;
        json_t *src = source_of(a, fr[i].pc, &line);
        if (src) {
            json_object_set_new(f, "source", src);
            json_object_set_new(f, "line", json_integer(line));
            json_object_set_new(f, "column", json_integer(1));
        }
        json_array_append_new(frames, f);
    }
    if (truncated)   /* the event log no longer reaches the outermost frame */
        json_array_append_new(frames, json_pack("{s:i, s:s, s:i, s:i, s:s}", "id", n + 1, "name",
                                                "(older frames: beyond the event log)", "line", 0, "column", 0,
                                                "presentationHint", "label"));
    send_response(a, req, json_pack("{s:o, s:i}", "stackFrames", frames, "totalFrames", (int)json_array_size(frames)));
}

enum { VREF_REGS = 1, VREF_CRS, VREF_VMCS, VREF_MACHINE };

static void do_scopes(struct dap *a, json_t *req)
{
    char regs[64];
    unsigned ring = dbg_ring(a->d);
    snprintf(regs, sizeof regs, "Registers (ring %u%s)", ring,
             a->d->hv && a->d->m->cpu.nonroot ? ", guest" : a->d->hv && !dbg_deprivileged(a->d) ? ", root" : "");
    json_t *s = json_array();
    json_array_append_new(s, json_pack("{s:s, s:s, s:i, s:b}", "name", regs, "presentationHint", "registers",
                                       "variablesReference", VREF_REGS, "expensive", 0));
    json_array_append_new(s, json_pack("{s:s, s:i, s:b}", "name",
                                       dbg_deprivileged(a->d) ? "Control registers (the guest's, virtual)"
                                                              : "Control registers",
                                       "variablesReference", VREF_CRS, "expensive", 0));
    if (a->d->hv && a->d->hv->cfg.mode == HV_HW)
        json_array_append_new(s, json_pack("{s:s, s:i, s:b}", "name", "VMCS", "variablesReference", VREF_VMCS,
                                           "expensive", 0));
    json_array_append_new(s, json_pack("{s:s, s:i, s:b}", "name", "Machine", "variablesReference", VREF_MACHINE,
                                       "expensive", 0));
    send_response(a, req, json_pack("{s:o}", "scopes", s));
}

static void var_add(json_t *v, const char *name, const char *value)
{
    json_array_append_new(v, json_pack("{s:s, s:s, s:i}", "name", name, "value", value, "variablesReference", 0));
}

static void var_hex(json_t *v, const char *name, uint32_t x)
{
    char value[32];
    snprintf(value, sizeof value, "0x%08x", x);
    var_add(v, name, value);
}

static json_t *text_lines(const struct dbg_text *t)
{
    json_t *l = json_array();
    for (int i = 0; i < t->n; i++) {
        char *s = strdup(t->lines[i].text ? t->lines[i].text : ""), *w = s;
        if (!s) continue;
        for (char *p = s; *p; p++)   /* highlight markers dropped */
            if (*p != HL_ON[0] && *p != HL_OFF[0]) *w++ = *p;
        *w = 0;
        json_array_append_new(l, json_string(s));
        free(s);
    }
    return l;
}

static void do_variables(struct dap *a, json_t *req, json_t *args)
{
    struct vis_dbg *d = a->d;
    json_int_t ref = json_integer_value(json_object_get(args, "variablesReference"));
    json_t *v = json_array();
    char name[32];
    switch (ref) {
    case VREF_REGS:
        for (int r = 0; r < ISA_NREGS; r++) var_hex(v, isa_reg_name(r), d->m->cpu.r[r]);
        var_hex(v, "pc", d->m->cpu.pc);
        break;
    case VREF_CRS: {
        uint32_t *cr = dbg_guest_cr(d);
        for (int c = 0; c < CR_COUNT; c++) var_hex(v, isa_creg_name[c], cr[c]);
        break;
    }
    case VREF_VMCS: {
        struct dbg_text t = {0};
        dbg_view_vmcs(d, &t);
        json_t *l = text_lines(&t);
        for (size_t i = 0; i < json_array_size(l); i++) {
            snprintf(name, sizeof name, "%02zu", i);
            var_add(v, name, json_string_value(json_array_get(l, i)));
        }
        json_decref(l);
        dbg_text_free(&t);
        break;
    }
    case VREF_MACHINE: {
        char value[64];
        snprintf(value, sizeof value, "%llu", (unsigned long long)d->m->st.cycles);
        var_add(v, "cycles", value);
        snprintf(value, sizeof value, "%llu", (unsigned long long)d->m->st.instructions);
        var_add(v, "instructions", value);
        snprintf(value, sizeof value, "%llu", (unsigned long long)d->pos);
        var_add(v, "step", value);
        snprintf(value, sizeof value, "%u", dbg_ring(d));
        var_add(v, "ring", value);
        char mode[96] = "native";
        if (d->hv) hv_technique_of(d->hv)->describe(d->hv, mode, sizeof mode);
        var_add(v, "mode", mode);
        break;
    }
    default: return send_error(a, req, "variables: unknown variablesReference %lld", (long long)ref);
    }
    send_response(a, req, json_pack("{s:o}", "variables", v));
}

static void do_read_memory(struct dap *a, json_t *req, json_t *args)
{
    uint32_t addr;
    json_int_t count = json_integer_value(json_object_get(args, "count"));
    if (!parse_ref(json_string_value(json_object_get(args, "memoryReference")),
                   json_integer_value(json_object_get(args, "offset")), &addr))
        return send_error(a, req, "readMemory: expected memoryReference, an address such as 0x1000");
    if (count < 0 || count > (1 << 20)) return send_error(a, req, "readMemory: count 0..1048576");
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    uint8_t *bytes = malloc((size_t)count + 1);
    char *text = malloc(((size_t)count + 2) / 3 * 4 + 1);
    if (!bytes || !text) {
        free(bytes);
        free(text);
        return send_error(a, req, "readMemory: out of host memory");
    }
    json_int_t n = 0;
    while (n < count && dbg_read8(a->d, 'v', addr + (uint32_t)n, &bytes[n])) n++;
    size_t k = 0;
    for (json_int_t i = 0; i < n; i += 3) {
        uint32_t x = (uint32_t)bytes[i] << 16 | (i + 1 < n ? (uint32_t)bytes[i + 1] << 8 : 0) |
                     (i + 2 < n ? bytes[i + 2] : 0);
        text[k++] = b64[x >> 18 & 63];
        text[k++] = b64[x >> 12 & 63];
        text[k++] = i + 1 < n ? b64[x >> 6 & 63] : '=';
        text[k++] = i + 2 < n ? b64[x & 63] : '=';
    }
    text[k] = 0;
    char ref[16];
    snprintf(ref, sizeof ref, "0x%08x", addr);
    json_t *b = json_pack("{s:s, s:s}", "address", ref, "data", text);
    if (n < count) json_object_set_new(b, "unreadableBytes", json_integer(count - n));
    free(bytes);
    free(text);
    send_response(a, req, b);
}

static const char *symbol_at(void *ctx, uint32_t addr)
{
    const struct dap *a = ctx;
    return a->img.nsymbols ? isa_image_symbol_at(&a->img, addr) : NULL;
}

static void do_disassemble(struct dap *a, json_t *req, json_t *args)
{
    uint32_t addr;
    if (!parse_ref(json_string_value(json_object_get(args, "memoryReference")),
                   json_integer_value(json_object_get(args, "offset")), &addr))
        return send_error(a, req, "disassemble: expected memoryReference, an address such as 0x1000");
    json_int_t first = json_integer_value(json_object_get(args, "instructionOffset"));
    json_int_t count = json_integer_value(json_object_get(args, "instructionCount"));
    if (count < 0 || count > 65536 || first < -65536 || first > 65536)
        return send_error(a, req, "disassemble: instructionCount 0..65536, instructionOffset -65536..65536");
    addr &= ~3u;
    json_t *list = json_array();
    for (json_int_t i = 0; i < count; i++) {
        uint32_t at = addr + (uint32_t)((first + i) * 4), w;
        char ref[16], text[128] = "(not mapped)", bytes[16] = "";
        snprintf(ref, sizeof ref, "0x%08x", at);
        if (dbg_read32(a->d, 'v', at, &w)) {
            isa_disasm(w, at, text, sizeof text, symbol_at, a);
            snprintf(bytes, sizeof bytes, "%08x", w);
        }
        json_t *in = json_pack("{s:s, s:s, s:s}", "address", ref, "instructionBytes", bytes, "instruction", text);
        const char *sym = a->img.nsymbols ? isa_image_symbol_at(&a->img, at) : NULL;
        if (sym) json_object_set_new(in, "symbol", json_string(sym));
        int line;
        json_t *src = source_of(a, at, &line);
        if (src) {
            json_object_set_new(in, "location", src);
            json_object_set_new(in, "line", json_integer(line));
        }
        json_array_append_new(list, in);
    }
    send_response(a, req, json_pack("{s:o}", "instructions", list));
}

static void do_evaluate(struct dap *a, json_t *req, json_t *args)
{
    const char *expr = json_string_value(json_object_get(args, "expression"));
    const char *context = json_string_value(json_object_get(args, "context"));
    if (!expr) return send_error(a, req, "evaluate: expected \"expression\"");
    if (context && strcmp(context, "repl") != 0) {
        uint32_t v;
        char err[256], value[64];
        if (!dbg_eval_all(a->d, expr, &v, err, sizeof err)) return send_error(a, req, "%s", err);
        snprintf(value, sizeof value, "0x%08x (%d)", v, (int32_t)v);
        return send_response(a, req, json_pack("{s:s, s:i}", "result", value, "variablesReference", 0));
    }
    /* the REPL: a command of the debugger's command line */
    uint64_t pos = a->d->pos, cycles = a->d->m->st.cycles;
    char *out, *err;
    int rc = run_command(a, expr, false, &out, &err);
    if (rc == VIS_DBG_ERROR) {
        size_t n = strlen(err);
        while (n && err[n - 1] == '\n') err[--n] = 0;
        send_error(a, req, "%s", !strncmp(err, "error: ", 7) ? err + 7 : err);
    } else {
        size_t n = strlen(out);
        while (n && out[n - 1] == '\n') out[--n] = 0;
        send_response(a, req, json_pack("{s:s, s:i}", "result", out, "variablesReference", 0));
    }
    free(out);
    free(err);
    if (rc == VIS_DBG_QUIT) {
        a->terminated = true;
        send_event(a, "terminated", NULL);
    } else if (a->d->pos != pos || a->d->m->st.cycles != cycles) {
        send_stopped(a, "step", NULL);   /* the command moved the machine */
    }
}

/* ---- custom requests: the panes as JSON ---------------------------------------------------- */
static void do_custom(struct dap *a, json_t *req, const char *what)
{
    struct vis_dbg *d = a->d;
    struct dbg_text t = {0};
    json_t *b = json_object();
    if (!strcmp(what, "tlb")) {
        dbg_view_tlb(d, &t, 100);
        json_object_set_new(b, "hits", json_integer((json_int_t)d->m->mmu.st.tlb_hits));
        json_object_set_new(b, "misses", json_integer((json_int_t)d->m->mmu.st.tlb_misses));
    } else if (!strcmp(what, "walk")) {
        dbg_view_walk_pane(d, &t);
    } else {
        dbg_view_cycles(d, &t);
        json_t *by = json_object(), *last = json_object();
        for (int c = 0; c < CY_COUNT; c++) {
            json_object_set_new(by, cycle_cause_name[c], json_integer((json_int_t)d->m->st.cycles_by_cause[c]));
            json_object_set_new(last, cycle_cause_name[c],
                                json_integer((json_int_t)(d->m->st.cycles_by_cause[c] - d->st_before.cycles_by_cause[c])));
        }
        json_object_set_new(b, "cycles", json_integer((json_int_t)d->m->st.cycles));
        json_object_set_new(b, "instructions", json_integer((json_int_t)d->m->st.instructions));
        json_object_set_new(b, "byCause", by);
        json_object_set_new(b, "lastCommand", last);
    }
    json_object_set_new(b, "lines", text_lines(&t));
    dbg_text_free(&t);
    send_response(a, req, b);
}

/* ---- the requests ------------------------------------------------------------------------- */
static json_t *capabilities(void)
{
    json_t *c = json_pack("{s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:b}",
                          "supportsConfigurationDoneRequest", 1, "supportsStepBack", 1,
                          "supportsInstructionBreakpoints", 1, "supportsReadMemoryRequest", 1,
                          "supportsDisassembleRequest", 1, "supportsConditionalBreakpoints", 1,
                          "supportsEvaluateForHovers", 1, "supportsExceptionFilterOptions", 1,
                          "supportsSteppingGranularity", 1, "supportsTerminateRequest", 1,
                          "supportsSingleThreadExecutionRequests", 0, "supportsRestartRequest", 0);
    json_object_set_new(c, "exceptionBreakpointFilters", exception_filters());
    return c;
}

/* Handles one request; false when the session is over. */
static bool handle(struct dap *a, json_t *req)
{
    const char *cmd = json_string_value(json_object_get(req, "command"));
    json_t *args = json_object_get(req, "arguments");
    if (args && !json_is_object(args)) {
        send_error(a, req, "%s: \"arguments\" must be an object", cmd);
        return true;
    }
    if (!strcmp(cmd, "initialize")) {
        send_response(a, req, capabilities());
        return true;
    }
    if (!strcmp(cmd, "launch")) {
        do_launch(a, req, args);
        return true;
    }
    if (!strcmp(cmd, "disconnect") || !strcmp(cmd, "terminate")) {
        send_response(a, req, NULL);
        if (!a->terminated) send_event(a, "terminated", NULL);
        a->terminated = true;
        return !strcmp(cmd, "terminate");
    }
    if (!strcmp(cmd, "attach")) {
        send_error(a, req, "attach: ringsim dap launches its machine (use a launch configuration)");
        return true;
    }
    if (!a->launched) {
        send_error(a, req, "%s: no machine yet (launch first)", cmd);
        return true;
    }
    struct vis_dbg *d = a->d;
    if (!strcmp(cmd, "configurationDone")) {
        send_response(a, req, NULL);
        a->configured = true;
        if (a->stop_on_entry) send_stopped(a, "entry", NULL);
        else do_continue(a);
    } else if (!strcmp(cmd, "setBreakpoints")) {
        do_set_breakpoints(a, req, args);
    } else if (!strcmp(cmd, "setInstructionBreakpoints")) {
        do_set_instruction_breakpoints(a, req, args);
    } else if (!strcmp(cmd, "setExceptionBreakpoints")) {
        do_set_exception_breakpoints(a, req, args);
    } else if (!strcmp(cmd, "setFunctionBreakpoints")) {
        json_t *list = json_object_get(args, "breakpoints"), *out = json_array();
        drop_breaks(a, 3, NULL);
        for (size_t i = 0; i < json_array_size(list); i++) {
            const char *name = json_string_value(json_object_get(json_array_get(list, i), "name"));
            json_array_append_new(out, name ? add_break(a, 3, name, NULL)
                                            : json_pack("{s:b, s:s}", "verified", 0, "message", "expected a name"));
        }
        send_response(a, req, json_pack("{s:o}", "breakpoints", out));
    } else if (!strcmp(cmd, "threads")) {
        char name[64];
        snprintf(name, sizeof name, dbg_vm(d) >= 0 ? "cpu0 (VM %d)" : "cpu0", dbg_vm(d));
        send_response(a, req, json_pack("{s:[{s:i, s:s}]}", "threads", "id", DAP_THREAD, "name", name));
    } else if (!strcmp(cmd, "continue")) {
        if (!dbg_running(d)) {
            send_error(a, req, "continue: the machine has stopped (%s): go back with stepBack or reverseContinue",
                       d->m->stop_detail[0] ? d->m->stop_detail : stop_reason_name[d->m->stop]);
        } else {
            send_response(a, req, json_pack("{s:b}", "allThreadsContinued", 1));
            do_continue(a);
        }
    } else if (!strcmp(cmd, "next")) {
        move_command(a, req, "next", true);
    } else if (!strcmp(cmd, "stepIn")) {
        move_command(a, req, "step", true);
    } else if (!strcmp(cmd, "stepOut")) {
        if (!dbg_running(d)) {
            send_error(a, req, "stepOut: the machine has stopped");
        } else {
            send_response(a, req, NULL);
            do_step_out(a);
        }
    } else if (!strcmp(cmd, "stepBack")) {
        move_command(a, req, "reverse-step", false);
    } else if (!strcmp(cmd, "reverseContinue")) {
        move_command(a, req, "reverse-continue", false);
    } else if (!strcmp(cmd, "pause")) {
        send_response(a, req, NULL);   /* not running: already stopped */
        send_stopped(a, "pause", NULL);
    } else if (!strcmp(cmd, "stackTrace")) {
        do_stack_trace(a, req);
    } else if (!strcmp(cmd, "scopes")) {
        do_scopes(a, req);
    } else if (!strcmp(cmd, "variables")) {
        do_variables(a, req, args);
    } else if (!strcmp(cmd, "readMemory")) {
        do_read_memory(a, req, args);
    } else if (!strcmp(cmd, "disassemble")) {
        do_disassemble(a, req, args);
    } else if (!strcmp(cmd, "evaluate")) {
        do_evaluate(a, req, args);
    } else if (!strcmp(cmd, "ringsim/tlb") || !strcmp(cmd, "ringsim/walk") || !strcmp(cmd, "ringsim/cycles")) {
        do_custom(a, req, cmd + 8);
    } else {
        send_error(a, req, "unknown request '%s' (docs/dap.md lists those ringsim dap answers)", cmd);
    }
    return true;
}

static void dap_help(FILE *out)
{
    fprintf(out,
        "usage: ringsim dap [--log FILE]\n\n"
        "The debugger as a Debug Adapter Protocol server on stdin/stdout, for VS Code\n"
        "(editors/vscode/) or any DAP client.  The client's launch request names the\n"
        "program and the run options:\n\n"
        "  {\"program\": \"kernel\", \"args\": [\"--mode\", \"hw\"], \"stopOnEntry\": true}\n\n"
        "  program       an image path or a bundled program name, as ringsim debug takes it\n"
        "  args          ringsim options as ringsim debug takes them (--mode, --mmu, --args…)\n"
        "  stopOnEntry   stop before the first instruction (else run to a breakpoint)\n"
        "  source        the program's .s file, for source breakpoints (found beside the\n"
        "                image or in guests/ when not given)\n\n"
        "Steps and breakpoints are the debugger's: next = its next, stepIn = step,\n"
        "stepOut = run until the trap handler returns, stepBack / reverseContinue =\n"
        "reverse-step / reverse-continue; the REPL takes its commands; the custom\n"
        "requests ringsim/tlb, ringsim/walk and ringsim/cycles give its panes as JSON.\n"
        "docs/dap.md is the manual.\n\n"
        "  --log FILE     append every message in (->) and out (<-) to FILE\n");
}

int cmd_dap(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"help", no_argument, 0, 'h'},
        {"log", required_argument, 0, 'l'},
        {0, 0, 0, 0},
    };
    const char *log = NULL;
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (ch) {
        case 'h': dap_help(stdout); return 0;
        case 'l': log = optarg; break;
        default: dap_help(stderr); cli_unknown_option(argc, argv, longopts, "dap"); return EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "ringsim dap: unexpected '%s': the program comes with the client's launch request\n",
                argv[optind]);
        return EXIT_USAGE;
    }
    struct dap a = {.in_fd = STDIN_FILENO};
    if (log && !(a.log = fopen(log, "a"))) {
        fprintf(stderr, "ringsim dap: --log %s: %s\n", log, strerror(errno));
        return EXIT_USAGE;
    }
    /* the protocol has stdout to itself: anything else that would print
     * there (a library, a stray message) goes to stderr instead */
    fflush(stdout);
    int proto = dup(STDOUT_FILENO);
    if (proto < 0 || !(a.out = fdopen(proto, "w"))) {
        fprintf(stderr, "ringsim dap: %s\n", strerror(errno));
        if (a.log) fclose(a.log);
        return EXIT_USAGE;
    }
    dup2(STDERR_FILENO, STDOUT_FILENO);
    bool more = true;
    while (more && !a.terminated) {
        json_t *req;
        if (a.nqueue) {
            req = a.queue[0];
            memmove(a.queue, a.queue + 1, (size_t)--a.nqueue * sizeof *a.queue);
        } else if (!(req = read_message(&a, true))) {
            break;
        }
        more = handle(&a, req);
        json_decref(req);
    }
    for (int i = 0; i < a.nqueue; i++) json_decref(a.queue[i]);
    free(a.queue);
    free(a.buf);
    if (a.d) {
        vis_dbg_free(a.d);
        isa_image_free(&a.img);
        cli_machine_free(&a.cm);
    }
    lt_free(&a.lt);
    if (a.log) fclose(a.log);
    fclose(a.out);
    return 0;
}
