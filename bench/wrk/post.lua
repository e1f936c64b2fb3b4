-- wrk script for bench/load.py: POSTs the GraphQL request in the file BENCH_BODY_FILE on every connection.
-- A body holding __VERSION__ gets a version of its own per request, "<major>.<thread>.<n>" (major from
-- BENCH_VERSION_MAJOR), so that every publishRelease publishes a version that does not exist yet.
-- done() prints the totals and latency percentiles as one JSON line, which bench/load.py reads.

local file = assert(io.open(os.getenv("BENCH_BODY_FILE"), "rb"))
local body = file:read("*a")
file:close()

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local token = os.getenv("BENCH_TOKEN")
if token and token ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. token
end

local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("thread_number", threads)
end

if body:find("__VERSION__", 1, true) then
  local major = os.getenv("BENCH_VERSION_MAJOR") or "1"
  local sent = 0
  function request()
    sent = sent + 1
    local version = major .. "." .. thread_number .. "." .. sent
    return wrk.format(nil, nil, nil, (body:gsub("__VERSION__", version)))
  end
else
  wrk.body = body
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    'BENCH-WRK {"requests": %d, "duration_us": %d, "bytes": %d, "connect_errors": %d, "read_errors": %d, '
      .. '"write_errors": %d, "status_errors": %d, "timeouts": %d, "p50_us": %d, "p75_us": %d, "p90_us": %d, '
      .. '"p99_us": %d, "max_us": %d}\n',
    summary.requests, summary.duration, summary.bytes, errors.connect, errors.read, errors.write,
    errors.status, errors.timeout, latency:percentile(50), latency:percentile(75), latency:percentile(90),
    latency:percentile(99), latency.max))
end
