/*
 * test_containers_dot.c — `ringsim dot --processes`: the guest kernel's
 * process tree with its pid namespaces, read from the guest's memory.
 *
 * What it pins down: at a cycle found from the run's own trace (the moment
 * alpha's child first runs), the drawing puts each process in the cluster
 * of its pid namespace, nested in its parent namespace's, with the pid it
 * has inside and the one the host knows it by — the pids the guest itself
 * prints — and an edge from parent to child across the boundary; the real
 * Graphviz lays it out without a warning, into an SVG that is well-formed
 * XML and whose node texts carry those pids.  Under the hypervisor (hw)
 * the same is read in the VM's memory; a kernel without containers is
 * refused.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/helpers.h"

/* The cycle of the first return to user mode at the user address of label
 * (the first time a process starts there), from `ringsim run W --trace trap`. */
static unsigned long long first_entry(const char *workload, const char *label)
{
    uint32_t a = guest_sym(workload, label);
    char args[128], want[64];
    snprintf(args, sizeof args, "run %s --trace trap", workload);
    snprintf(want, sizeof want, " iret pc=v:0x%08x ", a);
    char *out, *err;
    cr_assert_eq(run_ringsim(args, &out, &err), 0, "%s", args);
    free(out);
    out = err;                          /* (the trace goes to stderr) */
    const char *l = strstr(out, want);
    cr_assert(l, "no return to %s (0x%08x) in the trace", label, a);
    while (l > out && l[-1] != '\n') l--;
    unsigned long long c = strtoull(l, NULL, 10);
    free(out);
    cr_assert_gt(c, 0);
    return c;
}

/* The number after prefix in the guest's output. */
static int printed(const char *out, const char *prefix)
{
    const char *l = strstr(out, prefix);
    cr_assert(l, "no \"%s\" in:\n%s", prefix, out);
    return atoi(l + strlen(prefix));
}

/* Where node p<pid> is drawn: its cluster (the innermost one around it),
 * the depth of that cluster, and its label; false if it is not drawn. */
struct placed {
    char cluster[64], label[256];
    int depth;
};

static bool place(const char *dot, unsigned pid, struct placed *p)
{
    char stack[8][64];
    int depth = 0;
    char node[32];
    snprintf(node, sizeof node, "p%u [label=\"", pid);
    for (const char *l = dot; *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : l + strlen(l)) {
        while (*l == ' ') l++;
        if (!strncmp(l, "subgraph ", 9)) {
            cr_assert_lt(depth, 8);
            sscanf(l + 9, "%63s", stack[depth++]);
        } else if (*l == '}' && depth > 0)
            depth--;
        else if (!strncmp(l, node, strlen(node))) {
            cr_assert_gt(depth, 0, "p%u is drawn outside every pid namespace", pid);
            snprintf(p->cluster, sizeof p->cluster, "%s", stack[depth - 1]);
            p->depth = depth;
            const char *s = l + strlen(node), *e = strchr(s, '"');
            cr_assert(e);
            snprintf(p->label, sizeof p->label, "%.*s", (int)(e - s), s);
            return true;
        }
    }
    return false;
}

static bool has_edge(const char *dot, unsigned from, unsigned to)
{
    char e[64];
    snprintf(e, sizeof e, "  p%u -> p%u;\n", from, to);
    return strstr(dot, e) != NULL;
}

/* A well-formedness check of XML: every element closed, in order, one root. */
static void xml_well_formed(const char *x)
{
    char stack[64][32];
    int depth = 0, roots = 0;
    for (const char *p = strchr(x, '<'); p; p = strchr(p + 1, '<')) {
        if (!strncmp(p, "<?", 2) || !strncmp(p, "<!DOCTYPE", 9)) {
            p = strchr(p, '>');
            cr_assert(p);
            continue;
        }
        if (!strncmp(p, "<!--", 4)) {
            p = strstr(p, "-->");
            cr_assert(p, "an unclosed comment");
            continue;
        }
        const char *end = strchr(p, '>');
        cr_assert(end, "an unclosed tag");
        char name[32];
        bool closing = p[1] == '/';
        cr_assert_eq(sscanf(p + 1 + closing, "%31[^ />\n\t]", name), 1, "%.40s", p);
        if (closing) {
            cr_assert_gt(depth, 0, "</%s> closes nothing", name);
            cr_assert_str_eq(stack[depth - 1], name, "<%s> closed by </%s>", stack[depth - 1], name);
            depth--;
        } else if (end[-1] != '/') {
            cr_assert_lt(depth, 64);
            if (!depth) roots++;
            snprintf(stack[depth++], sizeof stack[0], "%s", name);
        }
        p = end;
    }
    cr_assert_eq(depth, 0, "<%s> is never closed", depth ? stack[depth - 1] : "");
    cr_assert_eq(roots, 1);
}

