/*
 * vdev.c — the virtual devices of a VM: a console, a timer and a disk per VM.
 *
 * The guest's in/out instructions exit (EXIT_IO) and land here.  The
 * console writes to the host's, prefixed with the VM's name when several
 * VMs share it.  The virtual timer counts host cycles; when it is due the
 * hypervisor injects a timer interrupt into the guest at the next VM entry
 * — or, if the guest has interrupts masked, asks the CPU for an exit as soon
 * as it unmasks them (an interrupt window), as real hypervisors do.
 */
#include "hypervisor/technique.h"

/* The device access an emulated register access stands for.  The
 * hypervisor plays the disk and the network interface by driving the
 * device model bare metal has (cpu/disk.c, cpu/net.c): the guest's access
 * exits or traps, is decoded and dispatched (the technique charges that),
 * and the backend then reads or writes the device's register on the
 * guest's behalf, which costs what the guest's own access costs on bare
 * metal (io_access, in CY_IO as natively).  So an emulated device is never
 * cheaper than the real one — each access costs a real one plus the exit —
 * the split driver wins by making fewer of them, and pass-through, whose
 * accesses reach the device without an exit, comes nearest bare metal:
 * the published shape (Russell 2008; Gordon et al., ASPLOS 2012).  The
 * console and the timer are the hypervisor's own small devices (as KVM
 * keeps its timers in the kernel) and pay no such access. */
static void vdev_device_access(struct hv *hv)
{
    hv->m->st.io_ops++;
    cpu_charge(hv->m, CY_IO, hv->m->prof.io_access);
}

/* A DMA write into the VM's memory that no write fault traced: under
 * shadow paging, whatever shadow mirrored a page table there is stale now. */
static void vdisk_wrote(void *ctx, uint32_t gpa, uint32_t len)
{
    struct hv *hv = ctx;
    if (hv->cfg.mmu == HV_MMU_SHADOW) shadow_dma_write(hv, gpa, len);
}

/* The VM's disk (cpu/disk.c, the very device bare metal has) DMAs into
 * the VM's guest-physical memory and nowhere else: its window is the VM's
 * home in host memory, so an address past the VM's size is an error for
 * the guest, never a byte of another VM or of the hypervisor.
 *
 * The split driver's backend is the same device reading the queue the
 * guest's driver keeps in its own memory: a notification (disk_notify) is
 * the one exit of a whole batch of requests, and the backend's work is one
 * hypervisor operation per request it takes. */
static void vdisk_out(struct hv *hv, struct vm *vm, uint32_t port, uint32_t value)
{
    const struct hv_technique *t = hv_technique_of(hv);
    struct disk_window w = {hv->m, vm->base, vm->size, t->dma_may_write, hv, vdisk_wrote, false, 0};
    uint64_t taken = vm->disk.requests;
    hv_charge_op(hv, 1);
    vdev_device_access(hv);
    disk_out(&vm->disk, &w, &hv->m->prof, port, value, hv->m->st.cycles);
    if (vm->disk.requests != taken) hv_charge_op(hv, (unsigned)(vm->disk.requests - taken));
}

/* The VM's network interface (cpu/net.c, the device bare metal has, on
 * the run's switch): every access to its registers exits and is emulated
 * here, and the frames it sends or receives are the hypervisor's work —
 * one operation per frame, as the disk's backend charges per request.
 * Its DMA window is the VM's memory, as the disk's is. */
static void vnet_out(struct hv *hv, struct vm *vm, uint32_t port, uint32_t value)
{
    uint64_t frames = vm->nic.tx_frames + vm->nic.rx_frames;
    hv_charge_op(hv, 1);
    vdev_device_access(hv);
    net_out(hv->m->netsw, &vm->nic, port, value, hv->m->st.cycles);
    if (vm->nic.tx_frames + vm->nic.rx_frames != frames)
        hv_charge_op(hv, (unsigned)(vm->nic.tx_frames + vm->nic.rx_frames - frames));
}

bool vdev_attach_net(struct hv *hv, struct netswitch *sw, char *err, size_t errlen)
{
    for (int i = 0; i < hv->nvms; i++) {
        struct vm *vm = &hv->vms[i];
        struct disk_window w = {hv->m, vm->base, vm->size, hv_technique_of(hv)->dma_may_write, hv, vdisk_wrote,
                                false, 0};
        if (!net_attach(sw, &vm->nic, &w, vm->name)) {
            snprintf(err, errlen, "--net: no network interface for VM %s (out of host memory)", vm->name);
            return false;
        }
    }
    return true;
}

/* The virtual timer catches up with the host's cycles, as on bare metal
 * (dev_timer_catch_up, the machine's own timer's).  The hypervisor only
 * looks when it has to (an exit or a trap of this VM, its scheduling), so
 * this may find several periods gone by: they coalesce into one tick. */
static void vtimer_catch_up(struct machine *m, struct vm *vm) { dev_timer_catch_up(&vm->vtimer, m->st.cycles); }

/* Whether the VM's console raises its interrupt: input waits for it (the
 * first VM has the console's input script) and it asked (con_ctrl). */
static bool console_irq(struct hv *hv, struct vm *vm)
{
    const struct console *c = &hv->m->con;
    return vm->index == 0 && vm->con_irq && c->input_pos < c->input_len;
}

/* Both ways of delivering an interrupt (vdev_deliver's injection under hw,
 * vcpu_deliver_pending's reflection) take the timer before the console and
 * the console before the disk, as bare metal does. */
bool vdev_irq_due(struct hv *hv, struct vm *vm, enum isa_cause *cause)
{
    vtimer_catch_up(hv->m, vm);
    if (vm->nic.present) net_catch_up(hv->m->netsw, &vm->nic, hv->m->st.cycles);   /* frames arrived */
    bool disk = vdev_disk_emulated(vm) && disk_irq_line(&vm->disk, hv->m->st.cycles);
    *cause = vm->vtimer.pending ? CAUSE_TIMER : console_irq(hv, vm) ? CAUSE_CONSOLE : disk ? CAUSE_DISK : CAUSE_NET;
    return vm->vtimer.pending || console_irq(hv, vm) || disk || (vdev_disk_emulated(vm) && net_irq_line(&vm->nic));
}

bool vdev_irq_raised(const struct hv *hv, const struct vm *vm)
{
    return vm->vtimer.pending || (vdev_disk_emulated(vm) && disk_irq_line(&vm->disk, hv->m->st.cycles)) ||
           (vdev_disk_emulated(vm) && net_irq_line(&vm->nic));
}

void vdev_delivered(struct hv *hv, struct vm *vm, enum isa_cause cause)
{
    if (cause == CAUSE_DISK) vm->disk.interrupts++;
    if (cause == CAUSE_NET) vm->nic.interrupts++;
    dev_trace_irq(hv->m, cause, DEV_IRQ_INJECTED, vm->index);
}

/* The VM's own devices only: another VM's disk never brings this one back. */
uint64_t vdev_next_event(const struct hv *hv, const struct vm *vm)
{
    uint64_t next = UINT64_MAX, disk = disk_irq_at(&vm->disk);
    if (!vdev_disk_emulated(vm)) disk = UINT64_MAX;   /* posted by the CPU, no exit */
    if (vm->vtimer.period && !vm->vtimer.pending) next = vm->vtimer.deadline;
    if (disk > hv->m->st.cycles && disk < next) next = disk;
    uint64_t frame = net_next_arrival(&vm->nic);   /* the next frame to arrive (passed through: the CPU's) */
    if (vdev_disk_emulated(vm) && frame > hv->m->st.cycles && frame < next) next = frame;
    return next;
}

