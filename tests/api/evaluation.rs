//! `POST /v1/evaluations` and `POST /v1/feedback`.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, json_ok, json_with, shared_app, spawn_app, TestApp};

const JSON: &str = "application/json";

async fn evaluate(app: &TestApp, body: &Value) -> reqwest::Response {
    app.send_raw(Method::POST, "/v1/evaluations", serde_json::to_vec(body).unwrap(), JSON)
        .await
}

async fn feedback(app: &TestApp, body: &Value) -> reqwest::Response {
    app.send_raw(Method::POST, "/v1/feedback", serde_json::to_vec(body).unwrap(), JSON)
        .await
}

#[tokio::test]
async fn bundled_heldout_topics_are_evaluated_for_three_profiles() {
    // Arrange
    let app = shared_app();

    // Act
    let report = json_ok(
        evaluate(
            &app,
            &json!({"split": "heldout", "metrics": ["ndcg_cut_10", "recip_rank"]}),
        )
        .await,
    )
    .await;

    // Assert
    assert_eq!(report["topics"], 14);
    let profiles: Vec<&str> = report["profiles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["profile"].as_str().unwrap())
        .collect();
    assert_eq!(profiles, ["text-only", "kpi-only", "default"]);
    for p in report["profiles"].as_array().unwrap() {
        let ndcg = p["means"]["ndcg_cut_10"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&ndcg), "{p}");
        assert_eq!(p["per_topic"].as_object().unwrap().len(), 14);
    }
    // Two candidates × two measures, each with deltas per topic and a p-value.
    let comparisons = report["comparisons"].as_array().unwrap();
    assert_eq!(comparisons.len(), 4);
    for c in comparisons {
        assert_eq!(c["baseline"], "text-only");
        let (w, l, t) = (
            c["wins"].as_u64().unwrap(),
            c["losses"].as_u64().unwrap(),
            c["ties"].as_u64().unwrap(),
        );
        assert_eq!(w + l + t, 14);
        let p = c["p_value"].as_f64().unwrap();
        assert!(p > 0.0 && p <= 1.0, "{c}");
    }
    assert!(report["chart_svg"].as_str().unwrap().starts_with("<svg"));
}

#[tokio::test]
async fn inline_topics_with_qrels_are_scored_as_trec_eval_would() {
    // Arrange: one topic whose only relevant solution is ranked first by KPI focus.
    let app = shared_app();
    let top = json_ok(
        app.match_(&json!({"kpis": ["EC:I:WS:3C"], "limit": 1, "explain": false, "profile": "kpi-only"}))
            .await,
    )
    .await;
    let best = top["results"][0]["solution_id"].as_str().unwrap().to_string();
    let body = json!({
        "topics": [{"id": "q1", "city": {"observations": [{"kpi": "EC:I:WS:3C", "value": 40, "year": 2023}]}, "needs": ""}],
        "qrels": format!("q1 0 {best} 2\n"),
        "profiles": ["kpi-only"],
        "metrics": ["recip_rank", "success_1"]
    });

    // Act
    let report = json_ok(evaluate(&app, &body).await).await;

    // Assert
    assert_eq!(report["profiles"][0]["means"]["recip_rank"], 1.0, "{report}");
    assert_eq!(report["profiles"][0]["means"]["success_1"], 1.0);
}

#[tokio::test]
async fn evaluation_errors_name_the_field() {
    let app = shared_app();
    let cases = [
        (
            json!({"topics": [{"id": "q", "needs": "x"}]}),
            422,
            "invalid_field",
            "qrels",
        ),
        (json!({"split": "sometimes"}), 422, "invalid_field", "split"),
        (
            json!({"metrics": ["ndcg_cut_10", "nope"]}),
            422,
            "invalid_field",
            "metrics[1]",
        ),
        (json!({"depth": 0}), 422, "invalid_field", "depth"),
        (
            json!({"profiles": ["a", "b", "c", "d", "e", "f"]}),
            413,
            "payload_too_large",
            "profiles",
        ),
    ];
    for (body, status, code, field) in cases {
        assert_problem(evaluate(&app, &body).await, status, code, Some(field)).await;
    }
    assert_problem(
        evaluate(&app, &json!({"profiles": ["no-such-profile"]})).await,
        404,
        "not_found",
        None,
    )
    .await;
}

#[tokio::test]
async fn feedback_is_stored_durably_and_validated() {
    // Arrange
    let app = spawn_app().await;
    let m = app
        .match_ok(&json!({"city_id": "qasr-alwan", "limit": 2, "explain": false}))
        .await;
    let rid = m["request_id"].as_str().unwrap();
    let first = m["results"][0]["solution_id"].as_str().unwrap();
    let second = m["results"][1]["solution_id"].as_str().unwrap();

    // Act
    let ack = json_with(
        feedback(
            &app,
            &json!([
                {"request_id": rid, "solution_id": first, "event": "impression", "position": 1},
                {"request_id": rid, "solution_id": second, "event": "impression", "position": 2},
                {"request_id": rid, "solution_id": second, "event": "adopted"}
            ]),
        )
        .await,
        reqwest::StatusCode::CREATED,
    )
    .await;

    // Assert
    assert_eq!(ack["stored"], 3);
    assert_eq!(ack["last_sequence"], 3);
    let one = json_with(
        feedback(
            &app,
            &json!({"request_id": rid, "solution_id": first, "event": "click"}),
        )
        .await,
        reqwest::StatusCode::CREATED,
    )
    .await;
    assert_eq!(one["stored"], 1);
    let bad = [
        (
            json!({"request_id": rid, "solution_id": first, "event": "like"}),
            "event",
        ),
        (
            json!({"request_id": rid, "solution_id": "no-such-solution", "event": "click"}),
            "solution_id",
        ),
        (
            json!({"request_id": "", "solution_id": first, "event": "click"}),
            "request_id",
        ),
        (
            json!({"request_id": rid, "solution_id": first, "event": "impression", "position": 0}),
            "position",
        ),
        (
            json!([{"request_id": rid, "solution_id": first, "event": "click"}, {"request_id": rid, "solution_id": first, "event": "??"}]),
            "[1].event",
        ),
    ];
    for (body, field) in bad {
        assert_problem(feedback(&app, &body).await, 422, "invalid_field", Some(field)).await;
    }
    assert_problem(
        feedback(&app, &json!({"request_id": rid, "solution_id": first})).await,
        400,
        "invalid_json",
        Some("event"),
    )
    .await;
}
