/*
 * datacentre.c — `ringsim run IMG… --hosts N [--balance PERIOD]`: a small
 * data centre, and consolidation — VMs live-migrated off lightly loaded
 * hosts so that emptied hosts can be switched off (docs/migration.md,
 * "Consolidation").
 *
 * N hosts, each with --host-cores cores and --host-mem frames; each image
 * is a VM (its own boot parameter from --vm-args), placed by --placement:
 * spread (onto the host with the fewest VMs) or pack (onto the first host it
 * fits on).  A core runs one VM (--overcommit R: up to R): a VM fits on a
 * host that has a VM slot free and the frames for its memory; each is
 * simulated as a machine of its own (a core of its host, with its host's
 * cost profile, --host-profile), and runs exactly as it would alone.  A host
 * with more VMs than cores shares them: each VM runs cores/VMs of each
 * period and is paused — its time stopped — the rest (run_period); its
 * demand is what it would have been busy with a core of its own, and with
 * --balance a host whose demand is above SPREAD_AT is spread (spread()).
 *
 * Time goes in periods of PERIOD cycles, every VM run to the period's end
 * in turn (VM 0 first: deterministic).  At the end of each, each VM's load
 * is measured: the cycles it was not halted (its machine's cycles minus the
 * idle ones charged while it waited in hlt) and the instructions it retired.
 * A host's load is its VMs' busy cycles over its cores' cycles.  With
 * --balance, the balancer then looks at the hosts that are on from the
 * least loaded up: a host below BALANCE_LOW whose every VM fits elsewhere —
 * on a host that is on, has a core and the frames free, and stays at most
 * BALANCE_HIGH loaded with it (the most loaded such host: best fit) — is
 * emptied, each VM moved by live migration (cli_move_vm: pre-copy with the
 * technique's dirty log, hypervisor/migrate.c), and switched off.  A host
 * that received VMs is no source in the same period.
 *
 * The power model (--power IDLE:CORE): a host that is on draws IDLE mW, and
 * CORE mW more for each core while it is busy; a host with no VM left is
 * off and draws nothing.  At 1 cycle = 1 ns, energy in µJ is the sum over
 * periods of (IDLE x PERIOD + CORE x busy cycles) / 10^6.
 *
 * What each VM prints goes to stdout a line at a time, "[VM:NAME] " before
 * it, at the end of each period (VM 0's lines first); the statistics get a
 * "datacentre" object (hosts on over time, moves, energy) and each VM's own
 * statistics.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/cli.h"
#include "hypervisor/hv.h"
#include "visualise/visualise.h"

#define BALANCE_LOW 250    /* per mille: a host below this load is a candidate to empty */
#define BALANCE_HIGH 750   /* per mille: a host takes VMs up to this load */
#define DC_PERIOD 1000000  /* the accounting period without --balance */
#define SPREAD_AT 1000     /* per mille: a host whose demand is above this is overloaded */

void cli_datacentre_defaults(struct cli_datacentre *dc)
{
    memset(dc, 0, sizeof *dc);
    dc->cores = 2;
    dc->frames = 65536;
    dc->idle_mw = 60000;
    dc->core_mw = 20000;
    dc->overcommit = 1;
}

void cli_datacentre_help(FILE *out)
{
    fprintf(out,
        "\nA data centre (several images with --hosts N, or any option below; docs/migration.md):\n"
        "each image a VM on a core of one of N hosts (its own, unless --overcommit), simulated in\n"
        "periods; console lines prefixed [VM:NAME]; --stats gets \"datacentre\" (hosts on over\n"
        "time, moves, pages sent, stale pages, downtime, energy per host) and \"vm_stats\".\n"
        "  --host-cores C     cores per host, one VM each unless --overcommit (2)\n"
        "  --host-mem FRAMES  4 KiB frames per host for its VMs' memory (65536)\n"
        "  --placement P      spread (the host with the fewest VMs; default) or pack (the first\n"
        "                     host the VM fits on)\n"
        "  --balance PERIOD   every PERIOD cycles, empty each host below %d%% load whose VMs all\n"
        "                     fit on others that are on (up to %d%% load) by live migration\n"
        "                     (--link, --stop-pages, --max-rounds), and switch it off; without\n"
        "                     it, nothing moves and the period is %d cycles\n"
        "  --power IDLE:CORE  the power model: mW a host draws while on, and per busy core\n"
        "                     (60000:20000); energy at 1 cycle = 1 ns\n"
        "  --vm-args A0,A1,…  each VM's own boot parameter (--args), one per image\n"
        "  --overcommit R     up to R VMs per core (1..8; 1); a host with more VMs than cores\n"
        "                     shares them, each VM running cores/VMs of every period (paused the\n"
        "                     rest); with --balance, VMs are moved off a host whose demand is\n"
        "                     above %d%% onto hosts that stay at most %d%%, switching hosts on\n",
        BALANCE_LOW / 10, BALANCE_HIGH / 10, DC_PERIOD, SPREAD_AT / 10, SPREAD_AT / 10);
}

