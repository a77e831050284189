# netns.s — the guest kernel built with containers, the file system and
# network namespaces, with the "netns" program as init: a loopback per
# namespace, veth pairs from two containers to the host's bridge, packets
# through it, and what each cannot reach (guests/kernel/net.s,
# guests/kernel/user/netns.s).
        .equ    CONTAINERS, 1
        .equ    FS, 1                   # the file system (kernel/fs.s)
        .equ    NET, 1                  # network namespaces (kernel/net.s)
        .equ    INIT_PROGRAM, PROG_NETNS
        .include "kernel/main.s"
