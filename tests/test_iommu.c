/*
 * test_iommu.c — pass-through with an IOMMU (--passthrough N, --no-iommu;
 * cpu/iommu.c, hypervisor/passthrough.c) and partitions of one disk file
 * (--disk FILE:part=FIRST+COUNT; cpu/disk.c).
 *
 * Pass-through: `diskio` (and the split driver `diskq`) print what they
 * print on bare metal, with no disk exit and every completion a posted
 * interrupt; exits per KB fall below the emulated device's; the IOTLB's
 * counters move and each miss is one walk of the VM's host table (its
 * references the table's levels); the hostile guest
 * guests/attacks/disk_passthrough.s gets bare metal's statuses and the
 * hypervisor an IOMMU fault report for each DMA outside the VM, while with
 * --no-iommu the same guest reads and overwrites the VM beside it, which
 * dies, and a benign VM 1 given the device without it moves its data
 * through VM 0's memory; the other hostile disk guests print bare metal's lines passed
 * through too; pass-through is refused where it cannot work.  Partitions: two VMs on halves of one file each see a whole disk
 * of their own; a hostile guest's sectors past its partition are refused
 * (range) and the neighbour's data survives; an overlapping partition,
 * in the same run or held by another process, is refused.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "hypervisor/hv.h"
#include "tests/helpers.h"

static long long num(json_t *o, const char *key) { return json_integer_value(json_object_get(o, key)); }
static json_t *vm0(json_t *s) { return json_array_get(json_object_get(s, "vms"), 0); }

/* `ringsim ARGS --stats DIR/NAME.json`, which must exit 0: stdout, stats in *stats. */
static char *run_stats(const char *dir, const char *name, const char *args, json_t **stats)
{
    char a[1500], path[400];
    int st;
    snprintf(path, sizeof path, "%s/%s.json", dir, name);
    snprintf(a, sizeof a, "%s --stats %s", args, path);
    char *out = run_out(a, &st);
    cr_assert_eq(st, 0, "%s: status %d: %s", a, st, out);
    json_error_t e;
    *stats = json_load_file(path, 0, &e);
    cr_assert(*stats, "%s: %s", path, e.text);
    return out;
}

/* VM exits of the whole run per KB moved by DMA. */
static double exits_per_kb(json_t *s)
{
    json_t *v = vm0(s);
    double kb = (double)num(json_object_get(v, "disk"), "dma_bytes") / 1024.0;
    cr_assert_gt(kb, 0);
    return (double)num(json_object_get(v, "vmexits"), "total") / kb;
}

Test(iommu, passthrough_prints_what_bare_metal_prints_with_no_disk_exit)
{
    const char *dir = temp_dir();
    static const char *const workloads[] = {"diskio", "diskq"};
    for (unsigned w = 0; w < 2; w++) {
        char a[800];
        json_t *ns, *es, *ps;
        snprintf(a, sizeof a, "run %s --args 8 --isa strict --disk %s/n%u.img:create=256K", workloads[w], dir, w);
        char *native = run_stats(dir, "native", a, &ns);
        snprintf(a, sizeof a, "run %s --args 8 --isa strict --mode hw --mmu nested --disk %s/e%u.img:create=256K",
                 workloads[w], dir, w);
        char *emulated = run_stats(dir, "emulated", a, &es);
        snprintf(a, sizeof a,
                 "run %s --args 8 --isa strict --mode hw --mmu nested --passthrough 0 --disk %s/p%u.img:create=256K",
                 workloads[w], dir, w);
        char *passed = run_stats(dir, "passed", a, &ps);
        cr_assert(strstr(native, " iterations, checksum 0x"), "%s", native);
        cr_assert_str_eq(passed, native, "%s passed through", workloads[w]);
        cr_assert_str_eq(emulated, native, "%s emulated", workloads[w]);
        json_t *d = json_object_get(vm0(ps), "disk"), *io = json_object_get(vm0(ps), "iommu");
        cr_assert(io, "no iommu object in a pass-through run's statistics");
        cr_assert_eq(num(d, "exits"), 0, "%s: a passed-through disk's accesses exit", workloads[w]);
        cr_assert_eq(num(io, "direct_accesses"), num(d, "port_accesses"));
        cr_assert_eq(num(d, "dma_bytes"), num(json_object_get(ns, "disk"), "dma_bytes"));
        /* every completion delivered by the CPU, none by the hypervisor */
        cr_assert_gt(num(d, "interrupts"), 0);
        cr_assert_eq(num(io, "posted_interrupts"), num(d, "interrupts"));
        cr_assert_eq(num(d, "interrupts"), num(json_object_get(ns, "disk"), "interrupts"));
        cr_assert_eq(num(io, "faults"), 0);
        double pe = exits_per_kb(ps), ee = exits_per_kb(es);
        cr_assert_lt(pe, ee, "%s: exits per KB, passed through %.2f, emulated %.2f", workloads[w], pe, ee);
        free(native);
        free(emulated);
        free(passed);
        json_decref(ns);
        json_decref(es);
        json_decref(ps);
    }
}

