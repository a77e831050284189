# main.s — the guest kernel: a small Unix-like kernel for ringsim, the system
# that every virtualisation mode of the simulator later runs.
#
# It boots in ring 0 with paging off, builds page tables for whatever number
# of levels the machine has, runs user programs in ring 3, each in its own
# address space and with its own ASID, preempts them with the timer, serves
# their system calls, pages their heap and stack in on demand, and kills only
# the process that misbehaves.  guests/README.md describes the system-call
# ABI and the memory layout; each file below is one concern:
#
#   defs.s       constants, struct layouts, macros (no code)
#   boot.s       reset to the first process
#   trap.s       the way into the kernel and back out; fault handling
#   syscall.s    the system calls
#   proc.s       processes, spawn/exit/wait/kill, the scheduler
#   vm.s         page tables, address spaces, ASIDs
#   kalloc.s     the physical frame allocator
#   selfcheck.s  the red-pill checks
#   console.s    printing, panic
#   lib.s        memzero, memcopy
#   pv.s         the paravirtual build (-D PV=1): shared page, batched updates
#   ns.s         namespaces: pid, UTS, user (CONTAINERS=1 builds only)
#   cgroup.s     control groups: cpu, memory, pids; ticks, sleep, idle (ditto)
#   ipc.s        message queues, one set per IPC namespace (ditto)
#   fs.s         an in-memory file system, mount namespaces (CONTAINERS=1
#                and FS=1 builds only: guests/mounts.s, escape.s)
#   net.s        network namespaces: lo, veth pairs, a bridge (and NET=1:
#                guests/netns.s)
#   cgns.s       cgroup namespaces (and CGNS=1: guests/cgroupns.s)
#   disk.s       the block-device driver (DISK=1 builds only: guests/diskio.s)
#   nic.s        the network interface's driver (NIC=1 builds only: guests/netping.s)
#   user/        the user image: a library and every user program
#
# A top-level guest (guests/syscall.s, ...) sets INIT_PROGRAM, the program
# the first process runs, and includes this file; guests/containers.s,
# forkbomb.s and memhog.s also set CONTAINERS to 1 (defs.s).

        .include "defs.s"

        .ifndef INIT_PROGRAM
        .equ    INIT_PROGRAM, PROG_INIT
        .endif

        .entry  _start

# Section markers.  The assembler starts .data and .bss on fresh pages, so
# `etext` (the first byte of .data) is where the read-only text mapping ends.
        .data
etext:
        .bss
bss_start:

        .text
        .include "boot.s"               # first: _start is the image's entry
        .include "trap.s"
        .include "syscall.s"
        .include "proc.s"
        .include "vm.s"
        .include "kalloc.s"
        .include "selfcheck.s"
        .include "console.s"
        .include "lib.s"
        .if     PV
        .include "pv.s"                 # the paravirtual build's own code
        .endif
        .if     DISK
        .include "disk.s"               # the block-device driver
        .endif
        .if     NIC
        .include "nic.s"                # the network interface's driver
        .endif
        .if     CONTAINERS
        .include "ns.s"                 # namespaces and control groups
        .include "cgroup.s"
        .include "ipc.s"                # message queues, per IPC namespace
        .if     FS
        .include "fs.s"                 # files, mount namespaces
        .if     NET
        .include "net.s"                # network namespaces, lo, veth, bridge
        .if     CGNS
        .include "cgns.s"               # cgroup namespaces
        .endif
        .endif
        .endif
        .endif
        .include "user/userland.s"

# The end of the image: every frame from here to the end of memory is the
# allocator's.
        .bss
        .align  PAGE_SIZE
kernel_end:
