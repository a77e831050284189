/*
 * pv.c — paravirtualisation (--mode pv): the hypervisor side of the
 * paravirtual kernel's interface (guests/kernel/pv.s, defs.s).
 *
 * The guest kernel runs deprivileged in ring 1, as under trap-and-emulate,
 * and every trap still comes to the hypervisor first (pv_trap).  But a
 * paravirtual kernel does not execute sensitive instructions and wait to
 * be caught: it
 * keeps its interrupt flag and reads its trap registers in a page it shares
 * with the hypervisor, and asks for everything else with a hypercall
 * (vmcall, which traps from ring 1 with cause `hypercall`).
 *
 * Memory is virtualised without shadow tables ("direct paging", as in Xen):
 * the VM sits at host address 0, its page-table entries hold real frame
 * numbers, and the MMU walks the guest's own tables.  That is safe only
 * because the guest cannot write them.  The hypervisor keeps, for every
 * frame of the VM, whether it is a page table (and of which level), how
 * many table entries and pins keep it one, and how many writable mappings of
 * it exist; and it keeps these invariants over every table reachable from a
 * pinned root:
 *   - every entry maps a frame of the VM's own memory, with no large page;
 *   - a table is linked only at its own level (no table at two levels, no
 *     table below itself);
 *   - no frame is a page table while any writable translation of it can
 *     still be used: no writable entry for it in any validated table, and no
 *     writable TLB entry for it in any ASID, global ones included;
 *   - no frame that has stopped being a table is still walked through the
 *     page-walk cache;
 *   - the shared page is never a table (the hypervisor writes it unchecked
 *     with values the guest chooses: a trap's EPC, BADADDR, USP).
 * So the guest's writes to its tables must be hypercalls (HC_MMU_UPDATE,
 * batched; HC_UPDATE_VA), which the hypervisor checks before it writes; new
 * tables are validated when first linked in or pinned, and forgotten when
 * the last reference goes.  Every way a frame becomes a table goes through
 * make_table(), which refuses a frame still mapped writable or shared, and
 * drops every writable TLB entry of it, whatever ASID or address made it
 * (invlpg reaches one address of one ASID only).
 *
 * Before the kernel loads its first root it runs on a boot map the
 * hypervisor owns (the VM's memory mapped 1:1, built like a nested table);
 * then its tables are not yet checked, and are validated in full when that
 * first root is loaded — and the guest leaves the boot map in the same
 * hypercall, or stays on it with nothing checked.
 *
 * Arguments.  Every address a hypercall is given is checked before use: a
 * guest-physical one (a table entry, a root, the shared page, the vector
 * table) must be aligned and lie wholly in the VM; a guest-virtual one (an
 * update list, console bytes) is translated through the guest's current
 * tables as the kernel's own access would be (present at every level, a
 * supervisor read), word by word or page by page, and may not wrap around
 * the top of the address space.  Counts are capped at PV_MAX_PER_CALL.
 *
 * --invariants: after every hypercall that changes tables, the frame table
 * is recounted from the pinned roots and held to the rules above
 * (pv_invariants_hold), at no cycle's cost to the guest.
 *
 * Refusals.  A request the hypervisor will not carry out is refused, never
 * half-done behind the guest's back: r1 = 0xffffffff (REFUSED), or, for the
 * counted calls (HC_MMU_UPDATE, HC_CONSOLE_WRITE), r1 = how many items were
 * done before the first one refused; either way pv.refused counts it and
 * pv.last_refusal says why.  The guest goes on: refusing it is its own
 * business (the kernel panics).  Only a guest that is no paravirtual kernel
 * at all (a hypercall before HC_SHARED_INFO) is stopped, PV_KILL.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "hypervisor/technique.h"
#include "hypervisor/vcpu.h"

/* The hypercall numbers and the shared page (guests/kernel/defs.s). */
#define PV_HYPERCALLS(X)                                                     \
    X(HC_SHARED_INFO, 1, "shared_info", 2)                                   \
    X(HC_SET_TRAP_TABLE, 2, "set_trap_table", 1)                             \
    X(HC_STACK_SWITCH, 3, "stack_switch", 1)                                 \
    X(HC_MMU_UPDATE, 4, "mmu_update", 0)                                     \
    X(HC_PIN, 5, "pin", 0)                                                   \
    X(HC_UNPIN, 6, "unpin", 0)                                               \
    X(HC_NEW_BASEPTR, 7, "new_baseptr", 2)                                   \
    X(HC_UPDATE_VA, 8, "update_va", 2)                                       \
    X(HC_INVLPG, 9, "invlpg", 1)                                             \
    X(HC_TLB_FLUSH, 10, "tlb_flush", 1)                                      \
    X(HC_IRET, 11, "iret", 0)                                                \
    X(HC_EVENTS, 12, "events", 0)                                            \
    X(HC_OUT, 13, "out", 1)                                                  \
    X(HC_CONSOLE_WRITE, 14, "console_write", 0)                              \
    X(HC_IN, 15, "in", 1)                                                    \
    X(HC_BLOCK, 16, "block", 2)
/* The last column: the sensitive instructions the same work takes natively,
 * each a trap under trap-and-emulate (0: it depends, counted in the code). */
