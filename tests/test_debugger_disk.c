/*
 * test_debugger_disk.c — reverse execution over a run with devices whose
 * state is not in memory: a disk (its file: cpu/journal.c) and the
 * network (frames in flight).  Going back across disk writes lands on
 * exactly the machine a fresh forward run has at that step — registers,
 * memory, cycles, statistics, the device, the guest's console, and the
 * disk file itself — with the register driver and the split driver
 * (diskq), natively and under hardware assist; going back across frames
 * sent lands on the same interface, frames in flight and switch counters.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/helpers.h"
#include "tests/test_debugger.h"

struct dsk {
    struct dsession *s;
    char path[512], spec[600];
};

/* `ringsim debug IMAGE --mode MODE --args 4 --disk DIR/NAME:create=256K`. */
static struct dsk *open_disk(const char *image, const char *mode, const char *name)
{
    struct dsk *k = calloc(1, sizeof *k);
    cr_assert(k);
    snprintf(k->path, sizeof k->path, "%s/%s", temp_dir(), name);
    snprintf(k->spec, sizeof k->spec, "%s:create=256K", k->path);
    struct machine_opts o;
    cli_machine_defaults(&o);
    o.mode = mode;
    o.args = "4";
    o.disks[0] = k->spec;
    o.ndisks = 1;
    k->s = ds_open_opts(&o, image);
    k->s->d->ck_every = 20000;   /* several checkpoints: restores both ways */
    return k;
}

static void close_disk(struct dsk *k)
{
    ds_close(k->s);
    free(k);
}

static const struct disk *disk_of(struct dsk *k)
{
    return k->s->cm.hv ? &k->s->cm.hv->vms[0].disk : &k->s->cm.m->disk;
}

/* FNV-1a of the disk file as it is on the host now. */
static uint64_t file_hash(const char *path)
{
    FILE *f = fopen(path, "rb");
    cr_assert(f, "%s", path);
    uint64_t h = 0xcbf29ce484222325ull;
    for (int c; (c = fgetc(f)) != EOF;) h = (h ^ (uint64_t)c) * 0x100000001b3ull;
    fclose(f);
    return h;
}

/* Everything a step of the run must have the same way both times. */
struct dstate {
    struct mstate m;
    uint64_t file;
    uint64_t commands, writes, reads, done_at, requests;
    uint32_t used;
    char *console;
};

static struct dstate *take(struct dsk *k)
{
    struct dstate *st = calloc(1, sizeof *st);
    cr_assert(st);
    mstate_take(k->s, &st->m);
    st->file = file_hash(k->path);
    const struct disk *d = disk_of(k);
    st->commands = d->commands;
    st->writes = d->writes;
    st->reads = d->reads;
    st->done_at = d->done_at;
    st->requests = d->requests;
    st->used = d->used;
    cr_assert_eq(ds_cmd(k->s, "info console"), VIS_DBG_OK);
    st->console = strdup(ds_out(k->s));
    return st;
}

static void free_state(struct dstate *st)
{
    free(st->console);
    free(st);
}

static void same(const struct dstate *a, const struct dstate *b, const char *where)
{
    mstate_assert_equal(&a->m, &b->m);
    cr_assert_eq(a->file, b->file, "%s: the disk file differs at step %llu", where, (unsigned long long)a->m.pos);
    cr_assert_eq(a->commands, b->commands, "%s: disk commands %llu != %llu", where, (unsigned long long)a->commands,
                 (unsigned long long)b->commands);
    cr_assert_eq(a->writes, b->writes, "%s", where);
    cr_assert_eq(a->reads, b->reads, "%s", where);
    cr_assert_eq(a->done_at, b->done_at, "%s", where);
    cr_assert_eq(a->requests, b->requests, "%s", where);
    cr_assert_eq(a->used, b->used, "%s", where);
    cr_assert_str_eq(a->console, b->console, "%s: the guest's console differs", where);
}

/* A fresh forward run to step pos, its state. */
static struct dstate *fresh_at(const char *image, const char *mode, const char *name, uint64_t pos)
{
    struct dsk *b = open_disk(image, mode, name);
    cr_assert_eq(ds_cmd(b->s, "step %llu", (unsigned long long)pos), VIS_DBG_OK, "%s", ds_err(b->s));
    struct dstate *st = take(b);
    close_disk(b);
    return st;
}

