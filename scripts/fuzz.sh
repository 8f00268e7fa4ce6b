#!/usr/bin/env bash
# Fuzzes the parsers that read outside input with cargo-fuzz (libFuzzer), each target for the
# given time, and fails on any crash, panic, timeout or out-of-memory.
#
# Usage: scripts/fuzz.sh [SECONDS] [TARGET…]
#   SECONDS   time per target (default 30)
#   TARGET    targets to run (default: every target in fuzz/Cargo.toml)
#
# Targets (fuzz/fuzz_targets/): needs_plan (needs text → query plan → ranking), kpi_code (KPI
# code normalisation), bulk_import (POST /v1/solutions/bulk body parsing), match_body
# (POST /v1/match bodies → ranking), trec_files (qrels and runs, TREC and BEIR), topic (judged
# topics → ranking). Seeds are committed in fuzz/seeds/<target>; the growing corpus is kept in
# target/fuzz/corpus/<target> (not committed), crashes land in target/fuzz/artifacts/<target>.
# A crash becomes a regression test next to the code it found. libFuzzer's seed is fixed
# (KPIMATCH_FUZZ_SEED, default 1) so the CI smoke explores the same inputs first every run;
# set another seed (or a long time) to explore further.
#
# Runs on the stable toolchain: `-s none` builds without a sanitizer (AddressSanitizer needs a
# nightly `-Zsanitizer`), and the coverage instrumentation cargo-fuzz passes is stable rustc.
# Installs cargo-fuzz (cargo install cargo-fuzz --locked) when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"

seconds="${1:-30}"
[[ "$seconds" =~ ^[1-9][0-9]*$ ]] || { echo "usage: scripts/fuzz.sh [SECONDS] [TARGET…]" >&2; exit 2; }
shift || true

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "== installing cargo-fuzz" >&2
    cargo install cargo-fuzz --locked --version 0.13.2
fi

work="$root/target/fuzz"
mkdir -p "$work/corpus" "$work/logs"
cd fuzz

if (($#)); then
    targets=("$@")
else
    mapfile -t targets < <(cargo fuzz list)
fi

echo "== building ${#targets[@]} fuzz targets (release, debug assertions, no sanitizer)" >&2
cargo fuzz build -s none --target-dir "$work/build" >&2

failed=()
printf '%-12s %12s %10s %8s %8s %8s\n' target executions exec/s cov ft corpus
for t in "${targets[@]}"; do
    corpus="$work/corpus/$t"
    log="$work/logs/$t.log"
    mkdir -p "$corpus" "$work/artifacts/$t"
    seeds=()
    [[ -d "seeds/$t" ]] && seeds=("seeds/$t")
    dict=()
    case "$t" in bulk_import | match_body | topic) dict=(-dict=json.dict) ;; esac
    status=0
    cargo fuzz run -s none --target-dir "$work/build" "$t" "$corpus" "${seeds[@]}" -- \
        -max_total_time="$seconds" -seed="${KPIMATCH_FUZZ_SEED:-1}" -timeout=10 -rss_limit_mb=4096 -max_len=65536 \
        -artifact_prefix="$work/artifacts/$t/" -print_final_stats=1 "${dict[@]}" \
        >"$log" 2>&1 || status=$?
    runs=$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -Eo '[0-9]+$' || echo 0)
    rate=$(grep -Eo 'stat::average_exec_per_sec: *[0-9]+' "$log" | grep -Eo '[0-9]+$' || echo 0)
    last=$(grep -E '^#[0-9]+.*cov: [0-9]+' "$log" | tail -1 || true)
    cov=$(grep -Eo 'cov: [0-9]+' <<<"$last" | grep -Eo '[0-9]+' || echo 0)
    ft=$(grep -Eo 'ft: [0-9]+' <<<"$last" | grep -Eo '[0-9]+' || echo 0)
    corp=$(grep -Eo 'corp: [0-9]+' <<<"$last" | grep -Eo '[0-9]+' || echo 0)
    printf '%-12s %12s %10s %8s %8s %8s\n' "$t" "$runs" "$rate" "$cov" "$ft" "$corp"
    if ((status != 0)); then
        failed+=("$t")
        echo "!! $t failed (exit $status); the end of its log ($log):" >&2
        tail -40 "$log" >&2
    fi
done

if ((${#failed[@]})); then
    echo "fuzzing found problems in: ${failed[*]} (inputs in $work/artifacts/<target>/)" >&2
    exit 1
fi
echo "fuzz: ${#targets[@]} targets, ${seconds} s each, no crash"
