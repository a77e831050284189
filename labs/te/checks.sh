# labs/te/checks.sh — graded by labs/grade.sh (sourced; see its functions).
same_as_native 10 "syscall under te, strict ISA, prints what bare metal prints" syscall "--args 200 --isa strict" "--mode te"
same_as_native 10 "ctxswitch under te, strict ISA, 4 levels" ctxswitch "--args 40 --isa strict --levels 4" "--mode te"
same_as_native 10 "forkwait under te, strict ISA" forkwait "--args 4 --isa strict" "--mode te"
same_as_native 10 "the whole kernel demo under te, strict ISA" kernel "--isa strict" "--mode te"
stats 10 "pushf, popf, cli, sti and iret were emulated" \
    '.te.emulated_by_op | (.pushf > 0) and (.popf > 0) and (.cli > 0) and (.sti > 0) and (.iret > 0)' \
    syscall --args 50 --isa strict --mode te
prints 10 "on the classic ISA the red pills show, and the kernel carries on" classic.out \
    syscall --args 50 --mode te --isa classic
