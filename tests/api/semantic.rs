//! The semantic stage through the real binary. With the model (`scripts/model.sh` installs it
//! in `models/`; `scripts/test.sh` requires it), a paraphrase whose words the vocabulary does
//! not know ranks by meaning, the explanation shows the dense part, and embeddings persist: a
//! restart after `kill -9` computes none again. Without the model the same API answers
//! lexically, with one warning.

use std::path::PathBuf;

use serde_json::{json, Value};

use crate::process::{Server, Target};

/// The installed model, or `None` (the test is skipped) unless `KPIMATCH_REQUIRE_MODEL` is set.
fn model_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../models/all-MiniLM-L6-v2");
    if dir.join("model.safetensors").exists() {
        return Some(dir);
    }
    assert!(
        std::env::var_os("KPIMATCH_REQUIRE_MODEL").is_none(),
        "no model in {}: run scripts/model.sh",
        dir.display()
    );
    eprintln!("skipped: no model in {} (scripts/model.sh installs it)", dir.display());
    None
}

async fn metric(server: &Server, name: &str) -> f64 {
    let text = server.get("/metrics").await.text().await.unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(name).and_then(|v| v.trim().parse().ok()))
        .unwrap_or_else(|| panic!("no {name} in /metrics"))
}

async fn matched(server: &Server, body: Value) -> Value {
    let res = server.post("/v1/match", &body).await;
    assert_eq!(res.status().as_u16(), 200);
    res.json().await.unwrap()
}

fn rank_of(body: &Value, id: &str) -> Option<usize> {
    body["results"]
        .as_array()
        .unwrap()
        .iter()
        .position(|r| r["solution_id"] == id)
}

#[tokio::test]
async fn a_paraphrase_ranks_by_meaning_and_embeddings_survive_kill_9() {
    let Some(model) = model_dir() else { return };
    let model = model.to_str().unwrap().to_owned();
    let data = tempfile::tempdir().unwrap();
    let target = Target::sqlite(&data.path().join("data"));
    let server = Server::start_with(&target, &["--model", &model]).await;
    // The bundle's embeddings are read, not computed.
    assert_eq!(metric(&server, "kpimatch_embeddings_computed").await, 0.0);
    assert!(metric(&server, "kpimatch_embeddings_reused").await >= 300.0);

    // A solution whose words a planner's paraphrase does not share.
    let res = server
        .client
        .put(format!("{}/v1/solutions/semantic-speed-cameras", server.address))
        .json(&json!({
            "title": "Average-speed enforcement for urban arterials",
            "summary": "Section cameras keep drivers at the limit, cutting fatal crashes and serious injuries.",
            "description": "Fewer collisions, fewer traffic deaths: enforcement that motorists respect.",
            "categories": ["Transport"]
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 201);
    assert_eq!(metric(&server, "kpimatch_embeddings_computed").await, 1.0);

    let ask = |profile: &str| json!({"needs": "stop people dying on our roads", "limit": 50, "profile": profile});
    let semantic = matched(&server, ask("default")).await;
    let lexical = matched(&server, ask("lexical")).await;
    let (with, without) = (
        rank_of(&semantic, "semantic-speed-cameras"),
        rank_of(&lexical, "semantic-speed-cameras"),
    );
    assert!(
        with.is_some_and(|w| without.is_none_or(|wo| w < wo)),
        "meaning should lift it: rank {with:?} with the semantic stage, {without:?} without"
    );
    for r in semantic["results"].as_array().unwrap() {
        let e = &r["explanation"];
        let sum = ["text", "kpi", "evidence", "dense"]
            .iter()
            .map(|k| e[k].as_f64().unwrap())
            .sum::<f64>()
            - e["diversity_penalty"].as_f64().unwrap();
        assert!(
            (sum - r["score"].as_f64().unwrap()).abs() < 1e-4,
            "parts add up to the score"
        );
        // An English question is compared in meaning with every English solution; solutions
        // in languages the model does not read have no embedding.
        assert_eq!(e["dense_cosine"].is_number(), r["lang"] == "en", "{}", r["solution_id"]);
    }
    // A language the model does not read: no dense part, the lexical ranking.
    let spanish = matched(&server, json!({"needs": "detener las muertes en nuestras carreteras"})).await;
    for r in spanish["results"].as_array().unwrap() {
        assert_eq!(r["explanation"]["dense"], 0.0);
        assert!(r["explanation"]["dense_cosine"].is_null());
    }

    // Restart after SIGKILL: the stored embeddings answer, none is computed, same ranking.
    server.kill_9();
    let server = Server::start_with(&target, &["--model", &model]).await;
    assert_eq!(metric(&server, "kpimatch_embeddings_computed").await, 0.0);
    let again = matched(&server, ask("default")).await;
    assert_eq!(rank_of(&again, "semantic-speed-cameras"), with);
}

#[tokio::test]
async fn without_the_model_ranking_is_lexical_with_one_warning() {
    let data = tempfile::tempdir().unwrap();
    let target = Target::sqlite(&data.path().join("data"));
    let missing = data.path().join("no-model-here");
    let server = Server::start_with(&target, &["--model", missing.to_str().unwrap()]).await;
    let body = matched(&server, json!({"needs": "stop people dying on our roads"})).await;
    assert!(!body["results"].as_array().unwrap().is_empty());
    for r in body["results"].as_array().unwrap() {
        assert_eq!(r["explanation"]["dense"], 0.0);
        assert!(r["explanation"]["dense_cosine"].is_null());
    }
    let lexical = matched(
        &server,
        json!({"needs": "stop people dying on our roads", "profile": "lexical"}),
    )
    .await;
    assert_eq!(crate::process::scored(&body), crate::process::scored(&lexical));
    let port = server.address.rsplit(':').next().unwrap().to_owned();
    let log = std::fs::read_to_string(target.data_dir.with_extension(format!("{port}.log"))).unwrap();
    assert_eq!(log.matches("semantic stage off").count(), 1, "{log}");
}
