/*
 * fuzz_elf.c — the ELF image loader on any bytes (fuzz.h says how it runs).
 *
 * The parser trusts nothing (isa/elf.c): any bytes give an image or an
 * error, in time and memory bounded by their length.  An image it accepts
 * must also be one the writer accepts and the parser reads back the same,
 * whose symbols can be looked up and whose code disassembles — and a
 * machine must load it or say why not, then run it until the cycle limit.
 */
#include "tests/fuzz/fuzz.h"

#include "cpu/cpu.h"

static const char *fuzz_elf_symbolize(void *ctx, uint32_t addr)
{
    return isa_image_symbol_at(ctx, addr);
}

static void fuzz_elf(const uint8_t *data, size_t size)
{
    struct isa_image img;
    char err[512];
    if (!isa_image_parse(data, size, "fuzz.img", &img, err, sizeof err)) {
        FUZZ_CHECK(img.nsegments == 0 && img.nsymbols == 0 && img.segments == NULL && img.symbols == NULL);
        FUZZ_CHECK(err[0]);
        return;
    }
    FUZZ_CHECK(img.nsegments > 0);
    for (int i = 0; i < img.nsymbols; i++) {
        uint32_t a, off;
        FUZZ_CHECK(isa_image_symbol_addr(&img, img.symbols[i].name, &a));
        FUZZ_CHECK(isa_image_symbol_at(&img, img.symbols[i].addr) != NULL);
        FUZZ_CHECK(isa_image_symbol_near(&img, img.symbols[i].addr, &off) && off == 0);
    }
    /* a few words of each segment, as the debugger's code pane would show them */
    for (int s = 0; s < img.nsegments; s++) {
        const struct isa_segment *g = &img.segments[s];
        for (uint32_t off = 0; off + 4 <= g->filesz && off < 256; off += 4) {
            uint32_t w;
            char text[128];
            memcpy(&w, g->data + off, 4);
            FUZZ_CHECK(isa_disasm(w, g->vaddr + off, text, sizeof text, fuzz_elf_symbolize, &img) >= 0);
        }
    }
    fuzz_image_round_trip(&img);

    struct machine m;
    struct machine_config cfg = {.memsize = 1u << 20, .levels = 2, .max_cycles = 20000};
    FUZZ_CHECK(machine_init(&m, &cfg, err, sizeof err));
    m.con.out = fuzz_devnull();
    if (machine_load_image(&m, &img, err, sizeof err)) {
        machine_run(&m, 0);
        FUZZ_CHECK(m.stop != STOP_NONE);
    } else {
        FUZZ_CHECK(err[0]);
    }
    machine_free(&m);
    isa_image_free(&img);
}

#ifndef FUZZ_REPLAY
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_elf(data, size);
    return 0;
}
#endif
