//! `PUT/GET/DELETE /v1/solutions/{id}`, `GET /v1/solutions` and `POST /v1/solutions/bulk`.

use serde_json::{json, Value};

use crate::helpers::{all_solutions, assert_problem, json_ok, json_with, leak_solution, shared_app, spawn_app};

const SEEDED_SOLUTIONS: u64 = 354;

#[tokio::test]
async fn put_creates_with_201_then_replaces_with_200() {
    // Arrange
    let app = spawn_app().await;
    let first = leak_solution("LeakHound One");
    let mut second = leak_solution("LeakHound Two");
    second["maturity"] = json!("scaled");

    // Act
    let created = app.put_solution("leakhound", &first).await;
    let created_status = created.status();
    let created = json_ok(created).await;
    let replaced = app.put_solution("leakhound", &second).await;
    let replaced_status = replaced.status();
    let replaced = json_ok(replaced).await;
    let read = json_ok(app.get_solution("leakhound").await).await;

    // Assert
    assert_eq!(created_status.as_u16(), 201);
    assert_eq!(created["id"], "leakhound");
    assert_eq!(created["title"], "LeakHound One");
    assert_eq!(replaced_status.as_u16(), 200);
    assert_eq!(replaced["title"], "LeakHound Two");
    assert_eq!(read["title"], "LeakHound Two");
    assert_eq!(read["maturity"], "scaled");
    assert_eq!(read["cost_band"], "low");
    assert_eq!(read["regions"], json!(["Global"]));
}

#[tokio::test]
async fn a_deleted_solution_is_gone_and_unknown_ids_are_404() {
    // Arrange
    let app = spawn_app().await;
    assert_eq!(
        app.put_solution("short-lived", &leak_solution("Short Lived"))
            .await
            .status(),
        201
    );

    // Act
    let deleted = app.delete_solution("short-lived").await;
    let read = app.get_solution("short-lived").await;
    let deleted_again = app.delete_solution("short-lived").await;
    let never = app.get_solution("never-existed").await;

    // Assert
    assert_eq!(deleted.status().as_u16(), 204);
    assert_problem(read, 404, "not_found", None).await;
    assert_problem(deleted_again, 404, "not_found", None).await;
    let p = assert_problem(never, 404, "not_found", None).await;
    assert!(p["detail"].as_str().unwrap().contains("never-existed"), "{p}");
}

#[tokio::test]
async fn a_declared_profile_is_shown_with_normalised_codes() {
    // Arrange
    let app = spawn_app().await;
    let mut body = leak_solution("Declared Leak Finder");
    body["kpis"] = json!([{"code": "ec: i: ws: 3c", "impact": 0.8}, {"code": "EC:ICT:WS:2A", "impact": 0.4}]);

    // Act
    let view = json_ok(app.put_solution("declared-leaks", &body).await).await;

    // Assert
    assert_eq!(view["profile_source"], "declared");
    assert_eq!(view["kpis"][0]["code"], "EC:I:WS:3C");
    let profile = view["profile"].as_array().unwrap();
    assert_eq!(profile.len(), 2, "{view}");
    for e in profile {
        assert_eq!(e["provenance"], "declared", "{e}");
        assert_eq!(e["confidence"], json!(1.0), "{e}");
    }
    let loss = profile
        .iter()
        .find(|e| e["code"] == "EC:I:WS:3C")
        .expect("EC:I:WS:3C in the profile");
    assert!((loss["impact"].as_f64().unwrap() - 0.8).abs() < 1e-6, "{loss}");
    assert_eq!(loss["name"], "Water Supply Loss");
}

