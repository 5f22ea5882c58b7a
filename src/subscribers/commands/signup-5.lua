--[[
  A sign-up, whatever the address's state, so a known address costs what a new one does. An
  existing subscription is never changed here: the new choices wait beside it (pending changes,
  see pending-change) until its owner confirms them with the link this
  sign-up mails.

  KEYS[1] address index bucket   KEYS[2] shard id counter   KEYS[3] shard prefix
  KEYS[4] suppressed             KEYS[5] pending changes
  ARGV[1] email  ARGV[2] locale  ARGV[3] topics (comma-joined)  ARGV[4] nonce  ARGV[5] now (ms)
  ARGV[6] shard  ARGV[7] shards  ARGV[8..] the address's keyed hashes (to find a kept complaint)

  Returns {id, outcome}: 'created', 'resubscribe' (a departed address starts a fresh double
  opt-in), 'change' (choices wait for confirmation) or 'suppressed' (id '0' when there is no record).
]]
--- @include "record"
--- @include "pending-change"
--- @include "audience"
local P, email = KEYS[3], ARGV[1]
local fresh = { st = 'p', l = ARGV[2], c = time36(ARGV[5]), cf = '', n = ARGV[4], t = ARGV[3], e = email }
local function complained()
  for i = 8, #ARGV do
    local v = redis.call('HGET', KEYS[4], ARGV[i])
    if v and string.sub(v, 1, 11) == 'complained:' then return true end
  end
  return false
end
local id = redis.call('HGET', KEYS[1], email)
if not id then
  if complained() then return { '0', 'suppressed' } end
  local seq = redis.call('INCR', KEYS[2])
  id = tostring(seq * tonumber(ARGV[7]) + tonumber(ARGV[6]))
  redis.call('HSET', KEYS[1], email, id)
  rput(P, seq, pack(fresh))
  tally(P, fresh, 1)
  daily(P, ARGV[5], 'signup')
  return { id, 'created' }
end
local seq = (tonumber(id) - tonumber(ARGV[6])) / tonumber(ARGV[7])
local r = rload(P, seq)
if r then
  if r.st == 'x' then return { id, 'suppressed' } end
  if r.st == 'c' or r.st == 'z' or r.st == 'p' then
    redis.call('HSET', KEYS[5], tostring(seq), packChange(ARGV[4], ARGV[2], ARGV[3]))
    return { id, 'change' }
  end
end
if complained() then return { id, 'suppressed' } end
-- departed (unsubscribed, bounced, or a record lost half-way): a fresh double opt-in with a new nonce
redis.call('HDEL', KEYS[5], tostring(seq))
tally(P, r, -1)
rput(P, seq, pack(fresh))
tally(P, fresh, 1)
daily(P, ARGV[5], 'signup')
return { id, 'resubscribe' }
