/*
 * mmu.h — the memory-management unit: radix page tables, a TLB, and a page
 * walker whose every page-table reference is counted and charged.
 *
 * Architecture (the guest-visible part; docs/isa.md "Paging", and the bits
 * and the address split in isa/isa.h, which the reference is written from):
 * - 32-bit virtual addresses, 4 KiB pages, a 20-bit virtual page number split
 *   into `levels` indices (CR levels): 2 levels 10/10, 3 levels 8/6/6,
 *   4 levels 5/5/5/5 (the top level takes the remainder).  Every table,
 *   whatever its number of entries, sits in its own 4 KiB-aligned page.
 * - A PTE is 32 bits: bits 31..12 the frame number (of the page, or of the
 *   next table), then the flags below.  A leaf above the bottom level (flag L)
 *   maps a large page of 4 KiB << (bits of the levels below); its frame must
 *   be aligned to that size.
 * - CR ptb holds the physical address of the root table; CR mmu bit 0 turns
 *   paging on; CR asid tags TLB entries.  Rings 0–2 are supervisor; ring 3 is
 *   user and needs U on every level.  Writes need W on every level (in every
 *   ring, as x86 with CR0.WP set).
 * - The walker sets A in every entry it uses and D in the leaf on a write;
 *   each such update is one more memory write (walk.ad_writes).
 * - A page fault puts the address in BADADDR and the reason in CR fault:
 *   bit 0 present (the page was present: a protection violation), bit 1
 *   write, bit 2 user (ring 3), bit 3 fetch.
 *
 * Model (the cost part): a TLB lookup that hits costs tlb_hit cycles; a miss
 * walks the tables, one walk_ref per entry read.  The instruction side looks
 * up the TLB when execution enters a page (a jump or a page end) and keeps
 * the translation while it stays in the page, like a real fetch unit.
 * Large pages are cached in the TLB as the 4 KiB piece that was touched
 * ("splintered"); their gain here is the shorter walk.
 *
 * The walker reads a walk context, never the machine (struct mmu_walk_ctx,
 * below): the live walk of a TLB miss and the debugger's side-effect-free
 * probes are one function.
 */
#ifndef RINGSIM_MMU_H
#define RINGSIM_MMU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "isa/isa.h"   /* the architecture: PTE_*, FAULT_* and the address split */

/* Not architectural: why a walk failed beyond what CR fault can say. */
#define FAULT_BUS     0x100u  /* a table outside memory (bus error) */
#define FAULT_NESTED  0x200u  /* the host dimension failed (VM exit) */

/* A frame with no memory behind it, beyond any machine's memory: a
 * translation to it is cached like any other, and every access through it
 * is a bus error — what a page beyond the end of a VM's memory must give,
 * as it gives on bare metal beyond the end of physical memory. */
#define MMU_NO_MEMORY_FRAME 0xfffff000u

#define MMU_MAX_LEVELS ISA_MAX_LEVELS
#define MMU_MAX_WALK_REFS 64

enum mmu_access { ACC_READ = 0, ACC_WRITE = 1, ACC_FETCH = 2 };

struct tlb_entry {
    uint32_t vpn;        /* virtual page number */
    uint32_t pfn;        /* physical frame number (host-physical under a hypervisor) */
    uint16_t asid;
    uint16_t vpid;       /* VM tag: 0 = the host, else the VM's */
    uint8_t valid, global;
    uint8_t writable, user, dirty;
    uint8_t level;       /* level of the leaf that mapped it (0 = bottom) */
    uint8_t soft;        /* the leaf's bits 11..7, which the walker ignores: a
                          * hypervisor's own marks on its shadow leaves */
    uint8_t phys;        /* made while the (guest's) paging was off: a guest-physical
                          * page under nested paging, never matched once paging is on */
    uint8_t host_ro;     /* nested paging: the guest allows writes, the host table does
                          * not (a page a clone shares, hypervisor/clone.c): a write walks
                          * again to meet the host's refusal, a nested violation, rather
                          * than taking the guest's protection fault from this entry.
                          * Never set outside clones, which cannot be saved: not in
                          * save files (docs/savefile.md) */
    uint64_t lru;        /* larger = more recently used */
};
_Static_assert(sizeof ((struct tlb_entry *)0)->asid * 8 == ISA_ASID_BITS, "a TLB entry holds a whole ASID");

