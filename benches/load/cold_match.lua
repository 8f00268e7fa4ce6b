-- Shared by the wrk scripts that must miss the server's match cache (match_cold.lua,
-- overload.lua): POST /v1/match bodies that pair a city (rotating through KPIMATCH_LOAD_CITIES,
-- comma-separated) with a needs text rotating through benches/needs.txt, made unique by a
-- run tag, the wrk thread number and a per-thread counter (one extra term that matches
-- nothing), so the cache key never repeats and every request is a full ranking.
local M = {}

-- The needs texts, one per line, shared with the criterion bench (benches/needs.txt).
M.variants = {}
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
for line in io.lines(here .. "../needs.txt") do
  if line:match("%S") then
    M.variants[#M.variants + 1] = line
  end
end

M.cities = {}
for c in string.gmatch(os.getenv("KPIMATCH_LOAD_CITIES") or "qasr-alwan", "[^,]+") do
  M.cities[#M.cities + 1] = c
end

-- The n-th request of wrk thread `thread_no`, tagged `tag` (a phase of a run, so no body repeats
-- one of an earlier phase).
function M.request(n, thread_no, tag)
  local needs = M.variants[(n % #M.variants) + 1]
  local city = M.cities[(n % #M.cities) + 1]
  local body = string.format('{"city_id":"%s","needs":"%s (%sx%dx%d)","limit":10}', city, needs, tag,
    thread_no or 0, n)
  return wrk.format("POST", "/v1/match", { ["Content-Type"] = "application/json" }, body)
end

return M
