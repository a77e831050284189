/*
 * cli.h — the ringsim program: one binary, one function per subcommand.
 *
 * Each subcommand parses its own options with getopt_long, prints its own
 * `--help`, and returns the process exit status.  Options shared by every
 * command that builds a machine (run, debug, compare, dot) are parsed once,
 * here, into a struct machine_opts.
 */
#ifndef RINGSIM_CLI_H
#define RINGSIM_CLI_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/cpu.h"

/* Process exit statuses of `ringsim run` besides the guest's own code. */
#define EXIT_USAGE        2    /* bad command line, file or image */
#define EXIT_CYCLE_LIMIT  124  /* --max-cycles reached (as timeout(1)) */
#define EXIT_TRIPLE_FAULT 125  /* the machine triple-faulted */
#define EXIT_GUEST_MAX    123  /* guest exit codes above this are clamped */

struct machine_opts {
    const char *mode, *mmu, *profile, *stats, *input, *input_file;
    enum isa_variant isa;
    unsigned levels;
    uint64_t max_cycles;
    uint32_t memsize;
    const char *args;
    unsigned tlb_entries, tlb_ways, pwc_entries, ntlb_entries, host_levels;
    bool no_asid, no_vpid, host_large_pages;
    uint32_t slice;
};

int cmd_asm(int argc, char **argv);
int cmd_disasm(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_isadoc(int argc, char **argv);

/* Resolves IMG: an existing path, or the name of a bundled guest
 * ("hello" -> guests/hello.img on the search path). */
bool cli_resolve_image(const char *arg, char *out, size_t outlen);
/* Parses an unsigned number with an optional K/M/G suffix (binary). */
bool cli_parse_u64(const char *s, uint64_t *out);

#endif
