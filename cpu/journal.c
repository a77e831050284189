/*
 * journal.c — the disk's part of reverse execution: every sector write,
 * with what the sectors held before and after, so that restoring a
 * snapshot can put the disk files back as they were at that moment.
 *
 * A snapshot (cpu/snapshot.c) copies the machine, but a disk's contents
 * live in a host file the guest goes on writing: replaying from a snapshot
 * taken before a write would read the data written later, and the replay
 * would go elsewhere.  So, while the debugger keeps history, each write a
 * disk command makes (cpu/disk.c, transfer) is first noted here — the old
 * bytes read from the file, the new ones from memory — and the machine
 * counts the writes it has made (m->journal_pos, plain data, in every
 * snapshot).  Restoring a snapshot winds the files to its count: the old
 * bytes of the writes after it are written back, newest first; or, for a
 * snapshot ahead of where the files are (the debugger going forward to a
 * later checkpoint), the new bytes of the writes up to it, oldest first.
 *
 * The one idea to hold: the files always hold what the machine at
 * m->journal_pos wrote — the file is never an overlay and never lags, so a
 * flush the guest made is as durable in the debugger as in `ringsim run`
 * (its data is in the file, fsync'd; winding back fsyncs again, since the
 * machine now is one that never wrote it).
 *
 * Replaying forward makes the recorded writes again; each is compared with
 * the entry there and only counted.  A write that differs (the machine was
 * changed with `set`, and the debugger forgot its recorded future) drops
 * the entries after it.  The journal is bounded (max_bytes of old and new
 * contents): past it the oldest entries go, and a snapshot from before the
 * oldest entry left can no longer be restored (disk_journal_reaches).
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cpu/cpu.h"

struct journal_entry {
    struct disk *d;            /* the disk written (its file, or both halves of a mirror) */
    uint64_t off;              /* byte offset in the file */
    uint32_t len;
    uint8_t *old, *new_;       /* one allocation: old, then new */
};

struct disk_journal {
    struct journal_entry *e;   /* entries base .. base + n - 1 */
    size_t n, cap;
    uint64_t base;             /* the position of e[0]: how far back the journal reaches */
    uint64_t at;               /* the position the files are at */
    size_t bytes, max_bytes;   /* old and new contents held; the bound */
    uint64_t dropped, rewound, replayed;  /* entries dropped for the bound; sector bytes written back / again */
};

struct disk_journal *disk_journal_new(size_t max_bytes)
{
    struct disk_journal *j = calloc(1, sizeof *j);
    if (j) j->max_bytes = max_bytes;
    return j;
}

static void entry_free(struct journal_entry *e) { free(e->old); }

void disk_journal_free(struct disk_journal *j)
{
    if (!j) return;
    for (size_t i = 0; i < j->n; i++) entry_free(&j->e[i]);
    free(j->e);
    free(j);
}

/* The first half still there: where old bytes are read (no statistic
 * counts it, unlike a guest's read). */
static int read_fd(const struct disk *d)
{
    if (!d->mirrored) return d->fd;
    return !d->lost[0] ? d->fd : !d->lost[1] ? d->mfd : -1;
}

/* Writes buf at off into every half of d still there; false if none took it. */
static bool put_bytes(struct disk *d, const uint8_t *buf, uint32_t len, uint64_t off)
{
    int fds[2] = {d->fd, d->mirrored ? d->mfd : -1};
    bool any = false;
    for (int h = 0; h < 2; h++) {
        if (fds[h] < 0 || (d->mirrored && d->lost[h])) continue;
        any |= pwrite(fds[h], buf, len, (off_t)off) == (ssize_t)len;
    }
    return any;
}

static void sync_disk(struct disk *d)
{
    if (d->fd >= 0 && (!d->mirrored || !d->lost[0])) fsync(d->fd);
    if (d->mirrored && d->mfd >= 0 && !d->lost[1]) fsync(d->mfd);
}