Test(iommu, the_iotlb_counts_and_each_miss_walks_the_host_table)
{
    const char *dir = temp_dir();
    for (unsigned levels = 2; levels <= 4; levels += 2) {
        char a[800];
        json_t *s;
        snprintf(a, sizeof a, "run diskio --args 8 --mode hw --host-levels %u --passthrough 0 --disk %s/d%u.img:create=256K",
                 levels, dir, levels);
        free(run_stats(dir, "s", a, &s));
        json_t *io = json_object_get(vm0(s), "iommu");
        cr_assert(json_is_true(json_object_get(io, "enabled")));
        cr_assert_gt(num(io, "walks"), 0);
        cr_assert_gt(num(io, "iotlb_hits"), num(io, "walks"), "the IOTLB should serve most pages");
        cr_assert_eq(num(io, "iotlb_misses"), num(io, "walks"));
        /* the MMU's walker over the VM's host table: one reference a level */
        cr_assert_eq(num(io, "walk_refs"), num(io, "walks") * levels, "host levels %u", levels);
        json_decref(s);
    }
}

/* The attack's statuses: read, write, steal, read back, ..., as bare metal prints them. */
Test(iommu, dma_outside_the_vm_is_an_iommu_fault_reported_and_dropped)
{
    const char *dir = temp_dir();
    char img[300], a[1200], *err, *out, *native;
    snprintf(img, sizeof img, "%s", assemble_attack(dir, "disk_passthrough"));
    snprintf(a, sizeof a, "run %s --disk %s/n.img:create=256K", img, dir);
    cr_assert_eq(run_ringsim(a, &native, NULL), 42);
    snprintf(a, sizeof a, "run %s --mode hw --passthrough 0 --disk %s/p.img:create=256K --stats %s/s.json", img, dir, dir);
    cr_assert_eq(run_ringsim(a, &out, &err), 42, "%s", err);
    cr_assert_str_eq(out, native);
    cr_assert(strstr(native, "read into the VM beside=00000502\n"), "%s", native);
    cr_assert(strstr(native, "the last page, after=600dcafe\n"), "the read across the end moved its first page: %s",
              native);
    /* three DMAs left the VM: into 0x01c01000, from it, and across the end */
    cr_assert(strstr(err, "IOMMU fault: VM disk_passthrough: its disk's DMA into bus address 0x01c01000"), "%s", err);
    cr_assert(strstr(err, "DMA from bus address 0x01c01000"), "%s", err);
    cr_assert(strstr(err, "DMA into bus address 0x01000000"), "%s", err);
    char path[400];
    snprintf(path, sizeof path, "%s/s.json", dir);
    json_t *s = json_load_file(path, 0, NULL);
    cr_assert(s);
    json_t *io = json_object_get(vm0(s), "iommu");
    cr_assert_eq(num(io, "faults"), 3);
    cr_assert_eq(num(io, "reports"), 3);
    cr_assert_eq(num(json_object_get(vm0(s), "disk"), "errors"), 3);
    json_decref(s);
    free(out);
    free(err);
    free(native);
}

