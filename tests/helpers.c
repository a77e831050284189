/*
 * helpers.c — see helpers.h.
 */
#include "tests/helpers.h"

#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

struct captured {
    struct machine m;
    char *buf;
    size_t len;
    struct isa_image img;   /* kept for its symbols */
};

struct machine *boot_cfg(const char *src, const struct machine_config *cfg)
{
    struct captured *c = calloc(1, sizeof *c);
    cr_assert(c);
    char err[512];
    /* RINGSIM_ENGINE=jit runs the whole suite's machines compiled, as it
     * does every ringsim the suite starts (cli_machine_defaults) */
    struct machine_config engine = *cfg;
    const char *e = getenv("RINGSIM_ENGINE");
    if (e && !strcmp(e, "jit")) engine.jit = true;
    const char *t = getenv("RINGSIM_JIT_THRESHOLD");
    if (t && !engine.jit_threshold) engine.jit_threshold = (uint32_t)atoi(t);
    cr_assert(machine_init(&c->m, &engine, err, sizeof err), "machine_init: %s", err);
    char *diag = NULL;
    size_t dlen = 0;
    FILE *df = open_memstream(&diag, &dlen);
    struct isa_asm_options opt = {.diag = df, .text_base = 0x1000};
    struct isa_image img = {0};
    int errors = isa_assemble_string("test.s", src, &opt, &img);
    fclose(df);
    cr_assert_eq(errors, 0, "assembly failed:\n%s", diag);
    free(diag);
    cr_assert(machine_load_image(&c->m, &img, err, sizeof err), "load: %s", err);
    c->img = img;
    c->m.con.out = open_memstream(&c->buf, &c->len);
    return &c->m;
}

struct machine *boot(const char *src, enum isa_variant isa)
{
    struct machine_config cfg = {.memsize = 1u << 20, .isa = isa, .levels = 2};
    return boot_cfg(src, &cfg);
}

const char *machine_output(struct machine *m)
{
    struct captured *c = (struct captured *)m;
    fflush(m->con.out);
    return c->buf ? c->buf : "";
}

void shutdown(struct machine *m)
{
    struct captured *c = (struct captured *)m;
    fclose(m->con.out);
    m->con.out = NULL;
    free(c->buf);
    isa_image_free(&c->img);
    machine_free(m);
    free(c);
}

uint32_t sym(struct machine *m, const char *name)
{
    struct captured *c = (struct captured *)m;
    uint32_t a = 0;
    cr_assert(isa_image_symbol_addr(&c->img, name, &a), "no symbol '%s'", name);
    return a;
}

json_t *stats_of(const char *args)
{
    const char *dir = temp_dir();
    char path[128], a[512];
    snprintf(path, sizeof path, "%s/s.json", dir);
    snprintf(a, sizeof a, "%s --stats %s", args, path);
    cr_assert_eq(run_ringsim(a, NULL, NULL), 0, "%s", a);
    json_t *o = json_load_file(path, 0, NULL);
    cr_assert(o, "%s: no statistics", a);
    unlink(path);
    rmdir(dir);
    return o;
}

long long stats_num(json_t *o, const char *a, const char *b)
{
    return json_integer_value(json_object_get(json_object_get(o, a), b));
}

uint32_t guest_sym(const char *image, const char *name)
{
    char path[512], err[256];
    const char *dir = getenv("RINGSIM_GUESTS");
    snprintf(path, sizeof path, "%s/%s.img", dir ? dir : "build/guests", image);
    struct isa_image img = {0};
    cr_assert(isa_image_load(path, &img, err, sizeof err), "%s", err);
    uint32_t a = 0;
    cr_assert(isa_image_symbol_addr(&img, name, &a), "%s: no symbol '%s'", image, name);
    isa_image_free(&img);
    return a;
}

uint32_t peek32(const struct machine *m, uint32_t addr)
{
    uint32_t v;
    memcpy(&v, m->mem + addr, 4);
    return v;
}

const char *root_path(const char *rel)
{
    static char buf[4096];
    const char *root = getenv("RINGSIM_ROOT");
    snprintf(buf, sizeof buf, "%s/%s", root ? root : ".", rel);
    return buf;
}

const char *temp_dir(void)
{
    /* a few buffers in turn, so that a caller's directory survives the
     * temporary directories run_ringsim makes for itself */
    static char dirs[16][64];
    static unsigned next;
    char *dir = dirs[next++ % 16];
    snprintf(dir, 64, "/tmp/ringsim-test-XXXXXX");
    cr_assert(mkdtemp(dir));
    return dir;
}

/* Everything left to read from f, malloc'd and NUL-terminated. */
static char *read_all(FILE *f)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *o = open_memstream(&buf, &len);
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) fwrite(chunk, 1, n, o);
    fclose(o);
    return buf;
}

char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *buf = read_all(f);
    fclose(f);
    return buf;
}

int run_ringsim(const char *args, char **out, char **err)
{
    const char *bin = getenv("RINGSIM_BIN");
    if (!bin) bin = root_path("ringsim");
    const char *dir = temp_dir();
    char o[128], e[128], cmd[8192];
    snprintf(o, sizeof o, "%s/out", dir);
    snprintf(e, sizeof e, "%s/err", dir);
    /* a hung guest must fail the test, not hang the suite */
    snprintf(cmd, sizeof cmd, "timeout 120 '%s' %s >'%s' 2>'%s' </dev/null", bin, args, o, e);
    int st = system(cmd);
    if (out && !(*out = slurp(o))) *out = strdup("");
    if (err && !(*err = slurp(e))) *err = strdup("");
    unlink(o);
    unlink(e);
    rmdir(dir);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

const char *assemble(const char *dir, const char *name, const char *src)
{
    static char img[256];
    char s[256], args[600];
    snprintf(s, sizeof s, "%s/%s.s", dir, name);
    snprintf(img, sizeof img, "%s/%s.img", dir, name);
    FILE *f = fopen(s, "w");
    cr_assert(f);
    fputs(src, f);
    fclose(f);
    snprintf(args, sizeof args, "asm %s -o %s", s, img);
    char *err;
    cr_assert_eq(run_ringsim(args, NULL, &err), 0, "%s", err);
    free(err);
    return img;
}

char *shell_out(const char *cmd, int *status)
{
    FILE *p = popen(cmd, "r");
    if (!p) return NULL;
    char *buf = read_all(p);
    int st = pclose(p);
    if (status) *status = st;
    return buf;
}

const char *assemble_attack(const char *dir, const char *name)
{
    static char img[300];
    char rel[200], args[4500];
    snprintf(img, sizeof img, "%s/%s.img", dir, name);
    snprintf(rel, sizeof rel, "guests/attacks/%s.s", name);
    snprintf(args, sizeof args, "asm %s -o %s", root_path(rel), img);
    char *err;
    cr_assert_eq(run_ringsim(args, NULL, &err), 0, "%s", err);
    free(err);
    return img;
}

char *run_out(const char *args, int *status)
{
    char *out, *err;
    *status = run_ringsim(args, &out, &err);
    free(err);
    return out;
}
