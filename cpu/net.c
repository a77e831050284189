/*
 * net.c — the network interface, and the virtual switch that connects the
 * interfaces of one run.
 *
 * The interface keeps no frames of its own on the way out: the driver puts
 * descriptors (address, length) into a transmit ring in its memory and
 * rings a doorbell (net_tx_notify); the device takes, in order, every
 * descriptor added since the last doorbell, checks each (its length, its
 * buffer inside the DMA window), reads the frame by DMA, hands it to the
 * switch and writes each one's status and the new used index back — the
 * disk's request queue, for frames (cpu/disk.c, notify).  On the way in the
 * driver posts empty buffers in a receive ring (net_rx_notify says so);
 * a frame that has arrived is written into the next one, its length into
 * the status word.  Each ring's flags word can ask for no interrupt
 * (NR_NO_INTERRUPT): interrupt suppression, read when the frame is done.
 *
 * The switch forwards by destination MAC (interface k has
 * 52:54:00:00:00:k+1), drops what goes nowhere and what does not carry its
 * sender's own source MAC (a spoofed frame), and delivers each frame at a
 * defined cycle: the cycle it was sent plus the link's latency
 * (--net-latency).  Until then, and until the receiver has a free buffer,
 * the frame waits in the receiver's FIFO (NET_FIFO frames; a full FIFO
 * drops).  Nothing here runs on its own: whoever owns the CPU calls
 * net_catch_up when a frame is due (net_next_arrival) — the CPU's event
 * check natively, the hypervisor's host timer under a VM — so the same run
 * takes the same cycles every time.  The port after the last interface is
 * an echo host, a second machine that sends every frame straight back
 * (MACs swapped): bare metal's peer, which has no other machine to talk to.
 *
 * The one idea to hold: a descriptor is the guest's word, checked before a
 * byte moves; the device never reads or writes outside its DMA window (the
 * machine's memory natively, the VM's under a hypervisor), and a frame
 * reaches another interface only through the switch, which never trusts
 * the source address a guest wrote.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/cpu.h"

_Static_assert(MAX_VMS_NET == MAX_VMS, "a port for every VM");

static void mac_of(int port, uint8_t mac[6])
{
    const uint8_t m[6] = {NET_MAC_HI >> 8, NET_MAC_HI & 0xff, 0, 0, 0, (uint8_t)(port + 1)};
    memcpy(mac, m, 6);
}

void net_set_window(struct netswitch *sw, const struct nic *nic, const struct disk_window *w)
{
    sw->win[nic->port] = *w;
}

bool net_attach(struct netswitch *sw, struct nic *nic, const struct disk_window *w, const char *name)
{
    memset(nic, 0, sizeof *nic);
    if (sw->nports >= MAX_VMS_NET) return false;
    nic->fifo = calloc(NET_FIFO, sizeof *nic->fifo);
    if (!nic->fifo) return false;
    nic->present = true;
    nic->port = sw->nports;
    sw->nic[sw->nports] = nic;
    sw->win[sw->nports] = *w;
    snprintf(sw->name[sw->nports], sizeof sw->name[0], "%s", name);
    sw->nports++;
    return true;
}

void net_detach(struct nic *nic)
{
    free(nic->fifo);
    nic->fifo = NULL;
    nic->present = false;
}

bool net_port(uint32_t port) { return port >= PORT_NET_TX_RING && port <= PORT_NET_TX_USED; }

static uint32_t get32(const uint8_t *p, uint32_t off)
{
    uint32_t v;
    memcpy(&v, p + off, 4);
    return v;
}

static void put32(uint8_t *p, uint32_t off, uint32_t v) { memcpy(p + off, &v, 4); }

/* The host address of window address pa (through the IOMMU when the
 * interface is passed through: a page its domain does not map is an IOMMU
 * fault, reported by iommu_map); false if there is none. */
static bool window_host(struct nic *nic, const struct disk_window *w, uint32_t pa, bool to_mem, uint32_t *host)
{
    if (!w->iommu) {
        *host = w->host_base + pa;
        return true;
    }
    uint64_t refs = 0;
    w->m->iommu.requester = DEV_NIC;   /* a fault names the device */
    bool ok = iommu_map(w->m, w->domain, pa, to_mem, host, &refs);
    nic->iommu_refs += refs;
    return ok;
}

