//! KPI code normalisation: any text parses to a canonical code or a `MalformedKpiCode` error
//! with a short message; a canonical code parses back to itself, and resolving any text
//! against the catalogue (codes, names, categories) never panics.
#![no_main]

mod common;

use kpimatch_engine::kpi::KpiCode;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(raw) = std::str::from_utf8(data) else {
        return;
    };
    match KpiCode::parse(raw) {
        Ok(code) => {
            let s = code.as_str();
            assert!(!s.chars().any(char::is_whitespace), "{s:?}");
            assert!(s.len() <= 4 * 3 + 4 + 3, "{s:?}");
            assert!(s
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b':'));
            assert_eq!(KpiCode::parse(s).expect("a canonical code parses"), code);
            assert_eq!(s.parse::<KpiCode>().unwrap(), code);
        }
        Err(e) => assert!(e.to_string().chars().count() < 200, "{e}"),
    }
    let catalogue = common::BUNDLE.catalogue.clone();
    if let Ok(id) = catalogue.resolve(raw) {
        assert_eq!(catalogue.resolve(catalogue.get(id).code.as_str()).unwrap(), id);
    }
    let _ = catalogue.kpis_in_category(raw);
});
