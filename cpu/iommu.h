/*
 * iommu.h — pass-through: a device given to one VM, and the IOMMU that
 * confines its DMA (cpu/iommu.c).
 *
 * The IOMMU is hardware, like the MMU: it knows no hypervisor.  It has a
 * context table with one domain per VM (a page table in the MMU's own
 * format, mmu/mmu.h, that maps the VM's bus addresses — its guest-physical
 * ones — to host-physical memory), an 8-entry IOTLB in front of the walks,
 * and a fault log the hypervisor hears of through m->hooks->iommu_fault.
 * The device's completion interrupt reaches the guest as a posted
 * interrupt (the CPU delivers it at an instruction boundary or at VM entry,
 * no exit), as Gordon et al.'s ELI does.
 */
#ifndef RINGSIM_IOMMU_H
#define RINGSIM_IOMMU_H

#include <stdbool.h>
#include <stdint.h>

#define IOMMU_DOMAINS 8             /* one per VM: MAX_VMS (cpu.h) */
#define IOMMU_TLB_ENTRIES 8
#define IO_DIRECT_PORTS 256         /* the io-direct bitmap covers ports 0..255 */

struct iommu_domain {
    bool valid;                     /* a table is set for it */
    uint32_t root;                  /* host-physical root of its table */
    unsigned levels;
    /* counters */
    uint64_t walks, walk_refs, hits, faults, direct_accesses, posted;
};

struct iotlb_entry {
    bool valid;
    uint8_t domain;
    bool writable;
    uint32_t iopn, hpfn;            /* bus page -> host-physical frame */
    uint64_t used;                  /* LRU stamp */
};

struct iommu {
    bool enabled;                   /* off: DMA addresses are host-physical (--no-iommu) */
    struct iommu_domain dom[IOMMU_DOMAINS];
    struct iotlb_entry tlb[IOMMU_TLB_ENTRIES];
    uint64_t stamp, invalidations;
    int requester;                  /* the device whose DMA is translated now (enum dev_id): a fault names it */
};

struct machine;
struct disk;
struct disk_window;

/* The hypervisor gives domain dom (a VM) the table at root (levels deep):
 * the IOTLB forgets what it held (a changed mapping must never be served
 * stale).  root 0 takes the domain away: its DMA then faults everywhere. */
void iommu_set_domain(struct iommu *io, int dom, uint32_t root, unsigned levels);
/* Every IOTLB entry dropped: the hypervisor changed a mapping. */
void iommu_invalidate(struct iommu *io);
/* The host-physical address of bus address iova of domain dom for a DMA
 * that writes memory (to_mem) or reads it: the IOTLB, else a walk of the
 * domain's table by the MMU's side-effect-free walker (mmu_probe), its
 * references added to *refs.  False with an IOMMU fault: counted, reported
 * to the software above (m->hooks->iommu_fault), nothing moved. */
bool iommu_map(struct machine *m, int dom, uint32_t iova, bool to_mem, uint32_t *hpa, uint64_t *refs);
/* The DMA window of the device the running VM owns (pass-through): its
 * bus addresses go through the IOMMU's domain for the VM, or, with the
 * IOMMU off, are host-physical. */
void iommu_window(struct machine *m, struct disk_window *w);
/* The posted interrupt: the passed-through device's line is raised for
 * the running guest and it can take it now (IE set).  Taking it is a trap
 * into the guest's own vector, no exit. */
bool iommu_posted_pending(const struct machine *m);
void iommu_take_posted(struct machine *m);

#endif
