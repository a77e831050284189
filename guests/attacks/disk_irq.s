# disk_irq.s — the block device's completion interrupt (cause 12) handled
# oddly from ring 0: enabled with garbage, acknowledged when nothing is
# done, never acknowledged (so it is taken again at every iret), raised by
# a flood of commands, masked and unmasked with a command done, and aimed
# at a vector outside memory.  Every command is refused (count 0:
# bad_count, whether or not a disk is attached), so every one is done at
# once and its interrupt comes at the `out` that started it — the same
# instruction in every mode, which is what lets the runs be compared line
# by line (tests/test_disk_irq.c runs it with a disk too).
#
# Bare metal: the counts below; under a hypervisor the same, no interrupt
# reaches another VM, and the simulator survives.  Exit code 42.
        .include "lib.s"

        .equ    FLOOD, 200
        .equ    STORM, 100              # the unacknowledged interrupt, taken this often

        # START: a refused command (count 0), done at once
        .macro  START
        out     disk_count, r0
        li      r10, 1
        out     disk_cmd, r10
        .endm

        .text
attack:
        la      r1, disk_handler        # vector 12: ours
        la      r2, vectors
        sw      r1, 48(r2)
        li      r12, 0                  # the handler acknowledges (r12 = 0) or not
        li      r13, 0                  # interrupts taken
        # enabled with garbage: only bit 0 counts
        li      r8, -1
        out     disk_ctrl, r8
        in      r8, disk_ctrl
        SAYX    "disk_ctrl after -1", r8
        # acknowledged with nothing done: nothing changes
        out     disk_ack, r8
        in      r8, disk_status
        SAYX    "status before any command", r8
        # a flood with interrupts masked: one level, raised
        li      r9, FLOOD
1:      START
        addi    r9, r9, -1
        bnez    r9, 1b
        in      r8, disk_status
        SAYX    "status after the masked flood", r8
        SAYX    "taken while masked", r13
        sti                             # the raised line comes in here, once
        nop
        cli
        SAYX    "taken at sti", r13
        # a flood with interrupts on: one each, at the out that starts it
        li      r13, 0
        li      r9, FLOOD
        sti
2:      START
        addi    r9, r9, -1
        bnez    r9, 2b
        cli
        SAYX    "taken in the flood", r13
        # never acknowledged: level-triggered, taken again at every iret
        li      r13, 0
        li      r12, STORM
        sti
        START
        nop
        cli
        li      r12, 0
        SAYX    "taken unacknowledged", r13
        # disabled: a command is done, nothing is taken
        li      r13, 0
        out     disk_ctrl, r0
        sti
        START
        nop
        in      r8, disk_status
        cli
        SAYX    "status with the interrupt off", r8
        SAYX    "taken with the interrupt off", r13
        # enabled again with that command done: taken at once
        li      r8, 1
        sti
        out     disk_ctrl, r8
        nop
        cli
        SAYX    "taken when enabled again", r13
        # the write-only port, read
        in      r8, disk_ack
        SAYX    "disk_ack read", r8
        # a vector outside memory: the interrupt's entry is a bus error,
        # a double fault, which turns the interrupt off and is reported by
        # the harness (which resumes with the interrupted IE: on)
        la      r1, double_fault
        la      r2, vectors
        sw      r1, 32(r2)
        li      r1, 0xfffffff0
        sw      r1, 48(r2)
        STEP    3f
        sti
        START
        nop
3:      cli
        out     disk_ctrl, r0
        in      r8, disk_status
        SAYX    "status after the double fault", r8
        FINISH

double_fault:
        out     disk_ctrl, r0
        j       trap_report

# r13 counts; with r12 > 0 it leaves the interrupt raised until it has
# been taken r12 times.  Uses r10 and r11 only (attack code keeps them free
# where an interrupt can come).
disk_handler:
        addi    r13, r13, 1
        bltu    r13, r12, 1f
        out     disk_ack, r0
1:      iret
