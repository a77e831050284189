#!/bin/sh
# tools/report.sh — `make compare`: every workload under every virtualisation
# mode and both shipped profiles, written to report/ (or $1).
#
#   report/README.md             the summary: the four shapes of the literature
#                                (README.md, "Pictures"), each reproduced, not
#                                testable yet, or failed — decided here from
#                                the numbers, never written in
#   report/PROFILE/W.txt         `ringsim compare` table of workload W
#   report/PROFILE/W.csv .json   the same figures
#   report/PROFILE/W.svg         cycles by cause per mode (gnuplot)
#   report/PROFILE/strict/W.*    native and te on the strict ISA
#   report/walks/                the 2D-walk drawings and counts
#
# Exit status 1 if a run failed (the report is written all the same).
set -eu
cd "$(dirname "$0")/.."
OUT=${1:-report}
WORKLOADS="syscall pgfault ptemod ctxswitch compute tlbstride forkwait"
PROFILES="modern p4-2006 core2-2006"
JOBS=$(nproc 2>/dev/null || echo 2)
LEVELS=${LEVELS:-4}                     # page-table levels (guest, and host under nested paging)
RS=./ringsim

for tool in jq gnuplot dot; do
    if ! command -v $tool >/dev/null 2>&1; then
        echo "tools/report.sh: $tool is missing; run sh tools/setup.sh" >&2
        exit 1
    fi
done
[ -x $RS ] || { echo "tools/report.sh: ./ringsim is not built; run make first" >&2; exit 1; }

status=0
mkdir -p "$OUT/walks"
for p in $PROFILES; do
    mkdir -p "$OUT/$p/strict"
    for w in $WORKLOADS; do
        echo "compare $w ($p)" >&2
        $RS compare $w --profile $p --levels $LEVELS --jobs $JOBS --timeout 120 --csv "$OUT/$p/$w.csv" \
            --json "$OUT/$p/$w.json" --chart "$OUT/$p/$w.svg" >"$OUT/$p/$w.txt" || status=1
        $RS compare $w --profile $p --levels $LEVELS --isa strict --modes native,te+shadow --timeout 120 \
            --json "$OUT/$p/strict/$w.json" >"$OUT/$p/strict/$w.txt" || status=1
    done
done

# ---- reading the numbers ------------------------------------------------------
# cycles FILE MODE: the mode's cycles, or "-" if it did not run
cycles() {
    jq -r --arg m "$2" '[.runs[] | select(.mode == $m and .available and .cycles != null) | .cycles][0] // "-"' "$1"
}
# available FILE MODE: yes if the mode ran
available() {
    jq -r --arg m "$2" 'if [.runs[] | select(.mode == $m and .available and .cycles != null)] | length > 0
                        then "yes" else "no" end' "$1"
}
ratio() { # ratio A B: A/B to two places
    awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'
}
commas() { # 1234567 -> 1,234,567
    echo "$1" | awk '{ s = $1; o = ""; while (length(s) > 3) { o = "," substr(s, length(s) - 2) o; s = substr(s, 1, length(s) - 3) } print s o }'
}
lt() { [ "$1" != - ] && [ "$2" != - ] && [ "$1" -lt "$2" ]; }
# refs per walk of `ringsim run tlbstride --mode hw` with options
refs_per_walk() {
    $RS run tlbstride --mode hw --levels 4 --args 4 "$@" --stats "$OUT/walks/s.json" >/dev/null
    jq -r '.walk.refs / .walk.walks | . * 100 | round / 100' "$OUT/walks/s.json"
}

# ---- shape 1: a cold 2D walk costs (n+1)(m+1)-1 references --------------------
# Counted by the walker itself (ringsim dot numbers mmu_probe's references).
s1_ok=yes
s1_rows=""
for n in 2 3 4; do
    f="$OUT/walks/walk-${n}x${n}"
    $RS dot kernel --mode hw --levels $n --table guest --walk 0x1000 --walk-only -o "$f.dot"
    dot -Tsvg "$f.dot" -o "$f.svg"
    got=$(grep -c '// walk ref ' "$f.dot" || true)
    want=$(( (n + 1) * (n + 1) - 1 ))
    [ "$got" -eq "$want" ] || s1_ok=no
    s1_rows="$s1_rows| ${n}×${n} | $want | $got | [drawing](walks/walk-${n}x${n}.svg) |
