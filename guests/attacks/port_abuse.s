# port_abuse.s — in and out on every port number from 0 to 0x30 and on
# large ones (0x31, 0x40, 0x100, 0x1000, 0x7fff, 0x8000, 0xfffe, 0xffff),
# from ring 0: what a kernel may do, but what a hypervisor's virtual devices
# must answer exactly as bare metal's do, for ports it knows and for ports
# it does not.  `in` prints every value read (except timer_now, the cycle
# counter, which differs between techniques by design); `out` writes 0x41
# ('A') everywhere but the power port, so the console shows one 'A', the
# timer starts with a period of 65 cycles (interrupts are off), the console
# interrupt is enabled (no input is waiting); then the timer is stopped,
# leaving the tick it raised pending, and one sti must deliver exactly that
# tick.  Finally `out power` with the exit code.
#
# Bare metal: unknown ports read 0xffffffff and ignore writes; the console
# status reads 0 (no input), its data 0xffffffff; the timer period reads back
# what was written.  Exit code 42 (written to the power port).
        .include "lib.s"

        .macro  INPROBE port
        in      r8, \port
        li      r9, \port
        call    report_in
        .endm

        .macro  INPROBE_QUIET port
        in      r8, \port
        li      r9, \port
        li      r8, 0x0ddba11
        call    report_in
        .endm

        .macro  OUTPROBE port
        out     \port, r10
        .endm

        .text
attack:
        SAY     "in, every port\n"
        INPROBE 0x00
        INPROBE 0x01
        INPROBE 0x02
        INPROBE 0x03
        INPROBE 0x04
        INPROBE 0x05
        INPROBE 0x06
        INPROBE 0x07
        INPROBE 0x08
        INPROBE 0x09
        INPROBE 0x0a
        INPROBE 0x0b
        INPROBE 0x0c
        INPROBE 0x0d
        INPROBE 0x0e
        INPROBE 0x0f
        INPROBE 0x10
        INPROBE 0x11
        INPROBE 0x12
        INPROBE 0x13
        INPROBE 0x14
        INPROBE 0x15
        INPROBE 0x16
        INPROBE 0x17
        INPROBE 0x18
        INPROBE 0x19
        INPROBE 0x1a
        INPROBE 0x1b
        INPROBE 0x1c
        INPROBE 0x1d
        INPROBE 0x1e
        INPROBE 0x1f
        INPROBE 0x20
        INPROBE 0x21
        INPROBE_QUIET 0x22
        INPROBE 0x23
        INPROBE 0x24
        INPROBE 0x25
        INPROBE 0x26
        INPROBE 0x27
        INPROBE 0x28
        INPROBE 0x29
        INPROBE 0x2a
        INPROBE 0x2b
        INPROBE 0x2c
        INPROBE 0x2d
        INPROBE 0x2e
        INPROBE 0x2f
        INPROBE 0x30
        INPROBE 0x31
        INPROBE 0x40
        INPROBE 0x100
        INPROBE 0x1000
        INPROBE 0x7fff
        INPROBE 0x8000
        INPROBE 0xfffe
        INPROBE 0xffff
        SAY     "out, every port but power\n"
        li      r10, 0x41
        OUTPROBE 0x01
        OUTPROBE 0x02
        OUTPROBE 0x03
        OUTPROBE 0x04
        OUTPROBE 0x05
        OUTPROBE 0x06
        OUTPROBE 0x07
        OUTPROBE 0x08
        OUTPROBE 0x09
        OUTPROBE 0x0a
        OUTPROBE 0x0b
        OUTPROBE 0x0c
        OUTPROBE 0x0d
        OUTPROBE 0x0e
        OUTPROBE 0x0f
        OUTPROBE 0x10
        OUTPROBE 0x11
        OUTPROBE 0x12
        OUTPROBE 0x13
        OUTPROBE 0x14
        OUTPROBE 0x15
        OUTPROBE 0x16
        OUTPROBE 0x17
        OUTPROBE 0x18
        OUTPROBE 0x19
        OUTPROBE 0x1a
        OUTPROBE 0x1b
        OUTPROBE 0x1c
        OUTPROBE 0x1d
        OUTPROBE 0x1e
        OUTPROBE 0x1f
        OUTPROBE 0x20
        OUTPROBE 0x21
        OUTPROBE 0x22
        OUTPROBE 0x23
        OUTPROBE 0x24
        OUTPROBE 0x25
        OUTPROBE 0x26
        OUTPROBE 0x27
        OUTPROBE 0x28
        OUTPROBE 0x29
        OUTPROBE 0x2a
        OUTPROBE 0x2b
        OUTPROBE 0x2c
        OUTPROBE 0x2d
        OUTPROBE 0x2e
        OUTPROBE 0x2f
        OUTPROBE 0x30
        OUTPROBE 0x31
        OUTPROBE 0x40
        OUTPROBE 0x100
        OUTPROBE 0x1000
        OUTPROBE 0x7fff
        OUTPROBE 0x8000
        OUTPROBE 0xfffe
        OUTPROBE 0xffff
        SAY     "\n"
        in      r8, timer_period
        SAYX    "timer_period", r8
        in      r8, con_status
        SAYX    "con_status", r8
        # the timer: stop it; the tick it raised stays pending until acknowledged
        li      r1, 0x41
        out     timer_period, r1
        li      r10, 100
1:      addi    r10, r10, -1
        bnez    r10, 1b
        out     timer_period, r0
        out     con_ctrl, r0
        sti
        nop
        nop
        cli
        la      r1, ticks
        lw      r8, 0(r1)
        SAYX    "ticks", r8
        SAY     "done\n"
        li      r1, EXIT_DONE
        out     0x00, r1

# " in XXXXXXXX=VVVVVVVV": port r9, value r8.
report_in:
        push    lr
        addi    r1, r9, 0
        la      r2, .Lin
        call    field
        li      r3, '='
        out     con_data, r3
        addi    r1, r8, 0
        call    hex8
        li      r3, '\n'
        out     con_data, r3
        pop     lr
        ret

        .data
.Lin:   .asciz  "in"
