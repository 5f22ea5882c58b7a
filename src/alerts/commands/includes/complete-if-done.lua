--[[
  The one rule for "the alert is complete": it is sending, its fan-out is done, and as many of its
  batches have finished as the fan-out queued (a batch a breaker trip reopened counts as not
  finished). Then it is marked completed at `now`; returns true when this call did that.
]]
local function completeIfDone(alert, batchesDone, reopened, now)
  if redis.call('HGET', alert, 'state') ~= 'sending' or redis.call('HGET', alert, 'fanoutDone') ~= '1' then return false end
  if redis.call('SCARD', batchesDone) - redis.call('SCARD', reopened) < tonumber(redis.call('HGET', alert, 'batches')) then return false end
  redis.call('HSET', alert, 'state', 'completed', 'completedAt', now)
  return true
end
