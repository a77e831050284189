# ad_bits.s — accessed and dirty bits, cleared by the guest with and
# without invlpg, and read back.
#
# The guest maps 0..4 MiB with 4 KiB pages (root R, one bottom table T, A
# and D clear), reads page P1 and writes page P2, and prints the A/D bits
# (0x08 accessed, 0x10 dirty) of their entries and of the root entry.  Then
# it clears them: without invlpg the TLB still holds both translations, so
# on bare metal neither bit comes back on the next read and write; after
# invlpg both do.  It clears D alone on a page the TLB holds as dirty, and
# writes it (no walk, D stays clear); clears A in the root entry and walks
# through it (A set again); writes through an entry without W (a page
# fault, present|write); and reads and writes through a large page.
#
# Bare metal sets A in every entry a walk uses and D in the leaf on a
# write, on a TLB miss only.  Under shadow paging the hypervisor sets them
# for the guest; it must set them exactly then — not on a TLB hit the guest
# made possible by not invalidating, not for a page it merely prefetched.
# Exit code 42.
        .include "lib.s"

        .equ    R, 0x100000
        .equ    T, 0x101000
        .equ    P1, 0x200000
        .equ    P2, 0x201000
        .equ    P3, 0x202000
        .equ    P4, 0x203000             # mapped without W
        .equ    PW, 0x3
        .equ    LPW, 0x23

        .macro  AD msg, entry           # print the A/D bits of a PTE
        li      r9, \entry
        lw      r8, 0(r9)
        andi    r8, r8, 0x18
        SAYX    \msg, r8
        .endm

        .text
attack:
        # T: 1024 identity entries, P | W, A and D clear; P4 without W
        li      r1, T
        li      r2, 0
        li      r3, 1024
1:      ori     r4, r2, PW
        sw      r4, 0(r1)
        addi    r1, r1, 4
        li      r5, 0x1000
        add     r2, r2, r5
        addi    r3, r3, -1
        bnez    r3, 1b
        PUT     T + 4 * (P4 >> 12), P4 | 0x1
        PUT     R + 4 * 0, T | PW
        PUT     R + 4 * 1, 0x400000 | LPW
        li      r1, R
        mtcr    ptb, r1
        li      r1, 1
        mtcr    mmu, r1

        # first touch
        li      r1, P1
        lw      r2, 0(r1)
        li      r1, P2
        sw      r2, 0(r1)
        AD      "P1 after a read", T + 4 * (P1 >> 12)
        AD      "P2 after a write", T + 4 * (P2 >> 12)
        AD      "P3 untouched", T + 4 * (P3 >> 12)
        AD      "root entry", R

        # clear A/D of P1 and P2 without invlpg: the TLB still holds them
        PUT     T + 4 * (P1 >> 12), P1 | PW
        PUT     T + 4 * (P2 >> 12), P2 | PW
        li      r1, P1
        lw      r2, 0(r1)
        li      r1, P2
        sw      r2, 4(r1)
        AD      "P1 cleared, read, no invlpg", T + 4 * (P1 >> 12)
        AD      "P2 cleared, written, no invlpg", T + 4 * (P2 >> 12)

        # now with invlpg
        li      r1, P1
        invlpg  r1
        li      r1, P2
        invlpg  r1
        li      r1, P1
        lw      r2, 0(r1)
        li      r1, P2
        sw      r2, 8(r1)
        AD      "P1 read after invlpg", T + 4 * (P1 >> 12)
        AD      "P2 written after invlpg", T + 4 * (P2 >> 12)

        # D alone cleared on a page the TLB holds as dirty: a write needs no walk
        PUT     T + 4 * (P2 >> 12), P2 | PW | 0x08
        li      r1, P2
        sw      r2, 12(r1)
        AD      "P2 D cleared, written, no invlpg", T + 4 * (P2 >> 12)

        # read first, then write: the write walks again for D
        li      r1, P3
        lw      r2, 0(r1)
        AD      "P3 read", T + 4 * (P3 >> 12)
        li      r1, P3
        sw      r2, 0(r1)
        AD      "P3 then written", T + 4 * (P3 >> 12)

        # A cleared in the root entry: the next walk sets it again
        PUT     R, T | PW
        li      r1, P1
        invlpg  r1
        li      r1, P1
        lw      r2, 0(r1)
        AD      "root entry after clear, invlpg, read", R

        # tlbflush, then read only: D must stay as it is (set)
        tlbflush
        li      r1, P2
        lw      r2, 0(r1)
        AD      "P2 read after tlbflush", T + 4 * (P2 >> 12)

        # no W: a page fault, and no D
        STEP    1f
        li      r1, P4
        sw      r2, 0(r1)
        SAY     "wrote a read-only page\n"
1:      AD      "P4 after a refused write", T + 4 * (P4 >> 12)

        # a large page (4..8 MiB): read, then write
        li      r1, 0x00400000
        lw      r2, 0(r1)
        AD      "large page after a read", R + 4
        li      r1, 0x00400010
        sw      r2, 0(r1)
        AD      "large page after a write", R + 4
        # cleared without invlpg, written again: stays clear
        PUT     R + 4, 0x400000 | LPW
        li      r1, 0x00400010
        sw      r2, 4(r1)
        AD      "large page cleared, written, no invlpg", R + 4
        FINISH
