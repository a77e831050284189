# defs.s — the constants and macros every part of the kernel shares.
#
# Nothing here emits a byte: it is the kernel's "header file".  The machine's
# own numbers (PTE bits, causes, fault bits) are copied from docs/isa.md and
# mmu/mmu.h; the rest are this kernel's choices, explained where they are made.

# ---- the machine (docs/isa.md) ----------------------------------------------
        .equ    PAGE_SIZE, 4096
        .equ    PAGE_SHIFT, 12
        .equ    PAGE_WORDS, PAGE_SIZE / 4

        .equ    PTE_P, 0x01             # present
        .equ    PTE_W, 0x02             # writable
        .equ    PTE_U, 0x04             # user (ring 3) may access
        .equ    PTE_A, 0x08             # accessed (set by the MMU)
        .equ    PTE_D, 0x10             # dirty (set by the MMU)
        .equ    PTE_G, 0x40             # global: survives an ASID switch

        .equ    SR_IE, 0x1              # status register: interrupts enabled
        .equ    SR_RING_MASK, 0x6       # status register: bits 2..1 = ring
        .equ    USER_SR, (3 << 1) | SR_IE       # what a user process runs with

        .equ    CAUSE_ILLEGAL, 0
        .equ    CAUSE_PROTECTION, 1
        .equ    CAUSE_PAGE_FAULT, 2
        .equ    CAUSE_DIVIDE, 3
        .equ    CAUSE_BREAKPOINT, 4
        .equ    CAUSE_SYSCALL, 5
        .equ    CAUSE_MISALIGNED, 6
        .equ    CAUSE_BUS_ERROR, 7
        .equ    CAUSE_DOUBLE, 8
        .equ    CAUSE_TIMER, 9
        .equ    CAUSE_CONSOLE, 10
        .equ    CAUSE_DISK, 12          # the block device's completion (DISK=1 kernels)

        .equ    FAULT_PRESENT, 0x1      # CR fault: the page was present (protection)
        .equ    FAULT_WRITE, 0x2
        .equ    FAULT_USER, 0x4
        .equ    FAULT_FETCH, 0x8

        .equ    MAX_LEVELS, 4

# ---- memory layout (guests/README.md draws it) -------------------------------
# Physical: page 0 holds the boot parameter string (at 0x100) and is never
# mapped, so that a null pointer faults, in the kernel as in user mode; the
# kernel image starts at 0x1000; every frame above the image belongs to the
# frame allocator.
# Virtual: every address space maps the kernel 1:1 below USER_BASE
# (supervisor-only, global), and the user's pages from USER_BASE up: the
# user image, then the heap, and at the very top the stack window.
        .equ    BOOTARGS, 0x100         # physical: "5000\0" from `ringsim run --args`
        .equ    BOOTARGS_MAX, 64        # we keep at most this much of it
        .equ    USER_BASE, 0x40000000   # where the user image is loaded
        .equ    USTACK_TOP, 0x80000000  # initial user sp (grows down)
        .equ    USTACK_WINDOW, 0x00100000       # 1 MiB of demand-zero stack
        .equ    HEAP_LIMIT, USTACK_TOP - USTACK_WINDOW  # the break may not pass it
        .equ    KSTACK_SIZE, 8192       # the one kernel stack

# ---- scheduling ---------------------------------------------------------------
        .ifndef TIMER_PERIOD            # (ringsim asm -D TIMER_PERIOD=N to try others)
        .equ    TIMER_PERIOD, 100000    # cycles in a time slice
        .endif
        .equ    ASID_MAX, 255           # ASIDs 1..255; 0 is the kernel's table

