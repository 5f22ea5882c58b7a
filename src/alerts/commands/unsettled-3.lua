--[[
  What a retried batch still owes.

  KEYS[1] sent  KEYS[2] failed  KEYS[3] skipped
  ARGV[1..] subscriber ids

  Returns the ids with no outcome yet.
]]
--- @include "has-outcome"
local out = {}
for i = 1, #ARGV do
  if not hasOutcome(KEYS[1], KEYS[2], KEYS[3], tonumber(ARGV[i])) then out[#out + 1] = ARGV[i] end
end
return out
