//! The one application factory: builds the state from settings, the actix `App` with every
//! route, and the OpenAPI document. `main`, the tests and the spec generator all use it.

use std::collections::HashSet;
use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServiceRequest, ServiceResponse};
use actix_web::middleware::{from_fn, Next};
use actix_web::{web, App, HttpResponse, HttpServer};
use anyhow::Context;
use kpimatch_engine::bundle::Bundle;
use kpimatch_engine::semantic::{self, Semantic};
use kpimatch_engine::{Engine, IndexOpened};
use utoipa::OpenApi;
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

use crate::config::Settings;
use crate::error::{ApiError, Code};
use crate::metrics::Metrics;
use crate::routes;
use crate::state::{AppState, Benchmark, BodyLimits, Caches, Versions};
use crate::storage::{self, Entity, Store};

/// The top of the OpenAPI document; paths and schemas are collected from the handlers.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "kpimatch API",
        version = "1",
        description = "Ranks smart-city solutions against a city's weakest U4SSC KPIs (distance to target) and its stated needs, and explains every result in KPI terms. Errors are RFC 9457 problem documents (`application/problem+json`) with a stable `code` and, for validation errors, the offending `field`.",
        license(name = "Apache-2.0")
    ),
    tags(
        (name = "catalogue", description = "The 91 U4SSC KPIs"),
        (name = "solutions", description = "Marketplace solutions"),
        (name = "cities", description = "Cities, their observations and gap analysis"),
        (name = "matching", description = "Ranked matches with explanations, and portfolios"),
        (name = "leads", description = "The provider's side: the cities a solution should approach"),
        (name = "evaluation", description = "Ranking quality on judged topics, and feedback from use"),
        (name = "operations", description = "Health, readiness and metrics"),
        (name = "keys", description = "API keys (admin scope)"),
    )
)]
pub struct ApiDoc;

/// Registers every API route (the same list feeds the server and the OpenAPI document).
pub fn configure_routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    routes::kpis::configure(cfg);
    routes::solutions::configure(cfg);
    routes::cities::configure(cfg);
    routes::leads::configure(cfg);
    routes::matching::configure(cfg);
    routes::portfolio::configure(cfg);
    routes::profiles::configure(cfg);
    routes::evaluations::configure(cfg);
    routes::feedback::configure(cfg);
    routes::health::configure(cfg);
    routes::keys::configure(cfg);
}

/// The OpenAPI document, derived from the annotated handlers.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let (_, api) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(configure_routes)
        .split_for_parts();
    api
}

/// Opens the store, seeds it from the bundle when empty (unless disabled), and loads the engine
/// in memory from the store (synchronously; the offline commands use this, and never touch a
/// serving replica's index).
pub fn build_state(settings: &Settings) -> anyhow::Result<AppState> {
    let state = prepare_state(settings, Mode::Offline)?;
    load_engine(&state)?;
    Ok(state)
}

/// Whether the state serves (a persistent index in the data directory, locked) or runs an
/// offline command (an index in memory).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `kpimatch serve`.
    Serve,
    /// Offline commands.
    Offline,
}

