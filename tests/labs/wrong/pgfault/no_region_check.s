# mistake: maps a page at any address that is not present, not only in the heap or the stack window
# caught by: a process that touches what it may not is still killed
        andi    r2, r10, FAULT_PRESENT
        bnez    r2, 2f                  # a protection fault: not ours to fix
        mov     r1, r8
        mov     r2, r9
        call    demand_map
        beqz    r1, 3f
        j       4f
