#!/bin/sh
# tests/labs/wrong.sh TREE LAB — grades each deliberately wrong solution of
# LAB (tests/labs/wrong/LAB/NAME.c or .s) in TREE, a built copy of the
# reference tree: the solution's region (// LAB(LAB) BEGIN … END) is
# replaced by the body, the tree rebuilt and graded, and the checks that
# fail must be exactly those the file names:
#
#     // mistake: what the student got wrong
#     // caught by: the description of a check, as checks.sh gives it
#     …the body…
#
# (in assembly, and in a lab's answers.txt, NAME.txt, with #).  A lab with several regions in its file (bt, nested)
# has one body a region, in the file's order, each after the first opened
# by a line "// ---- next region" (or "# ---- next region"); a body that
# is the line "// ---- the reference's" keeps the reference's code there.
# Prints one line per solution: its score and the checks that caught it
# (then the invariants the hypervisor saw broken, "  what broke: …");
# exit status 1 if any is caught by other checks than it says, or by none.
# TREE's file is restored at the end.
# With WRONG_UPDATE=1 the "caught by" lines are rewritten from the grading
# instead (after a change of the checks; read the diff before keeping it).
set -u
export LC_ALL=C
tree=$1 lab=$2
here=$(cd "$(dirname "$0")" && pwd)
begin="^[ 	]*(//|#) LAB[(]${lab}[)] BEGIN"
end="^[ 	]*(//|#) LAB[(]${lab}[)] END"
file=$(cd "$tree" && grep -rlE "$begin" isa cpu mmu hypervisor guests "labs/$lab" --include='*.c' --include='*.s' \
       --include=answers.txt | head -n 1)
[ -n "$file" ] || { echo "wrong.sh: no LAB($lab) region in $tree" >&2; exit 2; }
cp "$tree/$file" "$tree/$file.reference"
status=0
for sol in "$here"/wrong/"$lab"/*.[cs] "$here"/wrong/"$lab"/*.txt; do
    [ -f "$sol" ] || continue
    name=$(basename "$sol")
    sed -n 's/^\(\/\/\|#\) caught by: *//p' "$sol" | sort >"$tree/want"
    awk -v begin="$begin" -v end="$end" -v sol="$sol" '
        $0 ~ begin { print; skip = 1
                     while ((getline l < sol) > 0 && l !~ /^(\/\/|#) ---- next region/)
                         if (l ~ /^(\/\/|#) ---- the reference.s/) skip = 0
                         else if (l !~ /^(\/\/|#) (mistake|caught by):/) print l
                     next }
        $0 ~ end { skip = 0 }
        !skip { print }' "$tree/$file.reference" >"$tree/$file"
    if ! make -C "$tree" -j2 OPT="${OPT:--O0}" all >"$tree/build.log" 2>&1; then
        echo "$lab/$name: does not build"; tail -n 20 "$tree/build.log"; status=1; continue
    fi
    RINGSIM_BIN="$tree/ringsim" RINGSIM_GUESTS="$tree/build/guests" sh "$tree/labs/grade.sh" "$lab" >"$tree/grade.out" 2>&1
    sed -n 's/^  \(.*[^ ]\) *FAIL (0\/[0-9]*)$/\1/p' "$tree/grade.out" | sort >"$tree/got"
    score=$(sed -n "s/^Score ($lab): //p" "$tree/grade.out")
    echo "$lab/$name: $score, caught by: $(paste -sd';' "$tree/got")"
    # what the hypervisor saw broken (--invariants), if it could tell
    sed -n 's/^ *what broke: /  what broke: /p' "$tree/grade.out" | sort -u
    if [ "${WRONG_UPDATE:-0}" = 1 ]; then
        c=$(sed -n '1s/^\(\/\/\|#\) mistake:.*/\1/p' "$sol")
        { sed -n '/^\(\/\/\|#\) mistake:/p' "$sol"; sed "s|^|$c caught by: |" "$tree/got"
          grep -v '^\(\/\/\|#\) \(mistake\|caught by\):' "$sol"; } >"$sol.new" && mv "$sol.new" "$sol"
    elif [ ! -s "$tree/got" ] || ! cmp -s "$tree/want" "$tree/got"; then
        echo "  expected to be caught by: $(paste -sd';' "$tree/want")"
        sed 's/^/  | /' "$tree/grade.out"
        status=1
    fi
done
mv "$tree/$file.reference" "$tree/$file" && touch "$tree/$file"   # newer than the objects of the last solution
make -C "$tree" -j2 OPT="${OPT:--O0}" all >"$tree/build.log" 2>&1 || status=1
exit $status
