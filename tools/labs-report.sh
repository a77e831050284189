#!/bin/sh
# tools/labs-report.sh [--jobs N] [LAB…] — the labs' table, from running
# them: for every lab (labs/*/checks.sh, or the labs named) its checks and
# points, the reference's score, the starting tree's score (labs/mklab,
# built and graded as a student's), and each deliberately wrong solution's
# (tests/labs/wrong/LAB/) score with the checks that caught it.  Nothing in
# it is written in: every score and every "caught by" is the grader's.
#
# Run it in a built tree (make).  It builds one copy of the tree (OPT=-O0),
# then grades the labs N at a time (default 2, LABS_JOBS), each in its own
# copies sharing that build: the starting tree and the wrong solutions
# recompile only the file they change.  The table goes to stdout, the same
# bytes on a rerun; progress to stderr.  Exit status 0 when every wrong
# solution is caught by exactly the checks it names (tests/labs/wrong.sh),
# the reference scores full marks and every starting tree builds; 1
# otherwise; 2 on a usage error.
set -u
export LC_ALL=C
root=$(cd "$(dirname "$0")/.." && pwd)
jobs=${LABS_JOBS:-2}

# ---- one lab, in its own copies (run N at a time, below) -------------------------
if [ "${1:-}" = --one-lab ]; then
    lab=$2 work=$3 out=$3/$2
    mkdir -p "$out"
    # the starting tree: mklab's copy, with the shared build; make then
    # recompiles what mklab changed (newer than the build's objects)
    "$root/labs/mklab" "$lab" "$work/start-$lab" >/dev/null 2>"$out/start.err" &&
        cp -a "$work/base/build" "$work/start-$lab/build" &&
        make -C "$work/start-$lab" -j1 OPT=-O0 all >"$out/start.build" 2>&1
    echo $? >"$out/start.status"
    if [ "$(cat "$out/start.status")" = 0 ]; then
        RINGSIM_BIN="$work/start-$lab/ringsim" RINGSIM_GUESTS="$work/start-$lab/build/guests" \
            sh "$work/start-$lab/labs/grade.sh" "$lab" >"$out/start.grade" 2>&1
    fi
    rm -rf "$work/start-$lab"
    # the wrong solutions: a copy of the built reference tree of its own
    cp -a "$work/base" "$work/wrong-$lab" &&
        OPT=-O0 sh "$root/tests/labs/wrong.sh" "$work/wrong-$lab" "$lab" >"$out/wrong" 2>&1
    echo $? >"$out/wrong.status"
    rm -rf "$work/wrong-$lab"
    echo "labs-report: $lab done" >&2
    exit 0
fi

usage() { echo "usage: tools/labs-report.sh [--jobs N] [LAB…]" >&2; exit 2; }
while [ $# -gt 0 ]; do
    case $1 in
    --jobs|-j) [ $# -ge 2 ] || usage; jobs=$2; shift 2 ;;
    --jobs=*) jobs=${1#--jobs=}; shift ;;
    -*) usage ;;
    *) break ;;
    esac
done
case $jobs in ''|*[!0-9]*|0*) echo "tools/labs-report.sh: --jobs $jobs: expected a number, 1 or more" >&2; exit 2 ;; esac
labs=$*
[ -n "$labs" ] || labs=$(cd "$root/labs" && for d in */; do [ -f "$d/checks.sh" ] && printf '%s ' "${d%/}"; done)
for lab in $labs; do
    [ -f "$root/labs/$lab/checks.sh" ] || { echo "tools/labs-report.sh: no lab '$lab' (labs/$lab/checks.sh)" >&2; exit 2; }
