#!/bin/sh
# tools/iovirt.sh — `diskio` through the emulated device (guests/diskio.s:
# every register access a trap or a VM exit) and through the split driver
# (guests/diskq.s: requests in a queue in guest memory, one notification
# each), natively and under every technique; a Markdown table (docs/io.md)
# and, with -o DIR, a gnuplot chart of cycles per KB (DIR/io-cycles.svg)
# and the I/O path of each way under hw (DIR/io-path-*.svg, ringsim dot --io).
#
#   sh tools/iovirt.sh [-o DIR] [N]      N blocks of 4 KiB (--args, default 32)
#
# Columns: exits per KB moved by DMA (VM exits under hw; under te, bt and
# pv every entry into the hypervisor: traps, bt callouts, hypercalls),
# cycles per KB, busy (non-idle) cycles per KB, and throughput relative to
# native (native's cycles per KB with the same driver over this run's).
# Pass-through with an IOMMU is not built yet (docs/io.md).
set -eu
cd "$(dirname "$0")/.."
OUT=
if [ "${1:-}" = -o ]; then OUT=$2; shift 2; fi
N=${1:-32}
RS=./ringsim
[ -x $RS ] && [ -f build/guests/diskq.img ] || { echo "tools/iovirt.sh: run make first" >&2; exit 1; }
for tool in jq ${OUT:+gnuplot}; do
    command -v $tool >/dev/null 2>&1 || { echo "tools/iovirt.sh: $tool is missing; run sh tools/setup.sh" >&2; exit 1; }
done
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

# row STATS: exits/KB, cycles/KB, busy cycles/KB
row() { jq -r -f tools/diskrow.jq "$1" | cut -d' ' -f2-; }

echo "| mode | exits per KB: emulated → split | cycles per KB | busy cycles per KB | throughput vs native |"
echo "|---|---|---|---|---|"
: > "$T/chart.dat"
for cfg in native te:shadow bt:shadow hw:shadow hw:nested pv; do
    mode=${cfg%%:*}
    opts="--mode $mode --isa strict"
    case $cfg in *:*) opts="$opts --mmu ${cfg#*:}" ;; esac
    for w in diskio diskq; do
        img=$w; [ $mode = pv ] && img=build/guests/pv/$w.img
        rm -f "$T/d.img"
        $RS run $img --args "$N" $opts --disk "$T/d.img:create=$(((N + 1) * 4))K" --stats "$T/$w.json" >/dev/null
    done
    set -- $(row "$T/diskio.json") $(row "$T/diskq.json")
    if [ $cfg = native ]; then ne=$2 nq=$5; fi
    name=$(echo $cfg | tr : +)
    printf '| %s | %.1f → %.1f | %.0f → %.0f | %.0f → %.0f | %.3f → %.3f |\n' "$name" \
        $1 $4 $2 $5 $3 $6 "$(awk "BEGIN { print $ne / $2 }")" "$(awk "BEGIN { print $nq / $5 }")"
    echo "$name $2 $5 $3 $6" >> "$T/chart.dat"
done
[ -n "$OUT" ] || exit 0
mkdir -p "$OUT"
gnuplot <<GP
set terminal svg size 760,420 dynamic font "Helvetica,11"
set output "$OUT/io-cycles.svg.tmp"
set title "diskio, $N blocks of 4 KiB: cycles per KB moved (busy: the CPU's, the rest idle waiting for the device)"
set style data histogram
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set ylabel "cycles per KB"
set key top left
set yrange [0:*]
plot "$T/chart.dat" using 2:xtic(1) title "emulated, total", '' using 3 title "split, total", \
     '' using 4 title "emulated, busy", '' using 5 title "split, busy"
GP
mv "$OUT/io-cycles.svg.tmp" "$OUT/io-cycles.svg"
for w in diskio diskq; do
    rm -f "$T/d.img"
    $RS dot $w --io --args "$N" --mode hw --disk "$T/d.img:create=$(((N + 1) * 4))K" -o "$OUT/io-path-$w.svg"
done
echo "tools/iovirt.sh: wrote $OUT/io-cycles.svg, $OUT/io-path-diskio.svg, $OUT/io-path-diskq.svg" >&2
