# labs/measure/checks.sh — graded by labs/grade.sh (sourced; see its functions).
# The student's work is labs/measure/answers.txt: each check produces the
# data the handout asks for, with this tree's ringsim, and compares the
# answer with it.  A failing check shows the command, never the value.
lab_break="break trap"
answers=$lab_dir/answers.txt

# The answer to KEY (the last "KEY = VALUE" line), blanks trimmed.
answer() { sed -n "s/^[ 	]*$1[ 	]*=[ 	]*//p" "$answers" 2>/dev/null | tail -n 1 | sed 's/[ 	]*$//'; }

# A column of one mode's row in a compare --csv file (and, with a fourth
# argument, of the row whose sweep value is that).
csv_of() {
    awk -F, -v mode="$2" -v col="$3" -v val="${4:-}" '
        NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
        $c["mode"] == mode && (val == "" || $c["value"] == "\"" val "\"") { print $c[col] }' "$1"
}

# Runs ringsim ARGS… within the check's time limit, its output to FILE;
# false if it fails.
produce() { f=$1; shift; timeout "$LIMIT" "$RS" "$@" >"$f" 2>"$f.err"; }

# answered POINTS "what" KEY TRUTH "COMMAND": KEY's answer agrees with the
# TRUTH the grader produced by COMMAND: numbers to two decimals, words
# exactly (in any case).
answered() {
    begin_check || return 0; pts=$1 what=$2 key=$3 truth=$4 how=$5
    got=$(answer "$key")
    if [ -z "$truth" ]; then
        fail "$pts" "$what" "the grader could not produce the data: $how
$(sed -n '1,3s/^/    /p' "$work/data.err" 2>/dev/null)"
    elif [ -z "$got" ]; then
        fail "$pts" "$what" "no answer: write a line \"$key = …\" in labs/measure/answers.txt
the data:   $how"
    elif awk -v a="$got" -v b="$truth" 'BEGIN {
            num = "^-?[0-9]+([.][0-9]*)?$"
            if (a ~ num && b ~ num) exit !(sprintf("%.2f", a) == sprintf("%.2f", b))
            exit !(tolower(a) == tolower(b)) }'; then
        ok "$pts" "$what"
    else
        fail "$pts" "$what" "your answer: $key = $got
it does not agree with the data; produce them and look again:
    $how"
    fi
}

cmd="$RS_SHOWN compare forkwait --args 4 --csv forkwait.csv"
produce "$work/data" compare forkwait --args 4 --jobs 1 --csv "$work/fw.csv" || : >"$work/fw.csv"
slowest=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
    $c["status"] == 0 && $c["slowdown"] > best { best = $c["slowdown"]; mode = $c["mode"] }
    END { print mode " " best }' "$work/fw.csv")
answered 10 "the slowest mode on forkwait" forkwait_slowest_mode "${slowest% *}" "$cmd"
answered 10 "its slowdown against native" forkwait_slowest_slowdown "${slowest#* }" "$cmd"
main=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) { if ($i ~ /^cycles_/) c[i] = substr($i, 8); if ($i == "mode") m = i }; next }
    $m == "bt+shadow" { for (i in c) if ($i > best) { best = $i; cause = c[i] } print cause }' "$work/fw.csv")
answered 10 "the cause of most of bt+shadow's cycles on forkwait" forkwait_bt_main_cause "$main" "$cmd"

cmd="$RS_SHOWN compare forkwait --args 4 --profile p4-2006 --csv p4.csv"
produce "$work/data" compare forkwait --args 4 --profile p4-2006 --modes native,hw+shadow,bt+shadow --jobs 1 \
    --csv "$work/p4.csv" || : >"$work/p4.csv"
hw=$(csv_of "$work/p4.csv" hw+shadow cycles) bt=$(csv_of "$work/p4.csv" bt+shadow cycles)
answered 10 "hw+shadow's cycles over bt+shadow's on a 2006 machine" p4_hw_shadow_over_bt \
    "$([ -n "$hw" ] && [ -n "$bt" ] && awk -v h="$hw" -v b="$bt" 'BEGIN { printf "%.4f", h / b }')" "$cmd"

cmd="$RS_SHOWN compare ptemod --sweep levels=2,3,4 --csv sweep.csv"
produce "$work/data" compare ptemod --sweep levels=2,3,4 --modes native,hw+nested --jobs 1 --csv "$work/sw.csv" \
    || : >"$work/sw.csv"
answered 10 "hw+nested's references per walk at 4 levels (ptemod)" ptemod_nested_refs_per_walk_4_levels \
    "$(csv_of "$work/sw.csv" hw+nested refs_per_walk 4)" "$cmd"

cmd="$RS_SHOWN dot pgfault --mode hw --table nested --levels 4 --host-levels 4 --walk 0x1000 --walk-only -T svg -o walk.svg"
produce "$work/walk.dot" dot pgfault --mode hw --table nested --levels 4 --host-levels 4 --walk 0x1000 --walk-only \
    || : >"$work/walk.dot"
cp "$work/walk.dot.err" "$work/data.err" 2>/dev/null
answered 10 "the references the walk picture numbers, 4 levels over 4" walk_picture_references_4x4 \
    "$(grep -o '<FONT COLOR="white"><B>[0-9]*</B>' "$work/walk.dot" | grep -o '[0-9][0-9]*' | sort -n | tail -n 1)" "$cmd"
