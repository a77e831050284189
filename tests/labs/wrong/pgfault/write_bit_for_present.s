# mistake: tests FAULT_WRITE where FAULT_PRESENT is meant: a read of a new heap page kills the process, a write to a read-only page gets a fresh one
# caught by: a process that touches what it may not is still killed
# caught by: and in the paravirtual build
# caught by: out of memory, the faulting process is killed, not left faulting for ever
# caught by: pgfault: heap pages are faulted in on first touch
# caught by: the same under hardware assist with nested paging
# caught by: the stack grows on demand too (tlbstride's working set, 4 levels)
        andi    r2, r10, FAULT_WRITE
        bnez    r2, 2f                  # a protection fault: not ours to fix
        mov     r2, r9
        call    in_demand_region
        beqz    r1, 2f
        mov     r1, r8
        mov     r2, r9
        call    demand_map
        beqz    r1, 3f
        j       4f
