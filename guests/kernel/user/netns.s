# netns.s — init for guests/netns.s: network namespaces, each with its own
# loopback, and veth pairs to the host's bridge (CONTAINERS=1, FS=1, NET=1
# kernels; guests/kernel/net.s).
#
# The host binds port 9 on every address it has (br0, 10.0.0.1, and its lo)
# and clones containers 1 and 2, each with a network namespace of its own,
# and wires each to br0 with a veth pair: 10.0.0.2 and 10.0.0.3.  Each
# container binds port 7 on its lo only and port 9 on every address.  A
# token goes host -> 1 -> 2 -> host over the bridge, and whoever holds it is
# the only process printing, so the output is the same in every mode
# whatever the scheduler interleaves.  On the way each tries what it should
# not reach: container 2 and the host another namespace's lo-only port 7;
# the host its own lo, where nobody bound 7.  Then container 3, with a
# network namespace and no veth, finds that lo is all it has; last a plain
# process, in the host's namespace, reaches the host's port 9 over the lo it
# shares with the host.
        .equ    NET_LO_PORT, 7
        .equ    NET_PORT, 9
        .equ    NET_CT1, 0x0a000002     # 10.0.0.2
        .equ    NET_CT2, 0x0a000003     # 10.0.0.3
        .equ    NET_NOBODY, 0x0a000009  # 10.0.0.9: no namespace has it
        .equ    NET_PLAIN, 4            # net_ct_main's argument for the plain process

netns_main:
        li      r1, SYS_BIND            # r8 = the host's socket
        li      r2, 0
        li      r3, NET_PORT
        syscall
        blt     r1, r0, 9f
        mov     r8, r1
        li      r9, 1                   # containers 1 and 2
1:      li      r1, SYS_CLONE
        li      r2, PROG_NET_CT
        mov     r3, r9
        li      r4, CLONE_NEWUSER | CLONE_NEWNET
        syscall
        blt     r1, r0, 9f
        addi    r3, r9, -1
        slli    r3, r3, 2
        la      r2, net_pids
        add     r2, r2, r3
        sw      r1, 0(r2)
        addi    r9, r9, 1
        li      r1, 3
        bne     r9, r1, 1b
        la      r9, net_pids
        li      r1, SYS_VETH
        lw      r2, 0(r9)
        li      r3, NET_CT1
        syscall
        mov     r10, r1
        li      r1, SYS_VETH
        lw      r2, 4(r9)
        li      r3, NET_CT2
        syscall
        mov     r5, r1
        mov     r3, r10
        lw      r2, 0(r9)
        lw      r4, 4(r9)
        la      r1, net_f_host
        call    ct_printf
        li      r1, NET_CT1             # the token, to container 1
        li      r2, 1
        call    net_send
        mov     r1, r8                  # back from container 2
        call    net_wait
        mov     r10, r1
        li      r1, LOOPBACK            # the host's lo: nobody bound 7 here
        li      r2, 5
        li      r3, NET_LO_PORT
        call    net_try
        mov     r11, r1
        li      r1, NET_CT1             # container 1's port 7: its lo only
        call    net_try
        mov     r12, r1
        li      r1, NET_NOBODY
        li      r3, NET_PORT
        call    net_try
        mov     r5, r1
        mov     r2, r10
        mov     r3, r11
        mov     r4, r12
        la      r1, net_f_back
        call    ct_printf
        li      r1, NET_CT1             # done: both may exit
        li      r2, 0
        call    net_send
        li      r1, NET_CT2
        li      r2, 0
        call    net_send
        li      r1, SYS_WAIT
        lw      r2, 0(r9)
        syscall
        mov     r10, r1
        li      r1, SYS_WAIT
        lw      r2, 4(r9)
        syscall
        mov     r3, r1
        mov     r2, r10
        la      r1, net_f_exits
        call    ct_printf
        li      r1, SYS_CLONE           # container 3: no veth
        li      r2, PROG_NET_CT
        li      r3, 3
        li      r4, CLONE_NEWUSER | CLONE_NEWNET
        syscall
        blt     r1, r0, 9f
        mov     r2, r1
        li      r1, SYS_WAIT
        syscall
        li      r1, SYS_SPAWN           # a plain process, on the host's lo
        li      r2, PROG_NET_CT
        li      r3, NET_PLAIN
        syscall
        blt     r1, r0, 9f
        mov     r2, r1
        li      r1, SYS_WAIT
        syscall
        mov     r10, r1
        li      r1, SYS_RECV
        mov     r2, r8
        syscall
        mov     r3, r1
        mov     r2, r10
        la      r1, net_f_plain
        call    ct_printf
        li      r1, 0
        call    u_exit
9:      la      r1, net_s_fail
        call    u_fail

# net_ct_main(r1 = 1, 2 or 3: a container; NET_PLAIN: a process of the
# host's namespace).  A container binds 127.0.0.1:7 and (1, 2) 0:9, waits
# for the token on 9, prints what lo and the bridge let it do, passes the
# token on, and exits when the host says so with the number of words it
# finds in its lo socket — any would have come from outside.
net_ct_main:
        mov     r8, r1                  # r8 = which
        li      r1, NET_PLAIN
        bne     r8, r1, 1f
        li      r1, LOOPBACK            # the plain process: the host's lo
        li      r2, 44
        li      r3, NET_PORT
        call    net_try
        call    u_exit
