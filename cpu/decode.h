/*
 * decode.h — the decoded-instruction cache (private to cpu/).
 *
 * Decoding is paid once: the first time the CPU executes from a physical page
 * it decodes all 1024 words of it into `struct dinsn`s, and from then on the
 * interpreter dispatches on the decoded form.  A store into such a page drops
 * its decoded form (self-modifying or reloaded code stays correct).
 *
 * Blocks: a block is a straight run of instructions ending at a control
 * transfer, a system instruction, or the page end.  System instructions
 * (class system, priv, io) are blocks of one, because they can observe the
 * cycle counter or unmask interrupts.  Each dinsn carries the totals from
 * itself to the end of its block, so the interpreter charges a whole block
 * in one step when it enters it, and refunds the unexecuted tail when an
 * instruction faults part-way.
 */
#ifndef RINGSIM_CPU_DECODE_H
#define RINGSIM_CPU_DECODE_H

#include <stddef.h>

#include "cpu/cpu.h"

#define PAGE_INSNS 1024

/* Not a trap: a nested-paging violation that leaves the guest (VM exit). */
#define CAUSE_NESTED_EXIT ((enum isa_cause)CAUSE_COUNT)

/* Internal opcodes beyond the table: */
enum {
    OPX_ILLEGAL = OP_COUNT, /* an undefined word: illegal-instruction trap */
    OPX_PAGE_END,           /* sentinel after the last word of a page */
    OPX_TRANSLATE,          /* binary translation: a block not translated yet */
    OPX_CALLOUT,            /* binary translation: a sensitive instruction, replaced */
    OPX_COUNT
};
/* Not an op: the fast loops' case that runs a record's compiled run
 * (cpu/jit.h), the last of cpu_fast_handlers; no record's op is it. */
#define OPX_JIT_CASE OPX_COUNT
/* Not an op either: the case that counts a page's instructions until it
 * is worth compiling (JIT_COUNTING). */
#define OPX_JIT_COUNT_CASE (OPX_COUNT + 1)
#define OPX_CASES (OPX_COUNT + 2)

/* The hot half of a decoded instruction: what the dispatch loop reads on
 * every instruction, 32 bytes so that a record's index is a shift away.
 * The fast loop dispatches on h, the address of op's case in it (one
 * indirect jump, no table); the other loops on op.  Whoever writes op
 * outside decode.c (a translator) leaves h stale: the fast loop's
 * translate case mends it (decode_set_handlers). */
struct dinsn {
    void *h;                /* the fast loop's case for op (cpu_fast_handlers) */
    uint64_t blk_nm;        /* from here to the block end: instructions << 32 |
                             * memory references (one add charges both) */
    uint32_t blk_total;     /* all cycles (insn + mem) from here to the block end */
    uint32_t blk_total_pg;  /* the same with paging on: + a TLB hit per memory
                             * reference (the fast loop charges a block's hits
                             * with it, refunding an access that walks) */
    int32_t imm;            /* branches and jal: where the target's record is, in
                             * bytes from the page's first (its index in the page,
                             * the instruction's own + the offset, times the size
                             * of a record: DINSN_TARGET); in the page when below
                             * DINSN_PAGE_BYTES, else the target is in another page */
    uint8_t op;             /* enum isa_op or OPX_* */
    uint8_t a, b, c;        /* a is 16 (the sink) when it is a destination r0 */
};
#define DINSN_SHIFT 5
_Static_assert(sizeof(struct dinsn) == 1u << DINSN_SHIFT, "a record's index is a shift away");
#define DINSN_PAGE_BYTES ((uint32_t)PAGE_INSNS << DINSN_SHIFT)
/* a branch's imm for the target at index i of the page (i may lie outside
 * it; computed unsigned, so that no index read from a file overflows) */