enum {
#define X(name, num, str, traps) name = num,
    PV_HYPERCALLS(X)
#undef X
};
_Static_assert(HC_IRET == PV_HC_IRET, "hv.h names the iret hypercall");
const char *const pv_hypercall_name[PV_HC_COUNT] = {
#define X(name, num, str, traps) [num] = str,
    PV_HYPERCALLS(X)
#undef X
};
static const unsigned replaces[PV_HC_COUNT] = {
#define X(name, num, str, traps) [num] = traps,
    PV_HYPERCALLS(X)
#undef X
};

enum { SH_IE = 0, SH_PENDING = 4, SH_CAUSE = 8, SH_EPC = 12, SH_ESR = 16, SH_BADADDR = 20, SH_FAULT = 24,
       SH_USP = 28, SH_R1 = 36, SH_LEVELS = 40, SH_MEMSIZE = 44, SH_SIZE = 48 };

#define REFUSED 0xffffffffu
/* Where a hypercall leaves the guest: going on, its machine stopped (it
 * powered off), or killed (no paravirtual kernel at all). */
enum pv_result { PV_RESUME, PV_STOPPED, PV_KILL };
/* What one hypercall may ask for at most, so that no single call keeps the
 * hypervisor busy for long (Xen splits longer requests into continuations;
 * here the guest sees how many were done and asks again). */
#define PV_MAX_PER_CALL 4096u

static struct vm *the_vm(struct hv *hv) { return &hv->vms[0]; }

/* The frame table, and the boot map: built like a host table, in the
 * guest's own format. */
static bool pv_init(struct hv *hv, char *err, size_t errlen)
{
    struct pv *p = &hv->pv;
    struct vm *vm = the_vm(hv);
    hv->cfg.host_levels = hv->m->levels;
    hv->cfg.host_large_pages = false;
    p->nframes = vm->size >> 12;
    p->fr = calloc(p->nframes, sizeof *p->fr);
    if (!p->fr) {
        snprintf(err, errlen, "out of memory for the paravirtual frame table");
        return false;
    }
    /* the boot map: guest-physical = guest-virtual, in the hypervisor's own
     * frames, so the guest can neither see nor change it */
    return nested_build(hv, vm, &p->boot_root, err, errlen);
}

static void pv_free(struct hv *hv)
{
    struct pv *p = &hv->pv;
    free(p->fr);
    memset(p, 0, sizeof *p);
}

/* The real MMU state for the guest: its own root once it has one. */
static void pv_load_context(struct hv *hv)
{
    struct machine *m = hv->m;
    bool own = hv->pv.booted;
    m->cpu.cr[CR_PTB] = own ? hv->vcpu.cr[CR_PTB] : hv->pv.boot_root;
    m->cpu.cr[CR_ASID] = own ? hv->vcpu.cr[CR_ASID] : 0;
    m->cpu.cr[CR_MMU] = 1;
    mmu_context_changed(m, true);
}

/* ---- the shared page ---------------------------------------------------------- */
static uint32_t shared_rd(struct hv *hv, uint32_t off)
{
    uint32_t v = 0;
    hv_guest_read32(hv, hv->pv.shared + off, &v);
    return v;
}
/* Whether frame f holds part of the shared page. */
static bool is_shared(const struct pv *p, uint32_t f)
{
    return p->shared && (f == p->shared >> 12 || f == (p->shared + SH_SIZE - 1) >> 12);
}

/* The hypervisor's one unvalidated kind of write to guest memory: data it
 * hands the guest.  Never into a page table (HC_SHARED_INFO and
 * make_table() keep the shared page out of them; this is the last line). */
static bool data_write(struct hv *hv, uint32_t gpa, uint32_t v)
{
    struct pv *p = &hv->pv;
    if ((gpa >> 12) < p->nframes && p->fr[gpa >> 12].level) return false;
    return hv_guest_write(hv, gpa, v, 4);
}
static void shared_wr(struct hv *hv, uint32_t off, uint32_t v) { data_write(hv, hv->pv.shared + off, v); }

/* Trap entry and exit: the interrupt flag lives in the shared page. */
static void pv_sync_in(struct hv *hv)
{
    if (!hv->pv.shared) return;
    uint32_t *sr = &hv->vcpu.cr[CR_SR];
    *sr = (*sr & ~SR_IE) | (shared_rd(hv, SH_IE) ? SR_IE : 0);
}

static void pv_sync_out(struct hv *hv)
{
    if (!hv->pv.shared) return;
    shared_wr(hv, SH_IE, hv->vcpu.cr[CR_SR] & SR_IE);
    shared_wr(hv, SH_PENDING, vdev_irq_raised(hv, the_vm(hv)));
}

/* A trap delivered to the guest: its registers go to the shared page. */
static void pv_trap_info(struct hv *hv)
{
    if (!hv->pv.shared) return;
    const uint32_t *v = hv->vcpu.cr;
    shared_wr(hv, SH_CAUSE, v[CR_CAUSE]);
    shared_wr(hv, SH_EPC, v[CR_EPC]);
    shared_wr(hv, SH_ESR, v[CR_ESR]);
    shared_wr(hv, SH_BADADDR, v[CR_BADADDR]);
    shared_wr(hv, SH_FAULT, v[CR_FAULT]);
    shared_wr(hv, SH_USP, v[CR_USP]);
}