done
[ -x "$root/ringsim" ] || { echo "tools/labs-report.sh: $root/ringsim is not built; run make first" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM
status=0

# the reference, as it stands
# shellcheck disable=SC2086
sh "$root/labs/grade.sh" $labs >"$work/reference" 2>&1

# one copy of the tree, built once for all the others
echo "labs-report: building a copy of the tree (OPT=-O0)" >&2
mkdir "$work/base"
if git -C "$root" rev-parse --git-dir >/dev/null 2>&1; then
    git -C "$root" ls-files -z --cached --others --exclude-standard | (cd "$root" && xargs -0 tar cf -) | (cd "$work/base" && tar xf -)
else
    (cd "$root" && tar cf - --exclude=./build --exclude=./ringsim --exclude=./report .) | (cd "$work/base" && tar xf -)
fi
make -C "$work/base" -j"$jobs" OPT=-O0 all >"$work/base.log" 2>&1 || {
    echo "tools/labs-report.sh: the copy of the tree does not build:" >&2; tail -n 20 "$work/base.log" >&2; exit 1; }

# shellcheck disable=SC2086
printf '%s\n' $labs | xargs -P "$jobs" -I{} sh "$0" --one-lab {} "$work"

# ---- the table --------------------------------------------------------------------
# A grader's output, for lab: "N. name  points" a check (hidden ones marked).
checks_of() {
    awk -v lab="$1" '
        index($0, "== lab " lab ": ") == 1 { on = 1; next }
        on && /^== lab / { on = 0 }
        on && /^  -- the instructor.s hidden checks/ { hidden = 1; next }
        on && /^  [^ ].* (OK  |FAIL) \([0-9]+\/[0-9]+\)$/ {
            line = $0; sub(/^  /, "", line)
            match(line, /\/[0-9]+\)$/); pts = substr(line, RSTART + 1, RLENGTH - 2)
            sub(/ +(OK  |FAIL) \([0-9]+\/[0-9]+\)$/, "", line)
            printf "    %2d. %-70s %3d%s\n", ++n, line, pts, hidden ? "  (hidden)" : ""
        }' "$2"
}
score_of() { sed -n "s/^Score ($1): //p" "$2" | head -n 1; }

for lab in $labs; do
    d=$work/$lab
    echo "== lab $lab: $(sed -n '1s/^# *//p' "$root/labs/$lab/handout.md")"
    echo "  checks (points):"
    checks_of "$lab" "$work/reference"
    ref=$(score_of "$lab" "$work/reference")
    echo "  reference:     ${ref:-no score}"
    [ -n "$ref" ] && [ "${ref%/*}" = "${ref#*/}" ] || status=1
    if [ "$(cat "$d/start.status" 2>/dev/null)" = 0 ]; then
        start=$(score_of "$lab" "$d/start.grade")
        passed=$(sed -n 's/^  \(.*[^ ]\) *OK   ([0-9]*\/[0-9]*)$/\1/p' "$d/start.grade" | paste -sd';' -)
        echo "  starting tree: ${start:-no score}${passed:+, passes: $passed}"
    else
        echo "  starting tree: does not build"; sed 's/^/    | /' "$d/start.err" "$d/start.build" | tail -n 10
        status=1
    fi
    echo "  wrong solutions (tests/labs/wrong/$lab/):"
    checks_of "$lab" "$work/reference" >"$d/checks"
    for sol in "$root/tests/labs/wrong/$lab"/*; do
        [ -f "$sol" ] || continue
        name=$(basename "$sol")
        line=$(grep -m 1 "^$lab/$name: " "$d/wrong")
        echo "    $name: $(sed -n '1s/^\(\/\/\|#\) mistake: *//p' "$sol")"
        # the checks that caught it, by their numbers above
        caught=$(printf '%s\n' "${line#*, caught by: }" | tr ';' '\n' | while IFS= read -r c; do
            [ -n "$c" ] || continue
            n=$(awk -v c="$c" '{ l = $0; sub(/^ *[0-9]+\. /, "", l); sub(/ +[0-9]+(  \(hidden\))?$/, "", l) }
                               l == c { sub(/\..*/, ""); sub(/^ */, ""); print; exit }' "$d/checks")
            echo "${n:-?($c)}"
        done | sort -n | paste -sd' ' -)
        score=${line#"$lab/$name: "}; score=${score%%,*}
        echo "        ${score:-no score}, caught by check(s): ${caught:-none}"
        # where the hypervisor could tell: the rules it saw broken
        awk -v me="$lab/$name: " 'index($0, me) == 1 { on = 1; next } on && /^  what broke: / { print "        " substr($0, 3); next } { on = 0 }' "$d/wrong" |
            cut -c1-160
    done
    if [ "$(cat "$d/wrong.status")" != 0 ]; then
        echo "  tests/labs/wrong.sh $lab FAILED: a solution is caught by other checks than it names:"
        grep -v "^$lab/[^ ]*: [0-9]*/[0-9]*, caught by: \|^  what broke: " "$d/wrong" | sed 's/^/    /'
        status=1
    fi
    echo
done
total_wrong=$(cat "$work"/*/wrong | grep -c "^[a-z]*/[^ ]*: [0-9]*/[0-9]*, caught by: ")
echo "labs: $(echo $labs | wc -w); wrong solutions graded: $total_wrong"
exit $status
