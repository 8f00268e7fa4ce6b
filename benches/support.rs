//! What the criterion benches share: the bundle, sizes from the environment, the needs texts.

use kpimatch_engine::bundle::Bundle;
use kpimatch_engine::synth;

/// Needs texts of the match benches, paired in order with the bundle's cities (cycled): the
/// first 12 lines of `benches/needs.txt`, which the HTTP load test (`load/cold_match.lua`) also
/// rotates through.
pub fn needs_texts() -> Vec<&'static str> {
    include_str!("needs.txt")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(12)
        .collect()
}

pub fn bundle() -> Bundle {
    Bundle::load(concat!(env!("CARGO_MANIFEST_DIR"), "/../index-data")).expect("the bundled index-data loads")
}

/// Sizes from an environment variable: comma-separated counts (`_` allowed as a separator).
pub fn sizes(var: &str, default: &str) -> Vec<usize> {
    let text = std::env::var(var).unwrap_or_else(|_| default.to_string());
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            let n: usize = s
                .replace('_', "")
                .parse()
                .unwrap_or_else(|_| panic!("{var}: '{s}' is not a count of solutions"));
            assert!(
                (1..=synth::MAX_SOLUTIONS).contains(&n),
                "{var}: {n} is outside 1..={}",
                synth::MAX_SOLUTIONS
            );
            n
        })
        .collect()
}
