# labs/cgquota/checks.sh — graded by labs/grade.sh (sourced; see its functions).
# lab_break: the breakpoint a failure suggests (brk: one check's own).
# quota (guests/kernel/user/quota.s) measures a group's ticks beside a busy
# neighbour and alone, and prints the root group's throttled periods;
# forkbomb has two groups without a quota besides the bomb's.
lab_break="break cg_tick"
prints 15 "a fork bomb's group gets its 2 ticks in 10 beside a busy neighbour" forkbomb.out forkbomb
stats 10 "cgroup_stat counts the ticks each group ran" \
    '.cgroups[1].cpu_ticks + .cgroups[2].cpu_ticks > 150' forkbomb
stats 10 "a group alone gets no more than its quota: an idle tick is nobody's" \
    '.cgroups[1].cpu_ticks >= 20 and .cgroups[1].cpu_ticks < 50' quota --args 2
stats 10 "a period in which a group used its whole quota is counted as throttled" \
    '.cgroups[1].throttled_periods >= 20' quota --args 5
stats 10 "a group without a quota is never throttled" \
    '[.cgroups[] | select(.cpu_limit == 0) | .throttled_periods] | all(. == 0)' forkbomb
brk "break sched_pick"
prints 15 "quota 5 in 10 under hardware assist, beside a neighbour and alone" quota5.out quota --args 5 --mode hw
prints 10 "quota 2 in 10 in the paravirtual build" quota2.out quota --args 2 --mode pv
