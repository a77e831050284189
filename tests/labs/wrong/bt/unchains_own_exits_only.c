// mistake: undoes the rewritten page's own exits, not the links into it from other pages
// caught by: a chained call runs the routine as rewritten (smcchain.s)
// ---- the reference's
// ---- next region
// ---- the reference's
// ---- next region
// ---- the reference's
// ---- next region
    struct decode_page *p = m->bt_pages[ppn];
    for (unsigned i = 0; i <= PAGE_INSNS; i++)
        for (unsigned e = 0; e < BT_EXITS; e++)
            if (p->link[i][e].ppn != BT_UNCHAINED) {
                p->link[i][e].ppn = BT_UNCHAINED;
                m->bt.unchains++;
            }
