# isoproc.s — the guest kernel built with containers (every namespace:
# the file system, network and cgroup namespaces too), whose init starts
# one service as a plain process (guests/kernel/user/service.s): the
# "process" row of `ringsim compare --isolation`.
        .equ    CONTAINERS, 1
        .equ    FS, 1
        .equ    NET, 1
        .equ    CGNS, 1
        .equ    INIT_PROGRAM, PROG_ISOPROC
        .include "kernel/main.s"
