/*
 * genguest.c — random bare-metal guests for differential testing.
 *
 *   build/genguest SEED [--levels N] [--no-redpills] [--coherent] [--dump]
 *                       [--regs] [--extra] [--rings LIST] [--no KIND]... [-o FILE]
 *
 * Writes a ringsim assembly program (docs/isa.md, "Assembler syntax") that is
 * a small harness kernel wrapped around random content.  The premise is that
 * bare metal is the oracle: the program must print exactly the same thing
 * natively and under every virtualisation technique (tools/fuzz-modes.sh and
 * tests/test_diffmodes.c compare them), so everything it prints is a function
 * of architectural state only — traps (cause, EPC, BADADDR, FAULT, ESR), the
 * registers, and at the end the page tables (accessed/dirty bits included) and
 * data frames read with paging off.  It never reads time (no timer, no
 * timer_now, no `mfcr cycle`): virtual time legitimately differs by mode.
 *
 * The output is a deterministic function of the seed and the options: the
 * generator has its own PRNG (splitmix64) and reads nothing else.  Seeds are
 * recorded with what they found (tests/diffmodes_seeds.txt), so a change must
 * not alter the default programs: new features draw from the PRNG only when
 * their option is given (see --extra).
 *
 * What the program does: a harness kernel sets up the vector table, the
 * stacks and paging (the tables are in the image), loads random registers,
 * then runs 5 to 10 segments of random straight-line code (forward branches
 * only), each in ring 0 or dropped into ring 1, 2 or 3 with iret (a random
 * ESR) or with mtcr sr; a segment in rings 1-3 ends with a jump to its gate, a
 * syscall the handler recognises and answers by resuming ring 0 after the
 * segment.  The console log, one line per event:
 *
 *   G seed S levels L [options]      the header
 *   S xxxxxxxx                       a segment starts: number << 8 | ring
 *   T n c=CAUSE e=EPC b=BADADDR f=FAULT s=ESR h=CHECKSUM   every trap
 *   D c=... e=... b=... f=... s=... h=...                  a double fault (exit 4)
 *   F, R n value, C n value          the end: r1..r15, control registers 0..14
 *   P frame hash, E                  with paging off: every page table, data
 *                                    frame, stack and the landing frame
 *   L trap limit                     more than TRAP_LIMIT traps (exit 3)
 *
 * The handler skips a faulting instruction (EPC + 4), returns to EPC after
 * syscall, brk and hypercall, and returns to lr after a fault outside the
 * code (a fetch probe's target).  After the dump, about 30 % of the programs
 * end with a "final act": a vector that cannot be fetched, hence a double
 * fault (logged, exit 4) or, with the double-fault vector broken too, a
 * triple fault (exit 125); the others power off with exit code 0.
 *
 * Physical memory (16 MiB, the default of `ringsim run`):
 *
 *   0x00000  page 0, unmapped (a null pointer faults)
 *   0x01000  code: the harness, the random segments, the gates
 *   0x06000  harness data: vector tables, save areas, strings, the hash list
 *   0x07000  kernel stack page (KSP = 0x8000)
 *   0x08000  user stack page (rings 1-3 start near 0x8f00)
 *   0x09000  the landing frame: code that fetch probes jump into (addi/ret)
 *   0x0a000  the pool: roots, harness tables, window tables, random tables,
 *            data frames, allocated in that order, up to POOL_LIMIT
 *   0x40000  the zero area: plain memory, the home of the large pages
 *
 * Every root maps [0, POOL_LIMIT) one to one (root entry 0: the harness
 * identity map) so that the handler always runs whatever the program did to
 * its random mappings, and every root maps the "window" (one root slot) whose
 * bottom table maps every page-table frame: the program reads and writes its
 * own PTEs through it.  The rest of each root is the random region: random
 * tables with random P/W/U/G/A/D bits, large pages, aliases, self references,
 * tables shared between levels and roots, not-present entries, entries
 * beyond memory.
 *
 * Soundness: random stores must never hit the harness (its code, data and
 * tables), or the program stops being a test of anything.  The generator
 * keeps a model of every page-table word — the value it emitted plus every
 * value a generated PTE write may have put there, or "unknown" once a store
 * of a register value may have hit it — and lets a store (or a fetch probe,
 * or a code store) through only if every walk the model allows, under either
 * root and with paging off, ends somewhere harmless.  Stale TLB entries are
 * covered because values are only ever added to a word's set.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the PRNG: splitmix64, so that a seed means the same program forever -- */
static uint64_t rng_state;

static uint64_t rnext(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
static uint32_t rnd(uint32_t n) { return n ? (uint32_t)(rnext() % n) : 0; }
static uint32_t r32(void) { return (uint32_t)(rnext() >> 16); }
static bool pct(unsigned p) { return rnd(100) < p; }

/* ---- the machine (docs/isa.md) --------------------------------------------- */
#define PTE_P 0x01u
#define PTE_W 0x02u
#define PTE_U 0x04u
#define PTE_A 0x08u
#define PTE_D 0x10u
#define PTE_L 0x20u
#define PTE_G 0x40u
#define FRAME_MASK 0xfffff000u
#define MEMSIZE 0x01000000u

/* ---- the layout (see the top of the file) ---------------------------------- */
#define CODE_BASE 0x1000u
#define CODE_LIMIT 0x6000u
#define HDATA 0x6000u
#define VECTORS 0x6000u
#define VECTORS2 0x6040u  /* the final act's vector table */
#define NTRAPS 0x6080u
#define HS 0x6100u        /* harness scratch: r1 and lr around markers */
#define SV 0x6200u        /* registers of the interrupted context, by number */
#define PS 0x6300u        /* the print routines' own saves */
#define STRINGS 0x6400u
#define KSTACK_TOP 0x8000u
#define USTACK_TOP 0x9000u
#define LAND_PA 0x9000u
#define POOL_BASE 0xa000u
#define MAXF 40
#define POOL_LIMIT (POOL_BASE + MAXF * 4096u)
#define ZERO_BASE 0x40000u
#define TRAP_LIMIT 256
#define RT_MAX 12         /* random tables */
#define DATA_MAX 8        /* data frames */

/* ---- options ------------------------------------------------------------ */
enum kind {
    K_ALU_R, K_ALU_I, K_LI, K_DIV, K_LOAD, K_STORE, K_PTE_READ, K_PTE_WRITE, K_AD_CLEAR,
    K_INVLPG, K_TLBFLUSH, K_SWITCH_AS, K_PAGING, K_MFCR, K_MTCR, K_MTCR_RO, K_CLISTI,
    K_SYSCALL, K_BRK, K_VMCALL, K_ILLEGAL, K_REDPILL, K_FETCH, K_CODESTORE, K_BRANCH,
    K_JAL, K_IO, K_HLT, K_IRET, K_SWEEP, K_COUNT
};
static const char *const kind_name[K_COUNT] = {
    "alu", "alui", "li", "div", "load", "store", "pteread", "ptewrite", "adclear",
    "invlpg", "tlbflush", "switchas", "paging", "mfcr", "mtcr", "mtcrro", "clisti",
    "syscall", "brk", "vmcall", "illegal", "redpill", "fetch", "codestore", "branch",
    "jal", "io", "hlt", "iret", "sweep",
};
/* weights in ring 0 and in rings 1-3, where every privileged one traps;
 * sweep only with --extra (a weight of 0 draws nothing from the PRNG, so the
 * default programs stay what they were when the findings were recorded) */
static const unsigned weight0[K_COUNT] = {8, 6, 5, 3, 12, 9, 5, 6, 4, 3, 2, 4, 2, 3, 2, 1, 1,
                                          2, 1, 1, 2, 4, 3, 1, 4, 1, 2, 0, 0, 0};
static const unsigned weightk[K_COUNT] = {8, 6, 5, 3, 12, 9, 4, 3, 2, 1, 1, 1, 1, 2, 1, 1, 1,
                                          2, 1, 2, 2, 4, 2, 1, 4, 1, 2, 1, 1, 0};
#define SWEEP_WEIGHT 3

static struct {
    unsigned levels;
    bool redpills, coherent, dump, regs, extra;
    bool ring_ok[4];
    bool no[K_COUNT];
} opt = {.redpills = true, .ring_ok = {true, true, true, true}};

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "genguest: ");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(2);
}

/* ---- page-table geometry ---------------------------------------------------- */
static unsigned L, lbits[4];

static unsigned shift_below(unsigned level)
{
    unsigned s = 12;
    for (unsigned i = level + 1; i < L; i++) s += lbits[i];
    return s;
}
static unsigned nent(unsigned level) { return 1u << lbits[level]; }
static uint32_t index_at(uint32_t va, unsigned level)
{
    return (va >> shift_below(level)) & (nent(level) - 1);
}

/* ---- frames of the pool ------------------------------------------------------ */
enum ftype { FT_ROOT, FT_HTABLE, FT_WTABLE, FT_RTABLE, FT_DATA };
struct frame {
    uint32_t pa;
    enum ftype type;
    unsigned level;          /* tables: the level it was made for */
    uint32_t vbase;          /* the virtual address its first entry maps (when made from a parent) */
    uint32_t w[1024];        /* what the image holds */
    uint8_t nalt[1024];      /* how many more values PTE writes may have put in each word */
    uint32_t alt[1024][4];
    bool wild[1024];         /* a store of an unknown value may have hit it */
};
static struct frame fr[MAXF];
static unsigned nfr;
static uint32_t land[1024];  /* the landing frame's code */

static struct frame *frame_at(uint32_t pa)
{
    if (pa < POOL_BASE) return NULL;
    uint32_t i = (pa - POOL_BASE) >> 12;
    return i < nfr ? &fr[i] : NULL;
}

static struct frame *new_frame(enum ftype t, unsigned level)
{
    if (nfr >= MAXF) die("out of pool frames (internal)");
    struct frame *f = &fr[nfr];
    memset(f, 0, sizeof *f);
    f->pa = POOL_BASE + 4096u * nfr;
    f->type = t;
    f->level = level;
    nfr++;
    return f;
}

