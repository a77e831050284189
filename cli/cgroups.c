/*
 * cgroups.c — the guest kernel's control groups in `ringsim run --stats`
 * ("cgroups"), read from its memory when the run ends.
 *
 * The simulator knows nothing of the guest's structures but what the guest
 * publishes: a kernel built with containers has, at the symbol
 * `cgroup_layout` (guests/kernel/cgroup.s), the number of groups in
 * `cgroup_table`, the size of each, the offset of the word that says a
 * group is in use, and the number of counters at `cg_stats`, which lists
 * where each counter of the `cgroup_stat` system call lies.  So every figure
 * here is the one the guest itself reads with cgroup_stat, in the order
 * that call numbers them (guests/README.md).  An image without the symbol
 * (every kernel without containers) adds nothing to the statistics.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "cli/cli.h"
#include "hypervisor/hv.h"

/* cgroup_stat's counters, by their number in that call (guests/README.md). */
static const char *const counter_names[] = {
    "cpu_ticks", "pages", "oom_kills", "pages_peak", "pids", "pids_peak",
    "spawns_refused", "throttled_periods", "cpu_limit", "memory_limit", "pids_limit", "cpu_shares", "cpu_pass",
};
#define NCOUNTERS (sizeof counter_names / sizeof counter_names[0])

static bool guest_word(const struct cli_machine *cm, uint32_t gpa, uint32_t *v)
{
    return hv_guest_word(cm->m, cm->hv, gpa, v);
}

/* net_layout's words (guests/kernel/net.s). */
enum { PNETNS, NNTAB, NNSIZE, NNADDR, NNSENT, NNRECEIVED, NBRIDGED, NLOOPBACK, NBRIDGEADDR, NNSLOTS, NNREFS,
       NNLAYOUT };

/* A kernel built with network namespaces as well (NET=1) publishes
 * net_layout: "netns" is every live namespace's address (eth0's; the host's
 * br0's; "" for lo only) and the packets delivered from it and to it, and
 * "bridged" the packets br0 carried between namespaces. */
static void cli_netns_json(const struct cli_machine *cm, json_t *o)
{
    struct isa_image img;
    char err[256];
    uint32_t layout, L[NNLAYOUT];
    if (!cm->image0[0] || !isa_image_load(cm->image0, &img, err, sizeof err)) return;
    bool ok = isa_image_symbol_addr(&img, "net_layout", &layout);
    isa_image_free(&img);
    for (int i = 0; i < NNLAYOUT && ok; i++) ok = guest_word(cm, layout + 4 * (uint32_t)i, &L[i]);
    if (!ok || L[NNSLOTS] > 64 || L[NNSIZE] > 4096) return;
    json_t *all = json_array();
    for (uint32_t n = 0; n < L[NNSLOTS]; n++) {
        uint32_t at = L[NNTAB] + n * L[NNSIZE], refs, addr = 0, sent = 0, received = 0;
        if (!guest_word(cm, at + L[NNREFS], &refs) || !refs) continue;
        guest_word(cm, at + L[NNADDR], &addr);
        guest_word(cm, at + L[NNSENT], &sent);
        guest_word(cm, at + L[NNRECEIVED], &received);
        char a[16] = "";
        if (addr) snprintf(a, sizeof a, "%u.%u.%u.%u", addr >> 24, (addr >> 16) & 0xff, (addr >> 8) & 0xff, addr & 0xff);
        json_array_append_new(all, json_pack("{s:i, s:s, s:i, s:i}", "netns", (int)n, "address", a, "sent", (int)sent,
                                             "received", (int)received));
    }
    json_object_set_new(o, "netns", all);
    uint32_t bridged = 0;
    guest_word(cm, L[NBRIDGED], &bridged);
    json_object_set_new(o, "bridged", json_integer(bridged));
}

