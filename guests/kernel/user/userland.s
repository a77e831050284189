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
        .equ    NPROGS, 19

        .text
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
        .align  4
        .dephase
user_image_end:
