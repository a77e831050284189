/*
 * iommu.c — the IOMMU: DMA address translation for a device passed through
 * to a VM, and the posted interrupts of that device.
 *
 * A device given to a VM (ringsim run --passthrough N) is driven by the
 * guest's own driver: its ports are in the VMCS's io-direct bitmap, so the
 * CPU performs in/out on it without an exit (cpu/devices.c).  The addresses
 * the guest programs are its guest-physical ones; the IOMMU translates each
 * page of a transfer through the table of the VM's domain — a radix table
 * in the MMU's own format, walked by the MMU's own side-effect-free walker
 * (mmu_probe) — behind an 8-entry IOTLB (LRU).  A page the table does not
 * map (outside the VM) is an IOMMU fault: the whole transfer is dropped
 * before a byte moves, the device reports a DMA error (what bare metal's
 * device reports for memory that is not there), and the fault goes to the
 * software above through m->hooks->iommu_fault.  The walk's references are
 * the device's time, not the CPU's: each adds the profile's walk_ref to the
 * command's latency (cpu/disk.c).
 *
 * With the IOMMU off (--no-iommu) the device's addresses are host-physical:
 * the DMA engine reaches all of host memory, as a device on a bus without
 * an IOMMU does.
 */
#include <string.h>

#include "cpu/cpu.h"

_Static_assert(IOMMU_DOMAINS == MAX_VMS, "one IOMMU domain per VMCS");

void iommu_set_domain(struct iommu *io, int dom, uint32_t root, unsigned levels)
{
    struct iommu_domain *d = &io->dom[dom];
    d->valid = root != 0;
    d->root = root;
    d->levels = levels;
    iommu_invalidate(io);
}

/* The lab (labs/iommu/handout.md): the IOTLB's invalidation, and the DMA
 * check and translation of every page a device moves. */
// LAB(iommu) BEGIN: empty the IOTLB; translate a bus address: IOTLB, walk, rights, fault, fill
void iommu_invalidate(struct iommu *io)
{
    for (unsigned i = 0; i < IOMMU_TLB_ENTRIES; i++) io->tlb[i].valid = false;
    io->invalidations++;
}

bool iommu_map(struct machine *m, int dom, uint32_t iova, bool to_mem, uint32_t *hpa, uint64_t *refs)
{
    struct iommu *io = &m->iommu;
    struct iommu_domain *d = &io->dom[dom];
    uint32_t iopn = iova >> 12;
    io->stamp++;
    for (unsigned i = 0; i < IOMMU_TLB_ENTRIES; i++) {
        struct iotlb_entry *e = &io->tlb[i];
        if (e->valid && e->domain == dom && e->iopn == iopn && (e->writable || !to_mem)) {
            e->used = io->stamp;
            d->hits++;
            *hpa = e->hpfn << 12 | (iova & 0xfffu);
            return true;
        }
    }
    struct walk_result r;
    bool ok = false;
    if (d->valid) {
        struct mmu_walk_ctx c = {.paging = true, .table = {d->root, d->levels}, .mem = m->mem, .memsize = m->memsize};
        ok = mmu_probe(&c, iova, to_mem ? ACC_WRITE : ACC_READ, &r);
        d->walks++;
        d->walk_refs += (uint64_t)r.nrefs;
        *refs += (uint64_t)r.nrefs;
        /* a table may only map host memory that is there */
        if (ok && r.pa >= m->memsize) ok = false;
    }
    if (!ok) {
        d->faults++;
        if (m->hooks && m->hooks->iommu_fault) m->hooks->iommu_fault(m, dom, iova, to_mem);
        return false;
    }
    /* fill the least recently used entry */
    struct iotlb_entry *victim = &io->tlb[0];
    for (unsigned i = 0; i < IOMMU_TLB_ENTRIES; i++) {
        if (!io->tlb[i].valid) { victim = &io->tlb[i]; break; }
        if (io->tlb[i].used < victim->used) victim = &io->tlb[i];
    }
    *victim = (struct iotlb_entry){.valid = true, .domain = (uint8_t)dom, .writable = r.writable,
                                   .iopn = iopn, .hpfn = r.pa >> 12, .used = io->stamp};
    *hpa = r.pa;
    return true;
}
//| void iommu_invalidate(struct iommu *io)
//| {
//|     (void)io;
//| }
//|
//| bool iommu_map(struct machine *m, int dom, uint32_t iova, bool to_mem, uint32_t *hpa, uint64_t *refs)
//| {
//|     (void)m; (void)dom; (void)iova; (void)to_mem; (void)hpa; (void)refs;
//|     return false;
//| }
// LAB(iommu) END

void iommu_window(struct machine *m, struct disk_window *w)
{
    memset(w, 0, sizeof *w);
    w->m = m;
    if (m->iommu.enabled) {
        /* the whole bus: what is the VM's is what its domain maps */
        w->size = UINT32_MAX;
        w->iommu = true;
        w->domain = m->vmx.cur;
    } else {
        w->size = m->memsize;
    }
}

/* The device the running guest owns, if any. */
static struct disk *direct_disk(const struct machine *m)
{
    return m->cpu.nonroot && m->vmx.cur >= 0 ? m->vmx.vmcs[m->vmx.cur].direct_disk : NULL;
}

/* The network interface the running guest owns, if any. */
static struct nic *direct_nic(const struct machine *m)
{
    return m->cpu.nonroot && m->vmx.cur >= 0 ? m->vmx.vmcs[m->vmx.cur].direct_nic : NULL;
}

bool iommu_posted_pending(const struct machine *m)
{
    const struct disk *d = direct_disk(m);
    const struct nic *n = direct_nic(m);
    return (m->cpu.cr[CR_SR] & SR_IE) && ((d && disk_irq_line(d, m->st.cycles)) || (n && net_irq_line(n)));
}

void iommu_take_posted(struct machine *m)
{
    struct disk *d = direct_disk(m);
    bool disk = d && disk_irq_line(d, m->st.cycles);   /* the disk first, as bare metal takes it */
    if (disk) d->interrupts++;
    else direct_nic(m)->interrupts++;
    m->iommu.dom[m->vmx.cur].posted++;
    m->st.interrupts++;
    dev_trace_irq(m, disk ? CAUSE_DISK : CAUSE_NET, DEV_IRQ_POSTED, m->vmx.cur);
    /* EPC = the instruction that has not run yet, as bare metal's */
    cpu_trap(m, disk ? CAUSE_DISK : CAUSE_NET, 0, m->cpu.pc);
}
