//! Match and gap caches: identical requests are served from the cache until a write changes
//! what they depend on; the very next request after a write sees it.

use serde_json::{json, Value};

use crate::helpers::{json_ok, leak_solution, result_ids, spawn_app, TestApp};

async fn metric(app: &TestApp, series: &str) -> f64 {
    let text = app.get("/metrics").await.text().await.unwrap();
    text.lines()
        .find(|l| l.starts_with(series))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0)
}

fn gap_of(gaps: &Value, code: &str) -> f64 {
    gaps["kpis"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["code"] == code)
        .unwrap_or_else(|| panic!("{code} not in {gaps}"))["gap"]
        .as_f64()
        .unwrap()
}

#[tokio::test]
async fn a_repeated_match_is_served_from_the_cache() {
    // Arrange
    let app = spawn_app().await;
    let request = json!({"city_id": "qasr-alwan", "needs": "find the leaks in our water mains", "limit": 10});

    // Act
    let first = app.match_ok(&request).await;
    let second = app.match_ok(&request).await;

    // Assert
    assert_eq!(first["cached"], false);
    assert_eq!(second["cached"], true);
    assert_eq!(result_ids(&first), result_ids(&second));
    assert_eq!(first["results"], second["results"]);
    assert_ne!(
        first["request_id"], second["request_id"],
        "each answer has its own request id"
    );
}

#[tokio::test]
async fn a_solution_write_is_seen_by_the_very_next_match() {
    // Arrange
    let app = spawn_app().await;
    let request = json!({"city_id": "qasr-alwan", "needs": "find the leaks in our water mains", "limit": 10});
    let before = app.match_ok(&request).await;
    assert_eq!(app.match_ok(&request).await["cached"], true);
    let sentinel = leak_solution("Zephyrine Leak Sentinel for water mains");

    // Act
    let put = app.put_solution("zephyrine-leak-sentinel", &sentinel).await;
    let after = app.match_ok(&request).await;
    let again = app.match_ok(&request).await;

    // Assert
    assert_eq!(put.status().as_u16(), 201);
    assert!(!result_ids(&before).contains(&"zephyrine-leak-sentinel".to_string()));
    assert_eq!(after["cached"], false, "a write must invalidate the cached match");
    assert!(
        result_ids(&after).contains(&"zephyrine-leak-sentinel".to_string()),
        "the new solution is missing from the next match: {:?}",
        result_ids(&after)
    );
    assert_eq!(again["cached"], true);
    assert_eq!(result_ids(&again), result_ids(&after));
}

#[tokio::test]
async fn a_solution_delete_is_seen_by_the_very_next_match() {
    // Arrange
    let app = spawn_app().await;
    let request = json!({"city_id": "qasr-alwan", "limit": 5});
    let before = app.match_ok(&request).await;
    let top = result_ids(&before)[0].clone();
    assert_eq!(app.match_ok(&request).await["cached"], true);

    // Act
    let deleted = app.delete_solution(&top).await;
    let after = app.match_ok(&request).await;

    // Assert
    assert_eq!(deleted.status().as_u16(), 204);
    assert_eq!(after["cached"], false);
    assert!(!result_ids(&after).contains(&top), "{top} was deleted");
}

#[tokio::test]
async fn a_city_write_invalidates_that_citys_gaps_and_matches_only() {
    // Arrange
    let app = spawn_app().await;
    let city = |loss: f64| {
        json!({
            "name": "Cache Town",
            "needs": ["Our pipes leak"],
            "observations": [
                {"kpi": "EC:I:WS:3C", "value": loss, "year": 2023},
                {"kpi": "EC:ICT:WS:1C", "value": 20.0, "year": 2023}
            ]
        })
    };
    assert_eq!(app.put_city("cache-town", &city(45.0)).await.status().as_u16(), 201);
    let gaps_before = json_ok(app.get_gaps("cache-town").await).await;
    let gaps_cached = json_ok(app.get_gaps("cache-town").await).await;
    let request = json!({"city_id": "cache-town", "needs": ""});
    let other = json!({"city_id": "qasr-alwan", "limit": 5});
    let match_before = app.match_ok(&request).await;
    assert_eq!(app.match_ok(&request).await["cached"], true);
    app.match_ok(&other).await;
    let gap_hits = metric(&app, r#"kpimatch_cache_hits_total{cache="gaps"}"#).await;

    // Act
    let replaced = app.put_city("cache-town", &city(12.0)).await;
    let gaps_after = json_ok(app.get_gaps("cache-town").await).await;
    let match_after = app.match_ok(&request).await;
    let other_after = app.match_ok(&other).await;

    // Assert
    assert_eq!(gaps_cached, gaps_before);
    assert!(gap_hits >= 1.0, "the second gaps read is a cache hit");
    assert_eq!(replaced.status().as_u16(), 200);
    let (old, new) = (gap_of(&gaps_before, "EC:I:WS:3C"), gap_of(&gaps_after, "EC:I:WS:3C"));
    assert!(new < old, "the gap must shrink at once: {old} → {new}");
    assert_eq!(
        gaps_after["kpis"][0]["code"], "EC:ICT:WS:1C",
        "now the weakest: {gaps_after}"
    );
    assert_eq!(match_after["cached"], false, "the city's matches are recomputed");
    let used = |b: &Value| -> f64 {
        b["gaps_used"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["code"] == "EC:I:WS:3C")
            .map_or(0.0, |g| g["gap"].as_f64().unwrap())
    };
    assert!(used(&match_after) < used(&match_before), "the match uses the new value");
    assert_eq!(other_after["cached"], true, "another city's matches stay cached");
}

#[tokio::test]
async fn a_deleted_city_is_not_served_from_the_cache() {
    // Arrange
    let app = spawn_app().await;
    let request = json!({"city_id": "baybayon", "limit": 3});
    app.match_ok(&request).await;
    json_ok(app.get_gaps("baybayon").await).await;

    // Act
    let deleted = app.delete_city("baybayon").await;
    let matched = app.match_(&request).await;
    let gaps = app.get_gaps("baybayon").await;

    // Assert
    assert_eq!(deleted.status().as_u16(), 204);
    assert_eq!(matched.status().as_u16(), 404);
    assert_eq!(gaps.status().as_u16(), 404);
}
