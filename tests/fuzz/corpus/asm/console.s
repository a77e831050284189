# console.s — the kernel's printing: bytes, strings, hex and decimal numbers.
#
# The console is one port (con_data): every byte written to it appears on the
# simulator's standard output.  There is no buffering and no lock: the kernel
# prints only with interrupts off or from a system call, and a timer tick in
# a system call only asks for a reschedule (trap.s), so one call's output is
# never split by another process's.
#
# Calling convention (as everywhere in the kernel): arguments in r1..r6,
# result in r1, r8..r13 preserved.  These functions clobber only r1..r4
# (selfcheck.s relies on it).

        .text

# kputc(r1 = byte)
kputc:
        OUTP    con_data, r1
        ret

# kputs(r1 = NUL-terminated string)
kputs:
1:      lbu     r2, 0(r1)
        beqz    r2, 2f
        OUTP    con_data, r2
        addi    r1, r1, 1
        j       1b
2:      ret

# kputhex(r1 = value): "0x" and eight hex digits, so lines keep their shape.
kputhex:
        li      r2, '0'
        OUTP    con_data, r2
        li      r2, 'x'
        OUTP    con_data, r2
        li      r3, 28                  # shift of the next nibble
1:      srl     r2, r1, r3
        andi    r2, r2, 15
        la      r4, hexdigits
        add     r4, r4, r2
        lbu     r2, 0(r4)
        OUTP    con_data, r2
        addi    r3, r3, -4
        bge     r3, r0, 1b
        ret

# kputdec(r1 = value): unsigned decimal.  Digits come out lowest first, so
# they are collected on the stack and printed in reverse.
kputdec:
        addi    sp, sp, -16             # room for 10 digits
        mov     r3, sp                  # r3 = next free byte
        li      r4, 10
1:      remu    r2, r1, r4
        addi    r2, r2, '0'
        sb      r2, 0(r3)
        addi    r3, r3, 1
        divu    r1, r1, r4
        bnez    r1, 1b
2:      addi    r3, r3, -1              # print them back, highest first
        lbu     r2, 0(r3)
        OUTP    con_data, r2
        bne     r3, sp, 2b
        addi    sp, sp, 16
        ret

# kputdec_signed(r1 = value): decimal with a '-' for negative values
# (exit codes are signed: a killed process exits with -1).
kputdec_signed:
        bge     r1, r0, kputdec
        li      r2, '-'
        OUTP    con_data, r2
        neg     r1, r1
        j       kputdec

# panic(r1 = message): the kernel found its own state broken.  Print why and
# stop the machine with exit code 255; never returns.
panic:
        IRQ_OFF
        mov     r8, r1
        la      r1, msg_panic
        call    kputs
        mov     r1, r8
        call    kputs
        li      r1, '\n'
        call    kputc
        li      r1, 255
        OUTP    power, r1
1:      j       1b                      # not reached: power stops the machine

        .data
hexdigits:      .ascii  "0123456789abcdef"
msg_panic:      .asciz  "kernel panic: "
