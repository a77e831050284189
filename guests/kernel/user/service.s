# service.s — one service started three ways, for `ringsim compare
# --isolation` (CONTAINERS=1 kernels only): as a process (isoproc_main, the
# init of guests/isoproc.s), as a container (isoct_main, guests/isoct.s:
# new pid, UTS, user and IPC namespaces — and mount, network and cgroup ones
# in a kernel built with them — and a cgroup of its own), and either of
# them in a VM (the same images under a hypervisor).
#
# The comparison measures the service by the mechanism, never by anything
# the guest writes: it traces the traps (`ringsim run --trace trap`) and
# takes the cycle of the system call trapping at each of these labels, the
# service's markers, found in the image's symbol table:
#   iso_launch_proc the init's spawn that starts the service as a process
#   iso_launch_ct   the first call of the container's start: its cgroup's
#                   creation, then its limits, then the clone
#   svc_start       the service's first system call: its second instruction
#   svc_syscalls    the start of SVC_SYSCALLS getpid calls
#   svc_compute     the start of SVC_COMPUTE iterations of compute's loop
#   svc_done        the end of both; a meminfo call: the frames in use
# The service prints the frames in use while it runs (the guest's own count
# of its memory: kernel, init and the service), and the same line in every
# mode.
        .equ    SVC_SYSCALLS, 200
        .equ    SVC_COMPUTE, 20000
        .equ    SVC_MEMORY, 64          # the container's memory.max (pages)
        .equ    SVC_PIDS, 4             # and pids.max

isoproc_main:
        li      r1, SYS_SPAWN
        li      r2, PROG_SERVICE
        li      r3, 0
iso_launch_proc:
        syscall
        j       iso_wait

isoct_main:
        li      r1, SYS_CG_CREATE       # r8 = the container's cgroup
iso_launch_ct:                          # (a runtime's work starts here)
        syscall
        ble     r1, r0, 9f
        mov     r8, r1
        li      r1, SYS_CG_SET
        mov     r2, r8
        li      r3, 1                   # memory.max
        li      r4, SVC_MEMORY
        syscall
        li      r1, SYS_CG_SET
        mov     r2, r8
        li      r3, 2                   # pids.max
        li      r4, SVC_PIDS
        syscall
        li      r1, SYS_CLONE
        li      r2, PROG_SERVICE
        li      r3, 0
        slli    r4, r8, CLONE_CGROUP_SHIFT
        ori     r4, r4, CLONE_NS_FLAGS | CLONE_NEWIPC | CLONE_INTO_CGROUP
        ori     r4, r4, CLONE_NEWNS * FS | CLONE_NEWNET * NET | CLONE_NEWCGROUP * CGNS
        syscall
iso_wait:
        blt     r1, r0, 9f
        mov     r2, r1
        li      r1, SYS_WAIT
        syscall
        bnez    r1, 9f
        li      r1, 0
        call    u_exit
9:      la      r1, svc_s_fail
        call    ct_printf
        li      r1, 1
        call    u_exit

service_main:
        li      r1, SYS_GETPID
svc_start:
        syscall
        mov     r8, r1                  # r8 = its pid, as it sees it
        li      r1, SYS_GETPID
svc_syscalls:
        syscall
        li      r9, SVC_SYSCALLS
1:      li      r1, SYS_GETPID
        syscall
        addi    r9, r9, -1
        bnez    r9, 1b
        li      r9, SVC_COMPUTE         # compute's loop (compute.s)
        li      r10, 0x12345678
        li      r11, 0
        li      r12, FNV_PRIME
        li      r1, SYS_GETPID
svc_compute:
        syscall
2:      XORSHIFT r10, r2
        mul     r3, r10, r12
        add     r11, r11, r3
        addi    r9, r9, -1
        bnez    r9, 2b
        li      r1, SYS_MEMINFO
svc_done:
        syscall
        mov     r3, r1
        la      r1, svc_f_done
        mov     r2, r8
        xor     r4, r11, r10
        call    ct_printf
        li      r1, 0
        call    u_exit

svc_f_done:     .asciz  "service: pid %d, %d frames in use, checksum %x\n"
svc_s_fail:     .asciz  "service: a system call failed\n"
        .align  4
