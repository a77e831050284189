/*
 * test_shadow.c — a guest that changes its page tables behind its TLB's
 * back sees, under every technique, what it sees on bare metal.
 *
 * On bare metal a TLB entry outlives the PTE it was made from until the
 * kernel flushes it: a remapped page still reads the old frame, a page
 * made absent is still reached, a page made writable still refuses the
 * write — until invlpg.  A shadow table is a second TLB the guest does not
 * know about, so a shadow-paging hypervisor (te, bt, hw --mmu shadow) must
 * neither show the change early (a fill from the guest's new PTE) nor late
 * (a stale shadow entry after the flush), and the A/D bits its walks leave
 * in the guest's tables must be the bare-metal ones.  The guest prints what
 * it reads, each fault's cause, address and reason, and its PTEs, and every
 * technique must print the same lines and exit alike.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/helpers.h"

/* Tables: the root at 0x80000, one table at 0x81000 identity-mapping
 * [0, 0x90000) writable; virtual page 0x200000 (its PTE at 0x81800) is the
 * one the guest plays with, over frames A = 0x30000 (holds 0xaaaa) and
 * B = 0x31000 (holds 0xbbbb); 0x400000 has no root entry. */
static const char stale_src[] =
    ".text\n_start:\n la r1, vectors\n mtcr vbr, r1\n li sp, 0x70000\n"
    " li r2, 0x80000\n li r3, 0x81003\n sw r3, 0(r2)\n"
    " li r4, 0x81000\n li r5, 3\n li r6, 0x90003\n"
    "map: sw r5, 0(r4)\n addi r4, r4, 4\n li r9, 4096\n add r5, r5, r9\n blt r5, r6, map\n"
    " li r1, 0x30000\n li r2, 0xaaaa\n sw r2, 0(r1)\n li r1, 0x31000\n li r2, 0xbbbb\n sw r2, 0(r1)\n"
    " li r7, 0x81800\n li r2, 0x30003\n sw r2, 0(r7)\n"
    " li r1, 0x80000\n mtcr ptb, r1\n li r1, 1\n mtcr mmu, r1\n li r8, 0x200000\n"
    /* remapped without a flush: the old frame, then after invlpg the new */
    " lw r1, 0(r8)\n call hex\n"
    " li r2, 0x31003\n sw r2, 0(r7)\n lw r1, 0(r8)\n call hex\n"
    " invlpg r8\n lw r1, 0(r8)\n call hex\n"
    /* made absent without a flush: still reached, then a fault */
    " sw r0, 0(r7)\n lw r1, 4(r8)\n call hex\n"
    " invlpg r8\n lw r1, 8(r8)\n"
    /* read-only, cached; made writable without a flush: the write still
     * faults from the TLB; after invlpg it goes through and marks D */
    " li r2, 0x31001\n sw r2, 0(r7)\n lw r1, 0(r8)\n call hex\n"
    " li r2, 0x31003\n sw r2, 0(r7)\n li r9, 0x1234\n sw r9, 12(r8)\n"
    " invlpg r8\n sw r9, 12(r8)\n lw r1, 12(r8)\n call hex\n"
    /* writable and dirty in the TLB, then made read-only without a flush:
     * the write goes through the stale entry */
    " li r2, 0x31001\n sw r2, 0(r7)\n li r9, 0x5678\n sw r9, 16(r8)\n lw r1, 16(r8)\n call hex\n"
    " invlpg r8\n sw r9, 20(r8)\n"
    /* the A/D bits the walks left: the root entry, the table's PTE */
    " li r1, 0x80000\n lw r1, 0(r1)\n call hex\n lw r1, 0(r7)\n call hex\n"
    /* no root entry at all: a fault at the top level */
    " li r8, 0x400000\n lw r1, 0(r8)\n"
    " li r1, 0\n mtcr mmu, r1\n li r1, 0x31000\n lw r1, 12(r1)\n call hex\n"
    " li r1, 7\n out power, r1\n"
    "fault: mfcr r1, cause\n call hex\n mfcr r1, badaddr\n call hex\n mfcr r1, fault\n call hex\n"
    " mfcr r10, epc\n addi r10, r10, 4\n mtcr epc, r10\n iret\n" PRINT_HEX
    " .data\n .align 4\nvectors: .word fault, fault, fault, fault, fault, fault, fault, fault,"
    " fault, fault, fault, fault, fault, fault, fault, fault\n";

/* What bare metal prints, line by line: the frames' values, the three
 * faults (cause 2, BADADDR, CR fault), the PTEs with their A/D bits. */
static const char *const stale_want[] = {
    "0000aaaa", "0000aaaa", "0000bbbb",                  /* remap: stale until invlpg */
    "00000000",                                          /* absent: the stale entry reads 0x31004 */
    "00000002", "00200008", "00000000",                  /* after invlpg: not present */
    "0000bbbb",                                          /* read-only, a new walk */
    "00000002", "0020000c", "00000003",                  /* the write refused by the cached entry */
    "00001234",                                          /* after invlpg it went through */
    "00005678",                                          /* the stale writable entry */
    "00000002", "00200014", "00000003",                  /* after invlpg: read-only */
    "0008100b",                                          /* root entry: P W A */
    "00031001",                                          /* the PTE as the guest wrote it: the
                                                          * refused walk marks nothing */
    "00000002", "00400000", "00000000",                  /* no root entry */
    "00001234",
};

Test(shadow, a_pte_changed_without_a_flush_acts_as_on_bare_metal_under_every_technique, .timeout = 60)
{
    const char *img = assemble(temp_dir(), "stale", stale_src);
    char want[512] = "";
    for (size_t i = 0; i < sizeof stale_want / sizeof stale_want[0]; i++) {
        strcat(want, stale_want[i]);
        strcat(want, "\n");
    }
    const char *modes[] = {"native", "te --isa strict", "bt", "hw --mmu shadow", "hw --mmu nested"};
    for (int i = 0; i < 5; i++) {
        char a[512];
        int st;
        snprintf(a, sizeof a, "run %s --mem 4M --mode %s --max-cycles 5000000", img, modes[i]);
        char *out = run_out(a, &st);
        cr_assert_eq(st, 7, "%s: exit status %d", modes[i], st);
        cr_assert_str_eq(out, want, "%s", modes[i]);
        free(out);
    }
}
