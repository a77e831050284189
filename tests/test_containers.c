/*
 * test_containers.c — containers in the guest kernel (guests/kernel/ns.s,
 * cgroup.s), run as a user runs them: `ringsim run containers|forkbomb|memhog`.
 *
 * What they pin down: each workload prints the same thing natively and under
 * every technique of the hypervisor; a container's first process is PID 1
 * inside and another pid outside; a process sees, names and signals only the
 * processes of its own pid namespace and those below it (a kill of a pid
 * outside is refused); each UTS namespace has its own host name; root of a
 * user namespace is no root of the machine; a cgroup's pids limit stops a
 * fork bomb and its cpu quota is the share of the processor the group gets;
 * a memory limit kills a process inside its group only.  Every figure is
 * read from what the guest prints and checked against another printed figure
 * or a limit, never against a copy of the output.  Last, the option changes
 * nothing for the other workloads: built with containers, they print what
 * they print without.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "tests/helpers.h"
#include "tests/rows.h"

/* ---- reading what the guest printed ------------------------------------------- */

/* The line of out that starts with prefix (the first one), or NULL. */
static const char *line_starting(const char *out, const char *prefix)
{
    size_t n = strlen(prefix);
    for (const char *l = out; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
        if (strncmp(l, prefix, n) == 0) return l;
    return NULL;
}

/* Like line_starting, but the test fails if there is no such line. */
static const char *must_line(const char *out, const char *prefix)
{
    const char *l = line_starting(out, prefix);
    cr_assert(l, "no line starting \"%s\" in:\n%s", prefix, out);
    return l;
}

/* How many lines of out contain s. */
static int lines_containing(const char *out, const char *s)
{
    int n = 0;
    for (const char *p = strstr(out, s); p; p = strstr(p + 1, s)) n++;
    return n;
}

/* What a "NAME: pid P, parent Q, hostname H, sees pids a b c" line says. */
struct view {
    int pid, parent, npids;
    char host[32];
    int pids[16];
};

static struct view view_of(const char *line)
{
    struct view v = {0};
    const char *p = strstr(line, ": pid ");
    cr_assert(p, "not a view line: %.80s", line);
    cr_assert_eq(sscanf(p, ": pid %d, parent %d, hostname %31[^,], sees pids", &v.pid, &v.parent, v.host), 3,
                 "%.100s", line);
    p = strstr(p, "sees pids");
    cr_assert(p);
    p += strlen("sees pids");
    int n, used;
    while (v.npids < 16 && sscanf(p, " %d%n", &n, &used) == 1 && *p != '\n') {
        v.pids[v.npids++] = n;
        p += used;
    }
    return v;
}

static bool view_sees(const struct view *v, int pid)
{
    for (int i = 0; i < v->npids; i++)
        if (v->pids[i] == pid) return true;
    return false;
}

/* Runs `ringsim run ARGS`; it must exit 0.  Returns its output. */
static char *run_ok(const char *args)
{
    int st;
    char *out = run_out(args, &st);
    cr_assert_eq(st, 0, "ringsim %s: exit status %d; output:\n%s", args, st, out);
    return out;
}

/* ---- per-cgroup statistics (run --stats "cgroups", cli/cgroups.c) --------------- */

/* Runs `ringsim run ARGS --stats FILE`; returns the output, *stats the group
 * objects of its statistics (the run must have them). */
static char *run_with_cgroups(const char *args, json_t **root, json_t **groups)
{
    char a[512], file[256], *out, *err;
    snprintf(file, sizeof file, "%s/cg.json", temp_dir());
    snprintf(a, sizeof a, "%s --stats %s", args, file);
    cr_assert_eq(run_ringsim(a, &out, &err), 0, "ringsim %s:\n%s", a, err);
    free(err);
    json_error_t jerr;
    *root = json_load_file(file, 0, &jerr);
    cr_assert(*root, "%s", jerr.text);
    *groups = json_object_get(*root, "cgroups");
    cr_assert(json_is_array(*groups), "the statistics of a containers kernel have \"cgroups\"");
    return out;
}

static long long group_counter(json_t *groups, int g, const char *counter)
{
    size_t i;
    json_t *o;
    json_array_foreach(groups, i, o)
        if (json_integer_value(json_object_get(o, "group")) == g) {
            json_t *v = json_object_get(o, counter);
            cr_assert(json_is_integer(v), "group %d has %s", g, counter);
            return json_integer_value(v);
        }
    cr_assert_fail("no group %d in the statistics", g);
    return -1;
}

static const char *const cgroup_modes[] = {"", "--mode hw", "--mode pv", "--mode bt"};

ROW_PARAMETERS(containers, per_cgroup_stats_are_what_the_guest_prints,
               sizeof cgroup_modes / sizeof cgroup_modes[0])

ParameterizedTest(size_t *row, containers, per_cgroup_stats_are_what_the_guest_prints)
{
    char a[128];
    json_t *root, *groups;
    snprintf(a, sizeof a, "run memhog %s", cgroup_modes[*row]);
    char *out = run_with_cgroups(a, &root, &groups);
    for (int g = 1; g <= 2; g++) {
        char prefix[64];
        int kills, peak;
        snprintf(prefix, sizeof prefix, "cgroup %d: ", g);
        const char *l = strstr(out, prefix);
        cr_assert(l, "%s", out);
        cr_assert_eq(sscanf(l + strlen(prefix), "%d out-of-memory kills, peak %d pages", &kills, &peak), 2);
        cr_assert_eq(group_counter(groups, g, "oom_kills"), kills, "group %d", g);
        cr_assert_eq(group_counter(groups, g, "pages_peak"), peak, "group %d", g);
        cr_assert_eq(group_counter(groups, g, "pages"), 0, "nothing charged when the run ends");
    }
    json_decref(root);
    free(out);

    snprintf(a, sizeof a, "run forkbomb %s", cgroup_modes[*row]);
    out = run_with_cgroups(a, &root, &groups);
    int cpu, pids, grew, refused;
    cr_assert_eq(sscanf(must_line(out, "forkbomb: cgroup 1 for the bomb: "),
                        "forkbomb: cgroup 1 for the bomb: cpu %d ticks in every 10, pids.max %d", &cpu, &pids), 2);
    cr_assert_eq(sscanf(must_line(out, "forkbomb: the bomb grew to "),
                        "forkbomb: the bomb grew to %d processes; %d spawns were refused", &grew, &refused), 2);
    cr_assert_eq(group_counter(groups, 1, "cpu_limit"), cpu);
    cr_assert_eq(group_counter(groups, 1, "pids_limit"), pids);
    cr_assert_eq(group_counter(groups, 1, "pids_peak"), grew);
    cr_assert_eq(group_counter(groups, 1, "spawns_refused"), refused);
    cr_assert_gt(group_counter(groups, 1, "throttled_periods"), 0, "the quota held the bomb back");
    json_decref(root);
    free(out);
}

Test(containers, a_kernel_without_containers_reports_no_cgroups)
{
    json_t *st = stats_of("run syscall --args 10");
    cr_assert_null(json_object_get(st, "cgroups"));
    json_decref(st);
}

/* ---- IPC namespaces ------------------------------------------------------------------ */

/* What a "container N …: msgget(42) = ID, msgrcv = WORD" line of ipc says. */
static void ipc_peer(const char *out, const char *prefix, int *id, int *word)
{
    const char *l = strstr(must_line(out, prefix), "msgget(42) = ");
    cr_assert(l);
    cr_assert_eq(sscanf(l, "msgget(42) = %d, msgrcv = %d", id, word), 2, "%.80s", l);
}

Test(containers, a_container_cannot_reach_another_namespaces_message_queues)
{
    char *out = run_ok("run ipc");
    int host_id, host_msg, id, word;
    cr_assert_eq(sscanf(must_line(out, "host: msgget(42) made queue "), "host: msgget(42) made queue %d; msgsnd(%*d, 1000): %d",
                        &host_id, &host_msg), 2);
    cr_assert_eq(host_msg, 0, "the host's message went in");
    /* each container finds a queue of its own under the key (the same id,
     * another queue): empty, so neither the host's message nor the first
     * container's reaches the second */
    for (int c = 1; c <= 2; c++) {
        char prefix[32];
        snprintf(prefix, sizeof prefix, "container %d ", c);
        ipc_peer(out, prefix, &id, &word);
        cr_assert_eq(id, host_id, "the same id names another queue in its namespace");
        cr_assert_eq(word, -1, "container %d read nothing: %d", c, word);
    }
    /* a process in the host's namespace gets the host's message, and what
     * the host finds afterwards is that process's, not a container's */
    ipc_peer(out, "process 3 ", &id, &word);
    cr_assert_eq(id, host_id);
    cr_assert_eq(word, 1000);
    int left_id, left;
    cr_assert_eq(sscanf(must_line(out, "host: msgrcv("), "host: msgrcv(%d) = %d", &left_id, &left), 2);
    cr_assert_eq(left, 3, "only process 3's message is in the host's queue: %d", left);
    free(out);
}

/* ---- mount namespaces and the file system (fs.s, `ringsim run mounts`) --------------- */

/* What a "WHO: ls PATH -> N: NAMES" or "WHO: cat PATH -> N: TEXT" line of
 * mounts says: N, and the rest of the line in text (at most size - 1). */
static int fs_line(const char *out, const char *prefix, char *text, size_t size)
{
    const char *l = must_line(out, prefix);
    const char *arrow = strstr(l, " -> ");
    cr_assert(arrow, "%.80s", l);
    int n = atoi(arrow + 4);
    const char *colon = strstr(arrow, ": "), *nl = strchr(l, '\n');
    cr_assert(colon && nl && colon < nl, "%.80s", l);
    size_t len = (size_t)(nl - colon - 2) < size - 1 ? (size_t)(nl - colon - 2) : size - 1;
    memcpy(text, colon + 2, len);
    text[len] = '\0';
    return n;
}

/* Whether the space-separated list names holds name. */
static bool names_hold(const char *names, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = names; (p = strstr(p, name)); p++)
        if ((p == names || p[-1] == ' ') && (p[n] == '\0' || p[n] == ' ')) return true;
    return false;
}

