-- wrk script for bench/portal.bench.ts: the status form (POST /status: CSRF token, number, IIN, as
-- the page sends it) for the prepared lookups, picked at random. STATUS_REQUESTS names the file:
-- one "number iin client-address" a line; the address goes in X-Forwarded-For (the server trusts
-- 127.0.0.1 as its proxy), so each lookup counts against its own client's rate limit, as it would
-- behind a load balancer, and none is refused. Every answer must be a 200 showing the waiting stage.
local requests = {}
wrong = 0 -- a global: done() reads it from each thread
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
  end
  file:close()
  math.randomseed(os.time() + tonumber(tostring(requests):match("0x(%x+)") or "0", 16))
end

function request()
  return requests[math.random(#requests)]
end

function response(status, headers, body)
  if status ~= 200 or not body:find('data-status="submitted"', 1, true) then wrong = wrong + 1 end
end

function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do total = total + thread:get("wrong") end
  io.write(string.format("wrong answers: %d\n", total))
end
