/*
 * disk.c — the block device: a disk kept in a host file, and a DMA engine.
 *
 * The guest writes a sector number, a count and a physical address to the
 * disk_* ports, then a command (read, write, flush) to disk_cmd.  The device
 * checks everything at once — the command, the count, the sectors against
 * the disk, the physical range against the memory it may reach — and either
 * refuses with an error code (nothing moves) or does the whole transfer
 * between the file and memory there and then.  It then stays busy for a
 * latency in simulated cycles (the profile's disk_command + disk_sector per
 * sector), so the same run takes the same cycles every time: host time
 * never enters.  The guest waits for busy to clear in disk_status before it
 * uses the data or starts the next command — polling, or sleeping until the
 * completion interrupt: every command written is *done* once (a refused one
 * at once, an accepted one at done_at), and while a command is done and not
 * acknowledged (disk_ack) the device raises cause 12 if disk_ctrl enables
 * it.  Nothing here runs at done_at: done is computed from the cycle asked
 * about (disk_irq_line), and whoever must be there when it rises — the
 * CPU's event check natively (machine_next_event), the hypervisor's host
 * timer under a VM (vdev_next_event) — asks disk_irq_at when.
 *
 * The one idea to hold: the device never touches memory outside its window
 * (struct disk_window).  Natively the window is all of physical memory;
 * under the hypervisor it is the VM's own guest-physical memory, so a guest
 * that programs DMA anywhere else gets DISK_DMA and no other VM, nor the
 * hypervisor, sees a byte change.
 *
 * Durability: a write command reaches the file at once (pwrite: it is in
 * the host's page cache, so it survives the simulator being killed); the
 * flush command fsyncs the file, which is what makes writes survive the host
 * itself going down.  There is no cache of the simulator's own in between.
 */
#define _GNU_SOURCE   /* F_OFD_SETLK */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cpu/cpu.h"

/* "64K", "1M", "4096": bytes, false if malformed. */
static bool parse_size(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s) return false;
    unsigned shift = *end == 'K' || *end == 'k' ? 10 : *end == 'M' || *end == 'm' ? 20 : 0;
    if (shift) end++;
    v <<= shift;
    if (*end || v > (1ull << 32)) return false;
    *out = v;
    return true;
}

/* "FIRST+COUNT", in sectors, COUNT at least 1. */
static bool parse_part(const char *s, uint32_t *first, uint32_t *count)
{
    char *end;
    errno = 0;
    unsigned long long f = strtoull(s, &end, 10), c;
    if (errno || end == s || *end != '+' || f > UINT32_MAX) return false;
    s = end + 1;
    c = strtoull(s, &end, 10);
    if (errno || end == s || *end || c == 0 || c > UINT32_MAX || f + c > UINT32_MAX) return false;
    *first = (uint32_t)f;
    *count = (uint32_t)c;
    return true;
}

/* The options after FILE: where the first of ":create=", ":part=",
 * ":mirror=", ":degraded" and ":resync" is. */
static const char *first_option(const char *spec)
{
    static const char *const names[] = {":create=", ":part=", ":mirror=", ":degraded", ":resync"};
    const char *first = NULL;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const char *o = strstr(spec, names[i]);
        if (o && (!first || o < first)) first = o;
    }
    return first;
}

/* Opens one file of a disk for reading and writing (creating it create
 * bytes long if asked and it is new), checks it, and takes the whole-file
 * lock unless it is a partition; its size in *size.  False with the
 * reason in why (errno_out: open's errno, 0 if it opened). */
