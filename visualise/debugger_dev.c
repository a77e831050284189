/*
 * debugger_dev.c — the Devices pane and `info dev`: the devices of the VM
 * in front (the one running, else VM 0; bare metal's without a hypervisor)
 * as the devices themselves hold them, and the last device events:
 *
 *   - the block device: its registers and the command in flight (busy until
 *     cycle N), the split driver's request queue (available and used
 *     indexes, the requests outstanding), a mirror's halves;
 *   - the network interface: its transmit and receive rings (the driver's
 *     available index beside the device's used one), the frames in flight
 *     to it (its receive FIFO), interrupt suppression, drops;
 *   - under pass-through, the IOMMU's domain and IOTLB;
 *   - the switch's ports, the echo host's included;
 *   - the last doorbells, DMA transfers and interrupts, in the lines
 *     `run --trace dev` prints.
 *
 * The one idea: one function writes all of it as text, and both front ends
 * show that text — the pane as many lines as it has room for (zoomed, all),
 * `info dev` all of them — so a lab transcript and the screen agree.  It
 * only reads: nothing of the machine changes.
 */
#include <stdio.h>
#include <string.h>

#include "hypervisor/technique.h"
#include "visualise/debugger.h"

static const char *const disk_error_names[] = {
#define X(id, num, name, desc) [num] = name,
    DISK_ERRORS(X)
#undef X
};
static const char *const net_error_names[] = {
#define X(id, num, name, desc) [num] = name,
    NET_ERRORS(X)
#undef X
};

static const char *error_name(const char *const *names, size_t n, unsigned e)
{
    return e < n && names[e] ? names[e] : "?";
}

/* The memory a device's DMA reaches, as the debugger reads it: host
 * addresses [base, base + size) of the machine's memory. */
struct dev_mem {
    uint32_t base, size;
};

/* The word at device address addr; false outside the memory. */
static bool dev_word(const struct machine *m, struct dev_mem w, uint32_t addr, uint32_t *v)
{
    if ((uint64_t)addr + 4 > w.size || (uint64_t)w.base + addr + 4 > m->memsize) return false;
    memcpy(v, m->mem + w.base + addr, 4);
    return true;
}

/* Is [addr, addr + 4096) a page of the memory? */
static bool dev_page(const struct machine *m, struct dev_mem w, uint32_t addr)
{
    return addr && addr % 4096 == 0 && (uint64_t)addr + 4096 <= w.size && (uint64_t)w.base + addr + 4096 <= m->memsize;
}

/* The VM in front: the one running, else VM 0; -1 on bare metal. */
static int front_vm(const struct vis_dbg *d)
{
    if (!d->hv) return -1;
    return d->m->vmx.cur >= 0 && d->m->vmx.cur < d->hv->nvms ? d->m->vmx.cur : 0;
}

/* What the devices of VM vm (-1: bare metal) reach with their DMA
 * addresses: the VM's memory — emulated, the hypervisor confines them to
 * it; passed through, the IOMMU's domain for the VM maps it — or, passed
 * through with no IOMMU, the whole of the host's (--no-iommu). */
static struct dev_mem dev_reach(const struct vis_dbg *d, int vm)
{
    if (vm < 0 || (d->hv->vms[vm].passthrough && !d->m->iommu.enabled)) return (struct dev_mem){0, d->m->memsize};
    return (struct dev_mem){d->hv->vms[vm].base, d->hv->vms[vm].size};
}

bool dbg_has_devices(const struct vis_dbg *d)
{
    const struct machine *m = d->m;
    if (m->disk.present || m->nic.present || m->netsw) return true;
    for (int i = 0; d->hv && i < d->hv->nvms; i++)
        if (d->hv->vms[i].disk.present || d->hv->vms[i].nic.present) return true;
    return false;
}

