#!/bin/sh
# labs/grade.sh [--format text|gradescope|junit] [--output FILE] [LAB…] —
# `make grade`: scores the labs against the tree as it stands (build it
# first: make).  Each lab's checks are in labs/LAB/checks.sh, written with
# the functions below; each check runs ringsim and compares what it prints,
# its exit status or its statistics.
#
# Prints one line per check and a score per lab, then "Score: X/Y" over
# all; a failing check says how to see the failure for yourself: the
# command, the guest's last lines, the first line that differs, and a
# debugger session that stops near it.  --format gradescope writes
# Gradescope's results.json, --format junit JUnit XML, to --output FILE (or
# to stdout, the text then going to stderr).  The output depends on the
# tree alone (no times, no temporary names): a rerun prints the same bytes.
#
# Exit status 0 when every lab graded has full marks, 1 otherwise, 2 on a
# usage error.
set -u
export LC_ALL=C
root=$(cd "$(dirname "$0")/.." && pwd)
RS=${RINGSIM_BIN:-$root/ringsim}
export RINGSIM_GUESTS="${RINGSIM_GUESTS:-$root/build/guests}"
LIMIT=${GRADE_TIMEOUT:-60}          # seconds a check (all its runs) may take
MAX_CYCLES=${GRADE_MAX_CYCLES:-200000000}   # simulated cycles a run may take
HIDDEN_VISIBILITY=${GRADE_HIDDEN_VISIBILITY:-after_due_date}   # Gradescope's, for hidden checks
# The hypervisor's runtime checks of its own rules (run --invariants): a
# failing check's run is repeated with them, and the first rule it breaks is
# shown, with a debugger session that stops there.  The score never depends
# on them.  GRADE_INVARIANTS=0 leaves them out.
INVARIANTS=--invariants; [ "${GRADE_INVARIANTS:-1}" = 0 ] && INVARIANTS=

usage() { echo "usage: labs/grade.sh [--format text|gradescope|junit|classroom] [--output FILE|DIR] [--check N] [LAB…]" >&2; exit 2; }
format=text output= only=
while [ $# -gt 0 ]; do
    case $1 in
    --format) [ $# -ge 2 ] || usage; format=$2; shift 2 ;;
    --format=*) format=${1#--format=}; shift ;;
    --output|-o) [ $# -ge 2 ] || usage; output=$2; shift 2 ;;
    --output=*) output=${1#--output=}; shift ;;
    --check) [ $# -ge 2 ] || usage; only=$2; shift 2 ;;
    --check=*) only=${1#--check=}; shift ;;
    -*) usage ;;
    *) break ;;
    esac
done
case $format in text|gradescope|junit|classroom) ;;
*) echo "labs/grade.sh: no format '$format' (text, gradescope, junit, classroom)" >&2; exit 2 ;;
esac
case $only in ''|*[!0-9]*|0*) [ -z "$only" ] || { echo "labs/grade.sh: --check $only: expected a check's number, 1 or more" >&2; exit 2; } ;; esac
case $HIDDEN_VISIBILITY in hidden|after_due_date|after_published|visible) ;;
*) echo "labs/grade.sh: GRADE_HIDDEN_VISIBILITY=$HIDDEN_VISIBILITY: expected hidden, after_due_date, after_published or visible" >&2; exit 2 ;;
esac

[ -x "$RS" ] || { echo "labs/grade.sh: $RS is not built; run make first" >&2; exit 2; }
command -v jq >/dev/null || { echo "labs/grade.sh: jq is missing; run sh tools/setup.sh" >&2; exit 2; }

labs=$*
[ -n "$labs" ] || labs=$(cd "$root/labs" && for d in */; do [ -f "$d/checks.sh" ] && printf '%s ' "${d%/}"; done)
for lab in $labs; do
    [ -f "$root/labs/$lab/checks.sh" ] || { echo "labs/grade.sh: no lab '$lab' (labs/$lab/checks.sh)" >&2; exit 2; }
