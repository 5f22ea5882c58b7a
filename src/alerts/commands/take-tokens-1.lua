--[[
  The send-rate token bucket shared by every worker process: `rate` tokens a second, at most
  `burst` saved up. Redis's own clock (TIME) is the only clock, so hosts with skewed clocks agree.

  KEYS[1] bucket
  ARGV[1] rate per second  ARGV[2] burst  ARGV[3] tokens wanted

  Returns {granted, 0}, or {0, ms to wait} when none are left.
]]
local rate, burst, want = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * rate / 1000)
local granted = math.min(want, math.floor(tokens))
tokens = tokens - granted
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], 60000)
if granted > 0 then return { granted, 0 } end
return { 0, math.ceil((1 - tokens) * 1000 / rate) }
