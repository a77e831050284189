/*
 * debugger_views.c — what each pane (and each `info`) shows, as lines of text.
 *
 * Both front ends draw the same views: the full-screen debugger puts them
 * in ncurses windows (with the attributes as colours), line mode prints
 * them.  So what a student sees in a lab transcript is what the screen
 * shows.  Every view reads the machine through the debugger's side-effect
 * free accessors (debugger.c): looking never changes a cycle count.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "hypervisor/technique.h"
#include "visualise/debugger.h"

/* ---- text ------------------------------------------------------------------------- */
void dbg_text_add(struct dbg_text *t, int attr, const char *fmt, ...)
{
    if (t->n == t->cap) {
        int cap = t->cap ? t->cap * 2 : 32;
        struct dbg_line *p = realloc(t->lines, (size_t)cap * sizeof *p);
        if (!p) return;
        t->lines = p;
        t->cap = cap;
    }
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0) s = NULL;
    va_end(ap);
    if (!s) return;
    t->lines[t->n++] = (struct dbg_line){attr, s};
}

void dbg_text_free(struct dbg_text *t)
{
    for (int i = 0; i < t->n; i++) free(t->lines[i].text);
    free(t->lines);
    t->lines = NULL;
    t->n = t->cap = 0;
}

void dbg_text_print(const struct dbg_text *t, FILE *out)
{
    for (int i = 0; i < t->n; i++) {
        for (const char *p = t->lines[i].text; *p; p++)
            if (*p != HL_ON[0] && *p != HL_OFF[0]) fputc(*p, out);
        fputc('\n', out);
    }
}

static const char *symbol_at(void *ctx, uint32_t addr)
{
    const struct vis_dbg *d = ctx;
    return d->img ? isa_image_symbol_at(d->img, addr) : NULL;
}

/* ---- Registers ----------------------------------------------------------------------- */
void dbg_view_regs(struct vis_dbg *d, struct dbg_text *t, int width)
{
    struct machine *m = d->m;
    const struct cpu *c = &m->cpu, *b = &d->cpu_before;
    int per = (width + 1) / 13;   /* "r10 00000000 " */
    if (per < 2) per = 2;
    if (per > 4) per = 4;
    char line[256];
    for (int r = 0; r < ISA_NREGS; r += per) {
        size_t n = 0;
        for (int k = r; k < r + per && k < ISA_NREGS; k++) {
            bool changed = c->r[k] != b->r[k];
            n += (size_t)snprintf(line + n, sizeof line - n, "%-3s %s%08x%s ", isa_reg_name(k), changed ? HL_ON : "",
                                  c->r[k], changed ? HL_OFF : "");
        }
        dbg_text_add(t, AT_NORMAL, "%s", line);
    }
    char sym[96];
    dbg_symbolize(d, c->pc, sym, sizeof sym);
    dbg_text_add(t, AT_NORMAL, "pc  %s%08x%s %s%s%s", c->pc != b->pc ? HL_ON : "", c->pc, c->pc != b->pc ? HL_OFF : "",
                 sym[0] ? "<" : "", sym, sym[0] ? ">" : "");
    uint32_t sr = c->cr[CR_SR];
    char mode[96] = "";
    if (d->hv) {
        if (c->nonroot) snprintf(mode, sizeof mode, "  VM %d non-root", m->vmx.cur);
        else if (!dbg_deprivileged(d)) snprintf(mode, sizeof mode, "  root (ring -1)");
    }
    /* a narrow pane gives the mode a line of its own */
    bool fits = width >= 46;
    dbg_text_add(t, AT_NORMAL, "sr  %s%08x%s  ring %u  IE %s%s", sr != b->cr[CR_SR] ? HL_ON : "", sr,
                 sr != b->cr[CR_SR] ? HL_OFF : "", SR_RING(sr), sr & SR_IE ? "on" : "off", fits ? mode : "");
    if (!fits && mode[0]) dbg_text_add(t, AT_NORMAL, "%s", mode + 2);
    if (dbg_deprivileged(d)) {
        uint32_t vsr = d->hv->vcpu.cr[CR_SR];
        dbg_text_add(t, AT_NORMAL, fits ? "guest's own view: ring %u, IE %s (deprivileged)"
                                        : "guest's view: ring %u, IE %s", SR_RING(vsr),
                     vsr & SR_IE ? "on" : "off");
    }
    dbg_text_add(t, AT_DIM, "cycle %llu  insn %llu  step %llu", (unsigned long long)m->st.cycles,
                 (unsigned long long)m->st.instructions, (unsigned long long)d->pos);
}

/* ---- Code ---------------------------------------------------------------------------------- */
static bool is_breakpoint(const struct vis_dbg *d, uint32_t a)
{
    for (int i = 0; i < d->nbp; i++)
        if (d->bp[i].kind == BK_ADDR && d->bp[i].addr == a) return true;
    return false;
}

/* Binary translation: what the translator made of the instruction at
 * guest-virtual address a, and its host-physical address in *h; false
 * unless guest kernel code runs from the cache and a's page is in it. */
static bool bt_cached(struct vis_dbg *d, uint32_t a, uint32_t *h, struct cpu_bt_insn *in)
{
    struct machine *m = d->m;
    if (!d->hv || !m->bt_active || !dbg_to_host(d, 'v', a, h)) return false;
    return cpu_bt_insn_at(m, *h, in);
}

/* What the translator made of a guest instruction: copied as it is,
 * replaced by a call into the hypervisor (a sensitive instruction: it must
 * not run deprivileged), or not reached yet. */
static void bt_describe(const struct cpu_bt_insn *in, bool arrow, char *buf, size_t len)
{
    const char *to = arrow ? "→" : "->";
    if (in->fate == CPU_BT_UNTRANSLATED) snprintf(buf, len, "(not translated yet)");
    else if (in->fate == CPU_BT_CALLOUT)
        snprintf(buf, len, "%s callout hv_bt_callout (emulates %s)", to,
                 in->guest_op < OP_COUNT ? isa_info[in->guest_op].mnemonic : "?");
    else snprintf(buf, len, "= identical");
}

void dbg_view_code(struct vis_dbg *d, struct dbg_text *t, int nlines, int width)
{
    bool words = width >= 50;   /* room for the raw instruction word */
    bool beside = width >= 90;  /* room for the translation, under bt */
    uint32_t pc = d->m->cpu.pc;
    int before = nlines / 3;
    uint32_t a = pc >= 4u * (uint32_t)before ? pc - 4u * (uint32_t)before : 0;
    for (int guard = 0; t->n < nlines && guard < 4 * nlines; guard++, a += 4) {
        const char *label = symbol_at(d, a);
        if (label && t->n < nlines - 1) dbg_text_add(t, AT_HEAD, "%s:", label);
        uint32_t w;
        bool here = a == pc, bp = is_breakpoint(d, a);
        int attr = here ? AT_CURRENT : bp ? AT_MARK : AT_NORMAL;
        if (!dbg_read32(d, 'v', a, &w)) {
            dbg_text_add(t, attr, "%s%c %08x  (not mapped)", here ? "=>" : "  ", bp ? '*' : ' ', a);
            continue;
        }
        char insn[128];
        isa_disasm(w, a, insn, sizeof insn, symbol_at, d);
        uint32_t h;
        struct cpu_bt_insn in;
        if (beside && bt_cached(d, a, &h, &in)) {
            char tr[96];
            bt_describe(&in, false, tr, sizeof tr);
            dbg_text_add(t, attr, "%s%c %08x  %08x  %-28s %s", here ? "=>" : "  ", bp ? '*' : ' ', a, w, insn, tr);
            if (in.ends_block && t->n < nlines - 1) dbg_text_add(t, AT_DIM, "   -- end of block --");
        } else {
            /* narrower: the translation as a short tag after the instruction */
            bool cached = bt_cached(d, a, &h, &in);
            const char *tag = !cached || in.fate == CPU_BT_UNTRANSLATED ? ""
                            : in.fate == CPU_BT_CALLOUT ? "  [bt: callout]" : "  [bt: =]";
            if (words)
                dbg_text_add(t, attr, "%s%c %08x  %08x  %s%s", here ? "=>" : "  ", bp ? '*' : ' ', a, w, insn, tag);
            else
                dbg_text_add(t, attr, "%s%c %08x  %s%s", here ? "=>" : "  ", bp ? '*' : ' ', a, insn, tag);
            if (cached && in.ends_block && in.fate != CPU_BT_UNTRANSLATED && t->n < nlines - 1)
                dbg_text_add(t, AT_DIM, "   -- end of block --");
        }
    }
}

/* info bt: the block containing pc, each guest instruction beside what the
 * translator made of it, and the translator's counters.  Under binary
 * translation the guest kernel runs from a copy of its code in which every
 * sensitive instruction became a call into the hypervisor, so it runs
 * deprivileged without ever trapping on them. */
void dbg_view_bt(struct vis_dbg *d, struct dbg_text *t)
{
    struct machine *m = d->m;
    uint32_t pc = m->cpu.pc;
    /* only binary translation makes callouts */
    if (!d->hv || !hv_technique_of(d->hv)->on_callout) {
        dbg_text_add(t, AT_NORMAL, "not running under binary translation (ringsim debug IMG --mode bt)");
        return;
    }
    uint32_t h;
    struct cpu_bt_insn in;
    bool cached = bt_cached(d, pc, &h, &in);
    if (!cached && !m->bt_active)
        dbg_text_add(t, AT_NORMAL, "pc v:%08x: guest user code, run as it is (only guest kernel code is translated)", pc);
    else if (!cached)
        dbg_text_add(t, AT_NORMAL, "pc v:%08x: its page is not in the code cache yet (translated when it first runs)", pc);
    else {
        /* blocks end at ends_block: walk back to the start, forward to the
         * end, within pc's page (host addresses first..last) */
        uint32_t first = h, last = h;
        struct cpu_bt_insn x;
        while ((first & 0xfff) && cpu_bt_insn_at(m, first - 4, &x) && !x.ends_block) first -= 4;
        while (((last + 4) & 0xfff) && cpu_bt_insn_at(m, last, &x) && !x.ends_block) last += 4;
        uint32_t start = pc - (h - first), n = (last - first) / 4 + 1;
        char sym[96];
        dbg_symbolize(d, start, sym, sizeof sym);
        dbg_text_add(t, AT_HEAD, "block v:%08x%s%s%s, %u instruction%s, code cache page h:%08x", start,
                     sym[0] ? " <" : "", sym, sym[0] ? ">" : "", n, n > 1 ? "s" : "", first & ~0xfffu);
        dbg_text_add(t, AT_DIM, "   %-8s  %-8s  %-28s %s", "guest", "word", "guest instruction", "translation");
        for (uint32_t j = first; j <= last; j += 4) {
            uint32_t a = start + (j - first), w = 0;
            char insn[128], tr[96];
            dbg_read32(d, 'v', a, &w);
            isa_disasm(w, a, insn, sizeof insn, symbol_at, d);
            cpu_bt_insn_at(m, j, &x);
            bt_describe(&x, true, tr, sizeof tr);
            dbg_text_add(t, j == h ? AT_CURRENT : AT_NORMAL, "%s %08x  %08x  %-28s %s", j == h ? "=>" : "  ", a, w,
                         insn, tr);
        }
    }
    dbg_text_add(t, AT_NORMAL, "bt: %llu blocks translated (%llu instructions), %llu cache hits, %llu invalidations, "
                               "%llu callouts; %s",
                 (unsigned long long)m->bt.blocks, (unsigned long long)m->bt.instructions,
                 (unsigned long long)m->bt.cache_hits, (unsigned long long)m->bt.invalidations,
                 (unsigned long long)m->bt.callouts,
                 m->bt_active ? "guest kernel code runs from the cache" : "guest user code runs as it is");
    dbg_text_add(t, AT_NORMAL, "chaining %s: %llu block exits through the dispatcher, %llu chained, %llu links undone",
                 m->bt_chain ? "on" : "off", (unsigned long long)m->bt.dispatches,
                 (unsigned long long)m->bt.chained, (unsigned long long)m->bt.unchains);
}

