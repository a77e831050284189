# shadow_two_levels.s — one guest page table used at two levels at once.
#
# The root R (0x100000) maps 0..4 MiB with a large page (over R itself,
# writable) and, in entry 1, points at itself: for VA 0x00400000..0x007fffff
# R is also the bottom-level table, so R[5] is both a root entry (VA
# 0x01400000.. -> table F) and a leaf (VA 0x00405000 -> frame F).  F holds
# entries the guest chose: one to the last frame of memory, two past the
# end.  The attack then touches the addresses whose shadow fill follows
# those entries — reading and writing through R-as-a-leaf first, so that a
# shadow keyed by guest frame alone writes leaf entries (host frames) into
# the shadow that is also the root, where the hardware takes them for
# tables — and writes chosen words, through the self-map and through the
# large page, into R itself.
#
# Bare metal (16 MiB, two levels): every address inside memory reads what
# the guest put there; F[1] and F[2] and the large page R[6] lead past the
# end of memory: a bus error each (cause 7, BADADDR the virtual address).
# A shadow that lets any of them through hands the guest host memory beyond
# its own.  Exit code 42.
        .include "lib.s"

        .equ    R, 0x100000             # the root, also a leaf table
        .equ    F, 0x200000             # a table the guest fills with its choice
        .equ    G, 0x201000             # another one
        .equ    MARK, 0x00fff000        # the last frame of memory
        .equ    MARK2, 0x00ffe000
        .equ    PW, 0x3                 # P | W
        .equ    LPW, 0x23               # L | P | W

        .text
attack:
        PUT     R + 4 * 0, 0x000000 | LPW       # 0..4 MiB identity (code, R, F)
        PUT     R + 4 * 1, R | PW               # R is its own leaf table
        PUT     R + 4 * 5, F | PW               # root: VA 0x01400000 -> F; leaf: VA 0x00405000 -> F
        PUT     F + 4 * 0, MARK | PW
        PUT     F + 4 * 1, 0x01000000 | PW      # just past the end of memory
        PUT     F + 4 * 2, 0x01800000 | PW
        PUT     G + 4 * 0, MARK2 | PW
        PUT     MARK, 0x5afe0001
        PUT     MARK2, 0x5afe0002
        li      r1, R
        mtcr    ptb, r1
        li      r1, 1
        mtcr    mmu, r1
        SAY     "paging on\n"

        # R read as a leaf table: VA 0x00400000 + 4 KiB * i is the frame in R[i]
        LOADM   "R[0] seen as a page at 0x401000", 0x00401000
        LOADM   "F[0] through R[5] as a leaf", 0x00405000
        STORE   0x00405000, MARK | PW           # the same value: a write through R-as-a-leaf
        LOADM   "F[0] again", 0x00405000
        # now R[5] as a root entry: F is a table
        LOAD    "via F[0]: the last frame", 0x01400000
        LOAD    "via F[1]: past the end", 0x01401000
        STORE   0x01401000, 0xdeadbeef
        LOAD    "via F[2]: far past the end", 0x01402000
        STORE   0x01402000, 0xdeadbeef
        # chosen words into R through the self-map: R[6] a large page past the end
        STORE   0x00401018, 0x01000000 | LPW
        LOAD    "via R[6]: large page past the end", 0x01800000
        STORE   0x01800004, 0xdeadbeef
        # and into R through the large page over it: R[7] -> F, then -> G
        STORE   R + 4 * 7, F | PW
        LOAD    "via R[7] = F", 0x01c00000
        STORE   R + 4 * 7, G | PW
        li      r1, 0x01c00000
        invlpg  r1
        LOAD    "via R[7] = G after invlpg", 0x01c00000
        # R through both views must agree
        LOADM   "R[7] through the self-map", 0x0040101c
        LOADM   "R[7] through the large page", R + 4 * 7
        LOADM   "R[1] through the self-map", 0x00401004
        LOADM   "R[5] through the self-map", 0x00401014
        LOADM   "R[6] through the large page", R + 4 * 6
        FINISH
