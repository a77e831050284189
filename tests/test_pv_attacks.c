/*
 * test_pv_attacks.c — paravirtualisation (--mode pv, hypervisor/pv.c)
 * against a hostile guest.
 *
 * Each test is one attack by a small paravirtual guest written against the
 * documented interface only (the hypercalls and the shared page of
 * guests/kernel/defs.s, the MMU of docs/isa.md): it shares a page, loads
 * page tables of its own, and then asks by hypercall, with arguments of its
 * choosing, for what no guest may get — a writable view of one of its own
 * validated page tables, and through it a mapping of the hypervisor's
 * memory.  Every attack must be refused or contained: the guest gets the
 * documented refusal (r1 = -1, or fewer items done) or a fault of its own,
 * and no byte of host memory outside the VM changes — but for the accessed
 * and dirty bits the MMU sets in the hypervisor's own boot map while the
 * guest runs on it.  The machine is driven through the C API so that the
 * test sees all of host memory.
 *
 * The guest's first tables are built here, in its memory, before it runs,
 * as its boot code would build them on the boot map; they are checked like
 * any others when the guest loads its first root.  Guest-physical layout:
 * code and data from 0x1000, the tables from 0x10000 (the root first, then
 * in the order a walk of 0..4 MiB needs them), an identity map of the whole
 * 4 MiB VM, writable except for the tables themselves.  The frames the
 * attacks play with (X, Y, S, T, N, U) are spare ones above them.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hypervisor/hv.h"
#include "tests/helpers.h"

#define VM_SIZE (4u << 20)
#define TABLES 0x10000u
#define MAX_TABLES 64u
#define REFUSED 0xffffffffu
#define EVIL 0x00800003u               /* an entry mapping host memory beyond the VM, writable */

struct run {
    struct machine m;
    struct hv hv;
    struct isa_image img;
    uint8_t *before;                   /* host memory above the VM, before the guest ran */
    uint32_t tables[MAX_TABLES];
    unsigned ntables;
    char *out;                         /* what the guest printed */
    size_t outlen;
};

static uint32_t grd(struct run *r, uint32_t gpa)
{
    uint32_t v;
    memcpy(&v, r->m.mem + gpa, 4);      /* VM 0 sits at host address 0 (hv.c) */
    return v;
}
static void gwr(struct run *r, uint32_t gpa, uint32_t v) { memcpy(r->m.mem + gpa, &v, 4); }

static uint32_t new_table(struct run *r)
{
    cr_assert_lt(r->ntables, MAX_TABLES);
    uint32_t t = TABLES + 4096u * r->ntables;
    r->tables[r->ntables++] = t;
    return t;
}

/* The bottom-level entry that maps va, tables made on the way. */
static uint32_t leaf_entry(struct run *r, uint32_t va)
{
    unsigned bits[MMU_MAX_LEVELS], levels = r->m.levels, shift = 32;
    mmu_level_bits(levels, bits);
    uint32_t table = r->tables[0];
    for (unsigned l = 0;; l++) {
        shift -= bits[l];
        uint32_t e = table + 4 * ((va >> shift) & ((1u << bits[l]) - 1));
        if (l == levels - 1) return e;
        if (!(grd(r, e) & PTE_P)) gwr(r, e, new_table(r) | PTE_P | PTE_W);
        table = grd(r, e) & PTE_FRAME;
    }
}

/* What every attack shares: the hypercall numbers (guests/kernel/defs.s),
 * the boot (shared page, vector table, then — unless EARLY — its own root
 * loaded), the trap handler and the data.  The handler logs each fault
 * (cause, badaddr: flog) and goes on at resume_at if the attack set it (a
 * guest whose shared page is not writable to it cannot return through it),
 * else after the faulting instruction.  r9 walks `results`: SAVE stores r1,
 * the answer of the last hypercall. */
