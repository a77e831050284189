/*
 * test_isadoc.c — the ISA reference is the instruction table, in Markdown.
 *
 * docs/isa.md is committed so students can read it on the web; these tests
 * make sure it is exactly what isa_write_reference prints today, that every
 * instruction is in it, that the Popek–Goldberg table says what the CPU does,
 * and that the table it comes from is self-consistent.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "isa/isa.h"

/* The reference as isa_write_reference prints it (caller frees). */
static char *generate_reference(void)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    cr_assert_not_null(f, "open_memstream failed");
    isa_write_reference(f);
    cr_assert_eq(fclose(f), 0);
    return buf;
}

/* A whole file as a string, or NULL (caller frees). */
static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *buf = NULL;
    size_t len = 0, cap = 0, n;
    char chunk[4096];
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (len + n + 1 > cap) {
            cap = (len + n + 1) * 2;
            buf = realloc(buf, cap);
            cr_assert_not_null(buf);
        }
        memcpy(buf + len, chunk, n);
        len += n;
    }
    fclose(f);
    if (!buf) buf = calloc(1, 1);
    else buf[len] = 0;
    return buf;
}

/* The text of the section whose heading line is `heading`, up to the next
 * "## " heading (caller frees). */
static char *section(const char *doc, const char *heading)
{
    char want[128];
    snprintf(want, sizeof want, "\n%s\n", heading);
    const char *start = strstr(doc, want);
    cr_assert_not_null(start, "docs have no section \"%s\"", heading);
    start++;
    const char *end = strstr(start + strlen(want) - 1, "\n## ");
    size_t n = end ? (size_t)(end - start) : strlen(start);
    char *s = malloc(n + 1);
    cr_assert_not_null(s);
    memcpy(s, start, n);
    s[n] = 0;
    return s;
}

/* The table row of a section that starts with "| `mnemonic` |", copied into
 * row; false if there is none. */
static bool find_row(const char *sec, const char *mnemonic, char *row, size_t len)
{
    char want[64];
    snprintf(want, sizeof want, "\n| `%s` |", mnemonic);
    const char *p = strstr(sec, want);
    if (!p) return false;
    p++;
    size_t n = strcspn(p, "\n");
    if (n >= len) n = len - 1;
    memcpy(row, p, n);
    row[n] = 0;
    return true;
}

/* Cell i (0-based) of a Markdown table row, split at unescaped '|'. */
static void row_cell(const char *row, int i, char *out, size_t len)
{
    const char *p = row;
    if (*p == '|') p++;
    for (int k = 0; k < i; k++) {
        while (*p && !(*p == '|' && p[-1] != '\\')) p++;
        cr_assert(*p, "row has no cell %d: %s", i, row);
        p++;
    }
    const char *e = p;
    while (*e && !(*e == '|' && e[-1] != '\\')) e++;
    while (p < e && *p == ' ') p++;
    while (e > p && e[-1] == ' ') e--;
    size_t n = (size_t)(e - p);
    if (n >= len) n = len - 1;
    memcpy(out, p, n);
    out[n] = 0;
}

/* The index of the header cell of a table that contains `word`. */
static int column_of(const char *sec, const char *word)
{
    const char *hdr = strstr(sec, "\n| ");
    cr_assert_not_null(hdr, "section has no table");
    hdr++;
    char row[1024], cell[256];
    size_t n = strcspn(hdr, "\n");
    cr_assert_lt(n, sizeof row);
    memcpy(row, hdr, n);
    row[n] = 0;
    for (int i = 0; i < 16; i++) {
        row_cell(row, i, cell, sizeof cell);
        if (strstr(cell, word)) return i;
    }
    cr_assert_fail("no column \"%s\" in header %s", word, row);
    return -1;
}

static const char *const summary_heading = "## Instruction summary";
static const char *const pg_heading = "## Privileged and sensitive instructions (Popek and Goldberg)";

Test(isadoc, committed_docs_match_the_table)
{
    const char *root = getenv("RINGSIM_ROOT");
    char path[4096];
    snprintf(path, sizeof path, "%s/docs/isa.md", root && *root ? root : ".");
    char *want = generate_reference();
    char *have = read_file(path);
    cr_assert_not_null(have, "%s: cannot read it; run `make docs`", path);
    if (strcmp(want, have) != 0) {
        /* Report the first line that differs. */
        const char *w = want, *h = have;
        int line = 1;
        while (*w && *h) {
            size_t wn = strcspn(w, "\n"), hn = strcspn(h, "\n");
            if (wn != hn || memcmp(w, h, wn) != 0 || !w[wn] || !h[hn]) break;
            w += wn + 1;
            h += hn + 1;
            line++;
        }
        size_t wn = strcspn(w, "\n"), hn = strcspn(h, "\n");
        if (wn == hn && memcmp(w, h, wn) == 0) /* same text: the endings differ */
            cr_assert_fail("%s:%d: differs from the instruction table after this line "
                           "(at the end of the file); run `make docs`", path, line);
        cr_assert_fail("%s:%d differs from the instruction table; run `make docs`\n"
                       "  committed: %.*s\n  generated: %.*s",
                       path, line, (int)strcspn(h, "\n"), h, (int)strcspn(w, "\n"), w);
    }
    free(want);
    free(have);
}

Test(isadoc, every_instruction_has_a_summary_row)
{
    char *doc = generate_reference();
    char *sec = section(doc, summary_heading);
    char row[1024];
    for (int op = 1; op < OP_COUNT; op++)
        cr_expect(find_row(sec, isa_info[op].mnemonic, row, sizeof row),
                  "no summary row for %s", isa_info[op].mnemonic);
    free(sec);
    free(doc);
}

Test(isadoc, every_instruction_is_in_the_popek_goldberg_table)
{
    char *doc = generate_reference();
    char *sec = section(doc, pg_heading);
    char row[1024];
    for (int op = 1; op < OP_COUNT; op++)
        cr_expect(find_row(sec, isa_info[op].mnemonic, row, sizeof row),
                  "no Popek–Goldberg row for %s", isa_info[op].mnemonic);
    free(sec);
    free(doc);
}

Test(isadoc, red_pills_run_without_trapping_on_classic)
{
    char *doc = generate_reference();
    char *sec = section(doc, pg_heading);
    int col = column_of(sec, "`classic`");
    int pills = 0;
    char row[1024], cell[512];
    for (int op = 1; op < OP_COUNT; op++) {
        if (!isa_info[op].sensitive || isa_info[op].privileged) continue;
        pills++;
        cr_assert(find_row(sec, isa_info[op].mnemonic, row, sizeof row));
        row_cell(row, col, cell, sizeof cell);
        cr_expect(strstr(cell, "runs without trapping") != NULL,
                  "%s on classic says \"%s\"", isa_info[op].mnemonic, cell);
        cr_expect(strstr(cell, "protection fault") == NULL,
                  "%s on classic says \"%s\"", isa_info[op].mnemonic, cell);
    }
    cr_expect_geq(pills, 3, "the classic ISA keeps at least three red pills");
    free(sec);
    free(doc);
}

Test(isadoc, red_pills_are_protection_faults_on_strict)
{
    char *doc = generate_reference();
    char *sec = section(doc, pg_heading);
    int col = column_of(sec, "`strict`");
    char row[1024], cell[512];
    for (int op = 1; op < OP_COUNT; op++) {
        if (!isa_info[op].sensitive || isa_info[op].privileged) continue;
        cr_assert(find_row(sec, isa_info[op].mnemonic, row, sizeof row));
        row_cell(row, col, cell, sizeof cell);
        cr_expect(strstr(cell, "protection fault") != NULL,
                  "%s on strict says \"%s\"", isa_info[op].mnemonic, cell);
    }
    free(sec);
    free(doc);
}

Test(isa_table, opcodes_are_unique)
{
    for (int i = 1; i < OP_COUNT; i++)
        for (int j = i + 1; j < OP_COUNT; j++)
            cr_expect_neq(isa_info[i].opcode, isa_info[j].opcode, "%s and %s share opcode 0x%02x",
                          isa_info[i].mnemonic, isa_info[j].mnemonic, isa_info[i].opcode);
}

Test(isa_table, opcode_zero_stays_undefined_so_zeroed_memory_traps)
{
    for (int op = 1; op < OP_COUNT; op++)
        cr_expect_neq(isa_info[op].opcode, 0, "%s uses opcode 0x00", isa_info[op].mnemonic);
}

Test(isa_table, mnemonics_are_unique)
{
    for (int i = 1; i < OP_COUNT; i++)
        for (int j = i + 1; j < OP_COUNT; j++)
            cr_expect_str_neq(isa_info[i].mnemonic, isa_info[j].mnemonic,
                              "mnemonic %s is used twice", isa_info[i].mnemonic);
}

Test(isa_table, every_privileged_instruction_is_sensitive)
{
    for (int op = 1; op < OP_COUNT; op++)
        if (isa_info[op].privileged)
            cr_expect(isa_info[op].sensitive, "%s is privileged but not marked sensitive",
                      isa_info[op].mnemonic);
}
