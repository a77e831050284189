# ptemod.s — the guest kernel (guests/kernel/) with the "ptemod" workload as
# init.  `ringsim run ptemod --args N` sets its iteration count.
        .equ    INIT_PROGRAM, PROG_PTEMOD
        .include "kernel/main.s"
