/*
 * suggest.c — "did you mean tour?": the closest known name to a word that
 * is not one, for every place a person types a name (commands, options,
 * workloads, debugger commands).
 *
 * Closeness is the edit distance with transpositions (optimal string
 * alignment): the fewest insertions, deletions, substitutions and swaps of
 * two neighbours that turn one word into the other, so "tuor" is one step
 * from "tour" and "--tarce" one from "--trace".  A name is offered only
 * when it is near enough to be what was meant — at most a third of the
 * word's letters wrong (one for short words) — and when it is the only
 * name that near; otherwise nothing is offered.
 */
#include <stdlib.h>
#include <string.h>

#include "visualise/visualise.h"

#define WORD_MAX 64

/* The distance between a and b, or WORD_MAX + 1 for words too long to matter. */
static size_t distance(const char *a, const char *b)
{
    size_t n = strlen(a), m = strlen(b);
    if (n > WORD_MAX || m > WORD_MAX) return WORD_MAX + 1;
    size_t d[WORD_MAX + 1][WORD_MAX + 1];
    for (size_t i = 0; i <= n; i++) d[i][0] = i;
    for (size_t j = 0; j <= m; j++) d[0][j] = j;
    for (size_t i = 1; i <= n; i++)
        for (size_t j = 1; j <= m; j++) {
            size_t best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            if (d[i - 1][j] + 1 < best) best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best) best = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    return d[n][m];
}

const char *vis_suggest(const char *word, const char *const *names, int n)
{
    size_t len = strlen(word), limit = len / 3 > 1 ? len / 3 : 1, best = limit + 1;
    const char *found = NULL;
    bool tie = false;
    for (int i = 0; n < 0 ? names[i] != NULL : i < n; i++) {
        if (!names[i]) continue;
        size_t d = distance(word, names[i]);
        if (d == 0) return NULL;   /* it is a name: whatever went wrong, not the spelling */
        if (d < best) {
            best = d;
            found = names[i];
            tie = false;
        } else if (d == best && found && strcmp(found, names[i]) != 0) {
            tie = true;
        }
    }
    return tie ? NULL : found;
}