static const char prelude[] =
    "        .equ P, 0x01\n"
    "        .equ W, 0x02\n"
    "        .equ L, 0x20\n"
    "        .equ HC_SHARED_INFO, 1\n"
    "        .equ HC_SET_TRAP_TABLE, 2\n"
    "        .equ HC_STACK_SWITCH, 3\n"
    "        .equ HC_MMU_UPDATE, 4\n"
    "        .equ HC_PIN, 5\n"
    "        .equ HC_UNPIN, 6\n"
    "        .equ HC_NEW_BASEPTR, 7\n"
    "        .equ HC_UPDATE_VA, 8\n"
    "        .equ HC_INVLPG, 9\n"
    "        .equ HC_TLB_FLUSH, 10\n"
    "        .equ HC_IRET, 11\n"
    "        .equ HC_OUT, 13\n"
    "        .equ HC_CONSOLE_WRITE, 14\n"
    "        .equ VM_END, 0x400000\n"
    "        .equ X, 0x80000\n"
    "        .equ Y, 0x81000\n"
    "        .equ S, 0x82000\n"
    "        .equ T, 0x83000\n"
    "        .equ N, 0x84000\n"
    "        .equ U, 0x86000\n"
    "        .equ HVMEM, 0x800000\n"
    "        .equ EVIL, HVMEM | P | W\n"
    "        .equ MAGIC, 0x5a5a5a5a\n"
    "        .macro HC n\n"
    "        li r1, \\n\n"
    "        vmcall\n"
    "        .endm\n"
    "        .macro SAVE\n"
    "        sw r1, 0(r9)\n"
    "        addi r9, r9, 4\n"
    "        .endm\n"
    "        .macro UPDATE entry, value\n"
    "        la r2, list\n"
    "        li r4, \\entry\n"
    "        sw r4, 0(r2)\n"
    "        li r4, \\value\n"
    "        sw r4, 4(r2)\n"
    "        li r3, 1\n"
    "        HC HC_MMU_UPDATE\n"
    "        .endm\n"
    "        .macro RESUME_AT label\n"
    "        la r4, \\label\n"
    "        la r5, resume_at\n"
    "        sw r4, 0(r5)\n"
    "        .endm\n"
    "        .text\n"
    "_start: la r2, shared\n"
    "        HC HC_SHARED_INFO\n"
    "        la r2, vectors\n"
    "        HC HC_SET_TRAP_TABLE\n"
    "        la r2, kstack\n"
    "        HC HC_STACK_SWITCH\n"
    "        la r9, results\n"
    "        .ifndef EARLY\n"
    "        li r2, ROOT\n"
    "        HC HC_PIN\n"
    "        bnez r1, broken\n"
    "        li r2, ROOT\n"
    "        li r3, 1\n"
    "        HC HC_NEW_BASEPTR\n"
    "        bnez r1, broken\n"
    "        .endif\n"
    "        j attack\n"
    "broken: li r2, 0\n"
    "        li r3, 0xee\n"
    "        HC HC_OUT\n"
    "done:   li r2, 0\n"
    "        li r3, 0\n"
    "        HC HC_OUT\n";

static const char epilogue[] =
    "handler:\n"
    "        addi sp, sp, -12\n"
    "        sw r2, 8(sp)\n"
    "        sw r3, 4(sp)\n"
    "        sw r4, 0(sp)\n"
    "        la r2, shptr\n"
    "        lw r2, 0(r2)\n"
    "        la r3, nfaults\n"
    "        lw r4, 0(r3)\n"
    "        addi r4, r4, 1\n"
    "        sw r4, 0(r3)\n"
    "        sltiu r3, r4, 9\n"
    "        beqz r3, 1f\n"
    "        slli r4, r4, 3\n"
    "        la r3, flog\n"
    "        add r3, r3, r4\n"
    "        lw r4, 8(r2)\n"
    "        sw r4, -8(r3)\n"
    "        lw r4, 20(r2)\n"
    "        sw r4, -4(r3)\n"
    "1:      la r3, resume_at\n"
    "        lw r8, 0(r3)\n"
    "        beqz r8, 2f\n"
    "        sw r0, 0(r3)\n"
    "        lw r4, 0(sp)\n"
    "        lw r3, 4(sp)\n"
    "        lw r2, 8(sp)\n"
    "        addi sp, sp, 12\n"
    "        jr r8\n"
    "2:      lw r4, 12(r2)\n"
    "        addi r4, r4, 4\n"
    "        sw r4, 12(r2)\n"
    "        sw r1, 36(r2)\n"
    "        lw r4, 0(sp)\n"
    "        lw r3, 4(sp)\n"
    "        lw r2, 8(sp)\n"
    "        addi sp, sp, 12\n"
    "        HC HC_IRET\n"
    "        .data\n"
    "        .align 4\n"
    "shared: .space 48\n"
    "shptr:  .word shared\n"
    "resume_at: .word 0\n"
    "nfaults: .word 0\n"
    "flog:   .space 64\n"
    "list:   .space 64\n"
    "results: .space 256\n"
    "vectors: .word handler, handler, handler, handler, handler, handler, handler, handler\n"
    "        .word handler, handler, handler, handler, handler, handler, handler, handler\n"
    "        .bss\n"
    "        .align 4\n"
    "        .space 1024\n"
    "kstack:\n";

struct attack_cfg {
    unsigned levels;                   /* 2 unless said */
    unsigned pwc;                      /* page-walk cache entries */
    bool early;                        /* the attack starts on the boot map */
    const char *disk;                  /* a --disk spec for the VM, or NULL */
};

/* Builds the machine and the guest's tables, assembles body between the
 * prelude and the epilogue, runs it to its end. */
static struct run *attack(const struct attack_cfg *c, const char *body)
{
    struct run *r = calloc(1, sizeof *r);
    cr_assert(r);
    unsigned levels = c->levels ? c->levels : 2;
    char err[512];
    struct machine_config cfg = {.memsize = hv_host_memsize(1, VM_SIZE, levels), .levels = levels,
                                 .pwc_entries = c->pwc, .max_cycles = 50000000};
    cr_assert(machine_init(&r->m, &cfg, err, sizeof err), "%s", err);
    struct hv_config hc = {.mode = HV_PV, .mmu = HV_MMU_NONE, .vm_memsize = VM_SIZE};
    cr_assert(hv_init(&r->hv, &r->m, &hc, err, sizeof err), "%s", err);

    /* the identity map, the tables read-only in it */
    new_table(r);
    for (uint32_t va = 0; va < VM_SIZE; va += 4096) gwr(r, leaf_entry(r, va), va | PTE_P | PTE_W);
    for (unsigned i = 0; i < r->ntables; i++) gwr(r, leaf_entry(r, r->tables[i]), r->tables[i] | PTE_P);

