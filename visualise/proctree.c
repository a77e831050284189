/*
 * proctree.c — `ringsim dot --processes`: the guest kernel's processes as a
 * tree, one Graphviz cluster per pid namespace (nested as the namespaces
 * are), each process labelled with its pid in its own namespace and in
 * every one above it, its host name, uid and cgroup; an edge from each
 * parent to its child, across namespace boundaries where a container's
 * PID 1 has its parent outside.
 *
 * Processes live in the guest kernel, not in the machine: everything is
 * read from the guest's memory through the layouts the kernel publishes
 * (ns_layout and proc_layout, guests/kernel/ns.s), as the debugger's `info
 * ns` and run's "cgroups" read them, so nothing here knows an offset of
 * the kernel's own.  A kernel built without containers has neither symbol;
 * one with the file system as well (FS=1) also has mnt_layout, and each
 * process shows its mount namespace and what "/" is in it; one with
 * network namespaces (NET=1) net_layout, and each shows its network
 * namespace and address (vis_proc_ns_read, which `info ns` uses too); one
 * with cgroup namespaces (CGNS=1) cgns_layout, and a process in a cgroup
 * namespace other than the initial one shows it and the group that is "/"
 * in it (vis_proc_cgns_read).
 */
#include <stdlib.h>
#include <string.h>

#include "hypervisor/hv.h"
#include "isa/isa.h"
#include "visualise/visualise.h"

/* ns_layout's words (the order of guests/kernel/ns.s), then proc_layout's. */
enum { CUR, PID, UID, NSPID, CG, CGTAB, CGSIZE, PIDNS, PNTAB, PNSIZE, PNLEVEL, UTSNS, UTTAB, UTSIZE, UTNAME,
       USERNS, UNTAB, UNSIZE, UNLEVEL, UNROOT, IPCNS, INTAB, INSIZE, NLAYOUT };
enum { PTAB, NPROCS, PSIZE, PSTATE, PPARENT, PS_UNUSED, PS_EMBRYO, PS_ZOMBIE, PNPARENT, NPLAYOUT };
/* mnt_layout's (guests/kernel/fs.s: kernels with the file system only). */
enum { PMNTNS, MNTAB, MNSIZE, MNROOT, NODES, NPARENT, NNAME, NAMEMAX, NMLAYOUT };
/* net_layout's (guests/kernel/net.s: kernels with network namespaces only). */
enum { PNETNS, NNTAB, NNSIZE, NNADDR, NNSENT, NNRECEIVED, NBRIDGED, NLOOPBACK, NBRIDGEADDR, NNSLOTS, NNREFS,
       NNLAYOUT };

#define MAX_PROCS 64
#define MAX_LEVELS 8
#define HOST_MAX 32

struct gproc {
    uint32_t pid, parent, uid_out, uid_in, pidns, level, cgroup;
    uint32_t nspid[MAX_LEVELS];        /* its pid at each level, 0 = the initial namespace */
    char host[HOST_MAX + 1];
    bool running;
    struct vis_proc_ns more;           /* its mount and network namespaces */
};

struct gns {
    uint32_t addr, parent, level;
    unsigned slot;
};

struct tree {
    const struct machine *m;
    const struct hv *hv;
    uint32_t L[NLAYOUT], P[NPLAYOUT];
    uint32_t mnt_layout, net_layout;   /* their addresses, 0: not in this kernel */
    uint32_t cgns_layout;
    struct gproc procs[MAX_PROCS];
    int nprocs;
    struct gns ns[MAX_PROCS * MAX_LEVELS];
    int nns;
};

static bool word(const struct tree *t, uint32_t gpa, uint32_t *v) { return hv_guest_word(t->m, t->hv, gpa, v); }

static unsigned slot_of(uint32_t addr, uint32_t table, uint32_t size)
{
    return size && addr >= table ? (addr - table) / size : 0;
}

/* The namespace at addr, added (with every one above it) if new; its index. */
static int ns_add(struct tree *t, uint32_t addr)
{
    for (int i = 0; i < t->nns; i++)
        if (t->ns[i].addr == addr) return i;
    if (t->nns >= (int)(sizeof t->ns / sizeof t->ns[0])) return -1;
    struct gns n = {.addr = addr, .slot = slot_of(addr, t->L[PNTAB], t->L[PNSIZE])};
    word(t, addr + t->L[PNLEVEL], &n.level);
    if (n.level) word(t, addr + t->P[PNPARENT], &n.parent);
    if (n.level >= MAX_LEVELS) return -1;
    int i = t->nns++;
    t->ns[i] = n;
    if (n.parent && ns_add(t, n.parent) < 0) return -1;
    return i;
}

