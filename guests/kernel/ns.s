# ns.s — namespaces: what a process can see of the system.  Only in kernels
# built with CONTAINERS=1 (defs.s).
#
# A container is a view, not a machine.  A hypervisor virtualises the
# hardware and runs a kernel in each VM; containers share one kernel, which
# shows each group of processes its own version of some of its tables —
# "virtualising the OS, not the hardware".  Three kinds of view here:
#
#   PID   Namespaces form a tree.  A process has a pid in its own namespace
#         and in each one above it (P_NSPID[level]; level 0 is P_PID), so a
#         container's first process is PID 1 inside and, say, 4 outside.  A
#         process sees — in getpid, getppid, wait, kill, ps, setns — only the
#         processes of its namespace and of those below it: any other pid
#         does not exist for it.  When a namespace's PID 1 exits, every other
#         process in it is killed, and nothing may join it any more.
#   UTS   A host name per namespace (sethostname, gethostname).
#   user  uid 0 inside a user namespace is its creator's uid outside: a
#         container's root may rule the namespaces its user namespace owns,
#         and holds no privilege over the rest of the machine.
#   IPC   Message queues, named by a key, per namespace (msgget, msgsnd,
#         msgrcv): the same key in two namespaces is two queues, and a
#         queue id means a queue of the caller's namespace only.
#   mount and network: fs.s and net.s, in kernels built with them.
#
# A new namespace comes with clone(flags) for a new process, unshare(flags)
# for the caller (a new pid namespace is for its next children: the caller
# keeps its pid), and setns(pid, flags) joins those of a process it sees.
#
# Each namespace is a slot of a small table, with a reference count.  A
# process holds a reference on each namespace it uses, and a namespace holds
# one on the namespace at NS_UP (its parent; for a UTS namespace the user
# namespace that owns it), so a walk up the tree always meets live slots.
# The first slot of each table is the initial namespace, never freed.  The
# kernel's own messages ("kernel: pid 5 killed") use pids of the initial
# namespace, as Linux's dmesg does.

        .text

# ---- namespace slots -----------------------------------------------------------

# ns_alloc(r1 = table, r2 = slots in it, r3 = slot size) -> r1 = a zeroed
# slot with one reference, or 0 if the table is full.  Never slot 0.
ns_alloc:
        push    lr
        push    r8
        push    r9
        push    r10
        mov     r8, r1
        mov     r9, r2
        mov     r10, r3
1:      addi    r9, r9, -1
        beqz    r9, 2f
        add     r8, r8, r10
        lw      r4, NS_REFS(r8)
        bnez    r4, 1b
        mov     r1, r8
        mov     r2, r10
        call    memzero
        li      r4, 1
        sw      r4, NS_REFS(r8)
        mov     r1, r8
        j       3f
2:      li      r1, 0
3:      pop     r10
        pop     r9
        pop     r8
        pop     lr
        ret

# ns_get(r1 = namespace): one reference more.  Clobbers r2.
ns_get:
        lw      r2, NS_REFS(r1)
        addi    r2, r2, 1
        sw      r2, NS_REFS(r1)
        ret

# ns_put(r1 = namespace, or 0): one reference fewer.  A namespace left with
# none is free, and lets go of the one it held.  Clobbers r1, r2.
ns_put:
1:      beqz    r1, 2f
        lw      r2, NS_REFS(r1)
        addi    r2, r2, -1
        blt     r2, r0, 3f
        sw      r2, NS_REFS(r1)
        bnez    r2, 2f
        lw      r1, NS_UP(r1)
        j       1b
2:      ret
3:      PANIC   "ns_put: a namespace lost more references than it had"

# ns_swap(r1 = proc, r2 = field offset, r3 = namespace): the process uses r3
# for that field from now on (one reference more on it, one fewer on the old).
ns_swap:
        push    lr
        push    r8
        add     r8, r1, r2              # r8 = the field
        mov     r1, r3
        call    ns_get
        lw      r2, 0(r8)
        sw      r1, 0(r8)
        mov     r1, r2
        call    ns_put
        pop     r8
        pop     lr
        ret

# ---- privilege --------------------------------------------------------------------

# ns_privileged(r1 = proc) -> r1 = 1 if it is uid 0 in its own user namespace.
# Clobbers r2.
ns_privileged:
        lw      r2, P_USERNS(r1)
        lw      r2, UN_ROOT(r2)
        lw      r1, P_UID(r1)
        xor     r1, r1, r2
        sltiu   r1, r1, 1
        ret

# ns_host_privileged(r1 = proc) -> r1 = 1 if it is uid 0 in the initial user
# namespace: root of the machine, not only of a container.  Clobbers r2.
ns_host_privileged:
        lw      r2, P_USERNS(r1)
        lw      r1, P_UID(r1)
        bnez    r1, 1f
        la      r1, userns_table
        xor     r1, r1, r2
        sltiu   r1, r1, 1
        ret
1:      li      r1, 0
        ret

