#!/bin/sh
# tools/migration.sh — the migration table of docs/migration.md: the `dirty`
# workload (its write rate, pages per pass, is --args) migrated under hw with
# nested paging at cycle 3,000,000 from host 0 to host 1, for each write rate
# and link bandwidth (bytes per cycle; latency 10,000 cycles; stop-and-copy
# at 16 pages or fewer, at most 30 rounds).  Prints a Markdown table; with
# CHART, also draws it with gnuplot (SVG): downtime against the write rate,
# a line per bandwidth, and the pages each round sent, a line per write rate
# at the second bandwidth given.
#
#   sh tools/migration.sh ["RATES"] ["BANDWIDTHS"] [CHART.svg]
set -eu
cd "$(dirname "$0")/.."
RATES=${1:-"1 4 16 64 256"}
BWS=${2:-"1 2 4 8"}
CHART=${3:-}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
echo "| write rate (pages/pass) | link (bytes/cycle) | rounds | pages sent per round | stop | pages in stop-and-copy | downtime (cycles) | total (cycles) |"
echo "|---|---|---|---|---|---|---|---|"
for bw in $BWS; do
    for r in $RATES; do
        ./ringsim run dirty --mem 4M --args "$r" --mode hw --hosts 2 --migrate-at 3000000:1 \
            --link "$bw:10000" --stats "$T/s.json" >/dev/null
        jq -r --arg r "$r" --arg bw "$bw" '.migrations[0] |
            "| \($r) | \($bw) | \(.rounds) | \(.pages_per_round | map(tostring) | join(", ")) | \(.stop_reason) | \(.final_pages) | \(.downtime) | \(.total_cycles) |"' "$T/s.json"
        jq -r '.migrations[0].downtime' "$T/s.json" | sed "s/^/$r /" >>"$T/down-$bw.dat"
        jq -r '(.migrations[0].pages_per_round + [.migrations[0].final_pages]) | to_entries[] |
            "\(.key + 1) \(.value)"' "$T/s.json" >"$T/rounds-$bw-$r.dat"
    done
done
[ -n "$CHART" ] || exit 0
command -v gnuplot >/dev/null 2>&1 || { echo "tools/migration.sh: gnuplot is missing; run sh tools/setup.sh" >&2; exit 1; }
BW2=$(echo $BWS | awk '{ print ($2 != "" ? $2 : $1) }')
down=""; for bw in $BWS; do down="$down${down:+, }'$T/down-$bw.dat' using 1:2 with linespoints title '$bw bytes/cycle'"; done
rounds=""; for r in $RATES; do rounds="$rounds${rounds:+, }'$T/rounds-$BW2-$r.dat' using 1:2 with linespoints title 'rate $r'"; done
gnuplot <<GP
set terminal svg size 1000,450 dynamic
set output '$CHART.tmp'
set multiplot layout 1,2 title 'Live migration of dirty (4 MiB VM, hw+nested, latency 10000 cycles, stop at 16 pages)'
set logscale xy
set xlabel 'write rate (pages per pass)'
set ylabel 'downtime (cycles)'
set key top left
plot $down
unset logscale x
set xlabel 'round (the last: stop-and-copy)'
set ylabel 'pages sent'
set title 'pages sent per round, link $BW2 bytes/cycle'
set key top right
plot $rounds
unset multiplot
GP
mv "$CHART.tmp" "$CHART"