Test(containers, each_container_sees_only_its_own_directory_as_root)
{
    char *out = run_ok("run mounts");
    char t[128];
    cr_assert_eq(fs_line(out, "host: ls / ->", t, sizeof t), 2);
    cr_assert(names_hold(t, "ct") && names_hold(t, "shared"), "%s", t);
    const char *who[] = {"a", "b"};
    for (int i = 0; i < 2; i++) {
        char p[64];
        /* its "/" is the host's /ct/NAME: its hello and the mount point */
        snprintf(p, sizeof p, "%s: ls / ->", who[i]);
        cr_assert_eq(fs_line(out, p, t, sizeof t), 2, "%s", out);
        cr_assert(names_hold(t, "hello") && names_hold(t, "shared") && !names_hold(t, "ct"), "%s", t);
        snprintf(p, sizeof p, "%s: cat /hello ->", who[i]);
        int len = fs_line(out, p, t, sizeof t);
        char want[64];
        snprintf(want, sizeof want, "I am container %s", who[i]);
        cr_assert_str_eq(t, want);
        cr_assert_eq(len, (int)strlen(want));
        /* the host's paths name nothing inside: neither its own file by
         * the host's name for it, nor the other container's */
        for (int j = 0; j < 2; j++) {
            snprintf(p, sizeof p, "%s: cat /ct/%s/hello ->", who[i], who[j]);
            cr_assert_eq(fs_line(out, p, t, sizeof t), -1, "%s", out);
        }
        snprintf(p, sizeof p, "host: container %s (root /ct/%s) exited with ", who[i], who[i]);
        cr_assert_eq(atoi(must_line(out, p) + strlen(p)), 0, "%s", out);
    }
    free(out);
}