# ns_owns(r1 = proc, r2 = user namespace) -> r1 = 1 if the process is uid 0
# in its user namespace and r2 is that namespace or one below it: what
# Linux calls having a capability "in" r2.  Clobbers r1..r5.
ns_owns:
        push    lr
        push    r8
        push    r9
        mov     r8, r1
        mov     r9, r2
        call    ns_privileged
        beqz    r1, 3f
        lw      r3, P_USERNS(r8)        # r3 = the process's user namespace
        lw      r4, UN_LEVEL(r3)
        mov     r2, r9
1:      beq     r2, r3, 2f
        lw      r5, UN_LEVEL(r2)
        bge     r4, r5, 3f              # not below it
        lw      r2, UN_PARENT(r2)
        j       1b
2:      li      r1, 1
        j       4f
3:      li      r1, 0
4:      pop     r9
        pop     r8
        pop     lr
        ret

# ---- pids ---------------------------------------------------------------------------

# pid_in(r1 = proc, r2 = pid namespace) -> r1 = the process's pid as seen in
# that namespace, or 0 if it cannot be seen there (it lives above it, or in
# another branch of the tree).  Clobbers r1..r5.
pid_in:
        lw      r3, P_PIDNS(r1)
        lw      r4, PN_LEVEL(r2)
        lw      r5, PN_LEVEL(r3)
        blt     r5, r4, 3f
1:      beq     r5, r4, 2f              # climb to the viewer's level
        lw      r3, PN_PARENT(r3)
        addi    r5, r5, -1
        j       1b
2:      bne     r3, r2, 3f
        slli    r4, r4, 2
        add     r1, r1, r4
        lw      r1, P_NSPID(r1)
        ret
3:      li      r1, 0
        ret

# proc_live(r1 = proc) -> r1 = 1 if it is a process that runs, could run or
# waits (not a free slot, an embryo or a zombie).  Clobbers r1, r2.
proc_live:
        lw      r1, P_STATE(r1)
        li      r2, PS_ZOMBIE
        beq     r1, r2, 1f
        sltiu   r1, r1, PS_RUNNABLE
        xori    r1, r1, 1
        ret
1:      li      r1, 0
        ret

# pid_lookup(r1 = viewer, r2 = pid) -> r1 = the live process the viewer
# knows as pid, or 0 if there is none in its namespace or below.
# Clobbers r1..r7.
pid_lookup:
        addi    sp, sp, -20
        sw      lr, 16(sp)
        sw      r8, 12(sp)
        sw      r9, 8(sp)
        sw      r10, 4(sp)
        sw      r11, 0(sp)
        lw      r8, P_PIDNS(r1)         # r8 = the viewer's namespace
        mov     r9, r2                  # r9 = pid
        la      r10, proc_table
        li      r11, NPROC
        ble     r9, r0, 3f              # pids start at 1
1:      mov     r1, r10
        call    proc_live
        beqz    r1, 2f
        mov     r1, r10
        mov     r2, r8
        call    pid_in
        beq     r1, r9, 4f
2:      addi    r10, r10, P_SIZE
        addi    r11, r11, -1
        bnez    r11, 1b
3:      li      r10, 0
4:      mov     r1, r10
        lw      r11, 0(sp)
        lw      r10, 4(sp)
        lw      r9, 8(sp)
        lw      r8, 12(sp)
        lw      lr, 16(sp)
        addi    sp, sp, 20
        ret

# ns_getpid(r1 = proc) -> r1 = its pid in its own namespace.  Clobbers r2.
ns_getpid:
        lw      r2, P_PIDNS(r1)
        lw      r2, PN_LEVEL(r2)
        slli    r2, r2, 2
        add     r1, r1, r2
        lw      r1, P_NSPID(r1)
        ret

# ns_wait_pid(r1 = proc, r2 = pid or -1) -> r2 = the pid in the initial
# namespace of the caller's child it calls pid (0 if it has none; -1 stays
# -1), for proc_wait, which knows only those.  Its children live in its
# namespace or below, so each has a pid at its level.  Keeps r1; clobbers
# r2..r7.
ns_wait_pid:
        li      r3, -1
        beq     r2, r3, 3f
        lw      r3, P_PIDNS(r1)
        lw      r3, PN_LEVEL(r3)
        slli    r3, r3, 2               # r3 = where its level's pid is kept
        lw      r4, P_PID(r1)
        la      r5, proc_table
        li      r6, NPROC
1:      lw      r7, P_STATE(r5)
        beqz    r7, 2f
        lw      r7, P_PARENT(r5)
        bne     r7, r4, 2f
        add     r7, r5, r3
        lw      r7, P_NSPID(r7)
        bne     r7, r2, 2f
        lw      r2, P_PID(r5)
        ret
2:      addi    r5, r5, P_SIZE
        addi    r6, r6, -1
        bnez    r6, 1b
        li      r2, 0
3:      ret

# ---- a process's namespaces: created with it, released when it exits ------------

