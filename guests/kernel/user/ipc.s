# ipc.s — init for guests/ipc.s: message queues and IPC namespaces
# (CONTAINERS=1 kernels only; guests/kernel/ipc.s).
#
# The host makes queue IPC_KEY and leaves a message in it.  Two containers,
# each cloned with an IPC namespace of its own, look for the queue by the
# same key and by the host's id, and leave a message of their own; then a
# plain process, in the host's namespace, looks.  Each peer reports by its
# exit code, and only the host prints, after each has exited, so that the
# output is the same in every mode.
        .equ    IPC_KEY, 42
        .equ    IPC_HOSTMSG, 1000

ipc_main:
        li      r1, SYS_MSGGET          # r8 = the host's queue
        li      r2, IPC_KEY
        syscall
        blt     r1, r0, 9f
        mov     r8, r1
        li      r1, SYS_MSGSND
        mov     r2, r8
        li      r3, IPC_HOSTMSG
        syscall
        mov     r6, r1
        la      r1, ipc_f_host
        li      r2, IPC_KEY
        mov     r3, r8
        mov     r4, r8
        li      r5, IPC_HOSTMSG
        call    ct_printf
        li      r9, 1                   # r9 = the peer: containers 1, 2, then
1:      li      r1, SYS_CLONE           # the plain process 3
        li      r2, PROG_IPC_PEER
        mov     r3, r9
        li      r4, CLONE_NEWUSER | CLONE_NEWIPC
        li      r5, 3
        bne     r9, r5, 2f
        li      r4, 0
2:      syscall
        blt     r1, r0, 9f
        mov     r2, r1
        li      r1, SYS_WAIT
        syscall
        mov     r10, r1                 # its report: bits 0..7 what msgget
        la      r1, ipc_f_ct            # said, 8..23 msgrcv (0xffff: -1)
        li      r2, 3
        bne     r9, r2, 3f
        la      r1, ipc_f_proc
3:      mov     r2, r9
        andi    r3, r10, 0xff
        srli    r4, r10, 8
        li      r5, 0xffff
        bne     r4, r5, 4f
        li      r4, -1
4:      call    ct_printf
        addi    r9, r9, 1
        li      r1, 4
        bne     r9, r1, 1b
        li      r1, SYS_MSGRCV          # what is left in the host's queue
        mov     r2, r8
        syscall
        mov     r3, r1
        la      r1, ipc_f_left
        mov     r2, r8
        call    ct_printf
        li      r1, 0
        call    u_exit
9:      la      r1, ipc_s_fail
        call    ct_printf
        li      r1, 1
        call    u_exit

# ipc_peer_main(r1 = its number): msgget(IPC_KEY), msgrcv on what it got,
# and leave a message (its number) there; exit with msgget's answer in bits
# 0..7 and msgrcv's in bits 8..23.
ipc_peer_main:
        mov     r8, r1
        li      r1, SYS_MSGGET
        li      r2, IPC_KEY
        syscall
        mov     r9, r1                  # r9 = the id
        li      r1, SYS_MSGRCV
        mov     r2, r9
        syscall
        li      r2, 0xffff
        and     r10, r1, r2
        li      r1, SYS_MSGSND
        mov     r2, r9
        mov     r3, r8
        syscall
        slli    r1, r10, 8
        andi    r2, r9, 0xff
        or      r1, r1, r2
        call    u_exit

ipc_f_host:     .asciz  "host: msgget(%d) made queue %d; msgsnd(%d, %d): %d\n"
ipc_f_ct:       .asciz  "container %d (an IPC namespace of its own): msgget(42) = %d, msgrcv = %d: not the host's queue\n"
ipc_f_proc:     .asciz  "process %d (the host's IPC namespace): msgget(42) = %d, msgrcv = %d: the host's message\n"
ipc_f_left:     .asciz  "host: msgrcv(%d) = %d: the containers' messages went to queues of their own\n"
ipc_s_fail:     .asciz  "ipc: a system call failed\n"
        .align  4
