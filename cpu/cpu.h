/*
 * cpu.h — the ringsim machine: CPU, physical memory, devices, cycle accounting.
 *
 * This header is the interface of cpu/.  A `struct machine` is plain data: the
 * architectural state (registers, control registers, memory, devices) plus
 * the statistics.  The decode cache hanging off it is derived state that can
 * always be thrown away and rebuilt from memory.
 *
 * The one idea to hold: every cycle the machine spends is charged to exactly
 * one cause (enum cycle_cause) with an amount taken from the machine profile,
 * so the causes always add up to the total.
 */
#ifndef RINGSIM_CPU_H
#define RINGSIM_CPU_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "isa/isa.h"
#include "mmu/mmu.h"
#include "cpu/iommu.h"

/* ---- what cycles are spent on ------------------------------------------ */
#define CYCLE_CAUSES(X)                                                        \
    X(CY_INSN,   "insn",   "executing instructions (their class cost)")        \
    X(CY_MEM,    "mem",    "data memory references of loads and stores")       \
    X(CY_TLB,    "tlb",    "TLB lookups that hit")                             \
    X(CY_WALK,   "walk",   "page-table references of page walks")              \
    X(CY_TRAP,   "trap",   "trap and interrupt entry and return")              \
    X(CY_IO,     "io",     "device access beyond the instruction")             \
    X(CY_IDLE,   "idle",   "halted, waiting for an interrupt")                 \
    X(CY_VMEXIT, "vmexit", "VM exit and entry round trips")                    \
    X(CY_HV,     "hv",     "hypervisor work")                                  \
    X(CY_BT,     "bt",     "binary translation")

enum cycle_cause {
#define X(id, name, desc) id,
    CYCLE_CAUSES(X)
#undef X
    CY_COUNT
};
extern const char *const cycle_cause_name[CY_COUNT];
extern const char *const cycle_cause_desc[CY_COUNT];

/* ---- the machine profile: every cost, in cycles ------------------------- */
#define PROFILE_COSTS(X)                                                                      \
    X(mem_ref,     1,   "one data memory reference (load or store)")                          \
    X(tlb_hit,     0,   "one TLB lookup that hits")                                           \
    X(walk_ref,    20,  "one page-table entry read by the page walker")                       \
    X(trap_entry,  30,  "entering a trap or interrupt handler (vector read included)")        \
    X(trap_return, 20,  "returning from a handler (iret), beyond the instruction")            \
    X(io_access,   0,   "a device register access, beyond the instruction")                   \
    X(vm_entry,    500, "VM entry (ring -1 to the guest)")                                    \
    X(vm_exit,     500, "VM exit (the guest to ring -1)")                                     \
    X(vmcs_read,   20,  "reading one field of the VM control structure")                      \
    X(vmcs_write,  20,  "writing one field of the VM control structure")                      \
    X(hv_op,       50,  "one basic hypervisor operation (dispatch, bookkeeping)")             \
    X(bt_translate, 200, "translating one guest instruction into the code cache")             \
    X(bt_callout,  30,  "a translated sensitive instruction calling into the hypervisor")    \
    X(bt_dispatch, 50,  "a translated block's exit leaving the code cache to look its target up") \
    X(disk_command, 20000, "the block device's latency for one command (seek and set-up)")   \
    X(disk_sector, 1000, "the block device's further latency for each sector it transfers")

struct profile {
    char name[64];
    char source[4096];           /* file it came from */
    uint32_t class_cycles[CL_COUNT];
#define X(key, dflt, desc) uint32_t key;
    PROFILE_COSTS(X)
#undef X
};

/* Loads NAME (profiles/NAME.ini on the search path) or a FILE path (anything
 * with a '/' or ending in ".ini").  On error writes "file:line: what was
 * expected" to err and returns false. */
bool profile_load(const char *name_or_file, struct profile *p, char *err, size_t errlen);
/* The built-in defaults (what an empty profile file gives). */
void profile_defaults(struct profile *p);
/* Where a named file of kind "profiles" or "guests" is found: $RINGSIM_<KIND>,
 * then next to the executable, then PREFIX/share/ringsim/<kind>.  Writes the
 * path to out and returns true if it exists. */
bool ringsim_find_file(const char *kind, const char *file, char *out, size_t outlen);

/* ---- why the machine stopped ------------------------------------------- */
#define STOP_REASONS(X)                                                            \
    X(STOP_NONE,        "running",     "still running")                            \
    X(STOP_EXIT,        "exit",        "the guest wrote an exit code to the power port") \
    X(STOP_HALT,        "halt",        "hlt with nothing left to wait for")        \
    X(STOP_CYCLE_LIMIT, "cycle_limit", "--max-cycles reached")                     \
    X(STOP_TRIPLE,      "triple_fault", "a fault while entering the double-fault handler") \
    X(STOP_STEPS,       "steps",       "the requested number of instructions ran") \
    X(STOP_BREAK,       "breakpoint",  "a debugger breakpoint was reached")      \
    X(STOP_HOST_ERROR,  "host_error",  "the simulator failed (out of host memory), not the guest")

enum stop_reason {
#define X(id, name, desc) id,
    STOP_REASONS(X)
#undef X
    STOP_COUNT
};
extern const char *const stop_reason_name[STOP_COUNT];

/* ---- architectural state ----------------------------------------------- */
struct cpu {
    uint32_t r[ISA_NREGS + 1]; /* r[16] is a sink: writes to r0 land there */
    uint32_t pc;
    uint32_t cr[CR_COUNT];     /* cr[CR_SR] is the status register */
    bool nonroot;              /* running a guest under ring -1 */
    /* Trap entry in progress: 0 none, 1 entering a handler, 2 entering the
     * double-fault handler.  A fault at 1 becomes a double fault, at 2 a
     * triple fault.  Cleared once the handler's first instruction has run. */
    int trap_depth;
};

