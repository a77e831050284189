# ptemod.s — the page-table-modification loop: map a fresh page, write it,
# make it read-only, read it, make it writable again, write it, unmap it.
# Four system calls an iteration, each changing one page-table entry (and
# the three that weaken or remove a mapping flushing it from the TLB with
# invlpg) — the work a shadow-paging hypervisor must trace.
        .equ    PTEMOD_DEFAULT, 200
        .equ    PTEMOD_VA, 0x60000000   # eight pages here, in turn

ptemod_main:
        li      r2, PTEMOD_DEFAULT
        call    u_count
        mov     r8, r1                  # r8 = iterations
        li      r9, 0                   # r9 = i
        li      r10, FNV_BASIS          # r10 = checksum
        beqz    r8, 2f
1:      andi    r11, r9, 7              # r11 = this iteration's page
        slli    r11, r11, PAGE_SHIFT
        li      r2, PTEMOD_VA
        add     r11, r11, r2
        li      r1, SYS_MAP             # map(va, writable)
        mov     r2, r11
        li      r3, 1
        syscall
        bnez    r1, 9f
        sw      r9, 0(r11)
        li      r1, SYS_PROTECT         # protect(va, read-only)
        mov     r2, r11
        li      r3, 0
        syscall
        bnez    r1, 9f
        lw      r4, 0(r11)              # reading is still allowed
        MIX     r10, r4, r2
        li      r1, SYS_PROTECT         # protect(va, writable)
        mov     r2, r11
        li      r3, 1
        syscall
        bnez    r1, 9f
        addi    r4, r4, 1
        sw      r4, 4(r11)
        lw      r5, 4(r11)
        lw      r6, 8(r11)              # a fresh page is zeroed
        add     r5, r5, r6
        MIX     r10, r5, r2
        li      r1, SYS_UNMAP           # unmap(va)
        mov     r2, r11
        syscall
        bnez    r1, 9f
        addi    r9, r9, 1
        bne     r9, r8, 1b
2:      la      r1, ptemod_name
        mov     r2, r8
        mov     r3, r10
        call    u_report
        li      r1, 0
        call    u_exit
9:      la      r1, ptemod_fail
        call    u_fail

ptemod_name:    .asciz  "ptemod"
ptemod_fail:    .asciz  "ptemod: a system call failed\n"
        .align  4
