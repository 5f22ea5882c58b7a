--[[
  Records an outcome for recipients that have none yet. A delivery ends a run of relay refusals
  (relay-refusal) and pays the breaker's score back down (hard-bounce); at zero its burst of hard
  bounces was normal and is forgotten.

  KEYS[1] alert  KEYS[2] sent  KEYS[3] failed  KEYS[4] skipped  KEYS[5] burst  KEYS[6] burst batches
  ARGV[1] outcome ('sent' | 'failed' | 'skipped')  ARGV[2] now (ms)  ARGV[3] 'ids' or 'count'
  ARGV[4..] subscriber ids

  Returns the ids recorded now, or with 'count' only how many: the sent ledger writes thousands a
  second and needs no list back.
]]
--- @include "has-outcome"
local target = ({sent = KEYS[2], failed = KEYS[3], skipped = KEYS[4]})[ARGV[1]]
local out = {}
for i = 4, #ARGV do
  local id = tonumber(ARGV[i])
  if not hasOutcome(KEYS[2], KEYS[3], KEYS[4], id) then
    redis.call('SETBIT', target, id, 1)
    out[#out + 1] = ARGV[i]
  end
end
local n = #out
if n > 0 then
  redis.call('HINCRBY', KEYS[1], ARGV[1], n)
  if ARGV[1] == 'sent' then
    redis.call('HSETNX', KEYS[1], 'firstSentAt', ARGV[2])
    local counts = redis.call('HMGET', KEYS[1], 'breakerScore', 'relayRun')
    if counts[2] and counts[2] ~= '0' then redis.call('HSET', KEYS[1], 'relayRun', 0) end
    local score = tonumber(counts[1] or '0')
    if score > 0 then
      score = math.max(0, score - n)
      redis.call('HSET', KEYS[1], 'breakerScore', score)
      if score == 0 then redis.call('DEL', KEYS[5], KEYS[6]) end
    end
  end
end
if ARGV[3] == 'count' then return n end
return out
