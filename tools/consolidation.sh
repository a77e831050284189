#!/bin/sh
# tools/consolidation.sh — the consolidation scenario of docs/migration.md:
# four `phases` VMs (busy for 2, 4, 6 and 8 units, then mostly halted), 1 MiB
# each, under hw with nested paging, on four two-core hosts, spread one per
# host; run once with the balancer every PERIOD cycles and once without.
# Prints a Markdown table of the two runs (hosts on over time, moves, pages
# sent, stale pages, downtime, energy); with CHART, also draws hosts on and
# the energy so far against time, with and without balancing (gnuplot, SVG).
# Then the spreading scenario: the same four VMs with a quiet start first
# (--vm-args q2,…: the load rises, then falls) packed onto one host with
# --overcommit 2 (two VMs to a core), overloaded once they are busy —
# spread by the balancer, consolidated again when they idle; its table, and
# a second row of the chart.
#
#   sh tools/consolidation.sh [PERIOD] [CHART.svg]
set -eu
cd "$(dirname "$0")/.."
PERIOD=${1:-1000000}
CHART=${2:-}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
DC="phases phases phases phases --mode hw --mem 1M --hosts 4 --host-cores 2 --vm-args 2,4,6,8 --placement spread --power 60000:20000"
./ringsim run $DC --balance "$PERIOD" --stats "$T/on.json" >/dev/null
./ringsim run $DC --stats "$T/off.json" >/dev/null
OC="phases phases phases phases --mode hw --mem 1M --hosts 4 --host-cores 2 --vm-args q2,q4,q6,q8 --placement pack --overcommit 2 --power 60000:20000"
./ringsim run $OC --balance "$PERIOD" --stats "$T/ocon.json" >/dev/null
./ringsim run $OC --stats "$T/ocoff.json" >/dev/null
echo "Command: ringsim run $DC [--balance $PERIOD]"
echo
echo "| run | hosts on over time (every 4 periods) | moves | pages sent | stale pages | downtime per move (cycles) | host-cycles on | energy (µJ) |"
echo "|---|---|---|---|---|---|---|---|"
for run in on off; do
    jq -r --arg run "$run" '.datacentre |
        "| \(if $run == "on" then "balanced" else "not balanced" end) | \([.timeline | to_entries[] | select(.key % 4 == 0) | .value.hosts_on | tostring] | join(" ")) | \(.moves_total) | \(.pages_sent) | \(.stale_pages) | \([.moves[] | select(.moved) | .downtime | tostring] | join(", ") | if . == "" then "—" else . end) | \(.host_on_cycles) | \(.energy_uj) |"' "$T/$run.json"
    jq -r '.datacentre.timeline[] | "\(.cycle) \(.hosts_on) \(.energy_uj)"' "$T/$run.json" >"$T/$run.dat"
done
echo
echo "Spreading: ringsim run $OC [--balance $PERIOD]"
echo
echo "| run | hosts on over time (every 4 periods) | host 0's load ‰ (every 4 periods) | spread moves | hosts switched on | moves | pages sent | stale pages | last VM ends (cycle) | host-cycles on | energy (µJ) |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
for run in ocon ocoff; do
    jq -r --arg run "$run" '.datacentre |
        "| \(if $run == "ocon" then "balanced" else "not balanced" end) | \([.timeline | to_entries[] | select(.key % 4 == 0) | .value.hosts_on | tostring] | join(" ")) | \([.timeline | to_entries[] | select(.key % 4 == 0) | .value.load_permille[0] | tostring] | join(" ")) | \(.spread_moves) | \(.power_ons) | \(.moves_total) | \(.pages_sent) | \(.stale_pages) | \(.timeline[-1].cycle) | \(.host_on_cycles) | \(.energy_uj) |"' "$T/$run.json"
    jq -r '.datacentre.timeline[] | "\(.cycle) \(.hosts_on) \(.energy_uj)"' "$T/$run.json" >"$T/$run.dat"
done
[ -n "$CHART" ] || exit 0
command -v gnuplot >/dev/null 2>&1 || { echo "tools/consolidation.sh: gnuplot is missing; run sh tools/setup.sh" >&2; exit 1; }
gnuplot <<GP
set terminal svg size 1000,900 dynamic
set output '$CHART.tmp'
set multiplot layout 2,2 title 'Consolidation: 4 phases VMs on 4 two-core hosts (hw+nested, power 60 W idle + 20 W per busy core)'
set xlabel 'cycle (millions)'
set ylabel 'hosts on'
set yrange [0:4.5]
set key top right
plot '$T/on.dat' using (\$1/1e6):2 with steps lw 2 title 'balanced every $PERIOD cycles', \
     '$T/off.dat' using (\$1/1e6):2 with steps lw 2 dt 2 title 'not balanced'
set ylabel 'energy so far (J)'
set yrange [0:*]
set key top left
plot '$T/on.dat' using (\$1/1e6):(\$3/1e6) with lines lw 2 title 'balanced', \
     '$T/off.dat' using (\$1/1e6):(\$3/1e6) with lines lw 2 dt 2 title 'not balanced'
set title 'packed on one host, --overcommit 2: spread, then consolidated'
set ylabel 'hosts on'
set yrange [0:4.5]
set key top right
plot '$T/ocon.dat' using (\$1/1e6):2 with steps lw 2 title 'balanced every $PERIOD cycles', \
     '$T/ocoff.dat' using (\$1/1e6):2 with steps lw 2 dt 2 title 'not balanced'
set ylabel 'energy so far (J)'
set yrange [0:*]
set key top left
plot '$T/ocon.dat' using (\$1/1e6):(\$3/1e6) with lines lw 2 title 'balanced', \
     '$T/ocoff.dat' using (\$1/1e6):(\$3/1e6) with lines lw 2 dt 2 title 'not balanced'
unset multiplot
GP
mv "$CHART.tmp" "$CHART"
