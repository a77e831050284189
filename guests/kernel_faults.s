# kernel_faults.s — the guest kernel with a misbehaving init: its children
# read address 0, run privileged and illegal instructions, divide by zero,
# write a read-only page, jump into the kernel and loop forever.  Each is
# killed alone and the kernel carries on (tests/test_kernel.c).
        .equ    INIT_PROGRAM, PROG_FAULTS
        .include "kernel/main.s"
