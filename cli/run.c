/*
 * run.c — `ringsim run`: build a machine, load an image, run it, report.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/cli.h"
#include "hypervisor/hv.h"
#include "visualise/visualise.h"

static void run_help(FILE *out)
{
    fprintf(out,
        "usage: ringsim run IMG… [options]\n\n"
        "Runs an image on the simulated machine.  The guest's console output goes to\n"
        "stdout; the run's statistics (cycles by cause, traps, …) go to --stats.\n"
        "With --mode hw, several images run as several VMs, each isolated in its own\n"
        "guest-physical memory; their console lines are prefixed [name].\n"
        "IMG may be a path or the name of a bundled program (ringsim run hello).\n\n"
        "  --mode MODE        native (default); hw (hardware assist: the guest kernel runs in\n"
        "                     non-root ring 0 under the hypervisor); te (trap-and-emulate: the\n"
        "                     guest kernel runs in ring 1, the hypervisor emulates); bt (binary\n"
        "                     translation: kernel code runs from a code cache, sensitive\n"
        "                     instructions call the hypervisor); pv arrives with issue #5\n"
        "  --mmu MMU          nested (default with hw) or shadow (the only one with te and bt;\n"
        "                     with hw it is early VT-x: page faults and page-table switches exit)\n"
        "  --host-levels M    levels of the nested (host) page table (default: --levels)\n"
        "  --host-large-pages map guest memory with large host pages\n"
        "  --ntlb N           a nested TLB of N guest-physical->host-physical entries\n"
        "  --no-vpid          TLB entries not tagged by VM: a VM switch flushes\n"
        "  --slice N          cycles a VM runs before the next one (default 200000)\n"
        "  --isa ISA          classic (default: keeps the red pills) or strict\n"
        "  --profile P        machine profile NAME (modern, p4-2006, core2-2006) or FILE.ini\n"
        "  --levels N         page-table levels, 2 (default), 3 or 4 (read by guests from CR levels)\n"
        "  --mem SIZE         physical memory (per VM under hw), e.g. 16M (default)\n"
        "  --tlb E[:W]        TLB of E entries, W ways (default 64:4; E:E fully associative)\n"
        "  --no-asid          TLB entries untagged: every page-table switch flushes\n"
        "  --pwc N            a page-walk cache of N upper-level entries (default off)\n"
        "  --args TEXT        boot parameters: TEXT is copied, NUL-terminated, to physical 0x100\n"
        "  --max-cycles N     stop after N cycles (at the first block boundary past N)\n"
        "  --stats FILE|-     write statistics as JSON\n"
        "  --trace SPEC[:FILE] events, one line each (docs/debugger.md): SPEC is a list of\n"
        "                     tlb, walk, trap, exit, bt, shadow or all; FILE default stderr\n"
        "  --input TEXT       console input script\n"
        "  --input-file FILE  console input script from a file (- = stdin)\n\n"
        "Exit status: the guest's exit code (0..%d, clamped), 0 after hlt, %d when the\n"
        "cycle limit stopped it, %d on a triple fault, %d for bad arguments or images.\n",
        EXIT_GUEST_MAX, EXIT_CYCLE_LIMIT, EXIT_TRIPLE_FAULT, EXIT_USAGE);
}

static char *read_all(const char *path, uint32_t *len)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (r == 0) break;
        if (n == cap) {
            char *nb = cap < (64u << 20) ? realloc(buf, cap * 2) : NULL;
            if (!nb) { free(buf); buf = NULL; break; }
            buf = nb;
            cap *= 2;
        }
    }
    if (f != stdin) fclose(f);
    *len = (uint32_t)n;
    return buf;
}

int cmd_run(int argc, char **argv)
{
    enum { O_MODE = 256, O_MMU, O_ISA, O_PROFILE, O_LEVELS, O_MEM, O_MAXCYC, O_STATS,
           O_INPUT, O_INPUTFILE, O_TLB, O_NOASID, O_PWC, O_ARGS, O_HOSTLEVELS, O_HOSTLARGE,
           O_NTLB, O_NOVPID, O_SLICE, O_TRACE };
    static const struct option longopts[] = {
        {"help", no_argument, 0, 'h'},
        {"mode", required_argument, 0, O_MODE},
        {"mmu", required_argument, 0, O_MMU},
        {"isa", required_argument, 0, O_ISA},
        {"profile", required_argument, 0, O_PROFILE},
        {"levels", required_argument, 0, O_LEVELS},
        {"mem", required_argument, 0, O_MEM},
        {"max-cycles", required_argument, 0, O_MAXCYC},
        {"stats", required_argument, 0, O_STATS},
        {"input", required_argument, 0, O_INPUT},
        {"input-file", required_argument, 0, O_INPUTFILE},
        {"tlb", required_argument, 0, O_TLB},
        {"no-asid", no_argument, 0, O_NOASID},
        {"pwc", required_argument, 0, O_PWC},
        {"args", required_argument, 0, O_ARGS},
        {"host-levels", required_argument, 0, O_HOSTLEVELS},
        {"host-large-pages", no_argument, 0, O_HOSTLARGE},
        {"ntlb", required_argument, 0, O_NTLB},
        {"no-vpid", no_argument, 0, O_NOVPID},
        {"slice", required_argument, 0, O_SLICE},
        {"trace", required_argument, 0, O_TRACE},
        {0, 0, 0, 0},
    };
    struct machine_opts o = {.mode = "native", .isa = ISA_CLASSIC, .levels = 2,
                             .profile = "modern", .memsize = 16u << 20};
    const char *trace = NULL;   /* --trace SPEC[:FILE] (visualise/trace.c) */
    uint64_t v;
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (ch) {
        case 'h': run_help(stdout); return 0;
        case O_MODE: o.mode = optarg; break;
        case O_MMU: o.mmu = optarg; break;
        case O_ISA:
            if (!isa_variant_parse(optarg, &o.isa)) {
                fprintf(stderr, "ringsim run: --isa '%s': expected classic or strict\n", optarg);
                return EXIT_USAGE;
            }
            break;
        case O_PROFILE: o.profile = optarg; break;
        case O_LEVELS:
            if (!cli_parse_u64(optarg, &v) || v < 2 || v > 4) {
                fprintf(stderr, "ringsim run: --levels '%s': expected 2, 3 or 4\n", optarg);
                return EXIT_USAGE;
            }
            o.levels = (unsigned)v;
            break;
        case O_MEM:
            if (!cli_parse_u64(optarg, &v) || v % 4096 || v < 65536 || v > (1u << 30)) {
                fprintf(stderr, "ringsim run: --mem '%s': expected a multiple of 4K between 64K and 1G\n", optarg);
                return EXIT_USAGE;
            }
            o.memsize = (uint32_t)v;
            break;
        case O_MAXCYC:
            if (!cli_parse_u64(optarg, &o.max_cycles) || o.max_cycles == 0) {
                fprintf(stderr, "ringsim run: --max-cycles '%s': expected a positive number\n", optarg);
                return EXIT_USAGE;
            }
            break;
        case O_STATS: o.stats = optarg; break;
        case O_TRACE: trace = optarg; break;
        case O_INPUT: o.input = optarg; break;
        case O_INPUTFILE: o.input_file = optarg; break;
        case O_TLB:
            if (!mmu_parse_tlb(optarg, &o.tlb_entries, &o.tlb_ways)) {
                fprintf(stderr, "ringsim run: --tlb '%s': expected ENTRIES[:WAYS] with ENTRIES/WAYS "
                                "a power of two (e.g. 64:4)\n", optarg);
                return EXIT_USAGE;
            }
            break;
        case O_NOASID: o.no_asid = true; break;
        case O_HOSTLEVELS:
            if (!cli_parse_u64(optarg, &v) || v < 2 || v > 4) {
                fprintf(stderr, "ringsim run: --host-levels '%s': expected 2, 3 or 4\n", optarg);
                return EXIT_USAGE;
            }
            o.host_levels = (unsigned)v;
            break;
        case O_HOSTLARGE: o.host_large_pages = true; break;
        case O_NTLB:
            if (!cli_parse_u64(optarg, &v) || v > 4096) {
                fprintf(stderr, "ringsim run: --ntlb '%s': expected a number of entries, 0..4096\n", optarg);
                return EXIT_USAGE;
            }
            o.ntlb_entries = (unsigned)v;
            break;
        case O_NOVPID: o.no_vpid = true; break;
        case O_SLICE:
            if (!cli_parse_u64(optarg, &v) || v < 1000 || v > 100000000) {
                fprintf(stderr, "ringsim run: --slice '%s': expected cycles, 1000..100000000\n", optarg);
                return EXIT_USAGE;
            }
            o.slice = (uint32_t)v;
            break;
        case O_PWC:
            if (!cli_parse_u64(optarg, &v) || v > 4096) {
                fprintf(stderr, "ringsim run: --pwc '%s': expected a number of entries, 0..4096\n", optarg);
                return EXIT_USAGE;
            }
            o.pwc_entries = (unsigned)v;
            break;
        case O_ARGS:
            if (strlen(optarg) > BOOT_ARGS_MAX - 1) {
                fprintf(stderr, "ringsim run: --args: at most %d characters\n", BOOT_ARGS_MAX - 1);
                return EXIT_USAGE;
            }
            o.args = optarg;
            break;
        default: run_help(stderr); return EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "ringsim run: expected an image (a path or a bundled program name)\n");
        return EXIT_USAGE;
    }
    bool hw = false, te = false, bt = false;
    if (strcmp(o.mode, "hw") == 0) {
        hw = true;
        if (!o.mmu) o.mmu = "nested";
        if (strcmp(o.mmu, "nested") != 0 && strcmp(o.mmu, "shadow") != 0) {
            fprintf(stderr, "ringsim run: --mmu '%s': expected nested or shadow\n", o.mmu);
            return EXIT_USAGE;
        }
    } else if (strcmp(o.mode, "te") == 0 || strcmp(o.mode, "bt") == 0) {
        te = true;
        bt = o.mode[0] == 'b';
        if (!o.mmu) o.mmu = "shadow";
        if (strcmp(o.mmu, "shadow") != 0) {
            fprintf(stderr, "ringsim run: --mode %s --mmu %s: software virtualisation has no nested "
                            "paging (that is hardware assist); use --mmu shadow\n", o.mode, o.mmu);
            return EXIT_USAGE;
        }
    } else if (strcmp(o.mode, "native") != 0) {
        if (!strcmp(o.mode, "pv")) {
            fprintf(stderr, "ringsim run: --mode %s arrives with issue #5; this build runs native, "
                            "hw (nested paging), te and bt (shadow paging)\n", o.mode);
            return EXIT_USAGE;
        }
        fprintf(stderr, "ringsim run: --mode '%s': expected native, te, bt, hw or pv\n", o.mode);
        return EXIT_USAGE;
    } else if (o.mmu) {
        fprintf(stderr, "ringsim run: --mmu %s virtualises the MMU under a hypervisor; a native run "
                        "uses the guest's own page tables (try --mode hw)\n", o.mmu);
        return EXIT_USAGE;
    }
    int nimages = argc - optind;
    if (nimages > 1 && te) {
        fprintf(stderr, "ringsim run: trap-and-emulate runs one VM in this build; several VMs run with --mode hw\n");
        return EXIT_USAGE;
    }
    if (nimages > 1 && !hw) {
        fprintf(stderr, "ringsim run: several images run as several VMs: add --mode hw\n");
        return EXIT_USAGE;
    }
    if (nimages > MAX_VMS) {
        fprintf(stderr, "ringsim run: at most %d VMs\n", MAX_VMS);
        return EXIT_USAGE;
    }
    if ((!hw || strcmp(o.mmu, "nested") != 0) && (o.host_levels || o.host_large_pages || o.ntlb_entries || o.no_vpid)) {
        fprintf(stderr, "ringsim run: --host-levels, --host-large-pages, --ntlb and --no-vpid need "
                        "nested paging (--mode hw)\n");
        return EXIT_USAGE;
    }

    char err[512], path[PATH_MAX];
    struct profile prof;
    if (!profile_load(o.profile, &prof, err, sizeof err)) {
        fprintf(stderr, "ringsim run: %s\n", err);
        return EXIT_USAGE;
    }
    struct isa_image imgs[MAX_VMS];
    char names[MAX_VMS][32];
    memset(imgs, 0, sizeof imgs);
    for (int i = 0; i < nimages; i++) {
        const char *arg = argv[optind + i];
        if (!cli_resolve_image(arg, path, sizeof path)) {
            fprintf(stderr, "ringsim run: %s: no such file or bundled program\n", arg);
            for (int k = 0; k < i; k++) isa_image_free(&imgs[k]);
            return EXIT_USAGE;
        }
        if (!isa_image_load(path, &imgs[i], err, sizeof err)) {
            fprintf(stderr, "ringsim run: %s\n", err);
            for (int k = 0; k < i; k++) isa_image_free(&imgs[k]);
            return EXIT_USAGE;
        }
        /* a VM is named after its image: guests/syscall.img -> syscall */
        const char *base = strrchr(arg, '/') ? strrchr(arg, '/') + 1 : arg;
        snprintf(names[i], sizeof names[i], "%.*s", (int)strcspn(base, "."), base);
    }
    struct machine_config cfg = {.memsize = o.memsize, .isa = o.isa, .levels = o.levels,
                                 .tlb_entries = o.tlb_entries, .tlb_ways = o.tlb_ways,
                                 .no_asid = o.no_asid, .pwc_entries = o.pwc_entries,
                                 .ntlb_entries = o.ntlb_entries,
                                 .max_cycles = o.max_cycles, .prof = &prof};
    bool shadow = te || (hw && strcmp(o.mmu, "shadow") == 0);
    if (shadow && nimages > 1) {
        fprintf(stderr, "ringsim run: with shadow paging this build runs one VM; several VMs run "
                        "with --mode hw --mmu nested\n");
        return EXIT_USAGE;
    }
    struct hv_config hcfg = {.mode = bt ? HV_BT : te ? HV_TE : HV_HW, .mmu = shadow ? HV_MMU_SHADOW : HV_MMU_NESTED,
                             .vm_memsize = o.memsize,
                             .host_levels = o.host_levels ? o.host_levels : o.levels,
                             .host_large_pages = o.host_large_pages, .slice = o.slice};
    bool virt = hw || te;
    if (virt) cfg.memsize = hv_host_memsize(nimages, o.memsize, hcfg.host_levels);
    struct machine *m = malloc(sizeof *m);
    struct hv *hv = virt ? malloc(sizeof *hv) : NULL;
    bool ok = m && (!virt || hv) && machine_init(m, &cfg, err, sizeof err);
    if (ok && virt) {
        ok = hv_init(hv, m, &hcfg, err, sizeof err);
        if (o.no_vpid) m->vmx.vpid_tags = false;
        for (int i = 0; ok && i < nimages; i++) ok = hv_add_vm(hv, names[i], &imgs[i], o.args, err, sizeof err);
    } else if (ok) {
        ok = machine_load_image(m, &imgs[0], err, sizeof err);
    }
    for (int i = 0; i < nimages; i++) isa_image_free(&imgs[i]);
    if (ok && trace) ok = vis_trace_install(m, trace, err, sizeof err);
    if (!ok) {
        fprintf(stderr, "ringsim run: %s\n", m ? err : "out of memory");
        if (m && m->mem) machine_free(m);
        free(m);
        free(hv);
        return EXIT_USAGE;
    }
    if (virt) {
        hv_start(hv);
        goto run;
    }
    if (o.args) machine_set_boot_args(m, o.args);
    if (o.input) machine_set_input(m, o.input, (uint32_t)strlen(o.input));
    if (o.input_file) {
        uint32_t len;
        char *data = read_all(o.input_file, &len);
        if (!data) {
            fprintf(stderr, "ringsim run: --input-file %s: %s\n", o.input_file, strerror(errno));
            machine_free(m);
            free(m);
            return EXIT_USAGE;
        }
        machine_set_input(m, data, len);
        free(data);
    }

run:
    if (m->stop == STOP_NONE) machine_run(m, 0);
    fflush(stdout);

    int status = 0;
    switch (m->stop) {
    case STOP_EXIT: status = m->exit_code > EXIT_GUEST_MAX ? EXIT_GUEST_MAX : (int)m->exit_code; break;
    case STOP_HALT: status = 0; break;
    case STOP_CYCLE_LIMIT:
        status = EXIT_CYCLE_LIMIT;
        fprintf(stderr, "ringsim run: %s\n", m->stop_detail);
        break;
    case STOP_TRIPLE:
        status = EXIT_TRIPLE_FAULT;
        fprintf(stderr, "ringsim run: %s\n", m->stop_detail);
        break;
    default: status = EXIT_USAGE; break;
    }
    json_t *js = stats_to_json(m);
    if (virt) hv_stats_json(hv, js);
    if (o.stats && !json_write_file(js, o.stats, err, sizeof err)) {
        fprintf(stderr, "ringsim run: --stats: %s\n", err);
        status = EXIT_USAGE;
    }
    if (!o.stats) json_decref(js);
    if (hv) hv_free(hv);
    free(hv);
    machine_free(m);
    free(m);
    return status;
}
