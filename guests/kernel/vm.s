# vm.s — page tables: the kernel's identity map and every process's
# address space, for a machine with 2, 3 or 4 levels.
#
# The one idea: the machine says how many levels its page tables have (CR
# levels), and everything here is a loop over levels driven by three small
# tables computed at boot (vm_geometry): how many index bits each level
# takes, where its index sits in a virtual address, and how many entries its
# table has.  There is no "if 4 levels" anywhere.  With 2 levels a virtual
# page number splits 10/10, with 3 levels 8/6/6, with 4 levels 5/5/5/5, and
# every table, however few its entries, has a 4 KiB page of its own.
#
# Address spaces.  The kernel's identity map (virtual = physical, from 0x1000
# to the end of the memory it uses; supervisor-only and global) lives in
# tables built once at boot, under the kernel root `kroot`.  A process's root
# table starts as a copy of kroot's few kernel entries — pointers to the same
# lower-level tables, so every address space shares the kernel's tables
# instead of copying them — and the user's entries, from USER_BASE up, point
# at tables of its own.  Since USER_BASE (1 GiB) is a multiple of what one
# root entry spans at every depth (4, 64 or 128 MiB), kernel and user never
# share a root entry, and tearing down a process frees exactly the tables
# under its own root entries.
#
# Every address the kernel holds is physical, and the identity map makes it
# usable with paging on: the kernel reads and writes page tables, frames and
# user data through their physical addresses.

        .text

# vm_geometry(r1 = levels): fills nlevels and the per-level tables below.
# The 20-bit page number is split evenly; the root takes what is left over.
vm_geometry:
        addi    r2, r1, -2
        sltiu   r2, r2, MAX_LEVELS - 1  # 2..MAX_LEVELS?
        beqz    r2, 9f
        la      r2, nlevels
        sw      r1, 0(r2)
        li      r3, 20
        divu    r4, r3, r1              # r4 = bits of every level ...
        mul     r5, r4, r1
        sub     r5, r3, r5              # r5 = ... plus these for the root
        li      r6, PAGE_SHIFT          # r6 = shift of the level's index
        addi    r7, r1, -1              # r7 = level, bottom first
1:      mov     r3, r4
        bnez    r7, 2f
        add     r3, r3, r5              # the root's bits
2:      slli    r2, r7, 2
        la      r1, lv_bits
        add     r1, r1, r2
        sw      r3, 0(r1)
        la      r1, lv_shift
        add     r1, r1, r2
        sw      r6, 0(r1)
        la      r1, lv_entries
        add     r1, r1, r2
        li      r2, 1
        sll     r2, r2, r3
        sw      r2, 0(r1)
        add     r6, r6, r3              # the next level up sits above this one
        addi    r7, r7, -1
        bge     r7, r0, 1b
        ret
9:      PANIC   "vm_geometry: the machine reports an unsupported number of levels"

# walk(r1 = root, r2 = va, r3 = table flags) -> r1 = physical address of the
# bottom-level entry for va, or 0.  Missing tables on the way are allocated
# and entered with `table flags` (PTE_P|PTE_W, plus PTE_U for user space);
# with table flags 0 nothing is allocated and a missing table returns 0.
# Like the MMU, it takes the index of each level from va, root first.
walk:
        addi    sp, sp, -28
        sw      lr, 24(sp)
        sw      r8, 20(sp)
        sw      r9, 16(sp)
        sw      r10, 12(sp)
        sw      r11, 8(sp)
        sw      r12, 4(sp)
        sw      r13, 0(sp)
        mov     r8, r1                  # r8 = the table of this level
        mov     r9, r2                  # r9 = va
        mov     r10, r3                 # r10 = flags for new tables
        li      r11, 0                  # r11 = level (0 = root)
        la      r12, nlevels
        lw      r12, 0(r12)
        addi    r12, r12, -1            # r12 = the bottom level
