# cgroupns.s — init for guests/cgroupns.s: cgroup namespaces, the views
# inside and outside (CONTAINERS=1, FS=1, NET=1 and CGNS=1 kernels;
# guests/kernel/cgns.s).
#
# The host (root of the machine, in the root group, whose cgroup namespace
# is the initial one) makes two groups: the container's, with pids.max 8,
# and a neighbour's.  It clones a container into the first with a user and
# a cgroup namespace of its own (CLONE_NEWUSER | CLONE_NEWCGROUP |
# CLONE_INTO_CGROUP).  Inside, its group is "/", number 0, and the only one
# there is: it reads its own counters as group 0, and naming the
# neighbour's group, or its own by the host's number, reading it, moving
# into it, cloning into it or changing its limit is refused.  Outside, the
# host names both groups by their numbers and reads the container's peak.
# Last, a process of the host's root makes a cgroup namespace in the
# neighbour's group and is then moved by the host into the container's:
# its group is now outside its namespace, and getcgroup says -1 (Linux
# shows "/.."), while its namespace's root is still group 0 to it.  Each
# line comes from the one process running that is not waiting, so the
# output is the same in every mode.
        .equ    CGNS_KEY, 77            # the message queue the host wakes the moved process by

cgroupns_main:
        li      r1, SYS_CG_CREATE       # r8 = the container's group
        syscall
        ble     r1, r0, 9f
        mov     r8, r1
        li      r1, SYS_CG_CREATE       # r9 = the neighbour's
        syscall
        ble     r1, r0, 9f
        mov     r9, r1
        li      r1, SYS_CG_SET
        mov     r2, r8
        li      r3, CGK_PIDS
        li      r4, 8
        syscall
        bnez    r1, 9f
        li      r1, SYS_GETCGROUP
        syscall
        mov     r2, r1
        mov     r3, r8
        mov     r4, r9
        la      r1, cn_f_host
        call    ct_printf
        li      r1, SYS_CLONE           # the container: r10 = its pid
        li      r2, PROG_CGNS_CT
        slli    r3, r9, 8               # it is told both numbers, to try them
        or      r3, r3, r8
        slli    r3, r3, 8
        ori     r3, r3, 1
        slli    r4, r8, CLONE_CGROUP_SHIFT
        ori     r4, r4, CLONE_NEWUSER | CLONE_NEWCGROUP | CLONE_INTO_CGROUP
        syscall
        ble     r1, r0, 9f
        mov     r10, r1
        li      r1, SYS_WAIT
        mov     r2, r10
        syscall
        mov     r11, r1                 # r11 = its exit code
        mov     r1, r8
        li      r2, CGS_PROCS_PEAK
        call    ct_stat
        mov     r4, r1
        mov     r1, r9
        li      r2, CGS_PROCS
        call    ct_stat
        mov     r6, r1
        la      r1, cn_f_after
        mov     r2, r11
        mov     r3, r8
        mov     r5, r9
        call    ct_printf
        li      r1, SYS_MSGGET          # the moved process: r11 = the queue
        li      r2, CGNS_KEY
        syscall
        blt     r1, r0, 9f
        mov     r11, r1
        li      r1, SYS_CLONE           # in the neighbour's group, a cgroup
        li      r2, PROG_CGNS_CT        # namespace rooted there
        slli    r3, r9, 16
        ori     r3, r3, 2
        slli    r4, r9, CLONE_CGROUP_SHIFT
        ori     r4, r4, CLONE_NEWCGROUP | CLONE_INTO_CGROUP
        syscall
        ble     r1, r0, 9f
        mov     r10, r1
        li      r1, SYS_CG_ATTACH       # moved into the container's group
        mov     r2, r8
        mov     r3, r10
        syscall
        mov     r4, r1
        la      r1, cn_f_moved
        mov     r2, r10
        mov     r3, r8
        call    ct_printf
        li      r1, SYS_MSGSND          # go on
        mov     r2, r11
        li      r3, 1
        syscall
        li      r1, SYS_WAIT
        mov     r2, r10
        syscall
        mov     r2, r1
        la      r1, cn_f_done
        call    ct_printf
        li      r1, 0
        call    u_exit
9:      la      r1, cn_s_fail
        call    u_fail

