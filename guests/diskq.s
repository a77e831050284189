# diskq.s — the guest kernel with the split driver (DISK=1, DISK_QUEUE=1:
# guests/kernel/disk.s keeps its requests in a queue in memory, one
# notification each) and the "diskio" workload as init: the same workload
# as guests/diskio.s, through the paravirtual front end.
# `ringsim run diskq --disk d.img:create=256K [--args N]`.
        .equ    DISK, 1
        .equ    DISK_QUEUE, 1
        .equ    INIT_PROGRAM, PROG_DISKIO
        .include "kernel/main.s"
