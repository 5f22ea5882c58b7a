-- A batch run acts on what the relay told it only while the alert is still sending and has not
-- been resumed since the run read it (ARGV `resumes`, the alert's resume count then). An answer to a
-- send made before a pause and heard after the resume is about the relay as it was before the
-- operator fixed it: it neither pauses the alert again nor counts against a reader.
local function runIsCurrent(alert, resumes)
  local h = redis.call('HMGET', alert, 'state', 'resumes')
  return h[1] == 'sending' and (h[2] or '0') == resumes
end
