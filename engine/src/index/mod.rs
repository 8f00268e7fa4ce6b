//! The derived indexes: the tantivy text index, the solution table and the impact-ordered
//! KPI lists.

mod analyzer;
mod kpi_lists;
mod table;
mod text_index;

pub use analyzer::{analyse, english};
pub use kpi_lists::KpiLists;
pub(crate) use table::global as table_global;
pub use table::{SolutionTable, StoredSolution};
pub use text_index::{TextFieldBoosts, TextIndex, TextQuery, WeightedTerm};