    size_t cap = sizeof prelude + sizeof epilogue + strlen(body) + 64 * MAX_TABLES + 256, n = 0;
    char *src = malloc(cap);
    cr_assert(src);
    for (unsigned i = 0; i < r->ntables; i++) n += (size_t)snprintf(src + n, cap - n, "        .equ T%u, 0x%x\n", i, r->tables[i]);
    n += (size_t)snprintf(src + n, cap - n, "        .equ ROOT, T0\n        .equ BOTTOM, T%u\n%s", r->ntables - 1,
                          c->early ? "        .equ EARLY, 1\n" : "");
    snprintf(src + n, cap - n, "%s%s\n%s", prelude, body, epilogue);
    char *diag = NULL;
    size_t dlen = 0;
    FILE *df = open_memstream(&diag, &dlen);
    struct isa_asm_options opt = {.diag = df, .text_base = 0x1000};
    int errors = isa_assemble_string("attack.s", src, &opt, &r->img);
    fclose(df);
    cr_assert_eq(errors, 0, "the attack does not assemble:\n%s", diag);
    free(diag);
    free(src);
    for (int s = 0; s < r->img.nsegments; s++)
        cr_assert_leq(r->img.segments[s].vaddr + r->img.segments[s].memsz, TABLES, "the image reaches the tables");
    cr_assert(hv_add_vm(&r->hv, "attacker", &r->img, NULL, err, sizeof err), "%s", err);
    cr_assert_eq(r->hv.vms[0].base, 0);
    if (c->disk) cr_assert(disk_attach(&r->hv.vms[0].disk, c->disk, err, sizeof err), "%s", err);

    uint32_t above = r->hv.vms[0].base + r->hv.vms[0].size;
    r->before = malloc(r->m.memsize - above);
    cr_assert(r->before);
    memcpy(r->before, r->m.mem + above, r->m.memsize - above);
    r->m.con.out = open_memstream(&r->out, &r->outlen);
    hv_start(&r->hv);
    machine_run(&r->m, 0);
    fflush(r->m.con.out);
    return r;
}

static void done(struct run *r)
{
    fclose(r->m.con.out);
    r->m.con.out = NULL;
    free(r->out);
    free(r->before);
    isa_image_free(&r->img);
    hv_free(&r->hv);
    machine_free(&r->m);
    free(r);
}

/* A word of the guest's data, by symbol. */
static uint32_t word(struct run *r, const char *name, unsigned index)
{
    uint32_t a = 0;
    cr_assert(isa_image_symbol_addr(&r->img, name, &a), "no symbol %s", name);
    return grd(r, a + 4 * index);
}
static uint32_t result(struct run *r, unsigned i) { return word(r, "results", i); }
static uint32_t faults(struct run *r) { return word(r, "nfaults", 0); }

/* The attack ran to its end, and host memory outside the VM is as it was,
 * but for A and D bits in the hypervisor's boot map (the MMU's, while the
 * guest ran on it). */
static void assert_contained(struct run *r)
{
    cr_assert_eq(r->m.stop, STOP_EXIT, "the guest ran to its end: %s (%s)", r->m.stop_detail,
                 r->hv.pv.last_refusal);
    cr_assert_neq(r->hv.vms[0].exit_code, 0xee, "the guest could not load its own tables: %s", r->hv.pv.last_refusal);
    cr_assert_eq(r->hv.vms[0].exit_code, 0);
    uint32_t above = r->hv.vms[0].base + r->hv.vms[0].size, changed = 0, first = 0;
    uint32_t map_lo = r->hv.pv.boot_root, map_hi = r->hv.next_frame;
    for (uint32_t a = above; a < r->m.memsize; a += 4) {
        uint32_t was, is;
        memcpy(&was, r->before + (a - above), 4);
        memcpy(&is, r->m.mem + a, 4);
        if (was == is) continue;
        if (a >= map_lo && a < map_hi && ((was ^ is) & ~(PTE_A | PTE_D)) == 0) continue;
        if (!changed++) first = a;
    }
    cr_assert_eq(changed, 0, "%u words of host memory outside the VM changed, the first at h:%08x (now %08x)",
                 changed, first, grd(r, first));
}

static void assert_fault(struct run *r, unsigned i, uint32_t cause, uint32_t badaddr)
{
    cr_assert_eq(word(r, "flog", 2 * i), cause, "fault %u: cause %u", i, word(r, "flog", 2 * i));
    cr_assert_eq(word(r, "flog", 2 * i + 1), badaddr, "fault %u: badaddr 0x%08x", i, word(r, "flog", 2 * i + 1));
}

/* ---- 1. a writable translation that outlives the frame's becoming a table --- */