done
if [ -n "$only" ] || [ "$format" = classroom ]; then
    set -- $labs
    [ $# = 1 ] || { echo "labs/grade.sh: --check and --format classroom take one lab" >&2; exit 2; }
fi
[ "$format" != classroom ] || [ -n "$output" ] || { echo "labs/grade.sh: --format classroom writes into a directory: --output DIR" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM   # (the EXIT trap cleans up)
# with a report on stdout, the text goes to stderr
if [ "$format" != text ] && [ -z "$output" ]; then exec 3>&1 1>&2; else exec 3>&1; fi
: >"$work/results"                  # one JSON object a check, for the reports

# How a path is shown: relative to the tree, so that the text is the same
# wherever the tree is, and a student can paste it.
# A file a check makes in its scratch directory (a disk: --disk "$work/d.img:…")
# is shown by its name alone.
shown() { case $1 in "$root"/*) echo "${1#"$root"/}" ;; "$work"/*) echo "${1#"$work"/}" ;; *) echo "$1" ;; esac; }
RS_SHOWN=$(shown "$RS"); case $RS_SHOWN in */*) ;; *) RS_SHOWN=./$RS_SHOWN ;; esac

run() { # out-file, then ringsim arguments; the exit status is ringsim's.
    # A broken solution may leave the guest spinning: --max-cycles ends it,
    # and the check's time limit ends a run that is merely slow.
    out=$1; shift
    left=$((deadline - $(date +%s))); [ "$left" -gt 0 ] || left=1
    timeout "$left" "$RS" "$@" --max-cycles "$MAX_CYCLES" >"$out" 2>"$out.err"; st=$?
    # timeout(1) and --max-cycles both give 124; ringsim says why when it is its own
    [ $st = 124 ] && [ ! -s "$out.err" ] && echo "the check's time limit (${LIMIT} s, GRADE_TIMEOUT) ran out" >"$out.err"
    return $st
}

# What an exit status means (cli/cli.h).
status_meaning() {
    case $1 in
    0) echo "the guest halted or powered off" ;;
    2) echo "ringsim refused the command line or the image" ;;
    70) echo "the simulator itself failed" ;;
    123) echo "the guest ended with code 123 or more: a kernel panic, or a guest stopped on an error" ;;
    124) echo "the run did not end: --max-cycles or the time limit stopped it (a guest spinning on a fault?)" ;;
    125) echo "the machine triple-faulted, or the hypervisor stopped the guest" ;;
    *) echo "the guest's own exit code" ;;
    esac
}

# The text a failing check shows: how to run it, how it ended, what the
# guest printed last, and a debugger session that stops near the problem.
# $1 = the run's output file, then its ringsim arguments.
explain() {
    f=$1; shift
    echo "to see it:  $RS_SHOWN run $(shown_args "$@")${run_extra:-}"
    if [ "${ran_status:-0}" != 0 ]; then
        echo "it ended:   exit status $ran_status: $(status_meaning "$ran_status")"
        [ -s "$f.err" ] && sed -n '1,3s/^/           /p' "$f.err"
    fi
    if [ -s "$f" ]; then
        echo "last lines of the guest's console:"
        tail -n 4 "$f" | cut -c1-100 | sed 's/^/    | /'
    else
        echo "the guest printed nothing"
    fi
    # where the hypervisor can tell: the run again with its own rules
    # checked (--invariants), which stops at the first one broken (not
    # after a run the time limit ended, nor one ringsim refused)
    inv=
    if [ -n "$INVARIANTS" ] && [ "${ran_status:-0}" != 124 ] && [ "${ran_status:-0}" != 2 ]; then
        rm -f "$f.inv.err"
        # shellcheck disable=SC2086
        run "$f.inv" run "$@" $INVARIANTS
        inv=$(grep -o 'invariant broken.*' "$f.inv.err" 2>/dev/null | head -n 1 | cut -c1-300)
    fi
    if [ -n "$inv" ]; then
        echo "what broke: $inv"
        echo "to stop there in the debugger:  $RS_SHOWN debug $(shown_args "$@") $INVARIANTS"
        echo "    (ringsim) continue"
    else
        echo "to stop there in the debugger:  $RS_SHOWN debug $(shown_args "$@")"
        echo "    (ringsim) ${check_break:-$lab_break}"
        echo "    (ringsim) continue"
    fi
}
shown_args() { for a in "$@"; do printf '%s ' "$(shown "$a")"; done | sed 's/ $//'; }

# ---- what a check can ask -------------------------------------------------------
# Before a check, `brk "break …"` may name the breakpoint its failure
# suggests (else the lab's: lab_break in checks.sh).

