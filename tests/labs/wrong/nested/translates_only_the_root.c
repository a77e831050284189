// mistake: translates the root table's address through the host dimension, and reads the lower tables at their guest-physical addresses
// caught by: a 2D walk reads (n+1)(m+1)-1 entries: 2 guest, 3 host levels
// caught by: the page-walk cache saves the reference's references (pwc.json)
// caught by: the same with 4 guest levels over 2 host levels
// caught by: three VMs, 3 guest levels over 4 host levels
// caught by: two VMs under hw+nested each print what they print alone
// caught by: two VMs with a page-walk cache print what they print alone
// caught by: two VMs, nested TLB and page-walk cache, 3 levels over 2

// ---- the reference's
// ---- next region
            /* the guest table lives at a guest-physical address */
            if (level == 0) {       /* the root is what the guest gave us */
                struct leaf h;
                if (!below(k, epa, ACC_READ, &h)) return false;
                epa_w = h.w;
                epa = h.pa;
            }
