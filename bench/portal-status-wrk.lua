-- wrk script for bench/portal.bench.ts: the status form (POST /status: CSRF token, number, IIN, as
-- the page sends it) for the prepared lookups. STATUS_REQUESTS names the file: one
-- "number iin client-address" a line, in random order; the address goes in X-Forwarded-For (the
-- server trusts 127.0.0.1 as its proxy), so each lookup counts against its own client's rate limit,
-- as it would behind a load balancer, and none is refused. Every answer must be a 200 showing the
-- waiting stage.
--
-- It also times every request itself. wrk's own percentiles are "corrected" for coordinated
-- omission: after the run, each latency longer than twice the mean interval between requests on a
-- connection adds made-up samples (as if requests had been due at a constant rate meanwhile). With
-- 200 requests always in flight no request is ever due before the last one is answered, so the
-- made-up samples describe a load this test does not make; the lines printed by done() are the
-- requests that were actually sent, each timed from just before its first byte was written to
-- just after its last byte was read, the way wrk times them.
local ffi = require("ffi")
ffi.cdef([[
  typedef struct { long tv_sec; long tv_nsec; } status_bench_timespec;
  int clock_gettime(int clock, status_bench_timespec *now);
]])
local CLOCK_MONOTONIC = 1
local clock = ffi.new("status_bench_timespec")
local function microseconds()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, clock)
  return tonumber(clock.tv_sec) * 1000000 + tonumber(clock.tv_nsec) / 1000
end

local requests = {}
local numbers = {}
local next_request = 1
local sent_at = {} -- application number → when its request was written (one thread's in-flight requests)
wrong = 0 -- globals: done() reads them from each thread
unmatched = 0
latencies = {} -- tenths of a millisecond → how many requests took that long
local threads = {}

function setup(thread)
  threads[#threads + 1] = thread
end

function init(args)
  local token = os.getenv("STATUS_CSRF_TOKEN")
  local file = assert(io.open(os.getenv("STATUS_REQUESTS"), "r"))
  for line in file:lines() do
    local number, iin, address = line:match("^(%d+) (%d+) (%S+)$")
    local headers = {
      ["Host"] = os.getenv("STATUS_HOST"),
      ["Cookie"] = "qcsrf=" .. os.getenv("STATUS_CSRF_COOKIE"),
      ["Content-Type"] = "application/x-www-form-urlencoded",
      ["X-Forwarded-For"] = address,
    }
    requests[#requests + 1] = wrk.format("POST", "/status", headers, "_csrf=" .. token .. "&number=" .. number .. "&iin=" .. iin)
    numbers[#numbers + 1] = number
  end
  file:close()
  -- Each thread walks the (random) list from its own place: no number is in flight twice on a thread.
  math.randomseed(os.time() + tonumber(tostring(requests):match("0x(%x+)") or "0", 16))
  next_request = math.random(#requests)
end

function request()
  local k = next_request
  next_request = k % #requests + 1
  sent_at[numbers[k]] = microseconds()
  return requests[k]
end

function response(status, headers, body)
  local answered = microseconds()
  if status ~= 200 or not body:find('data-status="submitted"', 1, true) then wrong = wrong + 1 end
  local number = body:match('name="number" value="(%d+)"')
  local sent = number and sent_at[number]
  if not sent then
    unmatched = unmatched + 1
    return
  end
  sent_at[number] = nil
  local bucket = math.floor((answered - sent) / 100)
  latencies[bucket] = (latencies[bucket] or 0) + 1
end

function done(summary, latency, requests)
  local wrong_answers, not_matched, counts, total = 0, 0, {}, 0
  for _, thread in ipairs(threads) do
    wrong_answers = wrong_answers + thread:get("wrong")
    not_matched = not_matched + thread:get("unmatched")
    for bucket, count in pairs(thread:get("latencies")) do
      counts[bucket] = (counts[bucket] or 0) + count
      total = total + count
    end
  end
  local buckets = {}
  for bucket in pairs(counts) do buckets[#buckets + 1] = bucket end
  table.sort(buckets)
  local function percentile(p)
    local wanted, seen = math.ceil(total * p / 100), 0
    for _, bucket in ipairs(buckets) do
      seen = seen + counts[bucket]
      if seen >= wanted then return (bucket + 1) / 10 end
    end
    return 0
  end
  io.write(string.format("wrong answers: %d\n", wrong_answers))
  io.write(string.format(
    "sent requests: %d timed, %d not matched; p50 %.1fms p90 %.1fms p99 %.1fms p99.9 %.1fms max %.1fms\n",
    total, not_matched, percentile(50), percentile(90), percentile(99), percentile(99.9), percentile(100)
  ))
end
