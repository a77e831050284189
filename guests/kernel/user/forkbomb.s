# forkbomb.s — init for guests/forkbomb.s: a fork bomb in a container,
# contained by its cgroup while a neighbour computes (CONTAINERS=1 kernels
# only).
#
# The bomb's cgroup may hold FB_PIDS processes and use FB_CPU ticks in every
# period of CG_PERIOD; the neighbour's group has no limits.  Each bomb
# process spawns copies of itself until a spawn is refused, then computes
# for ever, as does the neighbour.  Without the cgroup the bomb would fill
# the process table and, with its many processes, take nearly all the
# processor; with it, the host measures over FB_WINDOW ticks what each
# group got, and can still start processes.  Killing the bomb's PID 1 ends
# its whole pid namespace.  Only the host prints, after the fact, so the
# output is the same in every mode.
        .equ    FB_PIDS, 8
        .ifndef FB_CPU                  # (ringsim asm -D FB_CPU=0: no quota)
        .equ    FB_CPU, 2
        .endif
        .equ    FB_WINDOW, 200

forkbomb_main:
        li      r1, SYS_CG_CREATE       # r8 = the bomb's group
        syscall
        ble     r1, r0, 9f
        mov     r8, r1
        li      r1, SYS_CG_SET
        mov     r2, r8
        li      r3, CGK_CPU
        li      r4, FB_CPU
        syscall
        bnez    r1, 9f
        li      r1, SYS_CG_SET
        mov     r2, r8
        li      r3, CGK_PIDS
        li      r4, FB_PIDS
        syscall
        bnez    r1, 9f
        li      r1, SYS_CG_CREATE       # r9 = the neighbour's
        syscall
        ble     r1, r0, 9f
        mov     r9, r1
        mov     r1, r8                  # its limits, as the kernel has them
        li      r2, CGS_CPU
        call    ct_stat
        mov     r12, r1
        mov     r1, r8
        li      r2, CGS_PIDS
        call    ct_stat
        mov     r5, r1
        la      r1, fb_f_limits
        mov     r2, r8
        mov     r3, r12
        li      r4, CG_PERIOD
        call    ct_printf
        li      r1, SYS_SPAWN           # r10 = the neighbour, moved to its
        li      r2, PROG_SPIN           # group (the bomb, below, starts in
        li      r3, 0                   # its own: CLONE_INTO_CGROUP)
        syscall
        ble     r1, r0, 9f
        mov     r10, r1
        li      r1, SYS_CG_ATTACH
        mov     r2, r9
        mov     r3, r10
        syscall
        bnez    r1, 9f
        li      r1, SYS_CLONE           # r11 = the bomb, a container
        li      r2, PROG_BOMB
        li      r3, 0
        slli    r4, r8, CLONE_CGROUP_SHIFT
        ori     r4, r4, CLONE_INTO_CGROUP | CLONE_NEWPID
        syscall
        ble     r1, r0, 9f
        mov     r11, r1
        li      r12, 1000               # until the bomb fills its group
1:      addi    r12, r12, -1
        beqz    r12, 9f
        li      r1, SYS_SLEEP
        li      r2, CG_PERIOD
        syscall
        mov     r1, r8
        li      r2, CGS_PROCS
        call    ct_stat
        li      r2, FB_PIDS
        blt     r1, r2, 1b
        li      r1, SYS_SLEEP           # and a while longer
        li      r2, 2 * CG_PERIOD
        syscall
        mov     r1, r8                  # measure: r12, r13 = their ticks
        li      r2, CGS_TICKS
        call    ct_stat
        mov     r12, r1
        mov     r1, r9
        li      r2, CGS_TICKS
        call    ct_stat
        mov     r13, r1
        li      r1, SYS_SLEEP
        li      r2, FB_WINDOW
        syscall
        mov     r1, r8
        li      r2, CGS_TICKS
        call    ct_stat
        sub     r12, r1, r12
        mov     r1, r9
        li      r2, CGS_TICKS
        call    ct_stat
        sub     r13, r1, r13
        mov     r1, r8                  # how big the bomb grew
        li      r2, CGS_PROCS_PEAK
        call    ct_stat
        push    r1
        mov     r1, r8
        li      r2, CGS_REFUSED
        call    ct_stat
        mov     r3, r1
        pop     r2
        la      r1, fb_f_grew
        call    ct_printf
        la      r1, fb_f_share
        li      r2, FB_WINDOW
        mov     r3, r12
        mov     r4, r13
        call    ct_printf
        li      r1, SYS_SPAWN           # the host can still start processes
        li      r2, PROG_CHILD
        li      r3, 5
        syscall
        blt     r1, r0, 9f
        mov     r2, r1
        li      r1, SYS_WAIT
        syscall
        mov     r2, r1
        la      r1, fb_f_spawn
        call    ct_printf
        li      r1, SYS_KILL            # stop the bomb: its PID 1 takes the
        mov     r2, r11                 # namespace with it
        syscall
        mov     r12, r1
        mov     r1, r8
        li      r2, CGS_PROCS
        call    ct_stat
        mov     r4, r1
        la      r1, fb_f_kill
        mov     r2, r11
        mov     r3, r12
        call    ct_printf
        li      r1, SYS_KILL            # and the neighbour, still computing
        mov     r2, r10
        syscall
        mov     r3, r1
        la      r1, fb_f_neighbour
        mov     r2, r10
        call    ct_printf
        li      r1, SYS_WAIT
        mov     r2, r10
        syscall
        li      r1, SYS_WAIT
        mov     r2, r11
        syscall
        li      r1, 0
        call    u_exit
9:      la      r1, fb_s_fail
        call    u_fail

# bomb_main: spawn copies of this program until a spawn is refused, then
# compute for ever.
bomb_main:
        li      r1, SYS_SPAWN
        li      r2, PROG_BOMB
        li      r3, 0
        syscall
        bge     r1, r0, bomb_main
        # fall through

# spin_main: compute for ever, making no system call.
spin_main:
1:      addi    r8, r8, 1
        xor     r9, r9, r8
        j       1b

fb_f_limits:    .asciz  "forkbomb: cgroup %d for the bomb: cpu %d ticks in every %d, pids.max %d\n"
fb_f_grew:      .asciz  "forkbomb: the bomb grew to %d processes; %d spawns were refused\n"
fb_f_share:     .asciz  "forkbomb: while the host slept %d ticks, the bomb's cgroup ran %d ticks and the neighbour's %d\n"
fb_f_spawn:     .asciz  "forkbomb: the host can still start a process: it exited with %d\n"
fb_f_kill:      .asciz  "forkbomb: kill(%d), the bomb's PID 1: %d; processes left in its cgroup: %d\n"
fb_f_neighbour: .asciz  "forkbomb: kill(%d), the neighbour, still computing: %d\n"
fb_s_fail:      .asciz  "forkbomb: a system call failed\n"
        .align  4
