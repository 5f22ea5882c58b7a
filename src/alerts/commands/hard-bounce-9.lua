--[[
  One hard bounce, through the circuit breaker: each hard bounce adds one to breakerScore, each
  delivery takes one off (record-outcome). The bounces since the score was last zero are the
  burst. When the score reaches the limit, so many addresses failing with hardly a delivery
  between them is the relay, not the readers: the alert pauses, the burst is made owed again (the
  caller undoes its suppressions) and finished batches that hold burst recipients are reopened.

  KEYS[1] alert  KEYS[2] sent  KEYS[3] failed  KEYS[4] skipped  KEYS[5] burst  KEYS[6] burst batches
  KEYS[7] batches done  KEYS[8] reopened  KEYS[9] unbounced
  ARGV[1] subscriber id  ARGV[2] batch key  ARGV[3] batch JSON  ARGV[4] limit
  ARGV[5] pause reason ('{n}' becomes the number of bounces undone)  ARGV[6] now (ms)
  ARGV[7] the run's resume count

  Returns {'suppress'}, {'held'} (the alert is not sending, or was resumed since the run began: a
  refusal from before the operator's fix suppresses nobody), {'settled'} (already had an outcome)
  or {'tripped', trip, comma-joined ids undone, JSON array of reopened batches}.
]]
--- @include "has-outcome"
--- @include "pause-for-relay"
--- @include "run-is-current"
if not runIsCurrent(KEYS[1], ARGV[7]) then return {'held'} end
local id = tonumber(ARGV[1])
if hasOutcome(KEYS[2], KEYS[3], KEYS[4], id) then return {'settled'} end
redis.call('SETBIT', KEYS[3], id, 1)
redis.call('HINCRBY', KEYS[1], 'failed', 1)
redis.call('SADD', KEYS[5], ARGV[1])
redis.call('HSET', KEYS[6], ARGV[2], ARGV[3])
redis.call('SREM', KEYS[9], ARGV[1])
local score = redis.call('HINCRBY', KEYS[1], 'breakerScore', 1)
if score < tonumber(ARGV[4]) then return {'suppress'} end
local ids = redis.call('SMEMBERS', KEYS[5])
for _, m in ipairs(ids) do
  redis.call('SETBIT', KEYS[3], tonumber(m), 0)
  redis.call('SADD', KEYS[9], m)
end
redis.call('HINCRBY', KEYS[1], 'failed', -#ids)
local reopen = {}
local batches = redis.call('HGETALL', KEYS[6])
for i = 1, #batches, 2 do
  if redis.call('SISMEMBER', KEYS[7], batches[i]) == 1 then
    redis.call('SADD', KEYS[8], batches[i])
    reopen[#reopen + 1] = batches[i + 1]
  end
end
local trip = redis.call('HINCRBY', KEYS[1], 'breakerTrips', 1)
local reason = string.gsub(ARGV[5], '{n}', tostring(#ids))
pauseForRelay(KEYS[1], ARGV[6], reason)
redis.call('HSET', KEYS[1], 'breakerScore', 0)
local reopenJson = '[' .. table.concat(reopen, ',') .. ']'
if #reopen > 0 then redis.call('HSET', KEYS[1], 'reopen', reopenJson, 'reopenTrip', trip) end
redis.call('DEL', KEYS[5], KEYS[6])
return {'tripped', tostring(trip), table.concat(ids, ','), reopenJson}
