# proc.s — processes: creating them (spawn), ending them (exit, kill),
# waiting for them (wait), and choosing which one runs (schedule).
#
# A process is a slot in proc_table (struct layout in defs.s).  Its life:
#   UNUSED -> EMBRYO (spawn builds its address space) -> RUNNABLE <-> RUNNING
#   RUNNING -> WAITING (wait() for a live child) -> RUNNABLE (the child exits)
#   any live state -> ZOMBIE (exited, the parent has not collected the code)
#   ZOMBIE -> UNUSED (collected by wait(), or the parent itself exited)
# A process whose parent exits first becomes an orphan (parent 0) and is
# freed the moment it exits: nobody will ask for its code.
#
# Scheduling is round robin over the slots, starting after the process that
# ran last.  A switch is: take the process's trap frame (trap.s), its page
# table and its ASID (vm.s switch_uvm), and iret.  The timer (TIMER_PERIOD
# cycles) ends a time slice, so a process that never makes a system call is
# still preempted.  When no process is left, the machine is powered off
# with the exit code of the first process, init.

        .text

# proc_spawn(r1 = program, r2 = arg, r3 = parent pid) -> r1 = the new pid,
# or -1 (bad program number, no free slot, no memory).  The new process gets
# a whole new address space with the user image copied in, and starts at
# the program's entry point in ring 3 with r1 = arg, every other register 0
# and sp at the top of its stack window.  With CONTAINERS, r4 = clone flags
# (ns.s ns_fork: -1 or E_PERM if they cannot be had), and r2 = its slot.
proc_spawn:
        addi    sp, sp, -28
        sw      lr, 24(sp)
        sw      r8, 20(sp)
        sw      r9, 16(sp)
        sw      r10, 12(sp)
        sw      r11, 8(sp)
        sw      r12, 4(sp)
        sw      r13, 0(sp)
        .if     CONTAINERS
        push    r4                      # the flags, for ns_fork
        .endif
        mov     r8, r1                  # program
        mov     r9, r2                  # arg
        mov     r10, r3                 # parent
        la      r4, user_image          # the image starts with its program table
        lw      r5, 0(r4)
        bgeu    r8, r5, 9f              # no such program
        la      r11, proc_table         # find a free slot
        li      r5, NPROC
1:      lw      r6, P_STATE(r11)
        beqz    r6, 2f
        addi    r11, r11, P_SIZE
        addi    r5, r5, -1
        bnez    r5, 1b
        j       9f                      # the table is full
2:      mov     r1, r11
        li      r2, P_SIZE
        call    memzero                 # every field 0, trap frame included
        li      r5, PS_EMBRYO
        sw      r5, P_STATE(r11)
        .if     CONTAINERS              # its namespaces and cgroup (ns.s)
        mov     r1, r11
        mov     r2, r10
        lw      r3, 0(sp)
        call    ns_fork
        bnez    r1, 11f
        .endif
        call    uvm_create
        beqz    r1, 8f
        mov     r12, r1
        sw      r12, P_ROOT(r11)
        la      r2, user_image
        la      r3, user_image_end
        sub     r3, r3, r2
        mov     r13, r3                 # image size
        call    uvm_load
        bnez    r1, 7f
        li      r2, USER_BASE + PAGE_SIZE - 1   # the heap starts on the page after it
        add     r2, r13, r2
        srli    r2, r2, PAGE_SHIFT
        slli    r2, r2, PAGE_SHIFT
        sw      r2, P_HEAPLO(r11)
        sw      r2, P_BRK(r11)
        sw      r9, P_TF + 4(r11)       # r1 = arg
        la      r4, user_image + 4      # entry point: the program table's word
        slli    r5, r8, 2
        add     r4, r4, r5
        lw      r5, 0(r4)
        sw      r5, TF_EPC(r11)
        li      r5, USER_SR             # ring 3, interrupts on
        sw      r5, TF_ESR(r11)
        li      r5, USTACK_TOP
        sw      r5, TF_SP(r11)
        sw      r10, P_PARENT(r11)
        la      r4, nextpid
        lw      r1, 0(r4)
        addi    r5, r1, 1
        sw      r5, 0(r4)
        sw      r1, P_PID(r11)
        .if     CONTAINERS              # its pid in every namespace
        push    r1
        mov     r1, r11
        call    ns_commit
        pop     r1
        mov     r2, r11
        .endif
        li      r5, PS_RUNNABLE
        sw      r5, P_STATE(r11)
        j       10f