static int bad(const char *opt, const char *arg, const char *expected)
{
    fprintf(stderr, "ringsim run: %s '%s': expected %s\n", opt, arg, expected);
    return -1;
}

int cli_datacentre_option(int ch, const char *arg, struct cli_datacentre *dc)
{
    uint64_t v, w;
    switch (ch) {
    case CLI_O_HOSTCORES:
        if (!cli_parse_u64(arg, &v) || v < 1 || v > MAX_VMS) return bad("--host-cores", arg, "cores per host, 1..8");
        dc->cores = (unsigned)v;
        break;
    case CLI_O_HOSTMEM:
        if (!cli_parse_u64(arg, &v) || v < 16 || v > (1u << 20))
            return bad("--host-mem", arg, "frames (4 KiB pages) per host, 16..1048576");
        dc->frames = (uint32_t)v;
        break;
    case CLI_O_PLACEMENT:
        if (strcmp(arg, "spread") && strcmp(arg, "pack")) return bad("--placement", arg, "spread or pack");
        dc->pack = !strcmp(arg, "pack");
        break;
    case CLI_O_BALANCE:
        if (!cli_parse_u64(arg, &v) || v < 10000 || v > 1000000000)
            return bad("--balance", arg, "cycles between the balancer's looks, 10000..1000000000");
        dc->balance = v;
        break;
    case CLI_O_OVERCOMMIT:
        if (!cli_parse_u64(arg, &v) || v < 1 || v > MAX_VMS)
            return bad("--overcommit", arg, "VMs per core a host may take, 1..8");
        dc->overcommit = (unsigned)v;
        break;
    case CLI_O_POWER: {
        const char *colon = strchr(arg, ':');
        char num[32];
        if (!colon || colon == arg || (size_t)(colon - arg) >= sizeof num) goto bad_power;
        snprintf(num, sizeof num, "%.*s", (int)(colon - arg), arg);
        if (!cli_parse_u64(num, &v) || !cli_parse_u64(colon + 1, &w) || v > 10000000 || w > 10000000)
            goto bad_power;
        dc->idle_mw = (uint32_t)v;
        dc->core_mw = (uint32_t)w;
        break;
    bad_power:
        return bad("--power", arg, "IDLE:CORE, milliwatts a host draws while on and per busy core, e.g. 60000:20000");
    }
    case CLI_O_VMARGS: {
        snprintf(dc->vm_args_buf, sizeof dc->vm_args_buf, "%s", arg);
        dc->nvm_args = 0;
        bool fits = strlen(arg) < sizeof dc->vm_args_buf;
        for (char *p = dc->vm_args_buf, *next; fits && p; p = next) {
            next = strchr(p, ',');
            if (next) *next++ = 0;
            if (dc->nvm_args == MAX_VMS || strlen(p) > BOOT_ARGS_MAX - 1) fits = false;
            else dc->vm_args[dc->nvm_args++] = p;
        }
        if (!fits) {
            fprintf(stderr, "ringsim run: --vm-args: at most %d parameters of at most %d characters, separated "
                            "by commas\n", MAX_VMS, BOOT_ARGS_MAX - 1);
            return -1;
        }
        break;
    }
    default:
        return 0;
    }
    dc->given = true;
    return 1;
}

