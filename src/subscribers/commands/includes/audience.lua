--[[
  The audience counters, kept by every script that creates, changes or removes a record, in the
  same script, so a counter and the records never disagree (src/subscribers/audience-stats.ts
  reads them; `kilat stats recount` checks them against the records).
   - P .. 'stats': totals of the shard: `st:<status code>` for every record, and over confirmed
     records `loc:<locale>` and `top:<topic>` (`top:` = no topic chosen: every alert);
   - P .. 'day:<YYYY-MM-DD>' (UTC): that day's events (`signup`, `confirm`, `import`,
     `unsub:<how>`, `bounce`, `complaint`, `pause`, `resume`, `delete`), kept STATS_KEEP seconds.
  Beside them, per subscriber: P .. 'last-bounce' (seq -> `<ms>|hard|soft|complaint`) and the
  copies accepted by the relay, P .. 'got:<bucket>' (seq -> count; see count-received).
]]
local STATS_KEEP = 400 * 86400
-- A parsed record (record.lua) in (+1) or out of (-1) the shard's totals.
local function tally(P, r, sign)
  if not r then return end
  local k = P .. 'stats'
  redis.call('HINCRBY', k, 'st:' .. r.st, sign)
  if r.st == 'c' then
    redis.call('HINCRBY', k, 'loc:' .. r.l, sign)
    if r.t == '' then
      redis.call('HINCRBY', k, 'top:', sign)
    else
      for t in string.gmatch(r.t, '[^,]+') do redis.call('HINCRBY', k, 'top:' .. t, sign) end
    end
  end
end
-- The UTC date of epoch ms, YYYY-MM-DD (days-to-civil, as in Howard Hinnant's date algorithms).
local function utcDay(ms)
  local z = math.floor(tonumber(ms) / 86400000) + 719468
  local era = math.floor(z / 146097)
  local doe = z - era * 146097
  local yoe = math.floor((doe - math.floor(doe / 1460) + math.floor(doe / 36524) - math.floor(doe / 146096)) / 365)
  local doy = doe - (365 * yoe + math.floor(yoe / 4) - math.floor(yoe / 100))
  local mp = math.floor((5 * doy + 2) / 153)
  local d = doy - math.floor((153 * mp + 2) / 5) + 1
  local m = mp < 10 and mp + 3 or mp - 9
  local y = yoe + era * 400
  if m <= 2 then y = y + 1 end
  return string.format('%04d-%02d-%02d', y, m, d)
end
-- One more (or `by`) of an event on the UTC day of `now` (ms).
local function daily(P, now, field, by)
  local k = P .. 'day:' .. utcDay(now)
  redis.call('HINCRBY', k, field, by or 1)
  redis.call('EXPIRE', k, STATS_KEEP)
end
