--[[
  One more temporary failure in a row for each id (all of one shard); whoever reaches the limit
  is suppressed (bounced) like a hard bounce and their count is cleared.

  KEYS[1] soft bounces  KEYS[2] shard prefix
  ARGV[1] limit  ARGV[2] shard  ARGV[3] shards  ARGV[4..] subscriber ids

  Returns the ids suppressed by this call.
]]
--- @include "record"
--- @include "active"
local P, shard, shards = KEYS[2], tonumber(ARGV[2]), tonumber(ARGV[3])
local out = {}
for i = 4, #ARGV do
  local n = redis.call('HINCRBY', KEYS[1], ARGV[i], 1)
  if n >= tonumber(ARGV[1]) then
    local seq = (tonumber(ARGV[i]) - shard) / shards
    local r = rload(P, seq)
    if r then
      active(P, r.l, seq, 0)
      if r.st == 'c' or r.st == 'z' or r.st == 'p' then
        r.st = 'b'
        rput(P, seq, pack(r))
      end
      out[#out + 1] = ARGV[i]
    end
    redis.call('HDEL', KEYS[1], ARGV[i])
  end
end
return out