Test(containers, a_bind_mount_shares_a_directory_between_containers)
{
    char *out = run_ok("run mounts");
    char t[128];
    /* a finds the host's board in /shared, and leaves a file there ... */
    cr_assert_eq(fs_line(out, "a: ls /shared ->", t, sizeof t), 1);
    cr_assert_str_eq(t, "board");
    const char *w = "a: writefile /shared/from-a -> ";
    cr_assert_eq(atoi(must_line(out, w) + strlen(w)), (int)strlen("left by container a"));
    /* ... which b, in another container, sees in its /shared */
    cr_assert_eq(fs_line(out, "b: ls /shared ->", t, sizeof t), 2);
    cr_assert(names_hold(t, "from-a") && !names_hold(t, "from-b"), "%s", t);
    /* the host sees both containers' files, in its own tree */
    cr_assert_eq(fs_line(out, "host: ls /shared ->", t, sizeof t), 3);
    cr_assert(names_hold(t, "board") && names_hold(t, "from-a") && names_hold(t, "from-b"), "%s", t);
    fs_line(out, "host: cat /shared/from-b ->", t, sizeof t);
    cr_assert_str_eq(t, "left by container b");
    cr_assert_eq(fs_line(out, "host: ls /ct/b ->", t, sizeof t), 2);
    cr_assert(names_hold(t, "hello"), "%s", t);
    /* and the mounts were the containers' own: on the host /ct/a/shared is
     * the empty directory it made */
    cr_assert_eq(fs_line(out, "host: ls /ct/a/shared ->", t, sizeof t), 0, "%s", out);
    free(out);
}

/* ---- isolation: a container tries to get out (`ringsim run escape`) ------------------ */

