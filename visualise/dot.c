/*
 * dot.c — Graphviz drawings of page tables and of one page walk.
 *
 * A radix page table is a tree of 4 KiB pages, so it is drawn as one: a
 * node per table page listing its present entries (index, target, flags),
 * an edge from every entry that points at a lower table, and the pages of
 * each level in one column.  A real address space is mostly long runs of
 * regular entries (the kernel's identity map: frame after frame, same
 * flags), so such a run is folded into one row and the drawing stays
 * readable.
 *
 * Two trees can take part.  Under nested paging the guest's tables (in
 * guest-physical memory) and the host's: a 2D walk hops between them, each
 * guest table's address walked through the host table before the guest
 * entry can be read.  Under shadow paging the guest's tables and the
 * hypervisor's shadows of them: the MMU walks only the shadow, which the
 * hypervisor fills lazily from the guest's tables (hidden faults), so a
 * shadow table shows the entries it has not filled yet.
 *
 * The one idea to hold: the numbers of a --walk come from mmu_probe(), the
 * walker itself (mmu/mmu.c), never from a second walker here, so the
 * picture cannot disagree with the machine.  The probe is given a walk
 * context naming the tables to walk, so drawing a VM that is not running,
 * or the guest's own tables under shadow paging, copies no machine state
 * and changes none.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hypervisor/hv.h"
#include "hypervisor/technique.h"
#include "visualise/visualise.h"

extern char **environ;

#define MAX_PAGES 4096   /* a bound for corrupt tables; a 1 GiB space needs far fewer */
#define FOLD_MIN 3       /* runs this long or longer become one row */

enum { GUEST = 0, OTHER = 1 };   /* the two trees: the guest's, and the host's or the shadow */

/* One tree of tables: where its pages are read and how it splits an address. */
struct tree {
    bool drawn;
    uint32_t root;
    unsigned levels, bits[MMU_MAX_LEVELS];
    uint32_t base, size;         /* a table address a is host-physical base + a, for a < size */
    const char *space;           /* "physical", "guest-physical", "host-physical" */
    const char *who;             /* "" natively, "guest ", "host " or "shadow " */
    const char *id;              /* node-name prefix: "g", "h", "s" */
    const char *colour;          /* of its page headers */
    char title[320];
    int32_t *page_of;            /* frame number (in this space) -> index in pages, or -1 */
};

struct page {
    uint8_t tree, level;
    uint32_t addr;
    bool readable;               /* the whole page lies inside its space */
    bool full;                   /* every present entry listed (else only the walks') */
    int mirror;                  /* shadow page: the guest page it mirrors, or -1 */
};

/* A walk to draw: the numbered one (the MMU's), and under shadow paging a
 * second, lettered "g1", "g2"…: the guest's own tables, which the
 * hypervisor reads on a hidden fault. */
struct walk {
    bool used;
    const char *prefix;          /* "" or "g" */
    int tree;                    /* the tree of every reference, or -1: each ref's dim */
    struct walk_result rec;
};

struct drawing {
    const struct machine *m;
    struct tree tree[2];
    struct page *pages;
    int npages;
    bool shadow;                 /* tree OTHER is a shadow of tree GUEST */
    uint32_t *mirror_of;         /* shadow: host frame -> guest table address + 1 (0 none) */
    struct walk walk[2];
    FILE *out;
};

/* ---- reading the tables ---------------------------------------------------- */
static unsigned entries_of(const struct tree *t, unsigned level) { return 1u << t->bits[level]; }

/* Bytes one entry at `level` maps. */
static uint32_t span_of(const struct tree *t, unsigned level)
{
    unsigned s = 12;
    for (unsigned i = level + 1; i < t->levels; i++) s += t->bits[i];
    return s >= 32 ? 0 : 1u << s;
}

static uint32_t pte_at(const struct drawing *d, const struct page *p, uint32_t idx)
{
    uint32_t v = 0;
    if (p->readable) memcpy(&v, d->m->mem + d->tree[p->tree].base + p->addr + 4 * idx, 4);
    return v;
}

static bool is_leaf(const struct tree *t, unsigned level, uint32_t pte)
{
    return level == t->levels - 1 || (pte & PTE_L);
}

static int find_page(const struct drawing *d, int tree, uint32_t addr)
{
    const struct tree *t = &d->tree[tree];
    if (addr < t->size) return t->page_of[addr >> 12];
    for (int i = 0; i < d->npages; i++)   /* outside the space: rare, a corrupt entry */
        if (d->pages[i].tree == tree && d->pages[i].addr == addr) return i;
    return -1;
}

/* Adds the table page at addr (once); returns its index, -1 past MAX_PAGES. */
static int add_page(struct drawing *d, int tree, unsigned level, uint32_t addr, bool full)
{
    struct tree *t = &d->tree[tree];
    addr &= PTE_FRAME;
    int i = find_page(d, tree, addr);
    if (i >= 0) return i;
    if (d->npages >= MAX_PAGES) return -1;
    struct page *p = &d->pages[d->npages];
    *p = (struct page){(uint8_t)tree, (uint8_t)level, addr, false, full, -1};
    p->readable = addr < t->size && t->size - addr >= 4096 && t->base + addr <= d->m->memsize - 4096;
    if (addr < t->size) t->page_of[addr >> 12] = d->npages;
    return d->npages++;
}

/* Every page reachable from the root of a tree, breadth first (so the pages
 * come out level by level). */
static bool collect_tree(struct drawing *d, int tree, char *err, size_t errlen)
{
    const struct tree *t = &d->tree[tree];
    int first = d->npages;
    if (add_page(d, tree, 0, t->root, true) < 0) goto full;
    for (int i = first; i < d->npages; i++) {
        struct page p = d->pages[i];
        for (uint32_t e = 0; p.readable && e < entries_of(t, p.level); e++) {
            uint32_t pte = pte_at(d, &p, e);
            if (!(pte & PTE_P) || is_leaf(t, p.level, pte)) continue;
            if (add_page(d, tree, p.level + 1u, pte, true) < 0) goto full;
        }
    }
    return true;
full:
    snprintf(err, errlen, "more than %d table pages under root 0x%08x: is it a page table?", MAX_PAGES,
             t->root);
    return false;
}

/* ---- the walks ---------------------------------------------------------------- */
static int ref_tree(const struct walk *w, const struct walk_ref *r)
{
    return w->tree >= 0 ? w->tree : r->dim == DIM_HOST ? OTHER : GUEST;
}

/* The labels of the walks' references to entry idx of page p ("1, 6, 11"
 * or "g2") into buf; returns how many. */
static int refs_at(const struct drawing *d, const struct page *p, uint32_t idx, char *buf, size_t len)
{
    int n = 0;
    size_t used = 0;
    if (buf && len) buf[0] = 0;
    for (int w = 0; w < 2; w++) {
        const struct walk *wk = &d->walk[w];
        for (int k = 0; wk->used && k < wk->rec.nrefs; k++) {
            const struct walk_ref *r = &wk->rec.refs[k];
            if (r->kind != WALK_READ || ref_tree(wk, r) != p->tree || r->table != p->addr || r->index != idx)
                continue;
            if (buf && used < len)
                used += (size_t)snprintf(buf + used, len - used, "%s%s%d", n ? ", " : "", wk->prefix, k + 1);
            n++;
        }
    }
    return n;
}

/* Is the edge from entry idx of p to the table at child a step of a walk
 * (the entry was read, and then the table it points at)? */
static bool edge_on_walk(const struct drawing *d, const struct page *p, uint32_t idx, uint32_t child)
{
    for (int w = 0; w < 2; w++) {
        const struct walk *wk = &d->walk[w];
        bool entry_read = false;
        for (int k = 0; wk->used && k < wk->rec.nrefs; k++) {
            const struct walk_ref *r = &wk->rec.refs[k];
            if (ref_tree(wk, r) != p->tree) continue;
            if (r->table == p->addr && r->index == idx) entry_read = true;
            else if (entry_read && r->table == child && r->level == p->level + 1) return true;
        }
    }
    return false;
}

/* ---- writing DOT ---------------------------------------------------------------- */
static void flags_text(uint32_t pte, char *buf)
{
    static const struct { uint32_t bit; const char *name; } flags[] = {
        {PTE_P, "P"}, {PTE_W, "W"}, {PTE_U, "U"}, {PTE_A, "A"}, {PTE_D, "D"}, {PTE_L, "L"}, {PTE_G, "G"},
    };
    buf[0] = 0;
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
        if (pte & flags[i].bit) strcat(strcat(buf, buf[0] ? " " : ""), flags[i].name);
}

static void size_text(uint32_t bytes, char *buf, size_t len)
{
    if (bytes >= (1u << 20) && bytes % (1u << 20) == 0) snprintf(buf, len, "%u MiB", bytes >> 20);
    else snprintf(buf, len, "%u KiB", bytes >> 10);
}

static void node_id(const struct drawing *d, const struct page *p, char *buf, size_t len)
{
    snprintf(buf, len, "%s%08x", d->tree[p->tree].id, p->addr);
}

/* Shadow paging: is entry idx of shadow page p one the guest's table has
 * but the shadow does not yet (a hidden fault will fill it)? */
static bool unfilled(const struct drawing *d, const struct page *p, uint32_t idx)
{
    if (p->mirror < 0 || (pte_at(d, p, idx) & PTE_P)) return false;
    return (pte_at(d, &d->pages[p->mirror], idx) & PTE_P) != 0;
}

/* Can entry j join the run that starts at entry i (same kind, same flags,
 * targets one step further on, in the same direction)? */
static bool foldable(const struct drawing *d, const struct page *p, uint32_t i, uint32_t j)
{
    const struct tree *t = &d->tree[p->tree];
    if (refs_at(d, p, j, NULL, 0)) return false;
    if (unfilled(d, p, i)) return unfilled(d, p, j);
    uint32_t a = pte_at(d, p, i), b = pte_at(d, p, j), prev = pte_at(d, p, j - 1);
    if (!(b & PTE_P) || (a & 0xfff) != (b & 0xfff)) return false;
    uint32_t step = is_leaf(t, p->level, a) ? span_of(t, p->level) : 4096;
    uint32_t dir = (pte_at(d, p, i + 1) & PTE_FRAME) - (a & PTE_FRAME);
    if (dir != step && dir != (uint32_t)-step) return false;
    return (b & PTE_FRAME) - (prev & PTE_FRAME) == dir;
}

/* The row that starts at entry i ends at the returned entry: a run of
 * FOLD_MIN or more regular entries on a fully drawn page, else i alone
 * (an entry a walk reads always has its own row). */
static uint32_t row_end(const struct drawing *d, const struct page *p, uint32_t i)
{
    uint32_t n = entries_of(&d->tree[p->tree], p->level), j = i + 1;
    if (!p->full || refs_at(d, p, i, NULL, 0)) return i;
    while (j < n && foldable(d, p, i, j)) j++;
    return j - i >= FOLD_MIN ? j - 1 : i;
}

/* Does entry i get a row: present, on a walk, or not yet filled? */
static bool has_row(const struct drawing *d, const struct page *p, uint32_t i)
{
    bool on_walk = refs_at(d, p, i, NULL, 0) > 0;
    if (!p->full) return on_walk;
    return on_walk || (pte_at(d, p, i) & PTE_P) || unfilled(d, p, i);
}