struct console {
    char *input;               /* scripted input (not owned by the guest) */
    uint32_t input_len, input_pos;
    bool rx_irq_enabled;
    FILE *out;                 /* where guest output goes (stdout by default) */
    uint64_t bytes_out;
};

struct timer {
    uint32_t period;           /* 0 = stopped */
    uint64_t deadline;         /* cycle at which the next tick is due */
    bool pending;              /* interrupt raised, not yet acknowledged */
};

/* The block device (cpu/disk.c; its registers, commands and errors are
 * architecture: isa/isa.h): a disk in a host file and a DMA engine.  The
 * same device serves the machine natively and each VM under the hypervisor,
 * which hands it the VM's own memory as the window DMA may reach. */
struct disk {
    bool present;
    int fd;                    /* the host file, locked, when present */
    char path[256];
    uint32_t sectors;
    uint32_t part_first;       /* a partition (FILE:part=FIRST+COUNT): sector 0 is the file's FIRST */
    uint32_t sector, count, addr; /* the registers of the next command */
    uint8_t error;             /* enum disk_error of the last command */
    uint8_t ctrl;              /* disk_ctrl: DISK_CTRL_IRQ */
    bool unacked;              /* a command was written and its completion not acknowledged:
                                * done (disk_status bit 1) from done_at on */
    uint64_t done_at;          /* cycle the command in progress completes */
    uint64_t interrupts;       /* disk interrupts delivered to the guest (CPU or hypervisor) */
    uint64_t commands, reads, writes, flushes, errors;
    uint64_t sectors_read, sectors_written, dma_bytes, port_accesses;
    /* The request queue (split driver): its page (disk_queue) and the
     * requests taken from it so far (the used index).  Kept only while a
     * disk is attached, and a machine with a disk is never saved, so
     * neither is in a save file. */
    uint32_t queue, used;
    uint64_t notifications, requests;  /* disk_notify writes; requests taken from the queue */
    /* A mirrored disk (FILE:mirror=FILE2, cpu/disk.c): every write goes to
     * both files, a read to the first that is there; a file lost (missing
     * at start with :degraded, an I/O error, truncated or removed mid-run)
     * is reported once and the other goes on.  Half 0 is fd/path. */
    bool mirrored;
    int mfd;                   /* half 1, when mirrored and not lost at start */
    char mpath[256];
    bool lost[2];
    uint64_t half_reads[2], half_losses, resynced;  /* reads served by each half; halves lost; sectors resynced */
};
/* One command: from the registers, or a request in the queue. */
struct disk_request {
    uint32_t cmd, sector, count, addr;
};
/* Where a DMA transfer may go: physical [0, size) of the device is
 * [host_base, host_base + size) of machine m's memory.  may_write, if set,
 * can refuse a write into memory (pv refuses its page tables); wrote, if
 * set, hears of every write into memory once it is done (shadow paging
 * drops what mirrored it). */
struct disk_window {
    struct machine *m;
    uint32_t host_base, size;
    bool (*may_write)(void *ctx, uint32_t pa, uint32_t len);
    void *ctx;
    void (*wrote)(void *ctx, uint32_t pa, uint32_t len);
    /* pass-through (cpu/iommu.c): every page of a transfer goes through
     * the IOMMU's domain for the VM; m->mem + address is then host-physical */
    bool iommu;
    int domain;
};

/* The network interface (cpu/net.c; ports, rings and errors: isa/isa.h):
 * a transmit and a receive ring in memory, a doorbell for each, an
 * interrupt, a MAC address, and a port on a virtual switch (struct
 * netswitch) that carries frames between the interfaces of one run.
 * Frames on their way to it wait in its receive FIFO (fifo, on the heap)
 * until their arrival cycle and a free receive buffer. */
#define NET_FIFO NET_FIFO_FRAMES        /* frames in flight to one interface (isa.h) */
struct net_frame {
    uint64_t due;                      /* the cycle it arrives */
    uint32_t len;
    uint8_t data[NET_MAX_FRAME];
};
struct nic {
    bool present;
    int port;                          /* its port on the switch */
    uint32_t tx_ring, rx_ring;         /* ring pages (net_tx_ring, net_rx_ring) */
    uint32_t tx_used, rx_used;         /* the device's used indices */
    uint8_t ctrl, error;
    bool tx_unacked, rx_unacked;       /* net_status bits 0 and 1 */
    bool rx_blocked;                   /* a frame is due and no buffer was free: wait for net_rx_notify */
    struct net_frame *fifo;            /* NET_FIFO frames, a ring: fifo_head, fifo_n */
    unsigned fifo_head, fifo_n;
    uint64_t port_accesses, notifications, interrupts, dma_bytes, errors;
    uint64_t tx_frames, tx_bytes, rx_frames, rx_bytes, fifo_drops;
    uint64_t iommu_refs;               /* passed through: references of the IOMMU's walks */
};
/* The virtual switch: one port per interface, and an echo host (a second
 * machine that sends every frame back) on the port after the last. */
#define MAX_VMS_NET 8                  /* = MAX_VMS (below), asserted in net.c */
#define NET_PORTS (MAX_VMS_NET + 1)
struct netswitch {
    int nports;                        /* interfaces; the echo host is port nports */
    uint64_t latency;                  /* cycles a frame takes from one port to another */
    struct nic *nic[MAX_VMS_NET];
    struct disk_window win[MAX_VMS_NET]; /* where each interface's DMA may go */
    char name[MAX_VMS_NET][32];
    struct {
        uint64_t sent, sent_bytes, received, received_bytes, dropped_unknown, dropped_spoofed, dropped_full;
    } st[NET_PORTS];
};

struct stats {
    uint64_t instructions;
    uint64_t cycles;                       /* always the sum of by_cause */
    uint64_t cycles_by_cause[CY_COUNT];
    uint64_t mem_refs;
    uint64_t traps_total;
    uint64_t traps_by_cause[CAUSE_COUNT];
    uint64_t interrupts;
    uint64_t io_ops;
    uint64_t decoded_pages;                /* decode-cache fills (host work, no cycles) */
};

