/**
 * The Lua scripts of the Redis store: every state change is one script, so it is atomic on the server and two
 * workers — in any process, on any host — can never claim the same recipient.
 *
 * The message record is a hash (`Keys.ts`): `env` (envelope JSON), `sender`, `trace`, `tp` (the W3C `traceparent` of
 * the span that accepted it; absent when it arrived untraced or was queued by an older version), `size`, `arr` (arrival),
 * `held`, `n` (recipient count), `fin` (finish time, when kept), and per recipient `i`: `s:i` state, `a:i`
 * attempts, `t:i` next attempt, `r:i` last reply (JSON), `l:i` lease token, `x:i` lease expiry, `d:i` domain;
 * per domain group `g:<domain>` the comma-separated recipient indexes.
 *
 * Safety: scripts never parse or build JSON, and every value (addresses, domains, replies) arrives as an ARGV
 * string that is only stored, compared or concatenated into a key or member name as data — never evaluated.
 * Time always comes from the caller (Effect's `Clock`), never from Redis `TIME`.
 *
 * @since 0.1.0
 */

const prelude = `
local function setstate(m, stats, i, new)
  local old = redis.call('HGET', m, 's:' .. i)
  if old == new then return end
  if old then redis.call('HINCRBY', stats, old, -1) end
  redis.call('HSET', m, 's:' .. i, new)
  redis.call('HINCRBY', stats, new, 1)
end
local function iswaiting(s) return s == 'pending' or s == 'deferred' end
local function isfinal(s) return s == 'delivered' or s == 'failed' end
local function groupof(m, dom)
  local out = {}
  local list = redis.call('HGET', m, 'g:' .. dom)
  if list then for i in string.gmatch(list, '[^,]+') do out[#out + 1] = tonumber(i) end end
  return out
end
local function reindex(m, due, id, dom)
  local best = nil
  for _, i in ipairs(groupof(m, dom)) do
    if iswaiting(redis.call('HGET', m, 's:' .. i)) then
      local t = tonumber(redis.call('HGET', m, 't:' .. i))
      if best == nil or t < best then best = t end
    end
  end
  if best == nil then redis.call('ZREM', due, id .. ':' .. dom)
  else redis.call('ZADD', due, best, id .. ':' .. dom) end
end
local function domains(m)
  local n = tonumber(redis.call('HGET', m, 'n'))
  local seen, out = {}, {}
  for i = 0, n - 1 do
    local d = redis.call('HGET', m, 'd:' .. i)
    if not seen[d] then seen[d] = true; out[#out + 1] = d end
  end
  return out
end
local function expire(base, leases, due, stats, now)
  local members = redis.call('ZRANGEBYSCORE', leases, '-inf', now, 'LIMIT', 0, 500)
  local count = 0
  for _, member in ipairs(members) do
    local sep = string.find(member, ':', 1, true)
    local id = string.sub(member, 1, sep - 1)
    local token = string.sub(member, sep + 1)
    local m = base .. 'm:' .. id
    if redis.call('EXISTS', m) == 1 then
      local held = redis.call('HGET', m, 'held') == '1'
      local n = tonumber(redis.call('HGET', m, 'n'))
      local touched = {}
      for i = 0, n - 1 do
        if redis.call('HGET', m, 's:' .. i) == 'inflight' and redis.call('HGET', m, 'l:' .. i) == token then
          setstate(m, stats, i, held and 'held' or 'pending')
          redis.call('HSET', m, 't:' .. i, now)
          redis.call('HDEL', m, 'x:' .. i)
          touched[redis.call('HGET', m, 'd:' .. i)] = true
          count = count + 1
        end
      end
      for dom, _ in pairs(touched) do reindex(m, due, id, dom) end
    end
    redis.call('ZREM', leases, member)
  end
  return count
end
local function remove(base, due, leases, msgs, done, stats, id)
  local m = base .. 'm:' .. id
  local n = tonumber(redis.call('HGET', m, 'n'))
  for i = 0, n - 1 do
    redis.call('HINCRBY', stats, redis.call('HGET', m, 's:' .. i), -1)
    local l = redis.call('HGET', m, 'l:' .. i)
    if l then redis.call('ZREM', leases, id .. ':' .. l) end
  end
  for _, d in ipairs(domains(m)) do redis.call('ZREM', due, id .. ':' .. d) end
  redis.call('HINCRBY', stats, 'messages', -1)
  redis.call('DEL', m, base .. 'b:' .. id)
  redis.call('ZREM', msgs, id)
  redis.call('ZREM', done, id)
end
local function purge(base, due, leases, msgs, done, stats, cutoff)
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', done, '-inf', cutoff, 'LIMIT', 0, 200)) do
    remove(base, due, leases, msgs, done, stats, id)
  end
end
`

