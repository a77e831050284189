/*
 * trace.c — events as text, one line each: `ringsim run --trace` and the
 * debugger's Events pane print the very same lines.
 *
 * The CPU, the MMU and the hypervisor report traps, returns, VM exits and
 * entries, TLB misses with their walks, flushes, and shadow and
 * binary-translation work through one hook (cpu_trace, cpu/cpu.h).  Here an
 * event becomes a line:
 *
 *     CYCLE KIND FIELD=VALUE … [| REF REF …]
 *
 * The one idea: every address says which address space it lives in —
 * `v:` virtual (as the CPU issued it, a guest-virtual address in a VM),
 * `g:` guest-physical, `h:` host-physical (the machine's own memory) — and
 * every reference of a walk says its dimension and level (`G2`, `H0`), so a
 * line of a nested walk can be read without knowing the mode it came from.
 * docs/debugger.md gives the grammar.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "hypervisor/hv.h"
#include "visualise/timeline.h"

/* A bounded appender: keeps writing into buf, never past len. */
struct out {
    char *buf;
    size_t len, n;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct out *o, const char *fmt, ...)
{
    if (o->n + 1 >= o->len) return;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(o->buf + o->n, o->len - o->n, fmt, ap);
    va_end(ap);
    if (k > 0) o->n += (size_t)k < o->len - o->n ? (size_t)k : o->len - o->n - 1;
}

static void fault_bits(struct out *o, uint32_t f)
{
    static const struct { uint32_t bit; const char *name; } names[] = {
        {FAULT_PRESENT, "present"}, {FAULT_WRITE, "write"}, {FAULT_USER, "user"},
        {FAULT_FETCH, "fetch"}, {FAULT_BUS, "bus"}, {FAULT_NESTED, "nested"},
    };
    const char *sep = "";
    if (!(f & FAULT_PRESENT)) { put(o, "notpresent"); sep = ","; }
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (f & names[i].bit) { put(o, "%s%s", sep, names[i].name); sep = ","; }
}

static const char *const access_name[] = {"read", "write", "fetch"};

/* What an exit's qualification means, per reason (cpu.h VMEXIT_REASONS). */
static void exit_qual(struct out *o, const struct vis_trace_context *x, enum vmexit_reason r, uint32_t q)
{
    put(o, " qual=0x%x", q);
    switch (r) {
    case EXIT_EXCEPTION:
        if (q < CAUSE_COUNT) put(o, " cause=%s", isa_cause_name[q]);
        break;
    case EXIT_IO: {
        const char *port = isa_port_name(q & 0xffff);
        put(o, " io=%s port=0x%x(%s) reg=%s", q & 0x10000u ? "out" : "in", q & 0xffff,
            port ? port : "?", isa_reg_name((int)((q >> 20) & 15)));
        break;
    }
    case EXIT_CR_ACCESS:
        if (q < CR_COUNT) put(o, " cr=%s", isa_creg_name[q]);
        break;
    case EXIT_INVLPG:
        put(o, " addr=v:0x%08x", q);
        break;
    case EXIT_SENSITIVE:
        if (q < OP_COUNT) put(o, " insn=%s", isa_info[q].mnemonic);
        break;
    case EXIT_VMCALL:
        put(o, " r1=0x%x", q);
        break;
    case EXIT_EPT_VIOLATION:
        put(o, " gpa=g:0x%08x va=v:0x%08x", q, x->exit_guest_va);
        break;
    default:
        break;
    }
}

void vis_walk_ref_text(const struct walk_result *w, int i, bool two_d, char *buf, size_t len)
{
    const struct walk_ref *r = &w->refs[i];
    char tag = r->dim == DIM_HOST || !two_d ? 'h' : 'g';
    snprintf(buf, len, "%c%u%s %c:0x%08x[%u]=0x%08x", r->dim == DIM_HOST ? 'H' : 'G', r->level,
             r->kind == WALK_AD_WRITE ? "+ad" : "", tag, r->table, r->index, r->pte);
}

bool vis_walk_is_2d(const struct machine *m)
{
    return m->cpu.nonroot && m->vmx.nested;
}