struct decode_page;                        /* cpu/decode.c */

/* ---- events, for the debugger's Events pane and `run --trace` ------------
 * The slow paths (traps, returns, VM exits and entries, TLB fills and walks,
 * flushes) report what happened through one hook.  With no hook installed
 * (m->trace == NULL) each report is one predictable branch. */
#define TRACE_KINDS(X)                                                              \
    X(TR_TRAP,     "trap",   "a trap or interrupt: a = cause, b = badaddr, c = epc") \
    X(TR_IRET,     "iret",   "return from a trap: a = the new pc, b = the new SR")   \
    X(TR_VMEXIT,   "exit",   "VM exit: a = reason, b = qualification, c = VM index") \
    X(TR_VMENTRY,  "entry",  "VM entry: c = VM index")                                \
    X(TR_WALK,     "walk",   "a TLB miss and its walk: walk = the record, a = fault bits or 0, b = pa") \
    X(TR_FLUSH,    "flush",  "TLB flush (a = 1) or invalidation of one page (a = 0, b = vaddr)") \
    X(TR_SHADOW,   "shadow", "shadow paging: a = what, b = address")                 \
    X(TR_BT,       "bt",     "binary translation: a = what, b = guest address")     \
    X(TR_EMULATE,  "emulate", "the hypervisor emulated a guest kernel instruction (te trap, bt callout): a = opcode, b = pc") \
    X(TR_HV,       "hv",     "under te, bt, pv the hypervisor takes the CPU (a = 1: b = the trap's cause, CAUSE_COUNT for a bt callout, c = epc) or gives it back (a = 0, b = pc)") \
    X(TR_STOP,     "stop",   "the machine stopped: a = the reason (enum stop_reason)") \
    X(TR_MIGRATE,  "migrate", "live migration (hypervisor/migrate.c) and save files: a = what (0 a pre-copy round, 1 stop-and-copy, 2 resumed on the target, 3 the guest ended first, 4 saved to a file, 5 restored from one, 6 clones started from one) | the VM's label << 8; b, c = round and pages, pages and downtime, stale pages, the file's bytes, -, clones and pages shared") \
    X(TR_DEV,      "dev",    "a device acted (cpu/devtrace.c): a = what (enum dev_what) | device << 2 | flags << 4 | n << 8; b, c and busy as there")

enum trace_kind {
#define X(id, name, desc) id,
    TRACE_KINDS(X)
#undef X
    TR_COUNT
};
extern const char *const trace_kind_name[TR_COUNT];

struct walk_result;
struct trace_event {
    enum trace_kind kind;
    uint64_t cycle;                  /* when it happened */
    uint64_t cost;                   /* cycles it cost, when known */
    uint32_t pc;
    uint32_t a, b, c;
    const struct walk_result *walk;  /* TR_WALK */
    uint64_t busy;                   /* TR_DEV: the device's own time it took (not the CPU's) */
};
struct machine;
typedef void (*trace_fn)(void *ctx, struct machine *m, const struct trace_event *ev);

struct hv;                                 /* opaque to the CPU */
struct savefile;                           /* cpu/savefile.c */

/* ---- what runs above the hardware: the hooks ------------------------------
 * The CPU knows no hypervisor.  Whatever software owns ring -1 (or, under
 * trap-and-emulate, the real ring 0) installs a table of hooks in m->hooks
 * with its own state in m->hooks_ctx, and the CPU hands over only through
 * them: at a trap it must not deliver itself, at a VM exit, at a binary-
 * translation callout, and when a snapshot copies the machine (the
 * hypervisor's state is part of what a snapshot must put back, but only the
 * hypervisor knows its shape).  m->hooks is NULL on bare metal; the CPU
 * never calls a hook unless the state that needs it (trap_to_hv, a guest in
 * non-root mode, the code cache's callouts) was set by whoever installed it. */
struct cpu_hooks {
    /* Under trap-and-emulate (m->trap_to_hv): a trap, counted and its entry
     * charged, pc = epc; the hook delivers or emulates it. */
    void (*trap)(struct machine *m, enum isa_cause cause, uint32_t badaddr, uint32_t epc);
    /* A VM exit: the guest is saved in its VMCS with the reason; the hook
     * returns once a guest (or none) is loaded again. */
    void (*exit)(struct machine *m);
    /* Binary translation: the translated sensitive instruction at pc, in
     * place of the trap it would have taken. */
    void (*callout)(struct machine *m, uint32_t pc);
    /* Snapshots (cpu/snapshot.c), all optional together: a copy of the
     * state at ctx (NULL when out of host memory), putting a copy back into
     * ctx, freeing a copy, and the host bytes a copy holds. */
    void *(*snap_save)(const void *ctx);
    void (*snap_restore)(void *ctx, const void *saved);
    void (*snap_free)(void *saved);
    size_t (*snap_bytes)(const void *saved);
    /* Save files (cpu/savefile.c): writes the software's state to f, or
     * reads it back from f into ctx, as sf_writing(f) says; one function
     * both ways, so the two cannot drift apart.  Errors go to f (sf_fail). */
    void (*file)(void *ctx, struct savefile *f);
    /* Pass-through: the IOMMU refused a DMA of domain dom (a VM) at bus
     * address iova (to_mem: a write into memory); optional. */
    void (*iommu_fault)(struct machine *m, int dom, uint32_t iova, bool to_mem);
};

/* ---- ring -1: hardware-assisted virtualisation (VT-x/SVM-like) ---------
 * The CPU runs either in root mode (the hypervisor, which in ringsim is C
 * code behind m->hooks) or in non-root mode (a guest, whose ring 0 is its
 * own).  In non-root mode the guest's privileged and sensitive instructions
 * run as on bare metal against its own state, except those whose exit
 * control is set: they, I/O, hlt, vmcall, the exceptions chosen in the
 * exception bitmap, host (external) interrupts and nested-paging violations
 * leave the guest with a VM exit: the CPU saves the guest state into the
 * VMCS, records a reason and a qualification, and hands over to the
 * hypervisor (m->hooks->exit), which resumes a guest with VM entry.  The
 * reasons (enum vmexit_reason) are architecture, in isa/isa.h. */

