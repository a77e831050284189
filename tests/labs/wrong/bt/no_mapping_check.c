// mistake: follows a link across pages without checking where the target address now leads
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
    (void)pa;
    return l->ppn != BT_UNCHAINED;
}
// ---- next region
// ---- the reference's
