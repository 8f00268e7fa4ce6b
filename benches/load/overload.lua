-- wrk script for benches/load/overload.sh: POST /v1/match with a needs text unique to every
-- request (a full ranking each time; bodies from cold_match.lua), counting the answers by
-- status and the 429/503 answers that lack a Retry-After header. The summary is printed by done() as lines
-- `status <code> <count>`, `missing_retry_after <count>` and `latency_ms p50|p90|p99|max <value>`
-- for overload.sh to read.
package.path = (debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "?.lua;" .. package.path
local cold = require("cold_match")

-- A tag per run (overload.sh sets it per phase), so no body repeats one of an earlier phase
-- and is answered from the match cache.
local run_tag = "o" .. (os.getenv("KPIMATCH_LOAD_RUN") or "0")

local threads = {}
function setup(thread)
  threads[#threads + 1] = thread
  thread:set("thread_no", #threads)
end

function init(args)
  statuses = {}
  missing_retry_after = 0
end

local n = 0
function request()
  n = n + 1
  return cold.request(n, thread_no, run_tag)
end

function response(status, headers, body)
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
  if status == 429 or status == 503 then
    if headers["Retry-After"] == nil and headers["retry-after"] == nil then
      missing_retry_after = missing_retry_after + 1
    end
  end
end

function done(summary, latency, requests)
  local total = {}
  local missing = 0
  for _, t in ipairs(threads) do
    for code, count in pairs(t:get("statuses")) do
      total[code] = (total[code] or 0) + count
    end
    missing = missing + t:get("missing_retry_after")
  end
  for code, count in pairs(total) do
    io.write(string.format("status %s %d\n", code, count))
  end
  io.write(string.format("missing_retry_after %d\n", missing))
  io.write(string.format("socket_errors %d\n",
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
  for _, p in ipairs({ 50, 90, 99 }) do
    io.write(string.format("latency_ms p%d %.2f\n", p, latency:percentile(p) / 1000))
  end
  io.write(string.format("latency_ms max %.2f\n", latency.max / 1000))
  io.write(string.format("requests %d\n", summary.requests))
end
