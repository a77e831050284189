// mistake: refuses a writable entry to a table at every level, not only in the bottom table: the kernel's own upper-level links are refused
// caught by: forkwait under pv, 4 levels
// caught by: no update of the real kernel is refused
// caught by: syscall under pv prints what bare metal prints
    if (f >= p->nframes) { refuse(hv, "maps a frame outside the VM", pte, level); return false; }
    if (level < bottom(hv) && (pte & PTE_L)) { refuse(hv, "large pages are not for paravirtual guests", pte, level); return false; }
    if ((pte & PTE_W) && frame(p, f)->level) { refuse(hv, "maps a page table writable", pte, level); return false; }
    if (level < bottom(hv) && frame(p, f)->level && frame(p, f)->level != level + 2) { refuse(hv, "links a table of another level", pte, level); return false; }
    if (level < bottom(hv) && !frame(p, f)->level && frame(p, f)->wcount) { refuse(hv, "links a table that is mapped writable", pte, level); return false; }
