/*
 * test_debugger_cli.c — `ringsim debug` as a program (line mode from a
 * script or a pipe, its errors, Ctrl-C on a guest that never stops) and
 * `ringsim run --trace`, whose lines are the debugger's events.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <fcntl.h>
#include <poll.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/helpers.h"

/* A file the test expects to exist. */
static char *must_slurp(const char *path)
{
    char *s = slurp(path);
    cr_assert(s, "no %s", path);
    return s;
}

static const char *bin(void)
{
    const char *b = getenv("RINGSIM_BIN");
    return b ? b : root_path("ringsim");
}

static char *write_temp(const char *dir, const char *name, const char *text)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    cr_assert(f);
    fputs(text, f);
    fclose(f);
    return path;
}


/* ---- line mode ------------------------------------------------------------------------ */
Test(debugger, cli_batch_runs_a_script_and_prints_plain_text)
{
    const char *dir = temp_dir();
    char script[512];
    snprintf(script, sizeof script, "%s", write_temp(dir, "s.txt",
        "# a lab script\nbreak kernel_trap\ncontinue\ninfo regs\nx/2i pc\nquit\nstep\n"));
    char args[1024], *out, *err;
    snprintf(args, sizeof args, "debug kernel --batch %s", script);
    int st = run_ringsim(args, &out, &err);
    cr_assert_eq(st, 0, "%s%s", out, err);
    uint32_t kt = guest_sym("kernel", "kernel_trap");
    char want[128];
    snprintf(want, sizeof want, "(ringsim) break kernel_trap\nBreakpoint 1 at v:0x%08x <kernel_trap>", kt);
    cr_assert(strstr(out, want), "%s", out);
    snprintf(want, sizeof want, "Breakpoint 1, at v:0x%08x <kernel_trap>", kt);
    cr_assert(strstr(out, want), "%s", out);
    cr_assert(strstr(out, "init: running each workload briefly"), "the guest's console is there: %s", out);
    snprintf(want, sizeof want, "pc  %08x <kernel_trap>", kt);
    cr_assert(strstr(out, want), "%s", out);
    cr_assert_null(strstr(out, "(ringsim) step"), "nothing runs after quit");
    cr_assert_null(strchr(out, '\033'), "plain text: no terminal escapes");
    free(out);
    free(err);
}

Test(debugger, cli_batch_exits_1_when_a_command_failed)
{
    const char *dir = temp_dir();
    char args[1024], *out, *err;
    snprintf(args, sizeof args, "debug hello --batch %s", write_temp(dir, "s.txt", "step\nfly\nstep\n"));
    cr_assert_eq(run_ringsim(args, &out, &err), 1);
    cr_assert(strstr(err, "error: unknown command 'fly' (help lists the commands)"), "%s", err);
    cr_assert(strstr(out, "step 2)"), "the script goes on after an error: %s", out);
    free(out);
    free(err);
}

Test(debugger, cli_reads_commands_from_a_pipe)
{
    char cmd[1024];
    const char *dir = temp_dir();
    snprintf(cmd, sizeof cmd, "printf 'step 2\\ninfo regs\\n' | timeout 60 '%s' debug kernel --mode hw >%s/out 2>&1", bin(),
             dir);
    int st = system(cmd);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    snprintf(cmd, sizeof cmd, "%s/out", dir);
    char *out = must_slurp(cmd);
    cr_assert(strstr(out, "line mode"), "%s", out);
    cr_assert(strstr(out, "sp  00007040"), "%s", out);
    cr_assert(strstr(out, "VM 0 non-root"), "%s", out);
    free(out);
}

