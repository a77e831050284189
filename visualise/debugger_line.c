/*
 * debugger_line.c — line mode: the command language, one line at a time,
 * plain text out.
 *
 * This is what labs, tests and scripts drive: `ringsim debug IMG --batch
 * FILE`, or any input that is not a terminal (a pipe, a here-document).
 * The output is exactly what the full-screen debugger prints in its output
 * pane; the guest's console goes to stdout as it prints.  Lines starting
 * with # are comments.  Ctrl-C stops a running command; with --batch it
 * also ends the script.
 */
#include <stdlib.h>
#include <string.h>

#include "visualise/debugger.h"

/* A command line is at most this long, and a script read from a pipe at
 * most this much in all: an endless line, or endless input, is an error,
 * not memory or time without bound. */
#define LINE_MAX_BYTES 65536
#define INPUT_MAX_BYTES (16u << 20)

enum line_status { LINE_OK, LINE_END, LINE_TOO_LONG, LINE_NUL, LINE_INPUT_TOO_LARGE };

/* Reads one line into buf (NUL-terminated, newline kept), counting what it
 * consumes in *total. */
static enum line_status read_line(FILE *in, char *buf, size_t size, size_t *total)
{
    size_t n = 0;
    bool nul = false, any = false;
    int ch;
    while ((ch = getc(in)) != EOF) {
        any = true;
        if (++*total > INPUT_MAX_BYTES) return LINE_INPUT_TOO_LARGE;
        if (ch == 0) nul = true;
        if (n < size - 1) buf[n] = (char)ch;
        n++;
        if (ch == '\n') break;
    }
    if (!any) return LINE_END;
    buf[n < size - 1 ? n : size - 1] = '\0';
    if (n >= size) return LINE_TOO_LONG;
    return nul ? LINE_NUL : LINE_OK;
}

int vis_dbg_line_mode(struct vis_dbg *d, FILE *in, bool echo)
{
    d->fullscreen = false;
    d->batch = in != stdin;
    dbg_catch_sigint(true);
    char where[512];
    dbg_where(d, where, sizeof where);
    dbg_printf(d, "ringsim debugger, line mode (help lists the commands)\n%s\n", where);
    fflush(d->out);
    char *line = malloc(LINE_MAX_BYTES);
    if (!line) return 1;
    int status = 0;
    size_t total = 0;
    unsigned lineno = 0;
    for (;;) {
        enum line_status ls = read_line(in, line, LINE_MAX_BYTES, &total);
        if (ls == LINE_END) break;
        lineno++;
        if (ls == LINE_INPUT_TOO_LARGE) {
            dbg_printf(d, "line %u: the commands go on beyond %u bytes: the rest is not read\n", lineno,
                       INPUT_MAX_BYTES);
            status = 1;
            break;
        }
        if (ls != LINE_OK) {
            dbg_printf(d, "line %u: %s: ignored\n", lineno,
                       ls == LINE_NUL ? "a NUL byte in a command" : "longer than 65535 bytes");
            status = 1;
            continue;
        }
        if (echo) dbg_printf(d, "(ringsim) %s%s", line, strchr(line, '\n') ? "" : "\n");
        fflush(d->out);   /* a driver waiting for the echo sees it now */
        d->last_why = WHY_DONE;
        int rc = vis_dbg_command(d, line);
        if (rc == VIS_DBG_QUIT) break;
        if (rc == VIS_DBG_ERROR) status = 1;
        if (d->last_why == WHY_INTERRUPT && d->batch) {
            dbg_printf(d, "Interrupted: the rest of the script is skipped.\n");
            break;
        }
    }
    free(line);
    fflush(d->out);
    dbg_catch_sigint(false);
    return status;
}
