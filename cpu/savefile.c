/*
 * savefile.c — a VM in a file: the machine written out field by field, and
 * read back into a machine built to the same shape.
 *
 * The format (docs/savefile.md): a header — magic, version, ISA id, its own
 * CRC — then sections, each a 4-byte tag, a length, the payload and a CRC-32
 * of all three, ending with an END_ section.  The whole file is read and
 * every CRC checked before anything is applied, so a truncated or corrupted
 * file is refused before it touches a machine.
 *
 * The one idea: each part of the state has one visit function, which writes
 * its fields when the stream is writing and reads them when it is reading
 * (sf_writing).  The layout is written down once, in that function, and the
 * reader cannot drift from the writer.  Nothing is a memcpy of a struct:
 * padding, host pointers and a new compiler's layout stay out of the file.
 *
 * What is stored: the CPU, ring -1's VMCSs, devices, the profile's costs,
 * the statistics, the MMU with its TLB, page-walk cache and nested TLB
 * (hits and misses cost cycles), memory (pages of zeros left out), binary
 * translation's code cache (translating cost cycles), and through the
 * hooks the hypervisor's state.  What is rebuilt: the decode cache, from
 * memory — only which pages were decoded is stored, since a store into a
 * decoded page counts (code_writes) and the statistics count the fills.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/decode.h"

#define PAGE 4096u
#define SF_MAGIC "RSIMSAVE"
#define SF_VERSION 4u
#define SF_HEADER 20u          /* magic 8, version 4, ISA id 4, header CRC 4 */
#define SF_MAX_FILE (1ull << 31)
#define SF_NO_PAGE 0xffffffffu /* ends a list of pages */

/* The sections, in the order they are written and read. */
#define SF_SECTIONS(X)                                                       \
    X(SEC_CONF, "CONF", "the configuration the machine is rebuilt from")     \
    X(SEC_MEM,  "MEM_", "physical memory, pages of zeros left out")          \
    X(SEC_MACH, "MACH", "CPU, VMCSs, devices, profile, statistics")          \
    X(SEC_MMU,  "MMU_", "the MMU: registers, TLB, page-walk cache, nested TLB") \
    X(SEC_DECO, "DECO", "which pages the decode cache held (rebuilt)")       \
    X(SEC_BTCC, "BTCC", "binary translation's code cache")                   \
    X(SEC_SOFT, "SOFT", "the software above the CPU: the hypervisor")        \
    X(SEC_NET,  "NET_", "the network: interfaces, frames in flight, switch") \
    X(SEC_END,  "END_", "the end of the file")

enum sf_section {
#define X(id, tag, desc) id,
    SF_SECTIONS(X)
#undef X
    SEC_COUNT
};
static const char sf_tag[SEC_COUNT][5] = {
#define X(id, tag, desc) tag,
    SF_SECTIONS(X)
#undef X
};

struct savefile {
    bool writing;
    uint8_t *buf;              /* writing: grows; reading: the section's payload */
    size_t len, cap, pos;
    const char *section;       /* for messages */
    char err[256];             /* the first error, "" = none */
};

struct saved_machine {
    char path[4096];
    char *data;
    size_t len;
    size_t off[SEC_COUNT], size[SEC_COUNT];
    bool has[SEC_COUNT];
};

/* What each older format version lacks, for the message that refuses it
 * (docs/savefile.md, "Versions"). */
static const char *const sf_older[] = {
    [1] = "an older ringsim's, before the disk's completion interrupt: a trap cause, a hypercall and the "
          "disk's registers more since",
    [2] = "an older ringsim's, before the network: trap cause 13 (net) and the NET_ section of interfaces and "
          "frames in flight since",
    [3] = "an older ringsim's, before binary translation's chaining: the code cache's chained exits and its "
          "dispatch counters since",
};

/* ---- CRC-32 (IEEE 802.3, as zlib's), table-driven ---------------------------- */
uint32_t savefile_crc32(const void *p, size_t n, uint32_t crc)
{
    static uint32_t table[256];
    if (!table[1])
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t c = i;
            for (int k = 0; k < 8; k++) c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
            table[i] = c;
        }
    const uint8_t *b = p;
    crc = ~crc;
    while (n--) crc = table[(crc ^ *b++) & 0xff] ^ (crc >> 8);
    return ~crc;
}

/* The ISA id: a CRC of the instruction table, so that a file written by a
 * build with another instruction set is refused. */
