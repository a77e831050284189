/*
 * debugger_history.c — reverse execution: checkpoints and replay.
 *
 * The machine is deterministic and a debugger step is always the same
 * (debugger.h), so the machine at step N is a function of any earlier
 * moment.  Going back is therefore: restore the last checkpoint at or
 * before N, and replay the steps from there to N with the console muted.
 *
 * Checkpoints (cpu/snapshot.c) are taken every DBG_CK_EVERY steps while the
 * machine runs forward; the one at step 0 is never dropped, so history
 * always reaches back to the boot.  What a checkpoint costs is the memory
 * pages the guest wrote since the one before (unchanged pages are shared);
 * when all of them together pass DBG_HISTORY_MAX, every other one is
 * dropped, so older history gets sparser, not shorter.  Going back costs at
 * most the replay of the gap between two checkpoints.
 *
 * Running forward again from the past follows the recorded path exactly
 * (it is the same machine taking the same steps), so the recorded future
 * stays valid — until `set` changes the machine, which forgets it
 * (dbg_history_fork) and starts a new one from there.
 */
#include <stdlib.h>
#include <string.h>

#include "visualise/debugger.h"

static void drop(struct vis_dbg *d, int i)
{
    machine_snapshot_free(d->ck[i].snap);
    d->ck_bytes -= d->ck[i].bytes;
    memmove(&d->ck[i], &d->ck[i + 1], (size_t)(d->nck - i - 1) * sizeof d->ck[0]);
    d->nck--;
}

/* Over budget: drop every other checkpoint but the first and the last.
 * A dropped snapshot's pages may live on in the next one, which is charged
 * for them (the budget errs on the safe side). */
static void thin(struct vis_dbg *d)
{
    while (d->ck_bytes > DBG_HISTORY_MAX && d->nck > 2) {
        for (int i = 1; i < d->nck - 1; i++) {
            size_t b = d->ck[i].bytes;
            drop(d, i);
            d->ck[i].bytes += b;
            d->ck_bytes += b;
        }
    }
}

static bool take(struct vis_dbg *d)
{
    if (d->nck == d->ck_cap) {
        int cap = d->ck_cap ? d->ck_cap * 2 : 64;
        struct dbg_checkpoint *p = realloc(d->ck, (size_t)cap * sizeof *p);
        if (!p) return false;
        d->ck = p;
        d->ck_cap = cap;
    }
    const struct machine_snapshot *prev = d->nck ? d->ck[d->nck - 1].snap : NULL;
    struct machine_snapshot *s = machine_snapshot_take(d->m, prev);
    if (!s) return false;
    struct machine *m = d->m;
    size_t bytes = machine_snapshot_bytes(s);
    d->ck[d->nck++] = (struct dbg_checkpoint){d->pos, m->st.cycles, m->st.instructions, d->ev_count, s, bytes};
    d->ck_bytes += bytes;
    thin(d);
    return true;
}

bool dbg_history_init(struct vis_dbg *d)
{
    d->hist_end = d->pos;
    /* a disk's file is not in a snapshot: its writes are journalled, so
     * that restoring one winds the file back too (cpu/journal.c) */
    if (!d->m->journal && !(d->m->journal = disk_journal_new(DISK_JOURNAL_MAX))) return false;
    return take(d);
}

void dbg_history_free(struct vis_dbg *d)
{
    while (d->nck) drop(d, d->nck - 1);
    free(d->ck);
    d->ck = NULL;
    d->ck_cap = 0;
}

void dbg_history_note(struct vis_dbg *d)
{
    d->hist_end = d->pos;
    if (d->pos - d->ck[d->nck - 1].pos >= d->ck_every) take(d);
}

void dbg_history_fork(struct vis_dbg *d)
{
    while (d->nck > 1 && d->ck[d->nck - 1].pos > d->pos) drop(d, d->nck - 1);
    d->hist_end = d->pos;
}

void dbg_history_checkpoint_now(struct vis_dbg *d)
{
    dbg_history_fork(d);
    if (d->ck[d->nck - 1].pos == d->pos) {
        if (d->nck == 1) {
            /* the boot itself changed: the new state is where history starts */
            struct machine_snapshot *s = machine_snapshot_take(d->m, NULL);
            if (!s) return;
            machine_snapshot_free(d->ck[0].snap);
            d->ck_bytes -= d->ck[0].bytes;
            d->ck[0].snap = s;
            d->ck[0].bytes = machine_snapshot_bytes(s);
            d->ck[0].cycles = d->m->st.cycles;
            d->ck[0].insns = d->m->st.instructions;
            d->ck[0].events = d->ev_count;
            d->ck_bytes += d->ck[0].bytes;
            return;
        }
        drop(d, d->nck - 1);
    }
    take(d);
}