/* One row: entries first..last (a folded run when last > first). */
static void entry_row(struct drawing *d, const struct page *p, uint32_t first, uint32_t last)
{
    const struct tree *t = &d->tree[p->tree];
    FILE *o = d->out;
    uint32_t pte = pte_at(d, p, first), end = pte_at(d, p, last) & PTE_FRAME;
    uint32_t count = last - first + 1;
    bool leaf = is_leaf(t, p->level, pte), large = leaf && p->level != t->levels - 1;
    bool walking = d->walk[0].used;
    char flags[32], refs[256], idx[32], target[200], sz[32];
    flags_text(pte, flags);
    int nrefs = refs_at(d, p, first, refs, sizeof refs);
    if (count > 1) snprintf(idx, sizeof idx, "%u&#8211;%u", first, last);
    else snprintf(idx, sizeof idx, "%u", first);
    size_text(span_of(t, p->level), sz, sizeof sz);
    const char *what = leaf ? (large ? "large pages" : "frames") : "tables";
    const char *bg = "";
    if (unfilled(d, p, first)) {
        snprintf(target, sizeof target, "<I>not filled yet: the guest's table has %s</I>",
                 count > 1 ? "them" : "it");
        bg = " BGCOLOR=\"#eeeeee\"";
        flags[0] = 0;
    } else if (!(pte & PTE_P)) {
        snprintf(target, sizeof target, "not present (0x%08x): the walk stops here", pte);
    } else if (count > 1) {
        snprintf(target, sizeof target, "&#8594; %u %s%s%s 0x%08x&#8211;0x%08x%s", count, large ? sz : "",
                 large ? " " : "", what, pte & PTE_FRAME, end, end < (pte & PTE_FRAME) ? " (descending)" : "");
    } else if (large) {
        snprintf(target, sizeof target, "&#8594; %s large page 0x%08x", sz, pte & PTE_FRAME);
    } else {
        snprintf(target, sizeof target, "&#8594; %s 0x%08x", leaf ? "frame" : "table", pte & PTE_FRAME);
    }
    if (nrefs) bg = " BGCOLOR=\"#ffd6d6\"";
    else if (large) bg = " BGCOLOR=\"#fff2cc\"";
    fprintf(o, "<TR><TD PORT=\"w%u\" ALIGN=\"RIGHT\"%s>%s</TD><TD ALIGN=\"LEFT\"%s>%s</TD>", first, bg, idx, bg,
            target);
    if (walking) {
        fprintf(o, "<TD%s>%s</TD>", bg, flags);
        if (nrefs)
            fprintf(o, "<TD PORT=\"e%u\" BGCOLOR=\"#cc0000\"><FONT COLOR=\"white\"><B>%s</B></FONT></TD>", first,
                    refs);
        else
            fprintf(o, "<TD PORT=\"e%u\"></TD>", first);
    } else {
        fprintf(o, "<TD PORT=\"e%u\"%s>%s</TD>", first, bg, flags);
    }
    fputs("</TR>\n", o);
}

static void page_node(struct drawing *d, const struct page *p)
{
    const struct tree *t = &d->tree[p->tree];
    FILE *o = d->out;
    char id[32];
    node_id(d, p, id, sizeof id);
    unsigned n = entries_of(t, p->level), present = 0, others = 0, todo = 0;
    for (uint32_t e = 0; p->readable && e < n; e++) {
        present += (pte_at(d, p, e) & PTE_P) != 0;
        todo += unfilled(d, p, e);
    }
    int cols = d->walk[0].used ? 4 : 3;
    char extra[160] = "";
    if (p->mirror >= 0)
        snprintf(extra, sizeof extra, "<BR/>mirrors guest table 0x%08x; %u entr%s not filled yet",
                 d->pages[p->mirror].addr, todo, todo == 1 ? "y" : "ies");
    else if (d->shadow && p->tree == OTHER)
        snprintf(extra, sizeof extra, "<BR/>the hypervisor's own (no guest table behind it)");
    fprintf(o, "  %s [label=<<TABLE BORDER=\"0\" CELLBORDER=\"1\" CELLSPACING=\"0\" CELLPADDING=\"3\">\n", id);
    fprintf(o, "<TR><TD PORT=\"top\" COLSPAN=\"%d\" BGCOLOR=\"%s\"><B>%sL%u table at 0x%08x</B>&#160;(%s)<BR/>"
               "%u of %u entries present%s%s</TD></TR>\n",
            cols, t->colour, t->who, p->level, p->addr, t->space, present, n,
            p->level == t->levels - 1 ? " (bottom level)" : "", extra);
    if (!p->readable)
        fprintf(o, "<TR><TD COLSPAN=\"%d\" BGCOLOR=\"#ffd6d6\">outside %s memory: not readable</TD></TR>\n",
                cols, t->space);
    for (uint32_t i = 0; p->readable && i < n; i++) {
        if (!has_row(d, p, i)) {
            others += (pte_at(d, p, i) & PTE_P) != 0;
            continue;
        }
        uint32_t last = row_end(d, p, i);
        entry_row(d, p, i, last);
        i = last;
    }
    if (others)
        fprintf(o, "<TR><TD COLSPAN=\"%d\"><I>%u other present entr%s, not on this walk</I></TD></TR>\n", cols,
                others, others == 1 ? "y" : "ies");
    if (p->readable && !present && !todo)
        fprintf(o, "<TR><TD COLSPAN=\"%d\"><I>no entry present</I></TD></TR>\n", cols);
    fputs("</TABLE>>];\n", o);
}

/* Edges from p's entries to the tables they point at.  Entries folded into
 * one row all leave from that row. */
static void page_edges(struct drawing *d, const struct page *p)
{
    const struct tree *t = &d->tree[p->tree];
    char from[32], to[32];
    node_id(d, p, from, sizeof from);
    for (uint32_t i = 0; p->readable && i < entries_of(t, p->level); i++) {
        if (!has_row(d, p, i)) continue;
        uint32_t pte = pte_at(d, p, i), last = row_end(d, p, i);
        for (uint32_t e = i; e <= last && (pte & PTE_P) && !is_leaf(t, p->level, pte); e++) {
            uint32_t target = pte_at(d, p, e) & PTE_FRAME;
            int c = find_page(d, p->tree, target);
            if (c < 0) continue;
            node_id(d, &d->pages[c], to, sizeof to);
            bool hot = edge_on_walk(d, p, e, target);
            fprintf(d->out, "  %s:e%u:e -> %s:top:w%s;\n", from, i, to,
                    hot ? " [color=\"#cc0000\", penwidth=2.5]" : "");
        }
        i = last;
    }
    if (p->mirror >= 0) {
        node_id(d, &d->pages[p->mirror], to, sizeof to);
        fprintf(d->out, "  %s:top -> %s:top [style=dotted, color=\"#888888\", dir=none, constraint=false];\n",
                from, to);
    }
}

