/*
 * test_hw_isolation.c — hardware assist keeps a guest's own privilege
 * levels and shares the machine fairly between VMs.
 *
 * Privilege before exits: as on VT-x, an instruction privileged on the ISA
 * variant, run in the guest's ring 1, 2 or 3, takes the guest's own
 * protection fault exactly as on bare metal — it never becomes a VM exit
 * that the hypervisor emulates with the guest kernel's rights.  Every test
 * runs one small bare-metal guest natively, under hw+nested and under
 * hw+shadow, and compares the trap logs byte for byte.
 *
 * Several VMs: the host timer of the running VM is set from its own slice
 * and its own virtual timer only, so N VMs take about N times one VM's
 * exits, and a VM that asks for a timer tick every cycle cannot starve the
 * others.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "hypervisor/hv.h"
#include "tests/helpers.h"

/* ---- the trap-log guest ------------------------------------------------------
 * A bare-metal kernel: a vector table sending every cause to `trap`, a page-
 * table base of 0x00345000 (paging stays off: only sptb and mfcr can see it),
 * then `user` runs in ring 3 and again in ring 1, interrupts off.  The user
 * code sets r6 = the address of `at`, runs the instruction under test there,
 * then makes a system call (to show r6) and a breakpoint (end of the ring).
 * For every trap the handler prints cause, EPC, ESR and r6, one hex word a
 * line, then goes on past a fault (syscall and hypercall traps are past
 * their instruction already). */
static const char *const LOG_GUEST =
    "        .text\n"
    "_start: la r1, vectors\n mtcr vbr, r1\n la r1, kstack\n mtcr ksp, r1\n"
    "        li r1, 0x00345000\n mtcr ptb, r1\n"
    "        li r9, 6\n"                                  /* ESR: ring 3, IE off */
    "enter:  mtcr esr, r9\n la r1, user\n mtcr epc, r1\n la r1, ustack\n mtcr usp, r1\n iret\n"
    "trap:   mfcr r7, cause\n li r8, 4\n beq r7, r8, ring_done\n"
    "        mov r1, r7\n call hex\n mfcr r1, epc\n call hex\n mfcr r1, esr\n call hex\n"
    "        mov r1, r6\n call hex\n"
    "        li r8, 5\n beq r7, r8, 1f\n li r8, 11\n beq r7, r8, 1f\n"
    "        mfcr r1, epc\n addi r1, r1, 4\n mtcr epc, r1\n"
    "1:      iret\n"
    "ring_done: addi r9, r9, -4\n li r8, 2\n beq r9, r8, enter\n" /* then ring 1 */
    "        out power, r0\n"
    "user:   %s\n la r6, at\n"
    "at:     %s\n %s\n"
    "        syscall\n brk\n"
    PRINT_HEX
    "        .data\n .align 4\n"
    "vectors: .word trap, trap, trap, trap, trap, trap, trap, trap\n"
    "        .word trap, trap, trap, trap, trap, trap, trap, trap\n"
    "        .space 256\nkstack: .space 256\nustack:\n";

struct log_guest {
    char img[256];
    uint32_t at;             /* address of the instruction under test */
};

/* Assembles the trap-log guest around insn (pre before it, post after). */
static struct log_guest build(const char *pre, const char *insn, const char *post)
{
    struct log_guest g;
    char src[4096];
    snprintf(src, sizeof src, LOG_GUEST, pre, insn, post);
    snprintf(g.img, sizeof g.img, "%s", assemble(temp_dir(), "guest", src));
    struct isa_image img = {0};
    char err[256];
    cr_assert(isa_image_load(g.img, &img, err, sizeof err), "%s", err);
    cr_assert(isa_image_symbol_addr(&img, "at", &g.at));
    isa_image_free(&img);
    return g;
}

static const char *const isa_opt[] = {[ISA_CLASSIC] = "classic", [ISA_STRICT] = "strict"};
static const char *const hw_opts[] = {"--mode hw --mmu nested", "--mode hw --mmu shadow"};

