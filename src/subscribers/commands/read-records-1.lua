--[[
  Subscriber records of one shard by sequence number, for the application to read.

  KEYS[1] shard prefix
  ARGV[1..] seqs

  Returns, per seq, the seven values of `fields` (status, locale, created ms, confirmed ms or 0,
  nonce, topics, email), or seven falses when there is no record.
]]
--- @include "record"
local P, out = KEYS[1], {}
for i = 1, #ARGV do
  local r = rload(P, tonumber(ARGV[i]))
  local f = valid(r) and fields(r) or { false, false, false, false, false, false, false }
  for j = 1, 7 do out[#out + 1] = f[j] end
end
return out
