--[[
  Counts a sign-up or a confirmation for its form kind and source in one day's hash (field
  `<metric>|<kind>|<source>`). A new field is only added while the day has room, so hostile
  `source` values cannot grow a day's hash without bound: once it holds the cap, a source not yet
  in it is counted under the "other" source. Each count renews the day's expiry.

  KEYS[1] the day's counter hash (keys.signupDay)
  ARGV[1] metric: 's' sign-ups, 'c' confirmations  ARGV[2] kind  ARGV[3] source
  ARGV[4] most fields a day keeps  ARGV[5] the source name counted past that  ARGV[6] seconds kept
  ARGV[7] how many to add; '0' writes nothing (the caller still makes the round trip)

  Returns 1 when it counted, 0 when ARGV[7] is 0.
]]
if ARGV[7] == '0' then return 0 end
local field = ARGV[1] .. '|' .. ARGV[2] .. '|' .. ARGV[3]
if redis.call('HEXISTS', KEYS[1], field) == 0 and redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[4]) then
  field = ARGV[1] .. '|' .. ARGV[2] .. '|' .. ARGV[5]
end
redis.call('HINCRBY', KEYS[1], field, tonumber(ARGV[7]))
redis.call('EXPIRE', KEYS[1], ARGV[6])
return 1
