// mistake: undoes the links but does not count them (bt.unchains)
// caught by: exits dispatched and chained as the reference's (chains.json)
// ---- the reference's
// ---- next region
// ---- the reference's
// ---- next region
// ---- the reference's
// ---- next region
    for (uint32_t q = 0; q < m->memsize >> 12; q++) {
        struct decode_page *p = m->bt_pages[q];
        if (!p || (!p->valid && q != ppn)) continue;
        for (unsigned i = 0; i <= PAGE_INSNS; i++)
            for (unsigned e = 0; e < BT_EXITS; e++)
                if (p->link[i][e].ppn == ppn || q == ppn) p->link[i][e].ppn = BT_UNCHAINED;
    }
