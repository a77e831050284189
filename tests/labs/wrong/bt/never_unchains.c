// mistake: never undoes a link: a chained jump into code the guest rewrote still runs the old translation
// caught by: a chained call runs the routine as rewritten (smcchain.s)
// caught by: exits dispatched and chained as the reference's (chains.json)
// ---- the reference's
// ---- next region
// ---- the reference's
// ---- next region
// ---- the reference's
// ---- next region
    (void)m, (void)ppn;