/* ---- validated page tables ------------------------------------------------------ */
static unsigned bottom(struct hv *hv) { return hv->m->levels - 1; }

static uint32_t entries(struct hv *hv, unsigned level)
{
    unsigned bits[MMU_MAX_LEVELS];
    mmu_level_bits(hv->m->levels, bits);
    return 1u << bits[level];
}

/* Frame f's entry in the frame table.  A frame outside the VM has none:
 * get_ref() refuses it first, but should that check ever be missing (as a
 * lab solution may have it) the hypervisor still never strays outside its
 * table — the frame reads as a plain data frame and what is written to it
 * is dropped. */
static struct pv_frame *frame(struct pv *p, uint32_t f)
{
    if (f < p->nframes) return &p->fr[f];
    p->outside = (struct pv_frame){0};
    return &p->outside;
}

/* A disk read lands in guest memory behind the guest's back: never in a
 * frame that is a page table (its entries validated once, read-only to the
 * guest ever since), or DMA would be the way around the validation. */
static bool pv_dma_may_write(void *ctx, uint32_t gpa, uint32_t len)
{
    struct pv *p = &((struct hv *)ctx)->pv;
    for (uint32_t f = gpa >> 12; len && f <= (gpa + len - 1) >> 12; f++)
        if (frame(p, f)->level || frame(p, f)->pinned) return false;
    return true;
}

static uint32_t rd_entry(struct hv *hv, uint32_t gpa)
{
    uint32_t v = 0;
    hv_guest_read32(hv, gpa, &v);
    return v;
}

static void refuse(struct hv *hv, const char *why, uint32_t a, uint32_t b)
{
    hv->pv.refused++;
    snprintf(hv->pv.last_refusal, sizeof hv->pv.last_refusal, "%s (0x%08x, 0x%08x)", why, a, b);
}

static bool validate(struct hv *hv, uint32_t f, unsigned level);

static void release(struct hv *hv, uint32_t f, unsigned level);

/* f is about to become a table of level — the one way a frame does, for a
 * link (get_ref), a pin and the first root alike.  Refused while anything
 * could still write it: a writable entry in a validated table, or the
 * hypervisor itself (the shared page).  A writable TLB entry left from an
 * entry already gone (an update without invlpg, or an invlpg in another
 * ASID or at another address) is dropped here. */
static bool make_table(struct hv *hv, uint32_t f, unsigned level)
{
    struct pv *p = &hv->pv;
    if (frame(p, f)->wcount) { refuse(hv, "a new table is mapped writable", f << 12, level); return false; }
    if (is_shared(p, f)) { refuse(hv, "the shared page cannot be a table", f << 12, level); return false; }
    frame(p, f)->level = (uint8_t)(level + 1);
    frame(p, f)->tcount = 1;
    if (mmu_drop_writable_frame(hv->m, (the_vm(hv)->base >> 12) + f)) p->type_flushes++;
    return true;
}

/* Takes the references entry pte (in a table of level) holds; false if it
 * breaks an invariant. */
static bool get_ref(struct hv *hv, uint32_t pte, unsigned level)
{
    struct pv *p = &hv->pv;
    if (!(pte & PTE_P)) return true;
    uint32_t f = pte >> 12;
    // LAB(pv) BEGIN: refuse an entry that would break an invariant (refuse(), return false)
    if (f >= p->nframes) { refuse(hv, "maps a frame outside the VM", pte, level); return false; }
    if (level < bottom(hv) && (pte & PTE_L)) { refuse(hv, "large pages are not for paravirtual guests", pte, level); return false; }
    if (level == bottom(hv) && (pte & PTE_W) && frame(p, f)->level) { refuse(hv, "maps a page table writable", pte, level); return false; }
    if (level < bottom(hv) && frame(p, f)->level && frame(p, f)->level != level + 2) { refuse(hv, "links a table of another level", pte, level); return false; }
    if (level < bottom(hv) && !frame(p, f)->level && frame(p, f)->wcount) { refuse(hv, "links a table that is mapped writable", pte, level); return false; }
    // LAB(pv) END
    if (level == bottom(hv)) {
        if (pte & PTE_W) frame(p, f)->wcount++;
        return true;
    }
    if (frame(p, f)->level) {
        frame(p, f)->tcount++;
        return true;
    }
    if (!make_table(hv, f, level + 1)) return false;
    if (!validate(hv, f, level + 1)) {
        frame(p, f)->level = 0;
        frame(p, f)->tcount = 0;
        return false;
    }
    return true;
}

/* Drops them again.  A writable TLB entry the entry made may outlive it:
 * make_table() drops it if the frame ever becomes a table. */
static void put_ref(struct hv *hv, uint32_t pte, unsigned level)
{
    struct pv *p = &hv->pv;
    if (!(pte & PTE_P)) return;
    uint32_t f = pte >> 12;
    if (level == bottom(hv)) {
        if (pte & PTE_W) frame(p, f)->wcount--;
        return;
    }
    if (--frame(p, f)->tcount == 0) release(hv, f, level + 1);
}