Test(debugger, cli_says_what_it_expected)
{
    char *out, *err;
    cr_assert_eq(run_ringsim("debug", &out, &err), 2);
    cr_assert(strstr(err, "ringsim debug: expected an image"), "%s", err);
    free(out), free(err);
    cr_assert_eq(run_ringsim("debug hello kernel", &out, &err), 2);
    cr_assert(strstr(err, "one image at a time"), "%s", err);
    free(out), free(err);
    cr_assert_eq(run_ringsim("debug nosuchprogram", &out, &err), 2);
    cr_assert(strstr(err, "no such file or bundled program"), "%s", err);
    free(out), free(err);
    cr_assert_eq(run_ringsim("debug hello --batch /nonexistent/script", &out, &err), 2);
    cr_assert(strstr(err, "--batch /nonexistent/script: cannot read it"), "%s", err);
    free(out), free(err);
    cr_assert_eq(run_ringsim("debug hello --levels 9", &out, &err), 2);
    cr_assert(strstr(err, "expected 2, 3 or 4"), "%s", err);
    free(out), free(err);
    cr_assert_eq(run_ringsim("debug hello --max-cycles 0", &out, &err), 2);
    cr_assert(strstr(err, "--max-cycles '0': expected a positive number"), "%s", err);
    free(out), free(err);
    cr_assert_eq(run_ringsim("debug --help", &out, &err), 0);
    cr_assert(strstr(out, "usage: ringsim debug IMG"), "%s", out);
    cr_assert(strstr(out, "--batch FILE"), "%s", out);
    free(out), free(err);
    cr_assert_eq(run_ringsim("help", &out, &err), 0);
    cr_assert(strstr(out, "debug") && !strstr(out, "arrives with issue #7"), "%s", out);
    free(out), free(err);
}

Test(debugger, cli_max_cycles_stops_the_machine)
{
    const char *dir = temp_dir();
    char args[1024], *out, *err;
    snprintf(args, sizeof args, "debug kernel --max-cycles 5000 --batch %s",
             write_temp(dir, "s.txt", "continue\nstep\nreverse-step 10\n"));
    cr_assert_eq(run_ringsim(args, &out, &err), 1, "%s%s", out, err);
    cr_assert(strstr(out, "The machine stopped: cycle limit 5000"), "%s", out);
    cr_assert(strstr(err, "the machine has stopped"), "%s", err);
    free(out);
    free(err);
}

/* ---- Ctrl-C ------------------------------------------------------------------------------ */
static bool read_until(int fd, char *buf, size_t cap, size_t *len, const char *want, double seconds)
{
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        buf[*len] = 0;
        if (strstr(buf, want)) return true;
        clock_gettime(CLOCK_MONOTONIC, &t);
        double left = seconds - ((double)(t.tv_sec - t0.tv_sec) + (t.tv_nsec - t0.tv_nsec) * 1e-9);
        if (left <= 0) return false;
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 50) > 0) {
            ssize_t n = read(fd, buf + *len, cap - 1 - *len);
            if (n <= 0) return strstr(buf, want) != NULL;
            *len += (size_t)n;
        }
    }
}

Test(debugger, cli_ctrl_c_stops_an_endless_guest_and_returns_to_the_prompt, .timeout = 60)
{
    const char *dir = temp_dir();
    char img[512], args[2048];
    snprintf(img, sizeof img, "%s/spin.img", dir);
    snprintf(args, sizeof args, "asm %s -o %s",
             write_temp(dir, "spin.s", "        .text\n        .global _start\n_start: addi r1, r1, 1\n"
                                       "        beq r0, r0, _start\n"), img);
    cr_assert_eq(run_ringsim(args, NULL, NULL), 0);
    int in[2], out[2];
    cr_assert(pipe(in) == 0 && pipe(out) == 0);
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        dup2(out[1], 2);
        close(in[1]);
        close(out[0]);
        execl(bin(), bin(), "debug", img, (char *)NULL);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    static char buf[1 << 16];
    size_t len = 0;
    cr_assert(write(in[1], "continue\n", 9) == 9);
    cr_assert(read_until(out[0], buf, sizeof buf, &len, "(ringsim) continue", 10), "%s", buf);
    bool stopped = false;
    for (int i = 0; i < 100 && !stopped; i++) {
        kill(pid, SIGINT);
        stopped = read_until(out[0], buf, sizeof buf, &len, "Interrupted.", 0.1);
    }
    cr_assert(stopped, "Ctrl-C did not stop the run: %s", buf);
    const char *more = "info regs\nquit\n";
    cr_assert(write(in[1], more, strlen(more)) == (ssize_t)strlen(more));
    close(in[1]);
    cr_assert(read_until(out[0], buf, sizeof buf, &len, "(ringsim) quit", 10), "%s", buf);
    int st = 0;
    for (int i = 0; i < 100 && waitpid(pid, &st, WNOHANG) == 0; i++) usleep(50000);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %d: %s", st, buf);
    cr_assert(strstr(buf, "pc  00001000 <_start>") || strstr(buf, "pc  00001004 <_start+4>"), "%s", buf);
    close(out[0]);
}

