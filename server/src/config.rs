//! Settings: defaults → optional TOML config file → `KPIMATCH_…` environment → flags.
//! Unknown keys in the file are errors; everything is validated before the server starts.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use serde::Deserialize;

/// A secret setting: never printed.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("\"***\"")
    }
}

/// The service's settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Address to listen on (port 0: any free port).
    pub bind: SocketAddr,
    /// Directory holding the database.
    pub data_dir: PathBuf,
    /// The data bundle (catalogue, vocabulary, profiles, seed data).
    pub bundle: PathBuf,
    /// Seed an empty data directory from the bundle.
    pub seed: bool,
    /// Largest JSON body for single writes and matches, bytes.
    pub max_body_bytes: usize,
    /// Largest bulk-import body, bytes.
    pub max_bulk_bytes: usize,
    /// Entries per cache.
    pub cache_entries: u64,
    /// Ranking requests processed at once (0: number of CPUs).
    pub match_concurrency: usize,
    /// How long a ranking request waits for a free worker before a 503, milliseconds.
    pub queue_timeout_ms: u64,
    /// HTTP worker threads (0: number of CPUs).
    pub http_workers: usize,
    /// `text` or `json` logs.
    pub log_format: String,
    /// PostgreSQL connection URL: PostgreSQL is the source of truth instead of the embedded
    /// database (the data directory then holds only this replica's index). Never logged.
    pub database_url: Option<String>,
    /// Pooled PostgreSQL connections.
    pub database_pool: u32,
    /// How often a replica polls the change log when no notification wakes it, milliseconds.
    pub poll_interval_ms: u64,
    /// The admin API key (all writes, key management).
    pub admin_key: Option<Secret>,
    /// Read-only API keys.
    pub read_keys: Vec<Secret>,
    /// Refuse to start without an admin key of at least 32 bytes.
    pub production: bool,
    /// Requests per second allowed per key, bursts of twice that (0: no limit).
    pub rate_limit_per_second: u32,
    /// The sentence-embedding model's directory (`None`: lexical ranking). A directory without
    /// the model also ranks lexically, with one warning.
    pub model: Option<PathBuf>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            bind: "127.0.0.1:8080".parse().expect("a valid default address"),
            data_dir: PathBuf::from("data"),
            bundle: PathBuf::from("index-data"),
            seed: true,
            max_body_bytes: 1024 * 1024,
            max_bulk_bytes: 64 * 1024 * 1024,
            cache_entries: 10_000,
            match_concurrency: 0,
            queue_timeout_ms: 2_000,
            http_workers: 0,
            log_format: "text".into(),
            database_url: None,
            database_pool: 4,
            poll_interval_ms: 1_000,
            admin_key: None,
            read_keys: Vec::new(),
            production: false,
            rate_limit_per_second: 200,
            model: None,
        }
    }
}

/// The config file (TOML); every key optional, unknown keys rejected.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileSettings {
    bind: Option<String>,
    data_dir: Option<PathBuf>,
    bundle: Option<PathBuf>,
    seed: Option<bool>,
    max_body_bytes: Option<usize>,
    max_bulk_bytes: Option<usize>,
    cache_entries: Option<u64>,
    match_concurrency: Option<usize>,
    queue_timeout_ms: Option<u64>,
    http_workers: Option<usize>,
    log_format: Option<String>,
    database_url: Option<String>,
    database_pool: Option<u32>,
    poll_interval_ms: Option<u64>,
    admin_key: Option<String>,
    read_keys: Option<Vec<String>>,
    production: Option<bool>,
    rate_limit_per_second: Option<u32>,
}