/* ---- info pv ------------------------------------------------------------------------------------ */
static bool ns_word(const struct vis_dbg *d, uint32_t gpa, uint32_t *v)
{
    return hv_guest_word(d->m, d->hv, gpa, v);
}

/* Which slot of its table (0: the initial namespace) a namespace is. */
static unsigned ns_slot(uint32_t ns, uint32_t table, uint32_t size)
{
    return size && ns >= table ? (ns - table) / size : 0;
}

/* Namespaces and cgroups live in the guest kernel, not in the machine: the
 * view reads the kernel's own tables through the offsets the kernel
 * publishes at ns_layout (guests/kernel/ns.s), as `ps` reads /proc. */
void dbg_view_ns(struct vis_dbg *d, struct dbg_text *t)
{
    enum { CUR, PID, UID, NSPID, CG, CGTAB, CGSIZE, PIDNS, PNTAB, PNSIZE, PNLEVEL, UTSNS, UTTAB, UTSIZE, UTNAME,
           USERNS, UNTAB, UNSIZE, UNLEVEL, UNROOT, IPCNS, INTAB, INSIZE, NLAYOUT };
    uint32_t lay, L[NLAYOUT], p, w[8];
    if (!d->img || !isa_image_symbol_addr(d->img, "ns_layout", &lay)) {
        dbg_text_add(t, AT_NORMAL, "no namespaces: this kernel is built without containers (ringsim debug containers)");
        return;
    }
    for (int i = 0; i < NLAYOUT; i++)
        if (!ns_word(d, lay + 4 * (uint32_t)i, &L[i])) return;
    if (!ns_word(d, L[CUR], &p) || !p) {
        dbg_text_add(t, AT_NORMAL, "no process is running yet");
        return;
    }
    uint32_t pid = 0, uid = 0, pidns = 0, level = 0, inside = 0, uts = 0, user = 0, ulevel = 0, root = 0, ipc = 0,
             cg = 0;
    ns_word(d, p + L[PID], &pid);
    ns_word(d, p + L[UID], &uid);
    if (!ns_word(d, p + L[PIDNS], &pidns) || !pidns) {
        dbg_text_add(t, AT_NORMAL, "process %u (initial namespace) holds no namespaces: it is exiting", pid);
        return;
    }
    ns_word(d, pidns + L[PNLEVEL], &level);
    ns_word(d, p + L[NSPID] + 4 * level, &inside);
    ns_word(d, p + L[UTSNS], &uts);
    ns_word(d, p + L[USERNS], &user);
    ns_word(d, user + L[UNLEVEL], &ulevel);
    ns_word(d, user + L[UNROOT], &root);
    ns_word(d, p + L[IPCNS], &ipc);
    ns_word(d, p + L[CG], &cg);
    char host[sizeof w + 1] = {0};
    for (int i = 0; i < 8; i++) ns_word(d, uts + L[UTNAME] + 4 * (uint32_t)i, &w[i]);
    memcpy(host, w, sizeof w);
    dbg_text_add(t, AT_HEAD, "process %u in the initial pid namespace, %u in its own; uid %u outside", pid, inside,
                 uid);
    dbg_text_add(t, AT_NORMAL, "  pid  namespace %u, level %u", ns_slot(pidns, L[PNTAB], L[PNSIZE]), level);
    dbg_text_add(t, AT_NORMAL, "  uts  namespace %u, host name \"%s\"", ns_slot(uts, L[UTTAB], L[UTSIZE]), host);
    if (ulevel)
        dbg_text_add(t, AT_NORMAL, "  user namespace %u, level %u: uid 0 inside is uid %u outside",
                     ns_slot(user, L[UNTAB], L[UNSIZE]), ulevel, root);
    else
        dbg_text_add(t, AT_NORMAL, "  user namespace 0, the initial one");
    dbg_text_add(t, AT_NORMAL, "  ipc  namespace %u", ns_slot(ipc, L[INTAB], L[INSIZE]));
    /* the mount and network namespaces, in kernels built with them */
    uint32_t ml = 0, nl = 0;
    if (!isa_image_symbol_addr(d->img, "mnt_layout", &ml)) ml = 0;
    if (!isa_image_symbol_addr(d->img, "net_layout", &nl)) nl = 0;
    struct vis_proc_ns more;
    vis_proc_ns_read(d->m, d->hv, ml, nl, p, &more);
    if (more.has_mnt) dbg_text_add(t, AT_NORMAL, "  mnt  namespace %u, root %s", more.mntns, more.root);
    if (more.has_net) {
        char a[16], lo[16];
        vis_ipv4(more.addr, a);
        vis_ipv4(more.loopback, lo);
        dbg_text_add(t, AT_NORMAL, "  net  namespace %u: lo %s%s%s; %u packets sent, %u received", more.netns, lo,
                     !more.addr ? "" : more.addr == more.bridge ? ", br0 " : ", eth0 ", more.addr ? a : "",
                     more.sent, more.received);
    }
    dbg_text_add(t, AT_NORMAL, "  cgroup %u", ns_slot(cg, L[CGTAB], L[CGSIZE]));
    /* the cgroup namespace, in kernels built with them */
    uint32_t cl = 0;
    if (!isa_image_symbol_addr(d->img, "cgns_layout", &cl)) cl = 0;
    vis_proc_cgns_read(d->m, d->hv, cl, p, &more);
    if (more.has_cgns)
        dbg_text_add(t, AT_NORMAL,
                     "  cgroup namespace %u: its \"/\" is cgroup %u; %u names of groups outside it refused",
                     more.cgns, more.cgns_root, more.cgns_refused);
}

