--[[
  Keeps where a subscriber's sign-up came from, in their shard's attribution hash (field =
  subscriber id; the subscriber record's format is untouched). A new reader's attribution (a new
  address, or one coming back after leaving) replaces any earlier one; a known subscriber keeps
  theirs and gets this one only if they have none (they signed up before attribution existed).
  One script for both cases, so the sign-up sends the same command whether the address was known
  or not: its Redis traffic does not tell an observer which it was.

  KEYS[1] the shard's attribution hash (keys.signupSource)
  ARGV[1] subscriber id  ARGV[2] the attribution record (JSON)  ARGV[3] '1' replace, '0' only if none

  Returns 1.
]]
if ARGV[3] == '1' then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) else redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) end
return 1
