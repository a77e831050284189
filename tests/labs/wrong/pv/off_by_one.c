// mistake: lets the first frame past the VM through (f > nframes)
// caught by: the first frame past the VM is outside it too (edges.s)
    if (f > p->nframes) { refuse(hv, "maps a frame outside the VM", pte, level); return false; }
    if (level < bottom(hv) && (pte & PTE_L)) { refuse(hv, "large pages are not for paravirtual guests", pte, level); return false; }
    if (level == bottom(hv) && (pte & PTE_W) && frame(p, f)->level) { refuse(hv, "maps a page table writable", pte, level); return false; }
    if (level < bottom(hv) && frame(p, f)->level && frame(p, f)->level != level + 2) { refuse(hv, "links a table of another level", pte, level); return false; }
    if (level < bottom(hv) && !frame(p, f)->level && frame(p, f)->wcount) { refuse(hv, "links a table that is mapped writable", pte, level); return false; }