# ns_fork(r1 = child, r2 = parent's pid or 0, r3 = clone flags) -> r1 = 0,
# -1 (a table is full, too deep, the pid namespace is dead, a cgroup limit)
# or E_PERM.  Called by proc_spawn on the zeroed slot: the child starts with
# its parent's namespaces, uid and cgroup (the initial ones and the root
# group for the first process), then gets the new namespaces the flags ask
# for — a user namespace first, so that the others can belong to it.  On
# failure the child holds nothing.
ns_fork:
        addi    sp, sp, -20
        sw      lr, 16(sp)
        sw      r8, 12(sp)
        sw      r9, 8(sp)
        sw      r10, 4(sp)
        sw      r11, 0(sp)
        mov     r8, r1                  # r8 = child
        mov     r10, r3                 # r10 = flags
        li      r9, 0                   # r9 = parent, 0 at boot
        beqz    r2, 1f
        mov     r1, r2
        call    proc_find
        mov     r9, r1
        bnez    r9, 2f
1:      la      r1, pidns_table         # the first process
        sw      r1, P_PIDNS_CHILD(r8)
        la      r1, utsns_table
        sw      r1, P_UTSNS(r8)
        la      r1, userns_table
        sw      r1, P_USERNS(r8)
        la      r1, ipcns_table
        sw      r1, P_IPCNS(r8)
        .if     FS
        la      r1, mntns_table
        sw      r1, P_MNTNS(r8)
        .endif
        .if     NET
        la      r1, netns_table
        sw      r1, P_NETNS(r8)
        .endif
        .if     CGNS
        la      r1, cgns_table
        sw      r1, P_CGNS(r8)
        .endif
        la      r11, cgroup_table       # r11 = its cgroup
        li      r10, 0
        j       3f
2:      lw      r1, P_PIDNS_CHILD(r9)
        sw      r1, P_PIDNS_CHILD(r8)
        lw      r1, P_UTSNS(r9)
        sw      r1, P_UTSNS(r8)
        lw      r1, P_USERNS(r9)
        sw      r1, P_USERNS(r8)
        lw      r1, P_IPCNS(r9)
        sw      r1, P_IPCNS(r8)
        .if     FS
        lw      r1, P_MNTNS(r9)
        sw      r1, P_MNTNS(r8)
        .endif
        .if     NET
        lw      r1, P_NETNS(r9)
        sw      r1, P_NETNS(r8)
        .endif
        .if     CGNS
        lw      r1, P_CGNS(r9)
        sw      r1, P_CGNS(r8)
        .endif
        lw      r1, P_UID(r9)
        sw      r1, P_UID(r8)
        lw      r11, P_CGROUP(r9)
3:      lw      r1, P_PIDNS_CHILD(r8)   # it lives where its parent's children do
        sw      r1, P_PIDNS(r8)
        call    ns_get
        call    ns_get                  # (twice: P_PIDNS and P_PIDNS_CHILD)
        lw      r1, P_UTSNS(r8)
        call    ns_get
        lw      r1, P_USERNS(r8)
        call    ns_get
        lw      r1, P_IPCNS(r8)
        call    ns_get
        .if     FS
        lw      r1, P_MNTNS(r8)
        call    ns_get
        .endif
        .if     NET
        lw      r1, P_NETNS(r8)
        call    ns_get
        .endif
        .if     CGNS
        lw      r1, P_CGNS(r8)
        call    ns_get
        .endif
        andi    r1, r10, CLONE_NEWUSER
        beqz    r1, 4f
        mov     r1, r8
        call    ns_new_user
        bnez    r1, 8f
4:      andi    r1, r10, CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNS * FS | CLONE_NEWNET * NET | CLONE_NEWCGROUP * CGNS
        beqz    r1, 6f
        mov     r1, r8                  # new pid and UTS namespaces need
        call    ns_privileged           # root in the (new) user namespace
        beqz    r1, 7f
        andi    r1, r10, CLONE_NEWPID
        beqz    r1, 5f
        mov     r1, r8                  # a new pid namespace for its
        call    ns_new_pid              # children, and it moves in first
        bnez    r1, 8f
        mov     r1, r8
        li      r2, P_PIDNS
        lw      r3, P_PIDNS_CHILD(r8)
        call    ns_swap
5:      andi    r1, r10, CLONE_NEWUTS
        beqz    r1, 51f
        mov     r1, r8
        call    ns_new_uts
        bnez    r1, 8f
51:     andi    r1, r10, CLONE_NEWIPC
        beqz    r1, 52f
        mov     r1, r8
        call    ns_new_ipc
        bnez    r1, 8f
52:
        .if     FS
        andi    r1, r10, CLONE_NEWNS
        beqz    r1, 53f
        mov     r1, r8
        call    ns_new_mnt
        bnez    r1, 8f
53:
        .endif
        .if     NET
        andi    r1, r10, CLONE_NEWNET
        beqz    r1, 6f
        mov     r1, r8
        call    ns_new_net
        bnez    r1, 8f
        .endif
6:      lw      r1, P_PIDNS(r8)         # its PID 1 gone: nobody may join
        lw      r1, PN_DEAD(r1)
        bnez    r1, 8f
        andi    r1, r10, CLONE_INTO_CGROUP
        beqz    r1, 9f
        mov     r1, r9                  # only root of the machine, in the
        call    cg_may_manage           # root group, places processes
        beqz    r1, 7f
        srli    r2, r10, CLONE_CGROUP_SHIFT
        andi    r2, r2, 0xff
        mov     r1, r9                  # the group as the parent names it
        call    cg_lookup
        beqz    r1, 8f
        mov     r11, r1
