--[[
  The subscriber record, as every script writes it; subscriber-record.ts reads it (decodeRecord),
  and test/redis-scripts.test.ts holds the two to the same bytes.

  A record is the string `<status code><locale>|<created>|<confirmed>|<nonce>|<topics>|<email>`:
  times in base-36 seconds (confirmed '' until confirmed), topics comma-joined. It sits at field
  `seq` (the subscriber's number in its shard) of the bucket hash `P .. 'r:' .. floor(seq / RPB)`,
  or of `P .. 'rx:' .. bucket` when it is longer than VMAX, so one long address never turns a whole
  bucket into a hashtable. P is the shard prefix `<prefix>:{sN}:`.
]]
--- @include "layout"
local CODE = { pending = 'p', confirmed = 'c', paused = 'z', unsubscribed = 'u', bounced = 'b', complained = 'x' }
local NAME = {}
for name, code in pairs(CODE) do NAME[code] = name end
local DIGITS = '0123456789abcdefghijklmnopqrstuvwxyz'
-- Epoch ms (as ARGV carries them) to the record's base-36 seconds.
local function time36(ms)
  local n, s = math.floor(tonumber(ms) / 1000), ''
  repeat
    local d = n % 36
    s = string.sub(DIGITS, d + 1, d + 1) .. s
    n = math.floor(n / 36)
  until n == 0
  return s
end
local function rkeys(P, seq)
  local b = tostring(math.floor(seq / RPB))
  return P .. 'r:' .. b, P .. 'rx:' .. b
end
local function rget(P, seq)
  local r, x = rkeys(P, seq)
  return redis.call('HGET', r, tostring(seq)) or redis.call('HGET', x, tostring(seq))
end
local function rput(P, seq, v)
  local r, x = rkeys(P, seq)
  if #v > VMAX then r, x = x, r end
  redis.call('HSET', r, tostring(seq), v)
  redis.call('HDEL', x, tostring(seq))
end
local function rdel(P, seq)
  local r, x = rkeys(P, seq)
  redis.call('HDEL', r, tostring(seq))
  redis.call('HDEL', x, tostring(seq))
end
local function parse(v)
  local st, l, c, cf, n, t, e = string.match(v, '^(.)([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)|(.*)$')
  return { st = st, l = l, c = c, cf = cf, n = n, t = t, e = e }
end
-- The parsed record at seq, or nil when there is none.
local function rload(P, seq)
  local v = rget(P, seq)
  return v and parse(v)
end
local function pack(r)
  return r.st .. r.l .. '|' .. r.c .. '|' .. r.cf .. '|' .. r.n .. '|' .. r.t .. '|' .. r.e
end