/* Word addresses outside the pool that stores may have hit (the zero area):
 * their value is unknown from then on, and their frames are hashed at the end. */
static uint32_t wild_out[4096];
static unsigned nwild_out;
static uint32_t extra_frames[256];  /* frames outside the pool to hash at the end */
static unsigned nextra;

static bool wild_outside(uint32_t pa)
{
    for (unsigned i = 0; i < nwild_out; i++)
        if (wild_out[i] == pa) return true;
    return false;
}

static void note_extra_frame(uint32_t pa)
{
    pa &= FRAME_MASK;
    for (unsigned i = 0; i < nextra; i++)
        if (extra_frames[i] == pa) return;
    if (nextra < 256) extra_frames[nextra++] = pa;
}

/* ---- the generated tables ------------------------------------------------------ */
static struct frame *root_a, *root_b;
static struct frame *wtab[4];        /* the window's tables, level 1 .. L-1 */
static unsigned wslot;               /* the window's root index */
static bool window_user;             /* can ring 3 reach the window? */
static uint32_t winlist[1024];       /* frame mapped at window page j */
static unsigned nwin;
static unsigned rslots[8], nrslots;  /* root indices of the random region (both roots) */
static unsigned badslot;             /* a root index never mapped: the final act faults there */
static struct frame *rt[RT_MAX];
static unsigned nrt;
static struct frame *dataf[DATA_MAX];
static unsigned ndata;
static uint32_t asid_a, asid_b;
static bool big_harness;             /* the identity map is one large page */

static uint32_t junk_bits(void) { return pct(15) ? (r32() & 0xf80u) : 0; }

static uint32_t np_entry(void)
{
    /* not present: the other bits are the kernel's, so fill them sometimes */
    return pct(50) ? 0 : (r32() & ~PTE_P);
}

static uint32_t beyond_frame(void)
{
    return pct(50) ? MEMSIZE + 4096u * rnd(4096) : ((r32() | MEMSIZE) & FRAME_MASK);
}

static uint32_t zero_frame(void) { return ZERO_BASE + 4096u * rnd((MEMSIZE - ZERO_BASE) / 4096u); }

static void fill_data(struct frame *f);

static bool frozen;   /* set once code is generated: the model needs a fixed pool */

static uint32_t data_frame(void)
{
    if (ndata < DATA_MAX && (ndata == 0 || (!frozen && pct(55)))) {
        struct frame *f = new_frame(FT_DATA, 0);
        fill_data(f);
        dataf[ndata++] = f;
        return f->pa;
    }
    return dataf[rnd(ndata)]->pa;
}

/* A frame for a large page mapped by an entry at `level`: aligned (from the
 * zero area, all of memory from 0, or beyond memory), sometimes with frame
 * bits below the alignment that the walker must ignore. */
static uint32_t large_frame(unsigned level)
{
    uint32_t size = 1u << shift_below(level), f;
    unsigned r = rnd(100);
    if (r < 20) {
        f = 0;
    } else if (r < 70 && size <= MEMSIZE / 4) {
        uint32_t kmin = (ZERO_BASE + size - 1) / size, kmax = MEMSIZE / size - 1;
        f = (kmin + rnd(kmax - kmin + 1)) * size;
    } else {
        uint64_t base = ((uint64_t)MEMSIZE + size - 1) / size * size;
        uint64_t v = base + (uint64_t)rnd(8) * size;
        f = v > 0xffffffffu ? (uint32_t)base : (uint32_t)v;
    }
    if (pct(25)) f |= r32() & (size - 1) & FRAME_MASK;
    return f;
}

static struct frame *new_rtable(unsigned level, uint32_t vbase);

/* An entry of a table at `level` (above the bottom): the next table (new,
 * shared, itself, a root, a data page, beyond memory), a large page, or not
 * present.  allow_new: may make new tables (not once the code is written). */
static uint32_t upper_entry(unsigned level, uint32_t self, uint32_t vprefix, bool allow_new)
{
    uint32_t fl = PTE_P | (pct(85) ? PTE_W : 0) | (pct(75) ? PTE_U : 0) | (pct(25) ? PTE_A : 0) |
                  (pct(8) ? PTE_G : 0) | (pct(8) ? PTE_D : 0) | junk_bits();
    unsigned r = rnd(100);
    if (r < 40 && allow_new && nrt < RT_MAX) return new_rtable(level + 1, vprefix)->pa | fl;
    if (r < 52 && nrt) return rt[rnd(nrt)]->pa | fl;
    if (r < 57) return self | fl;
    if (r < 60) return (pct(50) ? root_a->pa : root_b->pa) | fl;
    if (r < 76) return large_frame(level) | fl | PTE_L | (pct(20) ? PTE_D : 0);
    if (r < 88) return np_entry();
    if (r < 94) return beyond_frame() | fl;
    return data_frame() | fl;
}

/* A table frame of any kind, to be mapped as a page. */
static uint32_t any_table(void)
{
    unsigned n = 0;
    uint32_t c[MAXF];
    for (unsigned i = 0; i < nfr; i++)
        if (fr[i].type != FT_DATA) c[n++] = fr[i].pa;
    return c[rnd(n)];
}

/* A bottom-level entry: a 4 KiB page of data, code, a page table, the zero
 * area, the harness, beyond memory, or not present. */
static uint32_t leaf_entry(void)
{
    uint32_t fl = PTE_P | (pct(70) ? PTE_W : 0) | (pct(65) ? PTE_U : 0) | (pct(30) ? PTE_A : 0) |
                  (pct(20) ? PTE_D : 0) | (pct(20) ? PTE_G : 0) | (pct(8) ? PTE_L : 0) | junk_bits();
    unsigned r = rnd(100);
    if (r < 45) return data_frame() | fl;
    if (r < 53) return LAND_PA | fl;
    if (r < 65) return any_table() | fl;
    if (r < 72) return beyond_frame() | fl;
    if (r < 84) return np_entry();
    if (r < 92) return zero_frame() | fl;
    return (4096u * (1 + rnd(8))) | fl;   /* the harness's own pages (read-only to the model) */
}

static struct frame *new_rtable(unsigned level, uint32_t vbase)
{
    struct frame *f = new_frame(FT_RTABLE, level);
    f->vbase = vbase;
    rt[nrt++] = f;
    unsigned k = level == L - 1 ? 2 + rnd(7) : 1 + rnd(3);
    for (unsigned j = 0; j < k; j++) {
        unsigned idx = rnd(nent(level));
        uint32_t vp = vbase | (idx << shift_below(level));
        f->w[idx] = level == L - 1 ? leaf_entry() : upper_entry(level, f->pa, vp, true);
    }
    return f;
}

/* A value worth finding in a page table, or in a register. */
static uint32_t pte_like(void)
{
    unsigned r = rnd(4);
    if (r == 0 && ndata) return dataf[rnd(ndata)]->pa | (r32() & 0x7fu);
    if (r == 1 && nrt) return rt[rnd(nrt)]->pa | (r32() & 0x7fu);
    if (r == 2) return LAND_PA | (r32() & 0x7fu);
    return zero_frame() | (r32() & 0x7fu);
}

static void fill_data(struct frame *f)
{
    /* a sprinkling of values: a data page walked as a table finds mappings */
    unsigned k = 16 + rnd(48);
    for (unsigned j = 0; j < k; j++) {
        unsigned r = rnd(100);
        uint32_t v = r < 35 ? pte_like() : r < 55 ? rnd(256) : r32();
        f->w[rnd(1024)] = v;
    }
}

/* Harness identity map: makes the tables on the way down as needed. */
static void hmap(uint32_t va, uint32_t leaf)
{
    struct frame *t = root_a;
    for (unsigned level = 0; level + 1 < L; level++) {
        uint32_t idx = index_at(va, level), e = t->w[idx];
        if (!(e & PTE_P)) {
            struct frame *n = new_frame(FT_HTABLE, level + 1);
            n->vbase = va & ~((1u << shift_below(level)) - 1);
            e = n->pa | PTE_P | PTE_W | PTE_U | (pct(30) ? PTE_A : 0);
            t->w[idx] = e;
        }
        t = frame_at(e & FRAME_MASK);
    }
    t->w[index_at(va, L - 1)] = leaf;
}

