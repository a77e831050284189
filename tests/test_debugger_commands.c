/*
 * test_debugger_commands.c — the command interpreter, in line mode: every
 * command doing its job, and every kind of mistake answered with what was
 * expected.  The guest is the bundled kernel: it boots at _start
 * (0x1000), jumps to memzero at _start+0x1c, turns paging on, and runs
 * user programs at 0x40000000 whose traps all enter at trap_entry.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/helpers.h"
#include "tests/test_debugger.h"

static struct dsession *S;
static void native(void) { S = ds_open("kernel", "native", 2, 0); }
static void hw44(void) { S = ds_open("kernel", "hw", 4, 4); }
static void done(void) { ds_close(S); }

#define OK(...) cr_assert_eq(ds_cmd(S, __VA_ARGS__), VIS_DBG_OK, "%s", ds_err(S))
#define FAILS(expect, ...)                                                                   \
    do {                                                                                     \
        cr_assert_eq(ds_cmd(S, __VA_ARGS__), VIS_DBG_ERROR, "should fail: %s", ds_out(S));   \
        cr_assert(strstr(ds_err(S), expect), "error '%s' lacks '%s'", ds_err(S), expect);    \
    } while (0)
#define SAYS(text) cr_assert(strstr(ds_out(S), text), "output lacks '%s':\n%s", text, ds_out(S))
/* SAYS with a printf format: addresses come from the symbols, not the test */
#define SAYSF(...) do { char says_[256]; snprintf(says_, sizeof says_, __VA_ARGS__); SAYS(says_); } while (0)

static uint32_t sym_addr(const char *name)
{
    uint32_t a = 0;
    cr_assert(isa_image_symbol_addr(&S->img, name, &a), "no symbol %s", name);
    return a;
}
static struct machine *M(void) { return S->cm.m; }

/* ---- moving ------------------------------------------------------------------- */
Test(debugger, cmd_step_runs_one_instruction, .init = native, .fini = done)
{
    OK("step");
    cr_assert_eq(M()->cpu.pc, 0x1004);
    SAYS("step 1)");
    SAYS("<_start+4>");
    OK("s 2");
    OK("stepi 2");
    OK("si");
    cr_assert_eq(S->d->pos, 6);
    cr_assert_eq(M()->st.instructions, 6);
}

Test(debugger, cmd_step_rejects_a_bad_count, .init = native, .fini = done)
{
    FAILS("expected a positive number of steps, not 'x'", "step x");
    FAILS("expected a positive number", "step 0");
    FAILS("expected a positive number", "step -3");
    FAILS("expected a positive number", "reverse-step many");
    cr_assert_eq(S->d->pos, 0);
}

Test(debugger, cmd_step_into_a_system_call_stops_on_the_handler, .init = native, .fini = done)
{
    OK("break trap syscall");
    OK("continue");
    cr_assert_eq(M()->cpu.pc, sym_addr("trap_entry"));
    OK("reverse-step");
    cr_assert_eq(SR_RING(M()->cpu.cr[CR_SR]), 3, "back in user mode");
    uint32_t w;
    cr_assert(dbg_read32(S->d, 'v', M()->cpu.pc, &w));
    cr_assert_eq(w >> 24, 0x50, "at the syscall instruction");
    OK("step");
    cr_assert_eq(M()->cpu.pc, sym_addr("trap_entry"), "one step: into the handler, not past it");
    cr_assert_eq(SR_RING(M()->cpu.cr[CR_SR]), 0);
    SAYS("event:");
    SAYS("trap cause=syscall ring=3");
}

Test(debugger, cmd_until_follows_a_system_call_out_under_trap_and_emulate)
{
    /* the hypervisor emulates the guest kernel's iret: the step ends where
     * the emulation resumes the guest, so `until epc` finds its place */
    S = ds_open("syscall", "te", 2, 0);
    OK("break trap syscall");
    OK("continue");
    cr_assert_eq(M()->cpu.pc, sym_addr("trap_entry"));
    uint32_t back = S->cm.hv->vcpu.cr[CR_EPC];
    OK("until epc");
    SAYS("Reached v:0x");
    cr_assert_eq(M()->cpu.pc, back);
    cr_assert_eq(SR_RING(M()->cpu.cr[CR_SR]), 3, "back in user mode");
    done();
}

Test(debugger, cmd_next_steps_over_a_call, .init = native, .fini = done)
{
    OK("step 7");
    cr_assert_eq(M()->cpu.pc, 0x101c, "at jal lr, memzero");
    OK("next");
    cr_assert_eq(M()->cpu.pc, 0x1020);
    cr_assert_gt(S->d->pos, 20, "memzero ran");
    OK("n");
    cr_assert_eq(M()->cpu.pc, 0x1024);
    FAILS("expected a positive number", "next z");
}

/* The trap frames and `finish`, whatever returns from the handler: a real
 * iret (native, hw), an emulated one (te, bt), the iret hypercall (pv). */
Test(debugger, cmd_backtrace_and_finish_follow_a_system_call_under_every_technique)
{
    static const char *const modes[][2] = {{"native", NULL}, {"te", NULL}, {"bt", NULL}, {"hw", "nested"},
                                          {"hw", "shadow"}, {"pv", NULL}};
    for (int i = 0; i < 6; i++) {
        S = ds_open_mmu("syscall", modes[i][0], modes[i][1], 0, 0);
        FAILS("not inside a trap handler", "finish");
        OK("break trap syscall");
        OK("continue");
        OK("delete");
        OK("step 6");           /* into the handler's body: mfcr/mtcr, emulated under te */
        cr_assert_eq(SR_RING(M()->cpu.cr[CR_SR]) == 3, false, "%s: in the handler", modes[i][0]);
        uint32_t epc = dbg_guest_cr(S->d)[CR_EPC];
        OK("backtrace");
        SAYSF("#1  v:0x%08x", epc);
        SAYS("(ring 3)  interrupted by syscall");
        cr_assert_eq(strstr(ds_out(S), "#2"), NULL, "%s: user code is the last frame:\n%s", modes[i][0], ds_out(S));
        uint64_t insns = M()->st.instructions;
        OK("finish");
        SAYS("Returned from the trap handler");
        cr_assert_eq(M()->cpu.pc, epc, "%s: back at the instruction after the syscall", modes[i][0]);
        cr_assert_eq(SR_RING(M()->cpu.cr[CR_SR]), 3, "%s", modes[i][0]);
        cr_assert_gt(M()->st.instructions, insns, "%s", modes[i][0]);
        OK("backtrace");
        cr_assert_eq(strstr(ds_out(S), "#1"), NULL, "%s: one frame after the return:\n%s", modes[i][0], ds_out(S));
        FAILS("takes no arguments", "finish 3");
        ds_close(S);
    }
}

Test(debugger, cmd_continue_stops_at_a_breakpoint, .init = native, .fini = done)
{
    OK("break memzero");
    SAYSF("Breakpoint 1 at v:0x%08x <memzero>", sym_addr("memzero"));
    OK("c");
    SAYSF("Breakpoint 1, at v:0x%08x <memzero>", sym_addr("memzero"));
    cr_assert_eq(M()->cpu.pc, sym_addr("memzero"));
    cr_assert_eq(S->d->bp[0].hits, 1);
    FAILS("continue: takes no arguments", "continue 3");
}

Test(debugger, cmd_until_runs_to_an_address, .init = native, .fini = done)
{
    OK("until memzero+8");
    cr_assert_eq(M()->cpu.pc, sym_addr("memzero") + 8);
    OK("u 0x1020");
    cr_assert_eq(M()->cpu.pc, 0x1020);
    FAILS("until: expected an address or symbol", "until");
    FAILS("unknown name 'nowhere'", "until nowhere");
    FAILS("expected a virtual address", "until h:0x1000");
}

Test(debugger, cmd_break_takes_addresses_symbols_and_expressions, .init = native, .fini = done)
{
    OK("break 0x1010");
    OK("b _start+8");
    OK("break *0x1014");
    OK("info break");
    SAYS("v:0x00001010");
    SAYS("v:0x00001008 <_start+8>");
    SAYS("v:0x00001014");
    OK("continue");
    cr_assert_eq(M()->cpu.pc, 0x1008);
    OK("continue");
    cr_assert_eq(M()->cpu.pc, 0x1010);
}

Test(debugger, cmd_break_says_what_it_expected, .init = native, .fini = done)
{
    FAILS("expected an address or symbol, 'trap [CAUSE]' or 'exit [REASON]'", "break");
    FAILS("unknown cause 'bogus': expected one of illegal, protection, page_fault", "break trap bogus");
    FAILS("without VM exits (try --mode hw)", "break exit io");
    FAILS("expected a virtual address", "break h:0x1000");
    FAILS("in the condition: expected a number, a name or '('", "break memzero if (");
    FAILS("unknown name 'nosuch'", "break memzero if nosuch == 1");
    FAILS("a condition starts with 'if'", "break trap syscall now");
    cr_assert_eq(S->d->nbp, 0, "no half-made breakpoint is left");
}

