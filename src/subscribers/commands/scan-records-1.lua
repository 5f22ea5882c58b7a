--[[
  Every record in a run of record buckets of one shard (an export, the digest), in no order.

  KEYS[1] shard prefix
  ARGV[1] first bucket  ARGV[2] how many buckets

  Returns, per record, its seq and then the seven values of `fields`.
]]
--- @include "record"
local P, out = KEYS[1], {}
for b = tonumber(ARGV[1]), tonumber(ARGV[1]) + tonumber(ARGV[2]) - 1 do
  for _, key in ipairs({ P .. 'r:' .. b, P .. 'rx:' .. b }) do
    local all = redis.call('HGETALL', key)
    for i = 1, #all, 2 do
      local r = parse(all[i + 1])
      if valid(r) then
        out[#out + 1] = all[i]
        local f = fields(r)
        for j = 1, 7 do out[#out + 1] = f[j] end
      end
    end
  end
end
return out
