//! trec_eval's measures, with its exact definitions, per topic and averaged.
//!
//! The definitions follow trec_eval 9.x (`m_*.c` in usnistgov/trec_eval):
//!
//! * A topic's results are ordered by score descending, ties broken by document id descending;
//!   the rank column is ignored ([`trec_eval_ranking`]).
//! * A retrieved document is *relevant* when its grade is at least the relevance level
//!   (`-l`, default 1). Documents missing from the qrels, or judged with a negative grade, are
//!   never relevant (for the usual levels ≥ 1).
//! * `num_rel` counts every judged document of the topic at or above the level, retrieved or
//!   not; it is the denominator of `map`, `Rprec` and `recall_k`.
//! * `P_k` divides by `k` even when fewer than `k` documents were retrieved.
//! * nDCG uses gain = grade (negative grades count as 0, the level plays no part), discount
//!   `log2(rank + 1)`, and the ideal ranking of *all* judged documents of the topic.
//! * Averages are arithmetic means over the evaluated topics; the counts (`num_q`, `num_ret`,
//!   `num_rel`, `num_rel_ret`) are summed.
//! * Topics are those of the qrels that the run retrieved something for; with
//!   `average_complete` (`-c`) every qrels topic is evaluated and a topic missing from the
//!   run scores zero. Run topics without judgments are ignored.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::trec::{trec_eval_ranking, Qrels, Run, RunEntry};
use crate::Error;

/// trec_eval's default cutoffs for `P`, `recall` and `ndcg_cut`.
pub const DEFAULT_CUTOFFS: [usize; 9] = [5, 10, 15, 20, 30, 100, 200, 500, 1000];

/// trec_eval's default cutoffs for `success`.
pub const SUCCESS_CUTOFFS: [usize; 3] = [1, 5, 10];

/// Width trec_eval pads measure names to in its output.
const NAME_WIDTH: usize = 22;

/// An evaluation measure, named and defined as in trec_eval.
///
/// The derived order is trec_eval's `all_trec` print order, so a `BTreeMap<Measure, _>`
/// iterates like trec_eval prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Measure {
    /// `num_q`: the number of topics evaluated (only printed for `all`).
    NumQ,
    /// `num_ret`: the number of documents retrieved.
    NumRet,
    /// `num_rel`: the number of relevant documents in the qrels.
    NumRel,
    /// `num_rel_ret`: the number of relevant documents retrieved.
    NumRelRet,
    /// `map`: average precision (mean over topics).
    Map,
    /// `Rprec`: precision after `num_rel` documents.
    Rprec,
    /// `bpref`: binary preference (Buckley and Voorhees, 2004).
    Bpref,
    /// `recip_rank`: reciprocal rank of the first relevant document.
    RecipRank,
    /// `P_k`: precision at cutoff `k`.
    P(usize),
    /// `recall_k`: recall at cutoff `k`.
    Recall(usize),
    /// `ndcg`: nDCG over the whole ranking.
    Ndcg,
    /// `ndcg_cut_k`: nDCG at cutoff `k`.
    NdcgCut(usize),
    /// `success_k`: 1 if a relevant document is in the top `k`, else 0.
    Success(usize),
}

impl Measure {
    /// trec_eval's name for the measure (`map`, `P_5`, `ndcg_cut_10`, `success_1`, …).
    pub fn name(&self) -> String {
        match self {
            Measure::NumQ => "num_q".to_string(),
            Measure::NumRet => "num_ret".to_string(),
            Measure::NumRel => "num_rel".to_string(),
            Measure::NumRelRet => "num_rel_ret".to_string(),
            Measure::Map => "map".to_string(),
            Measure::Rprec => "Rprec".to_string(),
            Measure::Bpref => "bpref".to_string(),
            Measure::RecipRank => "recip_rank".to_string(),
            Measure::P(k) => format!("P_{k}"),
            Measure::Recall(k) => format!("recall_{k}"),
            Measure::Ndcg => "ndcg".to_string(),
            Measure::NdcgCut(k) => format!("ndcg_cut_{k}"),
            Measure::Success(k) => format!("success_{k}"),
        }
    }

    /// Whether the measure is a count: summed (not averaged) over topics and printed as an
    /// integer.
    pub fn is_count(&self) -> bool {
        matches!(
            self,
            Measure::NumQ | Measure::NumRet | Measure::NumRel | Measure::NumRelRet
        )
    }

    /// Whether trec_eval prints the measure for single topics (`num_q` is summary-only).
    pub fn printed_per_topic(&self) -> bool {
        !matches!(self, Measure::NumQ)
    }

