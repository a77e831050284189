/*
 * rows.h — table-driven Criterion tests: one row of a table per test case.
 */
#ifndef RINGSIM_TEST_ROWS_H
#define RINGSIM_TEST_ROWS_H

#include <criterion/parameterized.h>
#include <stddef.h>

/* The parameters of a table-driven test: the indices 0..n-1 of its rows.
 * Indices, not rows: Criterion runs each case in a fresh process, where a
 * row's string pointers would point elsewhere.  Needs <criterion/parameterized.h>. */
#define ROW_PARAMETERS(suite, name, n)                                          \
    ParameterizedTestParameters(suite, name)                                    \
    {                                                                           \
        static size_t rows[n];                                                  \
        for (size_t i = 0; i < (n); i++) rows[i] = i;                           \
        return cr_make_param_array(size_t, rows, (n));                          \
    }

#endif
