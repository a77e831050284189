#!/bin/sh
# tools/bench.sh — `make bench`: simulated MIPS (README.md, "Speed").
#
# Assembles guests/loop.s with a large iteration count (load, add, store,
# add-immediate, branch: five instructions an iteration) and runs it with
# every statistic kept, natively and under hardware assist with nested
# paging, then the compute workload under the kernel (paging on) in every
# mode, and the system-call workload (traps and hypercalls).  Prints
# instructions, wall time and simulated MIPS, best of three runs each.
set -eu
ITER=${ITER:-100000000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
./ringsim asm guests/loop.s -D ITER=$ITER -o "$tmp/loop.img"

bench() { # label, then ringsim run arguments
    label=$1; shift
    best=""
    for i in 1 2 3; do
        start=$(date +%s.%N)
        ./ringsim run "$@" --stats "$tmp/s.json" >/dev/null || true
        end=$(date +%s.%N)
        secs=$(echo "$end $start" | awk '{printf "%.4f", $1 - $2}')
        if [ -z "$best" ] || [ "$(echo "$secs $best" | awk '{print ($1 < $2)}')" = 1 ]; then best=$secs; fi
    done
    insns=$(grep -m1 '"instructions"' "$tmp/s.json" | tr -dc 0-9)
    cycles=$(grep -m1 '"cycles"' "$tmp/s.json" | tr -dc 0-9)
    echo "$label $insns $cycles $best" | awk '{printf "%-26s %-14s %-14s %-8s %.0f\n", $1, $2, $3, $4, $2 / $4 / 1e6}'
}

echo "what                       instructions   cycles         seconds  simulated MIPS"
bench "loop/native"              "$tmp/loop.img"
bench "loop/hw+nested"           "$tmp/loop.img" --mode hw
bench "compute-kernel/native"    compute --args 20000000
bench "compute-kernel/hw+nested" compute --args 20000000 --mode hw
bench "compute-kernel/hw+shadow" compute --args 20000000 --mode hw --mmu shadow
bench "compute-kernel/te+shadow" compute --args 20000000 --mode te --isa strict
bench "compute-kernel/bt+shadow" compute --args 20000000 --mode bt
bench "compute-kernel/pv"        compute --args 20000000 --mode pv
bench "syscall-kernel/native"    syscall --args 200000
bench "syscall-kernel/pv"        syscall --args 200000 --mode pv
bench "syscall-kernel/bt+shadow" syscall --args 200000 --mode bt
