// mistake: iret forgets the user stack: back in ring 3 the process runs on the kernel's sp
// caught by: ctxswitch under te, strict ISA, 4 levels
// caught by: forkwait under te, strict ISA
// caught by: on the classic ISA the red pills show, and the kernel carries on
// caught by: pushf, popf, cli, sti and iret were emulated
// caught by: syscall under te, strict ISA, prints what bare metal prints
// caught by: the whole kernel demo under te, strict ISA
    case OP_CLI: v[CR_SR] &= ~SR_IE; break;
    case OP_STI: v[CR_SR] |= SR_IE; break;
    case OP_IRET:
        v[CR_SR] = v[CR_ESR] & (SR_IE | SR_RING_MASK);
        next = v[CR_EPC];
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