1:      slli    r4, r11, 2
        la      r5, lv_shift
        add     r5, r5, r4
        lw      r6, 0(r5)
        la      r5, lv_entries
        add     r5, r5, r4
        lw      r7, 0(r5)
        addi    r7, r7, -1              # index mask
        srl     r6, r9, r6
        and     r6, r6, r7
        slli    r6, r6, 2
        add     r13, r8, r6             # r13 = &table[index]
        beq     r11, r12, 3f            # the bottom level: this is the entry
        lw      r4, 0(r13)
        andi    r5, r4, PTE_P
        bnez    r5, 2f
        beqz    r10, 4f                 # no table, and not asked to make one
        addi    r1, r11, 1
        call    kalloc_table
        beqz    r1, 4f
        or      r4, r1, r10
        PTE_SET r13, r4
2:      srli    r8, r4, PAGE_SHIFT      # follow the entry down
        slli    r8, r8, PAGE_SHIFT
        addi    r11, r11, 1
        j       1b
3:      mov     r1, r13
        j       5f
4:      li      r1, 0
5:      lw      r13, 0(sp)
        lw      r12, 4(sp)
        lw      r11, 8(sp)
        lw      r10, 12(sp)
        lw      r9, 16(sp)
        lw      r8, 20(sp)
        lw      lr, 24(sp)
        addi    sp, sp, 28
        ret

# mappages(r1 = root, r2 = va, r3 = pa, r4 = bytes, r5 = leaf flags)
# -> r1 = 0, or -1 if a table could not be allocated.  Maps the page-aligned
# range va.. to pa.. .  One walk per bottom-level table, then a run of
# consecutive entries in it.  Mapping over a present entry is a kernel bug.
mappages:
        addi    sp, sp, -28
        sw      lr, 24(sp)
        sw      r8, 20(sp)
        sw      r9, 16(sp)
        sw      r10, 12(sp)
        sw      r11, 8(sp)
        sw      r12, 4(sp)
        sw      r13, 0(sp)
        mov     r8, r1                  # root
        mov     r9, r2                  # va
        mov     r10, r3                 # pa
        add     r11, r2, r4             # end
        mov     r12, r5                 # leaf flags
        andi    r13, r5, PTE_U          # tables: present, writable, and user
        ori     r13, r13, PTE_P | PTE_W #   if the leaves are
        la      r7, nlevels             # r7 = entries in a bottom table - 1
        lw      r7, 0(r7)
        slli    r7, r7, 2
        la      r6, lv_entries - 4
        add     r6, r6, r7
        lw      r7, 0(r6)
        addi    r7, r7, -1
        push    r7
1:      bgeu    r9, r11, 4f             # done?
        mov     r1, r8
        mov     r2, r9
        mov     r3, r13
        call    walk
        beqz    r1, 5f
        lw      r7, 0(sp)
2:      lw      r2, 0(r1)
        andi    r2, r2, PTE_P
        bnez    r2, 6f
        or      r2, r10, r12
        PTE_QUEUE r1, r2                # sent at the end (PTE_FLUSH)
        addi    r1, r1, 4
        addi    r9, r9, PAGE_SIZE
        addi    r10, r10, PAGE_SIZE
        bgeu    r9, r11, 4f
        srli    r2, r9, PAGE_SHIFT      # still inside the same bottom table?
        and     r2, r2, r7
        bnez    r2, 2b
        j       1b                      # no: walk to the next one
4:      li      r1, 0
        j       7f
5:      li      r1, -1
7:      PTE_FLUSH
        addi    sp, sp, 4
        lw      r13, 0(sp)
        lw      r12, 4(sp)
        lw      r11, 8(sp)
        lw      r10, 12(sp)
        lw      r9, 16(sp)
        lw      r8, 20(sp)
        lw      lr, 24(sp)
        addi    sp, sp, 28
        ret
6:      PANIC   "mappages: remap"

