# cgroup.s — control groups: how much of the machine a group of processes
# may take, and the clock that measures it.  Only in kernels built with
# CONTAINERS=1 (defs.s).
#
# Namespaces (ns.s) decide what a process can see; a cgroup decides how much
# it can use.  Every process is in one group — the root group, 0, unless it
# was started in (clone's CLONE_INTO_CGROUP) or moved to (cgroup_attach)
# another — and a child starts in its parent's.  A group has three limits:
#
#   cpu     a quota of timer ticks in every period of CG_PERIOD ticks.  Each
#           tick is charged to the group of the process it interrupted; a
#           group that has used its quota is throttled: the scheduler passes
#           over its processes until the next period begins, and with
#           nothing else to run the kernel idles until the next tick.
#   memory  a limit on the user pages its processes have mapped.  A page
#           that would pass it is refused: a page fault then kills the
#           process that faulted (an out-of-memory kill, counted in the
#           group), a system call gets -1, a spawn fails.  No other group
#           loses anything.
#   pids    a limit on its live processes: a spawn past it fails, so a fork
#           bomb stops there.
#   shares  a weight (default 1024, Linux's cpu.shares): groups that all
#           want the processor get it in proportion to their shares,
#           whatever the number of processes in each.  Stride scheduling
#           (Waldspurger & Weihl, 1995), deterministic: each tick charged to
#           a group advances its pass by CG_STRIDE1 / shares, and the
#           scheduler runs a process of the group whose pass is lowest
#           (round robin inside the group).  A group that was idle or
#           throttled starts again from the scheduler's virtual time (the
#           highest pass it has chosen a group at), so waiting earns no
#           credit beyond one tick.
#
# and counters (cgroup_stat): ticks used, pages and processes now and at
# their peak, out-of-memory kills, spawns refused, periods throttled.
# Invariant: a group's pages are the sum of its processes' P_NPAGES and
# its processes are those whose P_CGROUP it is; no count goes below 0.
#
# Unlike Linux's cgroup v2 the groups are flat (no hierarchy) and never
# removed.  Only root of the machine (uid 0 of the initial user namespace)
# in the root group may make, change or fill them, so a container cannot
# lift its own limits.  The same tick also wakes processes from sleep().

        .text

# ---- the clock ----------------------------------------------------------------------

# cg_tick: a timer tick (trap.s, from user mode or in the kernel).  Charge it
# to the group of the process that was running; at the end of a period give
# every group its quota back; wake the sleepers whose time has come.
# Clobbers r1..r7.
cg_tick:
        la      r1, ticks
        lw      r2, 0(r1)
        addi    r2, r2, 1
        sw      r2, 0(r1)               # r2 = ticks from now on
        la      r3, cpu_idle            # its shares: the group's pass moves on
        lw      r3, 0(r3)
        bnez    r3, 12f
        la      r3, curproc
        lw      r3, 0(r3)
        beqz    r3, 12f
        lw      r3, P_CGROUP(r3)
        beqz    r3, 12f
        lw      r4, CG_PASS(r3)         # from the virtual time at least
        la      r5, sched_vtime
        lw      r5, 0(r5)
        sub     r6, r4, r5
        bge     r6, r0, 11f
        mov     r4, r5
11:     lw      r5, CG_STRIDE(r3)
        add     r4, r4, r5
        sw      r4, CG_PASS(r3)
12:
        # LAB(cgquota) BEGIN: charge the tick to the running process's group; at each period's end count the throttled groups and renew every quota
        la      r3, cpu_idle
        lw      r3, 0(r3)
        bnez    r3, 2f                  # the kernel was idle: nobody's tick
        la      r3, curproc
        lw      r3, 0(r3)
        beqz    r3, 2f
        lw      r3, P_CGROUP(r3)        # 0 once it has exited
        beqz    r3, 2f
        lw      r4, CG_TICKS(r3)
        addi    r4, r4, 1
        sw      r4, CG_TICKS(r3)
        lw      r4, CG_USED(r3)
        addi    r4, r4, 1
        sw      r4, CG_USED(r3)
