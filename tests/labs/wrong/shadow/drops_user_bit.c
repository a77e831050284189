// mistake: the shadow leaf forgets the guest entry's U bit: every user access faults
// caught by: a process touching the kernel's pages is stopped as on bare metal
// caught by: ctxswitch under hw+shadow (early VT-x)
// caught by: hidden faults fill the shadow, tracing faults keep it in step
// caught by: pgfault under te+shadow prints what bare metal prints
// caught by: ptemod under te+shadow, 4 levels
// caught by: tlbstride under bt+shadow, 4 levels
    /* the walk set A on the path, and D on the leaf for a write, as the
     * hardware's walk would (a write to a page table too: it walks first) */
    uint32_t leaf = p.n - 1;
    bool table = in_vm && s->fr[gframe].is_table;
    if (acc == ACC_WRITE && !table) {
        if (fault & FAULT_PRESENT) s->dirty_faults++;
        else s->hidden_faults++;
    } else if (acc != ACC_WRITE) {
        s->hidden_faults++;
    }
    /* writable only once dirty, and never for a page table (traced); the
     * leaf carries the guest's D and G, which the TLB entry made from it
     * keeps, as it would from the guest's own leaf, and SHADOW_GUEST_W where
     * the guest allows the write we withhold */
    uint32_t gl = p.pte[leaf];
    bool writable = w && (gl & PTE_D) && !table;
    uint32_t flags = (gl & (PTE_D | PTE_G)) | (writable ? PTE_W : 0) |
                     (w && !writable ? SHADOW_GUEST_W : 0);
    if (!fill(hv, real_cr(hv)[CR_PTB], va, &p, true, gframe, flags)) {
        shadow_reset(hv);
        shadow_load_context(hv, false);
    }
    if (acc == ACC_WRITE && table) {
        /* tracing: the caller emulates the write.  On bare metal the walk
         * would have left a writable, dirty entry in the TLB; leave its
         * read-only twin there */
        mmu_forget_page(hv->m, va);
        tlb_fill_as_guest(hv, va);
        return traced(hv, gpa, gfault);
    }
