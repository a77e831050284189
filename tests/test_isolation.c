/*
 * test_isolation.c — the attack suite: every hostile guest of
 * guests/attacks/ under every technique, judged against bare metal.
 *
 * An attack's native run is the reference.  A virtualised run of it is
 * *contained* when
 *   1. it prints the same as the native run (same ISA, same options) and
 *      ends with the same exit status — where bare metal itself stops with
 *      a triple fault, the same stop;
 *   2. hv_audit (hypervisor/audit.c) holds every CHUNK instructions and at
 *      the end, and no page walk the MMU made ever produced a host address
 *      outside the VM (a trace hook watches every walk);
 *   3. every host byte outside the attacker's VM is as it was before the run,
 *      except the hypervisor's own table frames (the shadow pool, the
 *      nested and boot tables), which it may change at will;
 *   4. beside a victim VM (hw with nested paging, `ATTACK syscall`, and
 *      `syscall ATTACK`, where the attacker's memory is at the top of host
 *      memory, not at 0), the victim prints exactly what it prints alone.
 * Differences that are Popek and Goldberg's, not the hypervisor's — red
 * pills run deprivileged on the classic ISA under te and bt, the lines the
 * attacks print as "pill …" — count as "differs by design" when they are
 * the only difference.  Under pv an ordinary kernel is refused (a
 * triple-fault stop naming it no paravirtual kernel): "refused".  The
 * container rows are the guest kernel with containers (guests/escape.s,
 * netns.s as attacks): the guard is the kernel, and its refusals must be
 * bare metal's under every technique while the audit holds.
 *
 * The machines are built in-process with cli_machine_load (the very
 * function `ringsim run` uses), run in chunks with machine_run(m, CHUNK),
 * audited between chunks; console output is split by VM as it is written.
 * Each Test asserts containment in every mode; they fail until the
 * hypervisor contains the attack — that is their job.  With
 * RINGSIM_ISOLATION_ROWS=DIR each Test also writes its rows of
 * docs/isolation.md there (tools/isolation.sh, `make isolation`).
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "hypervisor/hv.h"
#include "tests/helpers.h"

#define CHUNK 20000u                    /* instructions between two audits */
#define MIN_CYCLES 20000000u            /* a virtualised run's cycle budget is at least this, */
#define CYCLE_FACTOR 20u                /* or this times the native run's */
#define KERNEL_CYCLE_FACTOR 60u         /* a whole kernel under bt: its code is translated (about 20x) */
#define VICTIM "syscall"

/* ---- the attacks --------------------------------------------------------- */
struct attack {
    const char *name;                   /* guests/attacks/NAME.s */
    const char *variant;                /* a second row of the same guest: its label, NULL */
    const char *args;                   /* --args (every VM gets them) */
    const char *input;                  /* --input (the machine's console; in a VM the first VM's) */
    uint32_t mem;                       /* --mem, 0 = 16 MiB */
    bool pv_only;                       /* a paravirtual kernel (pv_*.s): the pv column alone */
    bool kernel;                        /* the guest kernel (guests/kernel/): the pv column runs its
                                         * paravirtual build (-D PV=1, as guests/pv/ are), and a
                                         * run's budget is KERNEL_CYCLE_FACTOR times bare metal's */
};

/* The suite's own attacks, in table order.  Attacks without options of
 * their own get --args 200: they ignore it, and the victim beside them
 * then runs 200 iterations, not its default 2000. */
static const struct attack attacks[] = {
    {"shadow_two_levels", NULL, "200", NULL, 0, false, false},
    {"shadow_selfref", NULL, "200", NULL, 0, false, false},
    {"shadow_root_outside", NULL, "200", NULL, 0, false, false},
    {"shadow_root_outside", "far root", "f", NULL, 0, false, false},
    {"shadow_root_outside", "root switched", "s", NULL, 0, false, false},
    {"tables_point_outside", NULL, "200", NULL, 14u << 20, false, false},
    {"ring3_privileged", NULL, "200", NULL, 0, false, false},
    {"ring3_privileged", "ring 1", "1", NULL, 0, false, false},
    {"hypercall_garbage", NULL, "200", NULL, 0, false, false},
    {"interrupt_storm", NULL, "200", "abcdefgh", 0, false, false},
    {"ad_bits", NULL, "200", NULL, 0, false, false},
    {"port_abuse", NULL, "200", NULL, 0, false, false},
    {"vector_outside", NULL, "200", NULL, 0, false, false},
    {"asid_alias", NULL, "200", NULL, 0, false, false},
    {"cr_abuse", NULL, "200", NULL, 0, false, false},
    {"ring1_paging", NULL, "200", NULL, 0, false, false},
    /* containers: the guest kernel is the guard, the hypervisor's audit watches */
    {"container_escape", NULL, "200", NULL, 0, false, true},
    {"container_netns", NULL, "200", NULL, 0, false, true},
    {"container_cgroupns", NULL, "200", NULL, 0, false, true},
    /* the network interface: malformed descriptors and rings, a spoofed frame */
    {"net_ring", NULL, "200", NULL, 0, false, false},
};
#define NATTACKS (sizeof attacks / sizeof attacks[0])

