/*
 * hv.h — the hypervisor: a small type-1 VMM running in ring -1.
 *
 * This header is the interface of hypervisor/.  A `struct hv` owns the VMs:
 * each has its own guest-physical memory carved out of host memory, a
 * virtual CPU (a VMCS in the machine's struct vmx), virtual devices (console,
 * timer, disk), and — with nested paging — a host page table mapping its
 * guest-physical memory and nothing else, which is what isolates VMs from
 * each other and from the hypervisor.  The hypervisor's work is C code, but
 * every cycle of it is charged: VM exits and entries (cause `vmexit`), and
 * its handlers' VMCS accesses and operations (cause `hv`).
 *
 * Files, one idea each: technique.c (the table of techniques: technique.h
 * says what a technique is and does), and one file per technique — te.c
 * (trap-and-emulate), bt.c (binary translation: te without the traps), hw.c
 * (hardware assist: one handler per VM exit), pv.c (paravirtualisation:
 * hypercalls and validated page tables); vcpu.c (the virtual CPU they
 * share: reflecting a trap, control registers, guest memory, a traced
 * store); hv.c (VMs, memory, scheduling), vdev.c (virtual console and
 * timer, disk), nested.c (host page tables), clone.c (clones sharing a
 * saved VM's memory copy-on-write), shadow.c (shadow page tables),
 * switch.c (changing technique while the guest runs), hooks.c (how the CPU
 * reaches the hypervisor, and its snapshots), audit.c (the isolation
 * invariant, checked from the hardware's side).
 */
#ifndef RINGSIM_HV_H
#define RINGSIM_HV_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "cpu/cpu.h"

/* Virtualisation techniques; what each is and allows: technique.h. */
enum hv_mode { HV_NATIVE, HV_TE, HV_BT, HV_HW, HV_PV, HV_MODE_COUNT };
enum hv_mmu { HV_MMU_NONE, HV_MMU_SHADOW, HV_MMU_NESTED, HV_MMU_COUNT };

enum vm_state { VM_RUNNABLE, VM_HALTED, VM_DONE };

struct vm {
    char name[32];
    int index;                     /* its VMCS: m->vmx.vmcs[index] */
    uint32_t base, size;           /* host-physical home of guest-physical [0, size) */
    enum vm_state state;
    uint32_t exit_code;            /* when done: the guest's exit code */
    char detail[160];              /* how it ended */
    bool killed;                   /* ended by the hypervisor, not by itself */
    /* virtual devices */
    struct timer vtimer;           /* like the machine's (cpu/devices.c) */
    bool at_line_start;            /* console: prefix the next byte */
    bool con_irq;                  /* console: interrupt while input waits (con_ctrl bit 0) */
    uint64_t console_bytes;
    struct disk disk;              /* its own disk (--disk, one per VM), or none */
    bool passthrough;              /* its disk is passed through (passthrough.c) */
    uint64_t iommu_reports;        /* IOMMU faults of its device the hypervisor heard of */
    struct nic nic;                /* its network interface on the run's switch (--net), or none */
    /* accounting */
    uint64_t exits, exits_by_reason[EXIT_COUNT];
    uint64_t instructions, cycles; /* while this VM was loaded */
    uint64_t loaded_at_cycles, loaded_at_insns;
};

/* Shadow page tables (shadow.c): the hypervisor's own tables mapping guest
 * virtual straight to host physical, kept in step with the guest's. */
/* What the hypervisor knows of one guest frame. */
struct shadow_frame {
    uint32_t first;                /* pool index + 1 of its first shadow table, 0 = none */
    uint32_t rmap[2];              /* host addresses of shadow leaves mapping it writable */
    uint8_t is_table;              /* it holds a page table: writes to it are traced */
    uint8_t rmap_n;                /* how many (3 = too many to remember) */
    uint8_t flood;                 /* traced writes since its shadow was last used */
};
#define SHADOW_FLOOD 16            /* traced writes in a row that make a frame data again */

/* What one frame of the shadow pool is.  A shadow table mirrors one guest
 * table *as used at one level with one set of rights from the entries above
 * it* (its key: gframe, level, role), as KVM's shadow pages do: the same
 * guest frame used at two levels, or reached through a read-only and a
 * writable path, has two shadows, so no entry is ever read with a meaning it
 * was not written with.  Private tables serve the pages below a guest large
 * page, or guest-physical memory while guest paging is off; each belongs to
 * the one shadow entry that points at it. */
