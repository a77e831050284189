# shellcheck shell=sh
# tools/modes.sh — sourced by the measuring scripts (bench.sh, bench-ir.sh,
# walk-ir.sh): the names their tables give the techniques, and the run
# options of each.
mode_args() {
    case $1 in
    native) echo "" ;;
    te) echo "--mode te --isa strict" ;;
    bt) echo "--mode bt" ;;
    hw+nested) echo "--mode hw" ;;
    hw+shadow) echo "--mode hw --mmu shadow" ;;
    pv) echo "--mode pv" ;;
    esac
}