#define DINSN_TARGET(i) ((int32_t)((uint32_t)(i) * (uint32_t)sizeof(struct dinsn)))
/* and back: the target's index */
#define DINSN_TARGET_INDEX(imm) ((imm) / (int32_t)sizeof(struct dinsn))
/* instructions and memory references from d to its block's end */
#define DINSN_BLK_N(d) ((uint32_t)((d)->blk_nm >> 32))
#define DINSN_BLK_MEM(d) ((uint32_t)(d)->blk_nm)
#define DINSN_BLK_NM(n, mem) ((uint64_t)(n) << 32 | (uint32_t)(mem))
/* blk_total_pg from blk_total and the memory references, a TLB hit tlb_hit cycles */
#define DINSN_BLK_PG(total, mem, tlb_hit) ((uint32_t)(total) + (uint32_t)(mem) * (uint32_t)(tlb_hit))

/* The cold half: what only block ends, system instructions and the stepping
 * loop look at. */
struct dinsn_cold {
    uint16_t self_insn;     /* this instruction's own class cycles */
    uint8_t self_mem;       /* this instruction's own memory references */
    uint8_t ends_block;
};

/* Binary translation's chaining: an exit of a translated block patched to
 * jump straight to its target's translation (see decode.c, "Chaining").
 * ppn BT_UNCHAINED: the exit goes through the dispatcher. */
#define BT_UNCHAINED 0xffffffffu
struct bt_link {
    uint32_t va;            /* the target's guest address */
    uint32_t ppn;           /* the physical page of its translation, or BT_UNCHAINED */
};
/* A block's exits: the branch taken or the jump (0), the fall-through of a
 * branch not taken or off the page's end (1). */
#define BT_EXITS 2
enum bt_exit_kind {
    BT_EXIT_DIRECT,         /* a branch, jal, the next instruction: the target is in the code */
    BT_EXIT_INDIRECT        /* jalr (returns too): the target is in a register */
};

struct decode_page {
    bool valid;
    uint8_t hmode;                      /* whose cases insn[].h are: the fast loop of this paging state */
    bool code_cache;                    /* binary translation's (bt_pages): cases of its own */
    struct dinsn insn[PAGE_INSNS + 1];  /* + the OPX_PAGE_END sentinel */
    struct dinsn_cold cold[PAGE_INSNS + 1];
    uint8_t guest_op[PAGE_INSNS];       /* code cache pages: the guest's own opcode */
    struct bt_link link[PAGE_INSNS + 1][BT_EXITS];   /* code cache pages: chained exits */
    uint8_t jit_mode;                   /* --engine jit: enum jit_mode */
    uint32_t heat;                      /* JIT_COUNTING: its blocks entered */
    uint8_t jit_churn;                  /* times compiled (not reset by a new decode) */
    struct jit_page *jit;               /* JIT_COMPILED: the page's compiled runs, or NULL */
    uint32_t jit_calls, jit_work;       /* JIT_COMPILED: runs entered since the last review,
                                         * and the instructions they ran (op_JIT) */
    /* --engine jit: where blocks start (decode_block_starts), one bit a
     * record, marked as the page is decoded */
    uint32_t block_start[(PAGE_INSNS + 1 + 31) / 32];
};

/* --engine jit: a decoded page (never a code cache page) is interpreted,
 * counting, until its blocks have been entered m->jit_threshold times
 * (--jit-threshold, JIT_THRESHOLD by default); then compiled (cpu/jit.c),
 * once, for as long as it stays decoded.  A physical page whose code keeps
 * being rewritten (a store drops it with its decoded form) waits twice as
 * long each time it is compiled again, up to 2^JIT_CHURN_MAX times. */
enum jit_mode { JIT_OFF, JIT_COUNTING, JIT_COMPILED };
/* A compiled page is reviewed every JIT_REVIEW entries into its code: if
 * they ran fewer than JIT_MIN_WORK instructions each on average, the page
 * is handed back to the interpreter, for as long as it stays decoded.  An
 * entry and its return cost about as much as a dozen instructions save
 * compiled (measured: tlbstride's loop, six instructions an entry between
 * two accesses that miss the shortcut, costs 25 host instructions an
 * entry more compiled): a kernel's page of short blocks, system
 * instructions and accesses that miss the shortcut runs faster
 * interpreted. */
#define JIT_REVIEW 1024
#define JIT_MIN_WORK 12
#define JIT_THRESHOLD 256
#define JIT_CHURN_MAX 6

