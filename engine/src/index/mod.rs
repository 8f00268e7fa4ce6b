//! The derived indexes: the tantivy text index, the solution table and the per-KPI impact
//! lists.

mod analyzer;
mod derived;
mod field_terms;
mod kpi_lists;
mod table;
mod text_index;

pub use analyzer::{analyse, english, CachedStemmer};
pub(crate) use field_terms::FieldTermsCache;
pub use kpi_lists::KpiLists;
pub(crate) use table::global as table_global;
pub use table::{SolutionTable, StoredSolution};
pub use text_index::{StoredDoc, TextFieldBoosts, TextIndex, TextQuery, WeightedTerm};
