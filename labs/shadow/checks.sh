# labs/shadow/checks.sh — graded by labs/grade.sh (sourced; see its functions).
# lab_break: the breakpoint a failure suggests (brk: one check's own).
lab_break="break trap page_fault"
same_as_native 10 "pgfault under te+shadow prints what bare metal prints" pgfault "--args 40 --isa strict" "--mode te --mmu shadow"
same_as_native 10 "ptemod under te+shadow, 4 levels" ptemod "--args 30 --isa strict --levels 4" "--mode te --mmu shadow"
same_as_native 10 "ctxswitch under hw+shadow (early VT-x)" ctxswitch "--args 60" "--mode hw --mmu shadow"
same_as_native 10 "tlbstride under bt+shadow, 4 levels" tlbstride "--args 2 --levels 4" "--mode bt --mmu shadow"
same_as_native 10 "accessed and dirty bits the guest reads are as on bare metal" "$lab_img/adbits.img" "" "--mode te --mmu shadow"
stats 10 "hidden faults fill the shadow, tracing faults keep it in step" \
    '.shadow.hidden_faults > 100 and .shadow.tracing_faults > 50 and .shadow.cache_hits > 0' \
    ptemod --args 30 --isa strict --mode te
same_as_native 10 "a page read, then written, comes out dirty (dirty.s)" "$lab_img/dirty.img" "" "--mode te --mmu shadow"
same_as_native 10 "a process touching the kernel's pages is stopped as on bare metal" kernel_faults "--isa strict" "--mode te --mmu shadow"
