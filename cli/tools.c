/*
 * tools.c — the image tools disasm and isadoc, and finding a bundled image
 * (asm and parsing sizes are in asm.c).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <dirent.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "visualise/visualise.h"

bool cli_resolve_image(const char *arg, char *out, size_t outlen)
{
    if (access(arg, R_OK) == 0 || strchr(arg, '/')) {
        snprintf(out, outlen, "%s", arg);
        return access(arg, R_OK) == 0;
    }
    char file[256];
    snprintf(file, sizeof file, "%s.img", arg);
    return ringsim_find_file("guests", file, out, outlen);
}

/* The names of the bundled programs (guests/NAME.img on the search path),
 * at most max of them, each malloc'd; returns how many. */
static int bundled_names(char **names, int max)
{
    /* where the bundled kernel is, the others are: the first directory on
     * the search path may hold the sources (guests/NAME.s), not the images */
    char dir[PATH_MAX];
    if (!ringsim_find_file("guests", "kernel.img", dir, sizeof dir)) return 0;
    *strrchr(dir, '/') = 0;
    DIR *d = opendir(dir);
    int n = 0;
    for (struct dirent *e; d && n < max && (e = readdir(d)) != NULL;) {
        size_t len = strlen(e->d_name);
        if (len > 4 && !strcmp(e->d_name + len - 4, ".img") && (names[n] = strndup(e->d_name, len - 4))) n++;
    }
    if (d) closedir(d);
    return n;
}

void cli_no_such_image(const char *cmd, const char *arg)
{
    char *names[256] = {0};
    int n = strchr(arg, '/') ? 0 : bundled_names(names, 256);
    const char *best = vis_suggest(arg, (const char *const *)names, n);
    fprintf(stderr, "ringsim %s: %s: no such file or bundled program", cmd, arg);
    if (best) fprintf(stderr, "; did you mean %s?", best);
    fputc('\n', stderr);
    for (int i = 0; i < n; i++) free(names[i]);
}

void cli_unknown_option(int argc, char **argv, const struct option *longopts, const char *cmd)
{
    const char *bad = optind > 0 && optind <= argc ? argv[optind - 1] : NULL;
    if (!bad || strncmp(bad, "--", 2) != 0) return;
    char word[64];
    snprintf(word, sizeof word, "%.*s", (int)strcspn(bad + 2, "="), bad + 2);
    const char *names[128];
    int n = 0;
    for (; n < 128 && longopts[n].name; n++) names[n] = longopts[n].name;
    const char *best = vis_suggest(word, names, n);
    if (best) fprintf(stderr, "ringsim %s: did you mean --%s?\n", cmd, best);
}

bool cli_output_ok(const char *path, char *why, size_t len)
{
    struct stat st;
    if (!*path) {
        snprintf(why, len, "'': expected a file name");
        return false;
    }
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        snprintf(why, len, "%s: is a directory; expected a file name", path);
        return false;
    }
    /* written as a temporary file in the same directory, then renamed */
    char dir[PATH_MAX];
    const char *slash = strrchr(path, '/');
    if (!slash) snprintf(dir, sizeof dir, ".");
    else if (slash == path) snprintf(dir, sizeof dir, "/");
    else snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        snprintf(why, len, "%s: no such directory %s", path, dir);
        return false;
    }
    if (access(dir, W_OK | X_OK) != 0) {
        snprintf(why, len, "%s: cannot write in %s: %s", path, dir, strerror(errno));
        return false;
    }
    return true;
}

/* ---- disasm -------------------------------------------------------------- */
/* The symbols sorted by address, the one isa_image_symbol_at would choose
 * first at each address, so that every lookup is a binary search: asking
 * isa_image_symbol_at (a scan) for every word of a big image is quadratic. */
struct symindex {
    const struct isa_symbol **by_addr;
    size_t n;
};

