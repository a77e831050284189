# container_escape.s — a container in the guest kernel that tries every way
# out of it: other processes, another namespace's message queue, another
# container's files, the host's cgroups, root of the machine's calls, past
# its pids and memory limits.
#
# The kernel is the one `ringsim run escape` runs (guests/escape.s: built
# with containers and the file system, the "escape" program as init;
# guests/kernel/user/mounts.s): the attacker is a user program, and the
# guard is the guest kernel, not the hypervisor.  Bare metal refuses each
# attempt (guests/README.md, "Containers"); under every technique the
# container must be refused the same way — the same lines, the same exit —
# while the hypervisor's audit holds: a container escape that became a VM
# escape would show in both.  The pv column runs the same source built
# paravirtual (-D PV=1), as guests/pv/escape.img is.
        .equ    CONTAINERS, 1
        .equ    FS, 1
        .equ    INIT_PROGRAM, PROG_ESCAPE
        .include "../kernel/main.s"