void dbg_view_pv(struct vis_dbg *d, struct dbg_text *t)
{
    const struct hv *hv = d->hv;
    /* the technique with no MMU technique: the guest's own tables, validated */
    if (!hv || hv_technique_of(hv)->mmus) {
        dbg_text_add(t, AT_NORMAL, "not running paravirtualised (ringsim debug IMG --mode pv)");
        return;
    }
    const struct pv *p = &hv->pv;
    const struct machine *m = d->m;
    if (!p->shared) {
        dbg_text_add(t, AT_NORMAL, "the guest has not shared a page yet (its first hypercall, shared_info)");
    } else {
        uint32_t w[12];
        memcpy(w, m->mem + hv->vms[0].base + p->shared, sizeof w);
        dbg_text_add(t, AT_HEAD, "shared page g:%08x: interrupts %s%s", p->shared, w[0] ? "on" : "off (masked)",
                     w[1] ? ", one pending" : "");
        dbg_text_add(t, AT_NORMAL, "  last trap delivered: cause %s, epc v:%08x, esr %08x, badaddr %08x, fault %x, usp %08x",
                     w[2] < CAUSE_COUNT ? isa_cause_name[w[2]] : "?", w[3], w[4], w[5], w[6], w[7]);
    }
    if (p->booted)
        dbg_text_add(t, AT_NORMAL, "paging: the guest's own tables, root g:%08x, asid %u (the MMU walks them; no shadow)",
                     hv->vcpu.cr[CR_PTB], hv->vcpu.cr[CR_ASID]);
    else
        dbg_text_add(t, AT_NORMAL, "paging: the hypervisor's 1:1 boot map h:%08x, until the guest loads a root of its own",
                     p->boot_root);
    char calls[512];
    size_t n = 0;
    calls[0] = 0;
    for (int op = 1; op < PV_HC_COUNT; op++)
        if (p->by_op[op] && n < sizeof calls)
            n += (size_t)snprintf(calls + n, sizeof calls - n, "%s%s %llu", n ? ", " : "", pv_hypercall_name[op],
                                  (unsigned long long)p->by_op[op]);
    dbg_text_add(t, AT_NORMAL, "hypercalls %llu%s%s", (unsigned long long)p->hypercalls, n ? ": " : "", calls);
    dbg_text_add(t, AT_NORMAL, "page-table updates %llu in %llu batches, %llu tables validated, %llu refused%s%s%s; "
                               "%llu TLB flushes for new tables; %llu traps replaced",
                 (unsigned long long)p->updates, (unsigned long long)p->batches,
                 (unsigned long long)p->tables_validated, (unsigned long long)p->refused,
                 p->refused ? " (last: " : "", p->refused ? p->last_refusal : "", p->refused ? ")" : "",
                 (unsigned long long)p->type_flushes, (unsigned long long)p->traps_replaced);
    /* the frames the hypervisor knows to be page tables, by level */
    unsigned per_level[MMU_MAX_LEVELS] = {0};
    char roots[256];
    size_t r = 0;
    roots[0] = 0;
    for (uint32_t f = 0; p->fr && f < p->nframes; f++) {
        const struct pv_frame *x = &p->fr[f];
        if (x->level && x->level <= MMU_MAX_LEVELS) per_level[x->level - 1]++;
        if (x->pinned && r < sizeof roots - 32)
            r += (size_t)snprintf(roots + r, sizeof roots - r, "%sg:%08x", r ? " " : "", f << 12);
    }
    char levels[128];
    size_t l = 0;
    levels[0] = 0;
    for (unsigned k = 0; k < m->levels; k++)
        l += (size_t)snprintf(levels + l, sizeof levels - l, "%slevel %u: %u", k ? ", " : "", k, per_level[k]);
    dbg_text_add(t, AT_NORMAL, "frames that are page tables (read-only to the guest): %s", levels);
    dbg_text_add(t, AT_NORMAL, "pinned roots: %s", r ? roots : "(none)");
}

/* ---- Memory ---------------------------------------------------------------------------------- */
void dbg_view_memory(struct vis_dbg *d, struct dbg_text *t, int nlines, int width)
{
    int per = width >= 78 ? 16 : 8;
    for (int l = 0; l < nlines; l++) {
        uint32_t a = d->mem_addr + (uint32_t)(l * per);
        char hex[64] = "", asc[24] = "";
        size_t n = 0;
        for (int i = 0; i < per; i++) {
            uint8_t v;
            if (dbg_read8(d, d->mem_space, a + (uint32_t)i, &v)) {
                n += (size_t)snprintf(hex + n, sizeof hex - n, "%02x ", v);
                asc[i] = isprint(v) ? (char)v : '.';
            } else {
                n += (size_t)snprintf(hex + n, sizeof hex - n, "-- ");
                asc[i] = ' ';
            }
        }
        asc[per] = 0;
        dbg_text_add(t, AT_NORMAL, "%c:%08x  %s|%s|", d->mem_space, a, hex, asc);
    }
}

/* x/FMT: the command's view, in the debugger's address spaces. */
void dbg_view_examine(struct vis_dbg *d, struct dbg_text *t, char space, uint32_t addr, int count, char fmt)
{
    if (fmt == 'i') {
        for (int i = 0; i < count; i++, addr += 4) {
            uint32_t w;
            char sym[96], insn[128];
            dbg_symbolize(d, addr, sym, sizeof sym);
            if (!dbg_read32(d, space, addr, &w)) {
                dbg_text_add(t, AT_ERROR, "%c:%08x  (not mapped)", space, addr);
                continue;
            }
            isa_disasm(w, addr, insn, sizeof insn, symbol_at, d);
            dbg_text_add(t, AT_NORMAL, "%c:%08x %-20s %08x  %s", space, addr, sym[0] ? sym : "", w, insn);
        }
        return;
    }
    if (fmt == 's') {
        for (int i = 0; i < count; i++) {
            char s[256];
            size_t n = 0;
            uint8_t c;
            uint32_t a = addr;
            while (n < sizeof s - 1 && dbg_read8(d, space, addr, &c) && c) {
                s[n++] = isprint(c) ? (char)c : '.';
                addr++;
            }
            s[n] = 0;
            dbg_text_add(t, AT_NORMAL, "%c:%08x  \"%s\"", space, a, s);
            addr++;
        }
        return;
    }
    bool bytes = fmt == 'b' || fmt == 'c';
    int per = bytes ? 16 : 4, size = bytes ? 1 : 4;
    for (int i = 0; i < count; i += per) {
        char line[256];
        size_t n = (size_t)snprintf(line, sizeof line, "%c:%08x ", space, addr + (uint32_t)(i * size));
        for (int k = i; k < count && k < i + per; k++) {
            uint32_t a = addr + (uint32_t)(k * size), w = 0;
            uint8_t b = 0;
            bool ok = bytes ? dbg_read8(d, space, a, &b) : dbg_read32(d, space, a, &w);
            if (!ok) n += (size_t)snprintf(line + n, sizeof line - n, bytes ? " --" : " --------");
            else if (fmt == 'b') n += (size_t)snprintf(line + n, sizeof line - n, " %02x", b);
            else if (fmt == 'c') n += (size_t)snprintf(line + n, sizeof line - n, " %c", isprint(b) ? b : '.');
            else if (fmt == 'd') n += (size_t)snprintf(line + n, sizeof line - n, " %11d", (int32_t)w);
            else if (fmt == 'u') n += (size_t)snprintf(line + n, sizeof line - n, " %10u", w);
            else n += (size_t)snprintf(line + n, sizeof line - n, " %08x", w);
        }
        dbg_text_add(t, AT_NORMAL, "%s", line);
    }
}

/* ---- TLB ------------------------------------------------------------------------------------------ */
/* The vpn of the last TLB fill the event log remembers, or -1. */
static int64_t last_fill(const struct vis_dbg *d)
{
    for (uint64_t s = d->ev_count; s > d->ev_lo; s--) {
        const struct dbg_event *e = dbg_event_at(d, s - 1);
        if (e->ev.kind == TR_WALK && e->ev.a == 0 && e->walk) return e->walk->vaddr >> 12;
        if (e->ev.kind == TR_FLUSH && e->ev.a) return -1;
    }
    return -1;
}

void dbg_view_tlb(struct vis_dbg *d, struct dbg_text *t, int width)
{
    const struct mmu *u = &d->m->mmu;
    const struct mmu_stats *s = &u->st, *b = &d->mst_before;
    dbg_text_add(t, AT_HEAD, "%u entries, %u sets x %u ways; hits %llu (+%llu) misses %llu (+%llu) flushes %llu",
                 u->tlb_entries, u->tlb_sets, u->tlb_ways, (unsigned long long)s->tlb_hits,
                 (unsigned long long)(s->tlb_hits - b->tlb_hits), (unsigned long long)s->tlb_misses,
                 (unsigned long long)(s->tlb_misses - b->tlb_misses), (unsigned long long)s->tlb_flushes);
    int64_t fill = last_fill(d);
    /* of several entries for the filled page, the most recently used */
    const struct tlb_entry *hot = NULL;
    for (unsigned i = 0; fill >= 0 && i < u->tlb_entries; i++) {
        const struct tlb_entry *e = &u->tlb[i];
        if (e->valid && e->vpn == (uint32_t)fill && (!hot || e->lru > hot->lru)) hot = e;
    }
    bool wide = width >= 44;
    dbg_text_add(t, AT_DIM, wide ? "  set.way  vpn      pfn    flags asid vpid" : "  set.w vpn   pfn   flags asid/vpid");
    int shown = 0;
    for (unsigned i = 0; i < u->tlb_entries; i++) {
        const struct tlb_entry *e = &u->tlb[i];
        if (!e->valid) continue;
        shown++;
        char fl[6] = {e->writable ? 'W' : '-', e->user ? 'U' : '-', e->dirty ? 'D' : '-', e->global ? 'G' : '-',
                      e->level ? 'L' : '-', 0};
        if (wide)
            dbg_text_add(t, e == hot ? AT_CURRENT : AT_NORMAL, "%c %3u.%-2u  %05x -> %05x  %s %4u %4u%s",
                         e == hot ? '>' : ' ', i / u->tlb_ways, i % u->tlb_ways, e->vpn, e->pfn, fl, e->asid, e->vpid,
                         e == hot ? "  <- last fill" : "");
        else
            dbg_text_add(t, e == hot ? AT_CURRENT : AT_NORMAL, "%c%3u.%u %05x>%05x %s %u/%u", e == hot ? '>' : ' ',
                         i / u->tlb_ways, i % u->tlb_ways, e->vpn, e->pfn, fl, e->asid, e->vpid);
    }
    if (!shown) dbg_text_add(t, AT_DIM, "  (empty)");
}

/* ---- Page walk ------------------------------------------------------------------------------------- */
static void pte_flags(uint32_t pte, char *buf)
{
    const char *f = "PWUADLG";
    int n = 0;
    for (int i = 0; i < 7; i++) buf[n++] = (pte >> i) & 1 ? f[i] : '-';
    buf[n] = 0;
}

/* The 2D grid (Bhargava et al.): one row per guest level — the host walk
 * of that guest table's address, then the guest entry — and a last row for
 * the host walk of the final guest-physical address.  Each cell holds the
 * number of the reference, in the order the walker made them. */
