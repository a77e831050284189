# adversary.s — a hand-written paravirtual guest (2 levels, 4 MiB) that
# builds its tables on the boot map — the root at 0x10000, one bottom table
# at 0x11000 mapping all 4 MiB 1:1, itself and the root read-only — loads
# them, and then tries everything a guest must not do.  Each attempt that
# fails as it should sets a bit of r10, which becomes the exit code: 255
# when the hypervisor refused all four bad requests (a root pointing outside
# the VM, a frame outside the VM, a table mapped writable twice), the direct
# write and the privileged instruction faulted, and the good update worked.
# Hypercall numbers: guests/kernel/defs.s.  (labs/pv; tests/test_pv.c)
.equ P, 1
.equ W, 2
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
 la r2, list
 li r4, 0x11000 + 4 * 0x300
 sw r4, 0(r2)
 li r4, 0x00800000 | P | W
 sw r4, 4(r2)
 li r3, 1
 li r1, 4
 vmcall
 bnez r1, 4f
 ori r10, r10, 1
4:
 la r2, list
 li r4, 0x11000 + 4 * 0x301
 sw r4, 0(r2)
 li r4, 0x11000 | P | W
 sw r4, 4(r2)
 li r3, 1
 li r1, 4
 vmcall
 bnez r1, 5f
 ori r10, r10, 2
5:
 li r2, 0x11000
 li r3, 0x11000 | P | W
 li r1, 8
 vmcall
 beqz r1, 6f
 ori r10, r10, 4
6:
 li r4, 0x11000
 li r5, 0x00800003
 sw r5, 0x304(r4)
 la r2, list
 li r4, 0x11000 + 4 * 0x302
 sw r4, 0(r2)
 li r4, 0x20000 | P | W
 sw r4, 4(r2)
 li r3, 1
 li r1, 4
 vmcall
 li r4, 1
 bne r1, r4, 7f
 ori r10, r10, 16
 li r4, 0x302000
 li r5, 0x5a5a
 sw r5, 0(r4)
 li r4, 0x20000
 lw r6, 0(r4)
 bne r5, r6, 7f
 ori r10, r10, 32
7:
 mtcr vbr, r0
done: li r2, 0
 mov r3, r10
 li r1, 13
 vmcall
fail: li r2, 0
 li r3, 200
 li r1, 13
 vmcall
handler: la r1, shared
 lw r2, 8(r1)
 li r3, 2
 bne r2, r3, 8f
 ori r10, r10, 8
 j 9f
8: li r3, 1
 bne r2, r3, fail
 ori r10, r10, 64
9: lw r2, 12(r1)
 addi r2, r2, 4
 sw r2, 12(r1)
 li r1, 11
 vmcall
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
