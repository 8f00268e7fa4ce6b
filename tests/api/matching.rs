//! `POST /v1/match` and `GET /v1/search`: inputs, filters, paging, explanations, determinism.

use std::collections::HashMap;

use serde_json::{json, Value};

use crate::helpers::{all_solutions, assert_problem, json_ok, result_ids, shared_app, spawn_app};

const WATER_PREFIXES: [&str; 3] = ["EC:I:WS", "EC:ICT:WS", "EN:EN:WS"];

fn results(body: &Value) -> &Vec<Value> {
    body["results"].as_array().expect("a results array")
}

/// `text + kpi + evidence − diversity_penalty = score`, the KPI part is the sum of its
/// contributions, the evidence part the sum of its adoptions', and the explanation's score is
/// the result's.
fn assert_explanations_add_up(body: &Value) {
    for r in results(body) {
        let e = &r["explanation"];
        let f = |v: &Value| v.as_f64().unwrap_or_else(|| panic!("a number in {r}"));
        let score = f(&r["score"]);
        let parts = f(&e["text"]) + f(&e["kpi"]) + f(&e["evidence"]) - f(&e["diversity_penalty"]);
        let adoptions: f64 = e["adoptions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| f(&a["contribution"]))
            .sum();
        assert!(
            (adoptions - f(&e["evidence"])).abs() < 1e-5,
            "adoptions {adoptions}: {r}"
        );
        assert!((parts - score).abs() < 1e-4, "parts {parts} ≠ score {score}: {r}");
        assert!((f(&e["score"]) - score).abs() < 1e-6, "{r}");
        let contributions: f64 = e["kpis"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| f(&k["contribution"]))
            .sum();
        assert!(
            (contributions - f(&e["kpi"])).abs() < 1e-4,
            "contributions {contributions}: {r}"
        );
    }
}

fn assert_ranked(body: &Value, first_rank: u64) {
    let scores: Vec<f64> = results(body).iter().map(|r| r["score"].as_f64().unwrap()).collect();
    for (i, r) in results(body).iter().enumerate() {
        assert_eq!(r["rank"], json!(first_rank + i as u64), "{r}");
    }
    for w in scores.windows(2) {
        assert!(w[0] >= w[1] - 1e-6, "scores are not descending: {scores:?}");
    }
}

#[tokio::test]
async fn a_stored_city_is_matched_by_its_gaps_and_needs() {
    // Arrange
    let app = shared_app();

    // Act
    let body = app.match_ok(&json!({"city_id": "qasr-alwan"})).await;

    // Assert
    assert_eq!(results(&body).len(), 10, "default limit");
    assert_ranked(&body, 1);
    assert_explanations_add_up(&body);
    assert_eq!(body["profile"], "default");
    assert!(body["request_id"].as_str().is_some_and(|s| !s.is_empty()));
    assert!(
        body["needs_text"].as_str().unwrap().contains("leaking pipes"),
        "the city's stated needs are used: {}",
        body["needs_text"]
    );
    let gaps_used = body["gaps_used"].as_array().unwrap();
    assert!(gaps_used.iter().any(|g| g["code"] == "EC:I:WS:3C"), "{gaps_used:?}");
    let top = &results(&body)[0]["explanation"]["kpis"];
    assert!(
        top.as_array().unwrap().iter().any(|k| WATER_PREFIXES
            .iter()
            .any(|p| k["code"].as_str().unwrap().starts_with(p))),
        "the top result for a city losing water addresses water: {top}"
    );
}

#[tokio::test]
async fn an_empty_needs_text_ranks_by_gaps_alone() {
    // Arrange
    let app = shared_app();

    // Act
    let body = app.match_ok(&json!({"city_id": "qasr-alwan", "needs": ""})).await;

    // Assert
    assert_eq!(body["needs_text"], "");
    assert!(!results(&body).is_empty());
    for r in results(&body) {
        let e = &r["explanation"];
        assert_eq!(e["text"].as_f64().unwrap(), 0.0, "{r}");
        assert_eq!(e["matched_terms"], json!([]), "{r}");
        assert!(e["kpi"].as_f64().unwrap() > 0.0, "{r}");
        for k in e["kpis"].as_array().unwrap() {
            assert_eq!(k["source"], "gap", "{k}");
        }
    }
    assert_explanations_add_up(&body);
}

#[tokio::test]
async fn an_inline_city_is_matched_without_being_stored() {
    // Arrange
    let app = shared_app();
    let request = json!({
        "city": {
            "name": "Inlandia",
            "observations": [{"kpi": "ec:i:ws:3c", "value": 45.0, "year": 2023}],
            "needs": ["Our old pipes leak"]
        },
        "limit": 5
    });

    // Act
    let body = app.match_ok(&request).await;
    let stored = app.get_city("inline").await;
    let cities = json_ok(app.get("/v1/cities?limit=100").await).await;

    // Assert
    assert_eq!(results(&body).len(), 5);
    let loss = body["gaps_used"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["code"] == "EC:I:WS:3C")
        .expect("the inline observation is used");
    assert!(loss["gap"].as_f64().unwrap() > 0.5, "{loss}");
    assert!(
        results(&body)[0]["explanation"]["kpis"]
            .as_array()
            .unwrap()
            .iter()
            .any(|k| k["code"] == "EC:I:WS:3C" && k["city_value"] == 45.0),
        "{}",
        results(&body)[0]
    );
    assert_explanations_add_up(&body);
    assert_eq!(stored.status().as_u16(), 404);
    assert_eq!(cities["total"], 18);
}

#[tokio::test]
async fn kpi_focus_without_a_city_ranks_solutions_addressing_it() {
    // Arrange
    let app = shared_app();

    // Act
    let body = app.match_ok(&json!({"kpis": ["ec: i: ws: 3c"], "limit": 5})).await;

    // Assert
    let gaps_used = body["gaps_used"].as_array().unwrap();
    assert!(!gaps_used.is_empty());
    assert!(gaps_used.iter().all(|g| g["source"] == "focus"), "{gaps_used:?}");
    assert!(gaps_used.iter().any(|g| g["code"] == "EC:I:WS:3C"));
    for r in results(&body) {
        assert!(
            r["explanation"]["kpis"]
                .as_array()
                .unwrap()
                .iter()
                .any(|k| k["code"] == "EC:I:WS:3C"),
            "{r}"
        );
    }
    assert_explanations_add_up(&body);
}

#[tokio::test]
async fn filters_are_never_violated() {
    // Arrange
    let app = shared_app();
    let catalogue: HashMap<String, Value> = all_solutions(&app).await;
    let base = json!({"city_id": "qasr-alwan", "limit": 100});
    let unfiltered = app.match_ok(&base).await;
    let excluded: Vec<String> = result_ids(&unfiltered).into_iter().take(3).collect();
    let cases = [
        json!({"maturity": ["proven", "scaled"]}),
        json!({"cost_band": ["low"]}),
        json!({"maturity": ["pilot", "concept"], "cost_band": ["low", "medium"]}),
        json!({"maturity": ["proven"], "cost_band": ["medium", "high"], "exclude_ids": excluded}),
        json!({"exclude_ids": excluded}),
        json!({"categories": ["mobility"]}),
        json!({"kpis": ["EC:I:WS:3C", "EN:EN:WS:1C"]}),
    ];

    for filters in cases {
        // Act
        let mut request = base.clone();
        request["filters"] = filters.clone();
        let body = app.match_ok(&request).await;

        // Assert
        assert!(!results(&body).is_empty(), "no result for {filters}");
        let want = |key: &str| -> Vec<String> {
            filters[key]
                .as_array()
                .map(|a| a.iter().map(|v| v.as_str().unwrap().to_lowercase()).collect())
                .unwrap_or_default()
        };
        for id in result_ids(&body) {
            let s = &catalogue[&id];
            let maturity = want("maturity");
            if !maturity.is_empty() {
                let m = s["maturity"].as_str().unwrap_or("");
                assert!(
                    maturity.iter().any(|x| x == m),
                    "{id} has maturity {m:?}, filters {filters}"
                );
            }
            let cost = want("cost_band");
            if !cost.is_empty() {
                let c = s["cost_band"].as_str().unwrap_or("");
                assert!(
                    cost.iter().any(|x| x == c),
                    "{id} has cost band {c:?}, filters {filters}"
                );
            }
            assert!(
                !want("exclude_ids").contains(&id.to_lowercase()),
                "{id} was excluded: {filters}"
            );
            let categories = want("categories");
            if !categories.is_empty() {
                let has = s["categories"].as_array().unwrap();
                assert!(
                    has.iter()
                        .any(|c| categories.contains(&c.as_str().unwrap().to_lowercase())),
                    "{id} has categories {has:?}, filters {filters}"
                );
            }
            let kpis = want("kpis");
            if !kpis.is_empty() {
                let profile = s["profile"].as_array().unwrap();
                assert!(
                    profile
                        .iter()
                        .any(|e| kpis.contains(&e["code"].as_str().unwrap().to_lowercase())),
                    "{id} addresses none of the filter KPIs, filters {filters}"
                );
            }
        }
    }
}

#[tokio::test]
async fn offset_and_limit_page_through_one_ranking() {
    // Arrange
    let app = shared_app();
    let request = json!({"city_id": "qasr-alwan", "needs": "water leaks and smart meters"});

    // Act
    let mut ten = request.clone();
    ten["limit"] = json!(10);
    let ten = app.match_ok(&ten).await;
    let mut page = request.clone();
    page["limit"] = json!(5);
    page["offset"] = json!(5);
    let page = app.match_ok(&page).await;

    // Assert
    assert_eq!(results(&ten).len(), 10);
    assert_eq!(results(&page).len(), 5);
    assert_eq!(result_ids(&page), result_ids(&ten)[5..]);
    assert_ranked(&page, 6);
    for (a, b) in results(&page).iter().zip(&results(&ten)[5..]) {
        assert_eq!(a["rank"], b["rank"]);
        let (a, b) = (a["score"].as_f64().unwrap(), b["score"].as_f64().unwrap());
        assert!((a - b).abs() < 1e-5, "{a} vs {b}");
    }
}

#[tokio::test]
async fn explanations_add_up_with_diversity() {
    // Arrange
    let app = shared_app();

    // Act
    let plain = app.match_ok(&json!({"city_id": "baybayon", "limit": 20})).await;
    let diverse = app
        .match_ok(&json!({"city_id": "baybayon", "limit": 20, "diversity": 0.8}))
        .await;
    let unexplained = app
        .match_ok(&json!({"city_id": "baybayon", "limit": 20, "explain": false}))
        .await;

    // Assert
    assert_explanations_add_up(&plain);
    assert_explanations_add_up(&diverse);
    assert!(
        results(&diverse)
            .iter()
            .any(|r| r["explanation"]["diversity_penalty"].as_f64().unwrap() > 0.0),
        "diversity 0.8 penalises some result"
    );
    assert!(results(&unexplained).iter().all(|r| r.get("explanation").is_none()));
    assert_eq!(result_ids(&unexplained), result_ids(&plain));
}

#[tokio::test]
async fn the_same_request_gives_the_same_order() {
    // Arrange
    let app = shared_app();
    let other = spawn_app().await;
    let request = json!({"city_id": "kestrel-bay", "needs": "buses and cycling", "limit": 30});
    let mut longer = request.clone();
    longer["limit"] = json!(31);

    // Act
    let first = app.match_ok(&request).await;
    let second = app.match_ok(&request).await;
    let recomputed = app.match_ok(&longer).await;
    let elsewhere = other.match_ok(&request).await;

    // Assert
    let scores = |b: &Value| -> Vec<f64> {
        results(b)
            .iter()
            .take(30)
            .map(|r| r["score"].as_f64().unwrap())
            .collect()
    };
    assert_eq!(result_ids(&first), result_ids(&second));
    assert_eq!(
        result_ids(&first),
        result_ids(&recomputed)[..30],
        "an uncached recomputation ranks alike"
    );
    assert_eq!(
        result_ids(&first),
        result_ids(&elsewhere),
        "an independent instance ranks alike"
    );
    assert_eq!(scores(&first), scores(&second), "a cached answer is the same answer");
    for other in [scores(&recomputed), scores(&elsewhere)] {
        for (a, b) in scores(&first).iter().zip(other) {
            assert!((a - b).abs() < 1e-5, "{a} vs {b}");
        }
    }
}

#[tokio::test]
async fn a_recomputed_ranking_has_bit_identical_scores() {
    // Arrange
    let app = shared_app();
    let other = spawn_app().await;
    let request = json!({"city_id": "qasr-alwan", "needs": "water leaks and smart meters", "limit": 10});
    let reference = other.match_ok(&request).await;
    let scores = |b: &Value| -> Vec<Value> { results(b).iter().take(10).map(|r| r["score"].clone()).collect() };

    for limit in 11..=30 {
        // Act: a different limit is a different cache key, so the ranking is recomputed
        let mut longer = request.clone();
        longer["limit"] = json!(limit);
        let body = app.match_ok(&longer).await;

        // Assert
        assert_eq!(scores(&body), scores(&reference), "limit {limit}");
    }
}

#[tokio::test]
async fn an_unknown_city_or_profile_is_404() {
    // Arrange
    let app = shared_app();

    // Act
    let city = app.match_(&json!({"city_id": "atlantis"})).await;
    let profile = app
        .match_(&json!({"city_id": "qasr-alwan", "profile": "no-such-profile"}))
        .await;

    // Assert
    let p = assert_problem(city, 404, "not_found", None).await;
    assert!(p["detail"].as_str().unwrap().contains("atlantis"), "{p}");
    let p = assert_problem(profile, 404, "not_found", None).await;
    assert!(p["detail"].as_str().unwrap().contains("no-such-profile"), "{p}");
}

#[tokio::test]
async fn invalid_match_requests_are_422_naming_the_field() {
    // Arrange
    let app = shared_app();

    // Act
    let nothing = app.match_(&json!({})).await;
    let both = app
        .match_(&json!({"city_id": "qasr-alwan", "city": {"name": "X"}}))
        .await;
    let zero = app.match_(&json!({"needs": "water", "limit": 0})).await;

    // Assert
    assert_problem(nothing, 422, "invalid_field", Some("needs")).await;
    assert_problem(both, 422, "invalid_field", Some("city")).await;
    assert_problem(zero, 422, "invalid_field", Some("limit")).await;
}

#[tokio::test]
async fn a_limit_over_100_is_rejected_naming_limit() {
    // Arrange
    let app = shared_app();

    // Act
    let res = app.match_(&json!({"needs": "water", "limit": 101})).await;

    // Assert
    assert_problem(res, 422, "invalid_field", Some("limit")).await;
}

#[tokio::test]
async fn search_for_water_kpis_returns_water_solutions() {
    // Arrange
    let app = shared_app();

    // Act
    let body = json_ok(app.search("what fixes our water KPIs", &[("limit", "5")]).await).await;

    // Assert
    assert_eq!(results(&body).len(), 5);
    assert_ranked(&body, 1);
    assert_explanations_add_up(&body);
    let water = results(&body)
        .iter()
        .filter(|r| {
            r["explanation"]["kpis"].as_array().unwrap().iter().any(|k| {
                let code = k["code"].as_str().unwrap();
                WATER_PREFIXES.iter().any(|p| code.starts_with(p))
            })
        })
        .count();
    assert!(
        water >= 3,
        "only {water} of the top 5 address a water KPI: {:?}",
        result_ids(&body)
    );
}

#[tokio::test]
async fn search_takes_a_city_and_validates_its_parameters() {
    // Arrange
    let app = shared_app();

    // Act
    let with_city = app
        .search("leaking pipes", &[("city_id", "qasr-alwan"), ("limit", "3")])
        .await;
    let no_q = app.get("/v1/search").await;
    let unknown_param = app.search("water", &[("colour", "blue")]).await;
    let unknown_city = app.search("water", &[("city_id", "atlantis")]).await;

    // Assert
    let with_city = json_ok(with_city).await;
    assert_eq!(results(&with_city).len(), 3);
    assert!(with_city["gaps_used"]
        .as_array()
        .unwrap()
        .iter()
        .any(|g| g["gap"].is_number()));
    assert_problem(no_q, 400, "invalid_query", Some("q")).await;
    assert_problem(unknown_param, 400, "invalid_query", Some("colour")).await;
    assert_problem(unknown_city, 404, "not_found", None).await;
}

#[tokio::test]
async fn lists_every_ranking_profile_and_each_one_ranks() {
    // Arrange
    let app = shared_app();
    let bundled: Value =
        serde_json::from_str(include_str!("../../index-data/profiles/default.json")).expect("the bundled profile");

    // Act
    let body = json_ok(app.get("/v1/profiles").await).await;

    // Assert: the bundled default with its weights, and its three ablations.
    assert_eq!(body["default"], "default");
    let items = body["items"].as_array().expect("an items array");
    let by_name: HashMap<&str, &Value> = items.iter().map(|p| (p["name"].as_str().unwrap(), p)).collect();
    assert_eq!(by_name.len(), items.len(), "names are unique");
    for name in ["default", "text-only", "kpi-only", "no-evidence"] {
        assert!(by_name.contains_key(name), "{name} is listed: {body}");
    }
    let default = by_name["default"];
    assert_eq!(default["is_default"], true);
    for weight in [
        "text_weight",
        "kpi_weight",
        "evidence_weight",
        "gap_weight",
        "needs_weight",
    ] {
        assert_eq!(default[weight], bundled[weight], "{weight}");
    }
    assert_eq!(default["description"], bundled["description"]);
    let text_only = by_name["text-only"];
    assert_eq!(
        (text_only["kpi_weight"].as_f64(), text_only["evidence_weight"].as_f64()),
        (Some(0.0), Some(0.0))
    );
    assert_eq!(by_name["kpi-only"]["text_weight"].as_f64(), Some(0.0));
    assert_eq!(by_name["no-evidence"]["evidence_weight"].as_f64(), Some(0.0));
    assert_eq!(items.iter().filter(|p| p["is_default"] == true).count(), 1);

    // Every listed profile is one a match request may name.
    for name in by_name.keys() {
        let answer = app
            .match_ok(&json!({"city_id": "qasr-alwan", "needs": "leaking pipes", "profile": name, "limit": 3}))
            .await;
        assert_eq!(answer["profile"], *name);
        assert!(!results(&answer).is_empty(), "{name} ranks something");
    }
}