static void walk_grid(struct dbg_text *t, const struct walk_result *w, unsigned hlevels)
{
    int grid[MMU_MAX_LEVELS + 1][MMU_MAX_LEVELS + 1];
    memset(grid, 0, sizeof grid);
    unsigned rows = 0;      /* guest entries read: one row each */
    int num = 0;
    for (int i = 0; i < w->nrefs; i++) {
        const struct walk_ref *r = &w->refs[i];
        if (r->kind != WALK_READ || rows > MMU_MAX_LEVELS) continue;
        num++;
        if (r->dim == DIM_HOST) {
            if (r->level < MMU_MAX_LEVELS) grid[rows][r->level] = num;
        } else {
            grid[rows++][MMU_MAX_LEVELS] = num;
        }
    }
    char line[160];
    size_t n = (size_t)snprintf(line, sizeof line, "           ");
    for (unsigned h = 0; h < hlevels; h++) n += (size_t)snprintf(line + n, sizeof line - n, "  H%u", h);
    snprintf(line + n, sizeof line - n, " | guest entry");
    dbg_text_add(t, AT_DIM, "%s", line);
    for (unsigned g = 0; g <= rows && g <= MMU_MAX_LEVELS; g++) {
        bool any = g < rows;
        for (unsigned h = 0; h < hlevels; h++) any |= grid[g][h] != 0;
        if (!any) continue;
        if (g < rows) n = (size_t)snprintf(line, sizeof line, " G%u%-8s", g, g == 0 ? " (root)" : "");
        else n = (size_t)snprintf(line, sizeof line, " %-10s", "data gPA");
        for (unsigned h = 0; h < hlevels; h++)
            n += grid[g][h] ? (size_t)snprintf(line + n, sizeof line - n, " %3d", grid[g][h])
                            : (size_t)snprintf(line + n, sizeof line - n, "   .");
        if (g < rows) snprintf(line + n, sizeof line - n, " | %3d", grid[g][MMU_MAX_LEVELS]);
        dbg_text_add(t, AT_NORMAL, "%s", line);
    }
}

void dbg_view_walk(struct vis_dbg *d, struct dbg_text *t, const struct walk_result *w, bool two_d, const char *what)
{
    struct machine *m = d->m;
    int reads = vis_walk_reads(w);
    char res[64];
    if (w->faulted) snprintf(res, sizeof res, "fault");
    else snprintf(res, sizeof res, "h:0x%08x", w->pa);
    static const char *const acc[] = {"read", "write", "fetch"};
    dbg_text_add(t, AT_HEAD, "%s v:0x%08x %s -> %s: %d reference%s", what, w->vaddr,
                 w->access <= ACC_FETCH ? acc[w->access] : "?", res, reads, reads == 1 ? "" : "s");
    if (!w->nrefs) {
        dbg_text_add(t, AT_DIM, "  (no page-table reference: paging is off%s)", two_d ? " in the guest" : "");
        return;
    }
    unsigned hl = 0, gl = 0;
    bool host = false;
    for (int i = 0; i < w->nrefs; i++) {
        const struct walk_ref *r = &w->refs[i];
        if (r->dim == DIM_HOST) { host = true; if (r->level + 1u > hl) hl = r->level + 1u; }
        else if (r->level + 1u > gl) gl = r->level + 1u;
    }
    if (host) {
        unsigned n = m->levels, k = hl;
        if (d->hv && m->vmx.cur >= 0) k = m->vmx.vmcs[m->vmx.cur].ept_levels;
        bool guest_paging = gl > 0;
        if (guest_paging)
            dbg_text_add(t, AT_NORMAL, "2D walk, %u guest x %u host levels: cold it costs (n+1)(m+1)-1 = %u", n, k,
                         (n + 1) * (k + 1) - 1);
        walk_grid(t, w, hl > k ? hl : k);
    }
    int num = 0;
    for (int i = 0; i < w->nrefs; i++) {
        const struct walk_ref *r = &w->refs[i];
        char ref[96], fl[8];
        vis_walk_ref_text(w, i, two_d, ref, sizeof ref);
        pte_flags(r->pte, fl);
        if (r->kind == WALK_READ) dbg_text_add(t, AT_NORMAL, "#%-3d %s  %s", ++num, ref, fl);
        else dbg_text_add(t, AT_DIM, "     %s  %s (A/D written back)", ref, fl);
    }
}

void dbg_view_walk_pane(struct vis_dbg *d, struct dbg_text *t)
{
    if (d->probe_on) {
        dbg_view_walk(d, t, &d->probe, d->probe_2d, "translate");
        return;
    }
    const struct walk_result *w = &d->m->mmu.last_walk;
    if (!d->m->mmu.st.walks) {
        dbg_text_add(t, AT_DIM, "no TLB miss yet (try: translate ADDR)");
        return;
    }
    dbg_view_walk(d, t, w, vis_walk_is_2d(d->m), "last miss");
}

/* ---- Events ------------------------------------------------------------------------------------------ */
void dbg_view_events(struct vis_dbg *d, struct dbg_text *t, int nlines, bool refs)
{
    uint64_t from = d->ev_count > (uint64_t)nlines ? d->ev_count - (uint64_t)nlines : 0;
    if (from < d->ev_lo) from = d->ev_lo;
    if (d->ev_count == d->ev_lo) dbg_text_add(t, AT_DIM, "(no events yet)");
    for (uint64_t s = from; s < d->ev_count; s++) {
        const struct dbg_event *e = dbg_event_at(d, s);
        const char *text = dbg_event_text(e);
        const char *bar = refs ? NULL : strstr(text, " |");
        int len = bar ? (int)(bar - text) : (int)strlen(text);
        enum trace_kind k = e->ev.kind;
        int attr = k == TR_VMEXIT || k == TR_VMENTRY ? AT_MARK
                 : k == TR_TRAP ? AT_CURRENT
                 : k == TR_WALK || k == TR_FLUSH ? AT_DIM : AT_NORMAL;
        dbg_text_add(t, attr, "%.*s", len, text);
    }
}

/* ---- Cycles ---------------------------------------------------------------------------------------------- */
void dbg_view_cycles(struct vis_dbg *d, struct dbg_text *t)
{
    /* what the last command cost comes first on every line, so that a
     * narrow pane cuts the shares, never the cost */
    const struct stats *s = &d->m->st, *b = &d->st_before;
    dbg_text_add(t, AT_HEAD, "cycles %llu, last command +%llu", (unsigned long long)s->cycles,
                 (unsigned long long)(s->cycles - b->cycles));
    dbg_text_add(t, AT_NORMAL, "insns  %llu, last command +%llu", (unsigned long long)s->instructions,
                 (unsigned long long)(s->instructions - b->instructions));
    dbg_text_add(t, AT_DIM, "%-7s %9s %10s %6s", "cause", "last cmd", "total", "share");
    for (int c = 0; c < CY_COUNT; c++) {
        uint64_t v = s->cycles_by_cause[c], dv = v - b->cycles_by_cause[c];
        if (!v) continue;
        dbg_text_add(t, dv ? AT_CURRENT : AT_NORMAL, "%-7s %9llu %10llu %5.1f%%", cycle_cause_name[c],
                     (unsigned long long)dv, (unsigned long long)v,
                     s->cycles ? 100.0 * (double)v / (double)s->cycles : 0.0);
    }
    const struct mmu_stats *u = &d->m->mmu.st, *ub = &d->mst_before;
    dbg_text_add(t, AT_NORMAL, "walks +%llu (%llu)  refs +%llu (%llu)", (unsigned long long)(u->walks - ub->walks),
                 (unsigned long long)u->walks, (unsigned long long)(u->walk_refs - ub->walk_refs),
                 (unsigned long long)u->walk_refs);
    dbg_text_add(t, AT_NORMAL, "traps +%llu (%llu)  exits +%llu (%llu)",
                 (unsigned long long)(s->traps_total - b->traps_total), (unsigned long long)s->traps_total,
                 (unsigned long long)(d->m->vmx.exits - d->exits_before), (unsigned long long)d->m->vmx.exits);
}

