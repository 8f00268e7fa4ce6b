//! Benches of the marketplace operations (criterion, fixed seeds, `harness = false`), each
//! against references measured in the same run on the same engine:
//!
//! * `leads/{cities}/…` — `Engine::leads` (top 10 cities for a solution) over `cities`
//!   synthetic cities (`synth::generate_cities` around the bundled ones, seed [`SEED`]) and a
//!   synthetic catalogue of [`LEAD_SOLUTIONS`] solutions:
//!   - `topk`: the bounded exact top-k (the API's path);
//!   - `exhaustive`: the same request with every eligible city scored exactly
//!     (`Engine::leads_exhaustive`), the reference the top-k must equal;
//!   - `bm25_reference`: one plain tantivy BM25 top-10 over the same index, for scale.
//! * `ops/{solutions}/…` — on a synthetic catalogue of `solutions` with the bundled cities:
//!   - `bm25_reference`: a plain tantivy BM25 top-10 (as in the `matching` bench);
//!   - `hybrid`: a top-10 match with explanations (the API default);
//!   - `why_not`: the same match naming five solutions ranked far below the page in
//!     `explain_ids` (exact ranks need the whole ranking);
//!   - `portfolio`: a portfolio of 5 for the same city and needs.
//!
//! Every benchmark rotates through the same (city, needs) pairs (`benches/needs.txt`) or
//! solutions, one per iteration.
//!
//! Environment: `KPIMATCH_BENCH_LEAD_CITIES` (default `1000,10000`),
//! `KPIMATCH_BENCH_OPS_SIZES` (default `1000,10000,100000`).

use std::cell::OnceCell;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use kpimatch_engine::bundle::Bundle;
use kpimatch_engine::leads::LeadRequest;
use kpimatch_engine::portfolio::PortfolioRequest;
use kpimatch_engine::ranking::CityInput;
use kpimatch_engine::{synth, Engine, MatchRequest};
use support::{bundle, needs_texts, sizes};

mod support;

const SEED: u64 = 42;
/// Catalogue size of the leads benches.
const LEAD_SOLUTIONS: usize = 1_000;

fn engine_with(bundle: &Bundle, solutions: usize, cities: &[kpimatch_engine::city::City]) -> Engine {
    let started = Instant::now();
    let mut engine = Engine::empty_for(bundle).expect("an engine");
    let all = synth::generate(&bundle.solutions, &bundle.catalogue, solutions, SEED);
    for chunk in all.chunks(50_000) {
        engine
            .upsert_solutions(chunk.to_vec())
            .expect("valid synthetic solutions");
    }
    for c in cities {
        engine.upsert_city(c.clone()).expect("valid cities");
    }
    eprintln!(
        "{} solutions, {} cities built in {:.1} s (not timed)",
        solutions,
        cities.len(),
        started.elapsed().as_secs_f64()
    );
    engine
}

fn bench_leads(c: &mut Criterion) {
    let bundle = bundle();
    let mut group = c.benchmark_group("leads");
    group.sample_size(10).measurement_time(Duration::from_secs(6));
    for n in sizes("KPIMATCH_BENCH_LEAD_CITIES", "1000,10000") {
        let cell: OnceCell<(Engine, Vec<String>, Vec<String>)> = OnceCell::new();
        let fixture = || {
            cell.get_or_init(|| {
                let cities = synth::generate_cities(&bundle.cities, LEAD_SOLUTIONS, n, SEED);
                let engine = engine_with(&bundle, LEAD_SOLUTIONS, &cities);
                let ids: Vec<String> = (0..24).map(|i| format!("syn-{}", i * 37 % LEAD_SOLUTIONS)).collect();
                let terms = engine
                    .plan(&MatchRequest::for_text(needs_texts()[0]))
                    .expect("a plan")
                    .user_terms;
                (engine, ids, terms)
            })
        };
        let size = n.to_string();
        group.bench_function(BenchmarkId::new(&size, "bm25_reference"), |b| {
            let (engine, _, terms) = fixture();
            b.iter(|| engine.text_index().bm25_reference(terms, 10).unwrap())
        });
        for (name, exhaustive) in [("topk", false), ("exhaustive", true)] {
            group.bench_function(BenchmarkId::new(&size, name), |b| {
                let (engine, ids, _) = fixture();
                let mut i = 0;
                b.iter(|| {
                    let req = LeadRequest::for_solution(&ids[i % ids.len()]);
                    i += 1;
                    if exhaustive {
                        engine.leads_exhaustive(&req).unwrap()
                    } else {
                        engine.leads(&req).unwrap()
                    }
                })
            });
        }
    }
    group.finish();
}

struct OpsQuery {
    hybrid: MatchRequest,
    why_not: MatchRequest,
    portfolio: PortfolioRequest,
    terms: Vec<String>,
}

fn bench_ops(c: &mut Criterion) {
    let bundle = bundle();
    let mut group = c.benchmark_group("ops");
    group.sample_size(30).measurement_time(Duration::from_secs(8));
    for n in sizes("KPIMATCH_BENCH_OPS_SIZES", "1000,10000,100000") {
        let cell: OnceCell<(Engine, Vec<OpsQuery>)> = OnceCell::new();
        let fixture = || {
            cell.get_or_init(|| {
                let engine = engine_with(&bundle, n, &bundle.cities);
                let queries = needs_texts()
                    .iter()
                    .zip(bundle.cities.iter().cycle())
                    .map(|(needs, city)| {
                        let hybrid = MatchRequest::for_city(&city.id).with_needs(needs).with_limit(10);
                        let mut deep = hybrid.clone().with_limit(100);
                        deep.explain = false;
                        let far = engine.match_solutions(&deep).expect("a ranking").results;
                        let mut why_not = hybrid.clone();
                        why_not.explain_ids = far.iter().rev().take(5).map(|r| r.solution_id.clone()).collect();
                        let portfolio = PortfolioRequest {
                            city: Some(CityInput::Id(city.id.clone())),
                            needs: Some(needs.to_string()),
                            size: 5,
                            ..Default::default()
                        };
                        let terms = engine.plan(&hybrid).expect("a plan").user_terms;
                        OpsQuery {
                            hybrid,
                            why_not,
                            portfolio,
                            terms,
                        }
                    })
                    .collect();
                (engine, queries)
            })
        };
        let size = n.to_string();
        group.bench_function(BenchmarkId::new(&size, "bm25_reference"), |b| {
            let (engine, qs) = fixture();
            let mut i = 0;
            b.iter(|| {
                i += 1;
                engine.text_index().bm25_reference(&qs[i % qs.len()].terms, 10).unwrap()
            })
        });
        group.bench_function(BenchmarkId::new(&size, "hybrid"), |b| {
            let (engine, qs) = fixture();
            let mut i = 0;
            b.iter(|| {
                i += 1;
                engine.match_solutions(&qs[i % qs.len()].hybrid).unwrap()
            })
        });
        group.bench_function(BenchmarkId::new(&size, "why_not"), |b| {
            let (engine, qs) = fixture();
            let mut i = 0;
            b.iter(|| {
                i += 1;
                engine.match_solutions(&qs[i % qs.len()].why_not).unwrap()
            })
        });
        group.bench_function(BenchmarkId::new(&size, "portfolio"), |b| {
            let (engine, qs) = fixture();
            let mut i = 0;
            b.iter(|| {
                i += 1;
                engine.portfolio(&qs[i % qs.len()].portfolio).unwrap()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench_leads, bench_ops);
criterion_main!(benches);
