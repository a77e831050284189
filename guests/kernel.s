# kernel.s — the guest kernel (guests/kernel/) with its default init, a
# short demo that runs each workload briefly.  `make run` boots it.
        .equ    INIT_PROGRAM, PROG_INIT
        .include "kernel/main.s"
