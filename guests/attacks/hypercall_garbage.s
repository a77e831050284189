# hypercall_garbage.s — vmcall, the hypercall instruction, from an ordinary
# (not paravirtual) kernel, in rings 0, 1, 2 and 3, with garbage in every
# register: r1 (the hypercall number) each of 0, 1, 4, 5, 7, 8, 13, 14,
# 0x7fffffff and 0xffffffff, r2..r7 and r10..r13 addresses past the end of
# memory, misaligned ones, huge counts.  After each it prints the trap it
# took and a checksum of r1..r13 and lr as the trap found them.
#
# Bare metal (docs/isa.md): from ring 0 or 3 an illegal instruction (cause
# 0, EPC the vmcall); from ring 1 or 2 a hypercall trap (cause 11, EPC past
# the vmcall), there being no hypervisor to serve it — and no register
# changed.  A hypervisor that is not running a paravirtual kernel must do
# the same: serve nothing, change nothing, and let no "hypercall" of this
# guest reach its paravirtual interface.  Exit code 42.
        .include "lib.s"

        .text
attack:
        # vmcall's two causes are caught here first, to save the registers
        la      r1, vc_trap
        la      r2, vectors
        sw      r1, 0(r2)
        sw      r1, 4 * 11(r2)
        li      r8, 0                   # the ring being tried
next_ring:
        SAYX    "ring", r8
        beqz    r8, in_ring              # ring 0: right here
        li      r1, 1
        beq     r8, r1, 1f
        li      r1, 2
        beq     r8, r1, 2f
        DROP    3, in_ring
1:      DROP    1, in_ring
2:      DROP    2, in_ring

# Runs in the ring in r8; r9 walks the list of hypercall numbers.
in_ring:
        la      r9, numbers
1:      lw      r10, 0(r9)
        la      r1, end_of_list
        beq     r9, r1, ring_done
        STEP    2f
        addi    r1, r10, 0
        li      r2, 0xfffff000
        li      r3, 0x01000000
        li      r4, 0x00000002
        li      r5, 0xffffffff
        li      r6, 0x80000000
        li      r7, 0x00fffffd
        li      r10, 0x7fffffff
        li      r11, 0x01000ff8
        li      r12, 0x00000100
        li      r13, 0xdeadbeef
        li      lr, 0x01234567
        vmcall
        # bare metal never gets here: the trap resumes at 2f
        USAY    "vmcall returned"
2:      la      r1, saved
        lw      r2, 0(r1)
        USAYX   "  registers", r2
        addi    r9, r9, 4
        j       1b
ring_done:
        beqz    r8, 1f
        UBACK   1f
1:      addi    r8, r8, 1
        li      r1, 4
        blt     r8, r1, next_ring
        FINISH

# A vmcall trap (cause 0 or 11): a checksum of the registers as the trap
# found them into `saved`, then the ordinary report.  sp is the kernel's.
vc_trap:
        push    r9
        push    r8
        push    r1
        li      r9, 0
        li      r8, 0
        add     r8, r8, r2
        slli    r1, r8, 7
        srli    r8, r8, 25
        or      r8, r8, r1
        xor     r8, r8, r3
        slli    r1, r8, 7
        srli    r8, r8, 25
        or      r8, r8, r1
        xor     r8, r8, r4
        slli    r1, r8, 7
        srli    r8, r8, 25
        or      r8, r8, r1
        xor     r8, r8, r5
        slli    r1, r8, 7
        srli    r8, r8, 25
        or      r8, r8, r1
        xor     r8, r8, r6
        slli    r1, r8, 7
        srli    r8, r8, 25
        or      r8, r8, r1
        xor     r8, r8, r7
        slli    r1, r8, 7
        srli    r8, r8, 25
        or      r8, r8, r1
        xor     r8, r8, r10
        slli    r1, r8, 7
        srli    r8, r8, 25
        or      r8, r8, r1
        xor     r8, r8, r11
        slli    r1, r8, 7
        srli    r8, r8, 25
        or      r8, r8, r1
        xor     r8, r8, r12
        slli    r1, r8, 7
        srli    r8, r8, 25
        or      r8, r8, r1
        xor     r8, r8, r13
        slli    r1, r8, 7
        srli    r8, r8, 25
        or      r8, r8, r1
        xor     r8, r8, lr
        pop     r1
        xor     r8, r8, r1              # r1 last: the hypercall number
        la      r1, saved
        sw      r8, 0(r1)
        pop     r8
        pop     r9
        j       trap_report

        .data
        .align  4
numbers:
        .word   0, 1, 4, 5, 7, 8, 13, 14, 0x7fffffff, 0xffffffff
end_of_list:
saved:  .word   0