2:      li      r3, CG_PERIOD           # a new period?
        remu    r4, r2, r3
        bnez    r4, 4f
        la      r3, cgroup_table
        li      r4, NCGROUP
3:      lw      r5, CG_CPU(r3)
        beqz    r5, 5f
        lw      r6, CG_USED(r3)
        bltu    r6, r5, 5f
        lw      r6, CG_THROTTLED(r3)    # it used its whole quota
        addi    r6, r6, 1
        sw      r6, CG_THROTTLED(r3)
5:      sw      r0, CG_USED(r3)
        addi    r3, r3, CG_SIZE
        addi    r4, r4, -1
        bnez    r4, 3b
        # LAB(cgquota) END
4:      la      r3, proc_table          # wake the sleepers that are due
        li      r4, NPROC
6:      lw      r5, P_STATE(r3)
        li      r6, PS_SLEEPING
        bne     r5, r6, 7f
        lw      r5, P_WAKE(r3)
        bltu    r2, r5, 7f
        li      r5, PS_RUNNABLE
        sw      r5, P_STATE(r3)
7:      addi    r3, r3, P_SIZE
        addi    r4, r4, -1
        bnez    r4, 6b
        ret

# cg_throttled(r1 = proc) -> r1 = 1 if its group has used its cpu quota in
# this period (the scheduler passes over it).  Clobbers r2.
cg_throttled:
        lw      r1, P_CGROUP(r1)
        lw      r2, CG_CPU(r1)
        beqz    r2, 1f
        lw      r1, CG_USED(r1)
        sltu    r1, r1, r2
        xori    r1, r1, 1
        ret
1:      li      r1, 0
        ret

# sched_pick() -> r1 = the process to run next (its P_DISPATCHED updated),
# or 0 if none may run.  Of the processes that are runnable (or running) and
# whose cgroup is not throttled, one of the group with the lowest pass (its
# shares), and of those the one the scheduler chose longest ago: round
# robin, as the plain kernel's scan of the slots is, but one that resumes
# where it stopped when a throttled group comes back — a scan that
# restarted after the process that ran last would give a group's quota to
# its first few slots every period and starve the rest.  Passes are
# compared by their signed difference, so they may wrap.
sched_pick:
        addi    sp, sp, -16
        sw      lr, 12(sp)
        sw      r8, 8(sp)
        sw      r9, 4(sp)
        sw      r10, 0(sp)
        li      r8, 0                   # r8 = the best so far
        la      r9, proc_table
        li      r10, NPROC
1:      lw      r3, P_STATE(r9)
        addi    r3, r3, -PS_RUNNABLE
        sltiu   r3, r3, 2               # runnable or running?
        beqz    r3, 3f
        mov     r1, r9
        call    cg_throttled
        bnez    r1, 3f
        beqz    r8, 2f
        lw      r3, P_CGROUP(r9)        # the lower pass first
        lw      r3, CG_PASS(r3)
        lw      r4, P_CGROUP(r8)
        lw      r4, CG_PASS(r4)
        sub     r3, r3, r4
        blt     r3, r0, 2f
        bnez    r3, 3f
        lw      r3, P_DISPATCHED(r9)
        lw      r4, P_DISPATCHED(r8)
        bgeu    r3, r4, 3f
2:      mov     r8, r9
3:      addi    r9, r9, P_SIZE
        addi    r10, r10, -1
        bnez    r10, 1b
        beqz    r8, 4f
        la      r1, dispatches
        lw      r2, 0(r1)
        addi    r2, r2, 1
        sw      r2, 0(r1)
        sw      r2, P_DISPATCHED(r8)
        lw      r2, P_CGROUP(r8)        # the virtual time: the lowest pass,
        lw      r2, CG_PASS(r2)         # never going back
        la      r1, sched_vtime
        lw      r3, 0(r1)
        sub     r3, r2, r3
        blt     r3, r0, 4f
        sw      r2, 0(r1)
