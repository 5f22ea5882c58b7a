--[[
  Back into fan-out, only from the status given: a paused subscriber, or ('bounced') one whose
  bounce the circuit breaker found was the relay's (that day's bounce count is taken back).

  KEYS[1] record bucket  KEYS[2] overflow bucket  KEYS[3] shard prefix
  ARGV[1] seq  ARGV[2] status to resume from ('paused' when absent)  ARGV[3] now (ms)

  Returns 'resumed', 'not_found' or the status it had.
]]
--- @include "record"
--- @include "active"
--- @include "audience"
local P, seq = KEYS[3], tonumber(ARGV[1])
local r = rload(P, seq)
if not r then return 'not_found' end
if r.st ~= CODE[ARGV[2] or 'paused'] then return NAME[r.st] or r.st end
tally(P, r, -1)
r.st = 'c'
rput(P, seq, pack(r))
tally(P, r, 1)
active(P, r.l, seq, 1)
if ARGV[2] == 'bounced' then
  daily(P, ARGV[3], 'bounce', -1)
  redis.call('HDEL', P .. 'last-bounce', tostring(seq))
else
  daily(P, ARGV[3], 'resume')
end
return 'resumed'
