#!/bin/sh
# labs/autograder.sh LAB ZIP — `make autograder LAB=x`: Gradescope's
# autograder bundle for lab LAB, written to ZIP (atomically).
#
# Gradescope unpacks the zip into /autograder/source, runs setup.sh once as
# root when it builds the image, then run_autograder for each submission
# with the student's files in /autograder/submission; run_autograder must
# leave /autograder/results/results.json (its shape: labs/grade.sh
# --format gradescope).  The bundle holds:
#
#   setup.sh        installs the Debian packages (tools/setup.sh) and builds
#                   the starting tree once, so a submission rebuilds only
#                   the files it changes
#   run_autograder  copies the lab's files from the submission (at their
#                   path in the tree, or by their name alone) over the
#                   starting tree, builds it and grades it
#   files.txt       the lab's files: those holding its LAB(x) regions
#   tree/           the lab's starting tree (labs/mklab), with the
#                   instructor's hidden checks (labs/LAB/hidden/) put back
#
# AUTOGRADER_ROOT (default /autograder) moves the whole layout, to try the
# bundle anywhere: unzip it into ROOT/source, put a submission in
# ROOT/submission, run ROOT/source/setup.sh and ROOT/source/run_autograder.
set -eu
[ $# = 2 ] || { echo "usage: labs/autograder.sh LAB ZIP" >&2; exit 2; }
lab=$1 zip=$2
root=$(cd "$(dirname "$0")/.." && pwd)
[ -f "$root/labs/$lab/checks.sh" ] || { echo "labs/autograder.sh: no lab '$lab' (labs/$lab/checks.sh)" >&2; exit 2; }
command -v zip >/dev/null || { echo "labs/autograder.sh: zip is missing; run sh tools/setup.sh" >&2; exit 2; }
case $zip in /*) ;; *) zip=$PWD/$zip ;; esac
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM   # (the EXIT trap cleans up)
src=$work/source
mkdir -p "$src"
"$root/labs/mklab" "$lab" "$src/tree" >/dev/null
[ ! -d "$root/labs/$lab/hidden" ] || cp -R "$root/labs/$lab/hidden" "$src/tree/labs/$lab/hidden"
(cd "$root" && grep -rlE "^[ 	]*(//|#) LAB[(]${lab}[)] BEGIN" isa cpu mmu hypervisor visualise cli guests "labs/$lab" \
    --include='*.c' --include='*.h' --include='*.s' --include='*.inc' --include=answers.txt | sort) >"$src/files.txt"

cat >"$src/setup.sh" <<'SETUP'
#!/bin/sh
# Gradescope runs this once, as root, when it builds the autograder's
# image: the packages ringsim needs, then the starting tree's build.
set -eu
src=${AUTOGRADER_ROOT:-/autograder}/source
sh "$src/tree/tools/setup.sh"
make -C "$src/tree" -j2 ${OPT:+OPT="$OPT"} all
SETUP

cat >"$src/run_autograder" <<RUN
#!/bin/sh
# Gradescope runs this for each submission: the lab's files from the
# submission over the starting tree, a build, then the grade, as
# results/results.json (the text goes to stdout, which Gradescope keeps for
# the instructor).  Lab: $lab.
set -u
lab=$lab
RUN
cat >>"$src/run_autograder" <<'RUN'
ag=${AUTOGRADER_ROOT:-/autograder}
tree=$ag/source/tree
mkdir -p "$ag/results"
# a grade of zero with a message, when there is nothing to grade
refuse() {
    jq -n --arg out "$1" '{score: 0, output: $out, visibility: "visible", stdout_visibility: "visible", tests: []}' \
        >"$ag/results/results.json"
    printf '%s\n' "$1"
    exit 0
}
missing=
for f in $(cat "$ag/source/files.txt"); do
    if [ -f "$ag/submission/$f" ]; then cp "$ag/submission/$f" "$tree/$f"
    elif [ -f "$ag/submission/$(basename "$f")" ]; then cp "$ag/submission/$(basename "$f")" "$tree/$f"
    else missing="$missing $f"; fi
done
[ -z "$missing" ] || refuse "The submission lacks the lab's file(s):$missing (submit them at their path in the tree, or by their names)."
if ! make -C "$tree" -j2 ${OPT:+OPT="$OPT"} all >"$ag/results/build.log" 2>&1; then
    refuse "The tree does not build with your files:
$(grep -E 'error|warning' "$ag/results/build.log" | head -n 20)
$(tail -n 5 "$ag/results/build.log")"
fi
cd "$tree" && RINGSIM_BIN="$tree/ringsim" RINGSIM_GUESTS="$tree/build/guests" \
    sh labs/grade.sh --format gradescope --output "$ag/results/results.json" "$lab"
exit 0
RUN
chmod +x "$src/setup.sh" "$src/run_autograder"
rm -f "$zip.tmp"
(cd "$src" && zip -qr -X "$zip.tmp" setup.sh run_autograder files.txt tree)
mv "$zip.tmp" "$zip"
echo "wrote $zip: Gradescope's autograder for lab $lab ($(wc -l <"$src/files.txt") file(s) from the submission: $(paste -sd' ' "$src/files.txt"))"
