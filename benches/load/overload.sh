#!/usr/bin/env bash
# Overload test of `kpimatch serve` (SECURITY.md, "Overload"): a separate, documented command,
# not part of CI (it needs a release build and about 5 minutes).
#
# Loads a synthetic catalogue (default 100,000 solutions, seed 42, through POST
# /v1/solutions/bulk by benches/load/synth.py, plus the bundle's cities) into a fresh server,
# then runs POST /v1/match with a needs text unique to every request (a full ranking each time,
# benches/load/overload.lua) in two phases:
#   1. 64 concurrent clients for 60 s: p50/p99 latency; every answer must be a 200 (zero 5xx);
#   2. 512 concurrent clients for 60 s: only 200, 429 or 503 may come back, every 429/503 with
#      Retry-After, and the server must still answer /healthz afterwards.
# The server's memory is sampled every second (VmRSS) and its peak read from VmHWM in
# /proc/<pid>/status. Exits non-zero when a rule is broken.
#
# The server runs in development mode (no keys) with the per-key rate limit off
# (--rate-limit-per-second 0), so the ranking path itself is what is overloaded; pass
# `-- --rate-limit-per-second 200` to measure with the limiter in front (most answers are then
# 429s).
#
# Usage: benches/load/overload.sh [--duration SECONDS] [--synthetic COUNT] [-- SERVE_FLAGS…]
#   --duration S     seconds per phase (default 60)
#   --synthetic N    catalogue size (default 100000)
#   SERVE_FLAGS      flags for `kpimatch serve` instead of the default
#                    `--rate-limit-per-second 0` (e.g. --match-concurrency 4)
# Needs target/release/kpimatch (cargo build --release -p kpimatch-server; KPIMATCH_BIN
# overrides), python3, curl and wrk (installed with apt-get when missing). Everything runs on
# 127.0.0.1; the server is stopped when the script exits.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
duration=60
synthetic=100000
serve_flags=()
while (($#)); do
    case "$1" in
    --duration) duration="${2:?--duration needs seconds}"; shift ;;
    --synthetic) synthetic="${2:?--synthetic needs a count}"; shift ;;
    --) shift; serve_flags=("$@"); break ;;
    -h | --help) sed -n '2,26p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done
[[ "$duration" =~ ^[1-9][0-9]*$ ]] || { echo "--duration must be a positive number of seconds" >&2; exit 2; }
[[ "$synthetic" =~ ^[0-9]+$ ]] || { echo "--synthetic must be a count" >&2; exit 2; }

