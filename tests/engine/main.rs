//! Integration tests of the engine: one binary, one module per concern.

mod trec_eval_conformance;