    /// Every measure this module implements, with trec_eval's default cutoffs, in trec_eval's
    /// print order: `num_q num_ret num_rel num_rel_ret map Rprec bpref recip_rank P_k…
    /// recall_k… ndcg ndcg_cut_k… success_1 success_5 success_10`.
    pub fn standard() -> Vec<Measure> {
        let mut all = vec![
            Measure::NumQ,
            Measure::NumRet,
            Measure::NumRel,
            Measure::NumRelRet,
            Measure::Map,
            Measure::Rprec,
            Measure::Bpref,
            Measure::RecipRank,
        ];
        all.extend(DEFAULT_CUTOFFS.iter().map(|&k| Measure::P(k)));
        all.extend(DEFAULT_CUTOFFS.iter().map(|&k| Measure::Recall(k)));
        all.push(Measure::Ndcg);
        all.extend(DEFAULT_CUTOFFS.iter().map(|&k| Measure::NdcgCut(k)));
        all.extend(SUCCESS_CUTOFFS.iter().map(|&k| Measure::Success(k)));
        all
    }
}

impl fmt::Display for Measure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

/// Builds a measure from its cutoff.
type MakeMeasure = fn(usize) -> Measure;

/// A cutoff written canonically (`5`, not `05` or `+5`), and positive.
fn parse_cutoff(s: &str) -> Option<usize> {
    let k: usize = s.parse().ok()?;
    (k > 0 && k.to_string() == s).then_some(k)
}

impl FromStr for Measure {
    type Err = Error;

    /// Parses a trec_eval measure name; cutoffs may be any positive integer (`P_50`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let fixed = match s {
            "num_q" => Some(Measure::NumQ),
            "num_ret" => Some(Measure::NumRet),
            "num_rel" => Some(Measure::NumRel),
            "num_rel_ret" => Some(Measure::NumRelRet),
            "map" => Some(Measure::Map),
            "Rprec" => Some(Measure::Rprec),
            "bpref" => Some(Measure::Bpref),
            "recip_rank" => Some(Measure::RecipRank),
            "ndcg" => Some(Measure::Ndcg),
            _ => None,
        };
        let with_cutoff = || {
            let prefixes: [(&str, MakeMeasure); 4] = [
                ("ndcg_cut_", Measure::NdcgCut),
                ("recall_", Measure::Recall),
                ("success_", Measure::Success),
                ("P_", Measure::P),
            ];
            prefixes
                .iter()
                .find_map(|(prefix, make)| s.strip_prefix(prefix).and_then(parse_cutoff).map(make))
        };
        fixed.or_else(with_cutoff).ok_or_else(|| {
            Error::invalid(
                "measure",
                format!(
                    "'{s}' is not a supported trec_eval measure (num_q, num_ret, num_rel, \
                     num_rel_ret, map, Rprec, bpref, recip_rank, P_k, recall_k, ndcg, \
                     ndcg_cut_k, success_k)"
                ),
            )
        })
    }
}

impl Serialize for Measure {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.name())
    }
}

impl<'de> Deserialize<'de> for Measure {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}

/// How to evaluate: trec_eval's `-l`, `-c` and `-m` options.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct EvalOptions {
    /// Minimum grade for a document to count as relevant in the binary measures (trec_eval
    /// `-l`, default 1). nDCG ignores it and uses the grades.
    pub relevance_level: i32,
    /// Average over every topic of the qrels, a topic the run misses scoring zero (trec_eval
    /// `-c`). Default false: only topics the run retrieved something for are evaluated.
    pub average_complete: bool,
    /// The measures to compute; default [`Measure::standard`].
    pub measures: Vec<Measure>,
}

impl Default for EvalOptions {
    fn default() -> Self {
        EvalOptions {
            relevance_level: 1,
            average_complete: false,
            measures: Measure::standard(),
        }
    }
}

impl EvalOptions {
    /// Sets the relevance level (trec_eval `-l`).
    pub fn with_relevance_level(mut self, level: i32) -> Self {
        self.relevance_level = level;
        self
    }

    /// Sets complete averaging (trec_eval `-c`).
    pub fn with_average_complete(mut self, complete: bool) -> Self {
        self.average_complete = complete;
        self
    }

    /// Sets the measures to compute.
    pub fn with_measures(mut self, measures: impl IntoIterator<Item = Measure>) -> Self {
        self.measures = measures.into_iter().collect();
        self
    }
}

/// The result of [`evaluate`]: per-topic values and their aggregate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// The measures computed, in the order requested (duplicates removed).
    pub measures: Vec<Measure>,
    /// Topic → measure → value, for every evaluated topic (byte order, as trec_eval).
    pub per_topic: BTreeMap<String, BTreeMap<Measure, f64>>,
    /// Measure → aggregate over the evaluated topics: the arithmetic mean, or the sum for
    /// counts ([`Measure::is_count`]). With no evaluated topic every aggregate is 0.
    pub aggregate: BTreeMap<Measure, f64>,
}

