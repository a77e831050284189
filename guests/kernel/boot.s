# boot.s — from reset to the first process.
#
# The machine starts here in ring 0, paging off, interrupts masked, with sp
# at the top of physical memory.  In order, the kernel:
#   1. moves to its own stack and clears its .bss;
#   2. installs the vector table (VBR, a physical address) and the kernel
#      stack that traps from user mode land on (KSP);
#   3. turns interrupts on — nothing can interrupt yet (no timer is armed,
#      console input interrupts are off), but from here on the allocator's
#      critical sections save and restore a real IE=1, and the red-pill
#      checks see both cases (selfcheck.s);
#   4. keeps the boot parameter string (physical 0x100) before page 0 goes
#      out of reach;
#   5. asks the machine how many page-table levels it has and how much
#      memory, and builds the frame allocator and the kernel's page tables;
#   6. turns paging on: the kernel is identity-mapped, so the next
#      instruction's address means what it meant a moment ago;
#   7. creates init (the program this image was built with, INIT_PROGRAM),
#      arms the timer, and lets the scheduler run it.

        .text
_start:
        la      sp, kstack_top          # the reset sp is pool memory: move off it
        la      r1, bss_start
        la      r2, kernel_end
        sub     r2, r2, r1
        call    memzero                 # (uses no stack)
        .if     PV                      # paravirtual: ask the hypervisor
        la      r2, pv_shared
        HYPERCALL HC_SHARED_INFO        # share a page with it (pv.s)
        la      r2, vectors
        HYPERCALL HC_SET_TRAP_TABLE
        la      r2, kstack_top
        HYPERCALL HC_STACK_SWITCH
        .else
        la      r1, vectors
        mtcr    vbr, r1
        la      r1, kstack_top
        mtcr    ksp, r1
        .endif
        IRQ_ON
        call    check_ring              # a red pill: smsw must say ring 0
        call    copy_bootargs
        RDCR    r1, levels              # 2, 3 or 4
        call    vm_geometry
        RDCR    r1, memsize             # use whole pages, and none at or
        srli    r1, r1, PAGE_SHIFT      # above USER_BASE (where user space
        slli    r1, r1, PAGE_SHIFT      # begins in every address space)
        li      r2, USER_BASE
        bleu    r1, r2, 1f
        mov     r1, r2
1:      la      r2, mem_top
        sw      r1, 0(r2)
        call    kinit
        call    kvminit
        la      r1, kmem_nfree          # what must be free again at power-off
        lw      r1, 0(r1)
        la      r2, kmem_boot_nfree
        sw      r1, 0(r2)
        .if     PV                      # the kernel's tables become read-only
        la      r1, kroot               # to it, and the hypervisor's to check
        lw      r1, 0(r1)
        li      r2, 0
        call    pv_protect_tables
        la      r2, kroot
        lw      r2, 0(r2)
        HYPERCALL HC_PIN
        bnez    r1, 8f
        .endif
        la      r1, kroot
        lw      r1, 0(r1)
        li      r2, 0
        call    load_ptb
        .if     PV                      # HC_NEW_BASEPTR turned paging on
        li      r1, 1
        la      r2, pv_paging
        sw      r1, 0(r2)
        .else
        li      r1, 1
        mtcr    mmu, r1                 # paging on
        .endif
        li      r1, 1
        la      r2, asid_gen
        sw      r1, 0(r2)
        la      r2, asid_next
        sw      r1, 0(r2)
        la      r2, nextpid
        sw      r1, 0(r2)
        li      r1, INIT_PROGRAM
        li      r2, 0
        li      r3, 0
        call    proc_spawn
        blt     r1, r0, 9f
        IRQ_OFF                         # from now on the kernel runs masked
        li      r1, TIMER_PERIOD        # except inside system calls
        OUTP    timer_period, r1
        .if     DISK_IRQ                # the disk's completion interrupt (disk.s)
        li      r1, DISK_CTRL_IRQ
        OUTP    disk_ctrl, r1
        .endif
        .if     DISK_QUEUE              # the split driver's queue (disk.s)
        call    dq_init
        .endif
        .if     NIC                     # the network interface's rings (nic.s)
        call    nic_init
        .endif
        j       schedule
8:      PANIC   "boot: the hypervisor refused the kernel's page tables"
9:      PANIC   "boot: cannot create init"

# copy_bootargs: keep the NUL-terminated string at physical BOOTARGS (at most
# BOOTARGS_MAX - 1 characters of it) in the kernel's own buffer.
copy_bootargs:
        li      r1, BOOTARGS
        la      r2, bootargs
        li      r3, BOOTARGS_MAX - 1
1:      lbu     r4, 0(r1)
        beqz    r4, 2f
        sb      r4, 0(r2)
        addi    r1, r1, 1
        addi    r2, r2, 1
        addi    r3, r3, -1
        bnez    r3, 1b
2:      sb      r0, 0(r2)
        ret

        .bss
        .align  16
bootargs:       .space  BOOTARGS_MAX
kstack:         .space  KSTACK_SIZE
kstack_top:
