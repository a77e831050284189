/*
 * test_debugger_session.c — the sessions the debugger's tests drive
 * (test_debugger.h), and comparing machine states.
 */
#include <criterion/criterion.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "tests/test_debugger.h"

struct dsession *ds_open(const char *image, const char *mode, unsigned levels, unsigned host_levels)
{
    return ds_open_mmu(image, mode, NULL, levels, host_levels);
}

struct dsession *ds_open_mmu(const char *image, const char *mode, const char *mmu, unsigned levels,
                             unsigned host_levels)
{
    struct machine_opts o;
    cli_machine_defaults(&o);
    o.mode = mode;
    o.mmu = mmu;
    if (levels) o.levels = levels;
    if (host_levels) o.host_levels = host_levels;
    return ds_open_opts(&o, image);
}

struct dsession *ds_open_opts(const struct machine_opts *o, const char *image)
{
    struct dsession *s = calloc(1, sizeof *s);
    cr_assert(s);
    char *images[] = {(char *)image, NULL};
    cr_assert(cli_machine_build(o, images, 1, "test", &s->cm), "cannot build a machine for %s", image);
    char path[PATH_MAX], err[512];
    cr_assert(cli_resolve_image(image, path, sizeof path));
    cr_assert(isa_image_load(path, &s->img, err, sizeof err), "%s", err);
    s->fo = open_memstream(&s->out, &s->outlen);
    s->fe = open_memstream(&s->err, &s->errlen);
    s->d = vis_dbg_new(s->cm.m, s->cm.hv, &s->img, s->fo, s->fe);
    cr_assert(s->d);
    return s;
}

static char *since(FILE *f, char **buf, size_t *len, size_t *seen)
{
    fflush(f);
    char *r = strndup(*buf ? *buf + *seen : "", *len - *seen);
    *seen = *len;
    return r;
}

int ds_cmd(struct dsession *s, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    int rc = vis_dbg_command(s->d, line);
    free(s->last_out);
    free(s->last_err);
    s->last_out = since(s->fo, &s->out, &s->outlen, &s->out_seen);
    s->last_err = since(s->fe, &s->err, &s->errlen, &s->err_seen);
    return rc;
}

const char *ds_out(struct dsession *s) { return s->last_out ? s->last_out : ""; }
const char *ds_err(struct dsession *s) { return s->last_err ? s->last_err : ""; }

void ds_close(struct dsession *s)
{
    vis_dbg_free(s->d);
    fclose(s->fo);
    fclose(s->fe);
    free(s->out);
    free(s->err);
    free(s->last_out);
    free(s->last_err);
    isa_image_free(&s->img);
    cli_machine_free(&s->cm);
    free(s);
}

void mstate_take(struct dsession *s, struct mstate *st)
{
    const struct machine *m = s->cm.m;
    memset(st, 0, sizeof *st);
    st->pos = s->d->pos;
    st->memsum = machine_memory_checksum(m);
    memcpy(st->r, m->cpu.r, sizeof st->r);
    st->pc = m->cpu.pc;
    memcpy(st->cr, m->cpu.cr, sizeof st->cr);
    st->nonroot = m->cpu.nonroot;
    st->trap_depth = m->cpu.trap_depth;
    st->st = m->st;
    st->st.decoded_pages = 0;   /* host work: the decode cache is not history */
    st->mst = m->mmu.st;
    cr_assert(m->mmu.tlb_entries <= 4096);
    for (unsigned i = 0; i < m->mmu.tlb_entries; i++) {
        const struct tlb_entry *e = &m->mmu.tlb[i];
        st->tlb[i][0] = e->vpn;
        st->tlb[i][1] = e->pfn;
        st->tlb[i][2] = e->asid;
        st->tlb[i][3] = e->vpid;
        st->tlb[i][4] = (uint32_t)(e->global | e->writable << 1 | e->user << 2 | e->dirty << 3 | e->level << 4);
        st->tlb[i][5] = e->valid;
        st->tlb_lru[i] = e->valid ? e->lru : 0;
    }
    st->exits = m->vmx.exits;
    memcpy(st->exits_by_reason, m->vmx.exits_by_reason, sizeof st->exits_by_reason);
    st->timer_deadline = m->timer.deadline;
    if (s->cm.hv) {
        const struct vmcs *v = &m->vmx.vmcs[0];
        st->vm_pc = v->pc;
        st->vm_exit_qual = v->exit_qual;
        st->vm_exit_reason = v->exit_reason;
        st->running = s->cm.hv->running;
        st->vm_exits = s->cm.hv->vms[0].exits;
        st->slice_end = s->cm.hv->slice_end;
        memcpy(st->vcpu_cr, s->cm.hv->vcpu.cr, sizeof st->vcpu_cr);
        st->hidden_faults = s->cm.hv->sh.hidden_faults;
        st->tracing_faults = s->cm.hv->sh.tracing_faults;
    }
    st->bt_blocks = m->bt.blocks;
    st->bt_hits = m->bt.cache_hits;
    st->bt_dispatches = m->bt.dispatches;
    st->bt_chained = m->bt.chained;
    st->bt_unchains = m->bt.unchains;
}

