#!/bin/sh
# tools/bench.sh — simulated MIPS on the loop of BRIEF.md ("Speed").
#
# Assembles guests/loop.s with a large iteration count, runs it natively with
# every statistic kept, and prints instructions, wall time and simulated MIPS.
# Best of three runs.  Modes other than native join this table as the
# hypervisor lands (issues #4, #5).
set -eu
ITER=${ITER:-100000000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
./ringsim asm guests/loop.s -D ITER=$ITER -o "$tmp/loop.img"
best=""
for i in 1 2 3; do
    start=$(date +%s.%N)
    ./ringsim run "$tmp/loop.img" --stats "$tmp/s.json" >/dev/null || true
    end=$(date +%s.%N)
    secs=$(echo "$end $start" | awk '{printf "%.4f", $1 - $2}')
    if [ -z "$best" ] || [ "$(echo "$secs $best" | awk '{print ($1 < $2)}')" = 1 ]; then best=$secs; fi
done
insns=$(grep -m1 '"instructions"' "$tmp/s.json" | tr -dc 0-9)
cycles=$(grep -m1 '"cycles"' "$tmp/s.json" | tr -dc 0-9)
echo "mode     instructions   cycles         seconds  simulated MIPS"
echo "$insns $cycles $best" | awk '{printf "native   %-14s %-14s %-8s %.0f\n", $1, $2, $3, $1 / $3 / 1e6}'
