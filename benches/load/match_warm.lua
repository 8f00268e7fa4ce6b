-- wrk script: POST /v1/match with one fixed body, so after the first request every answer comes
-- from the server's match cache (cache WARM). The city comes from KPIMATCH_LOAD_CITY.
local city = os.getenv("KPIMATCH_LOAD_CITY") or "qasr-alwan"
wrk.method = "POST"
wrk.path = "/v1/match"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"city_id":"' .. city .. '","needs":"reduce the drinking water we lose from leaking pipes","limit":10}'
