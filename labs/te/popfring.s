# popfring.s — what pushf, popf and smsw show the guest kernel, in ring 0
# with paging off: pushf pushes ring 0 (never the ring it really runs in),
# popf changes IE and nothing else (a popped word with ring bits set leaves
# the ring at 0, so mtcr and iret still work), and sp moves by 4 each.
# Prints the SR each step sees and the trap, if any, a privileged
# instruction then meets.  Natively: 00000000 00000006 00000000 00000001
# 00000000 00000000 then "done".  (labs/te; compared with bare metal)
.text
_start: la r1, vectors
 mtcr vbr, r1
 li sp, 0x3f0000
 mov r11, sp
 pushf                  # the SR ring 0 sees, IE clear
 lw r1, 0(sp)
 andi r1, r1, 7
 call hex
 li r1, 6               # ring 3 in the word popf pops
 sw r1, 0(sp)
 lw r1, 0(sp)
 call hex
 popf
 smsw r1                # still ring 0
 andi r1, r1, 7
 call hex
 li r1, 7               # IE set, ring 3 again: only IE changes
 addi sp, sp, -4
 sw r1, 0(sp)
 popf
 smsw r1
 andi r1, r1, 7
 call hex
 cli
 mfcr r1, sr            # privileged: faults if the ring has moved
 andi r1, r1, 7
 call hex
 sub r1, sp, r11        # sp back where it started
 call hex
 la r1, done
 call puts
 out power, r0

# trap: prints "trap" and the cause, and stops.
trap: la r1, msg_trap
 call puts
 mfcr r1, cause
 call hex
 li r1, 1
 out power, r1

.include "../lib.inc"

.data
.align 4
vectors: .word trap, trap, trap, trap, trap, trap, trap, trap
 .word trap, trap, trap, trap, trap, trap, trap, trap
done: .asciz "done\n"
msg_trap: .asciz "trap "