# same_as_native POINTS "what" WORKLOAD "RUN ARGS" "MODE ARGS": the run under
# MODE ARGS prints what the native run prints, with the same exit status.
same_as_native() {
    begin_check || return 0; pts=$1 what=$2 w=$3 args=$4 mode=$5
    # shellcheck disable=SC2086
    run "$work/n" run $w $args; sn=$?
    # shellcheck disable=SC2086
    run "$work/v" run $w $args $mode; sv=$?
    if [ $sn = $sv ] && cmp -s "$work/n" "$work/v"; then ok "$pts" "$what"
    else
        ran_status=$sv
        # shellcheck disable=SC2086
        fail "$pts" "$what" "$(first_difference "$work/n" "$work/v" $sn $sv "bare metal")
$(explain "$work/v" $w $args $mode)
bare metal: $RS_SHOWN run $(shown_args $w $args)"
    fi
}

# prints POINTS "what" EXPECTED-FILE RUN ARGS…: the run prints exactly the
# file's text (labs/LAB/FILE).
prints() {
    begin_check || return 0; pts=$1 what=$2 file=$lab_dir/$3; shift 3
    run "$work/o" run "$@"; ran_status=$?
    if cmp -s "$file" "$work/o"; then ok "$pts" "$what"
    else fail "$pts" "$what" "$(first_difference "$file" "$work/o" "" "" "$(shown "$file")")
$(explain "$work/o" "$@")"; fi
}

# exits_with POINTS "what" STATUS RUN ARGS…
exits_with() {
    begin_check || return 0; pts=$1 what=$2 want=$3; shift 3
    run "$work/o" run "$@"; ran_status=$?
    if [ "$ran_status" = "$want" ]; then ok "$pts" "$what"
    else fail "$pts" "$what" "exit status $ran_status, expected $want
$(explain "$work/o" "$@")"; fi
}

# stats POINTS "what" JQ-EXPRESSION RUN ARGS…: the run succeeds and its
# statistics (--stats) make the expression true.  stats_of_any_end: the
# same whatever the exit status (a guest that ends with a code of its own).
stats_of_any_end() { any_end=1 stats "$@"; }
stats() {
    begin_check || return 0; pts=$1 what=$2 expr=$3; shift 3
    rm -f "$work/s.json"
    run "$work/o" run "$@" --stats "$work/s.json"; ran_status=$?; st=$ran_status
    [ "${any_end:-0}" = 1 ] && [ -s "$work/s.json" ] && st=0
    if [ $st = 0 ] && jq -e "$expr" "$work/s.json" >/dev/null 2>&1; then ok "$pts" "$what"
    elif [ $st != 0 ]; then fail "$pts" "$what" "$(run_extra=" --stats -" explain "$work/o" "$@")"
    else fail "$pts" "$what" "not so: $expr
the statistics it was asked of: $(jq -c "[$(echo "$expr" | grep -o '\.[a-z_][a-z_0-9]*\(\.[a-z_][a-z_0-9]*\)*\(\[[0-9]*\]\.[a-z_]*\)*' | sort -u | paste -sd, -)]" "$work/s.json" 2>/dev/null)
$(run_extra=" --stats -" explain "$work/o" "$@")"; fi
}

# same_stats POINTS "what" FILE JQ-EXPRESSION RUN ARGS…: the run succeeds
# and the part of its statistics the expression picks (jq -c) is the
# reference solution's, kept in labs/LAB/FILE: for counters a mechanism
# sets exactly (a translator's blocks, a walk's references).
same_stats() {
    begin_check || return 0; pts=$1 what=$2 file=$lab_dir/$3 expr=$4; shift 4
    rm -f "$work/s.json"
    run "$work/o" run "$@" --stats "$work/s.json"; ran_status=$?
    if [ $ran_status = 0 ] && jq -c "$expr" "$work/s.json" >"$work/picked" 2>/dev/null && cmp -s "$file" "$work/picked"
    then ok "$pts" "$what"
    elif [ $ran_status != 0 ]; then fail "$pts" "$what" "$(run_extra=" --stats -" explain "$work/o" "$@")"
    else fail "$pts" "$what" "the statistics $expr:
    expected: $(cut -c1-120 "$file")  (the reference, $(shown "$file"))
    got:      $(cut -c1-120 "$work/picked")
$(run_extra=" --stats -" explain "$work/o" "$@")"; fi
}