/* Copies len bytes between buf and [pa, pa + len) of the window (to_mem:
 * into memory); false, nothing copied, if a byte of it is outside the
 * window, refused by its owner (pv: a page table) or not mapped by the
 * IOMMU.  Every page is translated before a byte moves. */
static bool dma_copy(struct nic *nic, const struct disk_window *w, uint32_t pa, uint8_t *buf, uint32_t len,
                     bool to_mem)
{
    uint32_t host[2], piece[2];
    unsigned n = 0;
    if (len == 0 || len > NET_MAX_FRAME || (uint64_t)pa + len > w->size) return false;
    if (to_mem && w->may_write && !w->may_write(w->ctx, pa, len)) return false;
    for (uint32_t at = 0; at < len; n++) {
        uint32_t in_page = 4096 - ((pa + at) & 0xfffu);
        piece[n] = w->iommu && in_page < len - at ? in_page : len - at;
        if (!window_host(nic, w, pa + at, to_mem, &host[n])) return false;
        at += piece[n];
    }
    for (unsigned i = 0, at = 0; i < n; at += piece[i], i++) {
        if (to_mem) {
            memcpy(w->m->mem + host[i], buf + at, piece[i]);
            dma_wrote(w, host[i], pa + at, piece[i]);
        } else {
            memcpy(buf + at, w->m->mem + host[i], piece[i]);
        }
    }
    return true;
}

/* dma_copy, reported as a device event (the IOMMU's references it took
 * with it): the NIC's DMA costs the device no time of its own here. */
static bool dma_traced(struct nic *nic, const struct disk_window *w, uint32_t pa, uint8_t *buf, uint32_t len,
                       bool to_mem)
{
    uint64_t refs = nic->iommu_refs;
    bool ok = dma_copy(nic, w, pa, buf, len, to_mem);
    unsigned flags = (to_mem ? DEV_DMA_TO_MEM : 0) | (w->iommu ? DEV_DMA_IOMMU : 0) | (ok ? 0 : DEV_DMA_FAILED);
    dev_trace_dma(w->m, DEV_NIC, flags, pa, len, nic->iommu_refs - refs, 0);
    return ok;
}

/* A ring's page: page-aligned, inside the window, writable by the device. */
static uint8_t *ring_page(struct nic *nic, const struct disk_window *w, uint32_t ring, uint32_t *host)
{
    if (!ring || ring % 4096 || (uint64_t)ring + 4096 > w->size) return NULL;
    if (w->may_write && !w->may_write(w->ctx, ring, 4096)) return NULL;
    uint64_t refs = nic->iommu_refs;
    bool ok = window_host(nic, w, ring, true, host);
    /* the device reads the descriptors and writes the status back */
    dev_trace_dma(w->m, DEV_NIC, DEV_DMA_RING | (w->iommu ? DEV_DMA_IOMMU : 0) | (ok ? 0 : DEV_DMA_FAILED), ring, 0,
                  nic->iommu_refs - refs, 0);
    return ok ? w->m->mem + *host : NULL;
}

/* The frame waits in port to's FIFO, in order of arrival, or is dropped. */
static void deliver(struct netswitch *sw, int to, const uint8_t *data, uint32_t len, uint64_t due)
{
    struct nic *nic = sw->nic[to];
    if (nic->fifo_n == NET_FIFO) {
        sw->st[to].dropped_full++;
        nic->fifo_drops++;
        return;
    }
    unsigned at = nic->fifo_n;
    while (at > 0 && nic->fifo[at - 1].due > due) at--;
    memmove(&nic->fifo[at + 1], &nic->fifo[at], (nic->fifo_n - at) * sizeof *nic->fifo);
    nic->fifo[at].due = due;
    nic->fifo[at].len = len;
    memcpy(nic->fifo[at].data, data, len);
    nic->fifo_n++;
    sw->st[to].received++;
    sw->st[to].received_bytes += len;
}

/* The switch: forward by destination MAC; the echo host answers. */
static void forward(struct netswitch *sw, int from, const uint8_t *data, uint32_t len, uint64_t now)
{
    uint8_t mac[6];
    sw->st[from].sent++;
    sw->st[from].sent_bytes += len;
    mac_of(from, mac);
    if (memcmp(data + 6, mac, 6) != 0) {   /* not its own address: spoofed */
        sw->st[from].dropped_spoofed++;
        return;
    }
    for (int to = 0; to <= sw->nports; to++) {
        mac_of(to, mac);
        if (memcmp(data, mac, 6) != 0) continue;
        if (to < sw->nports) {
            deliver(sw, to, data, len, now + sw->latency);
            return;
        }
        /* the echo host: received, and sent straight back, MACs swapped */
        uint8_t echo[NET_MAX_FRAME];
        memcpy(echo, data, len);
        memcpy(echo, data + 6, 6);
        memcpy(echo + 6, data, 6);
        sw->st[to].received++;
        sw->st[to].received_bytes += len;
        sw->st[to].sent++;
        sw->st[to].sent_bytes += len;
        deliver(sw, from, echo, len, now + 2 * sw->latency);
        return;
    }
    sw->st[from].dropped_unknown++;
}

/* The transmit doorbell: every descriptor added since the last one. */
static void transmit(struct netswitch *sw, struct nic *nic, uint64_t now)
{
    const struct disk_window *w = &sw->win[nic->port];
    uint32_t host;
    uint8_t *q = ring_page(nic, w, nic->tx_ring, &host);
    uint32_t avail = q ? get32(q, NR_AVAIL) : 0;
    nic->notifications++;
    if (!q || avail - nic->tx_used > NET_RING_SIZE) {
        nic->error = NET_RING;
        nic->errors++;
        dev_trace_doorbell(w->m, DEV_NIC, PORT_NET_TX_NOTIFY, 0, 0);
        return;
    }
    dev_trace_doorbell(w->m, DEV_NIC, PORT_NET_TX_NOTIFY, avail - nic->tx_used, 0);
    bool any = nic->tx_used != avail;
    for (; nic->tx_used != avail; nic->tx_used++) {
        uint32_t slot = nic->tx_used % NET_RING_SIZE;
        uint32_t addr = get32(q, NR_DESC + slot * 8), len = get32(q, NR_DESC + slot * 8 + 4);
        uint8_t buf[NET_MAX_FRAME];
        enum net_error e = NET_OK;
        if (len < NET_HEADER || len > NET_MAX_FRAME) e = NET_BAD_LEN;
        else if (!dma_traced(nic, w, addr, buf, len, false)) e = NET_DMA;
        if (e == NET_OK) {
            nic->tx_frames++;
            nic->tx_bytes += len;
            nic->dma_bytes += len;
            forward(sw, nic->port, buf, len, now);
        } else {
            nic->errors++;
        }
        nic->error = (uint8_t)e;
        put32(q, NR_STATUS + slot * 4, e);
    }
    put32(q, NR_USED, nic->tx_used);
    dma_wrote(w, host, nic->tx_ring, NR_STATUS + NET_RING_SIZE * 4);
    if (any && !(get32(q, NR_FLAGS) & NR_NO_INTERRUPT)) nic->tx_unacked = true;
}

void net_catch_up(struct netswitch *sw, struct nic *nic, uint64_t now)
{
    if (!nic->present || nic->rx_blocked || !nic->fifo_n || nic->fifo[0].due > now) return;
    const struct disk_window *w = &sw->win[nic->port];
    uint32_t host;
    uint8_t *q = ring_page(nic, w, nic->rx_ring, &host);
    bool any = false;
    while (nic->fifo_n && nic->fifo[0].due <= now) {
        uint32_t avail = q ? get32(q, NR_AVAIL) : 0;
        if (!q || avail == nic->rx_used || avail - nic->rx_used > NET_RING_SIZE) {
            nic->rx_blocked = true;   /* until the driver posts buffers */
            break;
        }
        uint32_t slot = nic->rx_used % NET_RING_SIZE;
        uint32_t addr = get32(q, NR_DESC + slot * 8), room = get32(q, NR_DESC + slot * 8 + 4);
        struct net_frame *f = &nic->fifo[0];
        uint32_t status = f->len;
        if (f->len > room) status = NET_BAD_LEN << 16;
        else if (!dma_traced(nic, w, addr, f->data, f->len, true)) status = NET_DMA << 16;
        if (status == f->len) {
            nic->rx_frames++;
            nic->rx_bytes += f->len;
            nic->dma_bytes += f->len;
        } else {
            nic->errors++;
            nic->error = (uint8_t)(status >> 16);
        }
        put32(q, NR_STATUS + slot * 4, status);
        nic->rx_used++;
        put32(q, NR_USED, nic->rx_used);
        nic->fifo_n--;
        memmove(&nic->fifo[0], &nic->fifo[1], nic->fifo_n * sizeof *nic->fifo);
        any = true;
    }
    if (any) {
        dma_wrote(w, host, nic->rx_ring, NR_STATUS + NET_RING_SIZE * 4);
        if (!(get32(q, NR_FLAGS) & NR_NO_INTERRUPT)) nic->rx_unacked = true;
    }
}

bool net_irq_line(const struct nic *nic)
{
    return nic->present && (nic->ctrl & NET_CTRL_IRQ) && (nic->tx_unacked || nic->rx_unacked);
}

uint64_t net_next_arrival(const struct nic *nic)
{
    return nic->present && nic->fifo_n && !nic->rx_blocked ? nic->fifo[0].due : UINT64_MAX;
}

uint32_t net_in(struct netswitch *sw, struct nic *nic, uint32_t port, uint64_t now)
{
    if (!nic->present) return 0xffffffffu;   /* no interface: the bus floats high */
    nic->port_accesses++;
    net_catch_up(sw, nic, now);
    switch (port) {
    case PORT_NET_TX_RING: return nic->tx_ring;
    case PORT_NET_RX_RING: return nic->rx_ring;
    case PORT_NET_CTRL: return nic->ctrl;
    case PORT_NET_STATUS:
        return (uint32_t)nic->error << 8 | (nic->rx_unacked ? NET_STATUS_RX : 0) | (nic->tx_unacked ? NET_STATUS_TX : 0);
    case PORT_NET_MAC: return (uint32_t)nic->port + 1;
    case PORT_NET_RX_USED: return nic->rx_used;
    case PORT_NET_TX_USED: return nic->tx_used;
    default: return 0xffffffffu;
    }
}

void net_out(struct netswitch *sw, struct nic *nic, uint32_t port, uint32_t value, uint64_t now)
{
    if (!nic->present) return;
    nic->port_accesses++;
    switch (port) {
    case PORT_NET_TX_RING:
        nic->tx_ring = value;
        nic->tx_used = 0;   /* a new ring starts empty */
        return;
    case PORT_NET_RX_RING:
        nic->rx_ring = value;
        nic->rx_used = 0;
        nic->rx_blocked = false;
        return;
    case PORT_NET_TX_NOTIFY: transmit(sw, nic, now); return;
    case PORT_NET_RX_NOTIFY:
        nic->notifications++;
        dev_trace_doorbell(sw->win[nic->port].m, DEV_NIC, PORT_NET_RX_NOTIFY, 0, 0);
        nic->rx_blocked = false;
        net_catch_up(sw, nic, now);
        return;
    case PORT_NET_CTRL: nic->ctrl = (uint8_t)(value & NET_CTRL_IRQ); return;
    case PORT_NET_ACK:
        net_catch_up(sw, nic, now);   /* what has arrived is reported before it is cleared */
        nic->tx_unacked = nic->rx_unacked = false;
        return;
    default: return;
    }
}

static json_t *port_json(const struct netswitch *sw, int p)
{
    char mac[24];
    snprintf(mac, sizeof mac, "52:54:00:00:00:%02x", p + 1);
    json_t *o = json_pack("{s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "name", p < sw->nports ? sw->name[p] : "echo",
                          "mac", mac, "sent", (json_int_t)sw->st[p].sent, "sent_bytes", (json_int_t)sw->st[p].sent_bytes,
                          "received", (json_int_t)sw->st[p].received, "received_bytes",
                          (json_int_t)sw->st[p].received_bytes, "dropped_unknown",
                          (json_int_t)sw->st[p].dropped_unknown, "dropped_spoofed",
                          (json_int_t)sw->st[p].dropped_spoofed, "dropped_full", (json_int_t)sw->st[p].dropped_full);
    if (o && p < sw->nports) {
        const struct nic *n = sw->nic[p];
        json_object_set_new(o, "nic", json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "port_accesses",
                                                (json_int_t)n->port_accesses, "notifications",
                                                (json_int_t)n->notifications, "interrupts", (json_int_t)n->interrupts,
                                                "dma_bytes", (json_int_t)n->dma_bytes, "errors", (json_int_t)n->errors,
                                                "tx_frames", (json_int_t)n->tx_frames, "tx_bytes",
                                                (json_int_t)n->tx_bytes, "rx_frames", (json_int_t)n->rx_frames,
                                                "rx_bytes", (json_int_t)n->rx_bytes, "fifo_drops",
                                                (json_int_t)n->fifo_drops, "in_fifo", (json_int_t)n->fifo_n));
        /* passed through: the references of the IOMMU's walks for its DMA */
        json_object_set_new(json_object_get(o, "nic"), "iommu_walk_refs", json_integer((json_int_t)n->iommu_refs));
    }
    return o;
}

