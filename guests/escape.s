# escape.s — the guest kernel built with containers, with the "escape"
# program as init: a container, root of its own user namespace, tries to
# reach processes, message queues and files outside it, to lift its
# cgroup's limits and to use root of the machine's powers, and is refused
# (guests/kernel/user/mounts.s).
        .equ    CONTAINERS, 1
        .equ    FS, 1                   # the file system (kernel/fs.s)
        .equ    INIT_PROGRAM, PROG_ESCAPE
        .include "kernel/main.s"
