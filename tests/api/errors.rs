//! Every failure leaves as an RFC 9457 problem (`application/problem+json`) with a stable
//! `code` and, for validation errors, the offending `field`.

use reqwest::Method;
use serde_json::json;

use crate::helpers::{assert_problem, leak_solution, shared_app, spawn_app};

const JSON: &str = "application/json";

#[tokio::test]
async fn malformed_json_is_400_invalid_json() {
    // Arrange
    let app = shared_app();

    for body in ["", "nul", "{\"title\": 7"] {
        // Act
        let res = app
            .send_raw(Method::PUT, "/v1/solutions/malformed", body.into(), JSON)
            .await;

        // Assert
        let field = (body == "{\"title\": 7").then_some("title");
        assert_problem(res, 400, "invalid_json", field).await;
    }
    assert_eq!(app.get_solution("malformed").await.status().as_u16(), 404);
}

#[tokio::test]
async fn a_syntax_error_blames_no_field() {
    // Arrange
    let app = shared_app();

    for body in ["{not json", "{\"title\": \"x\",}"] {
        // Act
        let res = app
            .send_raw(Method::PUT, "/v1/solutions/malformed", body.into(), JSON)
            .await;

        // Assert
        assert_problem(res, 400, "invalid_json", None).await;
    }
}

