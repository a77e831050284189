/*
 * test_dot.c — `ringsim dot`: the drawings Graphviz accepts without a
 * warning, one node per table page and one edge per pointer to a lower
 * table (counted here independently, from the machine's memory), every
 * present entry listed, and a walk numbered exactly as the walker made it.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli.h"
#include "hypervisor/hv.h"
#include "tests/helpers.h"

/* ---- helpers --------------------------------------------------------------- */
/* `ringsim dot ARGS` on the bundled kernel; its DOT text (stdout). */
static char *dot_of(const char *args)
{
    char cmd[512], *out, *err;
    snprintf(cmd, sizeof cmd, "dot kernel %s", args);
    int st = run_ringsim(cmd, &out, &err);
    cr_assert_eq(st, 0, "ringsim %s: exit %d: %s", cmd, st, err);
    free(err);
    return out;
}

/* Lays text out with the real `dot -Tsvg`: must succeed with nothing on stderr. */
static void graphviz_accepts(const char *text, const char *what)
{
    const char *dir = temp_dir();
    char in[128], errf[128], cmd[512];
    snprintf(in, sizeof in, "%s/in.dot", dir);
    snprintf(errf, sizeof errf, "%s/err", dir);
    FILE *f = fopen(in, "w");
    cr_assert(f);
    fputs(text, f);
    fclose(f);
    snprintf(cmd, sizeof cmd, "dot -Tsvg '%s' -o /dev/null 2>'%s'", in, errf);
    int st = system(cmd);
    f = fopen(errf, "r");
    char msg[512] = "";
    size_t n = f ? fread(msg, 1, sizeof msg - 1, f) : 0;
    msg[n] = 0;
    if (f) fclose(f);
    unlink(in);
    unlink(errf);
    rmdir(dir);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "dot rejects the drawing of %s", what);
    cr_assert_eq(n, 0, "dot warns about the drawing of %s: %s", what, msg);
}

struct drawn {
    int nodes, edges, mirror_edges;
    long listed;       /* entries covered by the rows (a folded row "12–511" covers 500) */
};

static struct drawn parse(const char *dot)
{
    struct drawn d = {0};
    for (const char *l = dot; *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : l + strlen(l)) {
        unsigned a;
        char c;
        if (sscanf(l, "  %c%8x [label=<", &c, &a) == 2 && strchr("ghs", c) && l[11] == ' ') d.nodes++;
        const char *nl = strchr(l, '\n');
        size_t len = nl ? (size_t)(nl - l) : strlen(l);
        char line[4096];
        snprintf(line, sizeof line, "%.*s", (int)(len < sizeof line ? len : sizeof line - 1), l);
        if (strstr(line, " -> ") && !strstr(line, "//")) {
            if (strstr(line, "dotted")) d.mirror_edges++;
            else d.edges++;
        }
        /* rows: <TD PORT="wN" ALIGN="RIGHT"…>N</TD> or >N&#8211;M</TD> */
        for (const char *p = strstr(line, "<TD PORT=\"w"); p; p = strstr(p + 1, "<TD PORT=\"w")) {
            const char *v = strchr(strstr(p, "ALIGN"), '>') + 1;
            unsigned lo, hi;
            if (sscanf(v, "%u&#8211;%u", &lo, &hi) == 2) d.listed += hi - lo + 1;
            else if (sscanf(v, "%u", &lo) == 1) d.listed++;
        }
    }
    return d;
}

/* The tables as they are in memory, counted without visualise/: pages
 * reachable from the root, present entries, and entries pointing at a
 * lower table. */
struct counted {
    int pages, pointers;
    long present;
    uint32_t seen[4096];
};

