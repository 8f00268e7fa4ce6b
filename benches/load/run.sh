#!/usr/bin/env bash
# HTTP load test of `kpimatch serve` with wrk (2 threads, 32 connections, --latency).
#
# For each catalogue — the bundled one (seeded into a fresh temporary data directory) and a
# synthetic one of 100,000 solutions (an empty data directory started with --no-seed, loaded by
# benches/load/synth.py through POST /v1/solutions/bulk, seed 42, plus the bundle's cities) —
# it measures (the bundle both lexically and, when the model is installed, with the semantic
# stage; the synthetic catalogue lexically):
#   healthz      GET /healthz: the HTTP ceiling of this machine (no engine work);
#   match_warm   POST /v1/match with one fixed body: answered from the match cache;
#   match_cold   POST /v1/match with a needs text unique to every request: a full ranking each time;
#   search       GET /v1/search?q=… with a fixed question: cache-warm like match_warm.
# and prints requests/s, p50 and p99 per scenario with their ratios to /healthz.
#
# Usage: benches/load/run.sh [--quick] [--duration SECONDS] [--synthetic COUNT]
#   --quick            3 s per scenario, bundled catalogue only (a smoke run)
#   --duration S       seconds per scenario (default 20)
#   --synthetic N      size of the synthetic catalogue (default 100000; 0 skips it)
# Needs target/release/kpimatch (cargo build --release -p kpimatch-server; KPIMATCH_BIN
# overrides), python3 and curl; installs wrk with apt-get when missing. The server only
# listens on 127.0.0.1 and is stopped when the script exits. It logs at RUST_LOG=warn (no
# per-request lines) unless KPIMATCH_LOAD_RUST_LOG says otherwise. Client and server share the
# machine's cores, so compare scenarios with each other and with /healthz, not across machines.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
duration=20
synthetic=100000
while (($#)); do
    case "$1" in
    --quick) duration=3 synthetic=0 ;;
    --duration) duration="${2:?--duration needs seconds}"; shift ;;
    --synthetic) synthetic="${2:?--synthetic needs a count}"; shift ;;
    -h | --help) sed -n '2,23p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done
[[ "$duration" =~ ^[1-9][0-9]*$ ]] || { echo "--duration must be a positive number of seconds" >&2; exit 2; }
[[ "$synthetic" =~ ^[0-9]+$ ]] || { echo "--synthetic must be a count" >&2; exit 2; }

bin="${KPIMATCH_BIN:-$root/target/release/kpimatch}"
script=run.sh
readonly READY_TIMEOUT_S=120 STOP_TIMEOUT_S=15 WRK_THREADS=2 WRK_CONNECTIONS=32
tmp="$(mktemp -d "${TMPDIR:-/tmp}/kpimatch-load.XXXXXX")"
# shellcheck source=lib.sh
source "$here/lib.sh"
require_tools

cleanup() {
    stop_server
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The bundled city ids, for the Lua scripts.
cities="$(bundled_cities)"
export KPIMATCH_LOAD_CITIES="$cities"
export KPIMATCH_LOAD_CITY="${cities%%,*}"

# run_scenarios CATALOGUE: the four scenarios against the running server.
run_scenarios() {
    local catalogue="$1" solutions
    solutions="$(curl -fsS --max-time 5 "$base/readyz" | python3 -c 'import json, sys; print(json.load(sys.stdin)["solutions"])')"
    echo "== $catalogue catalogue: $solutions solutions, ${duration} s per scenario" >&2
    local -a common=(-t"$WRK_THREADS" -c"$WRK_CONNECTIONS" -d"${duration}s" --timeout 10s --latency)
    local scenario
    for scenario in healthz match_warm match_cold search; do
        local out="$tmp/result.$catalogue.$scenario.txt"
        echo "   $scenario…" >&2
        {
            echo "#catalogue $catalogue"
            echo "#solutions $solutions"
            echo "#scenario $scenario"
        } >"$out"
        case "$scenario" in
        healthz) wrk "${common[@]}" "$base/healthz" >>"$out" ;;
        match_warm) wrk "${common[@]}" -s "$here/match_warm.lua" "$base" >>"$out" ;;
        match_cold) wrk "${common[@]}" -s "$here/match_cold.lua" "$base" >>"$out" ;;
        search) wrk "${common[@]}" "$base/v1/search?q=what+fixes+our+water+KPIs%3F&limit=10" >>"$out" ;;
        esac
    done
}

