--[[
  Replaces one shard's audience counters with a recount of its records, only if they are still
  what they were when the recount began: a sign-up or unsubscribe that landed during the scan
  changed them, and the recount must run again instead of overwriting it.

  KEYS[1] the shard's stats hash
  ARGV[1] JSON object of the counters read before the scan (zeros left out)
  ARGV[2] JSON object of the recounted counters (zeros left out)

  Returns 'repaired' or 'changed'.
]]
local before, recount = cjson.decode(ARGV[1]), cjson.decode(ARGV[2])
local now = redis.call('HGETALL', KEYS[1])
local seen = 0
for i = 1, #now, 2 do
  local v = tonumber(now[i + 1])
  if v ~= 0 then
    if before[now[i]] ~= v then return 'changed' end
    seen = seen + 1
  end
end
local expected = 0
for _ in pairs(before) do expected = expected + 1 end
if seen ~= expected then return 'changed' end
redis.call('DEL', KEYS[1])
for field, v in pairs(recount) do redis.call('HSET', KEYS[1], field, v) end
return 'repaired'
