// mistake: forgets that large pages are not for a paravirtual guest: a large page maps 4 MiB the hypervisor never validated
// caught by: a large page is refused (edges.s)
    if (f >= p->nframes) { refuse(hv, "maps a frame outside the VM", pte, level); return false; }
    if (level == bottom(hv) && (pte & PTE_W) && frame(p, f)->level) { refuse(hv, "maps a page table writable", pte, level); return false; }
    if (level < bottom(hv) && frame(p, f)->level && frame(p, f)->level != level + 2) { refuse(hv, "links a table of another level", pte, level); return false; }
    if (level < bottom(hv) && !frame(p, f)->level && frame(p, f)->wcount) { refuse(hv, "links a table that is mapped writable", pte, level); return false; }