/* ---- the columns ------------------------------------------------------------ */
struct column {
    const char *title;
    const char *mode, *mmu;
    enum isa_variant isa;
    bool victim;                        /* ATTACK VICTIM, two VMs */
    bool second;                        /* VICTIM ATTACK: the attacker is VM 1, at the top of host memory */
    bool by_design;                     /* red pills may differ here (Popek and Goldberg) */
};
static const struct column columns[] = {
    {"te strict", "te", "shadow", ISA_STRICT, false, false, false},
    {"te classic", "te", "shadow", ISA_CLASSIC, false, false, true},
    {"bt strict", "bt", "shadow", ISA_STRICT, false, false, false},
    {"bt classic", "bt", "shadow", ISA_CLASSIC, false, false, true},
    {"hw shadow strict", "hw", "shadow", ISA_STRICT, false, false, false},
    {"hw shadow classic", "hw", "shadow", ISA_CLASSIC, false, false, false},
    {"hw nested strict", "hw", "nested", ISA_STRICT, false, false, false},
    {"hw nested classic", "hw", "nested", ISA_CLASSIC, false, false, false},
    {"hw nested + victim", "hw", "nested", ISA_CLASSIC, true, false, false},
    {"hw nested, victim first", "hw", "nested", ISA_CLASSIC, true, true, false},
    {"pv", "pv", NULL, ISA_CLASSIC, false, false, false},
};
#define NCOLUMNS (sizeof columns / sizeof columns[0])

/* ---- one run ------------------------------------------------------------------ */
/* Console output, split by the VM that wrote it (the one the hypervisor is
 * serving when the byte comes out). */
struct capture {
    struct hv *hv;
    char *buf[MAX_VMS];
    size_t len[MAX_VMS], cap[MAX_VMS];
};

static ssize_t capture_write(void *cookie, const char *data, size_t n)
{
    struct capture *c = cookie;
    int vm = c->hv && c->hv->running >= 0 ? c->hv->running : 0;
    if (c->len[vm] + n + 1 > c->cap[vm]) {
        size_t cap = (c->len[vm] + n + 1) * 2;
        char *b = realloc(c->buf[vm], cap);
        if (!b) return -1;
        c->buf[vm] = b;
        c->cap[vm] = cap;
    }
    memcpy(c->buf[vm] + c->len[vm], data, n);
    c->len[vm] += n;
    c->buf[vm][c->len[vm]] = 0;
    return (ssize_t)n;
}

/* What a walk monitor saw: the first walk that ended outside its VM. */
struct monitor {
    struct hv *hv;
    char escape[400];
};

static void monitor_trace(void *ctx, struct machine *m, const struct trace_event *ev)
{
    struct monitor *mon = ctx;
    if (ev->kind != TR_WALK || !ev->walk || ev->walk->faulted || mon->escape[0] || !mon->hv) return;
    struct hv *hv = mon->hv;
    int vm = hv->cfg.mode == HV_HW ? (m->cpu.nonroot ? m->vmx.cur : -1) : 0;
    if (vm < 0) {
        snprintf(mon->escape, sizeof mon->escape, "a page walk (VA 0x%08x -> host 0x%08x) while no VM was loaded",
                 ev->walk->vaddr, ev->walk->pa);
        return;
    }
    const struct vm *v = &hv->vms[vm];
    uint32_t pa = ev->walk->pa;
    /* past host memory the access is a bus error: nothing reached */
    if (pa >= m->memsize || (pa >= v->base && pa - v->base < v->size)) return;
    snprintf(mon->escape, sizeof mon->escape,
             "VM %s: a page walk for VA 0x%08x gave host 0x%08x, outside the VM's 0x%08x..0x%08x", v->name,
             ev->walk->vaddr, pa, v->base, v->base + v->size - 1);
}

struct outcome {
    char *out;                          /* the attacker's console (VM 0), prefixes removed */
    char *victim;                       /* the victim's, when there is one */
    int status;                         /* as `ringsim run` would exit */
    bool victim_ok;                     /* the victim ended by itself, exit 0 */
    bool refused;                       /* pv: not a paravirtual kernel */
    uint64_t cycles;
    char escape[600];                   /* the first isolation failure, "" if none */
    char detail[300];                   /* how the machine stopped */
};

static void outcome_free(struct outcome *o)
{
    free(o->out);
    free(o->victim);
    memset(o, 0, sizeof *o);
}

/* A copy of VM i's console with "[name] " taken off every line. */
static char *unprefix(const struct capture *c, const struct hv *hv, int i)
{
    const char *s = c->buf[i] ? c->buf[i] : "";
    char *r = malloc(strlen(s) + 1), *w = r;
    cr_assert(r);
    char pre[48];
    snprintf(pre, sizeof pre, "[%s] ", hv && hv->nvms > 1 ? hv->vms[i].name : "");
    size_t pl = hv && hv->nvms > 1 ? strlen(pre) : 0;
    bool bol = true;
    while (*s) {
        if (bol && pl && strncmp(s, pre, pl) == 0) s += pl;
        bol = *s == '\n';
        *w++ = *s++;
    }
    *w = 0;
    return r;
}

/* The host ranges a run may change: the attacker's VM (and the victim's),
 * the hypervisor's own tables.  Everything else must stay as it was. */
struct range { uint64_t lo, hi; };
static int allowed_ranges(const struct hv *hv, struct range *r)
{
    int n = 0;
    for (int i = 0; i < hv->nvms; i++) r[n++] = (struct range){hv->vms[i].base, (uint64_t)hv->vms[i].base + hv->vms[i].size};
    /* the nested (and pv boot) tables: from above VM 0's region up to what
     * the hypervisor had allocated when the VMs were made */
    uint32_t lo = hv->vms[0].base + (hv->vms[0].size + HV_VM_ALIGN - 1) / HV_VM_ALIGN * HV_VM_ALIGN;
    if (hv->next_frame > lo) r[n++] = (struct range){lo, hv->next_frame};
    if (hv->sh.frames_end > hv->sh.frames_start) r[n++] = (struct range){hv->sh.frames_start, hv->sh.frames_end};
    return n;
}