struct mmu_walk_ctx vis_guest_tables_ctx(const struct machine *m, int vm, const uint32_t guest_cr[CR_COUNT])
{
    const struct vm *v = &m->hv->vms[vm];
    struct mmu_walk_ctx c = mmu_walk_ctx_of(m, guest_cr, -1);
    c.mem = m->mem + v->base;
    c.memsize = v->size;
    return c;
}

void vis_trace_context(const struct machine *m, const struct trace_event *ev, struct vis_trace_context *x)
{
    memset(x, 0, sizeof *x);
    x->nonroot = m->cpu.nonroot;
    x->two_d = vis_walk_is_2d(m);
    x->vm = m->vmx.cur;
    x->sr = m->cpu.cr[CR_SR];
    x->fault = m->cpu.cr[CR_FAULT];
    x->tlb_sets = m->mmu.tlb_sets;
    if (ev->c < MAX_VMS) {
        const struct vmcs *v = &m->vmx.vmcs[ev->c];
        x->exit_guest_va = v->exit_guest_va;
        x->inject = v->inject;
        x->inject_cause = v->inject_cause;
    }
}

int vis_walk_reads(const struct walk_result *w)
{
    int n = 0;
    for (int i = 0; i < w->nrefs; i++) n += w->refs[i].kind == WALK_READ;
    return n;
}

static void walk_line(struct out *o, const struct vis_trace_context *x, const struct trace_event *ev, bool refs)
{
    const struct walk_result *w = ev->walk;
    if (!w) return;
    const char *acc = ev->c < 3 ? access_name[ev->c] : "?";
    put(o, " v:0x%08x %s", w->vaddr, acc);
    if (ev->a) {
        put(o, " fault=");
        fault_bits(o, ev->a);
    } else {
        put(o, " -> h:0x%08x", ev->b);
    }
    put(o, " refs=%d", vis_walk_reads(w));
    if (x->tlb_sets) put(o, " set=%u", (w->vaddr >> 12) & (x->tlb_sets - 1));
    put(o, " cost=%llu", (unsigned long long)ev->cost);
    if (!refs || !w->nrefs) return;
    bool two_d = x->two_d;
    put(o, " |");
    int k = 0;
    for (int i = 0; i < w->nrefs; i++) {
        char ref[96];
        vis_walk_ref_text(w, i, two_d, ref, sizeof ref);
        if (w->refs[i].kind == WALK_READ) put(o, " #%d %s", ++k, ref);
        else put(o, " %s", ref);
    }
}

/* A device event (cpu/devtrace.c): a doorbell, a DMA transfer, an interrupt. */
static void dev_line(struct out *o, const struct trace_event *ev)
{
    static const char *const way[] = {"native", "posted", "injected", "?"};
    unsigned what = ev->a & 3, dev = (ev->a >> 2) & 3, flags = (ev->a >> 4) & 15, n = ev->a >> 8;
    put(o, " %s", dev < DEV_ID_COUNT ? dev_id_name[dev] : "?");
    if (what == DEV_DOORBELL) {
        const char *port = isa_port_name(n);
        put(o, " doorbell port=%s took=%u", port ? port : "?", ev->b);
    } else if (what == DEV_DMA) {
        if (flags & DEV_DMA_RING) put(o, " dma ring addr=g:0x%08x", ev->b);
        else put(o, " dma %s addr=g:0x%08x bytes=%u", flags & DEV_DMA_TO_MEM ? "to-mem" : "from-mem", ev->b, ev->c);
        if (flags & DEV_DMA_IOMMU) put(o, " iommu refs=%u", n);
        if (flags & DEV_DMA_FAILED) put(o, " failed");
    } else if (what == DEV_IRQ) {
        put(o, " irq cause=%s", ev->b < CAUSE_COUNT ? isa_cause_name[ev->b] : "?");
        if (ev->c != UINT32_MAX) put(o, " vm=%u", ev->c);
        put(o, " %s", way[flags & 3]);
    }
    if (what != DEV_IRQ) put(o, " busy=%llu", (unsigned long long)ev->busy);
}