/* The node and port of the entry reference k of walk w read. */
static bool ref_port(const struct drawing *d, const struct walk *w, int k, char *buf, size_t len, bool out)
{
    const struct walk_ref *r = &w->rec.refs[k];
    int i = find_page(d, ref_tree(w, r), r->table);
    if (i < 0) return false;
    char id[32];
    node_id(d, &d->pages[i], id, sizeof id);
    snprintf(buf, len, "%s:%c%u:%c", id, out ? 'e' : 'w', r->index, out ? 'e' : 'w');
    return true;
}

/* The walk's hops that are not an edge of one tree, in a 2D walk: a host
 * leaf entry maps the guest-physical page of the guest table read next.
 * The guest tree is drawn above the host tree, so each hop is drawn from
 * the top of the host page up to the bottom of the guest table — a fan
 * between the two trees that crosses no page — dashed, and labelled
 * "4→5": the host reference that found the page and the guest reference
 * that reads it.  The other hop, from a guest entry back to the host root
 * to translate the address it holds, is not drawn: each of them lands on
 * the host root, whose numbers (1, 6, 11, …) already say so, and drawn
 * they crossed every other edge. */
static void walk_edges(struct drawing *d, const struct walk *w)
{
    char from[32], to[32];
    for (int k = 0; k + 1 < w->rec.nrefs; k++) {
        const struct walk_ref *r = &w->rec.refs[k], *s = &w->rec.refs[k + 1];
        if (r->kind != WALK_READ || s->kind != WALK_READ || r->dim != DIM_HOST || s->dim == DIM_HOST) continue;
        int h = find_page(d, ref_tree(w, r), r->table), g = find_page(d, ref_tree(w, s), s->table);
        if (h < 0 || g < 0) continue;
        node_id(d, &d->pages[h], from, sizeof from);
        node_id(d, &d->pages[g], to, sizeof to);
        fprintf(d->out, "  %s:top:n -> %s:s [color=\"#cc0000\", style=dashed, constraint=false, "
                        "headlabel=\"%s%d&#8594;%s%d\", labelangle=-40, labeldistance=2.5, fontcolor=\"#cc0000\"];\n",
                from, to, w->prefix, k + 1, w->prefix, k + 2);
    }
}

/* The name of a tree, for the legend: native, guest, host or shadow. */
static const char *tree_word(const struct drawing *d, int tree)
{
    if (tree == GUEST) return d->m->hv ? "guest" : "native";
    return d->shadow ? "shadow" : "host";
}

/* The legend of a walk: every reference in order, then the result.  Also
 * one DOT comment per reference, for scripts ("// walk ref 3: …"). */
static void walk_legend(struct drawing *d, const struct walk *w, const char *id, const char *title,
                        const char *context)
{
    FILE *o = d->out;
    const struct walk_result *r = &w->rec;
    fprintf(o, "  %s [label=<<TABLE BORDER=\"0\" CELLBORDER=\"1\" CELLSPACING=\"0\" CELLPADDING=\"3\">\n"
               "<TR><TD COLSPAN=\"5\" BGCOLOR=\"#cc0000\"><FONT COLOR=\"white\"><B>%s</B></FONT><BR/>"
               "<FONT COLOR=\"white\">%s</FONT></TD></TR>\n"
               "<TR><TD><B>#</B></TD><TD><B>table</B></TD><TD><B>level</B></TD><TD><B>entry read</B></TD>"
               "<TD><B>its value</B></TD></TR>\n", id, title, context);
    for (int k = 0; k < r->nrefs; k++) {
        const struct walk_ref *ref = &r->refs[k];
        char flags[32];
        flags_text(ref->pte, flags);
        fprintf(o, "<TR><TD>%s%d</TD><TD>%s</TD><TD>L%u</TD><TD>0x%08x [%u]</TD><TD>0x%08x %s</TD></TR>\n",
                w->prefix, k + 1, tree_word(d, ref_tree(w, ref)), ref->level, ref->table, ref->index, ref->pte,
                flags);
    }
    if (r->faulted)
        fprintf(o, "<TR><TD COLSPAN=\"5\" BGCOLOR=\"#ffd6d6\">the walk faults after %d reference%s</TD></TR>\n",
                r->nrefs, r->nrefs == 1 ? "" : "s");
    else
        fprintf(o, "<TR><TD COLSPAN=\"5\" BGCOLOR=\"#ffd6d6\">%d reference%s: 0x%08x is at %s 0x%08x</TD></TR>\n",
                r->nrefs, r->nrefs == 1 ? "" : "s", r->vaddr,
                w->tree == GUEST && d->m->hv ? "guest-physical" : d->m->hv ? "host-physical" : "physical", r->pa);
    fputs("</TABLE>>];\n", o);
    for (int k = 0; k < r->nrefs; k++) {
        const struct walk_ref *ref = &r->refs[k];
        fprintf(o, "  // walk ref %s%d: %s level %u table 0x%08x index %u pte 0x%08x\n", w->prefix, k + 1,
                tree_word(d, ref_tree(w, ref)), ref->level, ref->table, ref->index, ref->pte);
    }
}

/* Pages of one tree: a cluster, each level at one rank. */
static void tree_cluster(struct drawing *d, int tree)
{
    const struct tree *t = &d->tree[tree];
    FILE *o = d->out;
    /* the second tree's title below it: the space between the two trees is
     * where a 2D walk's hops rise from one to the other */
    fprintf(o, "  subgraph cluster_%s {\n    label=<%s>;\n    labeljust=l;\n    labelloc=%s;\n    style=rounded;\n"
               "    color=\"%s\";\n", t->id, t->title, tree == GUEST ? "t" : "b", tree == GUEST ? "#4a7ab5" : "#5b9b47");
    for (int i = 0; i < d->npages; i++)
        if (d->pages[i].tree == tree) page_node(d, &d->pages[i]);
    for (unsigned l = 0; l < t->levels; l++) {
        int n = 0;
        for (int i = 0; i < d->npages; i++) {
            const struct page *p = &d->pages[i];
            if (p->tree != tree || p->level != l) continue;
            char id[32];
            node_id(d, p, id, sizeof id);
            fprintf(o, "%s%s", n++ ? " " : "    { rank=same; ", id);
        }
        if (n) fputs(" }\n", o);
    }
    fputs("  }\n", o);
}

