--[[
  n recipients of a batch are still deferred at its last attempt. If the recipients deferred right
  now across the alert (at least min) outnumber its deliveries, the relay is deferring, not the
  mailboxes: pause, and they stay owed.

  KEYS[1] alert  KEYS[2] deferring
  ARGV[1] batch key  ARGV[2] n  ARGV[3] min
  ARGV[4] pause reason ('{d}' and '{sent}' are filled in)  ARGV[5] now (ms)
  ARGV[6] the run's resume count

  Returns 'paused', 'soft' (the mailboxes: soft bounces) or 'held' (the alert is not sending, or was
  resumed since the run began: the recipients stay owed).
]]
--- @include "pause-for-relay"
--- @include "run-is-current"
if not runIsCurrent(KEYS[1], ARGV[6]) then return 'held' end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
local d = 0
for _, v in ipairs(redis.call('HVALS', KEYS[2])) do d = d + tonumber(v) end
local sent = tonumber(redis.call('HGET', KEYS[1], 'sent') or '0')
if d < tonumber(ARGV[3]) or d <= sent then
  redis.call('HDEL', KEYS[2], ARGV[1])
  return 'soft'
end
local reason = string.gsub(string.gsub(ARGV[4], '{d}', tostring(d)), '{sent}', tostring(sent))
pauseForRelay(KEYS[1], ARGV[5], reason)
return 'paused'