4:      mov     r1, r8
        lw      r10, 0(sp)
        lw      r9, 4(sp)
        lw      r8, 8(sp)
        lw      lr, 12(sp)
        addi    sp, sp, 16
        ret

# sched_idle: the scheduler (proc.s) found nobody it may run, inside its
# critical section.  If a process sleeps or is throttled, a tick will change
# that: wait for it with interrupts on, then schedule again.  If not, every
# process has exited (no_process).  Never returns.
sched_idle:
        la      r2, proc_table
        li      r3, NPROC
1:      lw      r4, P_STATE(r2)         # anyone sleeping, runnable or running?
        addi    r4, r4, -PS_RUNNABLE
        sltiu   r5, r4, 2
        bnez    r5, 2f
        addi    r4, r4, PS_RUNNABLE - PS_SLEEPING
        beqz    r4, 2f
        addi    r2, r2, P_SIZE
        addi    r3, r3, -1
        bnez    r3, 1b
        j       no_process
2:      CRIT_EXIT                       # (interrupts stay off)
        la      r1, cpu_idle
        li      r2, 1
        sw      r2, 0(r1)
        IRQ_ON
3:      la      r1, need_resched        # set by the next tick (trap.s)
        lw      r1, 0(r1)
        beqz    r1, 3b
        IRQ_OFF
        la      r1, cpu_idle
        sw      r0, 0(r1)
        j       schedule

# sleep(ticks) -> 0: the caller is not run again until that many ticks have
# passed.
sys_sleep:
        ble     r2, r0, 1f
        la      r3, ticks
        lw      r3, 0(r3)
        add     r3, r3, r2
        sw      r3, P_WAKE(r1)
        li      r3, PS_SLEEPING
        sw      r3, P_STATE(r1)
1:      li      r1, 0
        ret

# ---- counting ---------------------------------------------------------------------

# cg_count(r1 = group, r2 = offset of a count, r3 = n): add n to the count
# and keep its peak (the word after it).  Clobbers r2, r4, r5.
cg_count:
        add     r2, r1, r2
        lw      r4, 0(r2)
        add     r4, r4, r3
        blt     r4, r0, 9f
        sw      r4, 0(r2)
        lw      r5, 4(r2)
        bge     r5, r4, 1f
        sw      r4, 4(r2)
1:      ret
9:      PANIC   "cg_count: a cgroup count went below 0"

# image_pages() -> r1 = the pages the user image takes in every process.
image_pages:
        la      r1, user_image_end
        la      r2, user_image
        sub     r1, r1, r2
        addi    r1, r1, PAGE_SIZE - 1
        srli    r1, r1, PAGE_SHIFT
        ret

# cg_join(r1 = proc, r2 = group) -> r1 = 0, or -1 if the group may not take
# one more process (its pids limit: counted as refused) or its image (its
# memory limit).  ns_fork calls it for a new process; ns_commit charges
# the image once it is loaded.
cg_join:
        push    lr
        push    r8
        push    r9
        mov     r8, r1
        mov     r9, r2
        lw      r3, CG_PIDS(r9)
        beqz    r3, 1f
        lw      r4, CG_PROCS(r9)
        bltu    r4, r3, 1f
        lw      r4, CG_REFUSED(r9)      # a fork bomb stops here
        addi    r4, r4, 1
        sw      r4, CG_REFUSED(r9)
        j       9f
1:      call    image_pages
        lw      r3, CG_MEMORY(r9)
        beqz    r3, 2f
        lw      r4, CG_PAGES(r9)
        add     r4, r4, r1
        bltu    r3, r4, 9f