/* The texts of the SVG node whose title is p<pid>, joined by '|'. */
static void svg_node_texts(const char *svg, unsigned pid, char *out, size_t len)
{
    char title[32];
    snprintf(title, sizeof title, "<title>p%u</title>", pid);
    const char *t = strstr(svg, title);
    cr_assert(t, "no node p%u in the SVG", pid);
    const char *end = strstr(t, "</g>");
    cr_assert(end);
    size_t o = 0;
    out[0] = 0;
    for (const char *p = strstr(t, "<text"); p && p < end; p = strstr(p + 1, "<text")) {
        const char *s = strchr(p, '>') + 1, *e = strstr(s, "</text>");
        o += (size_t)snprintf(out + o, len - o, "%.*s|", (int)(e - s), s);
        cr_assert_lt(o, len);
    }
}

Test(containers_dot, the_process_tree_puts_each_process_in_its_pid_namespace)
{
    int st;
    char *out = run_out("run containers", &st);
    cr_assert_eq(st, 0);
    int beta = printed(out, "its PID 1 is pid "), alpha = printed(out, "container alpha's PID 1 was pid ");
    free(out);
    unsigned long long c = first_entry("containers", "ct_look_main");
    char args[512], *dot, *err;
    snprintf(args, sizeof args, "dot containers --processes --at %llu", c + 1);
    cr_assert_eq(run_ringsim(args, &dot, &err), 0, "%s", err);
    free(err);
    struct placed host, a, b, child;
    cr_assert(place(dot, 1, &host) && place(dot, (unsigned)alpha, &a) && place(dot, (unsigned)beta, &b), "%s", dot);
    /* the host in the initial namespace; alpha and beta each in a cluster
     * of its own, inside the host's */
    cr_assert_str_eq(host.cluster, "cluster_pidns0");
    cr_assert_eq(host.depth, 1);
    cr_assert_eq(a.depth, 2);
    cr_assert_eq(b.depth, 2);
    cr_assert_str_neq(a.cluster, b.cluster);
    cr_assert(strstr(host.label, "pid 1\\nhost ringsim"), "%s", host.label);
    char want[96];
    snprintf(want, sizeof want, "pid 1\\n= pid %d in pid ns 0\\nhost alpha", alpha);
    cr_assert(strstr(a.label, want) == a.label, "%s", a.label);
    snprintf(want, sizeof want, "pid 1\\n= pid %d in pid ns 0\\nhost beta", beta);
    cr_assert(strstr(b.label, want) == b.label, "%s", b.label);
    /* alpha's child: pid 2 in alpha's namespace, running, the next pid outside */
    unsigned kid = (unsigned)alpha + 1;
    cr_assert(place(dot, kid, &child), "%s", dot);
    cr_assert_str_eq(child.cluster, a.cluster);
    snprintf(want, sizeof want, "pid 2\\n= pid %u in pid ns 0", kid);
    cr_assert(strstr(child.label, want) == child.label, "%s", child.label);
    cr_assert(strstr(child.label, "\\nrunning"), "it is the process running at that cycle: %s", child.label);
    /* parent -> child, across the boundary for alpha's PID 1 */
    cr_assert(has_edge(dot, 1, (unsigned)alpha) && has_edge(dot, (unsigned)alpha, kid), "%s", dot);

    /* the real Graphviz: no warning, a well-formed SVG with these labels */
    const char *dir = temp_dir();
    char svgf[200], errf[200], cmd[1024];
    snprintf(svgf, sizeof svgf, "%s/ps.svg", dir);
    snprintf(errf, sizeof errf, "%s/err", dir);
    FILE *f = fopen(errf, "w");
    cr_assert(f);
    fputs(dot, f);
    fclose(f);
    snprintf(cmd, sizeof cmd, "dot -Tsvg '%s' -o '%s' 2>'%s.txt'", errf, svgf, errf);
    int rc = system(cmd);
    cr_assert(WIFEXITED(rc) && WEXITSTATUS(rc) == 0, "dot rejects the drawing:\n%s", dot);
    snprintf(cmd, sizeof cmd, "%s.txt", errf);
    char *warn = slurp(cmd);
    cr_assert(warn);
    cr_assert_str_empty(warn, "dot warns: %s", warn);
    free(warn);
    unlink(cmd);
    unlink(errf);
    char *svg = slurp(svgf);
    cr_assert(svg);
    xml_well_formed(svg);
    char texts[512];
    svg_node_texts(svg, (unsigned)alpha, texts, sizeof texts);
    snprintf(want, sizeof want, "pid 1|= pid %d in pid ns 0|host alpha|", alpha);
    cr_assert(strstr(texts, want) == texts, "%s", texts);
    svg_node_texts(svg, kid, texts, sizeof texts);
    snprintf(want, sizeof want, "pid 2|= pid %u in pid ns 0|", kid);
    cr_assert(strstr(texts, want) == texts, "%s", texts);
    cr_assert(strstr(svg, "<title>cluster_pidns0</title>"));
    free(svg);
    unlink(svgf);

    /* -o FILE.svg renders with Graphviz too, the same picture */
    snprintf(args, sizeof args, "dot containers --processes --at %llu -o %s", c + 1, svgf);
    char *o2;
    cr_assert_eq(run_ringsim(args, &o2, &err), 0, "%s", err);
    free(o2);
    free(err);
    svg = slurp(svgf);
    cr_assert(svg && strstr(svg, "<svg"));
    xml_well_formed(svg);
    free(svg);
    unlink(svgf);
    rmdir(dir);
    free(dot);
}

