# syscall.s — the system calls.  The ABI (guests/README.md): r1 = number,
# arguments in r2, r3, r4, the result comes back in r1 and every other
# register is preserved.  -1 means the call failed.
#
# trap.s calls each handler as handler(r1 = proc, r2, r3, r4 = the user's
# r2, r3, r4) and stores what it returns in r1 into the process's r1.
# Pointers from user space are never dereferenced as such: the kernel
# translates them with uva2pa (vm.s), which refuses what the process could
# not touch itself.

        .text

# exit(code): never returns to the caller.
sys_exit:
        j       proc_exit               # (proc, code)

# write(buf, len) -> len, or -1 if buf is not readable (after writing what
# was).  Copies a page at a time to the console.
sys_write:
        addi    sp, sp, -24
        sw      lr, 20(sp)
        sw      r8, 16(sp)
        sw      r9, 12(sp)
        sw      r10, 8(sp)
        sw      r11, 4(sp)
        sw      r12, 0(sp)
        mov     r8, r1                  # proc
        mov     r9, r2                  # buf
        mov     r10, r3                 # len
        li      r11, 0                  # bytes written
1:      bgeu    r11, r10, 3f
        mov     r1, r8
        add     r2, r9, r11
        li      r3, 0
        call    uva2pa
        beqz    r1, 4f
        add     r2, r9, r11             # bytes left in this page ...
        andi    r2, r2, PAGE_SIZE - 1
        li      r3, PAGE_SIZE
        sub     r3, r3, r2
        sub     r4, r10, r11            # ... or in the buffer
        bgeu    r4, r3, 2f
        mov     r3, r4
2:      add     r11, r11, r3
        .if     PV                      # one hypercall for the whole piece
        mov     r2, r1
        HYPERCALL HC_CONSOLE_WRITE
        .else
6:      lbu     r2, 0(r1)               # copy this piece to the console
        out     con_data, r2
        addi    r1, r1, 1
        addi    r3, r3, -1
        bnez    r3, 6b
        .endif
        j       1b
3:      mov     r1, r10
        j       5f
4:      li      r1, -1
5:      lw      r12, 0(sp)
        lw      r11, 4(sp)
        lw      r10, 8(sp)
        lw      r9, 12(sp)
        lw      r8, 16(sp)
        lw      lr, 20(sp)
        addi    sp, sp, 24
        ret

# yield() -> 0: give up the rest of the time slice.
sys_yield:
        la      r1, need_resched
        li      r2, 1
        sw      r2, 0(r1)
        li      r1, 0
        ret

# getpid() -> pid (with CONTAINERS, in the caller's own pid namespace)
sys_getpid:
        .if     CONTAINERS
        j       ns_getpid
        .else
        lw      r1, P_PID(r1)
        ret
        .endif

# sbrk(increment) -> the old break, or -1.  Growing only moves the break:
# the pages come one at a time, zeroed, when first touched (demand-zero,
# trap.s user_pgfault).  Shrinking frees the pages wholly above the new
# break.
sys_sbrk:
        addi    sp, sp, -20
        sw      lr, 16(sp)
        sw      r8, 12(sp)
        sw      r9, 8(sp)
        sw      r10, 4(sp)
        sw      r11, 0(sp)
        mov     r8, r1
        lw      r9, P_BRK(r8)           # old break
        add     r10, r9, r2             # new break
        lw      r3, P_HEAPLO(r8)
        bltu    r10, r3, 9f
        li      r3, HEAP_LIMIT
        bltu    r3, r10, 9f
        sw      r10, P_BRK(r8)
        bgeu    r10, r9, 3f             # grew (or stayed): nothing else to do
        li      r3, PAGE_SIZE - 1       # shrank: unmap [roundup(new), roundup(old))
        add     r10, r10, r3
        srli    r10, r10, PAGE_SHIFT
        slli    r10, r10, PAGE_SHIFT
        add     r11, r9, r3
        srli    r11, r11, PAGE_SHIFT
        slli    r11, r11, PAGE_SHIFT
1:      bgeu    r10, r11, 3f
        lw      r1, P_ROOT(r8)
        mov     r2, r10
        call    uvm_unmap               # -1 for a page never touched: fine
        .if     CONTAINERS              # a page less for its cgroup
        bnez    r1, 2f
        mov     r1, r8
        li      r2, -1
        call    cg_pages_add
2:
        .endif
        addi    r10, r10, PAGE_SIZE
        j       1b
3:      mov     r1, r9
        j       4f
