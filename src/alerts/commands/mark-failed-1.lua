--[[
  An alert that cannot be rendered stops for good; a finished or cancelled one stays as it is.

  KEYS[1] alert
  ARGV[1] reason  ARGV[2] now (ms)

  Returns 1 when this call failed it, else 0.
]]
local state = redis.call('HGET', KEYS[1], 'state')
if state ~= 'queued' and state ~= 'sending' and state ~= 'paused' then return 0 end
redis.call('HSET', KEYS[1], 'state', 'failed', 'error', ARGV[1], 'failedAt', ARGV[2])
redis.call('HDEL', KEYS[1], 'pausedFrom')
return 1
