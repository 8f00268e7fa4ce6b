-- wrk script: PUT /v1/solutions/{id} with a new id on every request (each thread its own
-- range), a short solution body: concurrent single writes, committed in groups.
local next_thread = 1
function setup(thread)
  thread:set("thread_no", next_thread)
  next_thread = next_thread + 1
end

local n = 0
function request()
  n = n + 1
  local id = string.format("wrk-%d-%d", thread_no, n)
  local body = string.format(
    '{"title":"Leak sensor %d-%d","summary":"Acoustic loggers find leaks in water mains","tags":["leak detection"]}',
    thread_no, n)
  return wrk.format("PUT", "/v1/solutions/" .. id, { ["Content-Type"] = "application/json" }, body)
end
