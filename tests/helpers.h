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
/* Address of a symbol of a bundled guest image ($RINGSIM_GUESTS/NAME.img),
 * so that tests need not hard-code where the kernel's code happens to sit. */
uint32_t guest_sym(const char *image, const char *name);
/* A 32-bit word of physical memory. */
uint32_t peek32(const struct machine *m, uint32_t addr);

/* Runs `ringsim ARGS` (the binary named by $RINGSIM_BIN), returns its exit
 * status; stdout and stderr are captured into malloc'd strings if non-NULL. */
int run_ringsim(const char *args, char **out, char **err);
/* Runs `ringsim ARGS`; returns its stdout (malloc'd), the exit status in *status. */
char *run_out(const char *args, int *status);
/* Runs a shell command; returns its stdout (malloc'd; NULL if it could not
 * start), the wait status in *status (if non-NULL). */
char *shell_out(const char *cmd, int *status);
/* The whole of a file, malloc'd and NUL-terminated; NULL if unreadable. */
char *slurp(const char *path);
/* Path of a file in the source tree ($RINGSIM_ROOT/rel). */
const char *root_path(const char *rel);
/* A fresh temporary directory for this test. */
const char *temp_dir(void);

/* Runs `ringsim ARGS --stats FILE` (it must succeed) and returns the
 * statistics, parsed (json_decref them); stats_num reads o.a.b. */
struct json_t;
struct json_t *stats_of(const char *args);
long long stats_num(struct json_t *o, const char *a, const char *b);

/* Writes src to DIR/name.s and assembles it with `ringsim asm` into
 * DIR/name.img; returns the image path (a static buffer). */
const char *assemble(const char *dir, const char *name, const char *src);
/* Assembles the source tree's guests/attacks/NAME.s into DIR/NAME.img;
 * returns the image path (a static buffer). */
const char *assemble_attack(const char *dir, const char *name);

/* Assembly for a guest: `call hex` prints r1 as 8 hex digits and a newline
 * on the console (clobbers r2..r5). */
#define PRINT_HEX                                                               \
    "hex:  li r3, 28\n"                                                         \
    "1:    srl r4, r1, r3\n andi r4, r4, 15\n slti r5, r4, 10\n"               \
    "      bnez r5, 2f\n addi r4, r4, 'a' - 10 - '0'\n"                         \
    "2:    addi r4, r4, '0'\n out con_data, r4\n addi r3, r3, -4\n"             \
    "      bge r3, r0, 1b\n li r4, '\\n'\n out con_data, r4\n ret\n"

/* A guest whose loop leaves its page by falling past a branch not taken in
 * the page's last word (0x1ffc): the CPU looks at its events as it enters
 * the sentinel past that word, so most events (an interrupt, a cycle limit,
 * a save) fall due there, the pc already the next page's.  Paging off, the
 * page is frame 1, whose first word is _start: a run that went on in that
 * frame instead of fetching at 0x2000 would print its S again.  It prints
 * PAGE_EDGE_OUT (one S, the count and the sum) and exits with status 7. */
#define PAGE_EDGE_ADDS4 " addi r6, r6, 3\n addi r6, r6, 3\n addi r6, r6, 3\n addi r6, r6, 3\n"
#define PAGE_EDGE_SRC                                                           \
    ".text\n_start: li r1, 'S'\n out con_data, r1\n"                            \
    " li r7, 0\n li r8, 20000\n li r9, 1\n j tail\n"                            \
    " .org 0x1f5c\ntail:" PAGE_EDGE_ADDS4 PAGE_EDGE_ADDS4 PAGE_EDGE_ADDS4       \
    PAGE_EDGE_ADDS4 PAGE_EDGE_ADDS4 PAGE_EDGE_ADDS4 PAGE_EDGE_ADDS4             \
    PAGE_EDGE_ADDS4 PAGE_EDGE_ADDS4 PAGE_EDGE_ADDS4                             \
    " beqz r9, tail\n addi r7, r7, 1\n blt r7, r8, tail\n"                      \
    " mov r1, r7\n call hex\n mov r1, r6\n call hex\n li r1, 7\n out power, r1\n" PRINT_HEX
#define PAGE_EDGE_OUT "S00004e20\n00249f00\n"   /* 20000 rounds, 20000 * 40 * 3 */

#endif
