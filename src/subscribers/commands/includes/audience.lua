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
-- The totals fields of a record with status code `st`, locale `l` and topics `t` (comma-joined).
local function tallyFields(st, l, t)
  local fields = { 'st:' .. st }
  if st == 'c' then
    fields[2] = 'loc:' .. l
    if t == '' then
      fields[3] = 'top:'
    else
      for topic in string.gmatch(t, '[^,]+') do fields[#fields + 1] = 'top:' .. topic end
    end
  end
  return fields
end
--[[
  A parsed record (record.lua) in (+1) or out of (-1) the shard's totals. With `acc` (a table) it
  is only noted there, by its kind of record, and flushTally writes the sums once: a script over
  hundreds of records (import) then costs a few HINCRBYs, not several per record.
]]
local function tally(P, r, sign, acc)
  if not r then return end
  if acc then
    local kind = r.st .. '|' .. r.l .. '|' .. r.t
    acc[kind] = (acc[kind] or 0) + sign
    return
  end
  for _, f in ipairs(tallyFields(r.st, r.l, r.t)) do redis.call('HINCRBY', P .. 'stats', f, sign) end
end
local function flushTally(P, acc)
  local sums = {}
  for kind, n in pairs(acc) do
    local st, l, t = string.match(kind, '^(.)|([^|]*)|(.*)$')
    for _, f in ipairs(tallyFields(st, l, t)) do sums[f] = (sums[f] or 0) + n end
  end
  for f, n in pairs(sums) do
    if n ~= 0 then redis.call('HINCRBY', P .. 'stats', f, n) end
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
