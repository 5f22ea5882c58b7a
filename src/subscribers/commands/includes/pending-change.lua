--[[
  A later sign-up's choices waiting beside an existing subscription for its owner's confirmation:
  field seq of the shard's pending-changes hash, value `nonce|locale|topics`.
]]
local function packChange(nonce, locale, topics)
  return nonce .. '|' .. locale .. '|' .. topics
end
-- nonce, locale, topics of a stored change.
local function parseChange(v)
  return string.match(v, '^([^|]*)|([^|]*)|(.*)$')
end
