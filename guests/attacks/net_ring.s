# net_ring.s — malformed descriptors and rings, and a spoofed frame, at the
# network interface, from ring 0.  (docs/isa.md "Network interface"; run
# with --net, as the attack suite runs net_* attacks.)  One batch
# of eight transmit descriptors with one doorbell — a buffer across the
# end of memory, one wrapping round the address space, lengths of 0,
# 0x7fffffff and 13, a frame to its own MAC, a frame claiming another
# interface's MAC as its source, and a second frame to itself — then
# receive buffers one of which lies across the end of memory, then an
# available index 17 ahead, a ring not page-aligned, one just past the end
# of memory and one at the top of the address space.  Each status and used
# index is printed; nothing printed depends on which port it has.
#
# Bare metal: the bad descriptors are refused one by one (dma 2, bad_len
# 1) and the good frames sent; the spoofed one is dropped by the switch,
# so of the two frames to itself the first lands in the good buffer and
# the second is refused by the buffer outside memory (dma << 16); the bad
# rings take nothing (ring 3 in net_status).  Under a hypervisor the rings
# and buffers are the VM's: the same statuses, not a byte outside the VM
# changes, and no frame reaches another VM.  Exit code 42.
        .include "lib.s"

        .equ    T, 0x200000             # the transmit ring's page
        .equ    R, 0x201000             # the receive ring's
        .equ    BUF, 0x20000            # frames to send
        .equ    RXBUF, 0x30000          # the good receive buffer

        # DESC ring, slot, addr, len: a descriptor
        .macro  DESC ring, slot, addr, len
        PUT     \ring + 16 + \slot * 8, \addr
        PUT     \ring + 20 + \slot * 8, \len
        .endm

        .text
attack:
        in      r8, net_mac
        li      r1, -1
        bne     r8, r1, 1f
        SAY     "no network interface\n"
        FINISH
1:      andi    r8, r8, 255             # frame 1: to itself, from itself
        li      r1, BUF
        call    header
        sb      r8, 5(r1)
        sb      r8, 11(r1)
        li      r1, BUF + 128           # frame 2: from another's MAC
        call    header
        sb      r8, 5(r1)
        addi    r2, r8, 1
        sb      r2, 11(r1)
        li      r1, BUF + 256           # frame 3: to itself again
        call    header
        sb      r8, 5(r1)
        sb      r8, 11(r1)
        li      r9, R                   # receive: a good buffer, one across the end
        mfcr    r10, memsize
        DESC    R, 0, RXBUF, 2048
        DESC    R, 1, 0, 2048
        addi    r1, r10, -64
        li      r2, R + 16 + 8
        sw      r1, 0(r2)
        DESC    R, 2, RXBUF + 2048, 2048
        out     net_rx_ring, r9
        PUT     R, 3
        out     net_rx_notify, r0
        li      r9, T
        out     net_tx_ring, r9
        DESC    T, 0, 0, 64             # across the end of memory
        addi    r1, r10, -10
        li      r2, T + 16
        sw      r1, 0(r2)
        DESC    T, 1, 0xfffff000, 64    # wrapping round
        DESC    T, 2, BUF, 0
        DESC    T, 3, BUF, 0x7fffffff
        DESC    T, 4, BUF, 13
        DESC    T, 5, BUF, 64           # good, to itself
        DESC    T, 6, BUF + 128, 64     # spoofed
        DESC    T, 7, BUF + 256, 100    # good, to itself
        PUT     T, 8
        out     net_tx_notify, r0       # one doorbell for all of them
        li      r11, 0
2:      slli    r1, r11, 2
        li      r2, T + 16 + 16 * 8
        add     r1, r1, r2
        lw      r12, 0(r1)
        SAYX    "tx status", r12
        addi    r11, r11, 1
        li      r1, 8
        bltu    r11, r1, 2b
        in      r12, net_tx_used
        SAYX    "tx used", r12
        li      r11, 200000             # the frames take the switch's latency
3:      in      r12, net_rx_used
        li      r1, 2
        bgeu    r12, r1, 4f
        addi    r11, r11, -1
        bnez    r11, 3b
4:      li      r11, 2000               # and nothing more comes
5:      in      r12, net_rx_used
        addi    r11, r11, -1
        bnez    r11, 5b
        SAYX    "rx used", r12
        li      r1, R + 16 + 16 * 8
        lw      r12, 0(r1)
        SAYX    "rx status 0", r12
        li      r1, R + 16 + 16 * 8
        lw      r12, 4(r1)
        SAYX    "rx status 1", r12
        li      r1, RXBUF + 12          # what arrived is what was sent
        lw      r12, 0(r1)
        SAYX    "rx word 3", r12
        PUT     T, 8 + 17               # seventeen more than the ring holds
        out     net_tx_notify, r0
        call    status
        li      r8, T + 4
        out     net_tx_ring, r8         # not a page
        out     net_tx_notify, r0
        call    status
        out     net_tx_ring, r10        # the page just past the end
        out     net_tx_notify, r0
        call    status
        li      r8, 0xfffff000          # far outside, at the top
        out     net_tx_ring, r8
        out     net_tx_notify, r0
        call    status
        FINISH

# header(r1 = frame): 52:54:00:00:00:?? twice, type 0x88b5, a word 0x11223344.
header:
        li      r2, 0x52
        sb      r2, 0(r1)
        sb      r2, 6(r1)
        li      r2, 0x54
        sb      r2, 1(r1)
        sb      r2, 7(r1)
        sb      r0, 2(r1)
        sb      r0, 3(r1)
        sb      r0, 4(r1)
        sb      r0, 8(r1)
        sb      r0, 9(r1)
        sb      r0, 10(r1)
        li      r2, 0x88
        sb      r2, 12(r1)
        li      r2, 0xb5
        sb      r2, 13(r1)
        li      r2, 0x11223344
        sw      r2, 12(r1)
        ret

# status: net_status's error byte.
status:
        push    lr
        in      r8, net_status
        srli    r8, r8, 8
        SAYX    "net error", r8
        pop     lr
        ret