/* cgns_layout's words (guests/kernel/cgns.s). */
enum { PCGNS, CNTAB, CNSIZE, CNROOT, CNREFUSED, CNSLOTS, CNREFS, CNCGTAB, CNCGSIZE, CNMADE, CNREFUSEDALL,
       NCNLAYOUT };

/* A kernel built with cgroup namespaces (CGNS=1) publishes cgns_layout:
 * "cgroupns" is every live namespace, the group that is "/" in it, its
 * references (processes, and namespaces below it) and the names of groups
 * outside it that it refused; "cgroupns_made" and "cgroupns_refused" the
 * namespaces made and the names refused since boot, those gone included. */
static void cli_cgns_json(const struct cli_machine *cm, json_t *o)
{
    struct isa_image img;
    char err[256];
    uint32_t layout, L[NCNLAYOUT];
    if (!cm->image0[0] || !isa_image_load(cm->image0, &img, err, sizeof err)) return;
    bool ok = isa_image_symbol_addr(&img, "cgns_layout", &layout);
    isa_image_free(&img);
    for (int i = 0; i < NCNLAYOUT && ok; i++) ok = guest_word(cm, layout + 4 * (uint32_t)i, &L[i]);
    if (!ok || L[CNSLOTS] > 64 || !L[CNSIZE] || L[CNSIZE] > 4096 || !L[CNCGSIZE]) return;
    json_t *all = json_array();
    for (uint32_t n = 0; n < L[CNSLOTS]; n++) {
        uint32_t at = L[CNTAB] + n * L[CNSIZE], refs, root = 0, refused = 0;
        if (!guest_word(cm, at + L[CNREFS], &refs) || !refs) continue;
        guest_word(cm, at + L[CNROOT], &root);
        guest_word(cm, at + L[CNREFUSED], &refused);
        int group = root >= L[CNCGTAB] ? (int)((root - L[CNCGTAB]) / L[CNCGSIZE]) : -1;
        json_array_append_new(all, json_pack("{s:i, s:i, s:i, s:i}", "cgroupns", (int)n, "root", group, "refs",
                                             (int)refs, "refused", (int)refused));
    }
    json_object_set_new(o, "cgroupns", all);
    uint32_t made = 0, refused = 0;
    guest_word(cm, L[CNMADE], &made);
    guest_word(cm, L[CNREFUSEDALL], &refused);
    json_object_set_new(o, "cgroupns_made", json_integer(made));
    json_object_set_new(o, "cgroupns_refused", json_integer(refused));
}

void cli_cgroups_json(const struct cli_machine *cm, json_t *o)
{
    struct isa_image img;
    char err[256];
    uint32_t layout, table, stats, ngroups, size, inuse, nstats;
    if (!cm->image0[0] || !isa_image_load(cm->image0, &img, err, sizeof err)) return;
    bool ok = isa_image_symbol_addr(&img, "cgroup_layout", &layout) &&
              isa_image_symbol_addr(&img, "cgroup_table", &table) && isa_image_symbol_addr(&img, "cg_stats", &stats);
    isa_image_free(&img);
    if (!ok || !guest_word(cm, layout, &ngroups) || !guest_word(cm, layout + 4, &size) ||
        !guest_word(cm, layout + 8, &inuse) || !guest_word(cm, layout + 12, &nstats) || ngroups > 64 ||
        size > 4096 || nstats > NCOUNTERS)
        return;
    json_t *groups = json_array();
    for (uint32_t g = 0; g < ngroups; g++) {
        uint32_t used, off, v;
        if (!guest_word(cm, table + g * size + inuse, &used) || !used) continue;
        json_t *j = json_pack("{s:i}", "group", (int)g);
        for (uint32_t c = 0; c < nstats; c++)
            if (guest_word(cm, stats + 4 * c, &off) && off < size && guest_word(cm, table + g * size + off, &v))
                json_object_set_new(j, counter_names[c], json_integer(v));
        json_array_append_new(groups, j);
    }
    json_object_set_new(o, "cgroups", groups);
    cli_netns_json(cm, o);
    cli_cgns_json(cm, o);
}
