// mistake: cli and sti change the real SR, where the guest kernel's IE is not
// caught by: the guest's SR as pushf, popf, smsw and cli see it: IE changes, the ring stays 0
    case OP_CLI: m->cpu.cr[CR_SR] &= ~SR_IE; break;
    case OP_STI: m->cpu.cr[CR_SR] |= SR_IE; break;
    case OP_IRET:
        v[CR_SR] = v[CR_ESR] & (SR_IE | SR_RING_MASK);
        next = v[CR_EPC];
        if (VRING(v[CR_SR]) != 0) R[ISA_REG_SP] = v[CR_USP];
        break;
    case OP_PUSHF:
        if (!vcpu_virt_write(hv, R[ISA_REG_SP] - 4, v[CR_SR], 4, epc)) return;
        R[ISA_REG_SP] -= 4;
        break;
    case OP_POPF: {
        uint32_t w;
        if (!vcpu_virt_read(hv, R[ISA_REG_SP], &w, epc)) return;
        if (VRING(v[CR_SR]) == 0) v[CR_SR] = (v[CR_SR] & ~SR_IE) | (w & SR_IE);
        R[ISA_REG_SP] += 4;
        break;
    }
