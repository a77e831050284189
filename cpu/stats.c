/*
 * stats.c — the statistics of a run, as JSON (written with Debian's jansson).
 *
 * Field names are a contract with what reads them (tools/report.sh,
 * tools/workloads.sh, ringsim compare, the tests); cycles_by_cause
 * always sums to cycles, because cpu_charge is the only way cycles are added.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cpu/cpu.h"

static json_t *u64(uint64_t v) { return json_integer((json_int_t)v); }

json_t *stats_to_json(const struct machine *m)
{
    json_t *o = json_object();
    json_object_set_new(o, "mode", json_string("native"));
    json_object_set_new(o, "mmu", json_string("none"));
    json_object_set_new(o, "isa", json_string(isa_variant_name(m->isa)));
    json_object_set_new(o, "profile", json_string(m->prof.name));
    json_object_set_new(o, "levels", u64(m->levels));
    json_object_set_new(o, "instructions", u64(m->st.instructions));
    json_object_set_new(o, "cycles", u64(m->st.cycles));
    json_t *by = json_object();
    for (int i = 0; i < CY_COUNT; i++)
        json_object_set_new(by, cycle_cause_name[i], u64(m->st.cycles_by_cause[i]));
    json_object_set_new(o, "cycles_by_cause", by);
    json_object_set_new(o, "mem_refs", u64(m->st.mem_refs));

    const struct mmu_stats *u = &m->mmu.st;
    json_t *tlb = json_object();
    json_object_set_new(tlb, "entries", u64(m->mmu.tlb_entries));
    json_object_set_new(tlb, "ways", u64(m->mmu.tlb_ways));
    json_object_set_new(tlb, "asid_tags", json_boolean(m->mmu.asid_tags));
    json_object_set_new(tlb, "hits", u64(u->tlb_hits));
    json_object_set_new(tlb, "misses", u64(u->tlb_misses));
    json_object_set_new(tlb, "flushes", u64(u->tlb_flushes));
    json_object_set_new(tlb, "evictions", u64(u->tlb_evictions));
    json_object_set_new(o, "tlb", tlb);
    json_t *walk = json_object();
    json_object_set_new(walk, "walks", u64(u->walks));
    json_object_set_new(walk, "refs", u64(u->walk_refs));
    json_object_set_new(walk, "ad_writes", u64(u->walk_ad_writes));
    json_object_set_new(walk, "pwc_entries", u64(m->mmu.pwc_entries / 2));   /* per dimension, as --pwc says */
    json_object_set_new(walk, "pwc_hits", u64(u->pwc_hits));
    json_object_set_new(walk, "page_faults", u64(u->page_faults));
    json_object_set_new(o, "walk", walk);

    json_t *traps = json_object();
    json_object_set_new(traps, "total", u64(m->st.traps_total));
    json_t *tb = json_object();
    for (int i = 0; i < CAUSE_COUNT; i++)
        if (m->st.traps_by_cause[i])
            json_object_set_new(tb, isa_cause_name[i], u64(m->st.traps_by_cause[i]));
    json_object_set_new(traps, "by_cause", tb);
    json_object_set_new(traps, "interrupts", u64(m->st.interrupts));
    json_object_set_new(o, "traps", traps);

    json_t *io = json_object();
    json_object_set_new(io, "ops", u64(m->st.io_ops));
    json_object_set_new(io, "console_bytes", u64(m->con.bytes_out));
    json_object_set_new(o, "io", io);
    json_t *disk = disk_stats_json(&m->disk);
    if (disk) json_object_set_new(o, "disk", disk);
    json_t *net = net_stats_json(m->netsw);   /* the switch's ports, with --net */
    if (net) json_object_set_new(o, "net", net);

    json_t *g = json_object();
    json_object_set_new(g, "stop", json_string(stop_reason_name[m->stop]));
    json_object_set_new(g, "exit_code",
                        m->stop == STOP_EXIT ? u64(m->exit_code) : json_null());
    json_object_set_new(g, "detail", json_string(m->stop_detail));
    json_object_set_new(o, "guest", g);
    json_object_set_new(o, "host", json_pack("{s:I}", "decoded_pages", (json_int_t)m->st.decoded_pages));
    return o;
}

bool write_file_atomic(const char *path, const char *text, char *err, size_t errlen)
{
    if (strcmp(path, "-") == 0) {
        fputs(text, stdout);
        return true;
    }
    return write_bytes_atomic(path, text, strlen(text), err, errlen);
}

bool write_bytes_atomic(const char *path, const void *data, size_t len, char *err, size_t errlen)
{
    const char *text = data;
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        /* a device or a pipe (/dev/null, /dev/stdout): write it in place,
         * never rename over it */
        FILE *f = fopen(path, "w");
        bool ok = f && fwrite(text, 1, len, f) == len;
        if (f && fclose(f) != 0) ok = false;
        if (!ok) {
            snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
            return false;
        }
        return true;
    }
    size_t n = strlen(path);
    char *tmp = malloc(n + 16);
    if (!tmp) { snprintf(err, errlen, "%s: out of memory", path); return false; }
    snprintf(tmp, n + 16, "%s.tmpXXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        snprintf(err, errlen, "%s: cannot create: %s", path, strerror(errno));
        free(tmp);
        return false;
    }
    /* mkstemp makes the file private; give it the usual permissions */
    mode_t mask = umask(0);
    umask(mask);
    if (fchmod(fd, 0666 & ~mask) != 0) {
        snprintf(err, errlen, "%s: cannot set permissions: %s", path, strerror(errno));
        close(fd); unlink(tmp); free(tmp);
        return false;
    }
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(fd, text + off, len - off);
        if (w <= 0) {
            snprintf(err, errlen, "%s: write failed: %s", path, strerror(errno));
            close(fd); unlink(tmp); free(tmp);
            return false;
        }
        off += (size_t)w;
    }
    /* on the disk before it takes the name: a crash leaves the old file or the new one */
    if (fsync(fd) != 0 || close(fd) != 0 || rename(tmp, path) != 0) {
        snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
        unlink(tmp); free(tmp);
        return false;
    }
    free(tmp);
    return true;
}

bool stats_write_json(const struct machine *m, const char *path, char *err, size_t errlen)
{
    return json_write_file(stats_to_json(m), path, err, errlen);
}

bool json_write_file(json_t *o, const char *path, char *err, size_t errlen)
{
    char *text = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(o);
    if (!text) { snprintf(err, errlen, "%s: out of memory", path); return false; }
    size_t n = strlen(text);
    char *withnl = malloc(n + 2);
    if (!withnl) { free(text); snprintf(err, errlen, "%s: out of memory", path); return false; }
    memcpy(withnl, text, n);
    withnl[n] = '\n';
    withnl[n + 1] = 0;
    bool ok = write_file_atomic(path, withnl, err, errlen);
    free(withnl);
    free(text);
    return ok;
}
