//! Integration tests of the HTTP API: one binary, one module per resource.

mod helpers;