/* The gaps between the allowed ranges: what a run must leave alone.  Only
 * they are copied before the run (copying all of host memory for every run
 * would cost more than the runs). */
static int forbidden_gaps(struct range *r, int n, uint64_t size, struct range *gaps)
{
    for (int i = 1; i < n; i++)           /* sort by start (a handful) */
        for (int j = i; j > 0 && r[j].lo < r[j - 1].lo; j--) {
            struct range t = r[j];
            r[j] = r[j - 1];
            r[j - 1] = t;
        }
    int g = 0;
    uint64_t at = 0;
    for (int i = 0; i <= n; i++) {
        uint64_t end = i < n ? r[i].lo : size;
        if (end > size) end = size;
        if (end > at) gaps[g++] = (struct range){at, end};
        if (i < n && r[i].hi > at) at = r[i].hi;
    }
    return g;
}

/* Runs img (and the victim) under column col (NULL: natively, with isa). */
static void run_one(const struct attack *at, const char *img, const struct column *col, enum isa_variant isa,
                    uint64_t max_cycles, struct outcome *o)
{
    memset(o, 0, sizeof *o);
    struct machine_opts opt;
    cli_machine_defaults(&opt);
    opt.mode = col ? col->mode : "native";
    opt.mmu = col ? col->mmu : NULL;
    opt.isa = col ? col->isa : isa;
    opt.args = at->args;
    opt.input = at->input;
    if (at->mem) opt.memsize = at->mem;
    opt.max_cycles = max_cycles;
    bool second = col && col->second;
    char *images[2] = {(char *)img, (char *)VICTIM};
    if (second) {
        images[0] = (char *)VICTIM;
        images[1] = (char *)img;
    }
    int nimages = col && col->victim ? 2 : 1;
    int att = second ? 1 : 0, vic = 1 - att;     /* which VM is which */
    /* pass-through attacks (guests/attacks/disk_passthrough.s): every VM
     * gets a fresh disk, and under hw with nested paging the attacker's is
     * passed through to it, behind the IOMMU */
    char disks[2][600];
    if (!strcmp(at->name, "disk_passthrough")) {
        for (int i = 0; i < nimages; i++) {
            snprintf(disks[i], sizeof disks[i], "%s/pt-disk-%d.img", temp_dir(), i);
            unlink(disks[i]);
            strcat(disks[i], ":create=256K");
            opt.disks[i] = disks[i];
        }
        opt.ndisks = nimages;
        if (col && !strcmp(col->mode, "hw") && !strcmp(col->mmu, "nested")) opt.passthrough = att + 1;
    }
    /* network attacks (guests/attacks/net_*.s): every VM an interface on
     * one switch, and under hw with nested paging the attacker's passed
     * through to it, behind the IOMMU */
    if (!strncmp(at->name, "net_", 4)) {
        opt.net = true;
        if (col && !strcmp(col->mode, "hw") && !strcmp(col->mmu, "nested")) opt.passthrough = att + 1;
    }

    /* the hypervisor reports a VM it kills on stderr: keep the test's quiet */
    fflush(stderr);
    int saved_err = dup(2), devnull = open("/dev/null", O_WRONLY);
    if (devnull >= 0) dup2(devnull, 2);

    struct cli_machine cm;
    if (!cli_machine_load(&opt, images, nimages, "isolation", &cm)) {
        o->status = EXIT_USAGE;
        snprintf(o->detail, sizeof o->detail, "the machine could not be built");
        o->out = strdup("");
        goto restore;
    }
    struct machine *m = cm.m;
    struct hv *hv = cm.hv;
    struct capture cap = {.hv = hv};
    FILE *con = fopencookie(&cap, "w", (cookie_io_functions_t){.write = capture_write});
    cr_assert(con);
    setvbuf(con, NULL, _IONBF, 0);       /* each byte to the VM writing it */
    m->con.out = con;
    struct monitor mon = {.hv = hv};
    if (hv) {
        m->trace = monitor_trace;
        m->trace_ctx = &mon;
    }
    cli_machine_start(&cm);

    /* what the run may not touch, as it is before the guest's first instruction */
    struct range allowed[MAX_VMS + 2], gaps[MAX_VMS + 3];
    int ngaps = hv ? forbidden_gaps(allowed, allowed_ranges(hv, allowed), m->memsize, gaps) : 0;
    size_t saved_bytes = 0;
    for (int i = 0; i < ngaps; i++) saved_bytes += gaps[i].hi - gaps[i].lo;
    uint8_t *before = malloc(saved_bytes + 1);
    cr_assert(before);
    for (size_t i = 0, at = 0; i < (size_t)ngaps; at += gaps[i].hi - gaps[i].lo, i++)
        memcpy(before + at, m->mem + gaps[i].lo, gaps[i].hi - gaps[i].lo);
    char why[512];
    if (hv && !hv_audit(hv, why, sizeof why)) snprintf(o->escape, sizeof o->escape, "before the first instruction: %s", why);
    while (!o->escape[0]) {
        enum stop_reason r = machine_run(m, CHUNK);
        if (mon.escape[0]) snprintf(o->escape, sizeof o->escape, "%s", mon.escape);
        else if (hv && !hv_audit(hv, why, sizeof why)) snprintf(o->escape, sizeof o->escape, "%s", why);
        if (r != STOP_STEPS) break;
    }
    for (size_t i = 0, at = 0; i < (size_t)ngaps && !o->escape[0]; at += gaps[i].hi - gaps[i].lo, i++) {
        const uint8_t *was = before + at, *now = m->mem + gaps[i].lo;
        size_t len = gaps[i].hi - gaps[i].lo;
        if (!memcmp(was, now, len)) continue;
        size_t k = 0;
        while (was[k] == now[k]) k++;
        snprintf(o->escape, sizeof o->escape,
                 "host byte 0x%08llx, outside every VM and the hypervisor's tables, changed from 0x%02x to 0x%02x",
                 (unsigned long long)(gaps[i].lo + k), was[k], now[k]);
    }
    free(before);
    fflush(con);
    switch (m->stop) {
    case STOP_EXIT: o->status = m->exit_code > EXIT_GUEST_MAX ? EXIT_GUEST_MAX : (int)m->exit_code; break;
    case STOP_HALT: o->status = 0; break;
    case STOP_CYCLE_LIMIT: o->status = EXIT_CYCLE_LIMIT; break;
    case STOP_TRIPLE: o->status = EXIT_TRIPLE_FAULT; break;
    case STOP_HOST_ERROR: o->status = EXIT_HOST_ERROR; break;
    default: o->status = o->escape[0] ? -1 : EXIT_USAGE; break;
    }
    snprintf(o->detail, sizeof o->detail, "%s", m->stop_detail);
    o->cycles = m->st.cycles;
    o->out = unprefix(&cap, hv, hv && hv->nvms > 1 ? att : 0);
    if (hv && hv->nvms > 1) {
        o->victim = unprefix(&cap, hv, vic);
        o->victim_ok = hv->vms[vic].state == VM_DONE && !hv->vms[vic].killed && hv->vms[vic].exit_code == 0;
        /* the attacker's own status, as `ringsim run` would give it were
         * it alone: how its VM ended */
        const struct vm *a = &hv->vms[att];
        if (a->state != VM_DONE) o->status = m->stop == STOP_CYCLE_LIMIT ? EXIT_CYCLE_LIMIT : EXIT_USAGE;
        else if (a->killed) o->status = EXIT_TRIPLE_FAULT;
        else o->status = a->exit_code > EXIT_GUEST_MAX ? EXIT_GUEST_MAX : (int)a->exit_code;
    }
    if (hv && col && !strcmp(col->mode, "pv"))
        o->refused = m->stop == STOP_TRIPLE && hv->vms[0].killed && strstr(hv->vms[0].detail, "not a paravirtual kernel");
    m->trace = NULL;
    m->con.out = NULL;
    fclose(con);
    for (int i = 0; i < MAX_VMS; i++) free(cap.buf[i]);
    cli_machine_free(&cm);
restore:
    fflush(stderr);
    if (saved_err >= 0) {
        dup2(saved_err, 2);
        close(saved_err);
    }
    if (devnull >= 0) close(devnull);
}