enum shadow_kind { SP_FREE, SP_MIRROR, SP_PRIVATE, SP_PHYS, SP_EMPTY };
struct shadow_page {
    uint32_t gframe;               /* SP_MIRROR: the guest table it mirrors */
    uint32_t next;                 /* SP_MIRROR: pool index + 1 of the next shadow of gframe */
    uint32_t parent[2];            /* host addresses of shadow entries pointing at it */
    uint8_t parent_n;              /* (3 = too many to remember) */
    uint8_t kind;                  /* enum shadow_kind */
    uint8_t level;                 /* the level of a walk it serves (0 = root) */
    uint8_t role;                  /* SP_MIRROR: PTE_W | PTE_U granted by the entries above */
};

struct shadow {
    uint32_t gframes;              /* guest frames (VM memory / 4 KiB) */
    struct shadow_frame *fr;       /* one per guest frame */
    uint32_t npool;                /* frames in the pool */
    struct shadow_page *pg;        /* one per pool frame */
    uint32_t phys_root;            /* the shadow used while guest paging is off */
    uint32_t empty_root;           /* the shadow of a root outside the VM: maps nothing */
    uint32_t frames_start, frames_next, frames_end; /* hypervisor frames for shadow tables */
    uint64_t hidden_faults, tracing_faults, dirty_faults, cache_hits, cache_misses, resets;
    uint64_t prefetched;           /* entries mapped ahead of a hidden fault (guest paging off) */
    uint64_t syncs;                /* shadow entries changed to follow the guest's tables */
    uint64_t unshadowed;           /* frames written like data (a flood) that stopped being traced */
    uint64_t guest_refs;           /* guest page-table entries the hypervisor read or wrote */
    uint32_t trace_gpa;            /* the guest-physical word a tracing fault writes */
};

/* The virtual CPU of a deprivileged guest (vcpu.c: te, bt, pv): the guest
 * kernel runs in ring 1; every trap comes to the hypervisor, which emulates
 * against this virtual CPU or reflects it into the guest's own vector
 * table.  Under shadow paging (hw's too) the guest's own paging registers. */
struct vcpu {
    uint32_t cr[CR_COUNT];         /* the guest's control registers, SR included */
    uint64_t emulated, reflected, hv_interrupts;
    uint64_t emulated_by_op[OP_COUNT];
};

/* Paravirtualisation (pv.c): the shared page, and what the hypervisor
 * knows of every frame of the VM to keep the guest's own tables safe. */
#define PV_HC_COUNT 17
#define PV_HC_IRET 11               /* the hypercall that returns from a trap (pv.c) */
struct pv {
    uint32_t shared;               /* guest-physical address of the shared page, 0 = none yet */
    bool booted;                   /* the guest runs on its own (validated) tables */
    uint32_t boot_root;            /* the hypervisor's 1:1 boot map, until then */
    uint32_t nframes;
    struct pv_frame {
        uint32_t tcount;           /* entries of tables (and a pin) that keep it a table */
        uint32_t wcount;           /* writable mappings of it in tables */
        uint8_t level;             /* 0 = not a page table, else its level + 1 */
        uint8_t pinned;            /* a root the guest pinned */
    } *fr;                         /* one per frame of the VM */
    struct pv_frame outside;       /* what frames outside the VM read as (all zero) */
    uint64_t hypercalls, by_op[PV_HC_COUNT], updates, batches, tables_validated, type_flushes, refused;
    uint64_t traps_replaced;       /* sensitive instructions (te traps) the hypercalls stood for */
    char last_refusal[96];
    bool log_dirty;                /* a migration's log-dirty mode: the MMU walks a shadow of the
                                    * guest's tables (pv.c, pv_dirty_log), not the tables themselves */
};

/* Clones (clone.c): several VMs made from one saved machine, whose memory
 * (the template, a region of host memory no VM owns) they share
 * copy-on-write through their host tables. */
struct hv_clones {
    bool active;
    uint32_t base, size;           /* the template: the saved VM's memory, never written again */
    uint64_t shared_at_start;      /* pages mapped to the template when the clones started */
    uint32_t shared[MAX_VMS];      /* each VM's pages still mapped to the template */
    uint64_t cow_faults[MAX_VMS];  /* writes that made a page the VM's own */
    /* content-based sharing (--share-pages PERIOD): every PERIOD cycles, at
     * a scheduling point, each VM's own pages identical to a template page
     * are mapped to it read-only again */
    uint64_t share_period, next_scan, scans;
    uint64_t merged[MAX_VMS];      /* own pages given up for an identical template page */
    struct clone_hash { uint64_t hash; uint32_t frame; } *index; /* the template's pages, by hash */
};

/* Live migration's dirty log (migrate.c): while it is on, every page of VM
 * 0 the guest or the hypervisor writes is marked in bits, one bit per
 * guest frame, by the technique's own mechanism (technique.h's dirty_log):
 * the nested table's write protection and dirty bits (nested.c), the
 * shadow tables' withheld write permission (shadow.c), and the hypervisor's
 * own writes (hv_guest_write).  Not part of a snapshot or a save file: it
 * belongs to a migration in progress. */
struct hv_dirty {
    bool on;
    uint32_t pages;                /* frames of the VM: bits holds (pages + 7) / 8 bytes */
    uint8_t *bits;
    uint64_t faults;               /* writes the log caught (a fault or exit each) */
};
enum hv_dirty_op {
    HV_DIRTY_START,                /* protect every page: each first write from now is seen */
    HV_DIRTY_REARM,                /* the marked pages were collected: protect them again */
    HV_DIRTY_STOP,                 /* give the guest back its write permissions */
};

/* The link between two hosts: bytes it carries per cycle, and the cycles
 * before the first byte arrives. */
struct hv_link {
    uint32_t bytes_per_cycle;
    uint64_t latency;
};

/* Post-copy (migrate.c): the VM resumed on this host before its memory
 * arrived; each page it touches first is fetched from the source on
 * demand (a nested violation of a page not present in its host table). */
struct hv_postcopy {
    bool on;
    uint8_t *remote;               /* the source's copy of the VM's memory, frozen at the pause */
    uint8_t *have;                 /* per page: fetched already */
    uint32_t pages, missing;
    struct hv_link link;
    uint64_t faults, wait_cycles;  /* demand fetches, and the cycles the vCPU waited for them */
};

struct hv_config {
    enum hv_mode mode;
    enum hv_mmu mmu;
    uint32_t vm_memsize;           /* guest-physical bytes per VM (default 16 MiB) */
    unsigned host_levels;          /* levels of the host (nested) table */
    bool host_large_pages;         /* map guest memory with large host pages */
    uint32_t slice;                /* cycles a VM runs before the next is scheduled */
    bool invariants;               /* --invariants: check the technique's own rules as it runs */
    bool passthrough;              /* a VM's disk is passed through (hv_passthrough) */
};

struct hv {
    struct machine *m;
    struct hv_config cfg;
    int nvms;
    struct vm vms[MAX_VMS];
    int running;                   /* index of the VM loaded, -1 none */
    uint64_t slice_end;            /* when the running VM's time is up */
    uint32_t next_frame, frames_end; /* the hypervisor's own memory, for host tables */
    uint64_t ept_entries_written;
    struct shadow sh;              /* --mmu shadow */
    struct vcpu vcpu;              /* --mode te, bt, pv; hw+shadow's paging registers */
    struct pv pv;                  /* --mode pv */
    bool in_callout;               /* handling a bt callout, not a trap */
    uint64_t switches;             /* live changes of technique */
    bool no_vpid;                  /* --no-vpid: nested paging without VM tags, across switches */
    struct hv_clones clones;       /* run FILE --clones N */
    struct hv_dirty dirty;         /* live migration's dirty log (migrate.c) */
    struct hv_postcopy post;       /* post-copy: pages still on the source (migrate.c) */
};

/* Every VM's memory starts at a multiple of this in host memory (hv.c), so
 * host pages up to this size map it the same wherever it sits (nested.c). */