static void build_tables(void)
{
    root_a = new_frame(FT_ROOT, 0);
    root_b = new_frame(FT_ROOT, 0);
    unsigned n0 = nent(0);

    /* the harness: identity [0, POOL_LIMIT), page 0 unmapped */
    big_harness = pct(15);
    bool g = pct(30);
    if (big_harness) {
        root_a->w[0] = PTE_P | PTE_W | PTE_U | PTE_L | (g ? PTE_G : 0) | (pct(30) ? PTE_A : 0);
    } else {
        for (uint32_t va = 4096; va < POOL_LIMIT; va += 4096) {
            uint32_t e;
            if (va < LAND_PA) {
                e = va | PTE_P | PTE_W | PTE_U | (g ? PTE_G : 0) | (pct(20) ? PTE_A : 0) |
                    (pct(10) ? PTE_A | PTE_D : 0);
            } else if (va == LAND_PA) {
                e = va | PTE_P | PTE_U | (pct(60) ? PTE_W : 0) | (g ? PTE_G : 0);
            } else {
                e = pct(5) ? 0 : va | PTE_P | (pct(60) ? PTE_W : 0) | (pct(50) ? PTE_U : 0) |
                                     (pct(20) ? PTE_G : 0) | (pct(15) ? PTE_A : 0);
            }
            hmap(va, e);
        }
    }
    root_b->w[0] = root_a->w[0];

    /* the window: root slot wslot, index 0 below it, a bottom table that maps
     * every table frame (filled in once they all exist) */
    wslot = n0 / 2 + rnd(n0 / 2);
    window_user = pct(50);
    uint32_t upfl = PTE_P | PTE_W | (window_user ? PTE_U : 0);
    struct frame *up = root_a;
    for (unsigned level = 1; level < L; level++) {
        wtab[level] = new_frame(FT_WTABLE, level);
        wtab[level]->vbase = wslot << shift_below(0);
        up->w[level == 1 ? wslot : 0] = wtab[level]->pa | upfl | (pct(30) ? PTE_A : 0);
        up = wtab[level];
    }
    root_b->w[wslot] = root_a->w[wslot];

    /* the random region: a few root slots in the upper three quarters */
    nrslots = 2 + rnd(3);
    for (unsigned i = 0; i < nrslots; i++) {
        unsigned s;
        bool dup;
        do {
            s = n0 / 4 + rnd(n0 - n0 / 4);
            dup = s == wslot;
            for (unsigned j = 0; j < i; j++) dup |= rslots[j] == s;
        } while (dup);
        rslots[i] = s;
        root_a->w[s] = upper_entry(0, root_a->pa, s << shift_below(0), true);
    }
    /* root B: the same, another subtree, or nothing, slot by slot */
    for (unsigned i = 0; i < nrslots; i++) {
        unsigned s = rslots[i], r = rnd(100);
        root_b->w[s] = r < 50 ? root_a->w[s]
                       : r < 75 ? upper_entry(0, root_b->pa, s << shift_below(0), true)
                       : np_entry();
    }
    if (ndata == 0) data_frame();
    /* a few not-present root entries with junk, and the slot no one maps */
    for (unsigned i = 0; i < 2; i++) {
        unsigned s = 1 + rnd(n0 - 1);
        bool used = s == wslot;
        for (unsigned j = 0; j < nrslots; j++) used |= rslots[j] == s;
        if (!used) root_a->w[s] = r32() & ~PTE_P;
    }
    /* PTE writes only ever target the random slots, so a slot that is not
     * one of them and not present in either root stays unmapped for good */
    for (bool used = true; used;) {
        badslot = n0 / 4 + rnd(n0 - n0 / 4);
        used = (root_a->w[badslot] & PTE_P) || (root_b->w[badslot] & PTE_P) || badslot == wslot;
        for (unsigned j = 0; j < nrslots; j++) used |= rslots[j] == badslot;
    }

    /* the window's bottom table: every table frame */
    struct frame *wt = wtab[L - 1];
    nwin = 0;
    for (unsigned i = 0; i < nfr; i++)
        if (fr[i].type != FT_DATA) winlist[nwin++] = fr[i].pa;
    if (nwin > nent(L - 1)) die("internal: window too small (%u frames)", nwin);
    for (unsigned j = 0; j < nwin; j++)
        wt->w[j] = winlist[j] | PTE_P | PTE_W | (window_user || pct(30) ? PTE_U : 0) |
                   (pct(20) ? PTE_G : 0) | (pct(30) ? PTE_A : 0) | (pct(20) ? PTE_D : 0);

    asid_a = 1 + rnd(200);
    asid_b = asid_a + 1 + rnd(200);

    /* the landing frame: every even word adds to r13, every odd word returns;
     * here and there a breakpoint */
    for (unsigned i = 0; i < 1024; i++)
        land[i] = (i & 1) ? 0x490f0000u                         /* jalr r0, lr, 0 */
                  : (i % 32 == 6) ? 0x51000000u                 /* brk */
                  : 0x20dd0000u | ((i * 7u + 1u) & 0x7fffu);    /* addi r13, r13, k */
}

static uint32_t winva(unsigned j) { return (wslot << shift_below(0)) | (j << 12); }

/* ---- the model: what a walk may find ---------------------------------------------- */
/* The values the word at pa may hold; false if unknown. */
static bool word_values(uint32_t pa, uint32_t *vals, unsigned *n)
{
    struct frame *f = frame_at(pa);
    *n = 0;
    if (f) {
        unsigned i = (pa & 0xfffu) >> 2;
        if (f->wild[i]) return false;
        vals[(*n)++] = f->w[i];
        for (unsigned k = 0; k < f->nalt[i]; k++) vals[(*n)++] = f->alt[i][k];
        return true;
    }
    if (pa < POOL_BASE) return false;   /* harness pages: not tables */
    if (wild_outside(pa & ~3u)) return false;
    vals[(*n)++] = 0;                   /* unused pool and the zero area hold zeros */
    return true;
}

#define MAXPAS 512
/* Every physical address a walk from `table` at `level` may give va. */
static void walk_pas(uint32_t table, unsigned level, uint32_t va, uint32_t *pas, unsigned *n, bool *unknown)
{
    uint32_t epa = (table & FRAME_MASK) + 4 * index_at(va, level);
    if (epa > MEMSIZE - 4) return;     /* a bus error: no access */
    uint32_t vals[8];
    unsigned nv;
    if (!word_values(epa, vals, &nv)) { *unknown = true; return; }
    for (unsigned i = 0; i < nv && !*unknown; i++) {
        uint32_t v = vals[i];
        if (!(v & PTE_P)) continue;
        if (level == L - 1 || (v & PTE_L)) {
            uint32_t mask = (1u << shift_below(level)) - 1;
            if (*n >= MAXPAS) { *unknown = true; return; }
            pas[(*n)++] = ((v & FRAME_MASK) & ~mask) | (va & mask);
        } else {
            walk_pas(v, level + 1, va, pas, n, unknown);
        }
    }
}

/* Under root A, root B, and with paging off.  False if a walk is unknown. */
static bool resolve_all(uint32_t va, uint32_t *pas, unsigned *n)
{
    bool unknown = false;
    *n = 0;
    walk_pas(root_a->pa, 0, va, pas, n, &unknown);
    walk_pas(root_b->pa, 0, va, pas, n, &unknown);
    pas[(*n)++] = va;
    return !unknown;
}

/* Words a random store must never change: the harness (code, data, stacks,
 * the landing code), its tables, the window, and the root entries of both. */
static bool protected_pa(uint32_t pa)
{
    if (pa >= MEMSIZE) return false;
    if (pa < POOL_BASE) return true;
    struct frame *f = frame_at(pa);
    if (!f) return false;
    unsigned idx = (pa & 0xfffu) >> 2;
    switch (f->type) {
    case FT_HTABLE: case FT_WTABLE: return true;
    case FT_ROOT: return idx == 0 || idx == wslot;
    default: return false;
    }
}

static bool in_land(uint32_t pa) { return pa >= LAND_PA && pa < LAND_PA + 4096; }

enum target { TGT_STORE, TGT_LAND };
/* May a store (TGT_STORE) or a fetch or code store (TGT_LAND: only the
 * landing frame, or nothing) at va be emitted? */
static bool target_ok(uint32_t va, enum target t)
{
    uint32_t pas[MAXPAS + 1];
    unsigned n;
    if (!resolve_all(va, pas, &n)) return false;
    for (unsigned i = 0; i < n; i++) {
        uint32_t pa = pas[i] & ~3u;
        if (pa >= MEMSIZE) continue;
        if (t == TGT_LAND ? !in_land(pa) : protected_pa(pa)) return false;
    }
    return true;
}

/* After a store of an unknown value at va: everything it may have hit. */
static void mark_store(uint32_t va)
{
    uint32_t pas[MAXPAS + 1];
    unsigned n;
    resolve_all(va, pas, &n);
    for (unsigned i = 0; i < n; i++) {
        uint32_t pa = pas[i] & ~3u;
        if (pa >= MEMSIZE) continue;
        struct frame *f = frame_at(pa);
        if (f) {
            f->wild[(pa & 0xfffu) >> 2] = true;
        } else if (pa >= POOL_BASE) {
            if (!wild_outside(pa) && nwild_out < 4096) wild_out[nwild_out++] = pa;
            if (pa >= POOL_LIMIT || pa >= POOL_BASE + 4096u * nfr) note_extra_frame(pa);
        }
    }
}

/* After a PTE write of a known value. */
static void add_alt(uint32_t pa, uint32_t v)
{
    struct frame *f = frame_at(pa);
    unsigned i = (pa & 0xfffu) >> 2;
    if (!f) return;
    if (f->w[i] == v) return;
    for (unsigned k = 0; k < f->nalt[i]; k++)
        if (f->alt[i][k] == v) return;
    if (f->nalt[i] < 4) f->alt[i][f->nalt[i]++] = v;
    else f->wild[i] = true;
}

/* ---- interesting virtual addresses -------------------------------------------------- */
static uint32_t ivas[64];
static unsigned nivas;

/* Random descents through the tables as generated: the pages they end on
 * (mapped, large, not present, beyond memory) are what the program touches. */
static void build_ivas(void)
{
    for (unsigned tries = 0; nivas < 48 && tries < 600; tries++) {
        struct frame *t = pct(70) ? root_a : root_b;
        uint32_t va = 0;
        for (unsigned level = 0; level < L; level++) {
            unsigned idx;
            if (level == 0) {
                idx = pct(85) ? rslots[rnd(nrslots)] : pct(40) ? wslot : rnd(nent(0));
            } else {
                unsigned c[1024], nc = 0;
                for (unsigned i = 0; i < nent(level); i++)
                    if (t->w[i]) c[nc++] = i;
                idx = (nc && pct(85)) ? c[rnd(nc)] : rnd(nent(level));
            }
            va |= idx << shift_below(level);
            uint32_t v = t->w[idx];
            struct frame *next = frame_at(v & FRAME_MASK);
            if (!(v & PTE_P) || level == L - 1 || (v & PTE_L) || !next) {
                va |= r32() & ((1u << shift_below(level)) - 1) & FRAME_MASK;
                break;
            }
            t = next;
        }
        va &= FRAME_MASK;
        bool dup = false;
        for (unsigned i = 0; i < nivas; i++) dup |= ivas[i] == va;
        if (!dup) ivas[nivas++] = va;
    }
}

