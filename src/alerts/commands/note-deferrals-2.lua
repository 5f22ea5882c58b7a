--[[
  How many of a batch's recipients its latest attempt left deferred (0: none any more). Their sum
  over the alert's batches is how many the relay is deferring right now (deferred-at-last).

  KEYS[1] alert  KEYS[2] deferring
  ARGV[1] batch key  ARGV[2] n  ARGV[3] the run's resume count

  Returns 1, or 0 when a run from before the last resume (or of an alert no longer sending) noted
  nothing: what it heard is about the relay as it was.
]]
--- @include "run-is-current"
if tonumber(ARGV[2]) == 0 then
  redis.call('HDEL', KEYS[2], ARGV[1])
  return 1
end
if not runIsCurrent(KEYS[1], ARGV[3]) then return 0 end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
return 1
