#!/usr/bin/env bash
# Flame graph of cold /v1/match requests: `kpimatch serve` on the bundle (lexical, --no-model,
# unless FLAME_MODEL=1), wrk sending match bodies that always miss the cache
# (benches/load/match_cold.lua), perf sampling the server meanwhile.
#
# Usage: benches/flamegraph.sh [OUT_DIR]      (default target/flamegraph)
# Writes OUT_DIR/cold-match.svg (open it in a browser), OUT_DIR/cold-match.folded (the collapsed
# stacks) and prints the share of samples under the main stages of a request.
# Needs target/release/kpimatch (built with line tables: [profile.release] debug), perf
# (linux-perf), wrk and inferno (`cargo install inferno --locked`; installed when missing).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/load" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="${1:-$root/target/flamegraph}"
bin="${KPIMATCH_BIN:-$root/target/release/kpimatch}"
script=flamegraph.sh
tmp="$(mktemp -d "${TMPDIR:-/tmp}/kpimatch-flame.XXXXXX")"
# shellcheck source=load/lib.sh
source "$here/lib.sh"
require_tools
command -v perf >/dev/null || die "perf is required (Debian: linux-perf)"
command -v inferno-flamegraph >/dev/null || cargo install inferno --locked
mkdir -p "$out"
trap 'stop_server; rm -rf "$tmp"' EXIT

cities="$(bundled_cities)"
export KPIMATCH_LOAD_CITIES="$cities"
if [[ "${FLAME_MODEL:-0}" == 1 ]]; then
    start_server flame --rate-limit-per-second 0 --model "$root/models/all-MiniLM-L6-v2"
else
    start_server flame --rate-limit-per-second 0 --no-model
fi
wrk -t2 -c32 -d16s -s "$here/match_cold.lua" "$base" >"$tmp/wrk.txt" &
wrk_pid=$!
sleep 3
perf record -F 499 -g --call-graph dwarf,16384 -p "$server_pid" -o "$tmp/perf.data" -- sleep 10 >/dev/null 2>&1
wait "$wrk_pid"
grep -E "Requests/sec" "$tmp/wrk.txt" >&2
perf script -i "$tmp/perf.data" 2>/dev/null | inferno-collapse-perf >"$out/cold-match.folded"
inferno-flamegraph --title "kpimatch: cold /v1/match on the bundle" <"$out/cold-match.folded" >"$out/cold-match.svg"
python3 - "$out/cold-match.folded" <<'PY'
import collections
import sys

parts = [
    ("engine: match_solutions", "Engine::match_solutions"),
    ("  plan: needs (QueryPlan::build)", "QueryPlan::build"),
    ("    language of the needs text", "Languages::of_needs"),
    ("  plan: adoption evidence", "peers::evidence"),
    ("  candidates (Ranker::top)", "Ranker::top"),
    ("  explanations (Ranker::explain)", "Ranker::explain"),
    ("  why not", "Ranker::why_not"),
    ("response body (MatchResponseBody::new)", "MatchResponseBody::new"),
    ("JSON (serde_json)", "serde_json::"),
    ("allocator (malloc/free)", None),
]
total = 0
hits = collections.Counter()
for line in open(sys.argv[1]):
    stack, n = line.rsplit(" ", 1)
    n = int(n)
    total += n
    leaf = stack.rsplit(";", 1)[-1]
    for name, needle in parts:
        if needle is None:
            if any(k in leaf for k in ("malloc", "free", "mi_", "_int_")):
                hits[name] += n
        elif needle in stack:
            hits[name] += n
print(f"{total} samples")
for name, _ in parts:
    print(f"{name:42} {100 * hits[name] / max(total, 1):5.1f}%")
PY
echo "flame graph: $out/cold-match.svg" >&2
