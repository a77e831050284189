/*
 * test_debugger_dev.c — the debugger's `info dev` (visualise/debugger_dev.c):
 * the block device's registers, the split driver's queue, a mirror's files,
 * and under pass-through the IOMMU's domain and IOTLB, as the run has them.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/helpers.h"

/* `ringsim debug OPTS --batch` with commands: stdout. */
static char *debug_batch(const char *dir, const char *opts, const char *commands)
{
    char batch[400], a[1500], why[256];
    snprintf(batch, sizeof batch, "%s/cmds", dir);
    cr_assert(write_file_atomic(batch, commands, why, sizeof why), "%s", why);
    snprintf(a, sizeof a, "debug %s --batch %s", opts, batch);
    char *out, *err;
    int st = run_ringsim(a, &out, &err);
    cr_assert_eq(st, 0, "%s\n%s", out, err);
    free(err);
    return out;
}

static void says(const char *text, const char *line) { cr_assert(strstr(text, line), "lacks '%s':\n%s", line, text); }

Test(debugger_dev, info_dev_shows_the_queue_at_each_completion)
{
    const char *dir = temp_dir();
    char opts[600];
    snprintf(opts, sizeof opts, "diskq --args 2 --mode hw --disk %s/q.img:create=256K:mirror=%s/r.img", dir, dir);
    char *out = debug_batch(dir, opts, "info dev\nbreak trap disk\ncontinue\ninfo dev\ncontinue\ninfo dev\nquit\n");
    /* before the driver ran: no queue yet, no command */
    says(out, "block device: ");
    says(out, "request queue: none");
    says(out, "commands 0 (reads 0, writes 0");
    /* at the first completion one request was taken, at the second two */
    says(out, "available 1, used 1: 0 outstanding; 1 notifications, 1 requests taken");
    says(out, "available 2, used 2: 0 outstanding; 2 notifications, 2 requests taken");
    says(out, "commands 2 (reads 1, writes 1, flushes 0, errors 0), DMA 4608 bytes, interrupts 2");
    says(out, "status: idle, done (not acknowledged), last error ok");
    says(out, "emulated by the hypervisor");
    says(out, "/r.img ok (0 reads)");
    free(out);
}

Test(debugger_dev, info_dev_shows_the_iommu_when_passed_through)
{
    const char *dir = temp_dir();
    char opts[600];
    snprintf(opts, sizeof opts, "diskio --args 2 --mode hw --passthrough 0 --disk %s/p.img:create=256K", dir);
    char *out = debug_batch(dir, opts, "break trap disk\ncontinue\ninfo dev\nquit\n");
    says(out, "passed through (its ports do not exit, its DMA goes through the IOMMU)");
    says(out, "IOMMU domain 0: table h:");
    says(out, "walks 1 (2 references)");
    /* the IOTLB holds the page of the first transfer, mapped inside VM 0 (host 0..16 MiB) */
    const char *e = strstr(out, "  IOTLB 0: domain 0, bus ");
    cr_assert(e, "%s", out);
    unsigned bus, host;
    cr_assert_eq(sscanf(e, "  IOTLB 0: domain 0, bus %x -> h:%x", &bus, &host), 2, "%s", e);
    cr_assert_lt(host, 16u << 20);
    free(out);
    /* bare metal, and no disk at all */
    snprintf(opts, sizeof opts, "diskio --args 2 --disk %s/n.img:create=256K", dir);
    out = debug_batch(dir, opts, "break trap disk\ncontinue\ninfo dev\nquit\n");
    says(out, "block device (bare metal): ");
    cr_assert_null(strstr(out, "IOMMU domain"), "%s", out);
    free(out);
    out = debug_batch(dir, "hello", "info dev\nquit\n");
    says(out, "no block device");
    free(out);
}