Test(pv, attack_a_writable_tlb_entry_of_another_asid_dies_when_its_frame_becomes_a_table)
{
    /* invlpg (HC_UPDATE_VA's) reaches one ASID: the entry asid 2 holds for X
     * must still go when X becomes a bottom table */
    struct run *r = attack(&(struct attack_cfg){0},
        "attack: li r2, ROOT\n li r3, 2\n HC HC_NEW_BASEPTR\n"
        "        li r4, X\n sw r0, 0(r4)\n"                      /* asid 2: X writable in the TLB */
        "        li r2, ROOT\n li r3, 1\n HC HC_NEW_BASEPTR\n"
        "        li r2, X\n li r3, X | P\n HC HC_UPDATE_VA\n SAVE\n"   /* X read-only (in asid 1's TLB too) */
        "        UPDATE ROOT + 4, X | P | W\n SAVE\n"              /* X a bottom table */
        "        li r2, ROOT\n li r3, 2\n HC HC_NEW_BASEPTR\n"
        "        li r4, X\n li r5, EVIL\n sw r5, 0(r4)\n"          /* through asid 2's old entry */
        "        li r4, 0x400000\n li r5, MAGIC\n sw r5, 0(r4)\n"  /* through X[0] */
        "        j done\n");
    assert_contained(r);
    cr_assert_eq(result(r, 0), 0);
    cr_assert_eq(result(r, 1), 1, "X is a table now");
    cr_assert_eq(faults(r), 2, "the write to X and the access through X[0] both fault: %u", faults(r));
    assert_fault(r, 0, CAUSE_PAGE_FAULT, 0x80000);
    assert_fault(r, 1, CAUSE_PAGE_FAULT, 0x400000);
    cr_assert_eq(grd(r, 0x80000), 0, "the table is as validated");
    done(r);
}

Test(pv, attack_a_writable_tlb_entry_through_a_second_address_dies_too)
{
    /* the same bottom table linked twice: X is also seen at 8 MiB + X, and
     * HC_UPDATE_VA's invlpg drops X's entry, not that one */
    struct run *r = attack(&(struct attack_cfg){0},
        "attack: UPDATE ROOT + 8, BOTTOM | P | W\n SAVE\n"
        "        li r4, 0x800000 + X\n sw r0, 0(r4)\n"
        "        li r2, X\n li r3, X | P\n HC HC_UPDATE_VA\n SAVE\n"
        "        UPDATE ROOT + 4, X | P | W\n SAVE\n"
        "        li r4, 0x800000 + X\n li r5, EVIL\n sw r5, 0(r4)\n"
        "        li r4, 0x400000\n li r5, MAGIC\n sw r5, 0(r4)\n"
        "        j done\n");
    assert_contained(r);
    cr_assert_eq(result(r, 0), 1);
    cr_assert_eq(result(r, 1), 0);
    cr_assert_eq(result(r, 2), 1);
    cr_assert_eq(faults(r), 2, "%u", faults(r));
    assert_fault(r, 0, CAUSE_PAGE_FAULT, 0x880000);
    assert_fault(r, 1, CAUSE_PAGE_FAULT, 0x400000);
    done(r);
}

Test(pv, attack_a_writable_tlb_entry_dies_when_its_frame_is_pinned_as_a_root)
{
    /* X, written while writable to look like the root, is pinned and loaded
     * under asid 2, whose TLB still maps X writable (the ptb write keeps
     * it); root entry 1 -> X would make X a bottom table mapping the bottom
     * table writable */
    struct run *r = attack(&(struct attack_cfg){0},
        "attack: li r4, X\n li r5, BOTTOM | P | W\n sw r5, 0(r4)\n"
        "        li r2, ROOT\n li r3, 2\n HC HC_NEW_BASEPTR\n"
        "        li r4, X\n sw r0, 4(r4)\n"
        "        li r2, ROOT\n li r3, 1\n HC HC_NEW_BASEPTR\n"
        "        li r2, X\n li r3, X | P\n HC HC_UPDATE_VA\n SAVE\n"
        "        li r2, X\n HC HC_PIN\n SAVE\n"
        "        li r2, X\n li r3, 2\n HC HC_NEW_BASEPTR\n SAVE\n"
        "        li r4, X\n li r5, X | P | W\n sw r5, 4(r4)\n"
        "        li r4, 0x400000 + 4 * 0x300\n li r5, EVIL\n sw r5, 0(r4)\n"
        "        li r4, 0x300000\n li r5, MAGIC\n sw r5, 0(r4)\n"
        "        j done\n");
    assert_contained(r);
    cr_assert_eq(result(r, 0), 0);
    cr_assert_eq(result(r, 1), 0);
    cr_assert_eq(result(r, 2), 0);
    cr_assert_eq(faults(r), 2, "%u", faults(r));
    assert_fault(r, 0, CAUSE_PAGE_FAULT, 0x80004);
    assert_fault(r, 1, CAUSE_PAGE_FAULT, 0x400c00);
    cr_assert_eq(grd(r, 0x300000), 0x5a5a5a5a, "0x300000 is the guest's own page still");
    done(r);
}

