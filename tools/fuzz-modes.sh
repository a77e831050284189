#!/bin/sh
# fuzz-modes.sh — differential testing of every virtualisation technique
# against bare metal, on random guests from build/genguest.
#
#   sh tools/fuzz-modes.sh [SEEDS [FIRST]]        (make fuzz-modes SEEDS=N FIRST=S)
#
# Bare metal is the oracle: for each seed the generated guest (at 2, 3 or 4
# page-table levels, rotating with the seed) runs natively on the strict and
# the classic ISA, then under trap-and-emulate, binary translation and
# hardware assist with shadow and nested paging; each run's console output
# and exit status must equal the native run on the same ISA.  The first
# difference is printed with the native and the virtualised line, the seed
# goes into the failures file, and a copy of the guest and of both outputs is
# kept in $FUZZ_DIR/seed-S/.  A run ended by a signal (a simulator crash, or
# the wall-clock timeout) is always a failure, even natively.
#
# Environment: RINGSIM_BIN (default ./ringsim, the release build: runs must
# be fast), GENGUEST (default build/genguest), FUZZ_DIR (default
# build/fuzz-modes), FUZZ_FAILURES (default $FUZZ_DIR/failures.txt),
# FUZZ_JOBS (parallel workers, default: the number of CPUs), FUZZ_GENOPTS
# (extra genguest options, e.g. "--no-redpills" or "--coherent"),
# FUZZ_RUNOPTS (extra options for every run, native and virtualised, e.g.
# "--tlb 16:2" or "--no-asid": the machine every run of the seed gets),
# FUZZ_VIRTOPTS (extra options for the runs compared with bare metal only:
# "--engine jit" holds the JIT, under every technique and natively, to the
# interpreter's bare metal), FUZZ_MODES (a subset of the modes below, or
# native-strict and native-classic, bare metal with FUZZ_VIRTOPTS),
# FUZZ_MAX_CYCLES.
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${RINGSIM_BIN:-$ROOT/ringsim}
GEN=${GENGUEST:-$ROOT/build/genguest}
SEEDS=${1:-100}
FIRST=${2:-0}
DIR=${FUZZ_DIR:-$ROOT/build/fuzz-modes}
FAILURES=${FUZZ_FAILURES:-$DIR/failures.txt}
GENOPTS=${FUZZ_GENOPTS:-}
RUNOPTS=${FUZZ_RUNOPTS:-}
VIRTOPTS=${FUZZ_VIRTOPTS:-}
MAXC=${FUZZ_MAX_CYCLES:-40000000}   # healthy runs need at most ~12M cycles, in any mode
JOBS=${FUZZ_JOBS:-$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)}
# Every technique, on each ISA it is meant to be exact on: trap-and-emulate
# only on strict (on classic the red pills are Popek and Goldberg's point),
# binary translation on both (it translates the red pills away), hardware
# assist on both (the exits do not depend on the ISA).
MODES=${FUZZ_MODES:-"te-strict bt-strict bt-classic hw-shadow-strict hw-shadow-classic hw-nested-strict hw-nested-classic"}

case $SEEDS in ''|*[!0-9]*) echo "fuzz-modes: SEEDS must be a number" >&2; exit 2;; esac
case $FIRST in ''|*[!0-9]*) echo "fuzz-modes: FIRST must be a number" >&2; exit 2;; esac
[ -x "$BIN" ] || { echo "fuzz-modes: no $BIN (make)" >&2; exit 2; }
[ -x "$GEN" ] || { echo "fuzz-modes: no $GEN (make build/genguest)" >&2; exit 2; }
# A simulator that hangs must not hang the fuzzer: KILL makes it a signal.
if command -v timeout >/dev/null 2>&1; then TO="timeout -s KILL 60"; else TO=; fi

# set_mode M: $margs and $misa for mode M, without a subshell (forks are
# what a run of the fuzzer spends most of its time on).
set_mode() {
    case $1 in
    native-strict)     margs="--isa strict" ;;
    native-classic)    margs="--isa classic" ;;
    te-strict)         margs="--mode te --mmu shadow --isa strict" ;;
    te-classic)        margs="--mode te --mmu shadow --isa classic" ;;
    bt-strict)         margs="--mode bt --mmu shadow --isa strict" ;;
    bt-classic)        margs="--mode bt --mmu shadow --isa classic" ;;
    hw-shadow-strict)  margs="--mode hw --mmu shadow --isa strict" ;;
    hw-shadow-classic) margs="--mode hw --mmu shadow --isa classic" ;;
    hw-nested-strict)  margs="--mode hw --mmu nested --isa strict" ;;
    hw-nested-classic) margs="--mode hw --mmu nested --isa classic" ;;
    *) echo "fuzz-modes: unknown mode $1" >&2; exit 2 ;;
    esac
    case $1 in *-strict) misa=strict ;; *) misa=classic ;; esac
}
for m in $MODES; do set_mode "$m"; done