static void reverse_over_disk_writes(const char *image, const char *mode)
{
    struct dsk *a = open_disk(image, mode, "a.img");
    struct dsession *s = a->s;
    /* the first completion: the guest's check for a previous run's blocks,
     * read before anything is written */
    cr_assert_eq(ds_cmd(s, "break trap disk"), VIS_DBG_OK, "%s", ds_err(s));
    cr_assert_eq(ds_cmd(s, "continue"), VIS_DBG_OK);
    uint64_t first = s->d->pos;
    cr_assert_eq(disk_of(a)->writes, 0, "the first completion should come before any write");
    for (int i = 0; i < 5; i++) cr_assert_eq(ds_cmd(s, "continue"), VIS_DBG_OK);
    cr_assert_eq(ds_cmd(s, "delete"), VIS_DBG_OK);
    cr_assert_eq(ds_cmd(s, "step 30000"), VIS_DBG_OK);
    struct dstate *end = take(a);
    cr_assert_gt(end->writes, 1, "the stretch should cross disk writes (%llu)", (unsigned long long)end->writes);

    /* back to before the first read: the file holds nothing yet */
    uint64_t back = first - 5;
    cr_assert_eq(ds_cmd(s, "reverse-step %llu", (unsigned long long)(end->m.pos - back)), VIS_DBG_OK, "%s",
                 ds_err(s));
    struct dstate *r = take(a), *f = fresh_at(image, mode, "b.img", back);
    same(r, f, "reverse-step");
    free_state(r);
    free_state(f);

    /* forward again by a checkpoint ahead (the writes put back in the file) */
    cr_assert_eq(ds_cmd(s, "goto step %llu", (unsigned long long)end->m.pos), VIS_DBG_OK, "%s", ds_err(s));
    r = take(a);
    same(r, end, "goto step, forward");
    free_state(r);

    /* reverse-continue: back from event to event (a disk completion, or
     * under hw any VM exit) until one before the last write */
    cr_assert_eq(ds_cmd(s, "break trap disk"), VIS_DBG_OK);
    for (int i = 0; i < 1000 && disk_of(a)->writes == end->writes; i++)
        cr_assert_eq(ds_cmd(s, "reverse-continue"), VIS_DBG_OK, "%s", ds_err(s));
    uint64_t at = s->d->pos;
    cr_assert(at > first && at < end->m.pos, "reverse-continue went to step %llu", (unsigned long long)at);
    r = take(a);
    cr_assert_lt(r->writes, end->writes, "the stretch gone back over should hold a write");
    f = fresh_at(image, mode, "c.img", at);
    same(r, f, "reverse-continue");
    free_state(r);
    free_state(f);

    /* and forward to the end, as the first time */
    cr_assert_eq(ds_cmd(s, "delete"), VIS_DBG_OK);
    cr_assert_eq(ds_cmd(s, "step %llu", (unsigned long long)(end->m.pos - at)), VIS_DBG_OK);
    r = take(a);
    same(r, end, "forward again");
    free_state(r);
    free_state(end);
    close_disk(a);
}

Test(debugger_disk, reverse_over_disk_writes_natively) { reverse_over_disk_writes("diskio", "native"); }
Test(debugger_disk, reverse_over_disk_writes_under_hw) { reverse_over_disk_writes("diskio", "hw"); }
Test(debugger_disk, reverse_over_split_driver_writes_natively) { reverse_over_disk_writes("diskq", "native"); }
Test(debugger_disk, reverse_over_split_driver_writes_under_hw) { reverse_over_disk_writes("diskq", "hw"); }

/* The journal on its own: three writes of one sector, a bound that keeps
 * two; winding back and forth writes the file as each moment had it, and a
 * moment before the oldest entry kept is refused. */
Test(debugger_disk, the_journal_winds_the_file_both_ways_within_its_bound)
{
    char path[512];
    snprintf(path, sizeof path, "%s/j.img", temp_dir());
    char spec[600], err[256];
    snprintf(spec, sizeof spec, "%s:create=4K", path);
    static struct machine m;
    struct disk *d = &m.disk;
    cr_assert(disk_attach(d, spec, err, sizeof err), "%s", err);
    m.journal = disk_journal_new(2 * 2 * DISK_SECTOR);
    uint8_t sec[3][DISK_SECTOR];
    uint64_t hash[4];
    hash[0] = file_hash(path);
    for (int i = 0; i < 3; i++) {
        memset(sec[i], 'a' + i, sizeof sec[i]);
        disk_journal_note(&m, d, sec[i], DISK_SECTOR, DISK_SECTOR);   /* as transfer() does, then writes */
        cr_assert_eq(pwrite(d->fd, sec[i], DISK_SECTOR, DISK_SECTOR), DISK_SECTOR);
        hash[i + 1] = file_hash(path);
    }
    cr_assert_eq(m.journal_pos, 3);
    cr_assert_not(disk_journal_reaches(m.journal, 0), "the first write's old contents were dropped for the bound");
    for (uint64_t p = 1; p <= 3; p++) cr_assert(disk_journal_reaches(m.journal, p));
    uint64_t order[] = {1, 3, 2, 1, 2, 3};
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        m.journal_pos = order[i];
        disk_journal_seek(&m);
        cr_assert_eq(file_hash(path), hash[order[i]], "the file at write %llu", (unsigned long long)order[i]);
    }
    struct disk_journal_info ji;
    disk_journal_info(m.journal, &ji);
    cr_assert_eq(ji.entries, 2);
    cr_assert_eq(ji.reaches, 1);
    cr_assert_eq(ji.dropped, 1);
    disk_journal_free(m.journal);
    disk_detach(d);
}

