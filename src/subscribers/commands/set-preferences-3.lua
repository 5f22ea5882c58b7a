--[[
  New locale and topics; a confirmed subscriber moves to the new locale's bitmap.

  KEYS[1] record bucket  KEYS[2] overflow bucket  KEYS[3] shard prefix
  ARGV[1] locale  ARGV[2] topics (comma-joined)  ARGV[3] seq

  Returns 'ok' or 'not_found'.
]]
--- @include "record"
--- @include "active"
--- @include "audience"
local P, seq = KEYS[3], tonumber(ARGV[3])
local r = rload(P, seq)
if not r then return 'not_found' end
local old = r.l
tally(P, r, -1)
r.l, r.t = ARGV[1], ARGV[2]
rput(P, seq, pack(r))
tally(P, r, 1)
if r.st == 'c' and old ~= ARGV[1] then
  active(P, old, seq, 0)
  active(P, ARGV[1], seq, 1)
end
return 'ok'
