/*
 * migrate.c — `ringsim run … --hosts N --migrate-at CYCLE:HOST`: a small data
 * centre of simulated hosts, and a VM moved between them while it runs
 * (hypervisor/migrate.c does the moving; docs/migration.md).
 *
 * Each host is a machine of its own — its own memory, its own CPU (one
 * core: the simulator's machine has one), its own cost profile — built from
 * the run's options when the VM first arrives.  The VM starts on host 0;
 * at each --migrate-at cycle it goes, by live migration over the link
 * (--link), to the host named, and the host it left is powered down.  What
 * the guest prints goes on on the same stdout, as from one machine.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/cli.h"
#include "hypervisor/hv.h"

bool cli_parse_migrate_at(const char *arg, uint64_t *cycle, int *host)
{
    char num[32];
    const char *colon = strchr(arg, ':');
    if (!colon || colon == arg || (size_t)(colon - arg) >= sizeof num || !colon[1]) return false;
    snprintf(num, sizeof num, "%.*s", (int)(colon - arg), arg);
    uint64_t h;
    if (!cli_parse_u64(num, cycle) || !*cycle || !cli_parse_u64(colon + 1, &h) || h >= CLI_MAX_HOSTS) return false;
    *host = (int)h;
    return true;
}

bool cli_parse_link(const char *arg, struct hv_link *link)
{
    char num[32];
    const char *colon = strchr(arg, ':');
    size_t n = colon ? (size_t)(colon - arg) : strlen(arg);
    if (!n || n >= sizeof num) return false;
    snprintf(num, sizeof num, "%.*s", (int)n, arg);
    uint64_t bw, lat = link->latency;
    if (!cli_parse_u64(num, &bw) || !bw || bw > 1u << 20) return false;
    if (colon && !cli_parse_u64(colon + 1, &lat)) return false;
    link->bytes_per_cycle = (uint32_t)bw;
    link->latency = lat;
    return true;
}

void cli_migrate_defaults(struct cli_migrate *mo)
{
    memset(mo, 0, sizeof *mo);
    mo->hosts = 1;
    mo->cfg.link = (struct hv_link){.bytes_per_cycle = 16, .latency = 10000};
    mo->cfg.stop_pages = 16;
    mo->cfg.max_rounds = 30;
}

bool cli_migrate_check(const struct cli_migrate *mo, const char *cmd)
{
    int at = 0;
    for (int i = 0; i < mo->n; i++) {
        if (mo->at[i].host >= mo->hosts) {
            fprintf(stderr, "ringsim %s: --migrate-at %llu:%d: there are %d hosts (--hosts), 0..%d\n", cmd,
                    (unsigned long long)mo->at[i].cycle, mo->at[i].host, mo->hosts, mo->hosts - 1);
            return false;
        }
        if (mo->at[i].host == at) {
            fprintf(stderr, "ringsim %s: --migrate-at %llu:%d: the VM is on host %d already then\n", cmd,
                    (unsigned long long)mo->at[i].cycle, mo->at[i].host, at);
            return false;
        }
        if (i && mo->at[i].cycle <= mo->at[i - 1].cycle) {
            fprintf(stderr, "ringsim %s: --migrate-at: give the migrations in cycle order\n", cmd);
            return false;
        }
        at = mo->at[i].host;
    }
    return true;
}

bool cli_move_vm(struct cli_machine *cm, char *const *images, int nimages, const char *profile,
                 const struct hv_migrate_cfg *cfg, struct hv_migration *mg, const char *what, const char *cmd)
{
    char err[512];
    /* the target host: a machine of the same shape, its own profile */
    struct machine_opts o = cm->opts;
    if (profile) o.profile = profile;
    struct cli_machine target;
    fflush(stdout);
    if (!cli_machine_build(&o, images, nimages, cmd, &target)) return false;
    /* what the guest prints, and the trace, go on where they went */
    target.m->con.out = cm->m->con.out;
    target.m->trace = cm->m->trace;
    target.m->trace_ctx = cm->m->trace_ctx;
    if (!hv_migrate(cm->hv, target.hv, cfg, mg, err, sizeof err)) {
        fprintf(stderr, "ringsim %s: %s: %s\n", cmd, what, err);
        target.m->trace = NULL;
        cli_machine_free(&target);
        return false;
    }
    if (!mg->moved) {
        target.m->trace = NULL;
        cli_machine_free(&target);
        return true;
    }
    /* the VM lives on the target now; the source is powered down */
    struct cli_machine old = *cm;
    target.opts = old.opts;
    target.owned = old.owned;
    old.owned = NULL;
    memcpy(target.image0, old.image0, sizeof target.image0);
    old.m->trace = NULL;
    cli_machine_free(&old);
    *cm = target;
    return true;
}

bool cli_migrate_run(struct cli_machine *cm, char *const *images, int nimages, const struct cli_migrate *mo,
                     json_t **report, const char *cmd)
{
    char err[512];
    json_t *arr = json_array();
    *report = arr;
    if (!cm->hv || !hv_migrate_can(cm->hv, err, sizeof err)) {
        fprintf(stderr, "ringsim %s: --migrate-at: %s\n", cmd,
                cm->hv ? err : "a native run has no hypervisor to move it (use --mode te, bt or hw)");
        return false;
    }
    int at = 0;
    for (int i = 0; i < mo->n; i++) {
        struct machine *m = cm->m;
        uint64_t limit = m->max_cycles;
        if (limit && mo->at[i].cycle >= limit) break;
        m->max_cycles = mo->at[i].cycle;
        machine_run(m, 0);
        m->max_cycles = limit;
        if (m->stop != STOP_CYCLE_LIMIT) break;     /* the guest ended first */
        m->stop = STOP_NONE;
        m->stop_detail[0] = 0;
        struct hv_migration mg;
        char what[64];
        snprintf(what, sizeof what, "--migrate-at %llu:%d", (unsigned long long)mo->at[i].cycle, mo->at[i].host);
        if (!cli_move_vm(cm, images, nimages, mo->profile[mo->at[i].host], &mo->cfg, &mg, what, cmd)) return false;
        hv_migration_json(&mg, &mo->cfg, at, mo->at[i].host, arr);
        if (!mg.moved) break;
        at = mo->at[i].host;
    }
    return true;
}
