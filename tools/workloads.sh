#!/bin/sh
# tools/workloads.sh — every workload of the guest kernel, natively, as a table.
#
# Runs each workload (guests/README.md, "The workloads") with its default
# count at 2 and at 4 page-table levels, reads the statistics JSON with jq,
# and prints one Markdown row per run: instructions, cycles, TLB miss rate
# (misses / (hits + misses)), page-table references per walk, page faults and
# traps.  Options given to this script go to every `ringsim run`, e.g.
#     sh tools/workloads.sh --tlb 16:4 --no-asid
set -eu
cd "$(dirname "$0")/.."
WORKLOADS="syscall pgfault ptemod ctxswitch compute tlbstride forkwait"
LEVELS="2 4"

if ! command -v jq >/dev/null 2>&1; then
    echo "tools/workloads.sh: jq is missing; run sh tools/setup.sh (or apt-get install jq)" >&2
    exit 1
fi
if [ ! -x ./ringsim ]; then
    echo "tools/workloads.sh: ./ringsim is not built; run make first" >&2
    exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# One table row from a stats file: $1 = workload, $2 = levels.
row() {
    jq -r --arg name "$1" --arg levels "$2" '
        def commas: tostring | if length <= 3 then . else (.[0:-3] | commas) + "," + .[-3:] end;
        def fixed2: (. * 100 | round) as $n
            | "\($n / 100 | floor).\($n % 100 | tostring | if length < 2 then "0" + . else . end)";
        def ratio($a; $b): if $b == 0 then "—" else ($a / $b | fixed2) end;
        def percent($a; $b): if $b == 0 then "—" else ratio(100 * $a; $b) + "%" end;
        "| `\($name)` | \($levels) | \(.instructions | commas) | \(.cycles | commas) | "
        + "\(percent(.tlb.misses; .tlb.hits + .tlb.misses)) | "
        + "\(ratio(.walk.refs; .walk.walks)) | \(.walk.page_faults | commas) | "
        + "\(.traps.total | commas) |"' "$tmp/stats.json"
}

echo "| workload | levels | instructions | cycles | TLB miss rate | walk refs per walk | page faults | traps |"
echo "|---|---|---|---|---|---|---|---|"
for w in $WORKLOADS; do
    for n in $LEVELS; do
        if ! ./ringsim run "$w" --levels "$n" --stats "$tmp/stats.json" "$@" >"$tmp/console" 2>&1; then
            echo "tools/workloads.sh: ringsim run $w --levels $n $* failed:" >&2
            cat "$tmp/console" >&2
            exit 1
        fi
        row "$w" "$n"
    done
done