Test(debugger, cmd_break_with_a_condition_stops_only_when_it_holds, .init = native, .fini = done)
{
    OK("break kernel_trap if cause == TIMER");
    SAYS("if cause == TIMER");
    OK("continue");
    cr_assert_eq(M()->cpu.pc, sym_addr("kernel_trap"));
    cr_assert_eq(M()->cpu.cr[CR_CAUSE], CAUSE_TIMER);
    OK("delete 1");
    OK("break trap_entry if cause == page_fault && ring == 0");
    OK("continue");
    cr_assert_eq(M()->cpu.pc, sym_addr("trap_entry"));
    cr_assert_eq(M()->cpu.cr[CR_CAUSE], CAUSE_PAGE_FAULT);
}

Test(debugger, cmd_break_trap_stops_on_the_handler_of_that_cause, .init = native, .fini = done)
{
    OK("break trap page_fault");
    OK("continue");
    SAYS("Breakpoint 1, trap page_fault");
    cr_assert_eq(M()->cpu.pc, sym_addr("trap_entry"));
    cr_assert_eq(M()->cpu.cr[CR_CAUSE], CAUSE_PAGE_FAULT);
    cr_assert_eq(M()->cpu.trap_depth, 1, "the handler has not run an instruction yet");
    OK("delete");
    OK("break trap");
    OK("continue");
    SAYS("Breakpoint 2, trap");
}

Test(debugger, cmd_break_exit_stops_after_the_exit_and_names_it, .init = hw44, .fini = done)
{
    FAILS("unknown reason 'bogus': expected one of exception", "break exit bogus");
    OK("break exit io");
    OK("continue");
    SAYS("Breakpoint 1, VM exit io");
    cr_assert(M()->cpu.nonroot, "the guest runs again");
    cr_assert_eq(M()->vmx.vmcs[0].exit_reason, EXIT_IO);
    OK("info events 3");
    SAYS("exit vm=0 reason=io");
    SAYS("entry vm=0");
}

Test(debugger, cmd_watch_stops_when_a_word_changes, .init = native, .fini = done)
{
    FAILS("expected the address of a word", "watch");
    FAILS("expected a word-aligned address", "watch 0x4001");
    FAILS("is not mapped now; give a physical address", "watch 0x80000000");
    OK("watch curproc");
    uint32_t cp = sym_addr("curproc");
    SAYSF("Watchpoint 1: v:0x%08x (h:0x%08x) = 0x00000000", cp, cp);
    OK("continue");
    SAYSF("Watchpoint 1, v:0x%08x (h:0x%08x) changed 0x00000000 -> ", cp, cp);
    uint32_t v;
    cr_assert(dbg_read32(S->d, 'h', cp, &v) && v != 0);
}

Test(debugger, cmd_delete_one_or_all, .init = native, .fini = done)
{
    OK("break memzero");
    OK("break 0x1010");
    OK("delete 1");
    SAYS("Deleted breakpoint 1.");
    cr_assert_eq(S->d->nbp, 1);
    FAILS("no breakpoint 7 (see info break)", "delete 7");
    FAILS("expected a breakpoint number", "delete one");
    OK("delete");
    SAYS("Deleted 1 breakpoint.");
    cr_assert_eq(S->d->nbp, 0);
}

/* ---- looking ------------------------------------------------------------------- */
Test(debugger, cmd_info_shows_each_part_of_the_machine, .init = native, .fini = done)
{
    OK("step 2");
    OK("info regs");
    SAYS("sp  00007040");
    SAYS("pc  00001008 <_start+8>");
    SAYS("ring 0  IE off");
    OK("info tlb");
    SAYS("64 entries, 16 sets x 4 ways");
    OK("info walk");
    SAYS("no TLB miss yet");
    OK("info vmcs");
    SAYS("no VMCS: the machine runs natively");
    OK("info stats");
    SAYS("cycles 2");
    OK("info pt");
    SAYS("paging is off");
    OK("info break");
    SAYS("no breakpoints");
    OK("info events");
    SAYS("(no events yet)");
    OK("info console");
    SAYS("printed nothing yet");
    OK("info history");
    SAYS("reaches back to step 0");
}

Test(debugger, cmd_info_says_what_it_expected, .init = native, .fini = done)
{
    FAILS("info: expected one of regs, tlb, walk, vmcs, stats, pt, break, events, console, history", "info");
    FAILS("unknown 'bogus'", "info bogus");
    FAILS("info regs: takes no arguments", "info regs now");
}

/* Containers: the running process's namespaces and cgroup, read from the
 * guest kernel's tables (gamma: a rootless container, uid 0 inside). */
Test(debugger, cmd_info_ns_shows_the_running_processs_namespaces_and_cgroup, .fini = done)
{
    S = ds_open("containers", "hw", 2, 0);
    OK("break ct_gamma_main");
    OK("continue");
    OK("info ns");
    SAYS(", 1 in its own; uid 1000 outside");
    SAYS("level 1: uid 0 inside is uid 1000 outside");
    SAYS("host name \"ringsim\"");
    SAYS("cgroup 0");
    FAILS("info ns: takes no arguments", "info ns now");
}

