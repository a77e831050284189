/*
 * test_dap.c — `ringsim dap` driven by a scripted Debug Adapter Protocol
 * client: the program ($RINGSIM_BIN) is spawned with pipes, requests go in
 * with Content-Length framing, responses and events come back.  The
 * session breaks in the guest kernel's page-fault handler by a source line
 * of guests/kernel/trap.s (the assembler's line table), steps back three
 * instructions and reads the registers: they must be the terminal
 * debugger's after the same commands (test_debugger.h's sessions).
 * Malformed input gets error responses, and the server goes on.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <errno.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/helpers.h"
#include "tests/test_debugger.h"

struct client {
    pid_t pid;
    int to, from;
    char *buf;
    size_t len, cap;
    int seq;
    json_t *events;      /* every event seen, in order */
};

static void client_open(struct client *c)
{
    memset(c, 0, sizeof *c);
    const char *bin = getenv("RINGSIM_BIN");
    if (!bin) bin = root_path("ringsim");
    int in[2], out[2];
    cr_assert(pipe(in) == 0 && pipe(out) == 0);
    signal(SIGPIPE, SIG_IGN);
    c->pid = fork();
    cr_assert(c->pid >= 0);
    if (c->pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        close(in[0]);
        close(in[1]);
        close(out[0]);
        close(out[1]);
        /* RINGSIM_DAP_LOG=FILE keeps the session's messages (ringsim dap --log) */
        const char *log = getenv("RINGSIM_DAP_LOG");
        if (log) execl(bin, bin, "dap", "--log", log, (char *)NULL);
        else execl(bin, bin, "dap", (char *)NULL);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    c->to = in[1];
    c->from = out[0];
    c->events = json_array();
}

static void send_raw(struct client *c, const char *bytes, size_t n)
{
    while (n) {
        ssize_t k = write(c->to, bytes, n);
        if (k < 0 && errno == EINTR) continue;
        cr_assert(k > 0, "cannot write to ringsim dap");
        bytes += k;
        n -= (size_t)k;
    }
}

static void send_body(struct client *c, const char *body)
{
    char head[64];
    snprintf(head, sizeof head, "Content-Length: %zu\r\n\r\n", strlen(body));
    send_raw(c, head, strlen(head));
    send_raw(c, body, strlen(body));
}

/* The next message (10 s at most). */
static json_t *next_message(struct client *c)
{
    for (;;) {
        char *end = c->len ? memmem(c->buf, c->len, "\r\n\r\n", 4) : NULL;
        if (end) {
            size_t hlen = (size_t)(end - c->buf) + 4;
            cr_assert(!strncmp(c->buf, "Content-Length: ", 16), "a message without Content-Length: %.40s", c->buf);
            size_t blen = strtoul(c->buf + 16, NULL, 10);
            if (c->len >= hlen + blen) {
                json_error_t e;
                json_t *m = json_loadb(c->buf + hlen, blen, 0, &e);
                cr_assert(m, "ringsim dap sent JSON that does not parse: %s", e.text);
                memmove(c->buf, c->buf + hlen + blen, c->len - hlen - blen);
                c->len -= hlen + blen;
                return m;
            }
        }
        struct pollfd p = {c->from, POLLIN, 0};
        cr_assert(poll(&p, 1, 10000) == 1, "ringsim dap said nothing for 10 s");
        if (c->cap - c->len < 65536) {
            c->cap = c->cap ? c->cap * 2 : 131072;
            c->buf = realloc(c->buf, c->cap);
            cr_assert(c->buf);
        }
        ssize_t k = read(c->from, c->buf + c->len, c->cap - c->len);
        cr_assert(k > 0, "ringsim dap closed its output");
        c->len += (size_t)k;
    }
}

/* Sends a request (args: a JSON object's text, or NULL) and returns its
 * response; events on the way are kept. */
static json_t *request(struct client *c, const char *command, const char *args)
{
    char *body;
    cr_assert(asprintf(&body, "{\"seq\":%d,\"type\":\"request\",\"command\":\"%s\"%s%s}", ++c->seq, command,
                       args ? ",\"arguments\":" : "", args ? args : "") > 0);
    send_body(c, body);
    free(body);
    for (;;) {
        json_t *m = next_message(c);
        const char *type = json_string_value(json_object_get(m, "type"));
        if (type && !strcmp(type, "event")) {
            json_array_append_new(c->events, m);
            continue;
        }
        cr_assert_str_eq(type, "response");
        cr_assert_eq(json_integer_value(json_object_get(m, "request_seq")), c->seq, "a response to another request");
        return m;
    }
}

static bool ok(json_t *r) { return json_is_true(json_object_get(r, "success")); }

/* Waits for the event named (it may have come already, after `from`). */
static json_t *wait_event(struct client *c, const char *event, size_t *from)
{
    for (;;) {
        for (; *from < json_array_size(c->events); (*from)++) {
            json_t *e = json_array_get(c->events, *from);
            if (!strcmp(json_string_value(json_object_get(e, "event")), event)) return json_array_get(c->events, (*from)++);
        }
        json_t *m = next_message(c);
        if (strcmp(json_string_value(json_object_get(m, "type")), "event") != 0) {
            /* a response to a request sent with send_body: it must have succeeded */
            cr_assert(ok(m), "%s failed: %s", json_string_value(json_object_get(m, "command")),
                      json_string_value(json_object_get(m, "message")));
            json_decref(m);
            continue;
        }
        json_array_append_new(c->events, m);
    }
}


static void client_close(struct client *c)
{
    json_decref(request(c, "disconnect", NULL));
    close(c->to);
    int status;
    cr_assert_eq(waitpid(c->pid, &status, 0), c->pid);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "ringsim dap ended badly (status %d)", status);
    close(c->from);
    free(c->buf);
    json_decref(c->events);
}

