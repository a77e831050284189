/*
 * test_labs.c — the labs (labs/README.md): the reference tree scores full
 * marks in every lab, and each lab's starting tree (labs/mklab) has its
 * solution taken out, still builds, and does not.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "tests/helpers.h"

static const char *const lab_names[] = {"te", "shadow", "pv", "pgfault"};
#define NLABS (sizeof lab_names / sizeof lab_names[0])

/* Runs a shell command; returns its exit status, its output in *out. */
static int shell(const char *cmd, char **out)
{
    const char *dir = temp_dir();
    char full[4096], path[256];
    snprintf(path, sizeof path, "%s/out.txt", dir);
    snprintf(full, sizeof full, "( %s ) >%s 2>&1", cmd, path);
    int st = system(full);
    *out = slurp(path);
    cr_assert(*out);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The score the grader printed for lab: got/total; false if absent. */
static bool score_of(const char *out, const char *lab, int *got, int *total)
{
    char key[64];
    snprintf(key, sizeof key, "Score (%s): ", lab);
    const char *p = strstr(out, key);
    return p && sscanf(p + strlen(key), "%d/%d", got, total) == 2;
}

Test(labs, the_reference_tree_scores_full_marks_in_every_lab, .timeout = 300)
{
    char cmd[1024], *out;
    snprintf(cmd, sizeof cmd, "sh '%s'", root_path("labs/grade.sh"));
    int st = shell(cmd, &out);
    cr_assert_eq(st, 0, "%s", out);
    for (size_t i = 0; i < NLABS; i++) {
        int got, total;
        cr_assert(score_of(out, lab_names[i], &got, &total), "no score for %s:\n%s", lab_names[i], out);
        cr_assert_gt(total, 0);
        cr_assert_eq(got, total, "%s:\n%s", lab_names[i], out);
    }
    cr_assert_null(strstr(out, "FAIL"), "%s", out);
    free(out);
}

Test(labs, each_starting_tree_builds_and_fails_its_lab, .timeout = 600)
{
    /* what the solution says, which the starting tree must not */
    static const char *const solution[][2] = {
        {"hypervisor/te.c", "case OP_CLI:"},
        {"hypervisor/shadow.c", "bool writable = w && (gl & PTE_D) && !table;"},
        {"hypervisor/pv.c", "maps a frame outside the VM"},
        {"guests/kernel/trap.s", "call    demand_map"},
    };
    for (size_t i = 0; i < NLABS; i++) {
        const char *dir = temp_dir();
        char tree[512], cmd[2048], *out;
        snprintf(tree, sizeof tree, "%s/%s", dir, lab_names[i]);
        snprintf(cmd, sizeof cmd, "'%s' %s '%s'", root_path("labs/mklab"), lab_names[i], tree);
        cr_assert_eq(shell(cmd, &out), 0, "%s", out);
        free(out);
        char file[640];
        snprintf(file, sizeof file, "%s/%s", tree, solution[i][0]);
        char *src = slurp(file);
        cr_assert(src, "%s", file);
        cr_assert_null(strstr(src, solution[i][1]), "%s still holds the solution", file);
        char mark[64];
        snprintf(mark, sizeof mark, "LAB %s: ", lab_names[i]);
        cr_assert(strstr(src, mark), "%s says where to write: %s", file, mark);
        free(src);
        if (i == 0) {
            /* the other labs' solutions stay in the tree */
            snprintf(file, sizeof file, "%s/hypervisor/shadow.c", tree);
            src = slurp(file);
            cr_assert(src && strstr(src, "LAB(shadow) BEGIN") && strstr(src, "*gfault = SHADOW_TRACE;"));
            free(src);
        }
        /* it builds as it stands, and its lab fails; the build is the
         * student's: its own ringsim and guests */
        snprintf(cmd, sizeof cmd,
                 "cd '%s' && make -j2 OPT=-O0 all >build.log 2>&1 || { cat build.log; exit 99; }; "
                 "RINGSIM_BIN='%s/ringsim' RINGSIM_GUESTS='%s/build/guests' sh labs/grade.sh %s",
                 tree, tree, tree, lab_names[i]);
        int st = shell(cmd, &out);
        cr_assert_neq(st, 99, "the starting tree of %s does not build:\n%s", lab_names[i], out);
        cr_assert_eq(st, 1, "%s: the grader should fail it:\n%s", lab_names[i], out);
        int got, total;
        cr_assert(score_of(out, lab_names[i], &got, &total), "%s", out);
        cr_assert_lt(got, total, "%s:\n%s", lab_names[i], out);
        free(out);
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tree);
        cr_assert_eq(system(cmd), 0);
    }
}

Test(labs, mklab_refuses_clearly)
{
    char cmd[1024], *out;
    snprintf(cmd, sizeof cmd, "'%s' nosuchlab %s/x", root_path("labs/mklab"), temp_dir());
    cr_assert_eq(shell(cmd, &out), 2);
    cr_assert(strstr(out, "no lab 'nosuchlab'"), "%s", out);
    free(out);
    snprintf(cmd, sizeof cmd, "'%s' te %s", root_path("labs/mklab"), temp_dir());
    cr_assert_eq(shell(cmd, &out), 2, "an existing directory is never overwritten: %s", out);
    cr_assert(strstr(out, "exists"), "%s", out);
    free(out);
    snprintf(cmd, sizeof cmd, "sh '%s' nosuchlab", root_path("labs/grade.sh"));
    cr_assert_eq(shell(cmd, &out), 2);
    cr_assert(strstr(out, "no lab 'nosuchlab'"), "%s", out);
    free(out);
}
