/*
 * test_cpu.c — the CPU, instruction by instruction, and its rings and traps.
 *
 * Each test assembles a few lines, runs them on a fresh machine, and looks at
 * registers, memory, the trap record, and the cycle accounting.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/helpers.h"

/* A prelude: vector table whose every handler records CAUSE, EPC, BADADDR,
 * ESR at `rec` and stops the machine with exit code 100 + cause.  The test's
 * own code follows at label `test`.  `to_ring N, LABEL` drops to ring N. */
#define PRELUDE                                                  \
    "        .text\n"                                            \
    "_start: la r1, vectors\n"                                   \
    "        mtcr vbr, r1\n"                                     \
    "        la r1, kstack\n"                                    \
    "        mtcr ksp, r1\n"                                     \
    "        j test\n"                                           \
    "handler: la r2, rec\n"                                      \
    "        mfcr r1, cause\n   sw r1, 0(r2)\n"                  \
    "        mfcr r1, epc\n     sw r1, 4(r2)\n"                  \
    "        mfcr r1, badaddr\n sw r1, 8(r2)\n"                  \
    "        mfcr r1, esr\n     sw r1, 12(r2)\n"                 \
    "        sw sp, 16(r2)\n"                                    \
    "        mfcr r1, cause\n   addi r1, r1, 100\n"              \
    "        out power, r1\n"                                    \
    "        .macro to_ring n, target\n"                         \
    "        li r1, \\n << 1\n  mtcr esr, r1\n"                  \
    "        la r1, \\target\n  mtcr epc, r1\n"                  \
    "        la r1, ustack\n    mtcr usp, r1\n"                  \
    "        iret\n"                                             \
    "        .endm\n"                                            \
    "        .data\n"                                            \
    "vectors: .word handler, handler, handler, handler, handler, handler, handler, handler\n" \
    "        .word handler, handler, handler, handler, handler, handler, handler, handler\n" \
    "rec:    .space 32\n"                                        \
    "        .space 256\n"                                       \
    "kstack: .space 256\n"                                       \
    "ustack:\n"                                                  \
    "        .text\n"                                            \
    "test:\n"

static char *with_prelude(const char *body)
{
    size_t n = strlen(PRELUDE) + strlen(body) + 1;
    char *s = malloc(n);
    cr_assert(s);
    snprintf(s, n, "%s%s", PRELUDE, body);
    return s;
}

/* Boots PRELUDE + body, runs to a stop, returns the machine. */
static struct machine *run_body(const char *body, enum isa_variant isa)
{
    char *src = with_prelude(body);
    struct machine *m = boot(src, isa);
    free(src);
    machine_run(m, 0);
    return m;
}

/* Field i of the trap record: 0 cause, 1 epc, 2 badaddr, 3 esr, 4 sp. */
#define REC(m, i) peek32((m), sym((m), "rec") + 4 * (i))

/* Boot without the prelude, run, and return r[reg] at the stop. */
static uint32_t eval(const char *src, int reg)
{
    char full[4096];
    snprintf(full, sizeof full, ".text\n_start:\n%s\n out power, r0\n", src);
    struct machine *m = boot(full, ISA_CLASSIC);
    machine_run(m, 0);
    cr_assert_eq(m->stop, STOP_EXIT, "program did not exit: %s", m->stop_detail);
    uint32_t v = m->cpu.r[reg];
    shutdown(m);
    return v;
}

