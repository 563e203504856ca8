/**
 * The two Lua scripts of the Redis history store. Each runs atomically in
 * Redis, so an append (offset, entry, trims, expiries) and a read (trims,
 * then the verdict and the entries) never see half of another one, however
 * many servers share the store. Internal.
 *
 * Keys of a topic: KEYS[1] is its meta hash and KEYS[2] its stream.
 * - meta: `epoch`; `top`, the offset of the latest publication; `first`,
 *   the first offset still in the history (the ones below were dropped,
 *   even if the stream still holds some of them: see `trim`); `trimmed`,
 *   the highest offset dropped to keep `size` (what tells "trimmed" from
 *   "expired"); `time`, the time stored with the latest entry; `mexp` and
 *   `lexp`, when the meta and the stream expire as last set (0: unset).
 * - stream: one entry per publication, id `<offset>-0`, fields `t`
 *   (Redis's clock when it was appended, in ms) and `d` (the payload as
 *   redis_wire.ts encodes it).
 *
 * Invariants the scripts keep: the stream holds consecutive offsets up to
 * `top` (entries only leave from the head), and `t` never decreases along
 * it.
 *
 * @module
 */

/** Shared by both scripts: reading the meta, dropping by count and by age. */
const PRELUDE = `
local meta, log = KEYS[1], KEYS[2]

-- Entries dropped from the stream per call at most (XTRIM's work is about
-- proportional); the rest go in later calls. Dropping them all at once is
-- an UNLINK, which frees the stream off Redis's main thread.
local MAX_DROP = 1000

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

-- The topic's state. A missing meta is a new history in a new epoch: a
-- topic never used, or one whose meta Redis no longer has (expired after
-- meta_ttl, evicted, a restart without persistence). A stream left
-- without its meta belongs to the lost epoch.
local function load(new_epoch, now, meta_ttl, meta_slack)
  local m = redis.call('HMGET', meta, 'epoch', 'top', 'first', 'trimmed', 'time', 'mexp', 'lexp')
  if m[1] then
    return {
      epoch = m[1],
      top = tonumber(m[2]) or 0,
      first = tonumber(m[3]) or 1,
      trimmed = tonumber(m[4]) or 0,
      time = tonumber(m[5]) or 0,
      mexp = tonumber(m[6]) or 0,
      lexp = tonumber(m[7]) or 0,
    }
  end
  redis.call('UNLINK', log)
  local mexp = now + meta_ttl + meta_slack
  redis.call('HSET', meta, 'epoch', new_epoch, 'top', 0, 'first', 1, 'trimmed', 0, 'time', 0, 'mexp', mexp, 'lexp', 0)
  redis.call('PEXPIREAT', meta, mexp)
  return { epoch = new_epoch, top = 0, first = 1, trimmed = 0, time = 0, mexp = mexp, lexp = 0 }
end

-- Writes state.top and state.time, and whichever of the other fields
-- differ from before (an HSET costs about a microsecond per field).
local function save(state, before)
  local args = {meta, 'top', state.top, 'time', state.time}
  for _, field in ipairs({'first', 'trimmed', 'mexp', 'lexp'}) do
    if state[field] ~= before[field] then
      args[#args + 1] = field
      args[#args + 1] = state[field]
    end
  end
  redis.call('HSET', unpack(args))
end

-- Makes key live at least until need (ms), as state[field] records its
-- expiry: a PEXPIREAT only when the recorded one falls short, to need +
-- slack, so a busy topic renews it once per slack ms, not on every call
-- (two PEXPIREs per append cost about a fifth of it).
local function keep_until(state, field, key, need, slack)
  if state[field] >= need then return end
  state[field] = need + slack
  redis.call('PEXPIREAT', key, state[field])
end

-- Keeps the last size entries, none with t <= now - ttl (ttl 0: no age
-- limit), as MemoryHistory does: by count first, then by age. Updates
-- state.first, state.trimmed and state.lexp (the caller writes them).
-- Returns the stream's length before the call dropped anything.
--
-- What is dropped leaves the history at once (state.first moves past it:
-- never read again, even by a later call with a larger size or ttl) and
-- the stream in bounded steps.
local function trim(state, size, ttl, now)
  local top = state.top
  local len = redis.call('XLEN', log)
  -- The stream holds top-len+1..top (consecutive, up to top); len 0: no
  -- stream (it expired, or was evicted or dropped): nothing is left.
  local head = top - len + 1
  local live = math.max(state.first, head)
  if top - live + 1 > size then
    live = top - size + 1
    state.trimmed = top - size
  end
  if ttl > 0 and live <= top then
    local oldest = now - ttl
    local entry = redis.call('XRANGE', log, id_of(live), '+', 'COUNT', 1)[1]
    if not entry then
      live = top + 1
    elseif time_of(entry) <= oldest then
      -- The expired entries are a prefix (t never decreases): find the
      -- first young offset by bisection, O(log n) lookups whatever the
      -- length, where a scan from the head would read every expired one.
      -- lo: the first offset that may be young; hi = top + 1: none is.
      local lo, hi = live + 1, top + 1
      while lo < hi do
        local mid = math.floor((lo + hi) / 2)
        local probe = redis.call('XRANGE', log, id_of(mid), '+', 'COUNT', 1)[1]
        if (not probe) or time_of(probe) > oldest then hi = mid else lo = mid + 1 end
      end
      live = lo
    end
  end
  state.first = live
  if len == 0 then return 0 end
  if live > top then
    redis.call('UNLINK', log)
    state.lexp = 0
  elseif head < live then
    redis.call('XTRIM', log, 'MINID', '=', id_of(math.min(live, head + MAX_DROP)))
  end
  return len
end
`;

