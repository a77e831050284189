/*
 * asm.c — `ringsim asm`, and cli_parse_u64 (numbers with K/M/G), which every
 * subcommand shares.  This file needs isa/ alone: build/ringsim-asm
 * (tools/asm_main.c), which assembles the bundled guests, is this file and
 * isa/, so that changing the CPU or the hypervisor reassembles nothing.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>

#include "cli/cli.h"

bool cli_parse_u64(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    if (!*s || *s == '-') return false;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno) return false;
    uint64_t mul = 1;
    if (*end == 'K' || *end == 'k') mul = 1ull << 10, end++;
    else if (*end == 'M' || *end == 'm') mul = 1ull << 20, end++;
    else if (*end == 'G' || *end == 'g') mul = 1ull << 30, end++;
    if (*end) return false;
    if (v > UINT64_MAX / mul) return false;
    *out = v * mul;
    return true;
}

/* ---- asm ----------------------------------------------------------------- */
static void asm_help(FILE *out)
{
    fprintf(out,
            "usage: ringsim asm SRC.s -o IMG [-I DIR]… [-D NAME=VALUE]…\n\n"
            "Assembles ringsim assembly (docs/isa.md) into an ELF32 image with its\n"
            "symbol table.  Errors are printed as file:line:col: error: message with\n"
            "the source line and a caret; on any error no image is written and the\n"
            "exit status is 1.\n\n"
            "  -o IMG          output image (written atomically)\n"
            "  -I DIR          also look for .include files in DIR\n"
            "  -D NAME=VALUE   define a symbol, as .equ NAME, VALUE (for .if)\n"
            "  --text-base A   load address of .text (default 0x1000)\n");
}

int cmd_asm(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"help", no_argument, 0, 'h'},
        {"output", required_argument, 0, 'o'},
        {"text-base", required_argument, 0, 't'},
        {0, 0, 0, 0},
    };
    const char *out = NULL;
    const char *incs[64] = {0}, *defs[64] = {0};
    int ninc = 0, ndef = 0;
    uint64_t base = 0x1000;
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "ho:I:D:", longopts, NULL)) != -1) {
        switch (ch) {
        case 'h': asm_help(stdout); return 0;
        case 'o': out = optarg; break;
        case 'I': if (ninc < 63) incs[ninc++] = optarg; break;
        case 'D': if (ndef < 63) defs[ndef++] = optarg; break;
        case 't':
            if (!cli_parse_u64(optarg, &base) || base > 0xfffff000u || base % 4096) {
                fprintf(stderr, "ringsim asm: --text-base '%s': expected a page-aligned address\n", optarg);
                return EXIT_USAGE;
            }
            break;
        default: asm_help(stderr); return EXIT_USAGE;
        }
    }
    if (optind != argc - 1 || !out) {
        fprintf(stderr, "ringsim asm: expected one SRC.s and -o IMG\n");
        asm_help(stderr);
        return EXIT_USAGE;
    }
    struct isa_asm_options opt = {.include_dirs = incs, .defines = defs, .diag = stderr, .text_base = (uint32_t)base};
    struct isa_image img = {0};
    int errors = isa_assemble_file(argv[optind], &opt, &img);
    if (errors) {
        fprintf(stderr, "%d error%s; %s not written\n", errors, errors == 1 ? "" : "s", out);
        isa_image_free(&img);
        return 1;
    }
    char err[512];
    bool ok = isa_image_write(out, &img, err, sizeof err);
    isa_image_free(&img);
    if (!ok) {
        fprintf(stderr, "ringsim asm: %s\n", err);
        return 1;
    }
    return 0;
}
