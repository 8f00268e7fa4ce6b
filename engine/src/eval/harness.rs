//! Running judged topics through the engine and comparing ranking profiles.

use std::collections::BTreeMap;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use super::{evaluate, EvalOptions, Measure, Qrels, Report, Run};
use crate::bundle::{Judgment, LeadTopic, Split, Topic, VariantTopic};
use crate::{Engine, Result};

/// A judged topic the harness can run: a match topic (city + needs → solutions) or a lead
/// topic (solution → cities). Both are judged in TREC qrels and measured the same way.
pub trait JudgedTopic {
    /// Topic id, as in the qrels.
    fn id(&self) -> &str;
    /// Train or held out.
    fn split(&self) -> Split;
    /// The engine's ranking for the topic, best first: (document id, score).
    fn rank(&self, engine: &Engine, profile: Option<&str>, depth: usize) -> Result<Vec<(String, f64)>>;
}

impl JudgedTopic for Topic {
    fn id(&self) -> &str {
        &self.id
    }
    fn split(&self) -> Split {
        self.split
    }
    fn rank(&self, engine: &Engine, profile: Option<&str>, depth: usize) -> Result<Vec<(String, f64)>> {
        let resp = engine.match_solutions(&self.request(depth.min(crate::limits::MAX_LIMIT), profile))?;
        Ok(ranked(resp))
    }
}

impl JudgedTopic for VariantTopic {
    fn id(&self) -> &str {
        &self.id
    }
    fn split(&self) -> Split {
        self.split
    }
    /// Ranked as a planner would ask: the needs text alone, its language left to the engine.
    fn rank(&self, engine: &Engine, profile: Option<&str>, depth: usize) -> Result<Vec<(String, f64)>> {
        let req = self.request(depth.min(crate::limits::MAX_LIMIT), profile, false);
        Ok(ranked(engine.match_solutions(&req)?))
    }
}

/// A match's results as a run's (document id, score) list, best first.
fn ranked(resp: crate::ranking::MatchResponse) -> Vec<(String, f64)> {
    resp.results
        .into_iter()
        .map(|r| (r.solution_id, f64::from(r.score)))
        .collect()
}

/// Variant topics evaluated against their sources: each variant's ranking, the ranking of its
/// source (the English question) and the gap-only ranking of the same city (no needs text),
/// all three judged by the source's judgments under the variant's id, so the reports compare
/// topic by topic.
#[derive(Debug)]
pub struct VariantReports {
    /// The variants as asked.
    pub variant: Report,
    /// Their sources (the English questions).
    pub source: Report,
    /// The same cities with no needs text.
    pub gap_only: Report,
    /// The language the engine read each variant's needs in (code), by variant id.
    pub read_as: BTreeMap<String, String>,
}

/// Runs variant topics, their sources and the gap-only rankings of their cities with a profile.
pub fn evaluate_variants(
    engine: &Engine,
    variants: &[VariantTopic],
    sources: &[Topic],
    qrels: &Qrels,
    profile: Option<&str>,
    depth: usize,
    measures: &[Measure],
) -> Result<VariantReports> {
    let options = EvalOptions::default()
        .with_average_complete(true)
        .with_measures(measures.iter().copied());
    let mut judged = Qrels::new();
    let (mut variant_run, mut source_run, mut gap_run) = (Run::new(), Run::new(), Run::new());
    let mut read_as = BTreeMap::new();
    for v in variants {
        let source = sources.iter().find(|t| t.id == v.source).ok_or_else(|| {
            crate::Error::invalid(
                "source",
                format!("variant '{}' has no source topic '{}'", v.id, v.source),
            )
        })?;
        for (d, g) in qrels.topic(&source.id).into_iter().flatten() {
            judged.insert(v.id.clone(), d.clone(), *g);
        }
        let depth = depth.min(crate::limits::MAX_LIMIT);
        // One match gives both the ranking and the language it was read in.
        let resp = engine.match_solutions(&v.request(depth, profile, false))?;
        read_as.insert(v.id.clone(), resp.lang.code.clone());
        variant_run.add_scored(v.id.clone(), ranked(resp), "variant");
        let mut as_source = source.clone();
        as_source.id = v.id.clone();
        source_run.add_scored(v.id.clone(), as_source.rank(engine, profile, depth)?, "source");
        as_source.needs = String::new();
        gap_run.add_scored(v.id.clone(), as_source.rank(engine, profile, depth)?, "gap-only");
    }
    Ok(VariantReports {
        variant: evaluate(&judged, &variant_run, &options),
        source: evaluate(&judged, &source_run, &options),
        gap_only: evaluate(&judged, &gap_run, &options),
        read_as,
    })
}

impl JudgedTopic for LeadTopic {
    fn id(&self) -> &str {
        &self.id
    }
    fn split(&self) -> Split {
        self.split
    }
    fn rank(&self, engine: &Engine, profile: Option<&str>, depth: usize) -> Result<Vec<(String, f64)>> {
        let resp = engine.leads(&self.request(depth.min(crate::leads::MAX_LEADS), profile))?;
        Ok(resp
            .results
            .into_iter()
            .map(|l| (l.city_id, f64::from(l.score)))
            .collect())
    }
}

/// Which topics to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TopicSelection {
    /// Every topic.
    All,
    /// Only one split.
    Only(Split),
}

impl TopicSelection {
    /// Whether a topic is selected.
    pub fn accepts(self, t: &impl JudgedTopic) -> bool {
        match self {
            TopicSelection::All => true,
            TopicSelection::Only(s) => t.split() == s,
        }
    }
}

