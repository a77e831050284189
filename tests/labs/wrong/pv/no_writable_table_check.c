// mistake: forgets that a page table must never be mapped writable: the guest rewrites its tables unvalidated
// caught by: ... by four refusals, and its good update is done
// caught by: a guest mapping outside the VM, or a table writable, is stopped
    if (f >= p->nframes) { refuse(hv, "maps a frame outside the VM", pte, level); return false; }
    if (level < bottom(hv) && (pte & PTE_L)) { refuse(hv, "large pages are not for paravirtual guests", pte, level); return false; }
    if (level < bottom(hv) && frame(p, f)->level && frame(p, f)->level != level + 2) { refuse(hv, "links a table of another level", pte, level); return false; }
    if (level < bottom(hv) && !frame(p, f)->level && frame(p, f)->wcount) { refuse(hv, "links a table that is mapped writable", pte, level); return false; }
