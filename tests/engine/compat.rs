//! Compatibility: the committed format-version-1 bundle in `tests/fixtures/bundle-v1/` (a
//! frozen subset of `index-data/`) must keep loading, and an engine built from it must rank.
//! A failure here means the bundle format or its loader changed incompatibly; see the
//! fixture's README before touching it.

use std::path::Path;

use kpimatch_engine::bundle::{Bundle, Counts};
use kpimatch_engine::{Engine, MatchRequest};

use crate::support::FIXTURE_V1;

fn fixture() -> Bundle {
    Bundle::load(Path::new(FIXTURE_V1)).unwrap_or_else(|e| panic!("the format-version-1 fixture no longer loads: {e}"))
}

#[test]
fn the_v1_fixture_still_loads() {
    let b = fixture();
    assert_eq!(b.manifest.format_version, 1);
    assert_eq!(
        b.manifest.counts,
        Counts {
            kpis: 91,
            solutions: 5,
            solutions_with_kpis: 3,
            cities: 2,
            topics: 2,
            judgments: 5,
            lead_topics: 0,
            lead_judgments: 0,
            profiles: 1,
            vocabularies: 0,
            variant_topics: 0,
        }
    );
    let mut ids: Vec<&str> = b.solutions.iter().map(|s| s.id.as_str()).collect();
    ids.sort();
    assert_eq!(
        ids,
        [
            "corvane-brt-corridor-delivery",
            "echoline-acoustic-leak-survey",
            "longwave-lorawan-iot-network",
            "proxima-15-minute-neighbourhood-analytics",
            "routemark-school-bus-tracker",
        ]
    );
    assert!(b.city("qasr-alwan").is_some() && b.city("marlow-crossing").is_some());
    assert_eq!(b.profiles[0].name, "default");
    assert!(b.judgments.iter().all(|j| ids.contains(&j.doc.as_str())));
}

#[test]
fn an_engine_from_the_v1_fixture_ranks_for_each_city_with_its_needs() {
    let b = fixture();
    let engine = Engine::from_bundle(&b).expect("an engine builds from the fixture");
    let stats = engine.stats();
    assert_eq!(
        (stats.kpis, stats.solutions, stats.solutions_declared, stats.cities),
        (91, 5, 3, 2)
    );
    for city in &b.cities {
        assert!(!city.needs.is_empty(), "{} states needs", city.id);
        let resp = engine
            .match_solutions(&MatchRequest::for_city(&city.id))
            .unwrap_or_else(|e| panic!("{}: {e}", city.id));
        assert!(!resp.results.is_empty(), "{}: no results", city.id);
        assert!(!resp.gaps_used.is_empty(), "{}: the gaps weigh in", city.id);
        for r in &resp.results {
            let e = r.explanation.as_ref().expect("explained");
            assert!(
                (e.text + e.kpi - e.diversity_penalty - r.score).abs() <= 1e-4,
                "{}",
                r.solution_id
            );
        }
        let gaps = engine.gaps(&city.id).expect("gap analysis");
        assert!(!gaps.kpis.is_empty());
    }
}

#[test]
fn the_v1_fixture_topics_rank_their_judged_solutions() {
    let b = fixture();
    let engine = Engine::from_bundle(&b).expect("engine");
    for t in &b.topics {
        let resp = engine
            .match_solutions(&t.request(10, None))
            .unwrap_or_else(|e| panic!("topic {}: {e}", t.id));
        let relevant: Vec<&str> = b
            .judgments
            .iter()
            .filter(|j| j.topic == t.id && j.grade > 0)
            .map(|j| j.doc.as_str())
            .collect();
        assert!(!relevant.is_empty(), "topic {} has relevant solutions", t.id);
        assert!(
            resp.results.iter().any(|r| relevant.contains(&r.solution_id.as_str())),
            "topic {}: none of {relevant:?} is ranked",
            t.id
        );
    }
}
