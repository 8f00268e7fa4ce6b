//! The test application: `spawn_app()` starts the real server (the same `Application::build`
//! factory `main` uses) on port 0 with a fresh data directory seeded from the repository's
//! bundle, and `TestApp` offers typed request helpers over plain HTTP.

use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

use kpimatch_server::config::Settings;
use kpimatch_server::startup::Application;
use reqwest::{Response, StatusCode};
use serde_json::{json, Value};
use tempfile::TempDir;

/// The repository's data bundle (KPI catalogue, vocabulary, profiles, seed data).
pub fn bundle_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../index-data")
}

/// A running application with its own data directory.
pub struct TestApp {
    /// `http://127.0.0.1:<port>`.
    pub address: String,
    /// Client without proxies or TLS.
    pub client: reqwest::Client,
    /// The data directory, removed when the app is dropped; `None` for the shared app.
    #[allow(dead_code)]
    pub data_dir: Option<TempDir>,
}

/// A plain-HTTP client that ignores any proxy settings of the environment.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("a reqwest client")
}

fn settings(data_dir: &TempDir) -> Settings {
    Settings {
        bind: "127.0.0.1:0".parse().unwrap(),
        data_dir: data_dir.path().to_path_buf(),
        bundle: bundle_dir(),
        seed: true,
        http_workers: 2,
        ..Settings::default()
    }
}

/// Starts the application on 127.0.0.1:0 with a fresh, seeded data directory, serving on the
/// test's runtime. Use it for every test that writes or depends on exact counters.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// [`spawn_app`] with changed settings (API keys, limits, …).
pub async fn spawn_app_with(change: impl FnOnce(&mut Settings)) -> TestApp {
    let data_dir = tempfile::tempdir().expect("a temporary data directory");
    let mut settings = settings(&data_dir);
    change(&mut settings);
    let app = Application::build(&settings).expect("the application builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    let state = app.state();
    tokio::spawn(app.run_until_stopped());
    assert!(
        state.wait_until_ready(std::time::Duration::from_secs(60)).await,
        "the application became ready"
    );
    TestApp {
        address,
        client: client(),
        data_dir: Some(data_dir),
    }
}

/// One seeded application shared by the tests that never change data (reads, rejected
/// requests), started once on its own thread and runtime so it outlives every test. Loading an
/// index costs about a second of CPU, so sharing it keeps the binary fast.
///
/// Its data directory is removed as soon as the state is loaded: reads are served from memory,
/// and nothing else may write to it. A test that writes must use [`spawn_app`].
pub fn shared_app() -> TestApp {
    static ADDRESS: OnceLock<String> = OnceLock::new();
    let address = ADDRESS.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("shared-app".into())
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(1)
                    .enable_all()
                    .build()
                    .expect("a runtime for the shared app");
                rt.block_on(async move {
                    let data_dir = tempfile::tempdir().expect("a temporary data directory");
                    let app = Application::build(&settings(&data_dir)).expect("the application builds");
                    // The server already serves while the index is rebuilt; wait for it before
                    // the data directory goes away.
                    assert!(
                        app.state().wait_until_ready(std::time::Duration::from_secs(60)).await,
                        "the shared app became ready"
                    );
                    drop(data_dir);
                    tx.send(app.port()).expect("the port is sent");
                    app.run_until_stopped().await
                })
            })
            .expect("the shared app thread starts");
        let port = rx.recv().expect("the shared app started");
        format!("http://127.0.0.1:{port}")
    });
    TestApp {
        address: address.clone(),
        client: client(),
        data_dir: None,
    }
}

impl TestApp {
    /// `GET <path>`.
    pub async fn get(&self, path: &str) -> Response {
        self.client
            .get(format!("{}{}", self.address, path))
            .send()
            .await
            .expect("GET request sent")
    }

    /// `PUT /v1/solutions/{id}` with a JSON body.
    pub async fn put_solution(&self, id: &str, body: &Value) -> Response {
        self.client
            .put(format!("{}/v1/solutions/{id}", self.address))
            .json(body)
            .send()
            .await
            .expect("PUT solution sent")
    }

    /// `GET /v1/solutions/{id}`.
    pub async fn get_solution(&self, id: &str) -> Response {
        self.get(&format!("/v1/solutions/{id}")).await
    }

    /// `DELETE /v1/solutions/{id}`.
    pub async fn delete_solution(&self, id: &str) -> Response {
        self.client
            .delete(format!("{}/v1/solutions/{id}", self.address))
            .send()
            .await
            .expect("DELETE solution sent")
    }

    /// `PUT /v1/cities/{id}` with a JSON body.
    pub async fn put_city(&self, id: &str, body: &Value) -> Response {
        self.client
            .put(format!("{}/v1/cities/{id}", self.address))
            .json(body)
            .send()
            .await
            .expect("PUT city sent")
    }

    /// `GET /v1/cities/{id}`.
    pub async fn get_city(&self, id: &str) -> Response {
        self.get(&format!("/v1/cities/{id}")).await
    }

    /// `DELETE /v1/cities/{id}`.
    pub async fn delete_city(&self, id: &str) -> Response {
        self.client
            .delete(format!("{}/v1/cities/{id}", self.address))
            .send()
            .await
            .expect("DELETE city sent")
    }

