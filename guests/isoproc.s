# isoproc.s — the guest kernel built with containers, whose init starts
# one service as a plain process (guests/kernel/user/service.s): the
# "process" row of `ringsim compare --isolation`.
        .equ    CONTAINERS, 1
        .equ    INIT_PROGRAM, PROG_ISOPROC
        .include "kernel/main.s"
