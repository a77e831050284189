/*
 * test_technique.c — the table of virtualisation techniques
 * (hypervisor/technique.h): every name there is the one the command line,
 * the debugger and the statistics use, and what it allows is what runs.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "hypervisor/technique.h"

static const enum hv_mode every_mode[] = {HV_NATIVE, HV_TE, HV_BT, HV_HW, HV_PV};
#define NMODES (sizeof every_mode / sizeof every_mode[0])

Test(technique, every_mode_has_one_line_found_by_its_name)
{
    const char *const *names = hv_technique_name_array();
    size_t n = 0;
    while (names[n]) n++;
    cr_assert_eq(n, NMODES, "one name per mode");
    for (size_t i = 0; i < NMODES; i++) {
        const struct hv_technique *t = hv_technique(every_mode[i]);
        cr_assert(t, "mode %d has no line", (int)every_mode[i]);
        cr_assert_eq(t->mode, every_mode[i]);
        cr_assert_eq(hv_technique_named(t->name), t, "%s", t->name);
        cr_assert(strstr(hv_technique_names(), t->name), "%s missing from \"%s\"", t->name, hv_technique_names());
    }
    cr_assert_null(hv_technique_named("vt-x"));
    cr_assert_null(hv_technique_named(NULL));
    cr_assert_str_eq(hv_technique_names(), "native, te, bt, hw or pv");
}

Test(technique, mmu_names_round_trip_and_none_is_not_a_choice)
{
    enum hv_mmu m = HV_MMU_NONE;
    cr_assert(hv_mmu_named("shadow", &m) && m == HV_MMU_SHADOW);
    cr_assert(hv_mmu_named("nested", &m) && m == HV_MMU_NESTED);
    cr_assert_not(hv_mmu_named("none", &m), "'none' is what pv and native have, not an --mmu");
    cr_assert_not(hv_mmu_named("ept", &m));
    cr_assert_str_eq(hv_mmu_name(HV_MMU_SHADOW), "shadow");
    cr_assert_str_eq(hv_mmu_name(HV_MMU_NESTED), "nested");
    cr_assert_str_eq(hv_mmu_name(HV_MMU_NONE), "none");
    const char *const *a = hv_mmu_name_array();
    cr_assert_str_eq(a[0], "shadow");
    cr_assert_str_eq(a[1], "nested");
    cr_assert_null(a[2]);
}

/* What each technique allows, as the lecture has it: shadow paging for the
 * software techniques, both for hardware assist, none for pv and native. */
Test(technique, each_technique_allows_exactly_its_mmus)
{
    char why[160];
    struct { enum hv_mode mode; bool shadow, nested, none; } want[] = {
        {HV_NATIVE, false, false, true}, {HV_TE, true, false, false}, {HV_BT, true, false, false},
        {HV_HW, true, true, false},      {HV_PV, false, false, true},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const struct hv_technique *t = hv_technique(want[i].mode);
        cr_assert_eq(hv_technique_allows(t, HV_MMU_SHADOW, why, sizeof why), want[i].shadow, "%s shadow", t->name);
        cr_assert_eq(hv_technique_allows(t, HV_MMU_NESTED, why, sizeof why), want[i].nested, "%s nested", t->name);
        cr_assert_eq(hv_technique_allows(t, HV_MMU_NONE, why, sizeof why), want[i].none, "%s none", t->name);
        if (t->mmus) cr_assert(t->mmus & HV_MMU_BIT(t->default_mmu), "%s: its default is one it has", t->name);
        if (!t->mmus) cr_assert(t->no_mmu_why, "%s: says why --mmu means nothing", t->name);
        if (!t->live_switch) cr_assert(t->no_switch_why, "%s: says why it cannot switch", t->name);
    }
    cr_assert_not(hv_technique_allows(hv_technique(HV_TE), HV_MMU_NESTED, why, sizeof why));
    cr_assert(strstr(why, "no nested paging"), "%s", why);
    /* several VMs: hardware assist with nested paging only */
    for (size_t i = 0; i < NMODES; i++) {
        const struct hv_technique *t = hv_technique(every_mode[i]);
        cr_assert_eq(t->many_vms_mmus, t->mode == HV_HW ? HV_MMU_BIT(HV_MMU_NESTED) : 0u, "%s", t->name);
    }
}