/* ---- Console ---------------------------------------------------------------------------------------------- */
void dbg_view_console(struct vis_dbg *d, struct dbg_text *t, int nlines)
{
    size_t len = dbg_console_len(d);
    /* the start of the last nlines lines */
    size_t start = len;
    int lines = 0;
    if (start && d->con[start - 1] == '\n') start--;
    while (start > 0 && lines < nlines) {
        if (d->con[start - 1] == '\n' && ++lines == nlines) break;
        start--;
    }
    if (!len) dbg_text_add(t, AT_DIM, "(the guest has printed nothing yet)");
    while (start < len) {
        size_t e = start;
        while (e < len && d->con[e] != '\n') e++;
        dbg_text_add(t, AT_NORMAL, "%.*s", (int)(e - start), d->con + start);
        start = e + 1;
    }
}

/* ---- info vmcs, stats, pt, break ------------------------------------------------------------------------- */
void dbg_view_vmcs(struct vis_dbg *d, struct dbg_text *t)
{
    struct machine *m = d->m;
    if (!d->hv || m->vmx.nvmcs == 0) {
        dbg_text_add(t, AT_NORMAL, "no VMCS: the machine runs natively (try --mode hw)");
        return;
    }
    int i = m->vmx.cur >= 0 ? m->vmx.cur : 0;
    const struct vmcs *v = &m->vmx.vmcs[i];
    const struct vm *vm = &d->hv->vms[i];
    dbg_text_add(t, AT_HEAD, "VMCS of VM %d (%s)%s, vpid %u, %s", i, vm->name,
                 m->vmx.cur == i && m->cpu.nonroot ? ", loaded: the guest runs" : "", v->vpid,
                 vm->state == VM_DONE ? "ended" : vm->state == VM_HALTED ? "halted" : "runnable");
    dbg_text_add(t, AT_NORMAL, "guest state (saved at the last exit): pc v:0x%08x sr 0x%x ptb g:0x%08x mmu %u",
                 v->pc, v->cr[CR_SR], v->cr[CR_PTB], v->cr[CR_MMU]);
    char ops[512] = "";
    size_t n = 0;
    for (int op = 1; op < OP_COUNT; op++)
        if (v->exit_on_op[op]) n += (size_t)snprintf(ops + n, sizeof ops - n, " %s", isa_info[op].mnemonic);
    dbg_text_add(t, AT_NORMAL, "exit controls: instructions%s", ops[0] ? ops : " (none)");
    char exc[256] = "";
    n = 0;
    for (int c = 0; c < CAUSE_COUNT; c++)
        if (v->exception_bitmap & (1u << c)) n += (size_t)snprintf(exc + n, sizeof exc - n, " %s", isa_cause_name[c]);
    dbg_text_add(t, AT_NORMAL, "exception bitmap:%s; interrupt window %s", exc[0] ? exc : " (none)",
                 v->irq_window ? "requested" : "off");
    if (m->vmx.nested)
        dbg_text_add(t, AT_NORMAL, "nested paging: host table h:0x%08x, %u levels; guest memory %u KiB at h:0x%08x",
                     v->ept_root, v->ept_levels, v->guest_memsize >> 10, vm->base);
    if (v->inject)
        dbg_text_add(t, AT_NORMAL, "pending injection: %s (badaddr 0x%x, epc 0x%x)", isa_cause_name[v->inject_cause],
                     v->inject_badaddr, v->inject_epc);
    dbg_text_add(t, AT_NORMAL, "last exit: %s, qualification 0x%x%s", vmexit_reason_name[v->exit_reason], v->exit_qual,
                 v->exit_reason == EXIT_EPT_VIOLATION ? " (a guest-physical address)" : "");
    char by[512] = "";
    n = 0;
    for (int r = 0; r < EXIT_COUNT; r++)
        if (vm->exits_by_reason[r])
            n += (size_t)snprintf(by + n, sizeof by - n, " %s=%llu", vmexit_reason_name[r],
                                  (unsigned long long)vm->exits_by_reason[r]);
    dbg_text_add(t, AT_NORMAL, "exits: %llu%s", (unsigned long long)vm->exits, by);
}