# ---- processes -----------------------------------------------------------------
# struct proc: one 256-byte slot per process in proc_table.  A process that
# is not running lives entirely in its slot: its registers, PC, SR and user sp
# in the trap frame, its address space in `root`.  Switching processes is
# therefore: save the trap frame of one, load the trap frame of another.
        .equ    NPROC, 16               # slots (a power of two)
        .equ    P_STATE, 0              # one of the PS_ states below
        .equ    P_PID, 4
        .equ    P_PARENT, 8             # parent's pid, 0 = none (orphan)
        .equ    P_ROOT, 12              # physical address of the root page table
        .equ    P_ASID, 16              # address-space id while P_ASIDGEN is current
        .equ    P_ASIDGEN, 20           # generation that P_ASID belongs to
        .equ    P_HEAPLO, 24            # first heap byte (end of the user image)
        .equ    P_BRK, 28               # the break: heap is [P_HEAPLO, P_BRK)
        .equ    P_XCODE, 32             # exit code, once a zombie
        .equ    P_WAITPID, 36           # pid a PS_WAITING process waits for, -1 any
        .equ    P_TF, 64                # trap frame: word i = register ri (1..15)
        .equ    TF_SP, P_TF + 4 * 14    # r14: the user sp (from CR usp)
        .equ    TF_EPC, P_TF + 64       # where the process resumes
        .equ    TF_ESR, P_TF + 68       # the SR it resumes with
        # Containers (CONTAINERS=1 kernels only: ns.s, cgroup.s).
        .equ    P_PIDNS, 136            # the pid namespace it lives in
        .equ    P_PIDNS_CHILD, 140      # the one its children will live in
        .equ    P_NSPID, 144            # its pid at each level: word 0 = P_PID, ...
        .equ    P_UTSNS, 160            # its UTS namespace (host name)
        .equ    P_USERNS, 164           # its user namespace
        .equ    P_UID, 168              # its uid, as the initial namespace sees it
        .equ    P_CGROUP, 172           # its control group
        .equ    P_NPAGES, 176           # user pages charged to that group for it
        .equ    P_WAKE, 180             # tick a PS_SLEEPING process wakes at
        .equ    P_CGOOM, 184            # 1: its cgroup refused it a page
        .equ    P_DISPATCHED, 188       # when the scheduler last chose it
        .equ    P_IPCNS, 192            # its IPC namespace (message queues)
        .equ    P_MNTNS, 196            # its mount namespace (fs.s)
        .equ    P_NETNS, 200            # its network namespace (net.s)
        .equ    P_CGNS, 204             # its cgroup namespace (cgns.s)
        .equ    P_SIZE, 256
        .equ    P_SHIFT, 8

        .equ    PS_UNUSED, 0
        .equ    PS_EMBRYO, 1            # being built by spawn
        .equ    PS_RUNNABLE, 2
        .equ    PS_RUNNING, 3           # the one in curproc
        .equ    PS_WAITING, 4           # blocked in wait()
        .equ    PS_ZOMBIE, 5            # exited; the parent has not collected it
        .equ    PS_SLEEPING, 6          # in sleep() until tick P_WAKE (CONTAINERS=1)

# ---- containers: a build option ----------------------------------------------
# Namespaces (ns.s) and control groups (cgroup.s) are an option of the
# build, as Linux's CONFIG_NAMESPACES and CONFIG_CGROUPS are:
# guests/containers.s, forkbomb.s and memhog.s set CONTAINERS to 1 before
# including main.s; every other guest is built without them, byte for byte
# the kernel it was before they existed.
        .ifndef DISK
        .equ    DISK, 0                 # guests/diskio.s: the block-device driver
        .endif
        .ifndef DIRTY
        .equ    DIRTY, 0                # guests/dirty.s: the migration workload
        .endif
        .ifndef DISK_POLL               # -D DISK_POLL=1: the driver polls disk_status
        .equ    DISK_POLL, 0            # instead of sleeping until the completion
        .endif                          # interrupt (the device's interrupt stays off)
        .equ    DISK_IRQ, DISK * (1 - DISK_POLL)
        .ifndef DISK_QUEUE              # -D DISK_QUEUE=1 (guests/diskq.s): the split
        .equ    DISK_QUEUE, 0           # driver, requests in a queue in memory and one
        .endif                          # notification each (disk.s)
        .ifndef CONTAINERS
        .equ    CONTAINERS, 0
        .endif
# The file system and mount namespaces (fs.s) are an option of a kernel
# with containers: guests/mounts.s and escape.s set FS to 1 too.  The
# other container kernels are built without, byte for byte what they were
# (compare --isolation measures their frames, docs/containers.md).
        .ifndef FS
        .equ    FS, 0
        .endif
# Network namespaces (net.s) are an option of a kernel with the file system:
# guests/netns.s sets NET to 1 too (its system calls follow the file
# system's).  The link layer is the kernel's own: a loopback per namespace
# and virtual ethernet pairs to one bridge, no device.
        .ifndef NET
        .equ    NET, 0
        .endif
