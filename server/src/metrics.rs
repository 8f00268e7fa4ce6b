//! Prometheus metrics: request counts and latency per route, cache hits and misses, and the
//! catalogue's size, rendered in the Prometheus text format at `/metrics`.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

/// Labels of a request metric.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    /// Route pattern, e.g. `/v1/solutions/{id}`.
    pub route: String,
    /// HTTP method.
    pub method: String,
    /// Status code.
    pub status: u16,
}

/// Labels of a latency histogram.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct LatencyLabels {
    /// Route pattern.
    pub route: String,
    /// HTTP method.
    pub method: String,
}

/// Labels of the cache counters.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CacheLabels {
    /// `match` or `gaps`.
    pub cache: String,
}

/// Labels of the match stage histogram.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StageLabels {
    /// `parse`, `queue`, the engine's stages (`gaps`, `needs`, `meaning`, `evidence`,
    /// `candidates`, `explain`, `why_not`) and `serialize`.
    pub stage: &'static str,
}

/// All metrics and their registry.
pub struct Metrics {
    registry: Registry,
    requests: Family<RouteLabels, Counter>,
    latency: Family<LatencyLabels, Histogram>,
    stages: Family<StageLabels, Histogram>,
    cache_hits: Family<CacheLabels, Counter>,
    cache_misses: Family<CacheLabels, Counter>,
    solutions: Gauge,
    cities: Gauge,
    kpis: Gauge,
    overloaded: Counter,
    embeddings_computed: Gauge,
    embeddings_reused: Gauge,
    write_groups: Histogram,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Registers every metric.
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("kpimatch");
        let requests = Family::<RouteLabels, Counter>::default();
        let latency = Family::<LatencyLabels, Histogram>::new_with_constructor(|| {
            Histogram::new([
                0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
            ])
        });
        // From 10 µs: most stages of a request take well under a millisecond.
        let stages = Family::<StageLabels, Histogram>::new_with_constructor(|| {
            Histogram::new([
                0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
            ])
        });
        let cache_hits = Family::<CacheLabels, Counter>::default();
        let cache_misses = Family::<CacheLabels, Counter>::default();
        let solutions = Gauge::default();
        let cities = Gauge::default();
        let kpis = Gauge::default();
        let overloaded = Counter::default();
        let embeddings_computed = Gauge::default();
        let embeddings_reused = Gauge::default();
        let write_groups = Histogram::new([1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0]);
        registry.register(
            "write_group_size",
            "Single-solution writes committed together (one store transaction, one index commit)",
            write_groups.clone(),
        );
        registry.register(
            "embeddings_computed",
            "Solution texts the semantic stage's model embedded since start",
            embeddings_computed.clone(),
        );
        registry.register(
            "embeddings_reused",
            "Solution embeddings read from the store (persisted or bundled) since start",
            embeddings_reused.clone(),
        );
        registry.register(
            "http_requests",
            "HTTP requests by route, method and status",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency by route",
            latency.clone(),
        );
        registry.register(
            "match_stage_duration_seconds",
            "Time a ranked /v1/match or /v1/search request (a cache miss) spent in each stage",
            stages.clone(),
        );
        registry.register("cache_hits", "Cache hits by cache", cache_hits.clone());
        registry.register("cache_misses", "Cache misses by cache", cache_misses.clone());
        registry.register("catalogue_solutions", "Solutions in the catalogue", solutions.clone());
        registry.register("catalogue_cities", "Cities stored", cities.clone());
        registry.register("catalogue_kpis", "KPIs in the catalogue", kpis.clone());
        registry.register(
            "overloaded_rejections",
            "Requests refused with 503 because ranking was saturated",
            overloaded.clone(),
        );
        Metrics {
            registry,
            requests,
            latency,
            stages,
            cache_hits,
            cache_misses,
            solutions,
            cities,
            kpis,
            overloaded,
            embeddings_computed,
            embeddings_reused,
            write_groups,
        }
    }

    /// Sets the semantic stage's counters.
    pub fn set_embeddings(&self, computed: u64, reused: u64) {
        self.embeddings_computed.set(computed as i64);
        self.embeddings_reused.set(reused as i64);
    }

    /// Records a finished request.
    pub fn record_request(&self, route: &str, method: &str, status: u16, seconds: f64) {
        self.requests
            .get_or_create(&RouteLabels {
                route: route.into(),
                method: method.into(),
                status,
            })
            .inc();
        self.latency
            .get_or_create(&LatencyLabels {
                route: route.into(),
                method: method.into(),
            })
            .observe(seconds);
    }

    /// Records the time a ranked match request spent in one stage.
    pub fn record_stage(&self, stage: &'static str, duration: std::time::Duration) {
        self.stages
            .get_or_create(&StageLabels { stage })
            .observe(duration.as_secs_f64());
    }

    /// Records a group commit of `writes` single-solution writes.
    pub fn record_write_group(&self, writes: usize) {
        self.write_groups.observe(writes as f64);
    }

    /// Records a cache look-up.
    pub fn record_cache(&self, cache: &str, hit: bool) {
        let l = CacheLabels { cache: cache.into() };
        if hit {
            self.cache_hits.get_or_create(&l).inc();
        } else {
            self.cache_misses.get_or_create(&l).inc();
        }
    }

    /// Records a 503 for saturation.
    pub fn record_overload(&self) {
        self.overloaded.inc();
    }

    /// Sets the size gauges.
    pub fn set_sizes(&self, solutions: usize, cities: usize, kpis: usize) {
        self.solutions.set(solutions as i64);
        self.cities.set(cities as i64);
        self.kpis.set(kpis as i64);
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }
}