Test(containers, a_container_cannot_reach_processes_queues_or_files_outside)
{
    char *out = run_ok("run escape");
    struct view v = view_of(must_line(out, "escape: pid "));
    cr_assert_eq(v.pid, 1);
    cr_assert_eq(v.parent, 0);
    cr_assert_eq(v.npids, 1, "it sees itself only: %s", out);
    int found;
    cr_assert_eq(sscanf(must_line(out, "escape: kill(2..16) found "), "escape: kill(2..16) found %d", &found), 1);
    cr_assert_eq(found, 0, "no kill reached a process outside: %s", out);
    /* the host's queue: another queue by key, no words by any id */
    int hostq, hostmsg, id, words;
    cr_assert_eq(sscanf(must_line(out, "host: queue "), "host: queue %d holds %d", &hostq, &hostmsg), 2);
    cr_assert_eq(sscanf(must_line(out, "escape: msgget(42) = "),
                        "escape: msgget(42) = %d, a queue of its own; msgrcv of ids 0..3 read %d words", &id, &words),
                 2);
    cr_assert_eq(words, 0, "it read nothing of the host's: %s", out);
    int left;
    char p[64];
    snprintf(p, sizeof p, "host: msgrcv(%d) = ", hostq);
    cr_assert_eq(sscanf(must_line(out, p) + strlen(p), "%d", &left), 1);
    cr_assert_eq(left, hostmsg, "the host's message is still in its queue");
    /* another container's file: not to be named, read or written */
    char t[128];
    cr_assert_eq(fs_line(out, "escape: cat /ct/b/secret ->", t, sizeof t), -1);
    cr_assert_eq(fs_line(out, "escape: cat /secret ->", t, sizeof t), -1);
    const char *w = "escape: writefile /ct/b/secret -> ";
    cr_assert_eq(atoi(must_line(out, w) + strlen(w)), -1, "%s", out);
    cr_assert_eq(fs_line(out, "host: cat /ct/b/secret ->", t, sizeof t), 10);
    cr_assert_str_eq(t, "b's secret");
    free(out);
}

Test(containers, a_containers_root_has_no_power_outside_it)
{
    char *out = run_ok("run escape");
    int uid, setns, cgc, cgs, setuid;
    cr_assert_eq(sscanf(must_line(out, "escape: uid "),
                        "escape: uid %d; setns(1) -> %d, cgroup_create -> %d, cgroup_set(pids.max 0) -> %d, "
                        "setuid(1000) -> %d",
                        &uid, &setns, &cgc, &cgs, &setuid),
                 5);
    cr_assert_eq(uid, 0, "it is root of its user namespace");
    cr_assert_eq(setns, -2, "joining the host's namespaces needs root of the machine");
    cr_assert_eq(cgc, -2);
    cr_assert_eq(cgs, -2, "it cannot lift its own limit");
    cr_assert_eq(setuid, -1, "uid 1000 is not mapped in its namespace");
    /* what it does own, it may change: its own mount namespace */
    int mnt, pivot;
    cr_assert_eq(sscanf(must_line(out, "escape: in its own mount namespace: "),
                        "escape: in its own mount namespace: mount -> %d, pivot_root -> %d", &mnt, &pivot),
                 2);
    cr_assert_eq(mnt, 0);
    cr_assert_eq(pivot, 0);
    /* and none of it changed the host's view */
    struct view host = view_of(must_line(out, "host: pid 1,"));
    cr_assert_str_eq(host.host, "ringsim");
    free(out);
}

Test(containers, a_container_cannot_exceed_its_cgroups_limits)
{
    char *out = run_ok("run escape");
    int group, pids, memory;
    cr_assert_eq(sscanf(must_line(out, "host: queue "), "host: queue %*d holds %*d; cgroup %d: pids.max %d, memory.max %d",
                        &group, &pids, &memory),
                 3);
    int spawn, mapped, pages, max, g;
    cr_assert_eq(sscanf(must_line(out, "escape: spawn -> "),
                        "escape: spawn -> %d; map refused after %d pages: %d of memory.max %d in cgroup %d", &spawn,
                        &mapped, &pages, &max, &g),
                 5);
    cr_assert_eq(g, group);
    cr_assert_eq(spawn, -1, "the runtime and its PID 1 are pids.max %d processes", pids);
    cr_assert_eq(max, memory);
    cr_assert_eq(pages, memory, "map stopped exactly at the limit");
    cr_assert_gt(mapped, 0, "it could map up to it");
    int after_pages, after_procs;
    char p[64];
    snprintf(p, sizeof p, "host: cgroup %d after the container: ", group);
    cr_assert_eq(sscanf(must_line(out, p) + strlen(p), "%d pages, %d processes", &after_pages, &after_procs), 2);
    cr_assert_eq(after_pages, 0);
    cr_assert_eq(after_procs, 0);
    free(out);
}

/* ---- every workload, natively and under every technique ---------------------------- */

