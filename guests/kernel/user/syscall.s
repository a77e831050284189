# syscall.s — the system-call loop (Adams & Agesen's "syscall"): getpid, as
# cheap a call as there is, so the cost measured is the round trip into the
# kernel and back.
        .equ    SYSCALL_DEFAULT, 2000

syscall_main:
        li      r2, SYSCALL_DEFAULT
        call    u_count
        mov     r8, r1                  # r8 = iterations
        li      r9, 0                   # r9 = i
        li      r10, FNV_BASIS          # r10 = checksum
        beqz    r8, 2f
1:      li      r1, SYS_GETPID
        syscall
        add     r1, r1, r9
        MIX     r10, r1, r2
        addi    r9, r9, 1
        bne     r9, r8, 1b
2:      la      r1, syscall_name
        mov     r2, r8
        mov     r3, r10
        call    u_report
        li      r1, 0
        call    u_exit

syscall_name:   .asciz  "syscall"
        .align  4
