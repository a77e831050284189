# ipc.s — the guest kernel built with containers, with the "ipc" program
# as init: message queues, and containers with IPC namespaces of their own
# (guests/kernel/ipc.s, guests/kernel/user/ipc.s).
        .equ    CONTAINERS, 1
        .equ    INIT_PROGRAM, PROG_IPC
        .include "kernel/main.s"