impl Report {
    /// The number of topics evaluated.
    pub fn num_topics(&self) -> usize {
        self.per_topic.len()
    }

    /// The value of `measure` for `topic`, if both were evaluated.
    pub fn topic_value(&self, topic: &str, measure: Measure) -> Option<f64> {
        self.per_topic.get(topic)?.get(&measure).copied()
    }

    /// The aggregate of `measure` (mean, or sum for counts), if it was computed.
    pub fn mean(&self, measure: Measure) -> Option<f64> {
        self.aggregate.get(&measure).copied()
    }

    /// The report in trec_eval's output format: `name<padded to 22>\t<topic|all>\t<value>`,
    /// values with 4 decimals, counts as integers.
    ///
    /// With `per_topic` (trec_eval `-q`) the lines of each topic come first (topics in byte
    /// order, `num_q` omitted as trec_eval does), then the `all` lines. Lines follow the order
    /// of `measures`; a measure that was not computed is skipped.
    pub fn to_trec_eval_string(&self, per_topic: bool, measures: &[Measure]) -> String {
        let mut out = String::new();
        if per_topic {
            for (topic, values) in &self.per_topic {
                for m in measures.iter().filter(|m| m.printed_per_topic()) {
                    if let Some(&v) = values.get(m) {
                        out.push_str(&format_trec_eval_line(*m, topic, v));
                        out.push('\n');
                    }
                }
            }
        }
        for m in measures {
            if let Some(&v) = self.aggregate.get(m) {
                out.push_str(&format_trec_eval_line(*m, "all", v));
                out.push('\n');
            }
        }
        out
    }
}

/// One line of trec_eval output (without the newline): C's `"%-22s\t%s\t%6.4f"`, or
/// `"%-22s\t%s\t%ld"` for counts.
pub fn format_trec_eval_line(measure: Measure, topic: &str, value: f64) -> String {
    let name = measure.name();
    if measure.is_count() {
        // Counts are whole numbers well inside i64; `as` truncates like C's `(long)` cast.
        format!("{name:<NAME_WIDTH$}\t{topic}\t{}", value as i64)
    } else {
        format!("{name:<NAME_WIDTH$}\t{topic}\t{value:6.4}")
    }
}

/// Evaluates `run` against `qrels` like `trec_eval -m all_trec [-q] [-c] [-l N]`.
///
/// A run topic with no entries counts as absent. If a document occurs twice in a topic
/// (trec_eval refuses such runs; [`Run::parse`] rejects them) only its best-ranked occurrence
/// is kept.
pub fn evaluate(qrels: &Qrels, run: &Run, options: &EvalOptions) -> Report {
    let mut measures: Vec<Measure> = Vec::with_capacity(options.measures.len());
    for m in &options.measures {
        if !measures.contains(m) {
            measures.push(*m);
        }
    }

    let mut per_topic = BTreeMap::new();
    for (topic, judged) in &qrels.topics {
        let entries: &[RunEntry] = match run.topics.get(topic) {
            Some(entries) if !entries.is_empty() => entries,
            _ if options.average_complete => &[],
            _ => continue,
        };
        let values = evaluate_topic(judged, entries, options.relevance_level, &measures);
        per_topic.insert(topic.clone(), values);
    }

    let num_topics = per_topic.len();
    let mut aggregate = BTreeMap::new();
    for &m in &measures {
        // Summed in topic order, then divided once, exactly as trec_eval accumulates.
        let sum = per_topic
            .values()
            .map(|values: &BTreeMap<Measure, f64>| values.get(&m).copied().unwrap_or(0.0))
            .fold(0.0, |acc, v| acc + v);
        let value = if m.is_count() || num_topics == 0 {
            sum
        } else {
            sum / num_topics as f64
        };
        aggregate.insert(m, value);
    }

    Report {
        measures,
        per_topic,
        aggregate,
    }
}

/// trec_eval's relevance value of a retrieved document: its grade if judged ≥ 0,
/// `RELVALUE_UNJUDGED` (-2) if judged with a negative grade, `RELVALUE_NONPOOL` (-1) if
/// absent from the qrels.
fn rel_value(judged: &BTreeMap<String, i32>, doc: &str) -> i64 {
    match judged.get(doc) {
        Some(&g) if g >= 0 => i64::from(g),
        Some(_) => -2,
        None => -1,
    }
}