/* With the file system and network namespaces: the mount namespace and
 * its root, the network namespace and its addresses (container 1 of netns,
 * once the host has wired it to the bridge). */
Test(debugger, cmd_info_ns_shows_the_mount_and_network_namespaces, .fini = done)
{
    S = ds_open("netns", "hw", 2, 0);
    OK("break net_ct_vethed");
    OK("continue");
    OK("info ns");
    SAYS("mnt  namespace 0, root /");
    SAYS(": lo 127.0.0.1, eth0 10.0.0.2;");
    SAYS("uid 0 inside is uid 0 outside");
}

Test(debugger, cmd_info_ns_shows_a_containers_root_in_the_host_file_system, .fini = done)
{
    S = ds_open("mounts", "hw", 2, 0);
    OK("break mt_app_main");
    OK("continue");
    OK("info ns");
    SAYS("mnt  namespace 1, root /ct/a");
}

Test(debugger, cmd_info_ns_on_a_kernel_without_containers_says_so, .init = native, .fini = done)
{
    OK("info ns");
    SAYS("built without containers");
}

/* Binary translation: the guest kernel runs from a code cache in which its
 * sensitive instructions became calls into the hypervisor. */
Test(debugger, cmd_info_bt_shows_the_block_beside_its_translation)
{
    S = ds_open("kernel", "bt", 2, 0);
    OK("break memzero");
    OK("c");
    OK("delete 1");
    for (int i = 0; i < 64 && M()->cpu.pc != sym_addr("memzero") + 28; i++) OK("step");
    cr_assert_eq(M()->cpu.pc, sym_addr("memzero") + 28, "in memzero's loop");
    OK("info bt");
    SAYSF("block v:%08x <memzero+12>, 10 instructions", sym_addr("memzero") + 12);
    SAYSF("=> %08x  38010010  sw r0, 16(r1)                = identical", sym_addr("memzero") + 28);
    SAYS("blocks translated");
    SAYS("guest kernel code runs from the cache");
    SAYS("chaining on: ");
    SAYS("block exits through the dispatcher");
    OK("break trap syscall");
    OK("continue");
    cr_assert_eq(M()->cpu.pc, sym_addr("trap_entry"));
    OK("info bt");
    SAYS("mtcr scratch, r1");
    SAYS("→ callout hv_bt_callout (emulates mtcr)");
    FAILS("info bt: takes no arguments", "info bt now");
    done();
}

Test(debugger, cmd_info_bt_outside_binary_translation_says_so, .init = native, .fini = done)
{
    OK("info bt");
    SAYS("not running under binary translation");
}

Test(debugger, code_pane_under_bt_shows_each_instruction_translated, .fini = done)
{
    S = ds_open("kernel", "bt", 2, 0);
    OK("break trap syscall");
    OK("continue");
    struct dbg_text t = {0};
    dbg_view_code(S->d, &t, 12, 100);
    bool callout = false;
    for (int i = 0; i < t.n; i++)
        if (strstr(t.lines[i].text, "=>") && strstr(t.lines[i].text, "-> callout hv_bt_callout (emulates mtcr)"))
            callout = true;
    dbg_text_free(&t);
    cr_assert(callout, "pc's line names its callout");
    /* narrower panes keep the translation, as a tag after the instruction */
    for (int width = 40; width <= 60; width += 20) {
        dbg_view_code(S->d, &t, 12, width);
        bool tagged = false, ends = false;
        for (int i = 0; i < t.n; i++) {
            if (strstr(t.lines[i].text, "=>") && strstr(t.lines[i].text, "mtcr") &&
                strstr(t.lines[i].text, "[bt: callout]"))
                tagged = true;
            if (strstr(t.lines[i].text, "-- end of block --")) ends = true;
        }
        dbg_text_free(&t);
        cr_assert(tagged, "at %d columns pc's line is tagged as a callout", width);
        cr_assert(ends, "at %d columns the blocks' ends are marked", width);
    }
}

Test(debugger, cmd_info_after_paging_shows_tables_tlb_and_walk, .init = native, .fini = done)
{
    OK("break init_main");
    OK("continue");
    OK("info pt");
    SAYS("page table at h:0x");
    SAYS("v:0x40000000-0x40000fff -> h:0x");
    OK("info tlb");
    SAYS("<- last fill");
    SAYS("40000 -> ");
    OK("info walk");
    SAYS("last miss v:0x400003f0 fetch");
    SAYS("2 references");
    SAYS("#2   G1");
}

