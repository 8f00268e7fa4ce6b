//! Access control over real HTTP: every route of the spec × every kind of caller (no key, an
//! unknown key, a read key, an admin key, a revoked key), key management, and the rate limit.

use kpimatch_server::config::Secret;
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{spawn_app_with, TestApp};

const ADMIN: &str = "admin-key-for-the-tests-0123456789abcdef";
const READ: &str = "read-key-for-the-tests-0123";

async fn app_with_keys(rate: u32) -> TestApp {
    spawn_app_with(|s| {
        s.admin_key = Some(Secret(ADMIN.into()));
        s.read_keys = vec![Secret(READ.into())];
        s.rate_limit_per_second = rate;
    })
    .await
}

async fn call(app: &TestApp, method: &Method, path: &str, key: Option<&str>) -> reqwest::Response {
    let mut req = app.client.request(method.clone(), format!("{}{}", app.address, path));
    if let Some(k) = key {
        req = req.bearer_auth(k);
    }
    if *method == Method::POST || *method == Method::PUT {
        req = req.header("content-type", "application/json").body("{}");
    }
    req.send().await.expect("request sent")
}

/// Every operation in the committed spec, with its path parameters filled.
fn operations() -> Vec<(Method, String)> {
    let spec: Value =
        serde_json::from_str(include_str!("../../openapi/openapi.json")).expect("the committed spec is JSON");
    let mut out = Vec::new();
    for (path, ops) in spec["paths"].as_object().unwrap() {
        let concrete = path
            .replace("{id}", "some-id")
            .replace("{city_id}", "some-city")
            .replace("{code}", "EN:E:E:1C");
        for method in ops.as_object().unwrap().keys() {
            out.push((
                Method::from_bytes(method.to_uppercase().as_bytes()).unwrap(),
                concrete.clone(),
            ));
        }
    }
    out
}

fn admin_only(method: &Method, path: &str) -> bool {
    path.starts_with("/v1/keys")
        || !(matches!(*method, Method::GET | Method::HEAD)
            || (*method == Method::POST && matches!(path, "/v1/match" | "/v1/evaluations" | "/v1/portfolio")))
}

#[tokio::test]
async fn every_route_checks_the_callers_scope() {
    // Arrange
    let app = app_with_keys(0).await;
    let ops = operations();
    assert!(ops.len() >= 20, "the spec lists the API's operations: {}", ops.len());

    for (method, path) in &ops {
        let public = !path.starts_with("/v1/");
        // Act
        let none = call(&app, method, path, None).await;
        let unknown = call(&app, method, path, Some("not-a-key-of-this-server")).await;
        let read = call(&app, method, path, Some(READ)).await;
        let admin = call(&app, method, path, Some(ADMIN)).await;

        // Assert
        let name = format!("{method} {path}");
        if public {
            for r in [&none, &unknown, &read, &admin] {
                assert!(![401, 403].contains(&r.status().as_u16()), "{name} is public");
            }
            continue;
        }
        assert_eq!(none.status().as_u16(), 401, "{name} without a key");
        assert_eq!(
            none.headers().get("www-authenticate").and_then(|v| v.to_str().ok()),
            Some("Bearer realm=\"kpimatch\""),
            "{name}"
        );
        assert_eq!(
            none.headers().get("content-type").unwrap(),
            "application/problem+json",
            "{name}"
        );
        let body: Value = none.json().await.unwrap();
        assert_eq!(body["code"], "unauthorized", "{name}");
        assert_eq!(unknown.status().as_u16(), 401, "{name} with an unknown key");
        assert!(
            ![401, 403].contains(&admin.status().as_u16()),
            "{name}: the admin key may do everything, got {}",
            admin.status()
        );
        if admin_only(method, path) {
            assert_eq!(read.status().as_u16(), 403, "{name} with a read key");
            let body: Value = read.json().await.unwrap();
            assert_eq!(body["code"], "forbidden", "{name}");
        } else {
            assert!(
                ![401, 403].contains(&read.status().as_u16()),
                "{name}: a read key may read, got {}",
                read.status()
            );
        }
    }
}

