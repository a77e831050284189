# tools/netrow.jq — one run's network figures from `ringsim run --stats`,
# for tools/iovirt.sh: per KB moved by the first interface's DMA (both
# ways) the exits (VM exits under hw; under te, bt and pv every entry into
# the hypervisor: traps, bt callouts, hypercalls) and the cycles; then the
# interface's interrupts and doorbells.
.net.ports[0].nic as $n | ($n.dma_bytes / 1024) as $kb
| ((.vmexits.total // 0) + (if .mode == "te" or .mode == "bt" or .mode == "pv" then .traps.total else 0 end)
   + (.bt.callouts // 0)) as $ex
| "\($ex / $kb) \(.cycles / $kb) \($n.interrupts) \($n.notifications)"
