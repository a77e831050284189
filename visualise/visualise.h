/*
 * visualise.h — what ringsim shows: the debugger, Graphviz dumps of page
 * tables and walks, and comparisons of the virtualisation modes.
 *
 * This header is the interface of visualise/.  Each part has its own
 * section below and its own files (debugger*.c, dot.c, compare.c, trace.c;
 * timeline.c with chrome.c and lanes.c, whose private header is
 * timeline.h; suggest.c).
 */
#ifndef RINGSIM_VISUALISE_H
#define RINGSIM_VISUALISE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "cpu/cpu.h"

/* ---- Graphviz dumps (dot.c) -------------------------------------------- */
/* Which tree of page tables to draw. */
enum vis_table {
    VIS_TABLE_GUEST,     /* rooted at the guest's CR ptb (physical natively, guest-physical in a VM) */
    VIS_TABLE_SHADOW,    /* under shadow paging: the hypervisor's shadows, beside the guest's tables */
    VIS_TABLE_NESTED     /* the host (nested) table of a VM: guest-physical -> host-physical */
};

struct vis_dot_request {
    enum vis_table table;
    int vm;              /* which VM under a hypervisor (its VMCS and memory); ignored natively */
    bool walk;           /* highlight the translation of walk_vaddr, reference by reference */
    uint32_t walk_vaddr;
    bool walk_only;      /* draw only the table pages the walk reads */
};

/* The DOT text (malloc'd) drawing the tables the request names on machine
 * m as it stands: one node per table page listing its present entries,
 * runs of regular entries folded into one row, an edge from each entry to
 * the next-level table, each level's pages at one rank; shadow tables also
 * list the entries not filled yet and point at the guest table each
 * mirrors.  With a walk, the references mmu_probe makes are numbered in the
 * walker's order (under shadow paging the guest's own walk is lettered g1…),
 * a legend lists them, and "// walk ref N: …" comments repeat them for
 * scripts.  Reads m (and m->hv) only.  NULL with err if the machine has no
 * such table (shadow without shadow paging, nested without nested paging)
 * or no such VM. */
char *vis_dot_tables(const struct machine *m, const struct vis_dot_request *req, char *err, size_t errlen);
/* Lays out DOT text with Graphviz's `dot -T<format>` into path (written
 * atomically; NULL = stdout).  False with err if dot is missing or fails. */
bool vis_dot_render(const char *dot, const char *format, const char *path, char *err, size_t errlen);
/* Writes DOT text to path (NULL = stdout) as `ringsim dot -o` and the
 * debugger's `dot` do: rendered with -T format if one is given, else by
 * path's extension — .dot, .gv or none: the text; .svg, .png, .pdf, .jpg and
 * Graphviz's other formats: rendered — and any other extension refused,
 * never a picture's name on a file of text. */
bool vis_dot_write(const char *dot, const char *format, const char *path, char *err, size_t errlen);
/* What vis_dot_write makes of path: *format NULL for the text, or the
 * Graphviz format to render; false with err for an extension it refuses. */
bool vis_dot_format_of(const char *path, const char **format, char *err, size_t errlen);

/* The DOT text (malloc'd) drawing the processes of the guest kernel running
 * on m (under hv, its first VM; NULL natively) as it stands at cycle: one
 * cluster per pid namespace, nested as the namespaces are, each process
 * labelled with its pid in its own namespace and in each one above ("= pid
 * 4 in pid ns 0"), its host name, uid and cgroup, and an edge from parent
 * to child (proctree.c).  Read through the layouts the kernel built with
 * containers publishes (ns_layout, proc_layout in image's symbols); NULL
 * with err for another kernel. */
struct hv;
char *vis_dot_processes(const struct machine *m, const struct hv *hv, const char *image, const char *title,
                        uint64_t cycle, char *err, size_t errlen);

/* The DOT text (malloc'd) of the path the disk I/O of a run took (iopath.c):
 * the guest's driver, its request queue (if it used one), the hypervisor
 * (under hv, VM vm's), the device, memory and the host file, each edge
 * labelled with the run's own count and the exits red.  NULL with err
 * without a disk. */
