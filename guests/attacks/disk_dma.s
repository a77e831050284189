# disk_dma.s — the block device's DMA engine aimed past the guest's memory
# from ring 0 (across its end, wrapping round, far outside), with counts of
# 0, 129 and 2^31, an unknown command, a sector past any disk and a flush.
# The attack suite runs without --disk (tests/test_disk.c makes the same
# mistakes with one); each command's status is printed.
#
# Bare metal: every command is refused before a byte moves — dma (5),
# bad_count (3), bad_cmd (2), then no_disk (1) — and disk_size reads 0.
# Under a hypervisor the memory is the VM's: the same statuses, and not a
# byte outside the VM changes.  Exit code 42.
        .include "lib.s"

        .macro  DISKCMD name, sector, count, addr, cmd
        li      r8, \sector
        out     disk_sector, r8
        li      r8, \count
        out     disk_count, r8
        li      r8, \addr
        out     disk_addr, r8
        li      r8, \cmd
        out     disk_cmd, r8
        in      r8, disk_status
        SAYX    \name, r8
        .endm

        .text
attack:
        in      r8, disk_size
        SAYX    "disk_size", r8
        mfcr    r9, memsize
        addi    r9, r9, -256            # the last half sector of memory
        out     disk_addr, r9
        li      r8, 1
        out     disk_count, r8
        li      r8, 1
        out     disk_cmd, r8
        in      r8, disk_status
        SAYX    "read across the end of memory", r8
        DISKCMD "read wrapping round", 0, 1, 0xffffff00, 1
        DISKCMD "write wrapping round", 0, 2, 0xfffffe00, 2
        DISKCMD "read far outside", 0, 8, 0x7ff00000, 1
        DISKCMD "count 0", 0, 0, 0x20000, 1
        DISKCMD "count 129", 0, 129, 0x20000, 1
        DISKCMD "count 2^31", 0, 0x80000000, 0x20000, 2
        DISKCMD "command 7", 0, 1, 0x20000, 7
        DISKCMD "sector past any disk", 0xffffffff, 2, 0x20000, 1
        DISKCMD "flush", 0, 0, 0, 3
        in      r8, disk_sector
        SAYX    "disk_sector", r8
        in      r8, disk_count
        SAYX    "disk_count", r8
        in      r8, disk_addr
        SAYX    "disk_addr", r8
        FINISH