Test(iommu, without_the_iommu_the_same_guest_overwrites_the_vm_beside)
{
    const char *dir = temp_dir();
    char img[300], a[1200], *out, *err;
    snprintf(img, sizeof img, "%s", assemble_attack(dir, "disk_passthrough"));
    /* with the IOMMU: contained, the victim prints its checksum */
    snprintf(a, sizeof a,
             "run %s syscall --args 200 --mode hw --passthrough 0 --disk %s/a.img:create=256K --disk %s/b.img:create=64K "
             "--stats %s/s.json", img, dir, dir, dir);
    cr_assert_eq(run_ringsim(a, &out, &err), 42, "%s", err);
    cr_assert(strstr(out, "[syscall] syscall: 200 iterations, checksum 0x"), "%s", out);
    cr_assert(strstr(out, "[disk_passthrough] read into the VM beside=00000502\n"), "%s", out);
    /* the attack's TARGET is the victim's guest-physical 0x1000: VM 1 at host 28 MiB */
    char path[400];
    snprintf(path, sizeof path, "%s/s.json", dir);
    json_t *s = json_load_file(path, 0, NULL);
    cr_assert(s);
    json_t *mem = json_object_get(json_array_get(json_object_get(s, "vms"), 1), "memory");
    cr_assert_eq(num(mem, "host_base"), 0x01c00000, "the layout moved: update TARGET in disk_passthrough.s");
    json_decref(s);
    free(out);
    free(err);
    /* without: the DMA goes to host-physical addresses */
    snprintf(a, sizeof a,
             "run %s syscall --args 200 --mode hw --passthrough 0 --no-iommu --disk %s/c.img:create=256K "
             "--disk %s/d.img:create=64K", img, dir, dir);
    /* its read across its own end lands in the hypervisor's tables after
     * its memory: it dies too, and the run ends as VM 0 did */
    cr_assert_eq(run_ringsim(a, &out, &err), 125, "%s", err);
    cr_assert(strstr(out, "[disk_passthrough] read into the VM beside=00000002\n"), "%s", out);
    cr_assert(strstr(out, "[disk_passthrough] write from the VM beside=00000002\n"), "%s", out);
    /* what it stole is the victim's first instruction (`lui sp, …` of the kernel's _start) */
    char want[100];
    int dst;
    char *d = run_out("disasm syscall", &dst);
    char *at = strstr(d, "00001000:  ");
    cr_assert(at, "%s", d);
    uint32_t first = (uint32_t)strtoul(at + 11, NULL, 16);
    free(d);
    snprintf(want, sizeof want, "[disk_passthrough] its first word=%08x\n", first);
    cr_assert(strstr(out, want), "expected %s in:\n%s", want, out);
    /* and the victim, its code overwritten, never gets to its checksum */
    cr_assert(!strstr(out, "[syscall] syscall: 200 iterations"), "%s", out);
    cr_assert(strstr(err, "VM syscall killed"), "%s", err);
    cr_assert(!strstr(err, "IOMMU fault"), "%s", err);
    free(out);
    free(err);
}

/* The other hostile disk guests (bad commands and DMA, odd interrupt
 * handling, malformed queues) on a passed-through device: bare metal's
 * output, line for line — the device, its interrupt and its queue are the
 * guest's own now, and the IOMMU answers as missing memory does. */
Test(iommu, the_disk_attacks_print_what_bare_metal_prints_passed_through)
{
    const char *dir = temp_dir();
    static const char *const attacks[] = {"disk_dma", "disk_irq", "disk_queue"};
    for (unsigned i = 0; i < sizeof attacks / sizeof attacks[0]; i++) {
        char img[300], a[1200], *native, *passed, *err;
        snprintf(img, sizeof img, "%s", assemble_attack(dir, attacks[i]));
        snprintf(a, sizeof a, "run %s --disk %s/n%u.img:create=256K", img, dir, i);
        cr_assert_eq(run_ringsim(a, &native, NULL), 42, "%s natively", attacks[i]);
        snprintf(a, sizeof a, "run %s --mode hw --passthrough 0 --disk %s/p%u.img:create=256K", img, dir, i);
        cr_assert_eq(run_ringsim(a, &passed, &err), 42, "%s: %s", attacks[i], err);
        cr_assert_str_eq(passed, native, "%s passed through", attacks[i]);
        free(native);
        free(passed);
        free(err);
    }
}