/* One reference made by a walk, for the debugger, traces and dumps. */
struct walk_ref {
    uint8_t level;       /* 0 = root ... levels-1 = bottom */
    uint8_t kind;        /* WALK_READ or WALK_AD_WRITE */
    uint8_t dim;         /* DIM_GUEST (the only one natively) or DIM_HOST */
    uint32_t table;      /* physical address of the table */
    uint32_t index;      /* entry index in it */
    uint32_t pte;        /* value read (or written) */
};
enum { WALK_READ = 0, WALK_AD_WRITE = 1 };
enum { DIM_GUEST = 0, DIM_HOST = 1 };

/* What a walk found: the translation or the fault, the rights of the path,
 * and every reference it made, in order (what the debugger and the
 * drawings show). */
struct walk_result {
    uint32_t vaddr;
    enum mmu_access access;
    bool faulted;
    uint32_t pa;         /* the translation, when !faulted */
    uint32_t fault;      /* when faulted: the bits for CR fault, or with FAULT_BUS / FAULT_NESTED */
    uint32_t nested_gpa; /* FAULT_NESTED: the guest-physical address the host table refused */
    bool writable, user; /* every level of the path allows writing, ring 3 */
    bool host_ro;        /* nested: the guest's path allows writing, the host's leaf not */
    uint8_t leaf_level;  /* level of the (guest) leaf, 0 = bottom: above it, a large page */
    int nrefs;
    struct walk_ref refs[MMU_MAX_WALK_REFS];
};

struct mmu_stats {
    uint64_t tlb_hits, tlb_misses, tlb_flushes, tlb_evictions;
    uint64_t walks, walk_refs, walk_ad_writes, pwc_hits, ntlb_hits;
    uint64_t page_faults;
};

/* Page-walk cache: remembers upper-level entries (not leaves) so a walk can
 * start lower down.  Keyed by the virtual-address prefix above a level. */
struct pwc_entry {
    uint32_t prefix;     /* address bits above the level */
    uint32_t pte;        /* the entry that points at the next table */
    uint16_t asid, vpid;
    uint8_t level, dim, valid;
    uint64_t lru;
};

/* Nested TLB: guest-physical page -> host-physical page, per VM. */
struct ntlb_entry {
    uint32_t gpn, hpn;
    uint16_t vpid;
    uint8_t valid, writable;
    uint64_t lru;
};

/* The index split of a table of `levels` levels, worked out once: the
 * address bits below each level's index and the index's mask.  The MMU
 * keeps one per possible number of levels (a guest's and a host table's
 * may differ), so that a walk looks its shape up rather than derive it. */
struct mmu_shape {
    unsigned levels;
    unsigned shift[MMU_MAX_LEVELS];
    uint32_t mask[MMU_MAX_LEVELS];
};
/* Fills *s for a table of `levels` levels (2..MMU_MAX_LEVELS). */
void mmu_shape_of(unsigned levels, struct mmu_shape *s);

/* The interpreter's soft TLB, the fast path of QEMU's and Spike's MMUs: a
 * small direct-mapped table, indexed by page number, of the TLB entries the
 * current context (ring, ASID, VM, paging state) may use with no walk.  It
 * has QEMU's inline form (CPUTLBEntry): each entry holds a read tag, a
 * write tag and the host addend (host pointer = vaddr + addend), and an
 * access hits when its address, masked with the page bits and its own low
 * (alignment) bits, equals the tag — one compare, the alignment check
 * folded in: a misaligned access never matches (a tag's low 12 bits are
 * clear) and goes on to the misalignment fault, before any TLB look-up.
 *
 * A tag is the page's address (bits 31..12) with the current context above
 * it: bit 32 the ring (ring 3 or not: user pages and supervisor pages
 * differ, and a ring change keeps the table), bits 63..33 a stamp.  A new
 * stamp empties the whole table at once (mmu_soft_clear): invalidations,
 * flushes, protection changes, and whatever changes the tags a TLB look-up
 * matches (VM, ASID, paging state).  One table with the ring in the tag,
 * rather than a table per ring, keeps the look-up one load of the key and
 * an or: the ring is the key's bit, updated on a ring change.
 *
 * The read tag serves a fetch too (there is no execute permission).  The
 * write tag is set only for a page that is writable and already dirty
 * (a store needs no walk to set D) and holds no decoded code
 * (m->code_page): a store that hits it needs no self-modifying-code check.
 * When a page becomes code, the write tags that reach it go
 * (mmu_soft_code_page, from the decoder); when it stops being code they
 * stay empty until the entry is filled again (a store then finds the
 * entry by its read tag, or by searching the TLB, and does the check).
 *
 * It holds no state of its own: every hit in it does what a hit found by
 * searching the set does (mmu_soft_use, mmu_soft_fetch: the entry becomes
 * the most recently used, a hit is counted and charged by the caller), so
 * it changes nothing the modelled TLB would show — it only skips the
 * search.  An entry goes when the TLB entry it stands for is replaced or
 * dropped.
 *
 * Paging off has no entries: the interpreter's paging-off path is already
 * a bounds check and an add (exec.inc, HOST_MISS), behind the same
 * one-page shortcut, so an identity entry would cost as much as what it
 * replaced and add its fills — it would not pay. */
