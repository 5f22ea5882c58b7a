--[[
  The fan-out starts: queued -> sending; a paused alert remembers that its fan-out started, so
  resume puts it back to sending.

  KEYS[1] alert
  ARGV[1] now (ms)

  Returns the state before (false when the alert is missing).
]]
local state = redis.call('HGET', KEYS[1], 'state')
if state == 'queued' then
  redis.call('HSET', KEYS[1], 'state', 'sending', 'startedAt', ARGV[1])
elseif state == 'paused' and redis.call('HGET', KEYS[1], 'pausedFrom') == 'queued' then
  redis.call('HSET', KEYS[1], 'pausedFrom', 'sending', 'startedAt', ARGV[1])
end
return state or false