/// Evaluates one topic: `judged` is its qrels, `entries` its run entries (any order).
fn evaluate_topic(
    judged: &BTreeMap<String, i32>,
    entries: &[RunEntry],
    relevance_level: i32,
    measures: &[Measure],
) -> BTreeMap<Measure, f64> {
    let level = i64::from(relevance_level);
    let ranked = trec_eval_ranking(entries);
    let rel_values: Vec<i64> = ranked.iter().map(|e| rel_value(judged, &e.doc)).collect();

    // Binary relevance exactly as trec_eval tests it: `rel_value >= relevance_level`.
    let relevant: Vec<bool> = rel_values.iter().map(|&v| v >= level).collect();
    let judgments: Vec<Judgment> = rel_values
        .iter()
        .map(|&v| match v {
            v if v < 0 => Judgment::Unjudged,
            v if v >= level => Judgment::Relevant,
            _ => Judgment::NonRelevant,
        })
        .collect();
    let grades: Vec<i32> = ranked
        .iter()
        .map(|e| judged.get(&e.doc).copied().unwrap_or(0))
        .collect();
    let all_grades: Vec<i32> = judged.values().copied().collect();

    let num_rel = judged.values().filter(|&&g| g >= 0 && i64::from(g) >= level).count();
    let num_nonrel = judged.values().filter(|&&g| g >= 0 && i64::from(g) < level).count();
    let num_rel_ret = rel_values.iter().filter(|&&v| v >= 0 && v >= level).count();

    measures
        .iter()
        .map(|&m| {
            let value = match m {
                Measure::NumQ => 1.0,
                Measure::NumRet => ranked.len() as f64,
                Measure::NumRel => num_rel as f64,
                Measure::NumRelRet => num_rel_ret as f64,
                Measure::Map => average_precision(&relevant, num_rel),
                Measure::Rprec => r_precision(&relevant, num_rel),
                Measure::Bpref => bpref(&judgments, num_rel, num_nonrel),
                Measure::RecipRank => reciprocal_rank(&relevant),
                Measure::P(k) => precision_at(&relevant, k),
                Measure::Recall(k) => recall_at(&relevant, num_rel, k),
                Measure::Ndcg => ndcg(&grades, &all_grades),
                Measure::NdcgCut(k) => ndcg_at(&grades, &all_grades, k),
                Measure::Success(k) => success_at(&relevant, k),
            };
            (m, value)
        })
        .collect()
}

/// The judgment of a retrieved document, for [`bpref`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Judgment {
    /// Judged relevant (grade at or above the relevance level).
    Relevant,
    /// Judged non-relevant.
    NonRelevant,
    /// Not judged (absent from the qrels, or a negative grade); bpref skips it.
    Unjudged,
}

/// Average precision of a ranking (`map` for one topic).
///
/// `ranked` says, best first, whether each retrieved document is relevant; `num_rel` is the
/// number of relevant documents of the topic, retrieved or not. Sum of the precision at each
/// relevant retrieved document, divided by `num_rel`; 0 if nothing relevant is retrieved.
pub fn average_precision(ranked: &[bool], num_rel: usize) -> f64 {
    let mut rel_so_far = 0usize;
    let mut sum = 0.0;
    for (i, _) in ranked.iter().enumerate().filter(|(_, &r)| r) {
        rel_so_far += 1;
        sum += rel_so_far as f64 / (i + 1) as f64;
    }
    if rel_so_far == 0 || num_rel == 0 {
        0.0
    } else {
        sum / num_rel as f64
    }
}

/// Reciprocal rank of the first relevant document (`recip_rank`); 0 if none is retrieved.
pub fn reciprocal_rank(ranked: &[bool]) -> f64 {
    ranked.iter().position(|&r| r).map_or(0.0, |i| 1.0 / (i + 1) as f64)
}

/// Precision at `k` (`P_k`): relevant documents in the top `k`, divided by `k` even when
/// fewer than `k` were retrieved. 0 for `k = 0`.
pub fn precision_at(ranked: &[bool], k: usize) -> f64 {
    if k == 0 {
        return 0.0;
    }
    count_relevant(ranked, k) as f64 / k as f64
}

/// Recall at `k` (`recall_k`): relevant documents in the top `k` over `num_rel`; 0 if the
/// topic has no relevant document.
pub fn recall_at(ranked: &[bool], num_rel: usize, k: usize) -> f64 {
    if num_rel == 0 {
        return 0.0;
    }
    count_relevant(ranked, k) as f64 / num_rel as f64
}

/// R-precision (`Rprec`): relevant documents in the top `num_rel`, over `num_rel`; 0 if the
/// topic has no relevant document or nothing is retrieved.
pub fn r_precision(ranked: &[bool], num_rel: usize) -> f64 {
    if num_rel == 0 || ranked.is_empty() {
        return 0.0;
    }
    count_relevant(ranked, num_rel) as f64 / num_rel as f64
}

