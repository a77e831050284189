// mistake: translates one instruction a call: every instruction becomes a block of its own
// caught by: exits dispatched and chained as the reference's (chains.json)
// caught by: translated block by block, each instruction once (blocks.json)

static bool needs_callout(int op)
{
    return op < OP_COUNT && (isa_info[op].sensitive || isa_info[op].privileged || op == OP_VMCALL);
}

void bt_translate_block(struct machine *m, struct decode_page *p, unsigned i)
{
    unsigned n = 0;
    struct dinsn *d = &p->insn[i];
    if (d->op == OPX_TRANSLATE) {
        d->op = needs_callout(p->guest_op[i]) ? OPX_CALLOUT : p->guest_op[i];
        n++;
    }
// ---- next region
// ---- the reference's
// ---- next region
// ---- the reference's
// ---- next region
// ---- the reference's
