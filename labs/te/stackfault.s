# stackfault.s — pushf and popf are memory references through the guest's
# own page tables: onto a page that is not present, or read-only, they are
# the guest's page fault, with sp unchanged, as on bare metal.  It maps
# 4 MiB 1:1 (two levels) but 0x300000 (absent) and 0x301000 (read-only),
# then pushes and pops on each.  The fault handler prints cause, badaddr,
# fault and sp, and skips the instruction.  (labs/te; compared with bare
# metal)
.text
_start: la r1, vectors
 mtcr vbr, r1
 li r1, 0x100000        # root, one bottom table at 0x101000
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
 li r6, 0x301001        # read-only
 sw r6, 0xc04(r2)
 sw r0, 0xc00(r2)       # 0x300000: not present
 mtcr ptb, r1
 li r1, 1
 mtcr mmu, r1
 li sp, 0x301000        # pushf onto the absent page
 pushf
 li sp, 0x302000        # onto the read-only page
 pushf
 li sp, 0x300ff0        # popf from the absent page
 popf
 li sp, 0x301ff0        # popf from the read-only page: a read, fine
 popf
 mov r1, sp
 call hex
 li sp, 0x3f0000        # and a good stack still works
 li r1, 0x55
 sw r1, -4(sp)
 pushf
 lw r1, 0(sp)
 andi r1, r1, 7
 call hex
 popf
 mov r1, sp
 call hex
 la r1, done
 call puts
 out power, r0

# fault: cause, badaddr, fault bits and sp; then on past the instruction.
fault: mfcr r1, cause
 call hex
 mfcr r1, badaddr
 call hex
 mfcr r1, fault
 call hex
 mov r1, sp
 call hex
 mfcr r1, epc
 addi r1, r1, 4
 mtcr epc, r1
 iret

.include "../lib.inc"

.data
.align 4
vectors: .word fault, fault, fault, fault, fault, fault, fault, fault
 .word fault, fault, fault, fault, fault, fault, fault, fault
done: .asciz "done\n"
