# smc.s — self-modifying code, in ring 0 with paging off: the guest calls
# a routine, rewrites its first instruction with a store, and calls it
# again, three times; then it rewrites an instruction further down the
# block it is running.  Each call prints what the routine returned, so a
# stale translation shows as a number that did not change.  Natively:
# 00000001 00000002 00000003 00000004 00000005 then "done".  (labs/bt;
# compared with bare metal)
.text
_start: la r1, vectors
 mtcr vbr, r1
 li sp, 0x3f0000
 call patchme           # the code as assembled: 1
 call hex
 la r6, patchme
 la r7, new1            # three new first instructions, one after the other
 li r8, 3
1: lw r9, 0(r7)
 sw r9, 0(r6)
 call patchme
 call hex
 addi r7, r7, 4
 addi r8, r8, -1
 bnez r8, 1b
 la r6, here            # an instruction of the block that does the store
 la r7, new4
 lw r9, 0(r7)
 sw r9, 0(r6)
here: addi r1, r0, 1   # becomes addi r1, r0, 5 before it runs
 call hex
 la r1, done
 call puts
 out power, r0

patchme: addi r1, r0, 1
 ret
new1: addi r1, r0, 2
new2: addi r1, r0, 3
new3: addi r1, r0, 4
new4: addi r1, r0, 5

# trap: prints "trap" and the cause, and stops.
trap: la r1, msg_trap
 call puts
 mfcr r1, cause
 call hex
 li r1, 1
 out power, r1

.include "../lib.inc"

.data
.align 4
vectors: .word trap, trap, trap, trap, trap, trap, trap, trap
 .word trap, trap, trap, trap, trap, trap, trap, trap
done: .asciz "done\n"
msg_trap: .asciz "trap "
