# labs/te/checks.sh — graded by labs/grade.sh (sourced; see its functions).
# lab_break: the breakpoint a failure suggests (brk: one check's own).
lab_break="break trap illegal"   # an instruction the hypervisor left unemulated
same_as_native 10 "syscall under te, strict ISA, prints what bare metal prints" syscall "--args 200 --isa strict" "--mode te"
same_as_native 10 "ctxswitch under te, strict ISA, 4 levels" ctxswitch "--args 40 --isa strict --levels 4" "--mode te"
same_as_native 10 "forkwait under te, strict ISA" forkwait "--args 4 --isa strict" "--mode te"
same_as_native 10 "the whole kernel demo under te, strict ISA" kernel "--isa strict" "--mode te"
stats 10 "pushf, popf, cli, sti and iret were emulated" \
    '.te.emulated_by_op | (.pushf > 0) and (.popf > 0) and (.cli > 0) and (.sti > 0) and (.iret > 0)' \
    syscall --args 50 --isa strict --mode te
brk "break trap illegal"
prints 10 "on the classic ISA the red pills show, and the kernel carries on" classic.out \
    syscall --args 50 --mode te --isa classic
brk "break trap protection"
same_as_native 10 "the guest's SR as pushf, popf, smsw and cli see it: IE changes, the ring stays 0" "$lab_img/popfring.img" "--isa strict" "--mode te"
brk "break trap page_fault"
same_as_native 10 "pushf and popf on an absent or read-only stack page fault as on bare metal" "$lab_img/stackfault.img" "--isa strict" "--mode te"
