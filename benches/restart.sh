#!/usr/bin/env bash
# Restart cost of a replica: the time from start to ready when its text index is reopened and
# only the tail of the change log is replayed, against a full rebuild of the index from the
# database — on a synthetic catalogue (default 100,000 solutions, SQLite, release build).
# Usage: benches/restart.sh [COUNT]
set -euo pipefail
cd "$(dirname "$0")/.."
count="${1:-100000}"
cargo build --release -q -p kpimatch-server
bin=target/release/kpimatch
dir=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
trap 'kill -9 $pid 2>/dev/null || true; rm -rf "$dir"' EXIT

# Lexical (--no-model): this measures the text index and KPI profiles; embedding 100,000 new
# synthetic texts would take the model about an hour (restarts read stored embeddings).
start() {
    "$bin" serve --no-model --no-seed --data-dir "$dir/data" --bind "127.0.0.1:$port" >"$dir/log" 2>&1 &
    pid=$!
    local t0
    t0=$(date +%s.%N)
    until curl -fs "$base/readyz" >/dev/null 2>&1; do sleep 0.05; done
    elapsed=$(python3 -c "print($(date +%s.%N) - $t0)")
}

start
python3 benches/load/synth.py --base-url "$base" --bundle index-data --count "$count" --seed 42 >/dev/null
kill -9 "$pid"; wait "$pid" 2>/dev/null || true
# A tail to replay: 1,000 solutions written while this replica was down (as another replica's
# writes would be), straight into the database.
python3 -c '
import json
for i in range(1000):
    print(json.dumps({"id": f"tail-{i}", "title": f"Tail solution {i}", "summary": "Leak detection for water mains"}))
' >"$dir/tail.jsonl"
"$bin" import solutions "$dir/tail.jsonl" --data-dir "$dir/data" --no-seed >/dev/null

start
reopen=$elapsed
sed 's/\x1b\[[0-9;]*m//g' "$dir/log" | grep -o 'kept=[0-9]* reindexed=[0-9]* removed=[0-9]* profiles_read=[0-9]*' || true
kill -9 "$pid"; wait "$pid" 2>/dev/null || true
rm -rf "$dir/data/index"
start
rebuild=$elapsed
kill -9 "$pid"; wait "$pid" 2>/dev/null || true

python3 - "$count" "$reopen" "$rebuild" <<'PY'
import sys
n, reopen, rebuild = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
print(f"{n} solutions: start to ready — index reopened, tail replayed {reopen:.2f} s; "
      f"index rebuilt {rebuild:.2f} s; ratio {reopen / rebuild:.2f}")
PY
