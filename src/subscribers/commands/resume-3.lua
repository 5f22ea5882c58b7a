--[[
  Back into fan-out, only from the status given: a paused subscriber, or ('bounced') one whose
  bounce the circuit breaker found was the relay's.

  KEYS[1] record bucket  KEYS[2] overflow bucket  KEYS[3] shard prefix
  ARGV[1] seq  ARGV[2] status to resume from ('paused' when absent)

  Returns 'resumed', 'not_found' or the status it had.
]]
--- @include "record"
--- @include "active"
local P, seq = KEYS[3], tonumber(ARGV[1])
local r = rload(P, seq)
if not r then return 'not_found' end
if r.st ~= CODE[ARGV[2] or 'paused'] then return NAME[r.st] or r.st end
r.st = 'c'
rput(P, seq, pack(r))
active(P, r.l, seq, 1)
return 'resumed'
