#!/bin/sh
# tools/pictures.sh — `make pictures`: the drawings and charts in docs/pictures/,
# made by ringsim itself (README.md, "Pictures").
#
#   guest-table.svg      the bundled kernel's page table (2 levels), natively
#   shadow-table.svg     the same kernel under trap-and-emulate: its shadow beside
#                        the guest table it mirrors, and one walk through each
#   nested-table.svg     the host (nested) table of the kernel's VM under hw
#   walk-2d-4x4.svg      one 2D walk, 4 guest x 4 host levels: 24 numbered references
#   pv-table.svg         the paravirtual kernel's own tables, which the MMU walks
#                        directly (no shadow), and one walk through them
#   processes.svg        the containers kernel's processes, a cluster per pid
#                        namespace, while alpha's child runs (ringsim dot --processes)
#   processes-cgroupns.svg   the cgroupns kernel's processes while its container
#                        first runs: its cgroup namespace, whose "/" is its cgroup
#   compare-forkwait.svg, compare-tlbstride.svg   cycles by cause per mode
set -eu
cd "$(dirname "$0")/.."
OUT=docs/pictures
RS=./ringsim
mkdir -p $OUT
$RS dot kernel --table guest -T svg -o $OUT/guest-table.svg
# mid-run, while a user process runs: its own tables and their shadows
$RS dot kernel --mode te --table shadow --at 3000000 --walk 0x40000000 -T svg -o $OUT/shadow-table.svg
$RS dot kernel --mode hw --table nested -T svg -o $OUT/nested-table.svg
$RS dot kernel --mode hw --levels 4 --table guest --walk 0x1000 --walk-only -T svg -o $OUT/walk-2d-4x4.svg
$RS dot kernel --mode pv --table guest --at 2000000 --walk 0x40000000 -T svg -o $OUT/pv-table.svg
# the cycle just after alpha's child first runs (tests/test_containers_dot.c finds it)
$RS dot containers --processes --at 514780 -T svg -o $OUT/processes.svg
# the cycle just after the container of cgroupns first runs (tests/test_containers_cgns.c)
$RS dot cgroupns --processes --at 297059 -T svg -o $OUT/processes-cgroupns.svg
for w in forkwait tlbstride; do
    $RS compare $w --chart $OUT/compare-$w.svg --timeout 120 >/dev/null
done
echo "pictures written to $OUT/" >&2