/* A page to touch: random-region pages, the identity map (pool, landing,
 * zero area, harness), the window, or anywhere. */
static uint32_t pick_page(void)
{
    unsigned r = rnd(100);
    if (r < 68 && nivas) return ivas[rnd(nivas)];
    if (r < 84) {
        switch (rnd(5)) {
        case 0: return LAND_PA;
        case 1: return POOL_BASE + 4096u * rnd(nfr);
        case 2: return dataf[rnd(ndata)]->pa;
        case 3: return ZERO_BASE + 4096u * rnd(16);
        default: return 4096u * rnd(10);
        }
    }
    if (r < 92) return winva(rnd(nwin));
    return r32() & FRAME_MASK;
}

/* ---- emitting assembly ------------------------------------------------------------- */
static char *code;
static size_t code_len, code_cap;
static unsigned code_words;   /* words of code emitted so far, to stay below CODE_LIMIT */

static void vemit(const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (code_len + (size_t)n + 2 > code_cap) {
        code_cap = (code_cap + (size_t)n + 2) * 2;
        code = realloc(code, code_cap);
        if (!code) die("out of memory");
    }
    vsnprintf(code + code_len, (size_t)n + 1, fmt, ap);
    code_len += (size_t)n;
    code[code_len++] = '\n';
    code[code_len] = 0;
}

static void emit_line(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vemit(fmt, ap);
    va_end(ap);
}

/* One instruction (or pseudo, or .word) that assembles to `words` words. */
static void ins(unsigned words, const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    code_words += words;
    emit_line("        %s", buf);
}

static unsigned rreg(void) { return 1 + rnd(13); }         /* r1..r13 */
static unsigned sreg(void) { return rnd(14); }             /* r0..r13 */
static unsigned dreg(void) { return pct(3) ? 0 : rreg(); } /* a destination, r0 now and then */

/* Distinct registers r1..r13. */
static void regs2(unsigned *a, unsigned *b)
{
    *a = rreg();
    do *b = rreg(); while (*b == *a);
}
static void regs3(unsigned *a, unsigned *b, unsigned *c)
{
    regs2(a, b);
    do *c = rreg(); while (*c == *a || *c == *b);
}

/* Forward branch targets not yet placed: label number, ops left before it. */
static struct { unsigned label, left; } pend[16];
static unsigned npend, nlabels;

static void ops_done(void)
{
    for (unsigned i = 0; i < npend;) {
        if (--pend[i].left == 0) {
            emit_line(".Lf%u:", pend[i].label);
            pend[i] = pend[--npend];
        } else {
            i++;
        }
    }
}
static void flush_labels(void)
{
    for (unsigned i = 0; i < npend; i++) emit_line(".Lf%u:", pend[i].label);
    npend = 0;
}
static unsigned forward_label(unsigned ops_ahead)
{
    if (npend == 16) return 0;
    pend[npend].label = ++nlabels;
    pend[npend].left = ops_ahead;
    npend++;
    return nlabels;
}

/* A value for `li`: PTE-like, small, extreme, an address, or anything. */
static uint32_t li_value(void)
{
    switch (rnd(8)) {
    case 0: return pte_like();
    case 1: return rnd(256);
    case 2: return pct(50) ? 0x80000000u : 0xffffffffu;
    case 3: return nivas ? ivas[rnd(nivas)] + rnd(4096) : r32();
    case 4: return 1u << rnd(32);
    default: return r32();
    }
}

/* The virtual address a table entry translates for, when the table's place
 * in the tree is known; else some interesting page. */
static uint32_t affected_va(const struct frame *f, unsigned idx)
{
    if (f->type == FT_ROOT) return idx << shift_below(0);
    if (f->level > 0 && idx < nent(f->level) && (f->type != FT_DATA))
        return f->vbase | (idx << shift_below(f->level));
    return nivas ? ivas[rnd(nivas)] : 0;
}

static void op_invlpg_of(uint32_t va)
{
    unsigned r = rreg();
    ins(2, "li      r%u, 0x%08x", r, va);
    ins(1, "invlpg  r%u", r);
}

/* A populated entry index of table f (mostly), else any. */
static unsigned pick_index(const struct frame *f)
{
    unsigned n = f->type == FT_ROOT ? nent(0) : (f->level < L ? nent(f->level) : 1024);
    unsigned c[1024], nc = 0;
    for (unsigned i = 0; i < n; i++)
        if (f->w[i]) c[nc++] = i;
    if (nc && pct(75)) return c[rnd(nc)];
    return pct(85) ? rnd(n) : rnd(1024);
}

static int ring;          /* the ring the code being generated runs in */
static unsigned npushes;  /* pushf/popf so far: the stack pointer stays near its page */

static void gen_op(void);

static const char *const alu_r[] = {"add", "sub", "and", "or", "xor", "sll", "srl", "sra",
                                    "slt", "sltu", "mul", "mulh", "mulhu"};

static void op_load(void)
{
    static const char *const mn[] = {"lw", "lh", "lhu", "lb", "lbu"};
    static const unsigned size[] = {4, 2, 2, 1, 1};
    unsigned k = rnd(5), rb, rd;
    regs2(&rb, &rd);
    if (pct(5)) rd = 0;
    uint32_t va = pick_page(), off;
    if (pct(85)) off = size[k] * rnd(4096 / size[k]);
    else off = rnd(4096);
    ins(2, "li      r%u, 0x%08x", rb, va);
    ins(1, "%-7s r%u, %u(r%u)", mn[k], rd, off, rb);
}

static void op_store(void)
{
    static const char *const mn[] = {"sw", "sh", "sb"};
    static const unsigned size[] = {4, 2, 1};
    unsigned k = rnd(3), rb = rreg(), rs = sreg();
    for (unsigned tries = 0; tries < 12; tries++) {
        uint32_t va = pick_page(), off;
        bool aligned = pct(88);
        if (aligned) off = size[k] * rnd(4096 / size[k]);
        else off = rnd(4096) | 1u;
        if (size[k] == 1) aligned = true;
        if (aligned) off &= ~(size[k] - 1);
        if (aligned && !target_ok(va + off, TGT_STORE)) continue;
        ins(2, "li      r%u, 0x%08x", rb, va);
        ins(1, "%-7s r%u, %u(r%u)", mn[k], rs, off, rb);
        if (aligned) mark_store(va + off);
        return;
    }
    op_load();
}

/* The PTE-write targets: random tables and the random slots of the roots. */
static void pick_pte_target(struct frame **ft, unsigned *idx)
{
    if (nrt && pct(75)) {
        struct frame *f = rt[rnd(nrt)];
        *ft = f;
        *idx = pick_index(f);
        return;
    }
    *ft = pct(60) ? root_a : root_b;
    *idx = rslots[rnd(nrslots)];
}

static void op_pte_read(void)
{
    unsigned j = rnd(nwin), rb, rd;
    regs2(&rb, &rd);
    struct frame *f = frame_at(winlist[j]);
    unsigned idx = pick_index(f);
    ins(2, "li      r%u, 0x%08x", rb, winva(j));
    if (pct(85)) ins(1, "lw      r%u, %u(r%u)", rd, idx * 4, rb);
    else ins(1, "%s      r%u, %u(r%u)", pct(50) ? "lhu" : "lbu", rd, idx * 4 + 2 * rnd(2), rb);
}

static void after_pte_change(const struct frame *f, unsigned idx)
{
    if (opt.coherent) {
        if (ring == 0) ins(1, "tlbflush");
        return;
    }
    unsigned r = rnd(100);
    bool try_priv = ring == 0 || pct(15);
    if (r < 40 && try_priv) op_invlpg_of(affected_va(f, idx));
    else if (r < 55 && try_priv) ins(1, "tlbflush");
}

static void op_pte_write(void)
{
    if (opt.coherent && ring != 0) { op_pte_read(); return; }
    struct frame *f;
    unsigned idx, rb, rv;
    pick_pte_target(&f, &idx);
    unsigned level = f->type == FT_ROOT ? 0 : f->level;
    uint32_t v;
    if (pct(10)) v = np_entry();
    else if (level >= L - 1) v = leaf_entry();
    else v = upper_entry(level, f->pa, affected_va(f, idx), false);
    unsigned j;
    for (j = 0; j < nwin && winlist[j] != f->pa; j++) {}
    if (j == nwin) die("internal: table not in the window");
    regs2(&rb, &rv);
    ins(2, "li      r%u, 0x%08x", rb, winva(j));
    ins(2, "li      r%u, 0x%08x", rv, v);
    ins(1, "sw      r%u, %u(r%u)", rv, idx * 4, rb);
    add_alt(f->pa + 4 * idx, v);
    after_pte_change(f, idx);
}

/* --extra: an access to va right away, so that whether the walker sets A
 * (and D) again shows in the tables: a load, or a store where it is safe. */
static void touch(uint32_t va)
{
    unsigned rb, rd;
    regs2(&rb, &rd);
    uint32_t page = va & FRAME_MASK, off = 4 * rnd(1024);
    bool store = pct(40) && target_ok(page + off, TGT_STORE);
    ins(2, "li      r%u, 0x%08x", rb, page);
    ins(1, "%s      r%u, %u(r%u)", store ? "sw" : "lw", rd, off, rb);
    if (store) mark_store(page + off);
}

/* --extra: loads from up to six pages of one TLB set (64 entries, 4 ways:
 * the set is the low 4 bits of the page number), so that entries are evicted
 * and the next access to them walks again, as LRU decides. */