/* ---- arithmetic and logic ------------------------------------------------ */
Test(cpu, add_wraps_around)       { cr_assert_eq(eval("li r1, 0xffffffff\n addi r2, r0, 2\n add r3, r1, r2", 3), 1); }
Test(cpu, sub_borrows)            { cr_assert_eq(eval("addi r1, r0, 1\n addi r2, r0, 2\n sub r3, r1, r2", 3), 0xffffffffu); }
Test(cpu, logic_ops)
{
    cr_assert_eq(eval("li r1, 0xf0f0\n li r2, 0xff00\n and r3, r1, r2", 3), 0xf000);
    cr_assert_eq(eval("li r1, 0xf0f0\n li r2, 0xff00\n or r3, r1, r2", 3), 0xfff0);
    cr_assert_eq(eval("li r1, 0xf0f0\n li r2, 0xff00\n xor r3, r1, r2", 3), 0x0ff0);
    cr_assert_eq(eval("li r1, 0x1234\n andi r3, r1, 0xff", 3), 0x34);
    cr_assert_eq(eval("li r1, 0x1200\n ori r3, r1, 0x34", 3), 0x1234);
    cr_assert_eq(eval("li r1, 0xffff\n xori r3, r1, 0xf0f0", 3), 0x0f0f);
}
Test(cpu, immediate_logic_zero_extends)
{
    cr_assert_eq(eval("li r1, -1\n andi r3, r1, 0x8000", 3), 0x8000);
}
Test(cpu, shifts_mask_the_amount)
{
    cr_assert_eq(eval("addi r1, r0, 1\n addi r2, r0, 33\n sll r3, r1, r2", 3), 2);
    cr_assert_eq(eval("li r1, 0x80000000\n addi r2, r0, 31\n srl r3, r1, r2", 3), 1);
    cr_assert_eq(eval("li r1, 0x80000000\n addi r2, r0, 31\n sra r3, r1, r2", 3), 0xffffffffu);
    cr_assert_eq(eval("li r1, 0x80000000\n srai r3, r1, 4", 3), 0xf8000000u);
    cr_assert_eq(eval("li r1, 0x80000000\n srli r3, r1, 4", 3), 0x08000000u);
    cr_assert_eq(eval("addi r1, r0, 3\n slli r3, r1, 30", 3), 0xc0000000u);
}
Test(cpu, set_less_than_signed_and_unsigned)
{
    cr_assert_eq(eval("li r1, -1\n addi r2, r0, 1\n slt r3, r1, r2", 3), 1);
    cr_assert_eq(eval("li r1, -1\n addi r2, r0, 1\n sltu r3, r1, r2", 3), 0);
    cr_assert_eq(eval("li r1, -5\n slti r3, r1, -4", 3), 1);
    cr_assert_eq(eval("addi r1, r0, 5\n sltiu r3, r1, -1", 3), 1);
}
Test(cpu, multiply_low_and_high)
{
    cr_assert_eq(eval("li r1, 0x10000\n li r2, 0x10000\n mul r3, r1, r2", 3), 0);
    cr_assert_eq(eval("li r1, 0x10000\n li r2, 0x10000\n mulhu r3, r1, r2", 3), 1);
    cr_assert_eq(eval("li r1, -2\n li r2, 3\n mulh r3, r1, r2", 3), 0xffffffffu);
    cr_assert_eq(eval("li r1, -2\n li r2, 3\n mulhu r3, r1, r2", 3), 2);
}
Test(cpu, divide_and_remainder)
{
    cr_assert_eq(eval("li r1, -7\n li r2, 2\n div r3, r1, r2", 3), (uint32_t)-3);
    cr_assert_eq(eval("li r1, -7\n li r2, 2\n rem r3, r1, r2", 3), (uint32_t)-1);
    cr_assert_eq(eval("li r1, -7\n li r2, 2\n divu r3, r1, r2", 3), 0x7ffffffcu);
    cr_assert_eq(eval("li r1, -7\n li r2, 2\n remu r3, r1, r2", 3), 1);
}
Test(cpu, int_min_divided_by_minus_one_does_not_trap)
{
    cr_assert_eq(eval("li r1, 0x80000000\n li r2, -1\n div r3, r1, r2", 3), 0x80000000u);
    cr_assert_eq(eval("li r1, 0x80000000\n li r2, -1\n rem r3, r1, r2", 3), 0);
}
Test(cpu, divide_by_zero_traps_at_the_instruction)
{
    const char *ops[] = {"div", "divu", "rem", "remu"};
    for (int i = 0; i < 4; i++) {
        char body[256];
        snprintf(body, sizeof body, " addi r5, r0, 7\nat: %s r3, r5, r0\n", ops[i]);
        struct machine *m = run_body(body, ISA_CLASSIC);
        cr_assert_eq(m->stop, STOP_EXIT);
        cr_assert_eq(m->exit_code, 100 + CAUSE_DIVIDE, "%s", ops[i]);
        cr_assert_eq(REC(m, 1), sym(m, "at"), "EPC is the dividing instruction");
        cr_assert_eq(m->cpu.r[3], 0, "the destination is untouched");
        shutdown(m);
    }
}
Test(cpu, lui_sets_upper_half) { cr_assert_eq(eval("lui r3, 0xabcd", 3), 0xabcd0000u); }
Test(cpu, r0_stays_zero)       { cr_assert_eq(eval("addi r0, r0, 5\n add r3, r0, r0", 3), 0); }

