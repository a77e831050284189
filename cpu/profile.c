/*
 * profile.c — machine profiles: every cost of the machine, from an INI file.
 *
 *   [machine]  name, description
 *   [class]    cycles per instruction class (alu, mul, div, load, ...)
 *   [cost]     mem_ref, tlb_hit, walk_ref, trap_entry, ... (PROFILE_COSTS)
 *
 * Parsed with inih (Debian's libinih): a well-kept parser beats a hand-written
 * one, and it reports the line of the first error for us.
 */
#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cpu/cpu.h"

#define PROFILE_MAX_FILE (1u << 20)   /* a profile is a few dozen lines */

void profile_defaults(struct profile *p)
{
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "builtin");
    for (int i = 0; i < CL_COUNT; i++) p->class_cycles[i] = (uint32_t)isa_class_default_cycles[i];
#define X(key, dflt, desc) p->key = dflt;
    PROFILE_COSTS(X)
#undef X
}

struct parse_ctx {
    struct profile *p;
    char *err;
    size_t errlen;
};

/* Every cost is bounded, below and above, as it is read (so that the error
 * can name its line).
 *
 * Below: --max-cycles is the one thing that ends a guest that never stops,
 * and it is checked against the cycle counter, so whatever a guest can do
 * over and over must advance the counter.  Three costs are charged on
 * their own, with nothing else certain to be charged beside them, and so
 * must be at least 1:
 *   - every instruction class: an instruction is what a loop repeats;
 *   - trap_entry: a fault on the fetch (or a fault while entering a
 *     handler) runs no instruction, only the trap entry; a guest whose
 *     every fetch faults would otherwise loop in traps at a standstill;
 *   - vm_exit: likewise a VM exit need not follow an instruction (a nested
 *     paging violation on the fetch, a host interrupt).
 * Every other cost is only ever charged together with one of those, so 0
 * is fine and means "free": mem_ref (a load or store instruction), tlb_hit
 * (0 is the default: a lookup is part of the instruction), walk_ref (an
 * instruction or a trap), trap_return (iret, an instruction), io_access (in
 * or out), vm_entry (follows a vm_exit), vmcs_read, vmcs_write and hv_op
 * (hypervisor work on an exit or a trap), bt_translate (the translated
 * instructions are then charged as they run), bt_callout (the
 * instruction calling out is charged its class) and bt_dispatch (the
 * branch or jump ending the block is charged its class).
 *
 * Above: a class cost must fit the decoder's 16-bit field (cpu/decode.h,
 * self_insn; 65536 would wrap to a free instruction), and no cost may be
 * so large that a page of instructions (1024, each an instruction plus a
 * memory reference) overflows the decoder's 32-bit per-block sums. */
#define CLASS_MAX_CYCLES 65535ul
#define COST_MAX_CYCLES  1000000ul

static unsigned long cost_min(const char *section, const char *key)
{
    if (strcmp(section, "class") == 0) return 1;
    return strcmp(key, "trap_entry") == 0 || strcmp(key, "vm_exit") == 0;
}

static bool parse_cycles(const char *v, unsigned long max, uint32_t *out)
{
    char *end;
    errno = 0;
    unsigned long n = strtoul(v, &end, 0);
    if (errno || end == v || *end || v[0] == '-' || n > max) return false;
    *out = (uint32_t)n;
    return true;
}

/* inih calls this once per key; returning 0 stops the parse at that line. */
static int on_key(void *user, const char *section, const char *key, const char *value)
{
    struct parse_ctx *ctx = user;
    struct profile *p = ctx->p;
    /* inih goes on after an error and reports the first one's line: keep
     * the first one's message to go with it */
    if (ctx->err[0]) return 0;
    if (strcmp(section, "machine") == 0) {
        if (strcmp(key, "name") == 0) { snprintf(p->name, sizeof p->name, "%s", value); return 1; }
        if (strcmp(key, "description") == 0) return 1;
        snprintf(ctx->err, ctx->errlen, "unknown key '%s' in [machine]; expected name or description", key);
        return 0;
    }
    uint32_t *slot = NULL;
    if (strcmp(section, "class") == 0) {
        for (int i = 0; i < CL_COUNT; i++)
            if (strcmp(key, isa_class_name[i]) == 0) slot = &p->class_cycles[i];
        if (!slot) {
            snprintf(ctx->err, ctx->errlen, "unknown instruction class '%s' in [class]; expected one of "
                     "alu mul div load store branch jump system priv io", key);
            return 0;
        }
    } else if (strcmp(section, "cost") == 0) {
#define X(k, dflt, desc) if (strcmp(key, #k) == 0) slot = &p->k;
        PROFILE_COSTS(X)
#undef X
        if (!slot) {
            snprintf(ctx->err, ctx->errlen, "unknown cost '%s' in [cost]; expected one of"
#define X(k, dflt, desc) " " #k
                     PROFILE_COSTS(X)
#undef X
                     , key);
            return 0;
        }
    } else {
        snprintf(ctx->err, ctx->errlen, "unknown section [%s]; expected [machine], [class] or [cost]", section);
        return 0;
    }
    bool is_class = strcmp(section, "class") == 0;
    unsigned long max = is_class ? CLASS_MAX_CYCLES : COST_MAX_CYCLES, min = cost_min(section, key);
    if (!parse_cycles(value, max, slot)) {
        snprintf(ctx->err, ctx->errlen, "'%s' = '%s': expected a whole number of cycles, %lu..%lu", key, value,
                 min, max);
        return 0;
    }
    if (*slot < min) {
        snprintf(ctx->err, ctx->errlen,
                 "'%s' = '%s': expected at least %lu cycle (%s that costs nothing would let a guest run "
                 "without the cycle count advancing, and --max-cycles could never stop it)",
                 key, value, min, is_class ? "an instruction" : strcmp(key, "vm_exit") == 0 ? "a VM exit" : "a trap");
        return 0;
    }
    return 1;
}

/* Directory holding the running executable, or "." */
static void exe_dir(char *out, size_t len)
{
    char buf[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n <= 0) { snprintf(out, len, "."); return; }
    buf[n] = 0;
    char *slash = strrchr(buf, '/');
    if (slash) *slash = 0;
    snprintf(out, len, "%s", buf);
}

bool ringsim_find_file(const char *kind, const char *file, char *out, size_t outlen)
{
    char env[64], dir[PATH_MAX];
    snprintf(env, sizeof env, "RINGSIM_%s", kind);
    for (char *q = env; *q; q++) if (*q >= 'a' && *q <= 'z') *q = (char)(*q - 32);
    const char *e = getenv(env);
    if (e && *e) {
        snprintf(out, outlen, "%s/%s", e, file);
        if (access(out, R_OK) == 0) return true;
    }
    exe_dir(dir, sizeof dir);
    /* beside the program, in a source tree (./ringsim, build/…), installed */
    const char *const where[] = {"%s/%s/%s", "%s/build/%s/%s", "%s/../%s/%s", "%s/../share/ringsim/%s/%s"};
    for (size_t i = 0; i < sizeof where / sizeof where[0]; i++) {
        snprintf(out, outlen, where[i], dir, kind, file);
        if (access(out, R_OK) == 0) return true;
    }
    return false;
}

bool profile_load(const char *name_or_file, struct profile *p, char *err, size_t errlen)
{
    char path[PATH_MAX], msg[256] = "";
    size_t n = strlen(name_or_file);
    bool is_file = strchr(name_or_file, '/') || (n > 4 && strcmp(name_or_file + n - 4, ".ini") == 0);
    if (is_file) {
        snprintf(path, sizeof path, "%s", name_or_file);
    } else {
        char file[128];
        snprintf(file, sizeof file, "%s.ini", name_or_file);
        if (!ringsim_find_file("profiles", file, path, sizeof path)) {
            snprintf(err, errlen, "profile '%s' not found (looked for profiles/%s; "
                     "known: modern, p4-2006, or give a FILE.ini)", name_or_file, file);
            return false;
        }
    }
    profile_defaults(p);
    snprintf(p->source, sizeof p->source, "%s", path);
    /* read here, bounded and regular files only, rather than by inih from
     * the path: /dev/zero would be one endless line */
    char *text, why[256];
    size_t len;
    if (!isa_read_file(path, PROFILE_MAX_FILE, &text, &len, why, sizeof why)) {
        snprintf(err, errlen, "%s: cannot open profile: %s", path, why);
        return false;
    }
    /* inih reads a string up to its first NUL: the rest would be ignored */
    const char *nul = memchr(text, 0, len);
    if (nul) {
        int line = 1;
        for (const char *q = text; q < nul; q++) line += *q == '\n';
        snprintf(err, errlen, "%s:%d: a NUL byte; expected text (a profile is an INI file)", path, line);
        free(text);
        return false;
    }
    struct parse_ctx ctx = {p, msg, sizeof msg};
    int rc = ini_parse_string(text, on_key, &ctx);
    free(text);
    if (rc < 0) {
        snprintf(err, errlen, "%s: out of memory", path);
        return false;
    }
    if (rc > 0) {
        snprintf(err, errlen, "%s:%d: %s", path, rc, msg[0] ? msg : "expected 'key = value' or '[section]'");
        return false;
    }
    return true;
}
