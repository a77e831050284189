# init.s — the default first process (guests/kernel.s): a short, shell-less
# demo that runs each workload briefly, one after the other, and reports
# any that did not exit cleanly.
init_main:
        la      r1, init_hello
        call    u_puts
        la      r8, init_demo
1:      lw      r2, 0(r8)               # program, or -1 at the end
        blt     r2, r0, 3f
        lw      r3, 4(r8)               # its iteration count
        li      r1, SYS_SPAWN
        syscall
        blt     r1, r0, 9f
        mov     r9, r1
        mov     r2, r1
        li      r1, SYS_WAIT
        syscall
        beqz    r1, 2f
        mov     r10, r1                 # "init: pid 3 exited with code -1"
        la      r1, init_s1
        call    ub_str
        mov     r1, r9
        call    ub_dec
        la      r1, init_s2
        call    ub_str
        mov     r1, r10
        call    ub_dec
        li      r1, '\n'
        call    ub_char
        call    ub_flush
2:      addi    r8, r8, 8
        j       1b
3:      la      r1, init_bye
        call    u_puts
        li      r1, 0
        call    u_exit
9:      la      r1, init_fail
        call    u_fail

init_demo:                              # (program, iterations)
        .word   PROG_SYSCALL, 200
        .word   PROG_COMPUTE, 5000
        .word   PROG_PGFAULT, 32
        .word   PROG_PTEMOD, 20
        .word   PROG_CTXSWITCH, 50
        .word   PROG_TLBSTRIDE, 2
        .word   PROG_FORKWAIT, 5
        .word   -1
init_hello:     .asciz  "init: running each workload briefly\n"
init_bye:       .asciz  "init: done\n"
init_fail:      .asciz  "init: spawn failed\n"
init_s1:        .asciz  "init: pid "
init_s2:        .asciz  " exited with code "
        .align  4
