# pgfault.s — the guest kernel (guests/kernel/) with the "pgfault" workload as
# init.  `ringsim run pgfault --args N` sets its iteration count.
        .equ    INIT_PROGRAM, PROG_PGFAULT
        .include "kernel/main.s"
