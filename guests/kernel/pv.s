# pv.s — what the paravirtual build of the kernel adds (assembled only with
# -D PV=1; see defs.s for the macros and the hypercall numbers).
#
# A paravirtual kernel knows it runs deprivileged, in ring 1, under a
# hypervisor that owns ring 0, and asks instead of trying:
#   - the interrupt flag and the trap registers are words of a page it shares
#     with the hypervisor (pv_shared), read and written with plain loads and
#     stores — the red pills pushf/popf/smsw/sptb are never executed;
#   - every other sensitive operation is a hypercall (vmcall);
#   - its page tables are its own and the MMU walks them directly — no shadow
#     tables — but it may not write them: its own mapping of every table is
#     read-only, and each update goes to the hypervisor, which checks it
#     (nothing outside the VM's memory, no writable mapping of a table)
#     before it writes it.  Updates are queued and sent in batches
#     (pv_pte_queue, pv_flush), up to PV_BATCH per hypercall.
# Hypercalls take r1 = number, r2/r3 = arguments and return r1; they keep
# every other register.

        .text

# The batching of page-table updates (labs/pvbatch): pv_pte_queue, pv_pte_set
# and pv_flush keep the kernel's semantics exact — every update reaches the
# hypervisor, once, in the order the kernel made them — while sending as few
# hypercalls as they can, as Xen's mmu_update batches and multicalls do.
# The batch is pv_batch (PV_BATCH (entry address, value) pairs, 8 bytes
# each) holding pv_nbatch updates; nothing may be written past its end.
#
# pv_pte_queue(r1 = entry address, r2 = value): queue one page-table update;
# sends the batch first if it is full.  Keeps every register but r1, r2.
#
# pv_pte_set(r1 = entry address, r2 = value): one update, now (after any
# that are queued, in order).  Keeps every register but r1, r2.
#
# pv_flush: send the queued updates in one HC_MMU_UPDATE, leaving the batch
# empty (it returns how many it did, up to the first one it refused).  The
# hypervisor refusing one is a kernel bug: panic.  Keeps every register.
#
# The kernel calls pv_flush after a run of pv_pte_queue (vm.s: mappages,
# uvm_create), so no update is still queued when it switches address
# space, flushes the TLB or returns to user mode.
# LAB(pvbatch) BEGIN: pv_pte_queue, pv_pte_set and pv_flush, batching the updates
pv_pte_queue:
        addi    sp, sp, -12
        sw      lr, 8(sp)
        sw      r3, 4(sp)
        sw      r4, 0(sp)
        la      r3, pv_nbatch
        lw      r4, 0(r3)
        sltiu   r3, r4, PV_BATCH
        bnez    r3, 1f
        call    pv_flush                # full: send it
        li      r4, 0
1:      slli    r3, r4, 3               # 8 bytes a pair
        push    r4
        la      r4, pv_batch
        add     r3, r3, r4
        pop     r4
        sw      r1, 0(r3)
        sw      r2, 4(r3)
        addi    r4, r4, 1
        la      r3, pv_nbatch
        sw      r4, 0(r3)
        lw      r4, 0(sp)
        lw      r3, 4(sp)
        lw      lr, 8(sp)
        addi    sp, sp, 12
        ret

pv_pte_set:
        push    lr
        call    pv_pte_queue
        call    pv_flush
        pop     lr
        ret

pv_flush:
        addi    sp, sp, -16
        sw      r1, 12(sp)
        sw      r2, 8(sp)
        sw      r3, 4(sp)
        sw      r4, 0(sp)
        la      r4, pv_nbatch
        lw      r3, 0(r4)
        beqz    r3, 1f
        sw      r0, 0(r4)
        la      r2, pv_batch
        HYPERCALL HC_MMU_UPDATE
        bne     r1, r3, 2f
1:      lw      r4, 0(sp)
        lw      r3, 4(sp)
        lw      r2, 8(sp)
        lw      r1, 12(sp)
        addi    sp, sp, 16
        ret
2:      PANIC   "pv: the hypervisor refused a page-table update"
#| pv_pte_queue:
#| pv_pte_set:
#| pv_flush:
#|         PANIC   "pvbatch: pv_pte_queue, pv_pte_set and pv_flush are yours to write (labs/pvbatch/handout.md)"
# LAB(pvbatch) END

# pv_kmap(r1 = frame, r2 = PTE_W or 0): make the kernel's identity mapping
# of frame read-only (it becomes a page table) or writable again (it is
# freed), with HC_UPDATE_VA, which also drops the stale TLB entry.  Before
# paging is on (boot: the kernel's tables are still being built) there is
# nothing to change.  Keeps every register.
pv_kmap:
        addi    sp, sp, -12
        sw      r1, 8(sp)
        sw      r2, 4(sp)
        sw      r3, 0(sp)
        la      r3, pv_paging
        lw      r3, 0(r3)
        beqz    r3, 1f
        ori     r3, r2, PTE_P | PTE_G
        or      r3, r3, r1
        mov     r2, r1
        HYPERCALL HC_UPDATE_VA
        bnez    r1, 2f
1:      lw      r3, 0(sp)
        lw      r2, 4(sp)
        lw      r1, 8(sp)
        addi    sp, sp, 12
        ret
2:      PANIC   "pv: the hypervisor refused to change the kernel's mapping of a table"

# pv_protect_tables(r1 = table, r2 = level): at boot, before any table is
# in use, make the identity-map entries of table and of every table below it
# read-only.  The kernel still runs on the hypervisor's boot map, so these
# are plain stores; the hypervisor checks the result when the kernel's root
# is first loaded (HC_NEW_BASEPTR).
pv_protect_tables:
        addi    sp, sp, -24
        sw      lr, 20(sp)
        sw      r8, 16(sp)
        sw      r9, 12(sp)
        sw      r10, 8(sp)
        sw      r11, 4(sp)
        sw      r12, 0(sp)
        mov     r8, r1
        mov     r9, r2
        la      r1, kroot               # this table's own entry: read-only
        lw      r1, 0(r1)
        mov     r2, r8
        li      r3, 0
        call    walk
        beqz    r1, 9f
        lw      r2, 0(r1)
        andi    r3, r2, PTE_W
        xor     r2, r2, r3
        sw      r2, 0(r1)
        la      r12, nlevels
        lw      r12, 0(r12)
        addi    r12, r12, -1
        beq     r9, r12, 3f             # a bottom table points at no table
        slli    r4, r9, 2
        la      r5, lv_entries
        add     r5, r5, r4
        lw      r11, 0(r5)
        slli    r11, r11, 2
        add     r11, r11, r8            # r11 = end of the entries
        mov     r10, r8
1:      bgeu    r10, r11, 3f
        lw      r1, 0(r10)
        andi    r2, r1, PTE_P
        beqz    r2, 2f
        srli    r1, r1, PAGE_SHIFT
        slli    r1, r1, PAGE_SHIFT
        addi    r2, r9, 1
        call    pv_protect_tables
2:      addi    r10, r10, 4
        j       1b
3:      lw      r12, 0(sp)
        lw      r11, 4(sp)
        lw      r10, 8(sp)
        lw      r9, 12(sp)
        lw      r8, 16(sp)
        lw      lr, 20(sp)
        addi    sp, sp, 24
        ret
9:      PANIC   "pv: a page table outside the kernel's identity map"

        .data
        .align  4
# The page shared with the hypervisor (registered at boot, HC_SHARED_INFO).
# Its words are addressed absolutely (pv_shared + SH_x(r0)), so it must sit
# below 32 KiB — it does: the kernel's data starts a few pages in.
pv_shared:      .space  SH_SIZE
pv_paging:      .word   0               # 1 once the kernel runs on its own tables
pv_nbatch:      .word   0               # updates queued in pv_batch
        .bss
        .align  4
pv_batch:       .space  8 * PV_BATCH    # (entry address, value) pairs
        .text