static int open_disk_file(const char *path, uint64_t create, bool part, off_t *size, const char **why,
                          char *buf, size_t buflen, int *errno_out)
{
    *why = NULL;
    *errno_out = 0;
    int fd = open(path, O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0), 0666);
    if (fd < 0) {
        *errno_out = errno;
        const char *hint = errno == ENOENT                     ? " (make it with --disk FILE:create=SIZE)"
                           : errno == EACCES || errno == EROFS ? " (read-only)"
                                                               : "";
        snprintf(buf, buflen, "cannot open for reading and writing: %s%s", strerror(errno), hint);
        *why = buf;
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) *why = strerror(errno);
    else if (!S_ISREG(st.st_mode)) *why = "not a regular file";
    /* root opens anything read-write: the file's own mode is the promise */
    else if (!(st.st_mode & 0222)) *why = "read-only (no write permission)";
    else if (!part && flock(fd, LOCK_EX | LOCK_NB) != 0)
        *why = errno == EWOULDBLOCK ? "locked: another simulator is using it" : strerror(errno);
    else if (create && st.st_size == 0 && ftruncate(fd, (off_t)create) != 0) *why = strerror(errno);
    else if (create && st.st_size == 0) st.st_size = (off_t)create;
    if (!*why && create && (uint64_t)st.st_size != create) *why = "exists with another size than create= says";
    if (!*why && (st.st_size == 0 || st.st_size % DISK_SECTOR)) *why = "short: not a whole number of 512-byte sectors";
    if (!*why && (uint64_t)st.st_size / DISK_SECTOR > UINT32_MAX) *why = "too large";
    if (*why) {
        close(fd);
        return -1;
    }
    *size = st.st_size;
    return fd;
}

/* ---- a mirrored disk (FILE:mirror=FILE2) ---------------------------------- */

static int half_fd(const struct disk *d, int h) { return h == 0 ? d->fd : d->mfd; }
static const char *half_path(const struct disk *d, int h) { return h == 0 ? d->path : d->mpath; }

/* Half h is gone: reported once (on stderr, as the simulator's own
 * messages are), counted; the other half goes on alone. */
static void lose_half(struct disk *d, int h, const char *why)
{
    if (d->lost[h]) return;
    d->lost[h] = true;
    d->half_losses++;
    if (d->lost[!h])
        fprintf(stderr, "ringsim: disk %s: mirror half %s lost (%s): no half left, the disk's commands fail\n",
                d->path, half_path(d, h), why);
    else
        fprintf(stderr, "ringsim: disk %s: mirror half %s lost (%s): going on with %s alone\n", d->path,
                half_path(d, h), why, half_path(d, !h));
}

/* Before each command: a half whose file was removed or cut short under
 * the simulator is lost (writes to it would succeed, into nothing). */
static void check_halves(struct disk *d)
{
    for (int h = 0; h < 2; h++) {
        if (d->lost[h]) continue;
        struct stat st;
        char why[96];
        if (fstat(half_fd(d, h), &st) != 0) lose_half(d, h, strerror(errno));
        else if (st.st_nlink == 0) lose_half(d, h, "the file was removed");
        else if ((uint64_t)st.st_size < (uint64_t)d->sectors * DISK_SECTOR) {
            snprintf(why, sizeof why, "the file was truncated to %lld bytes", (long long)st.st_size);
            lose_half(d, h, why);
        }
    }
}

/* len bytes between memory and the disk at byte off: both halves written,
 * a read from the first half there (the other if it fails).  False if no
 * half could do it. */
static bool disk_rw(struct disk *d, bool write_disk, uint8_t *mem, uint32_t len, off_t off)
{
    if (!d->mirrored) {
        ssize_t done = write_disk ? pwrite(d->fd, mem, len, off) : pread(d->fd, mem, len, off);
        return done == (ssize_t)len;
    }
    bool any = false;
    for (int h = 0; h < 2; h++) {
        if (d->lost[h]) continue;
        ssize_t n = write_disk ? pwrite(half_fd(d, h), mem, len, off) : pread(half_fd(d, h), mem, len, off);
        if (n == (ssize_t)len) {
            any = true;
            if (!write_disk) {
                d->half_reads[h]++;
                return true;
            }
        } else {
            lose_half(d, h, n < 0 ? strerror(errno) : write_disk ? "a short write" : "a short read");
        }
    }
    return any;
}

/* The flush: every half there fsync'd. */
static bool disk_sync(struct disk *d)
{
    if (!d->mirrored) return fsync(d->fd) == 0;
    bool any = false;
    for (int h = 0; h < 2; h++) {
        if (d->lost[h]) continue;
        if (fsync(half_fd(d, h)) == 0) any = true;
        else lose_half(d, h, strerror(errno));
    }
    return any;
}

