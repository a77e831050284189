# disk.s — the block-device driver (DISK=1 kernels only: guests/diskio.s).
#
# The device (docs/isa.md, "Block device") moves whole sectors between its
# disk and physical memory by DMA.  The driver hands it the physical page
# behind the caller's buffer, so the data goes straight to and from the
# process's memory (no copy in the kernel), then waits for the device to
# finish: it sleeps (hlt; the pv build's HC_BLOCK) until the device's
# completion interrupt (disk_intr, from kernel_trap) says the command is
# done.  Under a hypervisor every port access is a trap or a VM exit, and so
# is the hlt: the cost of emulated I/O, measured by `diskio`.  Built with
# -D DISK_POLL=1 the driver reads the status until busy clears instead,
# with the device's interrupt left off: one exit per look.
#
# Built with -D DISK_QUEUE=1 (guests/diskq.s) it is the front half of a
# split driver: it writes each request into a queue in its own memory
# (dq_ring, a page it gave the device at boot) and sends one notification
# (disk_notify) for it, instead of four register writes; the completion
# interrupt's handler reads the status from the queue, not from a port.
# Under a hypervisor the back half is the hypervisor's (vdev.c): one exit
# per batch where the emulated device takes one per register.  With
# DISK_POLL=1 as well it suppresses the interrupt (DQ_NO_INTERRUPT) and
# polls disk_status.
#
# The sleep has a race: the interrupt may come after the driver has looked
# at disk_done and before its hlt, which would then sleep until some later
# interrupt.  The handler closes it as MIPS kernels close theirs: an
# interrupt taken between disk_wait and disk_woken goes back to disk_wait
# to look again (kernel_trap).

        .text

# INP reg, port: in reg, port.  The pv build asks the hypervisor (HC_IN)
# and preserves every other register (so reg must not be r1 or r2).
        .macro  INP reg, port
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

# disk(r1 = proc, r2 = command | count << 8, r3 = sector, r4 = page)
# -> r1 = the device's error code (0 done), -1 if there is no disk or the
# buffer is not one whole page of the caller's (page-aligned, count 1..8).
# Command 0 -> the disk's size in sectors (0: no disk).
sys_disk:
        addi    sp, sp, -24
        sw      lr, 20(sp)
        sw      r8, 16(sp)
        sw      r9, 12(sp)
        sw      r10, 8(sp)
        sw      r11, 4(sp)
        .if     DISK_QUEUE
        la      r8, dq_sectors          # read once, at boot
        lw      r8, 0(r8)
        .else
        INP     r8, disk_size
        .endif
        bnez    r2, 1f                  # command 0: the size
        mov     r1, r8
        j       8f
1:      beqz    r8, 9f                  # no disk
        andi    r8, r2, 255             # command
        mov     r9, r3                  # sector
        srli    r10, r2, 8              # count
        mov     r5, r4                  # page
        li      r11, DISK_FLUSH
        beq     r8, r11, 3f             # a flush moves no data
        addi    r11, r10, -1            # 1..8 sectors: one page
        sltiu   r11, r11, PAGE_SIZE / 512
        beqz    r11, 9f
        andi    r11, r5, PAGE_SIZE - 1
        bnez    r11, 9f
        mov     r2, r5                  # r1 = proc already
        li      r3, 1                   # a read writes the page
        xori    r4, r8, DISK_READ
        beqz    r4, 2f
        li      r3, 0
2:      call    uva2pa
        beqz    r1, 9f
        .if     DISK_QUEUE
        mov     r5, r1                  # the request's address
        .else
        OUTP    disk_addr, r1
        OUTP    disk_sector, r9
        OUTP    disk_count, r10
        .endif
3:
        .if     DISK_IRQ
        la      r11, disk_done
        sw      r0, 0(r11)
        .if     DISK_QUEUE
        call    dq_submit
        .else
        OUTP    disk_cmd, r8
        .endif
