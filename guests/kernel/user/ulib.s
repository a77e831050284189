# ulib.s — the user library: system-call wrappers, a line buffer for
# output, and what every workload shares (its iteration count, its report).
#
# System calls (README.md): r1 = number, r2.. = arguments, r1 = result; the
# kernel preserves every other register.  The functions here follow the
# kernel's convention: arguments r1..r6, result r1, r1..r7 clobbered,
# r8..r13 preserved.

        .equ    UBUF_SIZE, 120
        .equ    FNV_BASIS, 0x811c9dc5   # checksums: FNV-1a, a word at a time
        .equ    FNV_PRIME, 0x01000193

# MIX cs, v, t: fold v into the checksum cs (t is clobbered).
        .macro  MIX cs, v, t
        xor     \cs, \cs, \v
        li      \t, FNV_PRIME
        mul     \cs, \cs, \t
        .endm

# XORSHIFT x, t: one step of Marsaglia's xorshift generator on x
# (x ^= x << 13; x ^= x >> 17; x ^= x << 5; t is clobbered).
        .macro  XORSHIFT x, t
        slli    \t, \x, 13
        xor     \x, \x, \t
        srli    \t, \x, 17
        xor     \x, \x, \t
        slli    \t, \x, 5
        xor     \x, \x, \t
        .endm

# u_exit(r1 = code): never returns.
u_exit:
        mov     r2, r1
        li      r1, SYS_EXIT
        syscall
1:      j       1b

# u_puts(r1 = string): write it out at once.
u_puts:
        mov     r2, r1
        li      r3, 0
1:      add     r4, r2, r3
        lbu     r4, 0(r4)
        beqz    r4, 2f
        addi    r3, r3, 1
        j       1b
2:      li      r1, SYS_WRITE
        syscall
        ret

# ub_char(r1 = byte): add to the line buffer (written out when full and by
# ub_flush).  A line goes out in one write, so lines of two processes never
# mix.
ub_char:
        la      r2, ubuf_len
        lw      r3, 0(r2)
        la      r4, ubuf
        add     r4, r4, r3
        sb      r1, 0(r4)
        addi    r3, r3, 1
        sw      r3, 0(r2)
        li      r4, UBUF_SIZE
        bgeu    r3, r4, ub_flush
        ret

# ub_flush: write out the line buffer.
ub_flush:
        la      r2, ubuf
        la      r3, ubuf_len
        lw      r3, 0(r3)
        li      r1, SYS_WRITE
        syscall
        la      r3, ubuf_len
        sw      r0, 0(r3)
        ret

# ub_str(r1 = string)
ub_str:
        push    lr
        push    r8
        mov     r8, r1
1:      lbu     r1, 0(r8)
        beqz    r1, 2f
        call    ub_char
        addi    r8, r8, 1
        j       1b
2:      pop     r8
        pop     lr
        ret

# ub_hex(r1 = value): "0x" and eight hex digits.
ub_hex:
        push    lr
        push    r8
        push    r9
        mov     r8, r1
        li      r1, '0'
        call    ub_char
        li      r1, 'x'
        call    ub_char
        li      r9, 28
1:      srl     r1, r8, r9
        andi    r1, r1, 15
        la      r2, u_hexdigits
        add     r2, r2, r1
        lbu     r1, 0(r2)
        call    ub_char
        addi    r9, r9, -4
        bge     r9, r0, 1b
        pop     r9
        pop     r8
        pop     lr
        ret

# ub_dec(r1 = value): signed decimal.
ub_dec:
        push    lr
        push    r8
        push    r9
        mov     r8, r1
        bge     r8, r0, 1f
        li      r1, '-'
        call    ub_char
        neg     r8, r8
1:      addi    sp, sp, -12             # the digits, lowest first
        mov     r9, sp
2:      li      r2, 10
        remu    r1, r8, r2
        addi    r1, r1, '0'
        sb      r1, 0(r9)
        addi    r9, r9, 1
        divu    r8, r8, r2
        bnez    r8, 2b
3:      addi    r9, r9, -1
        lbu     r1, 0(r9)
        call    ub_char
        bne     r9, sp, 3b
        addi    sp, sp, 12
        pop     r9
        pop     r8
        pop     lr
        ret

# u_count(r1 = spawn argument, r2 = default) -> r1 = the iteration count:
# the spawn argument if not 0, else the boot parameter (`ringsim run
# --args N`) if it is a number other than 0, else the default.
u_count:
        bnez    r1, 4f
        push    lr
        push    r8
        mov     r8, r2
        addi    sp, sp, -32             # a buffer on the stack (demand-zero)
        li      r1, SYS_BOOTARG
        mov     r2, sp
        li      r3, 32
        syscall
        li      r1, 0
        mov     r2, sp
1:      lbu     r3, 0(r2)               # decimal digits
        addi    r3, r3, -48
        sltiu   r4, r3, 10
        beqz    r4, 2f
        li      r4, 10
        mul     r1, r1, r4
        add     r1, r1, r3
        addi    r2, r2, 1
        j       1b
2:      addi    sp, sp, 32
        bnez    r1, 3f
        mov     r1, r8
3:      pop     r8
        pop     lr
4:      ret

# u_report(r1 = name, r2 = iterations, r3 = checksum): the one line every
# workload ends with, "NAME: N iterations, checksum 0x12345678".
u_report:
        push    lr
        push    r8
        push    r9
        mov     r8, r2
        mov     r9, r3
        call    ub_str
        la      r1, u_s_report1
        call    ub_str
        mov     r1, r8
        call    ub_dec
        la      r1, u_s_report2
        call    ub_str
        mov     r1, r9
        call    ub_hex
        li      r1, '\n'
        call    ub_char
        call    ub_flush
        pop     r9
        pop     r8
        pop     lr
        ret

# u_fail(r1 = message): print it and exit with code 1.
u_fail:
        call    u_puts
        li      r1, 1
        j       u_exit

u_hexdigits:    .ascii  "0123456789abcdef"
u_s_report1:    .asciz  ": "
u_s_report2:    .asciz  " iterations, checksum "
        .align  4
ubuf_len:       .word   0
ubuf:           .space  UBUF_SIZE
        .align  4
