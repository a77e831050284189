# interrupt_storm.s — interrupts as fast as the devices can raise them.
#
# Timer: period 1 (a tick every cycle) with interrupts on, a handler that
# acknowledges and counts, and stops the timer at the 50th tick; the same
# while the kernel halts, and while a ring-3 program spins; acknowledging in
# a loop with interrupts off, then a tick left pending when the timer is
# stopped (it must still be delivered: a tick stays raised until it is
# acknowledged); the largest period, read back.
# Console: with input waiting (run with --input abcdefgh) and its interrupt
# enabled (con_ctrl), a handler that at first does not read the byte — the
# interrupt is level-triggered, so it comes straight back — then reads one
# byte per interrupt until the input is gone.
#
# Bare metal: the storms end where the handlers end them; the counts below
# are exact (no cycle count is printed: those differ between techniques by
# design).  A hypervisor must deliver the same interrupts — no more, no
# fewer, none lost — and must neither livelock nor let the storm starve
# anyone else.  Exit code 42.
        .include "lib.s"

        .equ    STOP_AT, 50

        .text
attack:
        la      r1, storm_timer
        la      r2, vectors
        sw      r1, 4 * 9(r2)
        la      r1, storm_console
        sw      r1, 4 * 10(r2)

        # ---- 1: period 1, interrupts on, the kernel spins ----------------
        SAY     "timer storm, kernel spinning\n"
        li      r1, 1
        out     timer_period, r1
        sti
        li      r10, 0
1:      la      r1, ticks
        lw      r2, 0(r1)
        li      r3, STOP_AT
        bge     r2, r3, 2f
        addi    r10, r10, 1
        li      r3, 10000000
        blt     r10, r3, 1b
        SAY     "gave up spinning\n"
2:      cli
        la      r1, ticks
        lw      r8, 0(r1)
        SAYX    "ticks", r8
        in      r8, timer_period
        SAYX    "timer_period after the storm", r8

        # ---- 2: the same while halted ---------------------------------------
        # the storm now ends in a calm period of 100000 cycles, not a stop:
        # sti lets the whole storm in before the hlt, which then waits for
        # the first calm tick (a stopped timer would stop the machine)
        SAY     "timer storm, kernel halting\n"
        la      r1, ticks
        sw      r0, 0(r1)
        la      r1, calm
        li      r2, 100000
        sw      r2, 0(r1)
        li      r1, 1
        out     timer_period, r1
        sti
        li      r10, 0
1:      hlt
        la      r1, ticks
        lw      r2, 0(r1)
        li      r3, STOP_AT
        bge     r2, r3, 2f
        addi    r10, r10, 1
        li      r3, 1000
        blt     r10, r3, 1b
        SAY     "gave up halting\n"
2:      cli
        out     timer_period, r0
        out     timer_ack, r0
        la      r1, calm
        sw      r0, 0(r1)
        la      r1, ticks
        lw      r8, 0(r1)
        SAYX    "ticks", r8

        # ---- 3: the same while ring 3 spins ------------------------------------
        SAY     "timer storm, ring 3 spinning\n"
        la      r1, ticks
        sw      r0, 0(r1)
        li      r1, 1
        out     timer_period, r1
        li      r1, (3 << 1) | 1        # ring 3, interrupts on
        mtcr    esr, r1
        la      r1, user_spin
        mtcr    epc, r1
        la      r1, ustack_top
        mtcr    usp, r1
        iret
user_spin:
        li      r10, 0
1:      la      r1, ticks
        lw      r2, 0(r1)
        li      r3, STOP_AT
        bge     r2, r3, 2f
        addi    r10, r10, 1
        li      r3, 10000000
        blt     r10, r3, 1b
        USAY    "gave up spinning in ring 3"
2:      UBACK   after_user
after_user:
        la      r1, ticks
        lw      r8, 0(r1)
        SAYX    "ticks", r8

        # ---- 4: acknowledge in a loop, interrupts off ------------------------
        SAY     "acknowledging in a loop\n"
        la      r1, ticks
        sw      r0, 0(r1)
        li      r1, 1
        out     timer_period, r1
        li      r10, 200
1:      out     timer_ack, r0
        in      r8, timer_period
        addi    r10, r10, -1
        bnez    r10, 1b
        SAYX    "timer_period", r8
        # a tick is pending again by now; stopping the timer keeps it pending
        out     timer_period, r0
        sti
        nop
        nop
        cli
        la      r1, ticks
        lw      r8, 0(r1)
        SAYX    "ticks after sti (the pending one)", r8
        # stopped and acknowledged: nothing more comes
        sti
        nop
        nop
        cli
        la      r1, ticks
        lw      r8, 0(r1)
        SAYX    "ticks after a second sti", r8

        # ---- 5: the largest period ---------------------------------------------
        li      r1, 0xffffffff
        out     timer_period, r1
        in      r8, timer_period
        SAYX    "largest timer_period", r8
        out     timer_period, r0
        out     timer_ack, r0

        # ---- 6: console interrupt storm ---------------------------------------
        SAY     "console storm\n"
        in      r8, con_status
        SAYX    "con_status", r8
        li      r1, 1
        out     con_ctrl, r1
        sti
        li      r10, 0
1:      addi    r10, r10, 1
        li      r3, 100000
        blt     r10, r3, 1b
        cli
        out     con_ctrl, r0
        la      r1, console_irqs
        lw      r8, 0(r1)
        SAYX    "console interrupts", r8
        la      r1, rx
        lw      r8, 0(r1)
        SAYX    "bytes read", r8
        la      r2, rxbuf
        call    puts
        SAY     "\n"
        in      r8, con_status
        SAYX    "con_status after", r8
        in      r8, con_data
        SAYX    "con_data after", r8
        FINISH

# The timer storm's handler: acknowledge, count, and end the storm at the
# STOP_AT-th tick by setting the period to `calm` (0: stop the timer).
storm_timer:
        push    r1
        push    r2
        out     timer_ack, r0
        la      r1, ticks
        lw      r2, 0(r1)
        addi    r2, r2, 1
        sw      r2, 0(r1)
        li      r1, STOP_AT
        blt     r2, r1, 1f
        la      r1, calm
        lw      r1, 0(r1)
        out     timer_period, r1
1:      pop     r2
        pop     r1
        iret

# The console storm's handler: the first 5 interrupts leave the byte where
# it is (level-triggered: the interrupt comes straight back), then each
# reads one byte into rxbuf.
storm_console:
        push    r1
        push    r2
        push    r3
        la      r1, console_irqs
        lw      r2, 0(r1)
        addi    r2, r2, 1
        sw      r2, 0(r1)
        li      r3, 5
        ble     r2, r3, 1f
        in      r3, con_data
        la      r1, rx
        lw      r2, 0(r1)
        la      r1, rxbuf
        add     r1, r1, r2
        sb      r3, 0(r1)
        addi    r2, r2, 1
        la      r1, rx
        sw      r2, 0(r1)
1:      pop     r3
        pop     r2
        pop     r1
        iret

        .data
        .align  4
console_irqs: .word 0
calm:   .word   0                       # the period the storm ends in
rxbuf:  .space  64
