/*
 * technique.h — the virtualisation techniques, one ops table each.
 *
 * A technique is one `struct hv_technique`, defined in its own file with
 * both what it is (its name, which MMU techniques it has, what it allows)
 * and what it does (how the guest is loaded onto the machine and taken off
 * it, what happens at a trap, a VM exit or a callout, where the guest's own
 * registers live, its statistics and its own state), as xv6 has a `struct
 * devsw` per device and KVM a `kvm_x86_ops` per vendor:
 *   native  no hypervisor: the guest is the machine's only software (technique.c)
 *   te      trap-and-emulate: the kernel deprivileged, every trap to ring 0 (te.c)
 *   bt      binary translation: te, with the kernel's sensitive
 *           instructions translated into calls to the hypervisor (bt.c)
 *   hw      hardware assist: the guest in VMX non-root mode, VM exits (hw.c)
 *   pv      paravirtualisation: a kernel built to call the hypervisor (pv.c)
 * and the MMU techniques: shadow page tables (te, bt, hw) or nested paging
 * (hw); pv runs on the guest's own tables, each update validated.
 *
 * Everything else — the command line (--mode, --mmu, --switch-at), the
 * debugger, the statistics, a live switch, the isolation audit — asks this
 * table and never spells a technique's name, so adding one is adding a file
 * and a line in technique.c.  What the techniques have in common (reflecting
 * a trap, control registers, guest memory, a traced store) is vcpu.c's.
 */
#ifndef RINGSIM_TECHNIQUE_H
#define RINGSIM_TECHNIQUE_H

#include <stdbool.h>
#include <stddef.h>

#include "hypervisor/hv.h"

#define HV_MMU_BIT(mmu) (1u << (mmu))

struct json_t;

struct hv_technique {
    /* ---- what it is ---- */
    enum hv_mode mode;
    const char *name;              /* --mode NAME, the statistics' "mode" */
    const char *title;             /* what it is called in a sentence */
    unsigned mmus;                 /* HV_MMU_BIT of each MMU technique built for it */
    enum hv_mmu default_mmu;       /* without --mmu */
    unsigned many_vms_mmus;        /* the MMU techniques it runs several VMs with */
    bool live_switch;              /* --switch-at and the debugger's `mode` */
    bool deprivileged;             /* the guest runs on the real CPU in a lower ring, every
                                    * trap to the hypervisor (te, bt, pv); else in a ring -1's
                                    * non-root mode, in its own ring 0 (hw) */
    const char *no_switch_why;     /* why a running guest cannot switch to or from it */
    const char *no_mmu_why;        /* why --mmu means nothing to it (no MMU technique): a
                                    * message, %s the --mmu argument (if it names it) */
    const char *build;             /* a bundled program's own build for it, in
                                    * guests/BUILD/ (pv: the paravirtual kernel); NULL: none */
    unsigned char compare_rank[HV_MMU_COUNT]; /* per MMU technique, its column in `ringsim compare`
                                    * (1 first; 0 none) */

