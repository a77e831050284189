# ipc.s — System V-style message queues, one set per IPC namespace
# (CONTAINERS=1 kernels only; the namespaces themselves are in ns.s).
#
# Processes talk through a queue they name by a key: msgget(key) finds or
# makes the queue with that key in the caller's IPC namespace and returns
# its id, the queue's index there; msgsnd and msgrcv take the id.  Both the
# key and the id mean something only inside one namespace, so a container
# with an IPC namespace of its own (clone with CLONE_NEWIPC) can neither
# find another's queues by key nor reach them by id: the same key is
# another queue, the same id another queue or none.  A message is one word,
# a queue holds MSGQ_MAX of them, and nothing blocks: a full queue refuses
# (msgsnd -1), an empty one answers -1 (so a message is 0..0x7fffffff).
# No permissions, no removal: a queue lives as long as its namespace.

        .text

# ipc_queue(r1 = proc, r2 = id) -> r1 = the queue with that id in the
# process's namespace, or 0 if there is none.  Clobbers r2, r3.
ipc_queue:
        sltiu   r3, r2, NMSGQ
        beqz    r3, 9f
        lw      r1, P_IPCNS(r1)
        li      r3, Q_SIZE
        mul     r2, r2, r3
        add     r1, r1, r2
        addi    r1, r1, IN_QUEUES
        lw      r2, Q_KEY(r1)
        bnez    r2, 1f
9:      li      r1, 0
1:      ret

# msgget(key) -> the id of the queue with that key in the caller's IPC
# namespace, made if there is none; -1 for key 0 or when all NMSGQ are in
# use.
sys_msgget:
        beqz    r2, 9f
        lw      r1, P_IPCNS(r1)
        addi    r1, r1, IN_QUEUES
        li      r3, 0                   # r3 = id
        li      r4, -1                  # r4 = the first free id
1:      lw      r5, Q_KEY(r1)
        beq     r5, r2, 4f
        bnez    r5, 2f
        bge     r4, r0, 2f
        mov     r4, r3
        mov     r6, r1                  # r6 = that free queue
2:      addi    r1, r1, Q_SIZE
        addi    r3, r3, 1
        sltiu   r5, r3, NMSGQ
        bnez    r5, 1b
        blt     r4, r0, 9f              # none with the key, none free
        sw      r2, Q_KEY(r6)
        sw      r0, Q_HEAD(r6)
        sw      r0, Q_COUNT(r6)
        mov     r1, r4
        ret
4:      mov     r1, r3
        ret
9:      li      r1, -1
        ret

# msgsnd(id, word) -> 0, or -1 (no such queue here, or it is full).
sys_msgsnd:
        push    lr
        push    r8
        mov     r8, r3
        call    ipc_queue
        beqz    r1, 9f
        .if     NET                     # (a label only where net.s uses it,
msgq_put:                               # so that other images stay as they
        .endif                          # were: r1 = queue, r8 = word)
        lw      r2, Q_COUNT(r1)
        sltiu   r3, r2, MSGQ_MAX
        beqz    r3, 9f
        lw      r3, Q_HEAD(r1)          # the slot after the newest
        add     r3, r3, r2
        andi    r3, r3, MSGQ_MAX - 1
        slli    r3, r3, 2
        add     r3, r3, r1
        sw      r8, Q_DATA(r3)
        addi    r2, r2, 1
        sw      r2, Q_COUNT(r1)
        li      r1, 0
        j       7f
9:      li      r1, -1
7:      pop     r8
        pop     lr
        ret

# msgrcv(id) -> the oldest word in the queue, taken out; -1 if it is empty
# or there is no such queue here.
sys_msgrcv:
        push    lr
        call    ipc_queue
        beqz    r1, 9f
        .if     NET
msgq_take:                              # (r1 = queue; net.s too)
        .endif
        lw      r2, Q_COUNT(r1)
        beqz    r2, 9f
        addi    r2, r2, -1
        sw      r2, Q_COUNT(r1)
        lw      r3, Q_HEAD(r1)
        addi    r4, r3, 1
        andi    r4, r4, MSGQ_MAX - 1
        sw      r4, Q_HEAD(r1)
        slli    r3, r3, 2
        add     r3, r3, r1
        lw      r1, Q_DATA(r3)
        j       7f
9:      li      r1, -1
7:      pop     lr
        ret