/* Drops entries from position `from` on (a future the machine left). */
static void truncate_at(struct disk_journal *j, uint64_t from)
{
    while (j->n && j->base + j->n > from) {
        struct journal_entry *e = &j->e[--j->n];
        j->bytes -= 2 * (size_t)e->len;
        entry_free(e);
    }
}

/* Drops the oldest entries until the journal is within its bound (or
 * nothing older than the newest is left). */
static void trim(struct disk_journal *j)
{
    size_t k = 0;
    while (j->bytes > j->max_bytes && k + 1 < j->n) {
        j->bytes -= 2 * (size_t)j->e[k].len;
        entry_free(&j->e[k++]);
    }
    if (!k) return;
    memmove(j->e, j->e + k, (j->n - k) * sizeof *j->e);
    j->n -= k;
    j->base += k;
    j->dropped += k;
}

void disk_journal_note(struct machine *m, struct disk *d, const uint8_t *mem, uint32_t len, uint64_t off)
{
    struct disk_journal *j = m->journal;
    if (!j) return;
    uint64_t pos = m->journal_pos;
    if (pos >= j->base && pos < j->base + j->n) {
        const struct journal_entry *e = &j->e[pos - j->base];
        if (e->d == d && e->off == off && e->len == len && memcmp(e->new_, mem, len) == 0) {
            /* the recorded write, made again by a replay */
            m->journal_pos = j->at = pos + 1;
            return;
        }
    }
    truncate_at(j, pos);
    uint8_t *both = malloc(2 * (size_t)len);
    int fd = read_fd(d);
    bool ok = both && fd >= 0 && pread(fd, both, len, (off_t)off) == (ssize_t)len;
    if (ok && j->n == j->cap) {
        size_t cap = j->cap ? j->cap * 2 : 256;
        struct journal_entry *e = realloc(j->e, cap * sizeof *e);
        if ((ok = e != NULL)) {
            j->e = e;
            j->cap = cap;
        }
    }
    if (!ok) {
        /* what the sectors held is lost: history before this write no
         * longer reaches the disk */
        free(both);
        truncate_at(j, j->base);
        j->base = pos + 1;
        m->journal_pos = j->at = pos + 1;
        return;
    }
    if (j->n == 0) j->base = pos;
    memcpy(both + len, mem, len);
    j->e[j->n++] = (struct journal_entry){d, off, len, both, both + len};
    j->bytes += 2 * (size_t)len;
    m->journal_pos = j->at = pos + 1;
    trim(j);
}

bool disk_journal_reaches(const struct disk_journal *j, uint64_t pos)
{
    /* base .. base + n: before the first entry kept, up to after the last */
    return !j || (pos >= j->base && pos <= j->base + j->n) || pos == j->at;
}

void disk_journal_seek(struct machine *m)
{
    struct disk_journal *j = m->journal;
    if (!j || j->at == m->journal_pos) return;
    uint64_t to = m->journal_pos;
    struct disk *synced[MAX_VMS + 1];
    int nsynced = 0;
    while (j->at != to) {
        bool back = to < j->at;
        const struct journal_entry *e = &j->e[(back ? j->at - 1 : j->at) - j->base];
        put_bytes(e->d, back ? e->old : e->new_, e->len, e->off);
        *(back ? &j->rewound : &j->replayed) += e->len;
        j->at += back ? (uint64_t)-1 : 1;
        int k = 0;
        while (k < nsynced && synced[k] != e->d) k++;
        if (k == nsynced && nsynced < MAX_VMS + 1) synced[nsynced++] = e->d;
    }
    for (int k = 0; k < nsynced; k++) sync_disk(synced[k]);
}

void disk_journal_info(const struct disk_journal *j, struct disk_journal_info *out)
{
    memset(out, 0, sizeof *out);
    if (!j) return;
    *out = (struct disk_journal_info){.entries = j->n, .bytes = j->bytes, .max_bytes = j->max_bytes,
                                      .reaches = j->base, .at = j->at, .dropped = j->dropped,
                                      .rewound = j->rewound, .replayed = j->replayed};
}