7:      mov     r1, r12                 # out of memory half way: undo
        call    uvm_free
8:
        .if     CONTAINERS
        mov     r1, r11
        call    ns_release
        .endif
        sw      r0, P_STATE(r11)
9:      li      r1, -1
        .if     CONTAINERS
        j       10f
11:     sw      r0, P_STATE(r11)        # ns_fork refused: r1 says why
10:     addi    sp, sp, 4
        .else
10:
        .endif
        lw      r13, 0(sp)
        lw      r12, 4(sp)
        lw      r11, 8(sp)
        lw      r10, 12(sp)
        lw      r9, 16(sp)
        lw      r8, 20(sp)
        lw      lr, 24(sp)
        addi    sp, sp, 28
        ret

# proc_find(r1 = pid) -> r1 = its slot, or 0 if no live or zombie process
# has that pid.  Clobbers r2..r4.
proc_find:
        la      r2, proc_table
        li      r3, NPROC
1:      lw      r4, P_STATE(r2)
        beqz    r4, 2f
        lw      r4, P_PID(r2)
        beq     r4, r1, 3f
2:      addi    r2, r2, P_SIZE
        addi    r3, r3, -1
        bnez    r3, 1b
        li      r2, 0
3:      mov     r1, r2
        ret

# proc_exit(r1 = proc, r2 = code): end a process — the caller itself (exit),
# one the kernel kills, or another process (kill).  Frees its address space,
# settles its children, and hands the code to a waiting parent.
proc_exit:
        addi    sp, sp, -16
        sw      lr, 12(sp)
        sw      r8, 8(sp)
        sw      r9, 4(sp)
        sw      r10, 0(sp)
        mov     r8, r1
        mov     r9, r2
        .if     CONTAINERS              # a namespace's PID 1 takes the
        call    ns_exit                 # namespace with it; leave the cgroup
        .endif
        # Leave its address space before freeing it: the tables in use must
        # never go back to the allocator.  Any root will do for the kernel.
        la      r3, cur_ptb
        lw      r3, 0(r3)
        lw      r4, P_ROOT(r8)
        bne     r3, r4, 1f
        call    switch_kvm
1:      lw      r1, P_ROOT(r8)
        call    uvm_free
        sw      r0, P_ROOT(r8)
        sw      r9, P_XCODE(r8)
        lw      r1, P_PID(r8)           # init's code becomes the machine's
        li      r2, 1
        bne     r1, r2, 2f
        la      r2, init_xcode
        sw      r9, 0(r2)
2:      la      r2, proc_table          # its children: collect the zombies,
        li      r3, NPROC               # orphan the living
3:      lw      r4, P_STATE(r2)
        beqz    r4, 5f
        lw      r5, P_PARENT(r2)
        bne     r5, r1, 5f
        li      r6, PS_ZOMBIE
        bne     r4, r6, 4f
        sw      r0, P_STATE(r2)
        j       5f
4:      sw      r0, P_PARENT(r2)
5:      addi    r2, r2, P_SIZE
        addi    r3, r3, -1
        bnez    r3, 3b
        lw      r1, P_PARENT(r8)        # and its parent: waiting for it?
        beqz    r1, 7f                  # an orphan: nobody to tell
        call    proc_find
        beqz    r1, 7f
        mov     r10, r1
        lw      r2, P_STATE(r10)
        li      r3, PS_WAITING
        bne     r2, r3, 8f
        lw      r2, P_WAITPID(r10)
        li      r3, -1
        beq     r2, r3, 6f
        lw      r3, P_PID(r8)
        bne     r2, r3, 8f
6:      sw      r9, P_TF + 4(r10)       # wait() returns the code in r1
        li      r2, PS_RUNNABLE
        sw      r2, P_STATE(r10)
7:      sw      r0, P_STATE(r8)         # collected: the slot is free
        j       9f
8:      li      r2, PS_ZOMBIE           # keep the code until wait()
        sw      r2, P_STATE(r8)
9:      lw      r10, 0(sp)
        lw      r9, 4(sp)
        lw      r8, 8(sp)
        lw      lr, 12(sp)
        addi    sp, sp, 16
        ret

