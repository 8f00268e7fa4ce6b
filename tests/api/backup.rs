//! Backup and restore drill, for both backends: back up while serving, destroy the database,
//! restore, start again (the index is rebuilt for the new database), same matches.

use serde_json::json;

use crate::pg::TestDatabase;
use crate::process::{Server, Target};

async fn rankings(server: &Server) -> Vec<Vec<(String, f32)>> {
    let mut out = Vec::new();
    for needs in ["water leaks", "air quality monitoring"] {
        out.push(
            server
                .ranking(&json!({"needs": needs, "limit": 15, "explain": false}))
                .await,
        );
    }
    let cities: serde_json::Value = server.get("/v1/cities?limit=4").await.json().await.unwrap();
    for c in cities["items"].as_array().unwrap() {
        out.push(
            server
                .ranking(&json!({"city_id": c["id"], "limit": 15, "explain": false}))
                .await,
        );
    }
    out
}

async fn drill(target: Target, destroy: impl FnOnce()) {
    // Arrange: a served database with writes of its own.
    let server = Server::start(&target).await;
    for i in 0..20 {
        let res = server
            .client
            .put(format!("{}/v1/solutions/drill-{i}", server.address))
            .json(&json!({"title": format!("Drill pump {i}"), "summary": "Pumps that report water leaks."}))
            .send()
            .await
            .unwrap();
        assert!(res.status().is_success());
    }
    let res = server
        .client
        .post(format!("{}/v1/feedback", server.address))
        .json(&json!({"kind": "click", "solution_id": "drill-3", "needs": "water leaks"}))
        .send()
        .await
        .unwrap();
    let feedback_ok = res.status().is_success();
    let before = rankings(&server).await;
    let count = server.solution_count().await;
    let file = target.data_dir.with_extension("backup.jsonl");

    // Act: back up while serving, stop, destroy, restore, start.
    let file_arg = file.to_str().unwrap();
    let out = target.command(&["backup", "--out", file_arg]).output().unwrap();
    assert!(out.status.success(), "backup: {}", String::from_utf8_lossy(&out.stderr));
    server.kill_9();
    destroy();
    let restored = target.command(&["restore", "--from", file_arg]).output().unwrap();
    assert!(
        restored.status.success(),
        "restore: {}",
        String::from_utf8_lossy(&restored.stderr)
    );
    let again = target.command(&["restore", "--from", file_arg]).output().unwrap();
    assert!(
        !again.status.success(),
        "a second restore into a non-empty database is refused"
    );
    assert!(String::from_utf8_lossy(&again.stderr).contains("not empty"));
    let server = Server::start_with(&target, &["--no-seed"]).await;

    // Assert
    assert_eq!(server.solution_count().await, count);
    let after = rankings(&server).await;
    assert_eq!(before.len(), after.len());
    for (b, a) in before.iter().zip(&after) {
        if let Err(e) = kpimatch_engine::rankings_agree(b, a, 1e-3) {
            panic!("the restored service ranks differently: {e}");
        }
    }
    if feedback_ok {
        let lines = std::fs::read_to_string(&file).unwrap();
        assert!(
            lines.lines().any(|l| l.starts_with("{\"feedback\"")),
            "feedback is backed up"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_backup_destroy_restore_gives_the_same_matches() {
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().join("data");
    let target = Target::sqlite(&dir);
    drill(target, || std::fs::remove_dir_all(&dir).unwrap()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_backup_destroy_restore_gives_the_same_matches() {
    let db = TestDatabase::create();
    let data = tempfile::tempdir().unwrap();
    let target = Target::postgres(&data.path().join("replica"), &db.url);
    drill(target, || db.destroy_and_recreate()).await;
}
