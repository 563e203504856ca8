/**
 * The two Lua scripts of the Redis history store. Each runs atomically in
 * Redis, so an append (offset, entry, trims, expiries) and a read (trims,
 * then the verdict and the entries) never see half of another one, however
 * many servers share the store. Internal.
 *
 * Keys of a topic: KEYS[1] is its meta hash (`epoch`, `top`: the offset of
 * the latest publication, `trimmed`: the highest offset dropped to keep
 * `size`, `time`: the time stored with the latest entry) and KEYS[2] its
 * stream, one entry per publication with the id `<offset>-0` and the
 * fields `t` (Redis's clock when it was appended, in ms) and `d` (the
 * payload as history_redis.ts encodes it).
 *
 * Invariant the scripts keep: the stream holds offsets first..top without
 * a hole (entries only leave from the head: by count, by age, or all at
 * once when the key expires), and `t` never decreases along it.
 *
 * @module
 */

/** Shared by both scripts: reading the meta, trimming by count and by age. */
const PRELUDE = `
local meta, log = KEYS[1], KEYS[2]

local function offset_of(id)
  return tonumber(string.match(id, '^(%d+)'))
end

local function field_of(entry, name)
  local fields = entry[2]
  for i = 1, #fields, 2 do
    if fields[i] == name then return fields[i + 1] end
  end
  return nil
end

local function time_of(entry)
  return tonumber(field_of(entry, 't')) or 0
end

local function id_of(offset)
  return string.format('%d-0', offset)
end

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- The topic's epoch, top, trimmed and last time. A missing meta is a new
-- history in a new epoch: a topic never used, or one whose meta Redis no
-- longer has (expired after meta_ttl, evicted, a restart without
-- persistence). A stream left without its meta belongs to the lost epoch.
local function load(new_epoch, meta_ttl)
  local m = redis.call('HMGET', meta, 'epoch', 'top', 'trimmed', 'time')
  if m[1] then
    return m[1], tonumber(m[2]) or 0, tonumber(m[3]) or 0, tonumber(m[4]) or 0
  end
  redis.call('DEL', log)
  redis.call('HSET', meta, 'epoch', new_epoch, 'top', 0, 'trimmed', 0, 'time', 0)
  redis.call('PEXPIRE', meta, meta_ttl)
  return new_epoch, 0, 0, 0
end

-- Keeps at most size entries, none with t <= now - ttl (ttl 0: no age
-- limit), as MemoryHistory does: count first, then age. Returns trimmed.
local function trim(top, trimmed, size, ttl, now)
  local len = redis.call('XLEN', log)
  if len > size then
    redis.call('XTRIM', log, 'MAXLEN', '=', size)
    -- The entries were top-len+1..top: the dropped ones end at top-size.
    trimmed = top - size
    redis.call('HSET', meta, 'trimmed', trimmed)
    len = size
  end
  if ttl <= 0 or len == 0 then return trimmed end
  local oldest = now - ttl
  local first = redis.call('XRANGE', log, '-', '+', 'COUNT', 1)[1]
  if time_of(first) > oldest then return trimmed end
  -- The expired entries are a prefix (t never decreases): find the first
  -- young offset by bisection, O(log n) lookups whatever the stream's
  -- length, where a scan from the head would read every expired entry.
  -- lo: the first offset that may be young; hi: top + 1 means none is.
  local lo, hi = offset_of(first[1]) + 1, top + 1
  while lo < hi do
    local mid = math.floor((lo + hi) / 2)
    local entry = redis.call('XRANGE', log, id_of(mid), '+', 'COUNT', 1)[1]
    if (not entry) or time_of(entry) > oldest then hi = mid else lo = mid + 1 end
  end
  if lo > top then
    redis.call('DEL', log)
  else
    redis.call('XTRIM', log, 'MINID', '=', id_of(lo))
  end
  return trimmed
end
`;

/**
 * Append. ARGV: payload, size, ttl, meta_ttl, log_ttl, new_epoch.
 * Returns `{epoch, offset}`.
 *
 * The entry's time is Redis's clock, the same for every server sharing the
 * store (their own clocks may disagree), but never less than the previous
 * entry's: a clock stepped back must not put young entries behind old ones.
 */
export const APPEND_LUA = `${PRELUDE}
local size, ttl, meta_ttl, log_ttl = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local epoch, top, trimmed, last = load(ARGV[6], meta_ttl)
local now = now_ms()
if now < last then now = last end
top = top + 1
redis.call('XADD', log, id_of(top), 't', now, 'd', ARGV[1])
redis.call('HSET', meta, 'top', top, 'time', now)
trim(top, trimmed, size, ttl, now)
redis.call('PEXPIRE', log, log_ttl)
redis.call('PEXPIRE', meta, meta_ttl)
return {epoch, top}
`;

/**
 * Read. ARGV: mode ("last" or "after"), n (how many last ones, or the
 * offset to read after: -1 for one that is not a valid offset), limit,
 * the position's epoch ("" for "last"), size, ttl, meta_ttl, new_epoch.
 *
 * Returns `{1, epoch, top, offset, payload, offset, payload, ...}` or
 * `{0, epoch, top, reason}`, with MemoryHistory.read's verdicts in its
 * order: the epoch first, then the position, then what is left.
 *
 * A read writes: it trims first (an expired entry is never returned), and
 * creates the meta of a topic that has none, so that the epoch it answers
 * with is the one a later read and append use.
 */
export const READ_LUA = `${PRELUDE}
local mode, n, limit, asked_epoch = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
local size, ttl, meta_ttl = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
local epoch, top, trimmed = load(ARGV[8], meta_ttl)
trimmed = trim(top, trimmed, size, ttl, now_ms())

local function answer(entries, reverse)
  local out = {1, epoch, top}
  local from, to, step = 1, #entries, 1
  if reverse then from, to, step = #entries, 1, -1 end
  for i = from, to, step do
    out[#out + 1] = offset_of(entries[i][1])
    out[#out + 1] = field_of(entries[i], 'd') or ''
  end
  return out
end

if mode == 'last' then
  local count = math.min(n, limit, redis.call('XLEN', log))
  if count <= 0 then return answer({}) end
  return answer(redis.call('XREVRANGE', log, '+', '-', 'COUNT', count), true)
end
if asked_epoch ~= epoch then return {0, epoch, top, 'epoch changed'} end
if n < 0 or n > top then return {0, epoch, top, 'unknown position'} end
if n == top then return answer({}) end
local first = redis.call('XRANGE', log, '-', '+', 'COUNT', 1)[1]
if (not first) or offset_of(first[1]) > n + 1 then
  if trimmed > n then return {0, epoch, top, 'trimmed'} end
  return {0, epoch, top, 'expired'}
end
if limit <= 0 then return answer({}) end
return answer(redis.call('XRANGE', log, id_of(n + 1), '+', 'COUNT', limit))
`;
