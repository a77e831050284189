/*
 * run.c — `ringsim run`: build a machine, load an image, run it, report.
 *
 * The machine comes from the options every guest-running command shares
 * (cli/machine.c); what is run's own is here: --max-cycles, --stats, --trace
 * and the exit status that tells how the machine stopped.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/cli.h"
#include "hypervisor/hv.h"
#include "hypervisor/technique.h"
#include "visualise/visualise.h"

static void run_help(FILE *out)
{
    fprintf(out,
        "usage: ringsim run IMG… [options]\n"
        "       ringsim run SAVEFILE [--mode M [--mmu U]] [--max-cycles N] [--stats F] [--trace S] [--save-at …]\n\n"
        "Runs an image on the simulated machine.  The guest's console output goes to\n"
        "stdout; the run's statistics (cycles by cause, traps, …) go to --stats.\n"
        "With --mode hw, several images run as several VMs, each isolated in its own\n"
        "guest-physical memory; their console lines are prefixed [name].\n"
        "IMG may be a path or the name of a bundled program (ringsim run hello).\n\n");
    cli_machine_help(out);
    fprintf(out,
        "  --max-cycles N     stop after N cycles (at the first block boundary past N)\n"
        "  --stats FILE|-     write statistics as JSON, atomically, when the run ends (however it\n"
        "                     ends); FILE's directory is checked before the run starts; a kernel\n"
        "                     built with containers adds \"cgroups\" (and \"netns\", \"cgroupns\")\n"
        "  --footprint        add to --stats what the hypervisor holds beyond the VMs' memory\n"
        "                     (\"footprint\": host and shadow table frames, bookkeeping bytes)\n"
        "  --trace SPEC[:FILE] events, one line each (docs/debugger.md): SPEC is a list of\n"
        "                     tlb, walk, trap, exit, bt, shadow, hv, stop, migrate (live\n"
        "                     migration: rounds, stop-and-copy, resume; save files: saved,\n"
        "                     restored, cloned), dev (every doorbell, DMA and interrupt of\n"
        "                     the disk and the NIC) or all; FILE default stderr\n"
        "  --trace-format F   text (default) or chrome: the run's timeline as Trace Event JSON\n"
        "                     for ui.perfetto.dev or chrome://tracing, a track per ring and\n"
        "                     one for ring -1, ts and dur in cycles (1 cycle = 1 us); SPEC's\n"
        "                     tlb or walk add counters, trap or shadow instant events\n"
        "  --switch-at CYCLE:MODE[:MMU]  change technique while the guest runs, at the first\n"
        "                     block boundary past CYCLE (repeatable, up to 16): MODE te, bt\n"
        "                     or hw, MMU shadow or nested (nested: hw only, its default);\n"
        "                     a single VM, output as if never switched\n"
        "  --save-at CYCLE:FILE  save the whole machine to FILE (docs/savefile.md), atomically, at\n"
        "                     the first block boundary past CYCLE, and run on (repeatable, up to 16);\n"
        "                     with --net the network and its frames in flight too (not --disk)\n"
        "  --restore FILE     continue the machine saved in FILE (also: ringsim run FILE); the\n"
        "                     options that shape the machine come from it; --mode and --mmu switch\n"
        "                     it live where --switch-at could; --max-cycles replaces its limit.\n"
        "                     Output, cycles and statistics are those of a run never stopped\n"
        "  --clones N         with a save file: N VMs (2..%d) cloned from it, run side by side\n"
        "                     under hw with nested paging, sharing its memory copy-on-write\n"
        "                     (the file must hold one VM saved under --mode hw --mmu nested);\n"
        "                     statistics \"clone\": shared_pages, cow_faults (docs/savefile.md)\n"
        "  --clone-args A1,A2,...  each clone's own boot parameter (one per clone), written to its\n"
        "                     guest-physical 0x100 as --args is, before it runs again\n"
        "  --share-pages PERIOD  with --clones: content-based page sharing, a scan every PERIOD\n"
        "                     cycles mapping each clone's own pages that equal a page of the\n"
        "                     saved memory back to it, read-only (\"clone\": merged_pages, scans)\n"
        "  --hosts N          N simulated hosts (2..%d), each a machine of its own; the VM starts\n"
        "                     on host 0 (docs/migration.md); with several images, a data centre\n"
        "                     (below)\n"
        "  --migrate-at CYCLE:HOST  live migration: move the running VM to HOST at CYCLE by\n"
        "                     pre-copy rounds (dirty logging: te, bt, hw, pv), stop-and-copy, resume\n"
        "                     (repeatable, up to 16); statistics \"migrations\": rounds, pages per\n"
        "                     round, pages dirtied, downtime, total cycles; with --net the VM's\n"
        "                     interface and frames in flight go with it (pre-copy only)\n"
        "  --link BW[:LAT]    the link between hosts: BW bytes per cycle, LAT cycles (16:10000)\n"
        "  --stop-pages P     stop-and-copy once a round leaves at most P dirty pages (16)\n"
        "  --max-rounds R     at most R pre-copy rounds, 1..64 (30)\n"
        "  --host-profile H:P host H's cost profile (default: --profile)\n",
        MAX_VMS, CLI_MAX_HOSTS);
    cli_datacentre_help(out);
    fprintf(out,
        "\nExit status: the guest's exit code (0..%d, clamped), 0 after hlt, %d when the\n"
        "cycle limit stopped it, %d on a triple fault, %d for bad arguments or images.\n",
        EXIT_GUEST_MAX, EXIT_CYCLE_LIMIT, EXIT_TRIPLE_FAULT, EXIT_USAGE);
}

/* One --switch-at (at cycle, change to mode and mmu) or --save-at (at
 * cycle, save to file). */
struct switch_at {
    uint64_t cycle;
    enum hv_mode mode;
    enum hv_mmu mmu;
    const char *save;              /* --save-at: the file; NULL for a switch */
};

static bool parse_switch(const char *arg, struct switch_at *s)
{
    char buf[64], *mode, *mmu;
    snprintf(buf, sizeof buf, "%s", arg);
    if (!(mode = strchr(buf, ':'))) return false;
    *mode++ = 0;
    if ((mmu = strchr(mode, ':'))) *mmu++ = 0;
    if (!cli_parse_u64(buf, &s->cycle) || s->cycle == 0) return false;
    /* native and pv parse: hv_can_switch says why they cannot be */
    const struct hv_technique *t = hv_technique_named(mode);
    if (!t) return false;
    s->mode = t->mode;
    if (mmu) return hv_mmu_named(mmu, &s->mmu);
    s->mmu = t->mmus ? t->default_mmu : HV_MMU_SHADOW;
    return true;
}

static int by_cycle(const void *a, const void *b)
{
    const struct switch_at *x = a, *y = b;
    return (x->cycle > y->cycle) - (x->cycle < y->cycle);
}

/* The process exit status for how the machine stopped. */
static int run_status(const struct machine *m)
{
    switch (m->stop) {
    case STOP_EXIT: return m->exit_code > EXIT_GUEST_MAX ? EXIT_GUEST_MAX : (int)m->exit_code;
    case STOP_HALT: return 0;
    case STOP_CYCLE_LIMIT:
        fprintf(stderr, "ringsim run: %s\n", m->stop_detail);
        return EXIT_CYCLE_LIMIT;
    case STOP_TRIPLE:
        fprintf(stderr, "ringsim run: %s\n", m->stop_detail);
        return EXIT_TRIPLE_FAULT;
    case STOP_HOST_ERROR:
        fprintf(stderr, "ringsim run: %s\n", m->stop_detail);
        return EXIT_HOST_ERROR;
    default: return EXIT_USAGE;
    }
}

/* Every way out once the machine is built: the trace closed (a trace that
 * could not be written fails the run, EXIT_USAGE as a bad --stats does),
 * the machine freed. */
static int finish(struct cli_machine *cm, int status)
{
    char err[512];
    if (cm->m && !vis_trace_close(cm->m, err, sizeof err)) {
        fprintf(stderr, "ringsim run: --trace: %s\n", err);
        status = EXIT_USAGE;
    }
    cli_machine_free(cm);
    return status;
}

enum { O_HOSTS_ = 0x500, O_HOSTPROFILE_, O_MIGRATEAT_, O_LINK_, O_STOPPAGES_, O_MAXROUNDS_, O_POSTCOPY_ };