/**
 * Append. ARGV: payload, size, ttl, meta_ttl, meta_slack, log_ttl,
 * log_slack, new_epoch. Returns `{epoch, offset}`.
 *
 * The entry's time is Redis's clock, the same for every server sharing the
 * store (their own clocks may disagree), but never less than the previous
 * entry's: a clock stepped back must not put young entries behind old ones.
 *
 * Expiries: the meta lives meta_ttl (+ up to meta_slack) after the latest
 * append; the stream log_ttl (+ up to log_slack): its last entry's age
 * limit, or as long as the meta without one.
 */
export const APPEND_LUA = `${PRELUDE}
local size, ttl = tonumber(ARGV[2]), tonumber(ARGV[3])
local meta_ttl, meta_slack, log_ttl, log_slack = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
local now = now_ms()
local state = load(ARGV[8], now, meta_ttl, meta_slack)
local before = { first = state.first, trimmed = state.trimmed, mexp = state.mexp, lexp = state.lexp }
if now < state.time then now = state.time end
state.top = state.top + 1
state.time = now
redis.call('XADD', log, id_of(state.top), 't', now, 'd', ARGV[1])
-- A stream of one entry was just created (by this XADD): it has no expiry yet.
if trim(state, size, ttl, now) == 1 then state.lexp = 0 end
keep_until(state, 'mexp', meta, now + meta_ttl, meta_slack)
keep_until(state, 'lexp', log, now + log_ttl, log_slack)
save(state, before)
return {state.epoch, state.top}
`;

/**
 * Read. ARGV: mode ("last" or "after"), n (how many last ones, or the
 * offset to read after: -1 for one that is not a valid offset), limit,
 * the position's epoch ("" for "last"), size, ttl, meta_ttl, meta_slack,
 * new_epoch.
 *
 * Returns `{1, epoch, top, offset, payload, offset, payload, ...}` or
 * `{0, epoch, top, reason}`, with MemoryHistory.read's verdicts in its
 * order: the epoch first, then the position, then what is left.
 *
 * A read writes: it drops what the policy drops first (an expired entry is
 * never returned), and creates the meta of a topic that has none, so that
 * the epoch it answers with is the one later reads and appends use.
 */
export const READ_LUA = `${PRELUDE}
local mode, n, limit, asked_epoch = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
local size, ttl, meta_ttl, meta_slack = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])
local now = now_ms()
local state = load(ARGV[9], now, meta_ttl, meta_slack)
local first, trimmed, lexp = state.first, state.trimmed, state.lexp
trim(state, size, ttl, now)
if state.first ~= first or state.trimmed ~= trimmed or state.lexp ~= lexp then
  redis.call('HSET', meta, 'first', state.first, 'trimmed', state.trimmed, 'lexp', state.lexp)
end
local epoch, top = state.epoch, state.top

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
  local count = math.min(n, limit, top - state.first + 1)
  if count <= 0 then return answer({}) end
  return answer(redis.call('XREVRANGE', log, '+', id_of(state.first), 'COUNT', count), true)
end
if asked_epoch ~= epoch then return {0, epoch, top, 'epoch changed'} end
if n < 0 or n > top then return {0, epoch, top, 'unknown position'} end
if n == top then return answer({}) end
if state.first > n + 1 then
  if state.trimmed > n then return {0, epoch, top, 'trimmed'} end
  return {0, epoch, top, 'expired'}
end
if limit <= 0 then return answer({}) end
return answer(redis.call('XRANGE', log, id_of(n + 1), '+', 'COUNT', limit))
`;
