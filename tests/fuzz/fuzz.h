/*
 * fuzz.h — what the fuzz targets (tests/fuzz/fuzz_*.c) share.
 *
 * Each target is one function, fuzz_NAME(data, size), that feeds the bytes
 * to one way into ringsim and checks what must hold for any input.  It is
 * built two ways: by `make fuzz`, with clang's libFuzzer calling it through
 * LLVMFuzzerTestOneInput; and, with FUZZ_REPLAY defined, #included by
 * tests/test_inputs.c, which replays every input kept in
 * tests/fuzz/regressions/NAME/ through the very same function — so `make
 * test` covers every crash the fuzzers ever found, without libFuzzer.
 *
 * A broken invariant aborts (FUZZ_CHECK): libFuzzer reports it as a crash
 * and keeps the input; under Criterion the test crashes and fails.
 */
#ifndef RINGSIM_FUZZ_H
#define RINGSIM_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FUZZ_CHECK(cond)                                                                      \
    do {                                                                                      \
        if (!(cond)) {                                                                        \
            fprintf(stderr, "%s:%d: fuzz invariant broken: %s\n", __FILE__, __LINE__, #cond); \
            abort();                                                                          \
        }                                                                                     \
    } while (0)

/* Bundled guests and profiles are found through $RINGSIM_GUESTS and
 * $RINGSIM_PROFILES (cpu/profile.c, ringsim_find_file): set them, if unset,
 * to the tree at $RINGSIM_ROOT (else the current directory), as make test
 * and make fuzz run from it. */
static inline void fuzz_find_bundled(void)
{
    static const char *const kinds[][2] = {{"RINGSIM_GUESTS", "build/guests"}, {"RINGSIM_PROFILES", "profiles"}};
    const char *root = getenv("RINGSIM_ROOT");
    for (int i = 0; i < 2; i++) {
        if (getenv(kinds[i][0])) continue;
        char dir[4096];
        snprintf(dir, sizeof dir, "%s/%s", root && *root ? root : ".", kinds[i][1]);
        setenv(kinds[i][0], dir, 0);
    }
}

/* Where diagnostics go: nowhere (millions of inputs, most of them wrong). */
static inline FILE *fuzz_devnull(void)
{
    static FILE *f;
    if (!f) f = fopen("/dev/null", "w");
    FUZZ_CHECK(f);
    return f;
}

/* The bytes as a C string (they end at the first NUL, as a C caller's would). */
static inline char *fuzz_string(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    FUZZ_CHECK(s);
    memcpy(s, data, size);
    s[size] = 0;
    return s;
}

/* A temporary file of this process (made once, removed at exit), for the
 * entry points that only take a path. */
enum { FUZZ_TMP_PROFILE, FUZZ_TMP_IMAGE, FUZZ_TMP_COUNT };
static char fuzz_tmp_paths[FUZZ_TMP_COUNT][64];
static inline void fuzz_tmp_cleanup(void)
{
    for (int i = 0; i < FUZZ_TMP_COUNT; i++)
        if (fuzz_tmp_paths[i][0]) unlink(fuzz_tmp_paths[i]);
}
static inline const char *fuzz_tmp_path(int which, const char *suffix)
{
    char *p = fuzz_tmp_paths[which];
    if (!p[0]) {
        char tmpl[32];
        snprintf(tmpl, sizeof tmpl, "/tmp/ringsim-fuzz-XXXXXX");
        int fd = mkstemp(tmpl);
        FUZZ_CHECK(fd >= 0);
        close(fd);
        unlink(tmpl);
        FUZZ_CHECK(strlen(tmpl) + strlen(suffix) < sizeof fuzz_tmp_paths[which]);
        memcpy(p, tmpl, strlen(tmpl));
        memcpy(p + strlen(tmpl), suffix, strlen(suffix) + 1);
        static int registered;
        if (!registered++) atexit(fuzz_tmp_cleanup);
    }
    return p;
}

/* Writes the bytes to the file at path (replacing what was there). */
static inline void fuzz_write_file(const char *path, const uint8_t *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    FUZZ_CHECK(f);
    FUZZ_CHECK(fwrite(data, 1, size, f) == size);
    FUZZ_CHECK(fclose(f) == 0);
}

/* ---- images: what the writer writes, the parser must read back the same */
#include "isa/isa.h"

static inline int fuzz_sym_cmp(const void *a, const void *b)
{
    const struct isa_symbol *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    if (c) return c;
    if (x->addr != y->addr) return x->addr < y->addr ? -1 : 1;
    return (int)x->global - (int)y->global;
}

/* Writes img to a file and reads it back: if the writer accepts it, the
 * parser must, and give the same segments and symbols (the writer puts
 * locals before globals, so symbols are compared as sets). */
static inline void fuzz_image_round_trip(const struct isa_image *img)
{
    const char *path = fuzz_tmp_path(FUZZ_TMP_IMAGE, ".img");
    char err[512];
    if (!isa_image_write(path, img, err, sizeof err)) return;
    struct isa_image back;
    bool ok = isa_image_load(path, &back, err, sizeof err);
    if (!ok) fprintf(stderr, "fuzz: the parser refuses what the writer wrote: %s\n", err);
    FUZZ_CHECK(ok);
    FUZZ_CHECK(back.entry == img->entry);
    FUZZ_CHECK(back.nsegments == img->nsegments);
    for (int i = 0; i < img->nsegments; i++) {
        const struct isa_segment *a = &img->segments[i], *b = &back.segments[i];
        FUZZ_CHECK(a->vaddr == b->vaddr && a->filesz == b->filesz && a->memsz == b->memsz && a->flags == b->flags);
        FUZZ_CHECK(!a->filesz || memcmp(a->data, b->data, a->filesz) == 0);
    }
    FUZZ_CHECK(back.nsymbols == img->nsymbols);
    size_t n = (size_t)img->nsymbols;
    struct isa_symbol *x = malloc(sizeof *x * (n + 1)), *y = malloc(sizeof *y * (n + 1));
    FUZZ_CHECK(x && y);
    if (n) {
        memcpy(x, img->symbols, sizeof *x * n);
        memcpy(y, back.symbols, sizeof *y * n);
    }
    qsort(x, n, sizeof *x, fuzz_sym_cmp);
    qsort(y, n, sizeof *y, fuzz_sym_cmp);
    for (size_t i = 0; i < n; i++) FUZZ_CHECK(fuzz_sym_cmp(&x[i], &y[i]) == 0);
    free(x);
    free(y);
    isa_image_free(&back);
}

#endif