static void count_tree(const struct machine *m, uint32_t base, uint32_t table, unsigned level, unsigned levels,
                       struct counted *c)
{
    for (int i = 0; i < c->pages; i++)
        if (c->seen[i] == table) return;
    cr_assert_lt(c->pages, 4096);
    c->seen[c->pages++] = table;
    unsigned bits[MMU_MAX_LEVELS];
    mmu_level_bits(levels, bits);
    for (uint32_t e = 0; e < (1u << bits[level]); e++) {
        uint32_t pte;
        memcpy(&pte, m->mem + base + table + 4 * e, 4);
        if (!(pte & PTE_P)) continue;
        c->present++;
        if (level == levels - 1 || (pte & PTE_L)) continue;
        c->pointers++;
        count_tree(m, base, pte & PTE_FRAME, level + 1, levels, c);
    }
}

/* The kernel run in this process with the options `ringsim dot` is given. */
static struct cli_machine run_kernel(const char *mode, unsigned levels)
{
    struct machine_opts o;
    cli_machine_defaults(&o);
    o.mode = mode;
    o.levels = levels;
    char *img[] = {"kernel"};
    struct cli_machine cm;
    cr_assert(cli_machine_build(&o, img, 1, "test", &cm));
    cm.m->con.out = NULL;
    machine_run(cm.m, 0);
    return cm;
}

/* ---- Graphviz accepts every drawing ---------------------------------------------- */
static void all_accepted(const char *const *variants, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char *dot = dot_of(variants[i]);
        graphviz_accepts(dot, variants[i]);
        free(dot);
    }
}

Test(dot, native_drawings_are_accepted_by_graphviz_without_warnings)
{
    const char *variants[] = {
        "--table guest",
        "--table guest --walk 0x1000",
        "--table guest --walk 0x40000000",       /* a walk that faults at the root */
        "--table guest --levels 4 --walk 0x2000",
        "--table guest --at 3000",               /* paging not on yet: no table */
    };
    all_accepted(variants, sizeof variants / sizeof variants[0]);
}

Test(dot, nested_paging_drawings_are_accepted_by_graphviz_without_warnings)
{
    const char *variants[] = {
        "--table nested --mode hw",
        "--table nested --mode hw --walk 0x1000",
        "--table guest --mode hw --levels 4 --walk 0x1000",
        "--table guest --mode hw --levels 4 --walk 0x1000 --walk-only",
        "--table nested --mode hw --levels 3 --host-large-pages --walk 0x3000",
    };
    all_accepted(variants, sizeof variants / sizeof variants[0]);
}

Test(dot, shadow_paging_drawings_are_accepted_by_graphviz_without_warnings)
{
    const char *variants[] = {
        "--table shadow --mode te",
        "--table shadow --mode te --walk 0x1000",
        "--table shadow --mode bt --walk 0x5000 --at 400000",
        "--table guest --mode te --walk 0x1000",
    };
    all_accepted(variants, sizeof variants / sizeof variants[0]);
}

/* ---- what is drawn is what is in memory ------------------------------------------ */
static void check_counts(const char *args, const char *mode, unsigned levels, bool nested)
{
    char *dot = dot_of(args);
    struct drawn d = parse(dot);
    struct cli_machine cm = run_kernel(mode, levels);
    struct counted *c = calloc(1, sizeof *c);
    if (nested) {
        const struct vmcs *v = &cm.m->vmx.vmcs[0];
        count_tree(cm.m, 0, v->ept_root, 0, v->ept_levels, c);
    } else {
        uint32_t base = cm.hv ? cm.hv->vms[0].base : 0;
        uint32_t ptb = cm.hv ? cm.m->vmx.vmcs[0].cr[CR_PTB] : cm.m->cpu.cr[CR_PTB];
        count_tree(cm.m, base, ptb & PTE_FRAME, 0, levels, c);
    }
    cr_assert_eq(d.nodes, c->pages, "%s: %d nodes drawn, %d table pages in memory", args, d.nodes, c->pages);
    cr_assert_eq(d.edges, c->pointers, "%s: %d edges drawn, %d entries point at tables", args, d.edges,
                 c->pointers);
    cr_assert_eq(d.listed, c->present, "%s: rows list %ld entries, %ld present", args, d.listed, c->present);
    free(c);
    cli_machine_free(&cm);
    free(dot);
}

