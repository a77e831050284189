# timer_storm.s — a guest that asks its timer for an interrupt every cycle.
#
# Run beside others under hardware assist (`ringsim run guests/attacks/
# timer_storm.img syscall --mode hw`), it tries to take the machine from its
# neighbours: every tick of its virtual timer is an interrupt the hypervisor
# must inject, and every acknowledgement an I/O exit.  A fair hypervisor lets
# it have its interrupts (coalesced: ticks missed while one is pending are
# that one) within its own slice and no more; the others run as if it were
# an ordinary neighbour (tests/test_hw_isolation.c).
#
# It stops itself after STORM_TICKS interrupts, so that a run ends: exit
# code 0.  Anything but a timer interrupt ends it with code 99.
        .equ    STORM_TICKS, 3000

        .text
        .global _start
_start:
        la      r1, vectors
        mtcr    vbr, r1
        li      r1, 1
        out     timer_period, r1        # a tick every cycle
        sti
1:      addi    r10, r10, 1             # nothing to do but be interrupted
        j       1b

tick:
        out     timer_ack, r0
        addi    r11, r11, 1
        li      r1, STORM_TICKS
        bge     r11, r1, done
        iret
done:
        out     power, r0

other:
        li      r1, 99
        out     power, r1

        .data
        .align  4
vectors:
        .word   other, other, other, other, other, other, other, other
        .word   other, tick, other, other, other, other, other, other