Test(iommu, passthrough_is_refused_where_it_cannot_work)
{
    const char *dir = temp_dir();
    char a[600], *err;
    static const struct { const char *opts, *says; } cases[] = {
        {"--mode te --passthrough 0", "needs --mode hw --mmu nested (not te+shadow)"},
        {"--mode hw --mmu shadow --passthrough 0", "needs --mode hw --mmu nested"},
        {"--passthrough 0", "--passthrough needs --mode hw --mmu nested"},
        {"--mode hw --no-iommu", "--no-iommu: only with --passthrough N"},
        {"--mode hw --passthrough 3", "--passthrough 3: expected the index of a VM, 0..0"},
        {"--mode hw --passthrough 0 --switch-at 100000:hw:shadow", "passed-through device"},
    };
    for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(a, sizeof a, "run diskio --args 1 %s --disk %s/r%u.img:create=64K", cases[i].opts, dir, i);
        cr_assert_eq(run_ringsim(a, NULL, &err), 2, "%s: %s", cases[i].opts, err);
        cr_assert(strstr(err, cases[i].says), "%s: %s", cases[i].opts, err);
        free(err);
    }
    snprintf(a, sizeof a, "run diskio --args 1 --mode hw --passthrough 0");
    cr_assert_eq(run_ringsim(a, NULL, &err), 2);
    cr_assert(strstr(err, "has no disk to pass through"), "%s", err);
    free(err);
}

/* hv_audit counts the device's reach: it holds through a pass-through run,
 * notices an IOTLB entry or a domain table mapping outside the VM, and
 * says a device passed through without an IOMMU reaches everything. */
static void build(struct cli_machine *cm, bool iommu, const char *disk)
{
    struct machine_opts o;
    cli_machine_defaults(&o);
    o.mode = "hw";
    o.mmu = "nested";
    o.args = "2";
    o.disks[0] = disk;
    o.ndisks = 1;
    o.passthrough = 1;
    o.no_iommu = !iommu;
    char *images[] = {(char *)"diskio", (char *)"syscall"};
    cr_assert(cli_machine_load(&o, images, 2, "test", cm));
    cm->m->con.out = NULL;
    cli_machine_start(cm);
}

Test(iommu, the_audit_counts_the_device_and_a_host_table_change_empties_the_iotlb)
{
    const char *dir = temp_dir();
    char disk[400], why[512];
    snprintf(disk, sizeof disk, "%s/a.img:create=64K", dir);
    struct cli_machine cm;
    build(&cm, true, disk);
    struct machine *m = cm.m;
    struct hv *hv = cm.hv;
    cr_assert(hv_audit(hv, why, sizeof why), "%s", why);
    while (machine_run(m, 20000) == STOP_STEPS) cr_assert(hv_audit(hv, why, sizeof why), "%s", why);
    cr_assert_gt(m->iommu.dom[0].walks, 0, "the run should have walked the IOMMU's table");
    /* an IOTLB entry giving VM 0's device VM 1's memory */
    m->iommu.tlb[3] = (struct iotlb_entry){.valid = true, .domain = 0, .iopn = 0x10, .hpfn = hv->vms[1].base >> 12};
    cr_assert(!hv_audit(hv, why, sizeof why), "an IOTLB entry outside the VM went unnoticed");
    cr_assert(strstr(why, "an IOTLB entry (bus address 0x00010000) maps"), "%s", why);
    m->iommu.tlb[3].valid = false;
    cr_assert(hv_audit(hv, why, sizeof why), "%s", why);
    /* the domain's table pointed at one whose leaves map VM 1 */
    uint32_t root = m->iommu.dom[0].root;
    m->iommu.dom[0].root = m->vmx.vmcs[1].ept_root;
    cr_assert(!hv_audit(hv, why, sizeof why), "a domain table mapping VM 1 went unnoticed");
    cr_assert(strstr(why, "IOMMU"), "%s", why);
    m->iommu.dom[0].root = root;
    cr_assert(hv_audit(hv, why, sizeof why), "%s", why);
    /* the hypervisor changes the VM's host table (write-protecting it, as
     * a migration's dirty log would): the IOTLB keeps nothing of before */
    bool any = false;
    for (unsigned k = 0; k < IOMMU_TLB_ENTRIES; k++) any |= m->iommu.tlb[k].valid;
    cr_assert(any, "the run left nothing in the IOTLB");
    uint64_t inval = m->iommu.invalidations;
    nested_dirty_log(hv, HV_DIRTY_START);
    cr_assert_gt(m->iommu.invalidations, inval);
    for (unsigned k = 0; k < IOMMU_TLB_ENTRIES; k++) cr_assert(!m->iommu.tlb[k].valid, "IOTLB entry %u survived", k);
    nested_dirty_log(hv, HV_DIRTY_STOP);
    cli_machine_free(&cm);
    /* no IOMMU at all */
    snprintf(disk, sizeof disk, "%s/b.img:create=64K", dir);
    build(&cm, false, disk);
    cr_assert(!hv_audit(cm.hv, why, sizeof why));
    cr_assert(strstr(why, "passed through with no IOMMU: its DMA reaches all of host memory"), "%s", why);
    cli_machine_free(&cm);
}

