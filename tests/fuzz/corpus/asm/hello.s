# hello.s — the smallest ringsim program: print a line on the console, then
# stop the machine with exit code 0.  Runs in ring 0 with paging off.
        .text
        .global _start
_start:
        la      r1, message
1:      lbu     r2, 0(r1)               # next byte of the string
        beqz    r2, 2f                  # NUL: done
        out     con_data, r2            # privileged I/O: ring 0 may
        addi    r1, r1, 1
        j       1b
2:      out     power, r0               # exit code 0

        .data
message:
        .asciz  "hello, ring 0\n"
