/*
 * test_cli.c — the ringsim program as a user meets it: subcommands, help,
 * exit statuses, the bundled programs, the stats file, profiles.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/helpers.h"

Test(cli, help_lists_every_subcommand_of_the_contract)
{
    char *out;
    cr_assert_eq(run_ringsim("help", &out, NULL), 0);
    const char *cmds[] = {"asm", "disasm", "run", "debug", "compare", "dot"};
    for (int i = 0; i < 6; i++) cr_assert(strstr(out, cmds[i]), "help mentions %s", cmds[i]);
    free(out);
}
Test(cli, each_built_subcommand_has_help)
{
    const char *cmds[] = {"asm", "disasm", "run", "isadoc"};
    for (int i = 0; i < 4; i++) {
        char args[64], *out;
        snprintf(args, sizeof args, "%s --help", cmds[i]);
        cr_assert_eq(run_ringsim(args, &out, NULL), 0, "%s --help", cmds[i]);
        cr_assert(strstr(out, "usage: ringsim"), "%s --help prints usage", cmds[i]);
        free(out);
    }
}
Test(cli, unknown_subcommand_fails)
{
    cr_assert_eq(run_ringsim("frobnicate", NULL, NULL), 2);
}
Test(cli, run_bundled_hello_by_name)
{
    char *out;
    cr_assert_eq(run_ringsim("run hello", &out, NULL), 0);
    cr_assert_str_eq(out, "hello, ring 0\n");
    free(out);
}
Test(cli, tour_drops_to_ring_3_makes_syscalls_and_takes_timer_interrupts)
{
    char *out, *err;
    int st = run_ringsim("run tour", &out, &err);
    cr_assert_str_eq(out, "kernel: booting, dropping to ring 3\n"
                          "user: hello from ring 3\n"
                          "user: the timer ticked 3 times\n"
                          "kernel: protection fault in user mode, program ended\n", "stderr: %s", err);
    cr_assert_eq(st, 3);
    free(out);
    free(err);
}
Test(cli, stats_json_has_the_contract_fields_and_adds_up)
{
    const char *dir = temp_dir();
    char args[256], path[128];
    snprintf(path, sizeof path, "%s/s.json", dir);
    snprintf(args, sizeof args, "run tour --stats %s", path);
    cr_assert_eq(run_ringsim(args, NULL, NULL), 3);
    json_error_t e;
    json_t *o = json_load_file(path, 0, &e);
    cr_assert(o, "stats parse: %s", e.text);
    const char *fields[] = {"mode", "isa", "instructions", "cycles", "cycles_by_cause", "traps", "guest"};
    for (int i = 0; i < 7; i++) cr_assert(json_object_get(o, fields[i]), "field %s", fields[i]);
    json_int_t sum = 0, total = json_integer_value(json_object_get(o, "cycles"));
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(o, "cycles_by_cause"), k, v) sum += json_integer_value(v);
    cr_assert_eq(sum, total);
    json_t *traps = json_object_get(o, "traps");
    cr_assert_geq(json_integer_value(json_object_get(traps, "total")), 7);
    json_t *by = json_object_get(traps, "by_cause");
    cr_assert_geq(json_integer_value(json_object_get(by, "timer")), 3);
    cr_assert_eq(json_integer_value(json_object_get(by, "protection")), 1);
    cr_assert_eq(json_integer_value(json_object_get(json_object_get(o, "guest"), "exit_code")), 3);
    cr_assert_str_eq(json_string_value(json_object_get(o, "isa")), "classic");
    json_decref(o);
    unlink(path);
    rmdir(dir);
}
Test(cli, max_cycles_stops_a_long_run_with_status_124)
{
    char *err;
    cr_assert_eq(run_ringsim("run loop --max-cycles 500", NULL, &err), 124);
    cr_assert(strstr(err, "cycle limit"), "%s", err);
    free(err);
}
Test(cli, asm_error_reports_file_line_column_and_writes_nothing)
{
    const char *dir = temp_dir();
    char src[128], img[128], args[512];
    snprintf(src, sizeof src, "%s/bad.s", dir);
    snprintf(img, sizeof img, "%s/bad.img", dir);
    FILE *f = fopen(src, "w");
    fputs("_start:\n  addi r1, r2\n  frob r1\n", f);
    fclose(f);
    snprintf(args, sizeof args, "asm %s -o %s", src, img);
    char *err;
    cr_assert_eq(run_ringsim(args, NULL, &err), 1);
    cr_assert(strstr(err, "bad.s:2:"), "%s", err);
    cr_assert(strstr(err, "bad.s:3:3: error:"), "%s", err);
    cr_assert(strstr(err, "^"), "a caret under the error");
    cr_assert_neq(access(img, F_OK), 0, "no image left behind");
    free(err);
    unlink(src);
    rmdir(dir);
}
Test(cli, readelf_accepts_our_images)
{
    if (access("/usr/bin/readelf", X_OK) != 0) cr_skip_test("binutils' readelf not installed");
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "readelf -h -l -s '%s' 2>&1 | grep -ciE 'error|warning' || true",
             root_path("build/guests/tour.img"));
    FILE *p = popen(cmd, "r");
    int n = -1;
    cr_assert(fscanf(p, "%d", &n) == 1);
    pclose(p);
    cr_assert_eq(n, 0, "readelf complained");
    snprintf(cmd, sizeof cmd, "readelf -h '%s' >/dev/null", root_path("build/guests/tour.img"));
    cr_assert_eq(system(cmd), 0);
}
Test(cli, disasm_shows_symbols_and_encodings)
{
    char *out;
    cr_assert_eq(run_ringsim("disasm tour", &out, NULL), 0);
    cr_assert(strstr(out, "trap_syscall:"), "labels shown");
    cr_assert(strstr(out, "iret"), "mnemonics shown");
    cr_assert(strstr(out, "mtcr vbr, r1"), "control registers by name");
    free(out);
}
Test(cli, bad_profile_names_file_and_line)
{
    const char *dir = temp_dir();
    char ini[128], args[256];
    snprintf(ini, sizeof ini, "%s/p.ini", dir);
    FILE *f = fopen(ini, "w");
    fputs("[cost]\nmem_ref = 1\nwalk_ref = lots\n", f);
    fclose(f);
    snprintf(args, sizeof args, "run hello --profile %s", ini);
    char *err;
    cr_assert_eq(run_ringsim(args, NULL, &err), 2);
    cr_assert(strstr(err, "p.ini:3:"), "%s", err);
    cr_assert(strstr(err, "whole number"), "%s", err);
    free(err);
    unlink(ini);
    rmdir(dir);
}
Test(cli, profiles_change_the_cost_of_a_run)
{
    const char *dir = temp_dir();
    char a[128], b[128], args[256];
    snprintf(a, sizeof a, "%s/a.json", dir);
    snprintf(b, sizeof b, "%s/b.json", dir);
    snprintf(args, sizeof args, "run tour --profile modern --stats %s", a);
    run_ringsim(args, NULL, NULL);
    snprintf(args, sizeof args, "run tour --profile p4-2006 --stats %s", b);
    run_ringsim(args, NULL, NULL);
    json_t *ja = json_load_file(a, 0, NULL), *jb = json_load_file(b, 0, NULL);
    cr_assert(ja && jb);
    /* the average trap (entry + return) costs more on the 2006 Pentium 4 */
    double ta = (double)json_integer_value(json_object_get(json_object_get(ja, "cycles_by_cause"), "trap")) /
                (double)json_integer_value(json_object_get(json_object_get(ja, "traps"), "total"));
    double tb = (double)json_integer_value(json_object_get(json_object_get(jb, "cycles_by_cause"), "trap")) /
                (double)json_integer_value(json_object_get(json_object_get(jb, "traps"), "total"));
    cr_assert_gt(tb, ta, "traps cost more on the Pentium 4 profile (%.1f vs %.1f)", tb, ta);
    json_decref(ja);
    json_decref(jb);
    unlink(a);
    unlink(b);
    rmdir(dir);
}
Test(cli, malformed_image_is_rejected_clearly)
{
    const char *dir = temp_dir();
    char img[128], args[256];
    snprintf(img, sizeof img, "%s/junk.img", dir);
    FILE *f = fopen(img, "w");
    fputs("this is not an ELF file at all", f);
    fclose(f);
    snprintf(args, sizeof args, "run %s", img);
    char *err;
    cr_assert_eq(run_ringsim(args, NULL, &err), 2);
    cr_assert(strstr(err, "junk.img"), "%s", err);
    free(err);
    unlink(img);
    rmdir(dir);
}

