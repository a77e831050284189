# adbits.s — do the accessed and dirty bits a guest reads from its own page
# tables come out as on bare metal?  It identity-maps 4 MiB (two levels,
# A and D clear), turns paging on, reads one page, writes another, and
# prints the A/D bits (0x08 accessed, 0x10 dirty) of the read page's entry,
# the written page's, an untouched one's, and the root entry's.  Natively:
# 00000008, 00000018, 00000000, 00000008.  (labs/shadow; tests/test_te.c)
.text
_start: li r1, 0x100000
 li r2, 0x101000
 ori r3, r2, 3
 sw r3, 0(r1)
 li r4, 0
 li r5, 1024
1: slli r6, r4, 12
 ori r6, r6, 3
 slli r7, r4, 2
 add r7, r7, r2
 sw r6, 0(r7)
 addi r4, r4, 1
 blt r4, r5, 1b
 mtcr ptb, r1
 li r1, 1
 mtcr mmu, r1
 li r8, 0x200000
 lw r9, 0(r8)
 li r8, 0x201000
 sw r9, 0(r8)
 li r10, 0x101000
 lw r1, 0x800(r10)
 andi r1, r1, 0x18
 call hex
 lw r1, 0x804(r10)
 andi r1, r1, 0x18
 call hex
 lw r1, 0x808(r10)
 andi r1, r1, 0x18
 call hex
 li r10, 0x100000
 lw r1, 0(r10)
 andi r1, r1, 0x18
 call hex
 out power, r0
hex:  li r3, 28
1:    srl r4, r1, r3
 andi r4, r4, 15
 slti r5, r4, 10
      bnez r5, 2f
 addi r4, r4, 'a' - 10 - '0'
2:    addi r4, r4, '0'
 out con_data, r4
 addi r3, r3, -4
      bge r3, r0, 1b
 li r4, '\n'
 out con_data, r4
 ret