2:      mov     r1, r9
        li      r2, CG_PROCS
        li      r3, 1
        call    cg_count
        sw      r9, P_CGROUP(r8)
        li      r1, 0
        j       3f
9:      li      r1, -1
3:      pop     r9
        pop     r8
        pop     lr
        ret

# cg_leave(r1 = proc): it exits (ns_release): its group loses a process and
# the pages it had, which uvm_free is about to free.
cg_leave:
        push    lr
        push    r8
        mov     r8, r1
        lw      r1, P_CGROUP(r8)
        beqz    r1, 1f
        li      r2, CG_PROCS
        li      r3, -1
        call    cg_count
        lw      r1, P_CGROUP(r8)
        li      r2, CG_PAGES
        lw      r3, P_NPAGES(r8)
        neg     r3, r3
        call    cg_count
        sw      r0, P_NPAGES(r8)
        sw      r0, P_CGROUP(r8)
1:      pop     r8
        pop     lr
        ret

# cg_room(r1 = proc, r2 = pages) -> r1 = 1 if its group may take that many
# more; else 0.  P_CGOOM remembers the answer, for the message if the
# process is killed for want of the page.  Clobbers r2..r4.
cg_room:
        lw      r3, P_CGROUP(r1)
        lw      r4, CG_MEMORY(r3)
        beqz    r4, 1f
        lw      r3, CG_PAGES(r3)
        add     r3, r3, r2
        sltu    r2, r4, r3              # 1: over the limit
        j       2f
1:      li      r2, 0
2:      sw      r2, P_CGOOM(r1)
        xori    r1, r2, 1
        ret

# cg_pages_add(r1 = proc, r2 = n): it has mapped n more user pages (or
# unmapped -n).  Clobbers r1..r5.
cg_pages_add:
        lw      r3, P_NPAGES(r1)
        add     r3, r3, r2
        blt     r3, r0, 9f
        sw      r3, P_NPAGES(r1)
        mov     r3, r2
        lw      r1, P_CGROUP(r1)
        li      r2, CG_PAGES
        j       cg_count
9:      PANIC   "cg_pages_add: a process unmapped more pages than it had"

# cg_oom_message(r1 = proc): if its cgroup refused it a page, count an
# out-of-memory kill in the group and say so: the kill message (trap.s
# user_pgfault) goes on "cgroup 1 over its limit of 40 pages, out of
# memory at 0x...".
cg_oom_message:
        push    lr
        push    r8
        lw      r2, P_CGOOM(r1)
        beqz    r2, 1f
        lw      r8, P_CGROUP(r1)
        lw      r2, CG_KILLS(r8)
        addi    r2, r2, 1
        sw      r2, CG_KILLS(r8)
        la      r1, msg_cg1
        call    kputs
        la      r1, cgroup_table
        sub     r1, r8, r1
        srli    r1, r1, CG_SHIFT
        call    kputdec
        la      r1, msg_cg2
        call    kputs
        lw      r1, CG_MEMORY(r8)
        call    kputdec
        la      r1, msg_cg3
        call    kputs
1:      pop     r8
        pop     lr
        ret

# ---- managing groups ----------------------------------------------------------------

# cg_group(r1 = group number) -> r1 = the group, or 0 if there is no such
# group.  Clobbers r2.
cg_group:
        sltiu   r2, r1, NCGROUP
        beqz    r2, 1f
        slli    r1, r1, CG_SHIFT
        la      r2, cgroup_table
        add     r1, r1, r2
        lw      r2, CG_INUSE(r1)
        beqz    r2, 1f
        ret
1:      li      r1, 0
        ret

# cg_lookup(r1 = proc, r2 = a group's number as the process names it) ->
# r1 = the group, or 0 if it names none.  In a kernel with cgroup
# namespaces the name is relative to the process's (cgns.s); without, the
# number is the group's own.  Clobbers r2..r5.
cg_lookup:
        .if     CGNS
        j       cgns_lookup
        .else
        mov     r1, r2
        j       cg_group
        .endif