/* Half 1 made a copy of half 0 (a replaced file: resync), synced. */
static bool resync_halves(struct disk *d, off_t size, char *err, size_t errlen)
{
    static uint8_t buf[64 * 1024];
    for (off_t at = 0; at < size;) {
        size_t n = size - at < (off_t)sizeof buf ? (size_t)(size - at) : sizeof buf;
        ssize_t r = pread(d->fd, buf, n, at);
        if (r != (ssize_t)n || pwrite(d->mfd, buf, n, at) != (ssize_t)n) {
            snprintf(err, errlen, "disk %s: resync onto %s failed at byte %lld: %s", d->path, d->mpath,
                     (long long)at, r < 0 || errno ? strerror(errno) : "a short transfer");
            return false;
        }
        at += (off_t)n;
    }
    if (fsync(d->mfd) != 0) {
        snprintf(err, errlen, "disk %s: resync onto %s: fsync: %s", d->path, d->mpath, strerror(errno));
        return false;
    }
    d->resynced = (uint64_t)size / DISK_SECTOR;
    return true;
}

/* FILE:mirror=FILE2[:degraded][:resync]: both files the same size, locked;
 * a file missing at start only with degraded (the other runs alone); with
 * resync the second (a replacement: created if missing) becomes a copy of
 * the first before the guest runs. */
static bool attach_mirror(struct disk *d, const char *path, uint64_t create, bool degraded, bool resync,
                          uint32_t part_count, char *err, size_t errlen)
{
    if (part_count) {
        snprintf(err, errlen, "disk %s: part= and mirror= do not go together (a mirror is of whole files)", path);
        return false;
    }
    if (!strcmp(path, d->mpath)) {
        snprintf(err, errlen, "disk %s: mirror=%s: the same file twice", path, d->mpath);
        return false;
    }
    if (degraded && resync) {
        snprintf(err, errlen, "disk %s: degraded and resync: resync makes the mirror whole, give one", path);
        return false;
    }
    snprintf(d->path, sizeof d->path, "%s", path);
    int fds[2] = {-1, -1}, en[2];
    off_t size[2] = {0, 0};
    const char *why[2];
    char buf[2][200];
    fds[0] = open_disk_file(path, create, false, &size[0], &why[0], buf[0], sizeof buf[0], &en[0]);
    uint64_t create1 = resync && fds[0] >= 0 ? (uint64_t)size[0] : create;
    fds[1] = open_disk_file(d->mpath, create1, false, &size[1], &why[1], buf[1], sizeof buf[1], &en[1]);
    for (int h = 0; h < 2; h++) {
        if (fds[h] >= 0) continue;
        bool missing = en[h] == ENOENT;
        if (resync && h == 0)
            snprintf(err, errlen, "disk %s: %s (resync copies it onto %s: it must be there)", path, why[0], d->mpath);
        else if (missing && fds[!h] >= 0 && !degraded)
            snprintf(err, errlen, "disk %s: mirror half %s is missing (add :degraded to run on %s alone, or give a "
                     "replacement after the good file with :resync)", path, half_path(d, h), half_path(d, !h));
        else if (!missing || fds[!h] < 0)
            snprintf(err, errlen, "disk %s: mirror half %s: %s", path, half_path(d, h), why[h]);
        else continue;
        if (fds[!h] >= 0) close(fds[!h]);
        return false;
    }
    if (fds[0] >= 0 && fds[1] >= 0 && size[0] != size[1]) {
        snprintf(err, errlen, "disk %s: mirror half %s is %lld bytes, %s %lld: give the good one first, with :resync",
                 path, d->mpath, (long long)size[1], path, (long long)size[0]);
        close(fds[0]);
        close(fds[1]);
        return false;
    }
    d->fd = fds[0];
    d->mfd = fds[1];
    d->mirrored = true;
    d->present = true;
    off_t whole = fds[0] >= 0 ? size[0] : size[1];
    d->sectors = (uint32_t)(whole / DISK_SECTOR);
    if (resync && !resync_halves(d, whole, err, errlen)) {
        close(d->fd);
        close(d->mfd);
        d->present = false;
        return false;
    }
    for (int h = 0; h < 2; h++)
        if (fds[h] < 0) {
            d->lost[h] = true;
            d->half_losses++;
            fprintf(stderr, "ringsim: disk %s: mirror half %s is missing: running degraded on %s alone\n", d->path,
                    half_path(d, h), half_path(d, !h));
        }
    return true;
}

bool disk_attach(struct disk *d, const char *spec, char *err, size_t errlen)
{
    memset(d, 0, sizeof *d);
    d->fd = -1;
    char path[sizeof d->path];
    uint64_t create = 0;
    uint32_t part_first = 0, part_count = 0;
    bool degraded = false, resync = false;
    d->mfd = -1;
    const char *opts = first_option(spec);
    size_t n = opts ? (size_t)(opts - spec) : strlen(spec);
    if (n == 0 || n >= sizeof path) {
        snprintf(err, errlen, "--disk '%s': expected FILE[:create=SIZE][:part=FIRST+COUNT] or "
                 "FILE[:create=SIZE]:mirror=FILE2[:degraded][:resync]", spec);
        return false;
    }
    memcpy(path, spec, n);
    path[n] = 0;
    /* the options, each once, separated by ':' */
    for (const char *o = opts; o && *o;) {
        const char *val, *next = strchr(o + 1, ':');
        char word[64];
        size_t len = next ? (size_t)(next - o - 1) : strlen(o + 1);
        snprintf(word, sizeof word, "%.*s", (int)(len < sizeof word - 1 ? len : sizeof word - 1), o + 1);
        if (!strncmp(word, "create=", 7) && !create) {
            val = word + 7;
            if (!parse_size(val, &create) || create == 0 || create % DISK_SECTOR) {
                snprintf(err, errlen, "disk %s: create=%s: expected a size in bytes (K, M allowed), a multiple of %u",
                         path, val, DISK_SECTOR);
                return false;
            }
        } else if (!strncmp(word, "part=", 5) && !part_count) {
            val = word + 5;
            if (!parse_part(val, &part_first, &part_count)) {
                snprintf(err, errlen, "disk %s: part=%s: expected FIRST+COUNT, a sector range (COUNT at least 1)",
                         path, val);
                return false;
            }
        } else if (!strncmp(word, "mirror=", 7) && !*d->mpath && word[7]) {
            /* the whole value, which may be longer than word */
            val = o + 1 + 7;
            size_t ml = next ? (size_t)(next - val) : strlen(val);
            if (ml >= sizeof d->mpath) {
                snprintf(err, errlen, "disk %s: mirror=: the file name is too long", path);
                return false;
            }
            memcpy(d->mpath, val, ml);
            d->mpath[ml] = 0;
        } else if (!strcmp(word, "degraded") && !degraded) {
            degraded = true;
        } else if (!strcmp(word, "resync") && !resync) {
            resync = true;
        } else {
            snprintf(err, errlen, "disk %s: '%s': expected create=SIZE, part=FIRST+COUNT, mirror=FILE2, degraded or "
                     "resync (each once)", path, word);
            return false;
        }
        o = next;
    }
    if (*d->mpath) return attach_mirror(d, path, create, degraded, resync, part_count, err, errlen);
    if (degraded || resync) {
        snprintf(err, errlen, "disk %s: %s: only with mirror=FILE2", path, degraded ? "degraded" : "resync");
        return false;
    }
    off_t size = 0;
    const char *why;
    char buf[200];
    int open_errno;
    int fd = open_disk_file(path, create, part_count != 0, &size, &why, buf, sizeof buf, &open_errno);
    if (fd < 0) {
        snprintf(err, errlen, "disk %s: %s", path, why);
        return false;
    }
    struct stat st = {.st_size = size};
    char part_why[160];
    if (!why && part_count && (uint64_t)part_first + part_count > (uint64_t)st.st_size / DISK_SECTOR) {
        snprintf(part_why, sizeof part_why, "part=%u+%u: the partition ends past the disk's %llu sectors",
                 part_first, part_count, (unsigned long long)(st.st_size / DISK_SECTOR));
        why = part_why;
    }
    /* a byte-range lock on what this disk is (the partition, or the whole
     * file): open-file-description locks, so that two VMs of one run are as
     * much refused as two runs are */
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET,
                       .l_start = (off_t)part_first * DISK_SECTOR, .l_len = (off_t)part_count * DISK_SECTOR};
    if (!why && fcntl(fd, F_OFD_SETLK, &fl) != 0) {
        if (errno == EAGAIN || errno == EACCES) {
            if (part_count)
                snprintf(part_why, sizeof part_why, "part=%u+%u: locked: sectors %u..%u overlap a partition (or "
                         "the whole disk) another simulator or VM is using", part_first, part_count, part_first,
                         part_first + part_count - 1);
            else
                snprintf(part_why, sizeof part_why, "locked: a partition of it is in use by another simulator or VM");
        } else {
            snprintf(part_why, sizeof part_why, "cannot lock: %s", strerror(errno));
        }
        why = part_why;
    }
    if (why) {
        snprintf(err, errlen, "disk %s: %s", path, why);
        close(fd);
        return false;
    }
    d->present = true;
    d->fd = fd;
    snprintf(d->path, sizeof d->path, "%s", path);
    d->sectors = part_count ? part_count : (uint32_t)(st.st_size / DISK_SECTOR);
    d->part_first = part_first;
    return true;
}

