# cr_abuse.s — every control register written with odd values, from ring 0,
# and read back: the trap registers (epc, esr, cause, badaddr, fault, usp,
# scratch) with all bits set, ptb with its low bits set, asid beyond 16
# bits, mmu with every bit but paging, and the read-only registers (levels,
# memsize, cycle), whose writes are illegal instructions.  Then sr: writing
# its ring bits drops the kernel to ring 1 or 3 on the spot — the next
# privileged instruction must fault there, and the kernel get back only by a
# trap.
#
# Bare metal (docs/isa.md, Control registers): a writable register reads
# back what was written (sr keeps only IE and the ring); a write to a
# read-only one is an illegal instruction (cause 0) that changes nothing.
# A hypervisor must give the same answers from its virtual registers — and
# its own state (the real ptb, asid, ring) must never show through.
# Exit code 42.
        .include "lib.s"

        .macro  RW name, cr, value
        li      r9, \value
        mtcr    \cr, r9
        mfcr    r8, \cr
        SAYX    \name, r8
        .endm

        .macro  RO name, cr
        STEP    .Lro\@
        li      r9, 0x1234
        mtcr    \cr, r9
        SAY     "  wrote a read-only register\n"
.Lro\@: mfcr    r8, \cr
        SAYX    \name, r8
        .endm

        .text
attack:
        RW      "epc", epc, 0xffffffff
        RW      "esr", esr, 0xffffffff
        RW      "cause", cause, 0xffffffff
        RW      "badaddr", badaddr, 0xffffffff
        RW      "fault", fault, 0xffffffff
        RW      "usp", usp, 0xfffffffc
        RW      "scratch", scratch, 0xdeadbeef
        RW      "ptb", ptb, 0x00345fff
        RW      "asid", asid, 0x12345678
        RW      "mmu", mmu, 0xfffffffe          # every bit but paging
        mtcr    mmu, r0
        RW      "mmu", mmu, 0
        RO      "levels", levels
        RO      "memsize", memsize
        STEP    1f
        li      r9, 0x1234
        mtcr    cycle, r9
        SAY     "  wrote cycle\n"
1:
        # the kernel stack pointer: written, read, put back
        la      r10, kstack_top
        RW      "ksp", ksp, 0x00fffff0
        mtcr    ksp, r10
        # vbr to a copy of the vector table, read back, restored
        la      r9, vectors
        mtcr    vbr, r9
        mfcr    r8, vbr
        sub     r8, r8, r9
        SAYX    "vbr - vectors", r8

        # sr: the ring bits, written from ring 0
        li      r9, 0xffffffff
        mtcr    sr, r9                          # IE on and ring 3, nothing else
        STEP    in_ring3
        mfcr    r8, sr                          # privileged: faults in ring 3
        SAYX    "still in ring 0, sr", r8
in_ring3:
        USAY    "ring 3 after mtcr sr"
        UBACK   1f
1:      li      r9, 2                           # ring 1, interrupts off
        mtcr    sr, r9
        STEP    in_ring1
        mfcr    r8, sr
        SAYX    "still in ring 0, sr", r8
in_ring1:
        USAY    "ring 1 after mtcr sr"
        STEP    2f
        smsw    r8                              # classic: runs and shows the ring
        USAYX   "pill smsw in ring 1", r8
2:      UBACK   1f
1:      mfcr    r8, sr
        SAYX    "back in ring 0, sr", r8
        mfcr    r8, ptb
        SAYX    "ptb at the end", r8
        FINISH
