#!/bin/sh
# tools/iovirt.sh — the three ways of virtualising a device, with pictures:
# the table is `ringsim compare --io` (cli/compare_io.c: diskio and netping,
# the emulated device, the split driver and pass-through under every
# technique, every figure from the runs' --stats; docs/io.md, "Side by
# side"), and with -o DIR also its chart DIR/io-cycles.svg (cycles per KB
# per way) and the I/O path of each way under hw, from `ringsim dot --io`:
# DIR/io-path-diskio.svg, io-path-diskq.svg (the register and the queue
# driver, emulated) and io-path-passthrough.svg (diskio passed through).
#
#   sh tools/iovirt.sh [-o DIR] [N]      N: the workloads' --args (diskio: blocks
#                                        of 4 KiB, default 32; netping: frames
#                                        of 1 KiB, default 64)
set -eu
cd "$(dirname "$0")/.."
OUT=
if [ "${1:-}" = -o ]; then OUT=$2; shift 2; fi
RS=./ringsim
[ -x $RS ] && [ -f build/guests/diskq.img ] || { echo "tools/iovirt.sh: run make first" >&2; exit 1; }
if [ -z "$OUT" ]; then exec $RS compare --io ${1:+--args "$1"}; fi
command -v gnuplot >/dev/null 2>&1 || { echo "tools/iovirt.sh: gnuplot is missing; run sh tools/setup.sh" >&2; exit 1; }
mkdir -p "$OUT"
$RS compare --io ${1:+--args "$1"} --chart "$OUT/io-cycles.svg"
N=${1:-32}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
for w in diskio diskq; do
    $RS dot $w --io --args "$N" --mode hw --disk "$T/$w.img:create=$(((N + 1) * 4))K" -o "$OUT/io-path-$w.svg"
done
$RS dot diskio --io --args "$N" --mode hw --passthrough 0 --disk "$T/pt.img:create=$(((N + 1) * 4))K" \
    -o "$OUT/io-path-passthrough.svg" 2>/dev/null
echo "tools/iovirt.sh: wrote $OUT/io-cycles.svg, $OUT/io-path-diskio.svg, $OUT/io-path-diskq.svg," \
     "$OUT/io-path-passthrough.svg" >&2