/* The debugger, its journal made small: going back past what it reaches
 * is refused with the reason, and the machine stays where it was. */
Test(debugger_disk, going_back_past_the_journal_is_refused_and_changes_nothing)
{
    struct dsk *a = open_disk("diskio", "native", "s.img");
    struct dsession *s = a->s;
    disk_journal_free(s->cm.m->journal);
    s->cm.m->journal = disk_journal_new(8192);   /* four sectors' before and after */
    cr_assert_eq(ds_cmd(s, "step 250000"), VIS_DBG_OK);
    cr_assert_gt(disk_of(a)->sectors_written, 8, "the run should write more than the journal keeps");
    struct dstate *here = take(a);
    ds_cmd(s, "reverse-step 200000");
    cr_assert(strstr(ds_out(s), "Cannot go back to step") && strstr(ds_out(s), "disk journal"), "%s%s", ds_out(s),
              ds_err(s));
    struct dstate *still = take(a);
    same(still, here, "after a refused reverse-step");
    free_state(here);
    free_state(still);
    close_disk(a);
}

/* ---- the network: frames in flight are in the checkpoints ---------------- */
static struct dsession *open_net(const char *mode)
{
    struct machine_opts o;
    cli_machine_defaults(&o);
    o.mode = mode;
    o.args = "16";
    o.net = true;
    struct dsession *s = ds_open_opts(&o, "netping");
    s->d->ck_every = 20000;
    return s;
}

static const struct nic *nic_of(struct dsession *s) { return s->cm.hv ? &s->cm.hv->vms[0].nic : &s->cm.m->nic; }

struct nstate {
    struct mstate m;
    struct nic nic;
    struct net_frame fifo[NET_FIFO];
    uint64_t sw[NET_PORTS][7];
    char *console;
};

static struct nstate *take_net(struct dsession *s)
{
    struct nstate *st = calloc(1, sizeof *st);
    cr_assert(st);
    mstate_take(s, &st->m);
    st->nic = *nic_of(s);
    memcpy(st->fifo, nic_of(s)->fifo, st->nic.fifo_n * sizeof *st->fifo);
    st->nic.fifo = NULL;
    memcpy(st->sw, s->cm.m->netsw->st, sizeof st->sw);
    cr_assert_eq(ds_cmd(s, "info console"), VIS_DBG_OK);
    st->console = strdup(ds_out(s));
    return st;
}

static void same_net(const struct nstate *a, const struct nstate *b)
{
    mstate_assert_equal(&a->m, &b->m);
    cr_assert(memcmp(&a->nic, &b->nic, sizeof a->nic) == 0, "the interface differs (frames in flight %u, %u)",
              a->nic.fifo_n, b->nic.fifo_n);
    cr_assert(memcmp(a->fifo, b->fifo, a->nic.fifo_n * sizeof *a->fifo) == 0, "the frames in flight differ");
    cr_assert(memcmp(a->sw, b->sw, sizeof a->sw) == 0, "the switch's counters differ");
    cr_assert_str_eq(a->console, b->console);
}

static void reverse_over_frames(const char *mode)
{
    struct dsession *a = open_net(mode);
    /* forward to a step with frames in flight, then far on */
    uint64_t back = 0;
    for (int i = 0; i < 400 && !back; i++) {
        cr_assert_eq(ds_cmd(a, "step 500"), VIS_DBG_OK);
        if (nic_of(a)->fifo_n && a->d->pos > 40000) back = a->d->pos;
    }
    cr_assert(back, "no step with a frame in flight");
    cr_assert_eq(ds_cmd(a, "step 60000"), VIS_DBG_OK);
    uint64_t sent = a->cm.m->netsw->st[0].sent;
    cr_assert_eq(ds_cmd(a, "reverse-step %llu", (unsigned long long)(a->d->pos - back)), VIS_DBG_OK);
    cr_assert_lt(a->cm.m->netsw->st[0].sent, sent, "the stretch gone back over should have sent frames");
    struct nstate *r = take_net(a);
    cr_assert_gt(r->nic.fifo_n, 0);
    struct dsession *b = open_net(mode);
    cr_assert_eq(ds_cmd(b, "step %llu", (unsigned long long)back), VIS_DBG_OK);
    struct nstate *f = take_net(b);
    same_net(r, f);
    free(r->console);
    free(r);
    free(f->console);
    free(f);
    ds_close(b);
    ds_close(a);
}

Test(debugger_disk, reverse_over_frames_in_flight_natively) { reverse_over_frames("native"); }
Test(debugger_disk, reverse_over_frames_in_flight_under_hw) { reverse_over_frames("hw"); }
