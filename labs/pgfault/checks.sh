# labs/pgfault/checks.sh — graded by labs/grade.sh (sourced; see its functions).
# lab_break: the breakpoint a failure suggests (brk: one check's own).
lab_break="break user_pgfault"
prints 15 "pgfault: heap pages are faulted in on first touch" pgfault.out pgfault --args 64
prints 10 "the stack grows on demand too (tlbstride's working set, 4 levels)" tlbstride.out tlbstride --args 2 --levels 4
prints 10 "a process that touches what it may not is still killed" faults.out kernel_faults
prints 10 "the same under hardware assist with nested paging" pgfault.out pgfault --args 64 --mode hw
prints 5 "and in the paravirtual build" pgfault.out pgfault --args 64 --mode pv
prints 10 "out of memory, the faulting process is killed, not left faulting for ever" oom.out pgfault --args 64 --mem 288K
