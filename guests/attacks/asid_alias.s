# asid_alias.s — address-space ids a hypervisor may use for itself.
#
# A shadow-paging hypervisor tags the TLB entries of its shadows with ASIDs
# of its own choosing (one for the guest's paging-off mappings, one per
# guest ASID), and a guest may pick any 16-bit ASID — or a larger value,
# whose low 16 bits count.  This guest reads page X (0x300000) while its
# paging is off, then turns paging on with the root mapping VA X to another
# frame (X + 4 KiB), once under each ASID of 0xffff, 0xfffe, 0, 1, 0x10000
# and 0x1ffff, reading VA X under each and, between them, again with paging
# off.  It also flips between two ASIDs whose tables map VA 0x301000
# differently, without ever flushing.
#
# Bare metal: with paging off no translation is cached, so the first read
# under every ASID walks the new table and reads X + 4 KiB's marker; ASIDs
# that differ in the low 16 bits keep separate entries, those that do not
# share them.  A hypervisor whose own tags alias a guest's — the paging-off
# tag and guest ASID 0xffff + 1, say — shows the guest a stale translation.
# Exit code 42.
        .include "lib.s"

        .equ    R, 0x100000             # VA X -> X + 4K (ASID A)
        .equ    T, 0x101000
        .equ    RB, 0x102000            # VA 0x301000 -> 0x303000 (ASID B)
        .equ    TB, 0x103000
        .equ    X, 0x300000
        .equ    PW, 0x3

        .macro  UNDER asid
        li      r1, \asid
        mtcr    asid, r1
        li      r1, 1
        mtcr    mmu, r1
        li      r9, \asid
        SAYX    "asid", r9
        LOAD    "  VA X", X
        mtcr    mmu, r0
        LOAD    "  paging off, X", X
        .endm

        .text
attack:
        # T and TB: identity maps of 0..4 MiB with 4 KiB pages, but for X
        li      r1, T
        li      r6, TB
        li      r2, 0
        li      r3, 1024
1:      ori     r4, r2, PW
        sw      r4, 0(r1)
        sw      r4, 0(r6)
        addi    r1, r1, 4
        addi    r6, r6, 4
        li      r5, 0x1000
        add     r2, r2, r5
        addi    r3, r3, -1
        bnez    r3, 1b
        PUT     T + 4 * (X >> 12), (X + 0x1000) | PW
        PUT     TB + 4 * ((X + 0x1000) >> 12), (X + 0x3000) | PW
        PUT     R, T | PW
        PUT     RB, TB | PW
        PUT     X, 0x5afe0000
        PUT     X + 0x1000, 0x5afe1000
        PUT     X + 0x2000, 0x5afe2000
        PUT     X + 0x3000, 0x5afe3000
        li      r1, R
        mtcr    ptb, r1

        LOAD    "paging off, X", X
        UNDER   0xffff
        UNDER   0xfffe
        UNDER   0
        UNDER   1
        UNDER   0x10000
        UNDER   0x1ffff

        # two address spaces, switched without a flush
        SAY     "two address spaces\n"
        li      r1, 0x22
        mtcr    asid, r1
        li      r1, R
        mtcr    ptb, r1
        li      r1, 1
        mtcr    mmu, r1
        LOAD    "  A: VA X + 4K", X + 0x1000
        li      r1, 0x33
        mtcr    asid, r1
        li      r1, RB
        mtcr    ptb, r1
        LOAD    "  B: VA X + 4K", X + 0x1000
        li      r1, 0x22
        mtcr    asid, r1
        li      r1, R
        mtcr    ptb, r1
        LOAD    "  A again: VA X + 4K", X + 0x1000
        # B's ASID with A's table: the TLB still holds B's entry
        li      r1, 0x33
        mtcr    asid, r1
        LOAD    "  B's ASID on A's table: VA X + 4K", X + 0x1000
        li      r1, 0x10033                     # the same ASID in its low 16 bits
        mtcr    asid, r1
        LOAD    "  0x10033 on A's table: VA X + 4K", X + 0x1000
        FINISH