/* The key: what the flags, the colours and the lines of this drawing mean,
 * with what is particular to the technique (a shadow's unfilled entries, a
 * 2D walk's hops, a paravirtual guest's read-only tables). */
static void key(struct drawing *d, bool walk)
{
    const struct hv *hv = d->m->hv;
    bool two_d = hv && hv->cfg.mmu == HV_MMU_NESTED, pv = hv && !hv_technique_of(hv)->mmus;   /* the guest's own tables, validated */
    FILE *o = d->out;
    fputs("  key [label=<<TABLE BORDER=\"0\" CELLBORDER=\"1\" CELLSPACING=\"0\" CELLPADDING=\"4\">\n"
          "<TR><TD BGCOLOR=\"#eeeeee\" ALIGN=\"LEFT\"><B>key</B></TD></TR>\n"
          "<TR><TD ALIGN=\"LEFT\">flags: P present, W writable, U user, A accessed, D dirty,<BR ALIGN=\"LEFT\"/>"
          "L large page, G global<BR ALIGN=\"LEFT\"/></TD></TR>\n"
          "<TR><TD ALIGN=\"LEFT\">a row 4&#8211;9 &#8594; 6 frames: entries in a regular run, folded<BR ALIGN=\"LEFT\"/>"
          "</TD></TR>\n"
          "<TR><TD ALIGN=\"LEFT\" BGCOLOR=\"#fff2cc\">a large page</TD></TR>\n", o);
    if (walk)
        fputs("<TR><TD ALIGN=\"LEFT\" BGCOLOR=\"#ffd6d6\">an entry the walk reads; <FONT COLOR=\"#cc0000\"><B>red"
              "</B></FONT>: its number(s) in the walker's order</TD></TR>\n", o);
    if (walk && two_d)
        fputs("<TR><TD ALIGN=\"LEFT\"><FONT COLOR=\"#cc0000\">- - &#8594; 4&#8594;5</FONT>: host reference 4 found "
              "the page of<BR ALIGN=\"LEFT\"/>the guest table that reference 5 reads (every guest-physical<BR "
              "ALIGN=\"LEFT\"/>address is walked from the host root: 1, 6, 11, …)<BR ALIGN=\"LEFT\"/></TD></TR>\n", o);
    if (d->shadow)
        fputs("<TR><TD ALIGN=\"LEFT\" BGCOLOR=\"#eeeeee\">a shadow entry not filled yet: a hidden fault will fill it"
              "</TD></TR>\n<TR><TD ALIGN=\"LEFT\">&#183;&#183;&#183; the guest table a shadow table mirrors</TD></TR>\n",
              o);
    if (pv)
        fputs("<TR><TD ALIGN=\"LEFT\">paravirtual: the MMU walks the guest's own tables (no shadow);<BR ALIGN=\"LEFT\"/>"
              "every frame that holds one is mapped P without W: read-only<BR ALIGN=\"LEFT\"/>"
              "to the kernel, which changes its tables by hypercall<BR ALIGN=\"LEFT\"/>"
              "(mmu_update, update_va), each validated by the hypervisor<BR ALIGN=\"LEFT\"/></TD></TR>\n", o);
    fputs("</TABLE>>];\n", o);
}

static void escape_html(const char *s, char *out, size_t len)
{
    size_t n = 0;
    for (; *s && n + 7 < len; s++) {
        if (*s == '<') n += (size_t)snprintf(out + n, len - n, "&lt;");
        else if (*s == '>') n += (size_t)snprintf(out + n, len - n, "&gt;");
        else if (*s == '&') n += (size_t)snprintf(out + n, len - n, "&amp;");
        else out[n++] = *s;
    }
    out[n] = 0;
}

/* ---- what to draw -------------------------------------------------------------- */
static void set_tree(struct tree *t, uint32_t root, unsigned levels, uint32_t base, uint32_t size,
                     const char *space, const char *who, const char *id, const char *colour)
{
    t->root = root & PTE_FRAME;
    t->levels = levels;
    mmu_level_bits(levels, t->bits);
    t->base = base;
    t->size = size;
    t->space = space;
    t->who = who;
    t->id = id;
    t->colour = colour;
}

/* The context the MMU of VM vm walks: natively the CPU as it stands; under
 * hardware assist the VM's guest state (loaded, or saved in its VMCS);
 * under shadow paging the CPU with the real CR ptb, the shadow; under pv
 * the CPU, whose ptb is the guest's own.  guest_cr gets the guest's own
 * control registers. */
static struct mmu_walk_ctx walker_context(const struct machine *m, int vm, uint32_t guest_cr[CR_COUNT])
{
    const struct hv *hv = m->hv;
    memcpy(guest_cr, m->cpu.cr, sizeof m->cpu.cr);
    if (!hv) return mmu_walk_ctx_now(m);
    if (hv->cfg.mmu == HV_MMU_SHADOW || hv_technique(hv->cfg.mode)->deprivileged) {
        /* the hypervisor keeps the guest's CRs; the MMU walks the shadow
         * (pv: the guest's own tables, or the boot map before them) */
        memcpy(guest_cr, hv->vcpu.cr, sizeof hv->vcpu.cr);
        return mmu_walk_ctx_now(m);
    }
    if (m->cpu.nonroot && m->vmx.cur == vm) return mmu_walk_ctx_now(m);
    memcpy(guest_cr, m->vmx.vmcs[vm].cr, sizeof m->vmx.vmcs[vm].cr);
    return mmu_walk_ctx_of(m, guest_cr, vm);
}

/* The root of the shadow of the guest's current tables, 0 if none yet. */
static uint32_t shadow_root(const struct hv *hv, const uint32_t guest_cr[CR_COUNT])
{
    return shadow_root_of(hv, guest_cr);
}

/* Sets up the trees of the request.  Returns false with err if the machine
 * has no such table. */
