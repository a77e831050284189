# trap.s — every way into the kernel, and the one way back out to a process.
#
# All sixteen vectors lead to trap_entry, which reads CR cause.  A trap from
# user mode (ring 3) saves every register of the process, with its PC, SR and
# user sp (EPC, ESR, USP), into the process's trap frame in its proc slot;
# the CPU has already put us on the kernel stack (KSP).  The handler for the
# cause then runs, and the way out, usertrapret, either resumes the same
# process or — if it blocked, exited, was killed, yielded, or its time slice
# ended — asks the scheduler for another.  Resuming means loading a trap
# frame back into the registers and executing iret.
#
# There is one kernel stack, not one per process: a process that blocks in
# the kernel (wait) is simply not resumed until its trap frame holds the
# answer (proc.s).  The stack is therefore empty whenever a process runs.
#
# System calls run with interrupts on, as in any kernel with long system
# calls.  A timer interrupt that arrives then is a trap from ring 0: it only
# acknowledges the timer and asks for a reschedule, which happens on the way
# out of the system call.  Page faults and interrupts from user mode run with
# interrupts masked throughout.

        .text

trap_entry:
        WRCR    r1, scratch             # free one register to work with
        RDCR    r1, esr
        andi    r1, r1, SR_RING_MASK
        beqz    r1, kernel_trap         # ring 0 was interrupted
        la      r1, curproc
        lw      r1, 0(r1)
        sw      r2, P_TF + 8(r1)
        sw      r3, P_TF + 12(r1)
        sw      r4, P_TF + 16(r1)
        sw      r5, P_TF + 20(r1)
        sw      r6, P_TF + 24(r1)
        sw      r7, P_TF + 28(r1)
        sw      r8, P_TF + 32(r1)
        sw      r9, P_TF + 36(r1)
        sw      r10, P_TF + 40(r1)
        sw      r11, P_TF + 44(r1)
        sw      r12, P_TF + 48(r1)
        sw      r13, P_TF + 52(r1)
        sw      r15, P_TF + 60(r1)
        RDCR    r2, scratch
        sw      r2, P_TF + 4(r1)
        RDCR    r2, usp                 # the user's sp (sp is now KSP)
        sw      r2, TF_SP(r1)
        RDCR    r2, epc
        sw      r2, TF_EPC(r1)
        RDCR    r2, esr
        sw      r2, TF_ESR(r1)
        RDCR    r2, cause               # dispatch: utrap_table[cause](proc)
        andi    r2, r2, 15
        slli    r2, r2, 2
        la      r3, utrap_table
        add     r3, r3, r2
        lw      r3, 0(r3)
        jalr    lr, r3, 0
        # fall through

# usertrapret: leave the kernel for user mode: the current process if it
# can go on, else whichever the scheduler picks.
usertrapret:
        IRQ_OFF                             # no interrupts between here and iret
        la      r1, need_resched
        lw      r1, 0(r1)
        bnez    r1, schedule
        la      r1, curproc
        lw      r1, 0(r1)
        lw      r2, P_STATE(r1)
        li      r3, PS_RUNNING
        bne     r2, r3, schedule
        # fall through

# return_to_user(r1 = proc): load its trap frame and iret into it.
return_to_user:
        lw      r2, TF_EPC(r1)
        WRCR    r2, epc
        lw      r2, TF_ESR(r1)
        WRCR    r2, esr
        lw      r2, TF_SP(r1)
        WRCR    r2, usp                 # iret puts it in sp (ring > 0)
        lw      r15, P_TF + 60(r1)
        lw      r13, P_TF + 52(r1)
        lw      r12, P_TF + 48(r1)
        lw      r11, P_TF + 44(r1)
        lw      r10, P_TF + 40(r1)
        lw      r9, P_TF + 36(r1)
        lw      r8, P_TF + 32(r1)
        lw      r7, P_TF + 28(r1)
        lw      r6, P_TF + 24(r1)
        lw      r5, P_TF + 20(r1)
        lw      r4, P_TF + 16(r1)
        lw      r3, P_TF + 12(r1)
        lw      r2, P_TF + 8(r1)
        lw      r1, P_TF + 4(r1)
        TRAP_RETURN

# kernel_trap: a trap taken in ring 0, on the kernel stack, on top of
# whatever the kernel was doing.  The only one expected is the timer,
# during a system call; anything else is a kernel bug.  r1 is in scratch.
kernel_trap:
        push    r2
        RDCR    r2, scratch
        push    r2                      # the interrupted r1
        RDCR    r2, cause
        addi    r2, r2, -CAUSE_TIMER
        bnez    r2, 1f
        OUTP    timer_ack, r0
        la      r1, need_resched        # switch on the way out to user mode
        li      r2, 1
        sw      r2, 0(r1)
        .if     CONTAINERS              # count the tick (cgroup.s), keeping
        addi    sp, sp, -24             # what the kernel was doing intact
        sw      lr, 20(sp)
        sw      r3, 16(sp)
        sw      r4, 12(sp)
        sw      r5, 8(sp)
        sw      r6, 4(sp)
        sw      r7, 0(sp)
        call    cg_tick
        lw      r7, 0(sp)
        lw      r6, 4(sp)
        lw      r5, 8(sp)
        lw      r4, 12(sp)
        lw      r3, 16(sp)
        lw      lr, 20(sp)
        addi    sp, sp, 24
        .endif
        pop     r1
        pop     r2
        TRAP_RETURN
        .if     DISK_IRQ                # the disk's completion (disk.s): it ends
1:      addi    r2, r2, CAUSE_TIMER - CAUSE_DISK # sys_disk's sleep
        bnez    r2, 1f
        push    lr
        call    disk_intr
        pop     lr
        RDCR    r1, epc                 # between sys_disk's look at disk_done and
        la      r2, disk_wait           # its hlt (disk_woken)?  Then look again,
        bltu    r1, r2, 3f              # or the hlt would sleep past the news
        la      r2, disk_woken
        bgeu    r1, r2, 3f
        la      r2, disk_wait
        WRCR    r2, epc
3:      pop     r1
        pop     r2
        TRAP_RETURN
        .endif
        .if     NIC                     # the network interface (nic.s): it ends
1:      addi    r2, r2, CAUSE_TIMER - CAUSE_NET # sys_net's sleep
        bnez    r2, 1f
        push    lr
        call    nic_intr
        pop     lr
        RDCR    r1, epc                 # between sys_net's look at the ring and
        la      r2, nic_wait            # its hlt (nic_woken)?  Then look again
        bltu    r1, r2, 3f
        la      r2, nic_woken
        bgeu    r1, r2, 3f
        la      r2, nic_wait
        WRCR    r2, epc
3:      pop     r1
        pop     r2
        TRAP_RETURN
        .endif
1:      la      r1, msg_ktrap1
        call    kputs
        RDCR    r1, cause
        call    kputdec
        la      r1, msg_ktrap2
        call    kputs
        RDCR    r1, epc
        call    kputhex
        la      r1, msg_ktrap3
        call    kputs
        RDCR    r1, badaddr
        call    kputhex
        li      r1, '\n'
        call    kputc
        li      r1, 255
        OUTP    power, r1
2:      j       2b

# ---- handlers for traps from user mode: (r1 = proc), return to usertrapret

# user_timer: the time slice is over.  Acknowledge the tick, check our ring
# (a red pill: smsw), and let usertrapret pick the next process.
user_timer:
        OUTP    timer_ack, r0
        la      r1, need_resched
        li      r2, 1
        sw      r2, 0(r1)
        .if     CONTAINERS              # charge it to its cgroup (cgroup.s)
        push    lr
        call    cg_tick
        pop     lr
        .endif
        j       check_ring              # tail call

# user_ignore: a console interrupt (never enabled) is nobody's fault.
user_ignore:
        ret

# user_syscall: r1 = number, r2..r4 = arguments, r1 = result (README.md).
# Handlers are called as handler(proc, a1, a2, a3) and return the result;
# one that blocks or ends the process changes its state, and usertrapret
# then switches.
user_syscall:
        push    lr
        push    r8
        mov     r8, r1
        IRQ_ON                          # system calls may be interrupted
        lw      r5, P_TF + 4(r8)        # the number
        li      r1, -1
        sltiu   r6, r5, NSYSCALL
        beqz    r6, 1f                  # no such call: -1
        slli    r5, r5, 2
        la      r6, syscall_table
        add     r6, r6, r5
        lw      r6, 0(r6)
        mov     r1, r8
        lw      r2, P_TF + 8(r8)
        lw      r3, P_TF + 12(r8)
        lw      r4, P_TF + 16(r8)
        jalr    lr, r6, 0
1:      sw      r1, P_TF + 4(r8)        # the result, in the process's r1
        pop     r8
        pop     lr
        ret

# user_pgfault: demand-zero paging.  A not-present fault in the heap (below
# the break) or in the stack window gets a fresh zeroed frame, and the
# faulting instruction runs again.  Any other fault kills the process.
user_pgfault:
        addi    sp, sp, -16
        sw      lr, 12(sp)
        sw      r8, 8(sp)
        sw      r9, 4(sp)
        sw      r10, 0(sp)
        mov     r8, r1
        RDCR    r9, badaddr
        RDCR    r10, fault
        # LAB(pgfault) BEGIN: answer a fault in the heap or the stack window with a fresh page
        andi    r2, r10, FAULT_PRESENT
        bnez    r2, 2f                  # a protection fault: not ours to fix
        mov     r2, r9
        call    in_demand_region
        beqz    r1, 2f
        mov     r1, r8
        mov     r2, r9
        call    demand_map
        beqz    r1, 3f
        j       4f
        #|        j       2f              # for now every page fault kills the process
        # LAB(pgfault) END
2:      mov     r1, r8                  # "page fault at 0x... (read, not present)"
        call    kill_message
        la      r1, msg_pf
        call    kputs
        mov     r1, r9
        call    kputhex
        la      r1, msg_pf_read
        andi    r2, r10, FAULT_WRITE
        beqz    r2, 5f
        la      r1, msg_pf_write
5:      andi    r2, r10, FAULT_FETCH
        beqz    r2, 6f
        la      r1, msg_pf_fetch
