//! Fitting the weights of a ranking profile on judged topics: coordinate ascent on a measure
//! (as RankLib does), with k-fold cross-validation over topics to report how well the fitted
//! weights carry over to topics they were not fitted on.

use serde::Serialize;

use super::{evaluate, EvalOptions, Measure, Qrels};
use crate::bundle::Topic;
use crate::ranking::RankingProfile;
use crate::{Engine, Result};

/// Settings of a tuning run.
#[derive(Debug, Clone)]
pub struct TuneConfig {
    /// Measure maximised (mean over topics).
    pub measure: Measure,
    /// Passes over all parameters.
    pub rounds: usize,
    /// Folds of the cross-validation (0 or 1: none).
    pub folds: usize,
    /// Results ranked per topic.
    pub depth: usize,
}

impl Default for TuneConfig {
    fn default() -> Self {
        TuneConfig {
            measure: Measure::NdcgCut(10),
            rounds: 3,
            folds: 4,
            depth: 100,
        }
    }
}

/// One accepted step of the ascent.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    /// Parameter changed.
    pub parameter: String,
    /// Old value.
    pub from: f64,
    /// New value.
    pub to: f64,
    /// Training score after the change.
    pub score: f64,
}

/// One fold of the cross-validation.
#[derive(Debug, Clone, Serialize)]
pub struct Fold {
    /// Topics the fold was validated on.
    pub validation_topics: Vec<String>,
    /// Score of the starting profile on them.
    pub start: f64,
    /// Score of the weights fitted without them.
    pub fitted: f64,
}

/// What a tuning run found.
#[derive(Debug, Clone, Serialize)]
pub struct TuneReport {
    /// Measure.
    pub measure: String,
    /// Training topics used.
    pub train_topics: usize,
    /// Score of the starting profile on the training topics.
    pub start_train: f64,
    /// Score of the fitted profile on the training topics.
    pub fitted_train: f64,
    /// Mean validation score of the starting profile over folds.
    pub cv_start: Option<f64>,
    /// Mean validation score of weights fitted on the other folds.
    pub cv_fitted: Option<f64>,
    /// The folds.
    pub folds: Vec<Fold>,
    /// Score of the starting profile on held-out topics, when given.
    pub start_heldout: Option<f64>,
    /// Score of the fitted profile on held-out topics, when given.
    pub fitted_heldout: Option<f64>,
    /// Accepted steps on the full training set.
    pub steps: Vec<Step>,
    /// The fitted profile.
    pub profile: RankingProfile,
}

type Getter = fn(&RankingProfile) -> f64;
type Setter = fn(&mut RankingProfile, f64);

/// The tunable parameters, their accessors and candidate values (absolute grids where the
/// range is bounded, multiplicative steps otherwise).
fn parameters() -> Vec<(&'static str, Getter, Setter, Vec<f64>)> {
    let mult = vec![0.0, 0.25, 0.5, 0.75, 1.25, 1.5, 2.0, 3.0];
    vec![
        (
            "text_weight",
            |p| f64::from(p.text_weight),
            |p, v| p.text_weight = v as f32,
            mult.clone(),
        ),
        (
            "boosts.title",
            |p| f64::from(p.boosts.title),
            |p, v| p.boosts.title = v as f32,
            mult.clone(),
        ),
        (
            "boosts.tags",
            |p| f64::from(p.boosts.tags),
            |p, v| p.boosts.tags = v as f32,
            mult.clone(),
        ),
        (
            "boosts.summary",
            |p| f64::from(p.boosts.summary),
            |p, v| p.boosts.summary = v as f32,
            vec![0.0, 0.25, 0.5, 1.0],
        ),
        (
            "synonym_weight",
            |p| f64::from(p.synonym_weight),
            |p, v| p.synonym_weight = v as f32,
            vec![0.0, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0],
        ),
        (
            "gap_exponent",
            |p| f64::from(p.gap_exponent),
            |p, v| p.gap_exponent = v as f32,
            vec![0.5, 1.0, 1.5, 2.0, 3.0, 4.0],
        ),
        (
            "needs_weight",
            |p| f64::from(p.needs_weight),
            |p, v| p.needs_weight = v as f32,
            mult.clone(),
        ),
        (
            "needs_gap_weight",
            |p| f64::from(p.needs_gap_weight),
            |p, v| p.needs_gap_weight = v as f32,
            mult.clone(),
        ),
        (
            "advanced_weight",
            |p| f64::from(p.advanced_weight),
            |p, v| p.advanced_weight = v as f32,
            vec![0.3, 0.5, 0.7, 0.8, 0.9, 1.0],
        ),
        (
            "missing_gap",
            |p| f64::from(p.missing_gap),
            |p, v| p.missing_gap = v as f32,
            vec![0.0, 0.1, 0.2, 0.3],
        ),
        (
            "inferred_weight",
            |p| f64::from(p.inferred_weight),
            |p, v| p.inferred_weight = v as f32,
            vec![0.4, 0.6, 0.8, 1.0, 1.2],
        ),
        (
            "kpi_scale",
            |p| f64::from(p.kpi_scale),
            |p, v| p.kpi_scale = v as f32,
            vec![0.25, 0.5, 1.0, 2.0, 4.0, 8.0],
        ),
        (
            "needs_min_relative",
            |p| f64::from(p.needs_min_relative),
            |p, v| p.needs_min_relative = v as f32,
            vec![0.1, 0.2, 0.35, 0.5, 0.7],
        ),
        (
            "gap_top_k",
            |p| p.gap_top_k as f64,
            |p, v| p.gap_top_k = v as usize,
            vec![0.0, 5.0, 8.0, 12.0, 20.0],
        ),
    ]
}

