//! Hostile input and the limits (SECURITY.md): query syntax, deep nesting, huge texts and
//! arrays, control characters and invalid UTF-8 give a 4xx problem naming the field, or a
//! normal 200 — never a 5xx or a crash, and the server answers `/healthz` afterwards. Every
//! documented bound is hit at the bound (accepted) and one past it (refused). The start-up
//! faults run the real binary on a read-only and on a full data directory.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, bundle_dir, json_ok, leak_solution, shared_app, spawn_app, TestApp};

const JSON: &str = "application/json";
const NDJSON: &str = "application/x-ndjson";

/// The bounds, as documented in SECURITY.md (the engine's are in `kpimatch_engine::limits`).
const MAX_BODY_BYTES: usize = 1024 * 1024;
const MAX_BULK_BYTES: usize = 64 * 1024 * 1024;
const MAX_BULK_ITEMS: usize = 10_000;
const MAX_QUERY_CHARS: usize = 2_000;
const MAX_FILTER_ITEMS: usize = 100;
const MAX_LIST_ITEM_CHARS: usize = 200;
const MAX_OBSERVATIONS: usize = 2_000;
const MAX_NEEDS: usize = 20;

async fn post(app: &TestApp, path: &str, body: Vec<u8>) -> reqwest::Response {
    app.send_raw(Method::POST, path, body, JSON).await
}

async fn post_json(app: &TestApp, path: &str, body: &Value) -> reqwest::Response {
    post(app, path, serde_json::to_vec(body).unwrap()).await
}

/// The server is still alive and serving.
async fn assert_alive(app: &TestApp) {
    let res = app.get("/healthz").await;
    assert_eq!(res.status().as_u16(), 200, "the server stopped answering /healthz");
    json_ok(app.match_(&json!({"needs": "water leaks"})).await).await;
}

// ---------------------------------------------------------------- query text

#[tokio::test]
async fn nested_parentheses_and_query_syntax_are_plain_words() {
    // Arrange
    let app = shared_app();
    let nested = format!("{}water leaks{}", "(".repeat(993), ")".repeat(993));
    let syntax = r#"title:leak AND -(pipes OR "water loss"~2)^3 NOT * [a TO z] {x} \ ? +"#;

    // Act
    let matched = app.match_(&json!({"needs": nested})).await;
    let searched = app.search(&nested, &[]).await;
    let operators = app.match_(&json!({"needs": syntax})).await;
    let deeper = app
        .match_(&json!({"needs": format!("{}water{}", "(".repeat(1000), ")".repeat(1000))}))
        .await;

    // Assert
    let m = json_ok(matched).await;
    assert_eq!(m["query_terms"], json!(["water", "leak"]), "{}", m["query_terms"]);
    assert!(!m["results"].as_array().unwrap().is_empty());
    assert_eq!(json_ok(searched).await["query_terms"], json!(["water", "leak"]));
    let o = json_ok(operators).await;
    assert_eq!(
        o["query_terms"],
        json!(["titl", "leak", "pipe", "water", "loss", "2", "3", "z", "x"])
    );
    // 2,005 characters: over the bound, refused before any analysis.
    assert_problem(deeper, 422, "invalid_field", Some("needs")).await;
    assert_alive(&app).await;
}

#[tokio::test]
async fn a_100k_character_needs_text_is_422_naming_needs() {
    // Arrange
    let app = shared_app();
    let huge = "water ".repeat(100_000 / 6);

    // Act
    let matched = app.match_(&json!({"needs": huge})).await;
    let in_city = app
        .match_(&json!({"city": {"name": "X", "needs": [huge]}, "needs": ""}))
        .await;

    // Assert
    let p = assert_problem(matched, 422, "invalid_field", Some("needs")).await;
    assert!(p["detail"].as_str().unwrap().contains("2000"), "{p}");
    assert!(p["detail"].as_str().unwrap().len() < 200, "the text is not echoed: {p}");
    assert_problem(in_city, 422, "invalid_field", Some("city.needs[0]")).await;
    assert_alive(&app).await;
}

