-- mcp-ratelimit: every entry of one decision, checked and applied atomically (all or nothing).
-- Time is microseconds: Redis TIME, or the engine's clock when the store is built with one. All
-- numbers stay below 2^53, where Lua doubles are exact.
--
-- ARGV[1] = op: "acquire" | "refund" | "release"
-- ARGV[2] = n (entries); KEYS[i] is entry i's key
-- ARGV[3] = deadline, Redis TIME us (0 = none): after it the script applies nothing, because the
--           client has already given up on the reply and reported the call as not granted
-- ARGV[4] = now us from the engine's clock (0 = use Redis TIME)
-- per entry, 8 ARGV slots from 5 + (i-1)*8:
--   type (tb | sw | sx | cw | cc), cost, p1, p2, p3, maxWaitUs, member (cc), acquiredAtUs (refund)
-- tb: p1 = interval us per token, p2 = burst us (capacity * interval), p3 = capacity
-- sw: p1 = window us, p2 = limit (two-counter estimate)
-- sx: p1 = window us, p2 = limit (exact log: a list of at most `limit` grant times, oldest first)
-- cw: p1 = limit, p2 = window start us (0 = compute from p3 and unit), p3 = window end us, or the
--     unit us when p2 is 0; maxWait slot carries the zone offset us when computing
-- cc: p1 = max in flight, p2 = lease us
-- returns: { 1, redis_time_us, now_us, then per entry: granted, remaining, retry_us (-1 never),
--            reset_us (-1 none), wait_us }, or { 0, redis_time_us, now_us } when past the deadline

redis.replicate_commands()
local t = redis.call('TIME')
local rnow = tonumber(t[1]) * 1000000 + tonumber(t[2])
local op = ARGV[1]
local n = tonumber(ARGV[2])
local deadline = tonumber(ARGV[3])
local now = tonumber(ARGV[4])
if now == 0 then now = rnow end
if deadline > 0 and rnow > deadline then
  return { 0, rnow, now }
end

local function arg(i, k) return ARGV[5 + (i - 1) * 8 + k] end
local function num(i, k) return tonumber(arg(i, k)) end
local function fmt(x) return string.format('%.0f', x) end

local function cw_bounds(i, at)
  local start = num(i, 3)
  if start ~= 0 then return start, num(i, 4) end
  local unit = num(i, 4)
  local off = num(i, 5)
  local s = math.floor((at + off) / unit) * unit - off
  return s, s + unit
end

local function sw_state(key)
  local v = redis.call('HMGET', key, 'i', 'p', 'c')
  return tonumber(v[1]) or -1, tonumber(v[2]) or 0, tonumber(v[3]) or 0
end

local function sw_fits(idx, prev, cur, cost, at, w, limit)
  local ai = math.floor(at / w)
  local p, c, e
  if idx == ai then p, c = prev, cur
  elseif idx == ai - 1 then p, c = cur, 0
  elseif idx > ai then p, c = prev, cur
  else p, c = 0, 0 end
  if idx > ai then e = 0 else e = at - ai * w end
  local room = limit - c - cost
  if room < 0 then return false, 0 end
  return p * (w - e) <= room * w, room - math.ceil(p * (w - e) / w)
end

-- exact log: index (0-based) of the first entry >= `from` (entries are sorted), len when none
local function sx_first_at_or_after(key, len, from)
  local lo, hi = 0, len
  while lo < hi do
    local mid = math.floor((lo + hi) / 2)
    if tonumber(redis.call('LINDEX', key, mid)) < from then lo = mid + 1 else hi = mid end
  end
  return lo
end