/* ---- verdicts -------------------------------------------------------------------- */
/* Line k (0-based) of s into buf, "(end of output)" past the last. */
static const char *line_of(const char *s, int k, char *buf, size_t len)
{
    for (; k > 0 && s; k--) {
        s = strchr(s, '\n');
        if (s) s++;
    }
    if (!s || !*s) return "(end of output)";
    size_t n = strcspn(s, "\n");
    snprintf(buf, len, "%.*s", (int)(n < len - 1 ? n : len - 1), s);
    return buf;
}

/* Whether the line at s reports a red pill: an attack's "pill …", or the
 * guest kernel's own "RED PILL: …" (guests/kernel/selfcheck.s). */
static bool pill_line(const char *s) { return !strncmp(s, "pill", 4) || !strncmp(s, "RED PILL: ", 10); }

/* The first line where a and b differ, -1 if none.  pills: skip the red
 * pills' lines in both. */
static int first_diff(const char *a, const char *b, bool skip_pills)
{
    int k = 0;
    for (;;) {
        if (skip_pills) {
            while (pill_line(a)) a = strchr(a, '\n') ? strchr(a, '\n') + 1 : a + strlen(a);
            while (pill_line(b)) b = strchr(b, '\n') ? strchr(b, '\n') + 1 : b + strlen(b);
        }
        if (!*a && !*b) return -1;
        size_t na = strcspn(a, "\n"), nb = strcspn(b, "\n");
        if (na != nb || strncmp(a, b, na) || (a[na] == '\n') != (b[nb] == '\n')) return k;
        a += na + (a[na] == '\n');
        b += nb + (b[nb] == '\n');
        k++;
    }
}

/* Line k counted without the pill lines, as a line of s counted with them. */
static const char *nth_line_skipping(const char *s, int k, bool skip_pills, char *buf, size_t len)
{
    int real = 0;
    const char *p = s;
    for (;;) {
        if (!*p) return "(end of output)";
        bool pill = skip_pills && pill_line(p);
        if (!pill) {
            if (k == 0) return line_of(s, real, buf, len);
            k--;
        }
        p = strchr(p, '\n') ? strchr(p, '\n') + 1 : p + strlen(p);
        real++;
    }
}

enum verdict { V_CONTAINED, V_BY_DESIGN, V_REFUSED, V_DIFFERS, V_ESCAPE, V_NA };
struct cell {
    enum verdict v;
    char text[700];
};

