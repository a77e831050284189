# net.s — network namespaces: a loopback per namespace, and virtual ethernet
# pairs from containers to one bridge (CONTAINERS=1, FS=1 and NET=1 kernels:
# guests/netns.s).
#
# A network namespace is a view of the network as the others are views of
# the process table: its own interfaces and its own ports.  There is no
# network device; the link layer is the kernel's own, as a veth pair and a
# Linux bridge are only kernel code:
#
#   lo    Every namespace has one, 127.0.0.1 (LOOPBACK).  A packet sent to
#         127.0.0.1 never leaves the sender's namespace, so the same address
#         is another machine in each container.
#   eth0  A container's end of a veth pair (veth(pid, addr), by root of the
#         machine); the other end is a port of the host's bridge, br0, whose
#         address is the host's (BRIDGE_ADDR, 10.0.0.1).  A packet to any
#         other address goes out of eth0 and the bridge hands it to the
#         namespace that has the address; a namespace with no eth0 reaches
#         nothing but itself.
#
# A socket is a port bound in one namespace (bind), with a queue of words:
# msgsnd's and msgrcv's queue (ipc.s), its key the port.  Bound to 0 it
# takes packets to every address of its namespace; bound to 127.0.0.1 only
# those that came over lo — so a service bound to lo is reachable from
# nowhere else, not even over the bridge.  Delivery is at once: sendto says
# 0 when the word is in the destination's queue, -1 when no route, no
# socket or a full queue drops it, as one packet of a datagram socket would
# be.  Nothing blocks (recv of an empty socket is -1).

        .text

# net_find(r2 = address) -> r1 = the live network namespace whose eth0 (the
# host: br0) has that address, or 0.  Clobbers r3, r4.
net_find:
        beqz    r2, 9f
        la      r1, netns_table
        li      r4, NNETNS
1:      lw      r3, NS_REFS(r1)
        beqz    r3, 2f
        lw      r3, NN_ADDR(r1)
        beq     r3, r2, 8f
2:      addi    r1, r1, NN_SIZE
        addi    r4, r4, -1
        bnez    r4, 1b
9:      li      r1, 0
8:      ret

# net_route(r1 = the sender's namespace, r2 = address) -> r1 = the namespace
# the packet reaches, 0 if there is no route; r2 = 1 if it went over lo.
# Clobbers r3, r4.
net_route:
        li      r3, LOOPBACK
        bne     r2, r3, 1f
        li      r2, 1                   # its own lo
        ret
1:      lw      r3, NN_ADDR(r1)
        beqz    r3, 9f                  # no eth0: lo is all it has
        push    lr
        call    net_find                # its own address, or over the
        pop     lr                      # bridge to another's
        li      r2, 0
        ret
9:      li      r1, 0
        ret

# net_socket(r1 = namespace, r2 = port, r3 = 1 if the packet came over lo)
# -> r1 = the queue of the socket bound to that port that takes it, or 0.
# Clobbers r2..r5.
net_socket:
        beqz    r2, 9f
        addi    r1, r1, NN_SOCKS
        li      r4, NSOCK
1:      lw      r5, SK_QUEUE + Q_KEY(r1)
        bne     r5, r2, 2f
        lw      r5, SK_LOCAL(r1)        # bound to 127.0.0.1: from lo only
        sltu    r5, r3, r5
        bnez    r5, 9f
        addi    r1, r1, SK_QUEUE
        ret
2:      addi    r1, r1, SK_SIZE
        addi    r4, r4, -1
        bnez    r4, 1b
9:      li      r1, 0
        ret

# ns_new_net(r1 = proc): a network namespace with a loopback and nothing
# bound, owned by its user namespace.
ns_new_net:
        push    lr
        push    r8
        mov     r8, r1
        la      r2, netns_table
        li      r3, NNETNS
        li      r4, NN_SIZE
        call    ns_alloc_owned
        beqz    r1, 9f
        lw      r2, P_NETNS(r8)         # the process's reference moves
        sw      r1, P_NETNS(r8)
        mov     r1, r2
        call    ns_put
        li      r1, 0
        j       7f
9:      li      r1, -1
7:      pop     r8
        pop     lr
        ret

# ---- the system calls --------------------------------------------------------------

# bind(addr, port) -> a socket (0..NSOCK-1) of the caller's namespace, or -1
# (addr neither 0 nor LOOPBACK, port not 1..65535, the port taken, no free
# socket).  addr 0: every address of the namespace; LOOPBACK: lo only.
sys_bind:
        li      r5, 0                   # r5 = lo only
        beqz    r2, 1f
        li      r4, LOOPBACK
        bne     r2, r4, 9f
        li      r5, 1
1:      beqz    r3, 9f
        li      r4, 0x10000
        bgeu    r3, r4, 9f
        lw      r1, P_NETNS(r1)
        addi    r1, r1, NN_SOCKS
        li      r4, 0                   # r4 = socket
        li      r6, -1                  # r6 = the first free one
2:      lw      r7, SK_QUEUE + Q_KEY(r1)
        beq     r7, r3, 9f              # taken
        bnez    r7, 3f
        bge     r6, r0, 3f
        mov     r6, r4
        mov     r2, r1                  # r2 = that free socket
