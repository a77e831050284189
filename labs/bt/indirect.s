# indirect.s — indirect jumps, in ring 0 with paging off: a loop jumps
# through a table (jalr to a register) to one of three handlers in turn,
# and each handler calls one routine from a call site of its own, so that
# the routine's ret goes back to a different place each time.  An exit
# whose target is in a register cannot be chained: chained once, it would
# go where it went the first time.  It first prints its ring (smsw, a red
# pill: 0 only if translated into a callout).  Natively: 00000000, then
# 00000011 00000022 00000033 twice, then "done".  (labs/bt; compared with
# bare metal)
.text
_start: la r1, vectors
 mtcr vbr, r1
 li sp, 0x3f0000
 smsw r1
 andi r1, r1, 7
 call hex
 li r8, 0               # 0..5: handler r8 mod 3
1: li r9, 3
 rem r9, r8, r9
 slli r9, r9, 2
 la r10, table
 add r10, r10, r9
 lw r10, 0(r10)
 jalr r0, r10, 0        # to the handler: a target only known now
back: call hex
 addi r8, r8, 1
 li r9, 6
 blt r8, r9, 1b
 la r1, done
 call puts
 out power, r0

h1: li r1, 0x10
 call add1              # three call sites: add1's ret goes to each
 j back
h2: li r1, 0x20
 call add2
 j back
h3: li r1, 0x30
 call add3
 j back
add3: addi r1, r1, 1
add2: addi r1, r1, 1
add1: addi r1, r1, 1
 ret

.include "../trap.inc"

.data
.align 4
table: .word h1, h2, h3