/* ---- partitions ------------------------------------------------------------ */
#define DISKCMD(sector, count, addr, cmd)                                                          \
    "  li r1, " sector "\n out disk_sector, r1\n li r1, " count "\n out disk_count, r1\n"             \
    "  li r1, " addr "\n out disk_addr, r1\n li r1, " cmd "\n out disk_cmd, r1\n"                   \
    "3: in r1, disk_status\n andi r2, r1, 1\n bnez r2, 3b\n out disk_ack, r1\n"

/* Prints its disk's size, the statuses of a read at the first sector past
 * it and of two sectors straddling its end, then writes 0x5a5a5a5a into
 * every sector it has (128 at a time) and prints the last status. */
static const char part_src[] =
    ".text\n.global _start\n_start:\n"
    "  in r8, disk_size\n mov r1, r8\n call hex\n"
    "  out disk_sector, r8\n li r1, 1\n out disk_count, r1\n li r1, 0x20000\n out disk_addr, r1\n"
    "  li r1, 1\n out disk_cmd, r1\n in r1, disk_status\n out disk_ack, r1\n call hex\n"
    "  addi r9, r8, -1\n out disk_sector, r9\n li r1, 2\n out disk_count, r1\n li r1, 1\n out disk_cmd, r1\n"
    "  in r1, disk_status\n out disk_ack, r1\n call hex\n"
    "  li r10, 0x20000\n li r11, 0x30000\n li r12, 0x5a5a5a5a\n"
    "1: sw r12, 0(r10)\n addi r10, r10, 4\n bne r10, r11, 1b\n"
    "  li r9, 0\n"
    "2: out disk_sector, r9\n li r1, 128\n out disk_count, r1\n li r1, 0x20000\n out disk_addr, r1\n"
    "  li r1, 2\n out disk_cmd, r1\n"
    "4: in r1, disk_status\n andi r2, r1, 1\n bnez r2, 4b\n out disk_ack, r1\n mov r13, r1\n"
    "  addi r9, r9, 128\n blt r9, r8, 2b\n"
    "  mov r1, r13\n call hex\n out power, r0\n" PRINT_HEX;

Test(iommu, partitions_are_whole_disks_and_refuse_sectors_outside)
{
    const char *dir = temp_dir();
    char img[300], a[1500], *out, *err;
    snprintf(img, sizeof img, "%s", assemble(dir, "part", part_src));
    /* diskio on the first half writes its blocks; alone, the hostile guest
     * on the second half is refused past its end and fills the rest */
    snprintf(a, sizeof a, "run diskio --args 8 --disk %s/f.img:create=512K:part=0+512", dir);
    int st;
    char *first = run_out(a, &st);
    cr_assert_eq(st, 0, "%s", first);
    cr_assert(strstr(first, "diskio: 8 iterations, checksum 0x"), "%s", first);
    snprintf(a, sizeof a, "run %s --disk %s/f.img:part=512+512", img, dir);
    cr_assert_eq(run_ringsim(a, &out, &err), 0, "%s", err);
    /* 512 sectors; one past: range (4), done; straddling: range; its own writes: done */
    cr_assert_str_eq(out, "00000200\n00000402\n00000402\n00000002\n");
    free(out);
    free(err);
    /* the neighbour's blocks survived: diskio verifies them, natively and
     * as VM 0 of a run that gives the hostile guest the other half again */
    snprintf(a, sizeof a, "run diskio %s --args 8 --mode hw --disk %s/f.img:part=0+512 --disk %s/f.img:part=512+512",
             img, dir, dir);
    cr_assert_eq(run_ringsim(a, &out, &err), 0, "%s", err);
    cr_assert(strstr(out, "[diskio] diskio: verified the blocks a previous run wrote\n"), "%s", out);
    char want[200];
    snprintf(want, sizeof want, "[diskio] %s", first);
    cr_assert(strstr(out, want), "%s\nwanted %s", out, want);
    cr_assert(strstr(out, "[part] 00000402\n"), "%s", out);
    free(out);
    free(err);
    /* sector 512 of the file is the hostile guest's: 0x5a5a5a5a */
    char path[400];
    snprintf(path, sizeof path, "%s/f.img", dir);
    int fd = open(path, O_RDONLY);
    cr_assert(fd >= 0);
    uint32_t w0 = 0, w512 = 0;
    cr_assert_eq(pread(fd, &w512, 4, 512 * 512), 4);
    cr_assert_eq(pread(fd, &w0, 4, 0), 4);
    close(fd);
    cr_assert_eq(w512, 0x5a5a5a5au);
    cr_assert_neq(w0, 0x5a5a5a5au);
    free(first);
}

Test(iommu, overlapping_partitions_are_refused)
{
    const char *dir = temp_dir();
    char a[1500], *err, path[400];
    snprintf(path, sizeof path, "%s/o.img", dir);
    /* one run, two VMs whose partitions share sectors 256..511 */
    snprintf(a, sizeof a, "run diskio diskio --mode hw --disk %s:create=512K:part=0+512 --disk %s:part=256+512", path,
             path);
    cr_assert_eq(run_ringsim(a, NULL, &err), 2);
    cr_assert(strstr(err, "part=256+512: locked: sectors 256..767 overlap a partition (or the whole disk)"), "%s", err);
    free(err);
    /* a partition beside the whole disk */
    snprintf(a, sizeof a, "run diskio diskio --mode hw --disk %s --disk %s:part=0+8", path, path);
    cr_assert_eq(run_ringsim(a, NULL, &err), 2);
    cr_assert(strstr(err, "locked"), "%s", err);
    free(err);
    /* past the file */
    snprintf(a, sizeof a, "run diskio --disk %s:part=1000+100", path);
    cr_assert_eq(run_ringsim(a, NULL, &err), 2);
    cr_assert(strstr(err, "part=1000+100: the partition ends past the disk's 1024 sectors"), "%s", err);
    free(err);
    snprintf(a, sizeof a, "run diskio --disk %s:part=5", path);
    cr_assert_eq(run_ringsim(a, NULL, &err), 2);
    cr_assert(strstr(err, "part=5: expected FIRST+COUNT"), "%s", err);
    free(err);
    /* another process holding sectors 100..199 (an OFD lock, as ringsim takes) */
    int fd = open(path, O_RDWR);
    cr_assert(fd >= 0);
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 100 * 512, .l_len = 100 * 512};
    cr_assert_eq(fcntl(fd, F_OFD_SETLK, &fl), 0);
    snprintf(a, sizeof a, "run diskio --args 2 --disk %s:part=150+100", path);
    cr_assert_eq(run_ringsim(a, NULL, &err), 2);
    cr_assert(strstr(err, "sectors 150..249 overlap"), "%s", err);
    free(err);
    snprintf(a, sizeof a, "run diskio --args 2 --disk %s:part=200+100", path);
    cr_assert_eq(run_ringsim(a, NULL, &err), 0, "%s", err);
    free(err);
    close(fd);
}

