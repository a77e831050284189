# forkwait.s — the guest kernel (guests/kernel/) with the "forkwait" workload as
# init.  `ringsim run forkwait --args N` sets its iteration count.
        .equ    INIT_PROGRAM, PROG_FORKWAIT
        .include "kernel/main.s"