/* Checks every entry of frame f as a table of level, taking its references. */
static bool validate(struct hv *hv, uint32_t f, unsigned level)
{
    uint32_t n = entries(hv, level), base = f << 12;
    hv->pv.tables_validated++;
    hv_charge_op(hv, 1);
    for (uint32_t i = 0; i < n; i++) {
        if (get_ref(hv, rd_entry(hv, base + 4 * i), level)) continue;
        while (i--) put_ref(hv, rd_entry(hv, base + 4 * i), level);
        return false;
    }
    return true;
}

/* f is no longer a table: its entries' references go, and so does any
 * page-walk-cache entry that would still walk through it (the guest may map
 * it writable now, and a kernel need not invlpg after unlinking a table). */
static void release(struct hv *hv, uint32_t f, unsigned level)
{
    uint32_t n = entries(hv, level), base = f << 12;
    frame(&hv->pv, f)->level = 0;
    mmu_drop_walks_into(hv->m, the_vm(hv)->base + (f << 12));
    hv_charge_op(hv, 1);
    for (uint32_t i = 0; i < n; i++) put_ref(hv, rd_entry(hv, base + 4 * i), level);
}

/* One checked update: *gpa = val, gpa an entry of a table the guest has. */
static bool update(struct hv *hv, uint32_t gpa, uint32_t val)
{
    struct pv *p = &hv->pv;
    uint32_t t = gpa >> 12;
    hv->pv.updates++;
    hv_charge_op(hv, 1);
    if ((gpa & 3) || t >= p->nframes) { refuse(hv, "entry outside the VM", gpa, val); return false; }
    if (!p->booted) return hv_guest_write(hv, gpa, val, 4); /* checked when the first root is loaded */
    if (!p->fr[t].level) { refuse(hv, "not a page table", gpa, val); return false; }
    unsigned level = p->fr[t].level - 1u;
    if ((gpa & 0xfff) / 4 >= entries(hv, level)) { refuse(hv, "past the table's entries", gpa, val); return false; }
    uint32_t old = rd_entry(hv, gpa);
    if (!get_ref(hv, val, level)) return false;
    put_ref(hv, old, level);
    hv_guest_write(hv, gpa, val, 4);
    return true;
}

static bool pin(struct hv *hv, uint32_t root)
{
    struct pv *p = &hv->pv;
    uint32_t f = root >> 12;
    if ((root & 0xfff) || f >= p->nframes) { refuse(hv, "root outside the VM", root, 0); return false; }
    if (frame(p, f)->pinned) return true;
    if (p->booted) {
        if (frame(p, f)->level && frame(p, f)->level != 1) { refuse(hv, "root is a table of another level", root, 0); return false; }
        if (frame(p, f)->level) frame(p, f)->tcount++;
        else {
            if (!make_table(hv, f, 0)) return false;
            if (!validate(hv, f, 0)) { frame(p, f)->level = 0; frame(p, f)->tcount = 0; return false; }
        }
    }
    frame(p, f)->pinned = 1;
    return true;
}

static bool unpin(struct hv *hv, uint32_t root)
{
    struct pv *p = &hv->pv;
    uint32_t f = root >> 12;
    if ((root & 0xfff) || f >= p->nframes || !frame(p, f)->pinned) { refuse(hv, "not a pinned root", root, 0); return false; }
    if (p->booted && (hv->vcpu.cr[CR_PTB] >> 12) == f) { refuse(hv, "the root in use", root, 0); return false; }
    frame(p, f)->pinned = 0;
    if (p->booted && --frame(p, f)->tcount == 0) release(hv, f, 0);
    return true;
}

/* Leaving the boot map: every pinned root is checked now, in full.  If one
 * fails, nothing is kept of the check and the guest stays on the boot map
 * (that root is no longer pinned).  The boot map mapped every frame
 * writable: nothing it left in the TLB (or the page-walk cache, which
 * points into the hypervisor's own tables) may survive into the guest's. */
static bool first_baseptr(struct hv *hv)
{
    struct pv *p = &hv->pv;
    mmu_flush_all(hv->m);
    p->booted = true;
    for (uint32_t f = 0; f < p->nframes; f++) {
        if (!frame(p, f)->pinned) continue;
        frame(p, f)->pinned = 0;
        if (pin(hv, f << 12)) {
            frame(p, f)->pinned = 2;   /* checked (pin sets 1; 2 marks it done in this pass) */
            continue;
        }
        /* forget what was checked; the other roots stay pinned, unchecked */
        p->booted = false;
        for (uint32_t g = 0; g < p->nframes; g++) {
            struct pv_frame *x = &p->fr[g];
            uint8_t pinned = x->pinned ? 1 : 0;
            *x = (struct pv_frame){.pinned = pinned};
        }
        return false;
    }
    for (uint32_t f = 0; f < p->nframes; f++)
        if (frame(p, f)->pinned) frame(p, f)->pinned = 1;
    return true;
}

/* The bottom-level entry that maps va in the guest's current tables. */
static bool entry_of(struct hv *hv, uint32_t va, uint32_t *gpa)
{
    unsigned bits[MMU_MAX_LEVELS], shift = 32;
    mmu_level_bits(hv->m->levels, bits);
    uint32_t table = hv->vcpu.cr[CR_PTB];
    for (unsigned l = 0; l < hv->m->levels; l++) {
        shift -= bits[l];
        uint32_t e = table + 4 * ((va >> shift) & ((1u << bits[l]) - 1));
        if (l == bottom(hv)) { *gpa = e; return true; }
        uint32_t pte = rd_entry(hv, e);
        if (!(pte & PTE_P) || (pte & PTE_L)) return false;
        table = pte & PTE_FRAME;
    }
    return false;
}

/* Guest-virtual va -> guest-physical, as the guest kernel's own read of it
 * would go (a supervisor access: present at every level): through its
 * current tables, or before it has any through the boot map, which maps the
 * VM's memory 1:1.  False where that read would fault.  (Not
 * shadow_guest_translate: it is the shadow walker's, and takes a
 * not-present supervisor read for a translation.) */
static bool guest_va(struct hv *hv, uint32_t va, uint32_t *gpa)
{
    struct vm *vm = the_vm(hv);
    if (!hv->pv.booted) {
        *gpa = va;
        return va < vm->size;
    }
    unsigned bits[MMU_MAX_LEVELS], shift = 32;
    mmu_level_bits(hv->m->levels, bits);
    uint32_t table = hv->vcpu.cr[CR_PTB] & PTE_FRAME;
    for (unsigned l = 0; l < hv->m->levels; l++) {
        shift -= bits[l];
        uint32_t pte;
        if (!hv_guest_read32(hv, table + 4 * ((va >> shift) & ((1u << bits[l]) - 1)), &pte)) return false;
        if (!(pte & PTE_P)) return false;
        if (l == bottom(hv) || (pte & PTE_L)) {
            uint32_t mask = (1u << shift) - 1;
            *gpa = ((pte & PTE_FRAME) & ~mask) | (va & mask);
            return *gpa < vm->size;
        }
        table = pte & PTE_FRAME;
    }
    return false;
}

/* A word the guest kernel hands over by address (an update list): aligned,
 * readable as above. */
static bool guest_va_read32(struct hv *hv, uint32_t va, uint32_t *v)
{
    uint32_t gpa;
    return !(va & 3) && guest_va(hv, va, &gpa) && hv_guest_read32(hv, gpa, v);
}

/* ---- hypercalls ----------------------------------------------------------------- */
/* A hypercall (r1 = number); *next is where the guest goes on. */
static enum pv_result pv_hypercall(struct hv *hv, uint32_t *next)
{
    struct machine *m = hv->m;
    struct pv *p = &hv->pv;
    struct vm *vm = the_vm(hv);
    uint32_t *R = m->cpu.r, *v = hv->vcpu.cr;
    uint32_t op = R[1], a = R[2], b = R[3], result = 0;
    hv_charge_op(hv, 1);
    bool known = op < PV_HC_COUNT && pv_hypercall_name[op];
    if (known) {
        cpu_trace(m, TR_TRAP, CAUSE_HYPERCALL, op, *next - 4, NULL);
        p->hypercalls++;
        p->by_op[op]++;
        p->traps_replaced += replaces[op];
    }
    /* a kernel that has not shared a page is no paravirtual kernel: it
     * gets nothing, not even a refusal in r1 */
    if (!p->shared && op != HC_SHARED_INFO) {
        if (known) snprintf(p->last_refusal, sizeof p->last_refusal, "hypercall %s before shared_info", pv_hypercall_name[op]);
        else snprintf(p->last_refusal, sizeof p->last_refusal, "hypercall %u (no such number) before shared_info", op);
        return PV_KILL;
    }
    if (!known) {
        refuse(hv, "no such hypercall", op, 0);
        R[1] = REFUSED;
        return PV_RESUME;
    }
    switch (op) {
    case HC_SHARED_INFO:
        if ((a & 3) || a < 4096 || a > vm->size - SH_SIZE) { refuse(hv, "shared page outside the VM", a, 0); result = REFUSED; break; }
        /* the hypervisor writes it unchecked, so no byte of it in a table */
        if (p->fr[a >> 12].level || p->fr[(a + SH_SIZE - 1) >> 12].level) {
            refuse(hv, "shared page over a page table", a, 0);
            result = REFUSED;
            break;
        }
        p->shared = a;
        shared_wr(hv, SH_LEVELS, m->levels);
        shared_wr(hv, SH_MEMSIZE, vm->size);
        break;
    case HC_SET_TRAP_TABLE:
        /* read at its guest-physical address on every trap (vcpu_reflect) */
        if ((a & 3) || vm->size < 4 * ISA_VECTORS || a > vm->size - 4 * ISA_VECTORS) {
            refuse(hv, "vector table outside the VM", a, 0);
            result = REFUSED;
            break;
        }
        v[CR_VBR] = a;
        break;
    case HC_STACK_SWITCH: v[CR_KSP] = a; break;
    case HC_MMU_UPDATE:
        p->batches++;
        if (b > PV_MAX_PER_CALL) b = PV_MAX_PER_CALL;
        for (result = 0; result < b; result++) {
            uint32_t at = a + 8 * result, ptr, val;
            if (at < a || at > UINT32_MAX - 7 || !guest_va_read32(hv, at, &ptr) || !guest_va_read32(hv, at + 4, &val)) {
                refuse(hv, "update list not readable by the kernel", at, b);
                break;
            }
            if (!update(hv, ptr, val)) break;
            p->traps_replaced++; /* each would have been a tracing fault */
        }
        break;
    case HC_PIN: result = pin(hv, a) ? 0 : REFUSED; break;
    case HC_UNPIN: result = unpin(hv, a) ? 0 : REFUSED; break;
    case HC_NEW_BASEPTR: {
        /* checked before the first root is: the guest must leave the boot
         * map (which maps its tables writable) in the call that checks
         * them, or stay on it with nothing checked */
        uint32_t f = a >> 12;
        if ((a & 0xfff) || f >= p->nframes || !frame(p, f)->pinned) { refuse(hv, "root not pinned", a, b); result = REFUSED; break; }
        if (!p->booted && !first_baseptr(hv)) { result = REFUSED; break; }
        v[CR_PTB] = a;
        v[CR_ASID] = b;
        v[CR_MMU] = 1;
        pv_load_context(hv);
        break;
    }
    case HC_UPDATE_VA: {
        uint32_t gpa;
        if (!p->booted || !entry_of(hv, a, &gpa)) {
            refuse(hv, "no table entry maps the address", a, b);
            result = REFUSED;
            break;
        }
        if (!update(hv, gpa, b)) { result = REFUSED; break; }
        mmu_invlpg(m, a);
        break;
    }
    case HC_INVLPG: mmu_invlpg(m, a); break;
    case HC_TLB_FLUSH: mmu_flush_all(m); break;
    case HC_IRET:
        v[CR_SR] = shared_rd(hv, SH_ESR) & (SR_IE | SR_RING_MASK);
        *next = shared_rd(hv, SH_EPC);
        if (SR_RING(v[CR_SR]) != 0) {
            R[ISA_REG_SP] = shared_rd(hv, SH_USP);
            p->traps_replaced += 4; /* mtcr epc, esr, usp; iret */
        } else {
            p->traps_replaced += 1; /* iret */
        }
        R[1] = shared_rd(hv, SH_R1);
        return PV_RESUME;
    case HC_EVENTS: break; /* what is pending is delivered on the way out */
    case HC_OUT:
        if (!vcpu_port_out(hv, a, b)) return PV_STOPPED;
        break;
    case HC_IN: result = vdev_in(hv, vm, a); break;
    case HC_BLOCK:
        /* sti; hlt in one: interrupts on, and wait for one — delivered on
         * the way out (past the vmcall), so none can slip in between */
        v[CR_SR] |= SR_IE;
        if (!vcpu_halt(hv)) return PV_STOPPED;
        break;
    case HC_CONSOLE_WRITE: {
        /* -> the bytes written: at most PV_MAX_PER_CALL, up to the first one
         * the kernel could not read itself (as a copy loop in it would
         * fault there), and never on past the top of the address space */
        if (b > PV_MAX_PER_CALL) b = PV_MAX_PER_CALL;
        uint32_t gpa = 0, w;
        for (result = 0; result < b; result++) {
            uint32_t va = a + result;
            if (va < a) { refuse(hv, "console bytes wrap around the address space", a, b); break; }
            if ((result == 0 || (va & 0xfff) == 0) && !guest_va(hv, va, &gpa)) {
                refuse(hv, "console byte not readable by the kernel", va, b);
                break;
            }
            if (!hv_guest_read32(hv, gpa & ~3u, &w)) { refuse(hv, "console byte outside the VM", va, b); break; }
            vdev_out(hv, vm, PORT_CON_DATA, (w >> (8 * (gpa & 3))) & 0xff);
            gpa++;
        }
        p->traps_replaced += result; /* one out per byte */
        break;
    }
    }
    R[1] = result;
    R[0] = 0;
    return PV_RESUME;
}

/* ---- --invariants: the frame table against the tables themselves ---------------------- */
/*
 * After every hypercall that changes page tables (--invariants; labs/
 * grade.sh turns it on), the hypervisor counts afresh, from the pinned
 * roots down, what its frame table keeps count of as it goes, and holds
 * the two to each other and to the rules in this file's header: every
 * entry in the VM and no large page; each table at one level; no table
 * mapped writable, nor the shared page a table; the root in use pinned;
 * and each frame's level, table references and writable mappings as the
 * tables have them.  The first rule broken stops the guest there, saying
 * which, where and when (vcpu_invariant_broken, as shadow.c does).  The
 * count reads with vcpu_peek32: checking costs the guest no cycle.
 */
struct recount {
    uint32_t *tcount, *wcount, *went;   /* references, writable mappings, one writable entry */
    uint8_t *level;
};

/* Counts table f (of level) and the tables below it; the rule it breaks, if
 * any, with the entry (*at = its address, *pte = its value). */
