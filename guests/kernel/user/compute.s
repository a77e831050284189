# compute.s — the compute loop: a xorshift generator and a multiply-add,
# nothing but registers.  No system call, no memory access, no sensitive
# instruction inside the loop: any virtualisation mode should run it at
# native speed (only the timer's ticks reach the kernel).
        .equ    COMPUTE_DEFAULT, 50000

compute_main:
        li      r2, COMPUTE_DEFAULT
        call    u_count
        mov     r8, r1                  # r8 = iterations
        mov     r9, r1                  # r9 = left
        li      r10, 0x12345678         # r10 = x, the generator's state
        li      r11, 0                  # r11 = accumulator
        li      r12, FNV_PRIME
        beqz    r9, 2f
1:      XORSHIFT r10, r2                # x ^= x << 13; x ^= x >> 17; x ^= x << 5
        mul     r3, r10, r12
        add     r11, r11, r3
        addi    r9, r9, -1
        bnez    r9, 1b
2:      xor     r3, r11, r10
        la      r1, compute_name
        mov     r2, r8
        call    u_report
        li      r1, 0
        call    u_exit

compute_name:   .asciz  "compute"
        .align  4
