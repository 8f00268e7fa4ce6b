//! # kpimatch-server
//!
//! The kpimatch service: REST API v1 on actix-web (documented with OpenAPI by utoipa), durable
//! storage in an embedded SQLite database, moka caches, Prometheus metrics, and the `kpimatch`
//! command-line tool. The ranking itself lives in `kpimatch-engine`, which knows no HTTP.

pub mod api;
pub mod auth;
pub mod cli;
pub mod commands;
pub mod config;
pub mod error;
pub mod metrics;
pub mod replica;
pub mod routes;
pub mod startup;
pub mod state;
pub mod storage;
pub mod svg;
pub mod telemetry;