json_t *net_stats_json(const struct netswitch *sw)
{
    if (!sw) return NULL;
    json_t *ports = json_array();
    for (int p = 0; p <= sw->nports; p++) json_array_append_new(ports, port_json(sw, p));
    return json_pack("{s:I,s:o}", "latency", (json_int_t)sw->latency, "ports", ports);
}

/* ---- the network in a save file ---------------------------------------------
 * The whole switch is part of the machine: every interface is the
 * machine's or one of its VMs', and every frame in flight waits in a
 * receiver's FIFO (the echo host answers at once, into the sender's FIFO),
 * so saving each interface's registers, counters and FIFO, and the
 * switch's counters, saves the network.  The machine read into is built
 * from the file's configuration (--net-latency), so its switch has the
 * same ports and latency; a file that disagrees is refused. */
static void nic_file(struct savefile *f, struct nic *n)
{
    sf_u32(f, &n->tx_ring);
    sf_u32(f, &n->rx_ring);
    sf_u32(f, &n->tx_used);
    sf_u32(f, &n->rx_used);
    sf_u8(f, &n->ctrl);
    sf_u8(f, &n->error);
    sf_bool(f, &n->tx_unacked);
    sf_bool(f, &n->rx_unacked);
    sf_bool(f, &n->rx_blocked);
    uint64_t *c[] = {&n->port_accesses, &n->notifications, &n->interrupts, &n->dma_bytes, &n->errors,
                     &n->tx_frames, &n->tx_bytes, &n->rx_frames, &n->rx_bytes, &n->fifo_drops, &n->iommu_refs};
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) sf_u64(f, c[i]);
    uint32_t k = n->fifo_n;
    sf_u32(f, &k);
    if (k > NET_FIFO) {
        sf_fail(f, "%u frames in flight to port %d, at most %u fit its FIFO", k, n->port, NET_FIFO);
        return;
    }
    n->fifo_n = k;
    for (uint32_t i = 0; i < k && sf_ok(f); i++) {
        struct net_frame *fr = &n->fifo[i];
        sf_u64(f, &fr->due);
        sf_u32(f, &fr->len);
        if (fr->len > NET_MAX_FRAME) {
            sf_fail(f, "a frame in flight of %u bytes, at most %u expected", fr->len, NET_MAX_FRAME);
            return;
        }
        sf_bytes(f, fr->data, fr->len);
    }
}

void net_file(struct savefile *f, struct netswitch *sw)
{
    bool has = sw != NULL, saved = has;
    sf_bool(f, &saved);
    if (saved != has) {
        sf_fail(f, saved ? "saved with a network (--net), and this machine has none"
                         : "saved without a network, and this machine has one (--net)");
        return;
    }
    if (!has) return;
    sf_same(f, "network interfaces", (uint32_t)sw->nports);
    uint64_t latency = sw->latency;
    sf_u64(f, &latency);
    if (!sf_writing(f) && sf_ok(f) && latency != sw->latency)
        sf_fail(f, "the saved network's latency is %llu cycles, this one's %llu", (unsigned long long)latency,
                (unsigned long long)sw->latency);
    for (int p = 0; p <= sw->nports && sf_ok(f); p++) {
        uint64_t *c[] = {&sw->st[p].sent, &sw->st[p].sent_bytes, &sw->st[p].received, &sw->st[p].received_bytes,
                         &sw->st[p].dropped_unknown, &sw->st[p].dropped_spoofed, &sw->st[p].dropped_full};
        for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) sf_u64(f, c[i]);
    }
    for (int p = 0; p < sw->nports && sf_ok(f); p++) {
        sf_same(f, "an interface's switch port", (uint32_t)sw->nic[p]->port);
        nic_file(f, sw->nic[p]);
    }
}