    /// `GET /v1/cities/{id}/gaps`.
    pub async fn get_gaps(&self, id: &str) -> Response {
        self.get(&format!("/v1/cities/{id}/gaps")).await
    }

    /// `POST /v1/match` with a JSON body.
    pub async fn match_(&self, body: &Value) -> Response {
        self.client
            .post(format!("{}/v1/match", self.address))
            .json(body)
            .send()
            .await
            .expect("POST match sent")
    }

    /// `POST /v1/match`, expecting 200, returning the body.
    pub async fn match_ok(&self, body: &Value) -> Value {
        let res = self.match_(body).await;
        json_ok(res).await
    }

    /// `GET /v1/search?q=…` with further query parameters.
    pub async fn search(&self, q: &str, extra: &[(&str, &str)]) -> Response {
        let mut params = vec![("q", q)];
        params.extend_from_slice(extra);
        self.client
            .get(format!("{}/v1/search", self.address))
            .query(&params)
            .send()
            .await
            .expect("GET search sent")
    }

    /// `POST /v1/solutions/bulk` with raw bytes and a content type.
    pub async fn bulk(&self, body: Vec<u8>, content_type: &str) -> Response {
        self.client
            .post(format!("{}/v1/solutions/bulk", self.address))
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .body(body)
            .send()
            .await
            .expect("POST bulk sent")
    }

    /// `POST /v1/solutions/bulk` with a JSON array.
    pub async fn bulk_json(&self, items: &Value) -> Response {
        self.bulk(serde_json::to_vec(items).unwrap(), "application/json").await
    }

    /// A request with a raw body and content type (for malformed-input tests).
    pub async fn send_raw(&self, method: reqwest::Method, path: &str, body: Vec<u8>, content_type: &str) -> Response {
        self.client
            .request(method, format!("{}{}", self.address, path))
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .body(body)
            .send()
            .await
            .expect("request sent")
    }
}

/// Asserts a 2xx JSON answer and returns its body.
pub async fn json_ok(res: Response) -> Value {
    let status = res.status();
    let text = res.text().await.expect("a response body");
    assert!(status.is_success(), "expected 2xx, got {status}: {text}");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// Asserts a given status with a JSON body and returns the body.
pub async fn json_with(res: Response, expected: StatusCode) -> Value {
    let status = res.status();
    let text = res.text().await.expect("a response body");
    assert_eq!(status, expected, "unexpected status; body: {text}");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// Asserts an RFC 9457 problem: status, `application/problem+json`, the stable `code` and the
/// blamed `field` (`None`: no `field` member). Returns the problem document.
pub async fn assert_problem(res: Response, status: u16, code: &str, field: Option<&str>) -> Value {
    let actual = res.status().as_u16();
    let content_type = res
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let text = res.text().await.expect("a response body");
    assert_eq!(actual, status, "unexpected status; body: {text}");
    assert!(
        content_type.starts_with("application/problem+json"),
        "content type '{content_type}' is not application/problem+json; body: {text}"
    );
    let p: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("problem is not JSON ({e}): {text}"));
    assert_eq!(p["status"], json!(status), "{p}");
    assert_eq!(p["code"], json!(code), "{p}");
    assert_eq!(
        p["type"],
        json!(format!("https://kpimatch.example/problems/{code}")),
        "{p}"
    );
    assert!(p["title"].as_str().is_some_and(|t| !t.is_empty()), "{p}");
    assert!(p["detail"].as_str().is_some_and(|t| !t.is_empty()), "{p}");
    match field {
        Some(f) => assert_eq!(p["field"], json!(f), "{p}"),
        None => assert!(p.get("field").is_none(), "unexpected field member: {p}"),
    }
    p
}

/// A water-leak solution declaring a strong impact on water supply loss (EC:I:WS:3C).
pub fn leak_solution(title: &str) -> Value {
    json!({
        "title": title,
        "provider": "Test Waterworks",
        "summary": "Acoustic loggers find hidden leaks in water mains and cut water supply loss.",
        "description": "Loggers on valves listen for leaks at night; pipe bursts and non-revenue water fall as crews repair the leaks found.",
        "categories": ["Environment"],
        "tags": ["leak detection", "non-revenue water", "water loss"],
        "regions": ["Global"],
        "kpis": [{"code": "EC:I:WS:3C", "impact": 1.0}],
        "sdgs": [6],
        "maturity": "proven",
        "cost_band": "low"
    })
}

/// The solution ids of a match or search answer, in rank order.
pub fn result_ids(body: &Value) -> Vec<String> {
    body["results"]
        .as_array()
        .expect("a results array")
        .iter()
        .map(|r| r["solution_id"].as_str().expect("a solution id").to_string())
        .collect()
}

/// Every stored solution by id, read through the paginated list.
pub async fn all_solutions(app: &TestApp) -> std::collections::HashMap<String, Value> {
    let mut out = std::collections::HashMap::new();
    let mut offset = 0;
    loop {
        let page = json_ok(app.get(&format!("/v1/solutions?limit=100&offset={offset}")).await).await;
        let items = page["items"].as_array().expect("an items array");
        for s in items {
            out.insert(s["id"].as_str().unwrap().to_string(), s.clone());
        }
        offset += items.len();
        if items.is_empty() || offset >= page["total"].as_u64().unwrap() as usize {
            break;
        }
    }
    out
}