static const struct {
    const char *workload, *mode;
} modes[] = {
    {"containers", "--mode te --isa strict"}, {"containers", "--mode bt"}, {"containers", "--mode hw"},
    {"containers", "--mode pv"},              {"containers", "--mode hw --mmu shadow --levels 4"},
    {"forkbomb", "--mode te --isa strict"},   {"forkbomb", "--mode bt"},   {"forkbomb", "--mode hw"},
    {"forkbomb", "--mode pv"},                {"forkbomb", "--mode hw --mmu shadow --levels 4"},
    {"memhog", "--mode te --isa strict"},     {"memhog", "--mode bt"},     {"memhog", "--mode hw"},
    {"memhog", "--mode pv"},                  {"memhog", "--mode hw --mmu shadow --levels 4"},
    {"ipc", "--mode te --isa strict"},        {"ipc", "--mode bt"},        {"ipc", "--mode hw"},
    {"ipc", "--mode pv"},                     {"ipc", "--mode hw --mmu shadow --levels 4"},
    {"mounts", "--mode te --isa strict"},     {"mounts", "--mode bt"},     {"mounts", "--mode hw"},
    {"mounts", "--mode pv"},                  {"mounts", "--mode hw --mmu shadow --levels 4"},
    {"escape", "--mode te --isa strict"},     {"escape", "--mode bt"},     {"escape", "--mode hw"},
    {"escape", "--mode pv"},                  {"escape", "--mode hw --mmu shadow --levels 4"},
};
#define NMODES (sizeof modes / sizeof modes[0])

ROW_PARAMETERS(containers, each_workload_prints_the_same_in_every_mode, NMODES)

ParameterizedTest(size_t *row, containers, each_workload_prints_the_same_in_every_mode)
{
    char a[256];
    snprintf(a, sizeof a, "run %s --isa strict", modes[*row].workload);
    char *native = run_ok(a);
    snprintf(a, sizeof a, "run %s --isa strict %s", modes[*row].workload, modes[*row].mode);
    char *virt = run_ok(a);
    cr_assert_str_eq(virt, native, "%s: under '%s' the guest printed\n%s\nnatively\n%s", modes[*row].workload,
                     modes[*row].mode, virt, native);
    cr_assert_gt(strlen(native), 100, "%s printed its report: %s", modes[*row].workload, native);
    free(native);
    free(virt);
}

Test(containers, trap_and_emulate_on_the_classic_isa_adds_only_the_red_pills)
{
    const char *w[] = {"containers", "forkbomb", "memhog", "mounts", "escape"};
    for (int i = 0; i < 5; i++) {
        char a[128];
        snprintf(a, sizeof a, "run %s", w[i]);
        char *native = run_ok(a);
        snprintf(a, sizeof a, "run %s --mode te", w[i]);
        char *te = run_ok(a);
        cr_assert(strstr(te, "RED PILL: smsw"), "%s", te);
        /* drop the red-pill lines: the rest is the native output */
        char *rest = strdup(te), *o = rest;
        for (const char *l = te; *l;) {
            const char *nl = strchr(l, '\n');
            size_t len = nl ? (size_t)(nl - l) + 1 : strlen(l);
            if (strncmp(l, "RED PILL: ", 10) != 0) {
                memcpy(o, l, len);
                o += len;
            }
            l += len;
        }
        *o = '\0';
        cr_assert_str_eq(rest, native, "%s", w[i]);
        free(native);
        free(te);
        free(rest);
    }
}

/* ---- PID namespaces ---------------------------------------------------------------- */

Test(containers, a_containers_first_process_is_pid_1_inside_and_another_pid_outside)
{
    char *out = run_ok("run containers");
    struct view alpha = view_of(must_line(out, "alpha: pid 1,"));
    cr_assert_eq(alpha.parent, 0, "its parent lives outside its namespace");
    int outside, code;
    cr_assert_eq(sscanf(must_line(out, "host: container alpha's PID 1 was pid "),
                        "host: container alpha's PID 1 was pid %d here; it exited with %d", &outside, &code),
                 2);
    cr_assert_gt(outside, 1, "outside it has a pid of the host's: %d", outside);
    cr_assert_eq(code, 0);
    /* its child: pid 2 inside, its parent PID 1 */
    struct view child = view_of(must_line(out, "alpha: pid 2,"));
    cr_assert_eq(child.parent, 1);
    cr_assert(view_sees(&child, 1) && view_sees(&child, 2) && child.npids == 2, "%s", out);
    free(out);
}

Test(containers, getpid_answers_in_the_callers_namespace)
{
    char *out = run_ok("run containers");
    /* a process put in beta's namespace with setns is pid 2 there, and the
     * host knows it by another pid */
    struct view b = view_of(must_line(out, "beta: pid "));
    int outside;
    cr_assert_eq(sscanf(must_line(out, "host: a process run inside beta"),
                        "host: a process run inside beta (as nsenter does) was pid %d here", &outside),
                 1);
    cr_assert_eq(b.pid, 2, "beta's PID 1 came first: %s", out);
    cr_assert_neq(outside, b.pid);
    cr_assert(view_sees(&b, 1) && b.npids == 2, "it sees beta's PID 1 and itself: %s", out);
    cr_assert_eq(b.parent, 0, "its parent (the one that joined) is outside");
    free(out);
}

