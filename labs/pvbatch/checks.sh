# labs/pvbatch/checks.sh — graded by labs/grade.sh (sourced; see its functions).
# lab_break: the breakpoint a failure suggests (brk: one check's own).
lab_break="break pv_flush"
same_as_native 10 "forkwait under pv prints what bare metal prints (4 levels)" forkwait "--args 6 --levels 4" "--mode pv"
same_as_native 10 "ptemod under pv prints what bare metal prints (3 levels)" ptemod "--args 20 --levels 3" "--mode pv"
stats 10 "forkwait sends 8 or more updates a mmu_update hypercall" \
    '.pv.updates >= 8 * .pv.by_op.mmu_update' forkwait --args 6 --levels 4 --mode pv
prints 10 "pv_flush sends all 40 queued and empties the batch (batch.s 1)" \
    batch1.out "$lab_img/batch.img" --mem 4M --levels 2 --mode pv --args 1
prints 10 "pv_pte_set: at once, after what is queued before it (batch.s 2)" \
    batch2.out "$lab_img/batch.img" --mem 4M --levels 2 --mode pv --args 2
prints 10 "nothing is written past the batch's PV_BATCH pairs (batch.s 3)" \
    batch3.out "$lab_img/batch.img" --mem 4M --levels 2 --mode pv --args 3
stats 10 "65 updates: 3 hypercalls of at most 32, each sent once (batch.s 4)" \
    '.pv.updates == 65 and .pv.by_op.mmu_update == 3 and .pv.refused == 0' "$lab_img/batch.img" --mem 4M --levels 2 --mode pv --args 4
prints 10 "a refusal part-way through a batch is noticed (batch.s 5)" \
    batch5.out "$lab_img/batch.img" --mem 4M --levels 2 --mode pv --args 5
