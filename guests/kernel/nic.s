# nic.s — the network interface's driver (NIC=1 kernels only: guests/netping.s).
#
# The device (docs/isa.md, "Network interface") sends the frames a transmit
# ring in memory describes and writes the frames it receives into buffers a
# receive ring offers; the driver keeps both rings in its own pages, given
# to the device at boot (nic_init), and points the descriptors straight at
# the caller's pages (no copy in the kernel), as the disk driver does.  It
# waits for frames asleep (hlt; the pv build's HC_BLOCK) until the device's
# interrupt; the interrupt's handler (nic_intr) acknowledges it, and an
# interrupt taken between the look at the ring and the hlt sends the
# sleeper back to look again (kernel_trap), as disk.s does.
#
# Built as it is (guests/netping.s) it is the driver of a plain NIC, the
# kind a hypervisor emulates: a doorbell for every frame and every receive
# buffer, the used indices read from the device's registers, the cause
# register read at every interrupt, an interrupt for every frame sent.
# Under a hypervisor each of those register accesses is an exit.  Built
# with -D NIC_QUEUE=1 (guests/netq.s) it is the front half of a split
# driver (virtio-like): one doorbell for a whole batch, the used indices
# read from the rings in memory, no interrupt for frames sent
# (NR_NO_INTERRUPT on the transmit ring) and none for frames received
# while it is not waiting for them (the receive ring's flag is cleared only
# while it sleeps): interrupt suppression.

        .text

# NIN reg, port: in reg, port (the pv build asks the hypervisor, HC_IN,
# and preserves every other register: reg must not be r1 or r2).
        .macro  NIN reg, port
        .if     PV
        addi    sp, sp, -8
        sw      r1, 4(sp)
        sw      r2, 0(sp)
        li      r2, PORT_\port
        HYPERCALL HC_IN
        mov     \reg, r1
        lw      r2, 0(sp)
        lw      r1, 4(sp)
        addi    sp, sp, 8
        .else
        in      \reg, \port
        .endif
        .endm

# net(r1 = proc, r2 = op | n << 8, r3 = buf, r4 = len):
#   NET_INFO  -> r1 = the interface's MAC (its low four bytes), -1 if none;
#   NET_SEND  -> sends n frames (1..8) of len bytes, frame i at buf + i * 2048;
#                r1 = 0, or the device's error codes ORed;
#   NET_RECV  -> offers n buffers of 2048 bytes at buf + i * 2048 and waits
#                until n frames have come: r1 = their bytes, -1 if one did
#                not fit or could not be written;
#   NET_CLOCK -> r1 = the cycle counter (timer_now), for measuring;
# -1 for a bad call (no interface, n out of range, buf not 2048-aligned or
# not the caller's, len not 1..2048).
sys_net:
        addi    sp, sp, -28
        sw      lr, 24(sp)
        sw      r8, 20(sp)
        sw      r9, 16(sp)
        sw      r10, 12(sp)
        sw      r11, 8(sp)
        sw      r12, 4(sp)
        sw      r13, 0(sp)
        mov     r8, r1                  # proc
        andi    r9, r2, 255             # op
        srli    r10, r2, 8              # n
        mov     r11, r3                 # buf
        mov     r12, r4                 # len
        la      r13, nic_mac            # read once, at boot
        lw      r13, 0(r13)
        bnez    r9, 1f
        mov     r1, r13                 # NET_INFO
        j       8f
1:      li      r2, NET_CLOCK
        bne     r9, r2, 1f
        NIN     r3, timer_now
        mov     r1, r3
        j       8f
1:      li      r2, -1
        beq     r13, r2, 9f             # no interface
        addi    r2, r10, -1             # n: 1..NET_BATCH
        sltiu   r2, r2, NET_BATCH
        beqz    r2, 9f
        andi    r2, r11, NET_SLOT - 1
        bnez    r2, 9f
        li      r2, NET_SEND
        bne     r9, r2, 5f
        addi    r2, r12, -1             # len: 1..NET_SLOT (the device checks the rest)
        sltiu   r2, r2, NET_SLOT
        beqz    r2, 9f
        li      r13, 0                  # frame i
2:      mov     r1, r8
        slli    r2, r13, 11
        add     r2, r2, r11
        li      r3, 0
        call    uva2pa
        beqz    r1, 9f
        la      r2, nt_ring             # its descriptor in the next slot
        lw      r3, NR_AVAIL(r2)
        andi    r4, r3, NR_SIZE - 1
        slli    r4, r4, 3
        add     r4, r4, r2
        sw      r1, NR_DESC(r4)
        sw      r12, NR_DESC + 4(r4)
        addi    r3, r3, 1
        sw      r3, NR_AVAIL(r2)        # the frame is the device's from here
        .if     NIC_QUEUE == 0
        OUTP    net_tx_notify, r0       # a doorbell for each frame
        .endif
        addi    r13, r13, 1
        bltu    r13, r10, 2b
        .if     NIC_QUEUE
        OUTP    net_tx_notify, r0       # one for the batch
        .endif
        la      r2, nt_ring             # did it take them all?
        lw      r4, NR_AVAIL(r2)
        .if     NIC_QUEUE
        lw      r3, NR_USED(r2)
        .else
        NIN     r3, net_tx_used
        .endif
        bne     r3, r4, 9f
        sub     r3, r4, r10             # their statuses, ORed
        li      r1, 0