/* The line of `label:` in a file of the tree. */
static int line_of(const char *rel, const char *label)
{
    char *text = slurp(root_path(rel));
    cr_assert(text, "cannot read %s", rel);
    int line = 1;
    for (char *p = text; *p; p++) {
        if (!strncmp(p, label, strlen(label)) && (p == text || p[-1] == '\n')) {
            free(text);
            return line;
        }
        if (*p == '\n') line++;
    }
    free(text);
    cr_assert_fail("no %s in %s", label, rel);
    return 0;
}

static uint32_t hexval(json_t *v) { return (uint32_t)strtoul(json_string_value(v), NULL, 0); }

Test(dap, page_fault_step_back_registers, .timeout = 60)
{
    struct client c;
    client_open(&c);
    json_t *r = request(&c, "initialize", "{\"adapterID\":\"ringsim\"}");
    cr_assert(ok(r));
    cr_assert(json_is_true(json_object_get(json_object_get(r, "body"), "supportsStepBack")));
    json_decref(r);
    r = request(&c, "launch", "{\"program\":\"kernel\",\"args\":[\"--mode\",\"native\"],\"stopOnEntry\":true}");
    cr_assert(ok(r), "launch: %s", json_string_value(json_object_get(r, "message")));
    json_decref(r);
    size_t ev = 0;
    wait_event(&c, "initialized", &ev);

    /* a breakpoint on the label line of the page-fault handler */
    int line = line_of("guests/kernel/trap.s", "user_pgfault:");
    char args[4096];
    snprintf(args, sizeof args, "{\"source\":{\"path\":\"%s\"},\"breakpoints\":[{\"line\":%d}]}",
             root_path("guests/kernel/trap.s"), line);
    r = request(&c, "setBreakpoints", args);
    cr_assert(ok(r));
    json_t *bp = json_array_get(json_object_get(json_object_get(r, "body"), "breakpoints"), 0);
    cr_assert(json_is_true(json_object_get(bp, "verified")), "not verified: %s",
              json_string_value(json_object_get(bp, "message")));
    cr_assert_gt(json_integer_value(json_object_get(bp, "line")), line, "moved to the handler's first instruction");
    uint32_t handler = guest_sym("kernel", "user_pgfault");
    cr_assert_eq(hexval(json_object_get(bp, "instructionReference")), handler);
    json_int_t bp_line = json_integer_value(json_object_get(bp, "line"));
    json_decref(r);

    r = request(&c, "configurationDone", NULL);
    cr_assert(ok(r));
    json_decref(r);
    json_t *st = wait_event(&c, "stopped", &ev);
    cr_assert_str_eq(json_string_value(json_object_get(json_object_get(st, "body"), "reason")), "entry");

    r = request(&c, "continue", "{\"threadId\":1}");
    cr_assert(ok(r));
    json_decref(r);
    st = wait_event(&c, "stopped", &ev);
    cr_assert_str_eq(json_string_value(json_object_get(json_object_get(st, "body"), "reason")), "breakpoint");

    /* where: the handler, in trap.s */
    r = request(&c, "stackTrace", "{\"threadId\":1}");
    json_t *frame = json_array_get(json_object_get(json_object_get(r, "body"), "stackFrames"), 0);
    cr_assert_eq(hexval(json_object_get(frame, "instructionPointerReference")), handler);
    cr_assert(strstr(json_string_value(json_object_get(frame, "name")), "user_pgfault"));
    const char *path = json_string_value(json_object_get(json_object_get(frame, "source"), "path"));
    cr_assert(path && strstr(path, "guests/kernel/trap.s"), "source %s", path ? path : "(none)");
    cr_assert_eq(json_integer_value(json_object_get(frame, "line")), bp_line);
    /* and beneath it the user code the page fault interrupted */
    json_t *frames = json_object_get(json_object_get(r, "body"), "stackFrames");
    cr_assert_eq(json_array_size(frames), 2, "the handler and the code it interrupted");
    json_t *under = json_array_get(frames, 1);
    uint32_t interrupted = hexval(json_object_get(under, "instructionPointerReference"));
    cr_assert(strstr(json_string_value(json_object_get(under, "name")), "ring 3, interrupted by page_fault"), "%s",
              json_string_value(json_object_get(under, "name")));
    json_decref(r);

    for (int i = 0; i < 3; i++) {
        r = request(&c, "stepBack", "{\"threadId\":1}");
        cr_assert(ok(r));
        json_decref(r);
        wait_event(&c, "stopped", &ev);
    }

    r = request(&c, "scopes", "{\"frameId\":1}");
    json_t *scope = json_array_get(json_object_get(json_object_get(r, "body"), "scopes"), 0);
    cr_assert(strstr(json_string_value(json_object_get(scope, "name")), "Registers (ring"));
    json_int_t regs_ref = json_integer_value(json_object_get(scope, "variablesReference"));
    json_decref(r);
    snprintf(args, sizeof args, "{\"variablesReference\":%lld}", (long long)regs_ref);
    json_t *vars_r = request(&c, "variables", args);
    json_t *vars = json_object_get(json_object_get(vars_r, "body"), "variables");
    cr_assert_eq(json_array_size(vars), ISA_NREGS + 1);

    /* the terminal debugger, the same commands */
    struct dsession *s = ds_open("kernel", "native", 0, 0);
    cr_assert_eq(ds_cmd(s, "break user_pgfault"), VIS_DBG_OK);
    cr_assert_eq(ds_cmd(s, "continue"), VIS_DBG_OK);
    cr_assert_eq(s->d->m->cpu.pc, handler);
    cr_assert_eq(interrupted, s->d->m->cpu.cr[CR_EPC], "frame 2 is the faulting pc: 0x%08x, epc 0x%08x",
                 interrupted, s->d->m->cpu.cr[CR_EPC]);
    cr_assert_eq(ds_cmd(s, "backtrace"), VIS_DBG_OK);
    char bt1[64];
    snprintf(bt1, sizeof bt1, "#1  v:0x%08x", interrupted);
    cr_assert(strstr(ds_out(s), bt1) && strstr(ds_out(s), "interrupted by page_fault"), "backtrace:\n%s", ds_out(s));
    for (int i = 0; i < 3; i++) cr_assert_eq(ds_cmd(s, "reverse-step"), VIS_DBG_OK);
    for (int r2 = 0; r2 < ISA_NREGS; r2++) {
        json_t *v = json_array_get(vars, (size_t)r2);
        cr_assert_str_eq(json_string_value(json_object_get(v, "name")), isa_reg_name(r2));
        cr_assert_eq(hexval(json_object_get(v, "value")), s->d->m->cpu.r[r2], "%s: dap 0x%08x, debugger 0x%08x",
                     isa_reg_name(r2), hexval(json_object_get(v, "value")), s->d->m->cpu.r[r2]);
    }
    cr_assert_eq(hexval(json_object_get(json_array_get(vars, ISA_NREGS), "value")), s->d->m->cpu.pc);
    json_decref(vars_r);

    /* the REPL is the debugger's command line: the same `info regs` */
    r = request(&c, "evaluate", "{\"expression\":\"info regs\",\"context\":\"repl\"}");
    cr_assert(ok(r));
    ds_cmd(s, "info regs");
    const char *result = json_string_value(json_object_get(json_object_get(r, "body"), "result"));
    cr_assert(result && !strncmp(result, ds_out(s), strlen(result)) && !strcmp(ds_out(s) + strlen(result), "\n"),
              "the REPL's `info regs`:\n%s\nthe debugger's:\n%s", result, ds_out(s));
    json_decref(r);

    /* the cycles as a custom request: the session's */
    r = request(&c, "ringsim/cycles", NULL);
    cr_assert(ok(r));
    cr_assert_eq(json_integer_value(json_object_get(json_object_get(r, "body"), "cycles")),
                 (json_int_t)s->d->m->st.cycles);
    json_decref(r);

    /* memory as x reads it, and the disassembly at pc */
    snprintf(args, sizeof args, "{\"memoryReference\":\"0x%08x\",\"count\":4}", s->d->m->cpu.pc);
    r = request(&c, "readMemory", args);
    cr_assert(ok(r));
    cr_assert_eq(hexval(json_object_get(json_object_get(r, "body"), "address")), s->d->m->cpu.pc);
    json_decref(r);
    snprintf(args, sizeof args, "{\"memoryReference\":\"0x%08x\",\"instructionCount\":2}", handler);
    r = request(&c, "disassemble", args);
    cr_assert(ok(r));
    json_t *in = json_array_get(json_object_get(json_object_get(r, "body"), "instructions"), 0);
    cr_assert_str_eq(json_string_value(json_object_get(in, "symbol")), "user_pgfault");
    json_decref(r);
    ds_close(s);
    client_close(&c);
}

