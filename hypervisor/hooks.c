/*
 * hooks.c — the hypervisor's side of struct cpu_hooks: what the CPU calls,
 * and the hypervisor's own state in a snapshot of the machine.
 *
 * A snapshot (cpu/snapshot.c, the debugger's reverse execution) must put
 * back everything that changes what the machine does next, and the
 * hypervisor's bookkeeping does: struct hv, and the arrays it points at
 * whose filling costs cycles — shadow paging's per-frame bookkeeping and
 * pool, and paravirtualisation's page-table validation, one array each.
 * They are copied here, where their shape is known.  A new array hanging
 * off struct hv must be copied below too.
 */
#include <stdlib.h>
#include <string.h>

#include "hypervisor/hooks.h"
#include "hypervisor/hv.h"

struct hv_snapshot {
    struct hv hv;
    struct shadow_frame *sh_fr;    /* copies of the per-frame bookkeeping: shadow paging */
    struct shadow_page *sh_pg;     /* ... the shadow pool's */
    struct pv_frame *pv_fr;        /* ... and paravirtualisation */
};

static void *dup_array(const void *src, size_t n, size_t size)
{
    if (!src || !n) return NULL;
    void *p = malloc(n * size);
    if (p) memcpy(p, src, n * size);
    return p;
}

static void snap_free(void *saved)
{
    struct hv_snapshot *s = saved;
    if (!s) return;
    free(s->sh_fr);
    free(s->sh_pg);
    free(s->pv_fr);
    free(s);
}

static void *snap_save(const void *ctx)
{
    const struct hv *hv = ctx;
    struct hv_snapshot *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->hv = *hv;
    s->sh_fr = dup_array(hv->sh.fr, hv->sh.gframes, sizeof *hv->sh.fr);
    s->sh_pg = dup_array(hv->sh.pg, hv->sh.npool + 1, sizeof *hv->sh.pg);
    s->pv_fr = dup_array(hv->pv.fr, hv->pv.nframes, sizeof *hv->pv.fr);
    if ((hv->sh.fr && !s->sh_fr) || (hv->sh.pg && !s->sh_pg) || (hv->pv.fr && !s->pv_fr)) {
        snap_free(s);
        return NULL;
    }
    return s;
}

/* Restores struct hv; its arrays stay the live ones, refilled. */
static void snap_restore(void *ctx, const void *saved)
{
    struct hv *hv = ctx;
    const struct hv_snapshot *s = saved;
    struct machine *back = hv->m;   /* the hypervisor's own back-pointer */
    struct shadow_frame *sh_fr = hv->sh.fr;
    struct shadow_page *sh_pg = hv->sh.pg;
    struct pv_frame *pv_fr = hv->pv.fr;
    uint32_t sh_n = hv->sh.gframes, pg_n = hv->sh.npool, pv_n = hv->pv.nframes;
    *hv = s->hv;
    hv->m = back;
    hv->sh.fr = sh_fr;
    hv->sh.pg = sh_pg;
    hv->pv.fr = pv_fr;
    if (s->sh_fr && sh_fr && sh_n == s->hv.sh.gframes) memcpy(sh_fr, s->sh_fr, sh_n * sizeof *sh_fr);
    if (s->sh_pg && sh_pg && pg_n == s->hv.sh.npool) memcpy(sh_pg, s->sh_pg, (pg_n + 1) * sizeof *sh_pg);
    if (s->pv_fr && pv_fr && pv_n == s->hv.pv.nframes) memcpy(pv_fr, s->pv_fr, pv_n * sizeof *pv_fr);
}

static size_t snap_bytes(const void *saved)
{
    const struct hv_snapshot *s = saved;
    return sizeof *s + (s->sh_fr ? s->hv.sh.gframes * sizeof *s->sh_fr : 0) +
           (s->sh_pg ? (s->hv.sh.npool + 1) * sizeof *s->sh_pg : 0) +
           (s->pv_fr ? s->hv.pv.nframes * sizeof *s->pv_fr : 0);
}

static const struct cpu_hooks hv_hooks = {
    .trap = hv_trap,
    .exit = hv_handle_exit,
    .callout = hv_bt_callout,
    .snap_save = snap_save,
    .snap_restore = snap_restore,
    .snap_free = snap_free,
    .snap_bytes = snap_bytes,
};

void hv_hooks_install(struct hv *hv)
{
    hv->m->hooks = &hv_hooks;
    hv->m->hooks_ctx = hv;
}

void hv_hooks_remove(struct hv *hv)
{
    if (!hv->m) return;
    hv->m->hooks = NULL;
    hv->m->hooks_ctx = NULL;
}
