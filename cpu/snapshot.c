/*
 * snapshot.c — a copy of the whole machine, for the debugger's reverse
 * execution.
 *
 * The machine is plain data and runs deterministically (console input is a
 * script, the timer counts simulated cycles), so a snapshot plus replay
 * recreates any earlier moment exactly.  A snapshot holds everything that
 * can change what the machine does next or what it reports: memory, the
 * CPU, the MMU with its TLB, page-walk cache and nested TLB arrays, the
 * devices, the statistics, ring -1's VMCSs and, when a hypervisor runs, its
 * own state, which it copies itself (the snapshot hooks of m->hooks: the
 * CPU knows nothing of its shape).  It leaves out what is derived and free
 * to rebuild: the decode cache (pages whose bytes change on restore are
 * simply dropped from it).  A disk's contents are in its host file, not
 * here: the machine's disk journal (cpu/journal.c), when it keeps one,
 * winds the files to the snapshot's moment on restore.
 *
 * The one idea: memory is kept page by page and shared between snapshots.
 * A page equal to the same page of the previous snapshot is not copied but
 * referenced (a count), and a page of zeros is not stored at all, so a
 * snapshot costs the pages the guest wrote since the last one, plus one
 * comparison pass over memory.
 *
 * Two caches are not derived for free, because filling them costs cycles:
 * binary translation's code cache (a translated block is charged once) and
 * the shadow page tables' bookkeeping in the hypervisor.  Both are copied
 * too, the second by the hypervisor's snapshot hooks.
 *
 * Host pointers in struct machine (memory, the TLB arrays, the decode
 * cache, the console's FILE, the hypervisor and its hooks, the trace hook)
 * are the live machine's and survive a restore; every other field is
 * restored.  A new host pointer in struct machine or struct mmu must be
 * added to keep_live() (or to the arrays copied below); one in the
 * hypervisor's state, to its snapshot hooks.
 */
#include <stdlib.h>
#include <string.h>

#include "cpu/decode.h"

#define PAGE 4096u

struct snap_page {
    unsigned refs;
    uint8_t data[PAGE];
};

struct machine_snapshot {
    struct machine m;              /* every plain field; its pointers are not used */
    uint32_t npages;
    struct snap_page **pages;      /* NULL = a page of zeros */
    size_t own_bytes;              /* pages this snapshot copied (not shared) */
    struct tlb_entry *tlb;
    struct pwc_entry *pwc;
    struct ntlb_entry *ntlb;
    uintptr_t last_addend_off;     /* the interpreter's shortcut, relative to m->mem */
    struct decode_page **bt;       /* the valid pages of the BT code cache, or NULL */
    size_t bt_bytes;
    void *ext;                     /* the hypervisor's copy of its state (m.hooks' to
                                    * restore and free), NULL = none runs */
    struct netswitch net;          /* --net: the switch's counters (its pointers not used) */
    struct net_frame *fifo[MAX_VMS_NET]; /* ... and each interface's frames in flight */
    size_t net_bytes;
};

static const uint8_t zero_page[PAGE];

static bool page_is_zero(const uint8_t *p) { return memcmp(p, zero_page, PAGE) == 0; }

static void *dup_array(const void *src, size_t n, size_t size)
{
    if (!src || !n) return NULL;
    void *p = malloc(n * size);
    if (p) memcpy(p, src, n * size);
    return p;
}

/* Whether the software above the CPU copies its own state into snapshots. */
static bool hooks_snapshot(const struct machine *m)
{
    return m->hooks && m->hooks->snap_save;
}

/* Binary translation's code cache: the translated pages, as they stand. */
static bool bt_copy(struct machine_snapshot *s, const struct machine *m)
{
    if (!m->bt_pages) return true;
    uint32_t n = m->memsize / PAGE;
    for (uint32_t i = 0; i < n; i++) {
        const struct decode_page *p = m->bt_pages[i];
        if (!p || !p->valid) continue;
        if (!s->bt && !(s->bt = calloc(n, sizeof *s->bt))) return false;
        if (!(s->bt[i] = malloc(sizeof *p))) return false;
        memcpy(s->bt[i], p, sizeof *p);
        s->bt_bytes += sizeof *p;
    }
    return true;
}

static void bt_put_back(struct machine *m, const struct machine_snapshot *s)
{
    if (!m->bt_pages) return;
    for (uint32_t i = 0; i < s->npages; i++) {
        const struct decode_page *want = s->bt ? s->bt[i] : NULL;
        struct decode_page *p = m->bt_pages[i];
        if (!want) {
            if (p) p->valid = false;
            continue;
        }
        if (!p && !(p = m->bt_pages[i] = malloc(sizeof *p))) continue;
        memcpy(p, want, sizeof *p);
        m->code_page[i] = 1;
    }
}

/* The network (--net): the frames in flight wait in the interfaces' FIFOs,
 * which live on the heap; the interfaces' registers are copied with the
 * machine (bare metal's) or the hypervisor (a VM's). */
static bool net_copy(struct machine_snapshot *s, const struct machine *m)
{
    const struct netswitch *sw = m->netsw;
    if (!sw) return true;
    s->net = *sw;
    for (int p = 0; p < sw->nports; p++) {
        const struct nic *n = sw->nic[p];
        if (!n->fifo_n) continue;
        if (!(s->fifo[p] = dup_array(n->fifo, n->fifo_n, sizeof *n->fifo))) return false;
        s->net_bytes += n->fifo_n * sizeof *n->fifo;
    }
    return true;
}

/* After the interfaces' registers are back (fifo_n among them). */
static void net_put_back(struct machine *m, const struct machine_snapshot *s)
{
    struct netswitch *sw = m->netsw;
    if (!sw) return;
    memcpy(sw->st, s->net.st, sizeof sw->st);
    for (int p = 0; p < sw->nports; p++)
        if (sw->nic[p]->fifo_n) memcpy(sw->nic[p]->fifo, s->fifo[p], sw->nic[p]->fifo_n * sizeof *s->fifo[p]);
}

struct machine_snapshot *machine_snapshot_take(const struct machine *m, const struct machine_snapshot *prev)
{
    struct machine_snapshot *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->m = *m;
    s->npages = m->memsize / PAGE;
    s->pages = calloc(s->npages, sizeof *s->pages);
    const struct mmu *u = &m->mmu;
    s->tlb = dup_array(u->tlb, u->tlb_slots, sizeof *u->tlb);
    s->pwc = dup_array(u->pwc, u->pwc_entries, sizeof *u->pwc);
    s->ntlb = dup_array(u->ntlb, u->ntlb_entries, sizeof *u->ntlb);
    if (!s->pages || !s->tlb || (u->pwc_entries && !s->pwc) || (u->ntlb_entries && !s->ntlb)) {
        machine_snapshot_free(s);
        return NULL;
    }
    s->last_addend_off = u->last_addend - (uintptr_t)m->mem;
    if (hooks_snapshot(m) && !(s->ext = m->hooks->snap_save(m->hooks_ctx))) {
        machine_snapshot_free(s);
        return NULL;
    }
    if (!bt_copy(s, m) || !net_copy(s, m)) {
        machine_snapshot_free(s);
        return NULL;
    }
    if (prev && prev->npages != s->npages) prev = NULL;
    for (uint32_t i = 0; i < s->npages; i++) {
        const uint8_t *cur = m->mem + (size_t)i * PAGE;
        struct snap_page *old = prev ? prev->pages[i] : NULL;
        if (old ? memcmp(old->data, cur, PAGE) == 0 : page_is_zero(cur)) {
            /* unchanged since the previous snapshot (or zeros): share it */
            if (old) old->refs++;
            s->pages[i] = old;
            continue;
        }
        if (page_is_zero(cur)) continue;
        struct snap_page *p = malloc(sizeof *p);
        if (!p) {
            machine_snapshot_free(s);
            return NULL;
        }
        p->refs = 1;
        memcpy(p->data, cur, PAGE);
        s->pages[i] = p;
        s->own_bytes += sizeof *p;
    }
    return s;
}

/* The fields of the live machine that a restore must not overwrite: host
 * pointers and where the console writes. */
static void keep_live(struct machine *m, const struct machine *live)
{
    m->mem = live->mem;
    m->dpages = live->dpages;
    m->bt_pages = live->bt_pages;
    m->code_page = live->code_page;
    m->jit = live->jit;
    m->jit_bytes = live->jit_bytes;
    m->jit_threshold = live->jit_threshold;
    m->mmu.tlb = live->mmu.tlb;
    m->mmu.pwc = live->mmu.pwc;
    m->mmu.ntlb = live->mmu.ntlb;
    m->con.out = live->con.out;
    m->con.input = live->con.input;   /* the script itself never changes */
    m->hv = live->hv;
    m->hooks = live->hooks;
    m->hooks_ctx = live->hooks_ctx;
    m->trace = live->trace;
    m->trace_ctx = live->trace_ctx;
    /* the network's switch and the interface's FIFO of frames in flight
     * (whose contents net_put_back copies in) */
    m->netsw = live->netsw;
    m->nic.fifo = live->nic.fifo;
    m->journal = live->journal;        /* the disks' writes (cpu/journal.c) */
}

