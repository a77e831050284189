# disk_passthrough.s — a guest given its disk directly (--passthrough) aims
# the device's DMA at memory that is not its own: into the VM the hypervisor
# puts at host 28 MiB beside it (VM 1 of a two-VM run with the defaults:
# its kernel's code), out of it, and across the end of its own memory.
#
# It fills 64 KiB of its memory with 0xffffffff (no instruction), writes
# it to the disk, then asks the device to read it back into guest-physical
# 0x01c01000 — host 0x01c01000 for VM 0 is VM 1's guest-physical 0x1000,
# where a kernel's code starts — after writing 8 sectors from there to the
# disk (which it reads back to see what came out); then a read across the
# end of its 16 MiB (the first page its own, the second not), and a read
# into its own memory.  Each command's status (bits 8..15 the error) is
# printed, and what its own memory holds after.
#
# Bare metal (16 MiB): both addresses are beyond memory — every command
# there is refused with dma (5) and nothing moves; the read across the end
# moves nothing either, not even its first page.  Passed through with the
# IOMMU: the same statuses — the IOMMU faults on the first page outside the
# VM's domain, the device drops the transfer, the hypervisor gets the
# report.  With --no-iommu (tests/test_iommu.c) the device's addresses are
# host-physical: the reads succeed, the other VM's code becomes 0xffffffff
# and that VM dies; the write hands its memory to the attacker.  It needs a
# disk of at least 264 sectors.  Exit code 42.
        .include "lib.s"

        .equ    BUF, 0x200000           # 64 KiB of 0xffffffff
        .equ    BACK, 0x210000          # where the stolen sectors come back
        .equ    OWN, 0x220000           # a read into its own memory
        .equ    TARGET, 0x01c01000      # host 28 MiB + 4 KiB: VM 1's code
        .equ    EDGE, 0x00fff000        # the last page of 16 MiB

        # start a command, wait for it (polling), print its status, acknowledge
        .macro  DISKCMD name, sector, count, addr, cmd
        li      r8, \sector
        out     disk_sector, r8
        li      r8, \count
        out     disk_count, r8
        li      r8, \addr
        out     disk_addr, r8
        li      r8, \cmd
        out     disk_cmd, r8
1:      in      r8, disk_status
        andi    r9, r8, 1
        bnez    r9, 1b
        SAYX    \name, r8
        out     disk_ack, r8
        .endm

        .text
attack:
        li      r10, BUF
        li      r11, BUF + 0x10000
        li      r9, -1
1:      sw      r9, 0(r10)
        addi    r10, r10, 4
        bne     r10, r11, 1b
        PUT     EDGE, 0x600dcafe
        DISKCMD "write the pattern", 0, 128, BUF, 2
        DISKCMD "write from the VM beside", 256, 8, TARGET, 2
        DISKCMD "read into the VM beside", 0, 128, TARGET, 1
        DISKCMD "read what came out", 256, 8, BACK, 1
        LOAD    "its first word", BACK
        DISKCMD "read across the end of memory", 0, 16, EDGE, 1
        LOAD    "the last page, after", EDGE
        DISKCMD "read into its own memory", 0, 8, OWN, 1
        LOAD    "its own page, after", OWN
        FINISH
