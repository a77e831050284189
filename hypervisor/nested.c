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