/** KEYS: due, leases, msgs, done, stats — the shard indexes every script receives first. */
export const shardKeyCount = 5

/**
 * enqueue. KEYS: shard keys, message, body, staging.
 * ARGV: base, id, now, env, sender, trace, size, mode (inline|staged), body, channel, n, traceparent, domain × n.
 *
 * The hot path of the server (one call per accepted message), so it is kept lean: no prelude (it uses none of its
 * functions), the whole record in one HSET and every due group in one ZADD — 8 Redis calls whatever the
 * recipient count, instead of 3 + n + 2 × domains. Values are passed to HSET/ZADD in slices of at most 4 000, below
 * Lua's `unpack` stack limit, so any recipient count works.
 */
export const enqueue = `
local m, body, staging = KEYS[6], KEYS[7], KEYS[8]
if redis.call('EXISTS', m) == 1 then return redis.error_reply('duplicate message id') end
local staged = ARGV[8] == 'staged'
if staged and redis.call('EXISTS', staging) == 0 then return redis.error_reply('staged body missing') end
local id, now, n = ARGV[2], ARGV[3], tonumber(ARGV[11])
local f = { 'env', ARGV[4], 'sender', ARGV[5], 'trace', ARGV[6], 'size', ARGV[7], 'arr', now, 'held', '0', 'n', n }
local k = #f
if ARGV[12] ~= '' then f[k + 1], f[k + 2] = 'tp', ARGV[12]; k = k + 2 end
local groups, order = {}, {}
for i = 0, n - 1 do
  local dom = ARGV[13 + i]
  f[k + 1], f[k + 2], f[k + 3], f[k + 4] = 's:' .. i, 'pending', 'a:' .. i, 0
  f[k + 5], f[k + 6], f[k + 7], f[k + 8] = 't:' .. i, now, 'd:' .. i, dom
  k = k + 8
  if groups[dom] then groups[dom] = groups[dom] .. ',' .. i else groups[dom] = tostring(i); order[#order + 1] = dom end
end
local due = {}
for _, dom in ipairs(order) do
  f[k + 1], f[k + 2] = 'g:' .. dom, groups[dom]
  k = k + 2
  due[#due + 1] = now
  due[#due + 1] = id .. ':' .. dom
end
for i = 1, k, 4000 do redis.call('HSET', m, unpack(f, i, math.min(i + 3999, k))) end
for i = 1, #due, 4000 do redis.call('ZADD', KEYS[1], unpack(due, i, math.min(i + 3999, #due))) end
if staged then
  redis.call('RENAME', staging, body)
  redis.call('PERSIST', body)
else
  redis.call('SET', body, ARGV[9])
end
redis.call('ZADD', KEYS[3], now, id)
redis.call('HINCRBY', KEYS[5], 'pending', n)
redis.call('HINCRBY', KEYS[5], 'messages', 1)
redis.call('PUBLISH', ARGV[10], 'e' .. redis.call('HINCRBY', KEYS[5], 'events', 1))
return 1
`

/**
 * claim. KEYS: shard keys. ARGV: base, now, expires, limit, hasDomain (0|1), domain, scan, purge cutoff, inline
 * (bytes), tokens. Returns { earliest due score or false, earliest lease expiry or false, claims, events }: the two
 * times (after this claim) tell the caller when the shard next has work without asking again, and `events` (the
 * shard's count of notifications so far; each notification carries its number, `e<n>`) which notifications came
 * after this claim. One entry per claim: id,
 * domain, token, env, arr, trace, size, "index,attempts;…", the body when it is at most `inline` bytes long (else
 * `false`): the worker reads it next anyway, and this saves it a round trip per message; the message's stored
 * last replies as { index, reply, … } (none on a first attempt); and its `tp` (traceparent) or `false`, so that the caller can check that the whole record
 * reads before handing the claim out (a record that does not is quarantined: `admin` op `quarantine`).
 */
