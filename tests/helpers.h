/*
 * helpers.h — what the tests share: assemble a snippet and boot it, run the
 * ringsim program and capture what it prints.
 */
#ifndef RINGSIM_TEST_HELPERS_H
#define RINGSIM_TEST_HELPERS_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/cpu.h"

/* Assembles src (text at 0x1000) into a fresh machine with the given ISA and
 * default profile; console output is captured into *out (see machine_output).
 * Aborts the test (cr_assert) on an assembly error. */
struct machine *boot(const char *src, enum isa_variant isa);
struct machine *boot_cfg(const char *src, const struct machine_config *cfg);
/* What the guest printed so far (NUL-terminated). */
const char *machine_output(struct machine *m);
void shutdown(struct machine *m);
/* Address of a symbol of the booted program. */
uint32_t sym(struct machine *m, const char *name);
/* A 32-bit word of physical memory. */
uint32_t peek32(const struct machine *m, uint32_t addr);

/* Runs `ringsim ARGS` (the binary named by $RINGSIM_BIN), returns its exit
 * status; stdout and stderr are captured into malloc'd strings if non-NULL. */
int run_ringsim(const char *args, char **out, char **err);
/* Path of a file in the source tree ($RINGSIM_ROOT/rel). */
const char *root_path(const char *rel);
/* A fresh temporary directory for this test. */
const char *temp_dir(void);

#endif