disk_wait:                              # system calls run with interrupts on
        la      r11, disk_done
        lw      r11, 0(r11)
        bnez    r11, 5f
        .if     PV
        HYPERCALL HC_BLOCK              # sti; hlt, at once
        .else
        hlt                             # until an interrupt
        .endif
disk_woken:
        j       disk_wait
5:
        .if     DISK_QUEUE
        call    dq_status
        .else
        la      r11, disk_stat          # the status disk_intr read
        lw      r11, 0(r11)
        .endif
        .else
        .if     DISK_QUEUE
        call    dq_submit
        .else
        OUTP    disk_cmd, r8
        .endif
4:      INP     r11, disk_status        # wait for it
        andi    r2, r11, 1
        bnez    r2, 4b
        .if     DISK_QUEUE
        call    dq_status
        .endif
        .endif
        srli    r1, r11, 8              # its error code
        j       8f
9:      li      r1, -1
8:      lw      r11, 4(sp)
        lw      r10, 8(sp)
        lw      r9, 12(sp)
        lw      r8, 16(sp)
        lw      lr, 20(sp)
        addi    sp, sp, 24
        ret

        .if     DISK_IRQ
# disk_intr: the completion interrupt (from kernel_trap, or from user mode
# through utrap_table): keep the status for sys_disk, acknowledge, and say
# done.  Keeps every register but r1, r2.
disk_intr:
        push    r3
        .if     DISK_QUEUE == 0         # the split driver's status is in its queue
        INP     r3, disk_status
        la      r1, disk_stat
        sw      r3, 0(r1)
        .endif
        OUTP    disk_ack, r0            # the interrupt is level-triggered
        li      r3, 1
        la      r1, disk_done
        sw      r3, 0(r1)
        pop     r3
        ret

        .data
        .align  4
disk_done:      .word   0               # 1 once the command in flight is done
disk_stat:      .word   0               # disk_status then
        .text
        .endif

        .if     DISK_QUEUE
# dq_submit(r8 = command, r9 = sector, r10 = count, r5 = physical address):
# the request into the next slot of the queue, the available index on, and
# one notification.  Keeps every register but r1..r4.
dq_submit:
        la      r1, dq_ring
        lw      r2, DQ_AVAIL(r1)
        andi    r3, r2, DQ_SIZE - 1
        slli    r3, r3, 4
        add     r3, r3, r1
        sw      r8, DQ_REQ(r3)
        sw      r9, DQ_REQ + 4(r3)
        sw      r10, DQ_REQ + 8(r3)
        sw      r5, DQ_REQ + 12(r3)
        addi    r2, r2, 1
        sw      r2, DQ_AVAIL(r1)        # the request is the device's from here
        OUTP    disk_notify, r0
        ret

# dq_status() -> r11 = the last request's error code << 8, as disk_status
# has it; DISK_ERR_QUEUE if the device did not take it.  Keeps r5..r10.
dq_status:
        la      r1, dq_ring
        lw      r2, DQ_AVAIL(r1)
        lw      r3, DQ_USED(r1)
        li      r11, DISK_ERR_QUEUE << 8
        bne     r2, r3, 1f
        addi    r2, r2, -1
        andi    r2, r2, DQ_SIZE - 1
        slli    r2, r2, 2
        add     r2, r2, r1
        lw      r11, DQ_STATUS(r2)
        slli    r11, r11, 8
1:      ret

# dq_init: the queue's page to the device, and the disk's size, once
# (boot.s).  With DISK_POLL=1 the driver polls: no interrupts, please.
dq_init:
        la      r1, dq_ring
        .if     DISK_POLL
        li      r2, DQ_NO_INTERRUPT
        sw      r2, DQ_FLAGS(r1)
        .endif
        OUTP    disk_queue, r1
        INP     r3, disk_size
        la      r1, dq_sectors
        sw      r3, 0(r1)
        ret

        .data
        .align  4
dq_sectors:     .word   0
        .align  4096
dq_ring:        .space  4096            # the request queue: the device's too
        .text
        .endif
