# labs/pv/checks.sh — graded by labs/grade.sh (sourced; see its functions).
same_as_native 10 "syscall under pv prints what bare metal prints" syscall "--args 200" "--mode pv"
same_as_native 10 "forkwait under pv, 4 levels" forkwait "--args 6 --levels 4" "--mode pv"
stats 10 "no update of the real kernel is refused" '.pv.refused == 0 and .pv.updates > 1000' ptemod --args 20 --mode pv
stats_of_any_end 20 "a guest mapping outside the VM, or a table writable, is stopped" '.vms[0].exit_code == 255' \
    "$lab_img/adversary.img" --mem 4M --mode pv --levels 2
stats_of_any_end 10 "... by four refusals, and its good update is done" '.pv.refused == 4' \
    "$lab_img/adversary.img" --mem 4M --mode pv --levels 2
