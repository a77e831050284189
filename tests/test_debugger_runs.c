/*
 * test_debugger_runs.c — the debugger runs many steps in one run of the
 * CPU (continue, step N, replay), and that must be exactly the machine
 * that single steps would give: the same position, registers, memory,
 * TLB, statistics, VM state and output, and the same stop at an address,
 * trap or exit breakpoint — natively and under every technique.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdlib.h>
#include <string.h>

#include "tests/rows.h"
#include "tests/test_debugger.h"

struct config {
    const char *image, *mode, *mmu;
};

static const struct config configs[] = {
    {"kernel", "native", NULL},
    {"kernel", "te", NULL},
    {"kernel", "bt", NULL},
    {"kernel", "hw", "nested"},
    {"kernel", "hw", "shadow"},
    {"kernel", "pv", NULL},
    {"syscall", "hw", "nested"},
    {"tlbstride", "te", NULL},
};
#define NCONFIGS (sizeof configs / sizeof configs[0])

static struct dsession *open_config(const struct config *c)
{
    return ds_open_mmu(c->image, c->mode, c->mmu, 0, 0);
}

static struct mstate *state_of(struct dsession *s)
{
    struct mstate *st = calloc(1, sizeof *st);
    cr_assert(st);
    mstate_take(s, st);
    return st;
}

/* What the guest has printed so far. */
static char *output_of(struct dsession *s)
{
    return strndup(s->d->con ? s->d->con : "", s->d->con_len);
}

/* Both sessions' machines are the same machine, having said the same. */
static void assert_same(struct dsession *a, struct dsession *b, const char *what)
{
    struct mstate *x = state_of(a), *y = state_of(b);
    mstate_assert_equal(x, y);
    cr_assert_eq(a->cm.m->stop, b->cm.m->stop, "%s: stop %d vs %d", what, a->cm.m->stop, b->cm.m->stop);
    char *oa = output_of(a), *ob = output_of(b);
    cr_assert_str_eq(oa, ob, "%s: the console output differs", what);
    free(oa);
    free(ob);
    free(x);
    free(y);
}

ROW_PARAMETERS(debugger_runs, a_run_of_steps_is_the_single_steps_to_the_end, NCONFIGS)

/* From the boot to the machine's own stop: in runs of steps, and one step at a time. */
ParameterizedTest(size_t *row, debugger_runs, a_run_of_steps_is_the_single_steps_to_the_end)
{
    const struct config *c = &configs[*row];
    cr_log_info("%s --mode %s%s%s", c->image, c->mode, c->mmu ? " --mmu " : "", c->mmu ? c->mmu : "");
    struct dsession *runs = open_config(c), *single = open_config(c);
    uint64_t calls = 0;
    while (dbg_running(runs->d) && calls < 1000000) {
        dbg_steps(runs->d, DBG_RUN_CHUNK);
        calls++;
    }
    cr_assert(!dbg_running(runs->d), "%s under %s: still running after %llu runs", c->image, c->mode,
              (unsigned long long)calls);
    cr_assert_lt(calls * 16, runs->d->pos, "runs of many steps, not of one (%llu runs for %llu steps)",
                 (unsigned long long)calls, (unsigned long long)runs->d->pos);
    while (dbg_running(single->d)) dbg_step(single->d);
    assert_same(runs, single, c->image);
    ds_close(runs);
    ds_close(single);
}

ROW_PARAMETERS(debugger_runs, continue_stops_where_single_steps_meet_the_breakpoint, NCONFIGS)

/* An address breakpoint at a pc single steps reach: continue stops at its
 * first hit, the step single steps first stand on it. */
ParameterizedTest(size_t *row, debugger_runs, continue_stops_where_single_steps_meet_the_breakpoint)
{
    const struct config *c = &configs[*row];
    cr_log_info("%s --mode %s%s%s", c->image, c->mode, c->mmu ? " --mmu " : "", c->mmu ? c->mmu : "");
    struct dsession *probe = open_config(c);
    for (int i = 0; i < 30000 && dbg_running(probe->d); i++) dbg_step(probe->d);
    uint32_t pc = probe->cm.m->cpu.pc;
    ds_close(probe);

    struct dsession *runs = open_config(c), *single = open_config(c);
    cr_assert_eq(ds_cmd(runs, "break *0x%x", pc), VIS_DBG_OK, "%s", ds_err(runs));
    cr_assert_eq(ds_cmd(runs, "continue"), VIS_DBG_OK, "%s", ds_err(runs));
    cr_assert_eq(runs->cm.m->cpu.pc, pc, "continue should stop at the breakpoint");
    do dbg_step(single->d);
    while (dbg_running(single->d) && single->cm.m->cpu.pc != pc);
    cr_assert_leq(single->d->pos, 30000);
    assert_same(runs, single, "an address breakpoint");
    ds_close(runs);
    ds_close(single);
}