export const claim = `${prelude}
local base, now, expires, limit = ARGV[1], tonumber(ARGV[2]), ARGV[3], tonumber(ARGV[4])
expire(base, KEYS[2], KEYS[1], KEYS[5], ARGV[2])
purge(base, KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], ARGV[8])
local out = {}
local claimed = 0
for _, member in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[2], 'LIMIT', 0, tonumber(ARGV[7]))) do
  if claimed >= limit then break end
  local sep = string.find(member, ':', 1, true)
  local id = string.sub(member, 1, sep - 1)
  local dom = string.sub(member, sep + 1)
  if ARGV[5] == '0' or ARGV[6] == dom then
    local m = base .. 'm:' .. id
    if redis.call('EXISTS', m) == 0 then
      redis.call('ZREM', KEYS[1], member)
    else
      local token = ARGV[10 + claimed]
      local taken = {}
      for _, i in ipairs(groupof(m, dom)) do
        if iswaiting(redis.call('HGET', m, 's:' .. i)) and tonumber(redis.call('HGET', m, 't:' .. i)) <= now then
          setstate(m, KEYS[5], i, 'inflight')
          redis.call('HSET', m, 'l:' .. i, token, 'x:' .. i, expires)
          taken[#taken + 1] = i .. ',' .. redis.call('HGET', m, 'a:' .. i)
        end
      end
      reindex(m, KEYS[1], id, dom)
      if #taken > 0 then
        redis.call('ZADD', KEYS[2], expires, id .. ':' .. token)
        local f = redis.call('HMGET', m, 'env', 'arr', 'trace', 'size', 'tp')
        local body = false
        local size = tonumber(f[4])
        if size ~= nil and size <= tonumber(ARGV[9]) then body = redis.call('GET', base .. 'b:' .. id) end
        local replies = {}
        for i = 0, tonumber(redis.call('HGET', m, 'n')) - 1 do
          local r = redis.call('HGET', m, 'r:' .. i)
          if r then replies[#replies + 1] = tostring(i); replies[#replies + 1] = r end
        end
        out[#out + 1] = { id, dom, token, f[1], f[2], f[3], f[4], table.concat(taken, ';'), body, replies, f[5] }
        claimed = claimed + 1
      end
    end
  end
end
local nextdue = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2] or false
local nextlease = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')[2] or false
return { nextdue, nextlease, out, redis.call('HGET', KEYS[5], 'events') or '0' }
`

/** renew. KEYS: leases, message. ARGV: id, token, expires, now. Returns how many recipients were extended. */
export const renew = `
local m = KEYS[2]
if redis.call('EXISTS', m) == 0 then return 0 end
local n = tonumber(redis.call('HGET', m, 'n'))
local now = tonumber(ARGV[4])
local count = 0
for i = 0, n - 1 do
  if redis.call('HGET', m, 's:' .. i) == 'inflight' and redis.call('HGET', m, 'l:' .. i) == ARGV[2]
    and tonumber(redis.call('HGET', m, 'x:' .. i)) > now then
    redis.call('HSET', m, 'x:' .. i, ARGV[3])
    count = count + 1
  end
end
if count > 0 then redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1] .. ':' .. ARGV[2]) end
return count
`

/**
 * complete. KEYS: shard keys, message. ARGV: base, id, domain, token, now, retain, channel, k, then k × (index,
 * state, retryAt, reply). Returns {-1} when the message is gone, else {1, applied, stale, finished}.
 */