# kvminit: build the kernel's tables.  The kernel's text is mapped read-only
# (a stray store into it faults even in ring 0, since writes need W at every
# level); its data, its stack and every frame of the pool read-write.  Page
# 0 stays unmapped: a null pointer faults.
kvminit:
        push    lr
        li      r1, 0
        call    kalloc_table
        beqz    r1, 9f
        la      r2, kroot
        sw      r1, 0(r2)
        li      r2, PAGE_SIZE           # text: 0x1000 .. etext
        li      r3, PAGE_SIZE
        la      r4, etext
        sub     r4, r4, r2
        li      r5, PTE_P | PTE_G
        call    mappages
        bnez    r1, 9f
        la      r1, kroot               # data, bss and the pool: etext .. mem_top
        lw      r1, 0(r1)
        la      r2, etext
        mov     r3, r2
        la      r4, mem_top
        lw      r4, 0(r4)
        sub     r4, r4, r2
        li      r5, PTE_P | PTE_W | PTE_G
        call    mappages
        bnez    r1, 9f
        # How many root entries the kernel uses (a process copies these),
        # and the first root entry of user space.
        la      r1, lv_shift
        lw      r1, 0(r1)               # shift of the root index
        la      r2, mem_top
        lw      r2, 0(r2)
        addi    r2, r2, -1
        srl     r2, r2, r1
        addi    r2, r2, 1
        la      r3, kern_root_entries
        sw      r2, 0(r3)
        li      r2, USER_BASE
        srl     r2, r2, r1
        la      r3, user_root_first
        sw      r2, 0(r3)
        pop     lr
        ret
9:      PANIC   "kvminit: out of memory for the kernel page tables"

# load_ptb(r1 = root, r2 = asid): make it the MMU's address space.  Writes
# the control registers only when they change, then reads the base back with
# sptb, which must agree (selfcheck.s).  An ASID tags the TLB entries a
# process fills, so switching needs no TLB flush; the kernel's global
# entries match every ASID.
load_ptb:
        la      r3, cur_ptb
        lw      r4, 0(r3)
        la      r5, cur_asid
        lw      r6, 0(r5)
        bne     r4, r1, 1f
        bne     r6, r2, 1f
        ret
1:      sw      r1, 0(r3)
        sw      r2, 0(r5)
        .if     PV                      # the hypervisor checks the root is
        push    r1                      # one it validated (HC_PIN)
        push    r2
        mov     r3, r2
        mov     r2, r1
        HYPERCALL HC_NEW_BASEPTR
        bnez    r1, 9f
        pop     r2
        pop     r1
        ret
9:      PANIC   "load_ptb: the hypervisor refused the page-table root"
        .else
        mtcr    asid, r2
        mtcr    ptb, r1
        j       check_ptb               # tail call; it preserves everything
        .endif

# switch_kvm: run on the kernel's own table (before a process's is freed).
switch_kvm:
        la      r1, kroot
        lw      r1, 0(r1)
        li      r2, 0
        j       load_ptb

# switch_uvm(r1 = proc): run on the process's table, with its ASID.
# ASIDs are handed out in generations, as Linux does on ARM and x86 (PCID):
# the next free number goes to a process whose number is from an older
# generation; when the numbers run out, every TLB entry is dropped and a new
# generation begins.  A dead process's number is thus never reused while
# its TLB entries could still hit.
switch_uvm:
        lw      r2, P_ASIDGEN(r1)
        la      r3, asid_gen
        lw      r4, 0(r3)
        beq     r2, r4, 2f              # its ASID is still good
        la      r5, asid_next
        lw      r6, 0(r5)
        li      r7, ASID_MAX
        bleu    r6, r7, 1f
        TLB_FLUSH_ALL                   # out of ASIDs: start a new generation
        addi    r4, r4, 1
        sw      r4, 0(r3)
        li      r6, 1
