# isoct.s — the guest kernel built with containers (every namespace: the
# same kernel as guests/isoproc.s), whose init starts the same service as a
# container: new pid, UTS, user, IPC, mount, network and cgroup namespaces
# and a cgroup of its own (guests/kernel/user/service.s): the "container"
# rows of `ringsim compare --isolation`.
        .equ    CONTAINERS, 1
        .equ    FS, 1
        .equ    NET, 1
        .equ    CGNS, 1
        .equ    INIT_PROGRAM, PROG_ISOCT
        .include "kernel/main.s"
