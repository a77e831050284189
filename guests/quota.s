# quota.s — the guest kernel built with containers, with the "quota" program
# as init: a cgroup's cpu quota, measured beside a busy neighbour and alone
# (guests/kernel/cgroup.s, guests/kernel/user/quota.s; labs/cgquota).
# `--args Q` measures one quota of Q ticks in every 10.
        .equ    CONTAINERS, 1
        .equ    QUOTA, 1                # the quota program (kernel/user/quota.s)
        .equ    INIT_PROGRAM, PROG_QUOTA
        .include "kernel/main.s"