/* ---- memory ------------------------------------------------------------- */
#define DATA "\n out power, r0\n .data\n .align 4\nbuf: .word 0x8081f2f3, 0\n .text\n"
Test(cpu, loads_extend_sign_or_zero)
{
    cr_assert_eq(eval("la r2, buf\n lw r3, 0(r2)" DATA, 3), 0x8081f2f3u);
    cr_assert_eq(eval("la r2, buf\n lh r3, 0(r2)" DATA, 3), 0xfffff2f3u);
    cr_assert_eq(eval("la r2, buf\n lhu r3, 0(r2)" DATA, 3), 0xf2f3u);
    cr_assert_eq(eval("la r2, buf\n lb r3, 3(r2)" DATA, 3), 0xffffff80u);
    cr_assert_eq(eval("la r2, buf\n lbu r3, 3(r2)" DATA, 3), 0x80u);
    cr_assert_eq(eval("la r2, buf\n lh r3, 2(r2)" DATA, 3), 0xffff8081u);
}
Test(cpu, stores_write_only_their_width)
{
    cr_assert_eq(eval("la r2, buf\n li r1, 0x11223344\n sb r1, 4(r2)\n lw r3, 4(r2)" DATA, 3), 0x44u);
    cr_assert_eq(eval("la r2, buf\n li r1, 0x11223344\n sh r1, 6(r2)\n lw r3, 4(r2)" DATA, 3), 0x33440000u);
    cr_assert_eq(eval("la r2, buf\n li r1, 0x11223344\n sw r1, 4(r2)\n lw r3, 4(r2)" DATA, 3), 0x11223344u);
    cr_assert_eq(eval("la r2, buf\n addi r2, r2, 8\n li r1, 7\n sw r1, -4(r2)\n lw r3, -4(r2)" DATA, 3), 7);
}
Test(cpu, misaligned_access_traps_with_the_address)
{
    const char *cases[] = {"lw r3, 2(r2)", "lh r3, 1(r2)", "sw r1, 1(r2)", "sh r1, 3(r2)"};
    const uint32_t off[] = {2, 1, 1, 3};
    for (int i = 0; i < 4; i++) {
        char body[256];
        snprintf(body, sizeof body, " la r2, rec\nat: %s\n", cases[i]);
        struct machine *m = run_body(body, ISA_CLASSIC);
        cr_assert_eq(m->exit_code, 100 + CAUSE_MISALIGNED, "%s", cases[i]);
        cr_assert_eq(REC(m, 1), sym(m, "at"));
        cr_assert_eq(REC(m, 2), sym(m, "rec") + off[i], "%s: badaddr", cases[i]);
        shutdown(m);
    }
}
Test(cpu, access_beyond_memory_is_a_bus_error)
{
    struct machine *m = run_body(" li r2, 0x00100000\n lw r3, 0(r2)\n", ISA_CLASSIC);
    cr_assert_eq(m->exit_code, 100 + CAUSE_BUS_ERROR);
    cr_assert_eq(REC(m, 2), 0x00100000u);
    shutdown(m);
    m = run_body(" li r2, 0xfffffffc\n sw r3, 0(r2)\n", ISA_CLASSIC);
    cr_assert_eq(m->exit_code, 100 + CAUSE_BUS_ERROR);
    shutdown(m);
}

