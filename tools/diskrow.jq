# tools/diskrow.jq — one run's disk figures from `ringsim run --stats`, for
# tools/diskio.sh: the disk interrupts delivered, then
# per KB moved by DMA the exits (VM exits under hw; under te, bt and pv
# every entry into the hypervisor: traps, bt callouts, hypercalls), the
# cycles, and the busy (non-idle) cycles.
(.disk // .vms[0].disk) as $d | ($d.dma_bytes / 1024) as $kb
| ((.vmexits.total // 0) + (if .mode == "te" or .mode == "bt" or .mode == "pv" then .traps.total else 0 end)
   + (.bt.callouts // 0)) as $ex
| "\($d.interrupts) \($ex / $kb) \(.cycles / $kb) \((.cycles - .cycles_by_cause.idle) / $kb)"