# cg_may_manage(r1 = proc) -> r1 = 1 if it may make, change and fill
# groups: root of the machine, in the root group.  Clobbers r2.
cg_may_manage:
        push    lr
        push    r8
        mov     r8, r1
        call    ns_host_privileged
        beqz    r1, 1f
        lw      r1, P_CGROUP(r8)
        la      r2, cgroup_table
        xor     r1, r1, r2
        sltiu   r1, r1, 1
1:      pop     r8
        pop     lr
        ret

# cgroup_create() -> a new group's number (1..NCGROUP - 1), with no limits
# and no processes; -1 if there is no room, E_PERM.
sys_cg_create:
        push    lr
        call    cg_may_manage
        beqz    r1, 8f
        la      r1, cgroup_table
        li      r2, 0
1:      addi    r2, r2, 1
        li      r3, NCGROUP
        bgeu    r2, r3, 9f
        addi    r1, r1, CG_SIZE
        lw      r3, CG_INUSE(r1)
        bnez    r3, 1b
        push    r2
        push    r1
        li      r2, CG_SIZE
        call    memzero
        pop     r1
        li      r3, 1
        sw      r3, CG_INUSE(r1)
        li      r3, CG_SHARES_DEFAULT
        sw      r3, CG_SHARES(r1)
        li      r3, CG_STRIDE1 / CG_SHARES_DEFAULT
        sw      r3, CG_STRIDE(r1)
        la      r3, sched_vtime         # it starts at the virtual time
        lw      r3, 0(r3)
        sw      r3, CG_PASS(r1)
        pop     r1
        j       7f
8:      li      r1, E_PERM
        j       7f
9:      li      r1, -1
7:      pop     lr
        ret

# cgroup_set(group, knob, value) -> 0, -1 (no such group — the root group
# has no limits —, knob, or a negative value) or E_PERM.  Knobs: CGK_CPU
# (ticks per period), CGK_MEMORY (pages), CGK_PIDS (processes), 0 = none;
# CGK_SHARES (a weight, 1..CG_STRIDE1; 0 is refused).
sys_cg_set:
        push    lr
        push    r8
        push    r9
        push    r10
        push    r11
        mov     r11, r1
        mov     r8, r2
        mov     r9, r3
        mov     r10, r4
        call    cg_may_manage
        beqz    r1, 8f
        beqz    r8, 9f
        mov     r1, r11
        mov     r2, r8
        call    cg_lookup
        beqz    r1, 9f
        sltiu   r2, r9, NCGKNOB
        beqz    r2, 9f
        blt     r10, r0, 9f
        li      r2, CGK_SHARES          # shares: a weight, and its stride
        bne     r9, r2, 1f
        beqz    r10, 9f
        li      r2, CG_STRIDE1
        bltu    r2, r10, 9f
        divu    r2, r2, r10
        sw      r2, CG_STRIDE(r1)
1:      la      r2, cg_knobs
        slli    r3, r9, 2
        add     r2, r2, r3
        lw      r2, 0(r2)
        add     r1, r1, r2
        sw      r10, 0(r1)
        li      r1, 0
        j       7f
8:      li      r1, E_PERM
        j       7f
9:      li      r1, -1
7:      pop     r11
        pop     r10
        pop     r9
        pop     r8
        pop     lr
        ret

# cgroup_attach(group, pid) -> 0, -1 (no such group, or no such process in
# the caller's namespace) or E_PERM: move the process (0: the caller) into
# the group, with the pages it has (the limit applies to the pages it takes
# from now on).
sys_cg_attach:
        push    lr
        push    r8
        push    r9
        push    r10
        mov     r8, r1
        mov     r9, r2
        mov     r10, r3
        call    cg_may_manage
        beqz    r1, 8f
        mov     r1, r8
        mov     r2, r9
        call    cg_lookup
        beqz    r1, 9f
        mov     r9, r1                  # r9 = the group
        mov     r1, r8
        beqz    r10, 1f
        mov     r2, r10
        call    pid_lookup
        beqz    r1, 9f
