//! The curated domain vocabulary, the mapping of free text to KPIs, and the inference of
//! solutions' KPI profiles from their text.

mod inference;
mod languages;
mod mapper;
mod vocabulary;

pub use inference::{infer, profile_for};
pub use languages::{LangModel, Languages};
pub use mapper::{InferenceConfig, KpiMapper, KpiMatch};
pub(crate) use vocabulary::read_file;
pub use vocabulary::{ExpandedTerm, GoalTerms, TermOrigin, Vocabulary, VocabularyFile};