/* ---- the data centre --------------------------------------------------------- */
struct dc_vm {
    struct cli_machine cm;
    char *image;
    char name[48];
    const char *args;
    uint32_t frames;
    int host, placed;
    bool done, measured;        /* ended; and its last period counted */
    /* its console, printed a line at a time with its name before it */
    FILE *out;
    char *buf;
    size_t len, printed;
    /* the last period: cycles it was not halted, instructions retired */
    uint64_t at_cycles, at_idle, at_insns;
    uint64_t busy, insns;
    uint64_t ended_at;
    int moves;
    /* sharing a host's cores (--overcommit): the VM's own cycle it runs to
     * by the end of this period (its time does not pass while it is
     * paused); the cycles it would have been busy with a core of its own
     * all the period (its demand); when it ended, in the data centre's
     * time */
    uint64_t target, demand, ended_wall;
};

struct dc_host {
    bool on;
    int nvms;                   /* VMs on it that have not ended */
    uint32_t frames_used;
    uint64_t on_cycles, busy_cycles;
    uint64_t energy_pj;         /* mW x cycles (1 ns): picojoules */
    uint64_t off_at;            /* the cycle it was switched off, 0 = not (yet) */
};

struct dc {
    const struct cli_migrate *mo;
    const struct cli_datacentre *opt;
    int nvms, nhosts;
    struct dc_vm vm[MAX_VMS];
    struct dc_host host[CLI_MAX_HOSTS];
    uint64_t period, now;
    json_t *timeline, *moves;
    uint64_t pages_sent, stale_pages, downtime;
    int power_ons, spread_moves;   /* hosts switched on, VMs moved, by spreading */
};

static bool fits(const struct dc *d, int h, const struct dc_vm *v, int extra_vms, uint32_t extra_frames)
{
    const struct dc_host *x = &d->host[h];
    return x->nvms + extra_vms + 1 <= (int)(d->opt->cores * d->opt->overcommit) &&
           x->frames_used + extra_frames + v->frames <= d->opt->frames;
}

static void put_on(struct dc *d, struct dc_vm *v, int h)
{
    v->host = h;
    d->host[h].nvms++;
    d->host[h].frames_used += v->frames;
    if (!d->host[h].on) {
        d->host[h].on = true;
        d->host[h].off_at = 0;
    }
}

static void take_off(struct dc *d, struct dc_vm *v)
{
    struct dc_host *x = &d->host[v->host];
    x->nvms--;
    x->frames_used -= v->frames;
    if (!x->nvms) {
        x->on = false;   /* nothing left to run: switched off */
        x->off_at = d->now;
    }
}

/* The VM's complete lines, printed with its name before each. */
static void drain(struct dc_vm *v, bool all)
{
    fflush(v->out);
    for (;;) {
        char *nl = memchr(v->buf + v->printed, '\n', v->len - v->printed);
        size_t n = nl ? (size_t)(nl - (v->buf + v->printed)) + 1 : all ? v->len - v->printed : 0;
        if (!n) break;
        printf("[%s] %.*s", v->name, (int)n, v->buf + v->printed);
        v->printed += n;
        if (!nl) putchar('\n');
    }
}

static uint64_t host_load_pm(const struct dc *d, int h)
{
    uint64_t busy = 0;
    for (int i = 0; i < d->nvms; i++)
        if (!d->vm[i].done && d->vm[i].host == h) busy += d->vm[i].demand;
    return busy * 1000 / ((uint64_t)d->opt->cores * d->period);
}

static uint64_t vm_load_pm(const struct dc *d, const struct dc_vm *v) { return v->demand * 1000 / d->period; }

static void move_json(struct dc *d, int i, int from, int to, const struct hv_migration *mg)
{
    json_t *rounds = json_array(), *dirtied = json_array();
    for (unsigned r = 0; r < mg->rounds; r++) {
        json_array_append_new(rounds, json_integer(mg->sent[r]));
        json_array_append_new(dirtied, json_integer(mg->dirtied[r]));
    }
    json_t *o = json_pack("{s:i,s:s,s:i,s:i,s:I,s:b,s:I,s:o,s:I,s:I,s:I,s:I,s:I,s:s}", "vm", i, "name", d->vm[i].name,
                          "from", from, "to", to, "cycle", (json_int_t)d->now, "moved", mg->moved, "rounds",
                          (json_int_t)mg->rounds, "pages_per_round", rounds, "final_pages",
                          (json_int_t)mg->final_pages, "pages_sent", (json_int_t)mg->pages_sent, "stale_pages",
                          (json_int_t)mg->stale_pages, "downtime", (json_int_t)mg->downtime, "total_cycles",
                          (json_int_t)mg->total, "stop_reason", mg->stop_reason ? mg->stop_reason : "none");
    json_object_set_new(o, "dirtied_per_round", dirtied);
    json_object_set_new(o, "log_faults", json_integer((json_int_t)mg->log_faults));
    json_array_append_new(d->moves, o);
}

