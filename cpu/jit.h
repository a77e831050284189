/*
 * jit.h — the per-block template JIT (private to cpu/; --engine jit).
 *
 * A decoded page's straight runs of ALU instructions, loads and stores,
 * and the in-page branch that may end them, become x86-64 code: each
 * instruction a fixed template with its registers and immediate patched in
 * (R[x] lives at [rdi + 4x]; a load or store compares its masked address
 * with the interpreter's data shortcut, as the interpreter's own hit does).
 * Only the fast loops run it.  The interpreter has charged the block when
 * it entered it, so the code charges nothing: what it returns is where the
 * interpreter carries on, and every cycle, count and statistic is the
 * interpreter's own.  It returns early, without touching the instruction,
 * wherever the interpreter must decide: a load or store that is not a
 * shortcut hit (the interpreter does the miss, the walk, the fault), an
 * instruction it has no template for, a branch to another page.
 */
#ifndef RINGSIM_CPU_JIT_H
#define RINGSIM_CPU_JIT_H

#include <stdbool.h>
#include <stdint.h>

struct machine;
struct decode_page;
struct dinsn;

/* What the code keeps of the fast loop's hot counters (exec.inc): it
 * enters the blocks its branches lead to as the loop's ENTER does. */
struct jit_state {
    int64_t left;                  /* cycles to the next event */
    uint64_t cnt;                  /* instructions << 32 | memory references */
};
/* A run's code: fn(R, rtag, wtag, addend, st, total), with the data
 * shortcut's read tag, write tag and addend (exec.inc, SC_HIT), and where a
 * record keeps the block total this loop charges (blk_total or
 * blk_total_pg, by paging).  The answer is the record the interpreter goes
 * on at, its low bit set when it is to enter it as a block (events,
 * charging), clear when it runs that record's own case (the instruction
 * the code stopped before). */
typedef uintptr_t (*jit_fn)(uint32_t *R, uint32_t rtag, uint32_t wtag, uintptr_t addend,
                            struct jit_state *st, uintptr_t total);
#define JIT_ENTER 1u

/* The compiled runs of one decoded page. */
struct jit_page {
    uint8_t *code;                 /* mapped read and execute */
    uint32_t size;                 /* bytes mapped */
    uint32_t entry[1024 + 1];      /* a record's run: its offset in code + 1, 0 = none */
};

/* Compiles p's runs (p decoded, not a code cache page).  Fails quietly —
 * out of memory, the machine's code budget spent — leaving p interpreted. */
void jit_page_build(struct machine *m, struct decode_page *p);
/* Frees p's code, if any. */
void jit_page_free(struct machine *m, struct decode_page *p);
/* An entry into p's code at record d returned r (jit_fn), having entered
 * blocks of `entered` instructions (charged in the loop's counters): what
 * it ran is counted, and every JIT_REVIEW entries p is reviewed (decode.h):
 * its code kept, or p handed back to the interpreter if its entries ran
 * too little to pay for themselves. */
void jit_ran(struct machine *m, struct decode_page *p, const struct dinsn *d, uintptr_t r, uint32_t entered);
/* The run that starts at record i of p. */
static inline jit_fn jit_entry(const struct jit_page *j, unsigned i)
{
    union { uint8_t *p; jit_fn f; } u;   /* data to code: the host ABI allows it */
    u.p = j->code + j->entry[i] - 1;
    return u.f;
}
#endif
