-- wrk script: rotate through request paths read from a file, optionally make every query unique, and print
-- one JSON line of results (requests, duration, p50/p90/p99 latency in microseconds, errors by kind).
-- Usage: wrk -s bench/wrk_paths.lua URL -- PATHS_FILE [distinct]
local paths = {}
local index = 0
local distinct = false
local counter = 0

function init(args)
  local file = assert(io.open(args[1], "r"))
  for line in file:lines() do
    if #line > 0 then paths[#paths + 1] = line end
  end
  file:close()
  distinct = args[2] == "distinct"
  -- each wrk thread starts at a different place in the list
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) % 100000)
  index = math.random(#paths)
  wrk.headers["Accept-Encoding"] = "gzip"
end

function request()
  index = index % #paths + 1
  local path = paths[index]
  if distinct then
    -- a fresh, never-repeated point within ~1 km, as real phones send: defeats every cache
    counter = counter + 1
    local jittered, n = path:gsub("lat=([-%d.]+)", function(v)
      return string.format("lat=%.6f", tonumber(v) + (math.random() - 0.5) * 0.02)
    end)
    if n == 0 then
      local sep = path:find("?", 1, true) and "&" or "?"
      jittered = path .. sep .. "nonce=" .. counter .. "-" .. math.random(1000000000)
    end
    path = jittered
  end
  return wrk.format("GET", path)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests":%d,"duration_us":%d,"bytes":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,' ..
    '"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}\n',
    summary.requests, summary.duration, summary.bytes, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, e.connect, e.read, e.write, e.status, e.timeout))
end