static bool acceptable(enum verdict v) { return v == V_CONTAINED || v == V_BY_DESIGN || v == V_REFUSED || v == V_NA; }

/* "native line" -> "virtual line", for a cell. */
static void describe_diff(struct cell *c, const char *prefix, const char *nat, const char *virt, bool skip_pills)
{
    int k = first_diff(nat, virt, skip_pills);
    char a[100], b[100];
    snprintf(c->text, sizeof c->text, "%s: \"%s\" natively, \"%s\" here", prefix,
             nth_line_skipping(nat, k, skip_pills, a, sizeof a), nth_line_skipping(virt, k, skip_pills, b, sizeof b));
}

static void judge(const struct column *col, const struct outcome *ref, const struct outcome *vo,
                  const struct outcome *victim_ref, struct cell *c)
{
    if (vo->escape[0]) {
        c->v = V_ESCAPE;
        snprintf(c->text, sizeof c->text, "ESCAPE: %s", vo->escape);
        return;
    }
    if (vo->refused) {
        c->v = V_REFUSED;
        snprintf(c->text, sizeof c->text, "refused");
        return;
    }
    if (vo->status != ref->status) {
        c->v = V_DIFFERS;
        int k = first_diff(ref->out, vo->out, false);
        char a[100], b[100];
        if (k >= 0)
            snprintf(c->text, sizeof c->text, "differs: exit status %d, natively %d; \"%s\" natively, \"%s\" here",
                     vo->status, ref->status, line_of(ref->out, k, a, sizeof a), line_of(vo->out, k, b, sizeof b));
        else
            snprintf(c->text, sizeof c->text, "differs: exit status %d, natively %d (%s)", vo->status, ref->status,
                     vo->detail);
        return;
    }
    if (first_diff(ref->out, vo->out, false) >= 0) {
        if (col->by_design && first_diff(ref->out, vo->out, true) < 0) {
            c->v = V_BY_DESIGN;
            int k = first_diff(ref->out, vo->out, false);
            char a[100], b[100];
            snprintf(c->text, sizeof c->text, "differs by design: \"%s\" natively, \"%s\" here",
                     line_of(ref->out, k, a, sizeof a), line_of(vo->out, k, b, sizeof b));
            return;
        }
        c->v = V_DIFFERS;
        describe_diff(c, "differs", ref->out, vo->out, false);
        return;
    }
    if (col->victim) {
        if (!vo->victim_ok || first_diff(victim_ref->out, vo->victim ? vo->victim : "", false) >= 0) {
            c->v = V_DIFFERS;
            describe_diff(c, "differs: the victim", victim_ref->out, vo->victim ? vo->victim : "", false);
            if (!vo->victim_ok) strncat(c->text, " (it did not end by itself with exit 0)", sizeof c->text - strlen(c->text) - 1);
            return;
        }
    }
    c->v = V_CONTAINED;
    snprintf(c->text, sizeof c->text, "contained");
}

/* ---- one attack, every column ------------------------------------------------------- */
/* Assembles guests/attacks/NAME.s into this test's temporary directory;
 * with pv, its paravirtual build (NAME-pv.img). */
static const char *build_attack(const char *name, bool pv, char *img, size_t len)
{
    char src[1024], err[512];
    snprintf(src, sizeof src, "%s", root_path("guests/attacks/"));
    strncat(src, name, sizeof src - strlen(src) - 3);
    strcat(src, ".s");
    snprintf(img, len, "%s/%s%s.img", temp_dir(), name, pv ? "-pv" : "");
    char *diag = NULL;
    size_t dlen = 0;
    FILE *df = open_memstream(&diag, &dlen);
    /* a paravirtual kernel is built as guests/pv/ are (-D PV=1) */
    const char *pv_defines[] = {"PV=1", NULL};
    struct isa_asm_options opt = {.diag = df, .defines = pv || !strncmp(name, "pv_", 3) ? pv_defines : NULL};
    struct isa_image image = {0};
    int errors = isa_assemble_file(src, &opt, &image);
    fclose(df);
    cr_assert_eq(errors, 0, "%s:\n%s", src, diag);
    free(diag);
    cr_assert(isa_image_write(img, &image, err, sizeof err), "%s", err);
    isa_image_free(&image);
    return img;
}

/* The first clause of an attack's header comment, after "NAME.s — ". */
static void description(const char *name, char *buf, size_t len)
{
    char rel[256];
    snprintf(rel, sizeof rel, "guests/attacks/%s.s", name);
    char *s = slurp(root_path(rel));
    buf[0] = 0;
    if (!s) return;
    const char *p = strstr(s, " — ");
    const char *nl = strchr(s, '\n');
    if (p && (!nl || p < nl)) {
        p += strlen(" — ");
        /* the sentence, which may go on over the next comment lines */
        size_t n = 0;
        while (*p && n + 1 < len) {
            if (*p == '\n') {
                p++;
                while (*p == '#' || *p == ' ') p++;
                if (*p == '\n' || !*p) break;
                buf[n++] = ' ';
                continue;
            }
            /* the first clause is enough for a table */
            if ((*p == '.' || *p == ':' || *p == ';') && (p[1] == ' ' || p[1] == '\n')) break;
            buf[n++] = *p++;
        }
        buf[n] = 0;
    }
    free(s);
    for (char *q = buf; *q; q++)
        if (*q == '|') *q = '/';
}