/* Runs the guest natively and under both kinds of hardware assist: the same
 * trap log and exit status every time.  Returns the native log (malloc'd). */
static char *same_trap_log(const struct log_guest *g, enum isa_variant isa, const char *what)
{
    char a[512];
    int st_native, st;
    snprintf(a, sizeof a, "run %s --isa %s", g->img, isa_opt[isa]);
    char *native = run_out(a, &st_native);
    cr_assert_eq(st_native, 0, "%s on %s natively: status %d\n%s", what, isa_opt[isa], st_native, native);
    for (int k = 0; k < 2; k++) {
        snprintf(a, sizeof a, "run %s --isa %s %s", g->img, isa_opt[isa], hw_opts[k]);
        char *hw = run_out(a, &st);
        cr_assert_eq(st, st_native, "%s on %s, %s: status %d, natively %d", what, isa_opt[isa], hw_opts[k], st,
                     st_native);
        cr_assert_str_eq(hw, native, "%s on %s, %s: the guest's trap log differs from bare metal's", what,
                         isa_opt[isa], hw_opts[k]);
        free(hw);
    }
    return native;
}

/* One trap of the log: what the handler printed. */
struct trap_line {
    uint32_t cause, epc, esr, r6;
};

/* The traps of a log, at most max; returns how many. */
static int traps_of(const char *log, struct trap_line *t, int max)
{
    int n = 0;
    const char *p = log;
    while (n < max) {
        int used = 0;
        if (sscanf(p, "%8x\n%8x\n%8x\n%8x\n%n", &t[n].cause, &t[n].epc, &t[n].esr, &t[n].r6, &used) != 4 ||
            used != 36)
            break;
        p += used;
        n++;
    }
    cr_assert_eq(*p, 0, "unexpected output after %d traps:\n%s", n, log);
    return n;
}

/* The first trap of the log with this cause from the ring whose SR is esr,
 * or NULL. */
static const struct trap_line *find_trap(const char *log, uint32_t cause, uint32_t esr)
{
    static struct trap_line t[16];
    int n = traps_of(log, t, 16);
    for (int i = 0; i < n; i++)
        if (t[i].cause == cause && t[i].esr == esr) return &t[i];
    return NULL;
}

/* The log holds a protection fault at `at` from the ring whose SR is esr,
 * with r6 as it was before (the instruction did nothing). */
static bool has_fault(const char *log, uint32_t at, uint32_t esr)
{
    const struct trap_line *t = find_trap(log, CAUSE_PROTECTION, esr);
    return t && t->epc == at && t->r6 == at;
}

/* insn, run in ring 3 and in ring 1, is a protection fault at its own
 * address under every technique, on both ISA variants (or just one). */
static void assert_privileged(const char *pre, const char *insn, const char *post, int only_isa)
{
    struct log_guest g = build(pre, insn, post);
    for (int isa = ISA_CLASSIC; isa <= ISA_STRICT; isa++) {
        if (only_isa >= 0 && isa != only_isa) continue;
        char *log = same_trap_log(&g, (enum isa_variant)isa, insn);
        cr_assert(has_fault(log, g.at, 6), "%s on %s: no protection fault from ring 3:\n%s", insn,
                  isa_opt[isa], log);
        cr_assert(has_fault(log, g.at, 2), "%s on %s: no protection fault from ring 1:\n%s", insn,
                  isa_opt[isa], log);
        free(log);
    }
}

TestSuite(hw, .timeout = 120);

Test(hw, ring3_hlt_is_a_protection_fault)
{
    /* not a halted (or ended) VM: the guest's kernel hears of it */
    assert_privileged("", "hlt", "", -1);
}

Test(hw, ring3_out_power_is_a_protection_fault)
{
    /* r6 holds a non-zero code: had the hypervisor emulated the out, the VM
     * would have ended with it before printing anything */
    assert_privileged("", "out power, r6", "", -1);
}

Test(hw, ring3_out_to_console_and_timer_is_a_protection_fault)
{
    assert_privileged("", "out con_data, r6", "", -1);
    assert_privileged("", "out timer_period, r6", "", -1);
    assert_privileged("", "out timer_ack, r0", "", -1);
    assert_privileged("", "out con_ctrl, r6", "", -1);
}

Test(hw, ring3_in_is_a_protection_fault)
{
    assert_privileged("", "in r6, timer_now", "", -1);
    assert_privileged("", "in r6, con_status", "", -1);
    assert_privileged("", "in r6, timer_period", "", -1);
}

Test(hw, ring3_mtcr_is_a_protection_fault)
{
    /* ptb, mmu and asid exit under hw+shadow: the fault must come first */
    assert_privileged("", "mtcr ptb, r6", "", -1);
    assert_privileged("", "mtcr mmu, r6", "", -1);
    assert_privileged("", "mtcr asid, r6", "", -1);
    assert_privileged("", "mtcr sr, r6", "", -1);
}

Test(hw, ring3_mfcr_is_a_protection_fault)
{
    assert_privileged("", "mfcr r6, ptb", "", -1);
    assert_privileged("", "mfcr r6, asid", "", -1);
    assert_privileged("", "mfcr r6, memsize", "", -1);
    assert_privileged("", "mfcr r6, sr", "", -1);
}

Test(hw, ring3_invlpg_and_tlbflush_are_protection_faults)
{
    assert_privileged("", "invlpg r6", "", -1);
    assert_privileged("", "tlbflush", "", -1);
}

Test(hw, ring3_cli_sti_iret_are_protection_faults)
{
    assert_privileged("", "cli", "", -1);
    assert_privileged("", "sti", "", -1);
    assert_privileged("", "iret", "", -1);
}

Test(hw, ring3_sptb_on_strict_is_a_protection_fault)
{
    /* sptb exits under hw+shadow (the real ptb is the shadow's) */
    assert_privileged("", "sptb r6", "", ISA_STRICT);
    assert_privileged("", "smsw r6", "", ISA_STRICT);
    assert_privileged("", "pushf", "pop r6", ISA_STRICT);
    assert_privileged("li r6, 1\n push r6", "popf", "", ISA_STRICT);
}

/* On classic: no fault, and the system call after the instruction shows
 * r6 = want3 from ring 3, want1 from ring 1. */
static void assert_reveals(const char *pre, const char *insn, const char *post, uint32_t want3, uint32_t want1)
{
    struct log_guest g = build(pre, insn, post);
    char *log = same_trap_log(&g, ISA_CLASSIC, insn);
    cr_assert(!find_trap(log, CAUSE_PROTECTION, 6) && !find_trap(log, CAUSE_PROTECTION, 2),
              "%s faults on classic:\n%s", insn, log);
    const struct trap_line *t3 = find_trap(log, CAUSE_SYSCALL, 6);
    cr_assert(t3, "%s: no system call from ring 3:\n%s", insn, log);
    cr_assert_eq(t3->r6, want3, "%s in ring 3 gives 0x%08x:\n%s", insn, t3->r6, log);
    const struct trap_line *t1 = find_trap(log, CAUSE_SYSCALL, 2);
    cr_assert(t1, "%s: no system call from ring 1:\n%s", insn, log);
    cr_assert_eq(t1->r6, want1, "%s in ring 1 gives 0x%08x:\n%s", insn, t1->r6, log);
    free(log);
}

Test(hw, red_pills_on_classic_reveal_the_guests_own_state)
{
    /* unprivileged on classic, they run in any ring; under hw they show what
     * bare metal shows the guest — its own ring and page-table base, not the
     * non-root CPU's or the shadow's */
    assert_reveals("", "sptb r6", "", 0x00345000, 0x00345000);
    assert_reveals("", "smsw r6", "", 6, 2);
    assert_reveals("", "pushf", "pop r6", 6, 2);
    /* popf outside ring 0 leaves IE alone */
    assert_reveals("li r6, 1\n push r6", "popf", "smsw r6", 6, 2);
}

Test(hw, vmcall_from_the_guests_rings_is_what_bare_metal_does)
{
    /* ring 3: illegal instruction at the vmcall; ring 1: a hypercall trap
     * past it (a paravirtual kernel's call, with no hypervisor to serve it) */
    struct log_guest g = build("", "vmcall", "");
    for (int isa = ISA_CLASSIC; isa <= ISA_STRICT; isa++) {
        char *log = same_trap_log(&g, (enum isa_variant)isa, "vmcall");
        const struct trap_line *t3 = find_trap(log, CAUSE_ILLEGAL, 6), *t1 = find_trap(log, CAUSE_HYPERCALL, 2);
        cr_assert(t3 && t3->epc == g.at, "ring 3 vmcall on %s:\n%s", isa_opt[isa], log);
        cr_assert(t1 && t1->epc == g.at + 4, "ring 1 vmcall on %s:\n%s", isa_opt[isa], log);
        free(log);
    }
}

/* ---- in process: the exception bitmap, and the handlers' own check --------- */
static struct cli_machine load(const char *img, const char *mmu, enum isa_variant isa, char **buf, size_t *len)
{
    struct machine_opts o;
    cli_machine_defaults(&o);
    o.mode = "hw";
    o.mmu = mmu;
    o.isa = isa;
    char *images[] = {(char *)img, NULL};
    struct cli_machine cm;
    cr_assert(cli_machine_load(&o, images, 1, "test", &cm), "cannot load %s", img);
    cm.m->con.out = open_memstream(buf, len);
    return cm;
}

/* buf is where load's console stream keeps its buffer: final once closed. */
static void unload(struct cli_machine *cm, char **buf)
{
    fclose(cm->m->con.out);
    cm->m->con.out = NULL;
    free(*buf);
    *buf = NULL;
    cli_machine_free(cm);
}

static unsigned protection_exits;
static void count_protection_exits(void *ctx, struct machine *m, const struct trace_event *ev)
{
    (void)ctx;
    (void)m;
    if (ev->kind == TR_VMEXIT && ev->a == EXIT_EXCEPTION && ev->b == CAUSE_PROTECTION) protection_exits++;
}

Test(hw, a_protection_fault_in_the_exception_bitmap_is_an_exception_exit)
{
    /* A hypervisor that asks to see protection faults gets them as exception
     * exits with that cause — not as hlt exits — and its handler delivers
     * them to the guest, which sees what it sees on bare metal. */
    struct log_guest g = build("", "hlt", "");
    int st;
    char a[512];
    snprintf(a, sizeof a, "run %s", g.img);
    char *native = run_out(a, &st);
    for (int k = 0; k < 2; k++) {
        char *buf = NULL;
        size_t len = 0;
        struct cli_machine cm = load(g.img, k ? "shadow" : "nested", ISA_CLASSIC, &buf, &len);
        cm.m->vmx.vmcs[0].exception_bitmap |= 1u << CAUSE_PROTECTION;
        protection_exits = 0;
        cm.m->trace = count_protection_exits;
        cli_machine_start(&cm);
        cr_assert_eq(machine_run(cm.m, 0), STOP_EXIT);
        fflush(cm.m->con.out);
        cr_assert_str_eq(buf ? buf : "", native, "--mmu %s", k ? "shadow" : "nested");
        cr_assert_eq(protection_exits, 2, "one from ring 3, one from ring 1: %u", protection_exits);
        cr_assert_eq(cm.m->vmx.exits_by_reason[EXIT_HLT], 0);
        unload(&cm, &buf);
    }
    free(native);
}

/* Makes the CPU leave the guest with `reason` for the instruction at pc as if
 * it were in ring 3 — what a CPU that exits before checking privilege did —
 * and checks that the hypervisor delivers a protection fault instead of
 * emulating the instruction. */
static void assert_refused(struct cli_machine *cm, uint32_t pc, enum vmexit_reason reason, uint32_t qual)
{
    struct machine *m = cm->m;
    cr_assert(m->cpu.nonroot);
    m->cpu.cr[CR_SR] = 3u << SR_RING_SHIFT;
    m->cpu.pc = pc;
    uint64_t exits = m->vmx.exits_by_reason[reason];
    vmx_exit(m, reason, qual);
    cr_assert_eq(m->vmx.exits_by_reason[reason], exits + 1);
    cr_assert_eq(cm->hv->vms[0].state, VM_RUNNABLE, "%s: the VM goes on", vmexit_reason_name[reason]);
    cr_assert(m->cpu.nonroot, "%s: back in the guest", vmexit_reason_name[reason]);
    cr_assert_eq(m->cpu.cr[CR_CAUSE], CAUSE_PROTECTION, "%s", vmexit_reason_name[reason]);
    cr_assert_eq(m->cpu.cr[CR_EPC], pc, "%s", vmexit_reason_name[reason]);
    cr_assert_eq(SR_RING(m->cpu.cr[CR_ESR]), 3);
    cr_assert_eq(SR_RING(m->cpu.cr[CR_SR]), 0, "in the guest's own handler");
}

Test(hw, exit_handlers_never_emulate_a_privileged_instruction_for_ring_3)
{
    const char *insns[] = {"out power, r6", "hlt", "mtcr ptb, r6", "invlpg r6", "tlbflush", "in r6, timer_now"};
    for (int k = 0; k < 6; k++) {
        struct log_guest g = build("", insns[k], "");
        for (int shadow = 0; shadow < 2; shadow++) {
            char *buf = NULL;
            size_t len = 0;
            struct cli_machine cm = load(g.img, shadow ? "shadow" : "nested", ISA_CLASSIC, &buf, &len);
            cli_machine_start(&cm);
            uint32_t ptb = cm.hv->vcpu.cr[CR_PTB];
            switch (k) {
            case 0: assert_refused(&cm, g.at, EXIT_IO, PORT_POWER | 0x10000u | (6u << 20)); break;
            case 1: assert_refused(&cm, g.at, EXIT_HLT, 0); break;
            case 5: assert_refused(&cm, g.at, EXIT_IO, PORT_TIMER_NOW | (6u << 20)); break;
            default:
                /* decoded from guest memory: only under shadow paging */
                if (!shadow) break;
                assert_refused(&cm, g.at, k == 2 ? EXIT_CR_ACCESS : EXIT_INVLPG, k == 2 ? CR_PTB : 0);
                cr_assert_eq(cm.hv->vcpu.cr[CR_PTB], ptb, "the guest's ptb is unchanged");
                break;
            }
            unload(&cm, &buf);
        }
    }
}

/* ---- several VMs ------------------------------------------------------------ */
static long long top(json_t *o, const char *key) { return json_integer_value(json_object_get(o, key)); }
static json_t *vm_of(json_t *o, size_t i) { return json_array_get(json_object_get(o, "vms"), i); }
static long long vm_exits(json_t *o, size_t i) { return stats_num(vm_of(o, i), "vmexits", "total"); }

Test(hw, two_vms_take_few_exits)
{
    /* The host timer used to be set from every VM's virtual-timer deadline,
     * stale ones of VMs not running included: the running VM then left at
     * nearly every block.  Two VMs now take about twice one VM's exits, plus
     * the switches between slices. */
    json_t *one = stats_of("run syscall --mode hw");
    json_t *two = stats_of("run syscall syscall --mode hw");
    long long e1 = stats_num(one, "vmexits", "total"), e2 = stats_num(two, "vmexits", "total");
    cr_assert_gt(e1, 0);
    cr_assert_lt(e2, 3 * e1, "2 VMs take %lld exits, 1 VM %lld", e2, e1);
    for (size_t i = 0; i < 2; i++)
        cr_assert_lt(vm_exits(two, i), e1 + e1 / 2, "VM %zu takes %lld exits, alone %lld", i, vm_exits(two, i), e1);
    json_decref(one);
    json_decref(two);
}

Test(hw, eight_vms_spend_little_on_exits)
{
    json_t *one = stats_of("run compute --mode hw");
    json_t *eight = stats_of("run compute compute compute compute compute compute compute compute --mode hw");
    double share1 = (double)stats_num(one, "cycles_by_cause", "vmexit") / (double)top(one, "cycles");
    double share8 = (double)stats_num(eight, "cycles_by_cause", "vmexit") / (double)top(eight, "cycles");
    cr_assert_lt(share8, 2 * share1, "vmexit share: %.3f with 8 VMs, %.3f with one", share8, share1);
    long long e1 = stats_num(one, "vmexits", "total");
    for (size_t i = 0; i < 8; i++)
        cr_assert_lt(vm_exits(eight, i), e1 + e1 / 2, "VM %zu takes %lld exits, alone %lld", i,
                     vm_exits(eight, i), e1);
    json_decref(one);
    json_decref(eight);
}

Test(hw, timer_storm_does_not_starve_victim)
{
    char storm[256];
    char *src = slurp(root_path("guests/attacks/timer_storm.s"));
    cr_assert(src, "guests/attacks/timer_storm.s");
    snprintf(storm, sizeof storm, "%s", assemble(temp_dir(), "storm", src));
    free(src);
    char a[1024];
    int st;
    /* the storm itself works: natively and alone under hw it takes its
     * interrupts and ends */
    snprintf(a, sizeof a, "run %s", storm);
    free(run_out(a, &st));
    cr_assert_eq(st, 0, "the storm natively");
    snprintf(a, sizeof a, "run %s --mode hw", storm);
    free(run_out(a, &st));
    cr_assert_eq(st, 0, "the storm alone under hw");

    /* the victim alone */
    char *alone = run_out("run syscall --mode hw", &st);
    cr_assert_eq(st, 0);
    json_t *solo = stats_of("run syscall --mode hw");
    long long c1 = top(solo, "cycles"), e1 = stats_num(solo, "vmexits", "total");
    json_decref(solo);

    /* Beside the storm, with the time two fair VMs need and a little more:
     * the victim must have printed what it prints alone and ended; the
     * storm, still running, had its interrupts. */
    const char *dir = temp_dir();
    char path[128];
    snprintf(path, sizeof path, "%s/s.json", dir);
    snprintf(a, sizeof a, "run %s syscall --mode hw --max-cycles %lld --stats %s", storm, c1 * 5 / 2, path);
    char *out = run_out(a, &st);
    char want[512];
    snprintf(want, sizeof want, "[syscall] %s", alone);
    cr_assert(strstr(out, want), "the victim's output beside the storm:\n%s\nalone:\n%s", out, alone);
    json_t *o = json_load_file(path, 0, NULL);
    cr_assert(o, "%s", a);
    json_t *victim = vm_of(o, 1), *attacker = vm_of(o, 0);
    cr_assert_str_eq(json_string_value(json_object_get(victim, "state")), "ended", "the victim finished in %lld cycles",
                     c1 * 5 / 2);
    long long vc = top(victim, "cycles");
    cr_assert_lt(vc, c1 + c1 / 4, "the victim ran %lld cycles, alone %lld: its slices are its own", vc, c1);
    cr_assert_lt(vm_exits(o, 1), 2 * e1, "the victim took %lld exits, alone %lld", vm_exits(o, 1), e1);
    cr_assert_gt(stats_num(json_object_get(attacker, "vmexits"), "by_reason", "interrupt_window") +
                     stats_num(json_object_get(attacker, "vmexits"), "by_reason", "external_interrupt"),
                 10, "the storm gets its interrupts");
    json_decref(o);
    unlink(path);
    rmdir(dir);
    free(out);
    free(alone);
}