# Cgroup namespaces (cgns.s) are an option of a kernel with network
# namespaces: guests/cgroupns.s sets CGNS to 1 too (its system call follows
# the network's).  Without it every process names the groups as the root
# group does, and the kernels built without are byte for byte what they were.
        .ifndef CGNS
        .equ    CGNS, 0
        .endif
# The quota program (guests/quota.s, the cgquota lab) is an option of a
# kernel with containers: only its user image has it.
        .ifndef QUOTA
        .equ    QUOTA, 0
        .endif
# The shares program (guests/shares.s) likewise: only its user image has it.
        .ifndef SHARES
        .equ    SHARES, 0
        .endif

# ---- system calls (the ABI: guests/README.md) --------------------------------
        .equ    SYS_EXIT, 0             # exit(code)
        .equ    SYS_WRITE, 1            # write(buf, len) -> len
        .equ    SYS_YIELD, 2            # yield() -> 0
        .equ    SYS_GETPID, 3           # getpid() -> pid
        .equ    SYS_SBRK, 4             # sbrk(increment) -> old break
        .equ    SYS_SPAWN, 5            # spawn(program, arg) -> pid
        .equ    SYS_WAIT, 6             # wait(pid or -1) -> exit code
        .equ    SYS_MAP, 7              # map(vaddr, writable) -> 0
        .equ    SYS_UNMAP, 8            # unmap(vaddr) -> 0
        .equ    SYS_PROTECT, 9          # protect(vaddr, writable) -> 0
        .equ    SYS_KILL, 10            # kill(pid) -> 0
        .equ    SYS_BOOTARG, 11         # bootarg(buf, size) -> length
        # Containers (ns.s, cgroup.s): only in kernels built with CONTAINERS=1;
        # elsewhere they are unknown calls and return -1.
        .equ    SYS_CLONE, 12           # clone(program, arg, flags) -> pid
        .equ    SYS_UNSHARE, 13         # unshare(flags) -> 0
        .equ    SYS_SETNS, 14           # setns(pid, flags) -> 0
        .equ    SYS_GETPPID, 15         # getppid() -> parent's pid, 0 if outside
        .equ    SYS_SETHOSTNAME, 16     # sethostname(buf, len) -> 0
        .equ    SYS_GETHOSTNAME, 17     # gethostname(buf, size) -> length
        .equ    SYS_PS, 18              # ps(buf, max) -> how many pids it sees
        .equ    SYS_SLEEP, 19           # sleep(ticks) -> 0
        .equ    SYS_CG_CREATE, 20       # cgroup_create() -> group
        .equ    SYS_CG_SET, 21          # cgroup_set(group, knob, value) -> 0
        .equ    SYS_CG_ATTACH, 22       # cgroup_attach(group, pid) -> 0
        .equ    SYS_CG_STAT, 23         # cgroup_stat(group, counter) -> value
        .equ    SYS_GETUID, 24          # getuid() -> uid in its user namespace
        .equ    SYS_SETUID, 25          # setuid(uid) -> 0
        .equ    SYS_MEMINFO, 26         # meminfo() -> frames in use
        .equ    SYS_MSGGET, 27          # msgget(key) -> queue id
        .equ    SYS_MSGSND, 28          # msgsnd(id, word) -> 0
        .equ    SYS_MSGRCV, 29          # msgrcv(id) -> word, -1 if none
        # The file system (fs.s): only in kernels built with FS=1 as well.
        .equ    SYS_MKDIR, 30           # mkdir(path) -> 0
        .equ    SYS_WRITEFILE, 31       # writefile(path, buf, len) -> len
        .equ    SYS_READFILE, 32        # readfile(path, buf, size) -> length
        .equ    SYS_LISTDIR, 33         # listdir(path, buf, size) -> names
        .equ    SYS_MOUNT, 34           # mount(source, target) -> 0: a bind mount
        .equ    SYS_PIVOT_ROOT, 35      # pivot_root(path) -> 0
        # CONTAINERS=1, FS=1 and NET=1 kernels (net.s)
        .equ    SYS_BIND, 36            # bind(addr, port) -> socket: addr 0 = any, LOOPBACK = lo only
        .equ    SYS_SENDTO, 37          # sendto(addr, port, word) -> 0
        .equ    SYS_RECV, 38            # recv(socket) -> word, -1 if none
        .equ    SYS_VETH, 39            # veth(pid, addr) -> 0: a pair from pid's namespace to the bridge
        # CGNS=1 kernels as well (cgns.s)
        .equ    SYS_GETCGROUP, 40       # getcgroup() -> its group as its cgroup namespace names it
        # The block-device driver (disk.s): only in kernels built with DISK=1.
        .equ    SYS_DISK, 12            # disk(command | count << 8, sector, page) -> error
        .if     CONTAINERS
        .equ    NSYSCALL, 30 + 6 * FS + 4 * NET + CGNS
        .else
        .equ    NSYSCALL, 12 + DISK
        .endif
        .equ    DISK_READ, 1            # disk commands (docs/isa.md, "Block device")
        .equ    DISK_WRITE, 2
        .equ    DISK_FLUSH, 3
        .equ    DISK_CTRL_IRQ, 1        # disk_ctrl: interrupt when a command is done
        .equ    DISK_ERR_QUEUE, 8       # the device took nothing from the queue
        .equ    DQ_SIZE, 16             # the request queue's page (docs/isa.md, "Request queue")
        .equ    DQ_AVAIL, 0
        .equ    DQ_USED, 4
        .equ    DQ_FLAGS, 8
        .equ    DQ_REQ, 16              # + slot * 16: command, sector, count, address
        .equ    DQ_STATUS, 16 + 16 * 16 # + slot * 4: the device's error code
        .equ    DQ_NO_INTERRUPT, 1

