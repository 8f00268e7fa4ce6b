//! trec_eval-exact evaluation: TREC qrels and run files, and the standard ranking measures.
//!
//! [`evaluate`] reproduces `trec_eval -m all_trec` for the measures of [`Measure`]
//! (`num_q`, `num_ret`, `num_rel`, `num_rel_ret`, `map`, `Rprec`, `bpref`, `recip_rank`,
//! `P_k`, `recall_k`, `ndcg`, `ndcg_cut_k`, `success_k`), including its tie-breaking (score
//! descending, then document id descending; the rank column is ignored), its relevance level
//! (`-l`), complete averaging (`-c`) and its output format
//! ([`Report::to_trec_eval_string`]). The conformance test checks every such line of
//! trec_eval's own expected outputs.
//!
//! The per-measure functions ([`average_precision`], [`ndcg_at`], …) work on a single ranked
//! list and are what [`evaluate`] uses.
//!
//! ```
//! use kpimatch_engine::eval::{evaluate, EvalOptions, Measure, Qrels, Run};
//!
//! # fn main() -> kpimatch_engine::Result<()> {
//! let qrels = Qrels::parse("q1 0 doc-a 1\nq1 0 doc-b 0\n", "qrels")?;
//! let run = Run::parse("q1 Q0 doc-b 1 0.9 sys\nq1 Q0 doc-a 2 0.4 sys\n", "run")?;
//! let report = evaluate(&qrels, &run, &EvalOptions::default());
//! assert_eq!(report.mean(Measure::RecipRank), Some(0.5));
//! print!("{}", report.to_trec_eval_string(false, &Measure::standard()));
//! # Ok(())
//! # }
//! ```

mod metrics;
mod trec;

pub use metrics::{
    average_precision, bpref, dcg_at, evaluate, format_trec_eval_line, ideal_dcg_at, ndcg, ndcg_at, precision_at,
    r_precision, recall_at, reciprocal_rank, success_at, EvalOptions, Judgment, Measure, Report, DEFAULT_CUTOFFS,
    SUCCESS_CUTOFFS,
};
pub use trec::{trec_eval_order, trec_eval_ranking, Qrels, Run, RunEntry};

mod harness;
pub use harness::{
    compare, evaluate_profiles, evaluate_variants, qrels_for, qrels_from, randomisation_p_value, run_topics,
    Comparison, JudgedTopic, TopicSelection, VariantReports,
};

mod tune;
pub use tune::{coordinate_ascent, score_profile, tune, Fold, Step, TuneConfig, TuneReport};

mod feedback;
pub use feedback::{derive_judgments, EventKind, FeedbackEvent};
