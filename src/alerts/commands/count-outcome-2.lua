--[[
  One reader outcome of an alert (an unsubscribe through its links, a bounce or complaint about its
  copy), counted as it happens. Only for an alert that exists: a link or report naming an alert id
  Kilat never stored leaves no stray counter behind.

  KEYS[1] alert  KEYS[2] outcomes
  ARGV[1] field (unsubscribed, bounced, complained)

  Returns the new count, or -1 when there is no such alert.
]]
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
return redis.call('HINCRBY', KEYS[2], ARGV[1], 1)
