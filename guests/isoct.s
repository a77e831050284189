# isoct.s — the guest kernel built with containers, whose init starts the
# same service as a container: new pid, UTS, user and IPC namespaces and a
# cgroup of its own (guests/kernel/user/service.s): the "container" rows of
# `ringsim compare --isolation`.
        .equ    CONTAINERS, 1
        .equ    INIT_PROGRAM, PROG_ISOCT
        .include "kernel/main.s"