# Errors: every call returns -1 when it fails; the container calls return
# E_PERM (-2) when the caller lacks the privilege (Linux's EPERM).
        .equ    E_PERM, -2

# clone/unshare/setns flags (Linux's CLONE_NEW*); clone's CLONE_INTO_CGROUP
# starts the child in the group in bits 16..23 (Linux's clone3 has a field).
        .equ    CLONE_NEWPID, 0x1
        .equ    CLONE_NEWUTS, 0x2
        .equ    CLONE_NEWUSER, 0x4
        .equ    CLONE_NEWIPC, 0x8       # (clone only)
        .equ    CLONE_NEWNS, 0x10       # a mount namespace (FS=1 kernels: fs.s)
        .equ    CLONE_NEWNET, 0x20      # a network namespace (NET=1 kernels: net.s)
        .equ    CLONE_NEWCGROUP, 0x40   # a cgroup namespace (CGNS=1 kernels: cgns.s)
        .equ    CLONE_INTO_CGROUP, 0x100
        .equ    CLONE_CGROUP_SHIFT, 16
        .equ    CLONE_NS_FLAGS, CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWUSER

# cgroup_set knobs and cgroup_stat counters (cgroup.s).
        .equ    CGK_CPU, 0              # ticks per period (0: no quota)
        .equ    CGK_MEMORY, 1           # user pages (0: no limit)
        .equ    CGK_PIDS, 2             # live processes (0: no limit)
        .equ    CGK_SHARES, 3           # cpu weight, 1..CG_STRIDE1 (a new group: 1024)
        .equ    NCGKNOB, 4
        .equ    CGS_TICKS, 0            # ticks charged to the group
        .equ    CGS_PAGES, 1            # user pages charged now
        .equ    CGS_KILLS, 2            # out-of-memory kills
        .equ    CGS_PAGES_PEAK, 3
        .equ    CGS_PROCS, 4            # live processes now
        .equ    CGS_PROCS_PEAK, 5
        .equ    CGS_REFUSED, 6          # spawns refused by the pids limit
        .equ    CGS_THROTTLED, 7        # periods in which it used its whole quota
        .equ    CGS_CPU, 8              # the three limits, as set
        .equ    CGS_MEMORY, 9
        .equ    CGS_PIDS, 10
        .equ    CGS_SHARES, 11          # its cpu weight
        .equ    CGS_PASS, 12            # its pass: the stride scheduler's virtual time
        .equ    NCGSTAT, 13