static uint32_t isa_id(void)
{
    uint32_t crc = 0;
    for (int op = 0; op < OP_COUNT; op++) {
        const struct isa_info *i = &isa_info[op];
        uint8_t row[4] = {i->opcode, (uint8_t)i->format, (uint8_t)i->cls,
                          (uint8_t)(i->privileged | i->sensitive << 1)};
        crc = savefile_crc32(i->mnemonic, strlen(i->mnemonic), savefile_crc32(row, 4, crc));
    }
    return crc;
}

/* ---- the stream -------------------------------------------------------------- */
bool sf_writing(const struct savefile *f) { return f->writing; }
bool sf_ok(const struct savefile *f) { return !f->err[0]; }

void sf_fail(struct savefile *f, const char *fmt, ...)
{
    if (f->err[0]) return;   /* the first error is the one to report */
    int n = snprintf(f->err, sizeof f->err, "section %s: ", f->section ? f->section : "?");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->err + n, sizeof f->err - (size_t)n, fmt, ap);
    va_end(ap);
}

static void put(struct savefile *f, const void *p, size_t n)
{
    if (f->err[0] || !n) return;
    if (f->len + n > f->cap) {
        size_t cap = f->cap ? f->cap : 65536;
        while (cap < f->len + n) cap *= 2;
        uint8_t *b = realloc(f->buf, cap);
        if (!b) {
            sf_fail(f, "out of host memory");
            return;
        }
        f->buf = b;
        f->cap = cap;
    }
    memcpy(f->buf + f->len, p, n);
    f->len += n;
}

static bool get(struct savefile *f, void *p, size_t n)
{
    if (f->err[0]) return false;
    if (!n) return true;
    if (f->len - f->pos < n) {
        sf_fail(f, "ends early (%zu bytes, more expected)", f->len);
        memset(p, 0, n);
        return false;
    }
    memcpy(p, f->buf + f->pos, n);
    f->pos += n;
    return true;
}

/* Little-endian whatever the host: n bytes of v. */
static void sf_le(struct savefile *f, uint64_t *v, unsigned n)
{
    uint8_t b[8];
    if (f->writing) {
        for (unsigned i = 0; i < n; i++) b[i] = (uint8_t)(*v >> (8 * i));
        put(f, b, n);
        return;
    }
    *v = 0;
    if (!get(f, b, n)) return;
    for (unsigned i = 0; i < n; i++) *v |= (uint64_t)b[i] << (8 * i);
}

void sf_u8(struct savefile *f, uint8_t *v) { uint64_t x = *v; sf_le(f, &x, 1); *v = (uint8_t)x; }
void sf_u16(struct savefile *f, uint16_t *v) { uint64_t x = *v; sf_le(f, &x, 2); *v = (uint16_t)x; }
void sf_u32(struct savefile *f, uint32_t *v) { uint64_t x = *v; sf_le(f, &x, 4); *v = (uint32_t)x; }
void sf_u64(struct savefile *f, uint64_t *v) { sf_le(f, v, 8); }
void sf_int(struct savefile *f, int *v) { uint64_t x = (uint32_t)*v; sf_le(f, &x, 4); *v = (int)(int32_t)(uint32_t)x; }
void sf_unsigned(struct savefile *f, unsigned *v) { uint64_t x = *v; sf_le(f, &x, 4); *v = (unsigned)x; }

void sf_bool(struct savefile *f, bool *v)
{
    uint64_t x = *v;
    sf_le(f, &x, 1);
    if (x > 1) sf_fail(f, "a flag reads %u, expected 0 or 1", (unsigned)x);
    *v = x == 1;
}

void sf_bytes(struct savefile *f, void *p, size_t n)
{
    if (f->writing) put(f, p, n);
    else get(f, p, n);
}

void sf_string(struct savefile *f, char *s, size_t cap)
{
    uint32_t n = f->writing ? (uint32_t)strnlen(s, cap - 1) : 0;
    sf_u32(f, &n);
    if (n >= cap) {
        sf_fail(f, "a string of %u bytes where at most %zu fit", n, cap - 1);
        return;
    }
    sf_bytes(f, s, n);
    s[n] = 0;
}

void sf_same(struct savefile *f, const char *what, uint32_t v)
{
    uint32_t x = v;
    sf_u32(f, &x);
    if (!f->writing && sf_ok(f) && x != v)
        sf_fail(f, "the saved machine has %s %u, this one %u", what, x, v);
}

void sf_u32s(struct savefile *f, const char *what, uint32_t *v, uint32_t n)
{
    sf_same(f, what, n);
    for (uint32_t i = 0; i < n && sf_ok(f); i++) sf_u32(f, &v[i]);
}

void sf_u64s(struct savefile *f, const char *what, uint64_t *v, uint32_t n)
{
    sf_same(f, what, n);
    for (uint32_t i = 0; i < n && sf_ok(f); i++) sf_u64(f, &v[i]);
}

