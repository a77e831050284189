# netping.s — two machines exchange frames through the network interface
# (NIC=1 kernels: guests/netping.s, guests/netq.s; run with --net).
#
# The interface whose MAC ends in 01 pings: it sends 8 frames one at a time
# (each a round trip, timed), then N more (--args N, default 64) in
# batches of 8 (throughput), every frame NP_SIZE bytes: a header (to the
# MAC ending in 02, from its own, type 0x88b5), a sequence number and
# words from a fixed LCG seeded by it.  Every other interface answers:
# it receives each frame and sends it back, MACs swapped.  Both fold what
# they received into one checksum and print it — the same number on both
# sides, under every technique, natively too, where the MAC ending in 02
# is the switch's echo host.  The pinger then prints what it measured: the
# mean round trip and the throughput, in cycles (time: the one thing that
# differs from one way of running it to another).
        .equ    NETPING_DEFAULT, 64
        .equ    NP_SIZE, 1024             # bytes in a frame
        .equ    NP_WORDS, NP_SIZE / 4
        .equ    NP_PINGS, 8               # round trips timed one at a time
        .equ    NP_TYPE, 0x88b5

netping_main:
        li      r2, NETPING_DEFAULT
        call    u_count
        mov     r8, r1                  # r8 = N
        li      r1, SYS_NET
        li      r2, NET_INFO
        syscall
        li      r2, -1
        beq     r1, r2, 7f
        mov     r9, r1                  # r9 = our MAC's last byte
        li      r1, SYS_SBRK            # 8 transmit and 8 receive slots
        li      r2, NET_BATCH * NET_SLOT * 2 + 4096
        syscall
        addi    r1, r1, 4095
        li      r2, -4096
        and     r10, r1, r2             # r10 = transmit slots
        li      r11, NET_BATCH * NET_SLOT
        add     r11, r11, r10           # r11 = receive slots
        li      r12, 0                  # r12 = the checksum
        li      r2, 1
        bne     r9, r2, 5f
        # the pinger: NP_PINGS round trips one at a time, timed
        li      r13, 0                  # sequence number
        push    r0                      # cycles of the round trips
1:      li      r1, NET_CLOCK
        call    np_call
        push    r1
        mov     r1, r10
        mov     r2, r13
        call    np_fill
        li      r1, 1
        call    np_exchange
        li      r1, NET_CLOCK
        call    np_call
        pop     r2
        sub     r1, r1, r2
        lw      r2, 0(sp)
        add     r2, r2, r1
        sw      r2, 0(sp)
        addi    r13, r13, 1
        li      r1, NP_PINGS
        bltu    r13, r1, 1b
        # then N in batches of NET_BATCH, timed together
        li      r1, NET_CLOCK
        call    np_call
        push    r1
2:      addi    r1, r13, -NP_PINGS
        bgeu    r1, r8, 4f
        sub     r1, r8, r1              # this batch: the rest, at most NET_BATCH
        li      r2, NET_BATCH
        bltu    r1, r2, 3f
        mov     r1, r2
3:      push    r1
        li      r3, 0                   # fill frame j with sequence r13 + j
6:      slli    r1, r3, 11
        add     r1, r1, r10
        add     r2, r13, r3
        push    r3
        call    np_fill
        pop     r3
        addi    r3, r3, 1
        lw      r1, 0(sp)
        bltu    r3, r1, 6b
        pop     r1
        add     r13, r13, r1
        call    np_exchange
        j       2b
4:      li      r1, NET_CLOCK
        call    np_call
        pop     r2
        sub     r13, r1, r2             # r13 = cycles of the N
        la      r1, netping_name
        mov     r2, r8
        mov     r3, r12
        call    u_report
        la      r1, netping_rtt         # what it measured
        call    ub_str
        pop     r1
        srli    r1, r1, 3               # / NP_PINGS
        call    ub_dec
        la      r1, netping_tput
        call    ub_str
        li      r1, NP_SIZE * 1000      # bytes per 1000 cycles, both ways
        mul     r1, r1, r8
        slli    r1, r1, 1
        divu    r1, r1, r13
        call    ub_dec
        la      r1, netping_tput2
        call    ub_str
        call    ub_flush
        li      r1, 0
        call    u_exit
        # the answerer: NP_PINGS + N frames, each received and sent back
5:      addi    r13, r8, NP_PINGS
8:      beqz    r13, 9f
        li      r1, NET_RECV | 1 << 8
        mov     r3, r11
        call    np_sys
        li      r2, NP_SIZE
        bne     r1, r2, 6f
        mov     r1, r11
        call    np_sum
        li      r3, 0                   # the frame back: copied ...
