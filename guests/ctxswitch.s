# ctxswitch.s — the guest kernel (guests/kernel/) with the "ctxswitch" workload as
# init.  `ringsim run ctxswitch --args N` sets its iteration count.
        .equ    INIT_PROGRAM, PROG_CTXSWITCH
        .include "kernel/main.s"