Test(dot, guest_table_nodes_edges_and_rows_match_the_present_entries)
{
    check_counts("--table guest", "native", 2, false);
    check_counts("--table guest --levels 4", "native", 4, false);
}

Test(dot, guest_table_of_a_vm_is_read_in_its_guest_physical_memory)
{
    check_counts("--table guest --mode hw --levels 3", "hw", 3, false);
}

Test(dot, nested_table_nodes_edges_and_rows_match_the_present_entries)
{
    check_counts("--table nested --mode hw", "hw", 2, true);
    check_counts("--table nested --mode hw --levels 4", "hw", 4, true);
}

/* ---- a walk, numbered as the walker made it ---------------------------------------- */
struct ref { int n; char who[16]; unsigned level, table, index, pte; };

static int parse_refs(const char *dot, struct ref *refs, int max)
{
    int n = 0;
    for (const char *p = strstr(dot, "// walk ref "); p && n < max; p = strstr(p + 1, "// walk ref ")) {
        struct ref *r = &refs[n];
        if (sscanf(p, "// walk ref %d: %15s level %u table 0x%x index %u pte 0x%x", &r->n, r->who, &r->level,
                   &r->table, &r->index, &r->pte) == 6)
            n++;
    }
    return n;
}

static void check_walk(unsigned levels, uint32_t va, int expected)
{
    char args[128];
    snprintf(args, sizeof args, "--table guest --mode hw --levels %u --walk 0x%x", levels, va);
    char *dot = dot_of(args);
    struct ref refs[64];
    int n = parse_refs(dot, refs, 64);
    cr_assert_eq(n, expected, "%u x %u: %d references named, expected (n+1)(m+1)-1 = %d", levels, levels, n,
                 expected);
    /* the walker's own order, from the same machine in this process */
    struct cli_machine cm = run_kernel("hw", levels);
    struct mmu_walk_ctx ctx = mmu_walk_ctx_of(cm.m, cm.m->vmx.vmcs[0].cr, 0);
    struct walk_result rec;
    mmu_probe(&ctx, va, ACC_READ, &rec);
    cr_assert_eq(rec.nrefs, n);
    for (int k = 0; k < n; k++) {
        const struct walk_ref *w = &rec.refs[k];
        cr_assert_eq(refs[k].n, k + 1, "references are numbered in order");
        cr_assert_str_eq(refs[k].who, w->dim == DIM_HOST ? "host" : "guest", "reference %d: which table", k + 1);
        cr_assert_eq(refs[k].level, w->level, "reference %d: level", k + 1);
        cr_assert_eq(refs[k].table, w->table, "reference %d: table", k + 1);
        cr_assert_eq(refs[k].index, w->index, "reference %d: index", k + 1);
        cr_assert_eq(refs[k].pte, w->pte, "reference %d: entry", k + 1);
    }
    /* and every number is shown once, on the entry it read */
    int shown[65] = {0};
    for (const char *p = strstr(dot, "<TD PORT=\"e"); p; p = strstr(p + 1, "<TD PORT=\"e")) {
        const char *b = strstr(p, "<B>"), *end = strstr(p, "</TD>");
        for (const char *q = b ? b + 3 : NULL; q && q < end && *q != '<';) {
            int v = atoi(q);
            cr_assert(v >= 1 && v <= n, "a marked number %d", v);
            shown[v]++;
            q += strcspn(q, ",<");
            if (*q == ',') q += 2;
        }
    }
    for (int k = 1; k <= n; k++) cr_assert_eq(shown[k], 1, "reference %d is marked once on its entry", k);
    cli_machine_free(&cm);
    free(dot);
}