/* ---- the machine, part by part ------------------------------------------------ */
static void visit_detour(struct savefile *f, struct cpu_detour *d)
{
    sf_u8(f, &d->kind);
    sf_bool(f, &d->past_ok);
    sf_bool(f, &d->mid_block);
    sf_bool(f, &d->mid_next);
    sf_bool(f, &d->bt);
    sf_bool(f, &d->past_if_no_code_write);
    sf_u32(f, &d->pc);
    sf_u32(f, &d->pa);
    sf_u64(f, &d->code_writes);
}

static void visit_vmcs(struct savefile *f, struct vmcs *v, bool used)
{
    sf_u32s(f, "registers", v->r, ISA_NREGS);
    sf_u32(f, &v->pc);
    sf_u32s(f, "control registers", v->cr, CR_COUNT);
    sf_int(f, &v->trap_depth);
    visit_detour(f, &v->detour);
    sf_same(f, "opcodes", OP_COUNT);
    for (int op = 0; op < OP_COUNT; op++) sf_bool(f, &v->exit_on_op[op]);
    sf_u32(f, &v->cr_exit_mask);
    sf_u32(f, &v->exception_bitmap);
    sf_bool(f, &v->irq_window);
    sf_u32(f, &v->ept_root);
    sf_unsigned(f, &v->ept_levels);
    /* (every VMCS a hypervisor made has a host table's levels; the walker
     * knows no other) */
    if (used && (v->ept_levels < 2 || v->ept_levels > MMU_MAX_LEVELS))
        sf_fail(f, "a VMCS whose host table has %u levels: expected 2 to %d", v->ept_levels, MMU_MAX_LEVELS);
    sf_u16(f, &v->vpid);
    sf_u32(f, &v->guest_memsize);
    sf_bool(f, &v->inject);
    SF_ENUM(f, v->inject_cause);
    sf_u32(f, &v->inject_badaddr);
    sf_u32(f, &v->inject_epc);
    SF_ENUM(f, v->exit_reason);
    sf_u32(f, &v->exit_qual);
    sf_u32(f, &v->exit_guest_va);
    sf_u32(f, &v->exit_fault);
}

static void visit_vmx(struct savefile *f, struct vmx *x)
{
    sf_bool(f, &x->enabled);
    sf_bool(f, &x->nested);
    sf_bool(f, &x->vpid_tags);
    sf_int(f, &x->cur);
    sf_bool(f, &x->injecting);
    sf_int(f, &x->nvmcs);
    if (x->nvmcs < 0 || x->nvmcs > MAX_VMS || x->cur < -1 || x->cur >= x->nvmcs) {
        sf_fail(f, "%d VMCSs, the current %d: expected at most %d", x->nvmcs, x->cur, MAX_VMS);
        return;
    }
    for (int i = 0; i < MAX_VMS; i++) visit_vmcs(f, &x->vmcs[i], i < x->nvmcs);
    sf_u64(f, &x->exits);
    sf_u64s(f, "exit reasons", x->exits_by_reason, EXIT_COUNT);
}

/* The console's input script is the machine's copy (machine_set_input). */
static void visit_console(struct savefile *f, struct machine *m)
{
    struct console *c = &m->con;
    uint32_t n = c->input_len;
    sf_u32(f, &n);
    if (f->writing) {
        sf_bytes(f, c->input, n);
    } else if (sf_ok(f)) {
        if (n > f->len - f->pos) {
            sf_fail(f, "console input of %u bytes, more than the section holds", n);
            return;
        }
        machine_set_input(m, (const char *)f->buf + f->pos, n);
        f->pos += n;
    }
    sf_u32(f, &c->input_pos);
    if (c->input_pos > c->input_len) sf_fail(f, "console input read past its end");
    sf_bool(f, &c->rx_irq_enabled);
    sf_u64(f, &c->bytes_out);
}

static void visit_profile(struct savefile *f, struct profile *p)
{
    sf_string(f, p->name, sizeof p->name);
    sf_string(f, p->source, sizeof p->source);
    sf_u32s(f, "instruction classes", p->class_cycles, CL_COUNT);
#define X(key, dflt, desc) sf_u32(f, &p->key);
    PROFILE_COSTS(X)
#undef X
}

static void visit_stats(struct savefile *f, struct stats *s)
{
    sf_u64(f, &s->instructions);
    sf_u64(f, &s->cycles);
    sf_u64s(f, "cycle causes", s->cycles_by_cause, CY_COUNT);
    sf_u64(f, &s->mem_refs);
    sf_u64(f, &s->traps_total);
    sf_u64s(f, "trap causes", s->traps_by_cause, CAUSE_COUNT);
    sf_u64(f, &s->interrupts);
    sf_u64(f, &s->io_ops);
    sf_u64(f, &s->decoded_pages);
}

static void visit_machine(struct savefile *f, struct machine *m)
{
    sf_same(f, "memory bytes", m->memsize);
    struct cpu *c = &m->cpu;
    sf_u32s(f, "registers", c->r, ISA_NREGS + 1);
    sf_u32(f, &c->pc);
    sf_u32s(f, "control registers", c->cr, CR_COUNT);
    sf_bool(f, &c->nonroot);
    sf_int(f, &c->trap_depth);
    SF_ENUM(f, m->isa);
    sf_unsigned(f, &m->levels);
    visit_vmx(f, &m->vmx);
    visit_console(f, m);
    sf_u32(f, &m->timer.period);
    sf_u64(f, &m->timer.deadline);
    sf_bool(f, &m->timer.pending);
    disk_file(f, &m->disk);
    visit_profile(f, &m->prof);
    visit_stats(f, &m->st);
    sf_u64(f, &m->max_cycles);
    SF_ENUM(f, m->stop);
    sf_u32(f, &m->exit_code);
    sf_string(f, m->stop_detail, sizeof m->stop_detail);
    sf_bool(f, &m->resume.valid);
    sf_bool(f, &m->resume.mid_block);
    sf_bool(f, &m->resume.bt);
    sf_bool(f, &m->resume.unseen);
    sf_u32(f, &m->resume.pc);
    sf_u32(f, &m->resume.pa);
    sf_u64(f, &m->resume.gen);
    visit_detour(f, &m->detour);
    sf_u64(f, &m->code_writes);
    sf_bool(f, &m->trap_to_hv);
    sf_bool(f, &m->bt_active);
    sf_u64(f, &m->bt.blocks);
    sf_u64(f, &m->bt.instructions);
    sf_u64(f, &m->bt.cache_hits);
    sf_u64(f, &m->bt.invalidations);
    sf_u64(f, &m->bt.callouts);
    sf_u64(f, &m->bt.dispatches);
    sf_u64(f, &m->bt.chained);
    sf_u64(f, &m->bt.unchains);
}

static void visit_walk(struct savefile *f, struct walk_result *w)
{
    sf_u32(f, &w->vaddr);
    SF_ENUM(f, w->access);
    sf_bool(f, &w->faulted);
    sf_u32(f, &w->pa);
    sf_u32(f, &w->fault);
    sf_u32(f, &w->nested_gpa);
    sf_bool(f, &w->writable);
    sf_bool(f, &w->user);
    sf_u8(f, &w->leaf_level);
    sf_int(f, &w->nrefs);
    if (w->nrefs < 0 || w->nrefs > MMU_MAX_WALK_REFS) {
        sf_fail(f, "a walk of %d references, at most %d expected", w->nrefs, MMU_MAX_WALK_REFS);
        return;
    }
    for (int i = 0; i < w->nrefs; i++) {
        struct walk_ref *r = &w->refs[i];
        sf_u8(f, &r->level);
        sf_u8(f, &r->kind);
        sf_u8(f, &r->dim);
        sf_u32(f, &r->table);
        sf_u32(f, &r->index);
        sf_u32(f, &r->pte);
    }
}