#define MAX_VMS 8

/* The VM control structure of one virtual CPU.  The hypervisor reads and
 * writes it only through accessors of its own, which charge the profile's
 * costs (vmcs_read, vmcs_write). */
/* Where the CPU last left a guest's instruction stream for the hypervisor
 * (a VM exit, a trap under trap-and-emulate, a callout), and what bare
 * metal would have done there without a hypervisor: carry on in the same
 * instruction page, with no second look-up of its translation.  When the
 * hypervisor comes back without the guest seeing anything (a hidden fault
 * handled, an instruction emulated, a host interrupt with nothing to
 * deliver), cpu_resume_unseen turns it into `resume`, so that the guest's
 * TLB sees exactly the look-ups it sees on bare metal — an extra one would
 * count as a use for LRU replacement, which a guest can observe. */
enum detour_kind {
    DETOUR_NONE,
    DETOUR_INSN,     /* the instruction itself trapped or exited: bare metal
                      * would have run it and carried on (past_ok) or not */
    DETOUR_ACCESS,   /* its memory access faulted: retried, or completed by
                      * the hypervisor (a traced store) */
    DETOUR_EVENT,    /* an interrupt before it: it has not run */
};
struct cpu_detour {
    uint8_t kind;                      /* enum detour_kind */
    bool past_ok;                      /* bare metal runs on to pc + 4 in this page */
    bool mid_block;                    /* pc is inside a block (no block entry at it) */
    bool mid_next;                     /* so is pc + 4 */
    bool bt;                           /* running from binary translation's code cache */
    bool past_if_no_code_write;        /* pushf: bare metal re-fetches after writing code */
    uint32_t pc, pa;                   /* the instruction, its physical address */
    uint64_t code_writes;              /* m->code_writes when it left */
};

struct vmcs {
    /* guest state area: loaded on entry, saved on exit */
    uint32_t r[ISA_NREGS];
    uint32_t pc;
    uint32_t cr[CR_COUNT];
    int trap_depth;
    struct cpu_detour detour;          /* where the guest left its instruction stream */
    /* execution controls */
    bool exit_on_op[OP_COUNT];         /* instructions that exit */
    uint32_t cr_exit_mask;             /* mtcr/mfcr exit only for these CRs (bit per CR) */
    uint32_t exception_bitmap;         /* causes that exit instead of vectoring */
    bool irq_window;                   /* exit as soon as the guest has IE set */
    uint32_t ept_root;                 /* host-physical root of the nested table */
    unsigned ept_levels;
    uint16_t vpid;                     /* TLB tag of this VM */
    uint32_t guest_memsize;            /* what CR memsize reads in the guest */
    /* pass-through (cpu/iommu.h): ports whose in/out the CPU performs on
     * direct_disk without an exit, and whose interrupt it posts */
    uint32_t io_direct[IO_DIRECT_PORTS / 32];
    struct disk *direct_disk;
    struct nic *direct_nic;            /* the network interface, passed through the same way */
    /* event injection: a trap delivered to the guest at the next entry */
    bool inject;
    enum isa_cause inject_cause;
    uint32_t inject_badaddr, inject_epc;
    /* exit information */
    enum vmexit_reason exit_reason;
    uint32_t exit_qual;
    uint32_t exit_guest_va;            /* nested violation: the guest's virtual address */
    uint32_t exit_fault;               /* page-fault exit: the fault bits (the guest's own
                                        * `fault` register is left alone, as VT-x leaves CR2) */
};

struct vmx {
    bool enabled;                      /* a hypervisor is present */
    bool nested;                       /* nested paging (else guest tables are real) */
    bool vpid_tags;                    /* --no-vpid clears it: a VM switch flushes */
    int cur;                           /* index of the loaded VMCS, -1 = none */
    bool injecting;                    /* delivering an injected event */
    int nvmcs;
    struct vmcs vmcs[MAX_VMS];
    uint64_t exits, exits_by_reason[EXIT_COUNT];
};

