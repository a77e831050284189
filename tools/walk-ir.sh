#!/bin/sh
# tools/walk-ir.sh — host instructions per page-walk reference and per TLB
# miss ("Ir/ref", "Ir/miss"), measured with valgrind's callgrind.
#
# tlbstride runs twice per mode with the same iteration count: once with
# the default TLB (64 entries, 4 ways), which misses on almost every page it
# strides over, and once with a TLB of 1,024 entries, where the same pages
# stay cached.  The guest runs the same instructions (the timer, which
# counts cycles, moves a few hundred of them: printed as dinsns, each costs
# what any instruction does); what the first run spends more is what its
# extra misses cost, the whole miss path: the failed look-up, the walk, the
# fill of the TLB and the soft TLB, and the interpreter's slow path around
# them.  Divided by the difference in `walk.refs` of --stats it is Ir/ref,
# by the difference in `walk.walks` Ir/miss.  Deterministic: one run each.
# What a miss costs more than a hit: the second run finds in the TLB, by a
# search of the set (mmu_translate_hit), the pages the first walks for, so
# a change that makes such a hit cheaper shows here as a dearer miss; the
# figure to judge the miss path by is bench-ir's tlbstride Ir/insn.
# Each mode is measured with tables of 2 levels (the default) and of 4
# (--levels 4; under nested paging the host table follows): the difference
# of the two Ir/miss over the difference of their references per miss is
# what one more reference costs (Ir/xref), and what is left of a miss at
# 2 levels once its references are paid is the miss's own cost (fixed):
# the failed look-up, the TLB and soft-TLB fill, the interpreter's exit.
# MODES narrows it (names as bench-ir prints them); ARGS the count (32).
set -eu
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
MODES=${MODES:-"native te bt hw+nested hw+shadow pv"}
ARGS=${ARGS:-32}
RINGSIM=${RINGSIM:-./ringsim}

# shellcheck source=tools/modes.sh
. "$(dirname "$0")/modes.sh"
# Ir, walk references, walks, instructions of one run: mode, TLB shape, levels
measure() {
    rm -f "$tmp/s.json"
    # shellcheck disable=SC2046
    valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.out" \
        "$RINGSIM" run tlbstride --args "$ARGS" --tlb "$2" --levels "$3" $(mode_args "$1") --stats "$tmp/s.json" >/dev/null 2>&1 || true
    if [ ! -s "$tmp/s.json" ]; then
        echo "walk-ir: $RINGSIM run tlbstride $(mode_args "$1") --levels $3 wrote no statistics" >&2
        exit 1
    fi
    ir=$(sed -n 's/^summary: *//p' "$tmp/cg.out" | awk '{print $1}')
    echo "$ir $(jq '"\(.walk.refs) \(.walk.walks) \(.instructions)"' -r "$tmp/s.json")"
}
# the extra misses' figures at one number of levels: dIr drefs dwalks dinsns
extra() {
    a=$(measure "$1" 64:4 "$2")
    b=$(measure "$1" 1024:4 "$2")
    echo "$a $b" | awk '{ print $1 - $5, $2 - $6, $3 - $7, $4 - $8 }'
}

printf '%-10s %6s %10s %7s %7s %6s %8s %8s %8s %8s\n' mode levels dIr drefs dwalks dinsns Ir/ref Ir/miss Ir/xref fixed
for mode in $MODES; do
    two=$(extra "$mode" 2)
    four=$(extra "$mode" 4)
    echo "$two $four" | awk -v m="$mode" '{
        rm2 = $2 / $3; im2 = $1 / $3; rm4 = $6 / $7; im4 = $5 / $7
        x = (im4 - im2) / (rm4 - rm2)
        printf "%-10s %6d %10d %7d %7d %6d %8.2f %8.2f %8.2f %8.1f\n", m, 2, $1, $2, $3, $4, $1 / $2, im2, x, im2 - rm2 * x
        printf "%-10s %6d %10d %7d %7d %6d %8.2f %8.2f\n", m, 4, $5, $6, $7, $8, $5 / $6, im4 }'
done
