/*
 * technique.c — the table of virtualisation techniques (technique.h).
 *
 * Each technique is defined in its own file (te.c, bt.c, hw.c, pv.c); this
 * table only lists them, in the order their names are given in messages.
 * Native, which has no hypervisor and so no behaviour, is the one defined
 * here.  Adding a technique starts with its file and a line here.
 */
#include <stdio.h>
#include <string.h>

#include "hypervisor/technique.h"

static const struct hv_technique hv_native = {
    .mode = HV_NATIVE,
    .name = "native",
    .title = "no hypervisor",
    .default_mmu = HV_MMU_NONE,
    .no_switch_why = "native means no hypervisor, and a running guest cannot leave its hypervisor",
    .no_mmu_why = "--mmu %s virtualises the MMU under a hypervisor; a native run uses the guest's own page "
                  "tables (try --mode hw)",
    .compare_rank = {[HV_MMU_NONE] = 1},
};

static const struct hv_technique *const techniques[HV_MODE_COUNT] = {
    [HV_NATIVE] = &hv_native, [HV_TE] = &hv_te, [HV_BT] = &hv_bt, [HV_HW] = &hv_hw, [HV_PV] = &hv_pv,
};

static const char *const mmu_names[] = {[HV_MMU_NONE] = "none", [HV_MMU_SHADOW] = "shadow",
                                        [HV_MMU_NESTED] = "nested", NULL};

const struct hv_technique *hv_technique(enum hv_mode mode)
{
    return (unsigned)mode < HV_MODE_COUNT ? techniques[mode] : NULL;
}

const struct hv_technique *hv_technique_of(const struct hv *hv) { return hv_technique(hv->cfg.mode); }

bool hv_technique_virtual(const struct hv_technique *t) { return t->enter != NULL; }

const struct hv_technique *hv_technique_named(const char *name)
{
    for (size_t i = 0; name && i < HV_MODE_COUNT; i++)
        if (!strcmp(techniques[i]->name, name)) return techniques[i];
    return NULL;
}

const char *hv_technique_names(void)
{
    static char list[128];
    if (!list[0]) {
        size_t n = 0;
        for (size_t i = 0; i < HV_MODE_COUNT; i++)
            n += (size_t)snprintf(list + n, sizeof list - n, "%s%s", i == 0 ? "" : i + 1 == HV_MODE_COUNT ? " or " : ", ",
                                  techniques[i]->name);
    }
    return list;
}

const char *const *hv_technique_name_array(void)
{
    static const char *names[HV_MODE_COUNT + 1];
    for (size_t i = 0; i < HV_MODE_COUNT; i++) names[i] = techniques[i]->name;
    return names;
}

const char *const *hv_mmu_name_array(void) { return mmu_names + HV_MMU_SHADOW; }

const char *hv_mmu_name(enum hv_mmu mmu)
{
    return (unsigned)mmu < HV_MMU_COUNT ? mmu_names[mmu] : "?";
}

bool hv_mmu_named(const char *name, enum hv_mmu *mmu)
{
    for (unsigned i = HV_MMU_SHADOW; name && mmu_names[i]; i++)
        if (!strcmp(mmu_names[i], name)) {
            *mmu = (enum hv_mmu)i;
            return true;
        }
    return false;
}

bool hv_technique_allows(const struct hv_technique *t, enum hv_mmu mmu, char *err, size_t errlen)
{
    if (t->mmus & HV_MMU_BIT(mmu)) return true;
    if (!t->mmus && mmu == HV_MMU_NONE) return true;
    if (!t->mmus)
        snprintf(err, errlen, "%s (%s) virtualises no MMU", t->name, t->title);
    else if (mmu == HV_MMU_NESTED)
        snprintf(err, errlen, "%s has no nested paging (that is hardware assist): use shadow paging", t->name);
    else
        snprintf(err, errlen, "%s needs an MMU technique: expected shadow or nested paging", t->name);
    return false;
}

void hv_config_name(enum hv_mode mode, enum hv_mmu mmu, char *buf, size_t len)
{
    const struct hv_technique *t = hv_technique(mode);
    if (!t) snprintf(buf, len, "?");
    else if (!t->mmus) snprintf(buf, len, "%s", t->name);
    else snprintf(buf, len, "%s+%s", t->name, hv_mmu_name(mmu));
}

int hv_compare_configs(struct hv_config_choice *out, int max)
{
    int n = 0;
    for (unsigned rank = 1; rank <= HV_MODE_COUNT * HV_MMU_COUNT; rank++)
        for (size_t i = 0; i < HV_MODE_COUNT; i++)
            for (int mmu = 0; mmu < HV_MMU_COUNT; mmu++) {
                if (techniques[i]->compare_rank[mmu] != rank) continue;
                if (n < max) out[n] = (struct hv_config_choice){techniques[i], (enum hv_mmu)mmu};
                n++;
            }
    return n;
}

void hv_describe_paging(const struct hv *hv, char *buf, size_t len)
{
    snprintf(buf, len, "%s with %s paging", hv_technique_of(hv)->name, hv_mmu_name(hv->cfg.mmu));
}
