# userland.s — the user image: every user program and their library, in one
# block that the kernel copies into each new address space at USER_BASE.
#
# Like a multi-call binary (BusyBox), one image holds all the programs; the
# number given to spawn() selects the entry point from the table at the
# image's start.  The bytes sit inside the kernel image, but between .phase
# and .dephase every label has the address the code will have in user space,
# so user code refers to its own labels (la, call, branches) normally.
#
# A program starts with r1 = the argument its parent passed to spawn (0 for
# init), sp at the top of its stack, and must end with exit (u_exit).  Its
# stack and its heap (sbrk) are demand-zero; the image itself is mapped
# user-writable, so small mutable data can live in it (each process has its
# own copy).

        .equ    PROG_INIT, 0            # kernel.s: a short demo of the workloads
        .equ    PROG_SYSCALL, 1         # the workloads (README.md)
        .equ    PROG_PGFAULT, 2
        .equ    PROG_PTEMOD, 3
        .equ    PROG_CTXSWITCH, 4
        .equ    PROG_COMPUTE, 5
        .equ    PROG_TLBSTRIDE, 6
        .equ    PROG_FORKWAIT, 7
        .equ    PROG_FAULTS, 8          # kernel_faults.s: misbehaving children
        .equ    PROG_PARTNER, 9         # ctxswitch's partner
        .equ    PROG_CHILD, 10          # forkwait's child
        .equ    PROG_NULLREAD, 11       # the misbehaving children
        .equ    PROG_PRIVILEGED, 12
        .equ    PROG_ILLEGAL, 13
        .equ    PROG_DIVZERO, 14
        .equ    PROG_ROWRITE, 15
        .equ    PROG_KERNELJUMP, 16
        .equ    PROG_LOOPER, 17
        .equ    PROG_GOOD, 18
        # CONTAINERS=1 kernels only (containers.s, forkbomb.s, memhog.s)
        .equ    PROG_CONTAINERS, 19     # guests/containers.s: two containers
        .equ    PROG_CT_RUNTIME, 20     # starts a detached container
        .equ    PROG_CT_IDLE, 21        # a container's PID 1 that sleeps
        .equ    PROG_CT_ALPHA, 22       # a container's PID 1 that looks around
        .equ    PROG_CT_LOOK, 23        # says what it sees
        .equ    PROG_CT_EXEC, 24        # joins a container's namespaces (nsenter)
        .equ    PROG_FORKBOMB, 25       # guests/forkbomb.s
        .equ    PROG_BOMB, 26
        .equ    PROG_SPIN, 27
        .equ    PROG_MEMHOG, 28         # guests/memhog.s
        .equ    PROG_HOG, 29
        .equ    PROG_MH_NEIGHBOUR, 30
        .equ    PROG_CT_ROOTLESS, 31    # containers.s: a user that is not root
        .equ    PROG_CT_GAMMA, 32       # root of a user namespace
        .equ    PROG_ISOPROC, 33        # guests/isoproc.s: the service as a process
        .equ    PROG_ISOCT, 34          # guests/isoct.s: the service as a container
        .equ    PROG_SERVICE, 35        # service.s: the service itself
        .equ    PROG_IPC, 36            # guests/ipc.s: message queues per namespace
        .equ    PROG_IPC_PEER, 37
        # CONTAINERS=1 and FS=1 kernels only (mounts.s, escape.s)
        .equ    PROG_MOUNTS, 38         # guests/mounts.s: files, mount namespaces
        .equ    PROG_RUN, 39            # mounts.s: run(spec), a container runtime
        .equ    PROG_RUN_INIT, 40       # the container's PID 1 until it execs
        .equ    PROG_MT_APP, 41         # what runs in mounts' containers
        .equ    PROG_ESCAPE, 42         # guests/escape.s: a container tries to get out
        .equ    PROG_ESC_APP, 43
        # CONTAINERS=1, FS=1 and NET=1 kernels only (netns.s)
        .equ    PROG_NETNS, 44          # guests/netns.s: lo, veth, a bridge
        .equ    PROG_NET_CT, 45         # its containers (and a plain process)
        # CONTAINERS=1, FS=1, NET=1 and CGNS=1 kernels only (cgroupns.s)
        .equ    PROG_CGNS, 38 + 6 * FS + 2 * NET        # guests/cgroupns.s: cgroup namespaces
        .equ    PROG_CGNS_CT, PROG_CGNS + 1
        # CONTAINERS=1 and QUOTA=1 kernels only (quota.s): after the others
        .equ    PROG_QUOTA, 38 + 6 * FS + 2 * NET + 2 * CGNS    # guests/quota.s: cpu quotas
        # CONTAINERS=1 and SHARES=1 kernels only (shares.s): after those
        .equ    PROG_SHARES, PROG_QUOTA + QUOTA         # guests/shares.s: cpu shares
        .equ    PROG_DISKIO, 19         # DISK=1 kernels only (guests/diskio.s)
        .equ    PROG_DIRTY, 19          # DIRTY=1 kernels only (guests/dirty.s)
        .equ    PROG_NETPING, 19        # NIC=1 kernels only (guests/netping.s)
        .if     CONTAINERS
        .equ    NPROGS, 38 + 6 * FS + 2 * NET + 2 * CGNS + QUOTA + SHARES
        .else
        .equ    NPROGS, 19 + DISK + DIRTY + NIC
        .endif

        # The bytes are only ever copied, so they may sit in either section.
        # A kernel with containers keeps them in .data: in its paravirtual
        # build, a larger .text would push .data, and the shared page that
        # pv.s addresses absolutely, past 32 KiB.
        .if     CONTAINERS
        .data
        .else
        .text
        .endif
        .align  16