void vis_trace_format_context(const struct vis_trace_context *x, const struct trace_event *ev, bool refs, char *buf,
                              size_t len)
{
    struct out o = {buf, len, 0};
    if (len) buf[0] = 0;
    put(&o, "%llu %s", (unsigned long long)ev->cycle, trace_kind_name[ev->kind]);
    int vm = x->vm;
    switch (ev->kind) {
    case TR_TRAP: {
        enum isa_cause c = (enum isa_cause)ev->a;
        put(&o, " cause=%s", c < CAUSE_COUNT ? isa_cause_name[c] : "?");
        if (x->nonroot) put(&o, " vm=%d", vm);
        put(&o, " ring=%u epc=v:0x%08x", SR_RING(x->sr), ev->c);
        if (c == CAUSE_PAGE_FAULT || c == CAUSE_MISALIGNED || c == CAUSE_BUS_ERROR) {
            put(&o, " badaddr=v:0x%08x", ev->b);
            if (c == CAUSE_PAGE_FAULT) {
                put(&o, " fault=");
                fault_bits(&o, x->fault);
            }
        } else if (c == CAUSE_DOUBLE && ev->b < CAUSE_COUNT) {
            put(&o, " first=%s", isa_cause_name[ev->b]);
        } else if (c == CAUSE_HYPERCALL) {
            put(&o, " call=%s", ev->b < PV_HC_COUNT && pv_hypercall_name[ev->b] ? pv_hypercall_name[ev->b] : "?");
        }
        break;
    }
    case TR_IRET:
        if (x->nonroot) put(&o, " vm=%d", vm);
        put(&o, " pc=v:0x%08x ring=%u ie=%u", ev->a, SR_RING(ev->b), ev->b & SR_IE);
        break;
    case TR_VMEXIT: {
        enum vmexit_reason r = (enum vmexit_reason)ev->a;
        put(&o, " vm=%u reason=%s", ev->c, r < EXIT_COUNT ? vmexit_reason_name[r] : "?");
        if (r < EXIT_COUNT) exit_qual(&o, x, r, ev->b);
        put(&o, " pc=v:0x%08x", ev->pc);
        break;
    }
    case TR_VMENTRY:
        put(&o, " vm=%u pc=v:0x%08x", ev->c, ev->pc);
        if (x->inject) {
            enum isa_cause c = (enum isa_cause)x->inject_cause;
            put(&o, " inject=%s", c < CAUSE_COUNT ? isa_cause_name[c] : "?");
        }
        break;
    case TR_WALK:
        walk_line(&o, x, ev, refs);
        return;   /* cost already written, refs last */
    case TR_FLUSH:
        if (ev->a) put(&o, " all");
        else put(&o, " page v:0x%08x", ev->b);
        break;
    case TR_SHADOW:
        /* hypervisor/shadow.c: 0 and 1 hidden faults (b = va, c = gpa), 2 a traced write */
        if (ev->a == 2) put(&o, " tracing gpa=g:0x%08x", ev->b);
        else if (ev->a == 1) put(&o, " hidden va=v:0x%08x gpa=g:0x%08x", ev->b, ev->c);
        else if (ev->a == 0) put(&o, " hidden va=v:0x%08x", ev->b);
        else put(&o, " what=%u addr=0x%08x", ev->a, ev->b);
        break;
    case TR_EMULATE:
        put(&o, " %s pc=v:0x%08x", ev->a < OP_COUNT ? isa_info[ev->a].mnemonic : "?", ev->b);
        break;
    case TR_HV:
        /* cpu/trap.c and the bt callout: the hypervisor takes the CPU, or gives it back */
        if (ev->a && ev->b < CAUSE_COUNT)
            put(&o, " enter cause=%s ring=%u epc=v:0x%08x", isa_cause_name[ev->b], SR_RING(x->sr), ev->c);
        else if (ev->a)
            put(&o, " enter callout ring=%u pc=v:0x%08x", SR_RING(x->sr), ev->c);
        else
            put(&o, " leave ring=%u pc=v:0x%08x", SR_RING(x->sr), ev->b);
        break;
    case TR_STOP:
        put(&o, " reason=%s", ev->a < STOP_COUNT ? stop_reason_name[ev->a] : "?");
        break;
    case TR_MIGRATE:
        /* hypervisor/migrate.c: a = what | the VM's label << 8 */
        put(&o, " vm=%u", ev->a >> 8);
        if ((ev->a & 0xff) == 0) put(&o, " round=%u pages=%u", ev->b, ev->c);
        else if ((ev->a & 0xff) == 1) put(&o, " stop-and-copy pages=%u downtime=%u", ev->b, ev->c);
        else if ((ev->a & 0xff) == 2) put(&o, " resume stale_pages=%u", ev->b);
        else if ((ev->a & 0xff) == 3) put(&o, " ended-before-the-move");
        /* cli/machine.c and cli/run.c: save files (docs/savefile.md) */
        else if ((ev->a & 0xff) == 4) put(&o, " saved bytes=%u", ev->b);
        else if ((ev->a & 0xff) == 5) put(&o, " restored");
        else if ((ev->a & 0xff) == 6) put(&o, " cloned clones=%u shared_pages=%u", ev->b, ev->c);
        else put(&o, " what=%u", ev->a & 0xff);
        break;
    case TR_DEV:
        dev_line(&o, ev);
        break;
    case TR_BT:
        /* cpu/decode.c: a = 0 a block translated, b = its guest address, c = instructions */
        if (ev->a == 0) put(&o, " translate pc=v:0x%08x insns=%u", ev->b, ev->c);
        else put(&o, " what=%u pc=v:0x%08x", ev->a, ev->b);
        break;
    default:
        break;
    }
    put(&o, " cost=%llu", (unsigned long long)ev->cost);
}