Test(containers_dot, with_the_file_system_each_process_shows_its_mount_namespace_and_root)
{
    /* just after container a's PID 1 made /ct/a its root (pivot_root) */
    unsigned long long c = first_entry("mounts", "run_pivoted");
    char args[128], *dot, *err;
    snprintf(args, sizeof args, "dot mounts --processes --at %llu", c + 1);
    cr_assert_eq(run_ringsim(args, &dot, &err), 0, "%s", err);
    free(err);
    struct placed host, run, ct;
    cr_assert(place(dot, 1, &host) && place(dot, 2, &run) && place(dot, 3, &ct), "%s", dot);
    cr_assert_str_eq(host.label, "pid 1\\nhost ringsim\\nuid 0\\nmnt ns 0, root /");
    cr_assert(strstr(run.label, "uid 1000\\nmnt ns 0, root /"), "the runtime, a user in the host's view: %s",
              run.label);
    cr_assert_eq(ct.depth, 2, "%s", dot);
    cr_assert(strstr(ct.label, "pid 1\\n= pid 3 in pid ns 0\\nhost a\\nuid 0 (1000 outside)\\nmnt ns 1, root /ct/a") ==
                  ct.label,
              "%s", ct.label);
    free(dot);
}

Test(containers_dot, under_the_hypervisor_the_tree_is_read_in_the_vms_memory)
{
    /* forkbomb mid-window: the bomb's pids.max processes in a namespace and
     * cgroup of their own, the neighbour in another cgroup, outside it */
    char *dot, *err;
    cr_assert_eq(run_ringsim("dot forkbomb --processes --at 12000000 --mode hw", &dot, &err), 0, "%s", err);
    free(err);
    int bombs = 0;
    char bomb_cluster[64] = "";
    for (unsigned pid = 2; pid < 32; pid++) {
        struct placed p;
        if (!place(dot, pid, &p)) continue;
        if (strstr(p.label, "\\ncgroup 1")) {
            bombs++;
            cr_assert_eq(p.depth, 2, "%s", p.label);
            if (!bomb_cluster[0]) snprintf(bomb_cluster, sizeof bomb_cluster, "%s", p.cluster);
            cr_assert_str_eq(p.cluster, bomb_cluster, "one namespace for the whole bomb");
            char want[32];
            snprintf(want, sizeof want, "pid %d\\n", bombs);
            cr_assert(strstr(p.label, want) == p.label, "inside, the bomb's pids are 1, 2, …: %s", p.label);
        } else {
            cr_assert(strstr(p.label, "\\ncgroup 2"), "%s", p.label);
            cr_assert_eq(p.depth, 1, "the neighbour is in the host's namespace");
        }
    }
    cr_assert_eq(bombs, 8, "the bomb fills its pids.max of 8:\n%s", dot);
    free(dot);
}

Test(containers_dot, a_kernel_without_containers_has_no_process_tree_to_draw)
{
    char *out, *err;
    cr_assert_eq(run_ringsim("dot kernel --processes", &out, &err), 2);
    cr_assert(strstr(err, "no process table to draw"), "%s", err);
    free(out);
    free(err);
    cr_assert_eq(run_ringsim("dot containers --processes --table guest", &out, &err), 2);
    free(out);
    free(err);
}
