# mistake: counts a throttled period for every group that ran, also those with no quota (cpu 0)
# caught by: a group without a quota is never throttled
# caught by: quota 2 in 10 in the paravirtual build
# caught by: quota 5 in 10 under hardware assist, beside a neighbour and alone
        la      r3, cpu_idle
        lw      r3, 0(r3)
        bnez    r3, 2f                  # the kernel was idle: nobody's tick
        la      r3, curproc
        lw      r3, 0(r3)
        beqz    r3, 2f
        lw      r3, P_CGROUP(r3)        # 0 once it has exited
        beqz    r3, 2f
        lw      r4, CG_TICKS(r3)
        addi    r4, r4, 1
        sw      r4, CG_TICKS(r3)
        lw      r4, CG_USED(r3)
        addi    r4, r4, 1
        sw      r4, CG_USED(r3)
2:      li      r3, CG_PERIOD           # a new period?
        remu    r4, r2, r3
        bnez    r4, 4f
        la      r3, cgroup_table
        li      r4, NCGROUP
3:      lw      r5, CG_CPU(r3)
        lw      r6, CG_USED(r3)
        beqz    r6, 5f
        bltu    r6, r5, 5f
        lw      r6, CG_THROTTLED(r3)    # it used its whole quota
        addi    r6, r6, 1
        sw      r6, CG_THROTTLED(r3)
5:      sw      r0, CG_USED(r3)
        addi    r3, r3, CG_SIZE
        addi    r4, r4, -1
        bnez    r4, 3b
