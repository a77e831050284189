# tour.s — a first tour of the machine, and the end-to-end test of issue #2.
#
# A tiny kernel sets up the vector table and a kernel stack, starts the
# timer, and drops to a user program in ring 3 with iret.  The user program
# makes system calls (write, ticks, exit), waits for the timer to tick three
# times, and finally tries a privileged instruction, which the CPU turns into
# a protection fault that the kernel reports.
#
# System calls: r1 = number, r2 = argument, result in r1; r1..r7 clobbered.
        .equ    SYS_EXIT, 0
        .equ    SYS_WRITE, 1            # r2 = NUL-terminated string
        .equ    SYS_TICKS, 2            # returns the timer ticks so far
        .equ    TIMER_PERIOD, 50000     # cycles between timer interrupts
        .equ    USER_RING, 3

        .text
        .global _start
_start:
        la      r1, vectors
        mtcr    vbr, r1                 # where traps go
        la      r1, kstack_top
        mtcr    ksp, r1                 # the stack traps from user mode land on
        li      r1, TIMER_PERIOD
        out     timer_period, r1        # start the periodic timer
        la      r2, msg_boot
        call    kputs
        # "Return" to user mode: iret loads SR from ESR and PC from EPC, and
        # since ESR says ring 3, sp from USP.
        li      r1, (USER_RING << 1) | 1        # ring 3, interrupts on
        mtcr    esr, r1
        la      r1, user_main
        mtcr    epc, r1
        la      r1, ustack_top
        mtcr    usp, r1
        iret

# ---- the kernel ----------------------------------------------------------
# kputs: print the NUL-terminated string at r2.  Clobbers r2, r3.
kputs:
1:      lbu     r3, 0(r2)
        beqz    r3, 2f
        out     con_data, r3
        addi    r2, r2, 1
        j       1b
2:      ret

# System call: the CPU has switched to the kernel stack and saved the user's
# pc+4 in EPC, so iret returns after the syscall instruction.
trap_syscall:
        push    lr
        li      r3, SYS_WRITE
        beq     r1, r3, sys_write
        li      r3, SYS_TICKS
        beq     r1, r3, sys_ticks
        li      r3, SYS_EXIT
        beq     r1, r3, sys_exit
        li      r1, -1                  # unknown call
        j       sys_return
sys_write:
        call    kputs
        li      r1, 0
        j       sys_return
sys_ticks:
        la      r3, ticks
        lw      r1, 0(r3)
sys_return:
        pop     lr
        iret
sys_exit:
        la      r2, msg_exit
        call    kputs
        out     power, r0

# Timer interrupt: count the tick, acknowledge it, go back to whatever ran.
# An interrupt can arrive between any two user instructions, so save what we use.
trap_timer:
        push    r1
        push    r2
        la      r1, ticks
        lw      r2, 0(r1)
        addi    r2, r2, 1
        sw      r2, 0(r1)
        out     timer_ack, r0
        pop     r2
        pop     r1
        iret

# Protection fault: the user ran a privileged instruction.  Report and stop.
trap_protection:
        la      r2, msg_prot
        call    kputs
        li      r1, 3
        out     power, r1               # exit code 3: ended by a fault

# Anything else: report the cause number and stop with code 99.
trap_other:
        la      r2, msg_other
        call    kputs
        li      r1, 99
        out     power, r1

# ---- the user program (ring 3) --------------------------------------------
user_main:
        li      r1, SYS_WRITE
        la      r2, msg_hello
        syscall
1:      li      r1, SYS_TICKS           # spin until the timer has ticked 3 times
        syscall
        li      r2, 3
        blt     r1, r2, 1b
        li      r1, SYS_WRITE
        la      r2, msg_ticks
        syscall
        cli                             # privileged: faults in ring 3
        li      r1, SYS_EXIT            # never reached
        syscall

        .data
        .align  4
vectors:                                # one handler per cause number
        .word   trap_other              # 0 illegal
        .word   trap_protection         # 1 protection
        .word   trap_other              # 2 page fault
        .word   trap_other              # 3 divide
        .word   trap_other              # 4 breakpoint
        .word   trap_syscall            # 5 syscall
        .word   trap_other              # 6 misaligned
        .word   trap_other              # 7 bus error
        .word   trap_other              # 8 double fault
        .word   trap_timer              # 9 timer
        .word   trap_other              # 10 console
        .space  5 * 4
ticks:  .word   0
msg_boot:  .asciz "kernel: booting, dropping to ring 3\n"
msg_hello: .asciz "user: hello from ring 3\n"
msg_ticks: .asciz "user: the timer ticked 3 times\n"
msg_prot:  .asciz "kernel: protection fault in user mode, program ended\n"
msg_exit:  .asciz "kernel: program exited\n"
msg_other: .asciz "kernel: unexpected trap\n"
        .align  4
        .space  1024
kstack_top:
        .space  1024
ustack_top:
