//! TREC and BEIR qrels and TREC runs: any text parses or gives line-numbered problems (at
//! most 101 listed); what parses is written back and reads back the same.
#![no_main]

use kpimatch_engine::eval::{Qrels, Run};
use kpimatch_engine::Error;
use libfuzzer_sys::fuzz_target;

fn bounded(e: &Error) {
    if let Error::InvalidData { problems, .. } = e {
        assert!(!problems.is_empty() && problems.len() <= 101, "{}", problems.len());
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match Qrels::parse(text, "fuzz") {
        // TREC ids have no whitespace; BEIR ids (tab-separated) may have inner spaces, so those
        // are written back as BEIR.
        Ok(q) => match q.to_trec_string() {
            Ok(written) => assert_eq!(Qrels::parse_trec(&written, "again").expect("written qrels parse"), q),
            Err(_) => {
                let written = q.to_beir_tsv_string().expect("parsed BEIR ids are writable");
                assert_eq!(
                    Qrels::parse_beir_tsv(&written, "again").expect("written qrels parse"),
                    q
                );
            }
        },
        Err(e) => bounded(&e),
    }
    if let Err(e) = Qrels::parse_beir_tsv(text, "fuzz") {
        bounded(&e);
    }
    match Run::parse(text, "fuzz") {
        Ok(run) => {
            let written = run.to_trec_string().expect("parsed ids have no whitespace");
            assert_eq!(Run::parse(&written, "again").expect("a written run parses"), run);
        }
        Err(e) => bounded(&e),
    }
});
