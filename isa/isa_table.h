/*
 * isa_table.h — THE instruction table of ringsim.
 *
 * Every instruction of the machine is one line here, and nothing else in the
 * tree lists opcodes: the assembler, the disassembler, the CPU's decoder, the
 * ISA reference (docs/isa.md) and the Popek–Goldberg table are all generated
 * from these lines (X-macro: define INSN before including this file).
 *
 * INSN(id, mnemonic, opcode, format, class, priv, sens, semantics)
 *   id        C identifier (OP_<id> in enum isa_op)
 *   mnemonic  assembler spelling
 *   opcode    bits 31..24 of the encoding
 *   format    operand layout, see enum isa_fmt in isa.h
 *   class     cost class, see enum isa_class (its cycles come from the profile)
 *   priv      1 = privileged: outside ring 0 it raises a protection fault
 *   sens      1 = sensitive: reads or changes privileged machine state.
 *             Sensitive but not privileged on the classic ISA = a "red pill";
 *             on the strict ISA every sensitive instruction is privileged.
 *   semantics one line, fixed notation:
 *             R[x] register, M32/M16/M8[a] memory, PC, SR (status register),
 *             CR[n] control register, sx()/zx() sign/zero extension,
 *             imm immediate, off branch/jump offset in words.
 *
 * Field names in the semantics: a = bits 23..20, b = bits 19..16,
 * c = bits 15..12, imm = bits 15..0, off = bits 15..0 or 19..0.
 */

