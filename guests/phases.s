# phases.s — a workload whose load changes over time, for consolidation
# (docs/migration.md, "Consolidation"): a busy phase, then a mostly halted
# one.
#
# Busy: N units (N = `--args`, default 4) of BUSY_PASSES passes; each pass
# computes for BUSY_WORK iterations (registers only) and then writes one
# word in each of the next BUSY_WRITES pages of a working set of PAGES
# pages, round and round — the CPU is busy all the time, and a migration
# has pages to chase.  With a `q` before N (`--args q4`) a quiet start
# comes first: QUIET_TICKS timer ticks waiting in `hlt`, doing nothing, and
# a line — so the load rises, then falls.  Idle: the timer ticks every TIMER_PERIOD cycles, and
# for IDLE_TICKS ticks the program waits in `hlt`; at each tick it wakes,
# computes a little (TICK_WORK iterations), writes one page and halts
# again — a server with almost nothing to do.  Each phase ends with a line
# whose checksum folds in every page's words, so a page that reached a
# migration's target stale changes what it prints.  Then it powers off
# (exit 0).
#
# A bare ring-0 program (no paging, no kernel): it runs the same natively
# and under every technique.
        .equ    TIMER_PERIOD, 50000
        .equ    PAGES, 64
        .equ    BUF, 0x20000            # the working set: PAGES pages
        .equ    BUSY_PASSES, 250
        .equ    BUSY_WORK, 700
        .equ    BUSY_WRITES, 4
        .equ    IDLE_TICKS, 400
        .equ    TICK_WORK, 300
        .equ    DEFAULT_UNITS, 4
        .equ    QUIET_TICKS, 200

        .text
        .global _start
_start:
        la      sp, stack_top
        la      r1, vectors
        mtcr    vbr, r1
        # N: the decimal boot parameter at 0x100 (none or 0: the default)
        li      r8, 0
        li      r2, 0x100
1:      lbu     r3, 0(r2)
        li      r4, 48
        bltu    r3, r4, 2f
        li      r4, 58
        bgeu    r3, r4, 11f             # not a digit: 'q'?
        li      r4, 10
        mul     r8, r8, r4
        addi    r3, r3, -48
        add     r8, r8, r3
        addi    r2, r2, 1
        j       1b
2:      bnez    r8, 3f
        li      r8, DEFAULT_UNITS
3:      li      r10, 0x2545f491         # r10 = the generator's state
        li      r5, 0                   # r5 = next page to write
        # ---- busy: N x BUSY_PASSES passes ----
        li      r4, BUSY_PASSES
        mul     r9, r8, r4              # r9 = passes left
4:      li      r4, BUSY_WORK
5:      call    xorshift
        addi    r4, r4, -1
        bnez    r4, 5b
        li      r4, BUSY_WRITES
6:      call    write_page
        addi    r4, r4, -1
        bnez    r4, 6b
        addi    r9, r9, -1
        bnez    r9, 4b
        la      r2, msg_busy
        call    puts
        mov     r2, r8
        call    putdec
        la      r2, msg_units
        call    puts
        call    checksum
        # ---- idle: IDLE_TICKS ticks, halted between them ----
        li      r1, TIMER_PERIOD
        out     timer_period, r1
        li      r9, 0                   # r9 = ticks seen by this loop
        sti
7:      la      r1, ticks
        lw      r1, 0(r1)
        beq     r1, r9, 9f              # no new tick: wait for one
        mov     r9, r1
        li      r2, IDLE_TICKS
        bge     r9, r2, 10f
        li      r4, TICK_WORK           # a little work for this tick
8:      call    xorshift
        addi    r4, r4, -1
        bnez    r4, 8b
        call    write_page
        j       7b
9:      hlt
        j       7b
10:     cli
        li      r1, 0
        out     timer_period, r1
        la      r2, msg_idle
        call    puts
        li      r2, IDLE_TICKS
        call    putdec
        la      r2, msg_ticks
        call    puts
        call    checksum
        out     power, r0
11:     li      r4, 113                 # 'q': the quiet start, then on
        bne     r3, r4, 2b
        addi    r2, r2, 1
        push    r2
        call    quiet
        pop     r2
        j       1b

# quiet: wait QUIET_TICKS timer ticks in hlt, then say so; the tick count
# starts again from 0 for the idle phase.  Clobbers r1-r3, r6.
quiet:
        push    lr
        li      r1, TIMER_PERIOD
        out     timer_period, r1
        sti
1:      la      r1, ticks
        lw      r1, 0(r1)
        li      r3, QUIET_TICKS
        bge     r1, r3, 2f
        hlt
        j       1b
2:      cli
        li      r1, 0
        out     timer_period, r1
        la      r1, ticks
        sw      r0, 0(r1)
        la      r2, msg_quiet
        call    puts
        li      r2, QUIET_TICKS
        call    putdec
        la      r2, msg_qticks
        call    puts
        pop     lr
        ret

# xorshift: r10 = the next of Marsaglia's xorshift32.  Clobbers r2.
xorshift:
        slli    r2, r10, 13
        xor     r10, r10, r2
        srli    r2, r10, 17
        xor     r10, r10, r2
        slli    r2, r10, 5
        xor     r10, r10, r2
        ret

# write_page: add r10 to the first word of page r5 of the working set and
# move r5 on, round and round.  Clobbers r2, r3.
write_page:
        slli    r2, r5, 12
        li      r3, BUF
        add     r2, r2, r3
        lw      r3, 0(r2)
        add     r3, r3, r10
        sw      r3, 0(r2)
        addi    r5, r5, 1
        li      r2, PAGES
        bne     r5, r2, 1f
        li      r5, 0
1:      ret

# checksum: prints "checksum 0x........\n", the working set's first words
# folded together.  Clobbers r1-r3, r6, r7.
checksum:
        push    lr
        li      r6, 0x811c9dc5
        li      r7, 0
        li      r3, BUF
1:      lw      r1, 0(r3)
        xor     r6, r6, r1
        li      r1, 0x01000193
        mul     r6, r6, r1
        li      r1, 4096
        add     r3, r3, r1
        addi    r7, r7, 1
        li      r1, PAGES
        bne     r7, r1, 1b
        la      r2, msg_sum
        call    puts
        mov     r2, r6
        call    puthex
        li      r1, 10
        out     con_data, r1
        pop     lr
        ret

# puts: print the NUL-terminated string at r2.  Clobbers r2, r3.
puts:
1:      lbu     r3, 0(r2)
        beqz    r3, 2f
        out     con_data, r3
        addi    r2, r2, 1
        j       1b
2:      ret

# puthex: print r2 as eight hex digits.  Clobbers r1-r3, r7.
puthex:
        li      r3, 28
1:      srl     r1, r2, r3
        andi    r1, r1, 15
        addi    r1, r1, 48
        slti    r7, r1, 58
        bnez    r7, 2f
        addi    r1, r1, 39
2:      out     con_data, r1
        beqz    r3, 3f
        addi    r3, r3, -4
        j       1b
3:      ret

# putdec: print r2 (unsigned) in decimal.  Clobbers r1-r3, r6.
putdec:
        la      r6, decbuf_end
        sb      r0, 0(r6)
1:      li      r3, 10
        divu    r1, r2, r3
        mul     r3, r1, r3
        sub     r3, r2, r3
        addi    r3, r3, 48
        addi    r6, r6, -1
        sb      r3, 0(r6)
        mov     r2, r1
        bnez    r2, 1b
        mov     r2, r6
        j       puts

# The timer: count the tick, acknowledge it.
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

# Anything else is a bug: say so and stop with code 99.
trap_other:
        la      r2, msg_other
        call    puts
        li      r1, 99
        out     power, r1

        .data
        .align  4
vectors:                                # one handler per cause number
        .word   trap_other              # 0 illegal
        .word   trap_other              # 1 protection
        .word   trap_other              # 2 page fault
        .word   trap_other              # 3 divide
        .word   trap_other              # 4 breakpoint
        .word   trap_other              # 5 syscall
        .word   trap_other              # 6 misaligned
        .word   trap_other              # 7 bus error
        .word   trap_other              # 8 double fault
        .word   trap_timer              # 9 timer
        .word   trap_other              # 10 console
        .word   trap_other              # 11 hypercall
        .word   trap_other              # 12 disk
        .space  3 * 4
ticks:  .word   0
msg_busy:  .asciz "phases: busy phase, "
msg_units: .asciz " units, "
msg_idle:  .asciz "phases: idle phase, "
msg_ticks: .asciz " ticks, "
msg_sum:   .asciz "checksum 0x"
msg_other: .asciz "phases: unexpected trap\n"
msg_quiet: .asciz "phases: quiet start, "
msg_qticks: .asciz " ticks\n"
decbuf:    .space 12
decbuf_end: .space 4
        .align  4
        .space  1024
stack_top:
