-- The bit of one subscriber in its shard's bitmap of confirmed subscribers for a locale (fan-out reads it).
local function active(P, locale, seq, on)
  redis.call('SETBIT', P .. 'act:' .. locale, seq, on)
end
