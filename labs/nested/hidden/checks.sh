# labs/nested/hidden/checks.sh — the instructor's hidden checks for lab
# nested: graded with the others (labs/grade.sh), never in a starting tree
# (mklab leaves labs/LAB/hidden/ out).
prints 10 "two VMs, nested TLB and page-walk cache, 3 levels over 2" hidden/two-ntlb.out \
    ptemod forkwait --mode hw --levels 3 --host-levels 2 --ntlb 8 --pwc 8
