//! `POST /v1/match` bodies: JSON → `MatchBody` → engine request → ranking. Any body is a 4xx
//! problem or a ranked answer, never a panic or a 5xx.
#![no_main]

mod common;

use kpimatch_server::api::{parse_json, MatchBody, MatchResponseBody};
use kpimatch_server::error::ApiError;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let answer: Result<MatchResponseBody, ApiError> = parse_json::<MatchBody>(data)
        .and_then(MatchBody::into_request)
        .and_then(|req| Ok(MatchResponseBody::new(&common::ENGINE.match_solutions(&req)?)));
    match answer {
        Ok(body) => {
            assert!(body.results.len() <= 100);
            serde_json::to_vec(&body).expect("the answer serialises");
        }
        Err(e) => {
            let p = e.problem();
            assert!((400..500).contains(&p.status), "{p:?}");
        }
    }
});
