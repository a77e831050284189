# ring1_paging.s — rings 1 and 2 are supervisor rings for paging.
#
# docs/isa.md: rings 1 and 2 may not run privileged instructions, but for
# paging they are supervisor rings like ring 0 — they need no U bit; only
# ring 3 does.  A hypervisor that runs the guest kernel deprivileged must
# still give the guest's own rings 1 and 2 that right (and must not give it
# to ring 3).  The guest maps 0..4 MiB with 4 KiB pages, all user-accessible
# except a supervisor page S (no U) holding a marker and a two-instruction
# routine, and a user page RO without W; from ring 1, ring 2 and ring 3 in
# turn it reads and writes S, calls the routine in S, and reads and writes
# RO.
#
# Bare metal: rings 1 and 2 read, write and run S; ring 3 takes a page fault
# on each (fault 0x5 read, 0x7 write, 0xd fetch: present, user); a write to
# RO is a page fault in every ring (W is needed in every ring).  Exit code 42.
        .include "lib.s"

        .equ    R, 0x100000
        .equ    T, 0x101000
        .equ    S, 0x200000
        .equ    RO, 0x201000
        .equ    PWU, 0x7
        .equ    PW, 0x3

        .text
attack:
        li      r1, T
        li      r2, 0
        li      r3, 1024
1:      ori     r4, r2, PWU
        sw      r4, 0(r1)
        addi    r1, r1, 4
        li      r5, 0x1000
        add     r2, r2, r5
        addi    r3, r3, -1
        bnez    r3, 1b
        PUT     T + 4 * (S >> 12), S | PW               # supervisor only
        PUT     T + 4 * (RO >> 12), RO | 0x5            # user, read-only
        PUT     R, T | PWU
        PUT     S, 0x5afe0005
        PUT     RO, 0x5afe00e0
        la      r1, snippet                             # the routine S holds
        lw      r2, 0(r1)
        li      r3, S + 0x100
        sw      r2, 0(r3)
        lw      r2, 4(r1)
        sw      r2, 4(r3)
        li      r1, R
        mtcr    ptb, r1
        li      r1, 1
        mtcr    mmu, r1
        li      r8, 1
next_ring:
        SAYX    "ring", r8
        li      r1, 1
        beq     r8, r1, 1f
        li      r1, 2
        beq     r8, r1, 2f
        DROP    3, deprivileged
1:      DROP    1, deprivileged
2:      DROP    2, deprivileged

deprivileged:
        STEP    1f
        li      r9, S
        lw      r10, 0(r9)
        USAYX   "  read S", r10
1:      STEP    1f
        li      r9, S
        li      r10, 0x5afe0006
        sw      r10, 4(r9)
        lw      r10, 4(r9)
        USAYX   "  wrote S", r10
1:      STEP    1f
        li      r10, 0
        li      r9, S + 0x100
        jalr    lr, r9, 0
        USAYX   "  ran S", r10
1:      STEP    1f
        li      r9, RO
        lw      r10, 0(r9)
        USAYX   "  read RO", r10
1:      STEP    1f
        li      r9, RO
        sw      r9, 0(r9)
        USAY    "  wrote RO"
1:      UBACK   ring_done

ring_done:
        addi    r8, r8, 1
        li      r1, 4
        blt     r8, r1, next_ring
        FINISH

snippet:                                # copied to S + 0x100
        addi    r10, r0, 0x77
        jalr    r0, lr, 0