    /* ---- what it does: NULL where it has nothing to do ---- */
    /* Loads the guest onto the machine from VMCS 0, where its virtual CPU
     * waits between techniques (and its boot state before the first entry),
     * and lets it run; and takes it off again into VMCS 0, the machine left
     * to the hypervisor.  NULL enter: no hypervisor at all (native). */
    void (*enter)(struct hv *hv);
    void (*leave)(struct hv *hv);
    /* A trap of a deprivileged guest (the CPU's trap hook); a VM exit (the
     * exit hook); a translated sensitive instruction at pc (the callout hook). */
    void (*on_trap)(struct hv *hv, enum isa_cause cause, uint32_t badaddr, uint32_t epc);
    void (*on_exit)(struct hv *hv);
    void (*on_callout)(struct hv *hv, uint32_t pc);
    /* Where the guest's own control registers live while the hypervisor
     * runs: hv->vcpu.cr (deprivileged), or VM vm's VMCS (hw).  Under shadow
     * paging its paging registers are hv->vcpu.cr's whatever this says
     * (vcpu_read_cr). */
    uint32_t *(*guest_cr)(struct hv *hv, int vm);
    /* Shadow paging: the real control registers a shadow's root goes to —
     * the CPU's (the guest runs on it), or the VMCS's (loaded at the next
     * VM entry). */
    uint32_t *(*shadow_cr)(struct hv *hv);
    /* A guest that keeps part of its virtual CPU in memory (pv's shared
     * page) has it written there as it resumes, and a trap's registers as
     * one is delivered to it. */
    void (*publish_resume)(struct hv *hv);
    void (*publish_trap)(struct hv *hv);
    /* Its own state beyond struct hv: made when VM 0 is added (false with
     * a message), freed with the hypervisor (allocated or not); copied for
     * a snapshot (false when out of host memory; *copy one malloc'd block of
     * *bytes, NULL if there is nothing to copy) and put back (live: struct hv
     * as it was before the restore, whose arrays are the ones to keep). */
    bool (*init)(struct hv *hv, char *err, size_t errlen);
    void (*free)(struct hv *hv);
    bool (*snap_save)(const struct hv *hv, void **copy, size_t *bytes);
    void (*snap_restore)(struct hv *hv, const struct hv *live, const void *copy);
    /* Its own state in a save file (docs/savefile.md), written or read as
     * sf_writing(f) says; called whichever technique runs, as snap_save is. */
    void (*file)(struct hv *hv, struct savefile *f);
    /* Its statistics object, added to hv_stats_json's (current: it is the
     * technique running now; else only if it ran before a live switch). */
    void (*stats)(const struct hv *hv, struct json_t *o, bool current);
    /* Whether the VM's disk may DMA into guest-physical [gpa, gpa + len):
     * NULL, anywhere in the VM (pv: never into a page table it validated,
     * which the guest itself may only change by hypercall). */
    bool (*dma_may_write)(void *hv, uint32_t gpa, uint32_t len);
    /* Live migration's dirty log (hv.h's struct hv_dirty, migrate.c): how
     * the hypervisor finds the pages the guest writes while it runs.
     * NULL: this technique cannot log them, so cannot pre-copy. */
    void (*dirty_log)(struct hv *hv, enum hv_dirty_op op);
    /* The debugger's one line on what runs the guest now (`mode`). */
    void (*describe)(const struct hv *hv, char *buf, size_t len);
};

/* The techniques, each in its own file. */
extern const struct hv_technique hv_te, hv_bt, hv_hw, hv_pv;

/* The technique of a mode, and by name (NULL if there is none); the one
 * running now. */
const struct hv_technique *hv_technique(enum hv_mode mode);
const struct hv_technique *hv_technique_named(const char *name);
const struct hv_technique *hv_technique_of(const struct hv *hv);
/* Whether t runs a hypervisor at all (native does not). */
bool hv_technique_virtual(const struct hv_technique *t);
/* Every technique's name, as "native, te, bt, hw or pv", for messages; and
 * as a NULL-terminated array (the debugger's completion), as are the MMU
 * techniques' ("shadow", "nested"). */
const char *hv_technique_names(void);
const char *const *hv_technique_name_array(void);
const char *const *hv_mmu_name_array(void);
/* An MMU technique's name ("none", "shadow", "nested"), and back (false
 * for a name that is not one). */
const char *hv_mmu_name(enum hv_mmu mmu);
bool hv_mmu_named(const char *name, enum hv_mmu *mmu);
/* Whether technique t runs with mmu; false with the reason. */
bool hv_technique_allows(const struct hv_technique *t, enum hv_mmu mmu, char *err, size_t errlen);
/* A configuration's short name: "native", "pv", "hw+nested", "te+shadow". */
void hv_config_name(enum hv_mode mode, enum hv_mmu mmu, char *buf, size_t len);
/* Every configuration `ringsim compare` runs, in its order (compare_rank):
 * at most max into out; returns how many there are. */
struct hv_config_choice {
    const struct hv_technique *t;
    enum hv_mmu mmu;
};
int hv_compare_configs(struct hv_config_choice *out, int max);
/* describe for a technique with an MMU technique: "te with shadow paging". */
void hv_describe_paging(const struct hv *hv, char *buf, size_t len);

#endif