/* Moves VM i to host h, live; false on an error (said). */
static bool move(struct dc *d, int i, int h)
{
    struct dc_vm *v = &d->vm[i];
    struct hv_migrate_cfg cfg = d->mo->cfg;
    cfg.trace_label = (unsigned)i;
    struct hv_migration mg;
    char what[96];
    snprintf(what, sizeof what, "--balance: VM %d (%s) from host %d to host %d", i, v->name, v->host, h);
    int from = v->host;
    drain(v, false);
    if (!cli_move_vm(&v->cm, &v->image, 1, d->mo->profile[h], &cfg, &mg, what, "run")) return false;
    move_json(d, i, from, h, &mg);
    d->pages_sent += mg.pages_sent;
    d->stale_pages += mg.stale_pages;
    d->downtime += mg.downtime;
    if (!mg.moved) {
        /* it ended on the source during pre-copy: nothing moved */
        v->done = true;
        v->ended_at = v->cm.m->st.cycles;
        v->ended_wall = v->ended_at + (d->now - v->target);
        return true;
    }
    take_off(d, v);
    put_on(d, v, h);
    v->moves++;
    return true;
}

/* Spreading (--overcommit): off each host whose demand is above SPREAD_AT,
 * its busiest VMs (ties: the lowest number) one at a time until it is not,
 * each onto the most loaded host that is on, has room and stays at most
 * SPREAD_AT with it, else onto the first host that is off, switched on.
 * Hosts that take part are no consolidation source in the same period. */
static bool spread(struct dc *d, bool received[])
{
    for (int s = 0; s < d->nhosts; s++) {
        while (d->host[s].on && d->host[s].nvms > 1 && host_load_pm(d, s) > SPREAD_AT) {
            int i = -1;
            for (int k = 0; k < d->nvms; k++)
                if (!d->vm[k].done && d->vm[k].host == s && (i < 0 || d->vm[k].demand > d->vm[i].demand)) i = k;
            struct dc_vm *v = &d->vm[i];
            int best = -1;
            for (int h = 0; h < d->nhosts; h++) {
                if (h == s || !d->host[h].on || !fits(d, h, v, 0, 0)) continue;
                if (host_load_pm(d, h) + vm_load_pm(d, v) / d->opt->cores > SPREAD_AT) continue;
                if (best < 0 || host_load_pm(d, h) > host_load_pm(d, best)) best = h;
            }
            bool power_on = false;
            for (int h = 0; best < 0 && h < d->nhosts; h++)
                if (!d->host[h].on && fits(d, h, v, 0, 0)) best = h, power_on = true;
            if (best < 0) break;   /* nowhere to go: it stays overloaded */
            received[s] = received[best] = true;
            if (!move(d, i, best)) return false;
            if (v->host == best) {
                d->spread_moves++;
                d->power_ons += power_on;
            }
        }
    }
    return true;
}

/* The balancer: spreads VMs off overloaded hosts, then empties lightly
 * loaded hosts onto others (see the top). */