# first_diff A B: the number of the first line where A and B differ (0 if
# none); diff's first hunk header says where.
first_diff() {
    diff "$1" "$2" >/dev/null 2>&1 && { echo 0; return; }
    diff "$1" "$2" 2>/dev/null | sed -n '1{
        s/^\([0-9]*\)[,0-9]*a.*/A\1/p
        s/^\([0-9]*\)[,0-9]*[cd].*/\1/p
        q
    }' | awk '/^A/ { print substr($0, 2) + 1; next } { print }'
}

line_of() {
    l=$(sed -n "${2}p" "$1")
    if [ -z "$l" ] && [ "$(wc -l < "$1")" -lt "$2" ]; then echo "(end of output)"; else echo "$l"; fi
}

# worker W: seeds FIRST+W, FIRST+W+JOBS, ...; reports in $DIR/w$W.report,
# counts in $DIR/w$W.counts ("seed", "run", "div MODE", "crash MODE").
worker() {
    w=$1
    work=$DIR/work$w
    mkdir -p "$work"
    : > "$DIR/w$w.report"
    : > "$DIR/w$w.counts"
    i=$w
    while [ "$i" -lt "$SEEDS" ]; do
        seed=$((FIRST + i))
        i=$((i + JOBS))
        levels=$((2 + seed % 3))
        echo seed >> "$DIR/w$w.counts"
        # shellcheck disable=SC2086
        if ! "$GEN" "$seed" --levels "$levels" $GENOPTS -o "$work/g.s" 2> "$work/gen.err"; then
            { echo "seed $seed levels $levels: the generator failed:"; cat "$work/gen.err"; } >> "$DIR/w$w.report"
            echo "$seed levels $levels generator" >> "$FAILURES"
            echo "crash generator" >> "$DIR/w$w.counts"
            continue
        fi
        if ! "$BIN" asm "$work/g.s" -o "$work/g.img" 2> "$work/asm.err"; then
            { echo "seed $seed levels $levels: the guest does not assemble:"; head -5 "$work/asm.err"; } >> "$DIR/w$w.report"
            echo "$seed levels $levels asm" >> "$FAILURES"
            echo "crash asm" >> "$DIR/w$w.counts"
            continue
        fi
        nst_strict=0 nst_classic=0
        for isa in strict classic; do
            # shellcheck disable=SC2086
            $TO "$BIN" run "$work/g.img" --isa $isa --levels "$levels" --max-cycles "$MAXC" $RUNOPTS \
                > "$work/native-$isa.out" 2> "$work/native-$isa.err" < /dev/null
            st=$?
            case $isa in strict) nst_strict=$st ;; *) nst_classic=$st ;; esac
            echo run >> "$DIR/w$w.counts"
            if [ "$st" -gt 128 ]; then
                echo "seed $seed levels $levels mode native-$isa: the simulator died (status $st)" >> "$DIR/w$w.report"
                echo "$seed levels $levels native-$isa" >> "$FAILURES"
                echo "crash native-$isa" >> "$DIR/w$w.counts"
            elif ! { [ "$st" = 0 ] || [ "$st" = 4 ] || [ "$st" = 125 ]; } || ! grep -q '^E$' "$work/native-$isa.out"; then
                # a guest must end with its final dump, then power off or
                # its deliberate double (4) or triple (125) fault: anything
                # else (the trap limit, the cycle limit, a bad set-up) is
                # the generator's or the harness's fault, not a finding
                {
                    echo "seed $seed levels $levels mode native-$isa: the native run did not finish as the generator meant (status $st)"
                    tail -2 "$work/native-$isa.out" | sed 's/^/    /'
                    if [ -s "$work/native-$isa.err" ]; then tail -2 "$work/native-$isa.err" | sed 's/^/    /'; fi
                } >> "$DIR/w$w.report"
                echo "$seed levels $levels native-$isa-unfinished" >> "$FAILURES"
                echo "unfinished native-$isa" >> "$DIR/w$w.counts"
            fi
        done
        for m in $MODES; do
            set_mode "$m"
            # shellcheck disable=SC2086
            $TO "$BIN" run "$work/g.img" $margs --levels "$levels" --max-cycles "$MAXC" $RUNOPTS $VIRTOPTS \
                > "$work/$m.out" 2> "$work/$m.err" < /dev/null
            st=$?
            echo run >> "$DIR/w$w.counts"
            case $misa in strict) nst=$nst_strict ;; *) nst=$nst_classic ;; esac
            if [ "$st" -le 128 ] && [ "$st" = "$nst" ] && cmp -s "$work/native-$misa.out" "$work/$m.out"; then
                continue
            fi
            k=$(first_diff "$work/native-$misa.out" "$work/$m.out")
            keep=$DIR/seed-$seed
            mkdir -p "$keep"
            cp "$work/g.s" "$work/native-$misa.out" "$work/$m.out" "$work/$m.err" "$keep/" 2>/dev/null
            {
                if [ "$st" -gt 128 ]; then
                    echo "seed $seed levels $levels mode $m: the simulator died (status $st)"
                    tail -3 "$work/$m.err" | sed 's/^/    /'
                    echo "crash $m" >> "$DIR/w$w.counts"
                fi
                if [ "$k" != 0 ]; then
                    echo "seed $seed levels $levels mode $m: first difference at line $k:"
                    echo "    native: $(line_of "$work/native-$misa.out" "$k")"
                    echo "    $m: $(line_of "$work/$m.out" "$k")"
                fi
                if [ "$st" != "$nst" ]; then
                    echo "seed $seed levels $levels mode $m: exit status $st, native $nst"
                    if [ -s "$work/$m.err" ]; then tail -2 "$work/$m.err" | sed 's/^/    /'; fi
                fi
            } >> "$DIR/w$w.report"
            echo "div $m" >> "$DIR/w$w.counts"
            echo "$seed levels $levels $m" >> "$FAILURES"
        done
        # progress, on the terminal only
        if [ "$w" = 0 ] && [ -t 2 ]; then printf '\rseed %s' "$seed" >&2; fi
    done
}

