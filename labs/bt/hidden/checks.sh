# labs/bt/hidden/checks.sh — the instructor's hidden checks for lab bt:
# graded with the others (labs/grade.sh), never in a starting tree (mklab
# leaves labs/LAB/hidden/ out).  Keep them in the lab's spirit, on inputs
# the student has not seen.
same_as_native 10 "ctxswitch under bt, classic ISA, 4 levels" ctxswitch "--args 40 --levels 4" "--mode bt"