static void visit_mmu(struct savefile *f, struct machine *m)
{
    struct mmu *u = &m->mmu;
    sf_bool(f, &u->paging);
    sf_bool(f, &u->asid_tags);
    sf_bool(f, &u->phys_space);
    sf_same(f, "page-table levels", u->levels);
    sf_same(f, "TLB entries", u->tlb_entries);
    sf_same(f, "TLB ways", u->tlb_ways);
    sf_same(f, "page-walk cache entries", u->pwc_entries);
    sf_same(f, "nested TLB entries", u->ntlb_entries);
    sf_u64(f, &u->lru_clock);
    sf_u32(f, &u->nested_fault_gpa);
    sf_u32(f, &u->nested_fault_va);
    sf_u64(f, &u->gen);
    uint64_t *st[] = {&u->st.tlb_hits, &u->st.tlb_misses, &u->st.tlb_flushes, &u->st.tlb_evictions,
                      &u->st.walks, &u->st.walk_refs, &u->st.walk_ad_writes, &u->st.pwc_hits,
                      &u->st.ntlb_hits, &u->st.page_faults};
    for (size_t i = 0; i < sizeof st / sizeof st[0]; i++) sf_u64(f, st[i]);
    visit_walk(f, &u->last_walk);
    sf_u32(f, &u->last_vpn);
    /* the shortcut's host pointer, as an offset into memory; with no
     * shortcut (last_vpn none) it is stale, and would make the file depend
     * on where the host put memory: written as 0 */
    uint64_t off = u->last_vpn == 0xffffffffu ? 0 : (uint64_t)(u->last_addend - (uintptr_t)m->mem);
    sf_u64(f, &off);
    u->last_addend = (uintptr_t)m->mem + (uintptr_t)off;
    sf_bool(f, &u->last_write_ok);
    mmu_soft_clear(u);   /* not saved: it stands for the TLB as it was before */
    for (unsigned i = 0; i < u->tlb_slots && sf_ok(f); i++) {
        struct tlb_entry *e = &u->tlb[i];
        sf_u32(f, &e->vpn);
        sf_u32(f, &e->pfn);
        sf_u16(f, &e->asid);
        sf_u16(f, &e->vpid);
        uint8_t *b[] = {&e->valid, &e->global, &e->writable, &e->user, &e->dirty, &e->level, &e->soft, &e->phys};
        for (size_t k = 0; k < sizeof b / sizeof b[0]; k++) sf_u8(f, b[k]);
        sf_u64(f, &e->lru);
    }
    for (unsigned i = 0; i < u->pwc_entries && sf_ok(f); i++) {
        struct pwc_entry *e = &u->pwc[i];
        sf_u32(f, &e->prefix);
        sf_u32(f, &e->pte);
        sf_u16(f, &e->asid);
        sf_u16(f, &e->vpid);
        sf_u8(f, &e->level);
        sf_u8(f, &e->dim);
        sf_u8(f, &e->valid);
        sf_u64(f, &e->lru);
    }
    for (unsigned i = 0; i < u->ntlb_entries && sf_ok(f); i++) {
        struct ntlb_entry *e = &u->ntlb[i];
        sf_u32(f, &e->gpn);
        sf_u32(f, &e->hpn);
        sf_u16(f, &e->vpid);
        sf_u8(f, &e->valid);
        sf_u8(f, &e->writable);
        sf_u64(f, &e->lru);
    }
}

/* A page number read from a list of pages: false (and the error) if it is
 * not the end of the list and not a page of this machine. */
static bool page_in_list(struct savefile *f, struct machine *m, uint32_t *i)
{
    sf_u32(f, i);
    if (!sf_ok(f) || *i == SF_NO_PAGE) return false;
    if (*i >= m->memsize / PAGE) {
        sf_fail(f, "page %u outside memory (%u pages)", *i, m->memsize / PAGE);
        return false;
    }
    return true;
}

/* One page of memory: whole, or — as most of a kernel's free frames are
 * zeros but for a free-list link — as its non-zero words alone, each after
 * its index, when that is shorter. */
#define PAGE_WORDS (PAGE / 4)
enum { PAGE_WHOLE, PAGE_SPARSE };

static void visit_page(struct savefile *f, uint8_t *page)
{
    uint16_t n = 0;
    if (f->writing)
        for (unsigned w = 0; w < PAGE_WORDS; w++) n += memcmp(page + 4 * w, "\0\0\0\0", 4) != 0;
    uint8_t kind = n < PAGE_WORDS * 2 / 3 ? PAGE_SPARSE : PAGE_WHOLE;
    sf_u8(f, &kind);
    if (kind == PAGE_WHOLE) {
        sf_bytes(f, page, PAGE);
        return;
    }
    if (kind != PAGE_SPARSE) {
        sf_fail(f, "a page stored as kind %u, expected %u or %u", kind, PAGE_WHOLE, PAGE_SPARSE);
        return;
    }
    sf_u16(f, &n);
    if (!f->writing) memset(page, 0, PAGE);   /* the words not stored */
    uint16_t w = 0;
    for (unsigned i = 0; i < n && sf_ok(f); i++, w++) {
        if (f->writing)
            while (memcmp(page + 4 * w, "\0\0\0\0", 4) == 0) w++;
        sf_u16(f, &w);
        if (w >= PAGE_WORDS) {
            sf_fail(f, "word %u of a page of %u", w, PAGE_WORDS);
            return;
        }
        sf_bytes(f, page + 4 * w, 4);
    }
}