#[tokio::test]
async fn a_solution_without_kpis_gets_an_inferred_profile() {
    // Arrange
    let app = spawn_app().await;
    let mut body = leak_solution("Inferred Leak Finder");
    body.as_object_mut().unwrap().remove("kpis");

    // Act
    let created = json_ok(app.put_solution("inferred-leaks", &body).await).await;
    let read = json_ok(app.get_solution("inferred-leaks").await).await;

    // Assert
    for view in [&created, &read] {
        assert_eq!(view["profile_source"], "inferred", "{view}");
        assert_eq!(view["kpis"], json!([]));
        let profile = view["profile"].as_array().unwrap();
        assert!(!profile.is_empty(), "{view}");
        for e in profile {
            assert_eq!(e["provenance"], "inferred", "{e}");
            let c = e["confidence"].as_f64().unwrap();
            assert!(c > 0.0 && c <= 1.0, "{e}");
        }
        assert!(
            profile.iter().any(|e| e["code"].as_str().unwrap().contains(":WS:")),
            "a water KPI is inferred from a leak-detection text: {view}"
        );
    }
}

#[tokio::test]
async fn the_list_pages_consistently_in_first_write_order() {
    // Arrange
    let app = spawn_app().await;
    assert_eq!(
        app.put_solution("zz-newest", &leak_solution("Newest")).await.status(),
        201
    );
    let total = SEEDED_SOLUTIONS + 1;

    // Act
    let default_page = json_ok(app.get("/v1/solutions").await).await;
    let first = json_ok(app.get("/v1/solutions?limit=10").await).await;
    let second = json_ok(app.get("/v1/solutions?limit=10&offset=10").await).await;
    let both = json_ok(app.get("/v1/solutions?limit=20&offset=0").await).await;
    let last = json_ok(app.get(&format!("/v1/solutions?limit=5&offset={}", total - 1)).await).await;
    let beyond = json_ok(app.get(&format!("/v1/solutions?offset={}", total + 10)).await).await;

    // Assert
    assert_eq!(default_page["limit"], 20);
    assert_eq!(default_page["offset"], 0);
    assert_eq!(default_page["total"], json!(total));
    assert_eq!(default_page["items"].as_array().unwrap().len(), 20);
    let ids = |p: &Value| -> Vec<String> {
        p["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_str().unwrap().to_string())
            .collect()
    };
    let mut joined = ids(&first);
    joined.extend(ids(&second));
    assert_eq!(joined, ids(&both));
    assert_eq!(second["offset"], 10);
    assert_eq!(ids(&last), ["zz-newest"]);
    assert_eq!(last["total"], json!(total));
    assert_eq!(beyond["items"], json!([]));
    assert_eq!(beyond["total"], json!(total));
}

#[tokio::test]
async fn list_paging_is_validated() {
    // Arrange
    let app = shared_app();

    // Act
    let over = app.get("/v1/solutions?limit=101").await;
    let zero = app.get("/v1/solutions?limit=0").await;
    let max = app.get("/v1/solutions?limit=100").await;

    // Assert
    let p = assert_problem(over, 400, "invalid_query", Some("limit")).await;
    assert!(p["detail"].as_str().unwrap().contains("101"), "{p}");
    assert_problem(zero, 400, "invalid_query", Some("limit")).await;
    let max = json_ok(max).await;
    assert_eq!(max["items"].as_array().unwrap().len(), 100);
}

#[tokio::test]
async fn the_list_filters_by_category_and_kpi() {
    // Arrange
    let app = shared_app();

    // Act
    let by_category = json_ok(app.get("/v1/solutions?category=mobility&limit=100").await).await;
    let by_kpi = json_ok(app.get("/v1/solutions?kpi=ec:%20i:%20ws:%203c&limit=100").await).await;
    let unknown_kpi = app.get("/v1/solutions?kpi=EC:I:WS:9C").await;

    // Assert
    let total = by_category["total"].as_u64().unwrap();
    assert!(total > 0 && total < SEEDED_SOLUTIONS, "{total}");
    let items = by_category["items"].as_array().unwrap();
    assert_eq!(items.len() as u64, total.min(100));
    for s in items {
        let cats = s["categories"].as_array().unwrap();
        assert!(
            cats.iter()
                .any(|c| c.as_str().unwrap().eq_ignore_ascii_case("mobility")),
            "{} is not in Mobility: {cats:?}",
            s["id"]
        );
    }
    let total = by_kpi["total"].as_u64().unwrap();
    assert!(total > 0 && total < SEEDED_SOLUTIONS, "{total}");
    for s in by_kpi["items"].as_array().unwrap() {
        assert!(
            s["profile"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["code"] == "EC:I:WS:3C"),
            "{} does not address EC:I:WS:3C",
            s["id"]
        );
    }
    let p = assert_problem(unknown_kpi, 400, "invalid_query", Some("kpi")).await;
    assert!(p["detail"].as_str().unwrap().contains("EC:I:WS:9C"), "{p}");
}

#[tokio::test]
async fn bulk_json_stores_valid_items_and_reports_the_invalid_one() {
    // Arrange
    let app = spawn_app().await;
    let mut good_a = leak_solution("Bulk A");
    good_a["id"] = json!("bulk-a");
    let mut bad = leak_solution("Bulk Bad");
    bad["id"] = json!("bulk-bad");
    bad["kpis"] = json!([{"code": "EC:I:WS:3C", "impact": 1.5}]);
    let good_b =
        json!({"id": "bulk-b", "title": "Bulk B", "summary": "Smart street lighting dims LED lamps at night."});
    let items = json!([good_a, bad, good_b]);

    // Act
    let res = json_with(app.bulk_json(&items).await, reqwest::StatusCode::OK).await;
    let a = app.get_solution("bulk-a").await;
    let b = app.get_solution("bulk-b").await;
    let bad = app.get_solution("bulk-bad").await;
    let again = json_ok(app.bulk_json(&json!([{"id": "bulk-a", "title": "Bulk A2"}])).await).await;

    // Assert
    assert_eq!(res["stored"], 2, "{res}");
    assert_eq!(res["rejected"], 1, "{res}");
    let results = res["items"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    assert_eq!(results[0]["status"], "created");
    assert_eq!(results[0]["id"], "bulk-a");
    assert_eq!(results[1]["index"], 1);
    assert_eq!(results[1]["id"], "bulk-bad");
    assert_eq!(results[1]["status"], "invalid");
    assert_eq!(results[1]["error"]["code"], "invalid_field");
    assert_eq!(results[1]["error"]["field"], "kpis[0].impact");
    assert_eq!(results[1]["error"]["status"], 422);
    assert_eq!(results[2]["status"], "created");
    assert!(results[0].get("error").is_none());
    assert_eq!(a.status().as_u16(), 200);
    let b = json_ok(b).await;
    assert_eq!(b["title"], "Bulk B");
    assert_problem(bad, 404, "not_found", None).await;
    assert_eq!(again["items"][0]["status"], "replaced", "{again}");
    assert_eq!(json_ok(app.get_solution("bulk-a").await).await["title"], "Bulk A2");
}

#[tokio::test]
async fn bulk_ndjson_stores_valid_lines_and_reports_invalid_ones() {
    // Arrange
    let app = spawn_app().await;
    let lines = [
        json!({"id": "nd-1", "title": "NDJSON One", "kpis": [{"code": "EC:I:WS:3C", "impact": 0.7}]}).to_string(),
        json!({"id": "nd-unknown-kpi", "title": "Unknown KPI", "kpis": [{"code": "EC:I:WS:9C", "impact": 0.5}]})
            .to_string(),
        String::new(),
        json!({"id": "nd-2", "title": "NDJSON Two"}).to_string(),
    ];
    let body = lines.join("\n").into_bytes();

    // Act
    let res = json_ok(app.bulk(body, "application/x-ndjson").await).await;

    // Assert
    assert_eq!(res["stored"], 2, "{res}");
    assert_eq!(res["rejected"], 1, "{res}");
    let items = res["items"].as_array().unwrap();
    assert_eq!(items.len(), 3, "blank lines are skipped: {res}");
    assert_eq!(items[0]["status"], "created");
    assert_eq!(items[1]["status"], "invalid");
    assert_eq!(items[1]["id"], "nd-unknown-kpi");
    assert_eq!(items[1]["error"]["field"], "kpis[0].code");
    assert!(
        items[1]["error"]["detail"].as_str().unwrap().contains("EC:I:WS:9C"),
        "{res}"
    );
    assert_eq!(items[2]["status"], "created");
    assert_eq!(items[2]["id"], "nd-2");
    assert_eq!(app.get_solution("nd-1").await.status().as_u16(), 200);
    assert_eq!(app.get_solution("nd-2").await.status().as_u16(), 200);
    assert_eq!(app.get_solution("nd-unknown-kpi").await.status().as_u16(), 404);
}

#[tokio::test]
async fn bulk_reports_an_item_that_is_not_json_and_a_repeated_id() {
    // Arrange
    let app = spawn_app().await;
    let body = [
        r#"{"id": "rep-1", "title": "First"}"#,
        r#"{"id": "rep-2", "title": "#,
        r#"{"id": "rep-1", "title": "Again"}"#,
    ]
    .join("\n")
    .into_bytes();

    // Act
    let res = json_ok(app.bulk(body, "application/x-ndjson").await).await;

    // Assert
    let items = res["items"].as_array().unwrap();
    assert_eq!(res["stored"], 1, "{res}");
    assert_eq!(items[0]["status"], "created");
    assert_eq!(items[1]["status"], "invalid");
    assert_eq!(items[1]["error"]["code"], "invalid_json");
    assert_eq!(items[2]["status"], "invalid");
    assert_eq!(items[2]["error"]["field"], "id");
    assert_eq!(json_ok(app.get_solution("rep-1").await).await["title"], "First");
}

#[tokio::test]
async fn bulk_of_more_than_10000_items_is_413_and_stores_nothing() {
    // Arrange
    let app = spawn_app().await;
    let items: Vec<String> = (0..10_001)
        .map(|i| format!(r#"{{"id": "many-{i}", "title": "x"}}"#))
        .collect();

    // Act
    let res = app.bulk(items.join("\n").into_bytes(), "application/x-ndjson").await;

    // Assert
    let p = assert_problem(res, 413, "payload_too_large", None).await;
    assert!(p["detail"].as_str().unwrap().contains("10001"), "{p}");
    assert_eq!(app.get_solution("many-0").await.status().as_u16(), 404);
}

#[tokio::test]
async fn bulk_of_exactly_10000_items_is_not_too_large() {
    // Arrange: items without an id are rejected one by one, so nothing is written
    let app = shared_app();
    let body = format!("[{}]", vec!["{}"; 10_000].join(","));

    // Act
    let res = json_ok(app.bulk(body.into_bytes(), "application/json").await).await;

    // Assert
    assert_eq!(res["stored"], 0);
    assert_eq!(res["rejected"], 10_000);
    assert_eq!(res["items"][9_999]["error"]["field"], "id");
}

#[tokio::test]
async fn deleting_an_unknown_solution_names_the_id() {
    // Arrange
    let app = shared_app();

    // Act
    let res = app.delete_solution("never-existed").await;

    // Assert
    let p = assert_problem(res, 404, "not_found", None).await;
    assert!(p["detail"].as_str().unwrap().contains("never-existed"), "{p}");
}

/// `(value, count)` pairs of one facet list.
fn facet(body: &Value, field: &str) -> Vec<(String, u64)> {
    body[field]
        .as_array()
        .unwrap_or_else(|| panic!("{field} is a list: {body}"))
        .iter()
        .map(|c| (c["value"].as_str().unwrap().to_string(), c["count"].as_u64().unwrap()))
        .collect()
}

#[tokio::test]
async fn facets_count_the_catalogue_and_follow_its_writes() {
    // Arrange: the expected counts, from the solutions as the API lists them.
    let app = spawn_app().await;
    let listed = all_solutions(&app).await;
    let count = |field: &str, value: &str| {
        listed
            .values()
            .filter(|s| match &s[field] {
                Value::Array(values) => values.iter().any(|v| v == value),
                other => other == value,
            })
            .count() as u64
    };

    // Act
    let before = json_ok(app.get("/v1/facets").await).await;

    // Assert: every value with its count, most used first; maturity and cost in their order.
    assert_eq!(before["solutions"], SEEDED_SOLUTIONS);
    for field in ["categories", "regions"] {
        let counts = facet(&before, field);
        assert!(!counts.is_empty(), "{field}");
        for (value, n) in &counts {
            assert_eq!(*n, count(field, value), "{field} {value}");
        }
        assert!(
            counts.windows(2).all(|w| w[0].1 >= w[1].1),
            "{field} most used first: {counts:?}"
        );
    }
    let maturity: Vec<String> = facet(&before, "maturity").into_iter().map(|(v, _)| v).collect();
    let order = ["concept", "pilot", "proven", "scaled"];
    assert!(maturity.iter().all(|m| order.contains(&m.as_str())), "{maturity:?}");
    assert!(maturity
        .windows(2)
        .all(|w| order.iter().position(|o| *o == w[0]) < order.iter().position(|o| *o == w[1])));
    for field in ["maturity", "cost_band"] {
        for (value, n) in facet(&before, field) {
            assert_eq!(n, count(field, &value), "{field} {value}");
        }
    }

    // Act: two solutions in a new category, spelled differently; then one is deleted.
    for (id, category) in [("facet-a", "Water Utilities"), ("facet-b", "water utilities ")] {
        let body = json!({"title": "Leak finder", "categories": [category, "Water Utilities"]});
        let res = app.put_solution(id, &body).await;
        assert!(res.status().is_success(), "{id}: {}", res.text().await.unwrap());
    }
    let after_put = json_ok(app.get("/v1/facets").await).await;
    app.delete_solution("facet-b").await;
    let after_delete = json_ok(app.get("/v1/facets").await).await;

    // Assert: counted once per solution, case-insensitively, as first spelled; the cache follows.
    let water = |body: &Value| {
        facet(body, "categories")
            .into_iter()
            .find(|(v, _)| v.to_lowercase() == "water utilities")
    };
    assert_eq!(after_put["solutions"], SEEDED_SOLUTIONS + 2);
    assert_eq!(water(&after_put), Some(("Water Utilities".to_string(), 2)));
    assert_eq!(water(&after_delete), Some(("Water Utilities".to_string(), 1)));
    assert_eq!(water(&before), None);
}

/// Concurrent single writes are committed in groups (one store transaction and one index
/// commit each): every write is answered after its group's commit, counted in exactly one
/// group, and readable once answered; of two writes of one id, one creates and one replaces.
#[tokio::test]
async fn concurrent_writes_are_committed_in_groups_and_none_is_lost() {
    // Arrange
    let app = spawn_app().await;
    let ids: Vec<String> = (0..24).map(|i| format!("group-commit-{i}")).collect();

    // Act: every id written twice, all 48 writes at once.
    let app_ref = &app;
    let writes = ids
        .iter()
        .flat_map(|id| (0..2).map(move |v| (id, v)))
        .map(|(id, v)| async move {
            let res = app_ref
                .put_solution(id, &leak_solution(&format!("Grouped {id} v{v}")))
                .await;
            (id.clone(), res.status().as_u16())
        });
    let answers = futures_util::future::join_all(writes).await;

    // Assert
    for id in &ids {
        let mut statuses: Vec<u16> = answers.iter().filter(|(i, _)| i == id).map(|(_, s)| *s).collect();
        statuses.sort_unstable();
        assert_eq!(statuses, [200, 201], "{id}");
        let read = json_ok(app.get_solution(id).await).await;
        assert!(
            read["title"].as_str().unwrap().starts_with(&format!("Grouped {id} v")),
            "{read}"
        );
    }
    let metrics = app.get("/metrics").await.text().await.unwrap();
    let value = |name: &str| -> f64 {
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
            .unwrap_or_else(|| panic!("{name} missing from /metrics"))
    };
    assert_eq!(
        value("kpimatch_write_group_size_sum"),
        48.0,
        "each write in exactly one group"
    );
    let groups = value("kpimatch_write_group_size_count");
    assert!((1.0..=48.0).contains(&groups), "{groups} groups");
}