#define MACHINE_STEP_BREAKS 16
struct machine {
    struct cpu cpu;
    enum isa_variant isa;
    uint8_t *mem;                          /* physical memory */
    uint32_t memsize;                      /* bytes, a multiple of 4096 */
    unsigned levels;                       /* page-table levels (CR_LEVELS) */
    struct mmu mmu;
    struct vmx vmx;
    struct console con;
    struct timer timer;
    struct disk disk;                      /* bare metal's; a VM's is its own (struct vm) */
    struct iommu iommu;                    /* pass-through's DMA translation (cpu/iommu.c) */
    struct nic nic;                        /* bare metal's network interface (--net) */
    struct netswitch *netsw;               /* the switch of the run (--net), NULL = none */
    /* Reverse execution over a disk (cpu/journal.c): while the debugger
     * keeps history, every sector write is journalled, and journal_pos —
     * plain data, in every snapshot — counts the writes made so far. */
    struct disk_journal *journal;          /* NULL = none (ringsim run) */
    uint64_t journal_pos;
    struct profile prof;
    struct stats st;
    uint64_t max_cycles;                   /* 0 = no limit */
    enum stop_reason stop;
    uint32_t exit_code;                    /* valid when stop == STOP_EXIT */
    char stop_detail[256];                 /* human-readable report of the stop */
    struct hv *hv;                         /* the hypervisor, when one runs: for the
                                            * software above; cpu/ never looks into it */
    const struct cpu_hooks *hooks;         /* how the CPU calls that software, NULL = none */
    void *hooks_ctx;                       /* its state, handed to the snapshot hooks */
    /* Where a stepped run stopped, so that the next run carries on exactly
     * as an unbroken run would: no second fetch-side TLB lookup, and no
     * event check in the middle of a block (cpu/exec.inc). */
    struct {
        bool valid, mid_block, bt;
        bool unseen;                       /* after a detour: valid whatever gen says */
        uint32_t pc, pa;
        uint64_t gen;
    } resume;
    struct cpu_detour detour;              /* see struct cpu_detour */
    /* Stepped runs (machine_run with a count) count steps, the debugger's
     * unit of time.  A step is one instruction completing or — for a
     * caller that sets step_events — control passing to a handler or a VM
     * before one does (a trap, an interrupt, a VM entry: step_cut, which a
     * VM exit takes back, as the hypervisor's work belongs to the step); a
     * step ends where the CPU next looks at an instruction.  A run of n
     * steps is exactly n runs of one.  It ends early, at a step's end, when
     * step_end_now is set (by the trace hook, say), when the next pc is one
     * of step_break, or at the cycle limit. */
    bool step_events;
    bool step_cut;
    bool step_end_now;
    unsigned nstep_break;
    uint32_t step_break[MACHINE_STEP_BREAKS];
    uint64_t step_count;                   /* steps ended by stepped runs, ever */
    bool step_ended;                       /* an instruction completed, its step still open */
    uint64_t run_until;                    /* machine_run_until's cycle, 0 = none */
    uint64_t code_writes;                  /* decoded pages dropped by stores, ever */
    bool trap_to_hv;                       /* trap-and-emulate: ring 0 is the hypervisor's */
    bool bt_active;                        /* run guest kernel code from the code cache */
    bool bt_chain;                         /* chain translated blocks (--bt-chain on) */
    struct {
        uint64_t blocks, instructions, cache_hits, invalidations, callouts;
        uint64_t dispatches, chained, unchains;   /* block exits: looked up, chained; links undone */
    } bt;
    trace_fn trace;                        /* event hook, NULL = off */
    uint64_t trace_mark;                   /* cpu_overhead at the last event reported */
    void *trace_ctx;
    /* derived, host-only: the decode cache, one entry per physical page */
    struct decode_page **dpages;
    struct decode_page **bt_pages;         /* binary translation's code cache */
    uint8_t *code_page;                    /* 1 where a page has decoded code */
    bool jit;                              /* --engine jit: decoded pages get compiled runs */
    uint32_t jit_threshold;                /* --jit-threshold: block entries before a page is compiled */
    uint64_t jit_bytes;                    /* host code they hold (cpu/jit.c's budget) */
};

/* ---- life cycle -------------------------------------------------------- */
struct machine_config {
    uint32_t memsize;          /* default 16 MiB */
    enum isa_variant isa;
    unsigned levels;           /* default 2 */
    unsigned tlb_entries, tlb_ways; /* default 64, 4 */
    bool no_asid;
    unsigned pwc_entries;      /* 0 = no page-walk cache */
    unsigned ntlb_entries;     /* 0 = no nested TLB */
    uint64_t max_cycles;       /* 0 = none */
    bool no_bt_chain;          /* binary translation without chaining (--bt-chain off) */
    bool jit;                  /* run compiled blocks where the host can (--engine jit) */
    uint32_t jit_threshold;    /* block entries before a page is compiled; 0 = the default */
    const struct profile *prof;/* NULL = defaults */
};

/* Can this host run --engine jit (an x86-64 host)? */
bool cpu_jit_available(void);
/* Allocates memory and resets the CPU (ring 0, IE clear, sp = memsize). */
bool machine_init(struct machine *m, const struct machine_config *cfg, char *err, size_t errlen);
void machine_free(struct machine *m);
/* Copies an image's segments into physical memory and sets pc = entry. */
bool machine_load_image(struct machine *m, const struct isa_image *img, char *err, size_t errlen);
/* Boot parameters: a NUL-terminated string at physical BOOT_ARGS_ADDR (isa/isa.h). */
void machine_set_boot_args(struct machine *m, const char *args);
/* Gives the console scripted input (copied). */
void machine_set_input(struct machine *m, const char *data, uint32_t len);

/* Stops the machine: m->stop = reason, with a printf-like report of why in
 * m->stop_detail. */
