--[[
  Edits an alert that is still scheduled: its article (already validated and read) and its time.
  Checked and written in one step, so an edit never lands on an alert that started meanwhile.

  KEYS[1] alert
  ARGV[1] article (JSON)  ARGV[2] publish request as given (JSON)  ARGV[3] publishAt (ms)

  Returns {result, state}: 'changed', 'conflict' (not scheduled any more) or 'missing'.
]]
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return {'missing', ''} end
if state ~= 'scheduled' then return {'conflict', state} end
redis.call('HSET', KEYS[1], 'article', ARGV[1], 'input', ARGV[2], 'publishAt', ARGV[3])
return {'changed', state}