/* Memory: the pages that are not all zeros, each after its number. */
static void visit_memory(struct savefile *f, struct machine *m)
{
    static const uint8_t zero[PAGE];
    uint32_t n = m->memsize / PAGE, end = SF_NO_PAGE;
    if (f->writing) {
        for (uint32_t i = 0; i < n; i++) {
            if (memcmp(m->mem + (size_t)i * PAGE, zero, PAGE) == 0) continue;
            sf_u32(f, &i);
            visit_page(f, m->mem + (size_t)i * PAGE);
        }
        sf_u32(f, &end);
        return;
    }
    /* pages not in the file are zeros; those already zero are left
     * untouched, so memory the guest never used costs the host nothing */
    uint32_t i = SF_NO_PAGE, next = 0;
    for (bool more = true; more;) {
        more = page_in_list(f, m, &i);
        uint32_t upto = more ? i : n;
        if (more && i < next) {
            sf_fail(f, "page %u after page %u: pages are stored in order", i, next - 1);
            return;
        }
        for (; next < upto; next++)
            if (memcmp(m->mem + (size_t)next * PAGE, zero, PAGE) != 0) memset(m->mem + (size_t)next * PAGE, 0, PAGE);
        if (more) visit_page(f, m->mem + (size_t)i * PAGE);
        next = upto + (more ? 1 : 0);
    }
    for (uint32_t k = 0; k < n; k++) decode_invalidate_page(m, k);
}

/* The decode cache is rebuilt from memory: only which pages it held, and
 * which pages count as code (a store into one is a code write). */
static void visit_decoded(struct savefile *f, struct machine *m)
{
    uint32_t n = m->memsize / PAGE;
    sf_same(f, "pages", n);
    uint64_t fills = m->st.decoded_pages;   /* rebuilding is not the guest's doing */
    for (uint32_t i = 0; i < n && sf_ok(f); i++) {
        uint8_t b = (uint8_t)((m->dpages[i] && m->dpages[i]->valid) | (m->code_page[i] ? 2 : 0));
        sf_u8(f, &b);
        if (f->writing) continue;
        if (b & 1) decode_page_get(m, i);
        m->code_page[i] = b >> 1 & 1;
    }
    m->st.decoded_pages = fills;
}

static void visit_bt_page(struct savefile *f, struct decode_page *p, uint32_t memsize, uint32_t tlb_hit)
{
    for (unsigned k = 0; k <= PAGE_INSNS; k++) {
        struct dinsn *d = &p->insn[k];
        sf_u8(f, &d->op);
        sf_u8(f, &d->a);
        sf_u8(f, &d->b);
        sf_u8(f, &d->c);
        /* (a branch's target as its index in the page, as decoded; read
         * back, it is made a place again below, once guest_op is known) */
        bool target = f->writing && k < PAGE_INSNS && dinsn_has_page_target(p->guest_op[k]);
        uint32_t imm = (uint32_t)(target ? DINSN_TARGET_INDEX(d->imm) : d->imm);
        sf_u32(f, &imm);
        if (!f->writing) d->imm = (int32_t)imm;
        /* the file keeps the block totals in 32 + 16 + 16 bits */
        uint32_t total = d->blk_total;
        uint16_t n = (uint16_t)DINSN_BLK_N(d), mem = (uint16_t)DINSN_BLK_MEM(d);
        sf_u32(f, &total);
        sf_u16(f, &n);
        sf_u16(f, &mem);
        d->blk_total = total;
        d->blk_nm = DINSN_BLK_NM(n, mem);
        d->blk_total_pg = DINSN_BLK_PG(total, mem, tlb_hit);   /* not in the file: derived */
        struct dinsn_cold *c = &p->cold[k];
        sf_u16(f, &c->self_insn);
        sf_u8(f, &c->self_mem);
        sf_u8(f, &c->ends_block);
    }
    sf_bytes(f, p->guest_op, sizeof p->guest_op);
    for (unsigned k = 0; k < PAGE_INSNS && !f->writing; k++)
        if (dinsn_has_page_target(p->guest_op[k])) p->insn[k].imm = DINSN_TARGET(p->insn[k].imm);
    /* the chained exits (a restored run chains exactly as the saved one
     * would have): their number, then each one's exit, target and page */
    uint16_t nl = 0;
    for (unsigned k = 0; k <= PAGE_INSNS; k++)
        for (unsigned e = 0; e < BT_EXITS; e++) {
            if (f->writing) nl += p->link[k][e].ppn != BT_UNCHAINED;
            else p->link[k][e].ppn = BT_UNCHAINED;
        }
    sf_u16(f, &nl);
    for (unsigned slot = 0, j = 0; slot < (PAGE_INSNS + 1) * BT_EXITS && j < nl && sf_ok(f); slot++) {
        struct bt_link *l = &p->link[slot / BT_EXITS][slot % BT_EXITS];
        if (f->writing && l->ppn == BT_UNCHAINED) continue;
        uint16_t at = (uint16_t)slot;
        struct bt_link got = *l;
        sf_u16(f, &at);
        sf_u32(f, &got.va);
        sf_u32(f, &got.ppn);
        j++;
        if (f->writing) continue;
        if (at >= (PAGE_INSNS + 1) * BT_EXITS || got.ppn >= memsize / PAGE) {
            sf_fail(f, "a chained exit %u to page %u", at, got.ppn);
            return;
        }
        p->link[at / BT_EXITS][at % BT_EXITS] = got;
    }
    for (unsigned k = 0; k <= PAGE_INSNS && sf_ok(f); k++)
        if (p->insn[k].op >= OPX_COUNT) sf_fail(f, "a translated instruction with opcode %u", p->insn[k].op);
    if (!f->writing && sf_ok(f)) decode_set_handlers(p, 0, PAGE_INSNS + 1);
}

