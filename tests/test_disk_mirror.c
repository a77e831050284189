/*
 * test_disk_mirror.c — a mirrored disk (--disk FILE:mirror=FILE2, cpu/disk.c):
 * both files written, reads from the first there; a file lost mid-run
 * (removed, truncated) is reported once and counted, the other goes on and
 * diskio's data is verified; a file missing at start is refused unless
 * :degraded; :resync makes a replacement a copy.  (The kill -9 durability
 * of both files is in test_disk.c.)
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "tests/helpers.h"

/* `ringsim run diskio --args 8 EXTRA --disk SPEC`: stdout, exit status in *st, stderr in *err. */
static char *diskio_run(const char *spec, const char *extra, int *st, char **err)
{
    char a[8192];
    snprintf(a, sizeof a, "run diskio --args 8 %s --disk %s", extra, spec);
    char *out;
    *st = run_ringsim(a, &out, err);
    return out;
}

static bool same_files(const char *a, const char *b)
{
    char cmd[700];
    snprintf(cmd, sizeof cmd, "cmp -s '%s' '%s'", a, b);
    return system(cmd) == 0;
}

static const char verified[] = "diskio: verified the blocks a previous run wrote\n";

/* diskio writes a mirror, then runs again in this process on the same two
 * files; after a few disk commands half `lose` is removed or truncated.
 * The run goes on on the other half, prints what it prints whole (the
 * blocks of the first run verified), reports the loss once on stderr and
 * counts it; the surviving file alone then verifies again. */
static void lose_half_mid_run(int lose, bool truncate_it)
{
    const char *dir = temp_dir();
    char f[2][300], spec[700];
    snprintf(f[0], sizeof f[0], "%s/h0.img", dir);
    snprintf(f[1], sizeof f[1], "%s/h1.img", dir);
    snprintf(spec, sizeof spec, "%s:create=256K:mirror=%s", f[0], f[1]);
    int st;
    char *err, *whole = diskio_run(spec, "", &st, &err);
    cr_assert_eq(st, 0, "%s", err);
    free(err);
    cr_assert(same_files(f[0], f[1]), "the two halves differ after a whole run");

    snprintf(spec, sizeof spec, "%s:mirror=%s", f[0], f[1]);
    struct machine_opts o;
    cli_machine_defaults(&o);
    o.args = "8";
    o.disks[0] = spec;
    o.ndisks = 1;
    char *images[] = {(char *)"diskio"};
    struct cli_machine cm;
    cr_assert(cli_machine_load(&o, images, 1, "test", &cm));
    char *out = NULL, *errs = NULL;
    size_t outlen = 0;
    cm.m->con.out = open_memstream(&out, &outlen);
    cli_machine_start(&cm);
    struct disk *d = &cm.m->disk;
    cr_assert(d->mirrored);
    while (machine_run(cm.m, 5000) == STOP_STEPS && d->commands < 6) continue;
    cr_assert_geq(d->commands, 6, "the run ended before its sixth disk command");
    if (truncate_it) cr_assert_eq(truncate(f[lose], 4096), 0);
    else cr_assert_eq(unlink(f[lose]), 0);
    /* the rest of the run, its stderr kept */
    fflush(stderr);
    int saved = dup(2);
    FILE *ef = tmpfile();
    cr_assert(ef && saved >= 0);
    dup2(fileno(ef), 2);
    while (machine_run(cm.m, 0) == STOP_STEPS) continue;
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    long n = ftell(ef);
    errs = calloc(1, (size_t)(n > 0 ? n : 0) + 1);
    rewind(ef);
    cr_assert_eq(fread(errs, 1, (size_t)(n > 0 ? n : 0), ef), (size_t)(n > 0 ? n : 0));
    fclose(ef);
    fflush(cm.m->con.out);
    char want[400];
    snprintf(want, sizeof want, "%s%s", verified, whole);
    cr_assert_str_eq(out, want, "half %d %s mid-run", lose, truncate_it ? "truncated" : "removed");
    cr_assert(d->lost[lose] && !d->lost[!lose]);
    cr_assert_eq(d->half_losses, 1);
    cr_assert_eq(d->errors, 0, "no command failed: the other half did it");
    /* reported once, naming the file and why */
    char line[700];
    snprintf(line, sizeof line, "mirror half %s lost (%s): going on with %s alone\n", f[lose],
             truncate_it ? "the file was truncated to 4096 bytes" : "the file was removed", f[!lose]);
    const char *p = strstr(errs, line);
    cr_assert(p, "expected '%s' in:\n%s", line, errs);
    cr_assert_null(strstr(p + 1, "mirror half"), "reported more than once:\n%s", errs);
    /* the statistics say so */
    json_t *s = disk_stats_json(d);
    json_t *mir = json_object_get(s, "mirror");
    cr_assert(mir);
    cr_assert_eq(json_integer_value(json_object_get(mir, "losses")), 1);
    cr_assert(json_is_true(json_array_get(json_object_get(mir, "lost"), (size_t)lose)));
    json_decref(s);
    fclose(cm.m->con.out);
    cm.m->con.out = NULL;
    cli_machine_free(&cm);
    free(out);
    free(errs);
    /* the survivor alone holds the data */
    char *again = diskio_run(f[!lose], "", &st, &err);
    cr_assert_eq(st, 0, "%s", err);
    cr_assert_str_eq(again, want, "the surviving half %s", f[!lose]);
    free(again);
    free(err);
    free(whole);
}

Test(disk_mirror, the_second_half_removed_mid_run) { lose_half_mid_run(1, false); }
Test(disk_mirror, the_first_half_removed_mid_run) { lose_half_mid_run(0, false); }
Test(disk_mirror, the_second_half_truncated_mid_run) { lose_half_mid_run(1, true); }
Test(disk_mirror, the_first_half_truncated_mid_run) { lose_half_mid_run(0, true); }

/* Both halves written, reads from the first; the same under a hypervisor
 * (the device model is the same code) and with the split driver. */
Test(disk_mirror, both_halves_hold_every_write_under_every_driver)
{
    const char *dir = temp_dir();
    const char *runs[][2] = {{"diskio", ""}, {"diskio", "--mode hw"}, {"diskq", "--mode te --isa strict"}, {"diskio", "--mode hw --passthrough 0"}};
    for (unsigned i = 0; i < sizeof runs / sizeof runs[0]; i++) {
        char a[300], b[300], cmd[1200], path[300];
        snprintf(a, sizeof a, "%s/a%u.img", dir, i);
        snprintf(b, sizeof b, "%s/b%u.img", dir, i);
        snprintf(path, sizeof path, "%s/s%u.json", dir, i);
        snprintf(cmd, sizeof cmd, "run %s --args 8 %s --disk %s:create=256K:mirror=%s --stats %s", runs[i][0],
                 runs[i][1], a, b, path);
        char *out, *err;
        int st = run_ringsim(cmd, &out, &err);
        cr_assert_eq(st, 0, "%s: %s", cmd, err);
        cr_assert(strstr(out, "8 iterations, checksum"), "%s", out);
        cr_assert(same_files(a, b), "%s: the halves differ", cmd);
        json_t *s = json_load_file(path, 0, NULL);
        cr_assert(s);
        json_t *disk = json_object_get(s, "disk");
        if (!disk) disk = json_object_get(json_array_get(json_object_get(s, "vms"), 0), "disk");
        json_t *mir = json_object_get(disk, "mirror");
        cr_assert(mir, "%s: no mirror in the statistics", cmd);
        json_t *reads = json_object_get(mir, "reads");
        cr_assert_gt(json_integer_value(json_array_get(reads, 0)), 0);
        cr_assert_eq(json_integer_value(json_array_get(reads, 1)), 0, "reads come from the first half");
        cr_assert_eq(json_integer_value(json_object_get(mir, "losses")), 0);
        json_decref(s);
        free(out);
        free(err);
    }
}