void dbg_view_stats(struct vis_dbg *d, struct dbg_text *t)
{
    struct machine *m = d->m;
    dbg_view_cycles(d, t);
    const struct mmu_stats *u = &m->mmu.st;
    dbg_text_add(t, AT_NORMAL, "tlb: hits %llu misses %llu flushes %llu evictions %llu",
                 (unsigned long long)u->tlb_hits, (unsigned long long)u->tlb_misses,
                 (unsigned long long)u->tlb_flushes, (unsigned long long)u->tlb_evictions);
    dbg_text_add(t, AT_NORMAL, "walks: %llu, %llu references (%.2f a walk), %llu A/D write-backs, %llu page faults",
                 (unsigned long long)u->walks, (unsigned long long)u->walk_refs,
                 u->walks ? (double)u->walk_refs / (double)u->walks : 0.0, (unsigned long long)u->walk_ad_writes,
                 (unsigned long long)u->page_faults);
    char by[512] = "";
    size_t n = 0;
    for (int c = 0; c < CAUSE_COUNT; c++)
        if (m->st.traps_by_cause[c])
            n += (size_t)snprintf(by + n, sizeof by - n, " %s=%llu", isa_cause_name[c],
                                  (unsigned long long)m->st.traps_by_cause[c]);
    dbg_text_add(t, AT_NORMAL, "traps: %llu%s", (unsigned long long)m->st.traps_total, by);
    if (d->hv) {
        by[0] = 0;
        n = 0;
        for (int r = 0; r < EXIT_COUNT; r++)
            if (m->vmx.exits_by_reason[r])
                n += (size_t)snprintf(by + n, sizeof by - n, " %s=%llu", vmexit_reason_name[r],
                                      (unsigned long long)m->vmx.exits_by_reason[r]);
        dbg_text_add(t, AT_NORMAL, "VM exits: %llu%s", (unsigned long long)m->vmx.exits, by);
    }
}

/* info pt: the current address space as runs of pages mapped alike. */
struct pt_run {
    bool on;
    uint32_t va, pa, pages, flags;
};

static void pt_flush(struct dbg_text *t, struct pt_run *r, char ps)
{
    if (!r->on) return;
    char fl[8];
    pte_flags(r->flags, fl);
    dbg_text_add(t, AT_NORMAL, "v:0x%08x-0x%08x -> %c:0x%08x  %s  (%u page%s)", r->va, r->va + r->pages * 4096u - 1, ps,
                 r->pa, fl, r->pages, r->pages == 1 ? "" : "s");
    r->on = false;
}

static void pt_leaf(struct dbg_text *t, struct pt_run *r, uint32_t va, uint32_t pa, uint32_t pages, uint32_t flags,
                    char ps)
{
    flags &= PTE_W | PTE_U | PTE_G | PTE_L | PTE_P;
    if (r->on && r->va + r->pages * 4096u == va && r->pa + r->pages * 4096u == pa && r->flags == flags) {
        r->pages += pages;
        return;
    }
    pt_flush(t, r, ps);
    *r = (struct pt_run){true, va, pa, pages, flags};
}

static void pt_table(struct vis_dbg *d, struct dbg_text *t, struct pt_run *run, uint32_t table, unsigned level,
                     uint32_t va, const unsigned *bits, unsigned levels, char ps, unsigned *tables)
{
    (*tables)++;
    unsigned shift = 12;
    for (unsigned i = level + 1; i < levels; i++) shift += bits[i];
    for (uint32_t i = 0; i < (1u << bits[level]); i++) {
        uint32_t pte;
        if (!dbg_read32(d, ps, table + 4 * i, &pte)) {
            dbg_text_add(t, AT_ERROR, "table %c:0x%08x is outside memory", ps, table);
            return;
        }
        if (!(pte & PTE_P)) continue;
        uint32_t v = va | (i << shift);
        if (level == levels - 1 || (pte & PTE_L))
            pt_leaf(t, run, v, pte & PTE_FRAME & ~((1u << shift) - 1), 1u << (shift - 12), pte, ps);
        else
            pt_table(d, t, run, pte & PTE_FRAME, level + 1, v, bits, levels, ps, tables);
    }
}

void dbg_view_pt(struct vis_dbg *d, struct dbg_text *t)
{
    struct machine *m = d->m;
    /* a deprivileged guest's own registers are virtual (dbg_guest_cr) */
    const uint32_t *cr = dbg_guest_cr(d);
    uint32_t mmu = cr[CR_MMU], ptb = cr[CR_PTB];
    char ps = d->hv ? 'g' : 'h';
    if (!(mmu & 1)) {
        dbg_text_add(t, AT_NORMAL, "paging is off: virtual = %s addresses", ps == 'g' ? "guest-physical" : "physical");
        return;
    }
    unsigned bits[MMU_MAX_LEVELS];
    mmu_level_bits(m->levels, bits);
    dbg_text_add(t, AT_HEAD, "page table at %c:0x%08x, %u levels, asid %u", ps, ptb, m->levels, m->cpu.cr[CR_ASID]);
    struct pt_run run = {0};
    unsigned tables = 0;
    pt_table(d, t, &run, ptb & PTE_FRAME, 0, 0, bits, m->levels, ps, &tables);
    pt_flush(t, &run, ps);
    dbg_text_add(t, AT_DIM, "%u table page%s", tables, tables == 1 ? "" : "s");
}

void dbg_view_breaks(struct vis_dbg *d, struct dbg_text *t)
{
    if (!d->nbp) {
        dbg_text_add(t, AT_NORMAL, "no breakpoints or watchpoints");
        return;
    }
    dbg_text_add(t, AT_HEAD, "%-4s %-10s %-32s %s", "num", "type", "where", "hits");
    for (int i = 0; i < d->nbp; i++) {
        const struct dbg_break *b = &d->bp[i];
        char where[160], sym[96];
        switch (b->kind) {
        case BK_ADDR:
            dbg_symbolize(d, b->addr, sym, sizeof sym);
            snprintf(where, sizeof where, "v:0x%08x%s%s%s", b->addr, sym[0] ? " <" : "", sym, sym[0] ? ">" : "");
            break;
        case BK_TRAP:
            snprintf(where, sizeof where, "trap %s", b->what < 0 ? "any" : isa_cause_name[b->what]);
            break;
        case BK_EXIT:
            snprintf(where, sizeof where, "VM exit %s", b->what < 0 ? "any" : vmexit_reason_name[b->what]);
            break;
        case BK_WATCH:
            snprintf(where, sizeof where, "v:0x%08x (h:0x%08x) = 0x%08x", b->addr, b->haddr, b->old);
            break;
        }
        static const char *const kind[] = {"breakpoint", "trap", "exit", "watch"};
        dbg_text_add(t, AT_NORMAL, "%-4d %-10s %-32s %llu%s%s", b->id, kind[b->kind], where,
                     (unsigned long long)b->hits, b->cond[0] ? "  if " : "", b->cond);
    }
}