char *vis_dot_io(const struct machine *m, const struct hv *hv, int vm, const char *title, char *err, size_t errlen);
/* The DOT text (malloc'd) of a data centre (dcdot.c): from a run's
 * statistics (`run … --hosts N --stats F`, its "datacentre" object), a
 * cluster per host, each VM in every host it lived on, an edge per live
 * migration.  NULL with err when stats hold no data centre. */
struct json_t;
char *vis_dot_datacentre(struct json_t *stats, const char *title, char *err, size_t errlen);
/* The same for the network (visualise/netpath.c): a run with --net and no
 * disk — driver, rings, hypervisor, interface, switch, the other ports. */
char *vis_dot_net(const struct machine *m, const struct hv *hv, int vm, const char *title, char *err, size_t errlen);
/* The namespaces of the guest kernel's process at gpa p beyond pid, UTS,
 * user and IPC, read through the layouts kernels built with them publish:
 * mnt_layout (FS=1) and net_layout (NET=1), 0 for a kernel without. */
struct vis_proc_ns {
    bool has_mnt;                /* its mount namespace: */
    unsigned mntns;              /*   slot */
    char root[128];              /*   what "/" is in it, as the host names it */
    bool has_net;                /* its network namespace: */
    unsigned netns;              /*   slot */
    uint32_t addr;               /*   eth0's address (the host's: br0's), 0 = lo only */
    uint32_t sent, received;     /*   packets delivered from it and to it */
    uint32_t bridged;            /* packets the bridge carried, all namespaces */
    uint32_t loopback, bridge;   /* lo's and br0's addresses */
    bool has_cgns;               /* its cgroup namespace (CGNS=1): */
    unsigned cgns;               /*   slot */
    unsigned cgns_root;          /*   the group that is "/" in it */
    uint32_t cgns_refused;       /*   names of groups outside it refused */
};
void vis_proc_ns_read(const struct machine *m, const struct hv *hv, uint32_t mnt_layout, uint32_t net_layout,
                      uint32_t p, struct vis_proc_ns *out);
/* Its cgroup namespace, through cgns_layout (guests/kernel/cgns.s; 0 for a
 * kernel without): fills out's has_cgns, cgns, cgns_root, cgns_refused. */
void vis_proc_cgns_read(const struct machine *m, const struct hv *hv, uint32_t cgns_layout, uint32_t p,
                        struct vis_proc_ns *out);
/* a as dotted quads ("10.0.0.2") */
void vis_ipv4(uint32_t a, char out[16]);

/* ---- comparisons (compare.c) ------------------------------------------- */
/* One run of a comparison: the workload under one mode, at one value of the
 * swept parameter.  Filled by whoever ran it (cli/compare.c). */
struct json_t;
struct vis_run {
    const char *mode;            /* "native", "hw+nested", … */
    const char *value;           /* the swept parameter's value, "" without a sweep */
    bool available;              /* false: this build does not have the mode */
    int status;                  /* the run's exit status */
    char *output;                /* what the guest printed (malloc'd) */
    struct json_t *stats;        /* its --stats, NULL if it wrote none */
    char note[256];              /* why it is not available, or how it failed */
};

struct vis_comparison {
    const char *workload, *profile, *isa, *args;
    unsigned levels;
    const char *sweep;           /* the swept parameter, NULL without --sweep */
    int nvalues, nmodes;         /* runs[v * nmodes + k]: value v, mode k */
    struct vis_run *runs;
};

/* The tables a student reads: per mode, cycles, slowdown against native,
 * exits, traps, TLB misses, references per walk, hidden/tracing faults, BT
 * hit rate, whether the guest printed the same as native; then the cycles
 * by cause.  One block per value of a sweep. */
void vis_compare_print(FILE *out, const struct vis_comparison *c);
/* The same figures as CSV (one line per run) and JSON (jansson), written
 * atomically. */