/// Values given on the command line or in the environment (clap merges those two).
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    /// `--bind` / `KPIMATCH_BIND`.
    pub bind: Option<String>,
    /// `--data-dir` / `KPIMATCH_DATA_DIR`.
    pub data_dir: Option<PathBuf>,
    /// `--bundle` / `KPIMATCH_BUNDLE`.
    pub bundle: Option<PathBuf>,
    /// `--no-seed` / `KPIMATCH_NO_SEED`.
    pub no_seed: bool,
    /// `--max-body-bytes` / `KPIMATCH_MAX_BODY_BYTES`.
    pub max_body_bytes: Option<usize>,
    /// `--max-bulk-bytes` / `KPIMATCH_MAX_BULK_BYTES`.
    pub max_bulk_bytes: Option<usize>,
    /// `--cache-entries` / `KPIMATCH_CACHE_ENTRIES`.
    pub cache_entries: Option<u64>,
    /// `--match-concurrency` / `KPIMATCH_MATCH_CONCURRENCY`.
    pub match_concurrency: Option<usize>,
    /// `--queue-timeout-ms` / `KPIMATCH_QUEUE_TIMEOUT_MS`.
    pub queue_timeout_ms: Option<u64>,
    /// `--http-workers` / `KPIMATCH_HTTP_WORKERS`.
    pub http_workers: Option<usize>,
    /// `--log-format` / `KPIMATCH_LOG_FORMAT`.
    pub log_format: Option<String>,
    /// `--database-url` / `KPIMATCH_DATABASE_URL`.
    pub database_url: Option<String>,
    /// `--database-pool` / `KPIMATCH_DATABASE_POOL`.
    pub database_pool: Option<u32>,
    /// `--poll-interval-ms` / `KPIMATCH_POLL_INTERVAL_MS`.
    pub poll_interval_ms: Option<u64>,
    /// `--admin-key` / `KPIMATCH_ADMIN_KEY`.
    pub admin_key: Option<String>,
    /// `--read-keys` / `KPIMATCH_READ_KEYS` (comma-separated).
    pub read_keys: Option<Vec<String>>,
    /// `--production` / `KPIMATCH_PRODUCTION`.
    pub production: bool,
    /// `--rate-limit-per-second` / `KPIMATCH_RATE_LIMIT_PER_SECOND`.
    pub rate_limit_per_second: Option<u32>,
    /// `--model` / `KPIMATCH_MODEL` (`None` with `--no-model`).
    pub model: Option<PathBuf>,
}

impl Settings {
    /// Layers defaults, the config file (if any) and the overrides, then validates.
    pub fn load(config_file: Option<&Path>, o: Overrides) -> anyhow::Result<Settings> {
        let file: FileSettings = match config_file {
            Some(p) => {
                let text =
                    std::fs::read_to_string(p).with_context(|| format!("reading the config file {}", p.display()))?;
                toml::from_str(&text).with_context(|| format!("invalid config file {}", p.display()))?
            }
            None => FileSettings::default(),
        };
        let d = Settings::default();
        let bind_text = o.bind.or(file.bind);
        let bind = match bind_text {
            Some(b) => b
                .parse()
                .with_context(|| format!("bind address '{b}' is not of the form host:port"))?,
            None => d.bind,
        };
        let s = Settings {
            bind,
            data_dir: o.data_dir.or(file.data_dir).unwrap_or(d.data_dir),
            bundle: o.bundle.or(file.bundle).unwrap_or(d.bundle),
            seed: if o.no_seed { false } else { file.seed.unwrap_or(d.seed) },
            max_body_bytes: o.max_body_bytes.or(file.max_body_bytes).unwrap_or(d.max_body_bytes),
            max_bulk_bytes: o.max_bulk_bytes.or(file.max_bulk_bytes).unwrap_or(d.max_bulk_bytes),
            cache_entries: o.cache_entries.or(file.cache_entries).unwrap_or(d.cache_entries),
            match_concurrency: o
                .match_concurrency
                .or(file.match_concurrency)
                .unwrap_or(d.match_concurrency),
            queue_timeout_ms: o
                .queue_timeout_ms
                .or(file.queue_timeout_ms)
                .unwrap_or(d.queue_timeout_ms),
            http_workers: o.http_workers.or(file.http_workers).unwrap_or(d.http_workers),
            log_format: o.log_format.or(file.log_format).unwrap_or(d.log_format),
            database_url: o.database_url.or(file.database_url).filter(|u| !u.trim().is_empty()),
            database_pool: o.database_pool.or(file.database_pool).unwrap_or(d.database_pool),
            poll_interval_ms: o
                .poll_interval_ms
                .or(file.poll_interval_ms)
                .unwrap_or(d.poll_interval_ms),
            admin_key: o.admin_key.or(file.admin_key).filter(|k| !k.is_empty()).map(Secret),
            read_keys: o
                .read_keys
                .or(file.read_keys)
                .unwrap_or_default()
                .into_iter()
                .map(|k| k.trim().to_string())
                .filter(|k| !k.is_empty())
                .map(Secret)
                .collect(),
            production: o.production || file.production.unwrap_or(d.production),
            rate_limit_per_second: o
                .rate_limit_per_second
                .or(file.rate_limit_per_second)
                .unwrap_or(d.rate_limit_per_second),
            model: o.model,
        };
        s.validate()?;
        Ok(s)
    }

