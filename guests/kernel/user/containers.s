# containers.s — init for guests/containers.s: two containers on one kernel
# (CONTAINERS=1 kernels only), and what the programs in containers share.
#
# A container is a process tree in namespaces of its own (ns.s).  The host
# (this init) starts two, the way a container runtime does:
#   beta    detached: a runtime process unshares a pid and a UTS namespace,
#           names the host "beta", starts beta's PID 1 (which only sleeps)
#           and exits with its pid;
#   alpha   in the foreground: cloned with new namespaces, it names itself,
#           says what it sees, tries to kill beta by the pid the host knows
#           it by (there is no such process in alpha's namespace), and
#           exits;
# then it looks inside beta with setns (as nsenter does), and stops beta by
# killing its PID 1 (which takes the whole namespace with it).  Last, a
# rootless container:
#   gamma   a process gives up root (setuid 1000), may then make no
#           namespace, but clones gamma with a user namespace of its own:
#           uid 0 inside, 1000 outside, root of its own host name and of
#           nothing on the machine (cgroup_create is refused).
# Every line
# comes from a process that the host waits for before going on, so the
# output is the same in every mode.  Each "NAME: pid P, parent Q, hostname
# H, sees pids ..." line is what that process sees: its pid and its parent's
# in its own namespace (0: outside it), its host name, and ps.
containers_main:
        la      r1, ct_n_host
        call    ct_view
        li      r1, SYS_SPAWN           # beta, started by a runtime
        li      r2, PROG_CT_RUNTIME
        la      r3, ct_n_beta
        syscall
        blt     r1, r0, 9f
        mov     r2, r1
        li      r1, SYS_WAIT            # its exit code: beta's PID 1, as
        syscall                         # the host numbers it
        ble     r1, r0, 9f
        mov     r8, r1                  # r8 = beta's PID 1, outside
        la      r1, ct_f_beta
        mov     r2, r8
        call    ct_printf
        li      r1, SYS_CLONE           # alpha, with its own namespaces
        li      r2, PROG_CT_ALPHA
        mov     r3, r8                  # (told beta's pid)
        li      r4, CLONE_NEWPID | CLONE_NEWUTS
        syscall
        blt     r1, r0, 9f
        mov     r9, r1                  # r9 = alpha's PID 1, outside
        mov     r2, r1
        li      r1, SYS_WAIT
        syscall
        mov     r3, r1
        la      r1, ct_f_alpha
        mov     r2, r9
        call    ct_printf
        li      r1, SYS_SPAWN           # a look inside beta
        li      r2, PROG_CT_EXEC
        mov     r3, r8
        syscall
        blt     r1, r0, 9f
        mov     r2, r1
        li      r1, SYS_WAIT
        syscall
        bnez    r1, 9f
        la      r1, ct_n_host           # beta is still there
        call    ct_view
        li      r1, SYS_KILL            # stop it
        mov     r2, r8
        syscall
        mov     r3, r1
        la      r1, ct_f_kill
        mov     r2, r8
        call    ct_printf
        li      r1, SYS_SPAWN           # gamma, started by a user
        li      r2, PROG_CT_ROOTLESS
        li      r3, 0
        syscall
        blt     r1, r0, 9f
        mov     r2, r1
        li      r1, SYS_WAIT
        syscall
        mov     r2, r1
        li      r1, SYS_GETUID
        syscall
        mov     r3, r1
        la      r1, ct_f_rootless
        call    ct_printf
        la      r1, ct_n_host
        call    ct_view
        li      r1, 0
        call    u_exit
9:      la      r1, ct_s_fail
        call    u_fail

# ct_rootless_main: become uid 1000, find that privilege is gone, and
# start gamma in a user namespace of its own; exit with gamma's code.
ct_rootless_main:
        li      r1, SYS_SETUID
        li      r2, 1000
        syscall
        bnez    r1, 9f
        li      r1, SYS_GETUID
        syscall
        mov     r8, r1
        li      r1, SYS_SETUID          # no way back
        li      r2, 0
        syscall
        mov     r9, r1
        li      r1, SYS_UNSHARE         # no namespace without a user one
        li      r2, CLONE_NEWUTS
        syscall
        mov     r4, r1
        la      r1, ct_f_user
        mov     r2, r8
        mov     r3, r9
        call    ct_printf
        li      r1, SYS_CLONE
        li      r2, PROG_CT_GAMMA
        li      r3, 0
        li      r4, CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWUTS
        syscall
        blt     r1, r0, 9f
        mov     r2, r1
        li      r1, SYS_WAIT
        syscall
        call    u_exit
