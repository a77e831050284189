# labs/pv/checks.sh — graded by labs/grade.sh (sourced; see its functions).
# lab_break: the breakpoint a failure suggests (brk: one check's own).
lab_break="break trap hypercall"
brk "break trap page_fault"
same_as_native 10 "syscall under pv prints what bare metal prints" syscall "--args 200" "--mode pv"
brk "break trap page_fault"
same_as_native 10 "forkwait under pv, 4 levels" forkwait "--args 6 --levels 4" "--mode pv"
stats 10 "no update of the real kernel is refused" '.pv.refused == 0 and .pv.updates > 1000' ptemod --args 20 --mode pv
stats_of_any_end 20 "a guest mapping outside the VM, or a table writable, is stopped" '.vms[0].exit_code == 255' \
    "$lab_img/adversary.img" --mem 4M --mode pv --levels 2
stats_of_any_end 10 "... by four refusals, and its good update is done" '.pv.refused == 4' \
    "$lab_img/adversary.img" --mem 4M --mode pv --levels 2
stats_of_any_end 10 "the first frame past the VM is outside it too (edges.s)" '.vms[0].exit_code % 2 == 1' \
    "$lab_img/edges.img" --mem 4M --mode pv --levels 2
stats_of_any_end 10 "a table linked where one of another level belongs is refused (edges.s)" '(.vms[0].exit_code / 2 | floor) % 2 == 1' \
    "$lab_img/edges.img" --mem 4M --mode pv --levels 2
stats_of_any_end 10 "a large page is refused (edges.s)" '(.vms[0].exit_code / 4 | floor) % 2 == 1' \
    "$lab_img/edges.img" --mem 4M --mode pv --levels 2
