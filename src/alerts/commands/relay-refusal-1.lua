--[[
  One more recipient the relay refused for its own reasons (a 5.7.x policy answer, a 5xx after
  DATA); a delivery resets the run (record-outcome). At the limit, across every batch of the
  alert, it is the relay, not those recipients: pause.

  KEYS[1] alert
  ARGV[1] limit  ARGV[2] pause reason  ARGV[3] now (ms)  ARGV[4] the run's resume count

  Returns 'paused' (this call paused it), 'counted' or 'held' (the alert is not sending, or was
  resumed since the run began).
]]
--- @include "pause-for-relay"
--- @include "run-is-current"
if not runIsCurrent(KEYS[1], ARGV[4]) then return 'held' end
if redis.call('HINCRBY', KEYS[1], 'relayRun', 1) < tonumber(ARGV[1]) then return 'counted' end
pauseForRelay(KEYS[1], ARGV[3], ARGV[2])
redis.call('HSET', KEYS[1], 'relayRun', 0)
return 'paused'