static const char *recount(struct hv *hv, struct recount *rc, uint32_t f, unsigned level, uint32_t *at, uint32_t *pte)
{
    const struct pv *p = &hv->pv;
    for (uint32_t i = 0, n = entries(hv, level); i < n; i++) {
        uint32_t e = (f << 12) + 4 * i, v;
        if (!vcpu_peek32(hv, e, &v) || !(v & PTE_P)) continue;
        uint32_t g = v >> 12;
        *at = e;
        *pte = v;
        if (g >= p->nframes) return "a table entry names a frame outside the VM";
        if (level == bottom(hv)) {
            if (v & PTE_W) rc->wcount[g]++, rc->went[g] = e;
            continue;
        }
        if (v & PTE_L) return "a table entry above the bottom level maps a large page";
        rc->tcount[g]++;
        if (rc->level[g] && rc->level[g] != level + 2) return "a table is linked at two levels";
        if (rc->level[g]) continue;
        rc->level[g] = (uint8_t)(level + 2);
        const char *broken = recount(hv, rc, g, level + 1, at, pte);
        if (broken) return broken;
    }
    return NULL;
}

/* False after stopping the guest at the first rule broken. */
static bool pv_invariants_hold(struct hv *hv)
{
    struct pv *p = &hv->pv;
    if (!p->booted || !p->fr) return true;
    struct recount rc = {calloc(p->nframes, 4), calloc(p->nframes, 4), calloc(p->nframes, 4), calloc(p->nframes, 1)};
    const char *broken = NULL;
    uint32_t at = 0, pte = 0, bad = 0;   /* the entry that breaks it, and the frame */
    if (!rc.tcount || !rc.wcount || !rc.went || !rc.level) goto out;   /* no host memory to check with */
    for (uint32_t f = 0; f < p->nframes && !broken; f++) {
        if (!p->fr[f].pinned) continue;
        rc.tcount[f]++;
        if (rc.level[f] > 1) broken = "a table is linked at two levels", bad = f;
        else if (!rc.level[f]) {
            rc.level[f] = 1;
            if ((broken = recount(hv, &rc, f, 0, &at, &pte))) bad = pte >> 12;
        }
    }
    if (!broken && ((hv->vcpu.cr[CR_PTB] >> 12) >= p->nframes || !p->fr[hv->vcpu.cr[CR_PTB] >> 12].pinned))
        broken = "the root in use is not a pinned root", bad = hv->vcpu.cr[CR_PTB] >> 12;
    for (uint32_t f = 0; f < p->nframes && !broken; f++) {
        const struct pv_frame *x = &p->fr[f];
        if (rc.level[f] && rc.wcount[f]) broken = "a page table is mapped writable";
        else if (rc.level[f] && is_shared(p, f)) broken = "the shared page is a page table";
        else if (rc.level[f] != x->level) broken = "the frame table gives a frame another level than the tables do";
        else if (rc.level[f] && rc.tcount[f] != x->tcount) broken = "the frame table counts another number of references to a table";
        else if (rc.wcount[f] != x->wcount) broken = "the frame table counts another number of writable mappings of a frame";
        if (!broken) continue;
        bad = f;
        at = rc.went[f];
        if (!rc.wcount[f] || !vcpu_peek32(hv, at, &pte)) at = pte = 0;
    }
out:
    if (broken) {
        if (at) vcpu_invariant_broken(hv, "%s: frame 0x%05x (entry at 0x%08x = 0x%08x)", broken, bad, at, pte);
        else vcpu_invariant_broken(hv, "%s: frame 0x%05x", broken, bad);
    }
    free(rc.tcount);
    free(rc.wcount);
    free(rc.went);
    free(rc.level);
    return !broken;
}

/* ---- traps --------------------------------------------------------------------------- */
/* A hypercall of the paravirtual kernel; next is past its vmcall. */
static void hypercall(struct hv *hv, uint32_t next)
{
    uint32_t op = hv->m->cpu.r[1];
    switch (pv_hypercall(hv, &next)) {
    case PV_RESUME:
        if (hv->cfg.invariants && (op == HC_MMU_UPDATE || op == HC_PIN || op == HC_UNPIN || op == HC_NEW_BASEPTR
                                   || op == HC_UPDATE_VA) && !pv_invariants_hold(hv))
            return;   /* stopped */
        hv->m->cpu.trap_depth = 0;   /* the vmcall completed */
        if (!vcpu_deliver_pending(hv, next)) vcpu_resume(hv, next);
        return;
    case PV_STOPPED:
        hv->m->cpu.pc = next;
        return;
    case PV_KILL:
        vcpu_kill(hv, hv->pv.last_refusal);
        return;
    }
}

/* A privileged instruction of a paravirtual kernel: it should have made a
 * hypercall.  One that never registered is no paravirtual kernel at all. */
static void privileged(struct hv *hv, uint32_t epc)
{
    if (hv->pv.shared) {
        vcpu_reflect(hv, CAUSE_PROTECTION, 0, epc);   /* as the hardware would: the kernel's bug */
        return;
    }
    struct isa_insn in;
    char why[160];
    snprintf(why, sizeof why, "not a paravirtual kernel: privileged instruction %s at 0x%08x "
             "(a pv kernel makes hypercalls; build it with ringsim asm -D PV=1)",
             vcpu_fetch(hv, epc, &in) ? isa_info[in.op].mnemonic : "?", epc);
    vcpu_kill(hv, why);
}

/* Every trap of the guest: the kernel's hypercalls, and its privileged
 * instructions (which it should not make); the rest is what every
 * deprivileged guest gets — its page faults too, which are its own: the
 * MMU walks its own tables, there is no shadow to fill. */
