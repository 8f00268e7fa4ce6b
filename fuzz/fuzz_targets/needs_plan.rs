//! Needs text → query plan → ranking. Arbitrary text must give a plan or an `invalid_field`
//! on `needs` (too long), never a panic; the plan's terms stay within the bounds, and ranking
//! and explaining with it gives finite scores in order.
#![no_main]

mod common;

use kpimatch_engine::{limits, Error, MatchRequest};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let engine = &*common::ENGINE;
    let req = MatchRequest::for_text(text).with_limit(5);
    match engine.plan(&req) {
        Ok(plan) => {
            assert!(text.chars().count() <= limits::MAX_QUERY_CHARS);
            assert!(plan.user_terms.len() <= limits::MAX_QUERY_TERMS);
            // Each of the ≤ 64 terms starts phrases of 1 to 6 terms, each adding ≤ 6 synonyms.
            assert!(plan.text.terms.len() <= limits::MAX_QUERY_TERMS * (1 + 6 * limits::MAX_EXPANSIONS_PER_TERM));
            assert!(plan.kpi_weights.iter().all(|w| w.weight.is_finite() && w.weight > 0.0));
            let matches = engine
                .mapper()
                .score_terms(plan.user_terms.iter().map(|t| (t.as_str(), 1.0)), true);
            assert!(matches.iter().all(|m| m.score.is_finite()));
            let response = engine.match_solutions(&req).expect("a valid plan ranks");
            assert!(response.results.len() <= 5);
            for pair in response.results.windows(2) {
                assert!(pair[0].score >= pair[1].score, "ranked by score");
            }
            for r in &response.results {
                assert!(r.score.is_finite() && r.score > 0.0);
                let e = r.explanation.as_ref().expect("explained");
                assert!(e.score.is_finite() && e.text.is_finite() && e.kpi.is_finite());
            }
        }
        Err(Error::InvalidField { field, .. }) => {
            assert_eq!(field, "needs");
            assert!(text.chars().count() > limits::MAX_QUERY_CHARS);
        }
        Err(other) => panic!("unexpected error: {other}"),
    }
});
