--[[
  Moves a subscriber to a non-confirmed status; leaving 'confirmed' removes it from fan-out. The
  audience counters move with it: an unsubscribe is counted by how it came (ARGV[4]), a bounce or
  complaint as such, and either one becomes the subscriber's last bounce.

  KEYS[1] record bucket  KEYS[2] overflow bucket  KEYS[3] shard prefix
  ARGV[1] new status (a name)  ARGV[2] seq  ARGV[3] now (ms)
  ARGV[4] how an unsubscribe came: one-click, footer, preferences, newsroom ('other' when absent)

  Returns the previous status, 'unchanged' or 'not_found'.
]]
--- @include "record"
--- @include "active"
--- @include "audience"
local P, seq = KEYS[3], tonumber(ARGV[2])
local r = rload(P, seq)
if not r then return 'not_found' end
local code = CODE[ARGV[1]]
if not code then return redis.error_reply('unknown status ' .. ARGV[1]) end
if r.st == code then return 'unchanged' end
local previous = NAME[r.st] or r.st
active(P, r.l, seq, 0)
tally(P, r, -1)
r.st = code
rput(P, seq, pack(r))
tally(P, r, 1)
local EVENT = { u = 'unsub:' .. (ARGV[4] or 'other'), b = 'bounce', x = 'complaint', z = 'pause', p = 'pending' }
daily(P, ARGV[3], EVENT[code])
if code == 'b' then redis.call('HSET', P .. 'last-bounce', tostring(seq), ARGV[3] .. '|hard') end
if code == 'x' then redis.call('HSET', P .. 'last-bounce', tostring(seq), ARGV[3] .. '|complaint') end
return previous