10:     slli    r4, r3, 2
        add     r1, r4, r11
        lw      r1, 0(r1)
        add     r2, r4, r10
        sw      r1, 0(r2)
        addi    r3, r3, 1
        li      r4, NP_WORDS
        bltu    r3, r4, 10b
        lbu     r1, 11(r11)             # ... to its sender, from us
        mov     r2, r9
        mov     r3, r10
        call    np_header
        li      r1, NET_SEND | 1 << 8
        mov     r3, r10
        li      r4, NP_SIZE
        call    np_sys
        bnez    r1, 6f
        addi    r13, r13, -1
        j       8b
9:      la      r1, netping_name
        mov     r2, r8
        mov     r3, r12
        call    u_report
        li      r1, 0
        call    u_exit
6:      la      r1, netping_ioerr
        call    u_fail
7:      la      r1, netping_nonet
        call    u_fail

# np_exchange(r1 = n): sends transmit slots 0..n-1 and receives n frames
# into the receive slots, each checked (length, sequence) and folded into
# the checksum (r12).
np_exchange:
        push    lr
        push    r13
        mov     r13, r1
        slli    r1, r13, 8
        ori     r1, r1, NET_RECV        # offered first: the answer may be quick
        mov     r3, r11
        push    r1
        slli    r1, r13, 8
        ori     r1, r1, NET_SEND
        mov     r3, r10
        li      r4, NP_SIZE
        call    np_sys
        bnez    r1, 2f
        pop     r1
        mov     r3, r11
        call    np_sys
        li      r2, NP_SIZE
        mul     r2, r2, r13
        bne     r1, r2, 2f
        li      r3, 0                   # each frame's sequence is what was sent
1:      slli    r1, r3, 11
        add     r2, r1, r10
        add     r1, r1, r11
        lw      r4, 16(r1)
        lw      r2, 16(r2)
        bne     r4, r2, 3f
        push    r3
        call    np_sum
        pop     r3
        addi    r3, r3, 1
        bltu    r3, r13, 1b
        pop     r13
        pop     lr
        ret
2:      la      r1, netping_ioerr
        call    u_fail
3:      la      r1, netping_order
        call    u_fail

# np_sys(r1 = op | n << 8, r3 = buf, r4 = len) -> r1: the net system call.
np_sys:
        mov     r2, r1
        li      r1, SYS_NET
        syscall
        ret

# np_call(r1 = op) -> r1: a net system call with no buffer (info, clock).
np_call:
        mov     r2, r1
        li      r1, SYS_NET
        syscall
        ret

# np_header(r1 = destination's last MAC byte, r2 = ours, r3 = frame).
np_header:
        li      r4, 0x52
        sb      r4, 0(r3)
        sb      r4, 6(r3)
        li      r4, 0x54
        sb      r4, 1(r3)
        sb      r4, 7(r3)
        sb      r0, 2(r3)
        sb      r0, 3(r3)
        sb      r0, 4(r3)
        sb      r0, 8(r3)
        sb      r0, 9(r3)
        sb      r0, 10(r3)
        sb      r1, 5(r3)
        sb      r2, 11(r3)
        li      r4, NP_TYPE >> 8
        sb      r4, 12(r3)
        li      r4, NP_TYPE & 255
        sb      r4, 13(r3)
        sb      r0, 14(r3)
        sb      r0, 15(r3)
        ret

# np_fill(r1 = frame, r2 = sequence): a ping to the MAC ending in 02.
np_fill:
        push    lr
        push    r1
        push    r2
        mov     r3, r1
        li      r1, 2
        mov     r2, r9
        call    np_header
        pop     r2
        pop     r1
        sw      r2, 16(r1)              # the sequence, then the LCG from it
        li      r3, 0x9e3779b9
        mul     r2, r2, r3
        addi    r2, r2, 1
        li      r3, NP_WORDS - 5
        li      r4, 1664525
        li      r5, 1013904223
1:      mul     r2, r2, r4
        add     r2, r2, r5
        sw      r2, 20(r1)
        addi    r1, r1, 4
        addi    r3, r3, -1
        bnez    r3, 1b
        pop     lr
        ret

# np_sum(r1 = frame): folds its words from the sequence on into r12.
np_sum:
        addi    r1, r1, 16
        li      r3, NP_WORDS - 4
        li      r4, 33
1:      lw      r2, 0(r1)
        mul     r12, r12, r4
        add     r12, r12, r2
        addi    r1, r1, 4
        addi    r3, r3, -1
        bnez    r3, 1b
        ret

netping_name:   .asciz  "netping"
netping_rtt:    .asciz  "netping: round trip "
netping_tput:   .asciz  " cycles; "
netping_tput2:  .asciz  " bytes per 1000 cycles\n"
netping_ioerr:  .asciz  "netping: a frame could not be sent or received\n"
netping_order:  .asciz  "netping: a frame came back out of order\n"
netping_nonet:  .asciz  "netping: no network interface (run with --net)\n"
        .align  4
