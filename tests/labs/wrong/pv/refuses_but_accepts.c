// mistake: records the refusal but returns true: the update is done anyway
// caught by: ... by four refusals, and its good update is done
// caught by: a guest mapping outside the VM, or a table writable, is stopped
// caught by: a large page is refused (edges.s)
// caught by: a table linked where one of another level belongs is refused (edges.s)
// caught by: the first frame past the VM is outside it too (edges.s)
    if (f >= p->nframes) { refuse(hv, "maps a frame outside the VM", pte, level); return true; }
    if (level < bottom(hv) && (pte & PTE_L)) { refuse(hv, "large pages are not for paravirtual guests", pte, level); return true; }
    if (level == bottom(hv) && (pte & PTE_W) && frame(p, f)->level) { refuse(hv, "maps a page table writable", pte, level); return true; }
    if (level < bottom(hv) && frame(p, f)->level && frame(p, f)->level != level + 2) { refuse(hv, "links a table of another level", pte, level); return true; }
    if (level < bottom(hv) && !frame(p, f)->level && frame(p, f)->wcount) { refuse(hv, "links a table that is mapped writable", pte, level); return true; }
