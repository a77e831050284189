// mistake: checks the mapping only when the TLB has it: after the guest flushed the entry, an old link is trusted
// caught by: a chained call into a remapped page runs its new code (remap.s)
// ---- the reference's
// ---- next region
// ---- the reference's
// ---- next region
bool bt_may_chain(enum bt_exit_kind kind)
{
    return kind == BT_EXIT_DIRECT;
}

bool bt_link_holds(const struct bt_link *l, uint32_t pa)
{
    return pa == BT_NO_PA || pa >> 12 == l->ppn;
}
// ---- next region
// ---- the reference's
