/*
 * dcdot.c — `ringsim dot --datacentre STATS.json`: a data centre's hosts and
 * VMs, and the moves its balancer made (cli/datacentre.c writes the
 * "datacentre" object of the statistics it reads; docs/migration.md).
 *
 * A cluster per host, labelled with its time on and its energy, grey if
 * the balancer switched it off while VMs still ran elsewhere.  A VM is a
 * node in each host it lived on: where it was placed, and where each move
 * took it; a blue edge per live migration, labelled with its cycle, rounds,
 * pages sent and downtime.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "visualise/visualise.h"

static long long geti(json_t *o, const char *k) { return json_integer_value(json_object_get(o, k)); }

char *vis_dot_datacentre(json_t *stats, const char *title, char *err, size_t errlen)
{
    json_t *d = json_object_get(stats, "datacentre");
    json_t *vms = json_object_get(d, "vms"), *hosts = json_object_get(d, "host_stats");
    json_t *moves = json_object_get(d, "moves");
    if (!json_is_object(d) || !json_is_array(vms) || !json_is_array(hosts) || !json_is_array(moves)) {
        snprintf(err, errlen, "expected the statistics of a data centre (`ringsim run IMG… --hosts N --stats F`): "
                              "a \"datacentre\" object with \"vms\", \"host_stats\" and \"moves\" arrays");
        return NULL;
    }
    size_t nh = json_array_size(hosts), nv = json_array_size(vms);
    /* the last cycle a VM ran: hosts off before it were switched off by the balancer */
    long long last_end = 0;
    for (size_t i = 0; i < nv; i++)
        if (geti(json_array_get(vms, i), "ended_at") > last_end) last_end = geti(json_array_get(vms, i), "ended_at");
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    char b[4][32];
    fprintf(f, "digraph datacentre {\n  rankdir=LR;\n  compound=true;\n  fontname=\"Helvetica\";\n"
               "  node [shape=box, style=\"rounded,filled\", fillcolor=white, fontname=\"Helvetica\", fontsize=10];\n"
               "  edge [fontname=\"Helvetica\", fontsize=9];\n");
    fprintf(f, "  label=\"%s\\n%lld hosts of %lld cores, placement %s, %s; %s moves, %s pages sent, "
               "energy %s uJ\";\n  labelloc=t;\n",
            title, (long long)nh, geti(d, "cores"), json_string_value(json_object_get(d, "placement")),
            json_is_true(json_object_get(d, "balance")) ? "balanced" : "not balanced",
            vis_commas((uint64_t)geti(d, "moves_total"), b[0]), vis_commas((uint64_t)geti(d, "pages_sent"), b[1]),
            vis_commas((uint64_t)geti(d, "energy_uj"), b[2]));
    for (size_t h = 0; h < nh; h++) {
        json_t *x = json_array_get(hosts, h);
        long long off = geti(x, "off_at");
        bool switched_off = off > 0 && off < last_end;
        const char *prof = json_string_value(json_object_get(x, "profile"));
        fprintf(f, "  subgraph cluster_host%zu {\n    label=\"host %zu (%s)\\non %s cycles, %s uJ%s%s\";\n"
                   "    style=filled;\n    fillcolor=\"%s\";\n",
                h, h, prof ? prof : "?",
                vis_commas((uint64_t)geti(x, "on_cycles"), b[0]), vis_commas((uint64_t)geti(x, "energy_uj"), b[1]),
                switched_off ? "\\nswitched off at cycle " : "", switched_off ? vis_commas((uint64_t)off, b[2]) : "",
                switched_off ? "grey85" : "lightyellow");
        fprintf(f, "    host%zu [label=\"\", shape=point, style=invis];\n", h);
        for (size_t i = 0; i < nv; i++) {
            json_t *v = json_array_get(vms, i);
            const char *name = json_string_value(json_object_get(v, "name"));
            const char *args = json_string_value(json_object_get(v, "args"));
            if (geti(v, "placed_on") == (long long)h)
                fprintf(f, "    vm%zu_0 [label=\"VM %s%s%s\\nplaced here\"];\n", i, name ? name : "?",
                        args && *args ? " --args " : "", args && *args ? args : "");
            int k = 0;
            for (size_t j = 0; j < json_array_size(moves); j++) {
                json_t *m = json_array_get(moves, j);
                if (geti(m, "vm") != (long long)i || !json_is_true(json_object_get(m, "moved"))) continue;
                k++;
                if (geti(m, "to") == (long long)h)
                    fprintf(f, "    vm%zu_%d [label=\"VM %s\\narrived at cycle %s\"];\n", i, k, name ? name : "?",
                            vis_commas((uint64_t)geti(m, "cycle"), b[0]));
            }
        }
        fprintf(f, "  }\n");
    }
    for (size_t i = 0; i < nv; i++) {
        int k = 0;
        for (size_t j = 0; j < json_array_size(moves); j++) {
            json_t *m = json_array_get(moves, j);
            if (geti(m, "vm") != (long long)i || !json_is_true(json_object_get(m, "moved"))) continue;
            fprintf(f, "  vm%zu_%d -> vm%zu_%d [color=blue, fontcolor=blue, "
                       "label=\"cycle %s\\n%lld round%s, %s pages\\ndowntime %s\"];\n",
                    i, k, i, k + 1, vis_commas((uint64_t)geti(m, "cycle"), b[0]), geti(m, "rounds"),
                    geti(m, "rounds") == 1 ? "" : "s", vis_commas((uint64_t)geti(m, "pages_sent"), b[1]),
                    vis_commas((uint64_t)geti(m, "downtime"), b[2]));
            k++;
        }
    }
    fprintf(f, "}\n");
    if (fclose(f) != 0) {
        free(text);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    return text;
}
