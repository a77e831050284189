/*
 * test_debugger_tmux.c — the full-screen debugger, driven through tmux as a
 * person would drive it: type commands, press function keys, resize the
 * terminal, and read what is on the screen.
 *
 * Each test runs its own tmux server (a private socket, no user config) in
 * a terminal of a fixed size, polls the screen until the text it waits for
 * appears (or a timeout passes), and kills the server when it ends.  Without
 * tmux the tests are skipped.
 */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tests/helpers.h"

static char sock[64], dir[128];

static bool have_tmux(void) { return system("tmux -V >/dev/null 2>&1") == 0; }

static int tmux(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int tmux(const char *fmt, ...)
{
    char args[2048], cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snprintf(cmd, sizeof cmd, "tmux -L %s -f /dev/null %s >/dev/null 2>&1", sock, args);
    return system(cmd);
}

/* What the screen shows now (malloc'd). */
static char *screen(void)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "tmux -L %s capture-pane -p -t dbg 2>/dev/null", sock);
    char *buf = shell_out(cmd, NULL);
    cr_assert(buf);
    return buf;
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec * 1e-9;
}

/* Waits until text is on the screen (present) or gone (!present). */
static char *wait_screen(const char *text, bool present, double seconds)
{
    double end = now() + seconds;
    for (;;) {
        char *s = screen();
        if ((strstr(s, text) != NULL) == present) return s;
        if (now() > end) {
            cr_assert(false, "after %.0f s the screen %s '%s':\n%s", seconds, present ? "still lacks" : "still shows", text, s);
            return s;
        }
        free(s);
        usleep(50000);
    }
}
#define WAIT(text) free(wait_screen(text, true, 15))

/* Waits until every one of texts is on the screen at once (a redraw may be
 * caught half-way: poll until the whole of it is there). */
static char *wait_all(const char *const *texts, double seconds)
{
    double end = now() + seconds;
    for (;;) {
        char *s = screen();
        const char *missing = NULL;
        for (int i = 0; texts[i] && !missing; i++)
            if (!strstr(s, texts[i])) missing = texts[i];
        if (!missing) return s;
        if (now() > end) {
            cr_assert(false, "after %.0f s the screen still lacks '%s':\n%s", seconds, missing, s);
            return s;
        }
        free(s);
        usleep(50000);
    }
}

static void keys(const char *k)
{
    cr_assert_eq(tmux("send-keys -t dbg %s", k), 0, "send-keys %s", k);
}

static void type(const char *line)
{
    char k[512];
    snprintf(k, sizeof k, "'%s' Enter", line);
    keys(k);
}

/* The test's own directory (made on first use), and a path in it (in a
 * buffer the next call reuses). */
static const char *in_dir(const char *name)
{
    static char path[256];
    if (!dir[0]) snprintf(dir, sizeof dir, "%s", temp_dir());
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return path;
}

static void start(const char *args, int w, int h)
{
    if (!have_tmux()) cr_skip_test("tmux is not installed");
    snprintf(sock, sizeof sock, "ringsim-test-%d", (int)getpid());
    in_dir("history");
    const char *bin = getenv("RINGSIM_BIN");
    const char *guests = getenv("RINGSIM_GUESTS");
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "env RINGSIM_HISTORY=%s/history RINGSIM_GUESTS=%s %s debug %s", dir,
             guests ? guests : root_path("build/guests"), bin ? bin : root_path("ringsim"), args);
    cr_assert_eq(tmux("new-session -d -s dbg -x %d -y %d \"%s\"", w, h, cmd), 0, "tmux new-session failed");
    WAIT("Registers (F2)");
}

static void stop(void)
{
    tmux("kill-server");
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (dir[0]) system(cmd);
}

