/*
 * devices.c — the console, the timer and the disk (disk.c), reached only
 * through in/out; their interrupt lines are looked at in trap.c.
 *
 * Both are deterministic: console input is a script given before the run,
 * and the timer counts simulated cycles, so the same inputs always raise the
 * same interrupts at the same cycle.
 */
#include <stdio.h>

#include "cpu/decode.h"

uint32_t dev_in(struct machine *m, uint32_t port)
{
    m->st.io_ops++;
    cpu_charge(m, CY_IO, m->prof.io_access);
    switch (port) {
    case PORT_CON_DATA:
        if (m->con.input_pos < m->con.input_len)
            return (uint8_t)m->con.input[m->con.input_pos++];
        return 0xffffffffu;
    case PORT_CON_STATUS:
        return m->con.input_pos < m->con.input_len ? 1u : 0u;
    case PORT_TIMER_PERIOD:
        return m->timer.period;
    case PORT_TIMER_NOW:
        return (uint32_t)m->st.cycles;
    default:
        if (disk_port(port) && m->cpu.nonroot) return dev_direct_in(m, port);   /* pass-through */
        if (disk_port(port)) return disk_in(&m->disk, port, m->st.cycles);
        if (net_port(port) && m->cpu.nonroot) {   /* the network interface, passed through */
            m->iommu.dom[m->vmx.cur].direct_accesses++;
            return net_in(m->netsw, m->vmx.vmcs[m->vmx.cur].direct_nic, port, m->st.cycles);
        }
        if (net_port(port)) return net_in(m->netsw, &m->nic, port, m->st.cycles);
        return 0xffffffffu; /* nothing there: the bus floats high */
    }
}

void dev_out(struct machine *m, uint32_t port, uint32_t value)
{
    m->st.io_ops++;
    cpu_charge(m, CY_IO, m->prof.io_access);
    switch (port) {
    case PORT_POWER:
        m->exit_code = value;
        machine_stop(m, STOP_EXIT, "guest exited with code %u", value);
        break;
    case PORT_CON_DATA:
        if (m->con.out) fputc((int)(value & 0xff), m->con.out);
        m->con.bytes_out++;
        break;
    case PORT_CON_CTRL:
        m->con.rx_irq_enabled = value & 1;
        break;
    case PORT_TIMER_PERIOD:
        m->timer.period = value;
        m->timer.deadline = value ? m->st.cycles + value : 0;
        break;
    case PORT_TIMER_ACK:
        m->timer.pending = false;
        break;
    default:
        if (disk_port(port) && m->cpu.nonroot) {
            dev_direct_out(m, port, value);   /* pass-through */
        } else if (disk_port(port)) {
            /* bare metal: DMA reaches all of physical memory */
            struct disk_window w = {.m = m, .size = m->memsize};
            disk_out(&m->disk, &w, &m->prof, port, value, m->st.cycles);
        } else if (net_port(port) && m->cpu.nonroot) {   /* passed through */
            m->iommu.dom[m->vmx.cur].direct_accesses++;
            net_out(m->netsw, m->vmx.vmcs[m->vmx.cur].direct_nic, port, value, m->st.cycles);
        } else if (net_port(port)) {
            net_out(m->netsw, &m->nic, port, value, m->st.cycles);
        }
        break; /* writes to nothing else are lost, as on a real bus */
    }
}

/* The device passed through to the running VM: the guest's in/out reach
 * it without an exit (the io-direct bitmap), its DMA through the IOMMU. */
uint32_t dev_direct_in(struct machine *m, uint32_t port)
{
    m->iommu.dom[m->vmx.cur].direct_accesses++;
    return disk_in(m->vmx.vmcs[m->vmx.cur].direct_disk, port, m->st.cycles);
}

void dev_direct_out(struct machine *m, uint32_t port, uint32_t value)
{
    struct disk_window w;
    iommu_window(m, &w);
    m->iommu.dom[m->vmx.cur].direct_accesses++;
    disk_out(m->vmx.vmcs[m->vmx.cur].direct_disk, &w, &m->prof, port, value, m->st.cycles);
}

void dev_timer_catch_up(struct timer *t, uint64_t now)
{
    if (t->period && now >= t->deadline) {
        t->pending = true;
        /* missed ticks coalesce into one interrupt */
        uint64_t late = now - t->deadline;
        t->deadline += t->period * (late / t->period + 1);
    }
}

void dev_tick(struct machine *m)
{
    dev_timer_catch_up(&m->timer, m->st.cycles);
    if (m->nic.present) net_catch_up(m->netsw, &m->nic, m->st.cycles);   /* frames that have arrived */
    if (m->cpu.nonroot && m->vmx.vmcs[m->vmx.cur].direct_nic)            /* pass-through's */
        net_catch_up(m->netsw, m->vmx.vmcs[m->vmx.cur].direct_nic, m->st.cycles);
}

uint64_t machine_next_event(const struct machine *m)
{
    uint64_t next = UINT64_MAX;
    if (m->timer.period && m->timer.deadline < next) next = m->timer.deadline;
    /* the disk's completion interrupt, until it has risen (then it is
     * pending, looked at whenever IE can let it in) */
    uint64_t disk = disk_irq_at(&m->disk);
    if (disk > m->st.cycles && disk < next) next = disk;
    /* the next frame to arrive at the network interface */
    uint64_t frame = net_next_arrival(&m->nic);
    if (frame > m->st.cycles && frame < next) next = frame;
    /* pass-through: the running guest's own device, raised or to come (a
     * raised one is looked at once the guest can take it) */
    if (m->cpu.nonroot && m->vmx.vmcs[m->vmx.cur].direct_disk) {
        uint64_t posted = disk_irq_at(m->vmx.vmcs[m->vmx.cur].direct_disk);
        if (posted < next) next = posted;
    }
    if (m->cpu.nonroot && m->vmx.vmcs[m->vmx.cur].direct_nic) {
        uint64_t arrival = net_next_arrival(m->vmx.vmcs[m->vmx.cur].direct_nic);
        if (arrival < next) next = arrival;
    }
    if (m->max_cycles && m->max_cycles < next) next = m->max_cycles;
    if (m->run_until && m->run_until < next) next = m->run_until;
    return next;
}