/* --no-iommu for a VM not at host 0: its driver programs its own
 * guest-physical addresses, which the device takes as host-physical — VM
 * 0's memory, where VM 1's reads land and its writes come from: its blocks
 * on disk and its checksum are not bare metal's, and nothing reports it.
 * With the IOMMU the same VM 1 is bare metal. */
static char *file_text(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    cr_assert(f, "%s", path);
    char *d = malloc(1 << 20);
    cr_assert(d);
    *len = fread(d, 1, 1 << 20, f);
    fclose(f);
    return d;
}

Test(iommu, without_it_a_vm_not_at_host_0_moves_its_data_through_another_vms_memory)
{
    const char *dir = temp_dir();
    char a[1200], *out, *err, path[3][300];
    for (int i = 0; i < 3; i++) snprintf(path[i], sizeof path[i], "%s/v%d.img", dir, i);
    snprintf(a, sizeof a, "run diskio --disk %s:create=256K", path[0]);
    int st;
    char *native = run_out(a, &st);
    cr_assert_eq(st, 0, "%s", native);
    const char *want = strstr(native, "diskio: 32 iterations, checksum");
    cr_assert(want, "%s", native);
    static const char *const way[] = {"", "--no-iommu"};
    for (int k = 0; k < 2; k++) {
        snprintf(a, sizeof a, "run syscall diskio --mode hw --passthrough 1 %s --disk %s/w%d.img:create=64K "
                 "--disk %s:create=256K", way[k], dir, k, path[k + 1]);
        cr_assert_eq(run_ringsim(a, &out, &err), 0, "%s: %s", a, err);
        cr_assert(strstr(out, "[syscall] syscall: 2000 iterations, checksum"), "%s", out);
        cr_assert(!strstr(err, "IOMMU fault"), "%s", err);
        bool same = strstr(out, want) != NULL;
        cr_assert(k == 0 ? same : !same, "%s: VM 1 printed\n%s\nbare metal\n%s", way[k], out, native);
        free(out);
        free(err);
    }
    size_t n0, n1, n2;
    char *d0 = file_text(path[0], &n0), *d1 = file_text(path[1], &n1), *d2 = file_text(path[2], &n2);
    cr_assert(n0 == n1 && memcmp(d0, d1, n0) == 0, "with the IOMMU VM 1's disk holds bare metal's blocks");
    cr_assert(n0 == n2 && memcmp(d0, d2, n0) != 0, "without it, VM 1's blocks came from elsewhere");
    free(d0);
    free(d1);
    free(d2);
    free(native);
}

/* The fault report names the device whose DMA it was (the bus's requester):
 * the network interface's descriptors outside the VM, passed through. */
Test(iommu, a_fault_names_the_device_that_made_the_dma)
{
    const char *dir = temp_dir();
    char a[1200], *err = NULL, *out = NULL;
    const char *img = assemble_attack(dir, "net_ring");
    snprintf(a, sizeof a, "run %s --net --mode hw --passthrough 0 --trace dev:%s/t.txt", img, dir);
    cr_assert_eq(run_ringsim(a, &out, &err), 42, "%s", err);
    cr_assert(strstr(err, "IOMMU fault: VM net_ring: its nic's DMA from bus address 0xfffff000"), "%s", err);
    cr_assert_null(strstr(err, "its disk's DMA"), "%s", err);
    char path[400];
    snprintf(path, sizeof path, "%s/t.txt", dir);
    char *trace = slurp(path);
    cr_assert(trace);
    /* and the trace shows the transfer that faulted, with its walk */
    cr_assert(strstr(trace, " dev nic dma from-mem addr=g:0xfffff000 bytes=64 iommu refs="), "%s", trace);
    cr_assert(strstr(trace, " failed busy=0"), "%s", trace);
    free(trace), free(out), free(err);
}
