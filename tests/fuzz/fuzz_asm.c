/*
 * fuzz_asm.c — the assembler on any source text (fuzz.h says how it runs).
 *
 * Whatever the text: a count of errors, never a crash, a hang or a leak, in
 * bounded time and memory (the limits at the top of isa/asm.c); and when it
 * assembles, the image must survive the ELF writer and parser unchanged.
 * `.include` is live: relative names are looked up in guests/ (so the
 * kernel's sources are reachable), absolute ones anywhere.
 */
#include "tests/fuzz/fuzz.h"

static void fuzz_asm(const uint8_t *data, size_t size)
{
    static char guests[4096];
    if (!guests[0]) {
        const char *root = getenv("RINGSIM_ROOT");
        snprintf(guests, sizeof guests, "%s/guests", root && *root ? root : ".");
    }
    const char *incs[] = {guests, NULL};
    char *text = fuzz_string(data, size);
    struct isa_asm_options opt = {.include_dirs = incs, .diag = fuzz_devnull(), .text_base = 0x1000};
    struct isa_image img;
    int errors = isa_assemble_string("fuzz.s", text, &opt, &img);
    FUZZ_CHECK(errors >= 0);
    if (errors == 0) fuzz_image_round_trip(&img);
    else FUZZ_CHECK(img.nsegments == 0 && img.nsymbols == 0); /* no half-built image */
    isa_image_free(&img);
    free(text);
}

#ifndef FUZZ_REPLAY
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_asm(data, size);
    return 0;
}
#endif
