-- One benchmark scenario for wrk: method, headers, body and bearer tokens come from files the
-- harness writes; done() prints one JSON line with requests, errors and latency percentiles.
--   wrk ... -s bench/wrk/scenario.lua URL -- METHOD HEADERS_FILE BODY_FILE TOKENS_FILE
-- HEADERS_FILE holds "Name: value" lines; BODY_FILE and TOKENS_FILE may be "-" (none). With a
-- tokens file every request sends the next token ("Authorization: Bearer ..."), spread over threads.

local counter = 1
local threads = {}

local function lines(path)
  local out = {}
  if path == nil or path == "-" then return out end
  for line in io.lines(path) do
    if line ~= "" then out[#out + 1] = line end
  end
  return out
end

local function slurp(path)
  if path == nil or path == "-" then return nil end
  local handle = assert(io.open(path, "rb"))
  local data = handle:read("*a")
  handle:close()
  return data
end

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  method = args[1] or "GET"
  headers = {}
  for _, line in ipairs(lines(args[2])) do
    local name, value = line:match("^([^:]+):%s*(.*)$")
    headers[name] = value
  end
  body = slurp(args[3])
  tokens = lines(args[4])
  position = (id or 1) * 997
  if #tokens == 0 then
    fixed = wrk.format(method, nil, headers, body)
  end
end

function request()
  if fixed then return fixed end
  headers["Authorization"] = "Bearer " .. tokens[(position % #tokens) + 1]
  position = position + 1
  return wrk.format(method, nil, headers, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "bytes": %d, "errors": {"connect": %d, "read": %d, "write": %d, ' ..
    '"status": %d, "timeout": %d}, "p50_us": %d, "p95_us": %d, "p99_us": %d, "mean_us": %.1f, "max_us": %d}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.mean, latency.max))
end
