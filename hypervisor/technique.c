/*
 * technique.c — the table of virtualisation techniques (technique.h).
 * Adding a technique starts with a line here.
 */
#include <stdio.h>
#include <string.h>

#include "hypervisor/technique.h"

static const struct hv_technique techniques[] = {
    {HV_NATIVE, "native", "no hypervisor", 0, HV_MMU_NONE, 0, false, false,
     "native means no hypervisor, and a running guest cannot leave its hypervisor",
     "--mmu %s virtualises the MMU under a hypervisor; a native run uses the guest's own page tables "
     "(try --mode hw)"},
    {HV_TE, "te", "trap-and-emulate", HV_MMU_BIT(HV_MMU_SHADOW), HV_MMU_SHADOW, 0, true, true, NULL, NULL},
    {HV_BT, "bt", "binary translation", HV_MMU_BIT(HV_MMU_SHADOW), HV_MMU_SHADOW, 0, true, true, NULL, NULL},
    {HV_HW, "hw", "hardware assist", HV_MMU_BIT(HV_MMU_SHADOW) | HV_MMU_BIT(HV_MMU_NESTED), HV_MMU_NESTED,
     HV_MMU_BIT(HV_MMU_NESTED), true, false, NULL, NULL},
    {HV_PV, "pv", "paravirtualisation", 0, HV_MMU_NONE, 0, false, true,
     "pv runs a paravirtualised build of the kernel (hypercalls in place of sensitive instructions), "
     "which a running guest cannot become or stop being",
     "--mode pv takes no --mmu: the paravirtual kernel's own page tables, each update validated by the "
     "hypervisor, are the MMU's (no shadow, no nested)"},
};
#define NTECHNIQUES (sizeof techniques / sizeof techniques[0])

static const char *const mmu_names[] = {[HV_MMU_NONE] = "none", [HV_MMU_SHADOW] = "shadow",
                                        [HV_MMU_NESTED] = "nested", NULL};

const struct hv_technique *hv_technique(enum hv_mode mode)
{
    for (size_t i = 0; i < NTECHNIQUES; i++)
        if (techniques[i].mode == mode) return &techniques[i];
    return NULL;
}

const struct hv_technique *hv_technique_named(const char *name)
{
    for (size_t i = 0; name && i < NTECHNIQUES; i++)
        if (!strcmp(techniques[i].name, name)) return &techniques[i];
    return NULL;
}

const char *hv_technique_names(void)
{
    static char list[128];
    if (!list[0]) {
        size_t n = 0;
        for (size_t i = 0; i < NTECHNIQUES; i++)
            n += (size_t)snprintf(list + n, sizeof list - n, "%s%s", i == 0 ? "" : i + 1 == NTECHNIQUES ? " or " : ", ",
                                  techniques[i].name);
    }
    return list;
}

const char *const *hv_technique_name_array(void)
{
    static const char *names[NTECHNIQUES + 1];
    for (size_t i = 0; i < NTECHNIQUES; i++) names[i] = techniques[i].name;
    return names;
}

const char *const *hv_mmu_name_array(void) { return mmu_names + HV_MMU_SHADOW; }

const char *hv_mmu_name(enum hv_mmu mmu)
{
    return (unsigned)mmu <= HV_MMU_NESTED ? mmu_names[mmu] : "?";
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
