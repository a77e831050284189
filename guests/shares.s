# shares.s — the guest kernel built with containers, with the "shares"
# program as init: two cgroups' cpu shares, enforced by the stride
# scheduler and measured (guests/kernel/cgroup.s, guests/kernel/user/shares.s).
# `--args S` measures group B's shares S against A's 1024.
        .equ    CONTAINERS, 1
        .equ    SHARES, 1               # the shares program (kernel/user/shares.s)
        .equ    INIT_PROGRAM, PROG_SHARES
        .include "kernel/main.s"