Test(dap, exception_breakpoint_page_fault, .timeout = 60)
{
    struct client c;
    client_open(&c);
    json_decref(request(&c, "initialize", "{}"));
    json_t *r = request(&c, "launch", "{\"program\":\"kernel\"}");
    cr_assert(ok(r));
    json_decref(r);
    r = request(&c, "setExceptionBreakpoints", "{\"filters\":[\"trap_page_fault\"]}");
    cr_assert(ok(r));
    cr_assert(json_is_true(json_object_get(
        json_array_get(json_object_get(json_object_get(r, "body"), "breakpoints"), 0), "verified")));
    json_decref(r);
    size_t ev = 0;
    json_decref(request(&c, "configurationDone", NULL));   /* no stopOnEntry: it runs */
    json_t *st = wait_event(&c, "stopped", &ev);
    cr_assert_str_eq(json_string_value(json_object_get(json_object_get(st, "body"), "reason")), "exception");
    r = request(&c, "stackTrace", "{\"threadId\":1}");
    json_t *frame = json_array_get(json_object_get(json_object_get(r, "body"), "stackFrames"), 0);
    struct dsession *s = ds_open("kernel", "native", 0, 0);
    ds_cmd(s, "break trap page_fault");
    ds_cmd(s, "continue");
    cr_assert_eq(hexval(json_object_get(frame, "instructionPointerReference")), s->d->m->cpu.pc);
    json_decref(r);
    /* stepOut: to where the handler returns — the faulting instruction, in ring 3 */
    r = request(&c, "evaluate", "{\"expression\":\"epc\",\"context\":\"watch\"}");
    cr_assert(ok(r));
    uint32_t epc = (uint32_t)strtoul(json_string_value(json_object_get(json_object_get(r, "body"), "result")), NULL, 0);
    json_decref(r);
    json_decref(request(&c, "stepOut", "{\"threadId\":1}"));
    wait_event(&c, "stopped", &ev);
    r = request(&c, "stackTrace", "{\"threadId\":1}");
    frame = json_array_get(json_object_get(json_object_get(r, "body"), "stackFrames"), 0);
    cr_assert_eq(hexval(json_object_get(frame, "instructionPointerReference")), epc);
    cr_assert(strstr(json_string_value(json_object_get(frame, "name")), "(ring 3)"), "%s",
              json_string_value(json_object_get(frame, "name")));
    json_decref(r);
    /* an instruction breakpoint: the next page fault's handler */
    uint32_t handler = guest_sym("kernel", "user_pgfault");
    char args[256];
    snprintf(args, sizeof args, "{\"breakpoints\":[{\"instructionReference\":\"0x%08x\",\"offset\":4}]}",
             handler - 4);
    r = request(&c, "setInstructionBreakpoints", args);
    cr_assert(json_is_true(json_object_get(
        json_array_get(json_object_get(json_object_get(r, "body"), "breakpoints"), 0), "verified")));
    json_decref(r);
    json_decref(request(&c, "setExceptionBreakpoints", "{\"filters\":[]}"));
    json_decref(request(&c, "continue", "{\"threadId\":1}"));
    st = wait_event(&c, "stopped", &ev);
    cr_assert_str_eq(json_string_value(json_object_get(json_object_get(st, "body"), "reason")), "breakpoint");
    r = request(&c, "stackTrace", "{\"threadId\":1}");
    frame = json_array_get(json_object_get(json_object_get(r, "body"), "stackFrames"), 0);
    cr_assert_eq(hexval(json_object_get(frame, "instructionPointerReference")), handler);
    json_decref(r);
    /* an exit filter natively: refused, with the debugger's reason */
    r = request(&c, "setExceptionBreakpoints", "{\"filters\":[\"exit_hlt\"]}");
    json_t *b = json_array_get(json_object_get(json_object_get(r, "body"), "breakpoints"), 0);
    cr_assert(!json_is_true(json_object_get(b, "verified")));
    cr_assert(strstr(json_string_value(json_object_get(b, "message")), "natively"));
    json_decref(r);
    ds_close(s);
    client_close(&c);
}