# cgns_ct_main(r1 = role | own group << 8 | neighbour's << 16): role 1, the
# container; role 2, the process the host moves out of its namespace.
cgns_ct_main:
        andi    r2, r1, 0xff
        srli    r8, r1, 8
        andi    r8, r8, 0xff            # r8 = its group, by the host's number
        srli    r9, r1, 16              # r9 = the neighbour's
        li      r3, 2
        beq     r2, r3, 5f
cgns_ct_inside:                         # (the container, in its namespaces)
        li      r1, 0
        li      r2, CGS_PROCS
        call    ct_stat
        mov     r10, r1
        li      r1, 0
        li      r2, CGS_PIDS
        call    ct_stat
        mov     r4, r1
        mov     r3, r10
        li      r1, SYS_GETCGROUP
        syscall
        mov     r2, r1
        la      r1, cn_f_inside
        call    ct_printf
        mov     r1, r9                  # the neighbour's group, and its own
        li      r2, CGS_PROCS           # by the host's number
        call    ct_stat
        mov     r10, r1
        mov     r1, r8
        li      r2, CGS_PROCS
        call    ct_stat
        mov     r5, r1
        mov     r3, r10
        la      r1, cn_f_names
        mov     r2, r9
        mov     r4, r8
        call    ct_printf
        li      r1, SYS_CG_ATTACH       # move into the neighbour's
        mov     r2, r9
        li      r3, 0
        syscall
        mov     r10, r1
        li      r1, SYS_CLONE           # clone into it
        li      r2, PROG_SPIN
        li      r3, 0
        slli    r4, r9, CLONE_CGROUP_SHIFT
        ori     r4, r4, CLONE_INTO_CGROUP
        syscall
        mov     r11, r1
        li      r1, SYS_CG_SET          # lift its own limit
        li      r2, 0
        li      r3, CGK_PIDS
        li      r4, 0
        syscall
        mov     r5, r1
        la      r1, cn_f_moves
        mov     r2, r9
        mov     r3, r10
        mov     r4, r11
        call    ct_printf
        li      r1, SYS_UNSHARE         # a namespace below its own: the same root
        li      r2, CLONE_NEWCGROUP
        syscall
        mov     r10, r1
        li      r1, SYS_GETCGROUP
        syscall
        mov     r3, r1
        mov     r2, r10
        la      r1, cn_f_again
        call    ct_printf
        li      r1, 0
        call    u_exit
5:      li      r1, SYS_MSGGET          # wait until the host has moved it
        li      r2, CGNS_KEY
        syscall
        mov     r10, r1
6:      li      r1, SYS_MSGRCV
        mov     r2, r10
        syscall
        li      r2, -1
        bne     r1, r2, 7f
        li      r1, SYS_YIELD
        syscall
        j       6b
7:
cgns_moved:                             # (moved out of its namespace's root)
        li      r1, SYS_GETCGROUP
        syscall
        mov     r10, r1
        li      r1, 0                   # its namespace's root: the neighbour's group
        li      r2, CGS_PROCS
        call    ct_stat
        mov     r4, r1
        la      r1, cn_f_out
        mov     r2, r10
        mov     r3, r9
        call    ct_printf
        li      r1, 0
        call    u_exit

cn_f_host:      .asciz  "cgroupns: host: getcgroup %d; made group %d (the container's, pids.max 8) and group %d (its neighbour's)\n"
cn_f_inside:    .asciz  "cgroupns: container: getcgroup %d, its group is \"/\": %d processes, pids.max %d\n"
cn_f_names:     .asciz  "cgroupns: container: cgroup_stat(%d), the neighbour's group: %d; cgroup_stat(%d), its own by the host's number: %d\n"
cn_f_moves:     .asciz  "cgroupns: container: cgroup_attach(%d): %d; clone into it: %d; cgroup_set(0, pids.max 0): %d\n"
cn_f_again:     .asciz  "cgroupns: container: unshare(CLONE_NEWCGROUP) again: %d; getcgroup %d\n"
cn_f_after:     .asciz  "cgroupns: host: the container exited with %d; group %d had %d processes at its peak, group %d has %d\n"
cn_f_moved:     .asciz  "cgroupns: host: pid %d, with a cgroup namespace rooted at the neighbour's group, moved into group %d: %d\n"
cn_f_out:       .asciz  "cgroupns: moved: getcgroup %d (its group is outside its namespace); its \"/\" is the host's group %d: %d processes\n"
cn_f_done:      .asciz  "cgroupns: host: it exited with %d\n"
cn_s_fail:      .asciz  "cgroupns: a system call failed\n"
        .align  4