# ---- containers: namespaces (ns.s) and control groups (cgroup.s) -------------
# (CONTAINERS=1 kernels only.)
        .equ    NPIDNS, 8               # pid namespaces (slot 0: the initial one)
        .equ    PIDNS_MAXLEVEL, 3       # how deep they nest
        .equ    NUTSNS, 8               # UTS namespaces
        .equ    HOSTNAME_MAX, 32        # bytes of a host name, NUL included
        .equ    NUSERNS, 8              # user namespaces
        .equ    USERNS_MAXLEVEL, 3
        .equ    UID_NOBODY, 65534       # a uid a user namespace does not map
        .equ    NIPCNS, 8               # IPC namespaces
        .equ    NMSGQ, 4                # message queues in each
        .equ    MSGQ_MAX, 8             # words a queue holds
        .equ    NCGROUP, 8              # control groups (0: the root group)
        .equ    CG_PERIOD, 10           # ticks in a cpu-quota period
        .equ    CG_SHARES_DEFAULT, 1024 # a group's cpu weight until set (Linux's cpu.shares)
        .equ    CG_STRIDE1, 65536       # a tick advances a group's pass by CG_STRIDE1 / shares
        .equ    NCGNS, 8                # cgroup namespaces (CGNS=1 kernels: cgns.s)

# Every namespace slot starts with these two words (ns.s).
        .equ    NS_REFS, 0              # references: processes, and namespaces below
        .equ    NS_UP, 4                # the namespace it holds a reference on
# struct pid_namespace
        .equ    PN_PARENT, NS_UP
        .equ    PN_LEVEL, 8             # 0 for the initial namespace
        .equ    PN_LASTPID, 12          # the last pid it gave out
        .equ    PN_DEAD, 16             # 1 once its PID 1 has exited
        .equ    PN_SIZE, 32
# struct uts_namespace
        .equ    UT_OWNER, NS_UP         # the user namespace that may rename it
        .equ    UT_NAME, 8              # the host name, NUL-terminated
        .equ    UT_SIZE, 8 + HOSTNAME_MAX
# struct user_namespace
        .equ    UN_PARENT, NS_UP
        .equ    UN_LEVEL, 8
        .equ    UN_ROOT, 12             # the uid outside that is uid 0 inside
        .equ    UN_SIZE, 16
# struct ipc_namespace: NMSGQ message queues
        .equ    IN_OWNER, NS_UP         # the user namespace that owns it
        .equ    IN_QUEUES, 8
        .equ    Q_KEY, 0                # its key, 0 = a free queue
        .equ    Q_HEAD, 4               # the oldest word's index in Q_DATA
        .equ    Q_COUNT, 8              # words in it
        .equ    Q_DATA, 12
        .equ    Q_SIZE, 12 + 4 * MSGQ_MAX
        .equ    IN_SIZE, IN_QUEUES + NMSGQ * Q_SIZE
# struct cgroup: its limits, then its counters, each count followed by its peak
        .equ    CG_INUSE, 0
        .equ    CG_CPU, 4               # the limits (cgroup_set), 0 = none
        .equ    CG_MEMORY, 8
        .equ    CG_PIDS, 12
        .equ    CG_TICKS, 16            # the counters (cgroup_stat)
        .equ    CG_PAGES, 20
        .equ    CG_PAGES_PEAK, 24
        .equ    CG_PROCS, 28
        .equ    CG_PROCS_PEAK, 32
        .equ    CG_KILLS, 36
        .equ    CG_REFUSED, 40
        .equ    CG_THROTTLED, 44
        .equ    CG_USED, 48             # ticks used in the current period
        .equ    CG_SHARES, 52           # its cpu weight (cgroup_set CGK_SHARES)
        .equ    CG_STRIDE, 56           # CG_STRIDE1 / CG_SHARES
        .equ    CG_PASS, 60             # its pass: the virtual time of its ticks so far
        .equ    CG_SIZE, 64
        .equ    CG_SHIFT, 6

# struct cgroup_namespace (cgns.s, CGNS=1)
        .equ    CN_OWNER, NS_UP         # the user namespace that owns it
        .equ    CN_ROOT, 8              # the group that is "/" in it
        .equ    CN_REFUSED, 12          # names of groups outside it refused
        .equ    CN_SIZE, 16

# ---- containers: the file system and mount namespaces (fs.s, FS=1) -----------
        .equ    NMNTNS, 8               # mount namespaces (slot 0: the initial one)
        .equ    NMOUNT, 4               # bind mounts in each
        .equ    MN_OWNER, NS_UP         # the user namespace that owns it
        .equ    MN_ROOT, 8              # the node "/" means in it
        .equ    MN_MOUNTS, 12           # NMOUNT mounts:
        .equ    MT_POINT, 0             #   the directory mounted on (0: free)
        .equ    MT_SOURCE, 4            #   the directory it shows
        .equ    MT_SIZE, 8
        .equ    MN_SIZE, MN_MOUNTS + NMOUNT * MT_SIZE
        .equ    NNODE, 32               # files and directories (node 0: the root)
        .equ    N_TYPE, 0               # FT_ below; 0 = a free node
        .equ    N_PARENT, 4             # the directory it is in
        .equ    N_LEN, 8                # a file's length
        .equ    N_NAME, 12              # its name, NUL-padded
        .equ    FS_NAME_MAX, 12         # bytes of a name, NUL included
        .equ    N_DATA, 24              # a file's bytes
        .equ    FILE_MAX, 40
        .equ    N_SIZE, 64
        .equ    FT_DIR, 1
        .equ    FT_FILE, 2
        .equ    FS_PATH_MAX, 64         # bytes of a path, NUL included