void vis_trace_format(const struct machine *m, const struct trace_event *ev, bool refs, char *buf, size_t len)
{
    struct vis_trace_context x;
    vis_trace_context(m, ev, &x);
    vis_trace_format_context(&x, ev, refs, buf, len);
}

/* ---- `ringsim run --trace SPEC[:FILE]` -------------------------------------
 * A trace can be long and its file can fill up (a full disk, /dev/full):
 * the first write error is kept, writing stops there (formatting lines
 * nobody will read is wasted time), and vis_trace_close reports it, so that
 * the run fails instead of leaving a truncated trace behind in silence. */
struct trace_ctx {
    FILE *f;
    bool owned;          /* opened here (closed by vis_trace_close), not stdout or stderr */
    int error;           /* errno of the first failed write, 0 while all is well */
    unsigned kinds;      /* bit per enum trace_kind */
    bool refs;           /* walks with every reference */
    bool chrome;         /* --trace-format chrome: the timeline (timeline.c) as Trace Event JSON */
    struct tl tl;
    struct tl_chrome ch;
    char title[160];
    char name[];         /* the file, for messages */
};

static void trace_hook(void *ctx, struct machine *m, const struct trace_event *ev)
{
    struct trace_ctx *t = ctx;
    if (t->error || !(t->kinds & (1u << ev->kind))) return;
    char line[4096];
    vis_trace_format(m, ev, t->refs, line, sizeof line);
    errno = 0;
    if (fputs(line, t->f) == EOF || fputc('\n', t->f) == EOF) t->error = errno ? errno : EIO;
}

/* The timeline takes every event: its slices need them all. */
static void chrome_hook(void *ctx, struct machine *m, const struct trace_event *ev)
{
    struct trace_ctx *t = ctx;
    if (t->ch.error) return;
    struct vis_trace_context x;
    vis_trace_context(m, ev, &x);
    tl_event(&t->tl, ev, &x);
}

bool vis_trace_format_named(const char *name, enum vis_trace_format *format)
{
    if (!strcmp(name, "text")) *format = VIS_TRACE_TEXT;
    else if (!strcmp(name, "chrome")) *format = VIS_TRACE_CHROME;
    else return false;
    return true;
}