Test(dap, malformed_input_gets_error_responses, .timeout = 30)
{
    struct client c;
    client_open(&c);
    /* JSON that does not parse */
    send_body(&c, "{\"seq\":1,\"type\":\"request\",");
    json_t *m = next_message(&c);
    cr_assert_str_eq(json_string_value(json_object_get(m, "type")), "response");
    cr_assert(!ok(m));
    cr_assert(strstr(json_string_value(json_object_get(m, "message")), "not JSON"));
    json_decref(m);
    /* not a request */
    send_body(&c, "[1,2,3]");
    m = next_message(&c);
    cr_assert(!ok(m));
    cr_assert(strstr(json_string_value(json_object_get(m, "message")), "expected a request"));
    json_decref(m);
    /* a header without a length */
    send_raw(&c, "Content-Type: x\r\n\r\n", 19);
    m = next_message(&c);
    cr_assert(!ok(m));
    cr_assert(strstr(json_string_value(json_object_get(m, "message")), "Content-Length"));
    json_decref(m);
    /* requests with bad arguments, unknown requests, requests before launch */
    c.seq = 10;
    json_t *r = request(&c, "launch", "{\"args\":[\"--mode\"]}");
    cr_assert(!ok(r));
    json_decref(r);
    r = request(&c, "launch", "{\"program\":\"kernel\",\"args\":\"--mode hw\"}");
    cr_assert(!ok(r));
    cr_assert(strstr(json_string_value(json_object_get(r, "message")), "array"));
    json_decref(r);
    r = request(&c, "launch", "{\"program\":\"kernel\",\"args\":[\"--mode\",\"nosuch\"]}");
    cr_assert(!ok(r));
    cr_assert(strstr(json_string_value(json_object_get(r, "message")), "nosuch"), "%s",
              json_string_value(json_object_get(r, "message")));
    json_decref(r);
    r = request(&c, "stackTrace", "{}");
    cr_assert(!ok(r));
    json_decref(r);
    r = request(&c, "frobnicate", "{}");
    cr_assert(!ok(r));
    json_decref(r);
    r = request(&c, "launch", "[]");
    cr_assert(!ok(r));
    json_decref(r);
    /* and it still serves */
    r = request(&c, "launch", "{\"program\":\"kernel\",\"stopOnEntry\":true}");
    cr_assert(ok(r));
    json_decref(r);
    r = request(&c, "readMemory", "{\"memoryReference\":\"nonsense\",\"count\":4}");
    cr_assert(!ok(r));
    json_decref(r);
    r = request(&c, "evaluate", "{\"expression\":\"frobnicate\",\"context\":\"repl\"}");
    cr_assert(!ok(r));
    cr_assert(strstr(json_string_value(json_object_get(r, "message")), "unknown command"));
    json_decref(r);
    r = request(&c, "variables", "{\"variablesReference\":\"x\"}");
    cr_assert(!ok(r));
    json_decref(r);
    client_close(&c);
}