static void op_sweep(void)
{
    unsigned set = rnd(16), n = 0;
    uint32_t c[160];
    for (unsigned i = 0; i < nivas; i++) c[n++] = ivas[i];
    for (uint32_t va = 0x1000; va < POOL_LIMIT && n < 140; va += 4096) c[n++] = va;
    for (unsigned j = 0; j < nwin && n < 160; j++) c[n++] = winva(j);
    unsigned k = 0;
    uint32_t pick[160];
    for (unsigned i = 0; i < n; i++)
        if (((c[i] >> 12) & 15) == set) pick[k++] = c[i];
    for (unsigned i = 0; i < 6 && k; i++) {
        unsigned j = rnd(k), rb, rd;
        regs2(&rb, &rd);
        ins(2, "li      r%u, 0x%08x", rb, pick[j]);
        ins(1, "lw      r%u, %u(r%u)", rd, 4 * rnd(1024), rb);
        pick[j] = pick[--k];
    }
}

static void op_ad_clear(void)
{
    unsigned j = rnd(nwin), rb, rt_, rm;
    struct frame *f = frame_at(winlist[j]);
    unsigned idx = pick_index(f);
    uint32_t clear = pct(40) ? PTE_A : pct(50) ? PTE_D : PTE_A | PTE_D;
    regs3(&rb, &rt_, &rm);
    ins(2, "li      r%u, 0x%08x", rb, winva(j));
    ins(1, "lw      r%u, %u(r%u)", rt_, idx * 4, rb);
    ins(2, "li      r%u, 0x%08x", rm, ~clear);
    ins(1, "and     r%u, r%u, r%u", rt_, rt_, rm);
    ins(1, "sw      r%u, %u(r%u)", rt_, idx * 4, rb);
    /* affected_va may draw from the PRNG: only where it always did (before
     * --extra existed), so that the default programs stay the same */
    if (opt.coherent) {
        if (ring == 0) ins(1, "tlbflush");
    } else if (pct(50) && (ring == 0 || pct(15))) {
        op_invlpg_of(affected_va(f, idx));
    }
    if (opt.extra && pct(60)) touch(affected_va(f, idx));
}

static void op_switch_as(void)
{
    unsigned r = rreg();
    bool b = pct(50);
    uint32_t root = (b ? root_b : root_a)->pa, asid = b ? asid_b : asid_a;
    if (pct(15)) root |= r32() & 0xfffu;            /* ptb's low 12 bits are ignored */
    if (opt.coherent) {
        ins(2, "li      r%u, 0x%08x", r, root);
        ins(1, "mtcr    ptb, r%u", r);
        ins(2, "li      r%u, %u", r, asid);
        ins(1, "mtcr    asid, r%u", r);
        if (ring == 0) ins(1, "tlbflush");
        return;
    }
    switch (rnd(4)) {
    case 0:   /* ptb alone: the other space's entries stay in the TLB */
        ins(2, "li      r%u, 0x%08x", r, root);
        ins(1, "mtcr    ptb, r%u", r);
        break;
    case 1: { /* asid alone, sometimes one that aliases in its low 16 bits */
        uint32_t a = pct(25) ? (asid | (1u + rnd(3)) << 16) : pct(10) ? 0 : asid;
        ins(2, "li      r%u, 0x%08x", r, a);
        ins(1, "mtcr    asid, r%u", r);
        break;
    }
    default:
        ins(2, "li      r%u, 0x%08x", r, root);
        ins(1, "mtcr    ptb, r%u", r);
        ins(2, "li      r%u, %u", r, asid);
        ins(1, "mtcr    asid, r%u", r);
        break;
    }
}

static void op_fetch(void)
{
    unsigned r = rreg();
    uint32_t target = LAND_PA + 4 * rnd(1024);
    for (unsigned tries = 0; tries < 12; tries++) {
        uint32_t va = pct(75) && nivas ? ivas[rnd(nivas)] : pick_page();
        va += 4 * rnd(1024);
        if (target_ok(va, TGT_LAND)) { target = va; break; }
    }
    ins(2, "li      r%u, 0x%08x", r, target);
    ins(1, "jalr    lr, r%u, 0", r);
}

static void op_codestore(void)
{
    static const uint32_t insn[] = {0x490f0000u, 0x20dd0001u, 0x23cc0055u, 0x51000000u, 0x50000000u};
    unsigned rb, rv;
    regs2(&rb, &rv);
    uint32_t w = insn[rnd(5)];
    if (opt.redpills && pct(20)) w = 0x5ab00000u;   /* smsw r11 */
    for (unsigned tries = 0; tries < 12; tries++) {
        uint32_t va = pct(50) && nivas ? ivas[rnd(nivas)] : LAND_PA;
        uint32_t off = 4 * rnd(1024);
        if (!target_ok(va + off, TGT_LAND)) continue;
        ins(2, "li      r%u, 0x%08x", rb, va);
        ins(2, "li      r%u, 0x%08x", rv, w);
        ins(1, "sw      r%u, %u(r%u)", rv, off, rb);
        return;
    }
    op_load();
}

static uint32_t illegal_word(void)
{
    static const uint8_t undef[] = {0x00, 0x12, 0x1f, 0x2a, 0x2f, 0x35, 0x37, 0x3b, 0x3f, 0x46,
                                    0x47, 0x4a, 0x4f, 0x53, 0x57, 0x5c, 0x5f, 0x6a, 0x80, 0xff};
    switch (rnd(6)) {
    case 0: return ((uint32_t)undef[rnd(sizeof undef)] << 24) | (r32() & 0xffffffu);
    case 1: return 0x01000000u | (r32() & 0xfff000u) | (1 + rnd(0xfff));    /* add, low bits set */
    case 2: return 0x50000000u | (1 + rnd(0xffffff));                       /* syscall with operands */
    case 3: return 0x60000000u | (rnd(16) << 20) | (16 + rnd(0xffef));      /* mtcr to cr > 15 */
    case 4: return 0x24000000u | (rnd(256) << 16) | (32 + rnd(0xffdf));     /* slli by 32 or more */
    default: return opt.redpills ? 0x58000000u | (1 + rnd(0xffffff))        /* pushf with operands */
                                 : 0x29000000u | (rnd(16) << 20) | ((1 + rnd(15)) << 16); /* lui with rs */
    }
}

static void op_io(void)
{
    unsigned r = rreg();
    if (ring == 0) {
        static const unsigned in_ports[] = {0x11, 0x10, 0x20, 0x30, 0x99, 0x1234};
        static const unsigned out_ports[] = {0x30, 0x99, 0x21, 0x4321};
        if (pct(60)) ins(1, "in      r%u, 0x%x", dreg(), in_ports[rnd(6)]);
        else ins(1, "out     0x%x, r%u", out_ports[rnd(4)], sreg());
        return;
    }
    /* outside ring 0 every port access traps, even the power switch */
    static const unsigned ports[] = {0x00, 0x10, 0x11, 0x30};
    if (pct(50)) ins(1, "in      r%u, 0x%x", r, ports[rnd(4)]);
    else ins(1, "out     0x%x, r%u", ports[rnd(4)], sreg());
}

static enum kind pick_kind(void)
{
    unsigned w[K_COUNT];
    memcpy(w, ring == 0 ? weight0 : weightk, sizeof w);
    if (opt.extra) w[K_SWEEP] = SWEEP_WEIGHT;
    unsigned total = 0;
    for (int k = 0; k < K_COUNT; k++)
        if (!opt.no[k] && !(k == K_REDPILL && !opt.redpills)) total += w[k];
    if (!total) return K_ALU_R;
    unsigned x = rnd(total);
    for (int k = 0; k < K_COUNT; k++) {
        if (opt.no[k] || (k == K_REDPILL && !opt.redpills)) continue;
        if (x < w[k]) return (enum kind)k;
        x -= w[k];
    }
    return K_ALU_R;
}

