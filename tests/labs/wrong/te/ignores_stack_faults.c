// mistake: pushf and popf ignore a failed access and carry on (the fault is lost)
// caught by: pushf and popf on an absent or read-only stack page fault as on bare metal
    case OP_CLI: v[CR_SR] &= ~SR_IE; break;
    case OP_STI: v[CR_SR] |= SR_IE; break;
    case OP_IRET:
        v[CR_SR] = v[CR_ESR] & (SR_IE | SR_RING_MASK);
        next = v[CR_EPC];
        if (VRING(v[CR_SR]) != 0) R[ISA_REG_SP] = v[CR_USP];
        break;
    case OP_PUSHF:
        vcpu_virt_write(hv, R[ISA_REG_SP] - 4, v[CR_SR], 4, epc);
        R[ISA_REG_SP] -= 4;
        break;
    case OP_POPF: {
        uint32_t w = 0;
        vcpu_virt_read(hv, R[ISA_REG_SP], &w, epc);
        if (VRING(v[CR_SR]) == 0) v[CR_SR] = (v[CR_SR] & ~SR_IE) | (w & SR_IE);
        R[ISA_REG_SP] += 4;
        break;
    }
