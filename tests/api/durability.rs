//! Acknowledged writes survive `kill -9`: the real `kpimatch serve` binary is started on a data
//! directory, killed with SIGKILL, restarted on the same directory, and every write it
//! acknowledged must still be there.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::helpers::{json_ok, result_ids};
use crate::process::{Server, Target};

fn durable_solution(i: usize) -> Value {
    json!({
        "title": format!("Durable Quillwort Sensor {i}"),
        "summary": "Quillwort sensors watch the reservoir for algae blooms.",
        "description": format!("Unit {i} of the quillwort fleet."),
        "categories": ["Environment"],
        "kpis": [{"code": "EN:EN:WS:1C", "impact": 0.5}]
    })
}

/// Asserts every id is stored with its title, after a restart.
async fn assert_all_present(server: &Server, acknowledged: &[(String, usize)]) {
    for (id, i) in acknowledged {
        let res = server.get(&format!("/v1/solutions/{id}")).await;
        assert_eq!(res.status().as_u16(), 200, "acknowledged write {id} was lost");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["title"], format!("Durable Quillwort Sensor {i}"));
    }
}

#[tokio::test]
async fn acknowledged_writes_survive_kill_9() {
    // Arrange
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().join("data");
    let server = Server::start(&Target::sqlite(&dir)).await;
    let mut writes = tokio::task::JoinSet::new();
    for i in 0..50 {
        let (client, address) = (server.client.clone(), server.address.clone());
        writes.spawn(async move {
            let id = format!("durable-{i}");
            let res = client
                .put(format!("{address}/v1/solutions/{id}"))
                .json(&durable_solution(i))
                .send()
                .await
                .expect("PUT sent");
            assert_eq!(res.status().as_u16(), 201, "PUT {id}");
            (id, i)
        });
    }
    let acknowledged: Vec<(String, usize)> = writes.join_all().await;
    assert_eq!(acknowledged.len(), 50);

    // Act
    server.kill_9();
    let server = Server::start(&Target::sqlite(&dir)).await;

    // Assert
    assert_all_present(&server, &acknowledged).await;
    let ready = json_ok(server.get("/readyz").await).await;
    assert_eq!(ready["solutions"], 354 + 50, "no reseeding, nothing lost: {ready}");
    let res = server
        .client
        .post(format!("{}/v1/match", server.address))
        .json(&json!({"needs": "quillwort", "limit": 50}))
        .send()
        .await
        .unwrap();
    let found = result_ids(&json_ok(res).await);
    assert!(
        found.iter().filter(|id| id.starts_with("durable-")).count() >= 10,
        "the restarted index finds the written solutions: {found:?}"
    );
}

#[tokio::test]
async fn acknowledged_writes_survive_kill_9_during_a_write_loop() {
    // Arrange
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().join("data");
    let server = Server::start(&Target::sqlite(&dir)).await;
    let acknowledged: Arc<Mutex<Vec<(String, usize)>>> = Arc::default();
    let writer = {
        let acknowledged = Arc::clone(&acknowledged);
        let client = server.client.clone();
        let address = server.address.clone();
        tokio::spawn(async move {
            for i in 0.. {
                let id = format!("loop-{i}");
                let res = client
                    .put(format!("{address}/v1/solutions/{id}"))
                    .json(&durable_solution(i))
                    .send()
                    .await;
                match res {
                    Ok(r) if r.status().is_success() => acknowledged.lock().unwrap().push((id, i)),
                    Ok(r) => panic!("PUT {id} failed while the server was up: {}", r.status()),
                    Err(_) => return i,
                }
            }
            unreachable!()
        })
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while acknowledged.lock().unwrap().len() < 20 {
        assert!(Instant::now() < deadline, "the writer made no progress");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    // Act
    server.kill_9();
    let attempted = tokio::time::timeout(Duration::from_secs(30), writer)
        .await
        .expect("the writer notices the kill")
        .expect("the writer did not panic");
    let acknowledged = acknowledged.lock().unwrap().clone();
    let server = Server::start(&Target::sqlite(&dir)).await;

    // Assert
    assert!(acknowledged.len() >= 20);
    assert!(attempted >= acknowledged.len());
    assert_all_present(&server, &acknowledged).await;
    let ready = json_ok(server.get("/readyz").await).await;
    let stored = ready["solutions"].as_u64().unwrap() as usize - 354;
    assert!(
        stored == acknowledged.len() || stored == acknowledged.len() + 1,
        "{stored} stored, {} acknowledged (at most the one in flight may also be there)",
        acknowledged.len()
    );
}