Test(dot, walk_4x4_names_exactly_24_references_in_the_walkers_order)
{
    check_walk(4, 0x1000, 24);
}

Test(dot, walk_2x2_names_exactly_8_references_in_the_walkers_order)
{
    check_walk(2, 0x1000, 8);
}

Test(dot, native_walk_names_one_reference_per_level)
{
    char *dot = dot_of("--table guest --levels 4 --walk 0x1000");
    struct ref refs[8];
    cr_assert_eq(parse_refs(dot, refs, 8), 4);
    free(dot);
}

Test(dot, large_host_pages_shorten_the_2d_walk)
{
    /* 3 levels (8/6/6): a 16 MiB VM at a 4 MiB-aligned base is mapped by
     * 256 KiB host pages, so each host walk stops one level early */
    char *dot = dot_of("--table guest --mode hw --levels 3 --host-large-pages --walk 0x1000");
    struct ref refs[32];
    cr_assert_eq(parse_refs(dot, refs, 32), 4 * 2 + 3);
    cr_assert(strstr(dot, "large page"), "large pages are marked");
    free(dot);
}

/* ---- shadow paging ------------------------------------------------------------------- */
Test(dot, shadow_tables_show_what_they_mirror_and_what_is_not_filled_yet)
{
    char *dot = dot_of("--table shadow --mode te");
    struct drawn d = parse(dot);
    cr_assert(strstr(dot, "shadow L0 table"), "the shadow root is drawn");
    cr_assert(strstr(dot, "guest L0 table"), "beside the guest table it mirrors");
    cr_assert(strstr(dot, "not filled yet"), "entries the guest has and the shadow not yet are shown");
    cr_assert_gt(d.mirror_edges, 0, "each shadow table points at the guest table it mirrors");
    free(dot);
}

Test(dot, shadow_walk_is_the_mmus_and_the_guests_own_is_lettered)
{
    char *dot = dot_of("--table shadow --mode te --walk 0x1000");
    struct ref refs[16];
    int n = parse_refs(dot, refs, 16);
    cr_assert_eq(n, 2, "the MMU walks the 2-level shadow: 2 references (and g1, g2 are not numbered)");
    cr_assert_str_eq(refs[0].who, "shadow");
    cr_assert(strstr(dot, "// walk ref g2: guest level 1"), "the guest's own walk is lettered");
    free(dot);
}

/* ---- refusals, rendering ------------------------------------------------------------- */
Test(dot, a_table_the_machine_does_not_have_is_a_usage_error_with_no_output)
{
    const char *dir = temp_dir();
    char args[256], out[128], *err;
    snprintf(out, sizeof out, "%s/t.dot", dir);
    snprintf(args, sizeof args, "dot kernel --table shadow -o %s", out);
    cr_assert_eq(run_ringsim(args, NULL, &err), EXIT_USAGE);
    cr_assert(strstr(err, "shadow"), "%s", err);
    cr_assert_neq(access(out, F_OK), 0, "no output file");
    free(err);
    snprintf(args, sizeof args, "dot kernel --table nested -o %s", out);
    cr_assert_eq(run_ringsim(args, NULL, &err), EXIT_USAGE);
    cr_assert(strstr(err, "--mode hw"), "%s", err);
    free(err);
    cr_assert_eq(run_ringsim("dot kernel", NULL, &err), EXIT_USAGE, "--table is required");
    free(err);
    rmdir(dir);
}

