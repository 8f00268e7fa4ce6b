//! `GET /v1/kpis` and `GET /v1/kpis/{code}`.

use std::collections::HashSet;

use serde_json::json;

use crate::helpers::{assert_problem, json_ok, shared_app};

#[tokio::test]
async fn lists_the_91_u4ssc_kpis_in_catalogue_order() {
    // Arrange
    let app = shared_app();

    // Act
    let body = json_ok(app.get("/v1/kpis").await).await;

    // Assert
    let kpis = body.as_array().expect("an array of KPIs");
    assert_eq!(kpis.len(), 91);
    let codes: HashSet<&str> = kpis.iter().map(|k| k["code"].as_str().unwrap()).collect();
    assert_eq!(codes.len(), 91, "codes are unique");
    assert_eq!(kpis[0]["code"], "EC:ICT:ICT:1C");
    for k in kpis {
        let code = k["code"].as_str().unwrap();
        assert_eq!(code, code.to_uppercase().replace(' ', ""), "canonical code");
        assert!(
            matches!(k["direction"].as_str(), Some("higher_better" | "lower_better")),
            "{k}"
        );
        assert!(k["target"].is_number(), "{k}");
        for key in ["name", "category", "dimension", "subdimension", "unit"] {
            assert!(k[key].as_str().is_some_and(|s| !s.is_empty()), "{key} of {k}");
        }
        assert!(
            k["solutions_declared"].is_u64() && k["solutions_inferred"].is_u64(),
            "{k}"
        );
    }
}

#[tokio::test]
async fn a_kpi_code_is_accepted_in_any_spacing_and_case() {
    // Arrange
    let app = shared_app();
    let forms = [
        "EC:I:WS:3C",
        "ec:i:ws:3c",
        "EC: I: WS: 3C",
        "ec: i: ws: 3c",
        "Ec:I: ws:3C",
    ];

    for form in forms {
        // Act
        let path = format!("/v1/kpis/{}", form.replace(' ', "%20"));
        let body = json_ok(app.get(&path).await).await;

        // Assert
        assert_eq!(body["code"], "EC:I:WS:3C", "form {form:?}");
        assert_eq!(body["name"], "Water Supply Loss", "form {form:?}");
        assert_eq!(body["direction"], "lower_better");
    }
}

#[tokio::test]
async fn an_unknown_or_malformed_kpi_code_is_a_404_problem() {
    // Arrange
    let app = shared_app();

    for code in ["EC:I:WS:9C", "water"] {
        // Act
        let res = app.get(&format!("/v1/kpis/{code}")).await;

        // Assert
        let p = assert_problem(res, 404, "not_found", Some("code")).await;
        assert!(
            p["detail"].as_str().unwrap().contains(code),
            "the detail names {code}: {p}"
        );
    }
}

#[tokio::test]
async fn solution_counts_agree_with_the_kpi_filter_of_the_solution_list() {
    // Arrange
    let app = shared_app();

    // Act
    let kpi = json_ok(app.get("/v1/kpis/EC:I:WS:3C").await).await;
    let listed = json_ok(app.get("/v1/solutions?kpi=EC:I:WS:3C&limit=1").await).await;

    // Assert
    let declared = kpi["solutions_declared"].as_u64().unwrap();
    let inferred = kpi["solutions_inferred"].as_u64().unwrap();
    assert!(declared > 0, "{kpi}");
    assert_eq!(listed["total"], json!(declared + inferred), "{kpi}");
}