1:      li      r1, SYS_BIND            # r9 = its lo socket
        li      r2, LOOPBACK
        li      r3, NET_LO_PORT
        syscall
        blt     r1, r0, 9f
        mov     r9, r1
        li      r1, 3
        beq     r8, r1, 5f
        li      r1, SYS_BIND            # r10 = its socket on every address
        li      r2, 0
        li      r3, NET_PORT
        syscall
        blt     r1, r0, 9f
        mov     r10, r1
        mov     r1, r10                 # the token
        call    net_wait
        mov     r11, r1
        li      r1, SYS_VETH            # root here, not of the machine
        li      r2, 1
        li      r3, NET_NOBODY
        syscall
net_ct_vethed:                          # (tests: both veth pairs are made)
        mov     r12, r1
        li      r13, 0
        li      r1, 2
        bne     r8, r1, 2f
        li      r1, NET_CT1             # container 2: container 1's lo-only port
        li      r2, 0
        li      r3, NET_LO_PORT
        call    net_try
        mov     r13, r1
2:      call    net_lo
        mov     r2, r11
        mov     r5, r12
        mov     r6, r13
        la      r1, net_f_ct1
        li      r7, 2
        bne     r8, r7, 21f
        la      r1, net_f_ct2
21:     call    ct_printf
        li      r1, NET_CT2             # the token: 1 -> 2 -> the host
        li      r2, 12
        li      r3, 2
        bne     r8, r3, 22f
        li      r1, BRIDGE_ADDR
        li      r2, 23
22:     call    net_send
3:      mov     r1, r10                 # until the host says it is over
        call    net_wait
        li      r10, 0                  # what arrived on lo meanwhile
4:      li      r1, SYS_RECV
        mov     r2, r9
        syscall
        blt     r1, r0, 41f
        addi    r10, r10, 1
        j       4b
41:     mov     r1, r10
        call    u_exit
5:      li      r1, BRIDGE_ADDR         # container 3: no veth
        li      r2, 1
        li      r3, NET_PORT
        call    net_try
        mov     r11, r1
        call    net_lo
        mov     r5, r11
        la      r1, net_f_ct3
        call    ct_printf
        li      r1, 0
        call    u_exit
9:      la      r1, net_s_fail
        call    u_fail

# net_lo(r8 = which, r9 = its lo socket) -> r3 = what sendto(127.0.0.1:7,
# which * 111) said, r4 = what recv on the lo socket then got, r2 = the word.
net_lo:
        push    lr
        li      r1, 111
        mul     r2, r8, r1
        li      r1, LOOPBACK
        li      r3, NET_LO_PORT
        call    net_try
        push    r1
        li      r1, SYS_RECV
        mov     r2, r9
        syscall
        mov     r4, r1
        pop     r3
        li      r2, 111
        mul     r2, r8, r2
        pop     lr
        ret

# net_try(r1 = addr, r2 = word, r3 = port) -> what sendto said.  Keeps r2.
net_try:
        mov     r4, r2
        mov     r2, r1
        li      r1, SYS_SENDTO
        syscall
        mov     r2, r4
        ret

# net_send(r1 = addr, r2 = word): sendto its port 9, again until it is
# taken (the other end may not have bound the port yet).
net_send:
        push    lr
        push    r8
        push    r9
        mov     r8, r1
        mov     r9, r2
1:      mov     r1, r8
        mov     r2, r9
        li      r3, NET_PORT
        call    net_try
        beqz    r1, 2f
        li      r1, SYS_YIELD
        syscall
        j       1b
2:      pop     r9
        pop     r8
        pop     lr
        ret

# net_wait(r1 = socket) -> the first word it receives (yielding until one
# comes).
net_wait:
        mov     r2, r1
1:      li      r1, SYS_RECV
        syscall
        bge     r1, r0, 2f
        li      r1, SYS_YIELD
        syscall
        j       1b
2:      ret

net_pids:       .word   0, 0
net_f_host:     .asciz  "host: br0 10.0.0.1; veth(%d, 10.0.0.2) -> %d, veth(%d, 10.0.0.3) -> %d\n"
net_f_ct1:      .asciz  "container 1: got %d on eth0 10.0.0.2; lo: sendto(127.0.0.1:7, 111) -> %d, recv -> %d; veth -> %d\n"
net_f_ct2:      .asciz  "container 2: got %d from container 1 over the bridge; lo: sendto(127.0.0.1:7, 222) -> %d, recv -> %d; veth -> %d; sendto(10.0.0.2:7) -> %d\n"
net_f_back:     .asciz  "host: got %d from container 2 over br0; sendto(127.0.0.1:7) -> %d, sendto(10.0.0.2:7) -> %d, sendto(10.0.0.9:9) -> %d\n"
net_f_exits:    .asciz  "host: containers 1 and 2 exited, with %d and %d words from outside on their lo\n"
net_f_ct3:      .asciz  "container 3 (no veth): lo: sendto(127.0.0.1:7, %d) -> %d, recv -> %d; sendto(10.0.0.1:9) -> %d\n"
net_f_plain:    .asciz  "host: a process of its namespace: sendto(127.0.0.1:9, 44) -> %d; the host's socket got %d: one lo, shared\n"
net_s_fail:     .asciz  "netns: a system call failed\n"
        .align  4
