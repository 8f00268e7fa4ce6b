//! `PUT/GET/DELETE /v1/cities/{id}`, `GET /v1/cities` and `GET /v1/cities/{id}/gaps`.

use serde_json::{json, Value};

use crate::helpers::{assert_problem, json_ok, shared_app, spawn_app};

const SEEDED_CITIES: u64 = 18;

fn norrvik() -> Value {
    json!({
        "name": "Norrvik",
        "country": "Norway",
        "region": "Europe",
        "population": 84000,
        "needs": ["Cut the water we lose from old pipes"],
        "observations": [
            {"kpi": "ec: i: ws: 3c", "value": 31.0, "year": 2021},
            {"kpi": "EC:I:WS:3C", "value": 28.5, "year": 2023},
            {"kpi": "EC:ICT:WS:1C", "value": 70.0, "year": 2023, "target": 75.0}
        ]
    })
}

#[tokio::test]
async fn put_creates_with_201_then_replaces_with_200_and_normalises_codes() {
    // Arrange
    let app = spawn_app().await;
    let mut renamed = norrvik();
    renamed["name"] = json!("Norrvik kommune");

    // Act
    let created = app.put_city("norrvik", &norrvik()).await;
    let created_status = created.status().as_u16();
    let created = json_ok(created).await;
    let replaced = app.put_city("norrvik", &renamed).await;
    let replaced_status = replaced.status().as_u16();
    let read = json_ok(app.get_city("norrvik").await).await;

    // Assert
    assert_eq!(created_status, 201);
    assert_eq!(created["id"], "norrvik");
    assert_eq!(created["population"], 84000);
    assert_eq!(created["observations"][0]["kpi"], "EC:I:WS:3C");
    assert_eq!(created["observations"].as_array().unwrap().len(), 3);
    assert_eq!(created["observations"][2]["target"], 75.0);
    assert_eq!(replaced_status, 200);
    assert_eq!(read["name"], "Norrvik kommune");
    assert_eq!(read["needs"], json!(["Cut the water we lose from old pipes"]));
}

#[tokio::test]
async fn a_deleted_city_is_gone_and_unknown_ids_are_404() {
    // Arrange
    let app = spawn_app().await;
    assert_eq!(app.put_city("temp-town", &norrvik()).await.status().as_u16(), 201);

    // Act
    let deleted = app.delete_city("temp-town").await;
    let read = app.get_city("temp-town").await;
    let gaps = app.get_gaps("temp-town").await;
    let deleted_again = app.delete_city("temp-town").await;

    // Assert
    assert_eq!(deleted.status().as_u16(), 204);
    let p = assert_problem(read, 404, "not_found", None).await;
    assert!(p["detail"].as_str().unwrap().contains("temp-town"), "{p}");
    assert_problem(gaps, 404, "not_found", None).await;
    assert_problem(deleted_again, 404, "not_found", None).await;
}

#[tokio::test]
async fn an_invalid_observation_is_a_422_naming_it() {
    // Arrange
    let app = shared_app();
    let mut bad_code = norrvik();
    bad_code["observations"][1]["kpi"] = json!("water loss");
    let mut unknown_code = norrvik();
    unknown_code["observations"][0]["kpi"] = json!("EC:I:WS:9C");

    // Act
    let bad_code = app.put_city("bad-city", &bad_code).await;
    let unknown_code = app.put_city("bad-city", &unknown_code).await;
    let read = app.get_city("bad-city").await;

    // Assert
    assert_problem(bad_code, 422, "unknown_kpi", Some("observations[1].kpi")).await;
    let status = unknown_code.status().as_u16();
    let content_type = unknown_code.headers()["content-type"].to_str().unwrap().to_string();
    let p: Value = unknown_code.json().await.unwrap();
    assert_eq!(status, 422, "{p}");
    assert_eq!(content_type, "application/problem+json");
    assert_eq!(p["field"], "observations[0].kpi", "{p}");
    assert!(p["detail"].as_str().unwrap().contains("EC:I:WS:9C"), "{p}");
    assert_eq!(read.status().as_u16(), 404, "nothing was stored");
}

