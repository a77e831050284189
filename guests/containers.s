# containers.s — the guest kernel built with containers (namespaces and control
# groups: guests/kernel/ns.s, cgroup.s), with the "containers" program as init.
        .equ    CONTAINERS, 1
        .equ    INIT_PROGRAM, PROG_CONTAINERS
        .include "kernel/main.s"
