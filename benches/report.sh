#!/usr/bin/env bash
# Runs the `matching` criterion bench and prints its results as one table: medians per catalogue
# size, the ratios of kpimatch's requests to a plain tantivy BM25 top-10 on the same index, the
# gap-analysis medians and the index build throughput.
#
# Usage (from anywhere):
#   benches/report.sh [criterion args…]        run the bench, then report what this run measured
#   benches/report.sh --report-only            report the results already in target/criterion
#
# The environment passes through to the bench, e.g.
#   KPIMATCH_BENCH_SIZES=1000,10000 KPIMATCH_BENCH_BUILD_SIZES=10000 benches/report.sh
#   KPIMATCH_BENCH_SIZES=1000 benches/report.sh --quick       (a smoke run)
# Defaults: match sizes 1000,10000,100000,1000000 (the 1M catalogue takes minutes and a few GB
# to build), build sizes 10000,100000. A full run takes well over half an hour.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
target_dir="${CARGO_TARGET_DIR:-$root/target}"
criterion_dir="$target_dir/criterion"

since=0
if [[ "${1:-}" == "--report-only" ]]; then
    shift
else
    since="$(date +%s)"
    cargo bench --bench matching -- "$@"
fi

python3 - "$criterion_dir" "$since" <<'PY'
import json
import os
import sys
from pathlib import Path

root, since = Path(sys.argv[1]), float(sys.argv[2])
if not root.is_dir():
    sys.exit(f"no criterion results in {root}: run the bench first")

# full id ("match/1000/hybrid") -> (median ns, throughput or None)
results, stale = {}, 0
for est in root.glob("**/new/estimates.json"):
    meta_path = est.parent / "benchmark.json"
    if not meta_path.is_file():
        continue
    if est.stat().st_mtime < since:
        stale += 1
        continue
    meta = json.loads(meta_path.read_text())
    median = json.loads(est.read_text())["median"]["point_estimate"]
    results[meta["full_id"]] = (median, meta.get("throughput"))

def ms(ns):
    return f"{ns / 1e6:10.4f}"

def ratio(a, b):
    return f"{a / b:7.2f}x" if a is not None and b else "      -"

def median(key):
    r = results.get(key)
    return r[0] if r else None

def fmt(ns):
    return ms(ns) if ns is not None else "         -"

printed = False
sizes = sorted({int(k.split("/")[1]) for k in results if k.startswith("match/")})
if sizes:
    printed = True
    print("match: one top-10 request, median ms (ratios to bm25_reference on the same index)")
    print(f"{'size':>9} {'bm25_ref':>10} {'hybrid':>10} {'text_only':>10} {'kpi_only':>10} {'translated':>10}"
          f" {'dense':>10} {'hyb/bm25':>8} {'text/bm25':>9} {'kpi/bm25':>8} {'trans/bm25':>10} {'dense/bm25':>10}")
    for n in sizes:
        ref, hyb, txt, kpi, tra, den = (median(f"match/{n}/{v}") for v in
                                        ("bm25_reference", "hybrid", "text_only", "kpi_only", "hybrid_translated",
                                         "hybrid_dense"))
        print(f"{n:>9} {fmt(ref)} {fmt(hyb)} {fmt(txt)} {fmt(kpi)} {fmt(tra)} {fmt(den)} {ratio(hyb, ref):>8}"
              f" {ratio(txt, ref):>9} {ratio(kpi, ref):>8} {ratio(tra, ref):>10} {ratio(den, ref):>10}")
    print()

semantic = {k.split("/", 1)[1]: v[0] for k, v in results.items() if k.startswith("semantic/")}
if semantic:
    printed = True
    print("semantic: the shipped model, median ms"
          + "".join(f"; {name} {ns / 1e6:.2f}" for name, ns in sorted(semantic.items())))
    if "solution_embedding" in semantic:
        cores = os.cpu_count() or 1
        print(f"  build rate with embeddings (model on {cores} cores): "
              f"about {cores / (semantic['solution_embedding'] / 1e9):.0f} solutions/s")
    print()

gaps = sorted((k.split("/", 1)[1], v[0]) for k, v in results.items() if k.startswith("gaps/"))
if gaps:
    printed = True
    values = sorted(v for _, v in gaps)
    print(f"gaps: GapAnalysis::compute over {len(gaps)} cities, median µs: "
          f"min {values[0] / 1e3:.1f}, median {values[len(values) // 2] / 1e3:.1f}, max {values[-1] / 1e3:.1f}")
    print()

builds = sorted({int(k.split("/")[1]) for k in results if k.startswith("build/")})
if builds:
    printed = True
    print("build: throughput, solutions/s (median)")
    print(f"{'size':>9} {'upsert':>12} {'profile_for':>12} {'upsert s':>9} {'profile s':>9}")
    for n in builds:
        up, pf = median(f"build/{n}/upsert"), median(f"build/{n}/profile_for")
        rate = lambda ns: f"{n / (ns / 1e9):12,.0f}" if ns else f"{'-':>12}"
        secs = lambda ns: f"{ns / 1e9:9.2f}" if ns else f"{'-':>9}"
        print(f"{n:>9} {rate(up)} {rate(pf)} {secs(up)} {secs(pf)}")
    print()

if not printed:
    print("no results of this run found" + (f" ({stale} older ones ignored)" if stale else ""))
elif stale:
    print(f"({stale} results of earlier runs ignored; `benches/report.sh --report-only` shows everything on disk)")
PY
