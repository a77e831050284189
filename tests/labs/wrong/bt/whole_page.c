// mistake: translates to the end of the page, not to the end of the block: code never reached is translated too
// caught by: exits dispatched and chained as the reference's (chains.json)
// caught by: the whole kernel demo under bt, classic ISA
// caught by: translated block by block, each instruction once (blocks.json)

static bool needs_callout(int op)
{
    return op < OP_COUNT && (isa_info[op].sensitive || isa_info[op].privileged || op == OP_VMCALL);
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
    }
// ---- next region
// ---- the reference's
// ---- next region
// ---- the reference's
// ---- next region
// ---- the reference's
