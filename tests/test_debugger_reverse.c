/*
 * test_debugger_reverse.c — reverse execution gives back exactly the
 * machine that was: registers, memory, TLB, cycle counters, VM state —
 * natively, across traps, across VM exits, and across checkpoints.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "tests/test_debugger.h"

static struct mstate *state(void)
{
    struct mstate *m = calloc(1, sizeof *m);
    cr_assert(m);
    return m;
}

/* Steps forward n, back n, and checks the machine is what it was; then
 * forward n again, and checks it is what it was the first time. */
static void there_and_back(struct dsession *s, uint64_t n)
{
    struct mstate *before = state(), *after = state(), *again = state();
    mstate_take(s, before);
    cr_assert_eq(ds_cmd(s, "step %llu", (unsigned long long)n), VIS_DBG_OK, "%s", ds_err(s));
    mstate_take(s, after);
    cr_assert_eq(after->pos, before->pos + n);
    cr_assert_eq(ds_cmd(s, "reverse-step %llu", (unsigned long long)n), VIS_DBG_OK, "%s", ds_err(s));
    mstate_take(s, again);
    mstate_assert_equal(again, before);
    cr_assert_eq(ds_cmd(s, "step %llu", (unsigned long long)n), VIS_DBG_OK);
    mstate_take(s, again);
    mstate_assert_equal(again, after);
    free(before);
    free(after);
    free(again);
}

Test(debugger, reverse_steps_back_to_the_same_machine_natively)
{
    struct dsession *s = ds_open("kernel", "native", 2, 0);
    cr_assert_eq(ds_cmd(s, "step 118000"), VIS_DBG_OK);
    uint64_t traps = s->cm.m->st.traps_total;
    there_and_back(s, 30000);
    cr_assert_gt(s->cm.m->st.traps_total, traps, "the stretch should cross traps");
    ds_close(s);
}

Test(debugger, reverse_steps_back_across_a_vm_exit)
{
    struct dsession *s = ds_open("kernel", "hw", 2, 2);
    cr_assert_eq(ds_cmd(s, "break exit io"), VIS_DBG_OK);
    cr_assert_eq(ds_cmd(s, "continue"), VIS_DBG_OK);
    cr_assert(strstr(ds_out(s), "VM exit io"), "%s", ds_out(s));
    cr_assert_eq(ds_cmd(s, "delete"), VIS_DBG_OK);
    cr_assert_eq(ds_cmd(s, "reverse-step 50"), VIS_DBG_OK);
    uint64_t exits = s->cm.m->vmx.exits;
    there_and_back(s, 3000);
    ds_cmd(s, "step 3000");
    cr_assert_gt(s->cm.m->vmx.exits, exits, "the stretch should cross a VM exit");
    ds_close(s);
}

Test(debugger, reverse_steps_back_across_checkpoints_under_nested_paging)
{
    struct dsession *s = ds_open("kernel", "hw", 4, 4);
    s->d->ck_every = 20000;   /* more checkpoints than usual, to cross several quickly */
    cr_assert_eq(ds_cmd(s, "step 1000"), VIS_DBG_OK);
    there_and_back(s, 50000);
    cr_assert_gt(s->d->nck, 2, "checkpoints should have been taken on the way");
    ds_close(s);
}

Test(debugger, reverse_steps_back_under_trap_and_emulate_with_shadow_paging)
{
    struct dsession *s = ds_open("kernel", "te", 2, 0);
    s->d->ck_every = 20000;
    cr_assert_eq(ds_cmd(s, "step 90000"), VIS_DBG_OK);
    uint64_t hidden = s->cm.hv->sh.hidden_faults;
    there_and_back(s, 60000);
    cr_assert_gt(s->cm.hv->sh.hidden_faults, hidden, "the stretch should fill shadow entries");
    ds_close(s);
}

Test(debugger, reverse_steps_back_under_binary_translation)
{
    struct dsession *s = ds_open("kernel", "bt", 2, 0);
    s->d->ck_every = 20000;
    cr_assert_eq(ds_cmd(s, "step 1000"), VIS_DBG_OK);
    uint64_t blocks = s->cm.m->bt.blocks;
    there_and_back(s, 60000);
    cr_assert_gt(s->cm.m->bt.blocks, blocks, "the stretch should translate blocks");
    ds_close(s);
}

Test(debugger, reverse_steps_back_under_paravirtualisation)
{
    struct dsession *s = ds_open("kernel", "pv", 2, 0);
    s->d->ck_every = 20000;
    cr_assert_eq(ds_cmd(s, "step 150000"), VIS_DBG_OK, "%s", ds_err(s));
    uint64_t updates = s->cm.hv->pv.updates, calls = s->cm.hv->pv.hypercalls;
    there_and_back(s, 60000);
    cr_assert_gt(s->cm.hv->pv.hypercalls, calls, "the stretch should make hypercalls");
    cr_assert_gt(s->cm.hv->pv.updates, updates, "and validated page-table updates");
    cr_assert_eq(s->cm.hv->pv.refused, 0, "every replayed update found the same tables");
    ds_close(s);
}

