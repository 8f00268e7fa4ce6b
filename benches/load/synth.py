#!/usr/bin/env python3
"""Loads a deterministic synthetic catalogue into a running kpimatch for the load test.

Mirrors `kpimatch_engine::synth`: each solution is drawn around a randomly chosen real solution
of the bundle (70 % of its words from that solution's own text, the rest from the whole
bundle's words), about half declare KPI impacts (their template's, scaled down, or one random
KPI), ids are `syn-<n>`. The same seed always gives the same catalogue. Solutions are sent with
POST /v1/solutions/bulk, 10,000 per call; the bundle's cities with PUT /v1/cities/{id}.

Standard library only. Usage:
    synth.py --base-url http://127.0.0.1:8080 --bundle index-data --count 100000 [--seed 42]
"""

import argparse
import json
import random
import re
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

REGIONS = ["Europe", "Asia", "Africa", "North America", "Latin America", "Middle East", "Oceania"]
WHEEL = ["Economy", "Environment", "Government", "Living", "Mobility", "People"]
MATURITY = ["concept", "pilot", "proven", "scaled"]
COST = ["low", "medium", "high"]
BATCH = 10_000
TIMEOUT_S = 600


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def words(text):
    return [w.lower() for w in re.split(r"[^\w-]+", text) if w]


def generate(bundle, count, seed):
    """Yields `count` solution objects (with their `id`), deterministically for `seed`."""
    rng = random.Random(seed)
    real = [s for f in sorted((bundle / "solutions").glob("*.jsonl")) for s in read_jsonl(f)]
    codes = [k["code"] for k in read_jsonl(bundle / "kpis.jsonl")]
    templates = []
    for s in real:
        w = words(" ".join((s.get("title", ""), s.get("summary", ""), s.get("description", ""))))
        if w:
            templates.append((w, s))
    all_words = [w for t, _ in templates for w in t]
    for i in range(count):
        t_words, t = templates[rng.randrange(len(templates))]

        def draw(n):
            return " ".join(rng.choice(t_words) if rng.random() < 0.7 else rng.choice(all_words) for _ in range(n))

        title = draw(rng.randrange(3, 7))
        summary = draw(rng.randrange(10, 20))
        description = draw(rng.randrange(50, 110))
        kpis = []
        if rng.random() < 0.5:
            kpis = [
                {"code": k["code"], "impact": round(min(1.0, max(0.01, k["impact"] * rng.uniform(0.6, 1.0))), 3)}
                for k in t.get("kpis", [])
            ]
            if not kpis:
                kpis = [{"code": rng.choice(codes), "impact": round(rng.uniform(0.2, 1.0), 3)}]
        yield {
            "id": f"syn-{i}",
            "title": title,
            "provider": f"Synthetic Provider {i % 997}",
            "summary": summary,
            "description": description,
            "categories": t.get("categories") or [rng.choice(WHEEL)],
            "tags": t.get("tags", []),
            "regions": [rng.choice(REGIONS)],
            "kpis": kpis,
            "maturity": rng.choice(MATURITY),
            "cost_band": rng.choice(COST),
        }


def call(method, url, body):
    data = json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT_S) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(errors="replace")[:2000]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base-url", required=True)
    ap.add_argument("--bundle", default="index-data", type=Path)
    ap.add_argument("--count", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=42)
    a = ap.parse_args()
    if not a.base_url.startswith(("http://127.0.0.1:", "http://localhost:")):
        sys.exit("synth.py only loads a local kpimatch (http://127.0.0.1:PORT)")
    base = a.base_url.rstrip("/")

    for city in read_jsonl(a.bundle / "cities.jsonl"):
        # Their deployments name bundle solutions, which a synthetic catalogue does not hold.
        city.pop("deployments", None)
        cid = city.pop("id")
        status, body = call("PUT", f"{base}/v1/cities/{cid}", city)
        if status not in (200, 201):
            sys.exit(f"PUT /v1/cities/{cid} answered {status}: {body}")

    started, batch, sent, in_calls = time.monotonic(), [], 0, 0.0

    def flush():
        nonlocal batch, sent, in_calls
        t = time.monotonic()
        status, body = call("POST", f"{base}/v1/solutions/bulk", batch)
        in_calls += time.monotonic() - t
        if status != 200 or body.get("rejected"):
            detail = body if status != 200 else [i for i in body["items"] if i.get("error")][:3]
            sys.exit(f"POST /v1/solutions/bulk answered {status}: {detail}")
        sent += body["stored"]
        print(f"  loaded {sent:>7,} solutions ({time.monotonic() - t:.1f} s for this call)", file=sys.stderr)
        batch = []

    for s in generate(a.bundle, a.count, a.seed):
        batch.append(s)
        if len(batch) == BATCH:
            flush()
    if batch:
        flush()
    # The calls' time is the server's (and the transfer's); the rest is this script generating.
    print(
        f"  {sent:,} synthetic solutions loaded in {time.monotonic() - started:.1f} s "
        f"({in_calls:.1f} s in the bulk calls: {sent / max(in_calls, 1e-9):,.0f} solutions/s)",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