/// Everything but the solutions and cities: the bundle's catalogue, vocabulary and profiles, the
/// store (opened, migrated and seeded), caches, metrics — with an empty engine, not ready.
/// Errors here (an unreadable bundle, a read-only or newer database, a data directory another
/// process serves from) stop the start.
pub fn prepare_state(settings: &Settings, mode: Mode) -> anyhow::Result<AppState> {
    let bundle = Bundle::load(&settings.bundle)
        .map_err(crate::commands::report)
        .with_context(|| format!("loading the data bundle {}", settings.bundle.display()))?;
    let data_lock = match mode {
        Mode::Serve => Some(lock_data_dir(&settings.data_dir)?),
        Mode::Offline => None,
    };
    let store: Arc<dyn Store> = Arc::from(storage::open(settings).with_context(|| match &settings.database_url {
        Some(_) => "opening the PostgreSQL database".to_string(),
        None => format!("opening the database in {}", settings.data_dir.display()),
    })?);
    if settings.seed && store.seed_if_empty(&bundle.solutions, &bundle.cities)? {
        tracing::info!(
            solutions = bundle.solutions.len(),
            cities = bundle.cities.len(),
            backend = store.backend(),
            "seeded an empty database from the bundle"
        );
    }
    let read_keys: Vec<String> = settings.read_keys.iter().map(|k| k.0.clone()).collect();
    let auth = crate::auth::Auth::new(
        settings.admin_key.as_ref().map(|k| k.0.as_str()),
        &read_keys,
        settings.rate_limit_per_second,
    );
    auth.refresh(&*store).context("reading the API keys")?;
    if mode == Mode::Serve && auth.dev_mode() {
        tracing::warn!(
            bind = %settings.bind,
            "DEVELOPMENT MODE: no API key is configured, so every request is allowed; serving on loopback only. Set --admin-key (and --read-keys) for anything else."
        );
    }
    let engine = Engine::empty_for(&bundle)?;
    let concurrency = if settings.match_concurrency == 0 {
        std::thread::available_parallelism().map_or(2, |n| n.get())
    } else {
        settings.match_concurrency
    };
    Ok(AppState {
        catalogue: engine.shared_catalogue(),
        engine: RwLock::new(engine),
        write_lock: Mutex::new(()),
        write_queue: Default::default(),
        store,
        versions: Versions::default(),
        caches: Caches::new(settings.cache_entries),
        metrics: Metrics::new(),
        permits: Arc::new(tokio::sync::Semaphore::new(concurrency)),
        permit_wait: std::time::Duration::from_millis(settings.queue_timeout_ms),
        limits: BodyLimits {
            json: settings.max_body_bytes,
            bulk: settings.max_bulk_bytes,
        },
        ready: AtomicBool::new(false),
        benchmark: Benchmark {
            topics: bundle.topics.clone(),
            qrels: kpimatch_engine::eval::qrels_from(&bundle.judgments),
        },
        request_seq: AtomicU64::new(0),
        started: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
        template: Mutex::new(Some(bundle)),
        index_dir: (mode == Mode::Serve).then(|| settings.data_dir.join("index")),
        model: settings.model.clone(),
        poll_interval: std::time::Duration::from_millis(settings.poll_interval_ms),
        data_lock,
        auth,
    })
}

/// Takes an exclusive lock on `<data-dir>/LOCK` for the life of the process: two servers on
/// one data directory would corrupt each other's index.
fn lock_data_dir(dir: &std::path::Path) -> anyhow::Result<std::fs::File> {
    use std::os::fd::AsRawFd;
    std::fs::create_dir_all(dir).with_context(|| format!("creating the data directory {}", dir.display()))?;
    let path = dir.join("LOCK");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("opening {}", path.display()))?;
    // SAFETY: flock on a file descriptor we own; no memory is shared.
    let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if rc != 0 {
        anyhow::bail!(
            "the data directory {} is in use by another kpimatch process",
            dir.display()
        );
    }
    Ok(file)
}

/// Loads the engine from the store, swaps it in, catches up with the change log and marks the
/// state ready. Writes cannot slip in between: until ready, `/v1/` answers 503 `not_ready`.
///
/// Serving, the text index in the data directory is reused when its last commit names this
/// database: only solutions changed since that commit are re-indexed. Otherwise (no index,
/// another database, a damaged index, one that disagrees with the database) it is rebuilt.
pub fn load_engine(state: &AppState) -> anyhow::Result<()> {
    let started = Instant::now();
    let bundle = state
        .template
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .take()
        .context("the engine was already loaded")?;
    let origin = state.store.database_id().to_string();
    let semantic = load_semantic(state, &bundle);
    let engine = match &state.index_dir {
        Some(dir) => load_persistent(state, &bundle, semantic, dir, &origin)?,
        None => {
            let snap = state.store.snapshot(None)?;
            let mut engine = Engine::empty_for(&bundle)?;
            engine.set_semantic(semantic)?;
            engine
                .rebuild(snap.solutions, snap.cities, &origin, snap.head)
                .context("indexing the stored solutions")?;
            engine
        }
    };
    let n = engine.stats().solutions;
    *state.engine_mut() = engine;
    {
        let _w = state.writer();
        crate::replica::catch_up(state).context("catching up with the change log")?;
    }
    state.versions.bump_catalogue();
    state.refresh_gauges();
    state.ready.store(true, std::sync::atomic::Ordering::SeqCst);
    tracing::info!(
        solutions = n,
        applied = state.engine().applied().1,
        seconds = started.elapsed().as_secs_f64(),
        "engine loaded from the database; ready"
    );
    Ok(())
}