# expected-file got-file [status-expected status-got] what-expected: the
# first line where the got file leaves the expected one.
first_difference() {
    if [ -n "$3" ] && [ "$3" != "$4" ]; then echo "exit status $4, expected $3 (as $5)"; return; fi
    line=$(cmp "$1" "$2" 2>/dev/null | sed -n 's/.* line \([0-9]*\)$/\1/p')
    [ -n "$line" ] || line=$(( $(wc -l <"$1") + 1 ))
    echo "first difference, line $line:"
    if [ "$line" -le "$(wc -l <"$1")" ]; then echo "    expected: $(sed -n "${line}p" "$1" | cut -c1-90)  ($5)"
    else echo "    expected: the end of the output  ($5)"; fi
    if [ "$line" -le "$(wc -l <"$2")" ]; then echo "    got:      $(sed -n "${line}p" "$2" | cut -c1-90)"
    else echo "    got:      the end of the output"; fi
}

# Every check begins here: with --check N only the lab's Nth check runs
# (the others return at once, unscored).
begin_check() {
    check_at=$((check_at + 1))
    [ -z "$only" ] || [ "$check_at" = "$only" ] || return 1
    deadline=$(( $(date +%s) + LIMIT ))
}
brk() { check_break=$1; }
ok()   {
    score=$((score + $1)); total=$((total + $1)); printf '  %-66s OK   (%d/%d)\n' "$2" "$1" "$1"
    record "$1" "$1" "$2" ""; check_break=
}
fail() {
    total=$((total + $1)); printf '  %-66s FAIL (0/%d)\n' "$2" "$1"; printf '%s\n' "$3" | sed 's/^/      /'
    record 0 "$1" "$2" "$3"; check_break=
}
record() { # score max what output
    jq -cn --arg lab "$lab" --arg name "$3" --argjson score "$1" --argjson max "$2" --arg out "$4" \
        --arg vis "$visibility" --arg number "$lab_no.$check_at" \
        '{lab: $lab, number: $number, name: $name, score: $score, max_score: $max, output: $out, visibility: $vis}' \
        >>"$work/results"
}

status=0 all=0 all_total=0 lab_no=0
for lab in $labs; do
    lab_dir=$root/labs/$lab
    # shellcheck disable=SC2034  # (checks.sh uses it)
    lab_img=$root/build/labs/$lab       # its own guests (labs/LAB/*.s), built by make
    lab_break="break trap"              # checks.sh may say better
    check_break=
    score=0 total=0 check_at=0 lab_no=$((lab_no + 1))
    echo "== lab $lab: $(sed -n '1s/^# *//p' "$lab_dir/handout.md")"
    visibility=visible
    # shellcheck disable=SC1090
    . "$lab_dir/checks.sh"
    # An instructor's hidden checks (labs/LAB/hidden/checks.sh, which mklab
    # leaves out of starting trees) count as any other; Gradescope shows
    # them to the student only as GRADE_HIDDEN_VISIBILITY says.
    if [ -f "$lab_dir/hidden/checks.sh" ]; then
        visibility=$HIDDEN_VISIBILITY
        echo "  -- the instructor's hidden checks (labs/$lab/hidden/) --"
        # shellcheck disable=SC1090,SC2034  # (checks.sh uses lab_img)
        lab_img=$lab_img/hidden; . "$lab_dir/hidden/checks.sh"; lab_img=${lab_img%/hidden}
    fi
    echo "Score ($lab): $score/$total"
    all=$((all + score)) all_total=$((all_total + total))
    [ "$score" = "$total" ] || status=1
done
echo "Score: $all/$all_total"
[ -z "$only" ] || [ "$all_total" -gt 0 ] || { echo "labs/grade.sh: lab $labs has no check $only" >&2; exit 2; }