#[tokio::test]
async fn the_list_pages_consistently() {
    // Arrange
    let app = shared_app();

    // Act
    let all = json_ok(app.get("/v1/cities?limit=100").await).await;
    let first = json_ok(app.get("/v1/cities?limit=5").await).await;
    let second = json_ok(app.get("/v1/cities?limit=5&offset=5").await).await;
    let over = app.get("/v1/cities?limit=101").await;

    // Assert
    assert_eq!(all["total"], json!(SEEDED_CITIES));
    assert_eq!(all["items"].as_array().unwrap().len() as u64, SEEDED_CITIES);
    assert_eq!(first["total"], json!(SEEDED_CITIES));
    let ids = |p: &Value| -> Vec<Value> { p["items"].as_array().unwrap().iter().map(|c| c["id"].clone()).collect() };
    let mut joined = ids(&first);
    joined.extend(ids(&second));
    assert_eq!(joined, ids(&all)[..10]);
    assert!(ids(&all).contains(&json!("qasr-alwan")));
    assert_problem(over, 400, "invalid_query", Some("limit")).await;
}

#[tokio::test]
async fn gaps_list_the_weakest_kpis_first() {
    // Arrange
    let app = shared_app();

    // Act
    let gaps = json_ok(app.get_gaps("qasr-alwan").await).await;

    // Assert
    assert_eq!(gaps["city_id"], "qasr-alwan");
    let kpis = gaps["kpis"].as_array().unwrap();
    assert!(kpis.len() > 10, "{}", kpis.len());
    let values: Vec<f64> = kpis.iter().map(|k| k["gap"].as_f64().unwrap()).collect();
    for w in values.windows(2) {
        assert!(w[0] >= w[1], "gaps are not sorted descending: {values:?}");
    }
    for k in kpis {
        let gap = k["gap"].as_f64().unwrap();
        let achievement = k["achievement"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&gap), "{k}");
        assert!((0.0..=1.0).contains(&achievement), "{k}");
        assert!((1..=4).contains(&k["points"].as_u64().unwrap()), "{k}");
    }
    let missing = gaps["missing"].as_array().unwrap();
    assert_eq!(kpis.len() + missing.len(), 91, "observed + missing = the catalogue");
    let loss = kpis
        .iter()
        .find(|k| k["code"] == "EC:I:WS:3C")
        .expect("EC:I:WS:3C observed");
    assert_eq!(loss["value"], 42.0);
    assert!(loss["gap"].as_f64().unwrap() > 0.5, "{loss}");
    assert!(gaps["overall"]["max_points"].as_u64().unwrap() > 0);
    assert!(gaps["categories"]
        .as_object()
        .unwrap()
        .contains_key("Water and Sanitation"));
}

#[tokio::test]
async fn gaps_use_the_latest_year_and_the_city_target() {
    // Arrange
    let app = spawn_app().await;
    assert_eq!(app.put_city("norrvik", &norrvik()).await.status().as_u16(), 201);

    // Act
    let gaps = json_ok(app.get_gaps("norrvik").await).await;

    // Assert
    let kpis = gaps["kpis"].as_array().unwrap();
    assert_eq!(kpis.len(), 2);
    let loss = kpis.iter().find(|k| k["code"] == "EC:I:WS:3C").unwrap();
    assert_eq!(loss["value"], 28.5);
    assert_eq!(loss["year"], 2023);
    assert_eq!(loss["target_source"], "default");
    assert_eq!(loss["trend"]["direction"], "improving", "{loss}");
    assert_eq!(loss["trend"]["from_year"], 2021);
    let meters = kpis.iter().find(|k| k["code"] == "EC:ICT:WS:1C").unwrap();
    assert_eq!(meters["target"], 75.0);
    assert_eq!(meters["target_source"], "city");
    assert_eq!(gaps["missing"].as_array().unwrap().len(), 89);
}

#[tokio::test]
async fn gaps_of_an_unknown_city_are_404() {
    // Arrange
    let app = shared_app();

    // Act
    let res = app.get_gaps("atlantis").await;

    // Assert
    let p = assert_problem(res, 404, "not_found", None).await;
    assert!(p["detail"].as_str().unwrap().contains("atlantis"), "{p}");
}