/// Success at `k` (`success_k`): 1 if a relevant document is in the top `k`, else 0.
pub fn success_at(ranked: &[bool], k: usize) -> f64 {
    if count_relevant(ranked, k) > 0 {
        1.0
    } else {
        0.0
    }
}

fn count_relevant(ranked: &[bool], k: usize) -> usize {
    ranked.iter().take(k).filter(|&&r| r).count()
}

/// Binary preference (`bpref`), as trec_eval computes it.
///
/// `num_rel` and `num_nonrel` count the topic's judged relevant and judged non-relevant
/// documents (retrieved or not). Unjudged retrieved documents are skipped. Each relevant
/// retrieved document adds `1 - min(n, R) / min(N, R)`, where `n` is the number of judged
/// non-relevant documents ranked above it, `R = num_rel`, `N = num_nonrel` (or 1 when
/// `n = 0`); the sum is divided by `R`. 0 if `R = 0`.
pub fn bpref(ranked: &[Judgment], num_rel: usize, num_nonrel: usize) -> f64 {
    if num_rel == 0 {
        return 0.0;
    }
    let mut nonrel_so_far = 0usize;
    let mut sum = 0.0;
    for j in ranked {
        match j {
            Judgment::Unjudged => {}
            Judgment::NonRelevant => nonrel_so_far += 1,
            Judgment::Relevant if nonrel_so_far == 0 => sum += 1.0,
            Judgment::Relevant => {
                let above = nonrel_so_far.min(num_rel);
                // `max` only matters for inconsistent input (more non-relevant retrieved
                // than judged); it keeps the term in [0, 1] and the division defined.
                let denominator = num_nonrel.min(num_rel).max(above);
                sum += 1.0 - above as f64 / denominator as f64;
            }
        }
    }
    sum / num_rel as f64
}

/// Discounted cumulative gain of the top `k` of a ranking: `Σ grade / log2(rank + 1)`, ranks
/// from 1, grades ≤ 0 contributing nothing. `ranked_grades` are the grades of the retrieved
/// documents best first (0 for unjudged ones).
pub fn dcg_at(ranked_grades: &[i32], k: usize) -> f64 {
    let mut sum = 0.0;
    for (i, &g) in ranked_grades.iter().take(k).enumerate() {
        if g > 0 {
            // rank = i + 1, so the discount is log2(i + 2).
            sum += f64::from(g) / ((i + 2) as f64).log2();
        }
    }
    sum
}

/// The DCG at `k` of the ideal ranking: every positive grade of the topic's judged
/// documents (`all_judged_grades`, retrieved or not, any order), best first.
pub fn ideal_dcg_at(all_judged_grades: &[i32], k: usize) -> f64 {
    let mut ideal: Vec<i32> = all_judged_grades.iter().copied().filter(|&g| g > 0).collect();
    ideal.sort_unstable_by(|a, b| b.cmp(a));
    dcg_at(&ideal, k)
}

/// nDCG at `k` (`ndcg_cut_k`): [`dcg_at`] over [`ideal_dcg_at`]; 0 if the ideal is 0 (no
/// positive grade judged).
pub fn ndcg_at(ranked_grades: &[i32], all_judged_grades: &[i32], k: usize) -> f64 {
    let ideal = ideal_dcg_at(all_judged_grades, k);
    if ideal > 0.0 {
        dcg_at(ranked_grades, k) / ideal
    } else {
        0.0
    }
}

