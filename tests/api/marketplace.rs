//! Both sides of the marketplace over HTTP: leads (`GET /v1/solutions/{id}/cities`), provider
//! types, SDG standing and focus, "why not" (`explain_ids`) and portfolios (`POST /v1/portfolio`).

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, json_ok, leak_solution, result_ids, shared_app, spawn_app};

async fn post(app: &crate::helpers::TestApp, path: &str, body: &Value) -> reqwest::Response {
    app.send_raw(Method::POST, path, body.to_string().into_bytes(), "application/json")
        .await
}

fn close(a: &Value, b: &Value) -> bool {
    (a.as_f64().unwrap() - b.as_f64().unwrap()).abs() < 1e-5
}

/// A lead's score is the solution's score in that city's own match, its parts add up, the
/// adopters are left out and listed on request, and the filters hold.
#[tokio::test]
async fn leads_rank_cities_by_the_score_the_solution_gets_in_their_match() {
    let app = shared_app();
    let cities = json_ok(app.get("/v1/cities?limit=100").await).await;
    let (adopter, sol) = cities["items"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|c| {
            let d = c["deployments"].as_array()?.first()?;
            Some((c["id"].as_str()?.to_string(), d["solution_id"].as_str()?.to_string()))
        })
        .expect("a bundled city records a deployment");
    let leads = json_ok(
        app.get(&format!("/v1/solutions/{sol}/cities?limit=100&include_adopters=true"))
            .await,
    )
    .await;
    let results = leads["results"].as_array().unwrap();
    assert!(!results.is_empty());
    assert!(results.iter().all(|l| l["city_id"] != json!(adopter)));
    assert!(leads["adopters"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a["city_id"] == json!(adopter)));
    for (i, l) in results.iter().enumerate() {
        assert_eq!(l["rank"], json!(i + 1));
        let x = &l["explanation"];
        let sum = x["text"].as_f64().unwrap() + x["kpi"].as_f64().unwrap() + x["evidence"].as_f64().unwrap();
        assert!((sum - l["score"].as_f64().unwrap()).abs() < 1e-4, "{l}");
    }
    for l in results.iter().take(4) {
        let m = json_ok(
            app.match_(&json!({"city_id": l["city_id"], "limit": 1, "explain_ids": [sol]}))
                .await,
        )
        .await;
        let score = if result_ids(&m)[0] == sol {
            m["results"][0]["score"].clone()
        } else {
            m["not_returned"][0]["score"].clone()
        };
        assert!(
            close(&score, &l["score"]),
            "{}: match {score} vs lead {}",
            l["city_id"],
            l["score"]
        );
    }
    let europe = json_ok(
        app.get(&format!(
            "/v1/solutions/{sol}/cities?region=europe&population_min=100000&population_max=600000"
        ))
        .await,
    )
    .await;
    for l in europe["results"].as_array().unwrap() {
        assert_eq!(l["region"], json!("Europe"));
        assert!((100_000..=600_000).contains(&l["population"].as_u64().unwrap()));
    }
}

#[tokio::test]
async fn leads_reject_bad_parameters_by_name() {
    let app = shared_app();
    let sol = "clearflow-nrw-performance-contract";
    let bad = [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("offset=10001", "offset"),
        ("population_min=10&population_max=5", "population_min"),
        ("population_min=-1", "population_min"),
    ];
    for (q, field) in bad {
        assert_problem(
            app.get(&format!("/v1/solutions/{sol}/cities?{q}")).await,
            400,
            "invalid_query",
            Some(field),
        )
        .await;
    }
    assert_problem(
        app.get("/v1/solutions/no-such-solution/cities").await,
        404,
        "not_found",
        None,
    )
    .await;
    assert_problem(
        app.get(&format!("/v1/solutions/{sol}/cities?colour=red")).await,
        400,
        "invalid_query",
        Some("colour"),
    )
    .await;
}

#[tokio::test]
async fn provider_types_are_stored_filtered_counted_and_default_to_company() {
    let app = spawn_app().await;
    let mut tool = leak_solution("Open leak map from a city");
    tool["provider_type"] = json!("city");
    json_ok(app.put_solution("city-leak-map", &tool).await).await;
    json_ok(
        app.put_solution("plain-leak-kit", &leak_solution("Plain leak kit"))
            .await,
    )
    .await;
    assert_eq!(
        json_ok(app.get_solution("city-leak-map").await).await["provider_type"],
        json!("city")
    );
    assert_eq!(
        json_ok(app.get_solution("plain-leak-kit").await).await["provider_type"],
        json!("company")
    );
    let m = json_ok(
        app.match_(&json!({"needs": "leaking pipes", "filters": {"provider_type": ["city"]}, "limit": 100}))
            .await,
    )
    .await;
    assert!(result_ids(&m).contains(&"city-leak-map".to_string()));
    assert!(m["results"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["provider_type"] == json!("city")));
    let facets = json_ok(app.get("/v1/facets").await).await;
    let city = facets["provider_type"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["value"] == json!("city"))
        .unwrap();
    assert!(city["count"].as_u64().unwrap() >= 1);
    let mut bad = leak_solution("Bad type");
    bad["provider_type"] = json!("guild");
    assert_problem(
        app.put_solution("bad-type", &bad).await,
        400,
        "invalid_json",
        Some("provider_type"),
    )
    .await;
}

