/*
 * test_consolidate.c — consolidation (issue #15): `ringsim run … --hosts N
 * --balance PERIOD` runs several VMs on simulated hosts and live-migrates
 * them off lightly loaded hosts, powering emptied hosts off
 * (cli/datacentre.c, docs/migration.md "Consolidation").  And the bug found
 * on the way: under hw, the cycle limit while every VM waits in hlt must
 * stop the run as bare metal's hlt does, the VM still a VM.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/helpers.h"

static long long num(json_t *o, const char *key) { return json_integer_value(json_object_get(o, key)); }

/* phases spends most of its run halted: a save at cycle 15,000,000 (the
 * idle phase) stops the run there, writes the file, and runs on.  Before
 * the fix the hypervisor stopped in root mode at the guest's pc, and the
 * run went on executing the guest's code as the host: no VM exits, the
 * instructions no VM's. */
Test(consolidate, hw_cycle_limit_while_every_vm_is_halted_leaves_the_vm_a_vm)
{
    const char *dir = temp_dir();
    char a[512], save[256];
    snprintf(save, sizeof save, "%s/p.save", dir);
    int s_native, s_split, s_restored;
    char *native = run_out("run phases", &s_native);
    cr_assert_eq(s_native, 0);
    cr_assert(strstr(native, "phases: idle phase, 400 ticks"), "the workload ran: %s", native);
    for (int vms = 1; vms <= 2; vms++) {
        const char *images = vms == 1 ? "phases" : "phases phases --args 2";
        snprintf(a, sizeof a, "run %s --mode hw", images);
        json_t *whole = stats_of(a);
        snprintf(a, sizeof a, "run %s --mode hw --save-at 15000000:%s", images, save);
        char *out = run_out(a, &s_split);
        cr_assert_eq(s_split, 0, "%d VMs: exit status %d", vms, s_split);
        json_t *split = stats_of(a);
        /* every instruction of a hw run is a VM's: none ran in root mode */
        long long insns = num(split, "instructions"), vm_insns = 0;
        json_t *arr = json_object_get(split, "vms");
        for (size_t i = 0; i < json_array_size(arr); i++) vm_insns += num(json_array_get(arr, i), "instructions");
        cr_assert_eq(vm_insns, insns, "%d VMs: %lld instructions, %lld of them the VMs'", vms, insns, vm_insns);
        /* as bare metal stopped in hlt, the VM resumes past its hlt: its idle
         * loop looks once more and halts again — a few instructions, one
         * exit */
        long long extra = insns - num(whole, "instructions");
        cr_assert(extra >= 0 && extra <= 16, "%d VMs: %lld instructions more than the unbroken run", vms, extra);
        long long dex = num(json_object_get(split, "vmexits"), "total") -
                        num(json_object_get(whole, "vmexits"), "total");
        cr_assert(dex >= 0 && dex <= 2, "%d VMs: %lld exits more than the unbroken run", vms, dex);
        if (vms == 1) {
            cr_assert_str_eq(out, native, "the same output as bare metal");
            snprintf(a, sizeof a, "run %s", save);
            char *rest = run_out(a, &s_restored);
            cr_assert_eq(s_restored, 0);
            cr_assert(strstr(native, rest), "the restored run prints the rest: %s", rest);
            free(rest);
        }
        free(out);
        json_decref(whole);
        json_decref(split);
        unlink(save);
    }
    /* the stop itself says why */
    char *err;
    int st = run_ringsim("run phases --mode hw --max-cycles 15000000", NULL, &err);
    cr_assert_eq(st, 124, "a run that hits --max-cycles: exit status %d", st);
    cr_assert(strstr(err, "while every VM was halted"), "said: %s", err);
    free(err);
    free(native);
    rmdir(dir);
}
