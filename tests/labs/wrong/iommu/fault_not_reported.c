// mistake: a fault is counted and the transfer dropped, but the hypervisor is never told
// caught by: DMA outside the VM is an IOMMU fault, dropped and reported (reach.s)
// caught by: a read-only mapping refuses the device's writes, cached or not
// caught by: an unmapped page, a frame past memory, a domain taken away: faults, each reported once
// caught by: two domains never share an IOTLB entry
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
