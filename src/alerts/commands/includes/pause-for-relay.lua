-- Kilat pauses a sending alert itself because of what the relay did; `reason` is for the operator.
local function pauseForRelay(alert, now, reason)
  redis.call('HSET', alert, 'state', 'paused', 'pausedFrom', 'sending', 'pausedAt', now, 'pauseReason', reason, 'pausedBy', 'kilat')
end
