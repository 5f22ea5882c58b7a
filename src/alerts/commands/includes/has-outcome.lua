-- Whether subscriber `id` already has an outcome in an alert's ledger (three bitmaps indexed by id).
local function hasOutcome(sent, failed, skipped, id)
  return redis.call('GETBIT', sent, id) == 1 or redis.call('GETBIT', failed, id) == 1 or redis.call('GETBIT', skipped, id) == 1
end
