//! # kpimatch-engine
//!
//! Ranks smart-city solutions against a city's weakest U4SSC KPIs and its stated needs, and
//! explains every result. The engine knows nothing of HTTP: the server crate wraps it.
//!
//! * [`kpi`]: the 91 U4SSC KPIs, code normalisation and the U4SSC scoring method (bands,
//!   points, roll-ups).
//! * [`city`]: cities, their observations and the gap analysis (distance to target).
//! * [`solution`]: solutions and their KPI profiles (declared or inferred, with provenance).
//! * [`lang`]: the supported languages, their analyzers and language detection.
//! * [`vocab`]: the curated domain vocabulary (one per language) and the text → KPI mapper.
//! * [`index`]: the tantivy text index, the solution table and the per-KPI impact lists.
//! * [`peers`]: city similarity, peers, benchmark standing and adoption evidence.
//! * [`semantic`]: the sentence-embedding model and its persisted embeddings (the dense part).
//! * [`ranking`]: ranking profiles, match requests, the hybrid ranker and its explanations.
//! * [`bundle`]: loading and validating the `index-data/` bundle.
//! * [`eval`]: trec_eval-exact metrics and TREC file formats.
//! * [`synth`]: a deterministic synthetic catalogue for benchmarks.
//!
//! ```
//! use kpimatch_engine::{Engine, MatchRequest};
//!
//! # fn main() -> kpimatch_engine::Result<()> {
//! let bundle = kpimatch_engine::bundle::Bundle::load(concat!(env!("CARGO_MANIFEST_DIR"), "/../index-data"))?;
//! let engine = Engine::from_bundle(&bundle)?;
//! let city = &bundle.cities[0].id;
//! let response = engine.match_solutions(&MatchRequest::for_city(city).with_needs("what fixes our water KPIs?"))?;
//! for r in &response.results {
//!     println!("{} {:.3} {}", r.rank, r.score, r.title);
//! }
//! assert!(!response.results.is_empty());
//! # Ok(())
//! # }
//! ```
#![warn(missing_docs)]

pub mod bundle;
pub mod city;
mod engine;
mod error;
pub mod eval;
pub mod index;
pub mod kpi;
pub mod lang;
pub mod leads;
pub mod limits;
pub mod peers;
pub mod portfolio;
pub mod ranking;
pub mod semantic;
pub mod solution;
pub mod synth;
pub mod vocab;

pub use engine::{rankings_agree, Changes, Engine, EngineStats, IndexOpened, RestoreStats};
pub use error::{DataProblem, Error, ErrorKind, Result};
pub use ranking::{MatchRequest, MatchResponse};