static bool setup(struct drawing *d, const struct vis_dot_request *req, const uint32_t guest_cr[CR_COUNT],
                  char *err, size_t errlen)
{
    const struct machine *m = d->m;
    const struct hv *hv = m->hv;
    struct tree *g = &d->tree[GUEST], *o = &d->tree[OTHER];
    bool paging = guest_cr[CR_MMU] & 1;
    const char *off = paging ? "" : " &#8212; <B>paging is off</B> (CR mmu = 0)";
    if (!hv) {
        if (req->table != VIS_TABLE_GUEST) {
            snprintf(err, errlen, "--table %s: the machine runs natively, so there is no %s table (add --mode %s)",
                     req->table == VIS_TABLE_NESTED ? "nested" : "shadow",
                     req->table == VIS_TABLE_NESTED ? "host" : "shadow", req->table == VIS_TABLE_NESTED ? "hw" : "te or bt");
            return false;
        }
        set_tree(g, guest_cr[CR_PTB], m->mmu.levels, 0, m->memsize, "physical", "", "g", "#dbe9f6");
        snprintf(g->title, sizeof g->title, "<B>page table</B><BR ALIGN=\"LEFT\"/>physical addresses &#8212; CR ptb 0x%08x, "
                 "%u levels%s<BR ALIGN=\"LEFT\"/>", g->root, g->levels, off);
        return true;
    }
    const struct vm *vm = &hv->vms[req->vm];
    char name[64];
    escape_html(vm->name, name, sizeof name);
    set_tree(g, guest_cr[CR_PTB], m->mmu.levels, vm->base, vm->size, "guest-physical", "guest ", "g", "#dbe9f6");
    snprintf(g->title, sizeof g->title, "<B>guest page table of VM %d (%s)</B><BR ALIGN=\"LEFT\"/>guest-physical addresses "
             "&#8212; its CR ptb 0x%08x, %u levels%s<BR ALIGN=\"LEFT\"/>", req->vm, name, g->root, g->levels, off);
    if (hv->cfg.mmu == HV_MMU_NESTED) {
        if (req->table == VIS_TABLE_SHADOW) {
            snprintf(err, errlen, "--table shadow: VM %d uses nested paging, which has no shadow tables "
                                  "(try --table nested, or --mode te or bt for shadow paging)", req->vm);
            return false;
        }
        const struct vmcs *v = &m->vmx.vmcs[req->vm];
        set_tree(o, v->ept_root, v->ept_levels, 0, m->memsize, "host-physical", "host ", "h", "#e2f0d9");
        snprintf(o->title, sizeof o->title, "<B>host (nested) table of VM %d</B><BR ALIGN=\"LEFT\"/>guest-physical "
                 "&#8594; host-physical &#8212; root 0x%08x, %u levels<BR ALIGN=\"LEFT\"/>", req->vm, o->root, o->levels);
        return true;
    }
    if (hv->cfg.mmu == HV_MMU_SHADOW) {
        if (req->table == VIS_TABLE_NESTED) {
            snprintf(err, errlen, "--table nested: VM %d uses shadow paging, which has no nested table "
                                  "(try --table shadow, or --mode hw for nested paging)", req->vm);
            return false;
        }
        d->shadow = true;
        set_tree(o, shadow_root(hv, guest_cr), m->mmu.levels, 0, m->memsize, "host-physical", "shadow ", "s",
                 "#e2f0d9");
        snprintf(o->title, sizeof o->title, "<B>shadow table of VM %d</B>, the hypervisor's<BR ALIGN=\"LEFT\"/>guest-virtual "
                 "&#8594; host-physical, what the MMU walks &#8212; root 0x%08x; dotted: the guest table each "
                 "mirrors<BR ALIGN=\"LEFT\"/>", req->vm, o->root);
        return true;
    }
    if (hv->cfg.mmu == HV_MMU_NONE) {
        if (req->table != VIS_TABLE_GUEST) {
            snprintf(err, errlen, "--table %s: VM %d is paravirtual: there is no %s table, the MMU walks the "
                                  "guest's own tables, each update validated by the hypervisor (try --table guest)",
                     req->table == VIS_TABLE_NESTED ? "nested" : "shadow", req->vm,
                     req->table == VIS_TABLE_NESTED ? "host" : "shadow");
            return false;
        }
        return true;
    }
    snprintf(err, errlen, "VM %d virtualises the MMU in a way this drawing does not know", req->vm);
    return false;
}

/* Under shadow paging: which guest table each shadow table mirrors. */
static bool link_mirrors(struct drawing *d)
{
    const struct hv *hv = d->m->hv;
    d->mirror_of = calloc((size_t)(d->m->memsize >> 12) + 1, sizeof *d->mirror_of);
    if (!d->mirror_of) return false;
    for (uint32_t s = hv->sh.frames_start; s < hv->sh.frames_next && s < d->m->memsize; s += 4096) {
        uint32_t f;
        unsigned level;
        if (shadow_mirror_of(hv, s, &f, &level)) d->mirror_of[s >> 12] = (f << 12) + 1;
    }
    for (int i = 0; i < d->npages; i++) {
        struct page *p = &d->pages[i];
        if (p->tree != OTHER || p->addr >= d->m->memsize || !d->mirror_of[p->addr >> 12]) continue;
        int g = find_page(d, GUEST, d->mirror_of[p->addr >> 12] - 1);
        if (g >= 0 && d->pages[g].level == p->level) p->mirror = g;
    }
    return true;
}

static int add_walk_pages(struct drawing *d, const struct walk *w)
{
    for (int k = 0; w->used && k < w->rec.nrefs; k++) {
        const struct walk_ref *r = &w->rec.refs[k];
        d->tree[ref_tree(w, r)].drawn = true;
        if (add_page(d, ref_tree(w, r), r->level, r->table, false) < 0) return -1;
    }
    return 0;
}