static void gen_op(void)
{
    unsigned a, b, c;
    switch (pick_kind()) {
    case K_ALU_R:
        ins(1, "%-7s r%u, r%u, r%u", alu_r[rnd(13)], dreg(), sreg(), sreg());
        break;
    case K_ALU_I:
        a = dreg(), b = sreg();
        switch (rnd(10)) {
        case 0: ins(1, "addi    r%u, r%u, %d", a, b, (int)rnd(65536) - 32768); break;
        case 1: ins(1, "andi    r%u, r%u, 0x%x", a, b, rnd(65536)); break;
        case 2: ins(1, "ori     r%u, r%u, 0x%x", a, b, rnd(65536)); break;
        case 3: ins(1, "xori    r%u, r%u, 0x%x", a, b, rnd(65536)); break;
        case 4: ins(1, "slli    r%u, r%u, %u", a, b, rnd(32)); break;
        case 5: ins(1, "srli    r%u, r%u, %u", a, b, rnd(32)); break;
        case 6: ins(1, "srai    r%u, r%u, %u", a, b, rnd(32)); break;
        case 7: ins(1, "slti    r%u, r%u, %d", a, b, (int)rnd(65536) - 32768); break;
        case 8: ins(1, "sltiu   r%u, r%u, %d", a, b, (int)rnd(65536) - 32768); break;
        default: ins(1, "lui     r%u, 0x%x", a, rnd(65536)); break;
        }
        break;
    case K_LI:
        ins(2, "li      r%u, 0x%08x", rreg(), li_value());
        break;
    case K_DIV: {
        static const char *const mn[] = {"div", "divu", "rem", "remu"};
        const char *m = mn[rnd(4)];
        unsigned r = rnd(10);
        if (r < 3) {
            ins(1, "%-7s r%u, r%u, r0", m, dreg(), sreg());          /* by zero */
        } else if (r < 4) {
            regs3(&a, &b, &c);
            ins(2, "li      r%u, 0x80000000", b);
            ins(2, "li      r%u, 0xffffffff", c);
            ins(1, "%-7s r%u, r%u, r%u", m, a, b, c);              /* INT_MIN / -1 */
        } else {
            ins(1, "%-7s r%u, r%u, r%u", m, dreg(), sreg(), sreg());
        }
        break;
    }
    case K_LOAD: op_load(); break;
    case K_STORE: op_store(); break;
    case K_PTE_READ: op_pte_read(); break;
    case K_PTE_WRITE: op_pte_write(); break;
    case K_AD_CLEAR: op_ad_clear(); break;
    case K_INVLPG: op_invlpg_of(pick_page() + rnd(4096)); break;
    case K_TLBFLUSH: ins(1, "tlbflush"); break;
    case K_SWITCH_AS: op_switch_as(); break;
    case K_PAGING: {
        a = rreg();
        /* on (with whatever root ptb holds), off, or with bits beyond bit 0 */
        uint32_t v = pct(60) ? 1 : pct(70) ? 0 : (r32() & ~1u) | rnd(2);
        ins(2, "li      r%u, 0x%08x", a, v);
        ins(1, "mtcr    mmu, r%u", a);
        if (opt.coherent && ring == 0) ins(1, "tlbflush");
        break;
    }
    case K_MFCR:
        ins(1, "mfcr    r%u, %u", dreg(), rnd(15));   /* never 15: cycle is time */
        break;
    case K_MTCR: {
        static const unsigned crs[] = {8, 13, 5, 4, 2, 3, 7};
        if (ring == 0 && pct(25)) {
            a = rreg();
            ins(2, "li      r%u, %u", a, rnd(2));       /* sr: IE only, ring 0 */
            ins(1, "mtcr    sr, r%u", a);
        } else {
            ins(1, "mtcr    %u, r%u", crs[rnd(7)], sreg());
        }
        break;
    }
    case K_MTCR_RO: {
        static const unsigned ro[] = {12, 14, 15};    /* levels, memsize, cycle: illegal */
        ins(1, "mtcr    %u, r%u", ro[rnd(3)], sreg());
        break;
    }
    case K_CLISTI: ins(1, pct(50) ? "cli" : "sti"); break;
    case K_SYSCALL: ins(1, "syscall"); break;
    case K_BRK: ins(1, "brk"); break;
    case K_VMCALL: ins(1, "vmcall"); break;
    case K_ILLEGAL: ins(1, ".word   0x%08x", illegal_word()); break;
    case K_REDPILL:
        switch (rnd(4)) {
        case 0:
            if (npushes++ < 40) { ins(1, "pushf"); break; }
            /* fall through */
        case 1:
            if (npushes++ < 40) { ins(1, "popf"); break; }
            /* fall through */
        case 2: ins(1, "smsw    r%u", dreg()); break;
        default: ins(1, "sptb    r%u", dreg()); break;
        }
        break;
    case K_FETCH: op_fetch(); break;
    case K_CODESTORE: op_codestore(); break;
    case K_BRANCH: {
        static const char *const mn[] = {"beq", "bne", "blt", "bge", "bltu", "bgeu"};
        unsigned lab = forward_label(1 + rnd(4));
        if (lab) ins(1, "%-7s r%u, r%u, .Lf%u", mn[rnd(6)], sreg(), sreg(), lab);
        break;
    }
    case K_JAL: {
        unsigned lab = forward_label(1 + rnd(3));
        if (lab) ins(1, "jal     r%u, .Lf%u", dreg(), lab);
        break;
    }
    case K_IO: op_io(); break;
    case K_HLT: ins(1, "hlt"); break;
    case K_IRET: ins(1, "iret"); break;
    case K_SWEEP: op_sweep(); break;
    case K_COUNT: break;
    }
}

/* ---- the harness -------------------------------------------------------------------- */
static uint32_t seed;
static unsigned final_act;        /* 0 none, 1 double fault, 2 triple fault */
static unsigned fa_cause;         /* the trap whose vector the final act breaks */
static uint32_t fa_bad;           /* where that vector points */
static bool fa_paging, fa_user;

/* Saves or restores r1..r15 in the save area SV (word n = rn). */
static void save_regs(const char *op)
{
    for (unsigned i = 1; i <= 15; i++) ins(1, "%s      r%u, SV+%u(r0)", op, i, 4 * i);
}