/* ---- control transfer ----------------------------------------------------- */
Test(cpu, branches_follow_their_conditions)
{
    const struct { const char *op; int32_t a, b; int taken; } t[] = {
        {"beq", 1, 1, 1}, {"beq", 1, 2, 0}, {"bne", 1, 2, 1}, {"bne", 2, 2, 0},
        {"blt", -1, 1, 1}, {"blt", 1, -1, 0}, {"bge", 1, 1, 1}, {"bge", -1, 1, 0},
        {"bltu", 1, -1, 1}, {"bltu", -1, 1, 0}, {"bgeu", -1, 1, 1}, {"bgeu", 1, -1, 0},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        char src[256];
        snprintf(src, sizeof src, "li r1, %d\n li r2, %d\n li r3, 0\n %s r1, r2, 1f\n li r3, 1\n1:",
                 t[i].a, t[i].b, t[i].op);
        cr_assert_eq(eval(src, 3), t[i].taken ? 0u : 1u, "%s %d, %d", t[i].op, t[i].a, t[i].b);
    }
}
Test(cpu, jal_and_jalr_link_the_return_address)
{
    struct machine *m = boot(".text\n_start: jal lr, f\nback: out power, r0\n"
                             "f: mov r5, lr\n la r6, g\n jalr r7, r6, 0\n"
                             "g: out power, r0\n", ISA_CLASSIC);
    machine_run(m, 0);
    cr_assert_eq(m->cpu.r[5], sym(m, "back"));
    cr_assert_eq(m->cpu.r[7], sym(m, "g"));
    shutdown(m);
}
Test(cpu, jumps_cross_pages)
{
    struct machine *m = boot(".text\n_start: li r3, 1\n j far\n .space 8192\n"
                             "far: addi r3, r3, 1\n call near\n out power, r3\n"
                             " .space 5000\nnear: addi r3, r3, 10\n ret\n", ISA_CLASSIC);
    machine_run(m, 0);
    cr_assert_eq(m->stop, STOP_EXIT);
    cr_assert_eq(m->exit_code, 12);
    shutdown(m);
}
Test(cpu, straight_line_code_runs_across_a_page_end)
{
    /* the add sits in the last word of a page, the out in the next page */
    struct machine *m = boot(".text\n_start: li r3, 4\n j 1f\n .org 0x1ffc\n1: addi r3, r3, 1\n"
                             " addi r3, r3, 1\n out power, r3\n", ISA_CLASSIC);
    machine_run(m, 0);
    cr_assert_eq(m->exit_code, 6);
    shutdown(m);
}
Test(cpu, undefined_word_is_an_illegal_instruction)
{
    struct machine *m = run_body("at: .word 0xff000000\n", ISA_CLASSIC);
    cr_assert_eq(m->exit_code, 100 + CAUSE_ILLEGAL);
    cr_assert_eq(REC(m, 1), sym(m, "at"));
    shutdown(m);
}
Test(cpu, vmcall_on_bare_metal_is_illegal)
{
    struct machine *m = run_body("at: vmcall\n", ISA_CLASSIC);
    cr_assert_eq(m->exit_code, 100 + CAUSE_ILLEGAL);
    shutdown(m);
}
Test(cpu, self_modifying_code_sees_the_new_instruction)
{
    /* overwrite `patch` (addi r3, r0, 1) with `addi r3, r0, 2`, then run it */
    struct machine *m = boot(".text\n_start: la r1, patch\n la r2, newinsn\n lw r2, 0(r2)\n"
                             " sw r2, 0(r1)\npatch: addi r3, r0, 1\n out power, r3\n"
                             " .data\nnewinsn: addi r3, r0, 2\n", ISA_CLASSIC);
    machine_run(m, 0);
    cr_assert_eq(m->exit_code, 2);
    shutdown(m);
}

/* ---- rings: privileged instructions and red pills ------------------------ */
/* One encodable instance of op (register r1, a harmless control register or port). */
static uint32_t sample_word(enum isa_op op)
{
    struct isa_insn in = {.op = op, .a = 1};
    switch (isa_info[op].format) {
    case FMT_CRW: case FMT_CRR: in.imm = CR_SCRATCH; break;
    case FMT_IN: in.imm = PORT_CON_STATUS; break;
    case FMT_OUT: in.imm = PORT_CON_CTRL; in.a = 0; break;
    default: break;
    }
    uint32_t w;
    cr_assert(isa_encode(&in, &w));
    return w;
}

