# mistake: pv_pte_queue sends the batch only when it holds more than PV_BATCH: the 33rd pair is written past the end of pv_batch
# caught by: 65 updates: 3 hypercalls of at most 32, each sent once (batch.s 4)
# caught by: nothing is written past the batch's PV_BATCH pairs (batch.s 3)
pv_pte_queue:
        addi    sp, sp, -12
        sw      lr, 8(sp)
        sw      r3, 4(sp)
        sw      r4, 0(sp)
        la      r3, pv_nbatch
        lw      r4, 0(r3)
        sltiu   r3, r4, PV_BATCH + 1
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