/* Binary translation's code cache: its valid pages, as they stand. */
static void visit_code_cache(struct savefile *f, struct machine *m)
{
    uint32_t n = m->memsize / PAGE, end = SF_NO_PAGE;
    if (f->writing) {
        for (uint32_t i = 0; i < n; i++) {
            if (!m->bt_pages[i] || !m->bt_pages[i]->valid) continue;
            sf_u32(f, &i);
            visit_bt_page(f, m->bt_pages[i], m->memsize, m->prof.tlb_hit);
        }
        sf_u32(f, &end);
        return;
    }
    for (uint32_t i = 0; i < n; i++)
        if (m->bt_pages[i]) m->bt_pages[i]->valid = false;
    uint32_t i = SF_NO_PAGE;
    while (page_in_list(f, m, &i)) {
        struct decode_page *p = m->bt_pages[i];
        if (!p && !(p = m->bt_pages[i] = calloc(1, sizeof *p))) {
            sf_fail(f, "out of host memory");
            return;
        }
        p->code_cache = true;
        visit_bt_page(f, p, m->memsize, m->prof.tlb_hit);
        p->valid = true;
    }
}

/* The software above the CPU, if any: its own visit function. */
static void visit_soft(struct savefile *f, struct machine *m)
{
    bool has = m->hooks && m->hooks->file;
    bool saved = has;
    sf_bool(f, &saved);
    if (saved != has) {
        sf_fail(f, saved ? "saved under a hypervisor, restored onto bare metal"
                         : "saved on bare metal, restored under a hypervisor");
        return;
    }
    if (has) m->hooks->file(m->hooks_ctx, f);
}

static void visit_section(struct savefile *f, enum sf_section s, struct machine *m)
{
    switch (s) {
    case SEC_MACH: visit_machine(f, m); break;
    case SEC_MMU:  visit_mmu(f, m); break;
    case SEC_MEM:  visit_memory(f, m); break;
    case SEC_DECO: visit_decoded(f, m); break;
    case SEC_BTCC: visit_code_cache(f, m); break;
    case SEC_SOFT: visit_soft(f, m); break;
    case SEC_NET:  net_file(f, m->netsw); break;
    default: break;   /* CONF is the caller's, END_ empty */
    }
}

/* ---- writing ----------------------------------------------------------------- */
static void put_u32(struct savefile *f, uint32_t v)
{
    uint64_t x = v;
    sf_le(f, &x, 4);
}

static void patch_u32(struct savefile *f, size_t at, uint32_t v)
{
    for (int i = 0; i < 4; i++) f->buf[at + (size_t)i] = (uint8_t)(v >> (8 * i));
}

bool machine_save_file(struct machine *m, const char *path, const void *conf, size_t conflen, char *err,
                       size_t errlen)
{
    struct savefile f = {.writing = true};
    put(&f, SF_MAGIC, 8);
    put_u32(&f, SF_VERSION);
    put_u32(&f, isa_id());
    if (sf_ok(&f)) put_u32(&f, savefile_crc32(f.buf, 16, 0));
    for (int s = 0; s < SEC_COUNT && sf_ok(&f); s++) {
        f.section = sf_tag[s];
        size_t start = f.len;
        put(&f, sf_tag[s], 4);
        put_u32(&f, 0);            /* the length, once known */
        if (s == SEC_CONF) put(&f, conf, conflen);
        else visit_section(&f, (enum sf_section)s, m);
        if (!sf_ok(&f)) break;
        patch_u32(&f, start + 4, (uint32_t)(f.len - start - 8));
        put_u32(&f, savefile_crc32(f.buf + start, f.len - start, 0));
    }
    bool ok = sf_ok(&f);
    if (!ok) snprintf(err, errlen, "%s: %s", path, f.err);
    else ok = write_bytes_atomic(path, f.buf, f.len, err, errlen);
    free(f.buf);
    return ok;
}

