# syscall.s — the guest kernel (guests/kernel/) with the "syscall" workload as
# init.  `ringsim run syscall --args N` sets its iteration count.
        .equ    INIT_PROGRAM, PROG_SYSCALL
        .include "kernel/main.s"
