# selfcheck.s — the kernel checks that its red pills told the truth.
#
# Four instructions are sensitive but, on the classic ISA, not privileged
# (docs/isa.md, "Popek and Goldberg"): pushf, popf, smsw and sptb.  This
# kernel uses them where real kernels do — saving and restoring the interrupt
# flag around critical sections (defs.s, CRIT_ENTER/CRIT_EXIT), reading the
# status word, reading back the page-table base — and checks each time that
# the machine answered as ring 0 hardware must:
#   - right after cli, pushf must show IE=0;
#   - popf of a saved IE=1 must leave IE=1 (seen with pushf);
#   - smsw must say ring 0 (at boot and at every timer tick and switch);
#   - sptb must return the ptb the kernel just wrote.
# Natively all four always hold and nothing is printed.  A kernel run
# deprivileged by trap-and-emulate on the classic ISA executes these without
# trapping, sees through the virtual machine, and says so in one line per
# kind ("RED PILL: ..."), printed at most once per boot so that the output
# stays short and deterministic.  The kernel then carries on.
#
# Every function here preserves every register (they are called from inside
# critical sections and from trap paths), and uses the stack only in pairs.

        .text

# Each check saves lr and r1..r4 (what it and the console functions use),
# and keeps one scratch word at 0(sp): SAVE_R1_R4/RESTORE_R1_R4 are that
# 24-byte frame.
        .macro  SAVE_R1_R4
        addi    sp, sp, -24
        sw      lr, 20(sp)
        sw      r1, 16(sp)
        sw      r2, 12(sp)
        sw      r3, 8(sp)
        sw      r4, 4(sp)
        .endm
        .macro  RESTORE_R1_R4
        lw      r4, 4(sp)
        lw      r3, 8(sp)
        lw      r2, 12(sp)
        lw      r1, 16(sp)
        lw      lr, 20(sp)
        addi    sp, sp, 24
        .endm

# check_ring: smsw must say ring 0.
check_ring:
        .if     PV                      # a paravirtual kernel knows its ring
        ret                             # and runs no red pill
        .endif
        SAVE_R1_R4
        smsw    r1                      # the red pill: SR, with the real ring
        andi    r1, r1, SR_RING_MASK
        beqz    r1, 1f
        srli    r1, r1, 1
        sw      r1, 0(sp)               # the ring it saw
        li      r1, RP_RING
        call    redpill_once
        beqz    r1, 1f
        la      r1, msg_rp_ring1
        call    kputs
        lw      r1, 0(sp)
        call    kputdec
        la      r1, msg_rp_ring2
        call    kputs
1:      RESTORE_R1_R4
        ret

# check_cli: called right after cli; pushf must show IE=0.
check_cli:
        SAVE_R1_R4
        pushf                           # the red pill: SR with the real IE
        lw      r1, 0(sp)
        addi    sp, sp, 4
        andi    r1, r1, SR_IE
        beqz    r1, 1f
        li      r1, RP_CLI
        call    redpill_once
        beqz    r1, 1f
        la      r1, msg_rp_cli
        call    kputs
1:      RESTORE_R1_R4
        ret

# check_popf_before: called just before popf, whose word is at 4(sp) on
# entry (CRIT_EXIT pushed lr above it).  Remembers that word's IE bit, for
# check_popf_after to compare with what popf really did.
check_popf_before:
        addi    sp, sp, -8
        sw      r1, 4(sp)
        sw      r2, 0(sp)
        lw      r1, 12(sp)              # the SR saved by CRIT_ENTER's pushf
        andi    r1, r1, SR_IE
        la      r2, popf_expect
        sw      r1, 0(r2)
        lw      r2, 0(sp)
        lw      r1, 4(sp)
        addi    sp, sp, 8
        ret

# check_popf_after: if popf was to bring IE back to 1, pushf must show it.
check_popf_after:
        SAVE_R1_R4
        la      r1, popf_expect
        lw      r1, 0(r1)
        beqz    r1, 1f                  # popf restored IE=0: nothing to see
        pushf
        lw      r1, 0(sp)
        addi    sp, sp, 4
        andi    r1, r1, SR_IE
        bnez    r1, 1f
        li      r1, RP_POPF
        call    redpill_once
        beqz    r1, 1f
        la      r1, msg_rp_popf
        call    kputs
1:      RESTORE_R1_R4
        ret

# check_ptb(r1 = the ptb just written): sptb must read it back.
check_ptb:
        SAVE_R1_R4
        sptb    r2                      # the red pill: the real page-table base
        beq     r2, r1, 1f
        sw      r2, 0(sp)               # what it saw
        li      r1, RP_PTB
        call    redpill_once
        beqz    r1, 1f
        la      r1, msg_rp_ptb1
        call    kputs
        lw      r1, 0(sp)
        call    kputhex
        la      r1, msg_rp_ptb2
        call    kputs
        lw      r1, 16(sp)              # what we wrote
        call    kputhex
        li      r1, '\n'
        call    kputc
1:      RESTORE_R1_R4
        ret

# redpill_once(r1 = RP_ kind) -> r1 = 1 the first time this kind is seen in
# this boot (the caller prints its line), else 0.  Clobbers only r1.
redpill_once:
        addi    sp, sp, -8
        sw      r2, 4(sp)
        sw      r3, 0(sp)
        mov     r3, r1                  # r3 = the kind's bit
        la      r2, redpills_said
        lw      r1, 0(r2)
        and     r1, r1, r3
        bnez    r1, 1f                  # said before: stay quiet
        lw      r1, 0(r2)
        or      r1, r1, r3
        sw      r1, 0(r2)
        li      r1, 1
        j       2f
1:      li      r1, 0
2:      lw      r3, 0(sp)
        lw      r2, 4(sp)
        addi    sp, sp, 8
        ret

        .data
        .align  4
popf_expect:    .word   0               # IE bit the pending popf restores
redpills_said:  .word   0               # RP_ bits already printed
msg_rp_ring1:   .asciz  "RED PILL: smsw says ring "
msg_rp_ring2:   .asciz  ", expected ring 0\n"
msg_rp_cli:     .asciz  "RED PILL: pushf shows IE=1 right after cli\n"
msg_rp_popf:    .asciz  "RED PILL: popf did not restore IE=1\n"
msg_rp_ptb1:    .asciz  "RED PILL: sptb says page-table base "
msg_rp_ptb2:    .asciz  ", expected "
