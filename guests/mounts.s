# mounts.s — the guest kernel built with containers, with the "mounts"
# program as init: a file system, mount namespaces and bind mounts; two
# containers started by `run`, each in a directory of its own, sharing one
# (guests/kernel/fs.s, guests/kernel/user/mounts.s).
        .equ    CONTAINERS, 1
        .equ    FS, 1                   # the file system (kernel/fs.s)
        .equ    INIT_PROGRAM, PROG_MOUNTS
        .include "kernel/main.s"
