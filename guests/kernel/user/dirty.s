# dirty.s — a workload whose write rate is a parameter, for live migration
# (docs/migration.md; DIRTY=1 kernels only: guests/dirty.s).
#
# DIRTY_PASSES passes over a working set of DIRTY_PAGES pages; each pass
# computes for DIRTY_WORK iterations (registers only), then writes one word
# in each of the next N pages of the working set, round and round — N, the
# iteration count (`--args N`), is the write rate: pages dirtied per pass.
# A migration's pre-copy rounds chase those pages; how many a round finds
# dirty grows with N up to the whole working set (the writable working set
# of Clark et al., NSDI 2005).  The checksum folds in every page's word, so
# a page that reached the target stale changes the line it ends with.
        .equ    DIRTY_DEFAULT, 8
        .equ    DIRTY_PAGES, 256
        .equ    DIRTY_PASSES, 2000
        .equ    DIRTY_WORK, 2000

dirty_main:
        li      r2, DIRTY_DEFAULT
        call    u_count
        mov     r8, r1                  # r8 = pages per pass
        li      r1, SYS_SBRK
        li      r2, DIRTY_PAGES * PAGE_SIZE
        syscall
        li      r2, -1
        beq     r1, r2, 9f
        mov     r11, r1                 # r11 = the working set
        li      r9, 0                   # r9 = pass
        li      r5, 0                   # r5 = next page to write
        li      r10, 0x2545f491         # r10 = the generator's state
1:      li      r4, DIRTY_WORK          # the computing part of a pass
2:      XORSHIFT r10, r2
        addi    r4, r4, -1
        bnez    r4, 2b
        mov     r4, r8                  # the writing part: N pages
        beqz    r4, 4f
3:      slli    r2, r5, PAGE_SHIFT
        add     r2, r2, r11
        lw      r6, 0(r2)
        add     r6, r6, r10
        xor     r6, r6, r9
        sw      r6, 0(r2)
        addi    r5, r5, 1
        li      r2, DIRTY_PAGES
        bne     r5, r2, 5f
        li      r5, 0
5:      addi    r4, r4, -1
        bnez    r4, 3b
4:      addi    r9, r9, 1
        li      r2, DIRTY_PASSES
        bne     r9, r2, 1b
        li      r10, FNV_BASIS          # the checksum: every page's word
        mov     r4, r11
        li      r5, 0
6:      lw      r6, 0(r4)
        MIX     r10, r6, r7
        addi    r4, r4, PAGE_SIZE
        addi    r5, r5, 1
        li      r2, DIRTY_PAGES
        bne     r5, r2, 6b
        la      r1, dirty_name
        mov     r2, r8
        mov     r3, r10
        call    u_report
        li      r1, 0
        call    u_exit
9:      la      r1, dirty_fail
        call    u_fail

dirty_name:     .asciz  "dirty"
dirty_fail:     .asciz  "dirty: sbrk failed\n"
        .align  4
