--[[
  The batches a breaker trip reopened are queued again: forget them, unless a later trip has
  replaced them.

  KEYS[1] alert
  ARGV[1] trip

  Returns 1.
]]
if redis.call('HGET', KEYS[1], 'reopenTrip') == ARGV[1] then redis.call('HDEL', KEYS[1], 'reopen', 'reopenTrip') end
return 1
