# remap.s — a chain across pages whose target page is remapped, paging on
# (two levels): the first 4 MiB identity-mapped but for the page at virtual
# 0x180000, mapped to the frame of `one` (returns 1).  One call site calls
# 0x180000 five times (a jal: chained across pages from the second call
# on); after the third, the guest maps 0x180000 to the frame of `two`
# (returns 2) and flushes that TLB entry.  Nothing was written in either
# frame's code, so nothing is invalidated: only the check of the target's
# mapping, where a link leaves its page, sees that it now leads elsewhere.
# It first prints its ring (smsw, a red pill: 0 only if translated into a
# callout).  Natively: 00000000, then 00000001 three times, 00000002
# twice, then "done".  (labs/bt; compared with bare metal)
.equ ROOT, 0x100000     # the root table: its first entry maps 0..4 MiB
.equ LOW, 0x101000      # identity, but for WINDOW's entry
.equ WINDOW, 0x180000   # within a jal's reach of the code
.equ SLOT, LOW + (WINDOW >> 10)   # WINDOW's page-table entry
.text
_start: la r1, vectors
 mtcr vbr, r1
 li sp, 0x3f0000
 smsw r1
 andi r1, r1, 7
 call hex
 li r1, ROOT
 li r2, LOW
 ori r3, r2, 3
 sw r3, 0(r1)
 li r4, 0
 li r5, 1024
1: slli r6, r4, 12
 ori r6, r6, 3
 slli r7, r4, 2
 li r2, LOW
 add r7, r7, r2
 sw r6, 0(r7)
 addi r4, r4, 1
 blt r4, r5, 1b
 la r6, one             # WINDOW -> one's frame
 ori r6, r6, 3
 li r7, SLOT
 sw r6, 0(r7)
 mtcr ptb, r1
 li r1, 1
 mtcr mmu, r1
 li r8, 5
2: call WINDOW          # the same call site each time round
 call hex
 addi r8, r8, -1
 li r9, 2
 bne r8, r9, 3f
 la r6, two             # after the third call: WINDOW -> two's frame
 ori r6, r6, 3
 li r7, SLOT
 sw r6, 0(r7)
 li r6, WINDOW
 invlpg r6
3: bnez r8, 2b
 la r1, done
 call puts
 out power, r0

.include "../trap.inc"

.align 4096             # two frames of code, each seen at WINDOW in turn
one: addi r1, r0, 1
 ret
.align 4096
two: addi r1, r0, 2
 ret