/* ---- the block device --------------------------------------------------------------------- */
static void view_disk(struct vis_dbg *d, struct dbg_text *t, int vm)
{
    const struct machine *m = d->m;
    const struct disk *k = vm >= 0 ? &d->hv->vms[vm].disk : &m->disk;
    struct dev_mem mem = dev_reach(d, vm);
    if (!k->present) {
        dbg_text_add(t, AT_NORMAL, "no block device%s (ringsim debug IMG --disk FILE[:create=SIZE])",
                     vm >= 0 ? " in this VM" : "");
        return;
    }
    uint64_t now = m->st.cycles;
    bool done = k->unacked && now >= k->done_at, busy = now < k->done_at;
    char part[48] = "", last[64] = "";
    if (k->part_first) snprintf(part, sizeof part, ", a partition from sector %u", k->part_first);
    if (!busy && k->commands)
        snprintf(last, sizeof last, "; the last command completed at cycle %llu", (unsigned long long)k->done_at);
    dbg_text_add(t, AT_HEAD, "block device%s: %s, %u sectors%s", vm >= 0 ? "" : " (bare metal)", k->path, k->sectors,
                 part);
    dbg_text_add(t, AT_NORMAL, "  registers: sector %u, count %u, addr %08x, ctrl %s", k->sector, k->count, k->addr,
                 k->ctrl & DISK_CTRL_IRQ ? "irq on" : "irq off");
    dbg_text_add(t, AT_NORMAL, "  status: %s%s, last error %s%s", busy ? "busy" : "idle",
                 done ? ", done (not acknowledged)" : "",
                 error_name(disk_error_names, sizeof disk_error_names / sizeof *disk_error_names, k->error), last);
    if (busy)
        dbg_text_add(t, AT_CURRENT, "  in flight: busy until cycle %llu (%llu from now)%s", (unsigned long long)k->done_at,
                     (unsigned long long)(k->done_at - now),
                     k->unacked && (k->ctrl & DISK_CTRL_IRQ) ? ", then interrupts" : "");
    dbg_text_add(t, AT_NORMAL, "  commands %llu (reads %llu, writes %llu, flushes %llu, errors %llu), DMA %llu bytes, "
                               "interrupts %llu",
                 (unsigned long long)k->commands, (unsigned long long)k->reads, (unsigned long long)k->writes,
                 (unsigned long long)k->flushes, (unsigned long long)k->errors, (unsigned long long)k->dma_bytes,
                 (unsigned long long)k->interrupts);
    if (k->mirrored)
        dbg_text_add(t, AT_NORMAL, "  mirror: %s %s (%llu reads), %s %s (%llu reads)", k->path,
                     k->lost[0] ? "LOST" : "ok", (unsigned long long)k->half_reads[0], k->mpath,
                     k->lost[1] ? "LOST" : "ok", (unsigned long long)k->half_reads[1]);
    /* the split driver's queue: its page in the VM's memory */
    uint32_t avail, flags;
    if (!k->queue) {
        dbg_text_add(t, AT_NORMAL, "  request queue: none (the register driver; diskq sets one)");
    } else if (!dev_page(m, mem, k->queue) || !dev_word(m, mem, k->queue + DQ_AVAIL, &avail) ||
               !dev_word(m, mem, k->queue + DQ_FLAGS, &flags)) {
        dbg_text_add(t, AT_NORMAL, "  request queue: g:%08x, not a page of the VM's memory", k->queue);
    } else {
        /* the indexes first: a narrow pane keeps them */
        dbg_text_add(t, avail != k->used ? AT_CURRENT : AT_NORMAL,
                     "  request queue: available %u, used %u: %u outstanding; %llu notifications, %llu requests "
                     "taken%s; page g:%08x",
                     avail, k->used, avail - k->used, (unsigned long long)k->notifications,
                     (unsigned long long)k->requests, flags & DQ_NO_INTERRUPT ? "; interrupts suppressed" : "",
                     k->queue);
        for (uint32_t i = k->used; i != avail && i - k->used < DISK_QUEUE_SIZE; i++) {
            uint32_t r[4], at = k->queue + DQ_REQ + (i % DISK_QUEUE_SIZE) * DQ_REQ_BYTES;
            for (int w = 0; w < 4; w++) dev_word(m, mem, at + 4 * (uint32_t)w, &r[w]);
            dbg_text_add(t, AT_NORMAL, "    [%u] cmd %u, sector %u, count %u, addr %08x", i % DISK_QUEUE_SIZE, r[0], r[1],
                         r[2], r[3]);
        }
    }
}

/* ---- the network interface ------------------------------------------------------------------ */
/* One of its rings: the driver's available index beside the device's used
 * one, and whether the driver asked for no interrupt. */