void disk_detach(struct disk *d)
{
    if (d->present && d->fd >= 0) close(d->fd);   /* the lock goes with it */
    if (d->present && d->mirrored && d->mfd >= 0) close(d->mfd);
    d->present = false;
    d->fd = -1;
    d->mfd = -1;
}

bool disk_port(uint32_t port) { return port >= PORT_DISK_SECTOR && port <= PORT_DISK_NOTIFY; }

/* Done: a command was written since the last acknowledgement and its
 * completion cycle has come. */
static bool done(const struct disk *d, uint64_t now) { return d->unacked && now >= d->done_at; }

bool disk_irq_line(const struct disk *d, uint64_t now) { return (d->ctrl & DISK_CTRL_IRQ) && done(d, now); }

uint64_t disk_irq_at(const struct disk *d)
{
    return (d->ctrl & DISK_CTRL_IRQ) && d->unacked ? d->done_at : UINT64_MAX;
}

uint32_t disk_in(struct disk *d, uint32_t port, uint64_t now)
{
    d->port_accesses++;
    switch (port) {
    case PORT_DISK_SECTOR: return d->sector;
    case PORT_DISK_COUNT: return d->count;
    case PORT_DISK_ADDR: return d->addr;
    case PORT_DISK_CTRL: return d->ctrl;
    case PORT_DISK_STATUS:
        return (uint32_t)d->error << 8 | (done(d, now) ? DISK_STATUS_DONE : 0) |
               (now < d->done_at ? DISK_STATUS_BUSY : 0);
    case PORT_DISK_SIZE: return d->present ? d->sectors : 0;
    case PORT_DISK_QUEUE: return d->queue;
    default: return 0xffffffffu;
    }
}

/* DMA wrote guest memory [pa, pa + len) of the window: code decoded from
 * it is stale, and so may be whatever the window's owner derived from it
 * (under shadow paging, a shadow of a page table there). */
void dma_wrote(const struct disk_window *w, uint32_t at, uint32_t pa, uint32_t len)
{
    for (uint32_t page = at & ~0xfffu; page < at + len; page += 4096)
        if (w->m->code_page[page >> 12]) decode_invalidate_page(w->m, page >> 12);
    if (w->wrote) w->wrote(w->ctx, pa, len);
}

/* The host-physical address of window address pa, in a page the window
 * maps (pass-through: translated by the IOMMU, its walk's references
 * added to *refs); false with an IOMMU fault. */