1:      sw      r6, P_ASID(r1)
        sw      r4, P_ASIDGEN(r1)
        addi    r6, r6, 1
        sw      r6, 0(r5)
2:      lw      r2, P_ASID(r1)
        lw      r1, P_ROOT(r1)
        j       load_ptb

# uvm_create() -> r1 = a new root table holding the kernel's entries, or 0.
uvm_create:
        push    lr
        push    r8
        li      r1, 0
        call    kalloc_table
        beqz    r1, 1f
        mov     r8, r1
        .if     PV                      # a root from now on: the hypervisor
        mov     r2, r1                  # validates every update to it
        HYPERCALL HC_PIN
        bnez    r1, 9f
        la      r2, kroot               # share the kernel's lower tables:
        lw      r2, 0(r2)               # one batch of updates
        la      r3, kern_root_entries
        lw      r3, 0(r3)
        mov     r1, r8
2:      beqz    r3, 3f
        push    r2
        lw      r2, 0(r2)
        PTE_QUEUE r1, r2
        pop     r2
        addi    r1, r1, 4
        addi    r2, r2, 4
        addi    r3, r3, -1
        j       2b
3:      PTE_FLUSH
        .else
        la      r2, kroot
        lw      r2, 0(r2)
        la      r3, kern_root_entries
        lw      r3, 0(r3)
        slli    r3, r3, 2
        call    memcopy                 # share the kernel's lower tables
        .endif
        mov     r1, r8
1:      pop     r8
        pop     lr
        ret
        .if     PV
9:      PANIC   "uvm_create: the hypervisor refused a new root"
pv_unpin_refused:
        PANIC   "uvm_free: the hypervisor refused to unpin a root"
        .endif

# uvm_free(r1 = root): free a process's address space — every user frame,
# every user table, and the root — but none of the kernel's shared tables.
uvm_free:
        .if     PV                      # no longer a root: the hypervisor
        push    r1                      # drops its checks of the tables
        mov     r2, r1                  # below, which may then be freed
        HYPERCALL HC_UNPIN
        bnez    r1, pv_unpin_refused
        pop     r1
        .endif
        la      r3, user_root_first
        lw      r3, 0(r3)
        li      r2, 0
        # fall through

# freewalk(r1 = table, r2 = its level, r3 = first index): free what the
# entries [first, end) of table map — frames at the bottom level, whole
# subtrees above it — and then the table itself.
freewalk:
        addi    sp, sp, -24
        sw      lr, 20(sp)
        sw      r8, 16(sp)
        sw      r9, 12(sp)
        sw      r10, 8(sp)
        sw      r11, 4(sp)
        sw      r12, 0(sp)
        mov     r8, r1                  # r8 = table
        mov     r9, r2                  # r9 = level
        slli    r3, r3, 2
        add     r10, r1, r3             # r10 = entry pointer
        slli    r4, r2, 2
        la      r5, lv_entries
        add     r5, r5, r4
        lw      r11, 0(r5)
        slli    r11, r11, 2
        add     r11, r1, r11            # r11 = end of the entries
        la      r12, nlevels
        lw      r12, 0(r12)
        addi    r12, r12, -1            # r12 = bottom level
1:      bgeu    r10, r11, 4f
        lw      r1, 0(r10)
        andi    r2, r1, PTE_P
        beqz    r2, 3f
        srli    r1, r1, PAGE_SHIFT
        slli    r1, r1, PAGE_SHIFT
        beq     r9, r12, 2f
        addi    r2, r9, 1               # a table: free below it first
        li      r3, 0
        call    freewalk
        j       3f
2:      call    kfree                   # a frame
3:      addi    r10, r10, 4
        j       1b
4:      mov     r1, r8
        call    kfree_table
        lw      r12, 0(sp)
        lw      r11, 4(sp)
        lw      r10, 8(sp)
        lw      r9, 12(sp)
        lw      r8, 16(sp)
        lw      lr, 20(sp)
        addi    sp, sp, 24
        ret

