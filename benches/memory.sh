#!/usr/bin/env bash
# Resident memory per solution and bulk-import rate of `kpimatch serve` (lexical, SQLite,
# release build): for each size, a fresh server with an empty data directory is loaded with a
# synthetic catalogue through POST /v1/solutions/bulk (benches/load/synth.py, seed 42, 10,000
# per call); its RSS is read from /proc before and after. The per-solution figure counts
# everything the load added: records, KPI profiles and lists, the tantivy index's mapped pages
# and writer, SQLite's cache.
# Usage: benches/memory.sh [SIZE...]        (default 100000 1000000; 10^6 takes about 4 min)
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@")
[[ ${#sizes[@]} -gt 0 ]] || sizes=(100000 1000000)
cargo build --release -q -p kpimatch-server
bin=target/release/kpimatch
dir=$(mktemp -d)
pid=
trap '[[ -n $pid ]] && kill -9 $pid 2>/dev/null; rm -rf "$dir"' EXIT
rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$pid/status"; }

for n in "${sizes[@]}"; do
    rm -rf "$dir/data"
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    "$bin" serve --no-model --no-seed --data-dir "$dir/data" --bind "127.0.0.1:$port" >"$dir/log" 2>&1 &
    pid=$!
    until curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; do sleep 0.05; done
    empty=$(rss_kb)
    load=$(python3 benches/load/synth.py --base-url "http://127.0.0.1:$port" --bundle index-data --count "$n" --seed 42 2>&1 | tail -1)
    sleep 1
    loaded=$(rss_kb)
    index=$(du -sm "$dir/data/index" | cut -f1)
    python3 - "$n" "$empty" "$loaded" "$index" "$load" <<'PY'
import sys
n, empty, loaded, index, load = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5].strip()
print(f"{n:>9,} solutions: RSS {empty / 1024:,.0f} MiB empty -> {loaded / 1024:,.0f} MiB loaded, "
      f"{(loaded - empty) * 1024 / n:,.0f} bytes per solution; index {index:,} MiB on disk")
print(f"           {load}")
PY
    kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
done
