# tlbstride.s — the guest kernel (guests/kernel/) with the "tlbstride" workload as
# init.  `ringsim run tlbstride --args N` sets its iteration count.
        .equ    INIT_PROGRAM, PROG_TLBSTRIDE
        .include "kernel/main.s"