bin="${KPIMATCH_BIN:-$root/target/release/kpimatch}"
if ((${#serve_flags[@]} == 0)) && "$bin" serve --help 2>/dev/null | grep -q -- '--rate-limit-per-second'; then
    # Lexical: the semantic stage would embed the 100,000 loaded texts at write time (hours).
    serve_flags=(--rate-limit-per-second 0 --no-model)
fi
script=overload.sh
readonly READY_TIMEOUT_S=300 STOP_TIMEOUT_S=15
tmp="$(mktemp -d "${TMPDIR:-/tmp}/kpimatch-overload.XXXXXX")"
# shellcheck source=lib.sh
source "$here/lib.sh"
require_tools

sampler_pid=""
cleanup() {
    [[ -n "$sampler_pid" ]] && kill "$sampler_pid" 2>/dev/null || true
    stop_server
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start_server overload --no-seed "${serve_flags[@]}"

echo "== loading $synthetic synthetic solutions (seed 42)…" >&2
load_start=$SECONDS
python3 "$here/synth.py" --base-url "$base" --bundle "$bundle" --count "$synthetic" --seed 42
echo "   loaded in $((SECONDS - load_start)) s" >&2

kb() { awk -v k="$1:" '$1 == k {print $2}' "/proc/$server_pid/status"; }
hwm_after_load="$(kb VmHWM)"

KPIMATCH_LOAD_CITIES="$(bundled_cities)"
export KPIMATCH_LOAD_CITIES

# phase NAME CONNECTIONS: runs wrk, samples VmRSS every second, prints the figures, writes them
# to $tmp/NAME.txt.
phase() {
    local name="$1" connections="$2" out="$tmp/$1.txt"
    echo "== $name: $connections clients, ${duration} s on POST /v1/match (a full ranking each)…" >&2
    (
        while kill -0 "$server_pid" 2>/dev/null; do
            awk '$1 == "VmRSS:" {print $2}' "/proc/$server_pid/status" 2>/dev/null || true
            sleep 1
        done
    ) >"$tmp/$name.rss" &
    sampler_pid=$!
    KPIMATCH_LOAD_RUN="$name" wrk -t2 -c"$connections" -d"${duration}s" --timeout 15s -s "$here/overload.lua" "$base" \
        >"$out" 2>&1 || true
    kill "$sampler_pid" 2>/dev/null || true
    wait "$sampler_pid" 2>/dev/null || true
    sampler_pid=""
    echo "peak_rss_kb $(sort -n "$tmp/$name.rss" | tail -1)" >>"$out"
    echo "healthz_after $(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$base/healthz")" >>"$out"
}

phase steady 64
phase overload 512
hwm_end="$(kb VmHWM)"
kill -0 "$server_pid" 2>/dev/null || die "the server died under load; its log: $(tail -20 "$tmp/overload.log")"

python3 - "$tmp" "$synthetic" "$hwm_after_load" "$hwm_end" <<'PY'
import re
import sys
from pathlib import Path

tmp, solutions, hwm_load, hwm_end = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
failures = []

def read(name):
    text = (tmp / f"{name}.txt").read_text()
    statuses = {int(c): int(n) for c, n in re.findall(r"^status (\d+) (\d+)$", text, re.M)}
    value = lambda key: float(re.search(rf"^{key} (\S+)$", text, re.M).group(1))
    lat = dict(re.findall(r"^latency_ms (\w+) (\S+)$", text, re.M))
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", text, re.M)
    return {
        "statuses": statuses,
        "requests": int(value("requests")),
        "rps": float(rps.group(1)) if rps else float("nan"),
        "p50": float(lat["p50"]), "p90": float(lat["p90"]), "p99": float(lat["p99"]), "max": float(lat["max"]),
        "missing_retry_after": int(value("missing_retry_after")),
        "socket_errors": int(value("socket_errors")),
        "peak_rss_mb": value("peak_rss_kb") / 1024,
        "healthz_after": int(value("healthz_after")),
    }

steady, overload = read("steady"), read("overload")
print(f"\ncatalogue: {solutions} synthetic solutions; peak RSS after loading it (VmHWM): {hwm_load / 1024:.0f} MiB")
print(f"{'phase':<9} {'clients':>7} {'requests':>9} {'req/s':>8} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8}"
      f" {'max ms':>8} {'peak RSS MiB':>12}  statuses")
for name, clients, r in (("steady", 64, steady), ("overload", 512, overload)):
    codes = ", ".join(f"{c}: {n}" for c, n in sorted(r["statuses"].items()))
    print(f"{name:<9} {clients:>7} {r['requests']:>9,} {r['rps']:>8,.0f} {r['p50']:>8.1f} {r['p90']:>8.1f}"
          f" {r['p99']:>8.1f} {r['max']:>8.1f} {r['peak_rss_mb']:>12.0f}  {codes}"
          f"; socket errors {r['socket_errors']}; missing Retry-After {r['missing_retry_after']}")
print(f"peak RSS over the whole run (VmHWM): {hwm_end / 1024:.0f} MiB")

if any(c >= 500 for c in steady["statuses"]):
    failures.append(f"steady: 5xx answers {[(c, n) for c, n in steady['statuses'].items() if c >= 500]}")
bad = {c: n for c, n in overload["statuses"].items() if c not in (200, 429, 503)}
if bad:
    failures.append(f"overload: answers other than 200/429/503: {bad}")
for name, r in (("steady", steady), ("overload", overload)):
    if r["missing_retry_after"]:
        failures.append(f"{name}: {r['missing_retry_after']} 429/503 answers without Retry-After")
    if r["healthz_after"] != 200:
        failures.append(f"{name}: /healthz answered {r['healthz_after']} afterwards")
    if r["requests"] == 0:
        failures.append(f"{name}: no request completed")
if failures:
    print("\nFAILED:\n  " + "\n  ".join(failures))
    sys.exit(1)
print("\nok: zero 5xx at 64 clients; only 200/429/503 (with Retry-After) at 512; /healthz answered after each phase")
PY