Test(disk_mirror, a_missing_half_is_refused_unless_degraded_and_resync_replaces_it)
{
    const char *dir = temp_dir();
    char a[300], b[300], c[300], spec[1000], want[2000];
    snprintf(a, sizeof a, "%s/a.img", dir);
    snprintf(b, sizeof b, "%s/b.img", dir);
    snprintf(c, sizeof c, "%s/new.img", dir);
    snprintf(spec, sizeof spec, "%s:create=256K:mirror=%s", a, b);
    int st;
    char *err, *out = diskio_run(spec, "", &st, &err);
    cr_assert_eq(st, 0, "%s", err);
    free(out);
    free(err);
    cr_assert_eq(unlink(b), 0);
    /* refused, naming the file and the way out */
    snprintf(spec, sizeof spec, "%s:mirror=%s", a, b);
    out = diskio_run(spec, "", &st, &err);
    cr_assert_eq(st, 2, "%s", err);
    snprintf(want, sizeof want, "disk %s: mirror half %s is missing (add :degraded to run on %s alone", a, b, a);
    cr_assert(strstr(err, want), "%s", err);
    cr_assert_str_empty(out, "nothing ran");
    free(out);
    free(err);
    /* degraded: runs on the other, says so once, counts it */
    snprintf(spec, sizeof spec, "%s:mirror=%s:degraded", a, b);
    out = diskio_run(spec, "--mode hw", &st, &err);
    cr_assert_eq(st, 0, "%s", err);
    cr_assert(strstr(out, verified), "%s", out);
    snprintf(want, sizeof want, "ringsim: disk %s: mirror half %s is missing: running degraded on %s alone\n", a, b, a);
    cr_assert(strstr(err, want), "%s", err);
    free(out);
    free(err);
    /* a replacement: resync copies the good half onto it, then both run */
    snprintf(spec, sizeof spec, "%s:mirror=%s:resync --stats %s/s.json", a, c, dir);
    out = diskio_run(spec, "", &st, &err);
    cr_assert_eq(st, 0, "%s", err);
    cr_assert(strstr(out, verified), "%s", out);
    cr_assert(same_files(a, c));
    free(out);
    free(err);
    char path[400];
    snprintf(path, sizeof path, "%s/s.json", dir);
    json_t *s = json_load_file(path, 0, NULL);
    cr_assert(s);
    cr_assert_eq(json_integer_value(json_object_get(json_object_get(json_object_get(s, "disk"), "mirror"),
                                                    "resynced_sectors")), 512);
    json_decref(s);
    out = diskio_run(c, "", &st, &err);
    cr_assert_eq(st, 0, "%s", err);
    cr_assert(strstr(out, verified), "the replacement alone holds the data: %s", out);
    free(out);
    free(err);
}

Test(disk_mirror, bad_mirrors_are_refused_with_a_message)
{
    const char *dir = temp_dir();
    char a[300], b[300], c[300];
    snprintf(a, sizeof a, "%s/a.img", dir);
    snprintf(b, sizeof b, "%s/b.img", dir);
    snprintf(c, sizeof c, "%s/c.img", dir);
    int fd = open(c, O_CREAT | O_WRONLY, 0666);
    cr_assert(fd >= 0 && ftruncate(fd, 8192) == 0);
    close(fd);
    char spec[1000];
    snprintf(spec, sizeof spec, "%s:create=64K", a);
    int st;
    char *err, *out = diskio_run(spec, "", &st, &err);
    free(out);
    free(err);
    struct {
        char spec[1000];
        const char *says;
    } cases[6];
    snprintf(cases[0].spec, sizeof cases[0].spec, "%s:mirror=%s", a, a);
    cases[0].says = "the same file twice";
    snprintf(cases[1].spec, sizeof cases[1].spec, "%s:mirror=%s", a, c);
    cases[1].says = "is 8192 bytes";
    snprintf(cases[2].spec, sizeof cases[2].spec, "%s:part=0+8:mirror=%s", a, b);
    cases[2].says = "part= and mirror= do not go together";
    snprintf(cases[3].spec, sizeof cases[3].spec, "%s:degraded", a);
    cases[3].says = "degraded: only with mirror=FILE2";
    snprintf(cases[4].spec, sizeof cases[4].spec, "%s/none.img:mirror=%s/none2.img:degraded", dir, dir);
    cases[4].says = "No such file";
    snprintf(cases[5].spec, sizeof cases[5].spec, "%s:mirror=%s:degraded:resync", a, b);
    cases[5].says = "degraded and resync";
    for (unsigned i = 0; i < 6; i++) {
        out = diskio_run(cases[i].spec, "", &st, &err);
        cr_assert_eq(st, 2, "%s: %s", cases[i].spec, err);
        cr_assert(strstr(err, cases[i].says), "%s: expected '%s' in: %s", cases[i].spec, cases[i].says, err);
        free(out);
        free(err);
    }
}