#define MMU_SOFT_ENTRIES 64
#define MMU_SOFT_EMPTY UINT64_MAX   /* a tag no access matches: its low bits are set */

struct mmu {
    bool paging;                 /* CR mmu bit 0, cached */
    bool asid_tags;              /* --no-asid clears it: a ptb switch flushes */
    /* Set by a shadow-paging hypervisor while its guest has paging off (the
     * real MMU then walks a private table of guest-physical memory): TLB
     * entries made meanwhile are of the guest-physical space, like those
     * made with CR mmu clear, and never match once the guest pages again —
     * nor do the guest's own (global) entries match meanwhile. */
    bool phys_space;
    unsigned levels;
    unsigned bits[MMU_MAX_LEVELS]; /* index bits per level, root first */
    struct mmu_shape shapes[MMU_MAX_LEVELS + 1]; /* [n]: of an n-level table (n >= 2) */
    /* TLB */
    unsigned tlb_entries, tlb_ways, tlb_sets;
    unsigned tlb_slots;          /* 2 * tlb_entries */
    struct tlb_entry *tlb;       /* tlb_sets * tlb_ways, then as many for the
                                  * guest-physical space (a guest's paging off) */
    uint64_t lru_clock;
    /* page-walk cache (0 entries = off) */
    unsigned pwc_entries;        /* --pwc N gives 2N: N for each dimension */
    struct pwc_entry *pwc;
    unsigned ntlb_entries;       /* 0 = no nested TLB */
    struct ntlb_entry *ntlb;
    uint32_t nested_fault_gpa;   /* guest-physical address of the last nested violation */
    uint32_t nested_fault_va;    /* and the guest-virtual address being translated */
    uint64_t gen;                /* bumped whenever translations may change */
    struct mmu_stats st;
    struct walk_result last_walk; /* of the last TLB miss */
    /* The interpreter's shortcut: the TLB entry of the last data access,
     * valid for the current ring and ASID.  Another access to the same page
     * is a hit in that entry, which is already the most recently used, so
     * the shortcut changes nothing the TLB model would not (hits counted). */
    uint32_t last_vpn;           /* 0xffffffff = none */
    uintptr_t last_addend;       /* host pointer = vaddr + addend */
    bool last_write_ok;          /* writable and already dirty */
    /* Behind the shortcut, the soft TLB (struct mmu_soft, above). */
    uint32_t soft_stamp;         /* 31 bits */
    uint64_t soft_key;           /* a tag's bits above the page now: soft_stamp << 33 | ring 3 << 32 */
    uint64_t soft_ctx;           /* the tags its entries were found with (soft_context) */
    struct mmu_soft {
        uint64_t addr_read;      /* soft_key | page address, for a read or a fetch; or MMU_SOFT_EMPTY */
        uint64_t addr_write;     /* the same for a store, or MMU_SOFT_EMPTY (see above) */
        uintptr_t addend;        /* host pointer = vaddr + addend */
        uint32_t slot;           /* the TLB entry it stands for: its index in tlb */
        bool write_ok;           /* writable and already dirty, code or not (the shortcut's last_write_ok) */
    } soft[MMU_SOFT_ENTRIES];
};

struct mmu_config {
    unsigned levels;        /* 2..4 */
    unsigned tlb_entries;   /* default 64 */
    unsigned tlb_ways;      /* default 4; = entries for fully associative */
    bool no_asid;
    unsigned pwc_entries;   /* 0 = no page-walk cache */
    unsigned ntlb_entries;  /* 0 = no nested TLB */
};

struct machine;

/* Sets up the MMU (paging off). */
bool mmu_init(struct mmu *u, const struct mmu_config *cfg, char *err, size_t errlen);
void mmu_free(struct mmu *u);
/* Parses "ENTRIES[:WAYS]". */
bool mmu_parse_tlb(const char *s, unsigned *entries, unsigned *ways);