void mstate_assert_equal(const struct mstate *a, const struct mstate *b)
{
    cr_assert_eq(a->pos, b->pos, "step %llu != %llu", (unsigned long long)a->pos, (unsigned long long)b->pos);
    for (int i = 0; i < ISA_NREGS; i++) cr_assert_eq(a->r[i], b->r[i], "r%d 0x%x != 0x%x", i, a->r[i], b->r[i]);
    cr_assert_eq(a->pc, b->pc, "pc 0x%x != 0x%x", a->pc, b->pc);
    for (int i = 0; i < CR_COUNT; i++)
        cr_assert_eq(a->cr[i], b->cr[i], "control register %s 0x%x != 0x%x", isa_creg_name[i], a->cr[i], b->cr[i]);
    cr_assert_eq(a->nonroot, b->nonroot, "root/non-root differs");
    cr_assert_eq(a->trap_depth, b->trap_depth);
    cr_assert_eq(a->memsum, b->memsum, "memory checksum differs");
    cr_assert_eq(a->st.cycles, b->st.cycles, "cycles %llu != %llu", (unsigned long long)a->st.cycles,
                 (unsigned long long)b->st.cycles);
    for (int c = 0; c < CY_COUNT; c++)
        cr_assert_eq(a->st.cycles_by_cause[c], b->st.cycles_by_cause[c], "cycles of cause %s differ",
                     cycle_cause_name[c]);
    cr_assert(memcmp(&a->st, &b->st, sizeof a->st) == 0, "statistics differ");
    cr_assert(memcmp(&a->mst, &b->mst, sizeof a->mst) == 0, "MMU statistics differ (hits %llu/%llu misses %llu/%llu)",
              (unsigned long long)a->mst.tlb_hits, (unsigned long long)b->mst.tlb_hits,
              (unsigned long long)a->mst.tlb_misses, (unsigned long long)b->mst.tlb_misses);
    cr_assert(memcmp(a->tlb, b->tlb, sizeof a->tlb) == 0, "TLB entries differ");
    cr_assert(memcmp(a->tlb_lru, b->tlb_lru, sizeof a->tlb_lru) == 0, "TLB LRU order differs");
    cr_assert_eq(a->exits, b->exits, "VM exits %llu != %llu", (unsigned long long)a->exits,
                 (unsigned long long)b->exits);
    cr_assert(memcmp(a->exits_by_reason, b->exits_by_reason, sizeof a->exits_by_reason) == 0);
    cr_assert_eq(a->vm_pc, b->vm_pc);
    cr_assert_eq(a->vm_exit_reason, b->vm_exit_reason);
    cr_assert_eq(a->vm_exit_qual, b->vm_exit_qual);
    cr_assert_eq(a->running, b->running);
    cr_assert_eq(a->vm_exits, b->vm_exits);
    cr_assert_eq(a->slice_end, b->slice_end);
    cr_assert_eq(a->timer_deadline, b->timer_deadline);
    cr_assert(memcmp(a->vcpu_cr, b->vcpu_cr, sizeof a->vcpu_cr) == 0, "the guest's virtual CPU differs");
    cr_assert_eq(a->hidden_faults, b->hidden_faults, "hidden faults differ");
    cr_assert_eq(a->tracing_faults, b->tracing_faults, "tracing faults differ");
    cr_assert_eq(a->bt_blocks, b->bt_blocks, "translated blocks differ");
    cr_assert_eq(a->bt_hits, b->bt_hits, "code cache hits differ");
    cr_assert_eq(a->bt_dispatches, b->bt_dispatches, "block exits through the dispatcher differ");
    cr_assert_eq(a->bt_chained, b->bt_chained, "chained block exits differ");
    cr_assert_eq(a->bt_unchains, b->bt_unchains, "links undone differ");
}
