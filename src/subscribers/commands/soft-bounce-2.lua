--[[
  One more temporary failure in a row for each id (all of one shard); whoever reaches the limit
  is suppressed (bounced) like a hard bounce and their count is cleared. Each one becomes the
  subscriber's last bounce; a suppression counts as that day's bounce.

  KEYS[1] soft bounces  KEYS[2] shard prefix
  ARGV[1] limit  ARGV[2] shard  ARGV[3] shards  ARGV[4] now (ms)  ARGV[5..] subscriber ids

  Returns the ids suppressed by this call.
]]
--- @include "record"
--- @include "active"
--- @include "audience"
local P, shard, shards = KEYS[2], tonumber(ARGV[2]), tonumber(ARGV[3])
local out = {}
for i = 5, #ARGV do
  local n = redis.call('HINCRBY', KEYS[1], ARGV[i], 1)
  local seq = (tonumber(ARGV[i]) - shard) / shards
  local r = rload(P, seq)
  if r then redis.call('HSET', P .. 'last-bounce', tostring(seq), ARGV[4] .. '|soft') end
  if n >= tonumber(ARGV[1]) then
    if r then
      active(P, r.l, seq, 0)
      if r.st == 'c' or r.st == 'z' or r.st == 'p' then
        tally(P, r, -1)
        r.st = 'b'
        rput(P, seq, pack(r))
        tally(P, r, 1)
        daily(P, ARGV[4], 'bounce')
      end
      out[#out + 1] = ARGV[i]
    end
    redis.call('HDEL', KEYS[1], ARGV[i])
  end
end
return out
