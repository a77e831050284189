/*
 * visualise.h — what ringsim shows: the debugger, Graphviz dumps of page
 * tables and walks, and comparisons of the virtualisation modes.
 *
 * This header is the interface of visualise/.  Each part has its own
 * section below and its own files (debugger*.c, dot.c, compare.c).
 */
#ifndef RINGSIM_VISUALISE_H
#define RINGSIM_VISUALISE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "cpu/cpu.h"

/* ---- Graphviz dumps (dot.c) -------------------------------------------- */

/* ---- comparisons (compare.c) ------------------------------------------- */

/* ---- the debugger (debugger*.c) ---------------------------------------- */

#endif
