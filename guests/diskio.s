# diskio.s — the guest kernel (guests/kernel/) built with its block-device
# driver (DISK=1: disk.s) and the "diskio" workload as init.
# `ringsim run diskio --disk d.img:create=256K [--args N]`: N blocks of 4 KiB
# (default 32); a second run over the same disk verifies them.
        .equ    DISK, 1
        .equ    INIT_PROGRAM, PROG_DISKIO
        .include "kernel/main.s"
