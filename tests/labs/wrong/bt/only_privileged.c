// mistake: only the privileged instructions become callouts: the red pills, which do not trap, run as they are
// caught by: a chained call into a remapped page runs its new code (remap.s)
// caught by: a chained call runs the routine as rewritten (smcchain.s)
// caught by: ctxswitch under bt, classic ISA, 4 levels
// caught by: every sensitive instruction is a callout, none trapped to emulate
// caught by: exits dispatched and chained as the reference's (chains.json)
// caught by: red pills in ring 0 show ring 0, as on bare metal (popfring.s)
// caught by: returns and jump tables go where their register says (indirect.s)
// caught by: syscall under bt, classic ISA, prints what bare metal prints
// caught by: the whole kernel demo under bt, classic ISA

static bool needs_callout(int op)
{
    return op < OP_COUNT && (isa_info[op].privileged || op == OP_VMCALL);
}

void bt_translate_block(struct machine *m, struct decode_page *p, unsigned i)
{
    unsigned n = 0;
    for (unsigned j = i; j < PAGE_INSNS; j++) {
        struct dinsn *d = &p->insn[j];
        if (d->op == OPX_TRANSLATE) {
            d->op = needs_callout(p->guest_op[j]) ? OPX_CALLOUT : p->guest_op[j];
            n++;
        }
        if (p->cold[j].ends_block) break;
    }
// ---- next region
// ---- the reference's
// ---- next region
// ---- the reference's
// ---- next region
// ---- the reference's