Test(dap, help_and_listing)
{
    char *out;
    cr_assert_eq(run_ringsim("dap --help", &out, NULL), 0);
    cr_assert(strstr(out, "usage: ringsim dap") && strstr(out, "Debug Adapter Protocol") && strstr(out, "stopOnEntry"));
    free(out);
    cr_assert_eq(run_ringsim("help", &out, NULL), 0);
    cr_assert(strstr(out, "  dap "), "ringsim help lists dap");
    free(out);
    cr_assert_eq(run_ringsim("dap kernel", NULL, NULL), 2, "the program comes with launch, not the command line");
}

Test(dap, pause_stops_a_guest_that_never_ends, .timeout = 60)
{
    const char *img = assemble(temp_dir(), "spin",
                               "        .text\n        .global _start\n_start: li r1, 0\n"
                               "spin:   addi r1, r1, 1\n        j spin\n");
    struct client c;
    client_open(&c);
    json_decref(request(&c, "initialize", "{}"));
    char args[4096];
    snprintf(args, sizeof args, "{\"program\":\"%s\",\"args\":[\"--max-cycles\",\"4000000000\"]}", img);
    json_t *r = request(&c, "launch", args);
    cr_assert(ok(r), "%s", json_string_value(json_object_get(r, "message")));
    json_decref(r);
    /* configurationDone: it runs; the pause is read between its chunks */
    char *body;
    cr_assert(asprintf(&body, "{\"seq\":%d,\"type\":\"request\",\"command\":\"configurationDone\"}", ++c.seq) > 0);
    send_body(&c, body);
    free(body);
    cr_assert(asprintf(&body, "{\"seq\":%d,\"type\":\"request\",\"command\":\"pause\",\"arguments\":{\"threadId\":1}}",
                       ++c.seq) > 0);
    send_body(&c, body);
    free(body);
    size_t ev = 0;
    json_t *st = wait_event(&c, "stopped", &ev);
    cr_assert_str_eq(json_string_value(json_object_get(json_object_get(st, "body"), "reason")), "pause");
    /* the source beside the image gives the lines */
    r = request(&c, "stackTrace", "{\"threadId\":1}");
    json_t *frame = json_array_get(json_object_get(json_object_get(r, "body"), "stackFrames"), 0);
    const char *path = json_string_value(json_object_get(json_object_get(frame, "source"), "path"));
    cr_assert(path && strstr(path, "spin.s"), "source %s", path ? path : "(none)");
    json_int_t line = json_integer_value(json_object_get(frame, "line"));
    cr_assert(line == 4 || line == 5, "line %lld", (long long)line);
    json_decref(r);
    client_close(&c);
}

