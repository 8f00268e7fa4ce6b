-- wrk script: POST /v1/match where every request misses the server's match cache (cache COLD);
-- the bodies come from cold_match.lua (found beside this script, whatever the working directory).
package.path = (debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "?.lua;" .. package.path
local cold = require("cold_match")

local next_thread = 1
function setup(thread)
  thread:set("thread_no", next_thread)
  next_thread = next_thread + 1
end

local n = 0
function request()
  n = n + 1
  return cold.request(n, thread_no, "q")
end