# uvm_load(r1 = root, r2 = source, r3 = bytes) -> r1 = 0, or -1 when out of
# memory (the caller frees the half-built space).  Copies the user image
# into fresh frames mapped from USER_BASE up, user-writable (text and data
# share pages), the rest of the last page zeroed.  This copy is the
# "fork-like" work of creating a process.
uvm_load:
        addi    sp, sp, -28
        sw      lr, 24(sp)
        sw      r8, 20(sp)
        sw      r9, 16(sp)
        sw      r10, 12(sp)
        sw      r11, 8(sp)
        sw      r12, 4(sp)
        sw      r13, 0(sp)
        mov     r8, r1                  # root
        mov     r9, r2                  # source
        mov     r10, r3                 # bytes
        li      r11, 0                  # offset
1:      bgeu    r11, r10, 3f
        call    kalloc
        beqz    r1, 4f
        mov     r12, r1                 # r12 = frame
        sub     r13, r10, r11           # r13 = bytes for this page
        li      r2, PAGE_SIZE
        bltu    r13, r2, 2f
        mov     r13, r2
2:      addi    r13, r13, 3             # whole words
        srli    r13, r13, 2
        slli    r13, r13, 2
        mov     r1, r12
        add     r2, r9, r11
        mov     r3, r13
        call    memcopy
        add     r1, r12, r13            # zero the rest of the page
        li      r2, PAGE_SIZE
        sub     r2, r2, r13
        call    memzero
        mov     r1, r8
        li      r2, USER_BASE
        add     r2, r2, r11
        mov     r3, r12
        li      r4, PAGE_SIZE
        li      r5, PTE_P | PTE_W | PTE_U
        call    mappages
        bnez    r1, 5f
        li      r2, PAGE_SIZE
        add     r11, r11, r2
        j       1b
3:      li      r1, 0
        j       6f
5:      mov     r1, r12
        call    kfree
4:      li      r1, -1
6:      lw      r13, 0(sp)
        lw      r12, 4(sp)
        lw      r11, 8(sp)
        lw      r10, 12(sp)
        lw      r9, 16(sp)
        lw      r8, 20(sp)
        lw      lr, 24(sp)
        addi    sp, sp, 28
        ret

# uvm_unmap(r1 = root, r2 = va) -> r1 = 0, or -1 if no user page is mapped
# there.  Clears the entry, drops the TLB's copy (invlpg: root must be the
# current table), and frees the frame — in that order, so that the frame is
# unreachable before anyone else can get it.
uvm_unmap:
        push    lr
        push    r8
        mov     r8, r2
        li      r3, 0
        call    walk
        beqz    r1, 1f
        lw      r2, 0(r1)
        andi    r3, r2, PTE_P
        beqz    r3, 1f
        andi    r3, r2, PTE_U
        beqz    r3, 1f
        PTE_SET r1, r0
        TLB_INVAL r8
        srli    r1, r2, PAGE_SHIFT
        slli    r1, r1, PAGE_SHIFT
        call    kfree
        li      r1, 0
        j       2f
1:      li      r1, -1
2:      pop     r8
        pop     lr
        ret

# in_demand_region(r1 = proc, r2 = va) -> r1 = 1 if a fault at va should be
# answered with a fresh zero page: va is in the heap (below the break) or
# in the stack window.  Clobbers r1, r3.
in_demand_region:
        lw      r3, P_HEAPLO(r1)
        bltu    r2, r3, 1f
        lw      r3, P_BRK(r1)
        bltu    r2, r3, 2f
1:      li      r3, USTACK_TOP - USTACK_WINDOW
        bltu    r2, r3, 3f
        li      r3, USTACK_TOP
        bgeu    r2, r3, 3f
2:      li      r1, 1
        ret
3:      li      r1, 0
        ret

