# shares.s — init for guests/shares.s: the cpu shares of two cgroups,
# measured (CONTAINERS=1 and SHARES=1 kernels; guests/kernel/cgroup.s).
#
# Two groups: A with three processes that compute for ever, B with one.  For
# each pair of shares (1024 and 3072, 1024 and 1024, 4096 and 1024; or 1024
# and the boot argument) the host sets them, starts the four, sleeps one
# period to settle, then reads both groups' ticks (cgroup_stat) before and
# after sleeping SH_WINDOW ticks: the stride scheduler should give each
# group SH_WINDOW * its shares / the sum, whatever the number of processes
# in it (round robin over processes would give A three quarters).  Only the
# host prints, so the output is the same in every mode.
        .equ    SH_WINDOW, 200          # ticks measured
        .equ    SH_NA, 3                # processes in group A (B has one)

shares_main:
        li      r2, 0
        call    u_count                 # r13 = B's shares asked for, 0: the list
        mov     r13, r1
        li      r1, SYS_CG_CREATE       # r8 = A, r9 = B
        syscall
        ble     r1, r0, 9f
        mov     r8, r1
        li      r1, SYS_CG_CREATE
        syscall
        ble     r1, r0, 9f
        mov     r9, r1
        la      r10, sh_list            # r10 = the next pair
        beqz    r13, 1f
        la      r10, sh_one
        sw      r13, 4(r10)
1:      lw      r1, 0(r10)
        beqz    r1, 8f
        mov     r2, r8
        call    sh_set
        lw      r1, 4(r10)
        mov     r2, r9
        call    sh_set
        li      r11, SH_NA + 1          # the four processes
        la      r12, sh_pids
2:      li      r1, SYS_CLONE
        li      r2, PROG_SPIN
        li      r3, 0
        mov     r4, r8                  # A's, then B's last
        li      r5, 1
        bne     r11, r5, 3f
        mov     r4, r9
3:      slli    r4, r4, CLONE_CGROUP_SHIFT
        ori     r4, r4, CLONE_INTO_CGROUP
        syscall
        ble     r1, r0, 9f
        sw      r1, 0(r12)
        addi    r12, r12, 4
        addi    r11, r11, -1
        bnez    r11, 2b
        li      r1, SYS_SLEEP           # settle
        li      r2, CG_PERIOD
        syscall
        mov     r1, r8
        li      r2, CGS_TICKS
        call    ct_stat
        mov     r11, r1                 # r11 = A's ticks before
        mov     r1, r9
        li      r2, CGS_TICKS
        call    ct_stat
        mov     r12, r1                 # r12 = B's
        li      r1, SYS_SLEEP
        li      r2, SH_WINDOW
        syscall
        mov     r1, r8
        li      r2, CGS_TICKS
        call    ct_stat
        sub     r11, r1, r11
        mov     r1, r9
        li      r2, CGS_TICKS
        call    ct_stat
        sub     r12, r1, r12
        li      r4, SH_NA + 1           # stop the four
        la      r5, sh_pids
4:      push    r4
        push    r5
        li      r1, SYS_KILL
        lw      r2, 0(r5)
        syscall
        li      r1, SYS_WAIT
        lw      r5, 0(sp)
        lw      r2, 0(r5)
        syscall
        pop     r5
        pop     r4
        addi    r5, r5, 4
        addi    r4, r4, -1
        bnez    r4, 4b
        lw      r2, 0(r10)              # what the shares say: A's part
        lw      r3, 4(r10)
        add     r3, r2, r3
        li      r4, SH_WINDOW
        mul     r6, r2, r4
        divu    r6, r6, r3
        la      r1, sh_f_round
        lw      r2, 0(r10)
        lw      r3, 4(r10)
        mov     r4, r11
        mov     r5, r12
        call    ct_printf
        li      r1, SH_WINDOW
        sub     r3, r1, r6
        mov     r2, r6
        add     r4, r11, r12
        la      r1, sh_f_want
        call    ct_printf
        addi    r10, r10, 8
        j       1b
8:      li      r1, SYS_CG_SET          # a weight of 0 is no weight
        mov     r2, r8
        li      r3, CGK_SHARES
        li      r4, 0
        syscall
        mov     r11, r1
        mov     r1, r8
        li      r2, CGS_SHARES
        call    ct_stat
        mov     r3, r1
        mov     r2, r11
        la      r1, sh_f_zero
        call    ct_printf
        li      r1, 0
        call    u_exit
9:      la      r1, sh_s_fail
        call    u_fail

# sh_set(r1 = shares, r2 = group): cgroup_set(group, CGK_SHARES, shares).
sh_set:
        mov     r4, r1
        li      r1, SYS_CG_SET
        li      r3, CGK_SHARES
        syscall
        bnez    r1, 1f
        ret
1:      la      r1, sh_s_fail
        call    u_fail

sh_list:        .word   1024, 3072, 1024, 1024, 4096, 1024, 0
sh_one:         .word   1024, 0, 0
sh_pids:        .space  4 * (SH_NA + 1)
sh_f_round:     .asciz  "shares: A %d (3 processes), B %d (1 process): A ran %d of 200 ticks, B %d\n"
sh_f_want:      .asciz  "shares:   by the shares A %d, B %d; ticks charged in the window %d\n"
sh_f_zero:      .asciz  "shares: cgroup_set(A, shares 0): %d; A's shares stay %d\n"
sh_s_fail:      .asciz  "shares: a system call failed\n"
        .align  4