#define HV_VM_ALIGN (4u << 20)
/* Host memory a hypervisor needs for nvms VMs of vm_memsize bytes. */
uint32_t hv_host_memsize(int nvms, uint32_t vm_memsize, unsigned host_levels);
/* Sets up the hypervisor on machine m (whose memory is hv_host_memsize). */
bool hv_init(struct hv *hv, struct machine *m, const struct hv_config *cfg, char *err, size_t errlen);
/* Creates a VM from an image: guest memory, nested table, VMCS. */
bool hv_add_vm(struct hv *hv, const char *name, const struct isa_image *img, const char *boot_args,
               char *err, size_t errlen);
/* Enters the first VM; machine_run then runs the guests until all are done. */
void hv_start(struct hv *hv);
void hv_free(struct hv *hv);
/* Changes the technique of a running guest at the current instruction
 * boundary (--switch-at, the debugger's mode): te, bt and hw with shadow
 * paging, hw with nested paging, for a single VM (switch.c).  False with a
 * message, and nothing changed, for what cannot be switched. */
bool hv_switch(struct hv *hv, enum hv_mode mode, enum hv_mmu mmu, char *err, size_t errlen);
/* Whether hv_switch could ever do that switch in this run (the VMs, the
 * technique, the target); false with the reason.  Nothing changes. */
bool hv_can_switch(struct hv *hv, enum hv_mode mode, enum hv_mmu mmu, char *err, size_t errlen);

/* ---- used inside hypervisor/ ------------------------------------------- */
/* VMCS access, charged as the profile says (vmcs_read / vmcs_write). */
uint32_t hv_vmcs_read_reg(struct hv *hv, struct vm *vm, int reg);
void hv_vmcs_write_reg(struct hv *hv, struct vm *vm, int reg, uint32_t v);
uint32_t hv_vmcs_read_pc(struct hv *hv, struct vm *vm);
void hv_vmcs_write_pc(struct hv *hv, struct vm *vm, uint32_t pc);
uint32_t hv_vmcs_read_cr(struct hv *hv, struct vm *vm, int cr);
/* One basic hypervisor operation (dispatch, bookkeeping). */
void hv_charge_op(struct hv *hv, unsigned n);
/* The machine's side of the technique in hv->cfg: is there a ring -1, does
 * the MMU walk host tables, are TLB entries tagged by VM, what makes each
 * VM exit. */
void hv_set_machine_mode(struct hv *hv);
/* The exit controls of a VM's VMCS for the technique in hv->cfg. */
void hv_set_exit_controls(struct hv *hv, struct vm *vm);
/* Books the time the running VM spent loaded (hv->running). */
void hv_account(struct hv *hv);
/* Ends a VM (its own exit, or killed by the hypervisor). */
void hv_vm_done(struct hv *hv, struct vm *vm, uint32_t code, bool killed, const char *why);
/* Sets the host timer for the end of the slice or the next virtual timer. */
void hv_program_timer(struct hv *hv);
/* Schedules and enters the next VM, or stops the machine when none is left. */
void hv_schedule(struct hv *hv, bool preempt);
/* Virtual devices: an I/O exit's port access. */
uint32_t vdev_in(struct hv *hv, struct vm *vm, uint32_t port);
void vdev_out(struct hv *hv, struct vm *vm, uint32_t port, uint32_t value);
/* Catches the VM's virtual timer up with the host's cycles; true if an
 * interrupt is raised for the guest, *cause the one it takes first. */
bool vdev_irq_due(struct hv *hv, struct vm *vm, enum isa_cause *cause);
/* Raises the virtual timer if due; injects a pending interrupt if the guest
 * can take it, else asks for an interrupt-window exit. */
void vdev_deliver(struct hv *hv, struct vm *vm);
/* Whether the timer's or the disk's interrupt is raised for the VM now,
 * without catching anything up (pv's SH_pending). */
bool vdev_irq_raised(const struct hv *hv, const struct vm *vm);
/* Counts an interrupt delivered to the guest (per device) and reports it (TR_DEV, injected). */
void vdev_delivered(struct hv *hv, struct vm *vm, enum isa_cause cause);
/* The next cycle at which one of the VM's devices raises an interrupt
 * that is not raised yet — its virtual timer's next tick, its disk's
 * completion (if enabled) — UINT64_MAX if none: what the host timer is
 * set for while the VM runs. */
