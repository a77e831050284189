/*
 * test_hv.c — ring -1 and the hypervisor: two-dimensional walks counted
 * reference by reference, the guest's view from non-root ring 0,
 * equivalence with bare metal, several VMs, and isolation.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hypervisor/hv.h"
#include "tests/helpers.h"

/* ---- 2D walks, against tables built by hand ------------------------------ */
static struct machine M;
static struct hv H;
static uint32_t next_gpa;

static void boot_vm(unsigned n, unsigned mlev, bool large, unsigned pwc, unsigned ntlb)
{
    char err[256];
    struct machine_config cfg = {.memsize = hv_host_memsize(1, 8u << 20, mlev), .levels = n,
                                 .pwc_entries = pwc, .ntlb_entries = ntlb};
    cr_assert(machine_init(&M, &cfg, err, sizeof err), "%s", err);
    struct hv_config hc = {.mode = HV_HW, .mmu = HV_MMU_NESTED, .vm_memsize = 8u << 20,
                           .host_levels = mlev, .host_large_pages = large};
    cr_assert(hv_init(&H, &M, &hc, err, sizeof err), "%s", err);
    uint8_t code[8] = {0};
    struct isa_segment seg = {0x1000, 8, 8, 5, code};
    struct isa_image img = {.entry = 0x1000, .nsegments = 1, .segments = &seg};
    cr_assert(hv_add_vm(&H, "t", &img, NULL, err, sizeof err), "%s", err);
    vmx_enter(&M, 0);
    next_gpa = 0x200000;
}

static void teardown(void)
{
    hv_free(&H);
    machine_free(&M);
}

static uint32_t gtable(void)
{
    uint32_t g = next_gpa;
    next_gpa += 4096;
    memset(M.mem + H.vms[0].base + g, 0, 4096);
    return g;
}
static uint32_t grd(uint32_t gpa) { uint32_t v; memcpy(&v, M.mem + H.vms[0].base + gpa, 4); return v; }
static void gwr(uint32_t gpa, uint32_t v) { memcpy(M.mem + H.vms[0].base + gpa, &v, 4); }

/* Maps guest-virtual va -> guest-physical pa with 4 KiB pages. */
static void gmap(uint32_t root, uint32_t va, uint32_t pa)
{
    unsigned bits[MMU_MAX_LEVELS];
    mmu_level_bits(M.levels, bits);
    uint32_t table = root;
    for (unsigned l = 0; l < M.levels; l++) {
        unsigned shift = 12;
        for (unsigned k = l + 1; k < M.levels; k++) shift += bits[k];
        uint32_t e = table + 4 * ((va >> shift) & ((1u << bits[l]) - 1));
        if (l == M.levels - 1) {
            gwr(e, pa | PTE_P | PTE_W);
            return;
        }
        if (!(grd(e) & PTE_P)) gwr(e, gtable() | PTE_P | PTE_W);
        table = grd(e) & PTE_FRAME;
    }
}

static void guest_paging_on(uint32_t root)
{
    M.cpu.cr[CR_PTB] = root;
    M.cpu.cr[CR_MMU] = 1;
    mmu_context_changed(&M, true);
}

static uint64_t refs_for(uint32_t va)
{
    uint64_t before = M.mmu.st.walk_refs;
    uint32_t pa, fault;
    cr_assert(mmu_translate(&M, va, ACC_READ, &pa, &fault), "translation of 0x%x failed (fault 0x%x)", va, fault);
    return M.mmu.st.walk_refs - before;
}

TestSuite(walk2d, .fini = teardown);

Test(walk2d, cold_walk_costs_nm_plus_n_plus_m)
{
    const unsigned shapes[4][2] = {{2, 2}, {2, 4}, {4, 2}, {4, 4}};
    for (int i = 0; i < 4; i++) {
        unsigned n = shapes[i][0], mm = shapes[i][1];
        boot_vm(n, mm, false, 0, 0);
        uint32_t root = gtable();
        gmap(root, 0x40000000, 0x300000);
        guest_paging_on(root);
        uint64_t refs = refs_for(0x40000010);
        cr_assert_eq(refs, (n + 1) * (mm + 1) - 1, "%ux%u: %llu references", n, mm, (unsigned long long)refs);
        /* every reference is in the walk record, numbered in order */
        cr_assert_eq((uint64_t)M.mmu.last_walk.nrefs - M.mmu.st.walk_ad_writes, refs);
        int host = 0;
        for (int k = 0; k < M.mmu.last_walk.nrefs; k++)
            if (M.mmu.last_walk.refs[k].dim == DIM_HOST) host++;
        cr_assert_eq(host, (int)((n + 1) * mm), "host-dimension references");
        teardown();
    }
    boot_vm(2, 2, false, 0, 0); /* for the fixture's teardown */
}

