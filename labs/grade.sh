#!/bin/sh
# labs/grade.sh [LAB…] — `make grade`: scores the labs against the tree as
# it stands (build it first: make).  Each lab's checks are in
# labs/LAB/checks.sh, written with the functions below; each check runs
# ringsim and compares what it prints, its exit status or its statistics.
#
# Prints one line per check and a score per lab; exit status 0 when every
# lab graded has full marks, 1 otherwise, 2 on a usage error.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
RS=${RINGSIM_BIN:-$root/ringsim}
export RINGSIM_GUESTS="${RINGSIM_GUESTS:-$root/build/guests}"
LIMIT=${GRADE_TIMEOUT:-60}          # seconds a run may take
MAX_CYCLES=${GRADE_MAX_CYCLES:-200000000}   # simulated cycles a run may take
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM

[ -x "$RS" ] || { echo "labs/grade.sh: $RS is not built; run make first" >&2; exit 2; }
command -v jq >/dev/null || { echo "labs/grade.sh: jq is missing; run sh tools/setup.sh" >&2; exit 2; }

labs=$*
[ -n "$labs" ] || labs=$(cd "$root/labs" && for d in */; do [ -f "$d/checks.sh" ] && printf '%s ' "${d%/}"; done)

run() { # out-file, then ringsim arguments; the exit status is ringsim's.
    # A broken solution may leave the guest spinning: --max-cycles ends it.
    out=$1; shift
    timeout "$LIMIT" "$RS" "$@" --max-cycles "$MAX_CYCLES" >"$out" 2>"$out.err"
}

# ---- what a check can ask -------------------------------------------------------
# same_as_native POINTS "what" WORKLOAD "RUN ARGS" "MODE ARGS": the run under
# MODE ARGS prints what the native run prints, with the same exit status.
same_as_native() {
    pts=$1 what=$2 w=$3 args=$4 mode=$5
    # shellcheck disable=SC2086
    run "$work/n" run $w $args; sn=$?
    # shellcheck disable=SC2086
    run "$work/v" run $w $args $mode; sv=$?
    if [ $sn = $sv ] && cmp -s "$work/n" "$work/v"; then ok "$pts" "$what"
    else fail "$pts" "$what" "$(first_difference "$work/n" "$work/v" $sn $sv)"; fi
}

# prints POINTS "what" EXPECTED-FILE RUN ARGS…: the run prints exactly the
# file's text (labs/LAB/FILE).
prints() {
    pts=$1 what=$2 file=$lab_dir/$3; shift 3
    run "$work/o" run "$@"
    if cmp -s "$file" "$work/o"; then ok "$pts" "$what"
    else fail "$pts" "$what" "$(first_difference "$file" "$work/o" "" "")"; fi
}

# exits_with POINTS "what" STATUS RUN ARGS…
exits_with() {
    pts=$1 what=$2 want=$3; shift 3
    run "$work/o" run "$@"; st=$?
    if [ "$st" = "$want" ]; then ok "$pts" "$what"
    else fail "$pts" "$what" "exit status $st, expected $want: $(tail -n 2 "$work/o.err" "$work/o" | tr '\n' ' ' | cut -c1-160)"; fi
}

# stats POINTS "what" JQ-EXPRESSION RUN ARGS…: the run succeeds and its
# statistics (--stats) make the expression true.  stats_of_any_end: the
# same whatever the exit status (a guest that ends with a code of its own).
stats_of_any_end() { any_end=1 stats "$@"; }
stats() {
    pts=$1 what=$2 expr=$3; shift 3
    rm -f "$work/s.json"
    run "$work/o" run "$@" --stats "$work/s.json"; st=$?
    [ "${any_end:-0}" = 1 ] && [ -s "$work/s.json" ] && st=0
    if [ $st = 0 ] && jq -e "$expr" "$work/s.json" >/dev/null 2>&1; then ok "$pts" "$what"
    elif [ $st != 0 ]; then fail "$pts" "$what" "exit status $st: $(tail -n 1 "$work/o.err" | cut -c1-160)"
    else fail "$pts" "$what" "not so: $expr"; fi
}

first_difference() { # expected-file got-file [status-expected status-got]
    if [ -n "$3" ] && [ "$3" != "$4" ]; then echo "exit status $4, expected $3"; return; fi
    line=$(cmp "$1" "$2" 2>/dev/null | sed -n 's/.* line \([0-9]*\)$/\1/p')
    [ -n "$line" ] || line=1
    echo "line $line: expected '$(sed -n "${line}p" "$1" | cut -c1-70)', got '$(sed -n "${line}p" "$2" | cut -c1-70)'"
}

ok()   { score=$((score + $1)); total=$((total + $1)); printf '  %-66s OK   (%d/%d)\n' "$2" "$1" "$1"; }
fail() { total=$((total + $1)); printf '  %-66s FAIL (0/%d)\n      %s\n' "$2" "$1" "$3"; }

status=0
for lab in $labs; do
    lab_dir=$root/labs/$lab
    lab_img=$root/build/labs/$lab       # its own guests (labs/LAB/*.s), built by make
    if [ ! -f "$lab_dir/checks.sh" ]; then
        echo "labs/grade.sh: no lab '$lab' (labs/$lab/checks.sh)" >&2
        exit 2
    fi
    score=0 total=0
    echo "== lab $lab: $(sed -n '1s/^# *//p' "$lab_dir/handout.md")"
    # shellcheck disable=SC1090
    . "$lab_dir/checks.sh"
    echo "Score ($lab): $score/$total"
    [ "$score" = "$total" ] || status=1
done
exit $status
