--[[
  Bulk import of many addresses of ONE shard. 'confirmed' mode makes new and pending addresses
  confirmed at once; 'pending' ones need a confirmation email. An address that left
  (unsubscribed, bounced, complained) is never brought back by an import.

  KEYS[1] shard id counter  KEYS[2] shard prefix
  ARGV[1] mode ('pending' | 'confirmed')  ARGV[2] now (ms)  ARGV[3] shard  ARGV[4] shards
  ARGV[5..] per row: email, locale, topics (comma-joined), nonce

  Returns {id, outcome, id, outcome, ...} per row: 'created', 'confirmed', 'exists' or 'opted_out'.
]]
--- @include "record"
--- @include "address-index"
--- @include "active"
--- @include "audience"
local P = KEYS[2]
local mode, now, shard, shards = ARGV[1], time36(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local out, imported, acc = {}, 0, {}
for i = 5, #ARGV, 4 do
  local email, locale, topics, nonce = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  local ek = ekey(P, email)
  local id = redis.call('HGET', ek, email)
  local outcome
  if not id then
    local seq = redis.call('INCR', KEYS[1])
    id = tostring(seq * shards + shard)
    redis.call('HSET', ek, email, id)
    local fresh = { st = 'p', l = locale, c = now, cf = '', n = nonce, t = topics, e = email }
    if mode == 'confirmed' then
      fresh.st, fresh.cf = 'c', now
      active(P, locale, seq, 1)
    end
    rput(P, seq, pack(fresh))
    tally(P, fresh, 1, acc)
    imported = imported + 1
    outcome = 'created'
  else
    local seq = (tonumber(id) - shard) / shards
    local r = rload(P, seq)
    if r and r.st == 'p' and mode == 'confirmed' then
      tally(P, r, -1, acc)
      r.st, r.cf = 'c', now
      rput(P, seq, pack(r))
      tally(P, r, 1, acc)
      active(P, r.l, seq, 1)
      outcome = 'confirmed'
    elseif not r or r.st == 'p' or r.st == 'c' then
      outcome = 'exists'
    else
      outcome = 'opted_out'
    end
  end
  out[#out + 1] = id
  out[#out + 1] = outcome
end
flushTally(P, acc)
if imported > 0 then daily(P, ARGV[2], 'import', imported) end
return out