/* mmu_translate in two halves, for the interpreter, which keeps its hot
 * counters in registers and writes them back only before a walk.
 * mmu_translate_hit: if the TLB holds a translation of vaddr that allows acc
 * with no walk (for a write: writable and already dirty), does everything
 * mmu_translate does on that hit except counting it (mmu st.tlb_hits) and
 * charging its cycles (CY_TLB, tlb_hit), which the caller does, and returns
 * true with *pa.  Else changes nothing, sets *seen to the entry it found (or
 * NULL) and returns false; then mmu_translate_miss(…, *seen) finishes the
 * translation exactly as mmu_translate would have. */
bool mmu_translate_hit(struct machine *m, uint32_t vaddr, enum mmu_access acc, uint32_t *pa,
                       struct tlb_entry **seen);
bool mmu_translate_miss(struct machine *m, uint32_t vaddr, enum mmu_access acc, uint32_t *pa,
                        uint32_t *fault, struct tlb_entry *seen);
/* Translates vaddr for an access in the current ring and ASID: TLB, then
 * walk on a miss (the live walk: A/D bits, walk caches, statistics, cycles,
 * and the record in last_walk).  On success writes the physical address; on
 * a page fault returns false with the reason bits in *fault (CR fault). */
bool mmu_translate(struct machine *m, uint32_t vaddr, enum mmu_access acc, uint32_t *pa,
                   uint32_t *fault);

/* ---- walking a context ----------------------------------------------------
 * A walk needs only what it walks, named here: the (guest's) table, under
 * nested paging the host table that every guest-physical address goes
 * through, and the memory both are read from.  mmu_translate builds the
 * context of the CPU as it stands and walks it live; the debugger and the
 * drawings build one for what they want to see (a VM that is not running,
 * the guest's own tables in its memory, a shadow) and walk it with
 * mmu_probe, which takes it const and is handed no machine: a probe cannot
 * set an A/D bit, fill a cache, count or charge anything. */
struct mmu_table {
    uint32_t root;           /* physical address of the root table (bits 11..0 ignored) */
    unsigned levels;
};

struct mmu_walk_ctx {
    bool paging;             /* the table translates (CR mmu bit 0); else the address is (guest-)physical */
    struct mmu_table table;  /* the (guest's) table: CR ptb, the MMU's levels */
    bool user;               /* an access from ring 3 (the builders below leave ring 0) */
    bool two_d;              /* nested paging: every guest-physical address goes through host */
    struct mmu_table host;   /* two_d: the VM's host table */
    uint32_t guest_memsize;  /* two_d: guest-physical addresses from here on have no memory */
    const uint8_t *mem;      /* where the tables are read: [0, memsize) */
    uint32_t memsize;
    uint16_t asid, vpid;     /* the tags a live walk's caches use */
};

/* The context the MMU walks now: the CPU's control registers, and in a VM
 * under nested paging its host table. */
struct mmu_walk_ctx mmu_walk_ctx_now(const struct machine *m);
/* The context of control registers cr (the CPU's, a VMCS's guest state, a
 * hypervisor's copy of a guest's) in the machine's memory: natively for
 * vm < 0, else as VM vm runs — two-dimensional through its host table under
 * nested paging. */
struct mmu_walk_ctx mmu_walk_ctx_of(const struct machine *m, const uint32_t cr[CR_COUNT], int vm);
/* Walks c for an access to vaddr and changes nothing else: no TLB, no walk
 * caches (it starts at the root), no A/D bits, no statistics, no cycles.
 * Fills *r; returns !r->faulted. */
bool mmu_probe(const struct mmu_walk_ctx *c, uint32_t vaddr, enum mmu_access acc, struct walk_result *r);

/* TLB maintenance: the instructions and control-register writes. */
void mmu_flush_all(struct machine *m);
void mmu_invlpg(struct machine *m, uint32_t vaddr);
/* A hypervisor's half of invlpg: drops the TLB entries for vaddr (a
 * translation it is about to remake, which the guest never saw) but keeps
 * the walk caches, which hold what the guest's own walks left there. */
void mmu_forget_page(struct machine *m, uint32_t vaddr);
/* A hypervisor's maintenance, beyond what the ISA offers a kernel:
 * - mmu_protect_frame: every TLB entry (any ASID, any VM) that maps
 *   physical frame pfn loses its write permission but stays valid, so the
 *   next write through it faults and everything else goes on as cached —
 *   what a shadow-paging hypervisor needs when a frame becomes a page table
 *   whose writes it must trace, without changing what the guest's TLB holds;
 *   `soft` is or-ed into the software bits of each entry it downgrades.
 * - mmu_flush_walk_caches: empties the page-walk cache and the nested TLB
 *   (they cache the hypervisor's own tables, whose frames it reuses) and
 *   leaves the TLB alone. */
void mmu_protect_frame(struct machine *m, uint32_t pfn, uint8_t soft);
/* For a hypervisor that validates a guest's own tables (paravirtualisation):
 * mmu_drop_writable_frame drops every TLB entry that maps frame pfn
 * writable — in every ASID, global ones included, under whatever virtual
 * address made it — and returns how many; mmu_drop_walks_into drops every
 * page-walk-cache entry that leads to the table at physical address pa. */
unsigned mmu_drop_writable_frame(struct machine *m, uint32_t pfn);
void mmu_drop_walks_into(struct machine *m, uint32_t pa);
/* For a hypervisor that moves one VM's guest page to another host frame
 * (a copy-on-write copy): drops every TLB and nested-TLB entry of VM tag
 * vpid (any VM's, untagged) that maps host frame pfn, and the interpreter's
 * shortcut. */
void mmu_drop_vm_frame(struct machine *m, uint16_t vpid, uint32_t pfn);
/* The TLB entry that translates vaddr in the current context, copied to
 * *out; false if none.  Changes nothing (no LRU, no statistics): a
 * hypervisor asks whether a fault came from a cached translation. */
bool mmu_tlb_lookup(struct machine *m, uint32_t vaddr, struct tlb_entry *out);
void mmu_flush_walk_caches(struct machine *m);
/* Called after writes to ptb, asid, mmu and after ring changes. */
void mmu_context_changed(struct machine *m, bool ptb_or_asid_changed);
/* Called after VM entry into a different VM. */
void mmu_vm_switched(struct machine *m);

/* The soft TLB's entry for vaddr's page (direct-mapped: the one it may be in). */
static inline const struct mmu_soft *mmu_soft_entry(const struct mmu *u, uint32_t vaddr)
{
    return &u->soft[(vaddr >> 12) & (MMU_SOFT_ENTRIES - 1)];
}

/* What an access of size bytes (1, 2 or 4) to vaddr must find in a tag:
 * its page and its misaligned low bits, in the current context. */
static inline uint64_t mmu_soft_tag(const struct mmu *u, uint32_t vaddr, uint32_t size)
{
    return u->soft_key | (vaddr & (~0xfffu | (size - 1)));
}

/* A data access to vaddr hits s (its read tag, or for a store its write
 * tag): what mmu_translate_hit does on that hit — the entry becomes the
 * most recently used and the shortcut of the last data page. */
static inline void mmu_soft_use(struct mmu *u, const struct mmu_soft *s, uint32_t vaddr)
{
    u->tlb[s->slot].lru = ++u->lru_clock;
    u->last_vpn = vaddr >> 12;
    u->last_addend = s->addend;
    u->last_write_ok = s->write_ok;
}

/* A fetch from vaddr hits s's read tag: what mmu_translate_hit does;
 * returns the physical address (mem: the machine's memory). */
static inline uint32_t mmu_soft_fetch(struct mmu *u, const struct mmu_soft *s, uint32_t vaddr, const uint8_t *mem)
{
    u->tlb[s->slot].lru = ++u->lru_clock;
    if (vaddr >> 12 != u->last_vpn) u->last_vpn = 0xffffffffu; /* as mmu_translate_hit: LRU exact */
    return (uint32_t)(vaddr + s->addend - (uintptr_t)mem);
}

/* The soft TLB's entry i as the TLB entry it stands for would say it: its
 * virtual and physical page, and whether a store may hit it (and with no
 * code check); false if it is empty (for the hypervisor's audit). */
bool mmu_soft_get(const struct machine *m, unsigned i, uint32_t *vpn, uint32_t *pfn, uint32_t *slot,
                  bool *write_ok, bool *write_tag);

/* Frame ppn now holds decoded code: no write tag may reach it. */
void mmu_soft_code_page(struct machine *m, uint32_t ppn);

/* Empties the soft TLB (a machine whose TLB was loaded from elsewhere). */
void mmu_soft_clear(struct mmu *u);

/* Index bits for each level, root first: the ISA's split, under the name
 * the MMU's users know it by. */
static inline void mmu_level_bits(unsigned levels, unsigned bits[MMU_MAX_LEVELS])
{
    isa_level_bits(levels, bits);
}

#endif