# The bundle twice: lexical, and with the semantic stage when its model is installed (a cold
# request then embeds its needs text: the model's ~10 ms per text is the cost being measured).
start_server bundled --rate-limit-per-second 0 --no-model
run_scenarios bundled
stop_server
if [[ -f "$root/models/all-MiniLM-L6-v2/model.safetensors" ]]; then
    start_server semantic --rate-limit-per-second 0 --model "$root/models/all-MiniLM-L6-v2"
    run_scenarios semantic
    stop_server
fi

if ((synthetic > 0)); then
    # Lexical: the model would take about an hour on 2 cores to embed 100,000 new texts at
    # write time; the dense part's ranking cost at that size is in the criterion bench.
    start_server synthetic --no-seed --rate-limit-per-second 0 --no-model
    echo "== loading $synthetic synthetic solutions (seed 42)…" >&2
    python3 "$here/synth.py" --base-url "$base" --bundle "$bundle" --count "$synthetic" --seed 42
    run_scenarios synthetic
    stop_server
fi

python3 - "$tmp" <<'PY'
import re
import sys
from pathlib import Path

UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}

def ms(text):
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text)
    return float(m.group(1)) * UNITS[m.group(2)] if m else float("nan")

rows = []
for f in sorted(Path(sys.argv[1]).glob("result.*.txt"), key=lambda p: p.stat().st_mtime):
    t = f.read_text()
    meta = dict(re.findall(r"^#(\w+) (.*)$", t, re.M))
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", t, re.M)
    p50 = re.search(r"^\s+50%\s+(\S+)", t, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", t, re.M)
    total = re.search(r"^\s+(\d+) requests in", t, re.M)
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", t)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", t)
    errors = (int(non2xx.group(1)) if non2xx else 0) + (sum(map(int, sock.groups())) if sock else 0)
    rows.append({
        "catalogue": meta.get("catalogue", "?"),
        "solutions": meta.get("solutions", "?"),
        "scenario": meta.get("scenario", "?"),
        "rps": float(rps.group(1)) if rps else float("nan"),
        "p50": ms(p50.group(1)) if p50 else float("nan"),
        "p99": ms(p99.group(1)) if p99 else float("nan"),
        "requests": int(total.group(1)) if total else 0,
        "errors": errors,
    })

print()
print(f"{'catalogue':<10} {'solutions':>9} {'scenario':<11} {'req/s':>10} {'p50 ms':>8} {'p99 ms':>8}"
      f" {'requests':>9} {'errors':>7} {'rps/healthz':>11} {'p50/healthz':>11}")
for r in rows:
    h = next((x for x in rows if x["catalogue"] == r["catalogue"] and x["scenario"] == "healthz"), None)
    rr = f"{r['rps'] / h['rps']:.3f}" if h and h["rps"] else "-"
    pr = f"{r['p50'] / h['p50']:.1f}x" if h and h["p50"] else "-"
    print(f"{r['catalogue']:<10} {r['solutions']:>9} {r['scenario']:<11} {r['rps']:>10,.0f} {r['p50']:>8.2f}"
          f" {r['p99']:>8.2f} {r['requests']:>9,} {r['errors']:>7} {rr:>11} {pr:>11}")
if any(r["errors"] for r in rows):
    print("\nerrors = non-2xx answers plus socket errors (a 503 means the ranking queue was full)")
PY