# ---- containers: network namespaces (net.s, NET=1) ----------------------------
        .equ    NNETNS, 8               # network namespaces (slot 0: the initial one)
        .equ    NSOCK, 4                # sockets in each
        .equ    LOOPBACK, 0x7f000001    # 127.0.0.1: every namespace's own lo
        .equ    BRIDGE_ADDR, 0x0a000001 # 10.0.0.1: the host's bridge, br0
        .equ    NN_OWNER, NS_UP         # the user namespace that owns it
        .equ    NN_ADDR, 8              # its eth0's address (the host's: br0's); 0 = lo only
        .equ    NN_SENT, 12             # packets it sent, delivered
        .equ    NN_RECEIVED, 16         # packets delivered to it
        .equ    NN_SOCKS, 20            # NSOCK sockets:
        .equ    SK_LOCAL, 0             #   1: bound to 127.0.0.1 only
        .equ    SK_QUEUE, 4             #   a message queue (ipc.s) whose Q_KEY is the port
        .equ    SK_SIZE, 4 + Q_SIZE
        .equ    NN_SIZE, NN_SOCKS + NSOCK * SK_SIZE

# ---- red-pill kinds (selfcheck.s): one bit each, each line printed once ------
        .equ    RP_RING, 1              # smsw showed a ring other than 0
        .equ    RP_CLI, 2               # pushf showed IE=1 right after cli
        .equ    RP_POPF, 4              # popf did not bring IE=1 back
        .equ    RP_PTB, 8               # sptb disagreed with the ptb we set

# ---- the paravirtual build ------------------------------------------------------
# `ringsim asm -D PV=1` builds the same kernel source for --mode pv: every
# sensitive operation goes through one of the macros below, which is the
# instruction itself natively and, in the pv build, a hypercall (vmcall,
# which traps from ring 1 to the ring-0 hypervisor) or a plain memory access
# to the page the kernel shares with the hypervisor (pv.s).  The interrupt
# flag and the trap registers live in that page, so the commonest sensitive
# operations — masking interrupts, reading why a trap came — cost no trap at
# all; page-table writes become validated, batched hypercalls (pv.s).
        .ifndef PV
        .equ    PV, 0
        .endif

# Hypercall numbers (hypervisor/pv.c): r1 = number, r2..r3 = arguments,
# r1 = result; every other register is preserved.
        .equ    HC_SHARED_INFO, 1       # (gpa of the shared page): fills levels, memsize
        .equ    HC_SET_TRAP_TABLE, 2    # (vector table): what mtcr vbr was
        .equ    HC_STACK_SWITCH, 3      # (kernel sp): what mtcr ksp was
        .equ    HC_MMU_UPDATE, 4        # (list of (entry, value) pairs, count) -> count done (at most 4096)
        .equ    HC_PIN, 5               # (root): validate it as a root table, keep it one
        .equ    HC_UNPIN, 6             # (root): no longer a root: its tables may be freed
        .equ    HC_NEW_BASEPTR, 7       # (root, asid): what mtcr asid, mtcr ptb were
        .equ    HC_UPDATE_VA, 8         # (va, value): set the entry that maps va, invlpg va
        .equ    HC_INVLPG, 9            # (va)
        .equ    HC_TLB_FLUSH, 10
        .equ    HC_IRET, 11             # return as iret would; r1 from SH_r1
        .equ    HC_EVENTS, 12           # deliver the interrupt that is pending, if any
        .equ    HC_OUT, 13              # (port, value): what out was
        .equ    HC_CONSOLE_WRITE, 14    # (address, length) -> bytes written (at most 4096)
        .equ    HC_IN, 15               # (port) -> what in was
        .equ    HC_BLOCK, 16            # what sti; hlt was, in one: wait for an interrupt