Test(walk2d, four_by_four_is_24_and_a_hit_is_free)
{
    boot_vm(4, 4, false, 0, 0);
    uint32_t root = gtable();
    gmap(root, 0x40000000, 0x300000);
    guest_paging_on(root);
    cr_assert_eq(refs_for(0x40000000), 24);
    cr_assert_eq(refs_for(0x40000004), 0);
}

Test(walk2d, guest_paging_off_costs_one_host_walk)
{
    boot_vm(2, 4, false, 0, 0);
    cr_assert_eq(refs_for(0x5000), 4);
}

Test(walk2d, host_large_pages_shorten_every_host_walk)
{
    boot_vm(4, 4, true, 0, 0);
    uint32_t root = gtable();
    gmap(root, 0x40000000, 0x300000);
    guest_paging_on(root);
    /* 4 MiB host pages: a leaf at level 1 of 4, two references per host walk */
    cr_assert_eq(refs_for(0x40000000), 4 * 2 + 4 + 2);
}

Test(walk2d, page_walk_cache_cuts_the_second_walk)
{
    boot_vm(4, 4, false, 32, 0);
    uint32_t root = gtable();
    gmap(root, 0x40000000, 0x300000);
    gmap(root, 0x40001000, 0x301000);
    guest_paging_on(root);
    /* host walks of the four guest tables share their upper levels: the
     * cache already helps inside the first 2D walk, and more in the next */
    uint64_t first = refs_for(0x40000000);
    cr_assert_lt(first, 24);
    cr_assert_geq(first, 4 + 5 * 1, "at least the guest entries and one host leaf per host walk");
    uint64_t second = refs_for(0x40001000);
    cr_assert_lt(second, first);
    cr_assert_gt(M.mmu.st.pwc_hits, 0);
}

Test(walk2d, nested_tlb_cuts_the_second_walk)
{
    boot_vm(4, 4, false, 0, 16);
    uint32_t root = gtable();
    gmap(root, 0x40000000, 0x300000);
    gmap(root, 0x40001000, 0x301000);
    guest_paging_on(root);
    cr_assert_eq(refs_for(0x40000000), 24);
    /* the four guest tables are already translated: 4 guest reads + one
     * host walk for the new data page */
    cr_assert_eq(refs_for(0x40001000), 4 + 4);
    cr_assert_eq(M.mmu.st.ntlb_hits, 4);
}

Test(walk2d, guest_memory_outside_the_vm_has_no_host_mapping)
{
    /* beyond the VM's memory is what lies beyond the end of memory on bare
     * metal: nothing — the host table is never consulted, and the frame the
     * translation gives is beyond the machine's memory, a bus error when
     * touched, never someone else's memory */
    boot_vm(2, 2, false, 0, 0);
    uint32_t pa, fault;
    uint64_t refs = M.mmu.st.walk_refs;
    cr_assert(mmu_translate(&M, 8u << 20, ACC_READ, &pa, &fault));
    cr_assert_eq(pa & PTE_FRAME, MMU_NO_MEMORY_FRAME);
    cr_assert_gt(pa, M.memsize - 4, "beyond the host's memory: a bus error on access");
    cr_assert_eq(M.mmu.st.walk_refs, refs, "no host-table reference for memory that is not there");
}

/* The host-physical address of the host table's entry at level l on gpa's
 * path, found by a probe of the host dimension alone. */
static uint32_t host_entry(uint32_t gpa, unsigned l)
{
    struct mmu_walk_ctx c = mmu_walk_ctx_now(&M);
    c.paging = false;
    struct walk_result r;
    cr_assert(mmu_probe(&c, gpa, ACC_READ, &r), "the host maps 0x%x", gpa);
    cr_assert_lt((int)l, r.nrefs);
    return r.refs[l].table + 4 * r.refs[l].index;
}

static void host_unmap(uint32_t hpa_entry)
{
    uint32_t v;
    memcpy(&v, M.mem + hpa_entry, 4);
    v &= ~PTE_P;
    memcpy(M.mem + hpa_entry, &v, 4);
}

/* A host table that does not map a guest table, or the page, at any of its
 * levels: a nested violation (a VM exit, FAULT_NESTED) naming the
 * guest-physical address it refused; the guest sees no page fault, and
 * the walk has read exactly down to the missing entry. */
Test(walk2d, a_host_entry_missing_at_any_level_is_a_violation_the_guest_never_sees)
{
    const unsigned n = 2;
    for (unsigned mm = 2; mm <= 4; mm++) {
        for (unsigned l = 0; l < mm; l++) {
            for (int which = 0; which < 2; which++) {   /* 0: the guest's root table, 1: the page */
                boot_vm(n, mm, false, 0, 0);
                uint32_t root = gtable();
                const uint32_t page = 0x700000, va = 0x40000010;
                gmap(root, 0x40000000, page);
                guest_paging_on(root);
                uint32_t gpa = which ? page : root;
                uint32_t e = host_entry(gpa, l);
                /* (an upper host entry the guest's tables share with the page
                 * fails an earlier host walk: that case is the root's) */
                if (which && (e == host_entry(root, l) || e == host_entry(grd(root) & PTE_FRAME, l))) {
                    teardown();
                    continue;
                }
                host_unmap(e);
                uint32_t pa, fault;
                cr_assert(!mmu_translate(&M, va, ACC_READ, &pa, &fault), "%ux%u, host level %u", n, mm, l);
                cr_assert(fault & FAULT_NESTED, "a violation, not a guest fault: 0x%x", fault);
                cr_assert_eq(M.mmu.nested_fault_va, va);
                uint32_t want_gpa = which ? page + (va & 0xfff) : root + 4 * (va >> 22);
                cr_assert_eq(M.mmu.nested_fault_gpa, want_gpa, "%ux%u, host level %u: 0x%x", n, mm, l,
                             M.mmu.nested_fault_gpa);
                uint64_t want_refs = (which ? n * (mm + 1) : 0) + l + 1;
                cr_assert_eq(M.mmu.st.walk_refs, want_refs, "%ux%u, host level %u, %s", n, mm, l,
                             which ? "page" : "root");
                cr_assert_eq(M.mmu.st.page_faults, 0, "the guest never sees it");
                struct tlb_entry t;
                cr_assert(!mmu_tlb_lookup(&M, va, &t), "nothing cached");
                teardown();
            }
        }
    }
    boot_vm(2, 2, false, 0, 0); /* for the fixture's teardown */
}

/* ---- whole guests ----------------------------------------------------------- */
Test(hv, every_workload_prints_the_same_natively_and_under_hw_nested)
{
    const char *w[] = {"syscall", "pgfault", "ptemod", "ctxswitch", "compute", "tlbstride", "forkwait"};
    const char *args[] = {"300", "40", "30", "60", "3000", "2", "6"};
    for (int i = 0; i < 7; i++)
        for (int levels = 2; levels <= 4; levels += 2) {
            char a[256];
            int s1, s2;
            snprintf(a, sizeof a, "run %s --levels %d --args %s", w[i], levels, args[i]);
            char *native = run_out(a, &s1);
            snprintf(a, sizeof a, "run %s --levels %d --args %s --mode hw --mmu nested", w[i], levels, args[i]);
            char *hw = run_out(a, &s2);
            cr_assert_eq(s1, 0, "%s native", w[i]);
            cr_assert_eq(s2, 0, "%s hw", w[i]);
            cr_assert_str_eq(hw, native, "%s at %d levels", w[i], levels);
            cr_assert(strstr(native, "checksum"));
            free(native);
            free(hw);
        }
}

Test(hv, a_guest_in_non_root_ring_0_sees_its_own_ptb_and_ring)
{
    const char *dir = temp_dir();
    const char *img = assemble(dir, "vmcheck",
        ".text\n_start: li r1, 0x00345000\n mtcr ptb, r1\n"
        " sptb r1\n call hex\n smsw r1\n call hex\n mfcr r1, memsize\n call hex\n"
        " pushf\n pop r1\n call hex\n out power, r0\n" PRINT_HEX);
    char a[512];
    int s1, s2;
    snprintf(a, sizeof a, "run %s", img);
    char *native = run_out(a, &s1);
    snprintf(a, sizeof a, "run %s --mode hw", img);
    char *hw = run_out(a, &s2);
    cr_assert_str_eq(native, "00345000\n00000000\n01000000\n00000000\n");
    cr_assert_str_eq(hw, native, "the guest's own values, not the host's");
    free(native);
    free(hw);
}

/* A host interrupt (a slice's end, every 1000 cycles) mostly falls due as
 * PAGE_EDGE_SRC leaves its page (tests/helpers.h): bare metal goes on with
 * a fetch at 0x2000; the hypervisor's resume once carried on at frame 1's
 * first word and ran _start (its S) again.  Every technique must print one
 * S, the count and the sum, as bare metal does. */
