# container_cgroupns.s — a container in the guest kernel that tries to name,
# read, move into and clone into cgroups outside its cgroup namespace, and
# to lift its own group's limit.
#
# The kernel is the one `ringsim run cgroupns` runs (guests/cgroupns.s:
# built with containers, the file system, network namespaces and cgroup
# namespaces; guests/kernel/user/cgroupns.s).  Bare metal refuses each
# attempt (-1 for a group its namespace does not name, -2 for what only
# root of the machine may do); under every technique the same attempts
# must be refused, while the hypervisor's audit holds.  The pv column runs
# the same source built paravirtual (-D PV=1).
        .equ    CONTAINERS, 1
        .equ    FS, 1
        .equ    NET, 1
        .equ    CGNS, 1
        .equ    INIT_PROGRAM, PROG_CGNS
        .include "../kernel/main.s"