/// Qrels from the bundle's judgments.
pub fn qrels_from(judgments: &[Judgment]) -> Qrels {
    let mut q = Qrels::new();
    for j in judgments {
        q.insert(j.topic.clone(), j.doc.clone(), j.grade);
    }
    q
}

/// The judgments of the given topics only (so `-c` averaging counts exactly those topics).
pub fn qrels_for<T: JudgedTopic>(qrels: &Qrels, topics: &[T]) -> Qrels {
    let mut restricted = Qrels::new();
    for t in topics {
        for (d, g) in qrels.topic(t.id()).into_iter().flatten() {
            restricted.insert(t.id().to_string(), d.clone(), *g);
        }
    }
    restricted
}

/// Ranks every topic with a profile and returns the run (top `depth` per topic).
pub fn run_topics<T: JudgedTopic>(
    engine: &Engine,
    topics: &[T],
    profile: Option<&str>,
    depth: usize,
    tag: &str,
) -> Result<Run> {
    let mut run = Run::new();
    for t in topics {
        run.add_scored(t.id().to_string(), t.rank(engine, profile, depth)?, tag);
    }
    Ok(run)
}

/// Evaluates runs of several profiles on the same topics.
pub fn evaluate_profiles<T: JudgedTopic>(
    engine: &Engine,
    topics: &[T],
    qrels: &Qrels,
    profiles: &[String],
    depth: usize,
) -> Result<Vec<(String, Run, Report)>> {
    let options = EvalOptions::default().with_average_complete(true);
    let restricted = qrels_for(qrels, topics);
    let mut out = Vec::new();
    for p in profiles {
        let run = run_topics(engine, topics, Some(p), depth, p)?;
        let report = evaluate(&restricted, &run, &options);
        out.push((p.clone(), run, report));
    }
    Ok(out)
}

/// The comparison of two profiles on one measure.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    /// Baseline profile.
    pub baseline: String,
    /// Compared profile.
    pub candidate: String,
    /// Measure name.
    pub measure: String,
    /// Mean of the baseline.
    pub baseline_mean: f64,
    /// Mean of the candidate.
    pub candidate_mean: f64,
    /// Per-topic candidate − baseline.
    pub deltas: BTreeMap<String, f64>,
    /// Topics where the candidate is better.
    pub wins: usize,
    /// Topics where it is worse.
    pub losses: usize,
    /// Topics where they tie (|Δ| < 1e-9).
    pub ties: usize,
    /// Two-sided p-value of a paired randomisation test (sign flips of the deltas).
    pub p_value: f64,
}

/// Compares two reports topic by topic on a measure, with a paired randomisation test of
/// `permutations` random sign flips (seeded, so the p-value is reproducible).
pub fn compare(
    baseline: (&str, &Report),
    candidate: (&str, &Report),
    measure: Measure,
    permutations: usize,
) -> Comparison {
    let topics: Vec<&String> = baseline
        .1
        .per_topic
        .keys()
        .filter(|t| candidate.1.per_topic.contains_key(*t))
        .collect();
    let mut deltas = BTreeMap::new();
    for t in &topics {
        let a = baseline.1.topic_value(t, measure).unwrap_or(0.0);
        let b = candidate.1.topic_value(t, measure).unwrap_or(0.0);
        deltas.insert((*t).clone(), b - a);
    }
    let d: Vec<f64> = deltas.values().copied().collect();
    let wins = d.iter().filter(|x| **x > 1e-9).count();
    let losses = d.iter().filter(|x| **x < -1e-9).count();
    let ties = d.len() - wins - losses;
    Comparison {
        baseline: baseline.0.to_string(),
        candidate: candidate.0.to_string(),
        measure: measure.name(),
        baseline_mean: baseline.1.mean(measure).unwrap_or(0.0),
        candidate_mean: candidate.1.mean(measure).unwrap_or(0.0),
        p_value: randomisation_p_value(&d, permutations, 42),
        deltas,
        wins,
        losses,
        ties,
    }
}

/// Two-sided p-value of the paired randomisation (sign-flip) test of mean(deltas) = 0:
/// the share of random sign assignments whose |mean| is at least the observed |mean|
/// (with the observed assignment counted, so p > 0).
pub fn randomisation_p_value(deltas: &[f64], permutations: usize, seed: u64) -> f64 {
    if deltas.is_empty() {
        return 1.0;
    }
    let observed = deltas.iter().sum::<f64>().abs();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut extreme = 1usize;
    for _ in 0..permutations {
        let s: f64 = deltas.iter().map(|d| if rng.random_bool(0.5) { *d } else { -*d }).sum();
        if s.abs() >= observed - 1e-12 {
            extreme += 1;
        }
    }
    extreme as f64 / (permutations + 1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn randomisation_test_on_known_cases() {
        // All deltas equal and positive: only the all-positive and all-negative flips are as
        // extreme, so p ≈ 2 / 2^n (n = 10 → 0.00195).
        let p = randomisation_p_value(&[0.1; 10], 20_000, 7);
        assert!((p - 2.0 / 1024.0).abs() < 0.002, "{p}");
        // Symmetric deltas: the mean is 0, every flip is as extreme → p = 1.
        assert_eq!(randomisation_p_value(&[0.2, -0.2, 0.1, -0.1], 999, 7), 1.0);
        assert_eq!(randomisation_p_value(&[], 10, 7), 1.0);
    }
}