Test(rings, every_privileged_instruction_faults_outside_ring_0)
{
    for (int v = 0; v < 2; v++) {
        for (int op = 1; op < OP_COUNT; op++) {
            if (!isa_is_privileged((enum isa_op)op, (enum isa_variant)v)) continue;
            for (int ring = 1; ring <= 3; ring++) {
                char body[512];
                snprintf(body, sizeof body, " to_ring %d, user\nuser: la sp, ustack\nat: .word 0x%08x\n"
                         " out power, r0\n", ring, sample_word((enum isa_op)op));
                struct machine *m = run_body(body, (enum isa_variant)v);
                cr_assert_eq(m->exit_code, 100 + CAUSE_PROTECTION, "%s in ring %d (%s)",
                             isa_info[op].mnemonic, ring, isa_variant_name((enum isa_variant)v));
                cr_assert_eq(REC(m, 1), sym(m, "at"));
                cr_assert_eq(SR_RING(REC(m, 3)), (uint32_t)ring, "ESR keeps the ring");
                shutdown(m);
            }
        }
    }
}
Test(rings, every_privileged_instruction_works_in_ring_0)
{
    for (int op = 1; op < OP_COUNT; op++) {
        if (!isa_is_privileged((enum isa_op)op, ISA_STRICT)) continue;
        if (op == OP_HLT || op == OP_IRET) continue; /* covered by their own tests */
        char body[512];
        snprintf(body, sizeof body, " la sp, ustack\nat: .word 0x%08x\n li r1, 42\n out power, r1\n",
                 sample_word((enum isa_op)op));
        struct machine *m = run_body(body, ISA_STRICT);
        cr_assert_eq(m->exit_code, 42, "%s in ring 0 stopped with %s (%u)", isa_info[op].mnemonic,
                     stop_reason_name[m->stop], m->exit_code);
        shutdown(m);
    }
}
Test(rings, pushf_in_ring_3_reveals_the_real_flags_on_classic)
{
    struct machine *m = run_body(" li r1, (3 << 1) | 1\n mtcr esr, r1\n la r1, user\n mtcr epc, r1\n"
                                 " la r1, ustack\n mtcr usp, r1\n iret\n"
                                 "user: pushf\n pop r5\n li r1, 7\n syscall\n", ISA_CLASSIC);
    cr_assert_eq(m->exit_code, 100 + CAUSE_SYSCALL);
    cr_assert_eq(SR_RING(m->cpu.r[5]), 3, "the ring shows through");
    cr_assert_eq(m->cpu.r[5] & SR_IE, SR_IE, "the real IE shows through");
    shutdown(m);
}
Test(rings, popf_in_ring_3_silently_ignores_the_interrupt_flag_on_classic)
{
    /* ring 3 with IE off; popf of a word with IE set changes nothing, no trap */
    struct machine *m = run_body(" to_ring 3, user\nuser: la sp, ustack\n li r1, 1\n push r1\n popf\n"
                                 " smsw r5\n syscall\n", ISA_CLASSIC);
    cr_assert_eq(m->exit_code, 100 + CAUSE_SYSCALL);
    cr_assert_eq(m->cpu.r[5] & SR_IE, 0, "IE unchanged");
    cr_assert_eq(SR_RING(m->cpu.r[5]), 3);
    shutdown(m);
}
Test(rings, popf_in_ring_0_sets_the_interrupt_flag)
{
    uint32_t sr = eval("la sp, 0x8000\n li r1, 1\n push r1\n popf\n smsw r3\n cli", 3);
    cr_assert_eq(sr & SR_IE, SR_IE);
}
Test(rings, smsw_and_sptb_read_privileged_state_in_ring_3_on_classic)
{
    struct machine *m = run_body(" li r1, 0x5000\n mtcr ptb, r1\n to_ring 3, user\n"
                                 "user: smsw r5\n sptb r6\n syscall\n", ISA_CLASSIC);
    cr_assert_eq(m->exit_code, 100 + CAUSE_SYSCALL);
    cr_assert_eq(SR_RING(m->cpu.r[5]), 3);
    cr_assert_eq(m->cpu.r[6], 0x5000);
    shutdown(m);
}
Test(rings, every_red_pill_traps_on_strict)
{
    int pills = 0;
    for (int op = 1; op < OP_COUNT; op++) {
        if (!isa_info[op].sensitive || isa_info[op].privileged) continue;
        pills++;
        cr_assert(!isa_is_privileged((enum isa_op)op, ISA_CLASSIC));
        char body[512];
        snprintf(body, sizeof body, " to_ring 3, user\nuser: la sp, ustack\n push r0\nat: .word 0x%08x\n syscall\n",
                 sample_word((enum isa_op)op));
        struct machine *m = run_body(body, ISA_STRICT);
        cr_assert_eq(m->exit_code, 100 + CAUSE_PROTECTION, "%s on strict", isa_info[op].mnemonic);
        shutdown(m);
        m = run_body(body, ISA_CLASSIC);
        cr_assert_eq(m->exit_code, 100 + CAUSE_SYSCALL, "%s on classic runs silently", isa_info[op].mnemonic);
        shutdown(m);
    }
    cr_assert_geq(pills, 3, "the classic ISA keeps at least three red pills");
}

