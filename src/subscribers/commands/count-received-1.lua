--[[
  Copies the relay accepted, one more for each subscriber id (all of one shard): the "alerts
  received" of the newsroom's subscriber lookup. Small hashes of RPB subscribers each
  (P .. 'got:<bucket>', field seq), so they stay compact listpacks.

  KEYS[1] shard prefix
  ARGV[1] shard  ARGV[2] shards  ARGV[3..] subscriber ids

  Returns how many were counted.
]]
--- @include "layout"
local P, shard, shards = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2])
-- A batch's ids are a range of one shard: consecutive ids mostly share a bucket, and its key.
local bucket, key = -1, nil
for i = 3, #ARGV do
  local seq = (tonumber(ARGV[i]) - shard) / shards
  local b = math.floor(seq / RPB)
  if b ~= bucket then bucket, key = b, P .. 'got:' .. b end
  redis.call('HINCRBY', key, seq, 1)
end
return #ARGV - 2
