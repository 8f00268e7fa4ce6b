//! Judged topics (`topics/topics.jsonl` lines and `POST /v1/evaluations` topics): any line is
//! a parse error or a topic whose match request the engine ranks or refuses as invalid input,
//! never a panic or an internal error.
#![no_main]

mod common;

use kpimatch_engine::bundle::Topic;
use kpimatch_engine::ErrorKind;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(topic) = serde_json::from_slice::<Topic>(data) else {
        return;
    };
    if let Some(city) = &topic.city {
        let _ = city.problems(&common::BUNDLE.catalogue);
    }
    let req = topic.request(10, None);
    if let Err(e) = common::ENGINE.match_solutions(&req) {
        assert!(matches!(e.kind(), ErrorKind::InvalidInput | ErrorKind::NotFound), "{e}");
    }
});