/* ---- run --trace ---------------------------------------------------------------------------- */
/* Every address in a line is tagged with its space; returns the first that is not. */
static const char *untagged(const char *line)
{
    static const char *const keys[] = {"epc=", "badaddr=", "pc=", "gpa=", "va=", "addr=", NULL};
    for (int k = 0; keys[k]; k++)
        for (const char *p = line; (p = strstr(p, keys[k])) != NULL; p++)
            if ((p == line || p[-1] == ' ') && !(p[strlen(keys[k])] && strchr("vgh", p[strlen(keys[k])]) &&
                                                 p[strlen(keys[k]) + 1] == ':'))
                return p;
    return NULL;
}

Test(debugger, trace_tags_every_address_and_every_reference, .timeout = 60)
{
    const char *dir = temp_dir();
    char args[1024], path[512], *out, *err;
    snprintf(path, sizeof path, "%s/trace.txt", dir);
    snprintf(args, sizeof args, "run syscall --args 10 --mode hw --levels 4 --host-levels 4 --trace walk,exit,trap:%s",
             path);
    cr_assert_eq(run_ringsim(args, &out, &err), 0, "%s", err);
    cr_assert(strstr(out, "syscall: 10 iterations"), "the guest's output is unchanged: %s", out);
    char *text = must_slurp(path);
    regex_t line_re, ref_re;
    cr_assert(regcomp(&line_re, "^[0-9]+ (trap|iret|exit|entry|walk) ", REG_EXTENDED) == 0);
    cr_assert(regcomp(&ref_re, " #([0-9]+) ([GH])([0-3]) ([gh]):0x[0-9a-f]{8}\\[[0-9]+\\]=0x[0-9a-f]{8}", REG_EXTENDED) == 0);
    int lines = 0, exits = 0, walks24 = 0;
    for (char *l = strtok(text, "\n"); l; l = strtok(NULL, "\n"), lines++) {
        cr_assert(regexec(&line_re, l, 0, NULL, 0) == 0, "bad line: %s", l);
        cr_assert_null(untagged(l), "an address without v:/g:/h: in: %s", l);
        if (strstr(l, " exit ")) {
            exits++;
            cr_assert(strstr(l, " reason=") && strstr(l, " qual=0x"), "%s", l);
        }
        if (strstr(l, " walk ") && strstr(l, " refs=24 ")) {
            walks24++;
            cr_assert(strstr(l, " #24 H3 h:0x"), "%s", l);
            /* guest tables are guest-physical, host tables host-physical */
            regmatch_t mt[5];
            for (const char *p = l; regexec(&ref_re, p, 5, mt, 0) == 0; p += mt[0].rm_eo) {
                char dim = p[mt[2].rm_so], space = p[mt[4].rm_so];
                cr_assert_eq(dim == 'G' ? 'g' : 'h', space, "%s", l);
            }
        }
    }
    cr_assert_gt(lines, 100);
    cr_assert_gt(exits, 0);
    cr_assert_gt(walks24, 0, "cold 4x4 nested walks cost 24 references");
    regfree(&line_re);
    regfree(&ref_re);
    free(text);
    free(out);
    free(err);
}

Test(debugger, trace_chooses_kinds_and_goes_to_stdout_or_stderr)
{
    char *out, *err;
    cr_assert_eq(run_ringsim("run syscall --args 10 --trace trap:-", &out, &err), 0);
    cr_assert(strstr(out, " trap cause=syscall ring=3 epc=v:0x"), "%s", out);
    cr_assert(strstr(out, " iret pc=v:0x"), "%s", out);
    cr_assert_null(strstr(out, " walk "), "walks were not asked for");
    free(out), free(err);
    cr_assert_eq(run_ringsim("run syscall --args 10 --trace tlb", &out, &err), 0);
    cr_assert(strstr(err, " walk v:0x") && !strstr(err, " | #1"), "tlb: misses without their references: %.300s", err);
    free(out), free(err);
}

