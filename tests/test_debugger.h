/*
 * test_debugger.h — what the debugger's tests share: a session on a real
 * guest, built as `ringsim debug` builds it, whose output is captured.
 */
#ifndef RINGSIM_TEST_DEBUGGER_H
#define RINGSIM_TEST_DEBUGGER_H

#include "cli/cli.h"
#include "visualise/debugger.h"

struct dsession {
    struct cli_machine cm;
    struct isa_image img;
    struct vis_dbg *d;
    char *out, *err;
    size_t outlen, errlen, out_seen, err_seen;
    FILE *fo, *fe;
    char *last_out, *last_err;
};

/* A session on a bundled guest; mode "native" or "hw", 0 levels = default. */
struct dsession *ds_open(const char *image, const char *mode, unsigned levels, unsigned host_levels);
/* The same with an MMU technique ("nested", "shadow"; NULL = the mode's default). */
struct dsession *ds_open_mmu(const char *image, const char *mode, const char *mmu, unsigned levels,
                             unsigned host_levels);
/* The same with the machine options given (a disk, a network ...). */
struct dsession *ds_open_opts(const struct machine_opts *o, const char *image);
/* Runs one command; its output and errors are then ds_out / ds_err. */
int ds_cmd(struct dsession *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *ds_out(struct dsession *s);
const char *ds_err(struct dsession *s);
void ds_close(struct dsession *s);

/* Everything about the machine that reverse execution must give back. */
struct mstate {
    uint64_t pos, memsum;
    uint32_t r[ISA_NREGS], pc, cr[CR_COUNT];
    bool nonroot;
    int trap_depth;
    struct stats st;
    struct mmu_stats mst;
    uint32_t tlb[4096][6];           /* vpn, pfn, asid, vpid, flags, valid */
    uint64_t tlb_lru[4096];
    uint64_t exits, exits_by_reason[EXIT_COUNT];
    uint32_t vm_pc, vm_exit_qual;
    int vm_exit_reason, running;
    uint64_t vm_exits, slice_end, timer_deadline;
    uint32_t vcpu_cr[CR_COUNT];      /* trap-and-emulate: the guest's own control registers */
    uint64_t hidden_faults, tracing_faults, bt_blocks, bt_hits;
    uint64_t bt_dispatches, bt_chained, bt_unchains;
};
void mstate_take(struct dsession *s, struct mstate *st);
/* Asserts that two states are the same, naming the first difference. */
void mstate_assert_equal(const struct mstate *a, const struct mstate *b);

#endif
