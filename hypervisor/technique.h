/*
 * technique.h — the virtualisation techniques, one line of a table each.
 *
 * Everything that names a technique or asks what it allows — the command
 * line (--mode, --mmu, --switch-at), the debugger's `mode` and status line,
 * the statistics, the isolation audit — asks this table, so a technique is
 * spelled once and its rules are written once:
 *   native  no hypervisor: the guest is the machine's only software
 *   te      trap-and-emulate: the kernel deprivileged, every trap to ring 0
 *   bt      binary translation: te, with the kernel's sensitive
 *           instructions translated into calls to the hypervisor
 *   hw      hardware assist: the guest in VMX non-root mode, VM exits
 *   pv      paravirtualisation: a kernel built to call the hypervisor
 * and the MMU techniques: shadow page tables (te, bt, hw) or nested paging
 * (hw); pv runs on the guest's own tables, each update validated.
 */
#ifndef RINGSIM_TECHNIQUE_H
#define RINGSIM_TECHNIQUE_H

#include <stdbool.h>
#include <stddef.h>

#include "hypervisor/hv.h"

#define HV_MMU_BIT(mmu) (1u << (mmu))

struct hv_technique {
    enum hv_mode mode;
    const char *name;              /* --mode NAME, the statistics' "mode" */
    const char *title;             /* what it is called in a sentence */
    unsigned mmus;                 /* HV_MMU_BIT of each MMU technique built for it */
    enum hv_mmu default_mmu;       /* without --mmu */
    unsigned many_vms_mmus;        /* the MMU techniques it runs several VMs with */
    bool live_switch;              /* --switch-at and the debugger's `mode` */
    bool deprivileged;             /* the guest runs on the real CPU in a lower ring, its own
                                    * control registers in hv->vcpu (te, bt, pv) */
    const char *no_switch_why;     /* why a running guest cannot switch to or from it */
    const char *no_mmu_why;        /* why --mmu means nothing to it (no MMU technique): a
                                    * message, %s the --mmu argument (if it names it) */
};

/* The technique of a mode, and by name (NULL if there is none). */
const struct hv_technique *hv_technique(enum hv_mode mode);
const struct hv_technique *hv_technique_named(const char *name);
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

#endif