static bool balance(struct dc *d)
{
    bool received[CLI_MAX_HOSTS] = {0};
    if (!spread(d, received)) return false;
    int order[CLI_MAX_HOSTS], n = 0;
    uint64_t load[CLI_MAX_HOSTS];
    for (int h = 0; h < d->nhosts; h++) {
        load[h] = host_load_pm(d, h);
        if (d->host[h].on) order[n++] = h;
    }
    for (int a = 1; a < n; a++)   /* least loaded first; ties by number */
        for (int b = a; b > 0 && load[order[b]] < load[order[b - 1]]; b--) {
            int t = order[b];
            order[b] = order[b - 1];
            order[b - 1] = t;
        }
    for (int k = 0; k < n; k++) {
        int s = order[k];
        if (!d->host[s].on || received[s] || load[s] >= BALANCE_LOW) continue;
        /* a plan for every VM on s, or none */
        int target[MAX_VMS], extra_vms[CLI_MAX_HOSTS] = {0};
        uint32_t extra_frames[CLI_MAX_HOSTS] = {0};
        uint64_t extra_load[CLI_MAX_HOSTS] = {0};
        bool ok = true;
        for (int i = 0; i < d->nvms && ok; i++) {
            struct dc_vm *v = &d->vm[i];
            target[i] = -1;
            if (v->done || v->host != s) continue;
            int best = -1;
            for (int h = 0; h < d->nhosts; h++) {
                /* a host emptied already in this look is off: it takes nothing */
                if (h == s || !d->host[h].on || !fits(d, h, v, extra_vms[h], extra_frames[h])) continue;
                uint64_t after = load[h] + extra_load[h] + vm_load_pm(d, v) / d->opt->cores;
                if (after > BALANCE_HIGH) continue;
                if (best < 0 || load[h] + extra_load[h] > load[best] + extra_load[best]) best = h;
            }
            if (best < 0) ok = false;
            else {
                target[i] = best;
                extra_vms[best]++;
                extra_frames[best] += v->frames;
                extra_load[best] += vm_load_pm(d, v) / d->opt->cores;
            }
        }
        if (!ok) continue;
        for (int i = 0; i < d->nvms; i++)
            if (target[i] >= 0 && !d->vm[i].done && d->vm[i].host == s) {
                received[target[i]] = true;
                if (!move(d, i, target[i])) return false;
            }
        for (int h = 0; h < d->nhosts; h++) load[h] = host_load_pm(d, h);
    }
    return true;
}

/* One period: every VM run to its end; loads measured; energy integrated. */
static void run_period(struct dc *d, uint64_t end, uint64_t limit)
{
    /* each VM's share of its host's cores: all the period while the host
     * has a core for each, else cores/VMs of it (the remainder's cycles to
     * its lowest-numbered VMs, one each) */
    for (int h = 0; h < d->nhosts; h++) {
        uint64_t nv = (uint64_t)d->host[h].nvms, cap = (uint64_t)d->opt->cores * d->period, k = 0;
        for (int i = 0; i < d->nvms; i++) {
            struct dc_vm *v = &d->vm[i];
            if (v->done || v->host != h) continue;
            v->target += nv <= d->opt->cores ? d->period : cap / nv + (k++ < cap % nv);
        }
    }
    for (int i = 0; i < d->nvms; i++) {
        struct dc_vm *v = &d->vm[i];
        if (v->done && v->measured) continue;
        struct machine *m = v->cm.m;
        bool shared = (unsigned)d->host[v->host].nvms > d->opt->cores;
        uint64_t stop_at = limit && limit < v->target ? limit : v->target;
        if (!v->done && m->st.cycles < stop_at) {
            m->max_cycles = stop_at;
            machine_run(m, 0);
            m->max_cycles = limit;
            bool at_end = m->stop == STOP_CYCLE_LIMIT && (!limit || m->st.cycles < limit);
            if (at_end) {
                m->stop = STOP_NONE;
                m->stop_detail[0] = 0;
            } else {
                v->done = true;
                v->ended_at = m->st.cycles;
                v->ended_wall = v->ended_at + (end - v->target);
            }
        }
        uint64_t idle = m->st.cycles_by_cause[CY_IDLE];
        uint64_t dc = m->st.cycles - v->at_cycles, di = idle - v->at_idle;
        v->busy = dc > di ? dc - di : 0;
        if (v->busy > d->period) v->busy = d->period;
        /* a paused VM wants the cycles it was busy in as large a part of a
         * whole period as in the part it ran */
        if (!shared || v->done) v->demand = v->busy;
        else if (dc) v->demand = (dc > di ? dc - di : 0) * d->period / dc;
        v->insns = m->st.instructions - v->at_insns;
        v->at_cycles = m->st.cycles;
        v->at_idle = idle;
        v->at_insns = m->st.instructions;
        v->measured = v->done;   /* its last period is counted: no more */
    }
    d->now = end;
    /* energy and time on: the hosts as they were through the period */
    for (int h = 0; h < d->nhosts; h++) {
        struct dc_host *x = &d->host[h];
        if (!x->on) continue;
        uint64_t busy = 0;
        for (int i = 0; i < d->nvms; i++)
            if (d->vm[i].host == h && (!d->vm[i].done || d->vm[i].ended_wall > end - d->period)) busy += d->vm[i].busy;
        x->on_cycles += d->period;
        x->busy_cycles += busy;
        x->energy_pj += (uint64_t)d->opt->idle_mw * d->period + (uint64_t)d->opt->core_mw * busy;
    }
    for (int i = 0; i < d->nvms; i++) {
        drain(&d->vm[i], false);
        if (d->vm[i].done && d->vm[i].host >= 0 && d->vm[i].ended_wall > end - d->period) take_off(d, &d->vm[i]);
    }
}