9:      mov     r1, r8
        mov     r2, r11
        call    cg_join                 # its limit of processes, and memory
        bnez    r1, 8f                  # for its image
        .if     CGNS                    # a cgroup namespace: its group is "/"
        andi    r1, r10, CLONE_NEWCGROUP
        beqz    r1, 12f
        mov     r1, r8
        call    ns_new_cgns
        bnez    r1, 8f
12:
        .endif
        li      r1, 0
        j       10f
7:      li      r11, E_PERM
        j       11f
8:      li      r11, -1
11:     mov     r1, r8
        call    ns_release
        mov     r1, r11
10:     lw      r11, 0(sp)
        lw      r10, 4(sp)
        lw      r9, 8(sp)
        lw      r8, 12(sp)
        lw      lr, 16(sp)
        addi    sp, sp, 20
        ret

# ns_commit(r1 = child): the spawn has succeeded and the child has its pid
# in the initial namespace (P_PID).  Give it the next pid of each namespace
# between its own and that one, and charge its image to its cgroup.
ns_commit:
        push    lr
        push    r8
        mov     r8, r1
        lw      r2, P_PID(r8)
        sw      r2, P_NSPID(r8)         # level 0
        lw      r3, P_PIDNS(r8)
1:      lw      r4, PN_LEVEL(r3)
        beqz    r4, 2f
        lw      r5, PN_LASTPID(r3)
        addi    r5, r5, 1
        sw      r5, PN_LASTPID(r3)
        slli    r4, r4, 2
        add     r4, r8, r4
        sw      r5, P_NSPID(r4)
        lw      r3, PN_PARENT(r3)
        j       1b
2:      call    image_pages
        mov     r2, r1
        mov     r1, r8
        call    cg_pages_add
        pop     r8
        pop     lr
        ret

# ns_exit(r1 = proc): a process is exiting (proc_exit).  If it was the PID 1
# of a namespace, that namespace dies: every other process in it or below
# it is killed (exit code -1), and nothing may join it — for the initial
# namespace, whose PID 1 is init, that ends the machine (Linux panics).
# Then the process lets go of its namespaces and leaves its cgroup.
ns_exit:
        addi    sp, sp, -20
        sw      lr, 16(sp)
        sw      r8, 12(sp)
        sw      r9, 8(sp)
        sw      r10, 4(sp)
        sw      r11, 0(sp)
        mov     r8, r1
        lw      r9, P_PIDNS(r8)
        lw      r2, PN_LEVEL(r9)
        slli    r2, r2, 2
        add     r2, r8, r2
        lw      r2, P_NSPID(r2)
        li      r3, 1
        bne     r2, r3, 3f
        sw      r3, PN_DEAD(r9)
        la      r10, proc_table
        li      r11, NPROC
1:      beq     r10, r8, 2f
        mov     r1, r10
        call    proc_live
        beqz    r1, 2f
        mov     r1, r10
        mov     r2, r9
        call    pid_in
        beqz    r1, 2f
        mov     r1, r10
        li      r2, -1
        call    proc_exit
2:      addi    r10, r10, P_SIZE
        addi    r11, r11, -1
        bnez    r11, 1b
3:      mov     r1, r8
        call    ns_release
        lw      r11, 0(sp)
        lw      r10, 4(sp)
        lw      r9, 8(sp)
        lw      r8, 12(sp)
        lw      lr, 16(sp)
        addi    sp, sp, 20
        ret

# ns_release(r1 = proc): let go of every namespace it holds and leave its
# cgroup (what it holds may be partial: ns_fork failing).  Its namespace
# fields become 0, so that nothing looks at a zombie's namespaces.
ns_release:
        push    lr
        push    r8
        mov     r8, r1
        lw      r1, P_PIDNS(r8)
        call    ns_put
        sw      r0, P_PIDNS(r8)
        lw      r1, P_PIDNS_CHILD(r8)
        call    ns_put
        sw      r0, P_PIDNS_CHILD(r8)
        lw      r1, P_UTSNS(r8)
        call    ns_put
        sw      r0, P_UTSNS(r8)
        lw      r1, P_USERNS(r8)
        call    ns_put
        sw      r0, P_USERNS(r8)
        lw      r1, P_IPCNS(r8)
        call    ns_put
        sw      r0, P_IPCNS(r8)
        .if     FS
        lw      r1, P_MNTNS(r8)
        call    ns_put
        sw      r0, P_MNTNS(r8)
        .endif
        .if     NET
        lw      r1, P_NETNS(r8)
        call    ns_put
        sw      r0, P_NETNS(r8)
        .endif
        .if     CGNS
        lw      r1, P_CGNS(r8)
        call    ns_put
        sw      r0, P_CGNS(r8)
        .endif
        mov     r1, r8
        call    cg_leave
        pop     r8
        pop     lr
        ret

# ---- new namespaces: each replaces one of a process's, -> r1 = 0 or -1 ------