static void view_ring(const struct machine *m, struct dbg_text *t, struct dev_mem mem, bool tx, uint32_t ring,
                      uint32_t used, const char *tail)
{
    const char *name = tx ? "tx ring" : "rx ring";
    uint32_t avail, flags;
    if (!ring) {
        dbg_text_add(t, AT_NORMAL, "  %s: none yet (%s not written)%s", name, tx ? "net_tx_ring" : "net_rx_ring", tail);
        return;
    }
    if (!dev_page(m, mem, ring) || !dev_word(m, mem, ring + NR_AVAIL, &avail) ||
        !dev_word(m, mem, ring + NR_FLAGS, &flags)) {
        dbg_text_add(t, AT_NORMAL, "  %s g:%08x: not a page of the memory the device reaches%s", name, ring, tail);
        return;
    }
    /* the indexes first: a narrow pane keeps them */
    uint32_t ahead = avail - used;
    dbg_text_add(t, ahead ? AT_CURRENT : AT_NORMAL, "  %s: available %u, used %u: %u %s%s%s; page g:%08x", name, avail,
                 used, ahead, tx ? "to send" : ahead == 1 ? "buffer free" : "buffers free",
                 flags & NR_NO_INTERRUPT ? ", interrupts suppressed" : "", tail, ring);
}

static void view_nic(struct vis_dbg *d, struct dbg_text *t, int vm)
{
    const struct machine *m = d->m;
    const struct nic *n = vm >= 0 ? &d->hv->vms[vm].nic : &m->nic;
    if (!n->present || !m->netsw) {
        dbg_text_add(t, AT_NORMAL, "no network interface%s (ringsim debug IMG --net)", vm >= 0 ? " in this VM" : "");
        return;
    }
    struct dev_mem mem = dev_reach(d, vm);
    uint64_t now = m->st.cycles;
    dbg_text_add(t, AT_HEAD, "network interface%s: switch port %d, MAC 52:54:00:00:00:%02x, interrupt %s",
                 vm >= 0 ? "" : " (bare metal)", n->port, (unsigned)(n->port + 1) & 0xffu,
                 n->ctrl & NET_CTRL_IRQ ? "on" : "off");
    char tx[96], rx[128];
    snprintf(tx, sizeof tx, "; sent %llu frame%s (%llu bytes)", (unsigned long long)n->tx_frames,
             n->tx_frames == 1 ? "" : "s", (unsigned long long)n->tx_bytes);
    snprintf(rx, sizeof rx, "%s; received %llu frame%s (%llu bytes)",
             n->rx_blocked ? ", a frame waits for a buffer" : "", (unsigned long long)n->rx_frames,
             n->rx_frames == 1 ? "" : "s", (unsigned long long)n->rx_bytes);
    view_ring(m, t, mem, true, n->tx_ring, n->tx_used, tx);
    view_ring(m, t, mem, false, n->rx_ring, n->rx_used, rx);
    char next[96] = "";
    if (n->fifo_n && n->fifo[0].due > now)
        snprintf(next, sizeof next, ", the next arrives at cycle %llu (%llu from now)", (unsigned long long)n->fifo[0].due,
                 (unsigned long long)(n->fifo[0].due - now));
    else if (n->fifo_n)
        snprintf(next, sizeof next, ", the next arrived at cycle %llu", (unsigned long long)n->fifo[0].due);
    dbg_text_add(t, n->fifo_n ? AT_CURRENT : AT_NORMAL, "  in flight to it: %u frame%s in its FIFO (of %u)%s; %llu dropped (FIFO full)",
                 n->fifo_n, n->fifo_n == 1 ? "" : "s", NET_FIFO, next, (unsigned long long)n->fifo_drops);
    dbg_text_add(t, AT_NORMAL, "  status: %s%s%s, last error %s",
                 n->tx_unacked || n->rx_unacked ? "not acknowledged:" : "nothing to acknowledge",
                 n->tx_unacked ? " sent" : "", n->rx_unacked ? " received" : "",
                 error_name(net_error_names, sizeof net_error_names / sizeof *net_error_names, n->error));
    dbg_text_add(t, AT_NORMAL, "  notifications %llu, interrupts %llu, DMA %llu bytes, port accesses %llu, errors %llu",
                 (unsigned long long)n->notifications, (unsigned long long)n->interrupts,
                 (unsigned long long)n->dma_bytes, (unsigned long long)n->port_accesses,
                 (unsigned long long)n->errors);
}

