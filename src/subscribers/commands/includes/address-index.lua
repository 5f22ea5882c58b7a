--[[
  The address index entry's key (address -> id): the same sha1 bucket subscriber-keys.ts computes,
  in `e:<bucket>`, or `ex:<bucket>` for an address longer than VMAX.
]]
--- @include "layout"
local function ekey(P, email)
  local b = tostring(tonumber(string.sub(redis.sha1hex(email), 9, 16), 16) % EB)
  if #email > VMAX then return P .. 'ex:' .. b end
  return P .. 'e:' .. b
end