#[tokio::test]
async fn trailing_data_after_the_document_is_400() {
    // Arrange
    let app = spawn_app().await;
    let cases = [
        (Method::PUT, "/v1/solutions/trailing", r#"{"title": "x"} trailing"#),
        (Method::PUT, "/v1/solutions/trailing", r#"{"title": "a"}{"title": "b"}"#),
        (Method::PUT, "/v1/cities/trailing", r#"{"name": "x"} garbage"#),
        (Method::POST, "/v1/match", r#"{"needs": "water"} xyz"#),
        (
            Method::POST,
            "/v1/solutions/bulk",
            r#"[{"id": "trailing-bulk", "title": "t"}] xyz"#,
        ),
    ];

    for (method, path, body) in cases {
        // Act
        let res = app.send_raw(method.clone(), path, body.into(), JSON).await;

        // Assert
        assert_problem(res, 400, "invalid_json", None).await;
    }
    assert_eq!(app.get_solution("trailing").await.status().as_u16(), 404);
}

#[tokio::test]
async fn an_array_is_not_a_solution() {
    // Arrange
    let app = spawn_app().await;

    // Act
    let res = app
        .send_raw(Method::PUT, "/v1/solutions/array", br#"["Array Title"]"#.to_vec(), JSON)
        .await;

    // Assert
    assert_problem(res, 400, "invalid_json", None).await;
    assert_eq!(app.get_solution("array").await.status().as_u16(), 404);
}

#[tokio::test]
async fn malformed_json_in_a_match_is_400_invalid_json() {
    // Arrange
    let app = shared_app();

    // Act
    let res = app
        .send_raw(Method::POST, "/v1/match", b"{\"needs\": ".to_vec(), JSON)
        .await;

    // Assert
    let p = assert_problem(res, 400, "invalid_json", Some("needs")).await;
    assert!(p["detail"].as_str().unwrap().contains("EOF"), "{p}");
}

#[tokio::test]
async fn a_wrong_type_is_400_naming_the_field() {
    // Arrange
    let app = shared_app();
    let mut body = leak_solution("Wrong Type");
    body["kpis"] = json!([{"code": "EC:I:WS:3C", "impact": "high"}]);

    // Act
    let res = app.put_solution("wrong-type", &body).await;

    // Assert
    let p = assert_problem(res, 400, "invalid_json", Some("kpis[0].impact")).await;
    assert!(p["detail"].as_str().unwrap().contains("high"), "{p}");
}

#[tokio::test]
async fn an_impact_out_of_range_is_422_with_the_exact_problem_shape() {
    // Arrange
    let app = shared_app();
    let mut body = leak_solution("Too Strong");
    body["kpis"] = json!([{"code": "EC:I:WS:3C", "impact": 1.5}]);

    // Act
    let res = app.put_solution("too-strong", &body).await;

    // Assert
    let p = assert_problem(res, 422, "invalid_field", Some("kpis[0].impact")).await;
    assert_eq!(
        p,
        json!({
            "type": "https://kpimatch.example/problems/invalid_field",
            "title": "A field has an invalid value",
            "status": 422,
            "detail": "invalid value for 'kpis[0].impact': impact 1.5 is outside (0, 1]",
            "code": "invalid_field",
            "field": "kpis[0].impact"
        })
    );
    assert_eq!(app.get_solution("too-strong").await.status().as_u16(), 404);
}

#[tokio::test]
async fn an_unknown_kpi_code_is_422_naming_the_code() {
    // Arrange
    let app = shared_app();
    let mut body = leak_solution("Unknown KPI");
    body["kpis"] = json!([{"code": "EC:I:WS:3C", "impact": 0.5}, {"code": "ec:i:ws:9c", "impact": 0.5}]);

    // Act
    let res = app.put_solution("unknown-kpi", &body).await;

    // Assert
    let status = res.status().as_u16();
    let content_type = res.headers()["content-type"].to_str().unwrap().to_string();
    let p: serde_json::Value = res.json().await.unwrap();
    assert_eq!(status, 422, "{p}");
    assert_eq!(content_type, "application/problem+json");
    assert_eq!(p["field"], "kpis[1].code", "{p}");
    assert!(p["detail"].as_str().unwrap().contains("EC:I:WS:9C"), "{p}");
}

#[tokio::test]
async fn an_unknown_kpi_code_has_the_unknown_kpi_code() {
    // Arrange
    let app = shared_app();
    let mut body = leak_solution("Unknown KPI");
    body["kpis"] = json!([{"code": "EC:I:WS:9C", "impact": 0.5}]);

    let city = json!({"observations": [{"kpi": "EC:I:WS:9C", "value": 1.0, "year": 2023}]});

    // Act
    let res = app.put_solution("unknown-kpi", &body).await;
    let city = app.put_city("unknown-kpi", &city).await;

    // Assert
    assert_problem(res, 422, "unknown_kpi", Some("kpis[0].code")).await;
    assert_problem(city, 422, "unknown_kpi", Some("observations[0].kpi")).await;
}

#[tokio::test]
async fn a_malformed_kpi_code_is_422_unknown_kpi() {
    // Arrange
    let app = shared_app();
    let mut body = leak_solution("Malformed KPI");
    body["kpis"] = json!([{"code": "water loss", "impact": 0.5}]);

    // Act
    let res = app.put_solution("malformed-kpi", &body).await;

    // Assert
    let p = assert_problem(res, 422, "unknown_kpi", Some("kpis[0].code")).await;
    assert!(p["detail"].as_str().unwrap().contains("water loss"), "{p}");
}

#[tokio::test]
async fn an_unknown_kpi_in_a_match_is_422_naming_it() {
    // Arrange
    let app = shared_app();

    // Act
    let focus = app.match_(&json!({"kpis": ["EC:I:WS:9C"]})).await;
    let filter = app
        .match_(&json!({"needs": "water", "filters": {"kpis": ["EC:I:WS:9C"]}}))
        .await;

    // Assert
    for res in [focus, filter] {
        let status = res.status().as_u16();
        let content_type = res.headers()["content-type"].to_str().unwrap().to_string();
        let p: serde_json::Value = res.json().await.unwrap();
        assert_eq!(status, 422, "{p}");
        assert_eq!(content_type, "application/problem+json");
        assert!(p["detail"].as_str().unwrap().contains("EC:I:WS:9C"), "{p}");
        assert!(p["field"].is_string(), "{p}");
    }
}

#[tokio::test]
async fn an_unknown_field_is_400_naming_it() {
    // Arrange
    let app = shared_app();
    let mut solution = leak_solution("Unknown Field");
    solution["colour"] = json!("blue");

    // Act
    let put = app.put_solution("unknown-field", &solution).await;
    let matched = app.match_(&json!({"needs": "water", "limt": 5})).await;
    let nested = app
        .match_(&json!({"needs": "water", "filters": {"maturty": ["proven"]}}))
        .await;

    // Assert
    let p = assert_problem(put, 400, "invalid_json", Some("colour")).await;
    assert!(p["detail"].as_str().unwrap().contains("colour"), "{p}");
    let p = assert_problem(matched, 400, "invalid_json", Some("limt")).await;
    assert!(p["detail"].as_str().unwrap().contains("limt"), "{p}");
    let p = assert_problem(nested, 400, "invalid_json", Some("filters.maturty")).await;
    assert!(p["detail"].as_str().unwrap().contains("maturty"), "{p}");
}

#[tokio::test]
async fn a_body_over_1_mib_is_413() {
    // Arrange
    let app = shared_app();
    let mut body = leak_solution("Huge");
    body["description"] = json!("x".repeat(1024 * 1024 + 1));
    let bytes = serde_json::to_vec(&body).unwrap();

    // Act
    let put = app
        .send_raw(Method::PUT, "/v1/solutions/huge", bytes.clone(), JSON)
        .await;
    let matched = app.send_raw(Method::POST, "/v1/match", bytes, JSON).await;

    // Assert
    let p = assert_problem(put, 413, "payload_too_large", None).await;
    assert!(p["detail"].as_str().unwrap().contains("1048576"), "{p}");
    assert_problem(matched, 413, "payload_too_large", None).await;
    assert_eq!(app.get_solution("huge").await.status().as_u16(), 404);
}

#[tokio::test]
async fn a_wrong_content_type_is_415() {
    // Arrange
    let app = shared_app();
    let body = serde_json::to_vec(&leak_solution("Plain")).unwrap();

    // Act
    let put = app
        .send_raw(Method::PUT, "/v1/solutions/plain", body.clone(), "text/plain")
        .await;
    let matched = app
        .send_raw(
            Method::POST,
            "/v1/match",
            br#"{"needs":"water"}"#.to_vec(),
            "application/xml",
        )
        .await;
    let bulk = app.bulk(body, "text/csv").await;

    // Assert
    let p = assert_problem(put, 415, "unsupported_media_type", None).await;
    assert!(p["detail"].as_str().unwrap().contains("text/plain"), "{p}");
    assert_problem(matched, 415, "unsupported_media_type", None).await;
    assert_problem(bulk, 415, "unsupported_media_type", None).await;
}

#[tokio::test]
async fn an_unknown_route_is_a_404_problem() {
    // Arrange
    let app = shared_app();

    // Act
    let res = app.get("/v2/nothing-here").await;

    // Assert
    let p = assert_problem(res, 404, "not_found", None).await;
    assert_eq!(
        p,
        json!({
            "type": "https://kpimatch.example/problems/not_found",
            "title": "Not found",
            "status": 404,
            "detail": "no route for GET /v2/nothing-here",
            "code": "not_found"
        })
    );
}

#[tokio::test]
async fn a_bad_id_in_the_path_is_400() {
    // Arrange
    let app = shared_app();
    let body = leak_solution("Bad Id");
    let long = "a".repeat(81);

    // Act
    let spaced = app.put_solution("a%20b", &body).await;
    let too_long = app.put_solution(&long, &body).await;
    let city = app.put_city("-leading-dash", &json!({"name": "X"})).await;

    // Assert
    let p = assert_problem(spaced, 400, "invalid_path", Some("id")).await;
    assert!(p["detail"].as_str().unwrap().contains("'a b'"), "{p}");
    assert_problem(too_long, 400, "invalid_path", Some("id")).await;
    assert_problem(city, 400, "invalid_path", Some("id")).await;
}

#[tokio::test]
async fn a_wrong_method_on_a_known_route_is_405() {
    // Arrange
    let app = shared_app();

    // Act
    let res = app.send_raw(Method::POST, "/v1/kpis", b"{}".to_vec(), JSON).await;

    // Assert
    assert_problem(res, 405, "method_not_allowed", None).await;
}

#[tokio::test]
async fn a_non_numeric_paging_parameter_names_the_field() {
    // Arrange
    let app = shared_app();

    // Act
    let offset = app.get("/v1/solutions?offset=minus-one").await;
    let limit = app.get("/v1/cities?limit=ten").await;

    // Assert
    assert_problem(offset, 400, "invalid_query", Some("offset")).await;
    assert_problem(limit, 400, "invalid_query", Some("limit")).await;
}