/* ---- traps and interrupts ------------------------------------------------- */
Test(traps, syscall_round_trip_preserves_registers_and_switches_stacks)
{
    const char *body =
        " la r1, vec2\n mtcr vbr, r1\n to_ring 3, user\n"
        "user: la sp, ustack\n addi sp, sp, -8\n li r8, 0x1234\n li r9, 0x5678\n"
        "at: syscall\n"
        "after: mov r10, sp\n li r1, 7\n brk\n"
        "sys: mfcr r11, usp\n mov r12, sp\n mfcr r13, epc\n mfcr r7, sr\n iret\n"
        "brkh: out power, r1\n"
        " .data\n .align 4\nvec2: .word handler, handler, handler, handler, brkh, sys\n";
    struct machine *m = run_body(body, ISA_CLASSIC);
    cr_assert_eq(m->exit_code, 7);
    uint32_t usp = sym(m, "ustack") - 8;
    cr_assert_eq(m->cpu.r[11], usp, "USP holds the user's sp");
    cr_assert_eq(m->cpu.r[12], sym(m, "kstack"), "sp switched to KSP");
    cr_assert_eq(m->cpu.r[13], sym(m, "after"), "EPC after a syscall is the next instruction");
    cr_assert_eq(m->cpu.r[7] & (SR_IE | SR_RING_MASK), 0, "handler runs in ring 0, masked");
    cr_assert_eq(m->cpu.r[10], usp, "iret restores the user sp");
    cr_assert_eq(m->cpu.r[8], 0x1234);
    cr_assert_eq(m->cpu.r[9], 0x5678);
    shutdown(m);
}
Test(traps, timer_interrupts_arrive_and_are_masked_in_handlers)
{
    /* count ticks; inside the handler, spin long enough that the next tick is
     * due: it must wait for iret (the handler sees IE clear) */
    const char *body =
        " la r1, vec2\n mtcr vbr, r1\n li r1, 500\n out timer_period, r1\n sti\n"
        "wait: li r2, 3\n blt r4, r2, wait\n out timer_period, r0\n mov r1, r4\n out power, r1\n"
        "tick: addi r4, r4, 1\n smsw r6\n or r7, r7, r6\n li r5, 300\n1: addi r5, r5, -1\n bnez r5, 1b\n"
        " out timer_ack, r0\n iret\n"
        " .data\n .align 4\nvec2: .word handler, handler, handler, handler, handler, handler, handler,"
        " handler, handler, tick\n";
    struct machine *m = run_body(body, ISA_CLASSIC);
    cr_assert_eq(m->stop, STOP_EXIT, "%s", m->stop_detail);
    cr_assert_eq(m->exit_code, 3);
    cr_assert_eq(m->cpu.r[7] & SR_IE, 0, "IE was clear in every handler run");
    cr_assert_eq(m->st.traps_by_cause[CAUSE_TIMER], 3);
    shutdown(m);
}
Test(traps, hlt_waits_for_the_timer_and_charges_idle)
{
    const char *body =
        " la r1, vec2\n mtcr vbr, r1\n li r1, 10000\n out timer_period, r1\n sti\n hlt\n"
        " out power, r4\n"
        "tick: li r4, 9\n out timer_ack, r0\n iret\n"
        " .data\n .align 4\nvec2: .word handler, handler, handler, handler, handler, handler, handler,"
        " handler, handler, tick\n";
    struct machine *m = run_body(body, ISA_CLASSIC);
    cr_assert_eq(m->exit_code, 9);
    cr_assert_gt(m->st.cycles_by_cause[CY_IDLE], 9000);
    cr_assert_geq(m->st.cycles, 10000);
    shutdown(m);
}
Test(traps, hlt_with_interrupts_masked_stops_the_machine)
{
    struct machine *m = run_body(" hlt\n", ISA_CLASSIC);
    cr_assert_eq(m->stop, STOP_HALT);
    shutdown(m);
}
Test(traps, bad_handler_address_is_a_double_fault)
{
    /* the breakpoint vector points outside memory: fetching the handler
     * faults, which becomes a double fault with the bus error as BADADDR */
    const char *body = " la r1, vec2\n mtcr vbr, r1\nat: brk\n"
                       " .data\n .align 4\nvec2: .word handler, handler, handler, handler, 0x7ffff000,"
                       " handler, handler, handler, handler\n";
    struct machine *m = run_body(body, ISA_CLASSIC);
    cr_assert_eq(m->exit_code, 100 + CAUSE_DOUBLE, "%s", m->stop_detail);
    cr_assert_eq(REC(m, 2), CAUSE_BUS_ERROR);
    cr_assert_eq(REC(m, 1), sym(m, "at") + 4, "EPC of the original trap is kept");
    shutdown(m);
}
Test(traps, unreadable_vector_table_is_a_triple_fault_not_a_crash)
{
    struct machine *m = run_body(" li r1, 0x7ffff000\n mtcr vbr, r1\n brk\n", ISA_CLASSIC);
    cr_assert_eq(m->stop, STOP_TRIPLE);
    cr_assert(strstr(m->stop_detail, "triple fault"));
    shutdown(m);
}
Test(traps, faulting_handler_first_instruction_is_a_double_fault)
{
    /* every handler's first instruction faults: double fault, then triple */
    struct machine *m = run_body(" la r1, vec2\n mtcr vbr, r1\n brk\n"
                                 "bad: lw r1, 1(r0)\n"
                                 " .data\n .align 4\nvec2: .word bad, bad, bad, bad, bad, bad, bad, bad, bad\n",
                                 ISA_CLASSIC);
    cr_assert_eq(m->stop, STOP_TRIPLE);
    cr_assert_eq(m->st.traps_by_cause[CAUSE_DOUBLE], 1);
    shutdown(m);
}