static void pv_trap(struct hv *hv, enum isa_cause cause, uint32_t badaddr, uint32_t epc)
{
    pv_sync_in(hv);
    bool from_kernel = SR_RING(hv->vcpu.cr[CR_SR]) == 0;
    if (cause == CAUSE_PROTECTION && from_kernel) privileged(hv, epc);
    else if (cause == CAUSE_HYPERCALL && from_kernel) hypercall(hv, epc);   /* epc is past the vmcall */
    else vcpu_trap(hv, cause, badaddr, epc);
}

/* The guest's virtual CPU onto the machine, deprivileged, on its own
 * tables (or the boot map). */
static void pv_enter(struct hv *hv)
{
    vcpu_load(hv);
    pv_load_context(hv);
    vcpu_run(hv);
}

/* ---- snapshots: the frame table, whose filling cost cycles ------------------------------ */
static bool pv_snap_save(const struct hv *hv, void **copy, size_t *bytes)
{
    const struct pv *p = &hv->pv;
    *copy = NULL;
    *bytes = p->fr ? p->nframes * sizeof *p->fr : 0;
    if (!*bytes) return true;
    if (!(*copy = malloc(*bytes))) return false;
    memcpy(*copy, p->fr, *bytes);
    return true;
}

/* The live frame table stays, refilled if it has the copy's size. */
static void pv_snap_restore(struct hv *hv, const struct hv *live, const void *copy)
{
    struct pv *p = &hv->pv;
    p->fr = live->pv.fr;
    if (copy && p->fr && live->pv.nframes == p->nframes) memcpy(p->fr, copy, p->nframes * sizeof *p->fr);
}

/* ---- save files: the shared page, the counters and the frame table ------------------------ */
static void pv_frame_file(struct savefile *f, struct pv_frame *e)
{
    sf_u32(f, &e->tcount);
    sf_u32(f, &e->wcount);
    sf_u8(f, &e->level);
    sf_u8(f, &e->pinned);
}

static void pv_file(struct hv *hv, struct savefile *f)
{
    struct pv *p = &hv->pv;
    sf_u32(f, &p->shared);
    sf_bool(f, &p->booted);
    sf_u32(f, &p->boot_root);
    uint64_t *c[] = {&p->hypercalls, &p->updates, &p->batches, &p->tables_validated, &p->type_flushes,
                     &p->refused, &p->traps_replaced};
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) sf_u64(f, c[i]);
    sf_u64s(f, "hypercall kinds", p->by_op, PV_HC_COUNT);
    sf_string(f, p->last_refusal, sizeof p->last_refusal);
    pv_frame_file(f, &p->outside);
    /* the frame table is made with the VM (pv_init): the same size or none */
    sf_same(f, "paravirtual frames", p->fr ? p->nframes : 0);
    for (uint32_t i = 0; p->fr && i < p->nframes && sf_ok(f); i++) pv_frame_file(f, &p->fr[i]);
}

/* ---- statistics ------------------------------------------------------------------------ */
static void pv_stats(const struct hv *hv, json_t *o, bool current)
{
    const struct pv *p = &hv->pv;
    if (!current) return;
    json_t *by = json_object();
    for (int op = 1; op < PV_HC_COUNT; op++)
        if (p->by_op[op]) json_object_set_new(by, pv_hypercall_name[op], json_integer((json_int_t)p->by_op[op]));
    json_object_set_new(o, "pv", json_pack("{s:I,s:o,s:I,s:I,s:I,s:I,s:I,s:I,s:s}",
        "hypercalls", (json_int_t)p->hypercalls, "by_op", by, "updates", (json_int_t)p->updates,
        "batches", (json_int_t)p->batches, "tables_validated", (json_int_t)p->tables_validated,
        "type_flushes", (json_int_t)p->type_flushes, "refused", (json_int_t)p->refused,
        "traps_replaced", (json_int_t)p->traps_replaced, "last_refusal", p->last_refusal));
}

static void pv_describe(const struct hv *hv, char *buf, size_t len)
{
    (void)hv;
    snprintf(buf, len, "%s, on its own page tables (every update validated)", hv_pv.name);
}

const struct hv_technique hv_pv = {
    .mode = HV_PV,
    .name = "pv",
    .title = "paravirtualisation",
    .default_mmu = HV_MMU_NONE,
    .deprivileged = true,
    .no_switch_why = "pv runs a paravirtualised build of the kernel (hypercalls in place of sensitive "
                     "instructions), which a running guest cannot become or stop being",
    .no_mmu_why = "--mode pv takes no --mmu: the paravirtual kernel's own page tables, each update validated "
                  "by the hypervisor, are the MMU's (no shadow, no nested)",
    .build = "pv",
    .compare_rank = {[HV_MMU_NONE] = 6},
    .enter = pv_enter,
    .on_trap = pv_trap,
    .guest_cr = vcpu_guest_cr,
    .publish_resume = pv_sync_out,
    .publish_trap = pv_trap_info,
    .init = pv_init,
    .free = pv_free,
    .snap_save = pv_snap_save,
    .snap_restore = pv_snap_restore,
    .file = pv_file,
    .stats = pv_stats,
    .dma_may_write = pv_dma_may_write,
    .describe = pv_describe,
};