/// The semantic stage of this replica: the model in `state.model`, its embeddings persisted
/// beside the text index (in memory for offline commands) and seeded from the bundle's. A
/// model that is missing or unreadable leaves ranking lexical, with one warning.
fn load_semantic(state: &AppState, bundle: &Bundle) -> Option<Arc<Semantic>> {
    let dir = state.model.as_ref()?;
    let started = Instant::now();
    let store = state.index_dir.as_ref().map(|d| d.with_file_name("embeddings.bin"));
    let seed = bundle.root.join(semantic::BUNDLE_SEED);
    match semantic::load(dir, store.as_deref(), &[&seed]) {
        Ok(s) => {
            tracing::info!(
                model = s.model_id(),
                embeddings = s.stored(),
                seconds = started.elapsed().as_secs_f64(),
                "semantic stage loaded"
            );
            Some(Arc::new(s))
        }
        Err(e) => {
            tracing::warn!(
                model_dir = %dir.display(),
                error = %e,
                "semantic stage off, ranking is lexical: no usable model (install it with scripts/model.sh)"
            );
            None
        }
    }
}

fn load_persistent(
    state: &AppState,
    bundle: &Bundle,
    semantic: Option<Arc<Semantic>>,
    dir: &std::path::Path,
    origin: &str,
) -> anyhow::Result<Engine> {
    let (mut engine, opened) = Engine::open_index(bundle, dir).context("opening the text index")?;
    engine.set_semantic(semantic.clone())?;
    let since = match &opened {
        IndexOpened::Reopened { origin: o, applied, .. } if o == origin => Some(*applied),
        _ => None,
    };
    let snap = state.store.snapshot(since)?;
    let reason = match (opened, snap.changed_since) {
        (IndexOpened::Reopened { docs, applied, .. }, Some(changed)) => {
            let changed: HashSet<&str> = changed
                .iter()
                .filter(|(e, _)| *e == Entity::Solution)
                .map(|(_, id)| id.as_str())
                .collect();
            match engine.restore(docs, snap.solutions, snap.cities, &changed, origin, snap.head) {
                Ok(stats) => {
                    tracing::info!(
                        index_at = applied,
                        head = snap.head,
                        kept = stats.kept,
                        reindexed = stats.reindexed,
                        removed = stats.removed,
                        profiles_read = stats.profiles_read,
                        "reopened the text index; replayed the changes since its last commit"
                    );
                    return Ok(engine);
                }
                Err(e) => format!("the reopened index disagrees with the database ({e})"),
            }
        }
        (IndexOpened::Reopened { origin: o, applied, .. }, None) if o == origin => {
            format!(
                "the index is at change {applied}, ahead of the database's {}",
                snap.head
            )
        }
        (IndexOpened::Reopened { .. }, _) => "the index was built from another database".to_string(),
        (IndexOpened::Fresh { reason }, _) => reason,
    };
    tracing::info!(%reason, "rebuilding the text index from the database");
    drop(engine);
    let (mut engine, _) = Engine::open_index(bundle, dir).context("opening the text index")?;
    engine.set_semantic(semantic)?;
    let snap = state.store.snapshot(None)?;
    engine
        .rebuild(snap.solutions, snap.cities, origin, snap.head)
        .context("indexing the stored solutions")?;
    Ok(engine)
}