# proc_wait(r1 = proc, r2 = pid, or -1 for any child) -> r1 = the child's
# exit code, or -1 if it has no such child.  If the child has not exited
# yet, the process blocks (PS_WAITING) and proc_exit later puts the code in
# its trap frame's r1.
proc_wait:
        lw      r3, P_PID(r1)
        li      r4, 0                   # found a matching child at all?
        la      r5, proc_table
        li      r6, NPROC
1:      lw      r7, P_STATE(r5)
        beqz    r7, 3f
        lw      r7, P_PARENT(r5)
        bne     r7, r3, 3f
        li      r7, -1
        beq     r2, r7, 2f
        lw      r7, P_PID(r5)
        bne     r7, r2, 3f
2:      li      r4, 1
        lw      r7, P_STATE(r5)
        addi    r7, r7, -PS_ZOMBIE
        bnez    r7, 3f
        sw      r0, P_STATE(r5)         # a zombie: collect it now
        lw      r1, P_XCODE(r5)
        ret
3:      addi    r5, r5, P_SIZE
        addi    r6, r6, -1
        bnez    r6, 1b
        beqz    r4, 4f
        li      r3, PS_WAITING          # block until it exits
        sw      r3, P_STATE(r1)
        sw      r2, P_WAITPID(r1)
        li      r1, 0
        ret
4:      li      r1, -1
        ret

# schedule: pick the next process to run, round robin, switch to its
# address space and resume it.  Never returns.  Its critical section is the
# scheduler's classic one (interrupts are already off here, so pushf saves
# IE=0 and popf restores it), and each switch checks the ring with smsw.
schedule:
        la      r1, need_resched
        sw      r0, 0(r1)
        CRIT_ENTER
        call    check_ring
        la      r1, curproc
        lw      r8, 0(r1)               # r8 = the one that ran last, or 0
        .if     CONTAINERS              # round robin that survives throttling
        call    sched_pick              # (cgroup.s)
        mov     r12, r1
        beqz    r12, sched_idle         # maybe someone sleeps or is throttled
        .else
        la      r9, proc_table
        li      r10, NPROC - 1          # r10 = index to start after
        beqz    r8, 1f
        sub     r10, r8, r9
        srli    r10, r10, P_SHIFT
1:      li      r11, NPROC              # r11 = slots left to look at
2:      addi    r10, r10, 1
        andi    r10, r10, NPROC - 1
        slli    r12, r10, P_SHIFT
        add     r12, r9, r12            # r12 = candidate
        lw      r3, P_STATE(r12)
        li      r4, PS_RUNNABLE
        beq     r3, r4, 3f
        li      r4, PS_RUNNING
        beq     r3, r4, 3f
        addi    r11, r11, -1
        bnez    r11, 2b
        j       no_process
3:
        .endif
        beqz    r8, 4f                  # the old one goes back in line
        lw      r3, P_STATE(r8)
        li      r4, PS_RUNNING
        bne     r3, r4, 4f
        li      r4, PS_RUNNABLE
        sw      r4, P_STATE(r8)
4:      li      r4, PS_RUNNING
        sw      r4, P_STATE(r12)
        la      r1, curproc
        sw      r12, 0(r1)
        mov     r1, r12
        call    switch_uvm
        CRIT_EXIT
        mov     r1, r12
        j       return_to_user

# no_process: nothing can run.  wait() blocks only while a child lives, and
# the deepest child is never waiting, so this means every process is gone:
# power off with init's exit code.  Anything else is a kernel bug.  So is a
# frame that did not come back: with no process left, exactly the frames
# free after boot must be free again (the kernel's own tables excepted).
no_process:
        la      r2, proc_table
        li      r3, NPROC
1:      lw      r4, P_STATE(r2)
        addi    r4, r4, -PS_WAITING
        beqz    r4, 2f
        addi    r2, r2, P_SIZE
        addi    r3, r3, -1
        bnez    r3, 1b
        la      r1, kmem_nfree
        lw      r1, 0(r1)
        la      r2, kmem_boot_nfree
        lw      r2, 0(r2)
        bne     r1, r2, 3f
        la      r1, init_xcode
        lw      r1, 0(r1)
        OUTP    power, r1
2:      PANIC   "schedule: every process is waiting"
3:      PANIC   "shutdown: page frames leaked"

        .data
        .align  4
curproc:        .word   0               # the running process's slot
nextpid:        .word   0               # the pid the next spawn gets
init_xcode:     .word   0               # init's exit code: the machine's

        .bss
        .align  4
proc_table:     .space  NPROC * P_SIZE
