# macros, conditions, numeric labels, .phase and expressions
        .equ    N, 4
        .macro  fill n, v=0
        .if     \n
        .word   \v + \n
        fill    (\n-1), \v
        .endif
        .endm
        .text
        .global _start
_start: li      r1, %hi(table) << 16 | %lo(table)
1:      addi    r1, r1, -1
        bnez    r1, 1b
        beq     r0, r0, 2f
2:      j       user_copy
        fill    N, 7
        .ifdef  N
        .ascii  "yes\n\0"
        .else
        .asciz  "no"
        .endif
        .align  8
user_copy:
        .phase  0x40000000
ucode:  nop
        j       ucode
        .dephase
        .data
table:  .half   1, 2, -3
        .byte   'a', '\x41', (1 << 8) - 1
        .space  16, 0xff
        .bss
buf:    .space  64
        .entry  _start