Test(pv, attack_a_table_the_page_walk_cache_remembers_stops_being_walked_when_it_is_freed)
{
    /* T is linked, walked (the page-walk cache keeps root entry 1 -> T),
     * unlinked and made writable without an invlpg: the next walk must not
     * go through T any more */
    struct run *r = attack(&(struct attack_cfg){.pwc = 8},
        "attack: li r4, T\n li r5, X | P\n sw r5, 0(r4)\n"
        "        li r2, T\n li r3, T | P\n HC HC_UPDATE_VA\n SAVE\n"
        "        UPDATE ROOT + 4, T | P | W\n SAVE\n"
        "        li r4, 0x400000\n lw r5, 0(r4)\n"
        "        UPDATE ROOT + 4, 0\n SAVE\n"
        "        UPDATE BOTTOM + 4 * (T >> 12), T | P | W\n SAVE\n"
        "        li r4, T\n li r5, EVIL\n sw r5, 4(r4)\n"
        "        li r4, 0x401000\n li r5, MAGIC\n sw r5, 0(r4)\n"
        "        j done\n");
    assert_contained(r);
    for (unsigned i = 1; i < 4; i++) cr_assert_eq(result(r, i), 1, "update %u", i);
    cr_assert_eq(faults(r), 1, "%u", faults(r));
    assert_fault(r, 0, CAUSE_PAGE_FAULT, 0x401000);
    done(r);
}

/* ---- 2. the shared page and the hypervisor's own writes ------------------------ */

Test(pv, attack_the_shared_page_cannot_be_registered_over_a_page_table)
{
    /* SH_badaddr over the bottom entry for 0x300000: a fault at EVIL would
     * have the hypervisor write EVIL there */
    struct run *r = attack(&(struct attack_cfg){0},
        "attack: li r2, BOTTOM + 4 * 0x300 - 20\n HC HC_SHARED_INFO\n SAVE\n"
        "        bnez r1, 1f\n la r4, shptr\n li r5, BOTTOM + 4 * 0x300 - 20\n sw r5, 0(r4)\n"
        "1:      RESUME_AT after\n"
        "        li r4, EVIL\n lw r5, 0(r4)\n"
        "after:  li r4, 0x300000\n li r5, MAGIC\n sw r5, 0(r4)\n"
        "        li r2, ROOT - 24\n HC HC_SHARED_INFO\n SAVE\n"          /* half data, half the root */
        "        li r2, BOTTOM + 4096 - 8\n HC HC_SHARED_INFO\n SAVE\n"  /* half the bottom table */
        "        la r2, shared\n HC HC_SHARED_INFO\n SAVE\n"
        "        j done\n");
    assert_contained(r);
    cr_assert_eq(result(r, 0), REFUSED);
    cr_assert_eq(result(r, 1), REFUSED);
    cr_assert_eq(result(r, 2), REFUSED);
    cr_assert_eq(result(r, 3), 0);
    cr_assert_eq(faults(r), 1);
    cr_assert_eq(word(r, "flog", 1), EVIL, "the trap went to the registered shared page");
    cr_assert_eq(grd(r, 0x300000), 0x5a5a5a5a);
    for (uint32_t i = 1; i < 8; i++) cr_assert_eq(grd(r, r->tables[0] + 4 * i), 0, "root entry %u untouched", i);
    cr_assert_eq(r->hv.pv.refused, 3);
    done(r);
}

Test(pv, attack_the_shared_page_cannot_become_a_page_table)
{
    struct run *r = attack(&(struct attack_cfg){0},
        "attack: li r2, S\n HC HC_SHARED_INFO\n SAVE\n"
        "        la r4, shptr\n li r5, S\n sw r5, 0(r4)\n"
        "        li r2, S\n li r3, S | P\n HC HC_UPDATE_VA\n SAVE\n"      /* read-only, as a table must be */
        "        UPDATE ROOT + 4, S | P | W\n SAVE\n"
        "        li r2, S\n HC HC_PIN\n SAVE\n"
        "        RESUME_AT after\n"
        "        li r4, EVIL\n lw r5, 0(r4)\n"                           /* SH_badaddr = S[5] = EVIL */
        "after:  RESUME_AT end\n"
        "        li r4, 0x400000 + 5 * 4096\n li r5, MAGIC\n sw r5, 0(r4)\n"
        "end:    j done\n");
    assert_contained(r);
    cr_assert_eq(result(r, 0), 0);
    cr_assert_eq(result(r, 1), 0);
    cr_assert_eq(result(r, 2), 0, "not as a bottom table");
    cr_assert_eq(result(r, 3), REFUSED, "not as a root");
    cr_assert_eq(faults(r), 2);
    assert_fault(r, 1, CAUSE_PAGE_FAULT, 0x405000);
    cr_assert_eq(r->hv.pv.fr[0x82].level, 0, "the shared page is no table");
    done(r);
}

/* ---- 3. guest addresses as arguments ---------------------------------------------- */