"
done
base=$(refs_per_walk)
large=$(refs_per_walk --host-large-pages)
pwc=$(refs_per_walk --pwc 32)
awk -v b="$base" -v l="$large" -v p="$pwc" 'BEGIN { exit !(l < b && p < b) }' || s1_ok=no
rm -f "$OUT/walks/s.json"
if [ $s1_ok = yes ]; then s1="**reproduced**"; else s1="**fails**"; fi

# ---- shape 2: trap-and-emulate fails on classic exactly at the red pills --------
# classic: te's output is native's plus RED PILL lines only; strict: the same.
s2_verdict() { # profile
    p=$1
    [ "$(available "$OUT/$p/syscall.json" te+shadow)" = yes ] || { echo "cannot"; return; }
    for w in $WORKLOADS; do
        ok=$(jq -r '([.runs[] | select(.mode == "native")][0].output) as $n
                    | [.runs[] | select(.mode == "te+shadow")][0].output as $t
                    | ($t | split("\n") | map(select(startswith("RED PILL") | not)) | join("\n")) == $n
                      and ($t | contains("RED PILL"))' "$OUT/$p/$w.json")
        strict=$(jq -r '[.runs[] | select(.mode == "te+shadow")][0].same_output' "$OUT/$p/strict/$w.json")
        [ "$ok" = true ] && [ "$strict" = true ] || { echo "fails:$w"; return; }
    done
    echo "yes"
}

# ---- shape 3: early VT-x: hw loses to bt on ptemod and forkwait, wins on syscall --
# Adams & Agesen's VT used shadow paging (no nested paging in 2006): hw+shadow.
s3_verdict() { # profile
    p=$1
    for m in hw+shadow bt+shadow; do
        [ "$(available "$OUT/$p/syscall.json" $m)" = yes ] || { echo "cannot:$m"; return; }
    done
    for w in ptemod forkwait; do
        lt "$(cycles "$OUT/$p/$w.json" bt+shadow)" "$(cycles "$OUT/$p/$w.json" hw+shadow)" || { echo "fails:$w"; return; }
    done
    lt "$(cycles "$OUT/$p/syscall.json" hw+shadow)" "$(cycles "$OUT/$p/syscall.json" bt+shadow)" || { echo "fails:syscall"; return; }
    echo "yes"
}

# ---- shape 4: nested beats shadow on ptemod and ctxswitch, loses on tlbstride -----
# The same CPU technique on both sides: hw+nested against hw+shadow.
s4_verdict() { # profile
    p=$1
    [ "$(available "$OUT/$p/syscall.json" hw+shadow)" = yes ] || { echo "cannot:hw+shadow"; return; }
    for w in ptemod ctxswitch; do
        lt "$(cycles "$OUT/$p/$w.json" hw+nested)" "$(cycles "$OUT/$p/$w.json" hw+shadow)" || { echo "fails:$w"; return; }
    done
    lt "$(cycles "$OUT/$p/tlbstride.json" hw+shadow)" "$(cycles "$OUT/$p/tlbstride.json" hw+nested)" || { echo "fails:tlbstride"; return; }
    echo "yes"
}

words() { # verdict -> Markdown
    case $1 in
    yes) echo "**reproduced**" ;;
    cannot:*) echo "**cannot test yet** (needs ${1#cannot:}, issue #5)" ;;
    cannot) echo "**cannot test yet** (needs te+shadow)" ;;
    fails:*) echo "**fails** (on ${1#fails:})" ;;
    esac
}