9:      li      r1, -1
4:      lw      r11, 0(sp)
        lw      r10, 4(sp)
        lw      r9, 8(sp)
        lw      r8, 12(sp)
        lw      lr, 16(sp)
        addi    sp, sp, 20
        ret

# spawn(program, arg) -> pid of a new child running `program` with r1 = arg,
# or -1.  (With CONTAINERS, clone(program, arg, 0): ns.s.)
sys_spawn:
        .if     CONTAINERS
        li      r4, 0
        j       sys_clone
        .endif
        lw      r4, P_PID(r1)
        mov     r1, r2
        mov     r2, r3
        mov     r3, r4
        j       proc_spawn

# wait(pid, or -1 for any child) -> the child's exit code, or -1 if there
# is no such child.  Blocks until the child exits.
sys_wait:
        .if     CONTAINERS              # pid as the caller calls it (ns.s)
        push    lr
        call    ns_wait_pid
        pop     lr
        .endif
        j       proc_wait

# user_page_ok(r2 = va) -> r3 = 1 if va is a page-aligned user address
# below the stack top.  Clobbers r3 only.
user_page_ok:
        andi    r3, r2, PAGE_SIZE - 1
        bnez    r3, 1f
        li      r3, USER_BASE
        bltu    r2, r3, 1f
        li      r3, USTACK_TOP
        bgeu    r2, r3, 1f
        li      r3, 1
        ret
1:      li      r3, 0
        ret

# map(vaddr, writable) -> 0, or -1 (bad or already mapped address, no
# memory).  Maps a fresh zeroed page there, read-only unless writable.
sys_map:
        addi    sp, sp, -20
        sw      lr, 16(sp)
        sw      r8, 12(sp)
        sw      r9, 8(sp)
        sw      r10, 4(sp)
        sw      r11, 0(sp)
        mov     r8, r1
        mov     r9, r2                  # va
        mov     r10, r3                 # writable
        call    user_page_ok
        beqz    r3, 9f
        lw      r1, P_ROOT(r8)          # already mapped?
        li      r3, 0
        call    walk
        beqz    r1, 1f
        lw      r1, 0(r1)
        andi    r1, r1, PTE_P
        bnez    r1, 9f
1:
        .if     CONTAINERS              # room in its cgroup?
        mov     r1, r8
        li      r2, 1
        call    cg_room
        beqz    r1, 9f
        .endif
        call    kzalloc
        beqz    r1, 9f
        mov     r11, r1
        li      r5, PTE_P | PTE_U
        beqz    r10, 2f
        ori     r5, r5, PTE_W
2:      lw      r1, P_ROOT(r8)
        mov     r2, r9
        mov     r3, r11
        li      r4, PAGE_SIZE
        call    mappages
        beqz    r1, 3f
        mov     r1, r11
        call    kfree
        j       9f
3:
        .if     CONTAINERS
        mov     r1, r8
        li      r2, 1
        call    cg_pages_add
        .endif
        li      r1, 0
        j       4f
9:      li      r1, -1
4:      lw      r11, 0(sp)
        lw      r10, 4(sp)
        lw      r9, 8(sp)
        lw      r8, 12(sp)
        lw      lr, 16(sp)
        addi    sp, sp, 20
        ret

# unmap(vaddr) -> 0, or -1 if nothing is mapped there.  Frees the frame.
sys_unmap:
        push    lr
        call    user_page_ok
        pop     lr
        beqz    r3, 1f
        .if     CONTAINERS              # and a page less for its cgroup
        push    lr
        push    r1
        lw      r1, P_ROOT(r1)
        call    uvm_unmap
        pop     r2
        bnez    r1, 2f
        mov     r1, r2
        li      r2, -1
        call    cg_pages_add
        li      r1, 0
2:      pop     lr
        ret
        .else
        lw      r1, P_ROOT(r1)
        j       uvm_unmap               # (root, va)
        .endif
1:      li      r1, -1
        ret

# protect(vaddr, writable) -> 0, or -1 if nothing is mapped there.  Sets or
# clears the entry's W bit and drops the TLB's stale copy (invlpg).
sys_protect:
        push    lr
        push    r8
        push    r9
        mov     r8, r2                  # va
        mov     r9, r3                  # writable
        call    user_page_ok
        beqz    r3, 9f
        lw      r1, P_ROOT(r1)
        mov     r2, r8
        li      r3, 0
        call    walk
        beqz    r1, 9f
        lw      r2, 0(r1)
        andi    r3, r2, PTE_P
        beqz    r3, 9f
        ori     r2, r2, PTE_W
        bnez    r9, 1f
        xori    r2, r2, PTE_W
