# batch.s — the kernel's own batching code (guests/kernel/pv.s: pv_pte_queue,
# pv_pte_set, pv_flush), assembled into a small paravirtual guest of its
# own (2 levels, 4 MiB) and tried on patterns the bundled workloads never
# make.  Like labs/pv/adversary.s it builds its tables on the boot map — the
# root at 0x20000, one bottom table at 0x21000 mapping all 4 MiB 1:1, both
# read-only — loads them, and then asks for updates only through the
# student's three functions.  An update i points the page at 0x300000 + i
# pages at frame 0x100 + i, whose first word holds 0x100 + i; before it,
# that page reads 0 (frame 0x300 + i, never written).
#
# The boot parameter picks the test (ringsim run batch.img --args N):
#   1  queue 40 updates, pv_flush: every one visible, the batch empty
#   2  pv_pte_set: at once, and after what is queued (the same entry twice)
#   3  the words past the batch (pv_batch + 8 * PV_BATCH) after 40 updates
#   4  queue 65 updates, pv_flush (labs/pvbatch/checks.sh counts the
#      hypercalls: 65 updates, in 3 batches)
#   5  a batch whose second update the hypervisor refuses (a frame outside
#      the VM): pv_flush must see it and panic
# Each prints what it saw, one hex word a line.  (labs/pvbatch)
        .equ    PV, 1
        .include "../../guests/kernel/defs.s"
        .equ    ROOT, 0x20000
        .equ    BOTTOM, 0x21000
        .equ    VA0, 0x300000
        .equ    FRAME0, 0x100

        .text
_start:
        la      sp, stack_top
        la      r2, pv_shared
        HYPERCALL HC_SHARED_INFO
        la      r2, vectors
        HYPERCALL HC_SET_TRAP_TABLE
        la      r2, stack_top
        HYPERCALL HC_STACK_SWITCH
        li      r3, ROOT                # root[0] -> the bottom table
        li      r4, BOTTOM | PTE_P | PTE_W
        sw      r4, 0(r3)
        li      r5, 0                   # bottom[i] -> frame i, the tables read-only
        li      r6, 1024
        li      r7, BOTTOM
1:      slli    r4, r5, 12
        ori     r4, r4, PTE_P | PTE_W
        addi    r8, r5, -(ROOT >> 12)
        sltiu   r8, r8, 2
        beqz    r8, 2f
        xori    r4, r4, PTE_W
2:      slli    r8, r5, 2
        add     r8, r8, r7
        sw      r4, 0(r8)
        addi    r5, r5, 1
        blt     r5, r6, 1b
        li      r5, 0                   # frame 0x100 + i holds 0x100 + i
        li      r6, 80
3:      addi    r4, r5, FRAME0
        slli    r8, r4, 12
        sw      r4, 0(r8)
        addi    r5, r5, 1
        blt     r5, r6, 3b
        li      r2, ROOT
        HYPERCALL HC_PIN
        bnez    r1, broken
        li      r2, ROOT
        li      r3, 0
        HYPERCALL HC_NEW_BASEPTR
        bnez    r1, broken
        li      r1, BOOTARGS            # which test
        lbu     r1, 0(r1)
        addi    r1, r1, -'1'
        sltiu   r2, r1, 5
        beqz    r2, broken
        slli    r1, r1, 2
        la      r2, tests
        add     r1, r1, r2
        lw      r1, 0(r1)
        jr      r1

# 1: 40 queued, one pv_flush: the 40 pages, then pv_nbatch
t_flush:
        li      r1, 40
        call    queue_n
        call    pv_flush
        li      r1, 40
        call    show_n
        la      r1, pv_nbatch
        lw      r1, 0(r1)
        call    hex
        j       off

# 2: queue page 0 -> frame A, pv_pte_set page 0 -> frame B: B at once;
# pv_flush, the TLB flushed: still B.  Then pv_pte_set page 1 with nothing
# queued: at once.
t_set:
        li      r1, 0
        li      r2, 7
        call    entry
        call    pv_pte_queue
        li      r1, 0
        li      r2, 0
        call    entry
        call    pv_pte_set
        li      r1, 0
        call    show
        call    pv_flush
        HYPERCALL HC_TLB_FLUSH
        li      r1, 0
        call    show
        li      r1, 1
        li      r2, 1
        call    entry
        call    pv_pte_set
        li      r1, 1
        call    show
        la      r1, pv_nbatch
        lw      r1, 0(r1)
        call    hex
        j       off

# 3: 40 queued and sent: the two words past the batch are untouched
t_guard:
        li      r1, 40
        call    queue_n
        call    pv_flush
        la      r1, batch_guard
        lw      r1, 0(r1)
        call    hex
        la      r1, batch_guard
        lw      r1, 4(r1)
        call    hex
        j       off