Test(debugger, cmd_x_examines_memory_in_every_format, .init = native, .fini = done)
{
    OK("x/2i 0x1000");
    SAYS("v:00001000 _start");
    SAYS("lui sp, 0x0");
    OK("x/2x 0x1000");
    SAYS("v:00001000  29e00000 22ee7040");
    OK("x/4b h:0x1000");
    SAYS("h:00001000  00 00 e0 29");
    OK("x/1d 0x1000");
    SAYS("702545920");
    OK("x/1u g:0x1000");
    SAYS("702545920");
    OK("x/4c 0x1004");
    OK("x/s msg_panic");
    SAYS("\"");
    OK("x pc");
    SAYS("29e00000");
    cr_assert_eq(S->d->mem_addr, 0x1000, "x moves the Memory pane");
}

Test(debugger, cmd_x_says_what_it_expected, .init = native, .fini = done)
{
    FAILS("expected x/COUNT FORMAT with FORMAT one of x (hex words)", "x/8q pc");
    FAILS("COUNT 1..4096", "x/0x pc");
    FAILS("x: expected an address", "x/4x");
    FAILS("expected ')'", "x/4x (pc");
}

Test(debugger, cmd_translate_walks_without_executing, .init = native, .fini = done)
{
    OK("break init_main");
    OK("continue");
    uint64_t cycles = M()->st.cycles, walks = M()->mmu.st.walks;
    OK("translate init_main");
    SAYS("translate v:0x400003f0 read -> h:0x");
    SAYS("2 references");
    SAYS("#1   G0 h:0x");
    OK("translate 0x40000000 write user");
    SAYS("write");
    OK("translate 0x7ffff000");
    SAYS("fault");
    cr_assert_eq(M()->st.cycles, cycles, "translate charges nothing");
    cr_assert_eq(M()->mmu.st.walks, walks, "and counts no walk");
    FAILS("translate: expected a virtual address", "translate");
    FAILS("unknown 'sideways': expected read, write, fetch, user or kernel", "translate 0x1000 sideways");
    FAILS("expected a virtual address, not g:", "translate g:0x1000");
}

Test(debugger, cmd_translate_shows_24_references_for_a_cold_4x4_nested_walk, .init = hw44, .fini = done)
{
    OK("break exit io");   /* by the first I/O the guest kernel has paging on */
    OK("continue");
    OK("translate 0x1000");
    SAYS("24 references");
    SAYS("2D walk, 4 guest x 4 host levels: cold it costs (n+1)(m+1)-1 = 24");
    SAYS(" G0 (root)    1   2   3   4 |   5");
    SAYS(" data gPA    21  22  23  24");
    SAYS("#5   G0 g:0x");
    SAYS("#24  H3 h:0x");
    cr_assert(S->d->probe_on, "the Page walk pane shows the probe");
}

/* ---- changing ------------------------------------------------------------------- */
Test(debugger, cmd_set_changes_a_register, .init = native, .fini = done)
{
    OK("set r1 42");
    SAYS("r1 = 0x0000002a");
    cr_assert_eq(M()->cpu.r[1], 42);
    OK("set r2 = r1 * 2 + 1");
    cr_assert_eq(M()->cpu.r[2], 85);
    OK("set pc memzero");
    cr_assert_eq(M()->cpu.pc, sym_addr("memzero"));
    OK("set sr 0x7");
    cr_assert_eq(SR_RING(M()->cpu.cr[CR_SR]), 3);
    FAILS("r0 always reads 0", "set r0 1");
    FAILS("expected a word-aligned address", "set pc 0x1002");
    FAILS("unknown register 'bogus'", "set bogus 1");
    FAILS("levels is read-only", "set levels 3");
    FAILS("expected a register and a value", "set r1");
}

Test(debugger, cmd_expressions_say_what_they_expected, .init = native, .fini = done)
{
    OK("set r1 (1 + 2) * 3");
    cr_assert_eq(M()->cpu.r[1], 9);
    OK("set r2 0x10 << 2 | 1");
    cr_assert_eq(M()->cpu.r[2], 0x41);
    OK("set r3 PAGE_FAULT + 0b100");
    cr_assert_eq(M()->cpu.r[3], 6);
    OK("set r4 *0x1000");
    cr_assert_eq(M()->cpu.r[4], 0x29e00000);
    OK("set r5 !0 && ~0 == 0xffffffff");
    cr_assert_eq(M()->cpu.r[5], 1);
    FAILS("expected ')'", "set r1 (1 + 2");
    FAILS("division by zero", "set r1 1 / 0");
    FAILS("unknown name 'nosuch': expected a register", "set r1 nosuch");
    FAILS("not mapped", "set r1 *0x80000000");
    FAILS("needs a hypervisor", "set r1 reason");
    FAILS("expected an operator or the end of the expression at '2'", "set r1 1 2");
    FAILS("more than 32 bits", "set r1 0x100000000");
}

