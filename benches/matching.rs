//! Performance benches of the kpimatch engine (criterion, fixed seeds, `harness = false`).
//!
//! What each group compares:
//!
//! * `gaps/{city}` — `GapAnalysis::compute` for every bundled city: the cost of turning a city's
//!   observations into its weakest-first gap list and roll-ups (paid once per match request).
//! * `match/{size}/…` — one top-10 match request against a synthetic catalogue of `size`
//!   solutions (`kpimatch_engine::synth::generate`, seed [`SYNTH_SEED`]), built once per size
//!   and process, outside the timed loop (`Engine::new`, `upsert_solutions` in chunks of 50,000,
//!   the bundle's cities upserted). Within one size, on the same engine:
//!   - `bm25_reference`: the baseline — a plain tantivy BM25 top-10 over the `all` field of the
//!     same index (`TextIndex::bm25_reference`) with the analysed user terms of the same needs
//!     text (analysed once, outside the loop): no expansions, boosts, KPI part or explanations;
//!   - `hybrid`: a city plus a needs text, default profile, explanations on (the API default);
//!   - `text_only`: the same city and needs text under the `text-only` ablation profile;
//!   - `kpi_only`: the same city with no text at all (`needs: ""`): pure gap ranking over the
//!     impact-ordered KPI lists;
//!   - `hybrid_translated`: the same city asked one of the bundle's translated questions
//!     (`topics/multilingual.jsonl`, nine languages, no `lang` sent): language detection, the
//!     language's analysis and KPI mapping on top of `hybrid`.
//!
//!   - `hybrid_dense` (sizes of `KPIMATCH_BENCH_DENSE_SIZES`): `hybrid` on a second engine of the
//!     same catalogue with the semantic stage, every solution holding a 384-dimension embedding
//!     (`synth::HashedEmbedder`, the shipped model's dimension: running the real model over 10⁵
//!     synthetic texts would take hours, and the ranking's cost depends only on the dimension).
//!     The needs text's embedding comes from the engine's query cache, so the row is the
//!     ranking's cost of the dense part; `semantic/query_embedding` is the model's per-request
//!     cost on a text it has not seen.
//!
//!   So `hybrid / bm25_reference` is the price of kpimatch's ranking over a plain BM25 search.
//!   Every benchmark rotates through the same fixed list of (city, needs) pairs, one per
//!   iteration, so no variant gets a cache advantage.
//! * `build/{size}/…` — index build throughput (Throughput::Elements = solutions):
//!   - `upsert`: a fresh engine loaded with `size` synthetic solutions (validation, profile
//!     inference, tantivy indexing and commit, KPI lists), in chunks of 50,000;
//!   - `profile_for`: the profile inference alone (`Engine::profile_for` per solution), so the
//!     split between inference and indexing is visible.
//!
//! Environment:
//! * `KPIMATCH_BENCH_SIZES` — catalogue sizes of `match` (default `1000,10000,100000,1000000`;
//!   the 1M catalogue takes minutes to build and a few GB of memory).
//! * `KPIMATCH_BENCH_BUILD_SIZES` — sizes of `build` (default `10000,100000`).
//! * `KPIMATCH_BENCH_DENSE_SIZES` — sizes with a `hybrid_dense` row (default
//!   `1000,10000,100000`).
//! * `semantic/…` — the shipped model (skipped when `models/all-MiniLM-L6-v2` is not installed):
//!   `model_load` (reading and mapping the weights), `query_embedding` (one needs text, no
//!   cache), `solution_embedding` (one bundled solution's text: the build rate with embeddings is
//!   cores ÷ this, since `upsert_solutions` runs the model on every core).
//!
//! A size's catalogue is only built when one of its benchmarks passes criterion's filter, so
//! `cargo bench --bench matching -- gaps` builds nothing. `benches/report.sh` runs this bench
//! and prints medians, ratios and throughputs from criterion's JSON estimates.

use std::cell::OnceCell;
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion, SamplingMode, Throughput};
use kpimatch_engine::bundle::Bundle;
use kpimatch_engine::city::GapAnalysis;
use kpimatch_engine::semantic::{Embedder, EmbeddingStore, MiniLm, Semantic};
use kpimatch_engine::solution::Solution;
use kpimatch_engine::{synth, Engine, MatchRequest};
use support::{bundle, needs_texts, sizes};

mod support;

/// Seed of every synthetic catalogue.
const SYNTH_SEED: u64 = 42;
/// Solutions per `upsert_solutions` call when loading a catalogue.
const CHUNK: usize = 50_000;
/// Results per request.
const TOP: usize = 10;

const DEFAULT_SIZES: &str = "1000,10000,100000,1000000";
const DEFAULT_BUILD_SIZES: &str = "10000,100000";
const DEFAULT_DENSE_SIZES: &str = "1000,10000,100000";