Test(pv, attack_the_console_prints_only_bytes_the_kernel_could_read)
{
    struct run *r = attack(&(struct attack_cfg){0},
        "attack: li r4, N + 0xffe\n li r5, 'A'\n sb r5, 0(r4)\n li r5, 'B'\n sb r5, 1(r4)\n"
        "        li r4, N + 0x1000\n li r5, 'C'\n sb r5, 0(r4)\n"
        "        li r2, N + 0x1000\n li r3, 0\n HC HC_UPDATE_VA\n SAVE\n"  /* unmapped: 'C' is out of sight */
        "        li r2, N + 0xffe\n li r3, 4\n HC HC_CONSOLE_WRITE\n SAVE\n"
        "        li r2, N + 0x1000\n li r3, 1\n HC HC_CONSOLE_WRITE\n SAVE\n"
        "        li r2, 0xc0000000\n li r3, 16\n HC HC_CONSOLE_WRITE\n SAVE\n"
        /* "XY" in the last two bytes of the address space, which does not
         * go on at address 0 */
        "        li r4, U + 0xffe\n li r5, 'X'\n sb r5, 0(r4)\n li r5, 'Y'\n sb r5, 1(r4)\n"
        "        li r4, T + 4 * 1023\n li r5, U | P\n sw r5, 0(r4)\n"
        "        li r2, T\n li r3, T | P\n HC HC_UPDATE_VA\n SAVE\n"
        "        UPDATE ROOT + 4 * 1023, T | P | W\n SAVE\n"
        "        li r2, 0xfffffffe\n li r3, 4\n HC HC_CONSOLE_WRITE\n SAVE\n"
        "        j done\n");
    assert_contained(r);
    uint32_t want[] = {0, 2, 0, 0, 0, 1, 2};
    for (unsigned i = 0; i < 7; i++) cr_assert_eq(result(r, i), want[i], "result %u: %d", i, (int)result(r, i));
    cr_assert_eq(r->outlen, 4, "printed %zu bytes", r->outlen);
    cr_assert(memcmp(r->out, "ABXY", 4) == 0, "%.*s", (int)r->outlen, r->out);
    cr_assert_eq(faults(r), 0);
    done(r);
}

Test(pv, attack_an_update_list_must_be_one_the_kernel_could_read)
{
    /* a legal update (X read-only) in a page the guest has unmapped: the
     * list is a guest-virtual address, read as the kernel would read it */
    struct run *r = attack(&(struct attack_cfg){0},
        "attack: li r4, Y\n li r5, BOTTOM + 4 * (X >> 12)\n sw r5, 0(r4)\n li r5, X | P\n sw r5, 4(r4)\n"
        "        li r2, Y\n li r3, 0\n HC HC_UPDATE_VA\n SAVE\n"
        "        li r2, Y\n li r3, 1\n HC HC_MMU_UPDATE\n SAVE\n"
        "        la r2, list + 2\n li r3, 1\n HC HC_MMU_UPDATE\n SAVE\n"
        "        li r2, -8\n li r3, 2\n HC HC_MMU_UPDATE\n SAVE\n"
        "        li r2, 0xc0000000\n li r3, 1\n HC HC_MMU_UPDATE\n SAVE\n"
        "        li r4, X\n li r5, MAGIC\n sw r5, 0(r4)\n"             /* X is writable still */
        "        j done\n");
    assert_contained(r);
    cr_assert_eq(result(r, 0), 0);
    for (unsigned i = 1; i < 5; i++) cr_assert_eq(result(r, i), 0, "list %u: %d done", i, (int)result(r, i));
    cr_assert_eq(faults(r), 0);
    cr_assert_eq(grd(r, 0x80000), 0x5a5a5a5a);
    cr_assert_eq(r->hv.pv.refused, 4);
    done(r);
}

/* ---- 4. the rest of the interface ----------------------------------------------- */

Test(pv, attack_loading_an_unpinned_root_first_leaves_no_checked_table_writable)
{
    /* still on the boot map: ROOT pinned (unchecked), an unpinned root
     * asked for, then ROOT written through the boot map and loaded */
    struct run *r = attack(&(struct attack_cfg){.early = true},
        "attack: li r2, ROOT\n HC HC_PIN\n SAVE\n"
        "        li r2, X\n li r3, 1\n HC HC_NEW_BASEPTR\n SAVE\n"
        "        li r4, BOTTOM + 4 * 0x300\n li r5, EVIL\n sw r5, 0(r4)\n"
        "        li r2, ROOT\n li r3, 1\n HC HC_NEW_BASEPTR\n SAVE\n"
        "        li r4, 0x300000\n li r5, MAGIC\n sw r5, 0(r4)\n"
        "        j done\n");
    assert_contained(r);
    cr_assert_eq(result(r, 0), 0);
    cr_assert_eq(result(r, 1), REFUSED);
    cr_assert_eq(result(r, 2), REFUSED, "its tables are checked when the root is loaded");
    cr_assert(!r->hv.pv.booted, "the guest is on the boot map still");
    cr_assert_eq(grd(r, 0x300000), 0x5a5a5a5a);
    done(r);
}

