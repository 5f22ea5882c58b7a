--[[
  One click on a reader's tracked "Read more" link. Each reader has a 2-bit counter in one bitfield
  per alert (offset = subscriber id): the first click makes them a unique reader, and at most
  CAP (3, what u2 holds) of their clicks count toward the total, so replaying one link cannot
  inflate either figure. Exact, and about 250 KB per alert at a million subscriber ids.

  KEYS[1] alert  KEYS[2] outcomes  KEYS[3] clicks (bitfield)
  ARGV[1] subscriber id

  Returns {unique, counted}: 1 when this click made the reader a unique clicker / added to the
  total, else 0; or {-1, 0} when there is no such alert.
]]
if redis.call('EXISTS', KEYS[1]) == 0 then return {-1, 0} end
local n = redis.call('BITFIELD', KEYS[3], 'OVERFLOW', 'FAIL', 'INCRBY', 'u2', '#' .. ARGV[1], 1)[1]
if not n then return {0, 0} end
redis.call('HINCRBY', KEYS[2], 'clicks', 1)
if n == 1 then
  redis.call('HINCRBY', KEYS[2], 'uniqueClicks', 1)
  return {1, 1}
end
return {0, 1}