uint64_t vdev_next_event(const struct hv *hv, const struct vm *vm);
/* When a halted VM wakes: at its next interrupt, now if one is raised;
 * UINT64_MAX if nothing can wake it (its hlt ends it, as bare metal's). */
uint64_t vdev_wake_at(const struct hv *hv, const struct vm *vm);
/* Gives every VM a network interface on switch sw (--net), its DMA
 * confined to the VM's memory as its disk's is; false with a message. */
bool vdev_attach_net(struct hv *hv, struct netswitch *sw, char *err, size_t errlen);
/* Builds the host (nested) table of a VM; returns its root. */
bool nested_build(struct hv *hv, struct vm *vm, uint32_t *root, char *err, size_t errlen);

/* ---- pass-through (passthrough.c) ---------------------------------------- */
/* Gives VM vm's disk to it directly (hw with nested paging only): its
 * ports stop exiting, its DMA goes through the IOMMU's domain for the VM
 * (the VM's host table, shared as VT-d shares EPT), or, iommu false, to
 * host-physical addresses (then only VM 0, which sits at host 0, can
 * drive it unmodified); its interrupt is posted.  False with a message. */
bool hv_passthrough(struct hv *hv, int vm, bool iommu, char *err, size_t errlen);
/* The VM's disk interrupt is the hypervisor's to deliver (not posted). */
static inline bool vdev_disk_emulated(const struct vm *vm) { return !vm->passthrough; }
/* The "iommu" object of a VM's statistics (NULL unless passed through). */
struct json_t *hv_passthrough_json(const struct hv *hv, const struct vm *vm);
/* The IOMMU fault report (the CPU's hook): printed and counted. */
void hv_iommu_fault(struct machine *m, int dom, uint32_t iova, bool to_mem);

/* ---- clones (clone.c) ------------------------------------------------------ */
struct json_t;
/* Whether the machine under from (restored from a save file) can be cloned:
 * one VM under a technique that runs several with nested paging, on small
 * host pages; false with the reason. */
bool hv_clone_can(const struct hv *from, char *err, size_t errlen);
/* Makes every VM of hv (built empty for from's configuration, with host
 * memory for one VM more: hv_host_memsize(nvms + 1, …)) a clone of from's
 * VM, taken off the CPU first: its virtual CPU and devices, its memory
 * copied once into the template and shared read-only through each clone's
 * host table, the clock going on from the saved moment.  params[i] (NULL:
 * keep the saved one) becomes clone i's boot parameter: written, NUL-ended,
 * at guest-physical BOOT_ARGS_ADDR (where --args puts it) and, kept_max > 0,
 * at kept_gpa too, at most kept_max bytes (where a guest keeps its copy:
 * the bundled kernel's `bootargs`).  False with a message. */
bool hv_clone_from(struct hv *hv, struct hv *from, const char *const *params, uint32_t kept_gpa, uint32_t kept_max,
                   char *err, size_t errlen);
/* Turns content-based sharing on: a scan every period cycles (first at
 * the first scheduling point past one period).  False when out of host
 * memory for the template's index. */
bool hv_clone_share(struct hv *hv, uint64_t period);
/* At a scheduling point (hv_schedule): the scan, if one is due. */
void hv_clone_tick(struct hv *hv);
/* A nested violation of VM vm at gpa: true if it was a write to a page it
 * shares (now its own: copied, mapped writable, the retry succeeds). */
bool hv_clone_cow(struct hv *hv, struct vm *vm, uint32_t gpa);
/* The host address of VM vm's guest-physical gpa as its host table maps it
 * now (the template's copy for a shared page). */
uint32_t hv_clone_host_addr(const struct hv *hv, const struct vm *vm, uint32_t gpa);
/* "clone": shared pages and cow faults, per VM and in all (clones only). */
void hv_clone_stats_json(const struct hv *hv, struct json_t *o);

/* ---- live migration's dirty log (migrate.c) ------------------------------- */
/* Marks guest frame gframe of VM 0 written, if the log is on. */
static inline void hv_dirty_mark(struct hv *hv, uint32_t gframe)
{
    if (hv->dirty.on && gframe < hv->dirty.pages) hv->dirty.bits[gframe >> 3] |= (uint8_t)(1u << (gframe & 7));
}
static inline bool hv_dirty_marked(const struct hv *hv, uint32_t gframe)
{
    return gframe < hv->dirty.pages && (hv->dirty.bits[gframe >> 3] >> (gframe & 7)) & 1;
}
/* The mechanisms, each technique's dirty_log names one: write protection
 * of the nested table's leaves, whose D bit the hypervisor sets at a
 * write's violation (nested.c); and the shadow tables' (shadow.c). */