1:      mov     r10, r1                 # r10 = the process
        lw      r1, P_CGROUP(r10)
        li      r2, CG_PROCS
        li      r3, -1
        call    cg_count
        lw      r1, P_CGROUP(r10)
        li      r2, CG_PAGES
        lw      r3, P_NPAGES(r10)
        neg     r3, r3
        call    cg_count
        mov     r1, r9
        li      r2, CG_PROCS
        li      r3, 1
        call    cg_count
        mov     r1, r9
        li      r2, CG_PAGES
        lw      r3, P_NPAGES(r10)
        call    cg_count
        sw      r9, P_CGROUP(r10)
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

# cgroup_stat(group, counter) -> the counter (CGS_... in defs.s), or -1 if
# there is no such group or counter.  Anyone may read any group its cgroup
# namespace names (all of them, without CGNS).
sys_cg_stat:
        push    lr
        push    r8
        mov     r8, r3
        call    cg_lookup
        beqz    r1, 9f
        sltiu   r2, r8, NCGSTAT
        beqz    r2, 9f
        la      r2, cg_stats
        slli    r3, r8, 2
        add     r2, r2, r3
        lw      r2, 0(r2)
        add     r1, r1, r2
        lw      r1, 0(r1)
        j       7f
9:      li      r1, -1
7:      pop     r8
        pop     lr
        ret

# meminfo() -> the frames of physical memory in use: the kernel image and
# every frame the allocator has handed out (page tables, kernel stacks,
# user pages), as mem_top / PAGE_SIZE - kmem_nfree.  What a process, a
# container or the kernel costs in memory, as the guest itself counts it
# (`ringsim compare --isolation`).
sys_meminfo:
        la      r1, mem_top
        lw      r1, 0(r1)
        srli    r1, r1, PAGE_SHIFT
        la      r2, kmem_nfree
        lw      r2, 0(r2)
        sub     r1, r1, r2
        ret

        .data
        .align  4
cgroup_table:
        .word   1                       # the root group: in use, no limits
        .space  CG_SHARES - 4
        .word   CG_SHARES_DEFAULT, CG_STRIDE1 / CG_SHARES_DEFAULT, 0    # shares, stride, pass
        .space  CG_SIZE - CG_PASS - 4
        .space  (NCGROUP - 1) * CG_SIZE
cg_knobs:                               # cgroup_set's knobs, in CGK_ order
        .word   CG_CPU, CG_MEMORY, CG_PIDS, CG_SHARES
# What `ringsim run --stats` reads to report every cgroup ("cgroups"), so
# that the simulator knows no offset of its own: how many groups there are
# in cgroup_table and how far apart, the word that says one is in use, and
# how many counters cg_stats lists.  A documented structure, as /proc is.
cgroup_layout:  .word   NCGROUP, CG_SIZE, CG_INUSE, NCGSTAT
cg_stats:                               # cgroup_stat's counters, in CGS_ order
        .word   CG_TICKS, CG_PAGES, CG_KILLS, CG_PAGES_PEAK, CG_PROCS
        .word   CG_PROCS_PEAK, CG_REFUSED, CG_THROTTLED
        .word   CG_CPU, CG_MEMORY, CG_PIDS, CG_SHARES, CG_PASS
ticks:          .word   0               # timer ticks since boot
cpu_idle:       .word   0               # 1 while sched_idle waits
dispatches:     .word   0               # choices sched_pick has made
sched_vtime:    .word   0               # the highest pass it chose a group at
msg_cg1:        .asciz  "cgroup "
msg_cg2:        .asciz  " over its limit of "
msg_cg3:        .asciz  " pages, "
