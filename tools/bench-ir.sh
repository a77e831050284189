#!/bin/sh
# tools/bench-ir.sh — `make bench-ir`: host instructions per simulated
# instruction ("Ir/insn"), measured with valgrind's callgrind.
#
# Each workload runs twice under callgrind, with a short and a long
# iteration count; the difference of the two host instruction counts over
# the difference of the two guest instruction counts is what one more guest
# instruction costs, start-up (boot, decoding, valgrind itself) cancelled.
# Deterministic, so one run each is enough.  Prints a table and writes
# bench-ir.json.  WORKLOADS and MODES narrow it (names as printed); ENGINE=jit
# measures the compiled engine (--engine; default interp).
set -eu
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
WORKLOADS=${WORKLOADS:-"loop compute syscall tlbstride forkwait"}
MODES=${MODES:-"native te bt hw+nested hw+shadow pv"}
OUT=${OUT:-bench-ir.json}
RINGSIM=${RINGSIM:-./ringsim}
ENGINE=${ENGINE:-interp}

# shellcheck source=tools/modes.sh
. "$(dirname "$0")/modes.sh"
# the short and the long iteration count of each workload
counts() {
    case $1 in
    loop) echo "100000 300000" ;;
    compute) echo "20000 80000" ;;
    syscall) echo "1000 5000" ;;
    tlbstride) echo "8 32" ;;
    forkwait) echo "10 40" ;;
    esac
}
# host instructions and guest instructions of one run: "Ir insns"
measure() { # workload, count, mode
    if [ "$1" = loop ]; then
        "$RINGSIM" asm guests/loop.s -D ITER="$2" -o "$tmp/loop.img"
        set -- "$tmp/loop.img" "" "$3"
    else
        set -- "$1" "--args $2" "$3"
    fi
    # shellcheck disable=SC2046
    valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.out" \
        "$RINGSIM" run "$1" $2 $(mode_args "$3") --engine "$ENGINE" --stats "$tmp/s.json" >/dev/null 2>&1 || true
    ir=$(sed -n 's/^summary: *//p' "$tmp/cg.out" | awk '{print $1}')
    insns=$(grep -m1 '"instructions"' "$tmp/s.json" | tr -dc 0-9)
    echo "$ir $insns"
}

printf '%-10s %-10s %8s\n' workload mode Ir/insn
echo "{" > "$OUT.tmp"
first=1
for w in $WORKLOADS; do
    for mode in $MODES; do
        # the loop is a bare-metal program: no paravirtual build of it
        if [ "$w" = loop ] && [ "$mode" = pv ]; then continue; fi
        set -- $(counts "$w")
        a=$(measure "$w" "$1" "$mode")
        b=$(measure "$w" "$2" "$mode")
        r=$(echo "$a $b" | awk '{ if ($4 > $2) printf "%.2f", ($3 - $1) / ($4 - $2); else print "null" }')
        printf '%-10s %-10s %8s\n' "$w" "$mode" "$r"
        [ $first = 1 ] || echo "," >> "$OUT.tmp"
        first=0
        printf '  "%s/%s": %s' "$w" "$mode" "$r" >> "$OUT.tmp"
    done
done
printf '\n}\n' >> "$OUT.tmp"
mv "$OUT.tmp" "$OUT"
