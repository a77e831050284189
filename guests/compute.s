# compute.s — the guest kernel (guests/kernel/) with the "compute" workload as
# init.  `ringsim run compute --args N` sets its iteration count.
        .equ    INIT_PROGRAM, PROG_COMPUTE
        .include "kernel/main.s"
