# vector_outside.s — the vector table at the edges of memory.
#
# VBR is a physical address the CPU reads on every trap, before any handler
# runs — so a hypervisor must read it the way the guest's memory is read,
# within the guest's memory, and never as a host address.  First VBR =
# 0xfffffff0: the words for causes 4 and up wrap around to address 0, where
# the guest has put the address of a handler (bare metal reads them there).
# Then VBR = memsize - 16: causes 0..3 inside the guest's memory, 4 and up
# past its end, where a hypervisor keeps its own frames; a breakpoint (cause
# 4) then needs a vector that does not exist.
#
# Bare metal: the wrapped breakpoint runs the handler at address 0's word
# (it prints, cause 4, and returns); the second one is a bus error reading
# the vector, a double fault (vector 8, also outside), a triple fault: the
# machine stops, exit status 125.  A hypervisor that reads the vector from
# host memory instead gives the guest a handler address (and a jump) it
# took from memory that is not the guest's.
        .include "lib.s"

        .text
attack:
        # 1: wrap-around
        la      r1, wrapped
        sw      r1, 0(r0)               # cause 4 at 0xfffffff0 + 16 = 0
        li      r1, 0xfffffff0
        mtcr    vbr, r1
        STEP    1f
        brk
        SAY     "breakpoint returned\n"
1:      la      r1, vectors
        mtcr    vbr, r1

        # 2: the table runs past the end of memory
        mfcr    r8, memsize
        SAYX    "memsize", r8
        addi    r1, r8, -16
        mtcr    vbr, r1
        SAY     "vbr = memsize - 16, brk\n"
        brk
        SAY     "still running after a breakpoint with no vector\n"
        FINISH

wrapped:
        SAY     "wrapped vector\n"
        j       trap_report
