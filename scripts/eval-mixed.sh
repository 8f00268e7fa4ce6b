#!/usr/bin/env bash
# Mixed-language questions: each translated variant topic followed by the second half of its
# English source (code-switching, as a planner pasting an English phrase would), evaluated like
# `kpimatch eval --multilingual` on a temporary copy of the bundle. Reports each language against
# gap-only ranking: mixed text must never rank worse than no text.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp -r index-data "$tmp/"
python3 - "$tmp/index-data" <<'PY'
import json, sys
root = sys.argv[1]
sources = {json.loads(l)["id"]: json.loads(l) for l in open(f"{root}/topics/topics.jsonl")}
mixed = []
for line in open(f"{root}/topics/multilingual.jsonl"):
    t = json.loads(line)
    if t["variant"] != "translation":
        continue
    english = sources[t["source"]]["needs"].split()
    t["needs"] = (t["needs"] + " " + " ".join(english[len(english) // 2:]))[:2000]
    mixed.append(json.dumps(t, ensure_ascii=False))
open(f"{root}/topics/multilingual.jsonl", "w").write("\n".join(mixed) + "\n")
PY
cargo run --release --quiet -- --bundle "$tmp/index-data" bundle manifest >/dev/null
cargo run --release --quiet -- --bundle "$tmp/index-data" eval --multilingual --metrics "${1:-ndcg_cut_5,ndcg_cut_10}"
