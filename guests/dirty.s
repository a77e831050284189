# dirty.s — the guest kernel (guests/kernel/) built with the "dirty" workload
# as init (DIRTY=1): a program whose memory write rate is its parameter, for
# live migration (docs/migration.md).  `ringsim run dirty --args N`: N pages
# written per pass (default 8).
        .equ    DIRTY, 1
        .equ    INIT_PROGRAM, PROG_DIRTY
        .include "kernel/main.s"