Test(debugger, trace_says_what_it_expected)
{
    char *out, *err;
    cr_assert_eq(run_ringsim("run hello --trace bogus", &out, &err), 2);
    cr_assert(strstr(err, "--trace 'bogus': expected a comma-separated list of tlb, walk, trap, exit, bt, shadow"),
              "%s", err);
    free(out), free(err);
    cr_assert_eq(run_ringsim("run hello --trace trap:", &out, &err), 2);
    free(out), free(err);
    cr_assert_eq(run_ringsim("run hello --trace trap:/nonexistent/dir/t.txt", &out, &err), 2);
    cr_assert(strstr(err, "cannot write /nonexistent/dir/t.txt"), "%s", err);
    free(out), free(err);
}

Test(debugger, trace_lines_are_the_events_pane_lines, .timeout = 60)
{
    /* the same events, in the same words; the stamps differ only because
     * `run` charges a block of instructions when it enters it */
    const char *dir = temp_dir();
    char args[1024], path[512], *out, *err;
    snprintf(path, sizeof path, "%s/trace.txt", dir);
    snprintf(args, sizeof args, "run kernel --max-cycles 230000 --trace all:%s", path);
    cr_assert_eq(run_ringsim(args, &out, &err), 124);   /* just past the first timer interrupt */
    free(out), free(err);
    char *trace = must_slurp(path);
    snprintf(args, sizeof args, "debug kernel --batch %s",
             write_temp(dir, "s.txt", "break trap timer\ncontinue\ninfo events 8192\n"));
    cr_assert_eq(run_ringsim(args, &out, &err), 0, "%s", err);
    const char *pane = strstr(out, "(ringsim) info events 8192\n");
    cr_assert(pane, "%s", out);
    pane = strchr(pane, '\n') + 1;
    int compared = 0;
    const char *t = trace;
    for (; *pane; compared++) {
        const char *pe = strchr(pane, '\n'), *te = strchr(t, '\n');
        cr_assert(pe && te);
        const char *ps = strchr(pane, ' '), *ts = strchr(t, ' ');
        cr_assert(ps && ts);
        cr_assert_eq(pe - ps, te - ts, "\n%.*s\n%.*s", (int)(pe - pane), pane, (int)(te - t), t);
        cr_assert(!strncmp(ps, ts, (size_t)(pe - ps)), "\n%.*s\n%.*s", (int)(pe - pane), pane, (int)(te - t), t);
        pane = pe + 1;
        t = te + 1;
    }
    cr_assert_gt(compared, 300, "every event from the boot to the first timer interrupt");
    free(trace);
    free(out);
    free(err);
}

/* ---- the guided tour ---------------------------------------------------------------------------------- */
/* The tour's side-by-side row for mode: first and second call's cycles. */
static bool tour_row(const char *out, const char *mode, unsigned long long *first, unsigned long long *second)
{
    const char *t = strstr(out, "side by side");
    if (!t) return false;
    char pat[32];
    snprintf(pat, sizeof pat, "\n  %-8s ", mode);
    const char *row = strstr(t, pat);
    return row && sscanf(row + strlen(pat), "%llu %llu", first, second) == 2;
}

Test(debugger, tour_follows_one_system_call_under_each_technique_with_measured_costs)
{
    char *out = NULL, *err = NULL;
    int st = run_ringsim("debug --tour syscall --batch -", &out, &err);
    cr_assert_eq(st, 0, "%s", err);
    static const char *const modes[] = {"native", "te", "bt", "hw", "pv"};
    for (int i = 0; i < 5; i++) {
        char head[64];
        snprintf(head, sizeof head, "%d of 5: one system call under", i + 1);
        cr_assert(strstr(out, head), "leg %d missing:\n%s", i + 1, out);
    }
    unsigned long long f[5], s[5];
    for (int i = 0; i < 5; i++) cr_assert(tour_row(out, modes[i], &f[i], &s[i]), "no row for %s:\n%s", modes[i], out);
    /* the shape the lecture gives: hw's syscall never leaves the VM, te's
     * traps to the hypervisor and back; and a warm call costs no more */
    cr_assert_eq(s[3], s[0], "under hw the system call costs what it does natively");
    cr_assert_gt(s[1], 4 * s[0], "under te the reflected trap and emulated iret cost several times native");
    for (int i = 0; i < 5; i++) cr_assert_leq(s[i], f[i], "%s: the second call is warm", modes[i]);
    free(out);
    free(err);
    /* the tour's figures are the debugger's: the same commands typed give the same cycles */
    char *script = NULL;
    size_t len = 0;
    FILE *f2 = open_memstream(&script, &len);
    fputs("break trap syscall\ncontinue\nuntil epc\ncontinue\ninfo regs\nuntil epc\ninfo regs\nquit\n", f2);
    fclose(f2);
    char path[] = "/tmp/ringsim-tour-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    cr_assert_eq(write(fd, script, len), (ssize_t)len);
    close(fd);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "debug syscall --mode te --batch %s", path);
    cr_assert_eq(run_ringsim(cmd, &out, &err), 0, "%s", err);
    /* the cycle of the handler's first instruction and of the return, from the location lines */
    const char *a = strstr(out, "(ringsim) info regs"), *b = a ? strstr(a + 1, "(ringsim) until epc") : NULL;
    cr_assert(a && b, "%s", out);
    unsigned long long c0 = 0, c1 = 0;
    const char *p = strstr(a, "cycle "), *q = strstr(b, "cycle ");
    cr_assert(p && q && sscanf(p, "cycle %llu", &c0) == 1 && sscanf(q, "cycle %llu", &c1) == 1, "%s", out);
    cr_assert_eq(c1 - c0, s[1], "te's second system call: %llu cycles typed by hand, %llu in the tour", c1 - c0, s[1]);
    unlink(path);
    free(script);
    free(out);
    free(err);
}

Test(debugger, tour_refuses_what_it_cannot_do)
{
    char *out = NULL, *err = NULL;
    cr_assert_eq(run_ringsim("debug --tour nosuch", &out, &err), 2);
    cr_assert(strstr(err, "expected syscall"), "%s", err);
    free(out), free(err);
    cr_assert_eq(run_ringsim("debug --tour syscall --mode hw", &out, &err), 2);
    cr_assert(strstr(err, "no --mode"), "%s", err);
    free(out), free(err);
    cr_assert_eq(run_ringsim("debug --tour syscall kernel", &out, &err), 2);
    cr_assert(strstr(err, "no image"), "%s", err);
    free(out), free(err);
}

/* A run's trace adds up: the costs of its events are every cycle the run
 * spent beyond its instructions' own, under every technique. */
Test(debugger, trace_costs_add_up_to_the_runs_overhead_under_every_technique)
{
    static const char *const modes[] = {"", "--mode te", "--mode bt", "--mode hw", "--mode hw --mmu shadow",
                                        "--mode pv"};
    for (int i = 0; i < 6; i++) {
        char tr[512], st[512], cmd[1400];
        snprintf(tr, sizeof tr, "%s/trace%d.txt", temp_dir(), i);
        snprintf(st, sizeof st, "%s/stats%d.json", temp_dir(), i);
        snprintf(cmd, sizeof cmd, "run syscall --args 3 %s --trace all:%s --stats %s", modes[i], tr, st);
        char *out = NULL, *err = NULL;
        cr_assert_eq(run_ringsim(cmd, &out, &err), 0, "%s: %s", cmd, err);
        free(out);
        free(err);
        FILE *f = fopen(tr, "r");
        cr_assert(f, "%s", tr);
        char line[4096];
        unsigned long long sum = 0, events = 0;
        while (fgets(line, sizeof line, f)) {
            const char *c = strstr(line, " cost=");
            if (c) sum += strtoull(c + 6, NULL, 10), events++;
        }
        fclose(f);
        json_error_t je;
        json_t *j = json_load_file(st, 0, &je);
        cr_assert(j, "%s: %s", st, je.text);
        json_t *by = json_object_get(j, "cycles_by_cause");
        unsigned long long over = 0;
        static const char *const causes[] = {"trap", "walk", "vmexit", "hv", "bt"};
        for (int k = 0; k < 5; k++) over += (unsigned long long)json_integer_value(json_object_get(by, causes[k]));
        json_decref(j);
        cr_assert_gt(events, 0);
        cr_assert_eq(sum, over, "%s: %llu events cost %llu, the run's overhead is %llu", cmd, events, sum, over);
    }
}
