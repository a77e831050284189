#!/bin/sh
# tools/diskio.sh — `diskio` with the kernel's two disk drivers, polling
# (-D DISK_POLL=1: it reads disk_status until busy clears) and interrupt-
# driven (the default DISK=1 build: it sleeps in hlt, or the pv build's
# HC_BLOCK, until the completion interrupt), natively and under every
# technique; prints a Markdown table (README.md, "Disks").
#
#   sh tools/diskio.sh [N]      N blocks (--args, default 32)
#
# Columns: the disk's interrupts delivered to the guest; exits per KB moved
# by DMA (VM exits under hw; under te, bt and pv every entry into the
# hypervisor: traps, bt callouts, hypercalls); cycles per KB; and the
# cycles per KB the CPU was busy (not idle in hlt), which another VM or
# process could have had.
set -eu
cd "$(dirname "$0")/.."
N=${1:-32}
RS=./ringsim
[ -x $RS ] && [ -f build/guests/diskio.img ] || { echo "tools/diskio.sh: run make first" >&2; exit 1; }
command -v jq >/dev/null 2>&1 || { echo "tools/diskio.sh: jq is missing; run sh tools/setup.sh" >&2; exit 1; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
$RS asm guests/diskio.s -D DISK_POLL=1 -o "$T/poll.img"
$RS asm guests/diskio.s -D DISK_POLL=1 -D PV=1 -o "$T/pvpoll.img"

# row STATS: interrupts, exits/KB, cycles/KB, busy cycles/KB
row() { jq -r -f tools/diskrow.jq "$1"; }

echo "| mode | disk interrupts: polling → interrupt | exits per KB | cycles per KB | busy cycles per KB |"
echo "|---|---|---|---|---|"
for cfg in native te:shadow bt:shadow hw:shadow hw:nested pv; do
    mode=${cfg%%:*}
    opts="--mode $mode --isa strict"
    case $cfg in *:*) opts="$opts --mmu ${cfg#*:}" ;; esac
    poll=$T/poll.img irq=build/guests/diskio.img
    [ $mode = pv ] && poll=$T/pvpoll.img irq=build/guests/pv/diskio.img
    for build in poll irq; do
        img=$poll; [ $build = irq ] && img=$irq
        rm -f "$T/d.img"
        $RS run "$img" --args "$N" $opts --disk "$T/d.img:create=$((N * 8))K" --stats "$T/$build.json" >/dev/null
    done
    set -- $(row "$T/poll.json") $(row "$T/irq.json")
    printf '| %s | %s → %s | %.1f → %.1f | %.0f → %.0f | %.0f → %.0f |\n' "$(echo $cfg | tr : +)" \
        $1 $5 $2 $6 $3 $7 $4 $8
done