/// An empty engine with the bundle's catalogue, vocabulary and profiles (as `Engine::from_bundle`).
fn empty_engine(bundle: &Bundle) -> Engine {
    Engine::empty_for(bundle).expect("an empty engine")
}

fn upsert_in_chunks(engine: &mut Engine, solutions: Vec<Solution>) {
    let mut rest = solutions.into_iter();
    loop {
        let chunk: Vec<Solution> = rest.by_ref().take(CHUNK).collect();
        if chunk.is_empty() {
            break;
        }
        engine.upsert_solutions(chunk).expect("synthetic solutions are valid");
    }
}

fn synthetic(bundle: &Bundle, n: usize) -> Vec<Solution> {
    synth::generate(&bundle.solutions, &bundle.catalogue, n, SYNTH_SEED)
}

fn bench_gaps(c: &mut Criterion) {
    let bundle = bundle();
    let mut group = c.benchmark_group("gaps");
    for city in &bundle.cities {
        group.bench_function(BenchmarkId::from_parameter(&city.id), |b| {
            b.iter(|| GapAnalysis::compute(black_box(city), black_box(&bundle.catalogue)))
        });
    }
    group.finish();
}

/// One rotation entry: the same city and needs text in the four request shapes.
struct Query {
    hybrid: MatchRequest,
    text_only: MatchRequest,
    kpi_only: MatchRequest,
    translated: MatchRequest,
    reference_terms: Vec<String>,
    hybrid_explained: MatchRequest,
}

/// Which of a [`Query`]'s requests a benchmark sends.
type PickRequest = fn(&Query) -> &MatchRequest;

/// A loaded engine of one catalogue size and its rotation of queries.
struct MatchFixture {
    engine: Engine,
    queries: Vec<Query>,
    /// The same catalogue with the semantic stage (sizes with a `hybrid_dense` row).
    dense: Option<Engine>,
}

impl MatchFixture {
    fn build(bundle: &Bundle, n: usize, with_dense: bool) -> MatchFixture {
        let started = Instant::now();
        let mut engine = empty_engine(bundle);
        upsert_in_chunks(&mut engine, synthetic(bundle, n));
        let dense = with_dense.then(|| {
            let mut dense = empty_engine(bundle);
            let sem = Semantic::new(
                Box::new(synth::HashedEmbedder::new(384)),
                EmbeddingStore::in_memory("hashed-words-384", 384),
            );
            dense
                .set_semantic(Some(std::sync::Arc::new(sem)))
                .expect("an empty engine");
            upsert_in_chunks(&mut dense, synthetic(bundle, n));
            for city in &bundle.cities {
                dense.upsert_city(city.clone()).expect("bundled cities are valid");
            }
            dense
        });
        for city in &bundle.cities {
            engine.upsert_city(city.clone()).expect("bundled cities are valid");
        }
        eprintln!(
            "match/{n}: catalogue of {} solutions built in {:.1} s (not timed)",
            engine.stats().solutions,
            started.elapsed().as_secs_f64()
        );
        let translations: Vec<&str> = bundle
            .variant_topics
            .iter()
            .filter(|t| t.variant == kpimatch_engine::bundle::Variant::Translation)
            .map(|t| t.needs.as_str())
            .collect();
        let queries = needs_texts()
            .iter()
            .zip(bundle.cities.iter().cycle())
            .zip(translations.iter().cycle())
            .map(|((needs, city), translated)| {
                // The ranking itself, without explanations; `hybrid_explained` adds them (the
                // API default) so their cost is visible on its own.
                let hybrid_explained = MatchRequest::for_city(&city.id).with_needs(needs).with_limit(TOP);
                let mut hybrid = hybrid_explained.clone();
                hybrid.explain = false;
                let text_only = hybrid.clone().with_profile("text-only");
                let mut kpi_only = MatchRequest::for_city(&city.id).with_needs("").with_limit(TOP);
                kpi_only.explain = false;
                let mut translated = MatchRequest::for_city(&city.id).with_needs(translated).with_limit(TOP);
                translated.explain = false;
                let reference_terms = engine.plan(&hybrid).expect("a valid request").user_terms;
                assert!(!reference_terms.is_empty(), "'{needs}' has no terms");
                Query {
                    hybrid,
                    hybrid_explained,
                    text_only,
                    kpi_only,
                    translated,
                    reference_terms,
                }
            })
            .collect();
        MatchFixture { engine, queries, dense }
    }
}