if op == 'acquire' then
  local out = { 1, rnow, now }
  local writes = {}
  local all = true
  for i = 1, n do
    local key = KEYS[i]
    local typ = arg(i, 0)
    local cost = num(i, 1)
    local maxWait = num(i, 5)
    local granted, remaining, retry, reset, wait = 0, 0, -1, -1, 0
    if typ == 'tb' then
      local T, burst, cap = num(i, 2), num(i, 3), num(i, 4)
      local tat = tonumber(redis.call('GET', key)) or 0
      local base = math.max(tat, now)
      if cost > cap then
        remaining = math.floor(math.max(0, now + burst - base) / T)
        reset = base
      else
        local newTat = base + cost * T
        local w = newTat - burst - now
        if w <= maxWait then
          granted, remaining, retry, reset, wait = 1, math.floor(math.max(0, now + burst - newTat) / T), 0, newTat, math.max(0, w)
          if cost > 0 then
            writes[#writes + 1] = function()
              redis.call('SET', key, fmt(newTat), 'PX', math.ceil((newTat - now) / 1000) + 1000)
            end
          end
        else
          remaining = math.floor(math.max(0, now + burst - base) / T)
          retry, reset = w, base
        end
      end
    elseif typ == 'sw' then
      local w, limit = num(i, 2), num(i, 3)
      local idx, prev, cur = sw_state(key)
      local ok, rem = sw_fits(idx, prev, cur, cost, now, w, limit)
      local ni = math.floor(now / w)
      if ok then
        local ei = math.max(ni, idx)
        local np, nc
        if idx == ei then np, nc = prev, cur elseif idx == ei - 1 then np, nc = cur, 0 else np, nc = 0, 0 end
        nc = nc + cost
        granted, remaining, retry, reset = 1, math.max(0, rem), 0, (ei + 2) * w
        if cost > 0 then
          writes[#writes + 1] = function()
            redis.call('HSET', key, 'i', fmt(ei), 'p', fmt(np), 'c', fmt(nc))
            redis.call('PEXPIRE', key, math.ceil(((ei + 2) * w - now) / 1000) + 1000)
          end
        end
      else
        remaining = math.max(0, rem)
        if cost <= limit then
          local lo, hi = 0, 2 * w + math.max(0, idx - ni) * w
          while lo < hi do
            local mid = math.floor((lo + hi) / 2)
            if sw_fits(idx, prev, cur, cost, now + mid, w, limit) then hi = mid else lo = mid + 1 end
          end
          retry = lo
        end
        reset = (math.max(ni, idx) + 2) * w
      end
    elseif typ == 'sx' then
      -- a ring of `limit` grant times seen as a list: the missing (limit - len) entries are empty
      -- slots at the front; a cost c fits when the ring's c-th oldest entry has left the window
      local w, limit = num(i, 2), num(i, 3)
      local len = redis.call('LLEN', key)
      local used = len - sx_first_at_or_after(key, len, now - w + 1)
      local newest = len > 0 and tonumber(redis.call('LINDEX', key, -1)) or nil
      if cost <= limit - used then
        local stamp = now
        if newest and newest > now then stamp = newest end -- keep the log sorted when clocks differ
        granted, remaining, retry = 1, limit - used - cost, 0
        if used + cost == 0 then reset = now else reset = (cost > 0 and stamp or newest) + w end
        if cost > 0 then
          writes[#writes + 1] = function()
            local s = fmt(stamp)
            local left = cost
            while left > 0 do
              local k = math.min(left, 1000)
              local batch = {}
              for j = 1, k do batch[j] = s end
              redis.call('RPUSH', key, unpack(batch))
              left = left - k
            end
            redis.call('LTRIM', key, -limit, -1)
            redis.call('PEXPIRE', key, math.ceil((stamp + w - now) / 1000) + 1000)
          end
        end
      else
        remaining = math.max(0, limit - used)
        if cost <= limit then
          retry = tonumber(redis.call('LINDEX', key, cost - 1 - (limit - len))) + w - now
        end
        if newest then reset = newest + w else reset = now end
      end
    elseif typ == 'cw' then
      local limit = num(i, 2)
      local s, e = cw_bounds(i, now)
      local v = redis.call('HMGET', key, 'w', 'c')
      local ws, c = tonumber(v[1]) or -1, tonumber(v[2]) or 0
      local cw = s
      if ws < s then c = 0 elseif ws > s then cw = ws end -- a newer window: the clock moved back
      reset = e
      if c + cost <= limit then
        granted, remaining, retry = 1, limit - c - cost, 0
        if cost > 0 then
          writes[#writes + 1] = function()
            redis.call('HSET', key, 'w', fmt(cw), 'c', fmt(c + cost))
            redis.call('PEXPIRE', key, math.ceil((e - now) / 1000) + 1000)
          end
        end
      else
        remaining = math.max(0, limit - c)
        if cost <= limit then retry = e - now end
      end
    else -- cc
      local max, lease = num(i, 2), num(i, 3)
      redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
      local held = 0
      for _, m in ipairs(redis.call('ZRANGE', key, 0, -1)) do
        held = held + (tonumber(string.match(m, ':(%d+)$')) or 1)
      end
      if held + cost <= max then
        granted, remaining, retry = 1, max - held - cost, 0
        local member = arg(i, 6)
        if cost > 0 then
          writes[#writes + 1] = function()
            redis.call('ZADD', key, now + lease, member)
            redis.call('PEXPIRE', key, math.ceil(lease / 1000) + 1000)
          end
        end
      else
        remaining = math.max(0, max - held)
      end
    end
    if granted == 0 then all = false end
    out[#out + 1] = granted
    out[#out + 1] = remaining
    out[#out + 1] = retry
    out[#out + 1] = reset
    out[#out + 1] = wait
  end
  if all then
    for _, w in ipairs(writes) do w() end
  end
  return out
end

-- refund (everything) or release (concurrency permits only)
for i = 1, n do
  local key = KEYS[i]
  local typ = arg(i, 0)
  local cost = num(i, 1)
  local at = num(i, 7)
  if typ == 'cc' then
    redis.call('ZREM', key, arg(i, 6))
  elseif op == 'refund' and cost > 0 then
    if typ == 'tb' then
      local T = num(i, 2)
      local tat = tonumber(redis.call('GET', key))
      -- give back only the part of the grant not yet refilled: what is left of at + cost*T,
      -- where `at` is the grant's place in the bucket's timeline (its new TAT less its cost), so
      -- a late refund never adds tokens beyond the burst and an early one gives back all
      local dec = math.min(cost * T, math.max(0, at + cost * T - now))
      if tat and tat > now and dec > 0 then
        local nt = math.max(tat - dec, now)
        redis.call('SET', key, fmt(nt), 'PX', math.ceil((nt - now) / 1000) + 1000)
      end
    elseif typ == 'sw' then
      local w = num(i, 2)
      local idx, prev, cur = sw_state(key)
      local ti = math.floor(at / w)
      if idx == ti then redis.call('HSET', key, 'c', fmt(math.max(0, cur - cost)))
      elseif idx == ti + 1 then redis.call('HSET', key, 'p', fmt(math.max(0, prev - cost))) end
    elseif typ == 'sx' then
      -- drop the oldest `cost` entries stamped at or after the grant's time: exactly the grant's
      -- when nothing interleaved, otherwise entries no later than the grant's
      local w = num(i, 2)
      if now - at < w then
        local len = redis.call('LLEN', key)
        local from = sx_first_at_or_after(key, len, at)
        if from < len then
          local vals = redis.call('LRANGE', key, from, from + cost - 1)
          local counts, order = {}, {}
          for _, v in ipairs(vals) do
            if not counts[v] then counts[v] = 0; order[#order + 1] = v end
            counts[v] = counts[v] + 1
          end
          for _, v in ipairs(order) do redis.call('LREM', key, counts[v], v) end
        end
      end
    elseif typ == 'cw' then
      local s = cw_bounds(i, at)
      local v = redis.call('HMGET', key, 'w', 'c')
      if tonumber(v[1]) == s then
        redis.call('HSET', key, 'c', fmt(math.max(0, (tonumber(v[2]) or 0) - cost)))
      end
    end
  end
end
return { 1, rnow, now }