Test(debugger, cmd_mode_shows_the_mode_and_says_when_switching_arrives, .init = native, .fini = done)
{
    OK("mode");
    SAYS("mode: native");
    FAILS("switching live needs a virtualised session", "mode hw nested");
    FAILS("unknown mode 'fast'", "mode fast");
    FAILS("unknown MMU 'paged'", "mode hw paged");
}

Test(debugger, cmd_dot_writes_the_page_tables_for_graphviz, .init = native, .fini = done)
{
    OK("break init_main");
    OK("continue");
    char path[256];
    snprintf(path, sizeof path, "%s/guest.dot", temp_dir());
    OK("dot guest walk init_main %s", path);
    SAYS("wrote");
    FILE *f = fopen(path, "r");
    cr_assert(f, "no %s", path);
    char text[4096] = "";
    cr_assert(fread(text, 1, sizeof text - 1, f) > 0);
    fclose(f);
    cr_assert(strstr(text, "digraph"), "%s", text);
    unlink(path);
    FAILS("expected guest, shadow or nested", "dot");
    FAILS("unknown table 'forest'", "dot forest");
}

Test(debugger, cmd_pane_shows_hides_and_zooms, .init = native, .fini = done)
{
    OK("pane walk zoom");
    SAYS("pane walk: on, zoomed");
    cr_assert_eq(S->d->zoom, PANE_WALK);
    OK("pane walk zoom");
    cr_assert_eq(S->d->zoom, -1);
    OK("pane events off");
    cr_assert(!S->d->pane_on[PANE_EVENTS]);
    FAILS("unknown pane 'sidebar': expected one of registers, code", "pane sidebar on");
    FAILS("expected on, off or zoom, not 'wide'", "pane tlb wide");
    FAILS("pane: expected a pane", "pane");
}

Test(debugger, cmd_history_says_how_far_back_it_reaches, .init = native, .fini = done)
{
    OK("step 10");
    OK("history");
    SAYS("history: 1 checkpoint");
    SAYS("reaches back to step 0 (cycle 0): the boot");
    SAYS("now at step 10");
    FAILS("takes no arguments", "history now");
    FAILS("expected a cycle number", "goto");
    FAILS("expected a cycle number, not 'soon'", "goto soon");
    FAILS("the history ends at step 10", "goto step 99");
}

Test(debugger, cmd_help_lists_and_explains, .init = native, .fini = done)
{
    OK("help");
    SAYS("reverse-continue");
    SAYS("translate VADDR");
    OK("help step");
    SAYS("step [N]");
    SAYS("alias: s");
    OK("help x/8x");
    SAYS("x/FMT ADDR");
    FAILS("no command 'fly'", "help fly");
}

Test(debugger, cmd_quit_comments_and_unknown_commands, .init = native, .fini = done)
{
    cr_assert_eq(ds_cmd(S, "# a comment"), VIS_DBG_OK);
    cr_assert_eq(ds_cmd(S, "   "), VIS_DBG_OK);
    FAILS("unknown command 'fly' (help lists the commands)", "fly");
    cr_assert_eq(ds_cmd(S, "quit"), VIS_DBG_QUIT);
    cr_assert_eq(ds_cmd(S, "q"), VIS_DBG_QUIT);
}

Test(debugger, cmd_a_stopped_machine_says_how_to_go_on)
{
    S = ds_open("hello", "native", 0, 0);
    OK("continue");
    SAYS("The machine stopped: guest exited with code 0");
    FAILS("the machine has stopped (guest exited with code 0); go back with reverse-step", "step");
    OK("reverse-step 1");
    OK("step");
    done();
}

/* ---- completion ---------------------------------------------------------------------- */
static bool has(char **v, const char *s)
{
    bool found = false;
    for (char **p = v; p && *p; p++) found |= !strcmp(*p, s);
    return found;
}
static void drop(char **v)
{
    for (char **p = v; p && *p; p++) free(*p);
    free(v);
}

Test(debugger, cmd_tab_completes_commands_symbols_registers_and_names, .init = native, .fini = done)
{
    char **c = dbg_complete(S->d, "", "st");
    cr_assert(has(c, "step") && has(c, "stepi") && !has(c, "next"));
    drop(c);
    c = dbg_complete(S->d, "break ", "kernel_t");
    cr_assert(has(c, "kernel_trap"));
    drop(c);
    c = dbg_complete(S->d, "break trap ", "pa");
    cr_assert(has(c, "page_fault"));
    drop(c);
    c = dbg_complete(S->d, "info ", "t");
    cr_assert(has(c, "tlb"));
    drop(c);
    c = dbg_complete(S->d, "set ", "l");
    cr_assert(has(c, "lr") && has(c, "levels"));
    drop(c);
    c = dbg_complete(S->d, "break memzero if ", "ca");
    cr_assert(has(c, "cause"));
    drop(c);
    c = dbg_complete(S->d, "pane ", "w");
    cr_assert(has(c, "walk"));
    drop(c);
}