/// nDCG of the whole ranking (`ndcg`), the ideal built from all judged documents.
pub fn ndcg(ranked_grades: &[i32], all_judged_grades: &[i32]) -> f64 {
    ndcg_at(ranked_grades, all_judged_grades, usize::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    const EPS: f64 = 1e-12;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < EPS
    }

    /// R N R N N, with 3 relevant documents in the topic (one never retrieved).
    const RANKED: [bool; 5] = [true, false, true, false, false];

    #[test]
    fn average_precision_hand_worked() {
        // Relevant at ranks 1 and 3: precisions 1/1 and 2/3.
        // AP = (1 + 2/3) / 3 = 5/9 = 0.5556
        assert!(close(average_precision(&RANKED, 3), 5.0 / 9.0));
        // Nothing relevant retrieved, or no ranking at all: 0.
        assert_eq!(average_precision(&[false, false], 3), 0.0);
        assert_eq!(average_precision(&[], 3), 0.0);
        assert_eq!(average_precision(&[], 0), 0.0);
    }

    #[test]
    fn reciprocal_rank_hand_worked() {
        assert_eq!(reciprocal_rank(&RANKED), 1.0);
        // First relevant at rank 4: 1/4.
        assert_eq!(reciprocal_rank(&[false, false, false, true]), 0.25);
        assert_eq!(reciprocal_rank(&[false]), 0.0);
        assert_eq!(reciprocal_rank(&[]), 0.0);
    }

    #[test]
    fn precision_recall_rprec_success_hand_worked() {
        // P@1 = 1/1; P@3 = 2/3; P@5 = 2/5; P@10 = 2/10 (missing ranks count as non-relevant).
        assert_eq!(precision_at(&RANKED, 1), 1.0);
        assert!(close(precision_at(&RANKED, 3), 2.0 / 3.0));
        assert_eq!(precision_at(&RANKED, 5), 0.4);
        assert_eq!(precision_at(&RANKED, 10), 0.2);
        assert_eq!(precision_at(&RANKED, 0), 0.0);
        // recall@1 = 1/3; recall@5 = 2/3 = recall@1000.
        assert!(close(recall_at(&RANKED, 3, 1), 1.0 / 3.0));
        assert!(close(recall_at(&RANKED, 3, 5), 2.0 / 3.0));
        assert!(close(recall_at(&RANKED, 3, 1000), 2.0 / 3.0));
        assert_eq!(recall_at(&RANKED, 0, 5), 0.0);
        // Rprec: R = 3, top 3 = R N R -> 2/3. With R = 10 > 5 retrieved: 2/10.
        assert!(close(r_precision(&RANKED, 3), 2.0 / 3.0));
        assert_eq!(r_precision(&RANKED, 10), 0.2);
        // success: rank 1 is relevant.
        assert_eq!(success_at(&RANKED, 1), 1.0);
        assert_eq!(success_at(&[false, true], 1), 0.0);
        assert_eq!(success_at(&[false, true], 5), 1.0);
    }

    #[test]
    fn empty_ranking_scores_zero_everywhere() {
        assert_eq!(precision_at(&[], 5), 0.0);
        assert_eq!(recall_at(&[], 4, 5), 0.0);
        assert_eq!(r_precision(&[], 4), 0.0);
        assert_eq!(success_at(&[], 10), 0.0);
        assert_eq!(bpref(&[], 4, 2), 0.0);
        assert_eq!(ndcg(&[], &[1, 2]), 0.0);
        assert_eq!(ndcg_at(&[], &[1, 2], 5), 0.0);
    }

    #[test]
    fn bpref_hand_worked() {
        use Judgment::{NonRelevant as N, Relevant as R, Unjudged as U};
        // R = 4 relevant, N = 3 non-relevant judged; ranking R N U R N R.
        //   R at 1: no non-relevant above        -> 1
        //   R at 4: 1 above -> 1 - min(1,4)/min(3,4) = 1 - 1/3
        //   R at 6: 2 above -> 1 - 2/3
        // bpref = (1 + 2/3 + 1/3) / 4 = 2/4 = 0.5
        assert!(close(bpref(&[R, N, U, R, N, R], 4, 3), 0.5));
        // min(N, R) caps the penalty: R = 1, N = 5, ranking N R -> 1 - min(1,1)/min(5,1) = 0.
        assert_eq!(bpref(&[N, R], 1, 5), 0.0);
        assert_eq!(bpref(&[R], 0, 0), 0.0);
    }

    #[test]
    fn ndcg_hand_worked() {
        // Ranked grades 3 0 2 1; judged grades 3 2 2 1 0 0.
        // DCG  = 3/log2(2) + 0 + 2/log2(4) + 1/log2(5) = 3 + 1 + 0.4306766 = 4.4306766
        // IDCG = 3/log2(2) + 2/log2(3) + 2/log2(4) + 1/log2(5)
        //      = 3 + 1.2618595 + 1 + 0.4306766 = 5.6925361
        // nDCG = 4.4306766 / 5.6925361 = 0.7783309
        let ranked = [3, 0, 2, 1];
        let judged = [3, 2, 2, 1, 0, 0];
        let dcg = 3.0 + 1.0 + 1.0 / 5f64.log2();
        let idcg = 3.0 + 2.0 / 3f64.log2() + 1.0 + 1.0 / 5f64.log2();
        assert!(close(dcg_at(&ranked, usize::MAX), dcg));
        assert!(close(ideal_dcg_at(&judged, usize::MAX), idcg));
        assert!(close(ndcg(&ranked, &judged), dcg / idcg));
        assert!((ndcg(&ranked, &judged) - 0.7783309).abs() < 1e-7);
        // At k = 2: DCG = 3; IDCG = 3 + 2/log2(3) = 4.2618595; nDCG = 0.7039181.
        assert!((ndcg_at(&ranked, &judged, 2) - 0.7039181).abs() < 1e-7);
        // k beyond the ranking: the ideal keeps growing to its 4 positive grades, DCG does not.
        assert!(close(ndcg_at(&ranked, &judged, 1000), dcg / idcg));
        // Nothing judged positive: 0, not NaN.
        assert_eq!(ndcg(&[0, 0], &[0, 0]), 0.0);
    }

    #[test]
    fn ndcg_treats_negative_grades_as_zero() {
        // Judged -1 and 2; ranked -1 then 2.
        // DCG = 0 + 2/log2(3) = 1.2618595; IDCG = 2/log2(2) = 2; nDCG = 0.6309298.
        let v = ndcg(&[-1, 2], &[-1, 2]);
        assert!(close(v, 1.0 / 3f64.log2()));
        assert!((v - 0.6309298).abs() < 1e-7);
    }

    #[test]
    fn measure_names_round_trip() {
        for m in Measure::standard() {
            assert_eq!(m.name().parse::<Measure>().expect("parses"), m);
        }
        assert_eq!("P_50".parse::<Measure>().expect("parses"), Measure::P(50));
        for bad in [
            "P_0",
            "P_05",
            "P_",
            "map_cut_5",
            "relstring_20",
            "gm_map",
            "P_avgjg",
            "runid",
        ] {
            assert!(bad.parse::<Measure>().is_err(), "{bad}");
        }
        let json = serde_json::to_string(&Measure::NdcgCut(10)).expect("serializes");
        assert_eq!(json, "\"ndcg_cut_10\"");
        let back: Measure = serde_json::from_str(&json).expect("deserializes");
        assert_eq!(back, Measure::NdcgCut(10));
        // The derived order is the print order.
        let mut sorted = Measure::standard();
        sorted.sort();
        assert_eq!(sorted, Measure::standard());
    }

    fn qrels(lines: &[(&str, &str, i32)]) -> Qrels {
        let mut q = Qrels::new();
        for (t, d, g) in lines {
            q.insert(*t, *d, *g);
        }
        q
    }

    fn run(lines: &[(&str, &str, f64)]) -> Run {
        let mut r = Run::new();
        for (i, (t, d, s)) in lines.iter().enumerate() {
            r.push(*t, RunEntry::new(*d, *s, i + 1, "test"));
        }
        r
    }

    #[test]
    fn ties_are_broken_by_docno_descending() {
        // A is relevant, B not; both score 1.0 and A has the better rank column.
        // trec_eval order: B before A (docno descending), so A is at rank 2:
        // recip_rank = 1/2, map = (1/2)/1 = 0.5, P_5 = 1/5, success_1 = 0.
        let q = qrels(&[("t", "A", 1), ("t", "B", 0)]);
        let r = run(&[("t", "A", 1.0), ("t", "B", 1.0)]);
        let report = evaluate(&q, &r, &EvalOptions::default());
        assert_eq!(report.topic_value("t", Measure::RecipRank), Some(0.5));
        assert_eq!(report.topic_value("t", Measure::Map), Some(0.5));
        assert_eq!(report.topic_value("t", Measure::P(5)), Some(0.2));
        assert_eq!(report.topic_value("t", Measure::Success(1)), Some(0.0));
        // nDCG: DCG = 1/log2(3); IDCG = 1 -> 0.6309.
        let ndcg = report.topic_value("t", Measure::Ndcg).expect("computed");
        assert!(close(ndcg, 1.0 / 3f64.log2()));
    }

    #[test]
    fn relevance_level_splits_binary_and_graded_measures() {
        // Grades A=2, B=1, C=0; ranking B A (scores 0.9, 0.5). With -l2 only A is relevant.
        //   map = (1/2)/1 = 0.5; recip_rank = 0.5; num_rel = 1; num_rel_ret = 1
        //   bpref: N = 2 (B, C), R = 1; B is non-relevant above A -> 1 - min(1,1)/min(2,1) = 0
        //   ndcg uses the grades: DCG = 1 + 2/log2(3) = 2.2618595;
        //        IDCG = 2 + 1/log2(3) = 2.6309298; ndcg = 0.8597187
        let q = qrels(&[("t", "A", 2), ("t", "B", 1), ("t", "C", 0)]);
        let r = run(&[("t", "B", 0.9), ("t", "A", 0.5)]);
        let report = evaluate(&q, &r, &EvalOptions::default().with_relevance_level(2));
        let v = |m| report.topic_value("t", m).expect("computed");
        assert_eq!(v(Measure::Map), 0.5);
        assert_eq!(v(Measure::RecipRank), 0.5);
        assert_eq!(v(Measure::NumRel), 1.0);
        assert_eq!(v(Measure::NumRelRet), 1.0);
        assert_eq!(v(Measure::Bpref), 0.0);
        assert!((v(Measure::Ndcg) - 0.8597187).abs() < 1e-7);
        // At the default level 1 both are relevant: map = (1/1 + 2/2)/2 = 1.
        let report = evaluate(&q, &r, &EvalOptions::default());
        assert_eq!(report.topic_value("t", Measure::Map), Some(1.0));
    }

    #[test]
    fn topic_without_results_and_average_complete() {
        // Topic "a" retrieved (its relevant doc at rank 1), topic "b" judged but not retrieved,
        // topic "z" retrieved but not judged (ignored).
        let q = qrels(&[("a", "x", 1), ("b", "y", 1), ("b", "w", 1)]);
        let r = run(&[("a", "x", 1.0), ("a", "n", 0.5), ("z", "x", 1.0)]);

        let report = evaluate(&q, &r, &EvalOptions::default());
        assert_eq!(report.num_topics(), 1);
        assert_eq!(report.mean(Measure::Map), Some(1.0));
        assert_eq!(report.mean(Measure::NumQ), Some(1.0));
        assert_eq!(report.mean(Measure::NumRel), Some(1.0));

        // -c: "b" scores 0 everywhere but still counts its 2 relevant documents.
        let report = evaluate(&q, &r, &EvalOptions::default().with_average_complete(true));
        assert_eq!(report.num_topics(), 2);
        for m in Measure::standard() {
            let expected = match m {
                Measure::NumQ => 1.0,
                Measure::NumRel => 2.0,
                _ => 0.0,
            };
            assert_eq!(report.topic_value("b", m), Some(expected), "{m}");
        }
        // map = (1 + 0) / 2; num_rel = 1 + 2 (summed); num_ret = 2 + 0; num_q = 2.
        assert_eq!(report.mean(Measure::Map), Some(0.5));
        assert_eq!(report.mean(Measure::NumRel), Some(3.0));
        assert_eq!(report.mean(Measure::NumRet), Some(2.0));
        assert_eq!(report.mean(Measure::NumQ), Some(2.0));
    }

    #[test]
    fn unjudged_and_negative_grades_are_not_relevant() {
        // d1 judged -1 (in pool, unjudged), d2 not in the qrels, d3 relevant.
        // Ranking d1 d2 d3: recip_rank = 1/3; bpref skips d1 and d2 -> 1/1 = 1.
        let q = qrels(&[("t", "d1", -1), ("t", "d3", 1)]);
        let r = run(&[("t", "d1", 3.0), ("t", "d2", 2.0), ("t", "d3", 1.0)]);
        let report = evaluate(&q, &r, &EvalOptions::default());
        assert!(close(
            report.topic_value("t", Measure::RecipRank).unwrap_or(-1.0),
            1.0 / 3.0
        ));
        assert_eq!(report.topic_value("t", Measure::Bpref), Some(1.0));
        assert_eq!(report.topic_value("t", Measure::NumRel), Some(1.0));
    }

    #[test]
    fn output_format_matches_trec_eval() {
        let q = qrels(&[("t", "A", 1), ("t", "B", 0)]);
        let r = run(&[("t", "A", 2.0), ("t", "B", 1.0)]);
        let report = evaluate(&q, &r, &EvalOptions::default());
        let text = report.to_trec_eval_string(
            true,
            &[
                Measure::NumQ,
                Measure::NumRet,
                Measure::Map,
                Measure::P(5),
                Measure::NdcgCut(10),
            ],
        );
        assert_eq!(
            text,
            "num_ret               \tt\t2\n\
             map                   \tt\t1.0000\n\
             P_5                   \tt\t0.2000\n\
             ndcg_cut_10           \tt\t1.0000\n\
             num_q                 \tall\t1\n\
             num_ret               \tall\t2\n\
             map                   \tall\t1.0000\n\
             P_5                   \tall\t0.2000\n\
             ndcg_cut_10           \tall\t1.0000\n"
        );
        // Exact binary ties round half to even, like C's printf: 1/32 -> 0.0312.
        assert_eq!(
            format_trec_eval_line(Measure::Map, "all", 0.03125),
            "map                   \tall\t0.0312"
        );
        let summary = report.to_trec_eval_string(false, &[Measure::Map]);
        assert_eq!(summary, "map                   \tall\t1.0000\n");
    }

    #[test]
    fn report_serializes_with_measure_names() {
        let q = qrels(&[("t", "A", 1)]);
        let r = run(&[("t", "A", 1.0)]);
        let opts = EvalOptions::default().with_measures([Measure::Map, Measure::Map]);
        let report = evaluate(&q, &r, &opts);
        assert_eq!(report.measures, vec![Measure::Map]);
        let json = serde_json::to_string(&report).expect("serializes");
        assert!(json.contains("\"map\":1.0"), "{json}");
        let back: Report = serde_json::from_str(&json).expect("deserializes");
        assert_eq!(back, report);
    }
}
