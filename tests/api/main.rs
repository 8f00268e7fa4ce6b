//! Integration tests of the HTTP API: one binary, one module per resource. Every test starts
//! its own application (`helpers::spawn_app`: port 0, a fresh data directory seeded from
//! `index-data/`) and talks to it over real HTTP; `durability` runs the real `kpimatch` binary.

mod cache;
mod cities;
mod durability;
mod errors;
mod evaluation;
mod health;
mod helpers;
mod kpis;
mod matching;
mod solutions;
