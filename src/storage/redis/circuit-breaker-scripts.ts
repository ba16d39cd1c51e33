/**
 * Lua for shared circuit breakers: one hash per target (KEYS[1], a single key, so any Redis
 * Cluster slot will do). Fields: s = state (closed | open | half_open), u = open until (ms),
 * f = recent failure times (a JSON array, at most failure_threshold long), p = the half-open
 * probe's deadline (0 = no probe out), n = successful probes so far.
 * Every reply is { allowed or transition flag, number, state, open_until }.
 */

/** ARGV: now, cooldown_ms, probe_lease_ms, half_open_retry_ms, ttl_ms. Reply: { allowed, probe | retry_after, moved_to_half_open, state, open_until }. */
export const ADMIT_CIRCUIT_SCRIPT = `
local now = tonumber(ARGV[1])
local fields = redis.call('HMGET', KEYS[1], 's', 'u', 'p')
local state = fields[1] or 'closed'
if state == 'closed' then return { 1, 0, 0, 'closed', 0 } end
local open_until = tonumber(fields[2] or '0')
local moved = 0
local probe_until = tonumber(fields[3] or '0')
if state == 'open' then
  if open_until > now then return { 0, open_until - now, 0, 'open', open_until } end
  state = 'half_open'
  moved = 1
  probe_until = 0
  redis.call('HSET', KEYS[1], 's', 'half_open', 'n', 0, 'p', 0)
end
if probe_until > now then
  return { 0, math.min(tonumber(ARGV[4]), tonumber(ARGV[2])), moved, state, open_until }
end
-- The only probe across every instance; its lease ends it should its instance die before reporting.
redis.call('HSET', KEYS[1], 'p', now + tonumber(ARGV[3]))
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[5]))
return { 1, 1, moved, state, open_until }
`;

/**
 * ARGV: now, outcome (f | s | n), probe (0 | 1), failure_threshold, window_ms, cooldown_ms,
 * half_open_successes, ttl_ms. Reply: { transition (0 none, 1 closed→open, 2 half_open→open,
 * 3 half_open→closed), 0, state, open_until }.
 */
export const RECORD_CIRCUIT_SCRIPT = `
local now = tonumber(ARGV[1])
local outcome = ARGV[2]
local probe = ARGV[3] == '1'
local threshold = tonumber(ARGV[4])
local window = tonumber(ARGV[5])
local cooldown = tonumber(ARGV[6])
local ttl = tonumber(ARGV[8])
local fields = redis.call('HMGET', KEYS[1], 's', 'u', 'f', 'n')
local state = fields[1] or 'closed'
local open_until = tonumber(fields[2] or '0')
local function open(transition)
  -- Re-opening only ever extends the open period, whoever reports first.
  open_until = math.max(open_until, now + cooldown)
  redis.call('HSET', KEYS[1], 's', 'open', 'u', open_until, 'f', '[]', 'n', 0, 'p', 0)
  redis.call('PEXPIRE', KEYS[1], ttl)
  return { transition, 0, 'open', open_until }
end
if probe and state == 'half_open' then redis.call('HSET', KEYS[1], 'p', 0) end
if outcome == 'n' then return { 0, 0, state, open_until } end
if state == 'half_open' then
  if outcome == 'f' then return open(2) end
  if not probe then return { 0, 0, state, open_until } end
  local successes = tonumber(fields[4] or '0') + 1
  if successes < tonumber(ARGV[7]) then
    redis.call('HSET', KEYS[1], 'n', successes)
    return { 0, 0, state, open_until }
  end
  redis.call('DEL', KEYS[1])
  return { 3, 0, 'closed', 0 }
end
if state == 'open' or outcome == 's' then return { 0, 0, state, open_until } end
local recent = {}
for _, at in ipairs(cjson.decode(fields[3] or '[]')) do
  if at > now - window then recent[#recent + 1] = at end
end
recent[#recent + 1] = now
if #recent >= threshold then return open(1) end
while #recent > threshold do table.remove(recent, 1) end
redis.call('HSET', KEYS[1], 's', 'closed', 'f', cjson.encode(recent))
redis.call('PEXPIRE', KEYS[1], ttl)
return { 0, 0, 'closed', 0 }
`;
