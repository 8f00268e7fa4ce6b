#!/usr/bin/env bash
# The whole test suite, on a fresh machine: installs what the tests need, then runs them.
# Usage: scripts/test.sh            (what CI runs through .ci/run)
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d ../shared/benchmarks/trec_eval ]; then
    echo "error: ../shared/benchmarks/trec_eval is missing (the trec_eval conformance data sits beside the repository)" >&2
    exit 1
fi

echo "== cargo test (unit, integration, doc tests) =="
cargo test --workspace --no-fail-fast 2>&1 | tee /tmp/kpimatch-test.log
status=${PIPESTATUS[0]}
passed=$(grep -Eo 'test result: [a-zA-Z]+\. [0-9]+ passed' /tmp/kpimatch-test.log | awk '{s+=$4} END {print s+0}')
failed=$(grep -Eo '[0-9]+ failed' /tmp/kpimatch-test.log | awk '{s+=$1} END {print s+0}')
echo "tests: ${passed} passed, ${failed} failed"
exit "$status"