static void sample(struct dc *d)
{
    int on = 0;
    uint64_t energy = 0;
    json_t *load = json_array(), *where = json_array();
    for (int h = 0; h < d->nhosts; h++) {
        on += d->host[h].on;
        energy += d->host[h].energy_pj;
        json_array_append_new(load, json_integer(d->host[h].on ? (json_int_t)host_load_pm(d, h) : -1));
    }
    for (int i = 0; i < d->nvms; i++) json_array_append_new(where, json_integer(d->vm[i].done ? -1 : d->vm[i].host));
    json_array_append_new(d->timeline, json_pack("{s:I,s:i,s:I,s:o,s:o}", "cycle", (json_int_t)d->now, "hosts_on", on,
                                                 "energy_uj", (json_int_t)(energy / 1000000), "load_permille", load,
                                                 "vm_hosts", where));
}

static json_t *dc_json(struct dc *d)
{
    const struct cli_datacentre *o = d->opt;
    json_t *hosts = json_array(), *vms = json_array();
    uint64_t energy = 0, on = 0;
    for (int h = 0; h < d->nhosts; h++) {
        const struct dc_host *x = &d->host[h];
        energy += x->energy_pj;
        on += x->on_cycles;
        json_array_append_new(hosts, json_pack("{s:i,s:s,s:I,s:I,s:I,s:I}", "host", h, "profile",
                                               d->mo->profile[h] ? d->mo->profile[h] : d->vm[0].cm.opts.profile,
                                               "on_cycles", (json_int_t)x->on_cycles, "busy_cycles",
                                               (json_int_t)x->busy_cycles, "energy_uj",
                                               (json_int_t)(x->energy_pj / 1000000), "off_at",
                                               (json_int_t)x->off_at));
    }
    for (int i = 0; i < d->nvms; i++) {
        const struct dc_vm *v = &d->vm[i];
        json_array_append_new(vms, json_pack("{s:i,s:s,s:s,s:I,s:i,s:i,s:i,s:I}", "vm", i, "name", v->name, "args",
                                             v->args ? v->args : "", "frames", (json_int_t)v->frames, "placed_on",
                                             v->placed, "host", v->host, "moves", v->moves, "ended_at",
                                             (json_int_t)v->ended_at));
    }
    json_t *j = json_pack("{s:i,s:i,s:I,s:s,s:b,s:I,s:{s:I,s:I,s:s}}", "hosts", d->nhosts, "cores", (int)o->cores,
                          "host_frames", (json_int_t)o->frames, "placement", o->pack ? "pack" : "spread", "balance",
                          o->balance != 0, "period", (json_int_t)d->period, "power", "idle_mw",
                          (json_int_t)o->idle_mw, "core_mw", (json_int_t)o->core_mw, "clock", "1 cycle = 1 ns");
    json_object_set_new(j, "overcommit", json_integer((json_int_t)o->overcommit));
    json_object_set_new(j, "spread_above_permille", json_integer(SPREAD_AT));
    json_object_set_new(j, "spread_moves", json_integer(d->spread_moves));
    json_object_set_new(j, "power_ons", json_integer(d->power_ons));
    json_object_set_new(j, "balance_low_permille", json_integer(BALANCE_LOW));
    json_object_set_new(j, "balance_high_permille", json_integer(BALANCE_HIGH));
    json_object_set_new(j, "vms", vms);
    json_object_set_new(j, "host_stats", hosts);
    json_object_set_new(j, "timeline", d->timeline);
    json_object_set_new(j, "moves", d->moves);
    uint64_t moved = 0;
    for (size_t k = 0; k < json_array_size(d->moves); k++)
        moved += json_is_true(json_object_get(json_array_get(d->moves, k), "moved"));
    json_object_set_new(j, "moves_total", json_integer((json_int_t)moved));
    json_object_set_new(j, "pages_sent", json_integer((json_int_t)d->pages_sent));
    json_object_set_new(j, "stale_pages", json_integer((json_int_t)d->stale_pages));
    json_object_set_new(j, "downtime_total", json_integer((json_int_t)d->downtime));
    json_object_set_new(j, "host_on_cycles", json_integer((json_int_t)on));
    json_object_set_new(j, "energy_uj", json_integer((json_int_t)(energy / 1000000)));
    d->timeline = d->moves = NULL;
    return j;
}