bool vis_trace_parse(const char *spec, unsigned *kinds, bool *refs, const char **file)
{
    static const struct { const char *name; unsigned kinds; } cats[] = {
        {"tlb", 1u << TR_WALK | 1u << TR_FLUSH},
        {"walk", 1u << TR_WALK},
        {"trap", 1u << TR_TRAP | 1u << TR_IRET | 1u << TR_EMULATE},
        {"exit", 1u << TR_VMEXIT | 1u << TR_VMENTRY},
        {"bt", 1u << TR_BT},
        {"shadow", 1u << TR_SHADOW},
        {"hv", 1u << TR_HV},
        {"stop", 1u << TR_STOP},
        {"migrate", 1u << TR_MIGRATE},
        {"dev", 1u << TR_DEV},
        {"all", (1u << TR_COUNT) - 1},
    };
    *kinds = 0;
    *refs = false;
    *file = NULL;
    const char *p = spec;
    while (*p && *p != ':') {
        size_t n = strcspn(p, ",:");
        size_t i = 0;
        for (; i < sizeof cats / sizeof cats[0]; i++)
            if (strlen(cats[i].name) == n && strncmp(p, cats[i].name, n) == 0) break;
        if (i == sizeof cats / sizeof cats[0]) return false;
        *kinds |= cats[i].kinds;
        if (!strcmp(cats[i].name, "walk") || !strcmp(cats[i].name, "all")) *refs = true;
        p += n;
        if (*p == ',') p++;
    }
    if (*p == ':') {
        if (!p[1]) return false;
        *file = p + 1;
    }
    return *kinds != 0;
}

bool vis_trace_install(struct machine *m, const char *spec, enum vis_trace_format format, const char *title,
                       char *err, size_t errlen)
{
    unsigned kinds;
    bool refs;
    const char *file;
    if (!vis_trace_parse(spec, &kinds, &refs, &file)) {
        snprintf(err, errlen, "--trace '%s': expected a comma-separated list of tlb, walk, trap, exit, "
                              "bt, shadow, hv, stop, migrate (or all), then optionally :FILE", spec);
        return false;
    }
    const char *name = !file ? "stderr" : strcmp(file, "-") == 0 ? "stdout" : file;
    struct trace_ctx *t = calloc(1, sizeof *t + strlen(name) + 1);
    if (!t) {
        snprintf(err, errlen, "--trace: out of memory");
        return false;
    }
    memcpy(t->name, name, strlen(name) + 1);
    t->kinds = kinds;
    t->refs = refs;
    t->f = !file ? stderr : strcmp(file, "-") == 0 ? stdout : fopen(file, "w");
    t->owned = t->f != stderr && t->f != stdout;
    if (!t->f) {
        snprintf(err, errlen, "--trace: cannot write %s: %s", file, strerror(errno));
        free(t);
        return false;
    }
    m->trace = trace_hook;
    m->trace_ctx = t;
    if (format == VIS_TRACE_CHROME) {
        t->chrome = true;
        t->ch.f = t->f;
        t->ch.counters = kinds & (1u << TR_WALK);
        t->ch.instants = kinds & (1u << TR_SHADOW | 1u << TR_TRAP);
        snprintf(t->title, sizeof t->title, "%s", title ? title : "ringsim");
        struct tl_sink sink;
        tl_chrome_begin(&t->ch, t->title, &sink);
        tl_init(&t->tl, &sink);
        m->trace = chrome_hook;
    }
    return true;
}

bool vis_trace_close(struct machine *m, char *err, size_t errlen)
{
    if (m->trace != trace_hook && m->trace != chrome_hook) return true;
    struct trace_ctx *t = m->trace_ctx;
    m->trace = NULL;
    m->trace_ctx = NULL;
    if (t->chrome) {
        tl_finish(&t->tl, m->st.cycles);
        tl_chrome_end(&t->ch, t->title);
        t->error = t->ch.error;
    }
    /* buffered lines are only written now: their errors show here */
    int e = t->error;
    errno = 0;
    if ((t->owned ? fclose(t->f) : fflush(t->f)) != 0 && !e) e = errno ? errno : EIO;
    if (e) snprintf(err, errlen, "%s: %s", t->name, strerror(e));
    free(t);
    return e == 0;
}
