-- wrk script for bench/ocsp-responder.bench.ts: every request is one of the prepared OCSP requests,
-- picked at random. OCSP_REQUESTS names the file: length-prefixed DER bodies (OCSP_MODE=post) or
-- one GET path a line (OCSP_MODE=get). OCSP_CLOSE=1 asks for a new connection each time.
local requests = {}

function init(args)
  local headers = { ["Host"] = os.getenv("OCSP_HOST") }
  if os.getenv("OCSP_CLOSE") == "1" then headers["Connection"] = "close" end
  local file = assert(io.open(os.getenv("OCSP_REQUESTS"), "rb"))
  local data = file:read("*a")
  file:close()
  if os.getenv("OCSP_MODE") == "get" then
    for path in data:gmatch("[^\n]+") do requests[#requests + 1] = wrk.format("GET", path, headers) end
  else
    headers["Content-Type"] = "application/ocsp-request"
    local at = 1
    while at <= #data do
      local length = data:byte(at) * 256 + data:byte(at + 1)
      requests[#requests + 1] = wrk.format("POST", "/ocsp", headers, data:sub(at + 2, at + 1 + length))
      at = at + 2 + length
    end
  end
  math.randomseed(os.time() + tonumber(tostring(requests):match("0x(%x+)") or "0", 16))
end

function request()
  return requests[math.random(#requests)]
end
