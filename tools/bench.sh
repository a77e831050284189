#!/bin/sh
# tools/bench.sh — `make bench`: simulated speed (README.md, "Speed").
#
# Runs each workload under every mode, five times, and reports the median:
# simulated MIPS (guest instructions per host second), host nanoseconds per
# simulated cycle, and the peak resident set of the run.  Prints a table and
# writes bench.json.  The workloads:
#   loop       guests/loop.s (load, add, store, add-immediate, branch), bare
#              metal, no kernel: the interpreter's inner loop and nothing else
#   compute    the kernel's ALU loop (paging on)
#   syscall    getpid round trips (traps, or hypercalls under pv)
#   tlbstride  one word in each of 256 pages: TLB misses and page walks
#   forkwait   spawn and wait: address spaces made and torn down
# WORKLOADS, MODES, RUNS and OUT narrow or move it; ENGINE=jit measures the
# compiled engine (--engine; default interp); SCALE multiplies every
# iteration count.  Host instructions per guest instruction, which do not
# depend on the machine's load, are `make bench-ir` (tools/bench-ir.sh).
set -eu
WORKLOADS=${WORKLOADS:-"loop compute syscall tlbstride forkwait"}
MODES=${MODES:-"native te bt hw+nested hw+shadow pv"}
RUNS=${RUNS:-5}
SCALE=${SCALE:-1}
OUT=${OUT:-bench.json}
RINGSIM=${RINGSIM:-./ringsim}
ENGINE=${ENGINE:-interp}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# shellcheck source=tools/modes.sh
. "$(dirname "$0")/modes.sh"
# iteration counts for a few tenths of a second a run natively
count() {
    case $1 in
    loop) n=20000000 ;;
    compute) n=2000000 ;;
    syscall) n=100000 ;;
    tlbstride) n=300 ;;
    forkwait) n=300 ;;
    esac
    echo $((n * SCALE))
}

"$RINGSIM" asm guests/loop.s -D ITER="$(count loop)" -o "$tmp/loop.img"

# one run: prints "seconds peak-RSS-KiB"; the statistics go to $tmp/s.json
run_once() { # workload, mode
    if [ "$1" = loop ]; then img="$tmp/loop.img"; args=""; else img=$1; args="--args $(count "$1")"; fi
    start=$(date +%s.%N)
    # shellcheck disable=SC2046,SC2086
    /usr/bin/time -f %M -o "$tmp/rss" "$RINGSIM" run "$img" $args $(mode_args "$2") \
        --engine "$ENGINE" --stats "$tmp/s.json" >/dev/null 2>&1 || true
    end=$(date +%s.%N)
    echo "$end $start $(tail -1 "$tmp/rss")" | awk '{printf "%.6f %s\n", $1 - $2, $3}'
}

median() { sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

printf '%-10s %-10s %12s %12s %9s %9s %8s %9s\n' workload mode instructions cycles seconds MIPS ns/cycle "RSS KiB"
printf '{\n  "runs": %s,\n  "results": {' "$RUNS" > "$OUT.tmp"
first=1
for w in $WORKLOADS; do
    for mode in $MODES; do
        # the loop is a bare-metal program: there is no paravirtual build of it
        if [ "$w" = loop ] && [ "$mode" = pv ]; then continue; fi
        : > "$tmp/times"
        : > "$tmp/rsses"
        i=0
        while [ $i -lt "$RUNS" ]; do
            set -- $(run_once "$w" "$mode")
            echo "$1" >> "$tmp/times"
            echo "$2" >> "$tmp/rsses"
            i=$((i + 1))
        done
        secs=$(median < "$tmp/times")
        rss=$(sort -n "$tmp/rsses" | tail -1)
        insns=$(grep -m1 '"instructions"' "$tmp/s.json" | tr -dc 0-9)
        cycles=$(grep -m1 '"cycles"' "$tmp/s.json" | tr -dc 0-9)
        line=$(echo "$insns $cycles $secs" | awk '{printf "%.1f %.3f", $1 / $3 / 1e6, $3 * 1e9 / $2}')
        set -- $line
        printf '%-10s %-10s %12s %12s %9s %9s %8s %9s\n' "$w" "$mode" "$insns" "$cycles" "$secs" "$1" "$2" "$rss"
        [ $first = 1 ] || printf ',' >> "$OUT.tmp"
        first=0
        printf '\n    "%s/%s": {"instructions": %s, "cycles": %s, "seconds": %s, "mips": %s, "ns_per_cycle": %s, "peak_rss_kib": %s}' \
            "$w" "$mode" "$insns" "$cycles" "$secs" "$1" "$2" "$rss" >> "$OUT.tmp"
    done
done
printf '\n  }\n}\n' >> "$OUT.tmp"
mv "$OUT.tmp" "$OUT"
echo "(median of $RUNS runs each; written to $OUT)"