/*    id        mnem       op    format    class    pv sn  semantics */
/* --- arithmetic and logic, register-register ------------------------------ */
INSN(ADD,    "add",    0x01, FMT_R,    CL_ALU,    0, 0, "R[a] = R[b] + R[c]")
INSN(SUB,    "sub",    0x02, FMT_R,    CL_ALU,    0, 0, "R[a] = R[b] - R[c]")
INSN(AND,    "and",    0x03, FMT_R,    CL_ALU,    0, 0, "R[a] = R[b] & R[c]")
INSN(OR,     "or",     0x04, FMT_R,    CL_ALU,    0, 0, "R[a] = R[b] | R[c]")
INSN(XOR,    "xor",    0x05, FMT_R,    CL_ALU,    0, 0, "R[a] = R[b] ^ R[c]")
INSN(SLL,    "sll",    0x06, FMT_R,    CL_ALU,    0, 0, "R[a] = R[b] << (R[c] & 31)")
INSN(SRL,    "srl",    0x07, FMT_R,    CL_ALU,    0, 0, "R[a] = R[b] >> (R[c] & 31), zero-filling")
INSN(SRA,    "sra",    0x08, FMT_R,    CL_ALU,    0, 0, "R[a] = R[b] >> (R[c] & 31), sign-filling")
INSN(SLT,    "slt",    0x09, FMT_R,    CL_ALU,    0, 0, "R[a] = (signed) R[b] < R[c] ? 1 : 0")
INSN(SLTU,   "sltu",   0x0a, FMT_R,    CL_ALU,    0, 0, "R[a] = (unsigned) R[b] < R[c] ? 1 : 0")
INSN(MUL,    "mul",    0x0b, FMT_R,    CL_MUL,    0, 0, "R[a] = low 32 bits of R[b] * R[c]")
INSN(MULH,   "mulh",   0x0c, FMT_R,    CL_MUL,    0, 0, "R[a] = high 32 bits of (signed) R[b] * R[c]")
INSN(MULHU,  "mulhu",  0x0d, FMT_R,    CL_MUL,    0, 0, "R[a] = high 32 bits of (unsigned) R[b] * R[c]")
INSN(DIV,    "div",    0x0e, FMT_R,    CL_DIV,    0, 0, "R[a] = (signed) R[b] / R[c]; divide error if R[c] = 0; INT_MIN / -1 = INT_MIN")
INSN(DIVU,   "divu",   0x0f, FMT_R,    CL_DIV,    0, 0, "R[a] = (unsigned) R[b] / R[c]; divide error if R[c] = 0")
INSN(REM,    "rem",    0x10, FMT_R,    CL_DIV,    0, 0, "R[a] = (signed) R[b] % R[c]; divide error if R[c] = 0; INT_MIN % -1 = 0")
INSN(REMU,   "remu",   0x11, FMT_R,    CL_DIV,    0, 0, "R[a] = (unsigned) R[b] % R[c]; divide error if R[c] = 0")
/* --- arithmetic and logic, register-immediate ----------------------------- */
INSN(ADDI,   "addi",   0x20, FMT_I,    CL_ALU,    0, 0, "R[a] = R[b] + sx(imm)")
INSN(ANDI,   "andi",   0x21, FMT_IU,   CL_ALU,    0, 0, "R[a] = R[b] & zx(imm)")
INSN(ORI,    "ori",    0x22, FMT_IU,   CL_ALU,    0, 0, "R[a] = R[b] | zx(imm)")
INSN(XORI,   "xori",   0x23, FMT_IU,   CL_ALU,    0, 0, "R[a] = R[b] ^ zx(imm)")
INSN(SLLI,   "slli",   0x24, FMT_SH,   CL_ALU,    0, 0, "R[a] = R[b] << imm (imm in 0..31)")
INSN(SRLI,   "srli",   0x25, FMT_SH,   CL_ALU,    0, 0, "R[a] = R[b] >> imm, zero-filling")
INSN(SRAI,   "srai",   0x26, FMT_SH,   CL_ALU,    0, 0, "R[a] = R[b] >> imm, sign-filling")
INSN(SLTI,   "slti",   0x27, FMT_I,    CL_ALU,    0, 0, "R[a] = (signed) R[b] < sx(imm) ? 1 : 0")
INSN(SLTIU,  "sltiu",  0x28, FMT_I,    CL_ALU,    0, 0, "R[a] = (unsigned) R[b] < sx(imm) ? 1 : 0")
INSN(LUI,    "lui",    0x29, FMT_LUI,  CL_ALU,    0, 0, "R[a] = imm << 16")
/* --- memory (addresses must be naturally aligned) ------------------------- */
INSN(LW,     "lw",     0x30, FMT_LD,   CL_LOAD,   0, 0, "R[a] = M32[R[b] + sx(imm)]")
INSN(LH,     "lh",     0x31, FMT_LD,   CL_LOAD,   0, 0, "R[a] = sx(M16[R[b] + sx(imm)])")
INSN(LHU,    "lhu",    0x32, FMT_LD,   CL_LOAD,   0, 0, "R[a] = zx(M16[R[b] + sx(imm)])")
INSN(LB,     "lb",     0x33, FMT_LD,   CL_LOAD,   0, 0, "R[a] = sx(M8[R[b] + sx(imm)])")
INSN(LBU,    "lbu",    0x34, FMT_LD,   CL_LOAD,   0, 0, "R[a] = zx(M8[R[b] + sx(imm)])")
INSN(SW,     "sw",     0x38, FMT_ST,   CL_STORE,  0, 0, "M32[R[b] + sx(imm)] = R[a]")
INSN(SH,     "sh",     0x39, FMT_ST,   CL_STORE,  0, 0, "M16[R[b] + sx(imm)] = low 16 bits of R[a]")
INSN(SB,     "sb",     0x3a, FMT_ST,   CL_STORE,  0, 0, "M8[R[b] + sx(imm)] = low 8 bits of R[a]")
/* --- control transfer (offsets count words from this instruction) --------- */
INSN(BEQ,    "beq",    0x40, FMT_B,    CL_BRANCH, 0, 0, "if R[a] == R[b]: PC = PC + 4*sx(off)")
INSN(BNE,    "bne",    0x41, FMT_B,    CL_BRANCH, 0, 0, "if R[a] != R[b]: PC = PC + 4*sx(off)")
INSN(BLT,    "blt",    0x42, FMT_B,    CL_BRANCH, 0, 0, "if (signed) R[a] < R[b]: PC = PC + 4*sx(off)")
INSN(BGE,    "bge",    0x43, FMT_B,    CL_BRANCH, 0, 0, "if (signed) R[a] >= R[b]: PC = PC + 4*sx(off)")
INSN(BLTU,   "bltu",   0x44, FMT_B,    CL_BRANCH, 0, 0, "if (unsigned) R[a] < R[b]: PC = PC + 4*sx(off)")
INSN(BGEU,   "bgeu",   0x45, FMT_B,    CL_BRANCH, 0, 0, "if (unsigned) R[a] >= R[b]: PC = PC + 4*sx(off)")
INSN(JAL,    "jal",    0x48, FMT_J,    CL_JUMP,   0, 0, "R[a] = PC + 4; PC = PC + 4*sx(off20)")
INSN(JALR,   "jalr",   0x49, FMT_JR,   CL_JUMP,   0, 0, "t = (R[b] + sx(imm)) & ~3; R[a] = PC + 4; PC = t")
/* --- unprivileged system instructions ------------------------------------- */
INSN(SYSCALL,"syscall",0x50, FMT_N,    CL_SYSTEM, 0, 0, "system-call trap; EPC = PC + 4")
INSN(BRK,    "brk",    0x51, FMT_N,    CL_SYSTEM, 0, 0, "breakpoint trap; EPC = PC + 4")
INSN(VMCALL, "vmcall", 0x52, FMT_N,    CL_SYSTEM, 0, 0, "hypercall: in a VM a VM exit; outside one, from ring 1 or 2 a hypercall trap (a paravirtual kernel under a ring-0 hypervisor), from ring 0 or 3 an illegal-instruction trap")
/* --- the red pills: sensitive, privileged only on the strict ISA ---------- */
INSN(PUSHF,  "pushf",  0x58, FMT_N,    CL_STORE,  0, 1, "SP = SP - 4; M32[SP] = SR  (reveals the ring and the real IE flag)")
INSN(POPF,   "popf",   0x59, FMT_N,    CL_LOAD,   0, 1, "SR.IE = M32[SP].IE only in ring 0, silently unchanged elsewhere; SP = SP + 4")
INSN(SMSW,   "smsw",   0x5a, FMT_RD,   CL_SYSTEM, 0, 1, "R[a] = SR  (the current ring and IE; like x86 SMSW)")
INSN(SPTB,   "sptb",   0x5b, FMT_RD,   CL_SYSTEM, 0, 1, "R[a] = CR[PTB]  (the page-table base; like x86 SGDT)")
/* --- privileged instructions ----------------------------------------------- */
INSN(MTCR,   "mtcr",   0x60, FMT_CRW,  CL_PRIV,   1, 1, "CR[imm] = R[a]")
INSN(MFCR,   "mfcr",   0x61, FMT_CRR,  CL_PRIV,   1, 1, "R[a] = CR[imm]")
INSN(CLI,    "cli",    0x62, FMT_N,    CL_PRIV,   1, 1, "SR.IE = 0  (mask interrupts)")
INSN(STI,    "sti",    0x63, FMT_N,    CL_PRIV,   1, 1, "SR.IE = 1  (unmask interrupts)")
INSN(HLT,    "hlt",    0x64, FMT_N,    CL_PRIV,   1, 1, "wait for an interrupt; with SR.IE = 0 or nothing armed, stop the machine")
INSN(IRET,   "iret",   0x65, FMT_N,    CL_PRIV,   1, 1, "return from trap: SR = CR[ESR]; PC = CR[EPC]; SP = CR[USP] if returning to ring > 0")
INSN(IN,     "in",     0x66, FMT_IN,   CL_IO,     1, 1, "R[a] = port[imm]")
INSN(OUT,    "out",    0x67, FMT_OUT,  CL_IO,     1, 1, "port[imm] = R[a]")
INSN(INVLPG, "invlpg", 0x68, FMT_RS,   CL_PRIV,   1, 1, "drop the TLB entry for virtual address R[a] (current ASID)")
INSN(TLBFLUSH,"tlbflush",0x69,FMT_N,   CL_PRIV,   1, 1, "drop every TLB entry")
