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

static const char *const lab_names[] = {"te", "shadow", "pv", "pgfault", "bt", "nested", "measure", "cgquota", "pvbatch",
                                         "migrate", "iommu"};
#define NLABS (sizeof lab_names / sizeof lab_names[0])

/* Runs a shell command; returns its exit status, its output in *out. */
static int shell(const char *cmd, char **out)
{
    const char *dir = temp_dir();
    char full[8192], path[256];
    snprintf(path, sizeof path, "%s/out.txt", dir);
    snprintf(full, sizeof full, "( %s ) >%s 2>&1", cmd, path);
    int st = system(full);
    *out = slurp(path);
    cr_assert(*out);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Runs a shell script whose steps each `exit N` on failure: passes when it
 * exits 0, else says which step failed, with the script's output. */
static void steps_pass(const char *cmd)
{
    char *out;
    int st = shell(cmd, &out);
    cr_assert_eq(st, 0, "step %d failed:\n%s", st, out);
    free(out);
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
    int got, total;
    const char *all = strstr(out, "\nScore: ");
    cr_assert(all && sscanf(all, "\nScore: %d/%d", &got, &total) == 2 && got == total, "%s", out);
    free(out);
}

/* The checks a starting tree passes as it stands: those that only guard
 * against a solution doing too much (pv: refusing the real kernel's
 * updates; nested: a page-walk cache that serves another address space).  Every other check needs the student's work. */
static const char *const passes_without_work[][4] = {
    {"te"}, {"shadow"},
    {"pv", "syscall under pv prints what bare metal prints", "forkwait under pv, 4 levels",
     "no update of the real kernel is refused"},
    {"pgfault"},
    {"bt"},
    {"nested", "ctxswitch with a page-walk cache prints what it prints without"},
    {"measure"},
    {"cgquota", "a group without a quota is never throttled"},
    {"pvbatch"},
    {"migrate"},
    {"iommu"},
};

/* Whether the grader's output has check what as passed (OK). */
static bool check_passed(const char *out, const char *what)
{
    char line[256];
    snprintf(line, sizeof line, "  %s ", what);
    const char *p = strstr(out, line);
    cr_assert(p, "no check '%s' in:\n%s", what, out);
    const char *eol = strchr(p, '\n');
    const char *ok = strstr(p, " OK   (");
    return ok && (!eol || ok < eol);
}

Test(labs, each_starting_tree_builds_and_fails_its_lab, .timeout = 1000)
{
    /* what the solution says, which the starting tree must not */
    static const char *const solution[][2] = {
        {"hypervisor/te.c", "case OP_CLI:"},
        {"hypervisor/shadow.c", "bool writable = w && (gl & PTE_D) && !table;"},
        {"hypervisor/pv.c", "maps a frame outside the VM"},
        {"guests/kernel/trap.s", "call    demand_map"},
        {"cpu/decode.c", "if (p->cold[j].ends_block) break;"},
        {"mmu/mmu.c", "if (!below(k, epa, ACC_READ, &h)) return false;"},
        {"labs/measure/answers.txt", "forkwait_slowest_mode = bt+shadow"},
        {"guests/kernel/cgroup.s", "sw      r4, CG_USED(r3)"},
        {"guests/kernel/pv.s", "HYPERCALL HC_MMU_UPDATE"},
        {"labs/migrate/answers.txt", "rate4_link2_rounds = 5"},
        {"cpu/iommu.c", "if (ok && r.pa >= m->memsize) ok = false;"},
    };
    /* One build of this tree (as the wrong solutions' test makes it), its
     * objects then copied into each starting tree: make recompiles what
     * mklab changed (newer than the objects; the .d files name headers by
     * relative path) and relinks, as it would in a fresh build, instead of
     * nine whole builds. */
    const char *base_dir = temp_dir();
    char base[512], bcmd[4096], *bout;
    snprintf(base, sizeof base, "%s/base", base_dir);
    snprintf(bcmd, sizeof bcmd,
             "cd '%s' && mkdir '%s' && { git ls-files -z --cached --others --exclude-standard 2>/dev/null "
             "|| find . -type f ! -path './build/*' ! -name ringsim -print0; } | xargs -0 tar cf - | (cd '%s' && tar xf -) "
             "&& make -C '%s' -j2 OPT=-O0 all build/obj/tests/test_labs.o >'%s.log' 2>&1 || { cat '%s.log'; exit 99; }",
             root_path("."), base, base, base, base, base);
    cr_assert_eq(shell(bcmd, &bout), 0, "the copy of this tree does not build:\n%s", bout);
    free(bout);
    for (size_t i = 0; i < NLABS; i++) {
        const char *dir = temp_dir();
        char tree[512], cmd[4096], *out;
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
        /* nothing else is touched: the same words in a test, a handout or
         * a string are no marker */
        snprintf(cmd, sizeof cmd,
                 "cd '%s' && for f in $(git ls-files 2>/dev/null || find . -type f ! -path './build/*'); do "
                 "case $f in '%s'|tests/labs/wrong/%s/*|labs/%s/hidden/*) continue ;; esac; "
                 "cmp -s \"$f\" '%s'/\"$f\" || echo \"changed: $f\"; done; "
                 "[ ! -e '%s/tests/labs/wrong/%s' ] || echo 'the wrong solutions, near-solutions, are in it'",
                 root_path("."), solution[i][0], lab_names[i], lab_names[i], tree, tree, lab_names[i]);
        cr_assert_eq(shell(cmd, &out), 0);
        cr_assert_str_empty(out, "labs/mklab %s changed more than %s:\n%s", lab_names[i], solution[i][0], out);
        free(out);
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
                 "cp -a '%s/build' '%s/build' && cd '%s' && "
                 "make -j2 OPT=-O0 all build/obj/tests/test_labs.o >build.log 2>&1 || { cat build.log; exit 99; }; "
                 "RINGSIM_BIN='%s/ringsim' RINGSIM_GUESTS='%s/build/guests' sh labs/grade.sh %s",
                 base, tree, tree, tree, tree, lab_names[i]);
        int st = shell(cmd, &out);
        cr_assert_neq(st, 99, "the starting tree of %s does not build:\n%s", lab_names[i], out);
        /* the file mklab changed was compiled in the starting tree itself */
        size_t len = strlen(solution[i][0]);
        if (len > 2 && !strcmp(solution[i][0] + len - 2, ".c")) {
            char log[640], needle[128];
            snprintf(log, sizeof log, "%s/build.log", tree);
            snprintf(needle, sizeof needle, " -c %s ", solution[i][0]);
            char *built = slurp(log);
            cr_assert(built && strstr(built, needle), "%s was not recompiled:\n%s", solution[i][0], built);
            free(built);
        }
        cr_assert_eq(st, 1, "%s: the grader should fail it:\n%s", lab_names[i], out);
        int got, total;
        cr_assert(score_of(out, lab_names[i], &got, &total), "%s", out);
        cr_assert_lt(got, total, "%s:\n%s", lab_names[i], out);
        /* zero on every check that needs the student's work */
        int guards = 0;
        for (int g = 1; g < 4 && passes_without_work[i][g]; g++, guards++)
            cr_assert(check_passed(out, passes_without_work[i][g]), "%s", out);
        int oks = 0;
        for (const char *p = out; (p = strstr(p, " OK   (")); p++) oks++;
        cr_assert_eq(oks, guards, "%s: the starting tree passes a check that needs work:\n%s", lab_names[i], out);
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

/* Each lab's deliberately wrong solutions (tests/labs/wrong/LAB/, each
 * saying its mistake and the checks meant to catch it) lose exactly those
 * checks' points: tests/labs/wrong.sh grades them in a copy of this tree. */
Test(labs, each_wrong_solution_loses_exactly_the_checks_meant_to_catch_it, .timeout = 1500)
{
    const char *dir = temp_dir();
    char cmd[4096], *out;
    snprintf(cmd, sizeof cmd,
             "cd '%s' && mkdir '%s/tree' && { git ls-files -z --cached --others --exclude-standard 2>/dev/null "
             "|| find . -type f ! -path './build/*' ! -name ringsim -print0; } | xargs -0 tar cf - | (cd '%s/tree' && tar xf -) "
             "&& make -C '%s/tree' -j2 OPT=-O0 all >'%s/build.log' 2>&1 || { cat '%s/build.log'; exit 99; }; "
             /* two labs at a time, each in its own copy of the built tree
              * (cp -a keeps the times: only what a solution changes is rebuilt);
              * the outputs then in the labs' order */
             "labs='te shadow pv pgfault bt nested measure cgquota pvbatch migrate iommu'; "
             "printf '%%s\\n' $labs | xargs -P 2 -I{} sh -c 'cp -a \"$1/tree\" \"$1/tree-$2\" && "
             "sh tests/labs/wrong.sh \"$1/tree-$2\" \"$2\" >\"$1/out-$2\" 2>&1; echo $? >\"$1/st-$2\"; rm -rf \"$1/tree-$2\"' sh '%s' {}; "
             "st=0; for lab in $labs; do cat '%s'/out-$lab || st=1; [ \"$(cat '%s'/st-$lab)\" = 0 ] || st=1; done; exit $st",
             root_path("."), dir, dir, dir, dir, dir, dir, dir, dir);
    int st = shell(cmd, &out);
    cr_assert_neq(st, 99, "the copy does not build:\n%s", out);
    cr_assert_eq(st, 0, "%s", out);
    for (size_t i = 0; i < NLABS; i++) {
        /* one line a solution: "LAB/NAME: score, caught by: …" */
        char key[64];
        snprintf(key, sizeof key, "%s/", lab_names[i]);
        int n = 0;
        for (const char *line = out; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
            if (!strncmp(line, key, strlen(key))) n++;
        cr_assert_geq(n, 5, "%s has %d wrong solutions:\n%s", lab_names[i], n, out);
    }
    /* where the hypervisor can tell, the feedback names the rule broken */
    const char *w = strstr(out, "shadow/writable_if_guest_writable.c: ");
    cr_assert(w, "%s", out);
    const char *next = strstr(w + 1, "\nshadow/");
    const char *why = strstr(w, "  what broke: invariant broken (--invariants): a shadow entry is writable while "
                                "the guest's D bit is clear, at va 0x");
    cr_assert(why && (!next || why < next), "%s", out);
    /* and pv's, recounting its frame table (a solution that lets a table be
     * mapped writable) */
    w = strstr(out, "pv/no_writable_table_check.c: ");
    cr_assert(w, "%s", out);
    next = strstr(w + 1, "\npv/");
    why = strstr(w, "  what broke: invariant broken (--invariants): a page table is mapped writable: frame 0x");
    cr_assert(why && (!next || why < next), "%s", out);
    free(out);
}

/* --format gradescope writes Gradescope's results.json: a top-level score,
 * and tests[] with name, score, max_score, output and visibility; the
 * scores add up.  --format junit is well-formed XML with a testcase a
 * check.  And a rerun prints the same bytes. */
Test(labs, grader_reports_gradescope_and_junit_the_same_on_a_rerun, .timeout = 300)
{
    const char *dir = temp_dir();
    char cmd[4096];
    snprintf(cmd, sizeof cmd,
             "g='%s'; d='%s'; sh $g --format gradescope --output $d/results.json pv pgfault >$d/t1 || exit 1; "
             "sh $g pv pgfault >$d/t2; cmp $d/t1 $d/t2 || exit 2; "
             "sh $g --format gradescope pv pgfault >$d/results2.json 2>$d/t3 && cmp $d/results.json $d/results2.json || exit 3; "
             "cmp $d/t1 $d/t3 || exit 4; "
             "jq -e '(.score | type == \"number\") and (.tests | type == \"array\" and length > 0) and "
             "all(.tests[]; (.name | type == \"string\") and (.score | type == \"number\") and "
             "(.max_score | type == \"number\") and .score <= .max_score and (.output | type == \"string\") and "
             "(.visibility | IN(\"visible\", \"hidden\", \"after_due_date\", \"after_published\"))) and "
             ".score == ([.tests[].score] | add)' $d/results.json >/dev/null || exit 5; "
             "[ \"$(jq '.tests | length' $d/results.json)\" = \"$(grep -c ' OK   (' $d/t1)\" ] || exit 6; "
             "sh $g --format junit --output $d/junit.xml pv >/dev/null || exit 7; "
             "xmllint --noout $d/junit.xml || exit 8; "
             "[ \"$(grep -c '<testcase ' $d/junit.xml)\" = 8 ] || exit 9; "
             "sh $g --format nosuch pv; [ $? = 2 ] || exit 10",
             root_path("labs/grade.sh"), dir);
    steps_pass(cmd);
}

/* A check that runs too long fails on its own time limit, says so, and the
 * grading goes on. */
Test(labs, a_check_past_its_time_limit_fails_and_says_so, .timeout = 120)
{
    const char *dir = temp_dir();
    char cmd[4096], *out;
    snprintf(cmd, sizeof cmd,
             "printf '#!/bin/sh\\nsleep 30\\n' >'%s/slow' && chmod +x '%s/slow' && "
             "GRADE_TIMEOUT=1 RINGSIM_BIN='%s/slow' sh '%s' pgfault",
             dir, dir, dir, root_path("labs/grade.sh"));
    int st = shell(cmd, &out);
    cr_assert_eq(st, 1, "%s", out);
    cr_assert(strstr(out, "time limit (1 s, GRADE_TIMEOUT) ran out"), "%s", out);
    cr_assert(strstr(out, "Score (pgfault): 0/"), "%s", out);
    free(out);
}

/* A failing check shows how to see the failure: the command, the exit
 * status explained, the guest's last lines, the first line that differs,
 * and the debugger session that stops near it. */
Test(labs, a_failing_check_says_how_to_reproduce_and_debug_it, .timeout = 120)
{
    const char *dir = temp_dir();
    char cmd[4096], *out;
    /* a ringsim that prints one wrong line and panics, as a broken tree does */
    snprintf(cmd, sizeof cmd,
             "printf '#!/bin/sh\\necho \"kernel panic: trap 0\"\\nexit 123\\n' >'%s/broken' && chmod +x '%s/broken' && "
             "RINGSIM_BIN='%s/broken' sh '%s' pgfault",
             dir, dir, dir, root_path("labs/grade.sh"));
    int st = shell(cmd, &out);
    cr_assert_eq(st, 1, "%s", out);
    static const char *const says[] = {
        "first difference, line 1:", "expected: pgfault: 64 iterations", "got:      kernel panic: trap 0",
        "to see it:  ", " run pgfault --args 64", "exit status 123: the guest ended with code 123 or more",
        "last lines of the guest's console:", "| kernel panic: trap 0", " debug pgfault --args 64",
        "(ringsim) break user_pgfault", "(ringsim) continue",
    };
    for (size_t i = 0; i < sizeof says / sizeof says[0]; i++)
        cr_assert(strstr(out, says[i]), "no '%s' in:\n%s", says[i], out);
    free(out);
}

/* results.json has the shape Gradescope documents (tests/labs/
 * gradescope-results.jq encodes its "Output format": the keys, their types,
 * the visibilities and statuses): the grader's report conforms, with hidden
 * checks and failures in it, and the checker itself rejects a report that
 * strays from the shape. */
Test(labs, results_json_has_gradescopes_documented_shape, .timeout = 300)
{
    const char *dir = temp_dir();
    char cmd[4096];
    snprintf(cmd, sizeof cmd,
             "r='%s'; g=$r/labs/grade.sh; shape=$r/tests/labs/gradescope-results.jq; d='%s'; sh $g --format gradescope --output $d/r.json bt nested measure >/dev/null; "
             "[ $? = 0 ] || exit 1; jq -r -f $shape $d/r.json >$d/bad || exit 2; [ ! -s $d/bad ] || { cat $d/bad; exit 3; }; "
             "jq -e '[.tests[] | select(.visibility == \"after_due_date\")] | length == 2' $d/r.json >/dev/null || exit 4; "
             "jq -e '.tests | map(.number) == (map(.number) | unique_by(split(\".\") | map(tonumber)))' $d/r.json >/dev/null "
             "|| exit 5; "
             /* a failing run: the starting tree of measure conforms too */
             "jq '.tests[0] += {score: 0, status: \"failed\"}' $d/r.json | jq -r -f $shape >$d/bad2; [ ! -s $d/bad2 ] || exit 6; "
             /* strays: an unknown key, a wrong type, a visibility Gradescope lacks */
             "for bad in '.tests[0].points = 1' '.score = \"70\"' '.tests[1].visibility = \"public\"' "
             "'.tests[2].status = \"ok\"' '.stdout_visibility = \"always\"' '.tests[0].number = 1.1' 'del(.score) | .tests[0] |= del(.score)'; do "
             "  jq \"$bad\" $d/r.json | jq -r -f $shape | grep -q . || { echo \"not caught: $bad\"; exit 7; }; done",
             root_path("."), dir);
    steps_pass(cmd);
}

/* An instructor's hidden checks (labs/LAB/hidden/checks.sh) are graded
 * with the lab's own, reported with the visibility GRADE_HIDDEN_VISIBILITY
 * says, and left out of the starting tree, whose grading then counts
 * without them. */
Test(labs, hidden_checks_are_graded_but_left_out_of_starting_trees, .timeout = 300)
{
    const char *dir = temp_dir();
    char cmd[4096];
    snprintf(cmd, sizeof cmd,
             "r='%s'; d='%s'; sh $r/labs/grade.sh bt >$d/t || exit 1; "
             "grep -q \"^  -- the instructor's hidden checks (labs/bt/hidden/) --$\" $d/t || exit 2; "
             "grep -q '^Score (bt): 110/110$' $d/t || exit 3; "
             "GRADE_HIDDEN_VISIBILITY=hidden sh $r/labs/grade.sh --format gradescope bt 2>/dev/null >$d/r.json; "
             "jq -e '[.tests[].visibility] | (map(select(. == \"hidden\")) | length) == 1 and "
             "(map(select(. == \"visible\")) | length) == 10' $d/r.json >/dev/null || exit 4; "
             "GRADE_HIDDEN_VISIBILITY=public sh $r/labs/grade.sh bt >/dev/null 2>&1; [ $? = 2 ] || exit 5; "
             "$r/labs/mklab bt $d/tree >/dev/null || exit 6; [ ! -e $d/tree/labs/bt/hidden ] || exit 7; "
             "[ -f $d/tree/labs/bt/checks.sh ] || exit 8; "
             /* the starting tree's grader, run on the reference's build, counts the visible checks only */
             "RINGSIM_BIN=$r/ringsim RINGSIM_GUESTS=$r/build/guests sh $d/tree/labs/grade.sh bt >$d/t2 2>&1; "
             "grep -q '^Score (bt): 100/100$' $d/t2 || { cat $d/t2; exit 9; }; ! grep -q 'hidden' $d/t2 || exit 10",
             root_path("."), dir);
    steps_pass(cmd);
}

/* --format classroom writes GitHub Classroom's autograding for a lab: a
 * command-grader step a visible check, run by `--check N` and worth its
 * points, a reporter step naming them all, and the same tests in
 * .github/classroom/autograding.json; each command passes on the reference
 * tree; a rerun writes the same bytes. */
Test(labs, classroom_setup_runs_each_check_by_its_number, .timeout = 300)
{
    const char *dir = temp_dir();
    char cmd[4096];
    snprintf(cmd, sizeof cmd,
             "r='%s'; d='%s'; sh $r/labs/grade.sh --format classroom --output $d/a nested >/dev/null || exit 1; "
             "sh $r/labs/grade.sh --format classroom --output $d/b nested >/dev/null || exit 2; "
             "diff -r $d/a $d/b || exit 3; j=$d/a/.github/classroom/autograding.json; w=$d/a/.github/workflows/classroom.yml; "
             "jq -e '(.tests | length) == 7 and ([.tests[].points] | add) == 70 and "
             "all(.tests[]; (.name | startswith(\"nested: \")) and (.run | test(\"^sh labs/grade.sh --check [0-9]+ nested$\")) "
             "and .timeout > 0 and .comparison == \"included\")' $j >/dev/null || exit 4; "
             "[ \"$(grep -c 'uses: education/autograding-command-grader@v1' $w)\" = 7 ] || exit 5; "
             "grep -q '^        runners: nested-1,nested-2,nested-3,nested-4,nested-5,nested-6,nested-7$' $w || exit 6; "
             "grep -q 'NESTED-7_RESULTS: \"${{steps.nested-7.outputs.result}}\"' $w || exit 7; "
             "grep -q 'setup-command: \"sh tools/setup.sh && make -j2 all\"' $w || exit 8; "
             "! grep -q 'hidden\\|after_due_date' $j $w || exit 9; "
             "cd $r && for k in $(jq -r '.tests[].run | split(\" \")[3]' $j); do "
             "  sh labs/grade.sh --check $k nested >$d/c 2>&1 || { cat $d/c; exit 10; }; "
             "  [ \"$(grep -c ' OK   (' $d/c)\" = 1 ] || exit 11; done; "
             "sh labs/grade.sh --check 99 nested >/dev/null 2>&1; [ $? = 2 ] || exit 12; "
             "sh labs/grade.sh --format classroom nested >/dev/null 2>&1; [ $? = 2 ] || exit 13",
             root_path("."), dir);
    steps_pass(cmd);
}

/* make autograder LAB=bt builds Gradescope's bundle; unpacked in a
 * directory laid out as Gradescope's /autograder (AUTOGRADER_ROOT), its
 * setup.sh builds the starting tree and its run_autograder grades a
 * submission: the reference's file scores full marks, a wrong solution
 * (by its name alone) loses the checks meant to catch it, a submission
 * without the file scores zero and says why; every results.json has
 * Gradescope's shape. */
Test(labs, autograder_bundle_grades_submissions_as_gradescope_would, .timeout = 600)
{
    const char *dir = temp_dir();
    char cmd[8192];
    snprintf(cmd, sizeof cmd,
             "r='%s'; d='%s'; shape=$r/tests/labs/gradescope-results.jq; "
             "sh $r/labs/autograder.sh bt $d/ag.zip >/dev/null || exit 1; "
             "mkdir -p $d/ag/source $d/ag/submission && cd $d/ag/source && unzip -q $d/ag.zip || exit 2; "
             "[ -x run_autograder ] && [ -f setup.sh ] && grep -qx cpu/decode.c files.txt || exit 3; "
             "[ -f tree/labs/bt/hidden/checks.sh ] && ! grep -q 'needs_callout' tree/cpu/decode.c || exit 4; "
             "export AUTOGRADER_ROOT=$d/ag OPT=-O0; sh setup.sh >$d/setup.log 2>&1 || { tail $d/setup.log; exit 5; }; "
             "mkdir -p $d/ag/submission/cpu && cp $r/cpu/decode.c $d/ag/submission/cpu/ && ./run_autograder >$d/o1 || exit 6; "
             "jq -e '.score == 110 and (.tests | length) == 11' $d/ag/results/results.json >/dev/null || { cat $d/o1; exit 7; }; "
             "jq -r -f $shape $d/ag/results/results.json | grep . && exit 8; "
             "rm -r $d/ag/submission/cpu; "
             "sed 's/isa_info\\[op\\].sensitive || isa_info\\[op\\].privileged/isa_info[op].privileged/' $r/cpu/decode.c "
             ">$d/ag/submission/decode.c && ! cmp -s $r/cpu/decode.c $d/ag/submission/decode.c || exit 9; "
             "./run_autograder >$d/o2 || exit 10; "
             "jq -e '.score == 20 and ([.tests[] | select(.status == \"failed\") | .name] | "
             "index(\"bt: red pills in ring 0 show ring 0, as on bare metal (popfring.s)\") != null)' "
             "$d/ag/results/results.json >/dev/null || { cat $d/o2; exit 11; }; "
             "jq -r -f $shape $d/ag/results/results.json | grep . && exit 12; "
             "rm $d/ag/submission/decode.c; ./run_autograder >$d/o3 || exit 13; "
             "jq -e '.score == 0 and (.output | contains(\"lacks the lab'\"'\"'s file(s): cpu/decode.c\"))' "
             "$d/ag/results/results.json >/dev/null || { cat $d/ag/results/results.json; exit 14; }; "
             "jq -r -f $shape $d/ag/results/results.json | grep . && exit 15; exit 0",
             root_path("."), dir);
    steps_pass(cmd);
}

/* ringsim run --invariants holds the reference's shadow paging to its rules
 * under every technique that shadows (te, bt, hw+shadow), on the labs'
 * workloads and guests: nothing is reported, outputs are those without it. */
Test(labs, the_reference_keeps_the_shadow_invariants, .timeout = 300)
{
    const char *dir = temp_dir();
    char cmd[4096];
    snprintf(cmd, sizeof cmd,
             "r='%s'; d='%s'; rs=${RINGSIM_BIN:-$r/ringsim}; "
             "for run in 'pgfault --args 40 --isa strict --mode te' 'ptemod --args 30 --isa strict --levels 4 --mode te' "
             "'ctxswitch --args 60 --mode hw --mmu shadow' 'tlbstride --args 2 --levels 4 --mode bt' "
             "'kernel_faults --isa strict --mode te' '$r/build/labs/shadow/dirty.img --mode te' "
             "'$r/build/labs/shadow/adbits.img --mode te'; do "
             "  $rs run $run >$d/a 2>$d/ae; sa=$?; $rs run $run --invariants >$d/b 2>$d/be; sb=$?; "
             "  [ $sa = $sb ] && cmp -s $d/a $d/b || { echo \"$run: $sa/$sb\"; cat $d/be; exit 1; }; "
             "  ! grep -q 'invariant' $d/be || { cat $d/be; exit 2; }; done; "
             "$rs run --help | grep -q -- '--invariants' || exit 3",
             root_path("."), dir);
    steps_pass(cmd);
}