Test(containers, a_process_in_a_container_cannot_see_or_kill_one_outside)
{
    char *out = run_ok("run containers");
    int beta;
    cr_assert_eq(sscanf(must_line(out, "host: started container beta;"),
                        "host: started container beta; its PID 1 is pid %d here", &beta),
                 1);
    /* alpha cannot see beta's PID 1 ... */
    struct view alpha = view_of(must_line(out, "alpha: pid 1,"));
    cr_assert_not(view_sees(&alpha, beta), "%s", out);
    /* ... and its kill is refused */
    char want[64];
    int victim, ret;
    snprintf(want, sizeof want, "alpha: kill(%d)", beta);
    cr_assert_eq(sscanf(must_line(out, want), "alpha: kill(%d), beta's PID 1 outside, returns %d", &victim, &ret), 2);
    cr_assert_eq(ret, -1, "refused: %s", out);
    /* while beta was alive all along: the host still sees it, and its kill works */
    const char *after = strstr(out, "host: a process run inside beta");
    cr_assert(after);
    struct view host = view_of(must_line(after, "host: pid 1,"));
    cr_assert(view_sees(&host, beta), "%s", out);
    snprintf(want, sizeof want, "host: kill(%d) stopped container beta: ", beta);
    cr_assert_eq(atoi(must_line(out, want) + strlen(want)), 0, "%s", out);
    /* and the host sees its own processes only after that */
    struct view last = view_of(must_line(strstr(out, want), "host: pid 1,"));
    cr_assert_not(view_sees(&last, beta), "killing beta's PID 1 ended its namespace: %s", out);
    free(out);
}

Test(containers, every_process_sees_itself_and_its_namespaces_pid_1)
{
    char *out = run_ok("run containers");
    int views = 0;
    for (const char *l = out; (l = strstr(l, "sees pids")); l++, views++) {
        const char *start = l;
        while (start > out && start[-1] != '\n') start--;
        struct view v = view_of(start);
        cr_assert(view_sees(&v, v.pid), "%.80s", start);
        cr_assert(view_sees(&v, 1), "%.80s", start);
        if (v.pid == 1) cr_assert_eq(v.parent, 0, "a PID 1's parent is outside: %.80s", start);
    }
    cr_assert_geq(views, 6, "%s", out);
    free(out);
}

/* ---- UTS and user namespaces ----------------------------------------------------------- */

Test(containers, each_uts_namespace_has_its_own_host_name)
{
    char *out = run_ok("run containers");
    const char *names[] = {"host", "alpha", "beta", "gamma"};
    const char *hosts[] = {"ringsim", "alpha", "beta", "gamma"};
    for (int i = 0; i < 4; i++) {
        char p[32];
        snprintf(p, sizeof p, "%s: pid ", names[i]);
        int n = 0;
        for (const char *l = line_starting(out, p); l; l = line_starting(strchr(l, '\n') + 1, p), n++)
            cr_assert_str_eq(view_of(l).host, hosts[i], "%.80s", l);
        cr_assert_geq(n, 1, "%s", names[i]);
    }
    free(out);
}

Test(containers, root_of_a_user_namespace_is_not_root_of_the_machine)
{
    char *out = run_ok("run containers");
    int uid, up, unshare;
    cr_assert_eq(sscanf(must_line(out, "rootless: "), "rootless: uid %d; setuid(0): %d; unshare(CLONE_NEWUTS): %d",
                        &uid, &up, &unshare),
                 3);
    cr_assert_eq(uid, 1000);
    cr_assert_eq(up, -2, "a user cannot become root again (E_PERM)");
    cr_assert_eq(unshare, -2, "nor make a namespace without a user namespace");
    int inside, named, cg;
    cr_assert_eq(sscanf(must_line(out, "gamma: uid "),
                        "gamma: uid %d inside; sethostname: %d; cgroup_create, for root of the machine only: %d",
                        &inside, &named, &cg),
                 3);
    cr_assert_eq(inside, 0, "root inside");
    cr_assert_eq(named, 0, "root of its own UTS namespace");
    cr_assert_eq(cg, -2, "a privileged system call is refused");
    cr_assert_str_eq(view_of(must_line(out, "gamma: pid ")).host, "gamma");
    int code, hostuid;
    cr_assert_eq(sscanf(must_line(out, "host: the rootless container exited with "),
                        "host: the rootless container exited with %d; uid %d here", &code, &hostuid),
                 2);
    cr_assert_eq(code, 0);
    cr_assert_eq(hostuid, 0);
    free(out);
}

