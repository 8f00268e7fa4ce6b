//! Bulk import parsing (`POST /v1/solutions/bulk`): any body is a clean 4xx or per-item
//! results, one per item, at most 10,000; every accepted solution is valid and unique, and every
//! rejected item carries a 4xx problem.
#![no_main]

mod common;

use kpimatch_server::api::{parse_bulk, MAX_BULK_ITEMS};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let catalogue = &common::BUNDLE.catalogue;
    match parse_bulk(data, catalogue) {
        Ok(parsed) => {
            assert!(parsed.items.len() <= MAX_BULK_ITEMS);
            let mut ids = std::collections::HashSet::new();
            for (index, s) in &parsed.valid {
                assert!(s.validate(catalogue).is_ok());
                assert!(ids.insert(s.id.clone()), "id {} accepted twice", s.id);
                assert_eq!(parsed.items[*index].index, *index);
                assert!(parsed.items[*index].error.is_none());
            }
            for item in &parsed.items {
                if let Some(p) = &item.error {
                    assert!((400..500).contains(&p.status), "{p:?}");
                    assert_eq!(item.status, "invalid");
                }
            }
        }
        Err(e) => {
            let p = e.problem();
            assert!(matches!(p.status, 400 | 413), "{p:?}");
        }
    }
});