# ---- the reports ------------------------------------------------------------------
report() {
    case $format in
    gradescope)
        # https://gradescope-autograders.readthedocs.io/en/latest/specs/
        jq -s --arg out "Score: $all/$all_total" \
            '{score: (map(.score) | add // 0), output: $out, visibility: "visible", stdout_visibility: "visible",
              test_output_format: "text",
                tests: map({number, name: "\(.lab): \(.name)", score, max_score,
                            status: (if .score == .max_score then "passed" else "failed" end),
                            output, visibility})}' "$work/results" ;;
    junit)
        echo '<?xml version="1.0" encoding="UTF-8"?>'
        jq -rs --argjson all "$all" --argjson total "$all_total" '
            def x: gsub("&"; "&amp;") | gsub("<"; "&lt;") | gsub(">"; "&gt;") | gsub("\""; "&quot;");
            "<testsuites name=\"ringsim labs\" tests=\"\(length)\" failures=\"\(map(select(.score < .max_score)) | length)\">",
            (group_by(.lab)[] as $l |
             "  <testsuite name=\"\($l[0].lab | x)\" tests=\"\($l | length)\" failures=\"\($l | map(select(.score < .max_score)) | length)\">",
             ($l[] | "    <testcase classname=\"labs.\(.lab | x)\" name=\"\(.name | x)\">" +
                     (if .score < .max_score then "\n      <failure message=\"0/\(.max_score) points\">\(.output | x)</failure>\n    " else "" end) +
                     "</testcase>"),
             "  </testsuite>"),
            "</testsuites>"' "$work/results" ;;
    esac
}
# --format classroom: GitHub Classroom's autograding for the lab, a test a
# visible check, each run by --check N (exit status 0 = its points): the
# workflow its command grader and reporter actions run
# (.github/workflows/classroom.yml) and the same tests in the older
# .github/classroom/autograding.json.  The first test builds the tree.
classroom() {
    jq -s --arg lab "$lab" '[.[] | select(.visibility == "visible")] | to_entries | map(
        {name: "\(.value.lab): \(.value.name)", id: "\($lab)-\(.value.number | split(".")[1])",
         run: "sh labs/grade.sh --check \(.value.number | split(".")[1]) \($lab)",
         setup: (if .key == 0 then "sh tools/setup.sh && make -j2 all" else "" end),
         timeout: (if .key == 0 then 20 else 5 end), points: .value.max_score})' "$work/results" >"$work/tests.json"
    jq '{tests: map({name, setup, run, input: "", output: "", comparison: "included", timeout, points})}' \
        "$work/tests.json" >"$work/autograding.json" || return 1
    jq -r '"# GitHub Classroom autograding for ringsim'"'"'s lab, written by labs/grade.sh --format classroom:",
        "# one test a check of the lab, each worth its points when its command exits 0.",
        "name: Autograding Tests", "'"'"'on'"'"':", "- push", "- repository_dispatch",
        "permissions:", "  checks: write", "  actions: read", "  contents: read",
        "jobs:", "  run-autograding-tests:", "    runs-on: ubuntu-latest",
        "    if: github.actor != '"'"'github-classroom[bot]'"'"'", "    steps:",
        "    - name: Checkout code", "      uses: actions/checkout@v4",
        (.[] | "    - name: \(.name | tojson)", "      id: \(.id)",
               "      uses: education/autograding-command-grader@v1", "      with:",
               "        test-name: \(.name | tojson)", "        setup-command: \(.setup | tojson)",
               "        command: \(.run | tojson)", "        timeout: \(.timeout)", "        max-score: \(.points)"),
        "    - name: Autograding Reporter", "      uses: education/autograding-grading-reporter@v1", "      env:",
        (.[] | "        \(.id | ascii_upcase)_RESULTS: \"${{steps.\(.id).outputs.result}}\""),
        "      with:", "        runners: \(map(.id) | join(","))"' "$work/tests.json" >"$work/classroom.yml" || return 1
    mkdir -p "$output/.github/classroom" "$output/.github/workflows" || return 1
    cp "$work/autograding.json" "$output/.github/classroom/autograding.json.tmp" &&
        mv "$output/.github/classroom/autograding.json.tmp" "$output/.github/classroom/autograding.json" &&
        cp "$work/classroom.yml" "$output/.github/workflows/classroom.yml.tmp" &&
        mv "$output/.github/workflows/classroom.yml.tmp" "$output/.github/workflows/classroom.yml"
}
if [ "$format" = classroom ]; then
    classroom || { echo "labs/grade.sh: could not write the classroom setup into $output" >&2; exit 2; }
    echo "wrote $output/.github/workflows/classroom.yml and $output/.github/classroom/autograding.json"
elif [ "$format" != text ]; then
    if [ -n "$output" ]; then report >"$output.tmp" && mv "$output.tmp" "$output" || exit 2; else report >&3; fi
fi
exit $status
