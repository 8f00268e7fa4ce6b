//! Languages over HTTP: a question in another language is read in it (declared or detected)
//! and says so; a solution's declared language is kept and its text profiled in it; a bad tag
//! is a 422 naming `lang`.

use serde_json::{json, Value};

use crate::helpers::{assert_problem, json_ok, shared_app, spawn_app};

fn result_langs(body: &Value) -> Vec<(String, String)> {
    body["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| {
            (
                r["solution_id"].as_str().unwrap().to_string(),
                r["lang"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_french_question_is_read_in_french_and_finds_solutions_by_their_kpis() {
    // Arrange
    let app = shared_app();

    // Act
    let body = app
        .match_ok(&json!({"city_id": "qasr-alwan", "needs": "Que plus personne ne meure sur nos routes."}))
        .await;

    // Assert
    assert_eq!(body["needs_lang"]["code"], "fr", "{}", body["needs_lang"]);
    assert_eq!(body["needs_lang"]["source"], "detected");
    assert_eq!(body["needs_lang"]["supported"], true);
    assert_eq!(body["needs_lang"]["name"], "French");
    let gaps = body["gaps_used"].as_array().unwrap();
    assert!(
        gaps.iter()
            .any(|g| g["code"] == "SC:SH:SA:9C" && g["needs"].as_f64().unwrap() > 0.0),
        "road deaths weigh from the French words: {gaps:?}"
    );
    assert!(
        result_langs(&body).iter().any(|(_, l)| l == "en"),
        "English solutions are found"
    );
}

#[tokio::test]
async fn an_unsupported_language_is_reported_and_ranks_like_no_question() {
    // Arrange
    let app = shared_app();

    // Act
    let japanese = app
        .match_ok(&json!({"city_id": "kestrel-bay", "needs": "どうすれば水道の漏れを減らせますか？"}))
        .await;
    let none = app.match_ok(&json!({"city_id": "kestrel-bay", "needs": ""})).await;

    // Assert
    assert_eq!(japanese["needs_lang"]["supported"], false, "{}", japanese["needs_lang"]);
    assert_eq!(japanese["needs_lang"]["code"], "jpn");
    assert_eq!(result_langs(&japanese), result_langs(&none));
}

#[tokio::test]
async fn search_takes_the_questions_language() {
    // Arrange
    let app = shared_app();

    // Act
    let detected = json_ok(app.search("perdite idriche della rete", &[]).await).await;
    let declared = json_ok(app.search("agua", &[("lang", "pt-BR")]).await).await;
    let bad = app.search("agua", &[("lang", "x y")]).await;

    // Assert
    assert_eq!(detected["needs_lang"]["code"], "it", "{}", detected["needs_lang"]);
    assert_eq!(declared["needs_lang"]["code"], "pt");
    assert_eq!(declared["needs_lang"]["source"], "declared");
    assert_problem(bad, 422, "invalid_field", Some("lang")).await;
}

#[tokio::test]
async fn a_malformed_language_tag_is_422_naming_lang() {
    // Arrange
    let app = shared_app();

    // Act
    let res = app.match_(&json!({"needs": "agua", "lang": "spanish please"})).await;
    let long = app
        .match_(&json!({"needs": "agua", "lang": "es-".to_string() + &"x".repeat(40)}))
        .await;

    // Assert
    assert_problem(res, 422, "invalid_field", Some("lang")).await;
    assert_problem(long, 422, "invalid_field", Some("lang")).await;
}

#[tokio::test]
async fn a_solutions_declared_language_is_kept_and_its_text_profiled_in_it() {
    // Arrange
    let app = spawn_app().await;
    let body = json!({
        "title": "Vigilancia de fugas",
        "summary": "Sensores acústicos que localizan fugas en las tuberías de agua potable.",
        "description": "Registradores de ruido en las válvulas escuchan de noche y señalan las fugas ocultas en la red de distribución.",
        "lang": "es-CO"
    });

    // Act
    let put = app.put_solution("vigilancia-de-fugas", &body).await;
    let stored = json_ok(app.get_solution("vigilancia-de-fugas").await).await;
    let bad = app
        .put_solution("bad-lang", &json!({"title": "X", "lang": "es_CO"}))
        .await;

    // Assert
    assert!(put.status().is_success(), "{}", put.status());
    assert_eq!(stored["lang"], "es-CO");
    assert_eq!(stored["text_lang"], "es");
    let profile = stored["profile"].as_array().unwrap();
    assert!(profile.iter().any(|e| e["code"] == "EC:I:WS:3C"), "{profile:?}");
    assert_problem(bad, 422, "invalid_field", Some("lang")).await;
}