static bool window_at(const struct disk_window *w, uint32_t pa, bool to_mem, uint64_t *refs, uint32_t *host)
{
    if (!w->iommu) {
        *host = w->host_base + pa;
        return true;
    }
    w->m->iommu.requester = DEV_DISK;   /* a fault names the device */
    return iommu_map(w->m, w->domain, pa, to_mem, host, refs);
}

#define DMA_PIECES (DISK_MAX_COUNT * DISK_SECTOR / 4096 + 2)

/* The whole transfer of a read or write (count and memory range checked),
 * or the reason it cannot be done.  Through an IOMMU every page is
 * translated first: one that faults drops the whole transfer. */
static enum disk_error transfer(struct disk *d, const struct disk_window *w, const struct disk_request *r,
                                uint64_t *refs)
{
    bool write_disk = r->cmd == DISK_WRITE;
    uint64_t bytes = (uint64_t)r->count * DISK_SECTOR;
    uint32_t host[DMA_PIECES], len[DMA_PIECES];
    unsigned pieces = 0;
    for (uint64_t at = 0; at < bytes; pieces++) {
        uint32_t pa = r->addr + (uint32_t)at;
        uint64_t rest = bytes - at, in_page = 4096 - (pa & 0xfffu);
        len[pieces] = (uint32_t)(w->iommu && in_page < rest ? in_page : rest);
        if (!window_at(w, pa, !write_disk, refs, &host[pieces])) return DISK_DMA;
        at += len[pieces];
    }
    if ((uint64_t)r->sector + r->count > d->sectors) return DISK_RANGE;
    if (!write_disk && w->may_write && !w->may_write(w->ctx, r->addr, (uint32_t)bytes)) return DISK_DMA;
    off_t off = ((off_t)d->part_first + r->sector) * DISK_SECTOR;
    for (unsigned i = 0; i < pieces; i++) {
        uint8_t *mem = w->m->mem + host[i];
        if (write_disk && w->m->journal) disk_journal_note(w->m, d, mem, len[i], (uint64_t)off); /* reverse execution */
        if (!disk_rw(d, write_disk, mem, len[i], off)) return DISK_HOST_IO;
        off += len[i];
    }
    if (!write_disk) /* memory changed under the CPU */
        for (unsigned i = 0, pa = r->addr; i < pieces; pa += len[i], i++) dma_wrote(w, host[i], pa, len[i]);
    if (write_disk) {
        d->writes++;
        d->sectors_written += r->count;
    } else {
        d->reads++;
        d->sectors_read += r->count;
    }
    d->dma_bytes += bytes;
    return DISK_OK;
}

/* One command, from the registers or from the queue: checked all at once
 * (the DMA engine checks what it was given before it looks for a disk),
 * then done; *latency is what it keeps the device busy for. */
static enum disk_error command(struct disk *d, const struct disk_window *w, const struct profile *p,
                               const struct disk_request *r, uint64_t *latency)
{
    bool moves = r->cmd == DISK_READ || r->cmd == DISK_WRITE;
    enum disk_error e;
    d->commands++;
    *latency = p->disk_command;
    if (!moves && r->cmd != DISK_FLUSH) e = DISK_BAD_CMD;
    else if (moves && (r->count == 0 || r->count > DISK_MAX_COUNT)) e = DISK_BAD_COUNT;
    else if (moves && (uint64_t)r->addr + (uint64_t)r->count * DISK_SECTOR > w->size) e = DISK_DMA;
    else if (!d->present) e = DISK_NO_DISK;
    else if (r->cmd == DISK_FLUSH) {
        if (d->mirrored) check_halves(d);
        e = disk_sync(d) ? DISK_OK : DISK_HOST_IO;
        d->flushes++;
    } else {
        uint64_t refs = 0;
        if (d->mirrored) check_halves(d);
        e = transfer(d, w, r, &refs);
        uint64_t dma = (uint64_t)p->disk_sector * r->count + (uint64_t)p->walk_ref * refs; /* the IOMMU's walks */
        *latency += dma;
        unsigned flags = (r->cmd == DISK_READ ? DEV_DMA_TO_MEM : 0) | (w->iommu ? DEV_DMA_IOMMU : 0) |
                         (e != DISK_OK ? DEV_DMA_FAILED : 0);
        dev_trace_dma(w->m, DEV_DISK, flags, r->addr, r->count * DISK_SECTOR, refs, e == DISK_OK ? dma : 0);
    }
    if (e != DISK_OK) d->errors++;
    return e;
}

