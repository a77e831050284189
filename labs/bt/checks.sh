# labs/bt/checks.sh — graded by labs/grade.sh (sourced; see its functions).
# lab_break: the breakpoint a failure suggests (brk: one check's own).
lab_break="break trap"
same_as_native 10 "syscall under bt, classic ISA, prints what bare metal prints" syscall "--args 50" "--mode bt"
same_as_native 10 "the whole kernel demo under bt, classic ISA" kernel "" "--mode bt"
brk "break trap protection"
same_as_native 10 "red pills in ring 0 show ring 0, as on bare metal (popfring.s)" "$lab_img/../te/popfring.img" "" "--mode bt"
stats 10 "every sensitive instruction is a callout, none trapped to emulate" \
    '.bt.callouts > 0 and .te.emulated == .bt.callouts' syscall --args 50 --isa strict --mode bt
same_as_native 10 "code the guest rewrites runs as rewritten (smc.s)" "$lab_img/smc.img" "" "--mode bt"
same_stats 10 "translated block by block, each instruction once (blocks.json)" \
    blocks.json '.bt | {blocks, instructions}' forkwait --args 4 --isa strict --mode bt --bt-chain off
# chaining (steps 4 and 5)
same_as_native 10 "a chained call runs the routine as rewritten (smcchain.s)" \
    "$lab_img/smcchain.img" "" "--mode bt"
same_as_native 10 "returns and jump tables go where their register says (indirect.s)" \
    "$lab_img/indirect.img" "" "--mode bt"
same_as_native 10 "a chained call into a remapped page runs its new code (remap.s)" \
    "$lab_img/remap.img" "" "--mode bt"
same_stats 10 "exits dispatched and chained as the reference's (chains.json)" \
    chains.json '.bt | {dispatches, chained, unchains}' forkwait --args 4 --isa strict --mode bt