# The shared page (pv.s: pv_shared): word offsets.  The hypervisor writes
# the trap registers when it delivers a trap, reads SH_ie and writes
# SH_pending; the kernel reads and writes them with ordinary loads and stores.
        .equ    SH_ie, 0                # virtual interrupt enable (1 = on)
        .equ    SH_pending, 4           # an interrupt waits for SH_ie
        .equ    SH_cause, 8
        .equ    SH_epc, 12
        .equ    SH_esr, 16
        .equ    SH_badaddr, 20
        .equ    SH_fault, 24
        .equ    SH_usp, 28
        .equ    SH_scratch, 32          # the kernel's own (CR scratch natively)
        .equ    SH_r1, 36               # r1 to return with, for HC_IRET
        .equ    SH_levels, 40           # page-table levels (CR levels)
        .equ    SH_memsize, 44          # memory size (CR memsize)
        .equ    SH_SIZE, 48
        .ifndef PV_BATCH                # page-table updates queued per hypercall
        .equ    PV_BATCH, 32            # (-D PV_BATCH=1: one hypercall an update,
        .endif                          # to measure what batching saves)

        .equ    PORT_power, 0x00        # port numbers, for HC_OUT (docs/isa.md)
        .equ    PORT_con_data, 0x10
        .equ    PORT_timer_period, 0x20
        .equ    PORT_timer_ack, 0x21
        .equ    PORT_disk_sector, 0x30   # the block device (disk.s)
        .equ    PORT_disk_count, 0x31
        .equ    PORT_disk_addr, 0x32
        .equ    PORT_disk_cmd, 0x33
        .equ    PORT_disk_status, 0x34
        .equ    PORT_disk_size, 0x35
        .equ    PORT_disk_ctrl, 0x36
        .equ    PORT_disk_ack, 0x37
        .equ    PORT_disk_queue, 0x38
        .equ    PORT_disk_notify, 0x39

# RDCR reg, cr / WRCR reg, cr: a control register the pv build keeps in the
# shared page (the trap registers, scratch, levels, memsize).
        .macro  RDCR reg, cr
        .if     PV
        lw      \reg, pv_shared + SH_\cr(r0)
        .else
        mfcr    \reg, \cr
        .endif
        .endm

        .macro  WRCR reg, cr
        .if     PV
        sw      \reg, pv_shared + SH_\cr(r0)
        .else
        mtcr    \cr, \reg
        .endif
        .endm

# HYPERCALL n: r1 = n; vmcall.  (Arguments in r2, r3 are the caller's.)
        .macro  HYPERCALL n
        li      r1, \n
        vmcall
        .endm

# IRQ_OFF / IRQ_ON: cli / sti.  In the pv build a store to SH_ie; turning
# interrupts on also asks for an interrupt that arrived meanwhile.
        .macro  IRQ_OFF
        .if     PV
        sw      r0, pv_shared + SH_ie(r0)
        .else
        cli
        .endif
        .endm

        .macro  IRQ_ON
        .if     PV
        addi    sp, sp, -4
        sw      r1, 0(sp)
        li      r1, 1
        sw      r1, pv_shared + SH_ie(r0)
        lw      r1, pv_shared + SH_pending(r0)
        beqz    r1, irq_on\@
        HYPERCALL HC_EVENTS
irq_on\@:
        lw      r1, 0(sp)
        addi    sp, sp, 4
        .else
        sti
        .endif
        .endm

# TRAP_RETURN: iret (EPC, ESR, USP are set).
        .macro  TRAP_RETURN
        .if     PV
        sw      r1, pv_shared + SH_r1(r0)
        HYPERCALL HC_IRET
        .else
        iret
        .endif
        .endm

# OUTP port, reg: out port, reg.  The pv build preserves every register.
        .macro  OUTP port, reg
        .if     PV
        addi    sp, sp, -12
        sw      r1, 8(sp)
        sw      r2, 4(sp)
        sw      r3, 0(sp)
        mov     r3, \reg
        li      r2, PORT_\port
        HYPERCALL HC_OUT
        lw      r3, 0(sp)
        lw      r2, 4(sp)
        lw      r1, 8(sp)
        addi    sp, sp, 12
        .else
        out     \port, \reg
        .endif
        .endm