export const complete = `${prelude}
local m = KEYS[6]
if redis.call('EXISTS', m) == 0 then return { -1 } end
local base, id, dom, token, now = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local held = redis.call('HGET', m, 'held') == '1'
local n = tonumber(redis.call('HGET', m, 'n'))
local applied, stale = {}, {}
local deferred = false
for j = 0, tonumber(ARGV[8]) - 1 do
  local idx = tonumber(ARGV[9 + j * 4])
  local state = ARGV[10 + j * 4]
  local s = false
  if idx ~= nil and idx >= 0 and idx < n then s = redis.call('HGET', m, 's:' .. idx) end
  if s and not isfinal(s) and redis.call('HGET', m, 'l:' .. idx) == token and redis.call('HGET', m, 'd:' .. idx) == dom then
    redis.call('HINCRBY', m, 'a:' .. idx, 1)
    redis.call('HSET', m, 'r:' .. idx, ARGV[12 + j * 4])
    redis.call('HDEL', m, 'l:' .. idx, 'x:' .. idx)
    if state == 'deferred' then
      setstate(m, KEYS[5], idx, held and 'held' or 'deferred')
      redis.call('HSET', m, 't:' .. idx, ARGV[11 + j * 4])
      deferred = true
    else
      setstate(m, KEYS[5], idx, state)
    end
    applied[#applied + 1] = idx
  else
    stale[#stale + 1] = ARGV[9 + j * 4]
  end
end
local still, finished = false, true
for i = 0, n - 1 do
  local s = redis.call('HGET', m, 's:' .. i)
  if s == 'inflight' and redis.call('HGET', m, 'l:' .. i) == token then still = true end
  if not isfinal(s) then finished = false end
end
if not still then redis.call('ZREM', KEYS[2], id .. ':' .. token) end
reindex(m, KEYS[1], id, dom)
if finished then
  if tonumber(ARGV[6]) <= 0 then
    remove(base, KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], id)
  elseif not redis.call('HGET', m, 'fin') then
    redis.call('HSET', m, 'fin', now)
    redis.call('ZADD', KEYS[4], now, id)
  end
end
if deferred then redis.call('PUBLISH', ARGV[7], 'e' .. redis.call('HINCRBY', KEYS[5], 'events', 1)) end
return { 1, table.concat(applied, ','), table.concat(stale, ','), finished and 1 or 0 }
`

/** expireLeases. KEYS: shard keys. ARGV: base, now, purge cutoff. Returns how many recipients were freed. */
export const expire = `${prelude}
local c = expire(ARGV[1], KEYS[2], KEYS[1], KEYS[5], ARGV[2])
purge(ARGV[1], KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], ARGV[3])
return c
`

/**
 * Operator actions, and quarantine. KEYS: shard keys, message. ARGV: base, id, op
 * (hold|release|retry|delete|quarantine), now, channel, token (quarantine only). Returns -1 when the message does
 * not exist, else how many recipients changed.
 *
 * `quarantine` is what a claim does with a record that cannot be read whole: it holds the message like `hold`, and
 * also takes back the recipients it had just claimed under `token` (held, lease dropped), so that nothing of the
 * message is handed out or becomes due again until an operator releases it.
 */
export const admin = `${prelude}
local m = KEYS[6]
if redis.call('EXISTS', m) == 0 then return -1 end
local id, op, now = ARGV[2], ARGV[3], ARGV[4]
if op == 'delete' then
  remove(ARGV[1], KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], id)
  return 0
end
local holding = op == 'hold' or op == 'quarantine'
if holding then redis.call('HSET', m, 'held', '1') elseif op == 'release' then redis.call('HSET', m, 'held', '0') end
local n = tonumber(redis.call('HGET', m, 'n'))
local count = 0
for i = 0, n - 1 do
  local s = redis.call('HGET', m, 's:' .. i)
  if holding and iswaiting(s) then
    setstate(m, KEYS[5], i, 'held')
    count = count + 1
  elseif op == 'quarantine' and s == 'inflight' and redis.call('HGET', m, 'l:' .. i) == ARGV[6] then
    setstate(m, KEYS[5], i, 'held')
    redis.call('HDEL', m, 'l:' .. i, 'x:' .. i)
    count = count + 1
  elseif op == 'release' and s == 'held' then
    if tonumber(redis.call('HGET', m, 'a:' .. i)) > 0 then setstate(m, KEYS[5], i, 'deferred') else setstate(m, KEYS[5], i, 'pending') end
    count = count + 1
  elseif op == 'retry' and iswaiting(s) then
    redis.call('HSET', m, 't:' .. i, now)
    count = count + 1
  end
end
if op == 'quarantine' then redis.call('ZREM', KEYS[2], id .. ':' .. ARGV[6]) end
for _, d in ipairs(domains(m)) do reindex(m, KEYS[1], id, d) end
if count > 0 and not holding then redis.call('PUBLISH', ARGV[5], 'e' .. redis.call('HINCRBY', KEYS[5], 'events', 1)) end
return count
`