char *vis_dot_tables(const struct machine *m, const struct vis_dot_request *req, char *err, size_t errlen)
{
    const struct hv *hv = m->hv;
    if (hv && (req->vm < 0 || req->vm >= hv->nvms)) {
        snprintf(err, errlen, "--vm %d: there %s %d VM%s (0..%d)", req->vm, hv->nvms == 1 ? "is" : "are", hv->nvms,
                 hv->nvms == 1 ? "" : "s", hv->nvms - 1);
        return NULL;
    }
    if (!hv && req->vm != 0) {
        snprintf(err, errlen, "--vm %d: the machine runs natively, with no VMs", req->vm);
        return NULL;
    }
    struct drawing d = {.m = m};
    char *text = NULL;
    size_t len = 0;
    uint32_t guest_cr[CR_COUNT];
    struct mmu_walk_ctx ctx = walker_context(m, req->vm, guest_cr);
    if (!setup(&d, req, guest_cr, err, errlen)) goto fail;
    struct tree *g = &d.tree[GUEST], *h = &d.tree[OTHER];
    bool guest_paging = guest_cr[CR_MMU] & 1;
    d.pages = malloc(MAX_PAGES * sizeof *d.pages);
    g->page_of = malloc(((size_t)(g->size >> 12) + 1) * sizeof *g->page_of);
    h->page_of = malloc(((size_t)(h->size >> 12) + 1) * sizeof *h->page_of);
    if (!d.pages || !g->page_of || !h->page_of) goto oom;
    memset(g->page_of, 0xff, ((size_t)(g->size >> 12) + 1) * sizeof *g->page_of);
    memset(h->page_of, 0xff, ((size_t)(h->size >> 12) + 1) * sizeof *h->page_of);

    /* the trees drawn in full: the one asked for; with shadow, the guest's beside it */
    int main_tree = req->table == VIS_TABLE_GUEST ? GUEST : OTHER;
    if (!req->walk_only) {
        if ((main_tree == GUEST || d.shadow) && (guest_paging || g->root)) {
            g->drawn = true;
            if (!collect_tree(&d, GUEST, err, errlen)) goto fail;
        }
        if (main_tree == OTHER && h->root) {
            h->drawn = true;
            if (!collect_tree(&d, OTHER, err, errlen)) goto fail;
        }
    }
    /* the walks: the MMU's, numbered; under shadow paging also the guest's own */
    if (req->walk) {
        struct walk *w0 = &d.walk[0], *w1 = &d.walk[1];
        w0->used = true;
        w0->prefix = "";
        w0->tree = -1;
        if (d.shadow && main_tree == OTHER) {
            /* the MMU walks the shadow, from the real CR ptb */
            ctx.table.root = h->root;
            ctx.paging = h->root != 0;
            w0->tree = OTHER;
        }
        if (d.shadow && main_tree == GUEST) w0->tree = GUEST;
        if (d.shadow) {
            /* the guest's own tables, walked in its guest-physical memory */
            struct walk *gw = main_tree == GUEST ? w0 : w1;
            struct mmu_walk_ctx gctx = vis_guest_tables_ctx(m, req->vm, guest_cr);
            if (main_tree == OTHER) *w1 = (struct walk){.used = true, .prefix = "g", .tree = GUEST};
            if (guest_paging) mmu_probe(&gctx, req->walk_vaddr, ACC_READ, &gw->rec);
            else gw->rec = (struct walk_result){.vaddr = req->walk_vaddr, .pa = req->walk_vaddr};
        }
        if (!(d.shadow && main_tree == GUEST)) {
            if (d.shadow && !h->root) w0->rec = (struct walk_result){.vaddr = req->walk_vaddr, .faulted = true};
            else mmu_probe(&ctx, req->walk_vaddr, ACC_READ, &w0->rec);
        }
        if (add_walk_pages(&d, w0) < 0 || add_walk_pages(&d, w1) < 0) {
            snprintf(err, errlen, "more than %d table pages", MAX_PAGES);
            goto fail;
        }
    }
    if (d.shadow && !link_mirrors(&d)) goto oom;

    FILE *o = d.out = open_memstream(&text, &len);
    if (!o) goto oom;
    char title[512], which[96] = "", name[64];
    static const char *const table_name[] = {"the guest page table", "the shadow table", "the host (nested) table"};
    if (hv) {
        escape_html(hv->vms[req->vm].name, name, sizeof name);
        snprintf(which, sizeof which, " of VM %d (%s)", req->vm, name);
    }
    snprintf(title, sizeof title, "ringsim &#8212; %s%s at cycle %llu (%s)", table_name[req->table], which,
             (unsigned long long)m->st.cycles, stop_reason_name[m->stop]);
    fprintf(o, "// ringsim dot: one node per table page; its rows are the present entries\n");
    /* A monospaced face: Graphviz sizes each cell with hinted metrics and
     * a viewer draws the SVG unhinted, so proportional text overflows its
     * cells by a few per cent; a monospaced character is 0.6 em either way. */
#define FONT "fontname=\"DejaVu Sans Mono,monospace\""
    /* a 2D walk's hops rise straight from the host leaf to each guest table:
     * routed as splines they wander around the host pages in between */
    bool hops = req->walk && hv && hv->cfg.mmu == HV_MMU_NESTED && guest_paging;
    fprintf(o, "digraph pagetables {\n  graph [rankdir=LR, ordering=out, ranksep=0.9, nodesep=0.25, %s"
               FONT ", labelloc=t, label=<%s>];\n  node [shape=plaintext, " FONT ", fontsize=10];\n"
               "  edge [color=\"#555555\", arrowsize=0.6, " FONT ", fontsize=9];\n",
            hops ? "splines=line, " : "", title);
#undef FONT
    if (!g->drawn && !h->drawn)
        fprintf(o, "  note [shape=box, label=\"no table to draw: %s\"];\n",
                main_tree == GUEST ? "guest paging is off (CR mmu = 0) and CR ptb = 0"
                                   : "the shadow of the guest's tables is not built yet");
    for (int t = 0; t < 2; t++)
        if (d.tree[t].drawn) tree_cluster(&d, t);
    for (int i = 0; i < d.npages; i++) page_edges(&d, &d.pages[i]);
    if (g->drawn || h->drawn) key(&d, req->walk);
    if (req->walk) {
        char head[128], ctxt[256];
        const struct walk *w0 = &d.walk[0];
        unsigned n = g->levels, mm = h->levels;
        bool two_d = hv && hv->cfg.mmu == HV_MMU_NESTED;
        snprintf(head, sizeof head, "walk of 0x%08x (a read in ring 0)", req->walk_vaddr);
        if (two_d && guest_paging)
            snprintf(ctxt, sizeof ctxt, "guest %u levels &#215; host %u levels: (n+1)(m+1)&#8722;1 = %u references<BR/>"
                     "with small pages and no walk caches", n, mm, (n + 1) * (mm + 1) - 1);
        else if (two_d)
            snprintf(ctxt, sizeof ctxt, "guest paging is off: only the host table, %u references", mm);
        else if (d.shadow && main_tree == OTHER)
            snprintf(ctxt, sizeof ctxt, "the MMU walks the shadow: %u references; g1&#8230; are the guest's own "
                     "tables, read by the hypervisor on a hidden fault", n);
        else if (d.shadow)
            snprintf(ctxt, sizeof ctxt, "the guest's own tables, as the hypervisor reads them on a hidden fault "
                     "(the MMU walks the shadow: --table shadow)");
        else if (guest_paging)
            snprintf(ctxt, sizeof ctxt, "%u levels: %u references with small pages and no walk cache", n, n);
        else
            snprintf(ctxt, sizeof ctxt, "paging is off: the address is physical, no walk");
        walk_legend(&d, w0, "walk", head, ctxt);
        walk_edges(&d, w0);
        if (d.walk[1].used) {
            walk_legend(&d, &d.walk[1], "guestwalk", "the guest's own walk",
                        guest_paging ? "what the shadow mirrors" : "guest paging is off");
            walk_edges(&d, &d.walk[1]);
        }
        if (!w0->rec.faulted && w0->rec.nrefs) {
            char a[64];
            if (ref_port(&d, w0, w0->rec.nrefs - 1, a, sizeof a, true))
                fprintf(o, "  datum [shape=box, style=filled, fillcolor=\"#ffd6d6\", label=\"the datum\\n%s 0x%08x\"];\n"
                           "  %s -> datum [color=\"#cc0000\", penwidth=2.5];\n",
                        w0->tree == GUEST && hv ? "guest-physical" : hv ? "host-physical" : "physical", w0->rec.pa, a);
        }
    }
    fputs("}\n", o);
    int rc = fclose(o);
    d.out = NULL;
    if (rc != 0) goto oom;
    free(g->page_of);
    free(h->page_of);
    free(d.pages);
    free(d.mirror_of);
    return text;
oom:
    snprintf(err, errlen, "out of host memory");
fail:
    free(text);
    free(d.tree[0].page_of);
    free(d.tree[1].page_of);
    free(d.pages);
    free(d.mirror_of);
    return NULL;
}