# TLB_INVAL reg / TLB_FLUSH_ALL: invlpg reg / tlbflush.
        .macro  TLB_INVAL reg
        .if     PV
        addi    sp, sp, -8
        sw      r1, 4(sp)
        sw      r2, 0(sp)
        mov     r2, \reg
        HYPERCALL HC_INVLPG
        lw      r2, 0(sp)
        lw      r1, 4(sp)
        addi    sp, sp, 8
        .else
        invlpg  \reg
        .endif
        .endm

        .macro  TLB_FLUSH_ALL
        .if     PV
        push    r1
        HYPERCALL HC_TLB_FLUSH
        pop     r1
        .else
        tlbflush
        .endif
        .endm

# PTE_SET addr, val: page-table entry *addr = val.  PTE_QUEUE queues the
# same for the next PTE_FLUSH (natively both are the store itself, and
# PTE_FLUSH nothing).  In the pv build the hypervisor validates each update
# (pv.s, hypervisor/pv.c): the kernel's own mapping of its tables is
# read-only.  All preserve every register.
        .macro  PTE_SET addr, val
        .if     PV
        PTE_CALL \addr, \val, pv_pte_set
        .else
        sw      \val, 0(\addr)
        .endif
        .endm

        .macro  PTE_QUEUE addr, val
        .if     PV
        PTE_CALL \addr, \val, pv_pte_queue
        .else
        sw      \val, 0(\addr)
        .endif
        .endm

        .macro  PTE_CALL addr, val, fn
        addi    sp, sp, -20
        sw      lr, 16(sp)
        sw      r1, 12(sp)
        sw      r2, 8(sp)
        sw      \addr, 4(sp)
        sw      \val, 0(sp)
        lw      r1, 4(sp)
        lw      r2, 0(sp)
        call    \fn
        lw      r2, 8(sp)
        lw      r1, 12(sp)
        lw      lr, 16(sp)
        addi    sp, sp, 20
        .endm

        .macro  PTE_FLUSH
        .if     PV
        push    lr
        call    pv_flush
        pop     lr
        .endif
        .endm

# ---- critical sections ---------------------------------------------------------
# As in any kernel, code that must not be interrupted saves the interrupt
# flag, masks interrupts, and later restores the flag it saved — it does not
# blindly re-enable, because its caller may itself have had them masked
# (xv6's push_off/pop_off; Linux's local_irq_save/restore).  pushf and popf
# are exactly the instructions Popek and Goldberg's theorem trips over: they
# are sensitive but not privileged on the classic ISA.  Each use checks that
# they did what ring 0 expects (selfcheck.s).
#
# CRIT_ENTER leaves the saved SR on the stack; CRIT_EXIT pops it.  Between
# them the stack must be balanced.  Neither changes a register except sp.
        .macro  CRIT_ENTER
        .if     PV
        addi    sp, sp, -8              # [sp+4] = the saved IE, [sp] = r1 for now
        sw      r1, 0(sp)
        lw      r1, pv_shared + SH_ie(r0)
        sw      r0, pv_shared + SH_ie(r0)       # masked: no trap, no red pill
        sw      r1, 4(sp)
        lw      r1, 0(sp)
        addi    sp, sp, 4
        .else
        pushf                           # push SR: its IE bit is what we restore
        cli
        push    lr
        call    check_cli               # pushf must now show IE=0
        pop     lr
        .endif
        .endm

        .macro  CRIT_EXIT
        .if     PV
        addi    sp, sp, -4
        sw      r1, 0(sp)
        lw      r1, 4(sp)
        sw      r1, pv_shared + SH_ie(r0)       # IE as it was at CRIT_ENTER
        beqz    r1, crit_exit\@
        lw      r1, pv_shared + SH_pending(r0)
        beqz    r1, crit_exit\@
        HYPERCALL HC_EVENTS             # an interrupt came while masked: take it now
crit_exit\@:
        lw      r1, 0(sp)
        addi    sp, sp, 8
        .else
        push    lr
        call    check_popf_before       # note the IE that popf is about to restore
        pop     lr
        popf                            # restore IE as it was at CRIT_ENTER
        push    lr
        call    check_popf_after        # and check it came back
        pop     lr
        .endif
        .endm

# PANIC "message": print "kernel panic: message" and stop the machine.
# Only in .text (it puts the message in .data and comes back to .text).
        .macro  PANIC msg
        la      r1, panic_msg\@
        j       panic
        .data
panic_msg\@:
        .asciz  \msg
        .text
        .endm