/* Split driver: the queue's page, or NULL (no page-aligned page of the
 * window there, or one the device may not write). */
static uint8_t *queue_page(const struct disk *d, const struct disk_window *w, uint64_t *refs)
{
    uint32_t host;
    if (!d->queue || d->queue % 4096 || (uint64_t)d->queue + 4096 > w->size) return NULL;
    if (w->may_write && !w->may_write(w->ctx, d->queue, 4096)) return NULL;
    uint64_t before = *refs;
    bool ok = window_at(w, d->queue, true, refs, &host);
    /* the device reads the requests and writes the statuses back */
    dev_trace_dma(w->m, DEV_DISK, DEV_DMA_RING | (w->iommu ? DEV_DMA_IOMMU : 0) | (ok ? 0 : DEV_DMA_FAILED), d->queue, 0,
                  *refs - before, ok ? (uint64_t)w->m->prof.walk_ref * (*refs - before) : 0);
    return ok ? w->m->mem + host : NULL;
}

static uint32_t q_get(const uint8_t *q, uint32_t off)
{
    uint32_t v;
    memcpy(&v, q + off, 4);
    return v;
}

static void q_put(uint8_t *q, uint32_t off, uint32_t v) { memcpy(q + off, &v, 4); }

/* A notification (disk_notify): the device takes, in order, every request
 * the driver added since the last one (from the used index to the
 * available index), each checked as a register command is, and writes
 * each one's status and the new used index back into the page.  The batch
 * keeps the device busy for the sum of its latencies, queued after any
 * batch still in flight, and completes once: one interrupt, unless the
 * driver asked for none (DQ_NO_INTERRUPT, read now).  A malformed request
 * gets its own error status and the rest go on; a queue that is not one
 * page of the window, or an available index more than a queue ahead (the
 * device would take requests the driver never wrote), takes nothing. */
static void notify(struct disk *d, const struct disk_window *w, const struct profile *p, uint64_t now)
{
    d->notifications++;
    uint64_t refs = 0;
    uint8_t *q = d->present ? queue_page(d, w, &refs) : NULL;
    uint32_t avail = q ? q_get(q, DQ_AVAIL) : 0;
    if (!q || avail - d->used > DISK_QUEUE_SIZE) {
        d->error = d->present ? DISK_QUEUE : DISK_NO_DISK;
        d->errors++;
        d->unacked = true; /* refused at once, as a register command is */
        dev_trace_doorbell(w->m, DEV_DISK, PORT_DISK_NOTIFY, 0, 0);
        return;
    }
    uint64_t busy = (uint64_t)p->walk_ref * refs, own = 0;   /* own: beyond the DMA events' */
    uint32_t taken = avail - d->used;
    for (; d->used != avail; d->used++) {
        uint32_t slot = d->used % DISK_QUEUE_SIZE, at = DQ_REQ + slot * DQ_REQ_BYTES;
        struct disk_request r = {q_get(q, at), q_get(q, at + 4), q_get(q, at + 8), q_get(q, at + 12)};
        uint64_t latency;
        enum disk_error e = command(d, w, p, &r, &latency);
        if (e == DISK_OK) busy += latency, own += p->disk_command;
        q_put(q, DQ_STATUS + slot * 4, e);
        d->requests++;
    }
    q_put(q, DQ_USED, d->used);
    dma_wrote(w, (uint32_t)(q - w->m->mem), d->queue, DQ_STATUS + DISK_QUEUE_SIZE * 4);
    d->error = DISK_OK;
    d->done_at = (now > d->done_at ? now : d->done_at) + busy;
    if (!(q_get(q, DQ_FLAGS) & DQ_NO_INTERRUPT)) d->unacked = true;
    dev_trace_doorbell(w->m, DEV_DISK, PORT_DISK_NOTIFY, taken, own);
}

void disk_out(struct disk *d, const struct disk_window *w, const struct profile *p, uint32_t port,
              uint32_t value, uint64_t now)
{
    d->port_accesses++;
    switch (port) {
    case PORT_DISK_SECTOR: d->sector = value; return;
    case PORT_DISK_COUNT: d->count = value; return;
    case PORT_DISK_ADDR: d->addr = value; return;
    case PORT_DISK_CTRL: d->ctrl = (uint8_t)(value & DISK_CTRL_IRQ); return;
    case PORT_DISK_ACK:
        /* clears a completion that has come; one still in flight stays */
        if (done(d, now)) d->unacked = false;
        return;
    case PORT_DISK_QUEUE:
        /* without a disk there is nothing to queue for: the register keeps
         * nothing (so a machine without one has no queue state to save) */
        if (d->present) d->queue = value;
        return;
    case PORT_DISK_NOTIFY: notify(d, w, p, now); return;
    case PORT_DISK_CMD: break;
    default: return;
    }
    enum disk_error e;
    uint64_t latency = p->disk_command;
    struct disk_request r = {value, d->sector, d->count, d->addr};
    if (now < d->done_at) { /* the command in flight goes on */
        d->commands++;
        d->errors++;
        e = DISK_BUSY;
    } else e = command(d, w, p, &r, &latency);
    d->error = (uint8_t)e;
    if (e == DISK_OK) d->done_at = now + latency;
    dev_trace_doorbell(w->m, DEV_DISK, PORT_DISK_CMD, 1, e == DISK_OK ? p->disk_command : 0);
    /* every command is done once: refused ones at once (nothing was in
     * flight: done_at has passed), accepted ones at done_at; one refused
     * as busy is the command in flight's, which completes as it would */
    if (e != DISK_BUSY) d->unacked = true;
}

void disk_file(struct savefile *f, struct disk *d)
{
    sf_u32(f, &d->sector);
    sf_u32(f, &d->count);
    sf_u32(f, &d->addr);
    sf_u8(f, &d->error);
    sf_u8(f, &d->ctrl);
    sf_bool(f, &d->unacked);
    sf_u64(f, &d->done_at);
    uint64_t *c[] = {&d->commands, &d->reads, &d->writes, &d->flushes, &d->errors, &d->sectors_read,
                     &d->sectors_written, &d->dma_bytes, &d->port_accesses, &d->interrupts};
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) sf_u64(f, c[i]);
}

json_t *disk_stats_json(const struct disk *d)
{
    if (!d->present) return NULL;
    json_t *o = json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "file", d->path, "sectors",
                          (json_int_t)d->sectors, "commands", (json_int_t)d->commands, "reads", (json_int_t)d->reads,
                          "writes", (json_int_t)d->writes, "flushes", (json_int_t)d->flushes, "errors",
                          (json_int_t)d->errors, "sectors_read", (json_int_t)d->sectors_read, "sectors_written",
                          (json_int_t)d->sectors_written, "dma_bytes", (json_int_t)d->dma_bytes, "port_accesses",
                          (json_int_t)d->port_accesses, "interrupts", (json_int_t)d->interrupts);
    if (o) {
        json_object_set_new(o, "notifications", json_integer((json_int_t)d->notifications));
        json_object_set_new(o, "queue_requests", json_integer((json_int_t)d->requests));
    }
    if (o && d->mirrored)
        json_object_set_new(o, "mirror", json_pack("{s:[s,s],s:[b,b],s:I,s:[I,I],s:I}", "files", d->path, d->mpath,
                                                   "lost", d->lost[0], d->lost[1], "losses", (json_int_t)d->half_losses,
                                                   "reads", (json_int_t)d->half_reads[0], (json_int_t)d->half_reads[1],
                                                   "resynced_sectors", (json_int_t)d->resynced));
    return o;
}
