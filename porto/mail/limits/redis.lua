-- porto/mail/limits/bucket.py's bucket_take, operation for operation, run atomically by Redis.
-- KEYS[1]: the key's hash (fields "tokens", "updated" and "lane:<lane>" = the lane's next slot)
-- ARGV: now, refill, burst, epsilon, lane count, then lane, due, fresh for each lane
-- Returns per lane: granted due, granted fresh, start and spacing (as "%.17g" strings).
local now = tonumber(ARGV[1])
local refill = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local epsilon = tonumber(ARGV[4])
local count = tonumber(ARGV[5])

local tokens = burst
local updated = now
local slots = {}
local stored = redis.call('HGETALL', KEYS[1])
for i = 1, #stored, 2 do
  local name, value = stored[i], tonumber(stored[i + 1])
  if name == 'tokens' then tokens = value
  elseif name == 'updated' then updated = value
  else slots[string.sub(name, 6)] = value end
end

tokens = math.min(burst, tokens + math.max(0, now - updated) * refill)
local busy = {}
local busy_count = 0
for lane, slot in pairs(slots) do
  if slot > now then busy[lane] = true; busy_count = busy_count + 1 end
end

local lanes, due, fresh, granted_due, granted_fresh = {}, {}, {}, {}, {}
for i = 1, count do
  lanes[i] = ARGV[3 + 3 * i]
  due[i] = tonumber(ARGV[4 + 3 * i])
  fresh[i] = tonumber(ARGV[5 + 3 * i])
end
for i = 1, count do
  granted_due[i] = math.min(due[i], math.floor(tokens + epsilon))
  tokens = tokens - granted_due[i]
end
for i = 1, count do
  if busy[lanes[i]] then granted_fresh[i] = 0
  else granted_fresh[i] = math.min(fresh[i], math.floor(tokens + epsilon)) end
  tokens = tokens - granted_fresh[i]
end

local lines = busy_count
for i = 1, count do
  if due[i] + fresh[i] - granted_due[i] - granted_fresh[i] > 0 and not busy[lanes[i]] then
    lines = lines + 1
  end
end
local spacing = lines / refill
local first = now + math.max(0, 1 - tokens) / refill

local answers = {}
local new_lines = 0
for i = 1, count do
  local denied = due[i] + fresh[i] - granted_due[i] - granted_fresh[i]
  local start = 0
  if denied > 0 then
    if busy[lanes[i]] then
      start = math.max(slots[lanes[i]], first)
    else
      start = first + new_lines / refill
      new_lines = new_lines + 1
    end
    slots[lanes[i]] = start + denied * spacing
  end
  answers[i] = {granted_due[i], granted_fresh[i], string.format('%.17g', start),
                string.format('%.17g', spacing)}
end

redis.call('DEL', KEYS[1])
local horizon = 0
local fields = {'tokens', string.format('%.17g', tokens),
                'updated', string.format('%.17g', math.max(updated, now))}
for lane, slot in pairs(slots) do
  if slot > now then
    fields[#fields + 1] = 'lane:' .. lane
    fields[#fields + 1] = string.format('%.17g', slot)
    horizon = math.max(horizon, slot - now)
  end
end
redis.call('HSET', KEYS[1], unpack(fields))
redis.call('PEXPIRE', KEYS[1], math.floor((horizon + 3600) * 1000))
return answers
