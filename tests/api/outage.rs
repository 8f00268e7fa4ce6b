//! The database goes away mid-run: reads keep being served from the replica's own index,
//! writes fail with 503 `storage_unavailable` and `Retry-After` (not acknowledged, not lost),
//! and service resumes by itself when the database is back.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::pg::TestDatabase;
use crate::process::{Server, Target};

async fn put(server: &Server, id: &str) -> reqwest::Response {
    server
        .client
        .put(format!("{}/v1/solutions/{id}", server.address))
        .json(&json!({"title": format!("Outage-proof valve {id}"), "summary": "Pressure valves for water mains."}))
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_survive_a_database_outage_and_writes_resume_after_it() {
    // Arrange
    let db = TestDatabase::create();
    let dirs = tempfile::tempdir().unwrap();
    let server = Server::start(&Target::postgres(&dirs.path().join("a"), &db.url)).await;
    assert_eq!(put(&server, "before").await.status().as_u16(), 201);
    let request = json!({"needs": "pressure valves water mains", "limit": 5, "explain": false});
    let before = server.ranking(&request).await;

    // Act: the database refuses connections and drops the open ones.
    db.set_available(false);

    // Assert: reads are served from the index; a write is refused, clearly.
    assert_eq!(server.ranking(&request).await, before);
    assert_eq!(server.get("/v1/solutions/before").await.status().as_u16(), 200);
    assert_eq!(server.get("/readyz").await.status().as_u16(), 200);
    let refused = put(&server, "during").await;
    assert_eq!(refused.status().as_u16(), 503);
    assert!(refused.headers().contains_key("retry-after"));
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["code"], "storage_unavailable");
    assert_eq!(
        server.get("/v1/solutions/during").await.status().as_u16(),
        404,
        "not acknowledged, not applied"
    );

    // Act: the database is back.
    db.set_available(true);

    // Assert: writes succeed again without a restart.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let status = put(&server, "after").await.status().as_u16();
        if status == 201 {
            break;
        }
        assert_eq!(status, 503, "only 503 while reconnecting");
        assert!(Instant::now() < deadline, "writes did not resume");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(server.get("/v1/solutions/after").await.status().as_u16(), 200);
}
