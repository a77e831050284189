/*
 * passthrough.c — a VM's disk given to it directly, behind the IOMMU.
 * Its network interface (--net) goes with it, the same three ways: its
 * ports direct, its DMA through the same domain, its interrupt posted.
 *
 * The third way to virtualise a device (docs/io.md): the guest's own driver
 * drives the device itself.  The hypervisor's part is set-up, not I/O:
 *   - the disk's ports go into the VMCS's io-direct bitmap, so the CPU runs
 *     the guest's in/out on the device without an exit (cpu/exec.inc);
 *   - the IOMMU's domain for the VM gets the VM's host table — the one
 *     nested paging already walks, mapping guest-physical [0, size) to the
 *     VM's home and nothing else — as VT-d can share EPT's tables, so the
 *     guest's DMA addresses (guest-physical) reach its own memory only;
 *     a change the hypervisor makes to that table drops the IOTLB
 *     (nested.c);
 *   - the device's completion interrupt is posted: the CPU delivers it into
 *     the guest at an instruction boundary or at VM entry (cpu/iommu.c),
 *     so neither it nor its acknowledgement exits (Gordon et al.'s ELI);
 *     only a halted VM needs the hypervisor, to be woken (hv.c).
 * What the hypervisor still sees is the IOMMU's fault reports
 * (hv_iommu_fault): a DMA outside the VM, dropped by the hardware.
 *
 * Only hardware assist with nested paging can do this: the guest must run
 * its own ring 0 (te, bt and pv deprivilege it and trap its in/out) and its
 * guest-physical addresses must have a host table the IOMMU can share.
 */
#include <jansson.h>
#include <string.h>

#include "hypervisor/technique.h"

#define REPORTS_PRINTED 8   /* per VM; the rest are counted */

bool hv_passthrough(struct hv *hv, int i, bool iommu, char *err, size_t errlen)
{
    struct machine *m = hv->m;
    if (hv->cfg.mode != HV_HW || hv->cfg.mmu != HV_MMU_NESTED) {
        char name[32];
        hv_config_name(hv->cfg.mode, hv->cfg.mmu, name, sizeof name);
        snprintf(err, errlen, "--passthrough needs --mode hw --mmu nested (not %s): the guest must run its own "
                              "ring 0 with its in/out not trapped, and the IOMMU shares the VM's host table", name);
        return false;
    }
    if (i < 0 || i >= hv->nvms) {
        snprintf(err, errlen, "--passthrough %d: expected the index of a VM, 0..%d", i, hv->nvms - 1);
        return false;
    }
    struct vm *vm = &hv->vms[i];
    if (!vm->disk.present && !vm->nic.present) {
        snprintf(err, errlen, "--passthrough %d: VM %s has no disk to pass through (give it one with --disk, "
                              "or a network interface with --net)", i, vm->name);
        return false;
    }
    for (int k = 0; k < hv->nvms; k++)
        if (hv->vms[k].passthrough) {
            snprintf(err, errlen, "--passthrough: one VM only (VM %s has the device already)", hv->vms[k].name);
            return false;
        }
    struct vmcs *v = &m->vmx.vmcs[vm->index];
    memset(v->io_direct, 0, sizeof v->io_direct);
    for (uint32_t port = PORT_DISK_SECTOR; port <= PORT_DISK_NOTIFY; port++)
        v->io_direct[port >> 5] |= 1u << (port & 31);
    v->direct_disk = vm->disk.present ? &vm->disk : NULL;
    if (vm->nic.present) {
        /* the network interface too: its ports direct, its DMA through the
         * same domain (the whole bus; with no IOMMU, host-physical) */
        for (uint32_t port = PORT_NET_TX_RING; port <= PORT_NET_TX_USED; port++)
            v->io_direct[port >> 5] |= 1u << (port & 31);
        v->direct_nic = &vm->nic;
        struct disk_window w = {.m = m, .size = iommu ? UINT32_MAX : m->memsize, .iommu = iommu, .domain = vm->index};
        net_set_window(m->netsw, &vm->nic, &w);
    }
    vm->passthrough = true;
    hv->cfg.passthrough = true;
    m->iommu.enabled = iommu;
    if (iommu) iommu_set_domain(&m->iommu, vm->index, v->ept_root, v->ept_levels);
    return true;
}

void hv_iommu_fault(struct machine *m, int dom, uint32_t iova, bool to_mem)
{
    struct hv *hv = m->hv;
    for (int i = 0; i < hv->nvms; i++) {
        struct vm *vm = &hv->vms[i];
        if (vm->index != dom) continue;
        vm->iommu_reports++;
        hv_charge_op(hv, 1);   /* reading the fault record */
        if (vm->iommu_reports <= REPORTS_PRINTED)
            fprintf(stderr, "ringsim: IOMMU fault: VM %s: its %s's DMA %s bus address 0x%08x, which its "
                            "domain does not map (outside its memory): the transfer was dropped%s\n",
                    vm->name, dev_id_name[m->iommu.requester],
                    to_mem ? "into" : "from", iova,
                    vm->iommu_reports == REPORTS_PRINTED ? " (further faults are counted, not printed)" : "");
        return;
    }
}

json_t *hv_passthrough_json(const struct hv *hv, const struct vm *vm)
{
    if (!vm->passthrough) return NULL;
    const struct iommu *io = &hv->m->iommu;
    const struct iommu_domain *d = &io->dom[vm->index];
    return json_pack("{s:b,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "enabled", io->enabled, "walks",
                     (json_int_t)d->walks, "walk_refs", (json_int_t)d->walk_refs, "iotlb_hits", (json_int_t)d->hits,
                     "iotlb_misses", (json_int_t)d->walks, "faults", (json_int_t)d->faults, "reports",
                     (json_int_t)vm->iommu_reports, "posted_interrupts", (json_int_t)d->posted, "direct_accesses",
                     (json_int_t)d->direct_accesses, "iotlb_invalidations", (json_int_t)io->invalidations);
}