ROW_PARAMETERS(debugger_runs, continue_stops_at_a_system_instruction_reached_by_falling_through, NCONFIGS)

/* A system instruction (syscall, mtcr, out, iret…) stands alone in its
 * block and is reached from the code before it without a block entry: an
 * address breakpoint on one still stops continue where single steps first
 * stand on it.  The first such pc after the boot's first 5,000 steps. */
ParameterizedTest(size_t *row, debugger_runs, continue_stops_at_a_system_instruction_reached_by_falling_through)
{
    const struct config *c = &configs[*row];
    cr_log_info("%s --mode %s%s%s", c->image, c->mode, c->mmu ? " --mmu " : "", c->mmu ? c->mmu : "");
    struct dsession *probe = open_config(c);
    uint32_t pc = 0, prev = 0;
    bool found = false;
    for (int i = 0; i < 200000 && dbg_running(probe->d) && !found; i++) {
        prev = probe->cm.m->cpu.pc;
        dbg_step(probe->d);
        pc = probe->cm.m->cpu.pc;
        uint32_t w;
        struct isa_insn in;
        if (i > 5000 && pc == prev + 4 && dbg_read32(probe->d, 'v', pc, &w) && isa_decode(w, &in)) {
            enum isa_class k = isa_info[in.op].cls;
            found = k == CL_SYSTEM || k == CL_PRIV || k == CL_IO;
        }
    }
    cr_assert(found, "no system instruction reached by falling through");
    uint64_t at = probe->d->pos;
    ds_close(probe);

    struct dsession *runs = open_config(c), *single = open_config(c);
    cr_assert_eq(ds_cmd(runs, "break *0x%x", pc), VIS_DBG_OK, "%s", ds_err(runs));
    cr_assert_eq(ds_cmd(runs, "continue"), VIS_DBG_OK, "%s", ds_err(runs));
    cr_assert_eq(runs->cm.m->cpu.pc, pc, "continue should stop at the breakpoint on 0x%08x", pc);
    do dbg_step(single->d);
    while (dbg_running(single->d) && single->cm.m->cpu.pc != pc);
    cr_assert_leq(single->d->pos, at);
    assert_same(runs, single, "a breakpoint on a system instruction");
    ds_close(runs);
    ds_close(single);
}

ROW_PARAMETERS(debugger_runs, continue_stops_where_single_steps_meet_a_trap_or_an_exit, NCONFIGS)

/* `break trap` (and, with a VM, `break exit`) six times over: each hit
 * after the first is reached by a run from the one before. */
ParameterizedTest(size_t *row, debugger_runs, continue_stops_where_single_steps_meet_a_trap_or_an_exit)
{
    const struct config *c = &configs[*row];
    cr_log_info("%s --mode %s%s%s", c->image, c->mode, c->mmu ? " --mmu " : "", c->mmu ? c->mmu : "");
    bool exits = strcmp(c->mode, "hw") == 0;
    struct dsession *runs = open_config(c), *single = open_config(c);
    cr_assert_eq(ds_cmd(runs, exits ? "break exit" : "break trap"), VIS_DBG_OK, "%s", ds_err(runs));
    for (int hit = 0; hit < 6; hit++) {
        cr_assert_eq(ds_cmd(runs, "continue"), VIS_DBG_OK, "%s", ds_err(runs));
        do dbg_step(single->d);
        while (dbg_running(single->d) && !(exits ? single->d->step_exits : single->d->step_traps));
        cr_assert(exits ? runs->d->step_exits : runs->d->step_traps, "continue should stop on the event");
        assert_same(runs, single, exits ? "an exit breakpoint" : "a trap breakpoint");
    }
    ds_close(runs);
    ds_close(single);
}