# ns_new_user(r1 = proc): a user namespace below its own, in which it is
# uid 0: its uid outside is the namespace's root (UN_ROOT).
ns_new_user:
        push    lr
        push    r8
        push    r9
        mov     r8, r1
        lw      r9, P_USERNS(r8)        # r9 = the parent
        lw      r2, UN_LEVEL(r9)
        li      r3, USERNS_MAXLEVEL
        bge     r2, r3, 9f
        la      r1, userns_table
        li      r2, NUSERNS
        li      r3, UN_SIZE
        call    ns_alloc
        beqz    r1, 9f
        sw      r9, UN_PARENT(r1)
        lw      r2, UN_LEVEL(r9)
        addi    r2, r2, 1
        sw      r2, UN_LEVEL(r1)
        lw      r2, P_UID(r8)
        sw      r2, UN_ROOT(r1)
        sw      r1, P_USERNS(r8)        # the process's reference on the
        li      r1, 0                   # parent passes to the new namespace
        j       7f
9:      li      r1, -1
7:      pop     r9
        pop     r8
        pop     lr
        ret

# ns_new_pid(r1 = proc): a pid namespace below the one its children live in,
# for its children from now on.  Its own pid does not change.
ns_new_pid:
        push    lr
        push    r8
        push    r9
        mov     r8, r1
        lw      r9, P_PIDNS_CHILD(r8)   # r9 = the parent
        lw      r2, PN_LEVEL(r9)
        li      r3, PIDNS_MAXLEVEL
        bge     r2, r3, 9f
        la      r1, pidns_table
        li      r2, NPIDNS
        li      r3, PN_SIZE
        call    ns_alloc
        beqz    r1, 9f
        sw      r9, PN_PARENT(r1)
        lw      r2, PN_LEVEL(r9)
        addi    r2, r2, 1
        sw      r2, PN_LEVEL(r1)
        sw      r1, P_PIDNS_CHILD(r8)   # the process's reference on the
        li      r1, 0                   # parent passes to the new namespace
        j       7f
9:      li      r1, -1
7:      pop     r9
        pop     r8
        pop     lr
        ret

# ns_alloc_owned(r1 = proc, r2 = table, r3 = slots, r4 = slot size) -> r1 =
# a fresh slot owned by the process's user namespace (NS_UP, holding a
# reference on it), or 0 if the table is full.  For the namespaces a user
# namespace owns: UTS and IPC.
ns_alloc_owned:
        push    lr
        push    r8
        mov     r8, r1
        mov     r1, r2
        mov     r2, r3
        mov     r3, r4
        call    ns_alloc
        beqz    r1, 1f
        mov     r3, r1
        lw      r1, P_USERNS(r8)
        sw      r1, NS_UP(r3)
        call    ns_get                  # (clobbers r2 only)
        mov     r1, r3
1:      pop     r8
        pop     lr
        ret

# ns_new_uts(r1 = proc): a UTS namespace with a copy of its host name, owned
# by its user namespace.
ns_new_uts:
        push    lr
        push    r8
        push    r9
        mov     r8, r1
        la      r2, utsns_table
        li      r3, NUTSNS
        li      r4, UT_SIZE
        call    ns_alloc_owned
        beqz    r1, 9f
        mov     r9, r1
        addi    r1, r9, UT_NAME
        lw      r2, P_UTSNS(r8)
        addi    r2, r2, UT_NAME
        li      r3, HOSTNAME_MAX
        call    memcopy
        lw      r1, P_UTSNS(r8)         # the process's reference moves
        sw      r9, P_UTSNS(r8)
        call    ns_put
        li      r1, 0
        j       7f
9:      li      r1, -1
7:      pop     r9
        pop     r8
        pop     lr
        ret

# ns_new_ipc(r1 = proc): an IPC namespace with no queues, owned by its user
# namespace.
ns_new_ipc:
        push    lr
        push    r8
        mov     r8, r1
        la      r2, ipcns_table
        li      r3, NIPCNS
        li      r4, IN_SIZE
        call    ns_alloc_owned
        beqz    r1, 9f
        lw      r2, P_IPCNS(r8)         # the process's reference moves
        sw      r1, P_IPCNS(r8)
        mov     r1, r2
        call    ns_put
        li      r1, 0
        j       7f
9:      li      r1, -1
7:      pop     r8
        pop     lr
        ret

# ---- the system calls --------------------------------------------------------------

# clone(program, arg, flags) -> the child's pid as the caller sees it, -1,
# or E_PERM.  spawn, with new namespaces (CLONE_NEWPID, CLONE_NEWUTS,
# CLONE_NEWUSER, CLONE_NEWIPC) and a cgroup to start in (CLONE_INTO_CGROUP, group in bits
# 16..23).  spawn(program, arg) is clone(program, arg, 0).
sys_clone:
        push    lr
        push    r8
        mov     r8, r1
        li      r5, ~(CLONE_NS_FLAGS | CLONE_NEWIPC | CLONE_NEWNS * FS | CLONE_NEWNET * NET | CLONE_NEWCGROUP * CGNS | CLONE_INTO_CGROUP | (0xff << CLONE_CGROUP_SHIFT))
        and     r5, r4, r5
        bnez    r5, 9f                  # a flag we do not know
        mov     r1, r2
        mov     r2, r3
        lw      r3, P_PID(r8)
        call    proc_spawn              # -> r1 = its pid, r2 = its slot
        blt     r1, r0, 1f
        mov     r1, r2
        lw      r2, P_PIDNS(r8)
        call    pid_in
        j       1f
