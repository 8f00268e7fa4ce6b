//! Integration tests of the engine: one binary, one module per concern.

mod bundle;
mod compat;
mod gaps;
mod languages;
mod peers;
mod properties;
mod support;
mod trec_eval_conformance;
mod tuning;
