# defs.s — the constants and macros every part of the kernel shares.
#
# Nothing here emits a byte: it is the kernel's "header file".  The machine's
# own numbers (PTE bits, causes, fault bits) are copied from docs/isa.md and
# mmu/mmu.h; the rest are this kernel's choices, explained where they are made.

# ---- the machine (docs/isa.md) ----------------------------------------------
        .equ    PAGE_SIZE, 4096
        .equ    PAGE_SHIFT, 12
        .equ    PAGE_WORDS, PAGE_SIZE / 4

        .equ    PTE_P, 0x01             # present
        .equ    PTE_W, 0x02             # writable
        .equ    PTE_U, 0x04             # user (ring 3) may access
        .equ    PTE_A, 0x08             # accessed (set by the MMU)
        .equ    PTE_D, 0x10             # dirty (set by the MMU)
        .equ    PTE_G, 0x40             # global: survives an ASID switch

        .equ    SR_IE, 0x1              # status register: interrupts enabled
        .equ    SR_RING_MASK, 0x6       # status register: bits 2..1 = ring
        .equ    USER_SR, (3 << 1) | SR_IE       # what a user process runs with

        .equ    CAUSE_ILLEGAL, 0
        .equ    CAUSE_PROTECTION, 1
        .equ    CAUSE_PAGE_FAULT, 2
        .equ    CAUSE_DIVIDE, 3
        .equ    CAUSE_BREAKPOINT, 4
        .equ    CAUSE_SYSCALL, 5
        .equ    CAUSE_MISALIGNED, 6
        .equ    CAUSE_BUS_ERROR, 7
        .equ    CAUSE_DOUBLE, 8
        .equ    CAUSE_TIMER, 9
        .equ    CAUSE_CONSOLE, 10

        .equ    FAULT_PRESENT, 0x1      # CR fault: the page was present (protection)
        .equ    FAULT_WRITE, 0x2
        .equ    FAULT_USER, 0x4
        .equ    FAULT_FETCH, 0x8

        .equ    MAX_LEVELS, 4

# ---- memory layout (guests/README.md draws it) -------------------------------
# Physical: page 0 holds the boot parameter string (at 0x100) and is never
# mapped, so that a null pointer faults, in the kernel as in user mode; the
# kernel image starts at 0x1000; every frame above the image belongs to the
# frame allocator.
# Virtual: every address space maps the kernel 1:1 below USER_BASE
# (supervisor-only, global), and the user's pages from USER_BASE up: the
# user image, then the heap, and at the very top the stack window.
        .equ    BOOTARGS, 0x100         # physical: "5000\0" from `ringsim run --args`
        .equ    BOOTARGS_MAX, 64        # we keep at most this much of it
        .equ    USER_BASE, 0x40000000   # where the user image is loaded
        .equ    USTACK_TOP, 0x80000000  # initial user sp (grows down)
        .equ    USTACK_WINDOW, 0x00100000       # 1 MiB of demand-zero stack
        .equ    HEAP_LIMIT, USTACK_TOP - USTACK_WINDOW  # the break may not pass it
        .equ    KSTACK_SIZE, 8192       # the one kernel stack

# ---- scheduling ---------------------------------------------------------------
        .ifndef TIMER_PERIOD            # (ringsim asm -D TIMER_PERIOD=N to try others)
        .equ    TIMER_PERIOD, 100000    # cycles in a time slice
        .endif
        .equ    ASID_MAX, 255           # ASIDs 1..255; 0 is the kernel's table