static const struct outcome *victim_alone(const struct attack *at)
{
    /* the victim alone on bare metal, with the same options */
    static struct outcome o;
    static char key[300];
    char k[300];
    snprintf(k, sizeof k, "%s/%u", at->args ? at->args : "", at->mem);
    if (o.out && !strcmp(k, key)) return &o;
    outcome_free(&o);
    struct attack v = {VICTIM, NULL, at->args, NULL, at->mem, false, false};
    run_one(&v, VICTIM, NULL, ISA_CLASSIC, 0, &o);
    cr_assert_eq(o.status, 0, "the victim alone: exit status %d (%s)", o.status, o.detail);
    snprintf(key, sizeof key, "%s", k);
    return &o;
}

/* Markdown: no '|' and no newline inside a cell. */
static void md_cell(FILE *f, const char *s)
{
    fputs(" ", f);
    for (; *s; s++) {
        if (*s == '|') fputs("\\|", f);
        else if (*s == '\n') fputs(" ", f);
        else fputc(*s, f);
    }
    fputs(" |", f);
}

/* Runs one attack everywhere; asserts containment; writes its table row. */
static void attack_everywhere(const struct attack *at, int order)
{
    char img[512], pv_img[512];
    build_attack(at->name, false, img, sizeof img);
    if (at->kernel) build_attack(at->name, true, pv_img, sizeof pv_img);
    struct outcome ref[2] = {{0}};           /* native, by ISA (ISA_CLASSIC, ISA_STRICT) */
    struct cell cells[NCOLUMNS];
    char native_text[200] = "";
    if (!at->pv_only) {
        run_one(at, img, NULL, ISA_CLASSIC, 0, &ref[ISA_CLASSIC]);
        run_one(at, img, NULL, ISA_STRICT, 0, &ref[ISA_STRICT]);
        for (int i = 0; i < 2; i++)
            cr_assert_neq(ref[i].status, EXIT_CYCLE_LIMIT, "%s: the native run never ends (%s)", at->name, ref[i].detail);
        snprintf(native_text, sizeof native_text, "exit %d", ref[ISA_CLASSIC].status);
        if (ref[ISA_STRICT].status != ref[ISA_CLASSIC].status)
            snprintf(native_text, sizeof native_text, "exit %d (strict: %d)", ref[ISA_CLASSIC].status,
                     ref[ISA_STRICT].status);
    } else {
        snprintf(native_text, sizeof native_text, "n/a");
    }
    char failures[8192] = "";
    for (size_t c = 0; c < NCOLUMNS; c++) {
        const struct column *col = &columns[c];
        bool pv = !strcmp(col->mode, "pv");
        /* the console's input is the first VM's keyboard: an attacker
         * that reads it has nothing to compare with bare metal behind a
         * victim that owns it */
        if ((at->pv_only && !pv) || (at->input && col->second)) {
            cells[c].v = V_NA;
            snprintf(cells[c].text, sizeof cells[c].text, "n/a");
            continue;
        }
        const struct outcome *r = &ref[col->isa];
        const struct outcome *vr = col->victim ? victim_alone(at) : NULL;
        uint64_t budget = at->pv_only ? 50000000u : r->cycles * (at->kernel ? KERNEL_CYCLE_FACTOR : CYCLE_FACTOR);
        if (vr) budget += vr->cycles * CYCLE_FACTOR;
        if (budget < MIN_CYCLES) budget = MIN_CYCLES;
        struct outcome o;
        run_one(at, pv && at->kernel ? pv_img : img, col, col->isa, budget, &o);
        if (at->pv_only) {
            /* no bare-metal reference for a paravirtual kernel: contained
             * means isolation held, whatever it printed */
            cells[c].v = o.escape[0] ? V_ESCAPE : V_CONTAINED;
            if (o.escape[0]) snprintf(cells[c].text, sizeof cells[c].text, "ESCAPE: %s", o.escape);
            else snprintf(cells[c].text, sizeof cells[c].text, "contained (exit %d)", o.status);
        } else {
            judge(col, r, &o, vr, &cells[c]);
        }
        outcome_free(&o);
        if (!acceptable(cells[c].v)) {
            size_t l = strlen(failures);
            snprintf(failures + l, sizeof failures - l, "\n  %s: %s", col->title, cells[c].text);
        }
    }
    const char *rows = getenv("RINGSIM_ISOLATION_ROWS");
    if (rows && *rows) {
        /* the header, from the columns above (every test writes the same
         * one, each atomically) */
        char path[1024], tmp[1100], desc[400];
        snprintf(path, sizeof path, "%s/header", rows);
        snprintf(tmp, sizeof tmp, "%s.%d", path, (int)getpid());
        FILE *h = fopen(tmp, "w");
        cr_assert(h, "%s", tmp);
        fputs("| attack | what it does | bare metal |", h);
        for (size_t c = 0; c < NCOLUMNS; c++) fprintf(h, " %s |", columns[c].title);
        fputs("\n|---|---|---|", h);
        for (size_t c = 0; c < NCOLUMNS; c++) fputs("---|", h);
        fputs("\n", h);
        fclose(h);
        cr_assert(rename(tmp, path) == 0, "%s", path);
        snprintf(path, sizeof path, "%s/%03d-%s%s%s.row", rows, order, at->name, at->variant ? "-" : "",
                 at->variant ? at->variant : "");
        for (char *p = path + strlen(rows) + 1; *p; p++)
            if (*p == ' ') *p = '_';
        description(at->name, desc, sizeof desc);
        FILE *f = fopen(path, "w");
        cr_assert(f, "%s", path);
        char name[200];
        snprintf(name, sizeof name, "`%s`%s%s%s", at->name, at->variant ? " (" : "", at->variant ? at->variant : "",
                 at->variant ? ")" : "");
        fputs("|", f);
        md_cell(f, name);
        md_cell(f, desc);
        md_cell(f, native_text);
        for (size_t c = 0; c < NCOLUMNS; c++) md_cell(f, cells[c].text);
        fputs("\n", f);
        fclose(f);
    }
    for (int i = 0; i < 2; i++) outcome_free(&ref[i]);
    cr_expect(failures[0] == 0, "%s%s%s: not contained in every mode:%s", at->name, at->variant ? " " : "",
              at->variant ? at->variant : "", failures);
}

/* The suite's attack at index i. */
static void attack_by_index(size_t i)
{
    cr_assert_lt(i, NATTACKS);
    attack_everywhere(&attacks[i], (int)i);
}

static bool known(const char *name)
{
    if (!strcmp(name, "lib")) return true;       /* the harness, not an attack */
    for (size_t i = 0; i < NATTACKS; i++)
        if (!strcmp(attacks[i].name, name)) return true;
    return false;
}

TestSuite(isolation, .timeout = 300);

Test(isolation, shadow_two_levels) { attack_by_index(0); }
Test(isolation, shadow_selfref) { attack_by_index(1); }
Test(isolation, shadow_root_outside) { attack_by_index(2); }
Test(isolation, shadow_root_outside_far) { attack_by_index(3); }
Test(isolation, shadow_root_outside_switched) { attack_by_index(4); }
Test(isolation, tables_point_outside) { attack_by_index(5); }
Test(isolation, ring3_privileged) { attack_by_index(6); }
Test(isolation, ring1_privileged) { attack_by_index(7); }
Test(isolation, hypercall_garbage) { attack_by_index(8); }
Test(isolation, interrupt_storm) { attack_by_index(9); }
Test(isolation, ad_bits) { attack_by_index(10); }
Test(isolation, port_abuse) { attack_by_index(11); }
Test(isolation, vector_outside) { attack_by_index(12); }
Test(isolation, asid_alias) { attack_by_index(13); }
Test(isolation, cr_abuse) { attack_by_index(14); }
Test(isolation, ring1_paging) { attack_by_index(15); }
Test(isolation, container_escape) { attack_by_index(16); }
Test(isolation, container_netns) { attack_by_index(17); }
Test(isolation, container_cgroupns) { attack_by_index(18); }
Test(isolation, net_ring) { attack_by_index(19); }

/* Attacks others add to guests/attacks/ (pv_*.s: paravirtual kernels, the pv
 * column alone; any other: every column, against its native run). */
Test(isolation, attacks_added_by_others)
{
    DIR *d = opendir(root_path("guests/attacks"));
    cr_assert(d, "no guests/attacks");
    char names[64][128];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 64) {
        size_t l = strlen(e->d_name);
        if (l < 3 || strcmp(e->d_name + l - 2, ".s") || l - 2 >= sizeof names[0]) continue;
        snprintf(names[n], sizeof names[n], "%.*s", (int)(l - 2), e->d_name);
        if (!known(names[n])) n++;
    }
    closedir(d);
    qsort(names, (size_t)n, sizeof names[0], (int (*)(const void *, const void *))strcmp);
    for (int i = 0; i < n; i++) {
        struct attack at = {names[i], NULL, NULL, NULL, 0, !strncmp(names[i], "pv_", 3), false};
        attack_everywhere(&at, 100 + i);
    }
}

/* Plants violations in a running machine and checks hv_audit sees each,
 * and that it holds again once they are gone. */