9:      li      r1, 1
        call    u_exit

# ct_gamma_main: root of a user namespace: it may name its own host, and
# may not make a cgroup (only root of the machine may).
ct_gamma_main:
        la      r1, ct_n_gamma
        call    ct_sethostname
        mov     r8, r1
        la      r1, ct_n_gamma
        call    ct_view
        li      r1, SYS_GETUID
        syscall
        mov     r2, r1
        li      r1, SYS_CG_CREATE
        syscall
        mov     r4, r1
        la      r1, ct_f_gamma
        mov     r3, r8
        call    ct_printf
        li      r1, 0
        call    u_exit

# ct_runtime_main(r1 = name): unshare a pid and a UTS namespace, take the
# host name, start the container's PID 1 and exit with its pid (as this
# process, still in the initial pid namespace, numbers it).
ct_runtime_main:
        mov     r8, r1
        li      r1, SYS_UNSHARE
        li      r2, CLONE_NEWPID | CLONE_NEWUTS
        syscall
        bnez    r1, 9f
        mov     r1, r8
        call    ct_sethostname
        bnez    r1, 9f
        li      r1, SYS_SPAWN
        li      r2, PROG_CT_IDLE
        li      r3, 0
        syscall
        call    u_exit
9:      li      r1, -1
        call    u_exit

# ct_idle_main: a container's PID 1 with nothing to do: sleep for ever.
ct_idle_main:
1:      li      r1, SYS_SLEEP
        li      r2, 1000
        syscall
        j       1b

# ct_alpha_main(r1 = beta's PID 1 as the host numbers it): name the host,
# look around, try to kill beta, run a child, exit 0.
ct_alpha_main:
        mov     r8, r1
        la      r1, ct_n_alpha
        call    ct_sethostname
        bnez    r1, 9f
        la      r1, ct_n_alpha
        call    ct_view
        li      r1, SYS_KILL
        mov     r2, r8
        syscall
        mov     r3, r1
        la      r1, ct_f_nokill
        mov     r2, r8
        call    ct_printf
        li      r1, SYS_SPAWN
        li      r2, PROG_CT_LOOK
        la      r3, ct_n_alpha
        syscall
        blt     r1, r0, 9f
        mov     r2, r1
        li      r1, SYS_WAIT
        syscall
        bnez    r1, 9f
        li      r1, 0
        call    u_exit
9:      li      r1, 1
        call    u_exit

# ct_look_main(r1 = name): say what this process sees, exit 0.
ct_look_main:
        call    ct_view
        li      r1, 0
        call    u_exit

# ct_exec_main(r1 = a pid): join that process's pid and UTS namespaces (the
# pid namespace for its children: setns), run ct_look there, say which pid
# it had outside.
ct_exec_main:
        mov     r8, r1
        li      r1, SYS_SETNS
        mov     r2, r8
        li      r3, CLONE_NEWPID | CLONE_NEWUTS
        syscall
        bnez    r1, 9f
        li      r1, SYS_SPAWN
        li      r2, PROG_CT_LOOK
        la      r3, ct_n_beta
        syscall
        blt     r1, r0, 9f
        mov     r9, r1
        mov     r2, r1
        li      r1, SYS_WAIT
        syscall
        bnez    r1, 9f
        la      r1, ct_f_exec
        mov     r2, r9
        call    ct_printf
        li      r1, 0
        call    u_exit
9:      li      r1, 1
        call    u_exit

# ---- shared by the container programs ----------------------------------------

# ct_view(r1 = name): "NAME: pid P, parent Q, hostname H, sees pids 1 2 ...".
ct_view:
        push    lr
        push    r8
        push    r9
        push    r10
        mov     r8, r1
        li      r1, SYS_GETPID
        syscall
        mov     r9, r1
        li      r1, SYS_GETPPID
        syscall
        mov     r10, r1
        li      r1, SYS_GETHOSTNAME
        la      r2, ct_hostname
        li      r3, HOSTNAME_MAX
        syscall
        la      r1, ct_f_view
        mov     r2, r8
        mov     r3, r9
        mov     r4, r10
        la      r5, ct_hostname
        call    ct_printf
        li      r1, SYS_PS
        la      r2, ct_pids
        li      r3, CT_MAXPIDS
        syscall
        mov     r8, r1                  # r8 = how many to print: 0..CT_MAXPIDS
        bge     r8, r0, 1f
        li      r8, 0
