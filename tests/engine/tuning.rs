//! Tuning: coordinate ascent must improve a deliberately bad profile, and its report must say
//! what it did.

use kpimatch_engine::bundle::Split;
use kpimatch_engine::eval::{qrels_from, score_profile, tune, Measure, TuneConfig};
use kpimatch_engine::ranking::RankingProfile;
use kpimatch_engine::Engine;

use crate::support::bundle;

#[test]
fn coordinate_ascent_improves_a_deliberately_bad_profile() {
    // Arrange: a profile that ignores the gaps and the needs mapping almost entirely and
    // saturates the KPI part, on a handful of training topics.
    let b = bundle();
    let mut engine = Engine::from_bundle(b).expect("the bundle builds an engine");
    let bad = RankingProfile {
        name: "bad".into(),
        gap_weight: 0.01,
        needs_weight: 0.01,
        needs_gap_weight: 0.0,
        kpi_scale: 0.25,
        text_weight: 3.0,
        ..RankingProfile::default()
    };
    let train: Vec<_> = b
        .topics
        .iter()
        .filter(|t| t.split == Split::Train)
        .take(8)
        .cloned()
        .collect();
    let qrels = qrels_from(&b.judgments);
    let cfg = TuneConfig {
        measure: Measure::NdcgCut(10),
        rounds: 1,
        folds: 0,
        depth: 20,
    };
    let before = score_profile(&mut engine, &bad, &train, &qrels, &cfg).unwrap();

    // Act
    let report = tune(&mut engine, &bad, &train, &[], &qrels, &cfg).unwrap();

    // Assert
    assert_eq!(report.start_train, before);
    assert!(
        report.fitted_train > before + 0.05,
        "{before} → {}",
        report.fitted_train
    );
    assert!(!report.steps.is_empty());
    // Each accepted step improves on the one before.
    for pair in report.steps.windows(2) {
        assert!(pair[1].score > pair[0].score);
    }
    assert_eq!(report.profile.name, "bad");
    let after = score_profile(&mut engine, &report.profile, &train, &qrels, &cfg).unwrap();
    assert!(
        (after - report.fitted_train).abs() < 1e-12,
        "the fitted profile reproduces its score"
    );
}
