# container_netns.s — containers in the guest kernel that try to reach
# another's loopback and to wire themselves to the host's bridge: over the
# bridge, from the host, by veth.
#
# The kernel is the one `ringsim run netns` runs (guests/netns.s: built with
# containers, the file system and network namespaces;
# guests/kernel/user/netns.s).  Bare metal refuses each attempt (-1, or -2
# for a veth from a container's root); under every technique the same
# packets must arrive and the same attempts be refused, while the
# hypervisor's audit holds.  The pv column runs the same source built
# paravirtual (-D PV=1).
        .equ    CONTAINERS, 1
        .equ    FS, 1
        .equ    NET, 1
        .equ    INIT_PROGRAM, PROG_NETNS
        .include "../kernel/main.s"
