#!/bin/sh
# tools/iovirt.sh — `diskio` through the emulated device (guests/diskio.s:
# every register access a trap or a VM exit) and through the split driver
# (guests/diskq.s: requests in a queue in guest memory, one notification
# each), natively and under every technique; a Markdown table (docs/io.md)
# and, with -o DIR, a gnuplot chart of cycles per KB (DIR/io-cycles.svg)
# and the I/O path of each way under hw (DIR/io-path-*.svg, ringsim dot --io:
# diskio, diskq, and diskio passed through).
#
#   sh tools/iovirt.sh [-o DIR] [N]      N blocks of 4 KiB (--args, default 32)
#
# Columns: exits per KB moved by DMA (VM exits under hw; under te, bt and
# pv every entry into the hypervisor: traps, bt callouts, hypercalls),
# cycles per KB, busy (non-idle) cycles per KB, and throughput relative to
# native (native's cycles per KB with the same driver over this run's).
# The last two rows pass the disk through to the VM (hw+nested, --passthrough
# 0: the guest's own driver on the device, no exits, DMA through the IOMMU,
# posted interrupts), with the IOMMU and without (--no-iommu); "emulated →
# split" is then the register driver → the queue driver, both passed
# through.  A second table gives pass-through's IOMMU figures per KB.
#
# Then `netping` (NP frames of 1 KiB, default 64: NP=…) through the plain
# NIC driver (guests/netping.s: a doorbell per frame and per receive
# buffer, indices read from registers, an interrupt per frame) and the
# split driver (guests/netq.s: a doorbell per batch, indices read from
# memory, interrupts suppressed), each against the switch's echo host:
# exits and cycles per KB moved by the interface's DMA, the mean round
# trip the guest measured, interrupts, and throughput relative to native
# (native's cycles per KB with the same driver over this run's).  Natively
# there is no second machine, so the baseline is the machine against the
# echo host, which answers at no cost: the best any way can do.  A last
# table runs two VMs under hw with nested paging, one answering the other.
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
for cfg in native te:shadow bt:shadow hw:shadow hw:nested pv hw:nested:pt hw:nested:pt-noiommu; do
    mode=${cfg%%:*}
    opts="--mode $mode --isa strict"
    case $cfg in *:*) mmu=${cfg#*:}; opts="$opts --mmu ${mmu%%:*}" ;; esac
    case $cfg in
    *:pt) opts="$opts --passthrough 0" ;;
    *:pt-noiommu) opts="$opts --passthrough 0 --no-iommu" ;;
    esac
    for w in diskio diskq; do
        img=$w; [ $mode = pv ] && img=build/guests/pv/$w.img
        rm -f "$T/d.img"
        $RS run $img --args "$N" $opts --disk "$T/d.img:create=$(((N + 1) * 4))K" --stats "$T/$w.json" >/dev/null
    done
    set -- $(row "$T/diskio.json") $(row "$T/diskq.json")
    if [ $cfg = native ]; then ne=$2 nq=$5; fi
    name=$(echo $cfg | sed 's/:pt-noiommu$/ pass-through, no IOMMU/; s/:pt$/ pass-through/' | tr : +)
    case $cfg in *pt*)
        # walks, IOTLB hits, posted interrupts per KB; faults (register driver → queue driver)
        io() { jq -r '(.vms[0].disk.dma_bytes / 1024) as $kb | .vms[0].iommu
                      | "\(.walks / $kb) \(.walk_refs / $kb) \(.iotlb_hits / $kb) \(.posted_interrupts) \(.faults)"' "$1"; }
        echo "$(echo $cfg | tr : +) $(io "$T/diskio.json") $(io "$T/diskq.json")" >> "$T/iommu.dat" ;;
    esac
    printf '| %s | %.1f → %.1f | %.0f → %.0f | %.0f → %.0f | %.3f → %.3f |\n' "$name" \
        $1 $4 $2 $5 $3 $6 "$(awk "BEGIN { print $ne / $2 }")" "$(awk "BEGIN { print $nq / $5 }")"
    echo "$(echo $cfg | tr : +) $2 $5 $3 $6" >> "$T/chart.dat"
done
echo
echo "| pass-through (diskio → diskq) | IOMMU walks per KB | walk references per KB | IOTLB hits per KB | posted interrupts | IOMMU faults |"
echo "|---|---|---|---|---|---|"
while read -r name a1 a2 a3 a4 a5 b1 b2 b3 b4 b5; do
    case $name in *noiommu) name="hw+nested pass-through, no IOMMU" ;; *) name="hw+nested pass-through" ;; esac
    printf '| %s | %.3f → %.3f | %.3f → %.3f | %.2f → %.2f | %s → %s | %s → %s |\n' "$name" $a1 $b1 $a2 $b2 $a3 $b3 \
        $a4 $b4 $a5 $b5
