-- Shared by the wrk scripts that must miss the server's match cache (match_cold.lua,
-- overload.lua): POST /v1/match bodies that pair a city (rotating through KPIMATCH_LOAD_CITIES,
-- comma-separated) with a needs text rotating through the variants below, made unique by a
-- run tag, the wrk thread number and a per-thread counter (one extra term that matches
-- nothing), so the cache key never repeats and every request is a full ranking.
local M = {}

M.variants = {
  "reduce the drinking water we lose from leaking pipes",
  "cut traffic congestion and make buses more reliable",
  "lower the energy used to heat public buildings",
  "bring broadband internet to households and schools",
  "early flood warnings and drainage that does not overflow",
  "cleaner air: get homes off coal and cut emissions",
  "collect solid waste in fast growing informal settlements",
  "faster ambulances and digital patient records",
  "jobs and skills for unemployed young people",
  "more solar power and less diesel for electricity",
  "affordable housing and safer streets at night",
  "online services so residents stop queuing at the town hall",
  "smart water meters that find leaks in homes",
  "cooling buildings with less electricity in heatwaves",
  "shade and tree canopy for new housing estates",
  "recycling and less rubbish going to landfill",
  "noise from industry and traffic near homes",
  "street lighting and police response in the outskirts",
  "girls finishing school and adult literacy",
  "fewer road deaths and safer walking routes",
  "groundwater that runs short and turns salty",
  "open data shared between city departments",
  "district heating without coal",
  "e-health records that follow patients between clinics",
}

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
