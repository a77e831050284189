// mistake: pushf moves sp before the write, so a faulting pushf leaves sp 4 lower
// caught by: pushf and popf on an absent or read-only stack page fault as on bare metal
    case OP_CLI: v[CR_SR] &= ~SR_IE; break;
    case OP_STI: v[CR_SR] |= SR_IE; break;
    case OP_IRET:
        v[CR_SR] = v[CR_ESR] & (SR_IE | SR_RING_MASK);
        next = v[CR_EPC];
        if (VRING(v[CR_SR]) != 0) R[ISA_REG_SP] = v[CR_USP];
        break;
    case OP_PUSHF:
        R[ISA_REG_SP] -= 4;
        if (!vcpu_virt_write(hv, R[ISA_REG_SP], v[CR_SR], 4, epc)) return;
        break;
    case OP_POPF: {
        uint32_t w;
        if (!vcpu_virt_read(hv, R[ISA_REG_SP], &w, epc)) return;
        if (VRING(v[CR_SR]) == 0) v[CR_SR] = (v[CR_SR] & ~SR_IE) | (w & SR_IE);
        R[ISA_REG_SP] += 4;
        break;
    }