Test(debugger, screen_steps_breaks_continues_toggles_and_resizes, .fini = stop, .timeout = 90)
{
    start("kernel", 80, 24);
    static const char *const first[] = {"Code (F3)", "Events (F7)", "=>  00001000", NULL};
    free(wait_all(first, 15));
    type("pane tlb on");   /* 80x24 has no room for every pane: bring the TLB's forward */
    WAIT("TLB (F5)");

    type("step 2");
    /* addresses of the kernel's symbols, as the panes print them */
    char sp[32], bp[64], bp_hit[64], marked[32], pc[48];
    uint32_t kt = guest_sym("kernel", "kernel_trap");
    snprintf(sp, sizeof sp, "sp  %08x", guest_sym("kernel", "kstack_top"));
    snprintf(bp, sizeof bp, "Breakpoint 1 at v:0x%08x <kernel_trap>", kt);
    snprintf(bp_hit, sizeof bp_hit, "Breakpoint 1, at v:0x%08x <kernel_trap>", kt);
    snprintf(marked, sizeof marked, "=>* %08x", kt);
    snprintf(pc, sizeof pc, "pc  %08x <kernel_trap>", kt);
    const char *const stepped[] = {"step 2 cycle 2", sp, "pc  00001008 <_start+8>", NULL};
    free(wait_all(stepped, 15));   /* the registers pane shows the new sp and pc */

    type("break kernel_trap");
    WAIT(bp);
    type("continue");
    const char *const hit[] = {
        bp_hit,
        marked,                          /* the code pane marks pc and the breakpoint */
        pc,
        "64 entries, 16 sets x 4 ways",
        "00001>00001",                   /* a TLB entry: the kernel's text page, mapped 1:1 */
        "trap cause=timer",              /* the events pane shows the interrupt */
        NULL,
    };
    free(wait_all(hit, 30));

    keys("'info tl' Tab");   /* tab completion */
    WAIT("(ringsim) info tlb");
    keys("C-u");              /* readline's kill-line: the line is empty again */
    free(wait_screen("(ringsim) info", false, 15));

    keys("F7");   /* the Events pane off */
    free(wait_screen("Events (F7)", false, 15));
    keys("F7");
    WAIT("Events (F7)");

    cr_assert_eq(tmux("resize-window -t dbg -x 132 -y 40"), 0);
    /* the TLB pane is wide enough now to say which entry was filled */
    static const char *const resized[] = {"<- last f", "Registers (F2)", "Code (F3)", NULL};
    free(wait_all(resized, 15));

    type("quit");
    for (int i = 0; i < 100 && tmux("has-session -t dbg") == 0; i++) usleep(50000);
    cr_assert_neq(tmux("has-session -t dbg"), 0, "quit ends the debugger");
}

Test(debugger, screen_shows_a_vm_exit_and_a_24_reference_nested_walk, .fini = stop, .timeout = 90)
{
    start("kernel --mode hw --levels 4 --host-levels 4", 160, 50);
    type("break exit io");
    WAIT("Breakpoint 1: VM exit io");
    type("c");
    static const char *const exited[] = {
        "Breakpoint 1, VM exit io",
        "exit vm=0 reason=io qual=0x110020 io=out port=0x20(timer_period)",   /* the events pane */
        "entry vm=0",
        "VM 0 non-root",
        "hw+nested, 4 levels",
        NULL,
    };
    free(wait_all(exited, 30));

    type("translate 0x1000");
    WAIT("translate v:0x00001000 read -> h:0x00001000: 24 references");   /* a single VM sits at host 0 */
    type("pane walk zoom");
    static const char *walk[32] = {
        "Page walk [zoom]",
        "2D walk, 4 guest x 4 host levels: cold it costs (n+1)(m+1)-1 = 24",
        " G0 (root)    1   2   3   4 |   5",
        " data gPA    21  22  23  24",
    };
    static char refs[24][16];
    for (int i = 0; i < 24; i++) {
        snprintf(refs[i], sizeof refs[i], "\n#%d ", i + 1);   /* every numbered reference */
        walk[4 + i] = refs[i];
    }
    free(wait_all(walk, 15));
    type("quit");
}

/* The layout fits the terminal it has now: at 80x24 the panes that do not
 * fit take turns in the last place (F12), the cost columns never cut; at
 * 160x48 all eight show; a resize lays them out again, both ways. */