# 4: 65 queued, one pv_flush: the last page, then pv_nbatch
t_count:
        li      r1, 65
        call    queue_n
        call    pv_flush
        li      r1, 64
        call    show
        la      r1, pv_nbatch
        lw      r1, 0(r1)
        call    hex
        j       off

# 5: page 0, then a frame outside the VM, then page 2, and pv_flush: the
# kernel's panic, not the line after it
t_refused:
        li      r1, 0
        li      r2, 0
        call    entry
        call    pv_pte_queue
        li      r1, 1
        call    entry
        li      r2, 0x00800000 | PTE_P
        call    pv_pte_queue
        li      r1, 2
        li      r2, 2
        call    entry
        call    pv_pte_queue
        call    pv_flush
        la      r1, msg_unseen
        call    puts
        j       off

# queue_n(r1 = n): pv_pte_queue of updates 0 .. n-1.
queue_n:
        push    lr
        push    r8
        push    r9
        mov     r9, r1
        li      r8, 0
1:      bgeu    r8, r9, 2f
        mov     r1, r8
        mov     r2, r8
        call    entry
        call    pv_pte_queue
        addi    r8, r8, 1
        j       1b
2:      pop     r9
        pop     r8
        pop     lr
        ret

# entry(r1 = page i, r2 = frame j) -> r1 = the entry of page i, r2 = an
# entry mapping frame 0x100 + j writable.
entry:
        slli    r1, r1, 2
        li      r3, BOTTOM + 4 * (VA0 >> 12)
        add     r1, r1, r3
        addi    r2, r2, FRAME0
        slli    r2, r2, 12
        ori     r2, r2, PTE_P | PTE_W
        ret

# show(r1 = page i): prints the first word of page i.
show:
        slli    r1, r1, 12
        li      r2, VA0
        add     r1, r1, r2
        lw      r1, 0(r1)
        j       hex

# show_n(r1 = n): prints the first words of pages 0 .. n-1.
show_n:
        push    lr
        push    r8
        push    r9
        mov     r9, r1
        li      r8, 0
1:      bgeu    r8, r9, 2f
        mov     r1, r8
        call    show
        addi    r8, r8, 1
        j       1b
2:      pop     r9
        pop     r8
        pop     lr
        ret

# What pv.s needs of the kernel: its panic (console.s prints the same),
# and what only pv_protect_tables uses, which this guest never calls.
panic:
        mov     r8, r1
        la      r1, msg_panic
        call    puts
        mov     r1, r8
        call    puts
        la      r1, msg_newline
        call    puts
        li      r1, 255
        j       power
walk:
kroot:
nlevels:
lv_entries:
broken:
        la      r1, msg_broken
        call    puts
        li      r1, 254
        j       power
off:    li      r1, 0
power:  mov     r3, r1
        li      r2, PORT_power
        HYPERCALL HC_OUT
1:      j       1b

# hex(r1): eight hex digits and a newline.  puts(r1): a string.  Both by
# HC_OUT, a character at a time; they keep r8 and up.
hex:
        li      r5, 28
        mov     r6, r1
1:      srl     r3, r6, r5
        andi    r3, r3, 15
        slti    r4, r3, 10
        bnez    r4, 2f
        addi    r3, r3, 'a' - 10 - '0'
2:      addi    r3, r3, '0'
        li      r2, PORT_con_data
        HYPERCALL HC_OUT
        addi    r5, r5, -4
        bge     r5, r0, 1b
        li      r3, '\n'
        li      r2, PORT_con_data
        HYPERCALL HC_OUT
        ret
puts:
        mov     r6, r1
1:      lbu     r3, 0(r6)
        beqz    r3, 2f
        li      r2, PORT_con_data
        HYPERCALL HC_OUT
        addi    r6, r6, 1
        j       1b
2:      ret

# Any trap: the guest is broken (none is expected).
handler:
        la      r1, msg_trap
        call    puts
        lw      r1, pv_shared + SH_cause(r0)
        call    hex
        li      r1, 253
        j       power

        .include "../../guests/kernel/pv.s"

        .data
        .align  4
tests:  .word   t_flush, t_set, t_guard, t_count, t_refused
vectors:
        .word   handler, handler, handler, handler, handler, handler, handler, handler
        .word   handler, handler, handler, handler, handler, handler, handler, handler
msg_panic:      .asciz  "kernel panic: "
msg_broken:     .asciz  "batch.s: the guest's own set-up failed\n"
msg_trap:       .asciz  "batch.s: an unexpected trap, cause "
msg_unseen:     .asciz  "the refusal went unnoticed\n"
msg_newline:    .asciz  "\n"
        .bss
        .align  4
batch_guard:    .space  8               # right after pv.s's pv_batch: never written
        .space  1024
stack_top:
