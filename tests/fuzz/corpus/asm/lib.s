# lib.s — word-sized memory helpers: zero and copy.
#
# The kernel touches memory only through these and through single loads and
# stores.  Everything it zeroes or copies is word-aligned (pages, page
# tables, the user image), so they work a word at a time, eight words per
# trip round the loop where the length allows: a page costs about 1.3
# instructions a word instead of 4.

        .text

# memzero(r1 = address, r2 = bytes).  Both multiples of 4.
memzero:
        add     r2, r1, r2              # r2 = end
        addi    r3, r2, -32
1:      bltu    r3, r1, 2f              # fewer than 8 words left?
        sw      r0, 0(r1)
        sw      r0, 4(r1)
        sw      r0, 8(r1)
        sw      r0, 12(r1)
        sw      r0, 16(r1)
        sw      r0, 20(r1)
        sw      r0, 24(r1)
        sw      r0, 28(r1)
        addi    r1, r1, 32
        j       1b
2:      bgeu    r1, r2, 3f              # the tail, a word at a time
        sw      r0, 0(r1)
        addi    r1, r1, 4
        j       2b
3:      ret

# memcopy(r1 = destination, r2 = source, r3 = bytes).  All multiples of 4;
# the two ranges do not overlap.
memcopy:
        add     r3, r2, r3              # r3 = end of the source
        addi    r4, r3, -16
1:      bltu    r4, r2, 2f              # fewer than 4 words left?
        lw      r5, 0(r2)
        lw      r6, 4(r2)
        lw      r7, 8(r2)
        sw      r5, 0(r1)
        sw      r6, 4(r1)
        sw      r7, 8(r1)
        lw      r5, 12(r2)
        sw      r5, 12(r1)
        addi    r1, r1, 16
        addi    r2, r2, 16
        j       1b
2:      bgeu    r2, r3, 3f
        lw      r5, 0(r2)
        sw      r5, 0(r1)
        addi    r1, r1, 4
        addi    r2, r2, 4
        j       2b
3:      ret
