# pgfault.s — the page-fault loop: grow the heap with sbrk, then write one
# word in each new page.  Each first write is a not-present fault that the
# kernel answers with a fresh zeroed frame (demand-zero paging).  The pages
# are given back (sbrk with a negative increment) a chunk at a time, so any
# count runs in a bounded amount of memory.  The iteration count is the
# number of page faults.
        .equ    PGFAULT_DEFAULT, 256
        .equ    PGFAULT_CHUNK, 64

pgfault_main:
        li      r2, PGFAULT_DEFAULT
        call    u_count
        mov     r8, r1                  # r8 = pages to fault in, in all
        mov     r9, r1                  # r9 = pages left
        li      r10, FNV_BASIS          # r10 = checksum
        li      r13, 0                  # r13 = pages done
1:      beqz    r9, 5f
        li      r11, PGFAULT_CHUNK      # r11 = pages this round
        bgeu    r9, r11, 2f
        mov     r11, r9
2:      li      r1, SYS_SBRK
        slli    r2, r11, PAGE_SHIFT
        syscall
        li      r2, -1
        beq     r1, r2, 9f
        mov     r12, r1                 # r12 = the new pages
        mov     r4, r12
        li      r3, 0
3:      add     r5, r13, r3             # a value for this page
        li      r6, 0x9e3779b1
        mul     r5, r5, r6
        sw      r5, 0(r4)               # the fault: first touch
        lw      r6, 4(r4)               # never written: must read 0
        add     r5, r5, r6
        lw      r6, 0(r4)
        add     r5, r5, r6
        MIX     r10, r5, r6
        addi    r4, r4, PAGE_SIZE
        addi    r3, r3, 1
        bne     r3, r11, 3b
        li      r1, SYS_SBRK            # give them back
        slli    r2, r11, PAGE_SHIFT
        neg     r2, r2
        syscall
        add     r13, r13, r11
        sub     r9, r9, r11
        j       1b
5:      la      r1, pgfault_name
        mov     r2, r8
        mov     r3, r10
        call    u_report
        li      r1, 0
        call    u_exit
9:      la      r1, pgfault_fail
        call    u_fail

pgfault_name:   .asciz  "pgfault"
pgfault_fail:   .asciz  "pgfault: sbrk failed\n"
        .align  4
