--[[
  The fan-out starts: queued -> sending; a paused alert remembers that its fan-out started, so
  resume puts it back to sending. A scheduled alert starts only once its publishAt has come: a
  fan-out job that runs early (its delay was changed under it by an edit) gets 'early' and nothing
  changes, so the job puts itself back to the record's time.

  KEYS[1] alert
  ARGV[1] now (ms)

  Returns the state before, 'early' for a scheduled alert whose time has not come (false when the
  alert is missing).
]]
local state = redis.call('HGET', KEYS[1], 'state')
if state == 'queued' then
  redis.call('HSET', KEYS[1], 'state', 'sending', 'startedAt', ARGV[1])
elseif state == 'scheduled' then
  local at = tonumber(redis.call('HGET', KEYS[1], 'publishAt') or '0')
  if tonumber(ARGV[1]) < at then return 'early' end
  redis.call('HSET', KEYS[1], 'state', 'sending', 'startedAt', ARGV[1])
elseif state == 'paused' and redis.call('HGET', KEYS[1], 'pausedFrom') == 'queued' then
  redis.call('HSET', KEYS[1], 'pausedFrom', 'sending', 'startedAt', ARGV[1])
end
return state or false
