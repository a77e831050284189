/*
 * fuzz_debugger.c — the debugger's command language on any script (fuzz.h
 * says how it runs).
 *
 * A session as `ringsim debug syscall --batch SCRIPT` has it: the bundled
 * kernel on a small machine (1 MiB, natively; `#!hw` or `#!te` as the first
 * line runs it under the hypervisor instead), and each line of the input
 * one command, as line mode runs them.  Whatever the lines: an answer or
 * an error message, never a crash, a hang or a leak.  The machine stops at
 * a few tens of thousands of cycles and a script has at most 64 commands,
 * so that running, reverse execution and goto stay quick.  `dot`, which
 * writes files and runs Graphviz, is left out; its tables are drawn in
 * memory instead, after the script.
 */
#include "tests/fuzz/fuzz.h"

#include "cli/cli.h"
#include "visualise/visualise.h"

#define FUZZ_DBG_COMMANDS 64
#define FUZZ_DBG_CYCLES   40000

static bool fuzz_dbg_is_dot(const char *line)
{
    while (*line == ' ' || *line == '\t') line++;
    return strncmp(line, "dot", 3) == 0 && (!line[3] || strchr(" \t\r\n", line[3]));
}

static void fuzz_debugger(const uint8_t *data, size_t size)
{
    char img[4096];
    fuzz_find_bundled();
    if (!cli_resolve_image("syscall", img, sizeof img)) return; /* the guests are not built */
    char *text = fuzz_string(data, size);
    struct machine_opts o;
    cli_machine_defaults(&o);
    o.memsize = 1u << 20;
    o.max_cycles = FUZZ_DBG_CYCLES;
    o.args = "3";
    if (!strncmp(text, "#!hw", 4)) o.mode = "hw";
    else if (!strncmp(text, "#!te", 4)) o.mode = "te";
    char *images[] = {img, NULL};
    struct cli_machine cm;
    FUZZ_CHECK(cli_machine_build(&o, images, 1, "fuzz", &cm));
    cm.m->con.out = fuzz_devnull();
    struct isa_image syms;
    char err[512];
    FUZZ_CHECK(isa_image_load(cm.image0, &syms, err, sizeof err));
    struct vis_dbg *d = vis_dbg_new(cm.m, cm.hv, &syms, fuzz_devnull(), fuzz_devnull());
    FUZZ_CHECK(d);
    int n = 0;
    for (char *line = text, *next; line && n < FUZZ_DBG_COMMANDS; line = next) {
        next = strchr(line, '\n');
        if (next) *next++ = 0;
        if (fuzz_dbg_is_dot(line)) continue;
        n++;
        int rc = vis_dbg_command(d, line);
        FUZZ_CHECK(rc == VIS_DBG_OK || rc == VIS_DBG_ERROR || rc == VIS_DBG_QUIT);
        if (rc == VIS_DBG_QUIT) break;
    }
    static const enum vis_table tables[] = {VIS_TABLE_GUEST, VIS_TABLE_SHADOW, VIS_TABLE_NESTED};
    for (int t = 0; t < 3; t++) {
        struct vis_dot_request req = {.table = tables[t], .walk = true, .walk_vaddr = cm.m->cpu.pc};
        free(vis_dot_tables(cm.m, &req, err, sizeof err));
    }
    vis_dbg_free(d);
    isa_image_free(&syms);
    cli_machine_free(&cm);
    free(text);
}

#ifndef FUZZ_REPLAY
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_debugger(data, size);
    return 0;
}
#endif
