//! Structured logs with `tracing`; tantivy and other `log` users are bridged into it.

use tracing_subscriber::{fmt, EnvFilter};

/// Installs the global subscriber (`RUST_LOG` filters; default `info`).
pub fn init(format: &str) {
    let _ = tracing_log::LogTracer::init();
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,tantivy=warn"));
    let builder = fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = if format == "json" {
        builder.json().flatten_event(true).try_init()
    } else {
        builder.try_init()
    };
}