/* The page whose insn[] starts at dpage. */
static inline struct decode_page *decode_page_of(const struct dinsn *dpage)
{
    return (struct decode_page *)((char *)(uintptr_t)dpage - offsetof(struct decode_page, insn));
}
/* The cold half of d, an instruction of the page whose insn[] starts at dpage. */
static inline const struct dinsn_cold *dinsn_cold(const struct dinsn *dpage, const struct dinsn *d)
{
    return &decode_page_of(dpage)->cold[d - dpage];
}

/* The fast loops' cases for each op and OPX_JIT_CASE, [0] paging off, [1] on, [2] and [3]
 * the same for a code cache page (exec.c, filled on first use:
 * cpu_exec_fast_handlers); a page's h are those of its hmode, which a fast
 * loop changes to its own as it enters the page. */
extern void *const *cpu_fast_handlers[4];
void cpu_exec_fast_handlers(void);
/* h set from op for the records [from, to) of p, by p->hmode. */
void decode_set_handlers(struct decode_page *p, unsigned from, unsigned to);
/* p's h all for the fast loop of paging state mode (0 off, 1 on). */
void decode_page_handlers(struct decode_page *p, unsigned mode);

/* Where the fast loop enters p's blocks: its first record, one after a
 * block's end (the sentinel included), an in-page branch's target (of a
 * page decoded for the JIT: marked as it was decoded, block_start). */
void decode_block_starts(const struct decode_page *p, bool start[PAGE_INSNS + 1]);
/* Does op carry its target as a place in the page (a branch, jal)?  Its
 * target is resolved once, at decoding, rather than on every execution
 * (struct dinsn's imm).  (Inline: asked of every record of a page each
 * time the JIT's counting marks where its blocks start.) */
static inline bool dinsn_has_page_target(int op)
{
    return op < OP_COUNT && (isa_info[op].cls == CL_BRANCH || op == OP_JAL);
}
/* Does execution flow from d to the next instruction without a block entry
 * (an ordinary instruction, not a transfer, a system one or a callout)? */
bool dinsn_falls_through(const struct dinsn *d);
/* The decoded page for physical page ppn, decoding it if needed. */
struct decode_page *decode_page_get(struct machine *m, uint32_t ppn);
/* The code-cache page for ppn (binary translation of guest kernel code):
 * decoded like the other, but every instruction starts as OPX_TRANSLATE and
 * is translated block by block as execution first reaches it. */
struct decode_page *bt_page_get(struct machine *m, uint32_t ppn);
/* Translates the block that starts at index i of page p: safe instructions
 * identically, sensitive ones into callouts.  Charges the translation. */
void bt_translate_block(struct machine *m, struct decode_page *p, unsigned i);

/* Chaining (binary translation).  May an exit of this kind be chained? */
bool bt_may_chain(enum bt_exit_kind kind);
/* Does link l still lead where its exit goes, its target now at physical
 * address pa (BT_NO_PA: not known without a page walk)? */
#define BT_NO_PA 0xffffffffu
bool bt_link_holds(const struct bt_link *l, uint32_t pa);
/* Patches exit e of instruction i of page `from` to jump to the
 * translation of va at physical address pa; counts nothing. */
void bt_chain(struct machine *m, struct decode_page *from, unsigned i, unsigned e, uint32_t va, uint32_t pa);
/* The translation of page ppn is gone: no link may lead into it any more,
 * nor out of it (bt.unchains counts the links into it). */
void bt_unchain(struct machine *m, uint32_t ppn);

/* ---- slow paths the interpreter calls (trap.c, devices.c) ------------- */
/* Is an unmasked interrupt waiting? */
bool cpu_interrupt_pending(const struct machine *m);
/* Delivers the highest-priority pending interrupt (timer before console). */
void cpu_take_interrupt(struct machine *m);
/* hlt: idle until an interrupt can arrive, or stop the machine. */
void cpu_halt(struct machine *m);
/* iret: SR = ESR, PC = EPC, sp from USP when returning to ring > 0. */
void cpu_iret(struct machine *m);
#endif
