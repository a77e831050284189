# quota.s — init for guests/quota.s: the cpu quota of a cgroup, measured
# (CONTAINERS=1 and QUOTA=1 kernels; guests/kernel/cgroup.s).
#
# For each quota Q (the boot argument, or 1, 2, 5 and 8 in turn) one group
# gets Q ticks in every period of CG_PERIOD, and a process that computes
# for ever is started in it.  Beside a neighbour that computes too, in the
# root group with no quota, the group should get Q / CG_PERIOD of the
# processor; alone, the same Q ticks a period — the rest of the time the
# processor idles, and an idle tick is nobody's.  The host sleeps through
# each window of QT_WINDOW ticks and reads the group's counters
# (cgroup_stat) before and after, so every figure is the kernel's own.
# Last, the root group, with no quota, must never have been throttled.
# Only the host prints, so the output is the same in every mode.
        .equ    QT_WINDOW, 100          # ticks measured, a whole number of periods

quota_main:
        li      r2, 0                   # r8 = the quota asked for, 0: each of the list
        call    u_count
        mov     r8, r1
        li      r1, SYS_CG_CREATE       # r9 = the group
        syscall
        ble     r1, r0, 9f
        mov     r9, r1
        la      r10, qt_list            # r10 = the next quota of the list
        beqz    r8, 1f
        la      r10, qt_one
        sw      r8, 0(r10)
1:      lw      r11, 0(r10)             # r11 = this round's quota
        beqz    r11, 8f
        li      r1, SYS_CG_SET
        mov     r2, r9
        li      r3, CGK_CPU
        mov     r4, r11
        syscall
        bnez    r1, 9f
        li      r1, SYS_CLONE           # the process in the group
        li      r2, PROG_SPIN
        li      r3, 0
        slli    r4, r9, CLONE_CGROUP_SHIFT
        ori     r4, r4, CLONE_INTO_CGROUP
        syscall
        ble     r1, r0, 9f
        mov     r12, r1                 # r12 = its pid
        li      r1, SYS_SPAWN           # its busy neighbour
        li      r2, PROG_SPIN
        li      r3, 0
        syscall
        ble     r1, r0, 9f
        mov     r13, r1                 # r13 = the neighbour's pid
        call    qt_window               # -> r1 ticks, r2 periods throttled
        la      r3, qt_beside
        sw      r1, 0(r3)
        sw      r2, 4(r3)
        li      r1, SYS_KILL            # now alone
        mov     r2, r13
        syscall
        li      r1, SYS_WAIT
        mov     r2, r13
        syscall
        call    qt_window
        mov     r5, r1
        mov     r6, r2
        li      r1, SYS_KILL
        mov     r2, r12
        syscall
        li      r1, SYS_WAIT
        mov     r2, r12
        syscall
        la      r1, qt_f_round
        mov     r2, r11
        la      r3, qt_beside
        lw      r4, 4(r3)
        lw      r3, 0(r3)
        call    ct_printf
        addi    r10, r10, 4
        j       1b
8:      li      r1, 0                   # the root group: no quota, so never throttled
        li      r2, CGS_THROTTLED
        call    ct_stat
        mov     r2, r1
        la      r1, qt_f_root
        call    ct_printf
        li      r1, 0
        call    u_exit
9:      la      r1, qt_s_fail
        call    u_fail

# qt_window(r9 = group) -> r1 = the ticks charged to it, r2 = the periods it
# was throttled in, over QT_WINDOW ticks (after one period to settle).
qt_window:
        push    lr
        push    r10
        push    r11
        li      r1, SYS_SLEEP
        li      r2, CG_PERIOD
        syscall
        mov     r1, r9
        li      r2, CGS_TICKS
        call    ct_stat
        mov     r10, r1
        mov     r1, r9
        li      r2, CGS_THROTTLED
        call    ct_stat
        mov     r11, r1
        li      r1, SYS_SLEEP
        li      r2, QT_WINDOW
        syscall
        mov     r1, r9
        li      r2, CGS_TICKS
        call    ct_stat
        sub     r10, r1, r10
        mov     r1, r9
        li      r2, CGS_THROTTLED
        call    ct_stat
        sub     r2, r1, r11
        mov     r1, r10
        pop     r11
        pop     r10
        pop     lr
        ret

qt_list:        .word   1, 2, 5, 8, 0
qt_one:         .word   0, 0
qt_beside:      .word   0, 0
qt_f_round:     .asciz  "quota: cpu %d ticks in every 10: beside a busy neighbour the group ran %d of 100 ticks, throttled in %d periods; alone %d of 100, throttled in %d\n"
qt_f_root:      .asciz  "quota: the root group, with no quota, was throttled in %d periods\n"
qt_s_fail:      .asciz  "quota: a system call failed\n"
        .align  4