Test(technique, configuration_names_are_the_comparison_names)
{
    char b[32];
    hv_config_name(HV_HW, HV_MMU_NESTED, b, sizeof b);
    cr_assert_str_eq(b, "hw+nested");
    hv_config_name(HV_TE, HV_MMU_SHADOW, b, sizeof b);
    cr_assert_str_eq(b, "te+shadow");
    hv_config_name(HV_PV, HV_MMU_NONE, b, sizeof b);
    cr_assert_str_eq(b, "pv");
    hv_config_name(HV_NATIVE, HV_MMU_NONE, b, sizeof b);
    cr_assert_str_eq(b, "native");
}

/* What each technique does is its own ops table: every hypervisor
 * technique can enter the guest and be told of a trap or an exit, says where
 * the guest's registers live and describes itself; what a live switch needs
 * (leave) is there for each technique that switches, and what shadow paging
 * needs (shadow_cr) for each that has it, pv's log-dirty mode included.
 * Native does nothing at all. */
Test(technique, every_hypervisor_technique_has_the_behaviour_its_line_promises)
{
    for (size_t i = 0; i < NMODES; i++) {
        const struct hv_technique *t = hv_technique(every_mode[i]);
        if (t->mode == HV_NATIVE) {
            cr_assert_not(hv_technique_virtual(t));
            cr_assert_null(t->enter);
            cr_assert_null(t->on_trap);
            cr_assert_null(t->on_exit);
            continue;
        }
        cr_assert(hv_technique_virtual(t), "%s", t->name);
        cr_assert(t->guest_cr && t->describe, "%s", t->name);
        /* a deprivileged guest traps to the hypervisor; one in its own ring 0 exits */
        cr_assert_eq(t->on_trap != NULL, t->deprivileged, "%s: traps", t->name);
        cr_assert_eq(t->on_exit != NULL, !t->deprivileged, "%s: exits", t->name);
        cr_assert_eq(t->leave != NULL, t->live_switch, "%s: leaves only to switch", t->name);
        /* shadow paging as its MMU, or (pv, on the guest's own tables) for a
         * migration's log-dirty mode */
        bool shadow = (t->mmus & HV_MMU_BIT(HV_MMU_SHADOW)) || (!t->mmus && t->dirty_log);
        cr_assert_eq(t->shadow_cr != NULL, shadow, "%s: shadow", t->name);
        /* own state comes with its whole life cycle */
        bool own = t->init || t->free || t->snap_save || t->snap_restore;
        cr_assert_eq(own, t->init && t->free && t->snap_save && t->snap_restore, "%s: own state", t->name);
    }
    cr_assert_not_null(hv_technique(HV_BT)->on_callout, "binary translation calls out");
    cr_assert_null(hv_technique(HV_TE)->on_callout);
    cr_assert_null(hv_technique(HV_MODE_COUNT));
}

Test(technique, compare_runs_every_configuration_in_its_fixed_order)
{
    struct hv_config_choice c[16];
    static const char *const want[] = {"native", "hw+nested", "hw+shadow", "bt+shadow", "te+shadow", "pv"};
    int n = hv_compare_configs(c, 16);
    cr_assert_eq(n, (int)(sizeof want / sizeof want[0]));
    for (int i = 0; i < n; i++) {
        char b[32];
        hv_config_name(c[i].t->mode, c[i].mmu, b, sizeof b);
        cr_assert_str_eq(b, want[i], "column %d", i);
        cr_assert(hv_technique_allows(c[i].t, c[i].mmu, b, sizeof b), "%s", want[i]);
    }
}

Test(technique, a_bundled_program_has_a_build_of_its_own_only_for_pv)
{
    for (size_t i = 0; i < NMODES; i++) {
        const struct hv_technique *t = hv_technique(every_mode[i]);
        if (t->mode == HV_PV) cr_assert_str_eq(t->build, "pv");
        else cr_assert_null(t->build, "%s", t->name);
    }
}
