#!/bin/sh
# tools/migration.sh — the migration table of docs/migration.md: the `dirty`
# workload (its write rate, pages per pass, is --args) migrated under hw with
# nested paging at cycle 3,000,000 from host 0 to host 1, for each write rate
# and link bandwidth (bytes per cycle; latency 10,000 cycles; stop-and-copy
# at 16 pages or fewer, at most 30 rounds).  Prints a Markdown table.
#
#   sh tools/migration.sh ["RATES"] ["BANDWIDTHS"]
set -eu
cd "$(dirname "$0")/.."
RATES=${1:-"1 4 16 64 256"}
BWS=${2:-"1 2 4 8"}
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
    done
done