void machine_stop(struct machine *m, enum stop_reason reason, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Runs until the machine stops (stop reason in m->stop).  max_steps > 0
 * runs at most that many steps (see m->step_events) and stops with
 * STOP_STEPS (instruction-precise, for the debugger); 0 runs at full speed.
 * Returns m->stop. */
enum stop_reason machine_run(struct machine *m, uint64_t max_steps);
/* Runs at full speed counting steps as a stepped run would (m->step_count,
 * m->step_events must be set), until a block entry at or past cycle until,
 * a block entry before a block that holds one of step_break (or at one),
 * or the machine stops; STOP_STEPS at the first two.  Every step costs at
 * least a cycle, so it ends having taken at most until - cycles steps plus
 * the rest of one block and a trap's entry.  A hook's step_end_now ends
 * it where a stepped run would end. */
enum stop_reason machine_run_until(struct machine *m, uint64_t until);

/* ---- used inside cpu/ and by the hypervisor ---------------------------- */
/* Takes trap `cause` with fault address `badaddr`; EPC = epc.  Handles double
 * and triple faults.  Charges trap entry. */
void cpu_trap(struct machine *m, enum isa_cause cause, uint32_t badaddr, uint32_t epc);
/* Executes an I/O port read or write. */
uint32_t dev_in(struct machine *m, uint32_t port);
void dev_out(struct machine *m, uint32_t port, uint32_t value);
/* The same for a port of the device passed through to the running VM. */
uint32_t dev_direct_in(struct machine *m, uint32_t port);
void dev_direct_out(struct machine *m, uint32_t port, uint32_t value);
/* mfcr: control registers that are computed (cycle, levels, memsize), the
 * others as the CPU holds them. */
uint32_t cpu_read_creg(const struct machine *m, unsigned cr);
/* Timer bookkeeping at a block boundary: raises the interrupt when due. */
void dev_tick(struct machine *m);
/* A timer catches up with cycle `now`: a tick that has come due becomes
 * pending, and every tick missed meanwhile coalesces into it: the
 * machine's timer, and the virtual timers software above keeps, alike. */
void dev_timer_catch_up(struct timer *t, uint64_t now);
/* The next cycle at which something must be looked at (timer, limit). */
uint64_t machine_next_event(const struct machine *m);
/* ---- the block device (cpu/disk.c) --------------------------------------- */
/* Attaches the host file named by spec ("FILE" or "FILE:create=SIZE", SIZE
 * in bytes with an optional K or M, a multiple of DISK_SECTOR): opened
 * read-write, a regular file of whole sectors, locked (flock) so no other
 * simulator can use it.  False with a message naming the file.  Options
 * after FILE (each once): create=SIZE, part=FIRST+COUNT, and for a mirror
 * mirror=FILE2, degraded, resync (docs/io.md, "A mirrored disk"). */
bool disk_attach(struct disk *d, const char *spec, char *err, size_t errlen);
void disk_detach(struct disk *d);
/* A port access (is it one of the disk's: disk_port). */
bool disk_port(uint32_t port);
uint32_t disk_in(struct disk *d, uint32_t port, uint64_t now);
void disk_out(struct disk *d, const struct disk_window *w, const struct profile *p, uint32_t port,
              uint32_t value, uint64_t now);
/* The completion interrupt (docs/isa.md, "Block device"): whether the
 * device's line is raised at cycle now (done, and enabled in disk_ctrl),
 * and the cycle it rises (UINT64_MAX: never, as things stand — nothing in
 * flight, or the interrupt disabled).  Level-triggered: it stays raised
 * until disk_ack. */
bool disk_irq_line(const struct disk *d, uint64_t now);
uint64_t disk_irq_at(const struct disk *d);
/* Its registers and counters in a save file, written or read as
 * sf_writing(f) says (never the disk: a machine with one is not saved). */
void disk_file(struct savefile *f, struct disk *d);
/* DMA wrote [pa, pa + len) of window w (host address at): code decoded
 * from it is dropped and the window's owner told (w->wrote).  The disk's
 * and the network interface's. */
void dma_wrote(const struct disk_window *w, uint32_t at, uint32_t pa, uint32_t len);
struct json_t;
/* The device's statistics (NULL if no disk is attached). */
struct json_t *disk_stats_json(const struct disk *d);

/* ---- the disk journal, for reverse execution (cpu/journal.c) -------------- */
/* A journal keeping at most max_bytes of sectors' old and new contents. */
struct disk_journal *disk_journal_new(size_t max_bytes);
void disk_journal_free(struct disk_journal *j);
/* A write of len bytes from mem at byte off of d's file, about to be made:
 * noted (or, replayed, counted) in m->journal, if there is one. */
void disk_journal_note(struct machine *m, struct disk *d, const uint8_t *mem, uint32_t len, uint64_t off);
/* Whether the files can be wound to journal position pos (true without a journal). */
bool disk_journal_reaches(const struct disk_journal *j, uint64_t pos);
/* Winds the disk files to m->journal_pos (after a snapshot was restored). */
void disk_journal_seek(struct machine *m);
struct disk_journal_info {
    uint64_t entries, bytes, max_bytes, reaches, at, dropped, rewound, replayed;
};
void disk_journal_info(const struct disk_journal *j, struct disk_journal_info *out);
#define DISK_JOURNAL_MAX (64u << 20)       /* the debugger's bound: 64 MiB of sectors */

/* ---- the network interface and the virtual switch (cpu/net.c) ------------ */
/* Gives nic a port on sw (a MAC of 52:54:00:00:00:port+1), its DMA
 * confined to window w; false when out of ports or host memory. */
bool net_attach(struct netswitch *sw, struct nic *nic, const struct disk_window *w, const char *name);
void net_detach(struct nic *nic);
/* Pass-through: the interface's DMA goes through window w from now on. */
void net_set_window(struct netswitch *sw, const struct nic *nic, const struct disk_window *w);
bool net_port(uint32_t port);
uint32_t net_in(struct netswitch *sw, struct nic *nic, uint32_t port, uint64_t now);
void net_out(struct netswitch *sw, struct nic *nic, uint32_t port, uint32_t value, uint64_t now);
/* Moves every frame that has arrived by now into the receive ring's free
 * buffers (net_catch_up), then: the interrupt line, and the next cycle a
 * frame arrives that the interface can take (UINT64_MAX if none). */
void net_catch_up(struct netswitch *sw, struct nic *nic, uint64_t now);
bool net_irq_line(const struct nic *nic);
uint64_t net_next_arrival(const struct nic *nic);
/* The "net" object: the switch's ports with their interfaces' counters. */
struct json_t *net_stats_json(const struct netswitch *sw);
/* The network in a save file (cpu/savefile.c's NET_ section): every
 * interface's registers, counters and frames in flight, the switch's
 * counters; written or read as sf_writing(f) says.  sw may be NULL. */
void net_file(struct savefile *f, struct netswitch *sw);

/* Drops decoded code for the physical page (after a store into it). */
void decode_invalidate_page(struct machine *m, uint32_t ppn);

/* ---- binary translation's code cache, read-only (the debugger) ---------- */
enum cpu_bt_fate {
    CPU_BT_UNTRANSLATED,   /* in the cache, its block not run yet */
    CPU_BT_IDENTICAL,      /* copied as it is */
    CPU_BT_CALLOUT,        /* a sensitive instruction, replaced by a call into the hypervisor */
};
struct cpu_bt_insn {
    enum cpu_bt_fate fate;
    uint8_t guest_op;      /* the guest's own instruction (enum isa_op; OP_COUNT or more: none) */
    bool ends_block;       /* the last instruction of its block */
};
/* What the translator made of the instruction at host-physical address hpa:
 * false if its page is not in the code cache.  Changes nothing (no
 * translation, no statistics). */
bool cpu_bt_insn_at(const struct machine *m, uint32_t hpa, struct cpu_bt_insn *out);
/* The hypervisor resumes the guest after an event the guest cannot see (a
 * hidden page fault, an emulated instruction, a host interrupt): if the
 * guest's pc is where bare metal would have carried on from the detour
 * (struct cpu_detour), it carries on there without looking the instruction
 * page up again.  Anything else — a trap delivered to the guest, a jump —
 * fetches as usual. */
void cpu_resume_unseen(struct machine *m);

/* ---- ring -1 (cpu/vmx.c) ------------------------------------------------- */
/* VM exit: save the guest into its VMCS, record why, charge the exit, and
 * call the hypervisor.  Returns when a guest (or none) is loaded again. */
void vmx_exit(struct machine *m, enum vmexit_reason reason, uint32_t qual);
/* A VM exit the hypervisor asked for itself (a host interrupt it raised, as
 * for a live switch of technique): the guest is saved into its VMCS and the
 * exit charged and counted as an external interrupt, but no exit handler
 * runs; the caller decides what comes next. */
void vmx_leave(struct machine *m);
/* VM entry into VMCS i: load the guest, charge the entry, inject a pending
 * event.  The CPU then runs the guest from its pc. */
void vmx_enter(struct machine *m, int i);
/* Does instruction op exit in the current non-root context? */
static inline bool vmx_op_exits(const struct machine *m, enum isa_op op)
{
    return m->cpu.nonroot && m->vmx.vmcs[m->vmx.cur].exit_on_op[op];
}
/* Does an mtcr/mfcr of control register cr exit? */
static inline bool vmx_cr_exits(const struct machine *m, unsigned cr)
{
    return (m->vmx.vmcs[m->vmx.cur].cr_exit_mask >> cr) & 1;
}
/* Is port a pass-through one of the loaded VM (no exit: the io-direct bitmap)? */
static inline bool vmx_port_direct(const struct machine *m, uint32_t port)
{
    const struct vmcs *v = &m->vmx.vmcs[m->vmx.cur];
    return port < IO_DIRECT_PORTS && (v->io_direct[port >> 5] >> (port & 31)) & 1;
}
/* Guest-physical -> host-physical for the loaded VM (identity in root mode);
 * false with a nested violation. Charges what the hardware would. */
bool vmx_guest_phys(struct machine *m, uint32_t gpa, uint32_t *hpa);

/* The cycles charged beyond what the guest's instructions cost themselves
 * (insn, mem, tlb), their devices (io) and waiting (idle): traps and
 * returns, page walks, VM exits and entries, the hypervisor's work, binary
 * translation.  Every one of them is an event's cost (cpu_trace). */
static inline uint64_t cpu_overhead(const struct machine *m)
{
    const uint64_t *c = m->st.cycles_by_cause;
    return c[CY_TRAP] + c[CY_WALK] + c[CY_VMEXIT] + c[CY_HV] + c[CY_BT];
}

/* Events count their costs from here (a machine read from a save file;
 * a machine built anew counts from power-on, so a run's first event also
 * carries what the hypervisor spent before the guest's first instruction). */
static inline void cpu_trace_start(struct machine *m) { m->trace_mark = cpu_overhead(m); }

/* Reports an event to the trace hook, if any.  Its cost is every cycle of
 * overhead (cpu_overhead) charged since the event before: what it took to
 * get here — a trap's entry, a walk's references, the hypervisor's work
 * that the event ends — so that a run's (or a command's) events add up to
 * its overhead, cycle for cycle. */
static inline void cpu_trace_busy(struct machine *m, enum trace_kind k, uint32_t a, uint32_t b, uint32_t c,
                                  const struct walk_result *w, uint64_t busy)
{
    if (__builtin_expect(m->trace != NULL, 0)) {
        uint64_t o = cpu_overhead(m);
        struct trace_event ev = {k, m->st.cycles, o - m->trace_mark, m->cpu.pc, a, b, c, w, busy};
        m->trace_mark = o;
        m->trace(m->trace_ctx, m, &ev);
    }
}
static inline void cpu_trace(struct machine *m, enum trace_kind k, uint32_t a, uint32_t b, uint32_t c,
                             const struct walk_result *w)
{
    cpu_trace_busy(m, k, a, b, c, w, 0);
}

/* ---- device events (cpu/devtrace.c) --------------------------------------
 * Every doorbell, DMA transfer and interrupt delivered of the disk and the
 * network interface, one TR_DEV event each, reported where the device acts
 * (cpu/disk.c, cpu/net.c) or where its interrupt is taken (cpu/trap.c,
 * cpu/iommu.c, hypervisor/vdev.c), whatever runs above.  Like every event,
 * its cost is the CPU overhead since the event before (under an emulated
 * device, the hypervisor's work on the access); busy is the device's own
 * time it took (the disk's latency), which is not the CPU's. */
#define DEV_IDS(X) X(DEV_DISK, "disk") X(DEV_NIC, "nic")
enum dev_id {
#define X(id, name) id,
    DEV_IDS(X)
#undef X
    DEV_ID_COUNT
};
extern const char *const dev_id_name[DEV_ID_COUNT];
enum dev_what { DEV_DOORBELL, DEV_DMA, DEV_IRQ };
/* How an interrupt reached the guest: bare metal's trap, posted by the
 * IOMMU without an exit (pass-through), or injected (reflected) by the
 * hypervisor once it had the CPU (an exit or, under te, bt and pv, a trap). */
enum dev_irq_way { DEV_IRQ_NATIVE, DEV_IRQ_POSTED, DEV_IRQ_INJECTED };
#define DEV_DMA_TO_MEM 1u        /* flags of a DMA: into memory (a disk read, a received frame) */
#define DEV_DMA_IOMMU  2u        /* through the IOMMU (n = its walks' references) */
#define DEV_DMA_FAILED 4u        /* refused (outside the window, an IOMMU fault): nothing moved */
#define DEV_DMA_RING   8u        /* the ring's (request queue's) page: descriptors read, statuses written */
/* A doorbell: the driver wrote port, the device took n requests or frames. */
void dev_trace_doorbell(struct machine *m, enum dev_id dev, uint32_t port, uint32_t taken, uint64_t busy);
/* A DMA transfer of bytes at window (guest-physical) address addr. */
void dev_trace_dma(struct machine *m, enum dev_id dev, unsigned flags, uint32_t addr, uint32_t bytes, uint64_t refs,
                   uint64_t busy);
/* An interrupt of dev (cause) delivered to VM vm (-1 bare metal) the way it was. */
void dev_trace_irq(struct machine *m, enum isa_cause cause, enum dev_irq_way way, int vm);

/* Adds `cycles` to `cause` and the total. */
static inline void cpu_charge(struct machine *m, enum cycle_cause cause, uint64_t cycles)
{
    m->st.cycles_by_cause[cause] += cycles;
    m->st.cycles += cycles;
}

/* ---- statistics -------------------------------------------------------- */
/* Writes the stats JSON to path ("-" = stdout), atomically. */
bool stats_write_json(const struct machine *m, const char *path, char *err, size_t errlen);
struct json_t;
/* The stats as a jansson object (caller owns the reference). */
struct json_t *stats_to_json(const struct machine *m);
/* Writes a JSON object (and drops the reference) to path atomically. */
bool json_write_file(struct json_t *o, const char *path, char *err, size_t errlen);
/* Writes text to path atomically: a temporary file beside it, then rename. */
bool write_file_atomic(const char *path, const char *text, char *err, size_t errlen);
/* The same for len bytes of data (no "-"), synced to the disk before the rename. */
bool write_bytes_atomic(const char *path, const void *data, size_t len, char *err, size_t errlen);

/* ---- snapshots, for the debugger's reverse execution (cpu/snapshot.c) ----
 * A deep copy of the machine (memory, CPU, MMU with its TLB arrays, devices,
 * statistics, VMCSs, and through m->hooks the hypervisor's state when one
 * runs).  Memory is shared page by page with `prev` (the previous snapshot
 * of the same machine) where unchanged, so a snapshot costs the pages
 * written since. */
struct machine_snapshot;
/* NULL when out of host memory. */
struct machine_snapshot *machine_snapshot_take(const struct machine *m, const struct machine_snapshot *prev);
/* Puts m back as it was; host pointers (memory, console, hook) stay m's own.
 * False if s is a snapshot of a differently shaped machine. */
bool machine_snapshot_restore(struct machine *m, const struct machine_snapshot *s);
void machine_snapshot_free(struct machine_snapshot *s);
/* Host bytes the snapshot holds that no earlier snapshot shares. */
size_t machine_snapshot_bytes(const struct machine_snapshot *s);
/* A hash of all physical memory (for tests of exact restores). */
uint64_t machine_memory_checksum(const struct machine *m);

/* ---- save files: a VM in a file (cpu/savefile.c; format: docs/savefile.md) ----
 * A save file is a header (magic, version, ISA id) and tagged, length-prefixed,
 * CRC-checked sections.  Each part of the state is written field by field, in
 * little-endian, by one "visit" function that writes when the stream is
 * writing and reads when it is reading, so a reader can never disagree with
 * the writer about a layout.  The owner of the machine (the command line)
 * adds a section of its own, the configuration the machine is rebuilt from,
 * before the state is read into it; so one file can start several machines. */
bool sf_writing(const struct savefile *f);
bool sf_ok(const struct savefile *f);
void sf_fail(struct savefile *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sf_u8(struct savefile *f, uint8_t *v);
void sf_u16(struct savefile *f, uint16_t *v);
void sf_u32(struct savefile *f, uint32_t *v);
void sf_u64(struct savefile *f, uint64_t *v);
void sf_bool(struct savefile *f, bool *v);
void sf_int(struct savefile *f, int *v);
void sf_unsigned(struct savefile *f, unsigned *v);
void sf_bytes(struct savefile *f, void *p, size_t n);
/* A NUL-terminated string in a buffer of cap bytes. */
void sf_string(struct savefile *f, char *s, size_t cap);
/* n values, preceded by n: a reader refuses another count (what). */
void sf_u32s(struct savefile *f, const char *what, uint32_t *v, uint32_t n);
void sf_u64s(struct savefile *f, const char *what, uint64_t *v, uint32_t n);
/* A value that must be the same in the file and the machine read into
 * (its shape: memory size, TLB entries): a reader refuses another. */
void sf_same(struct savefile *f, const char *what, uint32_t v);
/* An enum, stored as u32. */
#define SF_ENUM(f, x)                                                         \
    do {                                                                      \
        uint32_t sf_e_ = (uint32_t)(x);                                       \
        sf_u32((f), &sf_e_);                                                  \
        (x) = (__typeof__(x))sf_e_;                                           \
    } while (0)

/* Writes machine m (and, through m->hooks->file, the software above it) to
 * path atomically, after a configuration section conf of conflen bytes.
 * False with "path: why" in err. */
bool machine_save_file(struct machine *m, const char *path, const void *conf, size_t conflen, char *err,
                       size_t errlen);
/* A save file read and checked (header, every section's CRC), not yet
 * applied: false with "path: why" (truncated, corrupted, a newer version,
 * another ISA, not a save file) in err. */
struct saved_machine;
struct saved_machine *saved_machine_open(const char *path, char *err, size_t errlen);
/* Its configuration section. */
const void *saved_machine_conf(const struct saved_machine *s, size_t *len);
/* Reads the state into m, a machine built from that configuration (with the
 * same software above it): false with "path: why" if it does not fit. */
bool machine_load_file(struct machine *m, const struct saved_machine *s, char *err, size_t errlen);
void saved_machine_free(struct saved_machine *s);
/* The CRC-32 the file's checksums are (IEEE 802.3, zlib's crc32), of n
 * bytes at p continuing crc (0 to start). */
uint32_t savefile_crc32(const void *p, size_t n, uint32_t crc);
/* Does the file at path start with a save file's magic? */
bool savefile_is(const char *path);

#endif