/* A string from the guest, safe inside a quoted DOT string. */
static void quote(const char *s, char *out, size_t len)
{
    size_t o = 0;
    for (; *s && o + 3 < len; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') out[o++] = '\\';
        out[o++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
    }
    out[o] = 0;
}

static bool gword(const struct machine *m, const struct hv *hv, uint32_t gpa, uint32_t *v)
{
    return hv_guest_word(m, hv, gpa, v);
}

/* The path of the directory node as the initial namespace names it:
 * its names up to the root node (at most 16 levels); M is mnt_layout. */
static void node_path(const struct machine *m, const struct hv *hv, const uint32_t *M, uint32_t node, char *out,
                      size_t len)
{
    char names[16][16];
    int n = 0;
    while (node && node != M[NODES] && n < 16) {
        uint32_t w[4] = {0}, parent = 0;
        for (uint32_t k = 0; k < 4 && 4 * k < M[NAMEMAX]; k++) gword(m, hv, node + M[NNAME] + 4 * k, &w[k]);
        memcpy(names[n], w, sizeof names[n]);
        names[n][15] = 0;
        n++;
        if (!gword(m, hv, node + M[NPARENT], &parent)) break;
        node = parent;
    }
    size_t o = 0;
    out[0] = 0;
    for (int i = n - 1; i >= 0 && o + 1 < len; i--) o += (size_t)snprintf(out + o, len - o, "/%s", names[i]);
    if (!n) snprintf(out, len, "/");
}

void vis_proc_ns_read(const struct machine *m, const struct hv *hv, uint32_t mnt_layout, uint32_t net_layout,
                      uint32_t p, struct vis_proc_ns *out)
{
    memset(out, 0, sizeof *out);
    uint32_t M[NMLAYOUT], N[NNLAYOUT], mnt = 0, root = 0, net = 0;
    bool ok = mnt_layout != 0;
    for (int i = 0; i < NMLAYOUT && ok; i++) ok = gword(m, hv, mnt_layout + 4 * (uint32_t)i, &M[i]);
    if (ok && gword(m, hv, p + M[PMNTNS], &mnt) && mnt && gword(m, hv, mnt + M[MNROOT], &root)) {
        out->has_mnt = true;
        out->mntns = slot_of(mnt, M[MNTAB], M[MNSIZE]);
        node_path(m, hv, M, root, out->root, sizeof out->root);
    }
    ok = net_layout != 0;
    for (int i = 0; i < NNLAYOUT && ok; i++) ok = gword(m, hv, net_layout + 4 * (uint32_t)i, &N[i]);
    if (ok && gword(m, hv, p + N[PNETNS], &net) && net) {
        out->has_net = true;
        out->netns = slot_of(net, N[NNTAB], N[NNSIZE]);
        gword(m, hv, net + N[NNADDR], &out->addr);
        gword(m, hv, net + N[NNSENT], &out->sent);
        gword(m, hv, net + N[NNRECEIVED], &out->received);
        gword(m, hv, N[NBRIDGED], &out->bridged);
        out->loopback = N[NLOOPBACK];
        out->bridge = N[NBRIDGEADDR];
    }
}

/* cgns_layout's words (guests/kernel/cgns.s: kernels with cgroup namespaces only). */
enum { PCGNS, CNTAB, CNSIZE, CNROOT, CNREFUSED, CNSLOTS, CNREFS, CNCGTAB, CNCGSIZE, CNMADE, CNREFUSEDALL,
       NCNLAYOUT };

void vis_proc_cgns_read(const struct machine *m, const struct hv *hv, uint32_t cgns_layout, uint32_t p,
                        struct vis_proc_ns *out)
{
    uint32_t C[NCNLAYOUT], ns = 0, root = 0;
    bool ok = cgns_layout != 0;
    for (int i = 0; i < NCNLAYOUT && ok; i++) ok = gword(m, hv, cgns_layout + 4 * (uint32_t)i, &C[i]);
    if (ok && gword(m, hv, p + C[PCGNS], &ns) && ns && gword(m, hv, ns + C[CNROOT], &root)) {
        out->has_cgns = true;
        out->cgns = slot_of(ns, C[CNTAB], C[CNSIZE]);
        out->cgns_root = slot_of(root, C[CNCGTAB], C[CNCGSIZE]);
        gword(m, hv, ns + C[CNREFUSED], &out->cgns_refused);
    }
}

void vis_ipv4(uint32_t a, char out[16])
{
    snprintf(out, 16, "%u.%u.%u.%u", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff);
}

static bool read_procs(struct tree *t, char *err, size_t errlen)
{
    uint32_t cur = 0;
    word(t, t->L[CUR], &cur);
    uint32_t n = t->P[NPROCS] < MAX_PROCS ? t->P[NPROCS] : MAX_PROCS;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t p = t->P[PTAB] + i * t->P[PSIZE], state, user = 0, ulevel = 0, uroot = 0, uts = 0, cg = 0;
        if (!word(t, p + t->P[PSTATE], &state)) {
            snprintf(err, errlen, "the process table at g:%08x is outside the guest's memory", t->P[PTAB]);
            return false;
        }
        if (state == t->P[PS_UNUSED] || state == t->P[PS_EMBRYO] || state == t->P[PS_ZOMBIE]) continue;
        struct gproc g = {.running = p == cur};
        word(t, p + t->L[PID], &g.pid);
        word(t, p + t->P[PPARENT], &g.parent);
        word(t, p + t->L[UID], &g.uid_out);
        if (!word(t, p + t->L[PIDNS], &g.pidns) || !g.pidns) continue;     /* exiting: holds none */
        if (ns_add(t, g.pidns) < 0) {
            snprintf(err, errlen, "the guest's pid namespaces are deeper than %d levels", MAX_LEVELS);
            return false;
        }
        word(t, g.pidns + t->L[PNLEVEL], &g.level);
        for (uint32_t l = 0; l <= g.level && l < MAX_LEVELS; l++) word(t, p + t->L[NSPID] + 4 * l, &g.nspid[l]);
        word(t, p + t->L[USERNS], &user);
        word(t, user + t->L[UNLEVEL], &ulevel);
        word(t, user + t->L[UNROOT], &uroot);
        g.uid_in = !ulevel ? g.uid_out : g.uid_out == uroot ? 0 : 65534;
        word(t, p + t->L[UTSNS], &uts);
        uint32_t w[HOST_MAX / 4];
        for (int k = 0; k < HOST_MAX / 4; k++) word(t, uts + t->L[UTNAME] + 4 * (uint32_t)k, &w[k]);
        memcpy(g.host, w, HOST_MAX);
        g.host[HOST_MAX] = 0;
        word(t, p + t->L[CG], &cg);
        g.cgroup = slot_of(cg, t->L[CGTAB], t->L[CGSIZE]);
        vis_proc_ns_read(t->m, t->hv, t->mnt_layout, t->net_layout, p, &g.more);
        vis_proc_cgns_read(t->m, t->hv, t->cgns_layout, p, &g.more);
        t->procs[t->nprocs++] = g;
    }
    return true;
}

