# faults.s — init for guests/kernel_faults.s: children that misbehave in
# every way a process can, one at a time, then one that spins forever
# beside one that works.  The kernel must kill each culprit alone (its
# message names the pid and what it did), preempt the spinner, and keep
# running everyone else.
        .equ    FAULTS_VA, 0x60000000

faults_main:
        la      r8, faults_list
1:      lw      r1, 0(r8)               # spawn each culprit and wait for it
        blt     r1, r0, 2f
        call    faults_run
        addi    r8, r8, 4
        j       1b
2:      li      r1, SYS_SPAWN           # the spinner, left running
        li      r2, PROG_LOOPER
        li      r3, 0
        syscall
        blt     r1, r0, 9f
        mov     r9, r1
        li      r1, PROG_GOOD           # a good process finishes beside it
        call    faults_run
        li      r1, SYS_KILL            # then the spinner is stopped
        mov     r2, r9
        syscall
        bnez    r1, 9f
        li      r1, SYS_WAIT
        mov     r2, r9
        syscall
        mov     r2, r1
        mov     r1, r9
        call    faults_say
        la      r1, faults_bye
        call    u_puts
        li      r1, 0
        call    u_exit
9:      la      r1, faults_fail
        call    u_fail

# faults_run(r1 = program): spawn it, wait for it, say how it ended.
faults_run:
        push    lr
        push    r8
        mov     r2, r1
        li      r1, SYS_SPAWN
        li      r3, 0
        syscall
        blt     r1, r0, 9b
        mov     r8, r1
        mov     r2, r1
        li      r1, SYS_WAIT
        syscall
        mov     r2, r1
        mov     r1, r8
        call    faults_say
        pop     r8
        pop     lr
        ret

# faults_say(r1 = pid, r2 = exit code): "faults: pid 2 exited with code -1"
faults_say:
        push    lr
        push    r8
        mov     r8, r2
        push    r1
        la      r1, faults_s1
        call    ub_str
        pop     r1
        call    ub_dec
        la      r1, faults_s2
        call    ub_str
        mov     r1, r8
        call    ub_dec
        li      r1, '\n'
        call    ub_char
        call    ub_flush
        pop     r8
        pop     lr
        ret

faults_list:
        .word   PROG_NULLREAD, PROG_PRIVILEGED, PROG_ILLEGAL, PROG_DIVZERO
        .word   PROG_ROWRITE, PROG_KERNELJUMP, -1

# The culprits.
nullread_main:                          # a null pointer: page 0 is never mapped
        lw      r1, 0(r0)
        call    u_exit
privileged_main:                        # ring 3 may not mask interrupts
        cli
        call    u_exit
illegal_main:                           # opcode 0xff is not an instruction
        .word   0xff000000
        call    u_exit
divzero_main:
        li      r1, 1
        div     r1, r1, r0
        call    u_exit
rowrite_main:                           # write to a page mapped read-only
        li      r1, SYS_MAP
        li      r2, FAULTS_VA
        li      r3, 0
        syscall
        sw      r2, 0(r2)
        call    u_exit
kerneljump_main:                        # the kernel's pages are supervisor-only
        li      r1, 0x1000
        jr      r1
looper_main:                            # never stops; only the timer gets it off the CPU
1:      j       1b

# good_main: work that needs several time slices, a deep stack (several
# demand-zero stack pages) and some heap, then a line of output.
        .equ    GOOD_DEPTH, 3000
        .equ    GOOD_ROUNDS, 30000
good_main:
        li      r1, GOOD_DEPTH          # recursion: 16 bytes a level
        call    good_sum
        mov     r10, r1
        li      r1, SYS_SBRK            # two heap pages, touched
        li      r2, 2 * PAGE_SIZE
        syscall
        li      r2, 0x1234
        sw      r2, 0(r1)
        sw      r2, PAGE_SIZE(r1)
        lw      r3, 0(r1)
        lw      r4, PAGE_SIZE(r1)
        add     r10, r10, r3
        add     r10, r10, r4
        li      r9, GOOD_ROUNDS         # and a compute loop
        li      r11, 1
1:      slli    r2, r11, 13
        xor     r11, r11, r2
        srli    r2, r11, 17
        xor     r11, r11, r2
        slli    r2, r11, 5
        xor     r11, r11, r2
        addi    r9, r9, -1
        bnez    r9, 1b
        add     r10, r10, r11
        la      r1, good_s
        call    ub_str
        mov     r1, r10
        call    ub_hex
        li      r1, '\n'
        call    ub_char
        call    ub_flush
        li      r1, 0
        call    u_exit

# good_sum(r1 = n) -> 1 + 2 + ... + n, the slow way.
good_sum:
        beqz    r1, 1f
        addi    sp, sp, -16
        sw      lr, 12(sp)
        sw      r1, 8(sp)
        addi    r1, r1, -1
        call    good_sum
        lw      r2, 8(sp)
        add     r1, r1, r2
        lw      lr, 12(sp)
        addi    sp, sp, 16
1:      ret

faults_s1:      .asciz  "faults: pid "
faults_s2:      .asciz  " exited with code "
faults_bye:     .asciz  "faults: the kernel survived\n"
faults_fail:    .asciz  "faults: a system call failed\n"
good_s:         .asciz  "good: finished beside a spinning process, checksum "
        .align  4