/* One of the migration options (cli/migrate.c); false when refused (said). */
static bool migrate_option(int ch, const char *arg, struct cli_migrate *mo)
{
    uint64_t v;
    switch (ch) {
    case O_POSTCOPY_: mo->cfg.post_copy = true; return true;
    case O_HOSTS_:
        if (!cli_parse_u64(arg, &v) || v < 2 || v > CLI_MAX_HOSTS) {
            fprintf(stderr, "ringsim run: --hosts '%s': expected a number of hosts, 2..%d\n", arg, CLI_MAX_HOSTS);
            return false;
        }
        mo->hosts = (int)v;
        return true;
    case O_HOSTPROFILE_: {
        const char *colon = strchr(arg, ':');
        char num[16];
        if (!colon || colon == arg || colon - arg >= (long)sizeof num || !colon[1]) goto bad_profile;
        snprintf(num, sizeof num, "%.*s", (int)(colon - arg), arg);
        if (!cli_parse_u64(num, &v) || v >= CLI_MAX_HOSTS) goto bad_profile;
        mo->profile[v] = colon + 1;
        return true;
    bad_profile:
        fprintf(stderr, "ringsim run: --host-profile '%s': expected HOST:PROFILE, e.g. 1:p4-2006\n", arg);
        return false;
    }
    case O_MIGRATEAT_:
        if (mo->n == 16 || !cli_parse_migrate_at(arg, &mo->at[mo->n].cycle, &mo->at[mo->n].host)) {
            fprintf(stderr, "ringsim run: --migrate-at '%s': expected CYCLE:HOST (at most 16), e.g. 2000000:1\n",
                    arg);
            return false;
        }
        mo->n++;
        return true;
    case O_LINK_:
        if (!cli_parse_link(arg, &mo->cfg.link)) {
            fprintf(stderr, "ringsim run: --link '%s': expected BYTES_PER_CYCLE[:LATENCY_CYCLES], e.g. 16:10000\n",
                    arg);
            return false;
        }
        return true;
    case O_STOPPAGES_:
        if (!cli_parse_u64(arg, &v) || v > UINT32_MAX) {
            fprintf(stderr, "ringsim run: --stop-pages '%s': expected a number of pages\n", arg);
            return false;
        }
        mo->cfg.stop_pages = (uint32_t)v;
        return true;
    default:
        if (!cli_parse_u64(arg, &v) || v < 1 || v > HV_MIGRATE_MAX_ROUNDS) {
            fprintf(stderr, "ringsim run: --max-rounds '%s': expected 1..%d\n", arg, HV_MIGRATE_MAX_ROUNDS);
            return false;
        }
        mo->cfg.max_rounds = (unsigned)v;
        return true;
    }
}