/* ---- devices -------------------------------------------------------------- */
Test(devices, console_input_is_read_then_empty)
{
    struct machine *m = boot(".text\n_start: in r1, con_status\n in r2, con_data\n in r3, con_data\n"
                             " in r4, con_data\n in r5, con_status\n out power, r0\n", ISA_CLASSIC);
    machine_set_input(m, "hi", 2);
    machine_run(m, 0);
    cr_assert_eq(m->cpu.r[1], 1);
    cr_assert_eq(m->cpu.r[2], 'h');
    cr_assert_eq(m->cpu.r[3], 'i');
    cr_assert_eq(m->cpu.r[4], 0xffffffffu);
    cr_assert_eq(m->cpu.r[5], 0);
    shutdown(m);
}
Test(devices, console_output_reaches_the_host)
{
    struct machine *m = boot(".text\n_start: li r1, 'o'\n out con_data, r1\n li r1, 'k'\n out con_data, r1\n"
                             " out power, r0\n", ISA_CLASSIC);
    machine_run(m, 0);
    cr_assert_str_eq(machine_output(m), "ok");
    shutdown(m);
}
Test(devices, console_input_interrupt)
{
    const char *body = " la r1, vec2\n mtcr vbr, r1\n li r1, 1\n out con_ctrl, r1\n sti\n"
                       "1: j 1b\n"
                       "rx: in r2, con_data\n out con_data, r2\n in r3, con_status\n bnez r3, rx\n out power, r0\n"
                       " .data\n .align 4\nvec2: .word handler, handler, handler, handler, handler, handler,"
                       " handler, handler, handler, handler, rx\n";
    char *src = with_prelude(body);
    struct machine *m = boot(src, ISA_CLASSIC);
    free(src);
    machine_set_input(m, "abc", 3);
    machine_run(m, 0);
    cr_assert_eq(m->stop, STOP_EXIT, "%s", m->stop_detail);
    cr_assert_str_eq(machine_output(m), "abc");
    shutdown(m);
}

