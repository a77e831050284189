# mistake: ignores demand_map's failure (no free frame) and runs the instruction again, which faults again for ever
# caught by: out of memory, the faulting process is killed, not left faulting for ever
        andi    r2, r10, FAULT_PRESENT
        bnez    r2, 2f                  # a protection fault: not ours to fix
        mov     r2, r9
        call    in_demand_region
        beqz    r1, 2f
        mov     r1, r8
        mov     r2, r9
        call    demand_map
        j       4f