# demand_map(r1 = proc, r2 = va) -> r1 = a fresh zeroed frame now mapped
# user-writable at va's page, or 0 when memory is exhausted.
demand_map:
        addi    sp, sp, -16
        sw      lr, 12(sp)
        sw      r8, 8(sp)
        sw      r9, 4(sp)
        sw      r10, 0(sp)
        mov     r8, r1
        srli    r9, r2, PAGE_SHIFT
        slli    r9, r9, PAGE_SHIFT
        .if     CONTAINERS              # room in its cgroup? (cgroup.s)
        li      r2, 1
        call    cg_room
        beqz    r1, 2f
        .endif
        call    kzalloc
        beqz    r1, 2f
        mov     r10, r1
        lw      r1, P_ROOT(r8)
        mov     r2, r9
        mov     r3, r10
        li      r4, PAGE_SIZE
        li      r5, PTE_P | PTE_W | PTE_U
        call    mappages
        beqz    r1, 1f
        mov     r1, r10                 # no room for a table: give it back
        call    kfree
        li      r1, 0
        j       2f
1:
        .if     CONTAINERS
        mov     r1, r8
        li      r2, 1
        call    cg_pages_add
        .endif
        mov     r1, r10
2:      lw      r10, 0(sp)
        lw      r9, 4(sp)
        lw      r8, 8(sp)
        lw      lr, 12(sp)
        addi    sp, sp, 16
        ret

# uva2pa(r1 = proc, r2 = va, r3 = for writing?) -> r1 = the physical address
# behind the user address va, or 0 if the process may not access it so.
# The kernel reads and writes user memory through this (copyin/copyout), not
# through va itself, so a bad pointer from a system call is an error return
# and never a kernel page fault.  Untouched heap and stack pages are faulted
# in here as the MMU would have.
uva2pa:
        addi    sp, sp, -16
        sw      lr, 12(sp)
        sw      r8, 8(sp)
        sw      r9, 4(sp)
        sw      r10, 0(sp)
        mov     r8, r1
        mov     r9, r2
        mov     r10, r3
        lw      r1, P_ROOT(r8)
        li      r3, 0
        call    walk
        beqz    r1, 2f
        lw      r2, 0(r1)
        andi    r3, r2, PTE_P
        beqz    r3, 2f
        andi    r3, r2, PTE_U
        beqz    r3, 4f
        beqz    r10, 1f
        andi    r3, r2, PTE_W
        beqz    r3, 4f
1:      srli    r1, r2, PAGE_SHIFT
        slli    r1, r1, PAGE_SHIFT
        j       3f
2:      mov     r1, r8                  # not present: demand-zero?
        mov     r2, r9
        call    in_demand_region
        beqz    r1, 4f
        mov     r1, r8
        mov     r2, r9
        call    demand_map
        beqz    r1, 4f
3:      andi    r2, r9, PAGE_SIZE - 1
        or      r1, r1, r2
        j       5f
4:      li      r1, 0
5:      lw      r10, 0(sp)
        lw      r9, 4(sp)
        lw      r8, 8(sp)
        lw      lr, 12(sp)
        addi    sp, sp, 16
        ret

        .data
        .align  4
nlevels:        .word   0               # page-table levels (CR levels)
lv_bits:        .space  4 * MAX_LEVELS  # index bits of each level, root first
lv_shift:       .space  4 * MAX_LEVELS  # where each level's index sits in a va
lv_entries:     .space  4 * MAX_LEVELS  # entries in a table of each level
kroot:          .word   0               # the kernel's root table
kern_root_entries: .word 0              # root entries the kernel map uses
user_root_first: .word  0               # first root entry of user space
cur_ptb:        .word   0               # what CR ptb holds now
cur_asid:       .word   0               # what CR asid holds now
asid_gen:       .word   0               # the current ASID generation
asid_next:      .word   0               # the next ASID to hand out in it