1:      PTE_SET r1, r2
        TLB_INVAL r8
        li      r1, 0
        j       2f
9:      li      r1, -1
2:      pop     r9
        pop     r8
        pop     lr
        ret

# kill(pid) -> 0, or -1 if there is no such live process.  The victim ends
# at once with exit code -1, as if it had called exit(-1).
sys_kill:
        push    lr
        .if     CONTAINERS              # only one the caller sees (ns.s)
        call    pid_lookup
        .else
        mov     r1, r2
        call    proc_find
        .endif
        beqz    r1, 9f
        lw      r2, P_STATE(r1)
        li      r3, PS_ZOMBIE
        beq     r2, r3, 9f
        li      r2, -1
        call    proc_exit
        li      r1, 0
        j       1f
9:      li      r1, -1
1:      pop     lr
        ret

# bootarg(buf, size) -> the length of the boot parameter string (what
# `ringsim run --args` put at physical 0x100), copied NUL-terminated into
# buf, cut to size - 1 characters; -1 if buf is not writable.
sys_bootarg:
        addi    sp, sp, -24
        sw      lr, 20(sp)
        sw      r8, 16(sp)
        sw      r9, 12(sp)
        sw      r10, 8(sp)
        sw      r11, 4(sp)
        sw      r12, 0(sp)
        mov     r8, r1                  # proc
        mov     r9, r2                  # buf
        addi    r10, r3, -1             # room for characters
        li      r11, 0                  # index
        blt     r10, r0, 3f             # size 0: copy nothing
1:      la      r1, bootargs
        add     r1, r1, r11
        lbu     r12, 0(r1)              # r12 = the character (0 at the end)
        bltu    r11, r10, 2f
        li      r12, 0                  # out of room: end it here
2:      mov     r1, r8
        add     r2, r9, r11
        li      r3, 1
        call    uva2pa
        beqz    r1, 9f
        sb      r12, 0(r1)
        addi    r11, r11, 1
        bnez    r12, 1b
3:      la      r1, bootargs            # the result: the whole length
        li      r2, 0
4:      add     r3, r1, r2
        lbu     r3, 0(r3)
        beqz    r3, 5f
        addi    r2, r2, 1
        j       4b
5:      mov     r1, r2
        j       6f
9:      li      r1, -1
6:      lw      r12, 0(sp)
        lw      r11, 4(sp)
        lw      r10, 8(sp)
        lw      r9, 12(sp)
        lw      r8, 16(sp)
        lw      lr, 20(sp)
        addi    sp, sp, 24
        ret

        .data
        .align  4
syscall_table:
        .word   sys_exit                # 0
        .word   sys_write               # 1
        .word   sys_yield               # 2
        .word   sys_getpid              # 3
        .word   sys_sbrk                # 4
        .word   sys_spawn               # 5
        .word   sys_wait                # 6
        .word   sys_map                 # 7
        .word   sys_unmap               # 8
        .word   sys_protect             # 9
        .word   sys_kill                # 10
        .word   sys_bootarg             # 11
        .if     DISK                    # disk.s
        .word   sys_disk                # 12
        .endif
        .if     NIC                     # nic.s
        .word   sys_net                 # 12
        .endif
        .if     CONTAINERS              # ns.s and cgroup.s
        .word   sys_clone               # 12
        .word   sys_unshare             # 13
        .word   sys_setns               # 14
        .word   sys_getppid             # 15
        .word   sys_sethostname         # 16
        .word   sys_gethostname         # 17
        .word   sys_ps                  # 18
        .word   sys_sleep               # 19
        .word   sys_cg_create           # 20
        .word   sys_cg_set              # 21
        .word   sys_cg_attach           # 22
        .word   sys_cg_stat             # 23
        .word   sys_getuid              # 24
        .word   sys_setuid              # 25
        .word   sys_meminfo             # 26
        .word   sys_msgget              # 27
        .word   sys_msgsnd              # 28
        .word   sys_msgrcv              # 29
        .if     FS                      # fs.s
        .word   sys_mkdir               # 30
        .word   sys_writefile           # 31
        .word   sys_readfile            # 32
        .word   sys_listdir             # 33
        .word   sys_mount               # 34
        .word   sys_pivot_root          # 35
        .endif
        .if     NET                     # net.s
        .word   sys_bind                # 36
        .word   sys_sendto              # 37
        .word   sys_recv                # 38
        .word   sys_veth                # 39
        .if     CGNS                    # cgns.s
        .word   sys_getcgroup           # 40
        .endif
        .endif
        .endif
