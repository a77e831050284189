# cgroupns.s — the guest kernel built with containers, the file system,
# network namespaces and cgroup namespaces, with the "cgroupns" program as
# init: a container whose cgroup namespace makes its group "/" and hides
# every other, and a process moved out of its namespace's root
# (guests/kernel/cgns.s, guests/kernel/user/cgroupns.s).
        .equ    CONTAINERS, 1
        .equ    FS, 1                   # the file system (kernel/fs.s)
        .equ    NET, 1                  # network namespaces (kernel/net.s)
        .equ    CGNS, 1                 # cgroup namespaces (kernel/cgns.s)
        .equ    INIT_PROGRAM, PROG_CGNS
        .include "kernel/main.s"