3:      andi    r5, r3, NR_SIZE - 1
        slli    r5, r5, 2
        add     r5, r5, r2
        lw      r5, NR_STATUS(r5)
        or      r1, r1, r5
        addi    r3, r3, 1
        bne     r3, r4, 3b
        j       8f
5:      li      r2, NET_RECV
        bne     r9, r2, 9f
        li      r13, 0                  # buffer i
6:      mov     r1, r8
        slli    r2, r13, 11
        add     r2, r2, r11
        li      r3, 1                   # the device writes it
        call    uva2pa
        beqz    r1, 9f
        la      r2, nr_ring
        lw      r3, NR_AVAIL(r2)
        andi    r4, r3, NR_SIZE - 1
        slli    r4, r4, 3
        add     r4, r4, r2
        sw      r1, NR_DESC(r4)
        li      r1, NET_SLOT
        sw      r1, NR_DESC + 4(r4)
        addi    r3, r3, 1
        sw      r3, NR_AVAIL(r2)
        .if     NIC_QUEUE == 0
        OUTP    net_rx_notify, r0       # a doorbell for each buffer
        .endif
        addi    r13, r13, 1
        bltu    r13, r10, 6b
        .if     NIC_QUEUE
        OUTP    net_rx_notify, r0       # one for the batch
        la      r2, nr_ring             # interrupts on while it waits
        sw      r0, NR_FLAGS(r2)
        .endif
        la      r2, nr_ring
        lw      r13, NR_AVAIL(r2)       # done when the used index is there
nic_wait:                               # system calls run with interrupts on
        .if     NIC_QUEUE
        la      r2, nr_ring
        lw      r3, NR_USED(r2)
        .else
        NIN     r3, net_rx_used
        .endif
        beq     r3, r13, 7f
        .if     PV
        HYPERCALL HC_BLOCK              # sti; hlt, at once
        .else
        hlt                             # until an interrupt
        .endif
nic_woken:
        j       nic_wait
7:      la      r2, nr_ring
        .if     NIC_QUEUE
        li      r3, NR_NO_INTERRUPT     # and off again
        sw      r3, NR_FLAGS(r2)
        .endif
        sub     r3, r13, r10            # their lengths, summed
        li      r1, 0
4:      andi    r5, r3, NR_SIZE - 1
        slli    r5, r5, 2
        add     r5, r5, r2
        lw      r5, NR_STATUS(r5)
        srli    r4, r5, 16              # an error code?
        bnez    r4, 9f
        add     r1, r1, r5
        addi    r3, r3, 1
        bne     r3, r13, 4b
        j       8f
9:      li      r1, -1
8:      lw      r13, 0(sp)
        lw      r12, 4(sp)
        lw      r11, 8(sp)
        lw      r10, 12(sp)
        lw      r9, 16(sp)
        lw      r8, 20(sp)
        lw      lr, 24(sp)
        addi    sp, sp, 28
        ret

# nic_intr: the interface's interrupt (from kernel_trap, or from user mode
# through utrap_table): acknowledge it.  The plain driver reads the cause
# first, as a real NIC's driver reads its interrupt-cause register.  Keeps
# every register but r1, r2.
nic_intr:
        push    r3
        .if     NIC_QUEUE == 0
        NIN     r3, net_status
        .endif
        OUTP    net_ack, r0             # the interrupt is level-triggered
        pop     r3
        ret

# nic_init: the rings to the device and its interrupt on, once (boot.s);
# nothing without an interface.
nic_init:
        NIN     r3, net_mac
        la      r1, nic_mac
        sw      r3, 0(r1)
        li      r1, -1
        beq     r3, r1, 1f
        la      r1, nt_ring
        .if     NIC_QUEUE
        li      r2, NR_NO_INTERRUPT     # frames sent need no interrupt
        sw      r2, NR_FLAGS(r1)
        .endif
        OUTP    net_tx_ring, r1
        la      r1, nr_ring
        .if     NIC_QUEUE
        li      r2, NR_NO_INTERRUPT     # nor frames received while nobody waits
        sw      r2, NR_FLAGS(r1)
        .endif
        OUTP    net_rx_ring, r1
        li      r1, NET_CTRL_IRQ
        OUTP    net_ctrl, r1
1:      ret

        .data
        .align  4
nic_mac:        .word   -1              # net_mac, read at boot (-1: no interface)
        .align  4096
nt_ring:        .space  4096            # the transmit ring: the device's too
nr_ring:        .space  4096            # the receive ring
        .text
