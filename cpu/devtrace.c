/*
 * devtrace.c — the device events: every doorbell, DMA transfer and
 * interrupt delivered of the disk and the network interface, for
 * `run --trace dev` and the debugger's Events and Devices panes.
 *
 * The one idea: an event is reported where the device itself acts (its
 * doorbell port written, its DMA engine moving bytes, its interrupt taken),
 * never where a technique decides something, so bare metal, an emulated
 * device, the split driver and pass-through report the same events through
 * the same few calls, and only the way an interrupt arrived differs.
 *
 * An event's fields (struct trace_event):
 *   a = what (enum dev_what) | device << 2 | flags << 4 | n << 8, where
 *       doorbell: n = the port written;
 *       DMA:      flags = DEV_DMA_*, n = the IOMMU walks' references;
 *       irq:      flags = the way (enum dev_irq_way);
 *   b = doorbell: requests or frames taken; DMA: the window (guest-physical)
 *       address; irq: the cause (vector);
 *   c = DMA: bytes; irq: the VM (UINT32_MAX on bare metal);
 *   busy = the device's own time the event took: a disk command's set-up
 *       for a doorbell, its sectors and IOMMU references for a DMA.
 */
#include "cpu/cpu.h"

const char *const dev_id_name[DEV_ID_COUNT] = {
#define X(id, name) [id] = name,
    DEV_IDS(X)
#undef X
};

static uint32_t dev_a(enum dev_what what, enum dev_id dev, unsigned flags, uint64_t n)
{
    return (uint32_t)what | (uint32_t)dev << 2 | (flags & 15u) << 4 | (uint32_t)(n > 0xffffffu ? 0xffffffu : n) << 8;
}

void dev_trace_doorbell(struct machine *m, enum dev_id dev, uint32_t port, uint32_t taken, uint64_t busy)
{
    cpu_trace_busy(m, TR_DEV, dev_a(DEV_DOORBELL, dev, 0, port), taken, 0, NULL, busy);
}

void dev_trace_dma(struct machine *m, enum dev_id dev, unsigned flags, uint32_t addr, uint32_t bytes, uint64_t refs,
                   uint64_t busy)
{
    cpu_trace_busy(m, TR_DEV, dev_a(DEV_DMA, dev, flags, refs), addr, bytes, NULL, busy);
}

void dev_trace_irq(struct machine *m, enum isa_cause cause, enum dev_irq_way way, int vm)
{
    enum dev_id dev = cause == CAUSE_DISK ? DEV_DISK : DEV_NIC;
    if (cause != CAUSE_DISK && cause != CAUSE_NET) return;   /* the timer's and the console's are traps only */
    cpu_trace(m, TR_DEV, dev_a(DEV_IRQ, dev, way, 0), cause, vm < 0 ? UINT32_MAX : (uint32_t)vm, NULL);
}
