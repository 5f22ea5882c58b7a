--[[
  A click on a confirmation link. The nonce of a pending change confirms that change (its owner
  clicked the link it mailed); the record's own nonce confirms a pending sign-up.

  KEYS[1] record bucket  KEYS[2] overflow bucket  KEYS[3] shard prefix  KEYS[4] pending changes
  ARGV[1] nonce  ARGV[2] now (ms)  ARGV[3] seq

  Returns 'confirmed', 'changed' (a confirmed subscriber confirmed new choices),
  'already_confirmed', 'stale' (wrong or old nonce) or 'not_found'.
]]
--- @include "record"
--- @include "active"
--- @include "pending-change"
--- @include "audience"
local P, seq = KEYS[3], tonumber(ARGV[3])
local r = rload(P, seq)
if not r then return 'not_found' end
local change = redis.call('HGET', KEYS[4], tostring(seq))
if change and (r.st == 'c' or r.st == 'z' or r.st == 'p') then
  local n, l, t = parseChange(change)
  if n == ARGV[1] then
    local was = r.st
    if was == 'c' then active(P, r.l, seq, 0) end
    tally(P, r, -1)
    r.st, r.l, r.t = 'c', l, t
    if r.cf == '' then r.cf = time36(ARGV[2]) end
    rput(P, seq, pack(r))
    tally(P, r, 1)
    if was == 'p' then daily(P, ARGV[2], 'confirm') end
    active(P, r.l, seq, 1)
    redis.call('HDEL', KEYS[4], tostring(seq))
    if was == 'c' then return 'changed' end
    return 'confirmed'
  end
end
if r.st == 'c' then return 'already_confirmed' end
if r.st ~= 'p' or r.n ~= ARGV[1] then return 'stale' end
tally(P, r, -1)
r.st, r.cf = 'c', time36(ARGV[2])
rput(P, seq, pack(r))
tally(P, r, 1)
daily(P, ARGV[2], 'confirm')
active(P, r.l, seq, 1)
redis.call('HDEL', KEYS[4], tostring(seq))
return 'confirmed'