static void harness_routines(void)
{
    /* console output; every routine keeps every register but lr */
    emit_line("putc:");
    ins(1, "out     con_data, r1");
    ins(1, "ret");
    emit_line("puts:");
    ins(1, "sw      r1, PS+0(r0)");
    ins(1, "sw      r2, PS+4(r0)");
    ins(1, "mov     r2, r1");
    emit_line("1:");
    ins(1, "lbu     r1, 0(r2)");
    ins(1, "beqz    r1, 2f");
    ins(1, "out     con_data, r1");
    ins(1, "addi    r2, r2, 1");
    ins(1, "j       1b");
    emit_line("2:");
    ins(1, "lw      r1, PS+0(r0)");
    ins(1, "lw      r2, PS+4(r0)");
    ins(1, "ret");
    emit_line("puthex:");
    ins(1, "sw      r2, PS+8(r0)");
    ins(1, "sw      r3, PS+12(r0)");
    ins(1, "sw      r4, PS+16(r0)");
    ins(2, "li      r2, 28");
    emit_line("1:");
    ins(1, "srl     r3, r1, r2");
    ins(1, "andi    r3, r3, 15");
    ins(1, "slti    r4, r3, 10");
    ins(1, "bnez    r4, 2f");
    ins(1, "addi    r3, r3, 39          # 'a' - 10 - '0'");
    emit_line("2:");
    ins(1, "addi    r3, r3, 48");
    ins(1, "out     con_data, r3");
    ins(1, "addi    r2, r2, -4");
    ins(1, "bge     r2, r0, 1b");
    ins(1, "lw      r2, PS+8(r0)");
    ins(1, "lw      r3, PS+12(r0)");
    ins(1, "lw      r4, PS+16(r0)");
    ins(1, "ret");
    /* field: the string at r1, then r2 in hex */
    emit_line("field:");
    ins(1, "sw      lr, PS+20(r0)");
    ins(1, "sw      r1, PS+24(r0)");
    ins(1, "call    puts");
    ins(1, "mov     r1, r2");
    ins(1, "call    puthex");
    ins(1, "lw      r1, PS+24(r0)");
    ins(1, "lw      lr, PS+20(r0)");
    ins(1, "ret");
    /* regsum: a checksum of r1..r13 as saved in SV (rotate left 5, xor) */
    emit_line("regsum:");
    ins(1, "sw      r2, PS+28(r0)");
    ins(1, "sw      r3, PS+32(r0)");
    ins(2, "li      r1, 0");
    for (unsigned i = 1; i <= 13; i++) {
        ins(1, "lw      r2, SV+%u(r0)", 4 * i);
        ins(1, "slli    r3, r1, 5");
        ins(1, "srli    r1, r1, 27");
        ins(1, "or      r1, r1, r3");
        ins(1, "xor     r1, r1, r2");
    }
    ins(1, "lw      r2, PS+28(r0)");
    ins(1, "lw      r3, PS+32(r0)");
    ins(1, "ret");
    /* mark: "S <r1>" — where the program is, segment by segment */
    emit_line("mark:");
    ins(1, "sw      lr, PS+36(r0)");
    ins(1, "sw      r2, PS+40(r0)");
    ins(1, "mov     r2, r1");
    ins(2, "la      r1, s_S");
    ins(1, "call    field");
    ins(2, "li      r1, 10");
    ins(1, "call    putc");
    ins(1, "mov     r1, r2");
    ins(1, "lw      r2, PS+40(r0)");
    ins(1, "lw      lr, PS+36(r0)");
    ins(1, "ret");
    /* hashpage: r1 = FNV-1a-like hash of the 1024 words at physical r1 */
    emit_line("hashpage:");
    ins(1, "sw      r2, PS+44(r0)");
    ins(1, "sw      r3, PS+48(r0)");
    ins(1, "sw      r4, PS+52(r0)");
    ins(1, "sw      r5, PS+56(r0)");
    ins(2, "li      r2, 0x811c9dc5");
    ins(2, "li      r3, 1024");
    ins(2, "li      r5, 0x01000193");
    emit_line("1:");
    ins(1, "lw      r4, 0(r1)");
    ins(1, "xor     r2, r2, r4");
    ins(1, "mul     r2, r2, r5");
    ins(1, "addi    r1, r1, 4");
    ins(1, "addi    r3, r3, -1");
    ins(1, "bnez    r3, 1b");
    ins(1, "mov     r1, r2");
    ins(1, "lw      r2, PS+44(r0)");
    ins(1, "lw      r3, PS+48(r0)");
    ins(1, "lw      r4, PS+52(r0)");
    ins(1, "lw      r5, PS+56(r0)");
    ins(1, "ret");
    /* trapline: the fields of a trap, after the prefix already printed */
    emit_line("trapline:");
    ins(1, "sw      lr, PS+60(r0)");
    static const char *const fld[] = {"c", "cause", "e", "epc", "b", "badaddr", "f", "fault", "s", "esr"};
    for (unsigned i = 0; i < 10; i += 2) {
        ins(2, "la      r1, s_%s", fld[i]);
        ins(1, "mfcr    r2, %s", fld[i + 1]);
        ins(1, "call    field");
    }
    ins(1, "call    regsum");
    ins(1, "mov     r2, r1");
    ins(2, "la      r1, s_h");
    ins(1, "call    field");
    if (opt.regs) {
        /* --regs: the registers themselves, not only their checksum */
        for (unsigned i = 1; i <= 13; i++) {
            ins(1, "lw      r2, SV+%u(r0)", 4 * i);
            ins(2, "la      r1, s_sp");
            ins(1, "call    field");
        }
    }
    ins(2, "li      r1, 10");
    ins(1, "call    putc");
    ins(1, "lw      lr, PS+60(r0)");
    ins(1, "ret");

    /* Every trap but the double fault: one line, then resume.  Faults whose
     * EPC is the faulting instruction skip it; syscall, brk and hypercall
     * (EPC already past it) and interrupts return as they are; a fault at an
     * EPC outside the code (a fetch fault, or the landing frame) returns to
     * lr, where the fetch probe came from; a syscall at a gate ends a
     * segment of ring 1-3 and goes on in ring 0 at the gate's continuation. */
    emit_line("trap_entry:");
    save_regs("sw");
    ins(1, "lw      r1, NTRAPS(r0)");
    ins(1, "addi    r1, r1, 1");
    ins(1, "sw      r1, NTRAPS(r0)");
    ins(2, "li      r2, %u", TRAP_LIMIT);
    ins(1, "bltu    r1, r2, 1f");
    ins(2, "la      r1, s_limit");
    ins(1, "call    puts");
    ins(2, "li      r1, 3");
    ins(1, "out     power, r1");
    emit_line("1:");
    ins(1, "mov     r2, r1");
    ins(2, "la      r1, s_T");
    ins(1, "call    field");
    ins(1, "call    trapline");
    ins(1, "mfcr    r1, cause");
    ins(1, "mfcr    r2, epc");
    ins(2, "li      r3, 5");
    ins(1, "bne     r1, r3, 2f");
    ins(2, "la      r3, gates");
    ins(1, "sub     r4, r2, r3");
    ins(1, "addi    r4, r4, -4");
    ins(2, "li      r5, gates_end - gates");
    ins(1, "bgeu    r4, r5, 9f          # an ordinary system call");
    ins(1, "lw      r5, 0(r2)           # a gate: its continuation, in ring 0");
    ins(1, "mtcr    epc, r5");
    ins(1, "mtcr    esr, r0");
    ins(1, "j       9f");
    emit_line("2:");
    static const unsigned as_is[] = {4, 11, 9, 10};
    for (unsigned i = 0; i < 4; i++) {
        ins(2, "li      r3, %u", as_is[i]);
        ins(1, "beq     r1, r3, 9f");
    }
    ins(2, "la      r3, code_start");
    ins(1, "sub     r4, r2, r3");
    ins(2, "li      r5, code_end - code_start");
    ins(1, "bgeu    r4, r5, 3f");
    ins(1, "addi    r2, r2, 4");
    ins(1, "mtcr    epc, r2");
    ins(1, "j       9f");
    emit_line("3:");
    ins(1, "lw      r2, SV+60(r0)");
    ins(1, "mtcr    epc, r2");
    emit_line("9:");
    save_regs("lw");
    ins(1, "iret");

    /* The double fault: one line and power off (exit code 4). */
    emit_line("dfault:");
    save_regs("sw");
    ins(2, "la      r1, s_D");
    ins(1, "call    puts");
    ins(1, "call    trapline");
    ins(2, "li      r1, 4");
    ins(1, "out     power, r1");

    /* The end: registers, control registers (never cycle), then with paging
     * off a hash of every page-table frame, data frame and stack. */
    emit_line("final:");
    save_regs("sw");
    ins(2, "la      r1, s_F");
    ins(1, "call    puts");
    ins(2, "li      r6, 1");
    emit_line("1:");
    ins(2, "la      r1, s_R");
    ins(1, "mov     r2, r6");
    ins(1, "call    field");
    ins(1, "slli    r7, r6, 2");
    ins(1, "lw      r2, SV(r7)");
    ins(2, "la      r1, s_sp");
    ins(1, "call    field");
    ins(2, "li      r1, 10");
    ins(1, "call    putc");
    ins(1, "addi    r6, r6, 1");
    ins(1, "slti    r7, r6, 16");
    ins(1, "bnez    r7, 1b");
    for (unsigned cr = 0; cr < 15; cr++) {
        ins(2, "la      r1, s_C");
        ins(2, "li      r2, %u", cr);
        ins(1, "call    field");
        ins(1, "mfcr    r2, %u", cr);
        ins(2, "la      r1, s_sp");
        ins(1, "call    field");
        ins(2, "li      r1, 10");
        ins(1, "call    putc");
    }
    ins(1, "mtcr    mmu, r0");
    ins(2, "la      r6, hashlist");
    emit_line("2:");
    ins(1, "lw      r7, 0(r6)");
    ins(1, "beqz    r7, 3f");
    if (opt.dump) {
        /* --dump: every nonzero word of the frame, "W address value" */
        ins(2, "li      r8, 1024");
        emit_line("4:");
        ins(1, "lw      r2, 0(r7)");
        ins(1, "beqz    r2, 5f");
        ins(2, "la      r1, s_W");
        ins(1, "mov     r2, r7");
        ins(1, "call    field");
        ins(1, "lw      r2, 0(r7)");
        ins(2, "la      r1, s_sp");
        ins(1, "call    field");
        ins(2, "li      r1, 10");
        ins(1, "call    putc");
        emit_line("5:");
        ins(1, "addi    r7, r7, 4");
        ins(1, "addi    r8, r8, -1");
        ins(1, "bnez    r8, 4b");
    } else {
        ins(2, "la      r1, s_P");
        ins(1, "mov     r2, r7");
        ins(1, "call    field");
        ins(1, "mov     r1, r7");
        ins(1, "call    hashpage");
        ins(1, "mov     r2, r1");
        ins(2, "la      r1, s_sp");
        ins(1, "call    field");
        ins(2, "li      r1, 10");
        ins(1, "call    putc");
    }
    ins(1, "addi    r6, r6, 4");
    ins(1, "j       2b");
    emit_line("3:");
    ins(2, "la      r1, s_E");
    ins(1, "call    puts");
    if (final_act) {
        /* a vector table whose handler for fa_cause cannot be fetched: a
         * double fault, or with the double-fault vector broken too a triple */
        ins(2, "li      r1, 0x%08x", root_a->pa);
        ins(1, "mtcr    ptb, r1");
        ins(2, "li      r1, %u", asid_a);
        ins(1, "mtcr    asid, r1");
        ins(2, "li      r1, %u", fa_paging ? 1 : 0);
        ins(1, "mtcr    mmu, r1");
        ins(2, "la      r1, vectors2");
        ins(1, "mtcr    vbr, r1");
        if (fa_user) {
            ins(2, "li      r1, 7");
            ins(1, "mtcr    esr, r1");
            ins(2, "la      r1, fa_stub");
            ins(1, "mtcr    epc, r1");
            ins(2, "li      r1, 0x%x", USTACK_TOP - 0x100);
            ins(1, "mtcr    usp, r1");
            ins(1, "iret");
        } else {
            ins(1, "j       fa_stub");
        }
    }
    ins(1, "out     power, r0");
}

/* ---- the random segments --------------------------------------------------------- */
static unsigned gate_seg[64], ngates;

static int pick_ring(void)
{
    static const unsigned w[4] = {35, 15, 15, 35};
    unsigned total = 0;
    for (int r = 0; r < 4; r++) total += opt.ring_ok[r] ? w[r] : 0;
    unsigned x = rnd(total);
    for (int r = 0; r < 4; r++) {
        if (!opt.ring_ok[r]) continue;
        if (x < w[r]) return r;
        x -= w[r];
    }
    return 0;
}

static void segments(void)
{
    /* what the gates, the stub and the slack need after the segments */
    const unsigned budget = (CODE_LIMIT - CODE_BASE) / 4 - 64 - 16;
    unsigned nseg = 5 + rnd(6);
    for (unsigned s = 0; s < nseg && ngates < 64; s++) {
        if (code_words + 200 > budget) break;
        ring = pick_ring();
        emit_line("# ---- segment %u: ring %d", s, ring);
        ins(1, "sw      r1, HS+4(r0)");
        ins(1, "sw      lr, HS+60(r0)");
        ins(2, "li      r1, 0x%x", (s << 8) | (unsigned)ring);
        ins(1, "call    mark");
        ins(1, "lw      r1, HS+4(r0)");
        ins(1, "lw      lr, HS+60(r0)");
        if (ring > 0) {
            if (pct(80)) {
                /* iret into ring `ring`, interrupts on or off, with its own stack */
                uint32_t usp = USTACK_TOP - 0x100 - 4 * rnd(32);
                if (pct(3)) usp |= 1 + rnd(3);
                ins(1, "sw      r1, HS+4(r0)");
                ins(2, "li      r1, %u", ((unsigned)ring << 1) | rnd(2));
                ins(1, "mtcr    esr, r1");
                ins(2, "la      r1, seg%u", s);
                ins(1, "mtcr    epc, r1");
                ins(2, "li      r1, 0x%x", usp);
                ins(1, "mtcr    usp, r1");
                ins(1, "lw      r1, HS+4(r0)");
                ins(1, "iret");
                emit_line("seg%u:", s);
            } else {
                /* mtcr sr drops the ring in place, keeping the kernel stack */
                ins(1, "sw      r1, HS+4(r0)");
                ins(2, "li      r1, %u", ((unsigned)ring << 1) | rnd(2));
                ins(1, "mtcr    sr, r1");
                ins(1, "lw      r1, HS+4(r0)");
            }
        }
        npend = 0;
        unsigned nops = 8 + rnd(28);
        for (unsigned i = 0; i < nops && code_words < budget - 40; i++) {
            gen_op();
            ops_done();
        }
        flush_labels();
        if (ring > 0) {
            ins(1, "j       gate%u", s);
            emit_line("cont%u:", s);
            gate_seg[ngates++] = s;
        }
    }
}

/* ---- main --------------------------------------------------------------------------- */
static void usage(void)
{
    fprintf(stderr,
            "usage: genguest SEED [--levels N] [--no-redpills] [--coherent] [--rings LIST] [--no KIND]... [--dump]\n"
            "                [--regs] [--extra] [-o FILE]\n"
            "  Writes a random bare-metal ringsim guest (assembly) for SEED; run it with --levels N\n"
            "  (default 2 + SEED %% 3).  --no-redpills: no pushf/popf/smsw/sptb; --coherent: every\n"
            "  page-table change is followed by tlbflush (no TLB staleness); --rings 03: segments only\n"
            "  in those rings; --dump: the end prints every nonzero word of the page tables and data\n"
            "  frames instead of a hash of each (for finding the word that differs); --regs: every trap\n"
            "  line shows r1..r13 too; --extra: more pressure on A/D bits and the TLB (an access right\n"
            "  after each A/D clear, sweeps of one TLB set): other programs than the default; --no KIND\n"
            "  drops one kind of random operation:");
    for (int k = 0; k < K_COUNT; k++) fprintf(stderr, " %s", kind_name[k]);
    fprintf(stderr, "\n");
    exit(2);
}

