/*
 * fuzz_profile.c — the profile loader on any file (fuzz.h says how it runs).
 *
 * Whatever the file: a profile or "file:line: what was expected".  And the
 * reason profiles are checked at all: with any profile the loader accepts,
 * --max-cycles must stop a guest that never stops by itself — a loop of
 * instructions, a loop of traps, a kernel under the hypervisor with its VM
 * exits — so a cost that lets the machine run without the cycle count
 * advancing shows up here as a hang.
 */
#include "tests/fuzz/fuzz.h"

#include "cli/cli.h"
#include "cpu/cpu.h"

#define FUZZ_PROFILE_CYCLES 3000

/* Guests that never stop: plain instructions; then memory references, port
 * I/O and a system call whose handler returns at once, over and over. */
static const char *const fuzz_profile_guests[] = {
    "_start: j _start\n",
    "_start: la r1, vectors\n mtcr vbr, r1\n"
    "loop: lw r2, 0x800(r0)\n sw r2, 0x804(r0)\n in r3, timer_now\n syscall\n j loop\n"
    "handler: iret\n"
    ".align 4\nvectors: .word handler, handler, handler, handler, handler, handler, handler, handler\n"
    ".word handler, handler, handler, handler, handler, handler, handler, handler\n",
};

static void fuzz_profile_native(const struct profile *p)
{
    static struct isa_image imgs[2];
    static bool built;
    if (!built) {
        for (int i = 0; i < 2; i++) {
            struct isa_asm_options opt = {.diag = stderr};
            FUZZ_CHECK(isa_assemble_string("guest.s", fuzz_profile_guests[i], &opt, &imgs[i]) == 0);
        }
        built = true;
    }
    for (int i = 0; i < 2; i++) {
        struct machine m;
        char err[256];
        struct machine_config cfg = {.memsize = 64u << 10, .levels = 2, .max_cycles = FUZZ_PROFILE_CYCLES, .prof = p};
        FUZZ_CHECK(machine_init(&m, &cfg, err, sizeof err));
        m.con.out = fuzz_devnull();
        FUZZ_CHECK(machine_load_image(&m, &imgs[i], err, sizeof err));
        machine_run(&m, 0);
        FUZZ_CHECK(m.stop == STOP_CYCLE_LIMIT && m.st.cycles >= FUZZ_PROFILE_CYCLES);
        machine_free(&m);
    }
}

/* The bundled kernel as a VM under hardware assist (skipped where the
 * guests are not built): its exits and entries charged from the profile. */
static void fuzz_profile_hw(const char *path)
{
    char img[4096];
    fuzz_find_bundled();
    if (!cli_resolve_image("syscall", img, sizeof img)) return;
    struct machine_opts o;
    cli_machine_defaults(&o);
    o.mode = "hw";
    o.profile = path;
    o.memsize = 1u << 20;
    o.max_cycles = 20 * FUZZ_PROFILE_CYCLES;
    char *images[] = {img, NULL};
    struct cli_machine cm;
    FUZZ_CHECK(cli_machine_build(&o, images, 1, "fuzz", &cm));
    cm.m->con.out = fuzz_devnull();
    machine_run(cm.m, 0);
    FUZZ_CHECK(cm.m->stop != STOP_NONE);
    cli_machine_free(&cm);
}

static void fuzz_profile(const uint8_t *data, size_t size)
{
    const char *path = fuzz_tmp_path(FUZZ_TMP_PROFILE, ".ini");
    fuzz_write_file(path, data, size);
    struct profile p;
    char err[512] = "";
    if (!profile_load(path, &p, err, sizeof err)) {
        /* "file:…: what", naming the file */
        FUZZ_CHECK(strncmp(err, path, strlen(path)) == 0 && err[strlen(path)] == ':');
        return;
    }
    for (int i = 0; i < CL_COUNT; i++) FUZZ_CHECK(p.class_cycles[i] >= 1 && p.class_cycles[i] <= 65535);
    FUZZ_CHECK(p.trap_entry >= 1 && p.vm_exit >= 1);
    fuzz_profile_native(&p);
    fuzz_profile_hw(path);
}

#ifndef FUZZ_REPLAY
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_profile(data, size);
    return 0;
}
#endif
