# labs/iommu/checks.sh — graded by labs/grade.sh (sourced; see its functions).
# lab_break: the breakpoint a failure suggests (brk: one check's own).
lab_break="break trap disk"

# bench POINTS "what" PART: the lab's bench (build/labs/iommu/iotest, from
# labs/iommu/iotest.c) drives the IOMMU directly; what it prints for PART
# is what the reference printed (the PART: lines of labs/iommu/iotest.out).
bench() {
    begin_check || return 0; pts=$1 what=$2 part=$3
    grep "^$part: " "$lab_dir/iotest.out" >"$work/want"
    left=$((deadline - $(date +%s))); [ "$left" -gt 0 ] || left=1
    timeout "$left" "$lab_img/iotest" "$part" >"$work/got" 2>&1; ran_status=$?
    if [ $ran_status = 0 ] && cmp -s "$work/want" "$work/got"; then ok "$pts" "$what"
    else fail "$pts" "$what" "$(first_difference "$work/want" "$work/got" 0 $ran_status "the reference, labs/iommu/iotest.out")
to see it:  build/labs/iommu/iotest $part      (labs/iommu/iotest.c says what each line does)
what the reference prints:
$(sed 's/^/    | /' "$work/want")"
    fi
}

# The disks a check makes are new each time (create=): nothing left from before.
rm -f "$work"/*.img
prints 10 "pass-through diskio prints what bare metal prints" diskio.out \
    diskio --args 8 --mode hw --passthrough 0 --disk "$work/p.img:create=256K"
rm -f "$work"/*.img
stats_of_any_end 10 "DMA outside the VM is an IOMMU fault, dropped and reported (reach.s)" \
    '.vms[0].exit_code == 42 and .vms[0].iommu.faults == 3 and .vms[0].iommu.reports == 3 and .vms[0].disk.errors == 3' \
    "$lab_img/reach.img" --mode hw --passthrough 0 --disk "$work/r.img:create=256K"
rm -f "$work"/*.img
prints 10 "with the faults, the VM beside is untouched and both print what they print alone" beside.out \
    "$lab_img/reach.img" syscall --args 200 --mode hw --passthrough 0 --disk "$work/a.img:create=256K" \
    --disk "$work/b.img:create=64K"
rm -f "$work"/*.img
bench 10 "a page remapped (and the IOTLB invalidated) is not served from the IOTLB" remap
bench 10 "a read-only mapping refuses the device's writes, cached or not" rights
bench 10 "two domains never share an IOTLB entry" domains
bench 10 "an unmapped page, a frame past memory, a domain taken away: faults, each reported once" edge
bench 10 "walks, their references, IOTLB hits and faults are counted" counts