/* ---- cycles --------------------------------------------------------------- */
static uint64_t sum_causes(const struct machine *m)
{
    uint64_t s = 0;
    for (int i = 0; i < CY_COUNT; i++) s += m->st.cycles_by_cause[i];
    return s;
}
Test(cycles, causes_add_up_to_the_total)
{
    struct machine *m = run_body(" li r1, 100\n1: addi r1, r1, -1\n sw r1, 0(r0)\n bnez r1, 1b\n"
                                 " la r1, 0\n div r1, r1, r0\n", ISA_CLASSIC);
    cr_assert_eq(sum_causes(m), m->st.cycles);
    cr_assert_gt(m->st.cycles_by_cause[CY_TRAP], 0);
    cr_assert_gt(m->st.cycles_by_cause[CY_MEM], 0);
    shutdown(m);
}
Test(cycles, a_loop_costs_what_the_profile_says)
{
    /* 10 iterations of addi+bne (alu 1 + branch 1), plus li (2 alu) and out (io) */
    struct machine *m = boot(".text\n_start: li r1, 10\n1: addi r1, r1, -1\n bnez r1, 1b\n out power, r0\n",
                             ISA_CLASSIC);
    machine_run(m, 0);
    const struct profile *p = &m->prof;
    uint64_t want = 2 * p->class_cycles[CL_ALU] + 10 * (p->class_cycles[CL_ALU] + p->class_cycles[CL_BRANCH]) +
                    p->class_cycles[CL_IO] + p->io_access;
    cr_assert_eq(m->st.cycles, want);
    cr_assert_eq(m->st.instructions, 2 + 20 + 1);
    shutdown(m);
}
Test(cycles, a_fault_refunds_the_rest_of_its_block)
{
    /* the lw faults; the two addi after it never run and must not be charged */
    struct machine *m = run_body(" li r2, 1\n addi r3, r0, 1\nat: lw r1, 0(r2)\n addi r3, r3, 1\n addi r3, r3, 1\n",
                                 ISA_CLASSIC);
    struct machine *ref = run_body(" li r2, 1\n addi r3, r0, 1\nat: lw r1, 0(r2)\n", ISA_CLASSIC);
    cr_assert_eq(m->st.instructions, ref->st.instructions);
    cr_assert_eq(m->st.cycles, ref->st.cycles);
    shutdown(m);
    shutdown(ref);
}
Test(cycles, max_cycles_stops_a_runaway_guest)
{
    struct machine_config cfg = {.memsize = 1u << 20, .max_cycles = 100000};
    struct machine *m = boot_cfg(".text\n_start: j _start\n", &cfg);
    machine_run(m, 0);
    cr_assert_eq(m->stop, STOP_CYCLE_LIMIT);
    cr_assert_geq(m->st.cycles, 100000);
    cr_assert_lt(m->st.cycles, 100000 + 100);
    shutdown(m);
}
Test(cycles, stepping_and_full_speed_reach_the_same_state)
{
    const char *body =
        " la r1, vec2\n mtcr vbr, r1\n li r1, 333\n out timer_period, r1\n sti\n"
        " li r8, 2000\n1: lw r2, 0(r0)\n add r2, r2, r8\n sw r2, 0(r0)\n addi r8, r8, -1\n bnez r8, 1b\n"
        " out power, r4\n"
        "tick: addi r4, r4, 1\n out timer_ack, r0\n iret\n"
        " .data\n .align 4\nvec2: .word handler, handler, handler, handler, handler, handler, handler,"
        " handler, handler, tick\n";
    char *src = with_prelude(body);
    struct machine *fast = boot(src, ISA_CLASSIC);
    struct machine *slow = boot(src, ISA_CLASSIC);
    free(src);
    machine_run(fast, 0);
    int steps = 0;
    while (machine_run(slow, 7) == STOP_STEPS) steps++;
    cr_assert_gt(steps, 100);
    cr_assert_eq(fast->stop, STOP_EXIT);
    cr_assert_eq(slow->stop, STOP_EXIT);
    cr_assert_eq(fast->exit_code, slow->exit_code);
    cr_assert_gt(fast->exit_code, 5, "the timer interrupted the loop");
    cr_assert_eq(fast->st.cycles, slow->st.cycles);
    cr_assert_eq(fast->st.instructions, slow->st.instructions);
    cr_assert_eq(memcmp(fast->cpu.r, slow->cpu.r, sizeof fast->cpu.r), 0);
    cr_assert_eq(memcmp(fast->st.cycles_by_cause, slow->st.cycles_by_cause, sizeof fast->st.cycles_by_cause), 0);
    shutdown(fast);
    shutdown(slow);
}
Test(cycles, runs_are_deterministic)
{
    const char *src = ".text\n_start: li r1, 77\n out timer_period, r1\n li r8, 500\n"
                      "1: addi r8, r8, -1\n in r2, timer_now\n add r9, r9, r2\n bnez r8, 1b\n out power, r9\n";
    struct machine *a = boot(src, ISA_CLASSIC), *b = boot(src, ISA_CLASSIC);
    machine_run(a, 0);
    machine_run(b, 0);
    cr_assert_eq(a->st.cycles, b->st.cycles);
    cr_assert_eq(a->cpu.r[9], b->cpu.r[9]);
    shutdown(a);
    shutdown(b);
}