bool vis_compare_csv(const struct vis_comparison *c, const char *path, char *err, size_t errlen);
bool vis_compare_json(const struct vis_comparison *c, const char *path, char *err, size_t errlen);
/* A chart made with gnuplot, SVG or PNG by path's extension: without a
 * sweep a stacked bar of cycles by cause per mode, with one a line of
 * cycles per mode against the swept value. */
bool vis_compare_chart(const struct vis_comparison *c, const char *path, char *err, size_t errlen);
/* Any chart by gnuplot, as the comparison's is made: write fills the
 * script (its terminal term and output file out already chosen from path's
 * extension, .svg or .png) and the data file datapath (script and data
 * open on a temporary directory); the chart replaces path atomically.
 * False with why in err (no gnuplot, its message, a bad file name).
 * (compare --io's chart, cli/compare_io.c, is the other caller.) */
typedef void vis_chart_writer(void *ctx, FILE *script, FILE *data, const char *term, const char *out,
                              const char *datapath);
bool vis_chart(const char *path, vis_chart_writer *write, void *ctx, char *err, size_t errlen);
/* 1234567 -> "1,234,567" in buf (32 bytes), which it returns: the tables'
 * and pictures' way of writing a number of cycles. */
const char *vis_commas(uint64_t v, char *buf);
/* Did every available run print what the reference (native) run printed? */
bool vis_compare_outputs_agree(const struct vis_comparison *c);

/* ---- event traces (trace.c) -------------------------------------------- */
/* One event as one line of text (docs/debugger.md, "The trace format"): the
 * cycle, the kind, then fields in which every address is tagged v:
 * (virtual), g: (guest-physical) or h: (host-physical); with refs, a walk's
 * references follow a '|', each with its dimension and level. */
void vis_trace_format(const struct machine *m, const struct trace_event *ev, bool refs, char *buf, size_t len);
/* The same in two halves, for a log that formats only what it shows: the
 * few facts of the machine a line needs, taken when the event happens, and
 * the line made from them later. */
struct vis_trace_context {
    bool nonroot, two_d, inject;
    int vm;
    uint32_t sr, fault, exit_guest_va, inject_cause;
    unsigned tlb_sets;
};
void vis_trace_context(const struct machine *m, const struct trace_event *ev, struct vis_trace_context *x);
void vis_trace_format_context(const struct vis_trace_context *x, const struct trace_event *ev, bool refs, char *buf,
                              size_t len);
/* Reference i of a walk as "G2 g:0x00009000[16]=0x0000a00f" ("+ad" marks an
 * accessed/dirty write-back); two_d: guest tables are guest-physical. */
void vis_walk_ref_text(const struct walk_result *w, int i, bool two_d, char *buf, size_t len);
/* Does m translate in two dimensions now (a guest under nested paging)? */
bool vis_walk_is_2d(const struct machine *m);
/* The walk context of VM vm's own tables, for a probe: its control
 * registers guest_cr, in its guest-physical memory — what a shadow-paging
 * hypervisor reads on a hidden fault. */
struct mmu_walk_ctx vis_guest_tables_ctx(const struct machine *m, int vm, const uint32_t guest_cr[CR_COUNT]);
/* How many entries a walk read (its A/D write-backs not counted). */
int vis_walk_reads(const struct walk_result *w);
/* Parses "CAT[,CAT…][:FILE]", CAT one of tlb, walk, trap, exit, bt, shadow,
 * all: a bit per enum trace_kind, whether walks list their references, and
 * the file (NULL = stderr, "-" = stdout). */
bool vis_trace_parse(const char *spec, unsigned *kinds, bool *refs, const char **file);
/* How `run --trace` writes: one line per event (the default), or the run's
 * timeline as Trace Event JSON for Perfetto and chrome://tracing — a lane
 * per ring, a slice per trap, exit and piece of hypervisor work (chrome.c,
 * timeline.c; docs/debugger.md, "Timelines"). */
