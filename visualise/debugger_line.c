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

int vis_dbg_line_mode(struct vis_dbg *d, FILE *in, bool echo)
{
    d->fullscreen = false;
    d->batch = in != stdin;
    dbg_catch_sigint(true);
    char where[512];
    dbg_where(d, where, sizeof where);
    dbg_printf(d, "ringsim debugger, line mode (help lists the commands)\n%s\n", where);
    fflush(d->out);
    char *line = NULL;
    size_t cap = 0;
    int status = 0;
    while (getline(&line, &cap, in) > 0) {
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