9:      li      r1, -1
1:      pop     r8
        pop     lr
        ret

# unshare(flags) -> 0, -1 or E_PERM.  CLONE_NEWUSER and CLONE_NEWUTS give
# the caller new namespaces at once; CLONE_NEWPID gives its children-to-be a
# new pid namespace, whose first process will be its PID 1.
sys_unshare:
        push    lr
        push    r8
        push    r9
        mov     r8, r1
        mov     r9, r2
        andi    r1, r9, CLONE_NS_FLAGS | CLONE_NEWNS * FS | CLONE_NEWNET * NET | CLONE_NEWCGROUP * CGNS
        bne     r1, r9, 9f
        andi    r1, r9, CLONE_NEWUSER
        beqz    r1, 1f
        mov     r1, r8
        call    ns_new_user
        bnez    r1, 9f
1:      andi    r1, r9, CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWNS * FS | CLONE_NEWNET * NET | CLONE_NEWCGROUP * CGNS
        beqz    r1, 3f
        mov     r1, r8
        call    ns_privileged
        beqz    r1, 8f
        andi    r1, r9, CLONE_NEWPID
        beqz    r1, 2f
        mov     r1, r8
        call    ns_new_pid
        bnez    r1, 9f
2:      andi    r1, r9, CLONE_NEWUTS
        beqz    r1, 21f
        mov     r1, r8
        call    ns_new_uts
        bnez    r1, 9f
21:
        .if     FS
        andi    r1, r9, CLONE_NEWNS
        beqz    r1, 22f
        mov     r1, r8
        call    ns_new_mnt
        bnez    r1, 9f
22:
        .endif
        .if     NET
        andi    r1, r9, CLONE_NEWNET
        beqz    r1, 23f
        mov     r1, r8
        call    ns_new_net
        bnez    r1, 9f
23:
        .endif
        .if     CGNS
        andi    r1, r9, CLONE_NEWCGROUP
        beqz    r1, 3f
        mov     r1, r8
        call    ns_new_cgns
        bnez    r1, 9f
        .endif
3:      li      r1, 0
        j       7f
8:      li      r1, E_PERM
        j       7f
9:      li      r1, -1
7:      pop     r9
        pop     r8
        pop     lr
        ret

# setns(pid, flags) -> 0, -1 or E_PERM: join the UTS namespace
# (CLONE_NEWUTS) of the process the caller calls pid, and make its pid
# namespace the one the caller's children will live in (CLONE_NEWPID) —
# what `nsenter` does.  Only root of the machine may; the process must be
# one it sees, so the pid namespace is its own or one below it.
sys_setns:
        push    lr
        push    r8
        push    r9
        push    r10
        mov     r8, r1
        mov     r9, r3                  # r9 = flags
        mov     r10, r2                 # r10 = pid
        andi    r1, r9, CLONE_NEWPID | CLONE_NEWUTS
        bne     r1, r9, 9f
        mov     r1, r8
        call    ns_host_privileged
        beqz    r1, 8f
        mov     r1, r8
        mov     r2, r10
        call    pid_lookup
        beqz    r1, 9f
        mov     r10, r1                 # r10 = the process
        andi    r1, r9, CLONE_NEWPID
        beqz    r1, 1f
        mov     r1, r8
        li      r2, P_PIDNS_CHILD
        lw      r3, P_PIDNS(r10)
        call    ns_swap
1:      andi    r1, r9, CLONE_NEWUTS
        beqz    r1, 2f
        mov     r1, r8
        li      r2, P_UTSNS
        lw      r3, P_UTSNS(r10)
        call    ns_swap
2:      li      r1, 0
        j       7f
8:      li      r1, E_PERM
        j       7f
9:      li      r1, -1
7:      pop     r10
        pop     r9
        pop     r8
        pop     lr
        ret

# getppid() -> the parent's pid as the caller sees it; 0 if it has none or
# it lives outside the caller's namespace (a container's PID 1).
sys_getppid:
        push    lr
        push    r8
        mov     r8, r1
        lw      r1, P_PARENT(r8)
        beqz    r1, 1f
        call    proc_find
        beqz    r1, 1f
        lw      r2, P_PIDNS(r8)
        call    pid_in
1:      pop     r8
        pop     lr
        ret

# ps(buf, max) -> how many processes the caller sees (live ones, in its pid
# namespace and below), their pids — as it calls them, smallest first —
# written to the word array buf (at most max of them); -1 if buf is not a
# writable, word-aligned user address.  The /proc of this kernel.
sys_ps:
        addi    sp, sp, -28
        sw      lr, 24(sp)
        sw      r8, 20(sp)
        sw      r9, 16(sp)
        sw      r10, 12(sp)
        sw      r11, 8(sp)
        sw      r12, 4(sp)
        sw      r13, 0(sp)
        mov     r8, r1                  # r8 = caller
        mov     r9, r2                  # r9 = buf
        mov     r10, r3                 # r10 = max
        li      r11, 0                  # r11 = pids seen
        li      r12, 0                  # r12 = the last pid listed
        andi    r1, r9, 3
        bnez    r1, 9f