#[tokio::test]
async fn needs_and_q_are_bounded_in_characters_not_bytes() {
    // Arrange
    let app = shared_app();
    let at = "é".repeat(MAX_QUERY_CHARS);
    let past = "é".repeat(MAX_QUERY_CHARS + 1);

    // Act
    let match_at = app.match_(&json!({"needs": at})).await;
    let match_past = app.match_(&json!({"needs": past})).await;
    let search_at = app.search(&at, &[]).await;
    let search_past = app.search(&past, &[]).await;

    // Assert
    assert_eq!(match_at.status().as_u16(), 200);
    assert_problem(match_past, 422, "invalid_field", Some("needs")).await;
    assert_eq!(search_at.status().as_u16(), 200);
    assert_problem(search_past, 400, "invalid_query", Some("q")).await;
}

#[tokio::test]
async fn a_long_url_is_a_named_problem_and_an_oversized_head_a_431() {
    // Arrange
    let app = shared_app();
    let q = "w".repeat(40_000);
    let port: u16 = app.address.rsplit(':').next().unwrap().parse().unwrap();

    // Act
    let long = app.search(&q, &[]).await;
    // Past the HTTP layer's 128 KiB request head, and past its 96 header fields; reqwest will
    // not build such requests, so they go over a plain socket.
    let huge_line = raw_status_line(
        port,
        format!("GET /v1/search?q={} HTTP/1.1\r\nHost: x\r\n\r\n", "w".repeat(140_000)),
    );
    let headers: String = (0..200).map(|i| format!("X-H{i}: v\r\n")).collect();
    let many = raw_status_line(port, format!("GET /healthz HTTP/1.1\r\nHost: x\r\n{headers}\r\n"));

    // Assert
    assert_problem(long, 400, "invalid_query", Some("q")).await;
    assert_eq!(huge_line, "HTTP/1.1 431 Request Header Fields Too Large");
    assert_eq!(many, "HTTP/1.1 431 Request Header Fields Too Large");
    assert_alive(&app).await;
}

/// Sends raw bytes to the server and returns the status line of the answer (blocking; the
/// shared app serves on its own thread).
fn raw_status_line(port: u16, request: String) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    // The server may answer (and close) before reading everything: ignore a write error.
    let _ = stream.write_all(request.as_bytes());
    let mut buf = vec![0u8; 512];
    let n = stream.read(&mut buf).unwrap_or(0);
    String::from_utf8_lossy(&buf[..n])
        .lines()
        .next()
        .unwrap_or("")
        .to_string()
}

// ---------------------------------------------------------------- JSON shape