Test(debugger, reverse_reverse_continue_returns_to_the_previous_breakpoint_hit)
{
    struct dsession *s = ds_open("kernel", "native", 2, 0);
    cr_assert_eq(ds_cmd(s, "break kernel_trap"), VIS_DBG_OK);
    cr_assert_eq(ds_cmd(s, "continue"), VIS_DBG_OK);
    struct mstate *first = state(), *back = state();
    mstate_take(s, first);
    cr_assert_eq(first->pc, s->d->bp[0].addr);
    /* further on: the kernel's own traps are events, the breakpoint may recur */
    cr_assert_eq(ds_cmd(s, "step 300"), VIS_DBG_OK);
    for (int i = 0; i < 50 && s->d->pos > first->pos; i++) {
        cr_assert_eq(ds_cmd(s, "reverse-continue"), VIS_DBG_OK);
        cr_assert_geq(s->d->pos, first->pos);
    }
    mstate_take(s, back);
    mstate_assert_equal(back, first);
    cr_assert(strstr(ds_out(s), "Breakpoint 1"), "%s", ds_out(s));
    free(first);
    free(back);
    ds_close(s);
}

Test(debugger, reverse_reverse_continue_stops_at_the_last_event)
{
    struct dsession *s = ds_open("kernel", "native", 2, 0);
    cr_assert_eq(ds_cmd(s, "break trap syscall"), VIS_DBG_OK);
    cr_assert_eq(ds_cmd(s, "continue"), VIS_DBG_OK);
    uint64_t at = s->d->pos;
    uint32_t handler = s->cm.m->cpu.pc;
    cr_assert_eq(ds_cmd(s, "delete"), VIS_DBG_OK);
    cr_assert_eq(ds_cmd(s, "step 5"), VIS_DBG_OK);
    cr_assert_eq(ds_cmd(s, "reverse-continue"), VIS_DBG_OK);
    cr_assert(strstr(ds_out(s), "Event:") && strstr(ds_out(s), "cause=syscall"), "%s", ds_out(s));
    cr_assert_eq(s->d->pos, at);
    cr_assert_eq(s->cm.m->cpu.pc, handler);
    ds_close(s);
}

Test(debugger, reverse_reverse_step_past_the_start_stops_at_the_boot)
{
    struct dsession *s = ds_open("hello", "native", 0, 0);
    ds_cmd(s, "step 3");
    cr_assert_eq(ds_cmd(s, "reverse-step 10"), VIS_DBG_OK);
    cr_assert(strstr(ds_out(s), "start of the history"), "%s", ds_out(s));
    cr_assert_eq(s->d->pos, 0);
    cr_assert_eq(s->cm.m->st.cycles, 0);
    ds_close(s);
}

Test(debugger, reverse_goto_a_cycle_and_back_again)
{
    struct dsession *s = ds_open("kernel", "native", 2, 0);
    ds_cmd(s, "step 5000");
    uint64_t c = s->cm.m->st.cycles;
    struct mstate *here = state(), *again = state();
    mstate_take(s, here);
    cr_assert_eq(ds_cmd(s, "goto 100"), VIS_DBG_OK);
    cr_assert_geq(s->cm.m->st.cycles, 100);
    cr_assert_lt(s->d->pos, 200);
    cr_assert_eq(ds_cmd(s, "goto %llu", (unsigned long long)c), VIS_DBG_OK);
    mstate_take(s, again);
    mstate_assert_equal(again, here);
    cr_assert_eq(ds_cmd(s, "goto step 42"), VIS_DBG_OK);
    cr_assert_eq(s->d->pos, 42);
    free(here);
    free(again);
    ds_close(s);
}

Test(debugger, reverse_set_starts_a_new_history)
{
    struct dsession *s = ds_open("kernel", "native", 2, 0);
    ds_cmd(s, "step 100");
    cr_assert_eq(ds_cmd(s, "set r9 0x1234"), VIS_DBG_OK);
    ds_cmd(s, "step 10");
    ds_cmd(s, "reverse-step 10");
    cr_assert_eq(s->cm.m->cpu.r[9], 0x1234, "going back to the change keeps it");
    ds_cmd(s, "reverse-step 1");
    cr_assert_neq(s->cm.m->cpu.r[9], 0x1234, "going back before the change undoes it");
    ds_close(s);
}

Test(debugger, reverse_the_console_is_not_printed_twice)
{
    struct dsession *s = ds_open("hello", "native", 0, 0);
    cr_assert_eq(ds_cmd(s, "continue"), VIS_DBG_OK);
    cr_assert(strstr(ds_out(s), "hello, ring 0"), "%s", ds_out(s));
    cr_assert_eq(ds_cmd(s, "reverse-step 60"), VIS_DBG_OK);
    cr_assert_eq(ds_cmd(s, "info console"), VIS_DBG_OK);
    cr_assert_null(strstr(ds_out(s), "hello, ring 0"), "back before the guest printed: %s", ds_out(s));
    cr_assert_eq(ds_cmd(s, "continue"), VIS_DBG_OK);
    cr_assert_null(strstr(ds_out(s), "hello"), "replayed output was printed again: %s", ds_out(s));
    cr_assert(strstr(ds_out(s), "The machine stopped"), "%s", ds_out(s));
    cr_assert_eq(ds_cmd(s, "info console"), VIS_DBG_OK);
    const char *c = ds_out(s), *first = strstr(c, "hello, ring 0");
    cr_assert(first && !strstr(first + 1, "hello, ring 0"), "the console pane has it once: %s", c);
    ds_close(s);
}