1:      mov     r1, r8
        mov     r2, r12
        call    ps_next
        beqz    r1, 3f
        mov     r12, r1
        bge     r11, r10, 2f            # no room: count it only
        mov     r1, r8
        slli    r2, r11, 2
        add     r2, r9, r2
        li      r3, 1
        call    uva2pa
        beqz    r1, 9f
        sw      r12, 0(r1)
2:      addi    r11, r11, 1
        j       1b
3:      mov     r1, r11
        j       4f
9:      li      r1, -1
4:      lw      r13, 0(sp)
        lw      r12, 4(sp)
        lw      r11, 8(sp)
        lw      r10, 12(sp)
        lw      r9, 16(sp)
        lw      r8, 20(sp)
        lw      lr, 24(sp)
        addi    sp, sp, 28
        ret

# ps_next(r1 = viewer, r2 = pid) -> r1 = the smallest pid above r2 of a
# live process the viewer sees, or 0.  Clobbers r1..r7.
ps_next:
        addi    sp, sp, -28
        sw      lr, 24(sp)
        sw      r8, 20(sp)
        sw      r9, 16(sp)
        sw      r10, 12(sp)
        sw      r11, 8(sp)
        sw      r12, 4(sp)
        sw      r13, 0(sp)
        lw      r8, P_PIDNS(r1)         # r8 = the viewer's namespace
        mov     r9, r2                  # r9 = the pid to pass
        li      r10, 0                  # r10 = the best so far
        la      r11, proc_table
        li      r12, NPROC
1:      mov     r1, r11
        call    proc_live
        beqz    r1, 2f
        mov     r1, r11
        mov     r2, r8
        call    pid_in
        bgeu    r9, r1, 2f              # invisible (0) or not above r9
        beqz    r10, 3f
        bgeu    r1, r10, 2f
3:      mov     r10, r1
2:      addi    r11, r11, P_SIZE
        addi    r12, r12, -1
        bnez    r12, 1b
        mov     r1, r10
        lw      r13, 0(sp)
        lw      r12, 4(sp)
        lw      r11, 8(sp)
        lw      r10, 12(sp)
        lw      r9, 16(sp)
        lw      r8, 20(sp)
        lw      lr, 24(sp)
        addi    sp, sp, 28
        ret

# sethostname(buf, len) -> 0, -1 (len not 0..HOSTNAME_MAX - 1, buf not
# readable) or E_PERM: rename the caller's UTS namespace.  Only root of the
# user namespace that owns it may: a container's root its container's,
# root of the machine any.
sys_sethostname:
        addi    sp, sp, -20
        sw      lr, 16(sp)
        sw      r8, 12(sp)
        sw      r9, 8(sp)
        sw      r10, 4(sp)
        sw      r11, 0(sp)
        mov     r8, r1
        mov     r9, r2                  # r9 = buf
        mov     r10, r3                 # r10 = len
        li      r1, HOSTNAME_MAX
        bgeu    r10, r1, 9f
        lw      r2, P_UTSNS(r8)
        lw      r2, UT_OWNER(r2)
        mov     r1, r8
        call    ns_owns
        beqz    r1, 8f
        li      r11, 0                  # copy in to a buffer first, so that
1:      bgeu    r11, r10, 2f            # a bad buf leaves the name alone
        mov     r1, r8
        add     r2, r9, r11
        li      r3, 0
        call    uva2pa
        beqz    r1, 9f
        lbu     r1, 0(r1)
        la      r2, hostname_tmp
        add     r2, r2, r11
        sb      r1, 0(r2)
        addi    r11, r11, 1
        j       1b
2:      la      r2, hostname_tmp
        add     r2, r2, r10
        sb      r0, 0(r2)
        lw      r1, P_UTSNS(r8)
        addi    r1, r1, UT_NAME
        la      r2, hostname_tmp
        li      r3, HOSTNAME_MAX
        call    memcopy
        li      r1, 0
        j       7f
8:      li      r1, E_PERM
        j       7f
9:      li      r1, -1
7:      lw      r11, 0(sp)
        lw      r10, 4(sp)
        lw      r9, 8(sp)
        lw      r8, 12(sp)
        lw      lr, 16(sp)
        addi    sp, sp, 20
        ret

# gethostname(buf, size) -> the length of the caller's host name, copied
# NUL-terminated into buf (cut to size - 1 characters); -1 if buf is not
# writable.
sys_gethostname:
        lw      r4, P_UTSNS(r1)
        addi    r4, r4, UT_NAME
        # fall through

# copyout_str(r1 = proc, r2 = buf, r3 = size, r4 = kernel string) -> the
# string's length, the string copied NUL-terminated into the user's buf
# and cut to size - 1 characters; -1 if buf is not writable.  (sys_bootarg
# does the same for the boot parameters, written before this existed.)
copyout_str:
        addi    sp, sp, -24
        sw      lr, 20(sp)
        sw      r8, 16(sp)
        sw      r9, 12(sp)
        sw      r10, 8(sp)
        sw      r11, 4(sp)
        sw      r12, 0(sp)
        mov     r8, r1                  # proc
        mov     r9, r2                  # buf
        addi    r10, r3, -1             # room for characters
        mov     r12, r4                 # the string
        li      r11, 0                  # index
        blt     r10, r0, 3f             # size 0: copy nothing
