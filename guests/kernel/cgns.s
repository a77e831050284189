# cgns.s — cgroup namespaces: which control groups a process can name
# (CONTAINERS=1, FS=1, NET=1 and CGNS=1 kernels: guests/cgroupns.s).
#
# The groups (cgroup.s) form a hierarchy of two levels: the root group, 0,
# and the groups 1..NCGROUP-1 below it.  A cgroup namespace has a root: the
# group its creator was in when it made it (clone or unshare with
# CLONE_NEWCGROUP, 0x40, Linux's flag; clone places the child in its group
# first, so clone(…, CLONE_NEWCGROUP | CLONE_INTO_CGROUP | g << 16) gives it
# a namespace whose root is g).  In it, that group is "/", number 0, and it
# is the only one there is: getcgroup says 0, cgroup_stat, cgroup_set,
# cgroup_attach and clone's CLONE_INTO_CGROUP take 0 for it and refuse
# every other number (-1, counted in the namespace's CN_REFUSED), so a
# container cannot read, change or move into its neighbours' groups, nor
# even learn that they exist.  The initial namespace's root is the root
# group, and in it every number means its own group, as without CGNS.
# Creating one needs root in the caller's user namespace, as the other
# namespaces do; it is owned by that user namespace.

        .text

# cgns_lookup(r1 = proc, r2 = a group's number as the process names it) ->
# r1 = the group, or 0 if it names none the process may see.  Clobbers
# r2..r5.
cgns_lookup:
        lw      r3, P_CGNS(r1)
        lw      r4, CN_ROOT(r3)
        la      r5, cgroup_table
        bne     r4, r5, 1f
        mov     r1, r2                  # rooted at the root group: every group
        j       cg_group
1:      bnez    r2, 2f
        mov     r1, r4                  # 0: its root
        ret
2:      lw      r4, CN_REFUSED(r3)      # a group outside it
        addi    r4, r4, 1
        sw      r4, CN_REFUSED(r3)
        la      r3, cgns_refused_all
        lw      r4, 0(r3)
        addi    r4, r4, 1
        sw      r4, 0(r3)
        li      r1, 0
        ret

# getcgroup() -> the caller's group as its cgroup namespace names it: 0 for
# the namespace's root ("/"), or -1 if the group lies outside its namespace
# (root of the machine moved it there after it made the namespace).
sys_getcgroup:
        lw      r2, P_CGROUP(r1)
        lw      r3, P_CGNS(r1)
        lw      r3, CN_ROOT(r3)
        la      r4, cgroup_table
        bne     r3, r4, 1f
        sub     r1, r2, r4              # the initial view: its own number
        srli    r1, r1, CG_SHIFT
        ret
1:      li      r1, 0
        beq     r2, r3, 2f
        li      r1, -1
2:      ret

# ns_new_cgns(r1 = proc): a cgroup namespace whose root is its group, owned
# by its user namespace.
ns_new_cgns:
        push    lr
        push    r8
        mov     r8, r1
        la      r2, cgns_table
        li      r3, NCGNS
        li      r4, CN_SIZE
        call    ns_alloc_owned
        beqz    r1, 9f
        lw      r2, P_CGROUP(r8)
        sw      r2, CN_ROOT(r1)
        la      r3, cgns_made
        lw      r4, 0(r3)
        addi    r4, r4, 1
        sw      r4, 0(r3)
        lw      r2, P_CGNS(r8)          # the process's reference moves
        sw      r1, P_CGNS(r8)
        mov     r1, r2
        call    ns_put
        li      r1, 0
        j       7f
9:      li      r1, -1
7:      pop     r8
        pop     lr
        ret

        .data
        .align  4
cgns_table:                             # the initial one: rooted at the root group
        .word   1, userns_table, cgroup_table, 0
        .space  (NCGNS - 1) * CN_SIZE
# What `info ns`, `dot --processes` and run's "cgroupns" read
# (visualise/proctree.c, cli/cgroups.c): where a process points at its
# cgroup namespace, the table and its slots, where a slot keeps its root
# group and its refusals, how many slots, the reference count's offset, and
# the group table (to number the roots), and the two counts since boot.
cgns_layout:
        .word   P_CGNS, cgns_table, CN_SIZE, CN_ROOT, CN_REFUSED, NCGNS, NS_REFS
        .word   cgroup_table, CG_SIZE, cgns_made, cgns_refused_all
cgns_made:      .word   0               # cgroup namespaces made since boot
cgns_refused_all: .word 0               # names refused in all of them
