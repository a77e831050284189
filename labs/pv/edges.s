# edges.s — the paravirtual guest of adversary.s, its tables built and
# loaded the same way, asks for three updates at the edges of the rules:
# a frame just past the VM's last (0x400000 with --mem 4M), the root
# linked into itself (a table where one of the level below belongs), and
# a large page.  Each refusal sets a bit of the exit code: 1, 2 and 4; 7
# when all three are refused (and 128 from the preamble it shares with
# adversary.s: a root outside the VM refused).  (labs/pv)
.equ P, 1
.equ W, 2
.equ L, 0x20
.text
_start:
 la r2, shared
 li r1, 1
 vmcall
 la r2, vectors
 li r1, 2
 vmcall
 la r2, kstack
 li r1, 3
 vmcall
 li r10, 0
 li r3, 0x12000
 li r4, 0x00800001
 sw r4, 0(r3)
 mov r2, r3
 li r1, 5
 vmcall
 mov r2, r3
 li r3, 0
 li r1, 7
 vmcall
 beqz r1, 1f
 ori r10, r10, 128
1:
 li r3, 0x10000
 li r4, 0x11000 | P | W
 sw r4, 0(r3)
 li r5, 0
 li r6, 1024
 li r7, 0x11000
2: slli r4, r5, 12
 ori r4, r4, P | W
 addi r8, r5, -0x10
 sltiu r8, r8, 2
 beqz r8, 3f
 xori r4, r4, W
3: slli r8, r5, 2
 add r8, r8, r7
 sw r4, 0(r8)
 addi r5, r5, 1
 blt r5, r6, 2b
 li r2, 0x10000
 li r1, 5
 vmcall
 li r2, 0x10000
 li r3, 0
 li r1, 7
 vmcall
 bnez r1, fail
 li r11, 1                  # a frame just past the VM
 li r12, 0x11000 + 4 * 0x300
 li r13, 0x00400000 | P
 call update
 li r11, 2                  # the root as a table of the level below
 li r12, 0x10000 + 4 * 1
 li r13, 0x10000 | P
 call update
 li r11, 4                  # a large page
 li r12, 0x10000 + 4 * 2
 li r13, 0x11000 | P | L     # (without L, a good link to the bottom table)
 call update
 li r2, 0
 mov r3, r10
 li r1, 13
 vmcall
fail: li r2, 0
 li r3, 200
 li r1, 13
 vmcall

# update: one (entry r12, value r13) pair; a refusal (0 done) sets r11 in r10.
update: la r2, list
 sw r12, 0(r2)
 sw r13, 4(r2)
 li r3, 1
 li r1, 4
 vmcall
 bnez r1, 1f
 or r10, r10, r11
1: ret

handler: j fail
.data
.align 4
shared: .space 48
list: .space 16
vectors: .word handler, handler, handler, handler, handler, handler, handler, handler
 .word handler, handler, handler, handler, handler, handler, handler, handler
.bss
.align 4
 .space 256
kstack:
