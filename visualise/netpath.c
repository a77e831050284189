/*
 * netpath.c — `ringsim dot --io` for a run with a network (--net) and no
 * disk: the path its frames took, drawn from the run's own counters — the
 * guest's driver, the rings in its memory, the hypervisor (emulating the
 * interface's registers, or as a split driver's backend), the interface's
 * DMA, the switch and the ports beyond it (the other VMs, the echo host),
 * each edge labelled with how many times it was crossed.
 *
 * As in iopath.c, the one idea is the red edges: under a hypervisor every
 * access to the interface's registers — a doorbell, a used index read, an
 * interrupt's cause read and acknowledgement — is an exit, while
 * descriptors written into the rings are stores to the guest's own memory.
 * The split driver (guests/netq.s) shows fewer red crossings for the same
 * frames; an interface passed through none at all.
 */
#include <stdlib.h>
#include <string.h>

#include "hypervisor/technique.h"
#include "visualise/visualise.h"

static void edge(FILE *f, const char *from, const char *to, bool exits, const char *fmt, unsigned long long n)
{
    fprintf(f, "  %s -> %s [label=\"", from, to);
    fprintf(f, fmt, n);
    fprintf(f, "%s\"%s];\n", exits ? "\\n(each an exit)" : "", exits ? ", color=red, fontcolor=red, penwidth=2.5" : "");
}

char *vis_dot_net(const struct machine *m, const struct hv *hv, int vm, const char *title, char *err, size_t errlen)
{
    bool virt = hv && hv_technique_virtual(hv_technique_of(hv));
    const struct nic *n = virt ? &hv->vms[vm].nic : &m->nic;
    const struct netswitch *sw = m->netsw;
    bool direct = virt && hv->vms[vm].passthrough;
    if (direct) virt = false;
    if (!n->present || !sw) {
        snprintf(err, errlen, "no disk or network interface to draw the I/O path of (run with --disk FILE or --net)");
        return NULL;
    }
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    unsigned long long regs = n->port_accesses - n->notifications;
    fprintf(f, "digraph net {\n  rankdir=LR;\n  node [shape=box, fontname=\"Helvetica\"];\n"
               "  edge [fontname=\"Helvetica\", fontsize=10];\n");
    fprintf(f, "  labelloc=t;\n  label=\"%s\\nnetwork path of interface %d: %s\";\n", title, n->port,
            direct ? "passed through (no exits)" : virt ? "emulated registers, rings in guest memory"
                                                        : "bare metal (nothing exits)");
    fprintf(f, "  driver [label=\"guest driver\"];\n");
    fprintf(f, "  rings [shape=folder, label=\"transmit and receive rings\\nin guest memory\\n%llu frames sent, "
               "%llu received\"];\n", (unsigned long long)n->tx_frames, (unsigned long long)n->rx_frames);
    if (virt)
        fprintf(f, "  hyp [label=\"hypervisor (%s)\\nregister emulation, backend\", style=filled, "
                   "fillcolor=\"#ffe0e0\"];\n", hv_technique_of(hv)->name);
    fprintf(f, "  nic [label=\"network interface %d\\nDMA engine\\n%llu errors\"];\n", n->port,
            (unsigned long long)n->errors);
    fprintf(f, "  memory [shape=cylinder, label=\"%s memory\\n%llu bytes by DMA\"];\n",
            virt ? "guest-physical" : direct ? "the VM's host-physical" : "physical", (unsigned long long)n->dma_bytes);
    fprintf(f, "  switch [shape=hexagon, label=\"virtual switch\\nlatency %llu cycles\"];\n",
            (unsigned long long)sw->latency);
    const char *port_side = virt ? "hyp" : "nic";
    edge(f, "driver", "rings", false, "%llu descriptors\\n(stores, no exit)",
         (unsigned long long)(n->tx_frames + n->rx_frames + n->errors));
    edge(f, "driver", port_side, virt, "%llu doorbells", (unsigned long long)n->notifications);
    if (regs) edge(f, "driver", port_side, virt, "%llu other register accesses", regs);
    if (virt) edge(f, "hyp", "nic", false, "%llu doorbells", (unsigned long long)n->notifications);
    edge(f, "rings", "nic", false, "%llu descriptors read", (unsigned long long)(n->tx_frames + n->rx_frames));
    edge(f, "nic", "memory", false, "DMA: %llu bytes", (unsigned long long)n->dma_bytes);
    edge(f, "nic", "switch", false, "%llu frames", (unsigned long long)sw->st[n->port].sent);
    edge(f, "switch", "nic", false, "%llu frames", (unsigned long long)sw->st[n->port].received);
    for (int p = 0; p <= sw->nports; p++) {
        if (p == n->port) continue;
        fprintf(f, "  port%d [shape=%s, label=\"%s\\n52:54:00:00:00:%02x\"];\n", p, p < sw->nports ? "box" : "ellipse",
                p < sw->nports ? sw->name[p] : "echo host", p + 1);
        fprintf(f, "  switch -> port%d [dir=both, label=\"%llu in, %llu out\"];\n", p,
                (unsigned long long)sw->st[p].received, (unsigned long long)sw->st[p].sent);
    }
    unsigned long long dropped = sw->st[n->port].dropped_unknown + sw->st[n->port].dropped_spoofed;
    if (dropped) edge(f, "switch", "switch", false, "%llu of its frames dropped", dropped);
    if (n->interrupts) {
        if (virt) edge(f, "hyp", "driver", false, "%llu interrupts injected or reflected",
                       (unsigned long long)n->interrupts);
        else edge(f, "nic", "driver", false, direct ? "%llu interrupts posted\\n(no exit)" : "%llu interrupts",
                  (unsigned long long)n->interrupts);
    }
    fprintf(f, "}\n");
    if (fclose(f) != 0 || !text) {
        free(text);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    return text;
}