enum vis_trace_format { VIS_TRACE_TEXT, VIS_TRACE_CHROME };
/* "text" or "chrome"; false for anything else. */
bool vis_trace_format_named(const char *name, enum vis_trace_format *format);
/* `ringsim run --trace SPEC`: hooks m so that it writes the chosen events
 * (chrome: the timeline, named title; SPEC's tlb or walk add the counters,
 * trap or shadow the instant events).  False with "what was expected" in
 * err on a bad SPEC or file. */
bool vis_trace_install(struct machine *m, const char *spec, enum vis_trace_format format, const char *title,
                       char *err, size_t errlen);

/* ---- "did you mean …?" (suggest.c) ----------------------------------------
 * The one of names (n of them, or NULL-terminated when n < 0) closest to a
 * word that is not a name — by edit distance, swaps of neighbours counting
 * one — if it is near enough and the only one that near; else NULL. */
const char *vis_suggest(const char *word, const char *const *names, int n);

/* ---- swim lanes (lanes.c, from the timeline of timeline.c) ---------------
 * `ringsim lanes`: one lane per ring and one for ring -1, every trap, exit
 * and piece of hypervisor work of a window of the run as a box as wide as
 * its cycles, an axis, a legend and the window added up — as SVG. */
struct vis_lanes_request {
    unsigned syscall;            /* the window is system call N from ring 3 (1 = the first), or 0: */
    uint64_t from, to;           /* cycles [from, to); to = 0: until the run ends */
    uint64_t axis;               /* draw the axis to this many cycles at least (0: the window) */
    const char *title;
};
struct vis_lanes;
/* Hooks m (m->trace) to cut its run into slices and keep the window's;
 * with a window of cycles, sets m->max_cycles to stop at its end, and with
 * a system call stops the run at the next block boundary once it is over.
 * NULL when out of host memory. */
struct vis_lanes *vis_lanes_begin(struct machine *m, const struct vis_lanes_request *req);
/* After the run: unhooks m, frees l, and returns the SVG text (malloc'd),
 * or NULL with err when the run never reached the window. */
char *vis_lanes_end(struct machine *m, struct vis_lanes *l, char *err, size_t errlen);

/* ---- the debugger (debugger*.c) ----------------------------------------
 * One command language, two front ends: a full-screen ncurses debugger with
 * a readline command line, and line mode (--batch FILE, or stdin not a
 * terminal) for labs, scripts and tests.  docs/debugger.md is the manual. */
struct hv;
struct isa_image;
struct vis_dbg;                        /* a session (visualise/debugger.h) */
enum { VIS_DBG_OK = 0, VIS_DBG_ERROR = 1, VIS_DBG_QUIT = 2 };

/* A session on machine m, built and ready to run (hv: its hypervisor, or
 * NULL natively); img gives the symbols.  Command output goes to out and
 * error messages to err (the full-screen debugger shows both in a pane).
 * NULL when out of host memory. */
struct vis_dbg *vis_dbg_new(struct machine *m, struct hv *hv, const struct isa_image *img, FILE *out, FILE *err);
/* How `save FILE` writes the machine (the owner knows its configuration):
 * save(ctx, path, err, errlen), false with "path: why" in err. */
void vis_dbg_set_save(struct vis_dbg *d, bool (*save)(void *ctx, const char *path, char *err, size_t errlen),
                      void *ctx);
void vis_dbg_free(struct vis_dbg *d);
/* Runs one command line: VIS_DBG_OK, VIS_DBG_ERROR or VIS_DBG_QUIT. */
int vis_dbg_command(struct vis_dbg *d, const char *line);
/* Line mode: runs each line of in until its end or `quit`; with echo, each
 * line is printed first after the prompt.  Returns 0, or 1 if a command
 * failed. */
int vis_dbg_line_mode(struct vis_dbg *d, FILE *in, bool echo);
/* The table of commands in docs/debugger.md, as Markdown, from the table
 * `help` prints (`ringsim debug --commands`; `make docs` puts it there). */
void vis_dbg_commands_markdown(FILE *out);
/* The full-screen debugger on the terminal, until `quit`.  Returns 0, or 1
 * if the terminal could not be set up. */
int vis_dbg_fullscreen(struct vis_dbg *d);

#endif