Test(debugger, screen_layout_fits_80x24_and_160x48_across_resizes, .fini = stop, .timeout = 90)
{
    static const char *const all[] = {"Registers (F2)", "Code (F3)", "Memory (F4)", "TLB (F5)", "Page walk (F6)",
                                      "Events (F7)", "Cycles (F8)", "Console (F9)", NULL};
    start("kernel --mode hw", 80, 24);
    type("break exit io");
    type("c");
    /* small: registers, code, events and, in the last place, the cycles */
    static const char *const small[] = {"Breakpoint 1, VM exit io", "Cycles (F8)", "+4 F12",
                                        "cause    last cmd      total  share", "cost=250", NULL};
    char *s = wait_all(small, 30);
    cr_assert_null(strstr(s, "Memory (F4)"), "80x24 has no room for the memory pane:\n%s", s);
    free(s);
    keys("F12");   /* the next pane takes the last place */
    free(wait_screen("Cycles (F8)", false, 15));
    type("pane cycles on");
    WAIT("Cycles (F8)");

    cr_assert_eq(tmux("resize-window -t dbg -x 160 -y 48"), 0);
    s = wait_all(all, 15);
    for (int n = 1; n < 8; n++) {
        char mark[24];
        snprintf(mark, sizeof mark, "+%d F12", n);
        cr_assert_null(strstr(s, mark), "at 160x48 every pane has a place:\n%s", s);
    }
    /* the exit line whole, cost and all, and the cycles pane's columns */
    cr_assert(strstr(s, "exit vm=0 reason=external_interrupt qual=0x0 pc=v:0x00002cf4 cost=250"), "%s", s);
    cr_assert(strstr(s, "cycles 209637, last command +204937"), "%s", s);
    free(s);

    cr_assert_eq(tmux("resize-window -t dbg -x 80 -y 24"), 0);
    WAIT("+4 F12");
    free(wait_screen("Memory (F4)", false, 15));
    cr_assert_eq(tmux("resize-window -t dbg -x 160 -y 48"), 0);
    free(wait_all(all, 15));
    type("quit");
}

/* ---- the Devices pane (visualise/debugger_dev.c) ------------------------------------------------ */
/* Does the screen mark a last place that panes take in turns (+N F12)? */
static bool takes_turns(const char *s)
{
    for (int n = 1; n <= 9; n++) {
        char mark[24];
        snprintf(mark, sizeof mark, "+%d F12", n);
        if (strstr(s, mark)) return true;
    }
    return false;
}

static int count_of(const char *s, const char *what)
{
    int n = 0;
    for (const char *p = strstr(s, what); p; p = strstr(p + 1, what)) n++;
    return n;
}

/* With a disk the pane is on by itself, in the last place at 80x24; F11
 * and `pane devices` hide and show it; zoomed, it follows the disk from
 * one completion to the next: the registers, the commands, and the
 * doorbells among its device events, one per command. */
Test(debugger_devices, pane_toggles_on_f11_and_follows_the_disk_queue, .fini = stop, .timeout = 90)
{
    char args[400];
    snprintf(args, sizeof args, "diskio --args 2 --disk %s:create=256K", in_dir("d.img"));
    start(args, 80, 24);
    static const char *const first[] = {"Devices (F11)", "block device (bare metal)", "+5 F12", NULL};
    free(wait_all(first, 15));
    keys("F11");
    free(wait_screen("Devices (F11)", false, 15));
    keys("F11");
    WAIT("Devices (F11)");
    type("pane devices off");
    free(wait_screen("Devices (F11)", false, 15));
    type("pane devices on");
    WAIT("Devices (F11)");

    type("break trap disk");
    type("c");
    WAIT("Breakpoint 1, trap disk");
    type("pane devices zoom");
    static const char *const one[] = {"Devices [zoom] (F11)", "registers: sector 0, count 1, addr 00015000",
                                      "commands 1 (reads 1, writes 0, flushes 0, errors 0)",
                                      "device events, the last 3", NULL};
    char *s = wait_all(one, 30);
    cr_assert_eq(count_of(s, " dev disk doorbell port=disk_cmd took=1"), 1, "%s", s);
    free(s);
    type("c");
    static const char *const two[] = {"registers: sector 8, count 8, addr 00015000",
                                      "commands 2 (reads 1, writes 1, flushes 0, errors 0)",
                                      "device events, the last 6", NULL};
    s = wait_all(two, 30);
    /* a doorbell per command, an interrupt per completion */
    cr_assert_eq(count_of(s, " dev disk doorbell port=disk_cmd took=1"), 2, "%s", s);
    cr_assert_eq(count_of(s, " dev disk irq cause=disk native"), 2, "%s", s);
    free(s);
    type("pane devices zoom");   /* unzoomed: back in the last place */
    static const char *const back[] = {"Devices (F11)", "+5 F12", "Registers (F2)", NULL};
    free(wait_all(back, 15));
    type("quit");
}

