# tlbstride.s — TLB thrashing: one word in each of TLBSTRIDE_PAGES pages,
# page after page, pass after pass.  256 pages are four times what a
# 64-entry TLB can hold, so in steady state every access misses and walks
# the page tables (more references per walk with more levels).  The first
# pass also faults every page in (demand-zero).  The iteration count is the
# number of passes.
        .equ    TLBSTRIDE_DEFAULT, 32
        .equ    TLBSTRIDE_PAGES, 256

tlbstride_main:
        li      r2, TLBSTRIDE_DEFAULT
        call    u_count
        mov     r8, r1                  # r8 = passes
        li      r1, SYS_SBRK
        li      r2, TLBSTRIDE_PAGES * PAGE_SIZE
        syscall
        li      r2, -1
        beq     r1, r2, 9f
        mov     r11, r1                 # r11 = the working set
        li      r12, TLBSTRIDE_PAGES
        li      r9, 0                   # r9 = pass
        beqz    r8, 3f
1:      mov     r4, r11
        li      r5, 0                   # r5 = page
2:      lw      r6, 0(r4)               # one word per page: a TLB miss each
        add     r6, r6, r9
        xor     r6, r6, r5
        sw      r6, 0(r4)
        addi    r4, r4, PAGE_SIZE
        addi    r5, r5, 1
        bne     r5, r12, 2b
        addi    r9, r9, 1
        bne     r9, r8, 1b
3:      li      r10, FNV_BASIS          # the checksum: every page's word
        mov     r4, r11
        li      r5, 0
4:      lw      r6, 0(r4)
        MIX     r10, r6, r7
        addi    r4, r4, PAGE_SIZE
        addi    r5, r5, 1
        bne     r5, r12, 4b
        la      r1, tlbstride_name
        mov     r2, r8
        mov     r3, r10
        call    u_report
        li      r1, 0
        call    u_exit
9:      la      r1, tlbstride_fail
        call    u_fail

tlbstride_name: .asciz  "tlbstride"
tlbstride_fail: .asciz  "tlbstride: sbrk failed\n"
        .align  4