static void emit_words(uint32_t base, const uint32_t *w, unsigned n, FILE *out)
{
    /* sparse: .org before every run of nonzero words (the image holds zeros) */
    for (unsigned i = 0; i < n;) {
        if (!w[i]) { i++; continue; }
        fprintf(out, "        .org    0x%x\n", base + 4 * i);
        while (i < n && w[i]) {
            unsigned k = 0;
            fprintf(out, "        .word   ");
            while (i < n && w[i] && k < 8) fprintf(out, "%s0x%08x", k++ ? ", " : "", w[i++]);
            fprintf(out, "\n");
        }
    }
}

int main(int argc, char **argv)
{
    const char *outpath = NULL;
    bool have_seed = false;
    char opts[512] = "";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--levels") && i + 1 < argc) {
            opt.levels = (unsigned)atoi(argv[++i]);
            if (opt.levels < 2 || opt.levels > 4) die("--levels: 2, 3 or 4");
        } else if (!strcmp(a, "--no-redpills")) {
            opt.redpills = false;
        } else if (!strcmp(a, "--coherent")) {
            opt.coherent = true;
        } else if (!strcmp(a, "--dump")) {
            opt.dump = true;
        } else if (!strcmp(a, "--regs")) {
            opt.regs = true;
        } else if (!strcmp(a, "--extra")) {
            opt.extra = true;
        } else if (!strcmp(a, "--rings") && i + 1 < argc) {
            const char *l = argv[++i];
            memset(opt.ring_ok, 0, sizeof opt.ring_ok);
            for (; *l; l++) {
                if (*l < '0' || *l > '3') die("--rings: digits 0..3");
                opt.ring_ok[*l - '0'] = true;
            }
        } else if (!strcmp(a, "--no") && i + 1 < argc) {
            const char *k = argv[++i];
            int j;
            for (j = 0; j < K_COUNT && strcmp(kind_name[j], k); j++) {}
            if (j == K_COUNT) die("--no %s: unknown kind", k);
            opt.no[j] = true;
        } else if (!strcmp(a, "-o") && i + 1 < argc) {
            outpath = argv[++i];
            continue;
        } else if (a[0] != '-' && !have_seed) {
            char *end;
            unsigned long v = strtoul(a, &end, 0);
            if (*end || v > 0xffffffffu) die("bad seed '%s'", a);
            seed = (uint32_t)v;
            have_seed = true;
            continue;
        } else {
            usage();
        }
        size_t n = strlen(opts);
        snprintf(opts + n, sizeof opts - n, " %s", a);
        if (!strcmp(a, "--levels") || !strcmp(a, "--rings") || !strcmp(a, "--no")) {
            n = strlen(opts);
            snprintf(opts + n, sizeof opts - n, " %s", argv[i]);
        }
    }
    if (!have_seed) usage();
    L = opt.levels ? opt.levels : 2 + seed % 3;
    for (unsigned i = 0; i < L; i++) lbits[i] = 20 / L + (i == 0 ? 20 % L : 0);
    rng_state = 0x5eed0000ull * 0x100000001ull ^ ((uint64_t)seed << 8) ^ L;
    if (!opt.ring_ok[0] && !opt.ring_ok[1] && !opt.ring_ok[2] && !opt.ring_ok[3]) die("--rings: none");

    build_tables();
    build_ivas();
    frozen = true;
    unsigned r = rnd(100);
    final_act = r < 70 ? 0 : r < 90 ? 1 : 2;
    static const unsigned fa_causes[] = {0, 3, 4, 5};
    fa_cause = fa_causes[rnd(4)];
    fa_paging = pct(75);
    fa_user = pct(40);
    fa_bad = fa_paging ? (badslot << shift_below(0)) | (r32() & ((1u << shift_below(0)) - 1) & ~3u)
                       : MEMSIZE + 4 * rnd(0x100000);

    /* the program: start-up, routines, segments, gates */
    emit_line("_start:");
    ins(1, "mfcr    r1, levels");
    ins(2, "li      r2, %u", L);
    ins(1, "beq     r1, r2, 1f");
    ins(2, "la      r1, s_levels");
    ins(1, "call    puts");
    ins(2, "li      r1, 2");
    ins(1, "out     power, r1");
    emit_line("1:");
    ins(2, "la      r1, vectors");
    ins(1, "mtcr    vbr, r1");
    ins(2, "li      r1, 0x%x", KSTACK_TOP);
    ins(1, "mtcr    ksp, r1");
    ins(1, "mov     sp, r1");
    ins(2, "la      r1, s_head");
    ins(1, "call    puts");
    ins(2, "li      r1, 0x%08x", root_a->pa);
    ins(1, "mtcr    ptb, r1");
    ins(2, "li      r1, %u", asid_a);
    ins(1, "mtcr    asid, r1");
    ins(2, "li      r1, %u", pct(85) ? 1 : 0);
    ins(1, "mtcr    mmu, r1");
    for (unsigned i = 1; i <= 13; i++) ins(2, "li      r%u, 0x%08x", i, li_value());
    ins(1, "j       main");
    harness_routines();
    emit_line("main:");
    segments();
    ins(1, "j       final");
    /* gates: `syscall` then the continuation the handler sends ring 0 to */
    emit_line("gates:");
    for (unsigned i = 0; i < ngates; i++) {
        emit_line("gate%u:", gate_seg[i]);
        ins(1, "syscall");
        ins(1, ".word   cont%u", gate_seg[i]);
    }
    emit_line("gates_end:");
    emit_line("fa_stub:");
    switch (fa_cause) {
    case 0: ins(1, ".word   0x00000000"); break;
    case 3: ins(1, "div     r1, r1, r0"); break;
    case 4: ins(1, "brk"); break;
    default: ins(1, "syscall"); break;
    }
    ins(1, "j       fa_stub");
    emit_line("code_end:");
    if (CODE_BASE + 4 * code_words > CODE_LIMIT) die("internal: code too long (%u words)", code_words);

    FILE *out = stdout;
    if (outpath && !(out = fopen(outpath, "w"))) die("%s: cannot write", outpath);
    fprintf(out, "# genguest %u%s: a random bare-metal guest (tools/genguest.c); run with --levels %u\n",
            seed, opts, L);
    fprintf(out, "# root A 0x%x asid %u, root B 0x%x asid %u, window slot %u (%s), random slots",
            root_a->pa, asid_a, root_b->pa, asid_b, wslot, window_user ? "user" : "supervisor");
    for (unsigned i = 0; i < nrslots; i++) fprintf(out, " %u", rslots[i]);
    fprintf(out, "\n# %u pool frames, %u random tables, %u data frames%s; final act %s\n", nfr, nrt, ndata,
            big_harness ? ", identity map by one large page" : "",
            final_act == 0 ? "none" : final_act == 1 ? "double fault" : "triple fault");
    fprintf(out, "        .equ    NTRAPS, 0x%x\n        .equ    HS, 0x%x\n        .equ    SV, 0x%x\n"
                 "        .equ    PS, 0x%x\n",
            NTRAPS, HS, SV, PS);
    fprintf(out, "        .text\n        .entry  _start\ncode_start:\n");
    fputs(code, out);

    /* harness data */
    fprintf(out, "        .org    0x%x\nvectors:\n", VECTORS);
    for (unsigned c = 0; c < 16; c++) fprintf(out, "        .word   %s\n", c == 8 ? "dfault" : "trap_entry");
    fprintf(out, "        .org    0x%x\nvectors2:\n", VECTORS2);
    for (unsigned c = 0; c < 16; c++) {
        if (c == fa_cause || (c == 8 && final_act == 2)) fprintf(out, "        .word   0x%08x\n", fa_bad);
        else fprintf(out, "        .word   %s\n", c == 8 ? "dfault" : "trap_entry");
    }
    fprintf(out, "        .org    0x%x\n        .word   0\n", NTRAPS);
    fprintf(out, "        .org    0x%x\n", STRINGS);
    fprintf(out, "s_head:  .asciz  \"G seed %u levels %u%s\\n\"\n", seed, L, opts);
    static const char *const strs[][2] = {
        {"T", "T "}, {"c", " c="}, {"e", " e="}, {"b", " b="}, {"f", " f="}, {"s", " s="}, {"h", " h="},
        {"D", "D"}, {"F", "F\\n"}, {"R", "R "}, {"C", "C "}, {"P", "P "}, {"sp", " "}, {"E", "E\\n"},
        {"S", "S "}, {"W", "W "}, {"limit", "L trap limit\\n"}, {"levels", "wrong page-table levels: run with the generator's --levels\\n"},
    };
    for (unsigned i = 0; i < sizeof strs / sizeof strs[0]; i++)
        fprintf(out, "s_%s: .asciz \"%s\"\n", strs[i][0], strs[i][1]);
    fprintf(out, "        .align  4\nhashlist:\n");
    fprintf(out, "        .word   0x%x, 0x%x, 0x%x, 0x%x\n", HDATA, KSTACK_TOP - 4096, USTACK_TOP - 4096, LAND_PA);
    for (unsigned i = 0; i < nfr; i++) fprintf(out, "        .word   0x%x\n", fr[i].pa);
    for (unsigned i = 0; i < nextra; i++) fprintf(out, "        .word   0x%x\n", extra_frames[i]);
    fprintf(out, "        .word   0\n");
    emit_words(LAND_PA, land, 1024, out);
    for (unsigned i = 0; i < nfr; i++) emit_words(fr[i].pa, fr[i].w, 1024, out);
    if (out != stdout) fclose(out);
    return 0;
}
