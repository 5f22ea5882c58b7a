--[[
  Which of these recipients an alert was delivered to (its sent bitmap): a follow-up threads its
  copy under the earlier alerts of the story each reader actually got. One call per batch.

  KEYS[1] sent bitmap of the earlier alert
  ARGV[1..] subscriber ids

  Returns the ids whose bit is set.
]]
local out = {}
for i = 1, #ARGV do
  if redis.call('GETBIT', KEYS[1], tonumber(ARGV[i])) == 1 then out[#out + 1] = ARGV[i] end
end
return out