/* ---- cgroups: pids and cpu ------------------------------------------------------------ */

/* forkbomb's figures. */
struct bomb {
    int group, cpu, period, pids_max;
    int grew, refused;
    int window, bomb_ticks, neighbour_ticks;
};

static struct bomb bomb_of(const char *out)
{
    struct bomb b;
    cr_assert_eq(sscanf(must_line(out, "forkbomb: cgroup "),
                        "forkbomb: cgroup %d for the bomb: cpu %d ticks in every %d, pids.max %d", &b.group, &b.cpu,
                        &b.period, &b.pids_max),
                 4);
    cr_assert_eq(sscanf(must_line(out, "forkbomb: the bomb grew"),
                        "forkbomb: the bomb grew to %d processes; %d spawns were refused", &b.grew, &b.refused),
                 2);
    cr_assert_eq(sscanf(must_line(out, "forkbomb: while the host slept"),
                        "forkbomb: while the host slept %d ticks, the bomb's cgroup ran %d ticks and the "
                        "neighbour's %d",
                        &b.window, &b.bomb_ticks, &b.neighbour_ticks),
                 3);
    return b;
}

Test(containers, a_pids_limit_stops_a_fork_bomb)
{
    char *out = run_ok("run forkbomb");
    struct bomb b = bomb_of(out);
    cr_assert_gt(b.pids_max, 1);
    cr_assert_eq(b.grew, b.pids_max, "it grew to its limit and no further: %s", out);
    /* each bomb process spawns until a spawn is refused, then stops trying */
    cr_assert_eq(b.refused, b.grew, "one refusal per bomb process: %s", out);
    cr_assert(line_starting(out, "forkbomb: the host can still start a process: it exited with 38\n"),
              "the process table had room for the host (child 5 exits 7 * 5 + 3): %s", out);
    free(out);
}

Test(containers, a_cpu_quota_is_the_share_of_the_processor_a_group_gets)
{
    char *out = run_ok("run forkbomb");
    struct bomb b = bomb_of(out);
    int busy = b.bomb_ticks + b.neighbour_ticks;
    cr_assert_geq(busy, b.window * 9 / 10, "both groups kept the processor busy: %s", out);
    double share = (double)b.bomb_ticks / busy, quota = (double)b.cpu / b.period;
    cr_assert_lt(quota, 0.5);
    cr_assert(share > quota - 0.03 && share < quota + 0.03, "the bomb got %.3f of the processor, its quota %.3f: %s",
              share, quota, out);
    free(out);
}

Test(containers, without_a_cpu_quota_the_bomb_takes_its_groups_shares)
{
    /* the same workload, its bomb's group given no cpu quota (-D FB_CPU=0):
     * its many processes take what its group's shares give it beside the
     * neighbour's group, with as many shares: half, not the 8 of 9 that
     * round robin over processes would give (the stride scheduler, cgroup.s) */
    const char *dir = temp_dir();
    char a[1024], img[256];
    snprintf(img, sizeof img, "%s/forkbomb.img", dir);
    snprintf(a, sizeof a, "asm %s -D FB_CPU=0 -o %s", root_path("guests/forkbomb.s"), img);
    int st;
    char *asm_out = run_out(a, &st);
    cr_assert_eq(st, 0, "%s", asm_out);
    free(asm_out);
    snprintf(a, sizeof a, "run %s", img);
    char *out = run_ok(a);
    struct bomb b = bomb_of(out);
    cr_assert_eq(b.cpu, 0);
    double share = (double)b.bomb_ticks / (b.bomb_ticks + b.neighbour_ticks);
    double fair = 0.5; /* 1024 shares of 2048, however many processes */
    cr_assert(share > fair - 0.03 && share < fair + 0.03, "the bomb got %.3f with %d of %d processes: %s", share,
              b.grew, b.grew + 1, out);
    unlink(img);
    rmdir(dir);
    free(out);
}

Test(containers, killing_a_namespaces_pid_1_ends_every_process_in_it)
{
    char *out = run_ok("run forkbomb");
    int bomb, ret, left;
    cr_assert_eq(sscanf(must_line(out, "forkbomb: kill("),
                        "forkbomb: kill(%d), the bomb's PID 1: %d; processes left in its cgroup: %d", &bomb, &ret, &left),
                 3);
    cr_assert_eq(ret, 0);
    cr_assert_eq(left, 0, "%s", out);
    const char *n = strstr(out, "), the neighbour, still computing: ");
    cr_assert(n, "%s", out);
    cr_assert_eq(atoi(n + strlen("), the neighbour, still computing: ")), 0, "it was alive to the end: %s", out);
    free(out);
}