mkdir -p "$DIR"
touch "$FAILURES"
# Others rebuild ./ringsim while a long run goes on: run a copy taken now, so
# that every seed of this run meets the same build.
cp "$BIN" "$DIR/ringsim.snapshot" || exit 2
# (ls for the build's date: the one portable way; the name is ours)
# shellcheck disable=SC2012
echo "fuzz-modes: $(ls -l "$BIN" | awk '{ print $6, $7, $8 }') build of $BIN, seeds $FIRST..$((FIRST + SEEDS - 1))"
BIN=$DIR/ringsim.snapshot
# the copy looks for the machine profiles beside itself: show it the tree's
RINGSIM_PROFILES=${RINGSIM_PROFILES:-$ROOT/profiles}
export RINGSIM_PROFILES
w=0
while [ "$w" -lt "$JOBS" ]; do
    worker "$w" &
    w=$((w + 1))
done
wait
[ -t 2 ] && printf '\r' >&2

w=0
while [ "$w" -lt "$JOBS" ]; do
    cat "$DIR/w$w.report"
    w=$((w + 1))
done
# the summary; the status says whether this run found anything
cat "$DIR"/w*.counts | awk -v modes="$MODES" '
    $1 == "seed" { seeds++ }
    $1 == "run" { runs++ }
    $1 == "div" { div[$2]++; ndiv++ }
    $1 == "crash" { crash[$2]++; ncrash++ }
    $1 == "unfinished" { unfinished[$2]++; nunf++ }
    END {
        printf "fuzz-modes: %d seeds, %d runs, %d divergent runs, %d crashes, %d native runs unfinished\n", seeds, runs, ndiv, ncrash, nunf
        n = split(modes, m, " ")
        for (i = 1; i <= n; i++) printf "  %-18s %d divergent\n", m[i], div[m[i]]
        for (k in crash) printf "  crashes in %s: %d\n", k, crash[k]
        for (k in unfinished) printf "  %s runs that did not finish: %d\n", k, unfinished[k]
        exit (ndiv + ncrash + nunf > 0)
    }'
found=$?
rm -f "$DIR"/w*.counts "$DIR"/w*.report
if [ "$found" != 0 ]; then
    echo "fuzz-modes: the seeds are appended to $FAILURES; each one's guest and outputs are in $DIR/seed-SEED/"
    exit 1
fi