Test(pv, attack_every_bad_argument_gets_the_documented_refusal)
{
    struct run *r = attack(&(struct attack_cfg){0},
        "attack: li r1, 0\n vmcall\n SAVE\n"
        "        li r1, 17\n vmcall\n SAVE\n"     /* the first number past HC_BLOCK */
        "        li r1, -1\n vmcall\n SAVE\n"
        "        li r2, HVMEM\n HC HC_PIN\n SAVE\n"
        "        li r2, ROOT + 4\n HC HC_PIN\n SAVE\n"
        "        li r2, BOTTOM\n HC HC_PIN\n SAVE\n"
        "        li r2, X\n HC HC_UNPIN\n SAVE\n"
        "        li r2, ROOT\n HC HC_UNPIN\n SAVE\n"
        "        li r2, X\n li r3, 1\n HC HC_NEW_BASEPTR\n SAVE\n"
        "        li r2, -4096\n li r3, 1\n HC HC_NEW_BASEPTR\n SAVE\n"
        "        li r2, ROOT + 8\n li r3, 1\n HC HC_NEW_BASEPTR\n SAVE\n"
        "        li r2, 0x80000000\n li r3, 0\n HC HC_UPDATE_VA\n SAVE\n"
        "        li r2, -16\n HC HC_SET_TRAP_TABLE\n SAVE\n"
        "        la r2, vectors + 2\n HC HC_SET_TRAP_TABLE\n SAVE\n"
        "        la r2, vectors\n HC HC_SET_TRAP_TABLE\n"
        "        li r2, 0\n HC HC_SHARED_INFO\n SAVE\n"
        "        li r2, -48\n HC HC_SHARED_INFO\n SAVE\n"
        "        li r2, VM_END - 16\n HC HC_SHARED_INFO\n SAVE\n"
        "        la r2, shared + 2\n HC HC_SHARED_INFO\n SAVE\n"
        "        la r2, shared\n HC HC_SHARED_INFO\n"
        /* counted calls: how many were done, none */
        "        UPDATE X, 0\n SAVE\n"
        "        UPDATE BOTTOM + 2, 0\n SAVE\n"
        "        UPDATE -4, 0\n SAVE\n"
        "        UPDATE BOTTOM + 4 * (X >> 12), HVMEM | P\n SAVE\n"
        /* harmless whatever the argument */
        "        li r2, 0x12345678\n HC HC_INVLPG\n SAVE\n"
        "        HC HC_TLB_FLUSH\n SAVE\n"
        "        li r4, X\n li r5, MAGIC\n sw r5, 0(r4)\n"
        "        j done\n");
    assert_contained(r);
    for (unsigned i = 0; i < 18; i++) cr_assert_eq(result(r, i), REFUSED, "request %u: %d", i, (int)result(r, i));
    for (unsigned i = 18; i < 24; i++) cr_assert_eq(result(r, i), 0, "request %u: %d", i, (int)result(r, i));
    cr_assert_eq(r->hv.pv.refused, 22, "%llu: last %s", (unsigned long long)r->hv.pv.refused, r->hv.pv.last_refusal);
    cr_assert_eq(faults(r), 0);
    cr_assert(r->hv.pv.fr[r->tables[0] >> 12].pinned, "the root is still pinned");
    done(r);
}

Test(pv, attack_tables_of_the_wrong_level_self_references_and_large_pages_are_refused)
{
    /* three levels: T0 the root, T1 its level-1 table, T2 the first bottom
     * table (0..256 KiB, the tables' own mappings among them) */
    struct run *r = attack(&(struct attack_cfg){.levels = 3},
        "attack: UPDATE ROOT + 4, ROOT | P\n SAVE\n"                  /* the root below itself */
        "        UPDATE ROOT + 4, T2 | P\n SAVE\n"                    /* a bottom table one level up */
        "        UPDATE T1 + 4 * 20, T1 | P\n SAVE\n"                 /* a level-1 table below itself */
        "        UPDATE T1 + 4 * 20, ROOT | P\n SAVE\n"               /* the root two levels down */
        "        UPDATE T2 + 4 * 0x30, T1 | P | W\n SAVE\n"           /* a table writable */
        "        UPDATE T2 + 4 * 0x30, T2 | P | W\n SAVE\n"           /* a table mapping itself writable */
        "        UPDATE T2 + 4 * 0x30, T2 | P | W | L\n SAVE\n"       /* ... with L, which the bottom ignores */
        "        UPDATE ROOT + 4, P | W | L\n SAVE\n"                 /* 16 MiB over the whole VM */
        "        UPDATE T1 + 4 * 20, P | W | L\n SAVE\n"              /* 256 KiB over the tables */
        "        li r2, T1\n HC HC_PIN\n SAVE\n"
        "        li r2, T2\n HC HC_PIN\n SAVE\n"
        /* a new level-1 table that links itself as its own bottom table */
        "        li r4, N\n li r5, N | P\n sw r5, 0(r4)\n"
        "        li r2, N\n li r3, N | P\n HC HC_UPDATE_VA\n SAVE\n"
        "        UPDATE ROOT + 4, N | P | W\n SAVE\n"
        "        li r2, N\n li r3, N | P | W\n HC HC_UPDATE_VA\n SAVE\n"   /* no table: writable again */
        "        li r4, N\n sw r0, 0(r4)\n"
        "        UPDATE ROOT + 4, T1 | P\n SAVE\n"                    /* one level-1 table twice: fine */
        "        UPDATE ROOT + 4, 0\n SAVE\n"
        "        j done\n");
    assert_contained(r);
    uint32_t want[] = {0, 0, 0, 0, 0, 0, 0, 0, 0, REFUSED, REFUSED, 0, 0, 0, 1, 1};
    for (unsigned i = 0; i < 16; i++) cr_assert_eq(result(r, i), want[i], "request %u: %d", i, (int)result(r, i));
    cr_assert_eq(r->hv.pv.refused, 12, "%llu: last %s", (unsigned long long)r->hv.pv.refused, r->hv.pv.last_refusal);
    cr_assert_eq(faults(r), 0);
    cr_assert_eq(r->hv.pv.fr[0x84].level, 0, "N is no table");
    cr_assert_eq(r->hv.pv.fr[0x84].wcount, 1);
    cr_assert_eq(r->hv.pv.fr[r->tables[1] >> 12].tcount, 1, "T1 is referenced once again");
    done(r);
}