const SCRATCH: &str = "__tuning";

/// Mean of a measure over topics for a profile.
pub fn score_profile(
    engine: &mut Engine,
    profile: &RankingProfile,
    topics: &[Topic],
    qrels: &Qrels,
    cfg: &TuneConfig,
) -> Result<f64> {
    if topics.is_empty() {
        return Ok(0.0);
    }
    let mut p = profile.clone();
    p.name = SCRATCH.into();
    engine.profiles_mut().insert(p);
    let run = super::run_topics(engine, topics, Some(SCRATCH), cfg.depth, SCRATCH)?;
    let report = evaluate(
        &super::qrels_for(qrels, topics),
        &run,
        &EvalOptions::default().with_average_complete(true),
    );
    Ok(report.mean(cfg.measure).unwrap_or(0.0))
}

/// Coordinate ascent from `start`: for each parameter in turn, try its candidate values and
/// keep the best (ties keep the current value), for `rounds` passes or until nothing improves.
pub fn coordinate_ascent(
    engine: &mut Engine,
    start: &RankingProfile,
    topics: &[Topic],
    qrels: &Qrels,
    cfg: &TuneConfig,
) -> Result<(RankingProfile, f64, Vec<Step>)> {
    let mut best = start.clone();
    let mut best_score = score_profile(engine, &best, topics, qrels, cfg)?;
    let mut steps = Vec::new();
    for _ in 0..cfg.rounds {
        let mut improved = false;
        for (name, get, set, grid) in parameters() {
            let current = get(&best);
            let multiplicative = grid.first() == Some(&0.0) && grid.contains(&0.25) && grid.contains(&3.0);
            let values: Vec<f64> = if multiplicative {
                let base = if current == 0.0 { 0.5 } else { current };
                grid.iter().map(|m| base * m).collect()
            } else {
                grid.clone()
            };
            for v in values {
                if (v - current).abs() < 1e-12 {
                    continue;
                }
                let mut cand = best.clone();
                set(&mut cand, v);
                if !cand.problems().is_empty() {
                    continue;
                }
                let s = score_profile(engine, &cand, topics, qrels, cfg)?;
                if s > best_score + 1e-9 {
                    steps.push(Step {
                        parameter: name.to_string(),
                        from: get(&best),
                        to: v,
                        score: s,
                    });
                    best = cand;
                    best_score = s;
                    improved = true;
                }
            }
        }
        if !improved {
            break;
        }
    }
    Ok((best, best_score, steps))
}

/// Fits a profile on `train`, cross-validates over `cfg.folds` folds, and scores `heldout`.
pub fn tune(
    engine: &mut Engine,
    start: &RankingProfile,
    train: &[Topic],
    heldout: &[Topic],
    qrels: &Qrels,
    cfg: &TuneConfig,
) -> Result<TuneReport> {
    let mut folds = Vec::new();
    if cfg.folds >= 2 && train.len() >= cfg.folds {
        for f in 0..cfg.folds {
            let val: Vec<Topic> = train
                .iter()
                .enumerate()
                .filter(|(i, _)| i % cfg.folds == f)
                .map(|(_, t)| t.clone())
                .collect();
            let fit: Vec<Topic> = train
                .iter()
                .enumerate()
                .filter(|(i, _)| i % cfg.folds != f)
                .map(|(_, t)| t.clone())
                .collect();
            let (fitted, _, _) = coordinate_ascent(engine, start, &fit, qrels, cfg)?;
            folds.push(Fold {
                validation_topics: val.iter().map(|t| t.id.clone()).collect(),
                start: score_profile(engine, start, &val, qrels, cfg)?,
                fitted: score_profile(engine, &fitted, &val, qrels, cfg)?,
            });
        }
    }
    let start_train = score_profile(engine, start, train, qrels, cfg)?;
    let (mut profile, fitted_train, steps) = coordinate_ascent(engine, start, train, qrels, cfg)?;
    profile.name = start.name.clone();
    let mean = |v: Vec<f64>| (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64);
    let (start_heldout, fitted_heldout) = if heldout.is_empty() {
        (None, None)
    } else {
        (
            Some(score_profile(engine, start, heldout, qrels, cfg)?),
            Some(score_profile(engine, &profile, heldout, qrels, cfg)?),
        )
    };
    Ok(TuneReport {
        measure: cfg.measure.name(),
        train_topics: train.len(),
        start_train,
        fitted_train,
        cv_start: mean(folds.iter().map(|f| f.start).collect()),
        cv_fitted: mean(folds.iter().map(|f| f.fitted).collect()),
        folds,
        start_heldout,
        fitted_heldout,
        steps,
        profile,
    })
}
