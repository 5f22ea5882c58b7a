--[[
  Pause, resume or cancel. 'autopause' is Kilat pausing an alert itself (the relay refused it)
  with a reason for the operator. Resume re-runs the completion check, since the last batch may
  have finished while the alert was paused. A scheduled alert can be cancelled (it then never
  fires), not paused (edit its time instead); resuming it changes nothing.

  Resume counts itself (`resumes`) and forgets what the relay did before it: the deferrals noted per
  batch and the run of relay refusals. Whatever the operator fixed, batches start from nothing, and
  a run that began before the resume cannot pause the alert again with what it heard then
  (includes/run-is-current.lua; an autopause gives its run's resume count in ARGV[4]).

  KEYS[1] alert  KEYS[2] batches done  KEYS[3] reopened  KEYS[4] deferring
  ARGV[1] action ('pause' | 'autopause' | 'resume' | 'cancel')  ARGV[2] now (ms)  ARGV[3] reason
  ARGV[4] the run's resume count (autopause only)

  Returns {result, state}: result is 'changed', 'same' (already there), 'stale' (an autopause from a
  run older than the last resume: nothing changed), 'conflict' or 'missing'.
]]
--- @include "complete-if-done"
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return {'missing', ''} end
local action = ARGV[1]
if action == 'pause' or action == 'autopause' then
  if state == 'paused' then return {'same', state} end
  if state ~= 'queued' and state ~= 'sending' then return {'conflict', state} end
  if action == 'autopause' and (redis.call('HGET', KEYS[1], 'resumes') or '0') ~= ARGV[4] then return {'stale', state} end
  redis.call('HSET', KEYS[1], 'state', 'paused', 'pausedFrom', state, 'pausedAt', ARGV[2])
  if action == 'autopause' then
    redis.call('HSET', KEYS[1], 'pausedBy', 'kilat', 'pauseReason', ARGV[3])
  else
    redis.call('HSET', KEYS[1], 'pausedBy', 'operator')
    redis.call('HDEL', KEYS[1], 'pauseReason')
  end
  return {'changed', 'paused'}
elseif action == 'resume' then
  if state == 'queued' or state == 'sending' or state == 'scheduled' then return {'same', state} end
  if state ~= 'paused' then return {'conflict', state} end
  local to = redis.call('HGET', KEYS[1], 'pausedFrom') or 'sending'
  redis.call('HSET', KEYS[1], 'state', to, 'relayRun', 0)
  redis.call('HINCRBY', KEYS[1], 'resumes', 1)
  redis.call('HDEL', KEYS[1], 'pausedFrom', 'pausedAt', 'pausedBy', 'pauseReason')
  redis.call('DEL', KEYS[4])
  if completeIfDone(KEYS[1], KEYS[2], KEYS[3], ARGV[2]) then return {'changed', 'completed'} end
  return {'changed', to}
elseif action == 'cancel' then
  if state == 'cancelled' then return {'same', state} end
  if state ~= 'queued' and state ~= 'sending' and state ~= 'paused' and state ~= 'scheduled' then return {'conflict', state} end
  redis.call('HSET', KEYS[1], 'state', 'cancelled', 'cancelledAt', ARGV[2])
  redis.call('HDEL', KEYS[1], 'pausedFrom')
  return {'changed', 'cancelled'}
end
return {'conflict', state}
