//! Where a match request's time goes inside the engine, stage by stage, on a synthetic
//! catalogue of a given size: the same `StageTimings` the server exports in `/metrics`, averaged
//! over the bench's needs texts (`benches/needs.txt`) asked by every bundled city in turn, for
//! the default profile, for `text-only`, and for the default profile with no needs text
//! (`kpi-only`). No HTTP, no explanations.
//!
//! ```text
//! cargo run --release -p kpimatch-engine --example stage_timings -- [SOLUTIONS] [ROUNDS]
//! ```
//! (defaults: 100000 solutions, 20 rounds over the needs texts). The catalogue is built first
//! (`synth::generate`, seed 42, as `benches/matching.rs`) and not timed. Wall times on a shared
//! machine are noisy: compare the stages with each other, or run a before/after pair back to back.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use kpimatch_engine::bundle::Bundle;
use kpimatch_engine::{synth, Engine, MatchRequest};

fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args
        .next()
        .map_or(100_000, |a| a.parse().expect("SOLUTIONS is a number"));
    let rounds: usize = args.next().map_or(20, |a| a.parse().expect("ROUNDS is a number"));
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let bundle = Bundle::load(root.join("index-data")).expect("the bundle loads");
    let mut engine = Engine::empty_for(&bundle).expect("an empty engine");
    let started = Instant::now();
    let solutions = synth::generate(&bundle.solutions, &bundle.catalogue, n, 42);
    for chunk in solutions.chunks(50_000) {
        engine
            .upsert_solutions(chunk.to_vec())
            .expect("synthetic solutions are valid");
    }
    for city in &bundle.cities {
        engine.upsert_city(city.clone()).expect("bundled cities are valid");
    }
    eprintln!(
        "{n} solutions built in {:.1} s (not timed), {} index segments",
        started.elapsed().as_secs_f64(),
        engine.text_index().segment_count()
    );
    let needs: Vec<String> = std::fs::read_to_string(root.join("benches/needs.txt"))
        .expect("benches/needs.txt")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(String::from)
        .collect();
    // (label, profile, whether the needs text is sent): `kpi-only` is the default profile
    // with no text at all, as `benches/matching.rs`'s `kpi_only`.
    for (label, profile, with_text) in [
        ("default", None, true),
        ("text-only", Some("text-only"), true),
        ("kpi-only", None, false),
    ] {
        let mut spent: BTreeMap<&str, f64> = BTreeMap::new();
        let mut requests = 0usize;
        let started = Instant::now();
        for round in 0..rounds {
            for (i, text) in needs.iter().enumerate() {
                let city = &bundle.cities[(i + round) % bundle.cities.len()];
                let mut req = MatchRequest::for_city(&city.id)
                    .with_needs(if with_text { text.as_str() } else { "" })
                    .with_limit(10);
                if let Some(p) = profile {
                    req = req.with_profile(p);
                }
                req.explain = false;
                let (_, timings) = engine.match_solutions_timed(&req).expect("a valid request");
                for (stage, d) in timings.iter() {
                    *spent.entry(stage.name()).or_default() += d.as_secs_f64();
                }
                requests += 1;
            }
        }
        let per = |s: f64| s * 1e6 / requests as f64;
        println!(
            "{} at {n}: {:.1} µs per request ({requests} requests)",
            label,
            per(started.elapsed().as_secs_f64())
        );
        for (stage, s) in spent {
            println!("  {stage:<10} {:8.1} µs", per(s));
        }
    }
}
