#!/usr/bin/env bash
# Concurrent single writes: wrk sends PUT /v1/solutions/{id} with a new id each time
# (benches/load/put_solution.lua, 2 threads, 32 connections) to `kpimatch serve` on the bundle
# (SQLite, lexical), after /healthz as the machine's reference in the same run; prints both
# rates, their ratio and the group-commit sizes from /metrics (writes per commit).
# Usage: benches/load/writes.sh [SECONDS]      (default 8 per scenario)
set -euo pipefail
cd "$(dirname "$0")/../.."
secs="${1:-8}"
command -v wrk >/dev/null || { apt-get install -y -qq wrk >/dev/null || { echo "wrk is required" >&2; exit 1; }; }
cargo build --release -q -p kpimatch-server
dir=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
target/release/kpimatch serve --no-model --data-dir "$dir/data" --bind "127.0.0.1:$port" --rate-limit-per-second 0 >"$dir/log" 2>&1 &
pid=$!
trap 'kill -9 $pid 2>/dev/null || true; rm -rf "$dir"' EXIT
until curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; do sleep 0.1; done
rate() { awk '/Requests\/sec/ {print $2}'; }
healthz=$(wrk -t2 -c32 -d"${secs}s" "http://127.0.0.1:$port/healthz" | rate)
out=$(wrk -t2 -c32 -d"${secs}s" -s benches/load/put_solution.lua "http://127.0.0.1:$port")
puts=$(rate <<<"$out")
errors=$(grep -o 'Non-2xx or 3xx responses: [0-9]*' <<<"$out" || echo "Non-2xx or 3xx responses: 0")
metrics=$(curl -s "http://127.0.0.1:$port/metrics")
sum=$(awk '/^kpimatch_write_group_size_sum/ {print $2}' <<<"$metrics")
count=$(awk '/^kpimatch_write_group_size_count/ {print $2}' <<<"$metrics")
python3 - "$healthz" "$puts" "$sum" "$count" "$errors" <<'PY'
import sys
healthz, puts, writes, groups, errors = float(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
print(f"healthz {healthz:,.0f} req/s; PUT /v1/solutions/{{id}} {puts:,.0f} writes/s "
      f"({puts / healthz:.4f}x healthz); {writes:,.0f} writes in {groups:,.0f} commits "
      f"({writes / max(groups, 1):.1f} per commit); {errors}")
PY
