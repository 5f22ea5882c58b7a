--[[
  The subscriber layout's sizes; subscriber-record.ts has the same numbers (the script test checks
  they agree). RPB: records per bucket hash; VMAX: Redis's default hash-max-listpack-value, the
  longest value a bucket takes before it goes to the overflow bucket; EB: address-index buckets.
]]
local RPB, VMAX, EB = 128, 64, 4096
