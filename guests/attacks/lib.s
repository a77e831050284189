# lib.s — what every attack guest includes (`.include "lib.s"` first): not an
# attack itself, so tools/isolation.sh and tests/test_isolation.c skip it.
#
# Why a harness at all: an attack is only useful if its bare-metal run is a
# reference to compare against, so everything an attack observes — every
# trap it takes (cause, EPC, BADADDR, ESR), every value it reads — is printed
# on the console in one fixed format, and the run ends with a known exit
# code.  A virtualised run is then judged line by line against the native
# one.  Nothing printed may depend on cycle counts (they differ by design
# between techniques), so no timer_now, no mfcr cycle, no tick counts.
#
# What it gives an attack (the attack defines `attack:`, run in ring 0 with
# paging off, sp and ksp on the kernel stack, vbr = `vectors`):
#   SAY "text"        print text                       (clobbers r1..r5, lr)
#   SAYX "name", rN   print "name=XXXXXXXX\n"          (clobbers r1..r5, lr)
#   USAYX "name", rN  the same from ring 1..3, by system call (clobbers r1..r5)
#   USAY "text"       print "text\n" from ring 1..3, by system call (r1..r5)
#   DROP ring, label  iret to label in ring 1..3 (IE clear, sp = ustack_top)
#   UBACK label       from ring 1..3: back to ring 0 at label, by system call
#   STEP label        where the trap reporter resumes after the next trap
#   FINISH            print "done" and power off with exit code 42
#   PUT addr, value   store a word (ring 0, cannot fault: for building
#                     tables while paging is off)            (clobbers r1, r2)
#   LOAD "name", addr    lw from addr; prints "name=value", or the trap it
#                        took instead                   (clobbers r1..r5, r8, r9)
#   LOADM "name", addr   the same with A and D masked out of the value (for
#                        page-table entries when A/D are not the point)
#   STORE addr, value    sw; prints nothing, or the trap it took (r1, r2, r8, r9)
#   vectors           every cause reports itself (trap_report) except
#                     syscall (the print service above), timer (trap_timer:
#                     counts `ticks`, acknowledges) and console (trap_console:
#                     reads one byte, counts `rx`); an attack may overwrite
#                     any word of it.
# Attack code keeps its own state in r8..r13: the harness touches them only
# where a macro above says so (LOAD, LOADM, STORE use r8 and r9); the trap
# reporter clobbers r1..r5 and lr, and goes on at the STEP label, not at the
# interrupted instruction.
#
# Memory map (physical, and identity-mapped by attacks that turn paging on):
# this image from 0x1000, kernel stack and user stack in its .bss (below
# 64 KiB); attacks put page tables at 0x100000.. and data frames above.

        .equ    EXIT_DONE, 42
        .equ    EXIT_LOST, 99           # a trap with no resume point: the attack lost its way

        .macro  SAY msg
        .data
.Lsay\@: .asciz \msg
        .text
        la      r2, .Lsay\@
        call    puts
        .endm

        .macro  SAYX msg, reg
        .data
.Lsayx\@: .asciz \msg
        .text
        addi    r1, \reg, 0
        la      r2, .Lsayx\@
        call    putx
        .endm

        # From a deprivileged ring: the kernel prints for it (trap_syscall).
        .macro  USAYX msg, reg
        .data
.Lusayx\@: .asciz \msg
        .text
        addi    r1, \reg, 0
        la      r2, .Lusayx\@
        li      r3, 0
        syscall
        .endm

        .macro  USAY msg
        .data
.Lusay\@: .asciz \msg
        .text
        la      r2, .Lusay\@
        li      r3, 1
        syscall
        .endm

        .macro  DROP ring, label
        li      r1, \ring << 1
        mtcr    esr, r1
        la      r1, \label
        mtcr    epc, r1
        la      r1, ustack_top
        mtcr    usp, r1
        iret
        .endm

        .macro  UBACK label
        la      r1, \label
        li      r2, 0
        syscall
        .endm

        .macro  STEP label
        la      r1, \label
        la      r2, resume_at
        sw      r1, 0(r2)
        .endm

        .macro  PUT addr, value
        li      r1, \addr
        li      r2, \value
        sw      r2, 0(r1)
        .endm

        .macro  LOAD msg, addr
        STEP    .Lld\@
        li      r9, \addr
        lw      r8, 0(r9)
        SAYX    \msg, r8
.Lld\@:
        .endm

        .macro  LOADM msg, addr
        STEP    .Lldm\@
        li      r9, \addr
        lw      r8, 0(r9)
        li      r9, ~0x18
        and     r8, r8, r9
        SAYX    \msg, r8
.Lldm\@:
        .endm

        .macro  STORE addr, value
        STEP    .Lst\@
        li      r9, \addr
        li      r8, \value
        sw      r8, 0(r9)
.Lst\@:
        .endm

        .macro  FINISH
        SAY     "done\n"
        li      r1, EXIT_DONE
        out     power, r1
        .endm

        .text
        .global _start
_start:
        la      sp, kstack_top
        mtcr    ksp, sp
        la      r1, vectors
        mtcr    vbr, r1
        j       attack

