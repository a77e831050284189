// mistake: the page-walk cache takes the first entry that matches, not the deepest: right, but it saves fewer references
// caught by: the page-walk cache saves the reference's references (pwc.json)

/* The deepest remembered entry on addr's path in dimension d: returns the
 * level to continue at and that table's address (0 = start at the root). */
static unsigned pwc_lookup(struct machine *m, const struct mmu_walk_ctx *c, const struct dim *d, uint32_t addr,
                           uint32_t *table)
{
    struct mmu *u = &m->mmu;
    struct pwc_entry *best = NULL;
    uint16_t asid = d->which == DIM_HOST ? 0 : c->asid;
    for (unsigned i = 0; i < u->pwc_entries; i++) {
        struct pwc_entry *e = &u->pwc[i];
        /* (an entry of this dimension and VM has this table's shape: the
         * level test only keeps d->shift in bounds) */
        if (!e->valid || e->dim != d->which || e->vpid != c->vpid || e->level >= d->s->levels) continue;
        if (u->asid_tags && e->asid != asid) continue;
        if (e->prefix != addr >> d->s->shift[e->level]) continue;
        if (!best) best = e;
    }
    if (!best) return 0;
    best->lru = ++u->lru_clock;
    u->st.pwc_hits++;
    *table = best->pte & PTE_FRAME;
    return best->level + 1u;
}

static void pwc_fill(struct machine *m, const struct mmu_walk_ctx *c, const struct dim *d, uint32_t addr,
                     unsigned level, uint32_t pte)
{
    struct mmu *u = &m->mmu;
    unsigned half = u->pwc_entries / 2, first = d->which == DIM_HOST ? half : 0;
    struct pwc_entry *victim = &u->pwc[first];
    for (unsigned i = first; i < first + half; i++) {
        struct pwc_entry *e = &u->pwc[i];
        if (!e->valid) { victim = e; break; }
        if (e->lru < victim->lru) victim = e;
    }
    *victim = (struct pwc_entry){.prefix = addr >> d->s->shift[level], .pte = pte,
                                 .asid = d->which == DIM_HOST ? 0 : c->asid, .vpid = c->vpid,
                                 .level = (uint8_t)level, .dim = d->which, .valid = 1,
                                 .lru = ++u->lru_clock};
}
// ---- next region
// ---- the reference's