#[tokio::test]
async fn keys_are_created_once_listed_without_secrets_and_revoked() {
    // Arrange
    let app = app_with_keys(0).await;

    // Act: create a read key.
    let res = app
        .client
        .post(format!("{}/v1/keys", app.address))
        .bearer_auth(ADMIN)
        .json(&json!({"name": "marketplace", "scope": "read"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 201);
    let created: Value = res.json().await.unwrap();
    let (id, secret) = (created["id"].as_str().unwrap(), created["key"].as_str().unwrap());
    assert!(secret.len() >= 64);

    // Assert: it reads, cannot write, is listed without its secret, and is refused once revoked.
    assert_eq!(call(&app, &Method::GET, "/v1/kpis", Some(secret)).await.status(), 200);
    assert_eq!(
        call(&app, &Method::DELETE, "/v1/solutions/x", Some(secret))
            .await
            .status(),
        403
    );
    let list = call(&app, &Method::GET, "/v1/keys", Some(ADMIN))
        .await
        .text()
        .await
        .unwrap();
    assert!(list.contains(id) && !list.contains(secret), "{list}");
    let res = app
        .client
        .delete(format!("{}/v1/keys/{id}", app.address))
        .bearer_auth(ADMIN)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 204);
    let revoked = call(&app, &Method::GET, "/v1/kpis", Some(secret)).await;
    assert_eq!(revoked.status().as_u16(), 403);
    let body: Value = revoked.json().await.unwrap();
    assert_eq!(body["code"], "key_revoked");

    // Bad input names the field.
    let res = app
        .client
        .post(format!("{}/v1/keys", app.address))
        .bearer_auth(ADMIN)
        .json(&json!({"name": "x", "scope": "superuser"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 422);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["field"], "scope");
}

#[tokio::test]
async fn a_key_over_its_rate_is_answered_429_with_retry_after() {
    // Arrange: 2 requests per second, bursts of 4.
    let app = app_with_keys(2).await;

    // Act
    let mut statuses = Vec::new();
    let mut retry_after = None;
    for _ in 0..12 {
        let r = call(&app, &Method::GET, "/v1/kpis", Some(READ)).await;
        if r.status().as_u16() == 429 {
            retry_after = r.headers().get("retry-after").map(|v| v.to_str().unwrap().to_string());
        }
        statuses.push(r.status().as_u16());
    }

    // Assert: limited, with a delay; public probes are not counted against the key.
    assert!(statuses.contains(&429), "{statuses:?}");
    assert!(retry_after.is_some_and(|s| s.parse::<u32>().unwrap() >= 1));
    assert_eq!(call(&app, &Method::GET, "/healthz", None).await.status(), 200);
}

#[test]
fn production_refuses_to_start_without_a_long_admin_key() {
    use kpimatch_server::config::{Overrides, Settings};
    let err = Settings::load(
        None,
        Overrides {
            production: true,
            ..Default::default()
        },
    )
    .unwrap_err();
    assert!(err.to_string().contains("--production"), "{err}");
    let err = Settings::load(
        None,
        Overrides {
            production: true,
            admin_key: Some("short".into()),
            ..Default::default()
        },
    )
    .unwrap_err();
    assert!(err.to_string().contains("32 bytes"), "{err}");
    let err = Settings::load(
        None,
        Overrides {
            bind: Some("0.0.0.0:8080".into()),
            ..Default::default()
        },
    )
    .unwrap_err();
    assert!(err.to_string().contains("loopback"), "{err}");
    let ok = Settings::load(
        None,
        Overrides {
            production: true,
            bind: Some("0.0.0.0:8080".into()),
            admin_key: Some("x".repeat(32)),
            ..Default::default()
        },
    )
    .unwrap();
    assert!(
        !format!("{ok:?}").contains(&"x".repeat(32)),
        "secrets are never printed"
    );
}
