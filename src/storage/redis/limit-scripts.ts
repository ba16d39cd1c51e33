/**
 * Lua run inside Redis so every admission and settlement is one atomic step across instances.
 * KEYS[i] is one counter's base key (with a `{hash tag}`); derived keys append a suffix.
 * Kinds: w = sliding window log (`:z` time-ordered ids, `:h` id → cost, `:s` sum),
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
`;

export const ADMIT_SCRIPT = `${SHARED}
local lease = tonumber(ARGV[2])
local id = ARGV[3]
local n = #KEYS
local function expire(kind, base, span)
  if kind == 'w' then
    while true do
      local expired = redis.call('ZRANGEBYSCORE', base .. ':z', '-inf', int(now - span), 'LIMIT', 0, 500)
      if #expired == 0 then break end
      redis.call('DECRBY', base .. ':s', int(drop(base .. ':h', base .. ':z', expired)))
    end
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
    local oldest = first_score(base .. ':z')
    if oldest == nil then return 0 end
    return math.max(0, oldest + span - now)
  elseif kind == 'l' and span > 0 then
    return math.max(0, span - now)
  end
  return 0
end
local function retry(kind, base, limit, cost, span, used)
  if cost > limit then return -1 end
  if kind == 'w' then
    local excess = used + cost - limit
    local offset = 0
    while true do
      local page = redis.call('ZRANGE', base .. ':z', offset, offset + 499, 'WITHSCORES')
      if #page == 0 then return -1 end
      local members = {}
      for j = 1, #page, 2 do members[#members + 1] = page[j] end
      local costs = redis.call('HMGET', base .. ':h', unpack(members))
      for j = 1, #members do
        excess = excess - (tonumber(costs[j]) or 0)
        if excess <= 0 then return math.max(1, tonumber(page[j * 2]) + span - now) end
      end
      offset = offset + 500
    end
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
    redis.call('ZADD', base .. ':z', int(now), id)
    redis.call('HSET', base .. ':h', id, int(cost))
    used = redis.call('INCRBY', base .. ':s', int(cost))
    for _, suffix in ipairs({':z', ':h', ':s'}) do redis.call('PEXPIRE', base .. suffix, span + 1000) end
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

export const SETTLE_SCRIPT = `${SHARED}
local id = ARGV[2]
local result = {}
for i = 1, #KEYS do
  local o = 2 + (i - 1) * 3
  local base = KEYS[i]
  local kind, actual, span = ARGV[o + 1], tonumber(ARGV[o + 2]), tonumber(ARGV[o + 3])
  local before, after = 0, 0
  if kind == 'w' then
    local old = redis.call('HGET', base .. ':h', id)
    if old then
      redis.call('HSET', base .. ':h', id, int(actual))
      redis.call('INCRBY', base .. ':s', int(actual - tonumber(old)))
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
    after = redis.call('INCRBY', base .. ':s', int(actual))
    if span > 0 then redis.call('PEXPIREAT', base .. ':s', int(span + 86400000)) end
  end
  result[#result + 1] = before
  result[#result + 1] = after
end
return result
`;