int cmd_run(int argc, char **argv)
{
    enum { O_MAXCYC = 0x400, O_STATS, O_TRACE, O_SWITCH, O_TRACEFMT, O_SAVEAT, O_RESTORE, O_FOOTPRINT,
           O_CLONES, O_CLONEARGS, O_SHAREPAGES };
    static const struct option longopts[] = {
        {"help", no_argument, 0, 'h'},
        CLI_MACHINE_OPTIONS,
        {"max-cycles", required_argument, 0, O_MAXCYC},
        {"stats", required_argument, 0, O_STATS},
        {"trace", required_argument, 0, O_TRACE},
        {"switch-at", required_argument, 0, O_SWITCH},
        {"trace-format", required_argument, 0, O_TRACEFMT},
        {"save-at", required_argument, 0, O_SAVEAT},
        {"restore", required_argument, 0, O_RESTORE},
        {"footprint", no_argument, 0, O_FOOTPRINT},
        {"clones", required_argument, 0, O_CLONES},
        {"clone-args", required_argument, 0, O_CLONEARGS},
        {"share-pages", required_argument, 0, O_SHAREPAGES},
        {"hosts", required_argument, 0, O_HOSTS_},
        {"host-profile", required_argument, 0, O_HOSTPROFILE_},
        {"migrate-at", required_argument, 0, O_MIGRATEAT_},
        {"link", required_argument, 0, O_LINK_},
        {"stop-pages", required_argument, 0, O_STOPPAGES_},
        {"max-rounds", required_argument, 0, O_MAXROUNDS_},
        {"post-copy", no_argument, 0, O_POSTCOPY_},
        CLI_DATACENTRE_OPTIONS,
        {0, 0, 0, 0},
    };
    struct machine_opts o;
    cli_machine_defaults(&o);
    const char *stats = NULL;   /* --stats FILE|- */
    const char *trace = NULL;   /* --trace SPEC[:FILE] (visualise/trace.c) */
    enum vis_trace_format format = VIS_TRACE_TEXT;
    bool format_given = false;
    bool footprint = false;     /* --footprint */
    char why[PATH_MAX + 128];
    struct switch_at sw[32];    /* --switch-at and --save-at, in cycle order */
    int nsw = 0, nsave = 0;
    const char *restore = NULL; /* --restore FILE, or a save file as IMG */
    struct machine_opts given = {0};   /* with a restore: --mode, --mmu, --max-cycles */
    const char *shape = NULL;   /* an option that shapes the machine (refused with a restore) */
    int clones = 0;             /* --clones N */
    char clone_buf[MAX_VMS * BOOT_ARGS_MAX];   /* --clone-args, split at its commas */
    const char *clone_args[MAX_VMS];
    int nclone_args = 0;
    uint64_t share_period = 0;  /* --share-pages PERIOD */
    struct cli_migrate mig;     /* --hosts, --migrate-at, --link … (cli/migrate.c) */
    cli_migrate_defaults(&mig);
    bool mig_given = false;
    struct cli_datacentre dc;   /* --host-cores, --balance, --power … (cli/datacentre.c) */
    cli_datacentre_defaults(&dc);
    int ch, idx;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", longopts, &idx)) != -1) {
        int taken = cli_machine_option(ch, optarg, &o, "run");
        if (taken < 0) return EXIT_USAGE;
        if (taken && ch == CLI_O_MODE) given.mode = optarg;
        else if (taken && ch == CLI_O_MMU) given.mmu = optarg;
        else if (taken && !shape) shape = longopts[idx].name;
        if (taken) continue;
        taken = cli_datacentre_option(ch, optarg, &dc);
        if (taken < 0) return EXIT_USAGE;
        if (taken) continue;
        switch (ch) {
        case 'h': run_help(stdout); return 0;
        case O_MAXCYC:
            if (!cli_parse_u64(optarg, &o.max_cycles) || o.max_cycles == 0) {
                fprintf(stderr, "ringsim run: --max-cycles '%s': expected a positive number\n", optarg);
                return EXIT_USAGE;
            }
            break;
        case O_STATS: stats = optarg; break;
        case O_FOOTPRINT: footprint = true; break;
        case O_TRACE: trace = optarg; break;
        case O_TRACEFMT:
            if (!vis_trace_format_named(optarg, &format)) {
                fprintf(stderr, "ringsim run: --trace-format '%s': expected text or chrome\n", optarg);
                return EXIT_USAGE;
            }
            format_given = true;
            break;
        case O_RESTORE: restore = optarg; break;
        case O_CLONES: {
            uint64_t v;
            if (!cli_parse_u64(optarg, &v) || v < 2 || v > MAX_VMS) {
                fprintf(stderr, "ringsim run: --clones '%s': expected a number of VMs, 2..%d\n", optarg, MAX_VMS);
                return EXIT_USAGE;
            }
            clones = (int)v;
            break;
        }
        case O_SHAREPAGES:
            if (!cli_parse_u64(optarg, &share_period) || share_period < 10000) {
                fprintf(stderr, "ringsim run: --share-pages '%s': expected cycles between scans, at least 10000\n",
                        optarg);
                return EXIT_USAGE;
            }
            break;
        case O_CLONEARGS: {
            snprintf(clone_buf, sizeof clone_buf, "%s", optarg);
            nclone_args = 0;
            bool fits = strlen(optarg) < sizeof clone_buf;
            for (char *p = clone_buf, *next; fits && p; p = next) {
                next = strchr(p, ',');
                if (next) *next++ = 0;
                if (nclone_args == MAX_VMS || strlen(p) > BOOT_ARGS_MAX - 1) fits = false;
                else clone_args[nclone_args++] = p;
            }
            if (!fits) {
                fprintf(stderr, "ringsim run: --clone-args: at most %d parameters of at most %d characters, "
                                "separated by commas\n", MAX_VMS, BOOT_ARGS_MAX - 1);
                return EXIT_USAGE;
            }
            break;
        }
        case O_SAVEAT:
            if (nsave == 16 || !cli_parse_save_at(optarg, &sw[nsw].cycle, &sw[nsw].save)) {
                fprintf(stderr, "ringsim run: --save-at '%s': expected CYCLE:FILE (at most 16), "
                                "e.g. 500000:vm.save\n", optarg);
                return EXIT_USAGE;
            }
            if (!cli_output_ok(sw[nsw].save, why, sizeof why)) {
                fprintf(stderr, "ringsim run: --save-at %s\n", why);
                return EXIT_USAGE;
            }
            nsave++;
            nsw++;
            break;
        case O_SWITCH:
            if (nsw - nsave == 16 || !parse_switch(optarg, &sw[nsw])) {
                fprintf(stderr, "ringsim run: --switch-at '%s': expected CYCLE:MODE[:MMU] (at most 16), "
                                "e.g. 500000:bt\n", optarg);
                return EXIT_USAGE;
            }
            sw[nsw++].save = NULL;
            break;
        case O_HOSTS_: case O_HOSTPROFILE_: case O_MIGRATEAT_: case O_LINK_: case O_STOPPAGES_: case O_MAXROUNDS_:
        case O_POSTCOPY_:
            if (!migrate_option(ch, optarg, &mig)) return EXIT_USAGE;
            mig_given = true;
            break;
        default: run_help(stderr); cli_unknown_option(argc, argv, longopts, "run"); return EXIT_USAGE;
        }
    }
    /* checked now, not found out after a long run; nothing is created
     * until the statistics are written, atomically, at the end */
    if (stats && strcmp(stats, "-") != 0 && !cli_output_ok(stats, why, sizeof why)) {
        fprintf(stderr, "ringsim run: --stats %s\n", why);
        return EXIT_USAGE;
    }
    if (format_given && !trace) {
        fprintf(stderr, "ringsim run: --trace-format needs --trace SPEC:FILE (e.g. --trace all:run.json)\n");
        return EXIT_USAGE;
    }
    given.max_cycles = o.max_cycles;
    /* a save file in place of an image is a restore */
    if (!restore && argc - optind == 1 && savefile_is(argv[optind])) restore = argv[optind++];
    if (restore && argc - optind > 0) {
        fprintf(stderr, "ringsim run: --restore %s: the images come from the save file; %s is one too many\n",
                restore, argv[optind]);
        return EXIT_USAGE;
    }
    if ((clones || nclone_args || share_period) && !restore) {
        fprintf(stderr, "ringsim run: --clones and --clone-args clone a save file: ringsim run FILE --clones N\n");
        return EXIT_USAGE;
    }
    if (share_period && !clones) {
        fprintf(stderr, "ringsim run: --share-pages shares pages among clones: add --clones N\n");
        return EXIT_USAGE;
    }
    if (nclone_args && nclone_args != clones) {
        fprintf(stderr, "ringsim run: --clone-args: %d parameter%s for %d clones (--clones): give one per clone\n",
                nclone_args, nclone_args == 1 ? "" : "s", clones);
        return EXIT_USAGE;
    }
    if (clones && nsave) {
        fprintf(stderr, "ringsim run: --save-at: clones (--clones) cannot be saved: a save file holds one "
                        "machine, not a template shared by several\n");
        return EXIT_USAGE;
    }
    if (dc.given || (mig_given && !mig.n && argc - optind > 1)) {
        /* a data centre: several VMs on --hosts, balanced or not */
        if (mig.n || restore || clones || nsw || format_given) {
            fprintf(stderr, "ringsim run: --hosts with several VMs or --balance is a data centre, built from "
                            "images, without %s\n", mig.n ? "--migrate-at (its balancer moves the VMs)"
                            : restore || clones ? "a save file" : nsw ? "--switch-at or --save-at"
                            : "--trace-format (text traces only)");
            return EXIT_USAGE;
        }
        return cli_datacentre_run(&o, argv + optind, argc - optind, &mig, &dc, stats, trace, run_status);
    }
    if (mig_given && !mig.n) {
        fprintf(stderr, "ringsim run: --hosts, --link, --stop-pages and --max-rounds shape a migration: "
                        "add --migrate-at CYCLE:HOST\n");
        return EXIT_USAGE;
    }
    if (mig.n && (restore || nsw || format_given)) {
        fprintf(stderr, "ringsim run: --migrate-at: a migrated run is built from images, without %s\n",
                restore ? "a save file" : nsw ? "--switch-at or --save-at" : "--trace-format (text traces only)");
        return EXIT_USAGE;
    }
    if (mig.n && !cli_migrate_check(&mig, "run")) return EXIT_USAGE;
    struct cli_machine cm;
    if (clones ? !cli_machine_clone(restore, clones, nclone_args ? clone_args : NULL, &given, shape, "run", &cm)
        : restore ? !cli_machine_restore(restore, &given, shape, "run", &cm)
                  : !cli_machine_load(&o, argv + optind, argc - optind, "run", &cm))
        return EXIT_USAGE;
    if (share_period && !hv_clone_share(cm.hv, share_period)) {
        fprintf(stderr, "ringsim run: --share-pages: out of host memory for the template's index\n");
        cli_machine_free(&cm);
        return EXIT_USAGE;
    }
    char err[512], title[160];
    cli_machine_title(&cm, argv + optind, argc - optind, title, sizeof title);
    if (trace && !vis_trace_install(cm.m, trace, format, title, err, sizeof err)) {
        fprintf(stderr, "ringsim run: %s\n", err);
        cli_machine_free(&cm);
        return EXIT_USAGE;
    }
    if (nsw > nsave && !cm.hv) {
        fprintf(stderr, "ringsim run: --switch-at needs a virtualised run (--mode te, bt or hw)\n");
        return finish(&cm, EXIT_USAGE);
    }
    for (int i = 0; i < nsw; i++)   /* refused now, not when the guest gets there */
        if (!sw[i].save && !hv_can_switch(cm.hv, sw[i].mode, sw[i].mmu, err, sizeof err)) {
            fprintf(stderr, "ringsim run: --switch-at: %s\n", err);
            return finish(&cm, EXIT_USAGE);
        }
    if (!restore || clones) cli_machine_start(&cm);   /* a restored machine carries on; clones start */
    /* the trace starts with where the machine came from */
    if (clones) cpu_trace(cm.m, TR_MIGRATE, 6, (uint32_t)clones, (uint32_t)cm.hv->clones.shared_at_start, NULL);
    else if (restore) cpu_trace(cm.m, TR_MIGRATE, 5, 0, 0, NULL);

    json_t *migrations = NULL;
    if (mig.n && !cli_migrate_run(&cm, argv + optind, argc - optind, &mig, &migrations, "run")) {
        json_decref(migrations);
        return finish(&cm, EXIT_USAGE);
    }
    struct machine *m = cm.m;
    qsort(sw, (size_t)nsw, sizeof sw[0], by_cycle);
    uint64_t limit = m->max_cycles;
    for (int i = 0; i < nsw && m->stop == STOP_NONE; i++) {
        if (limit && sw[i].cycle >= limit) break;
        if (sw[i].cycle <= m->st.cycles) continue;  /* before the restored moment */
        m->max_cycles = sw[i].cycle;
        machine_run(m, 0);
        if (m->stop != STOP_CYCLE_LIMIT) break;     /* the guest ended first */
        m->stop = STOP_NONE;
        m->stop_detail[0] = 0;
        if (sw[i].save) {
            m->max_cycles = limit;                  /* the file keeps the run's own limit */
            fflush(stdout);
            if (!cli_machine_save(&cm, sw[i].save, err, sizeof err)) {
                fprintf(stderr, "ringsim run: --save-at: %s\n", err);
                return finish(&cm, EXIT_USAGE);
            }
            continue;
        }
        if (!hv_switch(cm.hv, sw[i].mode, sw[i].mmu, err, sizeof err)) {
            fprintf(stderr, "ringsim run: --switch-at: %s\n", err);
            return finish(&cm, EXIT_USAGE);
        }
    }
    m->max_cycles = limit;
    if (m->stop == STOP_NONE) machine_run(m, 0);
    for (int i = 0; i < nsw; i++)   /* a save point the run never reached writes nothing */
        if (sw[i].save && sw[i].cycle > m->st.cycles)
            fprintf(stderr, "ringsim run: --save-at %llu:%s: the run ended at cycle %llu, before it; "
                            "nothing saved\n", (unsigned long long)sw[i].cycle, sw[i].save,
                    (unsigned long long)m->st.cycles);
    fflush(stdout);
    int status = run_status(m);
    json_t *js = stats_to_json(m);
    if (cm.hv) hv_stats_json(cm.hv, js);
    if (cm.hv && footprint) hv_footprint_json(cm.hv, js);
    cli_cgroups_json(&cm, js);
    if (migrations) json_object_set_new(js, "migrations", migrations);
    if (stats && !json_write_file(js, stats, err, sizeof err)) {
        fprintf(stderr, "ringsim run: --stats: %s\n", err);
        status = EXIT_USAGE;
    }
    if (!stats) json_decref(js);
    return finish(&cm, status);
}