static void free_all(struct dc *d)
{
    for (int i = 0; i < d->nvms; i++) {
        struct dc_vm *v = &d->vm[i];
        if (v->cm.m) {
            v->cm.m->trace = NULL;
            v->cm.m->con.out = stdout;
        }
        cli_machine_free(&v->cm);
        if (v->out) fclose(v->out);
        free(v->buf);
    }
    json_decref(d->timeline);
    json_decref(d->moves);
}

/* The whole run: VMs built and placed, periods until every VM has ended,
 * the balancer between them; dp is zeroed, and freed by the caller. */
static int run_datacentre(struct dc *dp, const struct machine_opts *o, char *const *images, int nimages,
                          const struct cli_migrate *mo, const struct cli_datacentre *opt, const char *stats,
                          const char *trace, int (*status_of)(const struct machine *m))
{
    dp->mo = mo;
    dp->opt = opt;
    dp->nvms = nimages;
    dp->nhosts = mo->hosts;
    dp->period = opt->balance ? opt->balance : DC_PERIOD;
    char err[512];
    if (mo->hosts < 2) {
        fprintf(stderr, "ringsim run: a data centre needs --hosts N (2..%d)\n", CLI_MAX_HOSTS);
        return EXIT_USAGE;
    }
    if (nimages > MAX_VMS) {
        fprintf(stderr, "ringsim run: a data centre of at most %d VMs\n", MAX_VMS);
        return EXIT_USAGE;
    }
    if (opt->nvm_args && opt->nvm_args != nimages) {
        fprintf(stderr, "ringsim run: --vm-args: %d parameter%s for %d VMs (images): give one per VM\n",
                opt->nvm_args, opt->nvm_args == 1 ? "" : "s", nimages);
        return EXIT_USAGE;
    }
    if (o->ndisks) {
        fprintf(stderr, "ringsim run: --disk: a data centre simulates no shared storage for its VMs' disks\n");
        return EXIT_USAGE;
    }
    /* each VM, a machine of its own: a core of its host */
    for (int i = 0; i < nimages; i++) {
        struct dc_vm *v = &dp->vm[i];
        struct machine_opts vo = *o;
        if (opt->nvm_args) {
            vo.args = opt->vm_args[i];
            vo.args_typed = true;
        }
        v->image = images[i];
        v->args = vo.args;
        v->host = v->placed = -1;
        v->frames = o->memsize >> 12;
        const char *base = strrchr(images[i], '/') ? strrchr(images[i], '/') + 1 : images[i];
        snprintf(v->name, sizeof v->name, "%d:%.*s", i, (int)strcspn(base, "."), base);
        if (!cli_machine_build(&vo, &v->image, 1, "run", &v->cm)) {
            free_all(dp);
            return EXIT_USAGE;
        }
        if (!v->cm.hv) {
            fprintf(stderr, "ringsim run: --hosts: a data centre runs VMs: add --mode hw (or te, bt)\n");
            free_all(dp);
            return EXIT_USAGE;
        }
        if (opt->balance && !hv_migrate_can(v->cm.hv, err, sizeof err)) {
            fprintf(stderr, "ringsim run: --balance moves VMs by live migration: %s\n", err);
            free_all(dp);
            return EXIT_USAGE;
        }
        v->out = open_memstream(&v->buf, &v->len);
        if (!v->out) {
            fprintf(stderr, "ringsim run: out of host memory\n");
            free_all(dp);
            return EXIT_HOST_ERROR;
        }
        v->cm.m->con.out = v->out;
        v->at_cycles = v->cm.m->st.cycles;
        v->at_idle = v->cm.m->st.cycles_by_cause[CY_IDLE];
        v->at_insns = v->cm.m->st.instructions;
    }
    /* placement */
    for (int i = 0; i < nimages; i++) {
        struct dc_vm *v = &dp->vm[i];
        int pick = -1;
        for (int h = 0; h < dp->nhosts; h++) {
            if (!fits(dp, h, v, 0, 0)) continue;
            if (opt->pack) { pick = h; break; }
            if (pick < 0 || dp->host[h].nvms < dp->host[pick].nvms) pick = h;
        }
        if (pick < 0) {
            fprintf(stderr, "ringsim run: --placement: VM %d (%s, %u frames) fits on no host (%d hosts of %u cores "
                            "and %u frames; --host-cores, --host-mem)\n", i, v->name, v->frames, dp->nhosts,
                    opt->cores, opt->frames);
            free_all(dp);
            return EXIT_USAGE;
        }
        put_on(dp, v, pick);
        v->placed = pick;
    }
    /* one trace for them all, carried by every VM's machine */
    if (trace) {
        char title[64];
        snprintf(title, sizeof title, "data centre of %d hosts", dp->nhosts);
        if (!vis_trace_install(dp->vm[0].cm.m, trace, VIS_TRACE_TEXT, title, err, sizeof err)) {
            fprintf(stderr, "ringsim run: %s\n", err);
            free_all(dp);
            return EXIT_USAGE;
        }
        for (int i = 1; i < nimages; i++) {
            dp->vm[i].cm.m->trace = dp->vm[0].cm.m->trace;
            dp->vm[i].cm.m->trace_ctx = dp->vm[0].cm.m->trace_ctx;
            cpu_trace_start(dp->vm[i].cm.m);
        }
    }
    trace_fn hook = trace ? dp->vm[0].cm.m->trace : NULL;
    void *hook_ctx = trace ? dp->vm[0].cm.m->trace_ctx : NULL;
    dp->timeline = json_array();
    dp->moves = json_array();
    sample(dp);
    uint64_t limit = o->max_cycles;
    bool ok = true;
    for (uint64_t end = dp->period;; end += dp->period) {
        run_period(dp, end, limit);
        bool left = false;
        for (int i = 0; i < nimages; i++) left |= !dp->vm[i].done;
        if (left && opt->balance) ok = balance(dp);
        sample(dp);
        if (!left || !ok) break;
    }
    for (int i = 0; i < nimages; i++) drain(&dp->vm[i], true);
    fflush(stdout);
    int status = ok ? status_of(dp->vm[0].cm.m) : EXIT_USAGE;
    if (trace) {
        for (int i = 0; i < nimages; i++) dp->vm[i].cm.m->trace = NULL;
        struct machine *m0 = dp->vm[0].cm.m;
        m0->trace = hook;
        m0->trace_ctx = hook_ctx;
        if (!vis_trace_close(m0, err, sizeof err)) {
            fprintf(stderr, "ringsim run: --trace: %s\n", err);
            status = EXIT_USAGE;
        }
    }
    if (ok && stats) {
        json_t *js = json_object(), *each = json_array();
        uint64_t cycles = 0, insns = 0;
        for (int i = 0; i < nimages; i++) {
            const struct machine *m = dp->vm[i].cm.m;
            json_t *s = stats_to_json(m);
            hv_stats_json(dp->vm[i].cm.hv, s);
            json_array_append_new(each, s);
            if (m->st.cycles > cycles) cycles = m->st.cycles;
            insns += m->st.instructions;
        }
        json_object_set_new(js, "cycles", json_integer((json_int_t)cycles));
        json_object_set_new(js, "instructions", json_integer((json_int_t)insns));
        json_object_set_new(js, "datacentre", dc_json(dp));
        json_object_set_new(js, "vm_stats", each);
        if (!json_write_file(js, stats, err, sizeof err)) {
            fprintf(stderr, "ringsim run: --stats: %s\n", err);
            status = EXIT_USAGE;
        }
    }
    free_all(dp);
    return status;
}

int cli_datacentre_run(const struct machine_opts *o, char *const *images, int nimages, const struct cli_migrate *mo,
                       const struct cli_datacentre *opt, const char *stats, const char *trace,
                       int (*status_of)(const struct machine *m))
{
    struct dc *dp = calloc(1, sizeof *dp);
    if (!dp) {
        fprintf(stderr, "ringsim run: out of host memory\n");
        return EXIT_HOST_ERROR;
    }
    int status = run_datacentre(dp, o, images, nimages, mo, opt, stats, trace, status_of);
    free(dp);
    return status;
}