/// Until the engine is loaded, API requests get 503 `not_ready` with `Retry-After` (health,
/// readiness, metrics and the docs are served).
async fn gate(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<actix_web::body::EitherBody<impl MessageBody>>, actix_web::Error> {
    let loading = req.path().starts_with("/v1/")
        && req
            .app_data::<web::Data<AppState>>()
            .is_some_and(|s| !s.ready.load(std::sync::atomic::Ordering::SeqCst));
    if loading {
        let err = ApiError::new(
            Code::NotReady,
            "The index is still being rebuilt from the database; retry shortly.",
        )
        .retry_after(1);
        let res = actix_web::ResponseError::error_response(&err);
        return Ok(req.into_response(res).map_into_right_body());
    }
    Ok(next.call(req).await?.map_into_left_body())
}

/// Checks the API key and its rate before anything else runs (see [`crate::auth`]).
async fn authorize(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<actix_web::body::EitherBody<impl MessageBody>>, actix_web::Error> {
    let verdict = req.app_data::<web::Data<AppState>>().map(|s| {
        let header = req
            .headers()
            .get(actix_web::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        let peer = req.peer_addr().map(|a| a.ip());
        s.auth.check(req.method(), req.path(), header, peer)
    });
    if let Some(Err(err)) = verdict {
        let res = actix_web::ResponseError::error_response(&err);
        return Ok(req.into_response(res).map_into_right_body());
    }
    Ok(next.call(req).await?.map_into_left_body())
}

/// Records each request's metrics and logs one line with its latency and status.
async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let start = Instant::now();
    let method = req.method().to_string();
    let path = req.path().to_string();
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let res = next.call(req).await?;
    let route = res
        .request()
        .match_pattern()
        .unwrap_or_else(|| "(unmatched)".to_string());
    let status = res.status().as_u16();
    let seconds = start.elapsed().as_secs_f64();
    if let Some(state) = state {
        state.metrics.record_request(&route, &method, status, seconds);
    }
    tracing::info!(%method, %path, %route, status, latency_ms = seconds * 1e3, "request");
    Ok(res)
}

/// The API's routes as (path template segments, methods), from the OpenAPI document, so an
/// unmatched request can be told apart: unknown path (404) or wrong method (405).
#[derive(Debug, Default)]
pub struct RouteTable(Vec<(Vec<String>, Vec<String>)>);

impl RouteTable {
    /// The table of a document.
    pub fn from_openapi(api: &utoipa::openapi::OpenApi) -> RouteTable {
        let value = serde_json::to_value(api).unwrap_or_default();
        let mut routes = Vec::new();
        if let Some(paths) = value["paths"].as_object() {
            for (path, ops) in paths {
                let segments = path.trim_matches('/').split('/').map(str::to_string).collect();
                let methods = ops
                    .as_object()
                    .map(|o| o.keys().map(|m| m.to_uppercase()).collect())
                    .unwrap_or_default();
                routes.push((segments, methods));
            }
        }
        RouteTable(routes)
    }

    /// Methods allowed on a concrete path, if any route has its shape.
    pub fn allowed(&self, path: &str) -> Vec<String> {
        let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
        let mut out: Vec<String> = Vec::new();
        for (segments, methods) in &self.0 {
            let fits = segments.len() == parts.len()
                && segments
                    .iter()
                    .zip(&parts)
                    .all(|(t, p)| (t.starts_with('{') && !p.is_empty()) || t == p);
            if fits {
                out.extend(methods.iter().cloned());
            }
        }
        out.sort();
        out.dedup();
        out
    }
}

async fn not_found(req: actix_web::HttpRequest, table: web::Data<RouteTable>) -> Result<HttpResponse, ApiError> {
    let allowed = table.allowed(req.path());
    if !allowed.is_empty() {
        let err = ApiError::new(
            Code::MethodNotAllowed,
            format!(
                "{} is not allowed on {}; allowed: {}",
                req.method(),
                crate::error::truncate(req.path(), 200),
                allowed.join(", ")
            ),
        );
        let mut res = actix_web::ResponseError::error_response(&err);
        if let Ok(v) = actix_web::http::header::HeaderValue::from_str(&allowed.join(", ")) {
            res.headers_mut().insert(actix_web::http::header::ALLOW, v);
        }
        return Ok(res);
    }
    Err(ApiError::new(
        Code::NotFound,
        format!(
            "no route for {} {}",
            req.method(),
            crate::error::truncate(req.path(), 200)
        ),
    ))
}

/// Starts the HTTP server on a bound listener with the given state.
pub fn run(listener: TcpListener, state: web::Data<AppState>, workers: usize) -> anyhow::Result<Server> {
    let table = web::Data::new(RouteTable::from_openapi(&openapi()));
    let mut server = HttpServer::new(move || {
        let (app, api) = App::new()
            .into_utoipa_app()
            .openapi(ApiDoc::openapi())
            .app_data(state.clone())
            .app_data(table.clone())
            .app_data(
                web::PathConfig::default()
                    .error_handler(|e, _| ApiError::new(Code::InvalidPath, format!("invalid path: {e}")).into()),
            )
            .configure(configure_routes)
            .split_for_parts();
        app.service(SwaggerUi::new("/docs/{_:.*}").url("/openapi.json", api))
            .configure(routes::page::configure)
            .default_service(web::to(not_found))
            .wrap(from_fn(gate))
            .wrap(from_fn(authorize))
            .wrap(from_fn(observe))
    })
    .listen(listener)?;
    if workers > 0 {
        server = server.workers(workers);
    }
    Ok(server.run())
}

/// A built application: its state and the running server.
pub struct Application {
    port: u16,
    server: Server,
    state: web::Data<AppState>,
}

impl Application {
    /// Binds the listener (port 0 picks a free port), prepares the state and starts serving;
    /// the engine is rebuilt from the database on a background thread meanwhile (`/readyz`
    /// answers 503 until it is done, API routes answer 503 `not_ready`). A failed rebuild ends
    /// the process with an error: serving without the stored data would lose what was
    /// acknowledged.
    pub fn build(settings: &Settings) -> anyhow::Result<Application> {
        let listener = TcpListener::bind(settings.bind).with_context(|| format!("binding {}", settings.bind))?;
        let port = listener.local_addr()?.port();
        // On a plain thread: the PostgreSQL client blocks on its own runtime, which tokio forbids
        // inside the async context this is called from.
        let prepared = std::thread::scope(|scope| {
            scope
                .spawn(|| prepare_state(settings, Mode::Serve))
                .join()
                .unwrap_or_else(|_| Err(anyhow::anyhow!("preparing the state panicked")))
        })?;
        let state = web::Data::new(prepared);
        let server = run(listener, state.clone(), settings.http_workers)?;
        let loading = state.clone();
        std::thread::Builder::new()
            .name("index-rebuild".into())
            .spawn(move || {
                if let Err(e) = load_engine(&loading) {
                    tracing::error!(error = format!("{e:#}"), "loading the engine from the database failed");
                    eprintln!("error: loading the engine from the database failed: {e:#}");
                    std::process::exit(1);
                }
                let shared = loading.into_inner();
                if let Err(e) = crate::replica::spawn_follower(&shared, shared.poll_interval) {
                    tracing::error!(error = %e, "cannot start the change-log follower");
                    std::process::exit(1);
                }
            })
            .context("starting the index rebuild")?;
        Ok(Application { port, server, state })
    }

    /// The port actually bound.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The shared state (tests inspect it).
    pub fn state(&self) -> web::Data<AppState> {
        self.state.clone()
    }

    /// Serves until the server stops (SIGINT/SIGTERM stop it gracefully).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn committed() -> String {
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi/openapi.json"))
            .expect("openapi/openapi.json is committed")
    }

    /// Fails when the committed spec differs from the one the handlers generate. Regenerate with
    /// `cargo run -p kpimatch-server -- openapi > openapi/openapi.json`.
    #[test]
    fn committed_spec_matches_the_handlers() {
        let generated = openapi().to_pretty_json().expect("the spec serialises");
        assert!(
            committed().trim_end() == generated.trim_end(),
            "openapi/openapi.json is stale: regenerate it with `cargo run -p kpimatch-server -- openapi > openapi/openapi.json`"
        );
    }

    /// Every operation documents itself: summary, description, a success response, its error
    /// responses (as problem+json), and examples for its inputs.
    #[test]
    fn every_operation_is_documented() {
        let spec: serde_json::Value = serde_json::from_str(&openapi().to_json().unwrap()).unwrap();
        let schemas = &spec["components"]["schemas"];
        for (path, ops) in spec["paths"].as_object().unwrap() {
            for (method, op) in ops.as_object().unwrap() {
                let name = format!("{} {path}", method.to_uppercase());
                assert!(
                    op["summary"].as_str().is_some_and(|s| !s.is_empty()),
                    "{name}: no summary"
                );
                assert!(
                    op["description"].as_str().is_some_and(|s| !s.is_empty()),
                    "{name}: no description"
                );
                let responses = op["responses"].as_object().unwrap();
                assert!(
                    responses.keys().any(|k| k.starts_with('2')),
                    "{name}: no success response"
                );
                // Operations without any input have no error of their own to document.
                let no_input =
                    ["/healthz", "/metrics", "/v1/facets", "/v1/kpis", "/v1/profiles"].contains(&path.as_str());
                if !no_input {
                    let errors: Vec<_> = responses
                        .iter()
                        .filter(|(k, _)| k.starts_with('4') || k.starts_with('5'))
                        .collect();
                    assert!(!errors.is_empty(), "{name}: no error responses");
                    for (code, r) in errors {
                        assert!(
                            r["content"]["application/problem+json"].is_object(),
                            "{name} {code}: not problem+json"
                        );
                    }
                }
                for p in op["parameters"].as_array().into_iter().flatten() {
                    if p["in"] == "path" {
                        assert!(
                            p["description"].is_string(),
                            "{name}: path parameter without description"
                        );
                    }
                }
                if let Some(body) = op.get("requestBody") {
                    let content = body["content"].as_object().unwrap();
                    let has_example = content.values().any(|c| {
                        let schema = &c["schema"];
                        let referenced = schema["$ref"]
                            .as_str()
                            .or(schema["items"]["$ref"].as_str())
                            .and_then(|r| r.rsplit('/').next());
                        c.get("example").is_some() || referenced.is_some_and(|n| schemas[n].get("example").is_some())
                    });
                    assert!(has_example, "{name}: request body without an example");
                }
            }
        }
    }
}
