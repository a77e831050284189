# loop.s — the speed benchmark of `make bench` (README.md, "Speed"): load, add, store, add-immediate
# and branch, five instructions an iteration.  `make bench` assembles it with
# -D ITER=… for a long run; the default is short.
        .ifndef ITER
        .equ    ITER, 1000
        .endif
        .text
        .global _start
_start:
        la      r2, counter
        li      r4, ITER
        li      r3, 3
loop:   lw      r1, 0(r2)
        add     r1, r1, r3
        sw      r1, 0(r2)
        addi    r4, r4, -1
        bne     r4, r0, loop
        lw      r1, 0(r2)               # exit code: the counter's low byte
        andi    r1, r1, 0x7f
        out     power, r1

        .data
counter: .word 0
