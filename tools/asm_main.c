/*
 * asm_main.c — build/ringsim-asm: `ringsim asm` (cli/asm.c) linked with isa/
 * only.  The Makefile assembles the bundled guests with it rather than with
 * ./ringsim, so that changing the CPU, MMU or hypervisor reassembles nothing;
 * being the same code, it writes the same images byte for byte.
 */
#include "cli/cli.h"

int main(int argc, char **argv) { return cmd_asm(argc, argv); }
