/*
 * bt.c — binary translation (--mode bt): trap-and-emulate without the traps.
 *
 * The guest runs deprivileged on shadow page tables, as under te (te.c),
 * but its code does not run as it is: it runs from a code cache, a copy in
 * which every sensitive instruction — privileged ones, the red pills that
 * do not trap on the classic ISA, vmcall — has become a callout, a plain
 * call into the hypervisor (hv_bt_callout).  The hypervisor emulates it as
 * te would (te_emulate), at the cost of a call (bt_callout) instead of a
 * trap and a trap return; the red pills are caught too, so the classic ISA
 * virtualises.  Everything that still traps (system calls, page faults, the
 * timer) is te's (te_trap).
 *
 * The translator itself, bt_page_get and bt_translate_block, stays in
 * cpu/decode.c: the CPU runs it in its fetch loop whenever it meets an
 * instruction not yet translated, the code cache is machine state beside
 * the decode cache (a snapshot copies it), and which instructions become
 * callouts is read from the ISA's one table (sensitive, privileged), not
 * decided by the hypervisor.  Moving it here would make the CPU call into
 * the hypervisor at every block it translates.  So does chaining (decode.c,
 * "Chaining"): a block's exit to a known target, patched to jump straight
 * to that target's translation, saves the dispatcher's bt_dispatch.  This
 * file turns bt on and off (m->bt_active), serves its callouts and
 * reports its counters: dispatches, chained exits, links undone.
 */
#include <jansson.h>

#include "cpu/decode.h"
#include "hypervisor/technique.h"
#include "hypervisor/vcpu.h"

/* A translated sensitive instruction at pc: emulated as te emulates its
 * trap, entered by a call (the debugger shows callouts by this name). */
static void hv_bt_callout(struct hv *hv, uint32_t pc)
{
    struct machine *m = hv->m;
    m->bt.callouts++;
    cpu_charge(m, CY_BT, m->prof.bt_callout);
    hv->in_callout = true;
    te_emulate(hv, pc);
    hv->in_callout = false;
}

/* Turning bt on: the guest's code runs from the code cache from here. */
static void bt_enter(struct hv *hv)
{
    hv->m->bt_active = true;
    te_enter(hv);
}

/* Turning it off: the code cache starts afresh, should bt come back. */
static void bt_leave(struct hv *hv)
{
    struct machine *m = hv->m;
    vcpu_leave(hv);
    m->bt_active = false;
    for (uint32_t p = 0; m->bt_pages && p < m->memsize >> 12; p++)
        if (m->bt_pages[p] && m->bt_pages[p]->valid) {
            m->bt_pages[p]->valid = false;
            m->bt.invalidations++;
            bt_unchain(m, p);
        }
}

/* The translator's counters: also after a live switch away from bt. */
static void bt_stats(const struct hv *hv, json_t *o, bool current)
{
    const struct machine *m = hv->m;
    if (!current && !m->bt.blocks) return;
    json_object_set_new(o, "bt", json_pack("{s:I,s:I,s:I,s:I,s:I,s:s,s:I,s:I,s:I}", "blocks", (json_int_t)m->bt.blocks,
        "instructions", (json_int_t)m->bt.instructions, "cache_hits", (json_int_t)m->bt.cache_hits,
        "invalidations", (json_int_t)m->bt.invalidations, "callouts", (json_int_t)m->bt.callouts,
        "chaining", m->bt_chain ? "on" : "off", "dispatches", (json_int_t)m->bt.dispatches,
        "chained", (json_int_t)m->bt.chained, "unchains", (json_int_t)m->bt.unchains));
}

const struct hv_technique hv_bt = {
    .mode = HV_BT,
    .name = "bt",
    .title = "binary translation",
    .mmus = HV_MMU_BIT(HV_MMU_SHADOW),
    .default_mmu = HV_MMU_SHADOW,
    .live_switch = true,
    .deprivileged = true,
    .compare_rank = {[HV_MMU_SHADOW] = 4},
    .enter = bt_enter,
    .leave = bt_leave,
    .on_trap = te_trap,
    .on_callout = hv_bt_callout,
    .guest_cr = vcpu_guest_cr,
    .shadow_cr = vcpu_real_cr,
    .stats = bt_stats,
    .dirty_log = shadow_dirty_log,
    .describe = hv_describe_paging,
};