/* ---- help is the manual ------------------------------------------------------------- */
/* Every usage `help` prints is a row of the command table in
 * docs/debugger.md, which `make docs` writes from the same table: the
 * manual and the debugger cannot disagree about what a command takes. */
Test(debugger, help_and_the_manual_list_the_same_commands, .init = native, .fini = done)
{
    OK("help");
    SAYS("dot guest|shadow|nested [walk VADDR] [FILE]");
    SAYS("|console|history|");
    char *out = NULL;
    cr_assert_eq(run_ringsim("debug --commands", &out, NULL), 0);
    char *doc = slurp(root_path("docs/debugger.md"));
    cr_assert(doc);
    const char *begin = strstr(doc, "<!-- the commands: "), *end = strstr(doc, "<!-- end of the commands -->");
    cr_assert(begin && end && begin < end, "docs/debugger.md marks its table of commands");
    begin = strchr(begin, '\n') + 1;
    cr_assert_eq((size_t)(end - begin), strlen(out), "docs/debugger.md's table is `ringsim debug --commands` (make docs)");
    cr_assert(!strncmp(begin, out, strlen(out)), "docs/debugger.md's table is `ringsim debug --commands` (make docs)");
    /* each row's usage, unescaped, is what help says */
    int rows = 0;
    for (const char *l = out; (l = strstr(l, "\n| `")) != NULL; l++) {
        char usage[256];
        size_t n = 0;
        for (const char *p = l + 4; *p && *p != '`' && n + 1 < sizeof usage; p++)
            if (!(p[0] == '\\' && p[1] == '|')) usage[n++] = *p;
        usage[n] = 0;
        SAYS(usage);
        rows++;
    }
    cr_assert_gt(rows, 20);
    free(out);
    free(doc);
}

Test(debugger, a_mistyped_command_gets_a_suggestion, .init = native, .fini = done)
{
    FAILS("unknown command 'stpe': did you mean step?", "stpe");
    FAILS("unknown command 'contniue': did you mean continue?", "contniue");
    FAILS("info: unknown 'regz': did you mean info regs?", "info regz");
    FAILS("help: no command 'qiut': did you mean quit?", "help qiut");
    FAILS("unknown command 'zzzzzz' (help lists the commands)", "zzzzzz");
}

/* ---- gdb's habits: source, save breakpoints, display ---------------------------------------------------- */
static char *temp_file(const char *text)
{
    char *path = strdup("/tmp/ringsim-dbg-XXXXXX");
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    FILE *f = fdopen(fd, "w");
    cr_assert(f);
    fputs(text, f);
    fclose(f);
    return path;
}

Test(debugger, cmd_source_runs_a_file_and_names_the_line_that_fails, .init = native, .fini = done)
{
    char *ok = temp_file("# breakpoints for the trap path\n\nbreak kernel_trap\ncontinue\n");
    OK("source %s", ok);
    cr_assert_eq(M()->cpu.pc, sym_addr("kernel_trap"), "the sourced continue should stop at the breakpoint");
    char *bad = temp_file("step\nbreak nosuchsymbol\nstep 5\n");
    uint64_t pos = S->d->pos;
    FAILS("stopped at", "source %s", bad);
    cr_assert_eq(S->d->pos, pos + 1, "the lines after the failing one do not run");
    char where[600];
    snprintf(where, sizeof where, "%s:2", bad);
    cr_assert(strstr(ds_err(S), where), "the error names file and line:\n%s", ds_err(S));
    FAILS("cannot read", "source /nonexistent/commands");
    FAILS("expected a FILE", "source");
    /* a file that sources itself stops at the depth limit, not the stack */
    char self[600];
    char *loop = temp_file("");
    snprintf(self, sizeof self, "source %s\n", loop);
    FILE *f = fopen(loop, "w");
    fputs(self, f);
    fclose(f);
    FAILS("deep", "source %s", loop);
    unlink(ok), unlink(bad), unlink(loop);
    free(ok), free(bad), free(loop);
}

Test(debugger, cmd_save_breakpoints_writes_commands_that_set_them_again, .init = native, .fini = done)
{
    OK("break kernel_trap if r1 == 3");
    OK("break trap page_fault");
    OK("watch h:0x100");
    char path[] = "/tmp/ringsim-bp-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    close(fd);
    OK("save breakpoints %s", path);
    SAYS("Saved 3 breakpoints");
    OK("delete");
    OK("source %s", path);
    cr_assert_eq(S->d->nbp, 3, "sourcing the file sets the three again");
    cr_assert_eq(S->d->bp[0].kind, BK_ADDR);
    cr_assert_eq(S->d->bp[0].addr, sym_addr("kernel_trap"));
    cr_assert_str_eq(S->d->bp[0].cond, "r1 == 3");
    cr_assert_eq(S->d->bp[1].kind, BK_TRAP);
    cr_assert_eq(S->d->bp[1].what, CAUSE_PAGE_FAULT);
    cr_assert_eq(S->d->bp[2].kind, BK_WATCH);
    cr_assert_eq(S->d->bp[2].haddr, 0x100);
    FAILS("/nonexistent/dir/bp: cannot", "save breakpoints /nonexistent/dir/bp");
    unlink(path);
}

