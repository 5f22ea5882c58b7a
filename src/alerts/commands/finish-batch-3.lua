--[[
  A batch finishes once: its correction to the planned total (recipients filtered out by topic,
  or who left or joined the range since the fan-out) applies once however often it is retried. A
  paused alert's batch does not finish: it runs again after resume (a breaker trip may have made
  some of its recipients owed again). A reopened batch counts as not done until it finishes again.

  KEYS[1] alert  KEYS[2] batches done  KEYS[3] reopened
  ARGV[1] batch key  ARGV[2] adjustment to the planned total  ARGV[3] now (ms)

  Returns the alert's state after: 'completed' when this batch completed it.
]]
--- @include "complete-if-done"
local state = redis.call('HGET', KEYS[1], 'state')
if state == 'paused' then return state end
if redis.call('SADD', KEYS[2], ARGV[1]) == 1 then
  redis.call('HINCRBY', KEYS[1], 'adjust', tonumber(ARGV[2]))
end
redis.call('SREM', KEYS[3], ARGV[1])
if completeIfDone(KEYS[1], KEYS[2], KEYS[3], ARGV[3]) then return 'completed' end
return state
