/*
 * debugger_dev.c — `info dev`: the block device as the running VM (or bare
 * metal) has it: its registers and the command in flight, the split
 * driver's request queue (used and available indexes, the requests
 * outstanding), a mirror's halves, and under pass-through the IOMMU's
 * domain counters and IOTLB.  It only reads: nothing of the machine changes.
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

static const char *error_name(unsigned e)
{
    return e < sizeof disk_error_names / sizeof disk_error_names[0] && disk_error_names[e] ? disk_error_names[e]
                                                                                           : "?";
}

void dbg_view_dev(struct vis_dbg *d, struct dbg_text *t)
{
    const struct machine *m = d->m;
    const struct disk *k = &m->disk;
    uint32_t base = 0, size = m->memsize;
    int vm = -1;
    if (d->hv) {
        vm = m->vmx.cur >= 0 ? m->vmx.cur : 0;
        k = &d->hv->vms[vm].disk;
        base = d->hv->vms[vm].base;
        size = d->hv->vms[vm].size;
    }
    if (!k->present) {
        dbg_text_add(t, AT_NORMAL, "no block device%s (ringsim debug IMG --disk FILE[:create=SIZE])",
                     vm >= 0 ? " in this VM" : "");
        return;
    }
    uint64_t now = m->st.cycles;
    bool done = k->unacked && now >= k->done_at, busy = now < k->done_at;
    char part[48] = "";
    if (k->part_first) snprintf(part, sizeof part, ", a partition from sector %u", k->part_first);
    dbg_text_add(t, AT_HEAD, "block device%s: %s, %u sectors%s", vm >= 0 ? "" : " (bare metal)", k->path, k->sectors,
                 part);
    if (vm >= 0)
        dbg_text_add(t, AT_NORMAL, "  VM %d (%s)%s", vm, d->hv->vms[vm].name,
                     d->hv->vms[vm].passthrough ? ": passed through (its ports do not exit, its DMA goes through the IOMMU)"
                                                : ": emulated by the hypervisor (every port access exits or traps)");
    dbg_text_add(t, AT_NORMAL, "  registers: sector %u, count %u, addr %08x, ctrl %s", k->sector, k->count, k->addr,
                 k->ctrl & DISK_CTRL_IRQ ? "irq on" : "irq off");
    dbg_text_add(t, AT_NORMAL, "  status: %s%s, last error %s", busy ? "busy" : "idle",
                 done ? ", done (not acknowledged)" : "", error_name(k->error));
    if (busy)
        dbg_text_add(t, AT_NORMAL, "  in flight: completes at cycle %llu (%llu from now)%s", (unsigned long long)k->done_at,
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
    if (!k->queue) {
        dbg_text_add(t, AT_NORMAL, "  request queue: none (the register driver; diskq sets one)");
    } else if ((uint64_t)k->queue + 4096 > size || k->queue % 4096) {
        dbg_text_add(t, AT_NORMAL, "  request queue: g:%08x, not a page of the VM's memory", k->queue);
    } else {
        uint32_t avail, flags;
        memcpy(&avail, m->mem + base + k->queue + DQ_AVAIL, 4);
        memcpy(&flags, m->mem + base + k->queue + DQ_FLAGS, 4);
        dbg_text_add(t, AT_NORMAL, "  request queue g:%08x: available %u, used %u: %u outstanding; %llu notifications, "
                                   "%llu requests taken%s",
                     k->queue, avail, k->used, avail - k->used, (unsigned long long)k->notifications,
                     (unsigned long long)k->requests, flags & DQ_NO_INTERRUPT ? "; interrupts suppressed" : "");
        for (uint32_t i = k->used; i != avail && i - k->used < DISK_QUEUE_SIZE; i++) {
            uint32_t r[4], at = DQ_REQ + (i % DISK_QUEUE_SIZE) * DQ_REQ_BYTES;
            memcpy(r, m->mem + base + k->queue + at, sizeof r);
            dbg_text_add(t, AT_NORMAL, "    [%u] cmd %u, sector %u, count %u, addr %08x", i % DISK_QUEUE_SIZE, r[0], r[1],
                         r[2], r[3]);
        }
    }
    /* pass-through: the IOMMU */
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