# ---- the summary -------------------------------------------------------------------
{
    echo "# ringsim: the virtualisation modes compared"
    echo
    echo "Written by \`make compare\` (tools/report.sh) on $(date -u +%Y-%m-%d) from $(git describe --always --dirty 2>/dev/null || echo 'this tree')."
    echo "Every workload ran under every mode this build has, with the three shipped profiles"
    echo "(\`modern\`, \`p4-2006\`, \`core2-2006\`); each verdict below is computed from those runs."
    echo
    echo "## Four shapes from the literature"
    echo
    echo "What Adams & Agesen (ASPLOS 2006) and Bhargava et al. (ASPLOS 2008) measured, as this"
    echo "simulator should reproduce it (the list is in the repository's README.md)."
    echo
    early() { [ "$1" != modern ]; }   # profiles of 2006 hardware: VT-x without nested paging
    aside() { words "$1" | tr -d '*' | sed 's/ (needs/, needs/; s/ (on/ on/; s/)$//'; }
    printf "| shape |"; for p in $PROFILES; do printf " %s |" "$p"; done; echo
    printf "|---|"; for p in $PROFILES; do printf -- "---|"; done; echo
    printf "| 1. a cold 2D walk costs (n+1)(m+1)−1 references; large pages and walk caches cut it |"
    for p in $PROFILES; do printf " %s |" "$s1"; done; echo
    printf "| 2. trap-and-emulate fails on the classic ISA exactly where a red pill runs, works on strict |"
    for p in $PROFILES; do printf " %s |" "$(words "$(s2_verdict $p)")"; done; echo
    printf "| 3. early VT-x: hw loses to bt on page-table and fork work, wins on system calls |"
    for p in $PROFILES; do
        if early $p; then printf " %s |" "$(words "$(s3_verdict $p)")"
        else printf " n/a: the claim is about early VT-x (the same test here: %s) |" "$(aside "$(s3_verdict $p)")"; fi
    done; echo
    printf "| 4. nested beats shadow on page-table and context-switch work, loses on TLB misses |"
    for p in $PROFILES; do
        if early $p; then printf " n/a: nested paging arrived in 2008 (EPT, RVI), after this hardware (the same test here: %s) |" "$(aside "$(s4_verdict $p)")"
        else printf " %s |" "$(words "$(s4_verdict $p)")"; fi
    done; echo
    echo
    echo "### 1. References of one 2D walk"
    echo
    echo "Counted by the walker (\`ringsim dot kernel --mode hw --levels N --table guest --walk 0x1000\`"
    echo "numbers every reference \`mmu_probe\` makes):"
    echo
    echo "| guest × host levels | (n+1)(m+1)−1 | counted | |"
    echo "|---|---|---|---|"
    printf "%s" "$s1_rows"
    echo
    echo "References per walk of \`tlbstride --args 4\` under hw, 4×4: $base plain, $large with large host"
    echo "pages (\`--host-large-pages\`), $pwc with a 32-entry page-walk cache (\`--pwc 32\`)."
    echo
    echo "### 2. Red pills under trap-and-emulate"
    echo
    for p in $PROFILES; do
        if [ "$(available "$OUT/$p/syscall.json" te+shadow)" = yes ]; then
            echo "$p, classic ISA, what te+shadow printed that native did not:"
            echo
            echo '```'
            jq -r '[.runs[] | select(.mode == "te+shadow")][0].output | split("\n") | map(select(startswith("RED PILL"))) | .[]' \
                "$OUT/$p/syscall.json"
            echo '```'
            echo
            echo "On the strict ISA: $(for w in $WORKLOADS; do printf '%s %s; ' $w \
                "$(jq -r '[.runs[] | select(.mode == "te+shadow")][0] | if .same_output then "same as native" else "differs" end' "$OUT/$p/strict/$w.json")"; done)"
            echo
            break
        fi
    done
    for p in $PROFILES; do
        echo "## Profile \`$p\`: cycles, and the slowdown against native"
        echo
        modes=$(jq -r '[.runs[] | select(.available) | .mode] | join(" ")' "$OUT/$p/syscall.json")
        printf "| workload |"
        for m in $modes; do printf " %s |" "$m"; done
        echo " guest output | chart |"
        printf "|---|"
        for m in $modes; do printf -- "---|"; done
        echo "---|---|"
        for w in $WORKLOADS; do
            f="$OUT/$p/$w.json"
            n=$(cycles "$f" native)
            printf "| \`%s\` |" "$w"
            for m in $modes; do
                c=$(cycles "$f" "$m")
                if [ "$c" = - ]; then printf " failed |"; else printf " %s (%s×) |" "$(commas "$c")" "$(ratio "$c" "$n")"; fi
            done
            agree=$(jq -r '[.runs[] | select(.available and .cycles != null and (.same_output | not)) | .mode] |
                           if length == 0 then "same in every mode" else "differs: " + join(", ") end' "$f")
            echo " $agree | [svg]($p/$w.svg) [table]($p/$w.txt) |"
        done
        missing=$(jq -r '[.runs[] | select(.available | not) | .mode] | join(", ")' "$OUT/$p/syscall.json")
        echo
        [ -n "$missing" ] && echo "Not in this build: $missing." && echo
        echo "### Profile \`$p\`: every workload under every mode"
        echo
        echo "Cycles by cause (they add up to the cycles), VM exits, traps (hypercalls included),"
        echo "the shadow's hidden and tracing faults, and the binary translator's cache hit rate."
        echo "The ISA is classic (te+shadow shows its red pills there) but for the te+shadow (strict) rows."
        echo
        echo "| workload | mode | cycles | × native | insn | mem | walk | trap | io | vmexit | hv | bt | exits | traps | hidden | tracing | BT hits |"
        echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
        for w in $WORKLOADS; do
            # the classic-ISA runs, then te+shadow on the strict ISA (exact)
            n=$(cycles "$OUT/$p/$w.json" native)
            for f in "$OUT/$p/$w.json" "$OUT/$p/strict/$w.json"; do
                jq -r --arg w "$w" --argjson n "$n" --arg strict "$([ "$f" = "$OUT/$p/$w.json" ] || echo yes)" '
                    def c: if . == null then "-" else tostring as $s | ($s | length) as $k
                           | [range(0; $k) | $s[.:.+1] + (if ($k - . - 1) % 3 == 0 and . < $k - 1 then "," else "" end)]
                           | join("") end;
                    def x: . * 100 | round | tostring | if length < 3 then ("00" + .)[-3:] else . end
                           | .[:-2] + "." + .[-2:];
                    .runs[] | select(.available and .cycles != null)
                    | select($strict == "" or .mode == "te+shadow")
                    | [("`" + $w + "`"), (.mode + (if $strict == "" then "" else " (strict)" end)), (.cycles | c),
                       (.cycles / $n | x),
                       (.cycles_by_cause | .insn, .mem, .walk, .trap, .io, .vmexit, .hv, .bt | c),
                       (.exits | c), (.traps | c), (.hidden_faults | c), (.tracing_faults | c),
                       (if .bt_hit_rate == null then "-" else (.bt_hit_rate * 1000 | round / 10 | tostring) + "%" end)]
                    | "| " + join(" | ") + " |"' "$f"
            done
        done
        echo
        failed=$(cat "$OUT/$p"/*.json | jq -rs '[.[] | .workload as $w | .runs[] | select(.available and .cycles == null) | "\($w) under \(.mode)"] | join(", ")')
        [ -n "$failed" ] && echo "Runs that failed (see the tables): $failed." && echo
    done
    echo "Files: \`PROFILE/WORKLOAD.txt\` (the table \`ringsim compare\` prints), \`.csv\`, \`.json\`"
    echo "(with every run's full statistics), \`.svg\` (cycles by cause per mode); \`PROFILE/strict/\`"
    echo "the strict-ISA runs; \`walks/\` the 2D-walk drawings."
} >"$OUT/README.md"

echo "report written to $OUT/README.md" >&2
exit $status