#[tokio::test]
async fn sdg_standing_and_focus() {
    let app = shared_app();
    let s = json_ok(app.get("/v1/cities/qasr-alwan/sdgs").await).await;
    let goals = s["goals"].as_array().unwrap();
    assert_eq!(goals.len(), 17);
    let six = goals.iter().find(|g| g["goal"] == json!(6)).unwrap();
    assert_eq!(six["name"], json!("Clean water and sanitation"));
    assert!(six["kpis_with_data"].as_u64().unwrap() <= six["kpis_linked"].as_u64().unwrap());
    assert!(!six["weakest"].as_array().unwrap().is_empty());
    assert_problem(app.get("/v1/cities/nowhere/sdgs").await, 404, "not_found", None).await;

    let m = json_ok(
        app.match_(&json!({"city_id": "qasr-alwan", "needs": "", "sdgs": [6], "limit": 3}))
            .await,
    )
    .await;
    assert_eq!(m["sdgs"], json!([6]));
    assert_eq!(m["results"][0]["explanation"]["kpis"][0]["sdgs"], json!([6]));
    let by_text = json_ok(app.match_(&json!({"needs": "what moves SDG 6?", "limit": 3})).await).await;
    assert_eq!(by_text["sdgs"], json!([6]));
    assert_problem(
        app.match_(&json!({"needs": "x", "sdgs": [6, 18]})).await,
        422,
        "invalid_field",
        Some("sdgs[1]"),
    )
    .await;
}

#[tokio::test]
async fn why_not_explains_each_named_solution_missing_from_the_page() {
    let app = shared_app();
    let full = json_ok(
        app.match_(&json!({"city_id": "qasr-alwan", "needs": "leaking pipes", "limit": 20}))
            .await,
    )
    .await;
    let twelfth = result_ids(&full)[11].clone();
    let body = json!({
        "city_id": "qasr-alwan", "needs": "leaking pipes", "limit": 5,
        "filters": {"maturity": ["proven", "scaled"]},
        "explain_ids": [twelfth, "no-such-solution"]
    });
    let m = json_ok(app.match_(&body).await).await;
    let nr = m["not_returned"].as_array().unwrap();
    let missing = nr
        .iter()
        .find(|n| n["solution_id"] == json!("no-such-solution"))
        .unwrap();
    assert_eq!(missing["reason"], json!("not_found"));
    let named = nr.iter().find(|n| n["solution_id"] == json!(twelfth)).unwrap();
    match named["reason"].as_str().unwrap() {
        "filtered" => assert_eq!(named["filter"]["field"], json!("filters.maturity")),
        "ranked_lower" => {
            let last = m["results"].as_array().unwrap().last().unwrap()["score"]
                .as_f64()
                .unwrap();
            let gap = last - named["score"].as_f64().unwrap();
            assert!((gap - named["score_gap"].as_f64().unwrap()).abs() < 1e-5, "{named}");
            assert!(named["rank"].as_u64().unwrap() > 5);
        }
        other => panic!("unexpected reason {other}: {named}"),
    }
    assert!(named["message"].as_str().unwrap().ends_with('.'));
    let too_many: Vec<String> = (0..21).map(|i| format!("s{i}")).collect();
    assert_problem(
        app.match_(&json!({"needs": "water", "explain_ids": too_many})).await,
        422,
        "invalid_field",
        Some("explain_ids"),
    )
    .await;
}

#[tokio::test]
async fn portfolios_cover_weighted_gaps_within_their_constraints() {
    let app = shared_app();
    let body =
        json!({"city_id": "qasr-alwan", "size": 4, "budget": {"max_cost_band": "medium"}, "one_per_category": true});
    let p = json_ok(post(&app, "/v1/portfolio", &body).await).await;
    let items = p["items"].as_array().unwrap();
    assert_eq!(items.len(), 4);
    assert_eq!(p["guarantee"], json!("1/2"));
    let mut categories = Vec::new();
    let mut share = 0.0;
    for i in items {
        assert!(matches!(i["cost_band"].as_str(), Some("low" | "medium")), "{i}");
        for c in i["categories"].as_array().unwrap() {
            assert!(!categories.contains(c), "category {c} twice");
            categories.push(c.clone());
        }
        share += i["gain_share"].as_f64().unwrap();
    }
    assert!((share - p["coverage"].as_f64().unwrap()).abs() < 1e-4);
    for k in p["kpis"].as_array().unwrap() {
        let covered = k["covered"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&covered));
    }
    let plain = json_ok(post(&app, "/v1/portfolio", &json!({"city_id": "qasr-alwan"})).await).await;
    assert_eq!(plain["items"].as_array().unwrap().len(), 5, "size defaults to 5");
    assert_eq!(plain["guarantee"], json!("1 - 1/e"));

    let cases = [
        (
            json!({"city_id": "qasr-alwan", "size": 11}),
            422,
            "invalid_field",
            Some("size"),
        ),
        (
            json!({"city_id": "qasr-alwan", "size": 0}),
            422,
            "invalid_field",
            Some("size"),
        ),
        (json!({"size": 3}), 422, "invalid_field", Some("city_id")),
        (
            json!({"city_id": "qasr-alwan", "budget": {"max_high_cost": 11}}),
            422,
            "invalid_field",
            Some("budget.max_high_cost"),
        ),
        (
            json!({"city_id": "qasr-alwan", "budget": {"max_cost_band": "cheap"}}),
            400,
            "invalid_json",
            Some("budget.max_cost_band"),
        ),
        (json!({"city_id": "nowhere"}), 404, "not_found", None),
        (
            json!({"city_id": "qasr-alwan", "colour": "red"}),
            400,
            "invalid_json",
            Some("colour"),
        ),
    ];
    for (body, status, code, field) in cases {
        assert_problem(post(&app, "/v1/portfolio", &body).await, status, code, field).await;
    }
}