# ---- console output (ring 0) -------------------------------------------------
# puts: the NUL-terminated string at r2.  Clobbers r2, r3.
puts:
1:      lbu     r3, 0(r2)
        beqz    r3, 2f
        out     con_data, r3
        addi    r2, r2, 1
        j       1b
2:      ret

# hex8: r1 as eight hex digits.  Clobbers r3..r5.
hex8:
        li      r3, 28
1:      srl     r4, r1, r3
        andi    r4, r4, 15
        slti    r5, r4, 10
        bnez    r5, 2f
        addi    r4, r4, 'a' - 10 - '0'
2:      addi    r4, r4, '0'
        out     con_data, r4
        addi    r3, r3, -4
        bge     r3, r0, 1b
        ret

# putx: the string at r2, '=', r1 in hex, newline.  Clobbers r1..r5.
putx:
        push    lr
        push    r1
        call    puts
        li      r3, '='
        out     con_data, r3
        pop     r1
        call    hex8
        li      r3, '\n'
        out     con_data, r3
        pop     lr
        ret

# field: " name=" then r1 in hex (r2 = name).  Clobbers r1..r5.
field:
        push    lr
        push    r1
        li      r3, ' '
        out     con_data, r3
        call    puts
        li      r3, '='
        out     con_data, r3
        pop     r1
        call    hex8
        pop     lr
        ret

# ---- the trap reporter ---------------------------------------------------------
# Any trap an attack provokes: print what the CPU saved, then go on at the
# resume point the attack set with STEP (once: a second trap without a new
# STEP means the attack lost its way, and the run ends with EXIT_LOST).  The
# interrupted registers are not preserved: the resume point is a label, and
# the attack's state lives in r8..r13, which this does not touch.
trap_report:
        la      r2, .Ltrap
        call    puts
        mfcr    r1, cause
        la      r2, .Lcause
        call    field
        mfcr    r1, epc
        la      r2, .Lepc
        call    field
        mfcr    r1, badaddr
        la      r2, .Lbad
        call    field
        mfcr    r1, esr
        la      r2, .Lesr
        call    field
        # the fault register says why a translation failed: printed for page
        # faults and bus errors, the two causes a walk can end in
        mfcr    r1, cause
        li      r2, 2
        beq     r1, r2, 1f
        li      r2, 7
        bne     r1, r2, 2f
1:      mfcr    r1, fault
        la      r2, .Lfault
        call    field
2:      li      r3, '\n'
        out     con_data, r3
        la      r2, resume_at
        lw      r1, 0(r2)
        beqz    r1, 3f
        sw      r0, 0(r2)
        mtcr    epc, r1
        iret
3:      la      r2, .Llost
        call    puts
        li      r1, EXIT_LOST
        out     power, r1

# ---- system call: the print service of deprivileged code --------------------
# r2 = label (NUL-terminated): r3 = 0 prints "label=r1", r3 = 1 prints
# "label" and a newline; returns past the syscall (EPC is already there).
# r2 = 0: the deprivileged part is over: go on in ring 0 at r1 (on the
# kernel stack, interrupts masked, as the trap left them).  Clobbers r1..r5.
trap_syscall:
        beqz    r2, 3f
        push    lr
        bnez    r3, 1f
        call    putx
        j       2f
1:      call    puts
        li      r3, '\n'
        out     con_data, r3
2:      pop     lr
        iret
3:      jr      r1

# ---- interrupts: asynchronous, so they save what they use --------------------
trap_timer:
        push    r1
        push    r2
        la      r1, ticks
        lw      r2, 0(r1)
        addi    r2, r2, 1
        sw      r2, 0(r1)
        out     timer_ack, r0
        pop     r2
        pop     r1
        iret

trap_console:
        push    r1
        push    r2
        in      r2, con_data            # the byte is taken (and dropped): the interrupt is level-triggered
        la      r1, rx
        lw      r2, 0(r1)
        addi    r2, r2, 1
        sw      r2, 0(r1)
        pop     r2
        pop     r1
        iret

        .data
        .align  4
vectors:
        .word   trap_report             # 0 illegal
        .word   trap_report             # 1 protection
        .word   trap_report             # 2 page fault
        .word   trap_report             # 3 divide
        .word   trap_report             # 4 breakpoint
        .word   trap_syscall            # 5 syscall
        .word   trap_report             # 6 misaligned
        .word   trap_report             # 7 bus error
        .word   trap_report             # 8 double fault
        .word   trap_timer              # 9 timer
        .word   trap_console            # 10 console
        .word   trap_report             # 11 hypercall
        .word   trap_report, trap_report, trap_report, trap_report
resume_at: .word 0
ticks:  .word   0
rx:     .word   0
.Ltrap:  .asciz "trap"
.Lcause: .asciz "cause"
.Lepc:   .asciz "epc"
.Lbad:   .asciz "bad"
.Lesr:   .asciz "esr"
.Lfault: .asciz "fault"
.Llost:  .asciz "trap with no resume point: lost\n"

        .bss
        .align  4
        .space  4096
kstack_top:
        .space  4096
ustack_top:
