# smcchain.s — a stale chain after self-modifying code, in ring 0 with
# paging off: the guest calls a routine in another page five times from
# one call site (a jal: a direct exit, chained from the second call on),
# and after the third call rewrites the routine's first instruction with a
# store from its own page.  The routine's translation goes, and so must
# the link into it: a chained call that still jumps to the old translation
# returns the old number.  It first prints its ring (smsw, a red pill: 0
# only if translated into a callout).  Natively: 00000000, then 00000001
# three times, 00000002 twice, then "done".  (labs/bt; compared with bare
# metal)
.text
_start: la r1, vectors
 mtcr vbr, r1
 li sp, 0x3f0000
 smsw r1
 andi r1, r1, 7
 call hex
 li r8, 5
1: call far             # the same call site each time round
 call hex
 addi r8, r8, -1
 li r9, 2
 bne r8, r9, 2f
 la r6, far             # after the third call: far now returns 2
 la r7, new
 lw r9, 0(r7)
 sw r9, 0(r6)
2: bnez r8, 1b
 la r1, done
 call puts
 out power, r0

.include "../trap.inc"

new: addi r1, r0, 2

.align 4096             # the routine in a page of its own
far: addi r1, r0, 1
 ret
