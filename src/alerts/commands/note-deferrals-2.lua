--[[
  How many of a batch's recipients its latest attempt left deferred (0: none any more). Their sum
  over the alert's batches is how many the relay is deferring right now (deferred-at-last).

  KEYS[1] alert  KEYS[2] deferring
  ARGV[1] batch key  ARGV[2] n

  Returns 1.
]]
if tonumber(ARGV[2]) > 0 then redis.call('HSET', KEYS[2], ARGV[1], ARGV[2]) else redis.call('HDEL', KEYS[2], ARGV[1]) end
return 1
