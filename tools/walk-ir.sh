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
# MODES narrows it (names as bench-ir prints them); ARGS the count (32).
set -eu
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
MODES=${MODES:-"native te bt hw+nested hw+shadow pv"}
ARGS=${ARGS:-32}
RINGSIM=${RINGSIM:-./ringsim}

# shellcheck source=tools/modes.sh
. "$(dirname "$0")/modes.sh"
# Ir, walk references, walks, instructions of one run: mode, TLB shape
measure() {
    # shellcheck disable=SC2046
    valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.out" \
        "$RINGSIM" run tlbstride --args "$ARGS" --tlb "$2" $(mode_args "$1") --stats "$tmp/s.json" >/dev/null 2>&1 || true
    ir=$(sed -n 's/^summary: *//p' "$tmp/cg.out" | awk '{print $1}')
    echo "$ir $(jq '"\(.walk.refs) \(.walk.walks) \(.instructions)"' -r "$tmp/s.json")"
}

printf '%-10s %10s %7s %7s %6s %8s %8s\n' mode dIr drefs dwalks dinsns Ir/ref Ir/miss
for mode in $MODES; do
    a=$(measure "$mode" 64:4)
    b=$(measure "$mode" 1024:4)
    echo "$a $b" | awk -v m="$mode" '{
        dir = $1 - $5; dr = $2 - $6; dw = $3 - $7; di = $4 - $8
        printf "%-10s %10d %7d %7d %6d %8.2f %8.2f\n", m, dir, dr, dw, di, dir / dr, dir / dw }'
done
