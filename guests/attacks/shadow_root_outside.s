# shadow_root_outside.s — the page-table base outside the guest's memory.
#
# The guest first writes a root of its own choosing at physical address 0
# (identity-mapping its code with a large page, and mapping VA 0x01000000..
# with large pages to 16 MiB and up: past its memory, where a hypervisor
# keeps its own tables) — bait for a hypervisor that, finding no shadow for
# a root outside the VM, falls back to frame 0.  Then it loads ptb with a
# root outside its memory and turns paging on:
#   --args ""  (default)  ptb = 0x01000000, just past the end, then mmu = 1
#   --args f              ptb = 0xfffff000, far past it
#   --args s              paging already on with a good root, then ptb =
#                         0x01000000 and tlbflush (without it the code would
#                         go on running from the TLB, on bare metal too)
# and, if it is still running, reads and writes through the bait.
#
# Bare metal: the next instruction fetch walks a table outside memory: a bus
# error; the handler's fetch walks it too (a double fault), and so does the
# double-fault handler's: a triple fault, the machine stops (exit status
# 125) after printing only what came before.  A virtualised guest must stop
# the same way, and never run on a table it was not given.
        .include "lib.s"

        .equ    PW, 0x3
        .equ    LPW, 0x23
        .equ    R, 0x100000

        .text
attack:
        lbu     r10, 0x100(r0)          # the variant, before the bait overwrites page 0
        PUT     0x0, 0x000000 | LPW     # bait: VA 0..4M -> 0 (this code)
        PUT     0x10, 0x01000000 | LPW  # bait: VA 16M.. -> host 16M (not this guest's)
        PUT     0x14, 0x01400000 | LPW
        PUT     0x18, 0x01800000 | LPW
        PUT     R, 0x000000 | LPW       # a good root, for variant s
        li      r1, 's'
        bne     r10, r1, 1f
        li      r1, R
        mtcr    ptb, r1
        li      r1, 1
        mtcr    mmu, r1
        SAY     "paging on with a good root; now ptb = 0x01000000\n"
        li      r1, 0x01000000
        mtcr    ptb, r1
        tlbflush
        j       still_running
1:      li      r1, 'f'
        bne     r10, r1, 2f
        SAY     "ptb = 0xfffff000, paging on\n"
        li      r1, 0xfffff000
        j       3f
2:      SAY     "ptb = 0x01000000, paging on\n"
        li      r1, 0x01000000
3:      mtcr    ptb, r1
        li      r1, 1
        mtcr    mmu, r1
still_running:
        # bare metal never gets here
        SAY     "still running after loading a root outside memory\n"
        LOAD    "VA 0x01000000", 0x01000000
        LOAD    "VA 0x01400000", 0x01400000
        STORE   0x01000000, 0xdeadbeef
        STORE   0x01400000, 0xdeadbeef
        FINISH