/* The last checkpoint at or before step pos. */
static int checkpoint_before(const struct vis_dbg *d, uint64_t pos)
{
    int i = d->nck - 1;
    while (i > 0 && d->ck[i].pos > pos) i--;
    return i;
}

/* False, nothing changed and the reason in d->status, if the checkpoint
 * cannot be restored: the disk journal no longer reaches back to it. */
static bool restore(struct vis_dbg *d, int i)
{
    const struct dbg_checkpoint *c = &d->ck[i];
    if (!machine_snapshot_restore(d->m, c->snap)) {
        snprintf(d->status, sizeof d->status, "Cannot go back to step %llu: the disk journal keeps the last %u MiB "
                 "of disk writes, and no longer reaches that far.", (unsigned long long)c->pos, DISK_JOURNAL_MAX >> 20);
        return false;
    }
    d->pos = c->pos;
    if (c->events <= d->ev_count) {
        dbg_events_truncate(d, c->events);
    } else {
        /* a checkpoint ahead of the log: the events between are not kept */
        dbg_events_truncate(d, 0);
        d->ev_lo = d->ev_count = c->events;
    }
    d->probe_on = false;
    return true;
}

bool dbg_goto(struct vis_dbg *d, uint64_t pos)
{
    int i = checkpoint_before(d, pos);
    /* from where we are if that is on the way, else from the checkpoint */
    if (!(d->pos <= pos && d->pos >= d->ck[i].pos) && !restore(d, i)) return false;
    dbg_clear_interrupt();
    while (d->pos < pos && dbg_running(d) && !dbg_interrupted())
        dbg_steps(d, pos - d->pos < DBG_RUN_CHUNK ? pos - d->pos : DBG_RUN_CHUNK);
    dbg_watch_refresh(d);
    if (dbg_interrupted()) {
        dbg_clear_interrupt();
        return false;
    }
    return true;
}

enum dbg_why dbg_reverse_step(struct vis_dbg *d, uint64_t n)
{
    bool to_start = n >= d->pos;
    d->status[0] = 0;
    if (!dbg_goto(d, to_start ? 0 : d->pos - n)) {
        if (!d->status[0])
            snprintf(d->status, sizeof d->status, "Interrupted (at step %llu).", (unsigned long long)d->pos);
        return WHY_INTERRUPT;
    }
    if (to_start) {
        snprintf(d->status, sizeof d->status, "At the start of the history (step 0).");
        return WHY_START;
    }
    return WHY_DONE;
}

/*
 * reverse-continue: back to the latest earlier step at which a forward
 * `continue` would have stopped (a breakpoint, a watchpoint) or an event
 * happened (a trap, an interrupt, a VM exit).  Searched one checkpoint gap
 * at a time, newest first: restore, replay the gap checking every step,
 * keep the last hit.
 */
enum dbg_why dbg_reverse_continue(struct vis_dbg *d)
{
    uint64_t hi = d->pos ? d->pos - 1 : 0;   /* the latest step that may stop us */
    d->status[0] = 0;
    dbg_clear_interrupt();
    while (hi > 0) {
        int i = checkpoint_before(d, hi - 1);
        if (!restore(d, i)) return WHY_INTERRUPT;
        dbg_watch_refresh(d);
        uint64_t found = 0;
        char msg[sizeof d->status] = "", hit[sizeof d->status];
        enum dbg_why why = WHY_DONE;
            while (d->pos < hi && dbg_running(d)) {
            if ((d->pos & 0xfff) == 0 && dbg_interrupted()) break;
            dbg_step(d);
            enum dbg_why w = dbg_stop_here(d, true, false, hit, sizeof hit);
            if (w != WHY_DONE) {
                found = d->pos;
                why = w;
                memcpy(msg, hit, sizeof msg);
            }
        }
            if (dbg_interrupted()) {
            dbg_clear_interrupt();
            snprintf(d->status, sizeof d->status, "Interrupted (at step %llu).", (unsigned long long)d->pos);
            return WHY_INTERRUPT;
        }
        if (found) {
            dbg_goto(d, found);
            snprintf(d->status, sizeof d->status, "%s", msg);
            return why;
        }
        hi = d->ck[i].pos;
    }
    dbg_goto(d, 0);
    snprintf(d->status, sizeof d->status, "At the start of the history (step 0): no earlier breakpoint or event.");
    return WHY_START;
}