void nested_dirty_log(struct hv *hv, enum hv_dirty_op op);
void shadow_dirty_log(struct hv *hv, enum hv_dirty_op op);
/* A nested violation of VM vm at gpa: true if it was a write the dirty log
 * withheld (now marked and allowed: the retry succeeds). */
bool nested_dirty_fault(struct hv *hv, struct vm *vm, uint32_t gpa);
/* The host address of the leaf entry mapping gpa in vm's host table, 0 if
 * there is none or it is a large page. */
uint32_t nested_leaf(const struct hv *hv, const struct vm *vm, uint32_t gpa);

/* ---- live migration (migrate.c) ------------------------------------------ */
#define HV_MIGRATE_MAX_ROUNDS 64
#define HV_MIGRATE_STATE_BYTES 4096u   /* the virtual CPU and devices, sent with the last pages */
struct hv_migrate_cfg {
    struct hv_link link;
    uint32_t stop_pages;           /* stop-and-copy once a round leaves at most this many dirty */
    unsigned max_rounds;           /* pre-copy rounds at most (1..HV_MIGRATE_MAX_ROUNDS) */
    bool post_copy;                /* no rounds: resume at once, fetch pages on demand */
    unsigned trace_label;          /* the VM's number in `--trace migrate` lines (a data centre's) */
};
/* One migration, as it went. */
struct hv_migration {
    uint64_t start, resumed;       /* cycles: the first round began; the guest ran again */
    unsigned rounds;               /* pre-copy rounds */
    uint32_t sent[HV_MIGRATE_MAX_ROUNDS];      /* pages each round sent */
    uint32_t dirtied[HV_MIGRATE_MAX_ROUNDS];   /* pages written while it travelled */
    uint64_t round_cycles[HV_MIGRATE_MAX_ROUNDS], round_end[HV_MIGRATE_MAX_ROUNDS];
    uint32_t final_pages;          /* sent by stop-and-copy */
    uint32_t stop_pages;
    uint64_t pages_sent, log_faults, downtime, total;
    uint32_t stale_pages;          /* target pages unlike the source's at the pause: a missed write */
    const char *stop_reason;       /* converged, not_shrinking, max_rounds */
    bool moved;                    /* resumed on the target */
    bool post_copy;
    bool guest_ended;              /* it ended on the source during pre-copy: nothing moved */
};
/* Whether hv's VM could be migrated; false with the reason. */
bool hv_migrate_can(const struct hv *hv, char *err, size_t errlen);
/* Migrates src's VM, running now, to dst (a machine of the same shape and
 * technique, started, which it replaces): pre-copy rounds while it runs on
 * src, stop-and-copy, resumed on dst (then run dst's machine).  *mg says
 * how it went (guest_ended: it ended on src first; run nothing more).
 * False with a message when it cannot start or cannot move. */
bool hv_migrate(struct hv *src, struct hv *dst, const struct hv_migrate_cfg *cfg, struct hv_migration *mg, char *err,
                size_t errlen);
/* A nested violation of VM vm at gpa: true if it was a page post-copy had
 * not fetched yet (now fetched from the source and mapped: the retry runs). */
bool hv_postcopy_fault(struct hv *hv, struct vm *vm, uint32_t gpa);
/* "postcopy": demand faults, pages fetched and still missing (if it ran). */
void hv_postcopy_stats_json(const struct hv *hv, struct json_t *o);
/* Appends one object describing mg (from host, to host) to array arr. */
void hv_migration_json(const struct hv_migration *mg, const struct hv_migrate_cfg *cfg, int from, int to,
                       struct json_t *arr);

