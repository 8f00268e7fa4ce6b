//! The data bundle (`index-data/`): loading, validation with file and line, and the manifest.

mod loader;
mod manifest;
mod topic;

pub use loader::{Bundle, Judgment};
pub use manifest::{Counts, Manifest, MANIFEST_FILE};
pub use topic::{LeadTopic, Split, Topic, Variant, VariantTopic};