enum dbg_why dbg_goto_cycle(struct vis_dbg *d, uint64_t cycle)
{
    struct machine *m = d->m;
    d->status[0] = 0;
    /* the last checkpoint not after the cycle; restore it unless we are
     * already between it and the cycle */
    int i = d->nck - 1;
    while (i > 0 && d->ck[i].cycles > cycle) i--;
    if (!(m->st.cycles <= cycle && d->pos >= d->ck[i].pos) && !restore(d, i)) return WHY_INTERRUPT;
    dbg_clear_interrupt();
    uint64_t k = 0;
    while (m->st.cycles < cycle && dbg_running(d)) {
        if ((++k & 0xfff) == 0 && dbg_interrupted()) {
            dbg_clear_interrupt();
            snprintf(d->status, sizeof d->status, "Interrupted (at cycle %llu).", (unsigned long long)m->st.cycles);
            return WHY_INTERRUPT;
        }
        dbg_step(d);
    }
    dbg_watch_refresh(d);
    if (m->st.cycles < cycle) {
        snprintf(d->status, sizeof d->status, "The machine stopped before cycle %llu: %.200s", (unsigned long long)cycle,
                 m->stop_detail);
        return WHY_MACHINE;
    }
    return WHY_DONE;
}

void dbg_history_view(struct vis_dbg *d, struct dbg_text *t)
{
    struct machine *m = d->m;
    const struct dbg_checkpoint *first = &d->ck[0], *last = &d->ck[d->nck - 1];
    uint64_t widest = 0;
    for (int i = 1; i < d->nck; i++)
        if (d->ck[i].pos - d->ck[i - 1].pos > widest) widest = d->ck[i].pos - d->ck[i - 1].pos;
    if (d->hist_end - last->pos > widest) widest = d->hist_end - last->pos;
    dbg_text_add(t, AT_HEAD, "history: %d checkpoint%s, %.1f MiB; one every %llu steps while running", d->nck,
                 d->nck == 1 ? "" : "s", d->ck_bytes / 1048576.0, (unsigned long long)d->ck_every);
    dbg_text_add(t, AT_NORMAL, "  reaches back to step %llu (cycle %llu): %s", (unsigned long long)first->pos,
                 (unsigned long long)first->cycles,
                 first->pos == 0 ? "the boot" : "where the machine was last changed by `set`");
    dbg_text_add(t, AT_NORMAL, "  now at step %llu (cycle %llu, %llu instructions); recorded up to step %llu",
                 (unsigned long long)d->pos, (unsigned long long)m->st.cycles,
                 (unsigned long long)m->st.instructions, (unsigned long long)d->hist_end);
    dbg_text_add(t, AT_NORMAL, "  going back replays at most %llu steps (the widest gap between checkpoints)",
                 (unsigned long long)widest);
    if (d->m->journal) {
        struct disk_journal_info ji;
        disk_journal_info(d->m->journal, &ji);
        if (ji.at || ji.entries)
            dbg_text_add(t, AT_NORMAL, "  disk journal: %llu writes kept (%.1f of %.0f MiB), reaching back to write %llu; "
                         "the files are at write %llu", (unsigned long long)ji.entries, ji.bytes / 1048576.0,
                         ji.max_bytes / 1048576.0, (unsigned long long)ji.reaches, (unsigned long long)ji.at);
    }
    int from = d->nck > 12 ? d->nck - 12 : 0;
    if (from) dbg_text_add(t, AT_DIM, "  ... %d older checkpoints", from);
    for (int i = from; i < d->nck; i++)
        dbg_text_add(t, d->ck[i].pos <= d->pos ? AT_NORMAL : AT_DIM, "  #%-3d step %-10llu cycle %-12llu %7.1f KiB",
                     i, (unsigned long long)d->ck[i].pos, (unsigned long long)d->ck[i].cycles,
                     d->ck[i].bytes / 1024.0);
}
