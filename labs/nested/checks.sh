# labs/nested/checks.sh — graded by labs/grade.sh (sourced; see its functions).
# lab_break: the breakpoint a failure suggests (brk: one check's own).
lab_break="break exit nested_violation"

# walks_cost POINTS "what" N M RUN ARGS…: every translation the run's 2D
# walks complete, through N guest levels and M host levels with nothing
# cached, reads (N+1)(M+1)-1 entries (--trace walk: refs=, the lecture's
# formula), and there are such walks.
walks_cost() {
    begin_check || return 0; pts=$1 what=$2 n=$3 m=$4; shift 4
    want=$(( (n + 1) * (m + 1) - 1 ))
    run "$work/o" run "$@" --levels "$n" --host-levels "$m" --trace "walk:$work/walks"; ran_status=$?
    # a 2D walk: one that read a guest (G) entry and reached a page
    grep ' -> .* G[0-9]' "$work/walks" 2>/dev/null | sed 's/.* refs=\([0-9]*\) .*/\1/' | sort -n | uniq -c >"$work/refs"
    if [ $ran_status = 0 ] && [ -s "$work/refs" ] && [ "$(awk '{print $2}' "$work/refs")" = "$want" ]; then
        ok "$pts" "$what"
    else
        fail "$pts" "$what" "a 2D walk through $n guest and $m host levels reads ($n+1)($m+1)-1 = $want entries; the walks of this run read:
$(if [ -s "$work/refs" ]; then sed 's/^ *\([0-9]*\) \([0-9]*\)$/    \2 entries: \1 walks/' "$work/refs"; else echo "    (no completed 2D walk)"; fi)
the first walk that read another number (refs=, then each entry read: H host, G guest, the level):
$(grep ' -> .* G[0-9]' "$work/walks" 2>/dev/null | grep -v " refs=$want " | head -n 1 | cut -c1-400 | sed 's/^/    /')
$(run_extra=" --trace walk" explain "$work/o" "$@" --levels "$n" --host-levels "$m")"
    fi
}

prints 10 "two VMs under hw+nested each print what they print alone" two.out pgfault ptemod --mode hw
prints 10 "three VMs, 3 guest levels over 4 host levels" three.out forkwait ptemod syscall --mode hw --levels 3 --host-levels 4
walks_cost 10 "a 2D walk reads (n+1)(m+1)-1 entries: 2 guest, 3 host levels" 2 3 pgfault ptemod --mode hw
walks_cost 10 "the same with 4 guest levels over 2 host levels" 4 2 ptemod pgfault --mode hw
brk "break trap"
same_as_native 10 "ctxswitch with a page-walk cache prints what it prints without" ctxswitch "--args 60" "--pwc 8"
prints 10 "two VMs with a page-walk cache print what they print alone" two.out pgfault ptemod --mode hw --pwc 16
same_stats 10 "the page-walk cache saves the reference's references (pwc.json)" \
    pwc.json '.walk | {walks, refs, pwc_hits}' ptemod pgfault --mode hw --levels 4 --pwc 16
