// mistake: chains every exit, jalr too: a return goes where it went the first time
// caught by: a chained call into a remapped page runs its new code (remap.s)
// caught by: a chained call runs the routine as rewritten (smcchain.s)
// caught by: ctxswitch under bt, classic ISA, 4 levels
// caught by: every sensitive instruction is a callout, none trapped to emulate
// caught by: exits dispatched and chained as the reference's (chains.json)
// caught by: red pills in ring 0 show ring 0, as on bare metal (popfring.s)
// caught by: returns and jump tables go where their register says (indirect.s)
// caught by: syscall under bt, classic ISA, prints what bare metal prints
// caught by: the whole kernel demo under bt, classic ISA
// ---- the reference's
// ---- next region
// ---- the reference's
// ---- next region
bool bt_may_chain(enum bt_exit_kind kind)
{
    (void)kind;
    return true;
}

bool bt_link_holds(const struct bt_link *l, uint32_t pa)
{
    return pa != BT_NO_PA && pa >> 12 == l->ppn;
}
// ---- next region
// ---- the reference's
