--[[
  The fan-out has queued every batch: records the plan, and completes the alert if its batches
  all finished already.

  KEYS[1] alert  KEYS[2] batches done  KEYS[3] reopened
  ARGV[1] planned recipients  ARGV[2] batches  ARGV[3] now (ms)

  Returns the alert's state after.
]]
--- @include "complete-if-done"
redis.call('HSET', KEYS[1], 'planned', ARGV[1], 'batches', ARGV[2], 'fanoutDone', '1')
if completeIfDone(KEYS[1], KEYS[2], KEYS[3], ARGV[3]) then return 'completed' end
return redis.call('HGET', KEYS[1], 'state')
