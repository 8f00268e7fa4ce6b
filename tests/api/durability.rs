//! Acknowledged writes survive `kill -9`: the real `kpimatch serve` binary is started on a data
//! directory, killed with SIGKILL, restarted on the same directory, and every write it
//! acknowledged must still be there.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::helpers::{bundle_dir, client, json_ok, result_ids};

/// A running `kpimatch serve`; killed (SIGKILL) when dropped.
struct Server {
    child: Child,
    address: String,
    client: reqwest::Client,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Starts the binary on a free port and waits until `/readyz` answers 200.
    async fn start(data_dir: &Path) -> Server {
        let port = free_port();
        let log = std::fs::File::create(data_dir.with_extension(format!("{port}.log"))).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_kpimatch"))
            .arg("--bundle")
            .arg(bundle_dir())
            .args(["serve", "--bind", &format!("127.0.0.1:{port}"), "--http-workers", "2"])
            .arg("--data-dir")
            .arg(data_dir)
            .env_remove("KPIMATCH_CONFIG")
            .env_remove("KPIMATCH_NO_SEED")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("kpimatch starts");
        let mut server = Server {
            child,
            address: format!("http://127.0.0.1:{port}"),
            client: client(),
        };
        server.wait_ready().await;
        server
    }

    async fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("kpimatch exited before it was ready: {status}");
            }
            if let Ok(r) = self.client.get(format!("{}/readyz", self.address)).send().await {
                if r.status().is_success() {
                    return;
                }
            }
            assert!(Instant::now() < deadline, "kpimatch was not ready within 30 s");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// SIGKILL, no chance to flush or shut down.
    fn kill_9(mut self) {
        self.child.kill().expect("SIGKILL sent");
        self.child.wait().expect("the process is reaped");
    }

    async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{}", self.address, path))
            .send()
            .await
            .expect("GET sent")
    }
}

/// A port that was free a moment ago.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

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
    let server = Server::start(&dir).await;
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
    let server = Server::start(&dir).await;

    // Assert
    assert_all_present(&server, &acknowledged).await;
    let ready = json_ok(server.get("/readyz").await).await;
    assert_eq!(ready["solutions"], 310 + 50, "no reseeding, nothing lost: {ready}");
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
    let server = Server::start(&dir).await;
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
    let server = Server::start(&dir).await;

    // Assert
    assert!(acknowledged.len() >= 20);
    assert!(attempted >= acknowledged.len());
    assert_all_present(&server, &acknowledged).await;
    let ready = json_ok(server.get("/readyz").await).await;
    let stored = ready["solutions"].as_u64().unwrap() as usize - 310;
    assert!(
        stored == acknowledged.len() || stored == acknowledged.len() + 1,
        "{stored} stored, {} acknowledged (at most the one in flight may also be there)",
        acknowledged.len()
    );
}
