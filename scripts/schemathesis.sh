#!/usr/bin/env bash
# Fuzzes the running HTTP API against its contract (openapi/openapi.json) with schemathesis:
# generated requests for every operation, valid and invalid, and four checks on every answer:
# no 5xx (not_a_server_error), the status is one the spec lists (status_code_conformance), the
# content type is the spec's — problem+json for errors (content_type_conformance) — and the body
# matches the spec's schema (response_schema_conformance).
#
# Usage: scripts/schemathesis.sh [EXAMPLES] [-- SCHEMATHESIS_ARGS…]
#   EXAMPLES   generated test cases per operation (default 1000, as CI runs it)
# Installs schemathesis (pinned, from PyPI) into target/schemathesis-venv when missing, builds
# target/debug/kpimatch (KPIMATCH_BIN overrides), starts `kpimatch serve` on a free 127.0.0.1
# port with a temporary data directory, waits for /readyz, runs, stops the server,
# and fails on any failed check, on a server panic, or when the server is gone afterwards.
# Reports per-operation request counts (target/schemathesis/summary.txt) and the total time.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"

readonly SCHEMATHESIS_VERSION="4.32.5"
examples="${1:-1000}"
[[ "$examples" =~ ^[1-9][0-9]*$ ]] || { echo "usage: scripts/schemathesis.sh [EXAMPLES] [-- ARGS…]" >&2; exit 2; }
shift || true
[[ "${1:-}" == "--" ]] && shift
extra=("$@")

venv="$root/target/schemathesis-venv"
if ! "$venv/bin/schemathesis" --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION"; then
    echo "== installing schemathesis $SCHEMATHESIS_VERSION into $venv" >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi

bin="${KPIMATCH_BIN:-$root/target/debug/kpimatch}"
if [[ -z "${KPIMATCH_BIN:-}" ]]; then
    cargo build --quiet -p kpimatch-server
fi
[[ -x "$bin" ]] || { echo "schemathesis.sh: $bin is missing" >&2; exit 1; }

out="$root/target/schemathesis"
rm -rf "$out"
mkdir -p "$out"
tmp="$(mktemp -d "${TMPDIR:-/tmp}/kpimatch-schemathesis.XXXXXX")"
server_pid=""
cleanup() {
    if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.2; done
        kill -KILL "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
base="http://127.0.0.1:$port"
# Development mode (no keys); the per-key rate limit is off: the contract is under test, not the
# limiter, and a 429 for an over-eager generator would say nothing about the API.
serve_flags=()
if "$bin" serve --help 2>/dev/null | grep -q -- '--rate-limit-per-second'; then
    serve_flags=(--rate-limit-per-second 0)
fi
"$bin" --bundle "$root/index-data" serve --data-dir "$tmp/data" --bind "127.0.0.1:$port" --log-format json \
    "${serve_flags[@]}" >"$out/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 600); do
    curl -fsS --max-time 2 "$base/readyz" >/dev/null 2>&1 && break
    kill -0 "$server_pid" 2>/dev/null || { tail -20 "$out/server.log" >&2; echo "the server exited" >&2; exit 1; }
    sleep 0.2
done
curl -fsS --max-time 2 "$base/readyz" >/dev/null || { echo "the server was not ready in 120 s" >&2; exit 1; }

echo "== schemathesis $SCHEMATHESIS_VERSION: $examples examples per operation against $base" >&2
started=$SECONDS
status=0
# From target/, so schemathesis keeps its caches (.schemathesis/) there, not in the checkout.
(cd "$root/target" && "$venv/bin/schemathesis" --config-file "$root/scripts/schemathesis.toml" run "$root/openapi/openapi.json" \
    --url "$base" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
    --max-examples "$examples" \
    --workers 2 \
    --seed 42 \
    --generation-database "$root/target/schemathesis-examples" \
    --no-color \
    --report ndjson --report-ndjson-path "$out/events.ndjson" \
    "${extra[@]}") >"$out/output.txt" 2>&1 || status=$?
elapsed=$((SECONDS - started))
tail -60 "$out/output.txt"

alive=1
curl -fsS --max-time 5 "$base/healthz" >/dev/null 2>&1 || alive=0
panics=$(grep -c 'panicked' "$out/server.log" || true)

python3 - "$out" "$elapsed" <<'PY'
import collections
import json
import sys
from pathlib import Path

out, elapsed = Path(sys.argv[1]), int(sys.argv[2])
per_op = collections.Counter()
statuses = collections.defaultdict(collections.Counter)

def walk(node, label):
    """Counts every recorded request/response pair under a scenario event."""
    if isinstance(node, dict):
        if "request" in node and "response" in node and isinstance(node["request"], dict):
            per_op[label] += 1
            resp = node["response"]
            if isinstance(resp, dict) and "status_code" in resp:
                statuses[label][resp["status_code"]] += 1
        for v in node.values():
            walk(v, label)
    elif isinstance(node, list):
        for v in node:
            walk(v, label)

for line in (out / "events.ndjson").read_text().splitlines():
    try:
        event = json.loads(line)
    except ValueError:
        continue
    for kind, body in event.items():
        if not isinstance(body, dict):
            continue
        label = body.get("label") or (body.get("recorder") or {}).get("label")
        if label and "recorder" in body:
            walk(body["recorder"], label)

lines = [f"{'operation':<34} {'requests':>9}  statuses"]
for op in sorted(per_op):
    codes = ", ".join(f"{c}: {n}" for c, n in sorted(statuses[op].items()))
    lines.append(f"{op:<34} {per_op[op]:>9}  {codes}")
lines.append(f"{'total':<34} {sum(per_op.values()):>9}  in {elapsed} s")
text = "\n".join(lines)
(out / "summary.txt").write_text(text + "\n")
print(text)
PY

if ((panics > 0)); then
    echo "schemathesis.sh: the server panicked $panics time(s); see $out/server.log" >&2
    status=1
fi
if ((alive == 0)); then
    echo "schemathesis.sh: the server stopped answering /healthz" >&2
    status=1
fi
if ((status != 0)); then
    echo "schemathesis.sh: failures (full output: $out/output.txt)" >&2
    exit "$status"
fi
echo "schemathesis: every check passed, ${elapsed} s"