/* The extension's grammar knows every instruction of the ISA. */
Test(dap, vscode_grammar_knows_every_mnemonic)
{
    json_error_t e;
    json_t *g = json_load_file(root_path("editors/vscode/syntaxes/ringsim-asm.tmLanguage.json"), 0, &e);
    cr_assert(g, "the grammar does not parse: %s", e.text);
    const char *insns = NULL;
    json_t *pats = json_object_get(g, "patterns");
    for (size_t i = 0; i < json_array_size(pats); i++) {
        json_t *p = json_array_get(pats, i);
        if (!strcmp(json_string_value(json_object_get(p, "name")), "keyword.other.instruction.ringsim-asm"))
            insns = json_string_value(json_object_get(p, "match"));
    }
    cr_assert(insns);
    for (int op = 0; op < OP_COUNT; op++) {
        const char *mn = isa_info[op].mnemonic;
        if (!mn || !*mn || *mn == '(') continue;   /* "(invalid)": no instruction */
        char word[64];
        snprintf(word, sizeof word, "%s", mn);
        bool found = false;
        for (const char *p = insns; (p = strstr(p, word)) != NULL; p++) {
            char before = p == insns ? '|' : p[-1], after = p[strlen(word)];
            if ((before == '|' || before == '(') && (after == '|' || after == ')')) found = true;
        }
        cr_assert(found, "the grammar lacks the instruction %s", mn);
    }
    json_decref(g);
    json_t *pkg = json_load_file(root_path("editors/vscode/package.json"), 0, &e);
    cr_assert(pkg, "package.json does not parse: %s", e.text);
    json_t *dbg = json_array_get(json_object_get(json_object_get(pkg, "contributes"), "debuggers"), 0);
    cr_assert_str_eq(json_string_value(json_object_get(dbg, "type")), "ringsim");
    json_decref(pkg);
}

