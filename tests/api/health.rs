//! `/healthz`, `/readyz`, `/metrics`, `/openapi.json` and `/docs/`.

use serde_json::{json, Value};

use crate::helpers::{json_ok, shared_app, spawn_app};

#[tokio::test]
async fn healthz_answers_ok() {
    // Arrange
    let app = shared_app();

    // Act
    let body = json_ok(app.get("/healthz").await).await;

    // Assert
    assert_eq!(body, json!({"status": "ok"}));
}

#[tokio::test]
async fn readyz_reports_what_is_loaded() {
    // Arrange
    let app = shared_app();

    // Act
    let body = json_ok(app.get("/readyz").await).await;

    // Assert
    assert_eq!(
        body,
        json!({"status": "ready", "solutions": 354, "cities": 18, "kpis": 91})
    );
}

#[tokio::test]
async fn metrics_count_requests_and_cache_hits() {
    // Arrange
    let app = spawn_app().await;
    let request = json!({"city_id": "qasr-alwan", "limit": 3});
    app.match_ok(&request).await;
    app.match_ok(&request).await;

    // Act
    let res = app.get("/metrics").await;

    // Assert
    assert_eq!(res.status().as_u16(), 200);
    let content_type = res.headers()["content-type"].to_str().unwrap().to_string();
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    let text = res.text().await.unwrap();
    let line = |prefix: &str| -> Option<f64> {
        text.lines()
            .find(|l| l.starts_with(prefix))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
    };
    assert!(text.contains("kpimatch_http_requests_total"), "{text}");
    assert_eq!(
        line(r#"kpimatch_http_requests_total{route="/v1/match",method="POST",status="200"}"#),
        Some(2.0),
        "{text}"
    );
    assert_eq!(line(r#"kpimatch_cache_hits_total{cache="match"}"#), Some(1.0), "{text}");
    assert_eq!(
        line(r#"kpimatch_cache_misses_total{cache="match"}"#),
        Some(1.0),
        "{text}"
    );
    assert_eq!(line("kpimatch_catalogue_solutions"), Some(354.0), "{text}");
    assert!(text.contains("kpimatch_http_request_duration_seconds_bucket"), "{text}");
    // One ranked request (the cache hit ranks nothing): each stage it ran observed once; a
    // stage it skipped (the semantic stage: no model in this app) not at all.
    for stage in [
        "parse",
        "queue",
        "gaps",
        "needs",
        "evidence",
        "candidates",
        "explain",
        "why_not",
        "serialize",
    ] {
        let count = format!(r#"kpimatch_match_stage_duration_seconds_count{{stage="{stage}"}}"#);
        assert_eq!(line(&count), Some(1.0), "{stage}: {text}");
    }
    assert!(!text.contains(r#"stage="meaning""#), "{text}");
}

#[tokio::test]
async fn the_openapi_document_describes_every_route() {
    // Arrange
    let app = shared_app();
    let expected = [
        ("/v1/kpis", "get"),
        ("/v1/kpis/{code}", "get"),
        ("/v1/solutions", "get"),
        ("/v1/solutions/{id}", "put"),
        ("/v1/solutions/{id}", "get"),
        ("/v1/solutions/{id}", "delete"),
        ("/v1/solutions/bulk", "post"),
        ("/v1/cities", "get"),
        ("/v1/cities/{id}", "put"),
        ("/v1/cities/{id}", "get"),
        ("/v1/cities/{id}", "delete"),
        ("/v1/cities/{id}/gaps", "get"),
        ("/v1/match", "post"),
        ("/v1/search", "get"),
        ("/healthz", "get"),
        ("/readyz", "get"),
        ("/metrics", "get"),
    ];

    // Act
    let spec = json_ok(app.get("/openapi.json").await).await;

    // Assert
    assert!(
        spec["openapi"].as_str().unwrap().starts_with("3."),
        "{}",
        spec["openapi"]
    );
    let paths = spec["paths"].as_object().expect("paths");
    for (path, method) in expected {
        let op = &paths
            .get(path)
            .unwrap_or_else(|| panic!("{path} is missing from the spec"))[method];
        assert!(op.is_object(), "{method} {path} is missing from the spec");
        assert!(op["responses"].is_object(), "{method} {path} has no responses");
    }
    for (path, item) in paths {
        for (method, op) in item.as_object().unwrap() {
            let responses = op["responses"].as_object();
            assert!(
                responses.is_some_and(|r| !r.is_empty()),
                "{method} {path} has no responses"
            );
        }
    }
    assert!(spec["components"]["schemas"]["Problem"].is_object());
}

#[tokio::test]
async fn the_served_spec_matches_the_committed_one() {
    // Arrange
    let app = shared_app();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi/openapi.json");
    let committed: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();

    // Act
    let served = json_ok(app.get("/openapi.json").await).await;

    // Assert
    assert!(
        served == committed,
        "openapi/openapi.json is stale: regenerate it with `kpimatch openapi > openapi/openapi.json`"
    );
}

#[tokio::test]
async fn the_docs_are_served_offline() {
    // Arrange
    let app = shared_app();

    // Act
    let res = app.get("/docs/").await;
    let status = res.status().as_u16();
    let content_type = res.headers()["content-type"].to_str().unwrap().to_string();
    let html = res.text().await.unwrap();
    let initializer = app.get("/docs/swagger-initializer.js").await;
    let initializer_status = initializer.status().as_u16();
    let initializer = initializer.text().await.unwrap();
    let bundle = app.get("/docs/swagger-ui-bundle.js").await;

    // Assert
    assert_eq!(status, 200);
    assert!(content_type.starts_with("text/html"), "{content_type}");
    assert!(html.to_lowercase().contains("<html"), "{html}");
    let lower = html.to_lowercase();
    for tag in lower.split("<script").skip(1) {
        let tag = tag.split('>').next().unwrap_or("");
        assert!(
            !tag.contains("http://") && !tag.contains("https://"),
            "a script is loaded from the network: <script{tag}>"
        );
    }
    for tag in lower.split("<link").skip(1) {
        let tag = tag.split('>').next().unwrap_or("");
        assert!(
            !tag.contains("http://") && !tag.contains("https://"),
            "a stylesheet is loaded from the network: <link{tag}>"
        );
    }
    assert_eq!(initializer_status, 200);
    assert!(initializer.contains("/openapi.json"), "{initializer}");
    assert_eq!(bundle.status().as_u16(), 200, "the Swagger UI bundle is served locally");
}

#[tokio::test]
async fn until_the_index_is_rebuilt_the_api_answers_503_not_ready() {
    // Arrange: a prepared state whose engine has not been loaded from the database yet.
    let data_dir = tempfile::tempdir().unwrap();
    let settings = kpimatch_server::config::Settings {
        bind: "127.0.0.1:0".parse().unwrap(),
        data_dir: data_dir.path().to_path_buf(),
        bundle: crate::helpers::bundle_dir(),
        ..Default::default()
    };
    let listener = std::net::TcpListener::bind(settings.bind).unwrap();
    let address = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let state = actix_web::web::Data::new(
        kpimatch_server::startup::prepare_state(&settings, kpimatch_server::startup::Mode::Serve).unwrap(),
    );
    tokio::spawn(kpimatch_server::startup::run(listener, state.clone(), 1).unwrap());
    let client = crate::helpers::client();

    // Act / Assert: alive, not ready, API refused with Retry-After — nothing can be written.
    assert_eq!(
        client.get(format!("{address}/healthz")).send().await.unwrap().status(),
        200
    );
    let ready = client.get(format!("{address}/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 503);
    let res = client.get(format!("{address}/v1/kpis")).send().await.unwrap();
    assert!(res.headers().contains_key("retry-after"));
    crate::helpers::assert_problem(res, 503, "not_ready", None).await;

    // Once loaded, the same requests succeed.
    kpimatch_server::startup::load_engine(&state).unwrap();
    assert_eq!(
        client.get(format!("{address}/readyz")).send().await.unwrap().status(),
        200
    );
    let kpis: Value = json_ok(client.get(format!("{address}/v1/kpis")).send().await.unwrap()).await;
    assert_eq!(kpis.as_array().unwrap().len(), 91);
}