    fn validate(&self) -> anyhow::Result<()> {
        if !(1024..=64 * 1024 * 1024).contains(&self.max_body_bytes) {
            bail!(
                "max_body_bytes must be between 1 KiB and 64 MiB, not {}",
                self.max_body_bytes
            );
        }
        if !(1024..=1024 * 1024 * 1024).contains(&self.max_bulk_bytes) {
            bail!(
                "max_bulk_bytes must be between 1 KiB and 1 GiB, not {}",
                self.max_bulk_bytes
            );
        }
        if !matches!(self.log_format.as_str(), "text" | "json") {
            bail!("log_format must be 'text' or 'json', not '{}'", self.log_format);
        }
        if self.match_concurrency > 1024 || self.http_workers > 1024 {
            bail!("match_concurrency and http_workers must be at most 1024");
        }
        if self.production && self.admin_key.as_ref().is_none_or(|k| k.0.len() < 32) {
            bail!("--production needs an admin key (--admin-key / KPIMATCH_ADMIN_KEY) of at least 32 bytes");
        }
        if let Some(k) = self.read_keys.iter().find(|k| k.0.len() < 16) {
            bail!("read keys must be at least 16 bytes; one has {}", k.0.len());
        }
        if self.admin_key.is_none() && self.read_keys.is_empty() && !self.bind.ip().is_loopback() {
            bail!(
                "no API key is configured (development mode), so kpimatch serves only on loopback, not {}; set --admin-key or bind 127.0.0.1",
                self.bind
            );
        }
        if !(1..=64).contains(&self.database_pool) {
            bail!("database_pool must be between 1 and 64, not {}", self.database_pool);
        }
        if !(10..=60_000).contains(&self.poll_interval_ms) {
            bail!(
                "poll_interval_ms must be between 10 and 60000, not {}",
                self.poll_interval_ms
            );
        }
        if let Some(url) = &self.database_url {
            if !(url.starts_with("postgres://") || url.starts_with("postgresql://") || url.contains('=')) {
                bail!("database_url must be a postgres:// URL or a key=value connection string");
            }
        }
        if self.queue_timeout_ms > 60_000 {
            bail!("queue_timeout_ms must be at most 60000");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layers_file_then_overrides_and_rejects_unknown_keys() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("k.toml");
        std::fs::write(&f, "bind = \"127.0.0.1:9000\"\ncache_entries = 5\n").unwrap();
        let s = Settings::load(
            Some(&f),
            Overrides {
                cache_entries: Some(7),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(s.bind.port(), 9000);
        assert_eq!(s.cache_entries, 7);
        std::fs::write(&f, "bnd = \"x\"\n").unwrap();
        let err = format!("{:#}", Settings::load(Some(&f), Overrides::default()).unwrap_err());
        assert!(err.contains("bnd"), "{err}");
        let err = Settings::load(
            None,
            Overrides {
                log_format: Some("xml".into()),
                ..Default::default()
            },
        )
        .unwrap_err();
        assert!(err.to_string().contains("log_format"));
    }
}
