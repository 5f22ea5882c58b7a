--[[
  Removes a subscriber entirely: the record, its address index entry, active bit, soft-bounce
  count, pending change, last bounce, received count, its place in the audience counters and every
  set that lists the id. With an address hash, only that keyed
  hash of the address stays behind, in the suppression set.

  KEYS[1] record bucket  KEYS[2] overflow bucket  KEYS[3] shard prefix  KEYS[4] soft bounces
  KEYS[5] suppressed     KEYS[6] pending changes  KEYS[7] digest readers
  KEYS[8..12] the shard's digest-sent sets of five days around now
  ARGV[1] seq  ARGV[2] id  ARGV[3] address hash ('' for none)  ARGV[4] now (ms)

  Returns 1, or 0 when there was no record.
]]
--- @include "record"
--- @include "address-index"
--- @include "active"
--- @include "audience"
local P, seq = KEYS[3], tonumber(ARGV[1])
local r = rload(P, seq)
if not r then return 0 end
local ek = ekey(P, r.e)
if redis.call('HGET', ek, r.e) == ARGV[2] then redis.call('HDEL', ek, r.e) end
active(P, r.l, seq, 0)
redis.call('HDEL', KEYS[4], ARGV[2])
redis.call('HDEL', KEYS[6], tostring(seq))
redis.call('SREM', KEYS[7], ARGV[2])
for i = 8, #KEYS do redis.call('SREM', KEYS[i], ARGV[2]) end
rdel(P, seq)
tally(P, r, -1)
daily(P, ARGV[4], 'delete')
redis.call('HDEL', P .. 'last-bounce', tostring(seq))
redis.call('HDEL', P .. 'got:' .. tostring(math.floor(seq / RPB)), tostring(seq))
if ARGV[3] ~= '' then redis.call('HSET', KEYS[5], ARGV[3], 'deleted:' .. ARGV[4]) end
return 1