3:      addi    r1, r1, SK_SIZE
        addi    r4, r4, 1
        sltiu   r7, r4, NSOCK
        bnez    r7, 2b
        blt     r6, r0, 9f
        sw      r5, SK_LOCAL(r2)
        sw      r3, SK_QUEUE + Q_KEY(r2)
        sw      r0, SK_QUEUE + Q_HEAD(r2)
        sw      r0, SK_QUEUE + Q_COUNT(r2)
        mov     r1, r6
        ret
9:      li      r1, -1
        ret

# sendto(addr, port, word) -> 0 once the word is in the queue of the socket
# that takes it; -1 if there is no route to addr from the caller's
# namespace, no socket there takes it, or its queue is full.
sys_sendto:
        push    lr
        push    r8
        push    r9
        push    r10
        push    r11
        lw      r8, P_NETNS(r1)         # r8 = from
        mov     r9, r3                  # r9 = port
        mov     r10, r4                 # r10 = the word
        mov     r1, r8
        call    net_route
        beqz    r1, 9f
        mov     r11, r1                 # r11 = to
        mov     r3, r2
        mov     r2, r9
        call    net_socket
        beqz    r1, 9f
        mov     r2, r10
        call    net_put
        bnez    r1, 9f
        lw      r2, NN_SENT(r8)
        addi    r2, r2, 1
        sw      r2, NN_SENT(r8)
        lw      r2, NN_RECEIVED(r11)
        addi    r2, r2, 1
        sw      r2, NN_RECEIVED(r11)
        beq     r8, r11, 7f
        la      r2, net_bridged         # it crossed br0
        lw      r3, 0(r2)
        addi    r3, r3, 1
        sw      r3, 0(r2)
        j       7f
9:      li      r1, -1
7:      pop     r11
        pop     r10
        pop     r9
        pop     r8
        pop     lr
        ret

# net_put(r1 = queue, r2 = word) -> 0, or -1 if it is full: msgsnd's own
# queueing (ipc.s).
net_put:
        push    lr
        push    r8
        mov     r8, r2
        j       msgq_put                # (pops r8 and lr)

# recv(socket) -> the oldest word its queue holds, taken out; -1 if it is
# empty or the socket is not bound in the caller's namespace.
sys_recv:
        sltiu   r3, r2, NSOCK
        beqz    r3, 9f
        lw      r1, P_NETNS(r1)
        li      r3, SK_SIZE
        mul     r2, r2, r3
        add     r1, r1, r2
        addi    r1, r1, NN_SOCKS + SK_QUEUE
        lw      r2, Q_KEY(r1)
        beqz    r2, 9f
        push    lr
        j       msgq_take               # (ipc.s: pops lr)
9:      li      r1, -1
        ret

# veth(pid, addr) -> 0, -1 or E_PERM: a virtual ethernet pair from the
# network namespace of the process the caller calls pid to the host's
# bridge; its end there, eth0, gets the address.  Only root of the machine
# may (a container's root cannot wire itself to the host); -1 if pid is no
# process it sees, is in the host's namespace (which is on br0), already
# has an eth0, or the address is 0, 127.0.0.1 or taken.
sys_veth:
        push    lr
        push    r8
        push    r9
        push    r10
        mov     r8, r1
        mov     r9, r2                  # r9 = pid
        mov     r10, r3                 # r10 = addr
        call    ns_host_privileged
        beqz    r1, 8f
        mov     r1, r8
        mov     r2, r9
        call    pid_lookup
        beqz    r1, 9f
        lw      r9, P_NETNS(r1)         # r9 = its namespace
        la      r1, netns_table
        beq     r9, r1, 9f
        lw      r1, NN_ADDR(r9)
        bnez    r1, 9f
        li      r1, LOOPBACK
        beq     r10, r1, 9f
        beqz    r10, 9f
        mov     r2, r10
        call    net_find
        bnez    r1, 9f
        sw      r10, NN_ADDR(r9)
        li      r1, 0
        j       7f
8:      li      r1, E_PERM
        j       7f
9:      li      r1, -1
7:      pop     r10
        pop     r9
        pop     r8
        pop     lr
        ret

        .data
        .align  4
# The initial network namespace: slot 0, the host's, on the bridge.
netns_table:
        .word   1, userns_table, BRIDGE_ADDR    # refs, owner, br0's address
        .space  NN_SIZE - 12                    # (nothing sent, nothing bound)
        .space  (NNETNS - 1) * NN_SIZE
net_bridged:    .word   0               # packets br0 carried between namespaces
# What the debugger's `info ns`, `ringsim dot --processes` and run's
# --stats read of it: where a process points at its network namespace, the
# table and its slot size, where a slot keeps its address and counters, the
# bridge's count, the addresses of lo and br0, and the table's slots and
# where a slot counts its references (0: a free slot).
net_layout:
        .word   P_NETNS, netns_table, NN_SIZE, NN_ADDR, NN_SENT, NN_RECEIVED
        .word   net_bridged, LOOPBACK, BRIDGE_ADDR, NNETNS, NS_REFS
