# dirty.s — the dirty bit when a page is read before it is written: the
# read leaves a clean translation, and the first write through it must
# still set D in the guest's entry (a shadow entry made writable at the
# read would let the write through unseen).  It maps 4 MiB 1:1 (two levels,
# A and D clear), reads 0x200000 then writes it, reads 0x201000 only, and
# reads 0x202000, flushes its translation, then writes it; and prints the
# A/D bits (0x08 accessed, 0x10 dirty) of the three entries.  Natively:
# 00000018, 00000008, 00000018.  (labs/shadow; compared with bare metal)
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
 li r8, 0x200000        # read, then write
 lw r9, 0(r8)
 sw r9, 4(r8)
 li r8, 0x201000        # read only
 lw r9, 0(r8)
 li r8, 0x202000        # read, forget the translation, write
 lw r9, 0(r8)
 invlpg r8
 sw r9, 8(r8)
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
 out power, r0

.include "../lib.inc"