/* ---- saying what was meant --------------------------------------------------------- */
Test(cli, a_mistyped_name_gets_a_suggestion)
{
    static const struct { const char *args, *says; } cases[] = {
        {"run tuor", "ringsim run: tuor: no such file or bundled program; did you mean tour?"},
        {"disasm syscal", "did you mean syscall?"},
        {"rnu tour", "ringsim: unknown command 'rnu'; did you mean run?"},
        {"run tour --tarce trap", "ringsim run: did you mean --trace?"},
        {"run tour --max-cylces 5", "ringsim run: did you mean --max-cycles?"},
        {"dot kernel --tabel guest", "ringsim dot: did you mean --table?"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *err;
        cr_assert_eq(run_ringsim(cases[i].args, NULL, &err), 2, "%s", cases[i].args);
        cr_assert(strstr(err, cases[i].says), "%s: %s", cases[i].args, err);
        free(err);
    }
    char *err;
    cr_assert_eq(run_ringsim("run qqqqqqqq", NULL, &err), 2);
    cr_assert(!strstr(err, "did you mean"), "nothing near enough, nothing offered: %s", err);
    free(err);
}

/* ---- --args: a workload's iteration count ------------------------------------------ */
Test(cli, args_that_are_not_a_count_are_refused_for_a_workload)
{
    char *out, *err;
    cr_assert_eq(run_ringsim("run syscall --args abc", &out, &err), 2);
    cr_assert(strstr(err, "ringsim run: --args 'abc': syscall reads it as its iteration count (u_count): "
                          "expected a number, 0 to 4294967295"), "%s", err);
    cr_assert_str_empty(out, "refused before it runs");
    free(out), free(err);
    cr_assert_eq(run_ringsim("run syscall --args 5000000000", NULL, &err), 2, "it would wrap in 32 bits");
    free(err);
    cr_assert_eq(run_ringsim("run syscall --args 3 --mode pv", &out, NULL), 0);
    cr_assert(strstr(out, "syscall: 3 iterations"), "%s", out);
    free(out);
    /* a guest that reads its boot parameter as text still gets text */
    cr_assert_eq(run_ringsim("run tour --args hello", &out, NULL), 3);
    free(out);
}

/* ---- --stats FILE: checked before the run -------------------------------------------- */
Test(cli, a_stats_file_that_cannot_be_written_fails_before_the_run)
{
    char *out, *err;
    cr_assert_eq(run_ringsim("run syscall --stats /nonexistent/dir/s.json", &out, &err), 2);
    cr_assert(strstr(err, "ringsim run: --stats /nonexistent/dir/s.json: no such directory /nonexistent/dir"), "%s",
              err);
    cr_assert_str_empty(out, "the guest never ran: %s", out);
    free(out), free(err);
    const char *dir = temp_dir();
    char args[256];
    snprintf(args, sizeof args, "run syscall --args 2 --stats %s", dir);
    cr_assert_eq(run_ringsim(args, &out, &err), 2);
    cr_assert(strstr(err, "is a directory"), "%s", err);
    cr_assert_str_empty(out);
    free(out), free(err);
    rmdir(dir);
}

/* ---- the repository stands on its own ------------------------------------------------ */
/* No file points at a document that is not in the tree (the brief the first
 * version was built from lived outside it), and Markdown links resolve. */
Test(cli, documents_point_only_at_files_in_the_tree)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "cd '%s' && grep -rIl --exclude-dir=build --exclude-dir=.git --exclude-dir=report "
                              "'BRIEF[.]md' . 2>/dev/null", root_path("."));
    FILE *p = popen(cmd, "r");
    cr_assert(p);
    char line[512] = "";
    bool found = fgets(line, sizeof line, p) != NULL;
    pclose(p);
    cr_assert(!found, "%s names a file that is not in the repository", line);
    static const char *const docs[] = {"README.md", "docs/debugger.md", "guests/README.md", "labs/README.md"};
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
        char *text = slurp(root_path(docs[i]));
        cr_assert(text, "%s", docs[i]);
        /* [text](target): relative targets exist, beside the document */
        for (const char *l = text; (l = strstr(l, "](")) != NULL; l += 2) {
            size_t n = strcspn(l + 2, ")# ");
            if (!n || !strncmp(l + 2, "http", 4)) continue;
            char rel[512], dirpart[256];
            snprintf(dirpart, sizeof dirpart, "%s", docs[i]);
            char *slash = strrchr(dirpart, '/');
            if (slash) slash[1] = 0;
            else dirpart[0] = 0;
            snprintf(rel, sizeof rel, "%s%.*s", dirpart, (int)n, l + 2);
            cr_assert_eq(access(root_path(rel), F_OK), 0, "%s links to %s, which is not in the tree", docs[i], rel);
        }
        free(text);
    }
}