1:      li      r2, CT_MAXPIDS
        ble     r8, r2, 2f
        mov     r8, r2
2:      la      r9, ct_pids
3:      beqz    r8, 4f
        li      r1, ' '
        call    ub_char
        lw      r1, 0(r9)
        call    ub_dec
        addi    r9, r9, 4
        addi    r8, r8, -1
        j       3b
4:      li      r1, '\n'
        call    ub_char
        call    ub_flush
        pop     r10
        pop     r9
        pop     r8
        pop     lr
        ret

# ct_stat(r1 = group, r2 = counter) -> r1 = cgroup_stat(group, counter).
# Clobbers r2, r3.
ct_stat:
        mov     r3, r2
        mov     r2, r1
        li      r1, SYS_CG_STAT
        syscall
        ret

# ct_sethostname(r1 = name) -> the system call's result.
ct_sethostname:
        mov     r2, r1
        li      r3, 0
1:      add     r4, r2, r3
        lbu     r4, 0(r4)
        beqz    r4, 2f
        addi    r3, r3, 1
        j       1b
2:      li      r1, SYS_SETHOSTNAME
        syscall
        ret

# ct_printf(r1 = format, r2..r6 = up to five arguments): print it with %d
# (signed decimal), %x (0x and eight hex digits), %s (a string); a line goes
# out, in one write, at each '\n'.
ct_printf:
        addi    sp, sp, -32
        sw      lr, 28(sp)
        sw      r8, 24(sp)
        sw      r9, 20(sp)
        sw      r6, 16(sp)              # the arguments, in order
        sw      r5, 12(sp)
        sw      r4, 8(sp)
        sw      r3, 4(sp)
        sw      r2, 0(sp)
        mov     r8, r1                  # r8 = the format
        mov     r9, sp                  # r9 = the next argument
1:      lbu     r1, 0(r8)
        beqz    r1, 9f
        addi    r8, r8, 1
        li      r2, '%'
        beq     r1, r2, 3f
        li      r2, '\n'
        beq     r1, r2, 2f
        call    ub_char
        j       1b
2:      call    ub_char
        call    ub_flush
        j       1b
3:      lbu     r1, 0(r8)
        addi    r8, r8, 1
        lw      r3, 0(r9)
        li      r2, 'd'
        beq     r1, r2, 4f
        li      r2, 'x'
        beq     r1, r2, 5f
        li      r2, 's'
        beq     r1, r2, 6f
        call    ub_char                 # %% and anything else: as it is
        j       1b
4:      mov     r1, r3
        call    ub_dec
        j       7f
5:      mov     r1, r3
        call    ub_hex
        j       7f
6:      mov     r1, r3
        call    ub_str
7:      addi    r9, r9, 4
        j       1b
9:      lw      r9, 20(sp)
        lw      r8, 24(sp)
        lw      lr, 28(sp)
        addi    sp, sp, 32
        ret

        .equ    CT_MAXPIDS, 16
ct_n_host:      .asciz  "host"
ct_n_alpha:     .asciz  "alpha"
ct_n_beta:      .asciz  "beta"
ct_n_gamma:     .asciz  "gamma"
ct_f_view:      .asciz  "%s: pid %d, parent %d, hostname %s, sees pids"
ct_f_beta:      .asciz  "host: started container beta; its PID 1 is pid %d here\n"
ct_f_nokill:    .asciz  "alpha: kill(%d), beta's PID 1 outside, returns %d: no such process here\n"
ct_f_alpha:     .asciz  "host: container alpha's PID 1 was pid %d here; it exited with %d\n"
ct_f_exec:      .asciz  "host: a process run inside beta (as nsenter does) was pid %d here\n"
ct_f_kill:      .asciz  "host: kill(%d) stopped container beta: %d\n"
ct_f_user:      .asciz  "rootless: uid %d; setuid(0): %d; unshare(CLONE_NEWUTS): %d\n"
ct_f_gamma:     .asciz  "gamma: uid %d inside; sethostname: %d; cgroup_create, for root of the machine only: %d\n"
ct_f_rootless:  .asciz  "host: the rootless container exited with %d; uid %d here\n"
ct_s_fail:      .asciz  "containers: a system call failed\n"
        .align  4
ct_hostname:    .space  HOSTNAME_MAX
ct_pids:        .space  4 * CT_MAXPIDS