/* ---- rendering with Graphviz ---------------------------------------------------- */
bool vis_dot_render(const char *dot, const char *format, const char *path, char *err, size_t errlen)
{
    if (!*format || strspn(format, "abcdefghijklmnopqrstuvwxyz0123456789:") != strlen(format)) {
        snprintf(err, errlen, "-T '%s': expected a Graphviz output format such as svg or png", format);
        return false;
    }
    char tmp[4096] = "", targ[64];
    snprintf(targ, sizeof targ, "-T%s", format);
    if (path) {
        snprintf(tmp, sizeof tmp, "%s.tmp-XXXXXX", path);
        int fd = mkstemp(tmp);
        if (fd < 0) {
            snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
            return false;
        }
        mode_t mask = umask(0);   /* a picture is as readable as any new file */
        umask(mask);
        fchmod(fd, 0666 & ~mask);
        close(fd);
    }
    char *argv[] = {"dot", targ, "-o", tmp, NULL};
    if (!path) argv[2] = NULL;
    int fds[2];
    if (pipe(fds) != 0) {
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        goto fail;
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[0], 0);
    posix_spawn_file_actions_addclose(&fa, fds[1]);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    pid_t pid;
    fflush(stdout);
    int rc = posix_spawnp(&pid, "dot", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[0]);
    if (rc != 0) {
        close(fds[1]);
        if (rc == ENOENT)
            snprintf(err, errlen, "Graphviz's `dot` is not installed: apt-get install graphviz "
                                  "(sh tools/setup.sh installs it), or leave out -T to write DOT text");
        else
            snprintf(err, errlen, "cannot run dot: %s", strerror(rc));
        goto fail;
    }
    /* dot may stop reading early: a write error, not a SIGPIPE */
    struct sigaction ign = {.sa_handler = SIG_IGN}, old;
    sigaction(SIGPIPE, &ign, &old);
    size_t len = strlen(dot), done = 0;
    while (done < len) {
        ssize_t n = write(fds[1], dot + done, len - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        done += (size_t)n;
    }
    close(fds[1]);
    sigaction(SIGPIPE, &old, NULL);
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || done < len) {
        snprintf(err, errlen, "dot %s failed (%s %d)", targ, WIFEXITED(st) ? "exit status" : "signal",
                 WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
        goto fail;
    }
    if (path && rename(tmp, path) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        goto fail;
    }
    return true;
fail:
    if (path) unlink(tmp);
    return false;
}

/* Graphviz's output formats a file may be named for (`dot -T?` lists them
 * all; these are the ones a picture is saved as). */
static const char *const rendered[] = {"svg", "svgz", "png", "pdf", "jpg", "jpeg", "gif", "bmp", "tif", "tiff",
                                       "webp", "ps", "eps", "json", "xdot", "plain", "imap", "cmapx", NULL};

bool vis_dot_format_of(const char *path, const char **format, char *err, size_t errlen)
{
    const char *slash = strrchr(path, '/'), *ext = strrchr(path, '.');
    *format = NULL;
    if (!ext || (slash && ext < slash) || !strcmp(ext, ".dot") || !strcmp(ext, ".gv")) return true;
    for (int i = 0; rendered[i]; i++)
        if (!strcmp(ext + 1, rendered[i])) {
            *format = rendered[i];
            return true;
        }
    snprintf(err, errlen, "%s: no picture format is called '%s': expected .dot or .gv (the DOT text) or one "
             "Graphviz renders (.svg, .png, .pdf, .jpg, .gif, .ps, …), or -T FORMAT", path, ext);
    return false;
}

bool vis_dot_write(const char *dot, const char *format, const char *path, char *err, size_t errlen)
{
    if (!format && path && !vis_dot_format_of(path, &format, err, errlen)) return false;
    if (format) return vis_dot_render(dot, format, path, err, errlen);
    if (path) return write_file_atomic(path, dot, err, errlen);
    if (fputs(dot, stdout) != EOF && fflush(stdout) == 0) return true;
    snprintf(err, errlen, "stdout: %s", strerror(errno));
    return false;
}