1:      add     r1, r12, r11
        lbu     r4, 0(r1)               # the character (0 at the end)
        bltu    r11, r10, 2f
        li      r4, 0                   # out of room: end it here
2:      push    r4
        mov     r1, r8
        add     r2, r9, r11
        li      r3, 1
        call    uva2pa
        pop     r4
        beqz    r1, 9f
        sb      r4, 0(r1)
        addi    r11, r11, 1
        bnez    r4, 1b
3:      li      r1, 0                   # the result: the whole length
4:      add     r2, r12, r1
        lbu     r2, 0(r2)
        beqz    r2, 5f
        addi    r1, r1, 1
        j       4b
9:      li      r1, -1
5:      lw      r12, 0(sp)
        lw      r11, 4(sp)
        lw      r10, 8(sp)
        lw      r9, 12(sp)
        lw      r8, 16(sp)
        lw      lr, 20(sp)
        addi    sp, sp, 24
        ret

# getuid() -> the caller's uid in its own user namespace: in the initial
# one the uid itself; below it 0 for the namespace's root and UID_NOBODY
# for any uid it does not map.
sys_getuid:
        lw      r2, P_USERNS(r1)
        lw      r1, P_UID(r1)
        lw      r3, UN_LEVEL(r2)
        beqz    r3, 1f
        lw      r2, UN_ROOT(r2)
        bne     r1, r2, 2f
        li      r1, 0
1:      ret
2:      li      r1, UID_NOBODY
        ret

# setuid(uid) -> 0, -1 or E_PERM.  Root of the initial user namespace may
# become any uid (and so give up its privilege); root of another namespace
# only uid 0, the one uid it maps; anyone may "become" the uid it has.
sys_setuid:
        push    lr
        push    r8
        push    r9
        mov     r8, r1
        mov     r9, r2
        call    ns_privileged
        beqz    r1, 2f
        lw      r1, P_USERNS(r8)
        lw      r1, UN_LEVEL(r1)
        bnez    r1, 1f
        blt     r9, r0, 9f
        sw      r9, P_UID(r8)           # root of the machine: any uid
        j       3f
1:      bnez    r9, 9f                  # only uid 0 is mapped
        j       3f
2:      mov     r1, r8
        call    sys_getuid
        bne     r1, r9, 8f
3:      li      r1, 0
        j       7f
8:      li      r1, E_PERM
        j       7f
9:      li      r1, -1
7:      pop     r9
        pop     r8
        pop     lr
        ret

        .data
        .align  4
# The initial namespaces: slot 0 of each table, one reference that is never
# given back.
pidns_table:
        .word   1, 0, 0, 0, 0, 0, 0, 0  # refs, parent, level 0, ...
        .space  (NPIDNS - 1) * PN_SIZE
utsns_table:
        .word   1, userns_table         # refs, owner: the initial user namespace
        .ascii  "ringsim"
        .space  HOSTNAME_MAX - 7        # (the name, NUL-padded)
        .space  (NUTSNS - 1) * UT_SIZE
userns_table:
        .word   1, 0, 0, 0              # refs, parent, level 0, root: uid 0
        .space  (NUSERNS - 1) * UN_SIZE
# What the debugger's `info ns` reads (visualise/debugger_views.c), so that
# it knows no offset of its own: the running process's slot, where in a
# slot its pid, uid, pids by level and cgroup lie; then for each kind of
# namespace where a process points at it, its table and slot size, and what
# the view shows of it (a pid namespace's level, a UTS one's host name, a
# user one's level and root).
ns_layout:
        .word   curproc, P_PID, P_UID, P_NSPID, P_CGROUP, cgroup_table, CG_SIZE
        .word   P_PIDNS, pidns_table, PN_SIZE, PN_LEVEL
        .word   P_UTSNS, utsns_table, UT_SIZE, UT_NAME
        .word   P_USERNS, userns_table, UN_SIZE, UN_LEVEL, UN_ROOT
        .word   P_IPCNS, ipcns_table, IN_SIZE
ipcns_table:
        .word   1, userns_table         # refs, owner: the initial user namespace
        .space  IN_SIZE - 8             # (no queues)
        .space  (NIPCNS - 1) * IN_SIZE
hostname_tmp:   .space  HOSTNAME_MAX
# What `ringsim dot --processes` reads besides ns_layout (visualise/proctree.c),
# so that it too knows no offset of its own: the process table, its slots,
# where in a slot the state and the parent's pid lie, which states are no
# process to draw (free, being built, exited), and where a pid namespace
# keeps its parent.  (Last in this file's data, so that nothing above moves.)
proc_layout:
        .word   proc_table, NPROC, P_SIZE, P_STATE, P_PARENT
        .word   PS_UNUSED, PS_EMBRYO, PS_ZOMBIE, PN_PARENT