6:      call    kputs
        la      r1, msg_pf_notpresent
        andi    r2, r10, FAULT_PRESENT
        beqz    r2, 7f
        la      r1, msg_pf_protection
7:      call    kputs
        mov     r1, r8
        li      r2, -1
        call    proc_exit
        j       4f
3:      mov     r1, r8                  # "out of memory at 0x..."
        call    kill_message
        .if     CONTAINERS              # "cgroup 1 over its limit of ..., "
        mov     r1, r8
        call    cg_oom_message
        .endif
        la      r1, msg_oom
        call    kputs
        mov     r1, r9
        call    kputhex
        li      r1, '\n'
        call    kputc
        mov     r1, r8
        li      r2, -1
        call    proc_exit
4:      lw      r10, 0(sp)
        lw      r9, 4(sp)
        lw      r8, 8(sp)
        lw      lr, 12(sp)
        addi    sp, sp, 16
        ret

# user_fault: the process did something no process may (a privileged or
# illegal instruction, a division by zero, ...).  Only it dies; its exit
# code is -1.  The message names the instruction's address (EPC), or for a
# misaligned or bus error the data address (BADADDR).
user_fault:
        push    lr
        push    r8
        mov     r8, r1
        call    kill_message
        RDCR    r2, cause
        sltiu   r3, r2, 11
        bnez    r3, 1f
        li      r2, 11                  # "unexpected trap"
1:      slli    r3, r2, 2
        la      r1, fault_names
        add     r1, r1, r3
        lw      r1, 0(r1)
        push    r2
        call    kputs
        pop     r2
        lw      r1, TF_EPC(r8)
        addi    r2, r2, -CAUSE_MISALIGNED
        sltiu   r2, r2, 2               # misaligned or bus error?
        beqz    r2, 2f
        RDCR    r1, badaddr
2:      call    kputhex
        li      r1, '\n'
        call    kputc
        mov     r1, r8
        li      r2, -1
        call    proc_exit
        pop     r8
        pop     lr
        ret

# kill_message(r1 = proc): print "kernel: pid N killed: ".
kill_message:
        push    lr
        push    r8
        mov     r8, r1
        la      r1, msg_kill1
        call    kputs
        lw      r1, P_PID(r8)
        call    kputdec
        la      r1, msg_kill2
        call    kputs
        pop     r8
        pop     lr
        ret

        .data
        .align  4
# The vector table: VBR holds its physical address (docs/isa.md).
vectors:
        .word   trap_entry, trap_entry, trap_entry, trap_entry
        .word   trap_entry, trap_entry, trap_entry, trap_entry
        .word   trap_entry, trap_entry, trap_entry, trap_entry
        .word   trap_entry, trap_entry, trap_entry, trap_entry

# What each cause means when it comes from user mode.
utrap_table:
        .word   user_fault              # 0 illegal instruction
        .word   user_fault              # 1 protection (privileged instruction)
        .word   user_pgfault            # 2 page fault
        .word   user_fault              # 3 divide by zero
        .word   user_fault              # 4 breakpoint
        .word   user_syscall            # 5 system call
        .word   user_fault              # 6 misaligned
        .word   user_fault              # 7 bus error
        .word   user_fault              # 8 double fault
        .word   user_timer              # 9 timer
        .word   user_ignore             # 10 console
        .if     NIC                     # 11 .. 13 net (nic.s)
        .word   user_fault, user_fault, nic_intr
        .word   user_fault, user_fault
        .else
        .if     DISK_IRQ
        .word   user_fault, disk_intr   # 12 disk (disk.s)
        .word   user_fault, user_fault, user_fault
        .else
        .word   user_fault, user_fault, user_fault, user_fault, user_fault
        .endif
        .endif

fault_names:
        .word   msg_f_illegal, msg_f_priv, msg_f_other, msg_f_div
        .word   msg_f_brk, msg_f_other, msg_f_misaligned, msg_f_bus
        .word   msg_f_other, msg_f_other, msg_f_other, msg_f_other

need_resched:   .word   0               # set by the timer and yield

msg_kill1:      .asciz  "kernel: pid "
msg_kill2:      .asciz  " killed: "
msg_pf:         .asciz  "page fault at "
msg_pf_read:    .asciz  " (read, "
msg_pf_write:   .asciz  " (write, "
msg_pf_fetch:   .asciz  " (fetch, "
msg_pf_notpresent: .asciz "not present)\n"
msg_pf_protection: .asciz "protection)\n"
msg_oom:        .asciz  "out of memory at "
msg_f_illegal:  .asciz  "illegal instruction at "
msg_f_priv:     .asciz  "privileged instruction at "
msg_f_div:      .asciz  "divide by zero at "
msg_f_brk:      .asciz  "breakpoint at "
msg_f_misaligned: .asciz "misaligned access to "
msg_f_bus:      .asciz  "bus error at "
msg_f_other:    .asciz  "unexpected trap at "
msg_ktrap1:     .asciz  "kernel panic: trap "
msg_ktrap2:     .asciz  " in the kernel at "
msg_ktrap3:     .asciz  ", badaddr "
