/*
 * iotest.c — the IOMMU lab's bench (labs/iommu/handout.md): drives
 * cpu/iommu.c as a hypervisor and a device would, on a machine of its own
 * with two domains whose tables it writes itself, and prints what each DMA
 * page got.  `make` builds it as build/labs/iommu/iotest; the lab's checks
 * (labs/iommu/checks.sh) compare each part's lines with labs/iommu/iotest.out,
 * which the reference solution printed.
 *
 *     build/labs/iommu/iotest [PART]     parts: remap rights domains edge counts
 *
 * Every line is "PART: what happened".  What a run of the simulator cannot
 * show is here: the hypervisor of ringsim maps a passed-through VM's memory
 * once, writable, for its whole life, so only a bench reaches a read-only
 * mapping, a remapped page or a table that maps past the end of memory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/cpu.h"

#define MEM (1u << 20)          /* 1 MiB: frames 0x000..0x0ff */
#define LEVELS 2u

static unsigned reports;        /* faults the "hypervisor" heard of */
static char last_report[128];   /* what it heard last */
static bool quiet;              /* DMAs not printed (counts) */
static uint32_t next_table = 0x1000;

static void on_fault(struct machine *m, int dom, uint32_t iova, bool to_mem)
{
    (void)m;
    reports++;
    snprintf(last_report, sizeof last_report, "domain %d, DMA %s 0x%08x", dom, to_mem ? "into" : "from", iova);
}

static const struct cpu_hooks hooks = {.iommu_fault = on_fault};

static uint32_t rd(const struct machine *m, uint32_t pa)
{
    uint32_t v;
    memcpy(&v, m->mem + pa, 4);
    return v;
}

static void wr(struct machine *m, uint32_t pa, uint32_t v) { memcpy(m->mem + pa, &v, 4); }

/* Sets the leaf for bus page iopn in the table at root to pte, making the
 * tables on the way (present, writable). */
static void set_leaf(struct machine *m, uint32_t root, uint32_t iopn, uint32_t pte)
{
    unsigned bits[MMU_MAX_LEVELS], shift = 12;
    mmu_level_bits(LEVELS, bits);
    for (unsigned k = 0; k < LEVELS; k++) shift += bits[k];
    uint32_t table = root, iova = iopn << 12;
    for (unsigned k = 0; k < LEVELS; k++) {
        shift -= bits[k];
        uint32_t at = table + ((iova >> shift) & ((1u << bits[k]) - 1)) * 4;
        if (k == LEVELS - 1) { wr(m, at, pte); return; }
        if (!(rd(m, at) & PTE_P)) {
            next_table += 0x1000;
            wr(m, at, next_table | PTE_P | PTE_W);
        }
        table = rd(m, at) & PTE_FRAME;
    }
}

/* One DMA page: what the device would get. */
static void dma(struct machine *m, const char *part, int dom, uint32_t iova, bool to_mem)
{
    uint32_t hpa = 0;
    uint64_t refs = 0;
    unsigned before = reports;
    bool ok = iommu_map(m, dom, iova, to_mem, &hpa, &refs);
    if (quiet) return;
    printf("%s: domain %d, DMA %s 0x%08x: ", part, dom, to_mem ? "into" : "from", iova);
    if (ok) printf("host 0x%08x, %llu table references\n", hpa, (unsigned long long)refs);
    else if (reports == before) printf("IOMMU fault, not reported\n");
    else printf("IOMMU fault, reported once (%s)%s\n", last_report, reports > before + 1 ? " AND AGAIN" : "");
}

static bool want(const char *which, const char *part) { return !which || !strcmp(which, part); }

int main(int argc, char **argv)
{
    const char *which = argc > 1 ? argv[1] : NULL;
    if (which && strcmp(which, "remap") && strcmp(which, "rights") && strcmp(which, "domains") &&
        strcmp(which, "edge") && strcmp(which, "counts")) {
        fprintf(stderr, "iotest: no part '%s' (remap, rights, domains, edge, counts)\n", which);
        return 2;
    }
    struct machine *m = calloc(1, sizeof *m);
    char err[256];
    struct machine_config cfg = {.memsize = MEM};
    if (!m || !machine_init(m, &cfg, err, sizeof err)) {
        fprintf(stderr, "iotest: %s\n", m ? err : "out of memory");
        return 70;
    }
    m->hooks = &hooks;
    m->iommu.enabled = true;
    /* domain 0: bus pages 0x10..0x13; domain 1: bus page 0x10 elsewhere */
    uint32_t root0 = next_table, root1 = (next_table += 0x1000);
    set_leaf(m, root0, 0x10, 0x40000 | PTE_P | PTE_W);
    set_leaf(m, root0, 0x11, 0x41000 | PTE_P);              /* read-only: the device may only read it */
    set_leaf(m, root0, 0x13, 0x100000 | PTE_P | PTE_W);     /* frame 0x100: past the end of memory */
    set_leaf(m, root1, 0x10, 0x60000 | PTE_P | PTE_W);
    set_leaf(m, root1, 0x20, 0x62000 | PTE_P | PTE_W);
    iommu_set_domain(&m->iommu, 0, root0, LEVELS);
    iommu_set_domain(&m->iommu, 1, root1, LEVELS);

    if (want(which, "remap")) {
        /* a page used, remapped by the hypervisor (which then invalidates, as
         * hypervisor/nested.c does after every host-table write), used again */
        dma(m, "remap", 0, 0x10123, true);
        dma(m, "remap", 0, 0x10456, true);
        set_leaf(m, root0, 0x10, 0x50000 | PTE_P | PTE_W);
        iommu_invalidate(&m->iommu);
        dma(m, "remap", 0, 0x10123, true);
        dma(m, "remap", 0, 0x10789, false);
        set_leaf(m, root0, 0x10, 0x40000 | PTE_P | PTE_W);    /* as it was, for the other parts */
        iommu_invalidate(&m->iommu);
    }
    if (want(which, "rights")) {
        /* the device reads a read-only page, then tries to write it: first
         * with the read's translation in the IOTLB, then with nothing cached */
        dma(m, "rights", 0, 0x11000, false);
        dma(m, "rights", 0, 0x11800, true);
        dma(m, "rights", 0, 0x11800, false);
        iommu_invalidate(&m->iommu);
        dma(m, "rights", 0, 0x11ffc, true);
        dma(m, "rights", 0, 0x10000, true);
    }
    if (want(which, "domains")) {
        /* the same bus page in two domains: each its own memory, cached or not */
        dma(m, "domains", 0, 0x10010, true);
        dma(m, "domains", 1, 0x10010, true);
        dma(m, "domains", 0, 0x10020, false);
        dma(m, "domains", 1, 0x10020, false);
        dma(m, "domains", 1, 0x11000, false);     /* mapped in domain 0 only */
    }
    if (want(which, "edge")) {
        /* not mapped, and mapped to a frame past the end of memory; a domain
         * taken away */
        dma(m, "edge", 0, 0x12000, true);
        dma(m, "edge", 0, 0x13000, false);
        dma(m, "edge", 0, 0x13000, true);
        iommu_set_domain(&m->iommu, 1, 0, LEVELS);
        dma(m, "edge", 1, 0x10000, false);
        iommu_set_domain(&m->iommu, 1, root1, LEVELS);
    }
    if (want(which, "counts")) {
        /* nine pages, six of them again, one unmapped; then the counters
         * alone (whether each page went to the right place is the other
         * parts' business) */
        quiet = true;
        for (unsigned i = 0; i < 3; i++) {
            dma(m, "counts", 0, 0x10000 + i * 0x400, false);
            dma(m, "counts", 0, 0x11000 + i * 0x400, false);
            dma(m, "counts", 1, 0x20000 + i * 0x400, true);
        }
        dma(m, "counts", 0, 0x12000, false);
        iommu_invalidate(&m->iommu);
        const struct iommu_domain *d0 = &m->iommu.dom[0], *d1 = &m->iommu.dom[1];
        printf("counts: domain 0: %llu walks, %llu references, %llu IOTLB hits, %llu faults; "
               "domain 1: %llu walks, %llu references, %llu hits, %llu faults; %llu invalidations\n",
               (unsigned long long)d0->walks, (unsigned long long)d0->walk_refs, (unsigned long long)d0->hits,
               (unsigned long long)d0->faults, (unsigned long long)d1->walks, (unsigned long long)d1->walk_refs,
               (unsigned long long)d1->hits, (unsigned long long)d1->faults,
               (unsigned long long)m->iommu.invalidations);
    }
    m->hooks = NULL;
    machine_free(m);
    free(m);
    return 0;
}
