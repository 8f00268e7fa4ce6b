//! Shared application state: the engine, the store, caches, metrics and the ranking permits.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use kpimatch_engine::Engine;
use moka::sync::Cache;

use crate::api::{FacetsView, GapsView, MatchResponseBody};
use crate::metrics::Metrics;
use crate::storage::Store;

/// Versions of the data the caches depend on.
///
/// A solution write bumps `catalogue`, which every cached match depends on; a city write bumps
/// only that city's version, so matches and gaps of other cities stay cached.
#[derive(Debug, Default)]
pub struct Versions {
    catalogue: AtomicU64,
    next_city: AtomicU64,
    cities: RwLock<HashMap<String, u64>>,
}

impl Versions {
    /// The catalogue version.
    pub fn catalogue(&self) -> u64 {
        self.catalogue.load(Ordering::SeqCst)
    }

    /// Marks the catalogue changed.
    pub fn bump_catalogue(&self) {
        self.catalogue.fetch_add(1, Ordering::SeqCst);
    }

    /// A city's version (0 before its first write in this process).
    pub fn city(&self, id: &str) -> u64 {
        self.cities
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(id)
            .copied()
            .unwrap_or(0)
    }

    /// Marks a city changed.
    pub fn bump_city(&self, id: &str) {
        let v = self.next_city.fetch_add(1, Ordering::SeqCst) + 1;
        self.cities
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id.to_string(), v);
    }
}

/// The caches.
pub struct Caches {
    /// Match and search responses, keyed by request and data versions.
    pub matches: Cache<String, Arc<MatchResponseBody>>,
    /// Gap analyses, keyed by city id and version.
    pub gaps: Cache<(String, u64), Arc<GapsView>>,
    /// Facet counts, keyed by catalogue version.
    pub facets: Cache<u64, Arc<FacetsView>>,
}

impl Caches {
    /// Caches holding at most `entries` responses each.
    pub fn new(entries: u64) -> Caches {
        Caches {
            matches: Cache::new(entries),
            gaps: Cache::new(entries),
            facets: Cache::new(4),
        }
    }
}

/// Everything a handler needs.
pub struct AppState {
    /// The engine (writes take the write lock only for the in-memory update).
    pub engine: RwLock<Engine>,
    /// Serialises writers so the store and the engine apply writes in the same order.
    pub write_lock: Mutex<()>,
    /// Single-solution writes waiting for the next group commit.
    pub write_queue: crate::replica::WriteQueue,
    /// The KPI catalogue (the bundle's; the engine's never changes), readable without the
    /// engine's lock, which a commit holds.
    pub catalogue: Arc<kpimatch_engine::kpi::Catalogue>,
    /// The durable source of truth.
    pub store: Arc<dyn Store>,
    /// Data versions for cache keys.
    pub versions: Versions,
    /// Caches.
    pub caches: Caches,
    /// Metrics.
    pub metrics: Metrics,
    /// Permits for CPU-heavy ranking work.
    pub permits: Arc<tokio::sync::Semaphore>,
    /// How long a request may wait for a permit before it is refused with 503.
    pub permit_wait: std::time::Duration,
    /// Limits on request bodies.
    pub limits: BodyLimits,
    /// The bundled judged topics.
    pub benchmark: Benchmark,
    /// True once the engine is loaded.
    pub ready: AtomicBool,
    /// Request counter for request ids.
    pub request_seq: AtomicU64,
    /// Process start, for request ids.
    pub started: u64,
    /// The bundle the engine is built from, until the engine is loaded.
    pub template: Mutex<Option<kpimatch_engine::bundle::Bundle>>,
    /// Where this replica keeps its text index (`None`: in memory, for offline commands).
    pub index_dir: Option<std::path::PathBuf>,
    /// The sentence-embedding model's directory (`None`: lexical ranking).
    pub model: Option<std::path::PathBuf>,
    /// How often the change log is polled without a notification.
    pub poll_interval: std::time::Duration,
    /// The data directory's lock, held while serving (one process per data directory).
    pub data_lock: Option<std::fs::File>,
    /// API keys and rate limits.
    pub auth: crate::auth::Auth,
}

/// The bundled judged topics and their judgments.
pub struct Benchmark {
    /// Topics.
    pub topics: Vec<kpimatch_engine::bundle::Topic>,
    /// Judgments.
    pub qrels: kpimatch_engine::eval::Qrels,
}

/// Body size limits.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimits {
    /// Single-entity writes and match requests.
    pub json: usize,
    /// Bulk imports.
    pub bulk: usize,
}

impl AppState {
    /// Reads the engine.
    pub fn engine(&self) -> std::sync::RwLockReadGuard<'_, Engine> {
        self.engine.read().unwrap_or_else(|p| p.into_inner())
    }

    /// Writes the engine.
    pub fn engine_mut(&self) -> std::sync::RwLockWriteGuard<'_, Engine> {
        self.engine.write().unwrap_or_else(|p| p.into_inner())
    }

    /// Takes the writers' lock.
    pub fn writer(&self) -> std::sync::MutexGuard<'_, ()> {
        self.write_lock.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A new request id (unique within the process's life and across restarts).
    pub fn request_id(&self) -> String {
        let n = self.request_seq.fetch_add(1, Ordering::Relaxed);
        format!("req-{:x}-{n:x}", self.started)
    }

    /// Waits (polling, up to `timeout`) until the engine is loaded; `false` on timeout.
    pub async fn wait_until_ready(&self, timeout: std::time::Duration) -> bool {
        let deadline = std::time::Instant::now() + timeout;
        while !self.ready.load(Ordering::SeqCst) {
            if std::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        true
    }

    /// Updates the size gauges.
    pub fn refresh_gauges(&self) {
        let engine = self.engine();
        let s = engine.stats();
        self.metrics.set_sizes(s.solutions, s.cities, s.kpis);
        if let Some(sem) = engine.semantic() {
            let st = sem.stats();
            self.metrics.set_embeddings(st.computed, st.reused);
        }
    }
}