Test(debugger, cmd_display_shows_expressions_after_each_move, .init = native, .fini = done)
{
    OK("display pc");
    SAYSF("1: pc = 0x%08x", M()->cpu.pc);
    OK("display r1 + 1");
    OK("step");
    SAYSF("1: pc = 0x%08x", M()->cpu.pc);
    SAYSF("2: r1 + 1 = 0x%08x", M()->cpu.r[1] + 1);
    OK("info regs");
    cr_assert(!strstr(ds_out(S), "1: pc ="), "a command that does not move the machine shows nothing:\n%s", ds_out(S));
    OK("undisplay 1");
    OK("step");
    cr_assert(!strstr(ds_out(S), "1: pc ="), "%s", ds_out(S));
    SAYS("2: r1 + 1 =");
    OK("reverse-step");
    SAYSF("2: r1 + 1 = 0x%08x", M()->cpu.r[1] + 1);
    FAILS("display", "display nosuchsymbol");
    FAILS("no display 9", "undisplay 9");
    OK("undisplay");
    OK("step");
    cr_assert(!strstr(ds_out(S), "r1 + 1 ="), "%s", ds_out(S));
}

Test(debugger, a_step_that_retires_no_instruction_says_why)
{
    S = ds_open("syscall", "te", 0, 0);
    OK("break trap syscall");
    OK("continue");
    uint64_t insns = M()->st.instructions;
    OK("step");
    cr_assert_eq(M()->st.instructions, insns, "under te the handler's mtcr is emulated, not retired");
    SAYS("no instruction retired in this step: the hypervisor emulated mtcr");
    OK("step");
    OK("step");
    ds_close(S);
    /* natively the same step retires the instruction, and says nothing more */
    S = ds_open("syscall", "native", 0, 0);
    OK("break trap syscall");
    OK("continue");
    OK("step");
    cr_assert(!strstr(ds_out(S), "no instruction retired"), "%s", ds_out(S));
    ds_close(S);
}

/* ---- every cycle attributed ------------------------------------------------------------------------------ */
/* The cost of the events a command logged, and the overhead it charged. */
static void assert_events_add_up(const char *what)
{
    uint64_t sum = 0;
    cr_assert_geq(S->d->ev_before, S->d->ev_lo, "%s: the log kept every event of the command", what);
    for (uint64_t s = S->d->ev_before; s < S->d->ev_count; s++) sum += dbg_event_at(S->d, s)->ev.cost;
    const struct stats *a = &M()->st, *b = &S->d->st_before;
    uint64_t over = 0;
    static const int causes[] = {CY_TRAP, CY_WALK, CY_VMEXIT, CY_HV, CY_BT};
    for (int i = 0; i < 5; i++) over += a->cycles_by_cause[causes[i]] - b->cycles_by_cause[causes[i]];
    uint64_t own = (a->cycles - b->cycles) - over;
    cr_assert_gt(over, 0, "%s: the command cost something beyond instructions", what);
    cr_assert_eq(sum, over, "%s: the events add up to %llu, the command's overhead is %llu (of %llu cycles, %llu "
                            "the instructions' own)", what, (unsigned long long)sum, (unsigned long long)over,
                 (unsigned long long)(a->cycles - b->cycles), (unsigned long long)own);
}

Test(debugger, a_commands_events_add_up_to_its_cost_under_every_technique)
{
    static const char *const modes[][2] = {{"native", NULL}, {"te", NULL}, {"bt", NULL}, {"hw", "nested"},
                                          {"hw", "shadow"}, {"pv", NULL}};
    for (int i = 0; i < 6; i++) {
        S = ds_open_mmu("syscall", modes[i][0], modes[i][1], 0, 0);
        char what[64];
        snprintf(what, sizeof what, "%s%s%s", modes[i][0], modes[i][1] ? "+" : "", modes[i][1] ? modes[i][1] : "");
        OK("break trap syscall");
        OK("continue");
        OK("until epc");        /* the whole system call, handler to return */
        assert_events_add_up(what);
        OK("step 3000");        /* user code, the next system calls, walks, a timer */
        assert_events_add_up(what);
        ds_close(S);
    }
}