#[tokio::test]
async fn deep_json_nesting_is_400_invalid_json() {
    // Arrange
    let app = shared_app();
    let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
    let in_filters = format!(r#"{{"needs": "water", "filters": {{"regions": {}}}}}"#, deep(100_000));
    let bulk_item = format!(r#"[{{"id": "deep", "title": "t", "tags": {}}}]"#, deep(200_000));
    let ndjson = format!(
        "{{\"id\": \"deep\", \"title\": {}}}\n{{\"id\": \"ok-line\"}}",
        deep(200_000)
    );

    // Act
    let matched = post(&app, "/v1/match", in_filters.into_bytes()).await;
    let bulk = post(&app, "/v1/solutions/bulk", bulk_item.into_bytes()).await;
    let lines = app.bulk(ndjson.into_bytes(), NDJSON).await;
    let feedback = post(&app, "/v1/feedback", deep(400_000).into_bytes()).await;
    let objects = post(&app, "/v1/feedback", "{\"a\":".repeat(150_000).into_bytes()).await;

    // Assert
    // Typed fields stop at the first wrong type; untyped ones (bulk items, feedback) at
    // serde_json's recursion limit (128).
    assert_problem(matched, 400, "invalid_json", Some("filters.regions[0]")).await;
    let p = assert_problem(bulk, 400, "invalid_json", None).await;
    assert!(p["detail"].as_str().unwrap().contains("recursion limit"), "{p}");
    // NDJSON: the deep line is one invalid item; the next line is judged on its own.
    let l = json_ok(lines).await;
    assert_eq!(l["items"][0]["status"], "invalid", "{l}");
    assert_eq!(l["items"][0]["error"]["code"], "invalid_json");
    assert_eq!(l["items"][1]["error"]["field"], "title", "{l}");
    assert_problem(feedback, 400, "invalid_json", None).await;
    assert_problem(objects, 400, "invalid_json", None).await;
    assert_alive(&app).await;
}

#[tokio::test]
async fn huge_arrays_are_refused_by_count_naming_the_list() {
    // Arrange
    let app = shared_app();
    let many: Vec<String> = (0..100_000).map(|i| format!("r{i}")).collect();

    // Act
    let regions = app
        .match_(&json!({"needs": "water", "filters": {"regions": many}}))
        .await;
    let focus = app.match_(&json!({"kpis": many})).await;
    let observations = app
        .match_(
            &json!({"city": {"observations": vec![json!({"kpi": "EC:I:WS:3C", "value": 1, "year": 2020}); 20_000]}}),
        )
        .await;
    let tags = app
        .send_raw(
            Method::PUT,
            "/v1/solutions/many-tags",
            serde_json::to_vec(&json!({"title": "t", "tags": many})).unwrap(),
            JSON,
        )
        .await;

    // Assert
    assert_problem(regions, 422, "invalid_field", Some("filters.regions")).await;
    assert_problem(focus, 422, "invalid_field", Some("kpis")).await;
    assert_problem(observations, 422, "invalid_field", Some("city.observations")).await;
    assert_problem(tags, 422, "invalid_field", Some("tags")).await;
    assert_alive(&app).await;
}

#[tokio::test]
async fn control_characters_are_text_or_a_named_problem() {
    // Arrange
    let app = spawn_app().await;
    let controls: String = (0u32..32)
        .chain([127, 0x202e, 0xfeff, 0xfffe])
        .filter_map(char::from_u32)
        .collect();
    let mut solution = leak_solution(&format!("Leak{controls}finder"));
    solution["summary"] = json!(format!("nul \u{0} bell \u{7} {controls}"));

    // Act
    let needs = app.match_(&json!({"needs": format!("water{controls}leaks")})).await;
    let search = app.search(&format!("water{controls}"), &[]).await;
    let put = app.put_solution("controls", &solution).await;
    let read = app.get_solution("controls").await;
    let raw = post(&app, "/v1/match", b"{\"needs\": \"water\x01\x02 leaks\"}".to_vec()).await;
    let path = app.get("/v1/solutions/a%00b").await;
    let city_path = app.get("/v1/cities/%0A").await;

    // Assert
    assert_eq!(json_ok(needs).await["query_terms"], json!(["water", "leak"]));
    json_ok(search).await;
    assert_eq!(put.status().as_u16(), 201);
    let stored = json_ok(read).await;
    assert_eq!(stored["summary"], solution["summary"], "stored and read back exactly");
    // Unescaped control characters inside a JSON string are malformed JSON.
    assert_problem(raw, 400, "invalid_json", Some("needs")).await;
    assert_problem(path, 404, "not_found", None).await;
    assert_problem(city_path, 404, "not_found", None).await;
    assert_alive(&app).await;
}

#[tokio::test]
async fn invalid_utf8_is_400_or_replaced_never_5xx() {
    // Arrange
    let app = shared_app();

    // Act
    let body = post(&app, "/v1/match", b"{\"needs\": \"water \xff\xfe leaks\"}".to_vec()).await;
    let key = post(&app, "/v1/match", b"{\"ne\xc3eds\": \"water\"}".to_vec()).await;
    let bulk = app
        .bulk(b"{\"id\": \"u1\", \"title\": \"\xed\xa0\x80\"}\n".to_vec(), NDJSON)
        .await;
    let lone_surrogate = post(&app, "/v1/match", br#"{"needs": "water \ud800 leaks"}"#.to_vec()).await;
    let query = app.get("/v1/search?q=water%FF%FE").await;
    let path = app.get("/v1/cities/%FF%FE/gaps").await;

    // Assert
    assert_problem(body, 400, "invalid_json", Some("needs")).await;
    assert_problem(key, 400, "invalid_json", None).await;
    let b = json_ok(bulk).await;
    assert_eq!(b["items"][0]["error"]["code"], "invalid_json", "{b}");
    assert_problem(lone_surrogate, 400, "invalid_json", Some("needs")).await;
    // Query strings are decoded leniently (U+FFFD), as browsers do.
    assert_eq!(json_ok(query).await["query_terms"], json!(["water"]));
    let status = path.status().as_u16();
    assert!(status == 400 || status == 404, "{status}");
    assert_alive(&app).await;
}

// ---------------------------------------------------------------- limits

#[tokio::test]
async fn the_json_body_limit_is_1_mib() {
    // Arrange: whitespace pads a valid body to exactly the limit.
    let app = shared_app();
    let doc = br#"{"needs": "water leaks"}"#;
    let mut at = doc.to_vec();
    at.resize(MAX_BODY_BYTES, b' ');
    let mut past = at.clone();
    past.push(b' ');

    // Act
    let res_at = post(&app, "/v1/match", at).await;
    let res_past = post(&app, "/v1/match", past).await;

    // Assert
    assert_eq!(res_at.status().as_u16(), 200);
    let p = assert_problem(res_past, 413, "payload_too_large", None).await;
    assert!(p["detail"].as_str().unwrap().contains("1048576"), "{p}");
}

#[tokio::test]
async fn the_bulk_body_limit_is_64_mib() {
    // Arrange
    let app = shared_app();
    let mut at = b"[]".to_vec();
    at.resize(MAX_BULK_BYTES, b' ');
    let mut past = at.clone();
    past.push(b' ');

    // Act
    let res_at = app.bulk(at, JSON).await;
    let res_past = app.bulk(past, JSON).await;

    // Assert
    let ok = json_ok(res_at).await;
    assert_eq!(ok["stored"], 0, "{ok}");
    assert_problem(res_past, 413, "payload_too_large", None).await;
}

#[tokio::test]
async fn a_bulk_call_takes_at_most_10000_items() {
    // Arrange: items without an id are reported one by one, so nothing is written.
    let app = shared_app();
    let array = |n: usize| format!("[{}]", vec!["{}"; n].join(",")).into_bytes();
    let lines = |n: usize| vec!["{}"; n].join("\n").into_bytes();

    // Act
    let array_at = app.bulk(array(MAX_BULK_ITEMS), JSON).await;
    let array_past = app.bulk(array(MAX_BULK_ITEMS + 1), JSON).await;
    let lines_at = app.bulk(lines(MAX_BULK_ITEMS), NDJSON).await;
    let lines_past = app.bulk(lines(MAX_BULK_ITEMS + 1), NDJSON).await;

    // Assert
    for res in [array_at, lines_at] {
        let b = json_ok(res).await;
        assert_eq!(b["rejected"], MAX_BULK_ITEMS);
        assert_eq!(b["items"][MAX_BULK_ITEMS - 1]["error"]["field"], "id");
    }
    for res in [array_past, lines_past] {
        let p = assert_problem(res, 413, "payload_too_large", None).await;
        assert!(p["detail"].as_str().unwrap().contains("10000"), "{p}");
    }
}

#[tokio::test]
async fn match_paging_and_filter_bounds() {
    // Arrange
    let app = shared_app();
    let base = json!({"needs": "water"});
    let with = |k: &str, v: Value| {
        let mut b = base.clone();
        b[k] = v;
        b
    };
    let list = |n: usize, len: usize| -> Vec<String> { (0..n).map(|i| format!("{i:0>len$}")).collect() };
    let cases: Vec<(Value, Value, &str)> = vec![
        (with("limit", json!(100)), with("limit", json!(101)), "limit"),
        (with("offset", json!(10_000)), with("offset", json!(10_001)), "offset"),
        (
            with("filters", json!({"regions": list(MAX_FILTER_ITEMS, 3)})),
            with("filters", json!({"regions": list(MAX_FILTER_ITEMS + 1, 3)})),
            "filters.regions",
        ),
        (
            with("filters", json!({"exclude_ids": list(MAX_FILTER_ITEMS, 3)})),
            with("filters", json!({"exclude_ids": list(MAX_FILTER_ITEMS + 1, 3)})),
            "filters.exclude_ids",
        ),
        (
            with("filters", json!({"categories": list(1, MAX_LIST_ITEM_CHARS)})),
            with("filters", json!({"categories": list(1, MAX_LIST_ITEM_CHARS + 1)})),
            "filters.categories[0]",
        ),
        (
            with("kpis", json!(vec!["Water and Sanitation"; MAX_FILTER_ITEMS])),
            with("kpis", json!(vec!["Water and Sanitation"; MAX_FILTER_ITEMS + 1])),
            "kpis",
        ),
        (
            with("diversity", json!(1.0)),
            with("diversity", json!(1.0001)),
            "diversity",
        ),
    ];

    assert_match_bounds(&app, cases).await;
}

/// For each `(at, past, field)`: a match at the bound is answered, one past it is a 422 naming
/// the field.
async fn assert_match_bounds(app: &TestApp, cases: impl IntoIterator<Item = (Value, Value, &str)>) {
    for (at, past, field) in cases {
        // Act
        let res_at = app.match_(&at).await;
        let res_past = app.match_(&past).await;

        // Assert
        assert_eq!(res_at.status().as_u16(), 200, "{field} at the bound");
        assert_problem(res_past, 422, "invalid_field", Some(field)).await;
    }
}

#[tokio::test]
async fn list_paging_bounds() {
    // Arrange
    let app = shared_app();

    for path in ["/v1/solutions", "/v1/cities"] {
        // Act
        let limit_at = app.get(&format!("{path}?limit=100")).await;
        let limit_past = app.get(&format!("{path}?limit=101")).await;
        let offset_at = app.get(&format!("{path}?offset=10000000")).await;
        let offset_past = app.get(&format!("{path}?offset=10000001")).await;
        let negative = app.get(&format!("{path}?offset=-1")).await;
        let overflow = app.get(&format!("{path}?limit=99999999999999999999999")).await;

        // Assert
        assert_eq!(json_ok(limit_at).await["limit"], 100);
        assert_problem(limit_past, 400, "invalid_query", Some("limit")).await;
        assert_eq!(json_ok(offset_at).await["items"], json!([]));
        assert_problem(offset_past, 400, "invalid_query", Some("offset")).await;
        assert_problem(negative, 400, "invalid_query", Some("offset")).await;
        assert_problem(overflow, 400, "invalid_query", Some("limit")).await;
    }
}

/// Observations on distinct (KPI, year) pairs: 91 KPIs × years from 1900.
fn observations(n: usize, codes: &[String]) -> Vec<Value> {
    (0..n)
        .map(|i| json!({"kpi": codes[i % codes.len()], "value": 10.0, "year": 1900 + i / codes.len()}))
        .collect()
}

async fn kpi_codes(app: &TestApp) -> Vec<String> {
    let kpis = json_ok(app.get("/v1/kpis").await).await;
    let list = kpis.as_array().or(kpis["items"].as_array()).expect("a KPI list");
    list.iter().map(|k| k["code"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn city_bounds_observations_needs_and_names() {
    // Arrange: inline cities are validated like stored ones, without writing anything.
    let app = shared_app();
    let codes = kpi_codes(&app).await;
    let city = |obs: usize, needs: usize, need_len: usize, name_len: usize| {
        json!({"city": {
            "name": "n".repeat(name_len),
            "needs": vec!["w".repeat(need_len); needs],
            "observations": observations(obs, &codes),
        }, "needs": ""})
    };
    let cases = [
        (
            city(MAX_OBSERVATIONS, 1, 10, 10),
            city(MAX_OBSERVATIONS + 1, 1, 10, 10),
            "city.observations",
        ),
        (city(1, MAX_NEEDS, 10, 10), city(1, MAX_NEEDS + 1, 10, 10), "city.needs"),
        (
            city(1, 1, MAX_QUERY_CHARS, 10),
            city(1, 1, MAX_QUERY_CHARS + 1, 10),
            "city.needs[0]",
        ),
        (city(1, 1, 10, 300), city(1, 1, 10, 301), "city.name"),
    ];

    assert_match_bounds(&app, cases).await;
}

#[tokio::test]
async fn a_stored_city_with_long_stated_needs_still_matches() {
    // Arrange: 20 needs of 2,000 characters each are valid one by one.
    let app = spawn_app().await;
    let needs = vec!["old pipes leak water ".repeat(95); MAX_NEEDS];
    let put = app.put_city("wordy", &json!({"name": "Wordy", "needs": needs})).await;

    // Act
    let matched = app.match_(&json!({"city_id": "wordy"})).await;

    // Assert
    assert_eq!(put.status().as_u16(), 201);
    let m = json_ok(matched).await;
    assert_eq!(m["needs_text"].as_str().unwrap().chars().count(), MAX_QUERY_CHARS);
}

#[tokio::test]
async fn solution_string_and_list_bounds() {
    // Arrange
    let app = spawn_app().await;
    let mut at = leak_solution(&"t".repeat(300));
    at["provider"] = json!("p".repeat(300));
    at["summary"] = json!("s".repeat(2_000));
    at["description"] = json!("d".repeat(20_000));
    at["tags"] = json!(vec!["g".repeat(MAX_LIST_ITEM_CHARS); 64]);
    at["sdgs"] = json!((1..=17).collect::<Vec<u8>>());
    at["url"] = json!(format!("https://{}", "u".repeat(1_992)));
    let id_at = "i".repeat(80);
    let past = |key: &str, v: Value| {
        let mut b = at.clone();
        b[key] = v;
        b
    };
    let cases = [
        (past("title", json!("t".repeat(301))), "title"),
        (past("provider", json!("p".repeat(301))), "provider"),
        (past("summary", json!("s".repeat(2_001))), "summary"),
        (past("description", json!("d".repeat(20_001))), "description"),
        (past("tags", json!(vec!["g"; 65])), "tags"),
        (past("tags", json!(["g".repeat(MAX_LIST_ITEM_CHARS + 1)])), "tags[0]"),
        (
            past("sdgs", json!((1..=18).map(|i| i.min(17)).collect::<Vec<u8>>())),
            "sdgs",
        ),
        (past("url", json!(format!("https://{}", "u".repeat(1_993)))), "url"),
    ];

    // Act
    let put_at = app.put_solution(&id_at, &at).await;
    let id_past = app.put_solution(&"i".repeat(81), &at).await;

    // Assert
    assert_eq!(put_at.status().as_u16(), 201, "every field at its bound is accepted");
    assert_problem(id_past, 400, "invalid_path", Some("id")).await;
    for (body, field) in cases {
        let res = app.put_solution("past-the-bound", &body).await;
        assert_problem(res, 422, "invalid_field", Some(field)).await;
    }
    assert_eq!(app.get_solution("past-the-bound").await.status().as_u16(), 404);
}

#[tokio::test]
async fn feedback_takes_at_most_1000_events() {
    // Arrange: the last event names an unknown solution, so a body that passes the count
    // bound is checked to its end and refused there (nothing is written).
    let app = shared_app();
    let known = json_ok(app.get("/v1/solutions?limit=1").await).await["items"][0]["id"].clone();
    let event = json!({"request_id": "req-1", "solution_id": known, "event": "click"});
    let events = |n: usize| {
        let mut v = vec![event.clone(); n];
        v[n - 1]["solution_id"] = json!("no-such-solution");
        Value::Array(v)
    };

    // Act
    let at = post_json(&app, "/v1/feedback", &events(1_000)).await;
    let past = post_json(&app, "/v1/feedback", &events(1_001)).await;

    // Assert
    assert_problem(at, 422, "invalid_field", Some("[999].solution_id")).await;
    assert_problem(past, 413, "payload_too_large", None).await;
}

#[tokio::test]
async fn evaluation_bounds() {
    // Arrange
    let app = shared_app();
    let topic = |i: usize| json!({"id": format!("t{i}"), "needs": "water leaks"});
    let topics = |n: usize| (0..n).map(topic).collect::<Vec<_>>();
    let qrels = "t0 0 x 1\n";
    let body = |n: usize, profiles: usize, metrics: usize| {
        json!({
            "topics": topics(n), "qrels": qrels, "depth": 1,
            "profiles": vec!["default"; profiles],
            "metrics": vec!["P_1"; metrics],
        })
    };
    let cases = [
        (body(200, 1, 1), body(201, 1, 1), "topics"),
        (body(1, 5, 1), body(1, 6, 1), "profiles"),
        (body(1, 1, 20), body(1, 1, 21), "metrics"),
    ];

    for (at, past, field) in cases {
        // Act
        let res_at = post_json(&app, "/v1/evaluations", &at).await;
        let res_past = post_json(&app, "/v1/evaluations", &past).await;

        // Assert
        assert_eq!(res_at.status().as_u16(), 200, "{field} at the bound");
        assert_problem(res_past, 413, "payload_too_large", Some(field)).await;
    }
    let long_needs = json!({"topics": [{"id": "t0", "needs": "w".repeat(MAX_QUERY_CHARS + 1)}], "qrels": qrels});
    let res = post_json(&app, "/v1/evaluations", &long_needs).await;
    assert_problem(res, 422, "invalid_field", Some("topics[0].needs")).await;
    let bad_id = json!({"topics": [{"id": "two words"}], "qrels": qrels});
    let res = post_json(&app, "/v1/evaluations", &bad_id).await;
    assert_problem(res, 422, "invalid_field", Some("topics[0].id")).await;
}

#[tokio::test]
async fn json_nesting_is_bounded_at_127_levels() {
    // Arrange: an event list whose first item is nested arrays; 127 levels (the list included)
    // parse and fail as "not an event", 128 fail while parsing (serde_json's recursion limit).
    let app = shared_app();
    let nested = |depth: usize| format!("{}{}", "[".repeat(depth), "]".repeat(depth)).into_bytes();

    // Act
    let at = post(&app, "/v1/feedback", nested(127)).await;
    let past = post(&app, "/v1/feedback", nested(128)).await;

    // Assert
    let p = assert_problem(at, 400, "invalid_json", Some("[0].[0]")).await;
    assert!(!p["detail"].as_str().unwrap().contains("recursion limit"), "{p}");
    let p = assert_problem(past, 400, "invalid_json", None).await;
    assert!(p["detail"].as_str().unwrap().contains("recursion limit"), "{p}");
}

#[tokio::test]
async fn requests_over_16_kib_are_ranked_but_not_cached() {
    // Arrange: two requests that differ only in the length of an excluded id list; the
    // canonical body of the second is over 16 KiB.
    let app = shared_app();
    let ids = |n: usize| -> Vec<String> { (0..n).map(|i| format!("not-cached-{i:0>150}")).collect() };
    let small = json!({"needs": "cache bound small", "filters": {"exclude_ids": ids(10)}});
    let large = json!({"needs": "cache bound large", "filters": {"exclude_ids": ids(100)}});
    assert!(serde_json::to_vec(&large).unwrap().len() > 16 * 1024);

    // Act
    app.match_ok(&small).await;
    app.match_ok(&large).await;
    let small_again = app.match_ok(&small).await;
    let large_again = app.match_ok(&large).await;

    // Assert
    assert_eq!(small_again["cached"], true);
    assert_eq!(large_again["cached"], false);
}

#[tokio::test]
async fn bulk_items_are_checked_like_single_writes() {
    // Arrange: ids at and past 80 characters, and more declared KPIs than the catalogue has.
    let app = spawn_app().await;
    let codes = kpi_codes(&app).await;
    let kpis = |n: usize| -> Vec<Value> {
        (0..n)
            .map(|i| json!({"code": codes[i % codes.len()], "impact": 0.5}))
            .collect()
    };
    let items = json!([
        {"id": "b".repeat(80), "title": "At the id bound", "kpis": kpis(codes.len())},
        {"id": "b".repeat(81), "title": "Past the id bound"},
        {"id": "too-many-kpis", "title": "Too many KPIs", "kpis": kpis(codes.len() + 1)},
    ]);

    // Act
    let res = json_ok(app.bulk_json(&items).await).await;

    // Assert
    assert_eq!(res["items"][0]["status"], "created", "{res}");
    assert_eq!(res["items"][1]["error"]["code"], "invalid_field");
    assert_eq!(res["items"][1]["error"]["field"], "id");
    assert!(res["items"][1]["id"].as_str().unwrap().chars().count() <= 81);
    assert_eq!(res["items"][2]["error"]["field"], "kpis", "{res}");
}

#[tokio::test]
async fn evaluation_depth_is_1_to_100() {
    // Arrange
    let app = shared_app();
    let body = |depth: usize| json!({"topics": [{"id": "t0", "needs": "water"}], "qrels": "t0 0 x 1\n", "depth": depth, "profiles": ["default"]});

    // Act
    let at = post_json(&app, "/v1/evaluations", &body(100)).await;
    let past = post_json(&app, "/v1/evaluations", &body(101)).await;
    let zero = post_json(&app, "/v1/evaluations", &body(0)).await;

    // Assert
    assert_eq!(at.status().as_u16(), 200);
    assert_problem(past, 422, "invalid_field", Some("depth")).await;
    assert_problem(zero, 422, "invalid_field", Some("depth")).await;
}

// ---------------------------------------------------------------- start-up faults

/// Runs `kpimatch serve` on a data directory and waits for it to exit (at most 60 s).
/// Returns its exit status and what it wrote to stderr.
fn serve_until_exit(data_dir: &Path) -> (std::process::ExitStatus, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_kpimatch"))
        .arg("--bundle")
        .arg(bundle_dir())
        .args(["serve", "--bind", &format!("127.0.0.1:{port}"), "--log-format", "json"])
        .arg("--data-dir")
        .arg(data_dir)
        .env_remove("KPIMATCH_CONFIG")
        .env_remove("KPIMATCH_NO_SEED")
        .env_remove("KPIMATCH_DATABASE_URL")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kpimatch starts");
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "kpimatch kept running on an unusable data directory {}",
                data_dir.display()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    (status, stderr)
}

/// The exit is a clean failure: non-zero, no panic, one `error:` line that says why.
fn assert_clean_failure(status: std::process::ExitStatus, stderr: &str, why: &[&str]) {
    assert!(!status.success(), "kpimatch exited 0; stderr: {stderr}");
    assert_eq!(status.code(), Some(1), "exit by a signal or abort; stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "a panic: {stderr}");
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error: ")).collect();
    assert_eq!(errors.len(), 1, "one error line expected; stderr: {stderr}");
    assert!(
        why.iter().any(|w| errors[0].to_lowercase().contains(w)),
        "the error line does not say why ({why:?}): {}",
        errors[0]
    );
}

/// A mount made for one test, unmounted when dropped.
struct Mount(std::path::PathBuf);

impl Mount {
    /// `mount -t tmpfs -o <options> tmpfs <dir>`; `None` where mounting is not permitted.
    fn tmpfs(dir: &Path, options: &str) -> Option<Mount> {
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", options, "tmpfs"])
            .arg(dir)
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| Mount(dir.to_path_buf()))
    }

    /// Remounts read-only.
    fn make_read_only(&self) -> bool {
        Command::new("mount")
            .args(["-o", "remount,ro"])
            .arg(&self.0)
            .status()
            .is_ok_and(|s| s.success())
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

#[test]
fn a_read_only_data_dir_stops_the_start_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    let _mount = if is_root() {
        // Root ignores permission bits: a read-only file system is the real case.
        let m = Mount::tmpfs(&data, "size=16m").expect("root may mount a tmpfs");
        assert!(m.make_read_only(), "remounting read-only");
        Some(m)
    } else {
        let mut perms = std::fs::metadata(&data).unwrap().permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o555);
        std::fs::set_permissions(&data, perms).unwrap();
        None
    };

    let (status, stderr) = serve_until_exit(&data);

    assert_clean_failure(
        status,
        &stderr,
        &["read-only", "readonly", "permission denied", "unable to open"],
    );
    assert!(
        stderr.contains(&*data.to_string_lossy()),
        "the directory is named: {stderr}"
    );
}

#[test]
fn an_existing_database_on_a_read_only_file_system_stops_the_start() {
    if !is_root() {
        eprintln!("skipped: needs root to mount a read-only file system");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    let m = Mount::tmpfs(&data, "size=64m").expect("root may mount a tmpfs");
    // A first start seeds the database; it is stopped once ready.
    let seeded = kpimatch_server::storage::SqliteStore::open(&data).expect("a database is created");
    drop(seeded);
    assert!(m.make_read_only(), "remounting read-only");

    let (status, stderr) = serve_until_exit(&data);

    assert_clean_failure(status, &stderr, &["read-only", "readonly"]);
}

#[test]
fn a_full_disk_stops_the_start_with_a_clear_error() {
    if !is_root() {
        eprintln!("skipped: needs root to mount a 64 KiB tmpfs");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    let _m = Mount::tmpfs(&data, "size=64k").expect("root may mount a tmpfs");

    let (status, stderr) = serve_until_exit(&data);

    assert_clean_failure(status, &stderr, &["full", "no space"]);
}

#[test]
fn a_file_where_the_data_dir_should_be_stops_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::write(&data, b"not a directory").unwrap();

    let (status, stderr) = serve_until_exit(&data);

    assert_clean_failure(status, &stderr, &["not a directory", "exists", "cannot create"]);
}