user_image:
        .phase  USER_BASE
        .word   NPROGS                  # the program table
        .word   init_main
        .word   syscall_main
        .word   pgfault_main
        .word   ptemod_main
        .word   ctxswitch_main
        .word   compute_main
        .word   tlbstride_main
        .word   forkwait_main
        .word   faults_main
        .word   partner_main
        .word   child_main
        .word   nullread_main
        .word   privileged_main
        .word   illegal_main
        .word   divzero_main
        .word   rowrite_main
        .word   kerneljump_main
        .word   looper_main
        .word   good_main
        .if     CONTAINERS
        .word   containers_main
        .word   ct_runtime_main
        .word   ct_idle_main
        .word   ct_alpha_main
        .word   ct_look_main
        .word   ct_exec_main
        .word   forkbomb_main
        .word   bomb_main
        .word   spin_main
        .word   memhog_main
        .word   hog_main
        .word   mh_neighbour_main
        .word   ct_rootless_main
        .word   ct_gamma_main
        .word   isoproc_main
        .word   isoct_main
        .word   service_main
        .word   ipc_main
        .word   ipc_peer_main
        .endif
        .if     FS
        .word   mounts_main
        .word   run_main
        .word   run_init_main
        .word   mt_app_main
        .word   escape_main
        .word   esc_app_main
        .endif
        .if     NET
        .word   netns_main
        .word   net_ct_main
        .endif
        .if     CGNS
        .word   cgroupns_main
        .word   cgns_ct_main
        .endif
        .if     QUOTA
        .word   quota_main
        .endif
        .if     SHARES
        .word   shares_main
        .endif
        .if     DISK
        .word   diskio_main
        .endif
        .if     DIRTY
        .word   dirty_main
        .endif
        .if     NIC
        .word   netping_main
        .endif

        .include "ulib.s"
        .include "init.s"
        .include "syscall.s"
        .include "pgfault.s"
        .include "ptemod.s"
        .include "ctxswitch.s"
        .include "compute.s"
        .include "tlbstride.s"
        .include "forkwait.s"
        .include "faults.s"
        .if     CONTAINERS              # after the others, which keep their
        .include "containers.s"         # addresses in every build
        .include "forkbomb.s"
        .include "memhog.s"
        .include "service.s"
        .include "ipc.s"
        .endif
        .if     FS                      # the file system's programs
        .include "mounts.s"
        .endif
        .if     NET                     # the network's
        .include "netns.s"
        .endif
        .if     CGNS                    # cgroup namespaces
        .include "cgroupns.s"
        .endif
        .if     QUOTA                   # the cpu quota, measured
        .include "quota.s"
        .endif
        .if     SHARES                  # the cpu shares, measured
        .include "shares.s"
        .endif
        .if     DISK
        .include "diskio.s"
        .endif
        .if     DIRTY
        .include "dirty.s"
        .endif
        .if     NIC
        .include "netping.s"
        .endif
        .align  4
        .dephase
user_image_end:
