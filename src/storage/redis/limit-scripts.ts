/**
 * Lua run inside Redis so every admission and settlement is one atomic step across instances.
 * KEYS[i] is one counter's base key (with a `{hash tag}`); derived keys append a suffix.
 * Kinds: w = sliding window of 60 buckets (`:h` bucket index → cost, `:s` sum),
 * c = concurrency leases (a sorted set of id → lease end), l = ledger (`:s` spent, `:r` reserved,
 * `:z` id → reservation end, `:h` id → amount).
 */
const SHARED = `
local now = tonumber(ARGV[1])
local function drop(hkey, zkey, members)
  local total = 0
  local i = 1
  while i <= #members do
    local last = math.min(i + 499, #members)
    local costs = redis.call('HMGET', hkey, unpack(members, i, last))
    for j = 1, #costs do total = total + (tonumber(costs[j]) or 0) end
    redis.call('HDEL', hkey, unpack(members, i, last))
    redis.call('ZREM', zkey, unpack(members, i, last))
    i = last + 1
  end
  return total
end
local function int(value)
  return string.format('%d', value)
end
local function num(key)
  return tonumber(redis.call('GET', key) or '0')
end
local function bucket_ms(span)
  return math.max(1, math.ceil(span / 60))
end
-- The window's buckets, oldest first, after dropping those wholly before the window.
local function window_buckets(base, span)
  local size = bucket_ms(span)
  local fields = redis.call('HGETALL', base .. ':h')
  local kept, expired, freed = {}, {}, 0
  for j = 1, #fields, 2 do
    local bucket, cost = tonumber(fields[j]), tonumber(fields[j + 1])
    if (bucket + 1) * size <= now - span then
      expired[#expired + 1] = fields[j]
      freed = freed + cost
    else
      kept[#kept + 1] = {bucket, cost}
    end
  end
  if #expired > 0 then
    redis.call('HDEL', base .. ':h', unpack(expired))
    redis.call('DECRBY', base .. ':s', int(freed))
  end
  table.sort(kept, function(a, b) return a[1] < b[1] end)
  return kept
end
`;

export const ADMIT_SCRIPT = `${SHARED}
local lease = tonumber(ARGV[2])
local id = ARGV[3]
local n = #KEYS
local function expire(kind, base, span)
  if kind == 'w' then
    window_buckets(base, span)
    return num(base .. ':s')
  elseif kind == 'c' then
    redis.call('ZREMRANGEBYSCORE', base, '-inf', int(now))
    return redis.call('ZCARD', base)
  end
  while true do
    local expired = redis.call('ZRANGEBYSCORE', base .. ':z', '-inf', int(now), 'LIMIT', 0, 500)
    if #expired == 0 then break end
    redis.call('DECRBY', base .. ':r', int(drop(base .. ':h', base .. ':z', expired)))
  end
  return num(base .. ':s') + num(base .. ':r')
end
local function first_score(zkey)
  local first = redis.call('ZRANGE', zkey, 0, 0, 'WITHSCORES')
  if #first == 0 then return nil end
  return tonumber(first[2])
end
local function reset(kind, base, span)
  if kind == 'w' then
    local buckets = window_buckets(base, span)
    if #buckets == 0 then return 0 end
    return math.max(0, (buckets[1][1] + 1) * bucket_ms(span) + span - now)
  elseif kind == 'l' and span > 0 then
    return math.max(0, span - now)
  end
  return 0
end
local function retry(kind, base, limit, cost, span, used)
  if cost > limit then return -1 end
  if kind == 'w' then
    local excess = used + cost - limit
    for _, entry in ipairs(window_buckets(base, span)) do
      excess = excess - entry[2]
      if excess <= 0 then return math.max(1, (entry[1] + 1) * bucket_ms(span) + span - now) end
    end
    return -1
  elseif kind == 'c' then
    local earliest = first_score(base)
    if earliest == nil then return -1 end
    return math.max(1, earliest - now)
  end
  if num(base .. ':s') + cost <= limit then
    local earliest = first_score(base .. ':z')
    if earliest == nil then return 1000 end
    return math.max(1, math.min(earliest - now, 1000))
  end
  if span == 0 then return -1 end
  return math.max(1, span - now)
end

local result = {1, 0, 0}
for i = 1, n do
  local o = 3 + (i - 1) * 4
  local kind, limit, cost, span = ARGV[o + 1], tonumber(ARGV[o + 2]), tonumber(ARGV[o + 3]), tonumber(ARGV[o + 4])
  local used = expire(kind, KEYS[i], span)
  if used + cost > limit then
    result[1] = 0
    result[2] = i - 1
    result[3] = retry(kind, KEYS[i], limit, cost, span, used)
    result[#result + 1] = used
    result[#result + 1] = reset(kind, KEYS[i], span)
    return result
  end
end
for i = 1, n do
  local o = 3 + (i - 1) * 4
  local base = KEYS[i]
  local kind, cost, span = ARGV[o + 1], tonumber(ARGV[o + 3]), tonumber(ARGV[o + 4])
  local used
  if kind == 'w' then
    redis.call('HINCRBY', base .. ':h', int(math.floor(now / bucket_ms(span))), int(cost))
    used = redis.call('INCRBY', base .. ':s', int(cost))
    for _, suffix in ipairs({':h', ':s'}) do redis.call('PEXPIRE', base .. suffix, int(span + bucket_ms(span) + 1000)) end
  elseif kind == 'c' then
    redis.call('ZADD', base, int(now + lease), id)
    redis.call('PEXPIRE', base, lease + 1000)
    used = redis.call('ZCARD', base)
  else
    redis.call('ZADD', base .. ':z', int(now + lease), id)
    redis.call('HSET', base .. ':h', id, int(cost))
    local reserved = redis.call('INCRBY', base .. ':r', int(cost))
    for _, suffix in ipairs({':z', ':h', ':r'}) do redis.call('PEXPIRE', base .. suffix, lease + 1000) end
    if span > 0 then redis.call('PEXPIREAT', base .. ':s', int(span + 86400000)) end
    used = num(base .. ':s') + reserved
  end
  result[#result + 1] = used
  result[#result + 1] = reset(kind, base, span)
end
return result
`;

/**
 * ARGV: now, request id, admitted at, mode, then per counter kind, actual, span, reserved.
 * Modes: `s` settles a reservation taken in Redis; `l` adds what a request admitted by an
 * instance's local fallback really cost (the shared counters never saw it); `c` releases what an
 * admission that timed out on the client may still have taken in Redis, and charges nothing.
 * `s` and `l` are applied once per request and counter (`:d`, id → when, kept an hour), so a
 * settlement retried after a client-side timeout that Redis did run is not counted twice.
 */
export const SETTLE_SCRIPT = `${SHARED}
local id = ARGV[2]
local admitted_at = tonumber(ARGV[3])
local mode = ARGV[4]
local result = {}
for i = 1, #KEYS do
  local o = 4 + (i - 1) * 4
  local base = KEYS[i]
  local kind, actual, span, reserved = ARGV[o + 1], tonumber(ARGV[o + 2]), tonumber(ARGV[o + 3]), tonumber(ARGV[o + 4])
  local before, after = 0, 0
  local fresh = true
  if mode ~= 'c' and kind ~= 'c' then
    local done = base .. ':d'
    redis.call('ZREMRANGEBYSCORE', done, '-inf', int(now - 3600000))
    fresh = redis.call('ZADD', done, 'NX', int(now), id) == 1
    redis.call('PEXPIRE', done, 3600000)
  end
  if kind == 'w' then
    local bucket = math.floor(admitted_at / bucket_ms(span))
    local field = int(bucket)
    if fresh and mode == 'l' then
      -- Only while the bucket still lies in the window: an older one no longer counts anywhere.
      if (bucket + 1) * bucket_ms(span) > now - span and actual > 0 then
        redis.call('HINCRBY', base .. ':h', field, int(actual))
        redis.call('INCRBY', base .. ':s', int(actual))
        for _, suffix in ipairs({':h', ':s'}) do redis.call('PEXPIRE', base .. suffix, int(span + bucket_ms(span) + 1000)) end
      end
    elseif fresh and mode == 's' then
      local current = redis.call('HGET', base .. ':h', field)
      if current and actual ~= reserved then
        local corrected = math.max(0, tonumber(current) + actual - reserved)
        redis.call('HSET', base .. ':h', field, int(corrected))
        redis.call('INCRBY', base .. ':s', int(corrected - tonumber(current)))
      end
    end
  elseif kind == 'c' then
    redis.call('ZREM', base, id)
  else
    local old = redis.call('HGET', base .. ':h', id)
    if old then
      redis.call('HDEL', base .. ':h', id)
      redis.call('ZREM', base .. ':z', id)
      redis.call('DECRBY', base .. ':r', int(tonumber(old)))
    end
    before = num(base .. ':s')
    after = before
    if fresh and mode ~= 'c' then
      after = redis.call('INCRBY', base .. ':s', int(actual))
      if span > 0 then redis.call('PEXPIREAT', base .. ':s', int(span + 86400000)) end
    end
  end
  result[#result + 1] = before
  result[#result + 1] = after
end
return result
`;

/** Registers this instance as live and returns how many instances were live in the last KEYS window (ARGV: now, id, window ms). */
export const HEARTBEAT_SCRIPT = `
local now = tonumber(ARGV[1])
redis.call('ZADD', KEYS[1], now, ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[3]))
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]) * 2)
return redis.call('ZCARD', KEYS[1])
`;