uint64_t vdev_wake_at(const struct hv *hv, const struct vm *vm)
{
    uint64_t now = hv->m->st.cycles, wake = UINT64_MAX, disk = disk_irq_at(&vm->disk);
    if (vm->vtimer.pending) return now;
    if (vm->vtimer.period) wake = vm->vtimer.deadline;
    if (disk < wake) wake = disk;
    if (net_irq_line(&vm->nic)) return now;
    if (net_next_arrival(&vm->nic) < wake) wake = net_next_arrival(&vm->nic);
    return wake < now ? now : wake;
}

/* The console's input script (ringsim run --input) is the first VM's
 * keyboard: it reads it as bare metal reads the machine's. */
uint32_t vdev_in(struct hv *hv, struct vm *vm, uint32_t port)
{
    struct console *c = &hv->m->con;
    bool keyboard = vm->index == 0;
    switch (port) {
    case PORT_CON_DATA:
        if (!keyboard || c->input_pos >= c->input_len) return 0xffffffffu;
        return (uint8_t)c->input[c->input_pos++];
    case PORT_CON_STATUS: return keyboard && c->input_pos < c->input_len;
    case PORT_TIMER_PERIOD: return vm->vtimer.period;
    case PORT_TIMER_NOW: return (uint32_t)hv->m->st.cycles;
    default:
        if (disk_port(port) || net_port(port)) vdev_device_access(hv);
        if (disk_port(port)) return disk_in(&vm->disk, port, hv->m->st.cycles);
        if (net_port(port)) return net_in(hv->m->netsw, &vm->nic, port, hv->m->st.cycles);
        return 0xffffffffu;
    }
}

void vdev_out(struct hv *hv, struct vm *vm, uint32_t port, uint32_t value)
{
    struct machine *m = hv->m;
    switch (port) {
    case PORT_POWER:
        hv_vm_done(hv, vm, value, false, "exited");
        break;
    case PORT_CON_DATA:
        if (m->con.out) {
            if (hv->nvms > 1 && vm->at_line_start) fprintf(m->con.out, "[%s] ", vm->name);
            fputc((int)(value & 0xff), m->con.out);
        }
        vm->at_line_start = (value & 0xff) == '\n';
        vm->console_bytes++;
        m->con.bytes_out++;
        break;
    case PORT_CON_CTRL:
        vm->con_irq = value & 1;
        break;
    case PORT_TIMER_PERIOD:
        vm->vtimer.period = value;
        vm->vtimer.deadline = value ? m->st.cycles + value : 0;
        break;
    case PORT_TIMER_ACK:
        /* ticks that came due while one was pending are that one: the host
         * timer does not watch a VM with a tick pending (hv_program_timer),
         * so its deadline moves on here, and the next tick comes at the
         * next period, as it would on bare metal */
        vtimer_catch_up(m, vm);
        vm->vtimer.pending = false;
        m->vmx.vmcs[vm->index].irq_window = false;
        break;
    default:
        if (disk_port(port)) vdisk_out(hv, vm, port, value);
        if (net_port(port)) vnet_out(hv, vm, port, value);
        break;
    }
}

void vdev_deliver(struct hv *hv, struct vm *vm)
{
    struct machine *m = hv->m;
    struct vmcs *v = &m->vmx.vmcs[vm->index];
    enum isa_cause cause;
    bool due = vdev_irq_due(hv, vm, &cause);
    v->irq_window = false;
    if (!due || v->inject) return;
    if (hv_vmcs_read_cr(hv, vm, CR_SR) & SR_IE) {
        vdev_delivered(hv, vm, cause);
        v->inject = true;
        v->inject_cause = cause;
        v->inject_badaddr = 0;
        v->inject_epc = hv_vmcs_read_pc(hv, vm);
        hv_charge_op(hv, 1);
    }
    /* Every interrupt is level-triggered: one injected now is still
     * raised when its handler unmasks (iret), unless the handler
     * acknowledged it (timer_ack, disk_ack) or read the input — I/O, which exits, and
     * comes back here to see.  So the guest exits as soon as it unmasks,
     * and the interrupt is taken again there, as bare metal takes it. */
    v->irq_window = true;
}
