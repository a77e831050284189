# shadow_selfref.s — a self-referencing page table: the last root entry
# points at the root, so the tables appear as ordinary pages in the top
# 4 MiB (VA 0xffc00000 + 4 KiB * i is the table R[i] points at, VA
# 0xfffff000 is R itself), the way 32-bit x86 kernels read and write their
# own tables.  The attack reads the tables through that window, edits them
# through it (a new leaf, a changed leaf, a root entry past the end of
# memory), and reads a checksum of the whole root back through it.
#
# Under shadow paging the window must show the guest's own tables and
# nothing else: never the shadow tables the MMU really walks (their host
# frame numbers, their flags), and never a frame beyond the guest's memory
# that a shadow entry written at one level and read at another leads to.
#
# Bare metal (16 MiB, two levels): the values the guest wrote (A and D
# masked), the markers its leaves lead to, and a bus error (cause 7) for
# every access through the root entry and the leaf past the end of memory.
# Exit code 42.
        .include "lib.s"

        .equ    R, 0x100000
        .equ    T, 0x101000             # the bottom table of VA 0x00400000..
        .equ    D, 0x300000             # marker pages
        .equ    D2, 0x301000
        .equ    PW, 0x3
        .equ    LPW, 0x23
        .equ    SELF, 0xfffff000        # R through itself
        .equ    WIN, 0xffc00000         # the tables, one page each

        .text
attack:
        PUT     R + 4 * 0, 0x000000 | LPW
        PUT     R + 4 * 1, T | PW
        PUT     R + 4 * 1023, R | PW
        PUT     T + 4 * 0, D | PW
        PUT     D, 0x5afe000d
        PUT     D2, 0x5afe00d2
        li      r1, R
        mtcr    ptb, r1
        li      r1, 1
        mtcr    mmu, r1
        SAY     "paging on\n"

        LOADM   "R[0] through the window", SELF + 4 * 0
        LOADM   "R[1] through the window", SELF + 4 * 1
        LOADM   "R[1023] through the window", SELF + 4 * 1023
        LOADM   "T[0] through the window", WIN + 0x1000 * 1
        LOAD    "VA 0x400000", 0x00400000
        # a new leaf, written through the window
        STORE   WIN + 0x1000 * 1 + 4, D2 | PW
        LOAD    "VA 0x401000 (new leaf)", 0x00401000
        # a changed leaf: natively the TLB needs the invlpg
        STORE   WIN + 0x1000 * 1, D2 | PW
        li      r1, 0x00400000
        invlpg  r1
        LOAD    "VA 0x400000 (changed leaf)", 0x00400000
        LOADM   "T[0] after the change", WIN + 0x1000 * 1
        # a root entry past the end of memory, written through the window
        STORE   SELF + 4 * 2, 0x01000000 | PW
        LOADM   "R[2] through the window", SELF + 4 * 2
        LOAD    "VA 0x800000 (table past the end)", 0x00800000
        LOAD    "R[2]'s table through the window", WIN + 0x1000 * 2
        STORE   WIN + 0x1000 * 2, 0xdeadbeef
        STORE   0x00800000, 0xdeadbeef
        # the root entry as a large page past the end
        STORE   SELF + 4 * 3, 0x01000000 | LPW
        LOAD    "VA 0xc00000 (large page past the end)", 0x00c00000
        LOAD    "R[3]'s page through the window", WIN + 0x1000 * 3
        # the window and the identity map show the same frame
        STORE   R + 4 * 4, D | PW
        LOADM   "R[4] through the window", SELF + 4 * 4
        LOADM   "R[4] through the identity map", R + 4 * 4
        # the whole root, through the window: a checksum of what it shows
        STEP    1f
        li      r9, SELF
        li      r10, 0
        li      r11, 1024
        li      r12, ~0x18
2:      lw      r8, 0(r9)
        and     r8, r8, r12
        slli    r13, r10, 5
        srli    r10, r10, 27
        or      r10, r10, r13
        xor     r10, r10, r8
        addi    r9, r9, 4
        addi    r11, r11, -1
        bnez    r11, 2b
        SAYX    "root checksum through the window", r10
1:      FINISH
