# diskio.s — block I/O through the kernel's disk driver (DISK=1 kernels:
# guests/diskio.s, run with --disk FILE).  N blocks of 8 sectors (4 KiB):
# written sequentially, then N random blocks (a fixed LCG) written over
# them, a flush, then every block read back in order and N random ones
# again, all folded into one checksum.  Sector 0 then gets a header (magic,
# N, checksum) and a second flush.  A run that finds that header on its
# disk writes nothing: it reads the same blocks back and checks the
# checksum — the data of the first run, which may have been another
# technique's, or a simulator killed after the flush.
        .equ    DISKIO_DEFAULT, 32
        .equ    DISKIO_MAGIC, 0x4b534944  # "DISK"
        .equ    LCG_A, 1664525            # Numerical Recipes' LCG
        .equ    LCG_C, 1013904223
        .equ    DK_BLOCK, 8               # sectors in a block (one page)

# DK_PICK: r2 = the first sector of the r10-th block access of 2N: block
# r10 for the first N, then a block the LCG in r11 picks (r11 advances).
        .macro  DK_PICK
        mov     r2, r10
        bltu    r10, r8, .Lpick\@
        li      r3, LCG_A
        mul     r11, r11, r3
        li      r3, LCG_C
        add     r11, r11, r3
        srli    r2, r11, 8
        remu    r2, r2, r8
.Lpick\@: slli   r2, r2, 3
        addi    r2, r2, DK_BLOCK
        .endm

diskio_main:
        li      r2, DISKIO_DEFAULT
        call    u_count
        mov     r8, r1                  # r8 = N blocks
        li      r1, 0                   # the disk's size
        li      r3, 0
        call    dk_call
        beqz    r1, 7f
        addi    r2, r8, 1               # the header's block and N more
        slli    r2, r2, 3
        bltu    r1, r2, 6f
        li      r1, SYS_SBRK            # a page-aligned page for DMA
        li      r2, 8192
        syscall
        addi    r1, r1, 4095
        li      r2, -4096
        and     r9, r1, r2              # r9 = the buffer
        li      r1, DISK_READ           # the header, if a run left one
        li      r2, 0
        li      r3, 1
        mov     r4, r9
        call    dk_call
        bnez    r1, 5f
        lw      r2, 0(r9)
        li      r3, DISKIO_MAGIC
        bne     r2, r3, 1f
        lw      r2, 4(r9)
        bne     r2, r8, 1f
        lw      r12, 8(r9)              # verify mode
        call    dk_readback
        bne     r1, r12, 8f
        la      r1, diskio_verified
        call    u_puts
        j       4f
1:      li      r10, 0                  # N in order, then N at random
        li      r11, 12345
2:      slli    r3, r8, 1
        bgeu    r10, r3, 10f
        DK_PICK
        push    r2
        mov     r2, r11                 # the random half: the LCG's value
        bgeu    r10, r8, 3f
        li      r3, 0x9e3779b9          # in order: from the block number
        mul     r2, r10, r3
        addi    r2, r2, 1
3:      mov     r1, r9
        call    dk_fill
        pop     r2
        li      r1, DISK_WRITE
        call    dk_block
        bnez    r1, 5f
        addi    r10, r10, 1
        j       2b
10:     li      r1, DISK_FLUSH
        call    dk_call
        bnez    r1, 5f
        call    dk_readback
        mov     r12, r1                 # r12 = the checksum
        li      r2, DISKIO_MAGIC        # the header, and a flush
        sw      r2, 0(r9)
        sw      r8, 4(r9)
        sw      r12, 8(r9)
        li      r1, DISK_WRITE
        li      r2, 0
        li      r3, 1
        mov     r4, r9
        call    dk_call
        bnez    r1, 5f
        li      r1, DISK_FLUSH
        call    dk_call
        bnez    r1, 5f
4:      la      r1, diskio_name
        mov     r2, r8
        mov     r3, r12
        call    u_report
        li      r1, 0
        call    u_exit
5:      la      r1, diskio_ioerr
        call    u_fail
6:      la      r1, diskio_small
        call    u_fail
7:      la      r1, diskio_nodisk
        call    u_fail
8:      la      r1, diskio_mismatch
        call    u_fail

# dk_call(r1 = command, r2 = sector, r3 = count, r4 = page) -> r1 = error
dk_call:
        slli    r3, r3, 8
        or      r3, r3, r1
        mov     r1, r3
        mov     r3, r2
        mov     r2, r1
        li      r1, SYS_DISK
        syscall
        ret

# dk_block(r1 = command, r2 = sector): one block to or from the buffer (r9).
dk_block:
        li      r3, DK_BLOCK
        mov     r4, r9
        j       dk_call

# dk_fill(r1 = page, r2 = seed): 1024 words of the LCG from seed.
dk_fill:
        li      r3, 1024
        li      r4, LCG_A
        li      r5, LCG_C
1:      mul     r2, r2, r4
        add     r2, r2, r5
        sw      r2, 0(r1)
        addi    r1, r1, 4
        addi    r3, r3, -1
        bnez    r3, 1b
        ret

# dk_sum(r1 = cs): folds the buffer's (r9) 1024 words into cs -> r1.
dk_sum:
        mov     r2, r9
        li      r3, 1024
1:      lw      r4, 0(r2)
        MIX     r1, r4, r5
        addi    r2, r2, 4
        addi    r3, r3, -1
        bnez    r3, 1b
        ret

# dk_readback() -> r1 = the checksum of every block read in order, then of
# N blocks read at random (a second LCG); 0 if a read failed.
dk_readback:
        push    lr
        push    r10
        push    r11
        push    r12
        li      r12, FNV_BASIS
        li      r11, 777
        li      r10, 0
1:      slli    r3, r8, 1
        bgeu    r10, r3, 4f
        DK_PICK
        li      r1, DISK_READ
        call    dk_block
        bnez    r1, 5f
        mov     r1, r12
        call    dk_sum
        mov     r12, r1
        addi    r10, r10, 1
        j       1b
5:      li      r12, 0
4:      mov     r1, r12
        pop     r12
        pop     r11
        pop     r10
        pop     lr
        ret

diskio_name:     .asciz  "diskio"
diskio_verified: .asciz  "diskio: verified the blocks a previous run wrote\n"
diskio_ioerr:    .asciz  "diskio: disk error\n"
diskio_small:    .asciz  "diskio: disk too small (needs (N+1)*8 sectors)\n"
diskio_nodisk:   .asciz  "diskio: no disk (run with --disk FILE)\n"
diskio_mismatch: .asciz  "diskio: verify FAILED: the blocks differ from what the first run wrote\n"
        .align  4