/* ---- reading ----------------------------------------------------------------- */
static uint32_t le32(const char *p)
{
    const uint8_t *b = (const uint8_t *)p;
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

bool savefile_is(const char *path)
{
    char magic[8];
    FILE *fp = fopen(path, "rb");
    if (!fp) return false;
    bool is = fread(magic, 1, 8, fp) == 8 && memcmp(magic, SF_MAGIC, 8) == 0;
    fclose(fp);
    return is;
}

/* Checks the header and every section of s->data; false with the reason. */
static bool check_file(struct saved_machine *s, char *why, size_t len)
{
    const char *d = s->data;
    if (s->len < 8 || memcmp(d, SF_MAGIC, 8) != 0) {
        snprintf(why, len, "not a ringsim save file (no %s magic)", SF_MAGIC);
        return false;
    }
    if (s->len < SF_HEADER) {
        snprintf(why, len, "truncated: %zu bytes, the header alone is %u", s->len, SF_HEADER);
        return false;
    }
    if (savefile_crc32(d, 16, 0) != le32(d + 16)) {
        snprintf(why, len, "corrupted: the header's checksum does not match");
        return false;
    }
    if (le32(d + 8) != SF_VERSION) {
        uint32_t v = le32(d + 8);
        snprintf(why, len, "format version %u, this ringsim reads version %u (%s)", v, SF_VERSION,
                 v > SF_VERSION ? "written by a newer ringsim"
                 : v < sizeof sf_older / sizeof sf_older[0] && sf_older[v] ? sf_older[v]
                                                                           : "written by an older ringsim");
        return false;
    }
    if (le32(d + 12) != isa_id()) {
        snprintf(why, len, "written for another instruction set (ISA id %08x, this build's %08x)", le32(d + 12),
                 isa_id());
        return false;
    }
    size_t at = SF_HEADER;
    for (int sec = 0; sec < SEC_COUNT; sec++) {
        if (s->len - at < 12) {
            snprintf(why, len, "truncated at byte %zu: section %s expected", s->len, sf_tag[sec]);
            return false;
        }
        if (memcmp(d + at, sf_tag[sec], 4) != 0) {
            snprintf(why, len, "corrupted: at byte %zu section %s expected, found '%.4s'", at, sf_tag[sec], d + at);
            return false;
        }
        size_t n = le32(d + at + 4);
        if (n > s->len - at - 12) {
            snprintf(why, len, "truncated in section %s: %zu bytes announced, %zu there", sf_tag[sec], n,
                     s->len - at - 12);
            return false;
        }
        if (savefile_crc32(d + at, n + 8, 0) != le32(d + at + 8 + n)) {
            snprintf(why, len, "corrupted: section %s's checksum does not match", sf_tag[sec]);
            return false;
        }
        s->off[sec] = at + 8;
        s->size[sec] = n;
        at += n + 12;
    }
    if (at != s->len) {
        snprintf(why, len, "%zu bytes after the end section", s->len - at);
        return false;
    }
    return true;
}

struct saved_machine *saved_machine_open(const char *path, char *err, size_t errlen)
{
    struct saved_machine *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "%s: out of host memory", path);
        return NULL;
    }
    snprintf(s->path, sizeof s->path, "%s", path);
    char why[256];
    if (!isa_read_file(path, SF_MAX_FILE, &s->data, &s->len, why, sizeof why) || !check_file(s, why, sizeof why)) {
        snprintf(err, errlen, "%s: %s", path, why);
        saved_machine_free(s);
        return NULL;
    }
    return s;
}

const void *saved_machine_conf(const struct saved_machine *s, size_t *len)
{
    *len = s->size[SEC_CONF];
    return s->data + s->off[SEC_CONF];
}

bool machine_load_file(struct machine *m, const struct saved_machine *s, char *err, size_t errlen)
{
    /* memory first: putting it back drops decoded pages, which counts */
    for (int sec = SEC_CONF + 1; sec < SEC_END; sec++) {
        struct savefile f = {.writing = false, .buf = (uint8_t *)s->data + s->off[sec], .len = s->size[sec],
                             .section = sf_tag[sec]};
        visit_section(&f, (enum sf_section)sec, m);
        if (sf_ok(&f) && f.pos != f.len) sf_fail(&f, "%zu bytes left over", f.len - f.pos);
        if (!sf_ok(&f)) {
            snprintf(err, errlen, "%s: %s", s->path, f.err);
            return false;
        }
    }
    cpu_trace_start(m);   /* its events' costs count from here */
    return true;
}

void saved_machine_free(struct saved_machine *s)
{
    if (!s) return;
    free(s->data);
    free(s);
}