/* ---- shadow paging (shadow.c) ------------------------------------------- */
bool shadow_init(struct hv *hv, char *err, size_t errlen);
/* Its state written to or read from a save file (cpu.h's sf_ functions). */
void shadow_file(struct hv *hv, struct savefile *f);
void shadow_free(struct hv *hv);
/* Drops every shadow table (they refill on demand) and flushes the TLB. */
void shadow_reset(struct hv *hv);
/* The shadow root for the guest's current paging state (vcpu CRs), made if
 * needed; sets the real ptb/asid/mmu.  ptb_written: the guest wrote its
 * ptb (the TLB does what that write does on bare metal). */
void shadow_load_context(struct hv *hv, bool ptb_written);
/* A real page fault while the guest ran: true if it was the hypervisor's
 * (hidden, dirty or tracing fault, handled); false if it belongs to the
 * guest — then *gfault holds the guest's fault bits, or FAULT_BUS. */
bool shadow_page_fault(struct hv *hv, uint32_t va, uint32_t fault, uint32_t *gfault);
#define SHADOW_TRACE 0xffffffffu   /* *gfault: a write to a guest page table */
#define PHYS_PREFETCH 64u          /* pages mapped per hidden fault while guest paging is off */
/* The shadow root the guest's paging state (its CRs) runs on, 0 if none
 * yet; and which guest table (and level) a pool frame mirrors (dot.c). */
uint32_t shadow_root_of(const struct hv *hv, const uint32_t guest_cr[CR_COUNT]);
bool shadow_mirror_of(const struct hv *hv, uint32_t host_frame, uint32_t *gframe, unsigned *level);
/* The guest wrote word gpa of one of its page tables: drop the stale shadow. */
void shadow_traced_write(struct hv *hv, uint32_t gpa);
/* A device wrote [gpa, gpa + len) by DMA: drop every shadow entry it staled. */
void shadow_dma_write(struct hv *hv, uint32_t gpa, uint32_t len);
/* Guest virtual -> guest physical through the guest's own tables (no side
 * effects but the counted reads); false if the guest has no translation. */
bool shadow_guest_translate(struct hv *hv, uint32_t va, uint32_t *gpa);

/* ---- trap-and-emulate (te.c), which binary translation (bt.c) builds on --- */
/* Loads a deprivileged guest onto the machine on its shadow (technique.h's
 * enter); a trap of it (on_trap); the emulation of its privileged or
 * sensitive instruction at epc. */
void te_enter(struct hv *hv);
void te_trap(struct hv *hv, enum isa_cause cause, uint32_t badaddr, uint32_t epc);
void te_emulate(struct hv *hv, uint32_t epc);
/* A page fault on shadow paging: the hypervisor's own (hidden, dirty,
 * tracing) is handled, the guest's reflected (te.c; pv's log-dirty mode too). */
void te_page_fault(struct hv *hv, uint32_t badaddr, uint32_t epc);

/* ---- paravirtualisation (pv.c) --------------------------------------------- */
extern const char *const pv_hypercall_name[PV_HC_COUNT];

/* ---- statistics ---------------------------------------------------------- */
struct json_t;
/* Adds mode, mmu, vmexits and the per-VM objects to a stats object. */
void hv_stats_json(const struct hv *hv, struct json_t *o);
/* What the hypervisor holds for its VMs beyond their guest-physical memory
 * (`run --footprint`), as o's "footprint": frames of host memory it took
 * for tables of its own (nested paging's host tables, pv's boot map) and
 * shadow tables in use at the end of the run, and the bytes
 * of its per-frame bookkeeping (shadow paging's frame and pool tables, pv's
 * frame table), which a real hypervisor keeps in its own memory too. */
void hv_footprint_json(const struct hv *hv, struct json_t *o);
/* The 32-bit word at guest-physical gpa of the first VM under hv, or of the
 * machine itself when hv is NULL (natively): for readers of the guest's own
 * structures (the debugger's `info ns`, run's "cgroups").  False outside
 * its memory or unaligned. */
bool hv_guest_word(const struct machine *m, const struct hv *hv, uint32_t gpa, uint32_t *v);

/* The isolation invariant, checked from the hardware's side (audit.c): true
 * if every translation the MMU could use right now (real tables, TLB, walk
 * caches) stays inside the VM it belongs to; else false, the first
 * violation described in why.  Reads no hypervisor bookkeeping. */
bool hv_audit(struct hv *hv, char *why, size_t whylen);

#endif
