/*
 * hooks.h — how the hypervisor plugs into the CPU (struct cpu_hooks).
 *
 * The CPU (cpu/) knows no hypervisor: hv_init installs these hooks on the
 * machine and hv_free takes them away.  The CPU then hands every trap of a
 * deprivileged guest, every VM exit and every binary-translation callout
 * to the running technique (technique.h: on_trap, on_exit, on_callout),
 * and a snapshot of the machine asks the hypervisor to copy, restore and
 * free its own state (hooks.c).
 */
#ifndef RINGSIM_HOOKS_H
#define RINGSIM_HOOKS_H

#include "cpu/cpu.h"

struct hv;

/* Installs the hypervisor's hooks on hv->m (m->hooks, m->hooks_ctx = hv),
 * and removes them. */
void hv_hooks_install(struct hv *hv);
void hv_hooks_remove(struct hv *hv);

#endif
