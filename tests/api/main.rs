//! Integration tests of the HTTP API: one binary, one module per resource. Every test starts
//! its own application (`helpers::spawn_app`: port 0, a fresh data directory seeded from
//! `index-data/`) and talks to it over real HTTP; `durability`, `crash`, `replicas` and `backup`
//! run the real `kpimatch` binary (`process`), on SQLite and on PostgreSQL (`pg`); `storage` runs
//! one contract against both backends.

mod auth;
mod backup;
mod cache;
mod cities;
mod crash;
mod durability;
mod errors;
mod evaluation;
mod health;
mod helpers;
mod hostile;
mod kpis;
mod languages;
mod marketplace;
mod matching;
mod outage;
mod peers;
mod pg;
mod process;
mod replicas;
mod semantic;
mod solutions;
mod storage;