Test(hv, a_host_interrupt_as_the_guest_leaves_a_page_goes_on_in_the_next_page)
{
    const char *img = assemble(temp_dir(), "pageedge", PAGE_EDGE_SRC);
    const char *modes[] = {"native", "te --isa strict", "bt", "hw --mmu shadow", "hw --mmu nested"};
    for (int i = 0; i < 5; i++) {
        char a[512];
        int st;
        snprintf(a, sizeof a, "run %s --mode %s --slice 1000 --max-cycles 5000000", img, modes[i]);
        char *out = run_out(a, &st);
        cr_assert_eq(st, 7, "%s: exit status %d (%s)", modes[i], st, out);
        cr_assert_str_eq(out, PAGE_EDGE_OUT, "%s", modes[i]);
        free(out);
    }
}

Test(hv, two_vms_run_different_workloads_to_completion)
{
    const char *dir = temp_dir();
    char a[512], path[128];
    snprintf(path, sizeof path, "%s/s.json", dir);
    snprintf(a, sizeof a, "run syscall compute --mode hw --mmu nested --slice 20000 --stats %s", path);
    int st;
    char *out = run_out(a, &st);
    cr_assert_eq(st, 0, "%s", out);
    cr_assert(strstr(out, "[syscall] syscall: 2000 iterations, checksum 0x"), "%s", out);
    cr_assert(strstr(out, "[compute] compute: 50000 iterations, checksum 0x"), "%s", out);
    json_t *o = json_load_file(path, 0, NULL);
    cr_assert(o);
    json_t *vms = json_object_get(o, "vms");
    cr_assert_eq(json_array_size(vms), 2);
    for (size_t i = 0; i < 2; i++) {
        json_t *v = json_array_get(vms, i);
        cr_assert_str_eq(json_string_value(json_object_get(v, "state")), "ended");
        cr_assert_gt(json_integer_value(json_object_get(json_object_get(v, "vmexits"), "total")), 0);
    }
    json_t *by = json_object_get(json_object_get(o, "vmexits"), "by_reason");
    cr_assert_gt(json_integer_value(json_object_get(by, "external_interrupt")), 10, "time-sliced");
    json_decref(o);
    free(out);
}

Test(hv, an_adversarial_guest_harms_no_one_else)
{
    /* It writes past the end of its memory, points its own page table past
     * it and writes there, then jumps there: each is a bus error delivered
     * to it alone, which it counts; then it exits with the count. */
    const char *dir = temp_dir();
    const char *src =
        ".text\n_start: la r1, vectors\n mtcr vbr, r1\n mfcr r9, memsize\n"
        " la r8, step1\n sw r0, 0(r9)\n"                     /* 1: write past its memory */
        "step1: la r8, step2\n li r1, 0x200000\n"            /* 2: a page table pointing outside */
        " li r2, 0x23\n sw r2, 0(r1)\n"                      /* pde[0]: 4 MiB identity (large) */
        " lui r2, 0x7fff\n ori r2, r2, 0x3\n sw r2, 0x400(r1)\n" /* pde[256] -> 0x7fff0000 */
        " mtcr ptb, r1\n li r1, 1\n mtcr mmu, r1\n lui r1, 0x4000\n sw r0, 0x10(r1)\n"
        "step2: li r1, 0\n mtcr mmu, r1\n la r8, step3\n"
        " lui r1, 0x7f00\n jr r1\n"                          /* 3: jump outside */
        "step3: out power, r10\n"
        "bus: addi r10, r10, 1\n mtcr epc, r8\n iret\n"
        "other: li r1, 99\n out power, r1\n"
        " .data\n .align 4\nvectors: .word other, other, other, other, other, other, other, bus,"
        " other, other, other\n";
    char img[256];
    snprintf(img, sizeof img, "%s", assemble(dir, "adversary", src));
    char a[600];
    int st;
    snprintf(a, sizeof a, "run %s --mem 4M", img);
    char *native = run_out(a, &st);
    cr_assert_eq(st, 3, "natively: three bus errors (%s)", native);
    free(native);
    snprintf(a, sizeof a, "run %s compute --mode hw --mem 4M --slice 5000", img);
    char *out = run_out(a, &st);
    cr_assert_eq(st, 3, "under hw the adversary also sees exactly three bus errors: %s", out);
    cr_assert(strstr(out, "[compute] compute: 50000 iterations, checksum 0x"), "the neighbour is unharmed: %s", out);
    free(out);
}
