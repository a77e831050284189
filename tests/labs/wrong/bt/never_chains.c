// mistake: never chains: correct, but every block exit pays the dispatcher
// caught by: exits dispatched and chained as the reference's (chains.json)
// ---- the reference's
// ---- next region
// ---- the reference's
// ---- next region
bool bt_may_chain(enum bt_exit_kind kind)
{
    (void)kind;
    return false;
}

bool bt_link_holds(const struct bt_link *l, uint32_t pa)
{
    return pa != BT_NO_PA && pa >> 12 == l->ppn;
}
// ---- next region
// ---- the reference's
