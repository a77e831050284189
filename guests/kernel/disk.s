# disk.s — the block-device driver (DISK=1 kernels only: guests/diskio.s).
#
# The device (docs/isa.md, "Block device") moves whole sectors between its
# disk and physical memory by DMA.  The driver hands it the physical page
# behind the caller's buffer, so the data goes straight to and from the
# process's memory (no copy in the kernel), then waits for the device to
# finish by reading its status until busy clears.  Under a hypervisor every
# one of those port accesses is a trap or a VM exit: the cost of emulated
# I/O, measured by `diskio`.

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
        INP     r8, disk_size
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
        OUTP    disk_addr, r1
        OUTP    disk_sector, r9
        OUTP    disk_count, r10
3:      OUTP    disk_cmd, r8
4:      INP     r11, disk_status        # wait for it
        andi    r2, r11, 1
        bnez    r2, 4b
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