done < "$T/iommu.dat"

# ---- the network: netping -------------------------------------------------
NP=${NP:-64}
netrow() { jq -r -f tools/netrow.jq "$1"; }
# rtt OUTPUT: the round trip the pinger printed
rtt() { sed -n 's/.*netping: round trip \([0-9]*\) cycles.*/\1/p' "$1" | head -1; }
echo
echo "| netping, $NP frames of 1 KiB | exits per KB: plain → split | cycles per KB | round trip (cycles) | NIC interrupts | doorbells | throughput vs native |"
echo "|---|---|---|---|---|---|---|"
for cfg in native te:shadow bt:shadow hw:shadow hw:nested pv hw:nested:pt; do
    mode=${cfg%%:*}
    opts="--mode $mode --isa strict --net"
    case $cfg in *:*) mmu=${cfg#*:}; opts="$opts --mmu ${mmu%%:*}" ;; esac
    case $cfg in *:pt) opts="$opts --passthrough 0" ;; esac
    for w in netping netq; do
        img=$w; [ $mode = pv ] && img=build/guests/pv/$w.img
        $RS run $img --args "$NP" $opts --stats "$T/$w.json" > "$T/$w.out"
    done
    case $cfg in *:pt)
        # the IOMMU per KB the interface moved; posted interrupts, faults
        nio() { jq -r '(.net.ports[0].nic.dma_bytes / 1024) as $kb | .vms[0].iommu
                       | "\(.walks / $kb) \(.walk_refs / $kb) \(.iotlb_hits / $kb) \(.posted_interrupts) \(.faults)"' "$1"; }
        set -- $(nio "$T/netping.json") $(nio "$T/netq.json")
        netiommu=$(printf '| hw+nested pass-through | %.3f → %.3f | %.3f → %.3f | %.2f → %.2f | %s → %s | %s → %s |' \
            $1 $6 $2 $7 $3 $8 $4 $9 $5 ${10}) ;;
    esac
    set -- $(netrow "$T/netping.json") $(netrow "$T/netq.json")
    if [ $cfg = native ]; then np=$2 nq=$6; fi
    name=$(echo $cfg | sed 's/:pt$/ pass-through/' | tr : +)
    printf '| %s | %.1f → %.1f | %.0f → %.0f | %s → %s | %s → %s | %s → %s | %.3f → %.3f |\n' "$name" \
        $1 $5 $2 $6 "$(rtt "$T/netping.out")" "$(rtt "$T/netq.out")" $3 $7 $4 $8 \
        "$(awk "BEGIN { print $np / $2 }")" "$(awk "BEGIN { print $nq / $6 }")"
done
echo
echo "| pass-through (netping → netq) | IOMMU walks per KB | walk references per KB | IOTLB hits per KB | posted interrupts | IOMMU faults |"
echo "|---|---|---|---|---|---|"
echo "$netiommu"
echo
echo "| two VMs under hw+nested, netping | exits per KB | cycles per KB | round trip (cycles) | NIC interrupts (VM 0) |"
echo "|---|---|---|---|---|"
for cfg in plain split split-pt; do
    case $cfg in
    plain) w=netping; extra= ;;
    split) w=netq; extra= ;;
    split-pt) w=netq; extra="--passthrough 0" ;;
    esac
    $RS run $w $w --args "$NP" --mode hw --isa strict --net $extra --stats "$T/two.json" > "$T/two.out"
    set -- $(netrow "$T/two.json")
    name=$(echo $cfg | sed 's/split-pt/split, VM 0 passed through/')
    printf '| %s | %.1f | %.0f | %s | %s |\n' "$name" $1 $2 "$(rtt "$T/two.out")" $3
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
rm -f "$T/d.img"
$RS dot diskio --io --args "$N" --mode hw --passthrough 0 --disk "$T/d.img:create=$(((N + 1) * 4))K" \
    -o "$OUT/io-path-passthrough.svg" 2>/dev/null
echo "tools/iovirt.sh: wrote $OUT/io-cycles.svg, $OUT/io-path-diskio.svg, $OUT/io-path-diskq.svg," \
     "$OUT/io-path-passthrough.svg" >&2