/* ---- cgroups: memory ------------------------------------------------------------------ */

Test(containers, a_memory_limit_kills_a_process_inside_its_group_only)
{
    char *out = run_ok("run memhog");
    int hog_group, neighbour_group, limit;
    cr_assert_eq(sscanf(must_line(out, "memhog: cgroups "),
                        "memhog: cgroups %d (the hog) and %d (its neighbour), memory.max %d pages each", &hog_group,
                        &neighbour_group, &limit),
                 3);
    int hog, code, g, kills, peak;
    cr_assert_eq(sscanf(must_line(out, "memhog: the hog "),
                        "memhog: the hog (pid %d) exited with %d; cgroup %d: %d out-of-memory kills, peak %d pages",
                        &hog, &code, &g, &kills, &peak),
                 5);
    cr_assert_eq(code, -1, "killed");
    cr_assert_eq(g, hog_group);
    cr_assert_eq(kills, 1);
    cr_assert_eq(peak, limit, "it had exactly its limit when the next page was refused");
    /* the kernel's one kill message names the hog and its group */
    cr_assert_eq(lines_containing(out, " killed: "), 1, "%s", out);
    char want[128];
    snprintf(want, sizeof want, "kernel: pid %d killed: cgroup %d over its limit of %d pages, out of memory at 0x",
             hog, hog_group, limit);
    cr_assert(line_starting(out, want), "%s", out);
    /* the neighbour lost nothing */
    int neighbour, ng, nkills, npeak;
    unsigned sum;
    cr_assert_eq(sscanf(must_line(out, "memhog: the neighbour "),
                        "memhog: the neighbour (pid %d) exited with %x; cgroup %d: %d out-of-memory kills, peak %d "
                        "pages",
                        &neighbour, &sum, &ng, &nkills, &npeak),
                 5);
    cr_assert_eq(ng, neighbour_group);
    cr_assert_eq(nkills, 0);
    cr_assert_lt(npeak, limit);
    /* its pages hold what it wrote: 7i + 1 in page i of 16, FNV-1a a word at a time */
    uint32_t h = 0x811c9dc5u;
    for (uint32_t i = 0; i < 16; i++) h = (h ^ (7 * i + 1)) * 0x01000193u;
    cr_assert_eq(sum, h, "checksum 0x%08x, expected 0x%08x", sum, h);
    cr_assert(line_starting(out, "memhog: pages charged now: 0 and 0\n"), "every page given back: %s", out);
    free(out);
}

/* ---- the option changes nothing for the other workloads ------------------------------- */

/* Replaces each "0x4......." (a user address) in s by "0x4?": the user image
 * is larger with containers, so a user program's addresses move. */
static void mask_user_addresses(char *s)
{
    char *o = s;
    for (const char *p = s; *p;) {
        if (strncmp(p, "0x4", 3) == 0 && strspn(p + 2, "0123456789abcdef") == 8) {
            memcpy(o, "0x4?", 4);
            o += 4;
            p += 10;
        } else
            *o++ = *p++;
    }
    *o = '\0';
}

static const struct {
    const char *workload, *args;
} plain[] = {
    {"syscall", "--args 300"},   {"pgfault", "--args 40"},   {"ptemod", "--args 30"},
    {"ctxswitch", "--args 60"},  {"compute", "--args 3000"}, {"tlbstride", "--args 2"},
    {"forkwait", "--args 6"},    {"kernel", ""},             {"kernel_faults", ""},
};
#define NPLAIN (sizeof plain / sizeof plain[0])

ROW_PARAMETERS(containers, a_workload_prints_the_same_on_a_kernel_with_containers, NPLAIN)

ParameterizedTest(size_t *row, containers, a_workload_prints_the_same_on_a_kernel_with_containers)
{
    const char *dir = temp_dir();
    char a[1024], img[256];
    snprintf(img, sizeof img, "%s/%s.img", dir, plain[*row].workload);
    snprintf(a, sizeof a, "asm %s/%s.s -D CONTAINERS=1 -o %s", root_path("guests"), plain[*row].workload, img);
    int st;
    char *asm_out = run_out(a, &st);
    cr_assert_eq(st, 0, "%s", asm_out);
    free(asm_out);
    snprintf(a, sizeof a, "run %s %s", plain[*row].workload, plain[*row].args);
    char *without = run_ok(a);
    snprintf(a, sizeof a, "run %s %s", img, plain[*row].args);
    char *with = run_ok(a);
    mask_user_addresses(without);
    mask_user_addresses(with);
    cr_assert_str_eq(with, without, "%s", plain[*row].workload);
    unlink(img);
    rmdir(dir);
    free(without);
    free(with);
}
