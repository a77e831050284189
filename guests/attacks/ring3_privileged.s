# ring3_privileged.s — deprivileged code tries every privileged and
# sensitive instruction: hlt, in and out on the power, console and timer
# ports, mtcr/mfcr of the paging registers and others, invlpg, tlbflush,
# cli/sti/iret, and the red pills sptb, smsw, pushf and popf.
#
# It runs in ring 3, or in ring 1 with `--args 1` (rings 1 and 2 are as
# deprivileged as ring 3, docs/isa.md).  A hypervisor must not let the
# guest's own user code do what bare metal would refuse it, just because
# the instruction is one the hypervisor intercepts anyway.
#
# Bare metal: every privileged instruction is a protection fault (cause 1,
# EPC the instruction, ESR the deprivileged ring); on the strict ISA so are
# the four red pills, which on the classic ISA run and show the real SR
# (ring, IE) and page-table base: those lines start "pill" — under
# trap-and-emulate on classic they show the hypervisor's values, Popek and
# Goldberg's point, and differ by design.  Afterwards the kernel prints its
# control registers and the timer period: nothing the deprivileged code
# tried may have changed them.  Exit code 42.
        .include "lib.s"

        .text
attack:
        # recognisable values the deprivileged code must neither see nor change
        li      r1, 0x00345000
        mtcr    ptb, r1
        li      r1, 0x77
        mtcr    asid, r1
        lbu     r1, 0x100(r0)           # --args: '1' = ring 1, else ring 3
        li      r2, '1'
        beq     r1, r2, 1f
        SAY     "ring 3\n"
        DROP    3, deprivileged
1:      SAY     "ring 1\n"
        DROP    1, deprivileged

deprivileged:
        # ---- the red pills: sensitive, privileged only on strict --------
        USAY    "try sptb"
        STEP    1f
        sptb    r8
        USAYX   "pill sptb", r8
1:      USAY    "try smsw"
        STEP    1f
        smsw    r8
        USAYX   "pill smsw", r8
1:      USAY    "try pushf"
        STEP    1f
        pushf
        pop     r8
        USAYX   "pill pushf", r8
1:      USAY    "try popf"
        la      sp, ustack_top
        STEP    1f
        li      r8, 1                   # IE = 1: silently ignored outside ring 0
        push    r8
        popf
        smsw    r8
        USAYX   "pill popf then smsw", r8
1:      la      sp, ustack_top
        # ---- privileged everywhere -----------------------------------------
        USAY    "try mfcr sr"
        STEP    1f
        mfcr    r8, sr
        USAYX   "  ran, sr", r8
1:      USAY    "try mfcr ptb"
        STEP    1f
        mfcr    r8, ptb
        USAYX   "  ran, ptb", r8
1:      USAY    "try mfcr asid"
        STEP    1f
        mfcr    r8, asid
        USAYX   "  ran, asid", r8
1:      USAY    "try mfcr mmu"
        STEP    1f
        mfcr    r8, mmu
        USAYX   "  ran, mmu", r8
1:      USAY    "try mfcr memsize"
        STEP    1f
        mfcr    r8, memsize
        USAYX   "  ran, memsize", r8
1:      USAY    "try mfcr levels"
        STEP    1f
        mfcr    r8, levels
        USAYX   "  ran, levels", r8
1:      USAY    "try mfcr cycle"
        STEP    1f
        mfcr    r8, cycle
        USAY    "  ran"
1:      USAY    "try mtcr ptb"
        li      r9, 0x00100000
        STEP    1f
        mtcr    ptb, r9
        USAY    "  ran"
1:      USAY    "try mtcr asid"
        li      r9, 0x1234
        STEP    1f
        mtcr    asid, r9
        USAY    "  ran"
1:      USAY    "try mtcr mmu"
        STEP    1f
        mtcr    mmu, r0
        USAY    "  ran"
1:      USAY    "try mtcr vbr"
        la      r9, vectors2
        STEP    1f
        mtcr    vbr, r9
        USAY    "  ran"
1:      USAY    "try mtcr sr"
        STEP    1f
        mtcr    sr, r0                  # ring 0, if it were allowed
        USAY    "  ran"
1:      USAY    "try mtcr memsize"
        li      r9, 0x1000
        STEP    1f
        mtcr    memsize, r9
        USAY    "  ran"
1:      USAY    "try invlpg"
        STEP    1f
        invlpg  r0
        USAY    "  ran"
1:      USAY    "try tlbflush"
        STEP    1f
        tlbflush
        USAY    "  ran"
1:      USAY    "try cli"
        STEP    1f
        cli
        USAY    "  ran"
1:      USAY    "try sti"
        STEP    1f
        sti
        USAY    "  ran"
1:      USAY    "try iret"
        STEP    1f
        iret
        USAY    "  ran"
1:      USAY    "try in con_status"
        STEP    1f
        in      r8, con_status
        USAYX   "  ran, in", r8
1:      USAY    "try in con_data"
        STEP    1f
        in      r8, con_data
        USAYX   "  ran, in", r8
1:      USAY    "try in timer_period"
        STEP    1f
        in      r8, timer_period
        USAYX   "  ran, in", r8
1:      USAY    "try in timer_now"
        STEP    1f
        in      r8, timer_now
        USAY    "  ran"
1:      USAY    "try in power"
        STEP    1f
        in      r8, power
        USAYX   "  ran, in", r8
1:      USAY    "try out con_data"
        li      r9, '!'
        STEP    1f
        out     con_data, r9
        USAY    "  ran"
1:      USAY    "try out con_ctrl"
        li      r9, 1
        STEP    1f
        out     con_ctrl, r9
        USAY    "  ran"
1:      USAY    "try out timer_period"
        li      r9, 1000
        STEP    1f
        out     timer_period, r9
        USAY    "  ran"
1:      USAY    "try out timer_ack"
        STEP    1f
        out     timer_ack, r0
        USAY    "  ran"
        # last, the two that would end the machine if they ran
1:      USAY    "try hlt"
        STEP    1f
        hlt
        USAY    "  ran"
1:      USAY    "try out power"
        li      r9, 77
        STEP    1f
        out     power, r9
        USAY    "  ran"
1:      UBACK   kernel_again

kernel_again:
        # the kernel's own state, which none of that may have touched
        mfcr    r8, ptb
        SAYX    "kernel ptb", r8
        mfcr    r8, asid
        SAYX    "kernel asid", r8
        mfcr    r8, mmu
        SAYX    "kernel mmu", r8
        mfcr    r8, vbr
        la      r9, vectors
        sub     r8, r8, r9
        SAYX    "kernel vbr - vectors", r8
        in      r8, timer_period
        SAYX    "kernel timer_period", r8
        mfcr    r8, sr
        SAYX    "kernel sr", r8
        FINISH

        .data
        .align  4
vectors2:                               # a vector table ring 3 may not install
        .word   trap_report, trap_report, trap_report, trap_report
        .word   trap_report, trap_syscall, trap_report, trap_report
        .word   trap_report, trap_timer, trap_console, trap_report
        .word   trap_report, trap_report, trap_report, trap_report