/* ---- the real kernel is none the worse ------------------------------------------- */

Test(pv, the_kernel_runs_with_a_page_walk_cache_and_nothing_refused)
{
    const char *args[] = {"run forkwait --args 4 --levels 3 --pwc 8", "run ptemod --args 20 --levels 4 --pwc 8 --tlb 16:2"};
    for (int i = 0; i < 2; i++) {
        char a[256];
        int s1, s2;
        char *native = run_out(args[i], &s1);
        snprintf(a, sizeof a, "%s --mode pv", args[i]);
        char *pv = run_out(a, &s2);
        cr_assert_eq(s2, s1, "%s", pv);
        cr_assert_str_eq(pv, native, "%s", args[i]);
        free(native);
        free(pv);
        json_t *o = stats_of(a);
        cr_assert_eq(stats_num(o, "pv", "refused"), 0, "%s", args[i]);
        json_decref(o);
    }
}

Test(pv, attack_a_kernel_that_never_shared_a_page_gets_no_hypercall_at_all)
{
    /* not even "no such hypercall" in r1: it is no paravirtual kernel */
    const char *dir = temp_dir();
    const char *img = assemble(dir, "noshare", ".text\n_start: li r1, 0x7fffffff\n vmcall\n"
                                               " li r2, 0\n mov r3, r1\n li r1, 13\n vmcall\n");
    char a[512], *err;
    snprintf(a, sizeof a, "run %s --mem 1M --mode pv", img);
    int st = run_ringsim(a, NULL, &err);
    cr_assert_neq(st, 0);
    cr_assert(strstr(err, "hypercall 2147483647 (no such number) before shared_info"), "%s", err);
    free(err);
}

/* ---- the disk's DMA and its queue are no way around the validation --------- */

/* A disk read into the pinned root would rewrite a validated table behind
 * the hypervisor's back; a request queue on it would have the device write
 * its used index and statuses there.  Both are refused as memory that is not
 * there (docs/isa.md: `dma`, `queue`), the table unchanged; the same read
 * into an ordinary frame, and the same queue on one, are done. */
Test(pv, attack_disk_dma_and_a_disk_queue_on_a_page_table_are_refused)
{
    char dir[64], spec[128];
    snprintf(dir, sizeof dir, "%s", temp_dir());
    snprintf(spec, sizeof spec, "%s/pt.img:create=64K", dir);
    struct attack_cfg c = {.disk = spec};
    struct run *r = attack(&c,
        "        .equ HC_IN, 15\n"
        "        .equ DISK_SECTOR, 0x30\n"
        "        .equ DISK_COUNT, 0x31\n"
        "        .equ DISK_ADDR, 0x32\n"
        "        .equ DISK_CMD, 0x33\n"
        "        .equ DISK_STATUS, 0x34\n"
        "        .equ DISK_ACK, 0x37\n"
        "        .equ DISK_QUEUE, 0x38\n"
        "        .equ DISK_NOTIFY, 0x39\n"
        "        .macro OUTP port, value\n"
        "        li r2, \\port\n"
        "        li r3, \\value\n"
        "        HC HC_OUT\n"
        "        .endm\n"
        "        .macro STATUS\n"               /* wait until not busy, then SAVE the status */
        "1:      li r2, DISK_STATUS\n"
        "        HC HC_IN\n"
        "        andi r4, r1, 1\n"
        "        bnez r4, 1b\n"
        "        SAVE\n"
        "        OUTP DISK_ACK, 1\n"
        "        .endm\n"
        "attack: OUTP DISK_SECTOR, 0\n"
        "        OUTP DISK_COUNT, 1\n"
        "        OUTP DISK_ADDR, ROOT\n"
        "        OUTP DISK_CMD, 1\n"
        "        STATUS\n"
        "        OUTP DISK_ADDR, X\n"
        "        OUTP DISK_CMD, 1\n"
        "        STATUS\n"
        "        OUTP DISK_QUEUE, ROOT\n"
        "        OUTP DISK_NOTIFY, 1\n"
        "        STATUS\n"
        "        OUTP DISK_QUEUE, Y\n"
        "        OUTP DISK_NOTIFY, 1\n"
        "        STATUS\n"
        "        j done\n");
    assert_contained(r);
    cr_assert_eq((result(r, 0) >> 8) & 0xff, 5, "a read into the root: status 0x%08x, want error 5 (dma)", result(r, 0));
    cr_assert_eq((result(r, 1) >> 8) & 0xff, 0, "a read into X: status 0x%08x, want no error", result(r, 1));
    cr_assert_eq((result(r, 2) >> 8) & 0xff, 8, "a queue on the root: status 0x%08x, want error 8 (queue)", result(r, 2));
    cr_assert_eq((result(r, 3) >> 8) & 0xff, 0, "a queue on Y: status 0x%08x, want no error", result(r, 3));
    cr_assert_neq(grd(r, r->tables[0]), 0, "the root's first entry was overwritten");
    done(r);
    char path[128];
    snprintf(path, sizeof path, "%s/pt.img", dir);
    unlink(path);
    rmdir(dir);
}
