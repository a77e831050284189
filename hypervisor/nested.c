/*
 * nested.c — nested paging (EPT/RVI-like): the host page table of a VM.
 *
 * The hypervisor maps the VM's guest-physical pages [0, size) to the
 * host-physical pages [base, base + size) and maps nothing else: a guest
 * address outside its memory has no host translation, so the hardware exits
 * with a nested violation instead of touching anyone else's memory.  The
 * table uses the same radix format as the guest's (mmu/mmu.h), with
 * host_levels levels; with large pages it stops early wherever a whole large
 * page of guest memory maps to an aligned host range, which is what shortens
 * the host dimension of every 2D walk.
 */
#include <string.h>

#include "hypervisor/hv.h"

/* One zeroed frame of the hypervisor's own memory for a table. */
static bool alloc_table(struct hv *hv, uint32_t *frame)
{
    if (hv->next_frame + 4096 > hv->frames_end) return false;
    *frame = hv->next_frame;
    hv->next_frame += 4096;
    memset(hv->m->mem + *frame, 0, 4096);
    hv_charge_op(hv, 1);
    return true;
}

/* Writes one host PTE: a memory reference of the hypervisor's. */
static void write_pte(struct hv *hv, uint32_t pa, uint32_t pte)
{
    memcpy(hv->m->mem + pa, &pte, 4);
    hv->ept_entries_written++;
    cpu_charge(hv->m, CY_HV, hv->m->prof.mem_ref);
    /* the IOMMU's domains share the host tables: its IOTLB must not outlive a change */
    if (hv->cfg.passthrough) iommu_invalidate(&hv->m->iommu);
}

static uint32_t read_pte(struct hv *hv, uint32_t pa)
{
    uint32_t v;
    memcpy(&v, hv->m->mem + pa, 4);
    return v;
}

bool nested_build(struct hv *hv, struct vm *vm, uint32_t *root, char *err, size_t errlen)
{
    unsigned levels = hv->cfg.host_levels, bits[MMU_MAX_LEVELS];
    mmu_level_bits(levels, bits);
    if (!alloc_table(hv, root)) goto full;
    for (uint32_t gpa = 0; gpa < vm->size;) {
        uint32_t table = *root;
        unsigned shift = 32;
        for (unsigned l = 0; l < levels; l++) {
            shift -= bits[l];
            uint32_t span = 1u << shift;           /* bytes one entry maps */
            uint32_t e = table + 4 * ((gpa >> shift) & ((1u << bits[l]) - 1));
            bool last = l == levels - 1;
            /* large pages no larger than every VM's alignment: the table's
             * shape, and so every walk, is the same wherever the VM sits */
            bool large = !last && hv->cfg.host_large_pages && span <= HV_VM_ALIGN && gpa % span == 0 &&
                         vm->size - gpa >= span && (vm->base + gpa) % span == 0;
            if (last || large) {
                write_pte(hv, e, (vm->base + gpa) | PTE_P | PTE_W | PTE_U | (large ? PTE_L : 0));
                gpa += span;
                break;
            }
            uint32_t pte = read_pte(hv, e);
            if (!(pte & PTE_P)) {
                uint32_t t;
                if (!alloc_table(hv, &t)) goto full;
                pte = t | PTE_P | PTE_W | PTE_U;
                write_pte(hv, e, pte);
            }
            table = pte & PTE_FRAME;
        }
    }
    return true;
full:
    snprintf(err, errlen, "the hypervisor ran out of memory for host page tables");
    return false;
}

uint32_t nested_leaf(const struct hv *hv, const struct vm *vm, uint32_t gpa)
{
    const struct machine *m = hv->m;
    const struct vmcs *v = &m->vmx.vmcs[vm->index];
    unsigned bits[MMU_MAX_LEVELS], shift = 32;
    mmu_level_bits(v->ept_levels, bits);
    uint32_t table = v->ept_root & PTE_FRAME;
    for (unsigned l = 0; l < v->ept_levels; l++) {
        shift -= bits[l];
        uint32_t e = table + 4 * ((gpa >> shift) & ((1u << bits[l]) - 1));
        if ((uint64_t)e + 4 > m->memsize) return 0;
        if (l == v->ept_levels - 1) return e;
        uint32_t pte;
        memcpy(&pte, m->mem + e, 4);
        if (!(pte & PTE_P) || (pte & PTE_L)) return 0;
        table = pte & PTE_FRAME;
    }
    return 0;
}

/* ---- live migration's dirty log (migrate.c) ---------------------------------
 * The host table's leaves are the log.  Logging starts by taking the write
 * permission away from every leaf of the VM (and the VM's cached
 * translations of its frames with it); the guest's first write to a page is
 * then a nested violation, where the hypervisor sets the leaf's dirty bit,
 * gives the permission back and lets the write run again (the guest never
 * sees it).  This machine's host tables have no hardware A/D bits (mmu.c),
 * so the hypervisor sets D itself at that exit, as KVM did before EPT's A/D
 * bits and PML.  Collecting the log is reading the D bits; re-arming it
 * protects just the pages found dirty, as their leaves say. */
static void protect_leaf(struct hv *hv, struct vm *vm, uint32_t e)
{
    uint32_t pte = read_pte(hv, e);
    if (!(pte & PTE_P) || !(pte & (PTE_W | PTE_D))) return;
    write_pte(hv, e, pte & ~(PTE_W | PTE_D));
    mmu_drop_vm_frame(hv->m, hv->m->vmx.vmcs[vm->index].vpid, (pte & PTE_FRAME) >> 12);
}

void nested_dirty_log(struct hv *hv, enum hv_dirty_op op)
{
    struct vm *vm = &hv->vms[0];
    for (uint32_t gpa = 0; gpa < vm->size; gpa += 4096) {
        uint32_t e = nested_leaf(hv, vm, gpa);
        if (!e) continue;
        uint32_t pte = read_pte(hv, e);
        if (op == HV_DIRTY_STOP) {
            if ((pte & PTE_P) && !(pte & PTE_W)) write_pte(hv, e, (pte | PTE_W) & ~PTE_D);
            else if (pte & PTE_D) write_pte(hv, e, pte & ~PTE_D);
        } else if (op == HV_DIRTY_START || (pte & PTE_D)) {
            if (pte & PTE_D) hv_dirty_mark(hv, gpa >> 12);   /* collected from the leaf */
            protect_leaf(hv, vm, e);
        }
    }
}

bool nested_dirty_fault(struct hv *hv, struct vm *vm, uint32_t gpa)
{
    if (!hv->dirty.on || vm->index != hv->vms[0].index || gpa >= vm->size) return false;
    uint32_t e = nested_leaf(hv, vm, gpa);
    if (!e) return false;
    uint32_t pte = read_pte(hv, e);
    if (!(pte & PTE_P) || (pte & PTE_W)) return false;
    write_pte(hv, e, pte | PTE_W | PTE_D);
    mmu_drop_vm_frame(hv->m, hv->m->vmx.vmcs[vm->index].vpid, (pte & PTE_FRAME) >> 12);
    hv_dirty_mark(hv, gpa >> 12);
    hv->dirty.faults++;
    return true;
}
