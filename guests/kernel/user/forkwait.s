# forkwait.s — address-space creation and destruction (Adams & Agesen's
# "forkwait"): spawn a tiny child and wait for it, over and over.  Each
# spawn builds a whole address space and copies the user image into it;
# each exit tears it down again.
        .equ    FORKWAIT_DEFAULT, 30

forkwait_main:
        li      r2, FORKWAIT_DEFAULT
        call    u_count
        mov     r8, r1                  # r8 = iterations
        li      r9, 0
        li      r10, FNV_BASIS
        beqz    r8, 2f
1:      li      r1, SYS_SPAWN
        li      r2, PROG_CHILD
        mov     r3, r9
        syscall
        blt     r1, r0, 9f
        mov     r2, r1
        li      r1, SYS_WAIT
        syscall
        MIX     r10, r1, r2
        addi    r9, r9, 1
        bne     r9, r8, 1b
2:      la      r1, forkwait_name
        mov     r2, r8
        mov     r3, r10
        call    u_report
        li      r1, 0
        call    u_exit
9:      la      r1, forkwait_fail
        call    u_fail

# child_main(r1 = n): exit at once with 7n + 3.
child_main:
        li      r2, 7
        mul     r1, r1, r2
        addi    r1, r1, 3
        call    u_exit

forkwait_name:  .asciz  "forkwait"
forkwait_fail:  .asciz  "forkwait: spawn failed\n"
        .align  4
