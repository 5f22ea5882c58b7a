--[[
  The choices of a later sign-up waiting for a subscriber's confirmation.

  KEYS[1] pending changes
  ARGV[1] seq

  Returns {nonce, locale, topics}, or false when none waits.
]]
--- @include "pending-change"
local v = redis.call('HGET', KEYS[1], ARGV[1])
if not v then return false end
local n, l, t = parseChange(v)
if not n then return false end
return { n, l, t }
