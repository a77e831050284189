/*
 * iopath.c — `ringsim dot --io`: the path a run's disk I/O took, drawn from
 * the run's own counters: the guest's driver, the request queue in its
 * memory (the split driver's), the hypervisor (emulating the device, or as
 * the split driver's backend), the block device's DMA engine and the host
 * file, each edge labelled with how many times it was crossed.
 *
 * The one idea: under a hypervisor every access to a device register — a
 * register write, a status read, an acknowledgement, a notification — is
 * an exit (a VM exit under hw, a trap or a hypercall under te, bt and pv),
 * and those edges are drawn red and bold; writes into the queue are
 * ordinary stores to the guest's own memory and exit nothing.  So the
 * picture shows at a glance why a split driver exits less than an emulated
 * device: the same data, far fewer red crossings.  Natively nothing exits.
 * A passed-through device (--passthrough) has no hypervisor on its path:
 * the driver's register accesses and the device's interrupts (posted)
 * cross nothing red, and its DMA goes through the IOMMU, drawn with its
 * walks, IOTLB hits and faults.
 */
#include <stdlib.h>
#include <string.h>

#include "hypervisor/technique.h"
#include "visualise/visualise.h"

/* An edge: red and bold when it is an exit. */
static void edge(FILE *f, const char *from, const char *to, bool exits, const char *fmt, unsigned long long n)
{
    fprintf(f, "  %s -> %s [label=\"", from, to);
    fprintf(f, fmt, n);
    fprintf(f, "%s\"%s];\n", exits ? "\\n(each an exit)" : "", exits ? ", color=red, fontcolor=red, penwidth=2.5" : "");
}

char *vis_dot_io(const struct machine *m, const struct hv *hv, int vm, const char *title, char *err, size_t errlen)
{
    bool virt = hv && hv_technique_virtual(hv_technique_of(hv));
    if (virt && (vm < 0 || vm >= hv->nvms)) {
        snprintf(err, errlen, "--vm %d: the machine has %d VM%s", vm, hv->nvms, hv->nvms == 1 ? "" : "s");
        return NULL;
    }
    const struct disk *d = virt ? &hv->vms[vm].disk : &m->disk;
    /* pass-through: the guest's driver on the device itself, the IOMMU between it and memory */
    bool direct = virt && hv->vms[vm].passthrough;
    const struct iommu_domain *io = direct ? &m->iommu.dom[hv->vms[vm].index] : NULL;
    bool iommu = direct && m->iommu.enabled;
    if (direct) virt = false;
    if (!d->present) /* the network's path, if the run has one (netpath.c) */
        return vis_dot_net(m, hv, vm, title, err, errlen);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    bool queue = d->notifications > 0;
    unsigned long long regs = d->port_accesses - d->notifications;
    fprintf(f, "digraph io {\n  rankdir=LR;\n  node [shape=box, fontname=\"Helvetica\"];\n"
               "  edge [fontname=\"Helvetica\", fontsize=10];\n");
    fprintf(f, "  labelloc=t;\n  label=\"%s\\nI/O path: %s%s\";\n", title,
            direct ? "passed through" : queue ? "split driver" : "emulated device",
            direct ? (iommu ? " (no exits: the device is the guest's, its DMA behind the IOMMU)"
                            : " (no exits, and no IOMMU: the device's DMA reaches all host memory)")
            : virt ? "" : " (bare metal: nothing exits)");
    fprintf(f, "  driver [label=\"guest driver\\n(%s)\"];\n", queue ? "front end: requests in a queue" : "device registers");
    if (queue)
        fprintf(f, "  queue [shape=folder, label=\"request queue\\nin guest memory\\n%llu requests\"];\n",
                (unsigned long long)d->requests);
    if (virt)
        fprintf(f, "  hyp [label=\"hypervisor (%s)\\n%s\", style=filled, fillcolor=\"#ffe0e0\"];\n",
                hv_technique_of(hv)->name, queue ? "split driver's back end" : "device emulation");
    fprintf(f, "  device [label=\"block device\\nDMA engine\\n%llu commands, %llu refused\"];\n",
            (unsigned long long)d->commands, (unsigned long long)d->errors);
    fprintf(f, "  memory [shape=cylinder, label=\"%s memory\\n%llu bytes by DMA\"];\n", virt ? "guest-physical" : direct ? "the VM's host-physical" : "physical",
            (unsigned long long)d->dma_bytes);
    fprintf(f, "  file [shape=note, label=\"host file\\n%llu sectors read, %llu written\\n%llu flushes (fsync)\"];\n",
            (unsigned long long)d->sectors_read, (unsigned long long)d->sectors_written,
            (unsigned long long)d->flushes);
    const char *port_side = virt ? "hyp" : "device";
    if (iommu)
        fprintf(f, "  iommu [label=\"IOMMU\\nthe VM's domain: its host table\\n%llu walks (%llu references)\\n"
                   "%llu IOTLB hits, %llu faults\", style=filled, fillcolor=\"#e0f0ff\"];\n",
                (unsigned long long)io->walks, (unsigned long long)io->walk_refs, (unsigned long long)io->hits,
                (unsigned long long)io->faults);
    if (queue) {
        edge(f, "driver", "queue", false, "%llu requests written\\n(stores, no exit)", (unsigned long long)d->requests);
        edge(f, "driver", port_side, virt, "%llu notifications", (unsigned long long)d->notifications);
        edge(f, "queue", port_side, false, "%llu requests read", (unsigned long long)d->requests);
    }
    if (regs) edge(f, "driver", port_side, virt, "%llu register accesses", regs);
    if (virt) edge(f, "hyp", "device", false, "%llu commands", (unsigned long long)d->commands);
    if (iommu) {
        fprintf(f, "  device -> iommu [label=\"bus addresses\\n(guest-physical)\"];\n");
        edge(f, "iommu", "memory", false, "DMA: %llu bytes", (unsigned long long)d->dma_bytes);
    } else {
        edge(f, "device", "memory", false, "DMA: %llu bytes", (unsigned long long)d->dma_bytes);
    }
    edge(f, "device", "file", false, "%llu commands", (unsigned long long)(d->reads + d->writes + d->flushes));
    if (d->interrupts) {
        if (virt) {
            fprintf(f, "  device -> hyp [label=\"completions\"];\n");
            edge(f, "hyp", "driver", false, "%llu interrupts injected or reflected", (unsigned long long)d->interrupts);
        } else if (direct) {
            edge(f, "device", "driver", false, "%llu interrupts posted\\n(delivered by the CPU, no exit)",
                 (unsigned long long)io->posted);
        } else
            edge(f, "device", "driver", false, "%llu interrupts", (unsigned long long)d->interrupts);
    }
    fprintf(f, "}\n");
    if (fclose(f) != 0 || !text) {
        free(text);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    return text;
}
