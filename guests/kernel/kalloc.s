# kalloc.s — the physical frame allocator: a free list of 4 KiB frames.
#
# Every frame between the end of the kernel image and the end of memory is
# free at boot.  A free frame's first word points at the next free frame, so
# the list costs no memory of its own (xv6's kalloc.c).  Frames are handed
# out from the head; kinit builds the list from the top down so that the
# first frames handed out are the lowest ones — the order does not matter
# for correctness, but a fixed order keeps every run identical.
#
# The list is touched with interrupts masked (CRIT_ENTER/CRIT_EXIT), the
# critical section every kernel has around its allocator.  Here it guards
# against nothing — the kernel's timer handler never allocates — but it is
# where the red-pill instructions pushf and popf run, thousands of times a
# run, exactly as they would in a real kernel.

        .text

# kinit: put every frame from kernel_end to mem_top on the free list.
# One critical section for the whole loop.
kinit:
        CRIT_ENTER
        la      r1, kernel_end          # the first free frame (page-aligned)
        la      r2, mem_top
        lw      r2, 0(r2)               # one past the last frame
        la      r3, kmem_free
        li      r4, 0                   # the list so far: empty
        li      r5, 0                   # frames counted
        li      r6, PAGE_SIZE
1:      sub     r2, r2, r6              # the next frame down
        bltu    r2, r1, 2f
        sw      r4, 0(r2)               # it points at the ones above it
        mov     r4, r2
        addi    r5, r5, 1
        j       1b
2:      sw      r4, 0(r3)
        la      r3, kmem_nfree
        sw      r5, 0(r3)
        CRIT_EXIT
        ret

# kalloc() -> r1 = a free frame (physical address; its contents are
# whatever the last owner left), or 0 if memory is exhausted.
kalloc:
        CRIT_ENTER
        la      r2, kmem_free
        lw      r1, 0(r2)
        beqz    r1, 1f
        lw      r3, 0(r1)               # unlink the head
        sw      r3, 0(r2)
        la      r2, kmem_nfree
        lw      r3, 0(r2)
        addi    r3, r3, -1
        sw      r3, 0(r2)
1:      CRIT_EXIT
        ret

# kfree(r1 = frame): give a frame back.  Freeing something that is not a
# frame of the pool means the kernel's books are wrong: panic.
kfree:
        andi    r2, r1, PAGE_SIZE - 1
        bnez    r2, 1f
        la      r2, kernel_end
        bltu    r1, r2, 1f
        la      r2, mem_top
        lw      r2, 0(r2)
        bgeu    r1, r2, 1f
        CRIT_ENTER
        la      r2, kmem_free
        lw      r3, 0(r2)
        sw      r3, 0(r1)               # push on the head
        sw      r1, 0(r2)
        la      r2, kmem_nfree
        lw      r3, 0(r2)
        addi    r3, r3, 1
        sw      r3, 0(r2)
        CRIT_EXIT
        ret
1:      PANIC   "kfree: not a free-pool frame"

# kzalloc() -> r1 = a zeroed frame, or 0.  Every frame that reaches user
# space goes through here: a process must never see another's data.
kzalloc:
        push    lr
        call    kalloc
        beqz    r1, 1f
        push    r1
        li      r2, PAGE_SIZE
        call    memzero
        pop     r1
1:      pop     lr
        ret

# kalloc_table(r1 = level) -> r1 = a frame for a page table of that level,
# its entries zeroed, or 0.  A table of a level with k index bits has 2^k
# entries and uses only the first 4 * 2^k bytes of its page, so only those
# need clearing: the MMU never reads past them.
kalloc_table:
        push    lr
        push    r8
        slli    r8, r1, 2
        call    kalloc
        beqz    r1, 1f
        la      r2, lv_entries
        add     r2, r2, r8
        lw      r2, 0(r2)               # entries in a table of this level
        slli    r2, r2, 2
        mov     r8, r1
        call    memzero
        mov     r1, r8
        .if     PV
        li      r2, 0                   # a table: the kernel's mapping of it
        call    pv_kmap                 # becomes read-only (pv.s)
        .endif
1:      pop     r8
        pop     lr
        ret

# kfree_table(r1 = frame): give back a page table's frame.  The pv build
# first makes the kernel's mapping of it writable again (pv.s).
kfree_table:
        .if     PV
        li      r2, PTE_W
        push    lr
        call    pv_kmap
        pop     lr
        .endif
        j       kfree

        .data
        .align  4
kmem_free:      .word   0               # head of the free list
kmem_nfree:     .word   0               # frames on it
kmem_boot_nfree: .word  0               # free frames once the kernel's tables exist
mem_top:        .word   0               # physical memory size, page-rounded down