static void plant_and_check(struct cli_machine *cm, const char *mode)
{
    struct machine *m = cm->m;
    struct hv *hv = cm->hv;
    char why[512];
    /* a TLB entry for VM 0 that maps the first frame past its memory */
    struct tlb_entry saved = m->mmu.tlb[0];
    m->mmu.tlb[0] = (struct tlb_entry){.vpn = 0x12345, .pfn = (hv->vms[0].base + hv->vms[0].size) >> 12,
                                       .vpid = m->vmx.vmcs[0].vpid, .valid = 1, .writable = 1};
    cr_assert(!hv_audit(hv, why, sizeof why), "%s: a TLB entry outside the VM went unnoticed", mode);
    cr_assert(strstr(why, "TLB entry"), "%s: %s", mode, why);
    m->mmu.tlb[0] = saved;
    cr_assert(hv_audit(hv, why, sizeof why), "%s: %s", mode, why);
    /* a soft-TLB entry (mmu.h) that no TLB entry backs: the next frame */
    struct mmu_soft keep_soft = m->mmu.soft[5];
    m->mmu.soft[5] = (struct mmu_soft){.addr_read = mmu_soft_tag(&m->mmu, 5u << 12, 4), .addr_write = MMU_SOFT_EMPTY,
                                       .addend = (uintptr_t)m->mem + ((uintptr_t)(saved.pfn + 1) << 12) - (5u << 12),
                                       .slot = 0};
    cr_assert(!hv_audit(hv, why, sizeof why), "%s: a soft-TLB entry with no TLB entry behind it went unnoticed", mode);
    cr_assert(strstr(why, "soft TLB"), "%s: %s", mode, why);
    m->mmu.soft[5] = keep_soft;
    cr_assert(hv_audit(hv, why, sizeof why), "%s: %s", mode, why);
    if (hv->cfg.mmu == HV_MMU_NESTED) {
        /* VM 0's host table: its first leaf now maps VM 1's memory */
        uint32_t t = m->vmx.vmcs[0].ept_root & PTE_FRAME, pte;
        for (unsigned l = 0; l + 1 < m->vmx.vmcs[0].ept_levels; l++) {
            memcpy(&pte, m->mem + t, 4);
            t = pte & PTE_FRAME;
        }
        memcpy(&pte, m->mem + t, 4);
        uint32_t bad = (hv->vms[1].base & PTE_FRAME) | (pte & 0xfff);
        memcpy(m->mem + t, &bad, 4);
        cr_assert(!hv_audit(hv, why, sizeof why), "%s: a host table mapping VM 1 went unnoticed", mode);
        cr_assert(strstr(why, "in VM compute's memory"), "%s: %s", mode, why);
        memcpy(m->mem + t, &pte, 4);
        /* and a host table entry pointing at a table in the guest's memory */
        uint32_t root = m->vmx.vmcs[0].ept_root & PTE_FRAME, top;
        memcpy(&top, m->mem + root, 4);
        uint32_t inward = (hv->vms[0].base + 0x100000) | PTE_P | PTE_W | PTE_U;
        memcpy(m->mem + root, &inward, 4);
        cr_assert(!hv_audit(hv, why, sizeof why), "%s: a host table in the guest's memory went unnoticed", mode);
        cr_assert(strstr(why, "could rewrite"), "%s: %s", mode, why);
        memcpy(m->mem + root, &top, 4);
    } else if (m->cpu.cr[CR_MMU] & 1) {
        uint32_t ptb = m->cpu.cr[CR_PTB];
        if (hv->cfg.mode == HV_PV) {
            /* pv: the guest's root is real and in its memory, but never writable */
            struct tlb_entry keep = m->mmu.tlb[1];
            m->mmu.tlb[1] = (struct tlb_entry){.vpn = 0x12345, .pfn = ptb >> 12, .valid = 1, .writable = 1};
            cr_assert(!hv_audit(hv, why, sizeof why), "%s: a writable TLB entry for the root went unnoticed", mode);
            /* (before its first root the guest runs on the hypervisor's boot map) */
            cr_assert(strstr(why, ptb < hv->vms[0].size ? "is a page table" : "outside the VM"), "%s: %s", mode, why);
            m->mmu.tlb[1] = keep;
        } else {
            /* the real root moved into the guest's own memory */
            m->cpu.cr[CR_PTB] = hv->vms[0].base + 0x100000;
            cr_assert(!hv_audit(hv, why, sizeof why), "%s: a real root in the guest's memory went unnoticed", mode);
            cr_assert(strstr(why, "could rewrite"), "%s: %s", mode, why);
            m->cpu.cr[CR_PTB] = ptb;
        }
        /* the real root pointing at itself in every entry: the walk ends */
        unsigned bits[MMU_MAX_LEVELS];
        mmu_level_bits(m->levels, bits);
        uint32_t root = ptb & PTE_FRAME, save[1024];
        memcpy(save, m->mem + root, sizeof save);
        for (unsigned i = 0; i < 1u << bits[0]; i++) {
            uint32_t self = root | PTE_P | PTE_W;
            memcpy(m->mem + root + 4 * i, &self, 4);
        }
        cr_assert(!hv_audit(hv, why, sizeof why), "%s: a self-referencing real root went unnoticed", mode);
        memcpy(m->mem + root, save, sizeof save);
    }
    cr_assert(hv_audit(hv, why, sizeof why), "%s, restored: %s", mode, why);
}

/* hv_audit itself: it holds all through a well-behaved guest in every
 * technique, and notices what is planted in the middle of the run. */
Test(isolation, the_audit_holds_for_a_workload_and_catches_planted_violations)
{
    static const struct { const char *mode, *mmu; unsigned levels; } modes[] = {
        {"te", "shadow", 2}, {"bt", "shadow", 2}, {"hw", "shadow", 2}, {"hw", "nested", 2}, {"pv", NULL, 2},
        {"te", "shadow", 4}, {"hw", "nested", 3}, {"pv", NULL, 4}};
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        struct machine_opts opt;
        cli_machine_defaults(&opt);
        opt.mode = modes[i].mode;
        opt.mmu = modes[i].mmu;
        opt.isa = ISA_STRICT;
        opt.args = "150";
        opt.levels = modes[i].levels;
        char *images[2] = {(char *)"forkwait", (char *)"compute"};
        int n = !strcmp(modes[i].mode, "hw") && !strcmp(modes[i].mmu, "nested") ? 2 : 1;
        char mode[32];
        snprintf(mode, sizeof mode, "%s %s, %u levels", modes[i].mode, modes[i].mmu ? modes[i].mmu : "",
                 modes[i].levels);
        struct cli_machine cm;
        cr_assert(cli_machine_load(&opt, images, n, "isolation", &cm), "%s", mode);
        cm.m->con.out = NULL;
        cli_machine_start(&cm);
        char why[512];
        int chunks = 0;
        while (machine_run(cm.m, 20000) == STOP_STEPS && chunks < 10000) {
            cr_assert(hv_audit(cm.hv, why, sizeof why), "%s, chunk %d: %s", mode, chunks, why);
            if (++chunks == 10 || chunks == 40) plant_and_check(&cm, mode);
        }
        cr_assert_gt(chunks, 40, "%s: the workload ended too soon to plant anything (%s)", mode, cm.m->stop_detail);
        cr_assert(hv_audit(cm.hv, why, sizeof why), "%s at the end: %s", mode, why);
        cli_machine_free(&cm);
    }
}
