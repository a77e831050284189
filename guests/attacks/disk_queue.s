# disk_queue.s — malformed requests in the block device's request queue
# (the split driver's ring, docs/isa.md "Request queue"), from ring 0: one
# batch of seven requests with one notification — DMA across the end of
# memory and wrapping round, counts of 0 and 129, command 7, a sector past
# any disk, and one good write — then an available index 17 ahead and one
# behind the used index, and queues not aligned, just past the end of memory
# and far outside.  Each status and the used index are printed.
#
# Bare metal: the bad requests are refused one by one (dma 5, bad_count 3,
# bad_cmd 2, range 4) and the good one is done; the bad indexes and queues
# take nothing (queue 8).  Without a disk (the attack suite) the queue
# register keeps nothing and every notification is refused as no_disk (1).
# Under a hypervisor the queue and the DMA are the VM's: the same statuses,
# and not a byte outside the VM changes.  Exit code 42.
        .include "lib.s"

        .equ    Q, 0x200000             # the queue's page
        .equ    BUF, 0x20000            # the good write's data

        # REQ slot, cmd, sector, count, addr: a request into the queue
        .macro  REQ slot, cmd, sector, count, addr
        PUT     Q + 16 + \slot * 16, \cmd
        PUT     Q + 20 + \slot * 16, \sector
        PUT     Q + 24 + \slot * 16, \count
        PUT     Q + 28 + \slot * 16, \addr
        .endm

        .text
attack:
        in      r8, disk_size
        SAYX    "disk_size", r8
        li      r8, Q
        out     disk_queue, r8
        in      r8, disk_queue
        SAYX    "disk_queue", r8
        mfcr    r9, memsize
        addi    r9, r9, -256            # the last half sector of memory
        REQ     0, 1, 0, 1, 0
        li      r1, Q + 16 + 12
        sw      r9, 0(r1)               # request 0: across the end of memory
        REQ     1, 1, 0, 1, 0xffffff00
        REQ     2, 1, 0, 0, BUF
        REQ     3, 1, 0, 129, BUF
        REQ     4, 7, 0, 1, BUF
        REQ     5, 1, 0xffffffff, 2, BUF
        REQ     6, 2, 1, 1, BUF
        PUT     Q, 7                    # available: seven requests
        out     disk_notify, r0         # one notification for all of them
        call    wait
        li      r10, 0
1:      slli    r1, r10, 2
        li      r2, Q + 16 + 16 * 16
        add     r1, r1, r2
        lw      r8, 0(r1)
        SAYX    "request status", r8
        addi    r10, r10, 1
        li      r1, 7
        bltu    r10, r1, 1b
        li      r1, Q + 4
        lw      r8, 0(r1)
        SAYX    "used", r8
        PUT     Q, 7 + 17               # seventeen more than the queue holds
        out     disk_notify, r0
        call    wait
        PUT     Q, 6                    # behind the used index
        out     disk_notify, r0
        call    wait
        li      r8, Q + 4
        out     disk_queue, r8          # not a page
        out     disk_notify, r0
        call    wait
        mfcr    r8, memsize             # the page just past the end
        out     disk_queue, r8
        out     disk_notify, r0
        call    wait
        li      r8, 0xfffff000          # far outside, at the top
        out     disk_queue, r8
        out     disk_notify, r0
        call    wait
        li      r1, Q + 4
        lw      r8, 0(r1)
        SAYX    "used at the end", r8
        FINISH

# wait: until the device is not busy; prints its status.
wait:
        push    lr
1:      in      r8, disk_status
        andi    r1, r8, 1
        bnez    r1, 1b
        SAYX    "disk_status", r8
        pop     lr
        ret
