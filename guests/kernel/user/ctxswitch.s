# ctxswitch.s — the context-switch loop: spawn a partner, then both yield
# the processor back and forth.  With two runnable processes every yield is
# a switch of registers, page table and ASID.  The checksum covers both
# sides but not the order in which they ran, which depends on timing.
        .equ    CTXSWITCH_DEFAULT, 500

ctxswitch_main:
        li      r2, CTXSWITCH_DEFAULT
        call    u_count
        mov     r8, r1                  # r8 = iterations (each side)
        li      r1, SYS_SPAWN
        li      r2, PROG_PARTNER
        mov     r3, r8
        syscall
        blt     r1, r0, 9f
        mov     r11, r1                 # r11 = the partner's pid
        li      r9, 0
        li      r10, FNV_BASIS
        beqz    r8, 2f
1:      li      r1, SYS_YIELD
        syscall
        MIX     r10, r9, r2
        addi    r9, r9, 1
        bne     r9, r8, 1b
2:      li      r1, SYS_WAIT            # its exit code is its checksum
        mov     r2, r11
        syscall
        MIX     r10, r1, r2
        la      r1, ctxswitch_name
        mov     r2, r8
        mov     r3, r10
        call    u_report
        li      r1, 0
        call    u_exit
9:      la      r1, ctxswitch_fail
        call    u_fail

# partner_main(r1 = iterations): yield that many times, exit with a checksum.
partner_main:
        mov     r8, r1
        li      r9, 0
        li      r10, 0x2545f491
        beqz    r8, 2f
1:      li      r1, SYS_YIELD
        syscall
        addi    r2, r9, 7
        MIX     r10, r2, r3
        addi    r9, r9, 1
        bne     r9, r8, 1b
2:      mov     r1, r10
        call    u_exit

ctxswitch_name: .asciz  "ctxswitch"
ctxswitch_fail: .asciz  "ctxswitch: spawn failed\n"
        .align  4