/* The namespace at level l above (or at) the one at addr. */
static const struct gns *ancestor(const struct tree *t, uint32_t addr, uint32_t l)
{
    const struct gns *n = NULL;
    for (int hops = 0; hops <= MAX_LEVELS; hops++) {
        n = NULL;
        for (int j = 0; j < t->nns; j++)
            if (t->ns[j].addr == addr) n = &t->ns[j];
        if (!n || n->level <= l) break;
        addr = n->parent;
    }
    return n ? n : &t->ns[0];
}

static void emit_proc(FILE *f, const struct gproc *g, const struct tree *t)
{
    char host[2 * HOST_MAX + 1];
    quote(g->host, host, sizeof host);
    fprintf(f, "%*sp%u [label=\"pid %u", (int)(2 * g->level + 4), "", g->pid, g->nspid[g->level]);
    /* its pid in each namespace above its own, nearest first */
    for (int l = (int)g->level - 1; l >= 0; l--)
        fprintf(f, "\\n= pid %u in pid ns %u", g->nspid[l], ancestor(t, g->pidns, (uint32_t)l)->slot);
    fprintf(f, "\\nhost %s\\nuid %u", host, g->uid_in);
    if (g->uid_in != g->uid_out) fprintf(f, " (%u outside)", g->uid_out);
    if (g->cgroup) fprintf(f, "\\ncgroup %u", g->cgroup);
    if (g->more.has_cgns && g->more.cgns)
        fprintf(f, "\\ncgroup ns %u, / = cgroup %u", g->more.cgns, g->more.cgns_root);
    if (g->more.has_mnt) {
        char root[2 * sizeof g->more.root];
        quote(g->more.root, root, sizeof root);
        fprintf(f, "\\nmnt ns %u, root %s", g->more.mntns, root);
    }
    if (g->more.has_net) {
        char a[16];
        vis_ipv4(g->more.addr, a);
        fprintf(f, "\\nnet ns %u, %s%s", g->more.netns,
                !g->more.addr ? "lo only" : g->more.addr == g->more.bridge ? "br0 " : "eth0 ", g->more.addr ? a : "");
    }
    fprintf(f, "%s\"%s];\n", g->running ? "\\nrunning" : "", g->running ? ", penwidth=2.5" : "");
}

static void emit_ns(FILE *f, const struct tree *t, int i)
{
    const struct gns *n = &t->ns[i];
    int ind = (int)(2 * n->level + 2);
    fprintf(f, "%*ssubgraph cluster_pidns%u {\n", ind, "", n->slot);
    if (n->level)
        fprintf(f, "%*slabel=\"pid namespace %u (level %u)\"; style=\"rounded,filled\"; fillcolor=\"#%s\";\n",
                ind + 2, "", n->slot, n->level, n->level % 2 ? "e8f0fe" : "fef3e0");
    else
        fprintf(f, "%*slabel=\"pid namespace 0 (the initial one: the host)\"; style=rounded;\n", ind + 2, "");
    for (int k = 0; k < t->nprocs; k++)
        if (t->procs[k].pidns == n->addr) emit_proc(f, &t->procs[k], t);
    for (int j = 0; j < t->nns; j++)
        if (t->ns[j].parent == n->addr && j != i) emit_ns(f, t, j);
    fprintf(f, "%*s}\n", ind, "");
}

char *vis_dot_processes(const struct machine *m, const struct hv *hv, const char *image, const char *title,
                        uint64_t cycle, char *err, size_t errlen)
{
    struct isa_image img;
    uint32_t nsl = 0, pl = 0;
    if (!image || !isa_image_load(image, &img, err, errlen)) return NULL;
    uint32_t ml = 0, nl = 0;
    bool ok = isa_image_symbol_addr(&img, "ns_layout", &nsl) && isa_image_symbol_addr(&img, "proc_layout", &pl);
    if (!isa_image_symbol_addr(&img, "mnt_layout", &ml)) ml = 0;
    if (!isa_image_symbol_addr(&img, "net_layout", &nl)) nl = 0;
    uint32_t cl = 0;
    if (!isa_image_symbol_addr(&img, "cgns_layout", &cl)) cl = 0;
    isa_image_free(&img);
    if (!ok) {
        snprintf(err, errlen, "%s has no process table to draw: a kernel built with containers has "
                              "(ringsim dot containers --processes)", image);
        return NULL;
    }
    struct tree *t = calloc(1, sizeof *t);
    if (!t) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    t->m = m;
    t->hv = hv;
    ok = true;
    for (int i = 0; i < NLAYOUT && ok; i++) ok = word(t, nsl + 4 * (uint32_t)i, &t->L[i]);
    for (int i = 0; i < NPLAYOUT && ok; i++) ok = word(t, pl + 4 * (uint32_t)i, &t->P[i]);
    t->mnt_layout = ml;
    t->net_layout = nl;
    t->cgns_layout = cl;
    if (!ok || !t->P[PSIZE] || !t->L[PNSIZE]) {
        snprintf(err, errlen, "the kernel's layouts (ns_layout, proc_layout) are outside the guest's memory");
        free(t);
        return NULL;
    }
    if (!read_procs(t, err, errlen)) {
        free(t);
        return NULL;
    }
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) {
        snprintf(err, errlen, "out of memory");
        free(t);
        return NULL;
    }
    char q[512];
    quote(title, q, sizeof q);
    fprintf(f, "// ringsim dot --processes: the guest kernel's processes at cycle %llu\n", (unsigned long long)cycle);
    fprintf(f, "digraph processes {\n");
    fprintf(f, "  graph [fontname=\"Helvetica\", labelloc=t, label=\"processes of %s at cycle %llu: "
               "a cluster per pid namespace\"];\n",
            q, (unsigned long long)cycle);
    fprintf(f, "  node [shape=box, style=\"rounded,filled\", fillcolor=white, fontname=\"Helvetica\"];\n");
    fprintf(f, "  edge [arrowhead=vee];\n");
    for (int i = 0; i < t->nns; i++)
        if (!t->ns[i].level) emit_ns(f, t, i);
    if (!t->nprocs) fprintf(f, "  none [shape=plaintext, label=\"no live process at this cycle\"];\n");
    for (int k = 0; k < t->nprocs; k++)
        for (int j = 0; j < t->nprocs; j++)
            if (t->procs[j].pid == t->procs[k].parent)
                fprintf(f, "  p%u -> p%u;\n", t->procs[j].pid, t->procs[k].pid);
    fprintf(f, "}\n");
    fclose(f);
    free(t);
    return text;
}