/* The extension itself, loaded as VS Code's extension host would load it
 * (tests/vscode/host.js, under node, with a stand-in for VS Code's API): it
 * registers what package.json promises, starts `ringsim dap` in the
 * workspace, and after a stop on the first page fault under hw+nested its
 * "Show the TLB" command prints the TLB the terminal debugger shows there,
 * and its tracker the same cycle count. */
Test(dap, vscode_extension_loads_and_shows_the_terminal_debuggers_tlb, .timeout = 90)
{
    const char *bin = getenv("RINGSIM_BIN");
    if (!bin) bin = root_path("ringsim");
    char *root = realpath(root_path("."), NULL), cmd[4096];
    cr_assert(root);
    snprintf(cmd, sizeof cmd, "cd '%s' && node tests/vscode/host.js '%s' '%s' 2>&1", root, bin, root);
    int status;
    char *out = shell_out(cmd, &status);
    cr_assert(out);
    cr_assert_eq(status, 0, "host.js failed:\n%s", out);
    cr_assert(strstr(out, "command ringsim.showTlb\ncommand ringsim.showWalk\ncommand ringsim.showCycles\n"), "%s", out);
    char adapter[2048];
    snprintf(adapter, sizeof adapter, "adapter %s dap cwd=%s\n", bin, root);
    cr_assert(strstr(out, adapter), "expected '%s' in:\n%s", adapter, out);
    cr_assert(strstr(out, "stopped exception\n"), "%s", out);

    struct dsession *s = ds_open_mmu("kernel", "hw", "nested", 0, 0);
    cr_assert_eq(ds_cmd(s, "break trap page_fault"), VIS_DBG_OK);
    cr_assert_eq(ds_cmd(s, "continue"), VIS_DBG_OK);
    char cycles[64];
    snprintf(cycles, sizeof cycles, "channel cycles %llu, last: {", (unsigned long long)s->d->m->st.cycles);
    cr_assert(strstr(out, cycles), "the tracker's cycles: expected '%s' in:\n%s", cycles, out);
    cr_assert_eq(ds_cmd(s, "info tlb"), VIS_DBG_OK);
    /* every line of `info tlb`, in order, as "channel LINE" after "== TLB" */
    const char *at = strstr(out, "channel == TLB\n");
    cr_assert(at, "%s", out);
    at += strlen("channel == TLB\n");
    char *tlb = strdup(ds_out(s));
    int lines = 0;
    for (char *save = NULL, *l = strtok_r(tlb, "\n", &save); l; l = strtok_r(NULL, "\n", &save), lines++) {
        char want[512];
        snprintf(want, sizeof want, "channel %s\n", l);
        cr_assert(!strncmp(at, want, strlen(want)), "TLB line %d: expected '%s', extension printed:\n%.300s", lines,
                  want, at);
        at += strlen(want);
    }
    cr_assert_gt(lines, 3);
    cr_assert(!strncmp(at, "channel == Cycles\n", 18), "%.200s", at);
    free(tlb);
    free(out);
    free(root);
    ds_close(s);
}
