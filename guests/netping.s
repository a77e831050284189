# netping.s — the guest kernel (guests/kernel/) built with the network
# interface's driver (NIC=1: nic.s) and the "netping" workload as init.
# `ringsim run netping --net [--args N]` pings the switch's echo host;
# `ringsim run netping netping --mode hw --net` two VMs ping each other.
        .equ    NIC, 1
        .equ    INIT_PROGRAM, PROG_NETPING
        .include "kernel/main.s"
