--[[
  Moves a subscriber to a non-confirmed status; leaving 'confirmed' removes it from fan-out.

  KEYS[1] record bucket  KEYS[2] overflow bucket  KEYS[3] shard prefix
  ARGV[1] new status (a name)  ARGV[2] seq

  Returns the previous status, 'unchanged' or 'not_found'.
]]
--- @include "record"
--- @include "active"
local P, seq = KEYS[3], tonumber(ARGV[2])
local r = rload(P, seq)
if not r then return 'not_found' end
local code = CODE[ARGV[1]]
if not code then return redis.error_reply('unknown status ' .. ARGV[1]) end
if r.st == code then return 'unchanged' end
local previous = NAME[r.st] or r.st
active(P, r.l, seq, 0)
r.st = code
rput(P, seq, pack(r))
return previous