Test(dot, T_renders_with_graphviz_into_the_output_file)
{
    const char *dir = temp_dir();
    char args[256], svg[128], png[128];
    snprintf(svg, sizeof svg, "%s/t.svg", dir);
    snprintf(png, sizeof png, "%s/t.png", dir);
    snprintf(args, sizeof args, "dot kernel --table guest -T svg -o %s", svg);
    cr_assert_eq(run_ringsim(args, NULL, NULL), 0);
    snprintf(args, sizeof args, "dot kernel --table guest -T png -o %s", png);
    cr_assert_eq(run_ringsim(args, NULL, NULL), 0);
    char head[512] = "";
    FILE *f = fopen(svg, "r");
    cr_assert(f);
    head[fread(head, 1, sizeof head - 1, f)] = 0;
    fclose(f);
    cr_assert(strstr(head, "<svg"), "an SVG file");
    unsigned char magic[8] = {0};
    f = fopen(png, "rb");
    cr_assert(f);
    cr_assert_eq(fread(magic, 1, 8, f), 8);
    fclose(f);
    cr_assert(!memcmp(magic, "\x89PNG\r\n\x1a\n", 8), "a PNG file");
    unlink(svg);
    unlink(png);
    rmdir(dir);
}

/* -o names a picture: Graphviz renders it in the format its extension
 * names; DOT text goes only to .dot, .gv or a name without extension, and
 * any other extension is refused before the run, with nothing written. */
/* `ringsim dot tour --table guest -o DIR/NAME`: its exit status, the path in path. */
static int dot_tour_to(const char *dir, const char *name, char *path, size_t len, char **err)
{
    char args[512];
    snprintf(path, len, "%s/%s", dir, name);
    snprintf(args, sizeof args, "dot tour --table guest -o %s", path);
    return run_ringsim(args, NULL, err);
}

Test(dot, the_output_file_is_rendered_by_its_extension)
{
    const char *dir = temp_dir();
    char path[256], *err;
    cr_assert_eq(dot_tour_to(dir, "t.jpg", path, sizeof path, &err), 0, "%s", err);
    free(err);
    FILE *f = fopen(path, "rb");
    unsigned char magic[3] = {0};
    cr_assert(f && fread(magic, 1, 3, f) == 3);
    fclose(f);
    cr_assert(magic[0] == 0xff && magic[1] == 0xd8 && magic[2] == 0xff, "a JPEG, not DOT text");
    unlink(path);
    cr_assert_eq(dot_tour_to(dir, "t.gv", path, sizeof path, NULL), 0);
    char *text = slurp(path);
    cr_assert(text && strstr(text, "digraph"), "DOT text in a .gv");
    free(text);
    unlink(path);
    cr_assert_eq(dot_tour_to(dir, "t.xyz", path, sizeof path, &err), EXIT_USAGE);
    cr_assert(strstr(err, "no picture format is called '.xyz'"), "%s", err);
    cr_assert_neq(access(path, F_OK), 0, "nothing written");
    free(err);
    cr_assert_eq(dot_tour_to(dir, "missing/t.svg", path, sizeof path, &err), EXIT_USAGE);
    cr_assert(strstr(err, "no such directory"), "%s", err);
    free(err);
    rmdir(dir);
}

/* Every drawing has a key: what the flags, colours and lines mean, and
 * for a paravirtual guest why its tables are read-only to it. */
Test(dot, a_drawing_has_a_key_and_a_paravirtual_one_says_why_its_tables_are_read_only)
{
    char *out;
    cr_assert_eq(run_ringsim("dot kernel --mode pv --table guest --at 2000000", &out, NULL), 0);
    cr_assert(strstr(out, "key [label=<"), "%.300s", out);
    cr_assert(strstr(out, "flags: P present, W writable"), "the flags");
    cr_assert(strstr(out, "paravirtual: the MMU walks the guest's own tables"), "the pv note");
    free(out);
    cr_assert_eq(run_ringsim("dot kernel --mode hw --levels 4 --table guest --walk 0x1000 --walk-only", &out, NULL), 0);
    cr_assert(strstr(out, "splines=line"), "a 2D walk's hops drawn straight");
    int hops = 0;
    for (const char *p = out; (p = strstr(p, "style=dashed")) != NULL; p++) hops++;
    cr_assert_eq(hops, 4, "one hop up to each of the 4 guest tables, not one per reference");
    free(out);
}
