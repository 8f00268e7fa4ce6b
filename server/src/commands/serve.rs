//! `kpimatch serve`, and the state the offline commands share with it.

use std::process::ExitCode;

use anyhow::Context;

use crate::cli::{DataArgs, ServeArgs};
use crate::config::{Overrides, Settings};
use crate::startup::{build_state, Application};
use crate::state::AppState;
use crate::telemetry;

pub(crate) fn settings(bundle: &std::path::Path, data: &DataArgs, extra: Overrides) -> anyhow::Result<Settings> {
    let bundle_overridden =
        std::env::var_os("KPIMATCH_BUNDLE").is_some() || bundle != std::path::Path::new("index-data");
    Settings::load(
        data.config.as_deref(),
        Overrides {
            data_dir: data.data_dir.clone(),
            bundle: bundle_overridden.then(|| bundle.to_path_buf()),
            no_seed: data.no_seed,
            database_url: data.database_url.clone(),
            ..extra
        },
    )
}

pub fn run(bundle: &std::path::Path, model: Option<std::path::PathBuf>, a: ServeArgs) -> anyhow::Result<ExitCode> {
    let s = settings(
        bundle,
        &a.data,
        Overrides {
            bind: a.bind.clone(),
            max_body_bytes: a.max_body_bytes,
            max_bulk_bytes: a.max_bulk_bytes,
            cache_entries: a.cache_entries,
            match_concurrency: a.match_concurrency,
            queue_timeout_ms: a.queue_timeout_ms,
            http_workers: a.http_workers,
            log_format: a.log_format.clone(),
            database_pool: a.database_pool,
            poll_interval_ms: a.poll_interval_ms,
            admin_key: a.admin_key.clone(),
            read_keys: a.read_keys.clone(),
            production: a.production,
            rate_limit_per_second: a.rate_limit_per_second,
            model,
            ..Default::default()
        },
    )?;
    telemetry::init(&s.log_format);
    let backend = if s.database_url.is_some() { "postgres" } else { "sqlite" };
    tracing::info!(bind = %s.bind, data_dir = %s.data_dir.display(), bundle = %s.bundle.display(), seed = s.seed, backend, "starting kpimatch");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    rt.block_on(async move {
        let app = Application::build(&s)?;
        tracing::info!(port = app.port(), "listening; API docs at /docs, spec at /openapi.json");
        app.run_until_stopped().await.context("serving")
    })?;
    Ok(ExitCode::SUCCESS)
}

/// The service's state without the HTTP server, for the offline commands.
pub fn offline_state(bundle: &std::path::Path, data: DataArgs) -> anyhow::Result<AppState> {
    let s = settings(bundle, &data, Overrides::default())?;
    build_state(&s)
}
