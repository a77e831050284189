# tables_point_outside.s — page-table entries that lead past the end of the
# guest's memory, at every level: a root entry whose table lies outside
# (just past the end, and far), bottom-level entries whose frames do, a
# large page wholly outside, and a large page that starts inside and reaches
# past the end (with --mem 14M, the 4 MiB page at 12 MiB is half outside),
# plus a large page whose frame has its low bits set (the walker ignores
# them).  Reads, writes and an instruction fetch through each; then the same
# with paging off, by physical address.
#
# Run it with --mem 14M: the memory then ends inside a large page, and under
# a hypervisor the 2 MiB after it are nobody's (the VM's region is 16 MiB).
#
# Bare metal: a table outside memory is a bus error (cause 7, BADADDR the
# virtual address); so is an access whose physical address is past the end;
# whatever lies inside reads back what was written.  A hypervisor must turn
# each into the guest's bus error, never into an access to host memory that
# is not the guest's.  Exit code 42.
        .include "lib.s"

        .equ    PW, 0x3
        .equ    LPW, 0x23
        .equ    R, 0x100000
        .equ    T, 0x101000

        .text
attack:
        mfcr    r8, memsize
        SAYX    "memsize", r8
        PUT     R + 4 * 0, 0x000000 | LPW        # this code
        PUT     R + 4 * 1, 0x01000000 | PW       # a table at 16 MiB: outside
        PUT     R + 4 * 2, T | PW
        PUT     T + 4 * 0, 0x00e00000 | PW       # the first frame past 14 MiB
        PUT     T + 4 * 1, 0xfffff000 | PW       # the last frame of the address space
        PUT     T + 4 * 2, 0x00dff000 | PW       # the last frame inside
        PUT     R + 4 * 3, 0x01000000 | LPW      # a large page wholly outside
        PUT     R + 4 * 4, 0x00c00000 | LPW      # 12..16 MiB: half inside
        PUT     R + 4 * 5, 0x00c01000 | LPW      # the same, with low frame bits set
        PUT     R + 4 * 6, 0xfffff000 | PW       # a table far outside
        PUT     0x00dff000, 0x5afe0001
        li      r1, R
        mtcr    ptb, r1
        li      r1, 1
        mtcr    mmu, r1
        SAY     "paging on\n"

        # root level: the table itself is outside
        LOAD    "table at 16M", 0x00400000
        STORE   0x00400000, 0xdeadbeef
        LOAD    "table at 0xfffff000", 0x01800000
        STORE   0x01800000, 0xdeadbeef
        # bottom level: frames outside, and the last one inside
        LOAD    "frame 0xe00000", 0x00800000
        STORE   0x00800000, 0xdeadbeef
        LOAD    "frame 0xfffff000", 0x00801000
        STORE   0x00801ffc, 0xdeadbeef
        LOAD    "frame 0xdff000", 0x00802000
        STORE   0x00802004, 0x5afe0002
        LOAD    "frame 0xdff000 + 4", 0x00802004
        # large pages
        LOAD    "large page at 16M", 0x00c00000
        STORE   0x00c00000, 0xdeadbeef
        LOAD    "large page at 12M, 2M-4K in", 0x011ff000
        LOAD    "large page at 12M, 2M-4K+4 in", 0x011ff004
        LOAD    "large page at 12M, 2M in", 0x01200000
        STORE   0x01200000, 0xdeadbeef
        LOAD    "large page at 12M, 4M-4K in", 0x013ff000
        STORE   0x013ffffc, 0xdeadbeef
        LOAD    "large page with low bits, 2M-4K in", 0x015ff000
        LOAD    "large page with low bits, 2M in", 0x01600000
        # an instruction fetch past the end
        STEP    1f
        li      r1, 0x01200000
        jr      r1
        SAY     "fetched past the end\n"
1:      STEP    1f
        li      r1, 0x00800000
        jr      r1
        SAY     "fetched past the end\n"
1:
        # paging off: physical addresses
        mtcr    mmu, r0
        SAY     "paging off\n"
        LOAD    "phys 0xdffffc", 0x00dffffc
        STORE   0x00dffffc, 0x5afe0003
        LOAD    "phys 0xdffffc again", 0x00dffffc
        LOAD    "phys 0xe00000", 0x00e00000
        STORE   0x00e00000, 0xdeadbeef
        LOAD    "phys 0xfff000", 0x00fff000
        STORE   0x00fff000, 0xdeadbeef
        LOAD    "phys 0x1000000", 0x01000000
        STORE   0x01000000, 0xdeadbeef
        LOAD    "phys 0xfffffffc", 0xfffffffc
        STORE   0xfffffffc, 0xdeadbeef
        STEP    1f
        li      r1, 0x00e00000
        jr      r1
        SAY     "fetched past the end\n"
1:      FINISH