/* netping with --net at 160x48: all nine panes have a place; the pane
 * shows both rings, and the frames its transmit ring says were sent are
 * the ones the switch counted on its port. */
Test(debugger_devices, pane_shows_the_nic_rings_of_netping, .fini = stop, .timeout = 90)
{
    start("netping --args 4 --net", 160, 48);
    static const char *const all[] = {"Registers (F2)", "Code (F3)", "Memory (F4)", "TLB (F5)", "Page walk (F6)",
                                      "Devices (F11)", "Events (F7)", "Cycles (F8)", "Console (F9)", NULL};
    char *s = wait_all(all, 15);
    cr_assert(!takes_turns(s), "at 160x48 every pane has a place:\n%s", s);
    free(s);
    type("break trap net");
    type("c");
    type("c");
    /* the second interrupt: the echo of the first frame is in */
    static const char *const rings[] = {"Breakpoint 1, trap net", "tx ring: available 1, used 1",
                                        "rx ring: available 1, used 1", "> port 0 machine", NULL};
    s = wait_all(rings, 30);
    const char *tx = strstr(s, "tx ring: available"), *port = strstr(s, "> port 0 machine");
    unsigned avail, used;
    unsigned long long sent;
    cr_assert_eq(sscanf(tx, "tx ring: available %u, used %u", &avail, &used), 2);
    cr_assert_eq(sscanf(port, "> port 0 machine sent %llu", &sent), 1, "%s", port);
    cr_assert_eq(sent, used, "the switch counted what the ring sent:\n%s", s);
    free(s);
    type("quit");
}

/* Without devices the pane is off; F11 shows it, saying so plainly, in
 * the last place at 80x24; it keeps its place across resizes both ways. */
Test(debugger_devices, pane_says_no_devices_and_fits_80x24_across_resizes, .fini = stop, .timeout = 90)
{
    start("kernel", 80, 24);
    static const char *const first[] = {"Code (F3)", "(ringsim)", NULL};
    char *s = wait_all(first, 15);
    cr_assert_null(strstr(s, "Devices (F11)"), "no devices: the pane starts off:\n%s", s);
    free(s);
    keys("F11");
    static const char *const on[] = {"Devices (F11)", "no devices", "F2-F9,F11 panes", NULL};
    free(wait_all(on, 15));
    cr_assert_eq(tmux("resize-window -t dbg -x 160 -y 48"), 0);
    static const char *const big[] = {"Devices (F11)", "no devices: no block device and no network interface",
                                      "Memory (F4)", "Console (F9)", "TLB (F5)", NULL};
    s = wait_all(big, 15);
    cr_assert(!takes_turns(s), "at 160x48 every pane has a place:\n%s", s);
    free(s);
    cr_assert_eq(tmux("resize-window -t dbg -x 80 -y 24"), 0);
    static const char *const small[] = {"Devices (F11)", "no devices", "+5 F12", NULL};
    s = wait_all(small, 15);
    cr_assert_null(strstr(s, "Memory (F4)"), "80x24 has no room for the memory pane:\n%s", s);
    free(s);
    type("quit");
}

/* Two VMs on the switch (a save file of `run netping netping`): the pane
 * shows the VM in front, and moves to the other when it runs. */
Test(debugger_devices, pane_follows_the_vm_in_front, .fini = stop, .timeout = 90)
{
    char a[600], *out, *err;
    snprintf(a, sizeof a, "run netping netping --mode hw --net --args 4 --save-at 400000:%s", in_dir("two.sav"));
    cr_assert_eq(run_ringsim(a, &out, &err), 0, "%s", err);
    free(out);
    free(err);
    snprintf(a, sizeof a, "%s", in_dir("two.sav"));   /* in_dir's buffer is start's too */
    start(a, 160, 48);
    type("break trap net if vm == 0");
    type("c");
    static const char *const vm0[] = {"Breakpoint 1, trap net", "VM 0 (netping), of 2: emulated", "> port 0 netping",
                                      NULL};
    free(wait_all(vm0, 30));
    type("delete");
    type("break trap net if vm == 1");
    type("c");
    static const char *const vm1[] = {"Breakpoint 2, trap net", "VM 1 (netping), of 2: emulated", "> port 1 netping",
                                      NULL};
    free(wait_all(vm1, 30));
    type("quit");
}
