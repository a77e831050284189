# labs/migrate/checks.sh — graded by labs/grade.sh (sourced; see its functions).
# The student's work is labs/migrate/answers.txt: each check produces the
# data the handout asks for with this tree's ringsim (`ringsim compare
# --migration`, a live migration per row) and compares the answer with it.
# A failing check shows the command, never the value.
lab_break="break trap"
answers=$lab_dir/answers.txt

# The answer to KEY (the last "KEY = VALUE" line), blanks trimmed.
answer() { sed -n "s/^[ 	]*$1[ 	]*=[ 	]*//p" "$answers" 2>/dev/null | tail -n 1 | sed 's/[ 	]*$//'; }

# A column of the row of a compare --migration CSV whose column KEY is VAL
# (and, with two more arguments, whose KEY2 is VAL2).
row_of() {
    awk -F, -v col="$2" -v k="$3" -v v="$4" -v k2="${5:-}" -v v2="${6:-}" '
        NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
        $c[k] == v && (k2 == "" || $c[k2] == v2) { print $c[col]; exit }' "$1"
}

# Runs ringsim ARGS… within the check's time limit, its output to FILE;
# false if it fails.
produce() { f=$1; shift; timeout "$LIMIT" "$RS" "$@" >"$f" 2>"$f.err"; }

# answered POINTS "what" KEY TRUTH "COMMAND": KEY's answer agrees with the
# TRUTH the grader produced by COMMAND: numbers exactly, words in any case.
answered() {
    begin_check || return 0; pts=$1 what=$2 key=$3 truth=$4 how=$5
    got=$(answer "$key")
    if [ -z "$truth" ]; then
        fail "$pts" "$what" "the grader could not produce the data: $how
$(sed -n '1,3s/^/    /p' "$work/data.err" 2>/dev/null)"
    elif [ -z "$got" ]; then
        fail "$pts" "$what" "no answer: write a line \"$key = …\" in labs/migrate/answers.txt
the data:   $how"
    elif awk -v a="$got" -v b="$truth" 'BEGIN {
            num = "^-?[0-9]+([.][0-9]*)?$"
            if (a ~ num && b ~ num) exit !(a + 0 == b + 0)
            exit !(tolower(a) == tolower(b)) }'; then
        ok "$pts" "$what"
    else
        fail "$pts" "$what" "your answer: $key = $got
it does not agree with the data; produce them and look again:
    $how"
    fi
}

# 1. predict, then measure: rates 4 and 64 over a link of 2 bytes per cycle
cmd="$RS_SHOWN compare --migration --rates 4,64 --links 2 --csv link2.csv"
produce "$work/data" compare --migration --rates 4,64 --links 2 --jobs 1 --csv "$work/l2.csv" || : >"$work/l2.csv"
fin=$(row_of "$work/l2.csv" final_pages rate 64) down=$(row_of "$work/l2.csv" downtime rate 64)
answered 10 "the downtime predicted for rate 64's stop-and-copy on 2 bytes per cycle" predicted_downtime_rate64_link2 \
    "$([ "$fin" = 258 ] && echo "$down")" "$cmd (its stop-and-copy sends 258 pages)"
answered 10 "rate 4's pre-copy rounds on 2 bytes per cycle" rate4_link2_rounds "$(row_of "$work/l2.csv" rounds rate 4)" "$cmd"
answered 10 "rate 4's downtime on 2 bytes per cycle" rate4_link2_downtime "$(row_of "$work/l2.csv" downtime rate 4)" "$cmd"
answered 10 "why rate 64's rounds stopped" rate64_link2_stop_reason "$(row_of "$work/l2.csv" stop_reason rate 64)" "$cmd"

# 2. a downtime budget: the fewest rounds that meet it
cmd="$RS_SHOWN compare --migration --rates 16 --links 4 --max-rounds 1,2,3,4,5,6,7,8,9,10 --csv budget.csv"
produce "$work/data" compare --migration --rates 16 --links 4 --max-rounds 1,2,3,4,5,6,7,8,9,10 --jobs 1 \
    --csv "$work/b.csv" || : >"$work/b.csv"
best=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
    $c["downtime"] <= 40000 && (r == "" || $c["max_rounds"] + 0 < r + 0) { r = $c["max_rounds"]; d = $c["downtime"] }
    END { if (r != "") print r " " d }' "$work/b.csv")
answered 10 "the fewest --max-rounds that meet a 40,000-cycle budget (rate 16, 4 bytes per cycle)" budget_max_rounds \
    "${best% *}" "$cmd"
answered 10 "the downtime with that many rounds" budget_downtime "${best#* }" "$cmd"

# 3. post-copy: predict its downtime
cmd="$RS_SHOWN compare --migration --rates 16 --links 4 --copy post --csv post.csv"
produce "$work/data" compare --migration --rates 16 --links 4 --copy post --jobs 1 --csv "$work/p.csv" || : >"$work/p.csv"
answered 10 "post-copy's downtime on 4 bytes per cycle" postcopy_downtime_link4 \
    "$(row_of "$work/p.csv" downtime copy post)" "$cmd"
