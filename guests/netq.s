# netq.s — the guest kernel with the network interface's split driver
# (NIC=1, NIC_QUEUE=1: nic.s — one doorbell a batch, indices read from the
# rings in memory, interrupts suppressed) and the "netping" workload as
# init: the same workload as guests/netping.s, through the paravirtual
# front end.  `ringsim run netq --net [--args N]`.
        .equ    NIC, 1
        .equ    NIC_QUEUE, 1
        .equ    INIT_PROGRAM, PROG_NETPING
        .include "kernel/main.s"