fn bench_match(c: &mut Criterion) {
    let bundle = bundle();
    assert!(!bundle.cities.is_empty(), "the bundle has no cities");
    let mut group = c.benchmark_group("match");
    group.sample_size(50).measurement_time(Duration::from_secs(10));
    let dense_sizes = sizes("KPIMATCH_BENCH_DENSE_SIZES", DEFAULT_DENSE_SIZES);
    for n in sizes("KPIMATCH_BENCH_SIZES", DEFAULT_SIZES) {
        // Built by the first benchmark of this size that runs; dropped before the next size.
        let cell: OnceCell<MatchFixture> = OnceCell::new();
        let with_dense = dense_sizes.contains(&n);
        let fixture = || cell.get_or_init(|| MatchFixture::build(&bundle, n, with_dense));
        let size = n.to_string();
        group.bench_function(BenchmarkId::new(&size, "bm25_reference"), |b| {
            let f = fixture();
            let mut i = 0;
            b.iter(|| {
                let q = &f.queries[i % f.queries.len()];
                i += 1;
                f.engine.text_index().bm25_reference(&q.reference_terms, TOP).unwrap()
            })
        });
        let variants: [(&str, PickRequest); 5] = [
            ("hybrid", |q| &q.hybrid),
            ("hybrid_explained", |q| &q.hybrid_explained),
            ("text_only", |q| &q.text_only),
            ("kpi_only", |q| &q.kpi_only),
            ("hybrid_translated", |q| &q.translated),
        ];
        for (name, request) in variants {
            group.bench_function(BenchmarkId::new(&size, name), |b| {
                let f = fixture();
                let mut i = 0;
                b.iter(|| {
                    let q = &f.queries[i % f.queries.len()];
                    i += 1;
                    f.engine.match_solutions(request(q)).unwrap()
                })
            });
        }
        if with_dense {
            group.bench_function(BenchmarkId::new(&size, "hybrid_dense"), |b| {
                let f = fixture();
                let dense = f.dense.as_ref().expect("built with the dense engine");
                let mut i = 0;
                b.iter(|| {
                    let q = &f.queries[i % f.queries.len()];
                    i += 1;
                    let r = dense.match_solutions(&q.hybrid).unwrap();
                    debug_assert!(dense.plan(&q.hybrid).unwrap().dense.is_some());
                    r
                })
            });
        }
    }
    group.finish();
}

/// The shipped model's costs (skipped when it is not installed).
fn bench_semantic(c: &mut Criterion) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../models/all-MiniLM-L6-v2");
    if !dir.join("model.safetensors").exists() {
        eprintln!("semantic: skipped, no model in {} (scripts/model.sh)", dir.display());
        return;
    }
    let bundle = bundle();
    let mut group = c.benchmark_group("semantic");
    group.sample_size(20).measurement_time(Duration::from_secs(10));
    group.bench_function("model_load", |b| b.iter(|| MiniLm::load(&dir).unwrap()));
    let model = MiniLm::load(&dir).unwrap();
    let needs = needs_texts();
    group.bench_function("query_embedding", |b| {
        let mut i = 0;
        b.iter(|| {
            i += 1;
            model.embed(needs[i % needs.len()]).unwrap()
        })
    });
    let texts: Vec<String> = bundle
        .solutions
        .iter()
        .take(50)
        .map(kpimatch_engine::semantic::solution_text)
        .collect();
    group.bench_function("solution_embedding", |b| {
        let mut i = 0;
        b.iter(|| {
            i += 1;
            model.embed(&texts[i % texts.len()]).unwrap()
        })
    });
    group.finish();
}

fn bench_build(c: &mut Criterion) {
    let bundle = bundle();
    let mut group = c.benchmark_group("build");
    group.sample_size(10).sampling_mode(SamplingMode::Flat);
    for n in sizes("KPIMATCH_BENCH_BUILD_SIZES", DEFAULT_BUILD_SIZES) {
        let cell: OnceCell<Vec<Solution>> = OnceCell::new();
        let solutions = || cell.get_or_init(|| synthetic(&bundle, n));
        let size = n.to_string();
        group.throughput(Throughput::Elements(n as u64));
        // About 10 builds; criterion extends the time when they take longer.
        group.measurement_time(Duration::from_secs((n as u64 / 1_000).clamp(5, 300)));
        group.bench_function(BenchmarkId::new(&size, "upsert"), |b| {
            let all = solutions();
            b.iter_batched(
                || (empty_engine(&bundle), all.clone()),
                |(mut engine, batch)| {
                    upsert_in_chunks(&mut engine, batch);
                    engine // dropped outside the timing
                },
                BatchSize::PerIteration,
            )
        });
        group.bench_function(BenchmarkId::new(&size, "profile_for"), |b| {
            let all = solutions();
            let engine = empty_engine(&bundle);
            b.iter(|| {
                let mut entries = 0usize;
                for s in all {
                    entries += engine.profile_for(s).entries().len();
                }
                entries
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench_gaps, bench_match, bench_build, bench_semantic);
criterion_main!(benches);