bool machine_snapshot_restore(struct machine *m, const struct machine_snapshot *s)
{
    if (s->npages != m->memsize / PAGE || s->m.mmu.tlb_entries != m->mmu.tlb_entries ||
        s->m.mmu.pwc_entries != m->mmu.pwc_entries || s->m.mmu.ntlb_entries != m->mmu.ntlb_entries ||
        (s->ext != NULL) != hooks_snapshot(m) || (s->ext && s->m.hooks != m->hooks))
        return false;   /* a snapshot of another machine */
    if ((s->m.netsw != NULL) != (m->netsw != NULL) || (m->netsw && (s->net.nports != m->netsw->nports ||
                                                                    s->net.latency != m->netsw->latency)))
        return false;   /* another network */
    if (!disk_journal_reaches(m->journal, s->m.journal_pos))
        return false;   /* disk writes since it are no longer journalled */
    for (uint32_t i = 0; i < s->npages; i++) {
        uint8_t *cur = m->mem + (size_t)i * PAGE;
        const uint8_t *want = s->pages[i] ? s->pages[i]->data : zero_page;
        if (memcmp(cur, want, PAGE) == 0) continue;
        memcpy(cur, want, PAGE);
        decode_invalidate_page(m, i);   /* its decoded code is stale */
    }
    struct machine live = *m;
    *m = s->m;
    keep_live(m, &live);
    struct mmu *u = &m->mmu;
    memcpy(u->tlb, s->tlb, u->tlb_slots * sizeof *u->tlb);
    if (u->pwc_entries) memcpy(u->pwc, s->pwc, u->pwc_entries * sizeof *u->pwc);
    if (u->ntlb_entries) memcpy(u->ntlb, s->ntlb, u->ntlb_entries * sizeof *u->ntlb);
    u->last_addend = (uintptr_t)m->mem + s->last_addend_off;
    /* the soft TLB holds host pointers and write tags of the code pages as
     * they were then, not as the live decode cache has them: empty */
    mmu_soft_clear(u);
    bt_put_back(m, s);
    if (s->ext) m->hooks->snap_restore(m->hooks_ctx, s->ext);
    net_put_back(m, s);     /* the frames in flight then */
    disk_journal_seek(m);   /* the disk files as they were then */
    return true;
}

void machine_snapshot_free(struct machine_snapshot *s)
{
    if (!s) return;
    for (uint32_t i = 0; s->pages && i < s->npages; i++)
        if (s->pages[i] && --s->pages[i]->refs == 0) free(s->pages[i]);
    free(s->pages);
    if (s->bt) {
        for (uint32_t i = 0; i < s->npages; i++) free(s->bt[i]);
        free(s->bt);
    }
    if (s->ext) s->m.hooks->snap_free(s->ext);   /* the hooks it was taken with */
    free(s->tlb);
    free(s->pwc);
    free(s->ntlb);
    for (int p = 0; p < MAX_VMS_NET; p++) free(s->fifo[p]);
    free(s);
}

size_t machine_snapshot_bytes(const struct machine_snapshot *s)
{
    const struct mmu *u = &s->m.mmu;
    return sizeof *s + s->npages * sizeof *s->pages + s->own_bytes + s->bt_bytes + s->net_bytes +
           (s->ext ? s->m.hooks->snap_bytes(s->ext) : 0) + u->tlb_slots * sizeof *u->tlb +
           u->pwc_entries * sizeof *u->pwc + u->ntlb_entries * sizeof *u->ntlb;
}

uint64_t machine_memory_checksum(const struct machine *m)
{
    /* FNV-1a over 64-bit words: order-sensitive, fast enough for tests */
    uint64_t h = 0xcbf29ce484222325ull;
    for (uint32_t i = 0; i < m->memsize; i += 8) {
        uint64_t w;
        memcpy(&w, m->mem + i, 8);
        h = (h ^ w) * 0x100000001b3ull;
    }
    return h;
}
