/*
 * hooks.h — how the hypervisor plugs into the CPU (struct cpu_hooks).
 *
 * The CPU (cpu/) knows no hypervisor: hv_init installs these hooks on the
 * machine and hv_free takes them away.  The CPU then hands every trap
 * under trap-and-emulate, every VM exit and every binary-translation
 * callout to the functions below, and a snapshot of the machine asks the
 * hypervisor to copy, restore and free its own state (hooks.c).
 */
#ifndef RINGSIM_HOOKS_H
#define RINGSIM_HOOKS_H

#include "cpu/cpu.h"

struct hv;

/* Installs the hypervisor's hooks on hv->m (m->hooks, m->hooks_ctx = hv),
 * and removes them. */
void hv_hooks_install(struct hv *hv);
void hv_hooks_remove(struct hv *hv);

/* The hooks' entry points.  A VM exit: the guest is in its VMCS (exits.c). */
void hv_handle_exit(struct machine *m);
/* Binary translation: a translated sensitive instruction at pc calls the
 * hypervisor instead of trapping (te.c). */
void hv_bt_callout(struct machine *m, uint32_t pc);
/* Under trap-and-emulate every trap goes to the hypervisor (te.c). */
void hv_trap(struct machine *m, enum isa_cause cause, uint32_t badaddr, uint32_t epc);

#endif