# ---- processes -----------------------------------------------------------------
# struct proc: one 256-byte slot per process in proc_table.  A process that
# is not running lives entirely in its slot: its registers, PC, SR and user sp
# in the trap frame, its address space in `root`.  Switching processes is
# therefore: save the trap frame of one, load the trap frame of another.
        .equ    NPROC, 16               # slots (a power of two)
        .equ    P_STATE, 0              # one of the PS_ states below
        .equ    P_PID, 4
        .equ    P_PARENT, 8             # parent's pid, 0 = none (orphan)
        .equ    P_ROOT, 12              # physical address of the root page table
        .equ    P_ASID, 16              # address-space id while P_ASIDGEN is current
        .equ    P_ASIDGEN, 20           # generation that P_ASID belongs to
        .equ    P_HEAPLO, 24            # first heap byte (end of the user image)
        .equ    P_BRK, 28               # the break: heap is [P_HEAPLO, P_BRK)
        .equ    P_XCODE, 32             # exit code, once a zombie
        .equ    P_WAITPID, 36           # pid a PS_WAITING process waits for, -1 any
        .equ    P_TF, 64                # trap frame: word i = register ri (1..15)
        .equ    TF_SP, P_TF + 4 * 14    # r14: the user sp (from CR usp)
        .equ    TF_EPC, P_TF + 64       # where the process resumes
        .equ    TF_ESR, P_TF + 68       # the SR it resumes with
        .equ    P_SIZE, 256
        .equ    P_SHIFT, 8

        .equ    PS_UNUSED, 0
        .equ    PS_EMBRYO, 1            # being built by spawn
        .equ    PS_RUNNABLE, 2
        .equ    PS_RUNNING, 3           # the one in curproc
        .equ    PS_WAITING, 4           # blocked in wait()
        .equ    PS_ZOMBIE, 5            # exited; the parent has not collected it

# ---- system calls (the ABI: guests/README.md) --------------------------------
        .equ    SYS_EXIT, 0             # exit(code)
        .equ    SYS_WRITE, 1            # write(buf, len) -> len
        .equ    SYS_YIELD, 2            # yield() -> 0
        .equ    SYS_GETPID, 3           # getpid() -> pid
        .equ    SYS_SBRK, 4             # sbrk(increment) -> old break
        .equ    SYS_SPAWN, 5            # spawn(program, arg) -> pid
        .equ    SYS_WAIT, 6             # wait(pid or -1) -> exit code
        .equ    SYS_MAP, 7              # map(vaddr, writable) -> 0
        .equ    SYS_UNMAP, 8            # unmap(vaddr) -> 0
        .equ    SYS_PROTECT, 9          # protect(vaddr, writable) -> 0
        .equ    SYS_KILL, 10            # kill(pid) -> 0
        .equ    SYS_BOOTARG, 11         # bootarg(buf, size) -> length
        .equ    NSYSCALL, 12

# ---- red-pill kinds (selfcheck.s): one bit each, each line printed once ------
        .equ    RP_RING, 1              # smsw showed a ring other than 0
        .equ    RP_CLI, 2               # pushf showed IE=1 right after cli
        .equ    RP_POPF, 4              # popf did not bring IE=1 back
        .equ    RP_PTB, 8               # sptb disagreed with the ptb we set

# ---- critical sections ---------------------------------------------------------
# As in any kernel, code that must not be interrupted saves the interrupt
# flag, masks interrupts, and later restores the flag it saved — it does not
# blindly re-enable, because its caller may itself have had them masked
# (xv6's push_off/pop_off; Linux's local_irq_save/restore).  pushf and popf
# are exactly the instructions Popek and Goldberg's theorem trips over: they
# are sensitive but not privileged on the classic ISA.  Each use checks that
# they did what ring 0 expects (selfcheck.s).
#
# CRIT_ENTER leaves the saved SR on the stack; CRIT_EXIT pops it.  Between
# them the stack must be balanced.  Neither changes a register except sp.
        .macro  CRIT_ENTER
        pushf                           # push SR: its IE bit is what we restore
        cli
        push    lr
        call    check_cli               # pushf must now show IE=0
        pop     lr
        .endm

        .macro  CRIT_EXIT
        push    lr
        call    check_popf_before       # note the IE that popf is about to restore
        pop     lr
        popf                            # restore IE as it was at CRIT_ENTER
        push    lr
        call    check_popf_after        # and check it came back
        pop     lr
        .endm

# PANIC "message": print "kernel panic: message" and stop the machine.
# Only in .text (it puts the message in .data and comes back to .text).
        .macro  PANIC msg
        la      r1, panic_msg\@
        j       panic
        .data
panic_msg\@:
        .asciz  \msg
        .text
        .endm