static int by_addr_then_preference(const void *a, const void *b)
{
    const struct isa_symbol *x = *(const struct isa_symbol *const *)a, *y = *(const struct isa_symbol *const *)b;
    if (x->addr != y->addr) return x->addr < y->addr ? -1 : 1;
    if (x->global != y->global) return x->global ? -1 : 1;   /* a global over a local */
    return strcmp(x->name, y->name);                           /* then alphabetical */
}

static bool symindex_build(struct symindex *ix, const struct isa_image *img)
{
    ix->n = (size_t)img->nsymbols;
    ix->by_addr = malloc(sizeof *ix->by_addr * (ix->n ? ix->n : 1));
    if (!ix->by_addr) return false;
    for (size_t i = 0; i < ix->n; i++) ix->by_addr[i] = &img->symbols[i];
    qsort(ix->by_addr, ix->n, sizeof *ix->by_addr, by_addr_then_preference);
    return true;
}

static const char *symbolize(void *ctx, uint32_t addr)
{
    const struct symindex *ix = ctx;
    size_t lo = 0, hi = ix->n;   /* the first symbol at or above addr */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ix->by_addr[mid]->addr < addr) lo = mid + 1;
        else hi = mid;
    }
    return lo < ix->n && ix->by_addr[lo]->addr == addr ? ix->by_addr[lo]->name : NULL;
}

int cmd_disasm(int argc, char **argv)
{
    if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        printf("usage: ringsim disasm IMG\n\n"
               "Prints every executable segment of an image: address, encoding,\n"
               "instruction, with labels from the symbol table.  IMG may be the\n"
               "name of a bundled program (ringsim disasm hello).\n");
        return 0;
    }
    if (argc != 2) {
        fprintf(stderr, "usage: ringsim disasm IMG\n");
        return EXIT_USAGE;
    }
    char path[PATH_MAX], err[512];
    if (!cli_resolve_image(argv[1], path, sizeof path)) {
        cli_no_such_image("disasm", argv[1]);
        return EXIT_USAGE;
    }
    struct isa_image img = {0};
    if (!isa_image_load(path, &img, err, sizeof err)) {
        fprintf(stderr, "ringsim disasm: %s\n", err);
        return EXIT_USAGE;
    }
    struct symindex ix;
    if (!symindex_build(&ix, &img)) {
        fprintf(stderr, "ringsim disasm: out of memory\n");
        isa_image_free(&img);
        return 1;
    }
    printf("%s: entry 0x%08x\n", path, img.entry);
    for (int s = 0; s < img.nsegments; s++) {
        const struct isa_segment *seg = &img.segments[s];
        if (!(seg->flags & 1)) { /* PF_X */
            printf("\n; data segment 0x%08x, %u bytes (%u in file)\n", seg->vaddr, seg->memsz,
                   seg->filesz);
            continue;
        }
        printf("\n; text segment 0x%08x, %u bytes\n", seg->vaddr, seg->memsz);
        for (uint32_t off = 0; off + 4 <= seg->filesz; off += 4) {
            uint32_t pc = seg->vaddr + off, w;
            memcpy(&w, seg->data + off, 4);
            const char *label = symbolize(&ix, pc);
            if (label) printf("%s:\n", label);
            char text[128];
            isa_disasm(w, pc, text, sizeof text, symbolize, &ix);
            printf("  %08x:  %08x   %s\n", pc, w, text);
        }
    }
    free(ix.by_addr);
    isa_image_free(&img);
    return 0;
}

/* ---- isadoc -------------------------------------------------------------- */
int cmd_isadoc(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--help") == 0) {
        printf("usage: ringsim isadoc\n\nPrints the ISA reference (docs/isa.md) generated from the\n"
               "instruction table; `make docs` writes it.\n");
        return 0;
    }
    (void)argv;
    if (argc != 1) {
        fprintf(stderr, "usage: ringsim isadoc\n");
        return EXIT_USAGE;
    }
    isa_write_reference(stdout);
    return 0;
}