/* ---- pass-through: the IOMMU ---------------------------------------------------------------- */
static void view_iommu(struct vis_dbg *d, struct dbg_text *t, int vm)
{
    const struct machine *m = d->m;
    if (!m->iommu.enabled || vm < 0 || !d->hv->vms[vm].passthrough) return;
    const struct iommu_domain *dom = &m->iommu.dom[vm];
    dbg_text_add(t, AT_HEAD, "IOMMU domain %d: table h:%08x, %u levels; walks %llu (%llu references), IOTLB hits %llu, "
                             "faults %llu, posted interrupts %llu, invalidations %llu",
                 vm, dom->root, dom->levels, (unsigned long long)dom->walks, (unsigned long long)dom->walk_refs,
                 (unsigned long long)dom->hits, (unsigned long long)dom->faults, (unsigned long long)dom->posted,
                 (unsigned long long)m->iommu.invalidations);
    int n = 0;
    for (unsigned i = 0; i < IOMMU_TLB_ENTRIES; i++) {
        const struct iotlb_entry *e = &m->iommu.tlb[i];
        if (!e->valid) continue;
        dbg_text_add(t, AT_NORMAL, "  IOTLB %u: domain %u, bus %08x -> h:%08x %s", i, e->domain, e->iopn << 12,
                     e->hpfn << 12, e->writable ? "rw" : "r-");
        n++;
    }
    if (!n) dbg_text_add(t, AT_NORMAL, "  IOTLB: empty");
}

/* ---- the switch ------------------------------------------------------------------------------- */
static void view_switch(struct vis_dbg *d, struct dbg_text *t, int vm)
{
    const struct netswitch *sw = d->m->netsw;
    if (!sw) return;
    const struct nic *front = vm >= 0 ? &d->hv->vms[vm].nic : &d->m->nic;
    dbg_text_add(t, AT_HEAD, "switch: %d interface%s and the echo host, %llu cycles a hop", sw->nports,
                 sw->nports == 1 ? "" : "s", (unsigned long long)sw->latency);
    for (int p = 0; p <= sw->nports; p++) {
        const char *name = p < sw->nports ? sw->name[p] : "echo";
        unsigned in_flight = p < sw->nports ? sw->nic[p]->fifo_n : 0;
        bool here = front->present && p < sw->nports && sw->nic[p] == front;
        dbg_text_add(t, here ? AT_CURRENT : AT_NORMAL,
                     "%c port %d %-8s sent %llu, received %llu, %u in flight to it; dropped %llu unknown, "
                     "%llu spoofed, %llu full",
                     here ? '>' : ' ', p, name, (unsigned long long)sw->st[p].sent,
                     (unsigned long long)sw->st[p].received, in_flight, (unsigned long long)sw->st[p].dropped_unknown,
                     (unsigned long long)sw->st[p].dropped_spoofed, (unsigned long long)sw->st[p].dropped_full);
    }
}

/* ---- the last device events --------------------------------------------------------------------- */
static void view_events(struct vis_dbg *d, struct dbg_text *t, int nevents)
{
    uint64_t first = d->ev_count;
    int found = 0;
    for (uint64_t s = d->ev_count; s > d->ev_lo && found < nevents; s--)
        if (dbg_event_at(d, s - 1)->ev.kind == TR_DEV) {
            found++;
            first = s - 1;
        }
    if (!found) {
        dbg_text_add(t, AT_DIM, "device events: none yet (doorbells, DMA, interrupts; run --trace dev lists them)");
        return;
    }
    dbg_text_add(t, AT_HEAD, "device events, the last %d (as run --trace dev prints them):", found);
    for (uint64_t s = first; s < d->ev_count; s++) {
        const struct dbg_event *e = dbg_event_at(d, s);
        if (e->ev.kind == TR_DEV) dbg_text_add(t, AT_NORMAL, "  %s", dbg_event_text(e));
    }
}

void dbg_view_dev(struct vis_dbg *d, struct dbg_text *t, int nevents)
{
    if (!dbg_has_devices(d)) {
        dbg_text_add(t, AT_NORMAL, "no devices: no block device and no network interface "
                                   "(ringsim debug IMG --disk FILE[:create=SIZE] or --net)");
        return;
    }
    int vm = front_vm(d);
    if (vm >= 0) {
        const char *how = !d->hv->vms[vm].passthrough
                              ? ": emulated by the hypervisor (every port access exits or traps)"
                          : d->m->iommu.enabled
                              ? ": passed through (its ports do not exit, its DMA goes through the IOMMU)"
                              : ": passed through with no IOMMU (its DMA addresses are host-physical)";
        dbg_text_add(t, AT_HEAD, "VM %d (%s), of %d%s", vm, d->hv->vms[vm].name, d->hv->nvms, how);
    }
    view_disk(d, t, vm);
    view_nic(d, t, vm);
    view_iommu(d, t, vm);
    view_switch(d, t, vm);
    view_events(d, t, nevents);
}
