-- porto/mail/limits/bucket.py's bucket_take, operation for operation, run atomically by Redis.
-- KEYS[1]: the key's hash: "tokens", "updated", and per lane "end:<lane>" and "turn:<lane>"
-- ARGV: now, refill, burst, epsilon, lane count, then lane, due, fresh for each lane
-- Returns per lane: granted due, granted fresh, retry, then retry_at, start and spacing as
-- "%.17g" strings (a Lua number would come back truncated to an integer).
local now = tonumber(ARGV[1])
local refill = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local epsilon = tonumber(ARGV[4])
local count = tonumber(ARGV[5])

local tokens = burst
local updated = now
local ends, turns, known = {}, {}, {}
local stored = redis.call('HGETALL', KEYS[1])
for i = 1, #stored, 2 do
  local name, value = stored[i], tonumber(stored[i + 1])
  if name == 'tokens' then tokens = value
  elseif name == 'updated' then updated = value
  elseif string.sub(name, 1, 4) == 'end:' then
    ends[string.sub(name, 5)] = value; known[string.sub(name, 5)] = true
  else
    turns[string.sub(name, 6)] = value; known[string.sub(name, 6)] = true
  end
end

local function turn_of(lane)
  return not known[lane] or turns[lane] <= now + epsilon
end

tokens = math.min(burst, tokens + math.max(0, now - updated) * refill)
local spare = epsilon * refill + 1e-9
local busy = {}
local lines = 0
for lane, _ in pairs(known) do
  if ends[lane] > now then busy[lane] = true; lines = lines + 1 end
end
local lanes, due, fresh = {}, {}, {}
for i = 1, count do
  lanes[i] = ARGV[3 + 3 * i]
  due[i] = tonumber(ARGV[4 + 3 * i])
  fresh[i] = tonumber(ARGV[5 + 3 * i])
  if not busy[lanes[i]] then lines = lines + 1 end
end
local share = lines / refill

local granted_due, retry, granted_fresh = {}, {}, {}
for i = 1, count do
  local allowed = due[i]
  if lines ~= 1 then
    if turn_of(lanes[i]) then allowed = math.min(due[i], 1) else allowed = math.min(due[i], 0) end
  end
  granted_due[i] = math.min(allowed, math.floor(tokens + spare))
  if lines == 1 then retry[i] = 0 else retry[i] = allowed - granted_due[i] end
  tokens = tokens - granted_due[i]
end
for i = 1, count do
  local allowed = fresh[i]
  if busy[lanes[i]] then
    allowed = 0
  elseif lines > 1 then
    if turn_of(lanes[i]) and granted_due[i] == 0 then
      allowed = math.min(fresh[i], 1)
    else
      allowed = math.min(fresh[i], 0)
    end
  end
  granted_fresh[i] = math.min(allowed, math.floor(tokens + spare))
  tokens = tokens - granted_fresh[i]
end

local first = now + math.max(0, 1 - tokens) / refill
local answers = {}
local retries = 0
local new_lines = 0
for i = 1, count do
  local lane = lanes[i]
  local retry_at = first + retries / refill
  retries = retries + retry[i]
  local behind = due[i] + fresh[i] - granted_due[i] - granted_fresh[i]
  behind = behind - retry[i]
  local lane_end, turn = 0, 0
  if known[lane] then lane_end, turn = ends[lane], turns[lane] end
  local start = 0
  if behind > 0 then
    if busy[lane] then
      start = math.max(lane_end, first)
    else
      start = math.max(first + new_lines / refill, turn)
      new_lines = new_lines + 1
    end
    lane_end = start + behind * share
  end
  if granted_due[i] + granted_fresh[i] > 0 then
    turn = math.max(turn, now) + share
  end
  ends[lane], turns[lane], known[lane] = lane_end, turn, true
  answers[i] = {granted_due[i], granted_fresh[i], retry[i], string.format('%.17g', retry_at),
                string.format('%.17g', start), string.format('%.17g', share)}
end

redis.call('DEL', KEYS[1])
local horizon = 0
local fields = {'tokens', string.format('%.17g', tokens),
                'updated', string.format('%.17g', math.max(updated, now))}
for lane, _ in pairs(known) do
  local last = math.max(ends[lane], turns[lane])
  if last > now then
    fields[#fields + 1] = 'end:' .. lane
    fields[#fields + 1] = string.format('%.17g', ends[lane])
    fields[#fields + 1] = 'turn:' .. lane
    fields[#fields + 1] = string.format('%.17g', turns[lane])
    horizon = math.max(horizon, last - now)
  end
end
redis.call('HSET', KEYS[1], unpack(fields))
redis.call('PEXPIRE', KEYS[1], math.floor((horizon + 3600) * 1000))
return answers
