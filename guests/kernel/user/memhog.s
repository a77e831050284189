# memhog.s — init for guests/memhog.s: a memory hog killed inside its
# cgroup while its neighbour runs on (CONTAINERS=1 kernels only).
#
# Two containers, each in a cgroup of MH_LIMIT pages.  The hog grows its
# heap a page at a time and touches each page until the kernel refuses it
# one: the page fault kills it (an out-of-memory kill in its group).  The
# neighbour fills MH_PAGES pages of its own and keeps rewriting them until
# it sees the hog's kill counted, then checks them and exits with their
# checksum: it was running the whole time and lost nothing.  Only the host
# (and the kernel's kill message) prints, so the output is the same in
# every mode.
        .equ    MH_LIMIT, 40
        .equ    MH_PAGES, 16

memhog_main:
        li      r1, SYS_CG_CREATE       # r8 = the hog's group
        syscall
        ble     r1, r0, 9f
        mov     r8, r1
        li      r1, SYS_CG_CREATE       # r9 = the neighbour's
        syscall
        ble     r1, r0, 9f
        mov     r9, r1
        li      r1, SYS_CG_SET
        mov     r2, r8
        li      r3, CGK_MEMORY
        li      r4, MH_LIMIT
        syscall
        bnez    r1, 9f
        li      r1, SYS_CG_SET
        mov     r2, r9
        li      r3, CGK_MEMORY
        li      r4, MH_LIMIT
        syscall
        bnez    r1, 9f
        mov     r1, r8
        li      r2, CGS_MEMORY
        call    ct_stat
        mov     r4, r1
        la      r1, mh_f_limits
        mov     r2, r8
        mov     r3, r9
        call    ct_printf
        li      r1, SYS_CLONE           # r10 = the neighbour
        li      r2, PROG_MH_NEIGHBOUR
        mov     r3, r8                  # (it watches the hog's group)
        slli    r4, r9, CLONE_CGROUP_SHIFT
        ori     r4, r4, CLONE_INTO_CGROUP | CLONE_NEWPID
        syscall
        ble     r1, r0, 9f
        mov     r10, r1
        li      r1, SYS_CLONE           # r11 = the hog
        li      r2, PROG_HOG
        li      r3, 0
        slli    r4, r8, CLONE_CGROUP_SHIFT
        ori     r4, r4, CLONE_INTO_CGROUP | CLONE_NEWPID
        syscall
        ble     r1, r0, 9f
        mov     r11, r1
        li      r1, SYS_WAIT            # r12 = their exit codes
        mov     r2, r11
        syscall
        mov     r12, r1
        li      r1, SYS_WAIT
        mov     r2, r10
        syscall
        mov     r13, r1
        mov     r1, r8                  # the hog's group
        li      r2, CGS_PAGES_PEAK
        call    ct_stat
        push    r1
        mov     r1, r8
        li      r2, CGS_KILLS
        call    ct_stat
        mov     r5, r1
        pop     r6
        la      r1, mh_f_hog
        mov     r2, r11
        mov     r3, r12
        mov     r4, r8
        call    ct_printf
        mov     r1, r9                  # the neighbour's
        li      r2, CGS_PAGES_PEAK
        call    ct_stat
        push    r1
        mov     r1, r9
        li      r2, CGS_KILLS
        call    ct_stat
        mov     r5, r1
        pop     r6
        la      r1, mh_f_neighbour
        mov     r2, r10
        mov     r3, r13
        mov     r4, r9
        call    ct_printf
        mov     r1, r8                  # nothing left charged
        li      r2, CGS_PAGES
        call    ct_stat
        push    r1
        mov     r1, r9
        li      r2, CGS_PAGES
        call    ct_stat
        mov     r3, r1
        pop     r2
        la      r1, mh_f_after
        call    ct_printf
        li      r1, 0
        call    u_exit
9:      la      r1, mh_s_fail
        call    u_fail

# hog_main: a page more, and touch it, for ever.
hog_main:
1:      li      r1, SYS_SBRK
        li      r2, PAGE_SIZE
        syscall
        blt     r1, r0, 2f
        sw      r1, 0(r1)               # the page fault that brings it in
        j       1b
2:      li      r1, 1
        call    u_exit

# mh_neighbour_main(r1 = the hog's cgroup): write a word in each of
# MH_PAGES fresh pages, again and again until the hog's group has an
# out-of-memory kill, then exit with the checksum of what the pages hold.
mh_neighbour_main:
        mov     r8, r1
        li      r1, SYS_SBRK
        li      r2, MH_PAGES * PAGE_SIZE
        syscall
        blt     r1, r0, 9f
        mov     r9, r1                  # r9 = the pages
1:      li      r10, 0                  # a pass: page i gets 7i + 1
2:      li      r2, 7
        mul     r2, r10, r2
        addi    r2, r2, 1
        slli    r3, r10, PAGE_SHIFT
        add     r3, r9, r3
        sw      r2, 0(r3)
        addi    r10, r10, 1
        li      r2, MH_PAGES
        bne     r10, r2, 2b
        mov     r1, r8
        li      r2, CGS_KILLS
        call    ct_stat
        beqz    r1, 1b
        li      r10, 0                  # the hog is gone: read them back
        li      r11, FNV_BASIS
3:      slli    r3, r10, PAGE_SHIFT
        add     r3, r9, r3
        lw      r2, 0(r3)
        MIX     r11, r2, r3
        addi    r10, r10, 1
        li      r2, MH_PAGES
        bne     r10, r2, 3b
        mov     r1, r11
        call    u_exit
9:      li      r1, 1
        call    u_exit

mh_f_limits:    .asciz  "memhog: cgroups %d (the hog) and %d (its neighbour), memory.max %d pages each\n"
mh_f_hog:       .asciz  "memhog: the hog (pid %d) exited with %d; cgroup %d: %d out-of-memory kills, peak %d pages\n"
mh_f_neighbour: .asciz  "memhog: the neighbour (pid %d) exited with %x; cgroup %d: %d out-of-memory kills, peak %d pages\n"
mh_f_after:     .asciz  "memhog: pages charged now: %d and %d\n"
mh_s_fail:      .asciz  "memhog: a system call failed\n"
        .align  4
