//! Several replicas on one PostgreSQL database, as real processes: writes through one appear in
//! matches on the other; a replica restarted while writes continue catches up before it says
//! it is ready, and serves nothing stale once it does.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::pg::TestDatabase;
use crate::process::{Server, Target};

fn solution(i: usize) -> serde_json::Value {
    json!({
        "title": format!("Replicated glimmerquartz beacon zq{i}x"),
        "summary": "Glimmerquartz beacons guide pedestrians at night.",
        "categories": ["Transport"],
    })
}

/// `KPIMATCH_LAG_WRITES` sets the number of writes measured (default 1,000).
fn lag_writes() -> usize {
    std::env::var("KPIMATCH_LAG_WRITES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_through_one_replica_appears_in_matches_on_the_other() {
    // Arrange: two replicas, each with its own index directory, on one database.
    let db = TestDatabase::create();
    let dirs = tempfile::tempdir().unwrap();
    let a = Server::start(&Target::postgres(&dirs.path().join("a"), &db.url)).await;
    let b = Server::start(&Target::postgres(&dirs.path().join("b"), &db.url)).await;
    let n = lag_writes();
    let mut lags = Vec::with_capacity(n);

    for i in 0..n {
        // Act: write through A.
        let id = format!("beacon-{i}");
        let res = a
            .client
            .put(format!("{}/v1/solutions/{id}", a.address))
            .json(&solution(i))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 201, "PUT {id} through A");
        let acknowledged = Instant::now();

        // Assert: it shows up in B's matches for its unique word.
        loop {
            let body: serde_json::Value = b
                .post(
                    "/v1/match",
                    &json!({"needs": format!("zq{i}x"), "limit": 1, "explain": false}),
                )
                .await
                .json()
                .await
                .unwrap();
            if body["results"][0]["solution_id"] == id.as_str() {
                break;
            }
            assert!(
                acknowledged.elapsed() < Duration::from_secs(10),
                "write {i} never reached replica B"
            );
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        lags.push(acknowledged.elapsed());
    }
    eprintln!(
        "first lags: {:?}",
        lags.iter().take(5).map(|d| d.as_millis()).collect::<Vec<_>>()
    );
    lags.sort();
    let median = lags[lags.len() / 2];
    let p99 = lags[(lags.len() * 99 / 100).min(lags.len() - 1)];
    let worst = *lags.last().unwrap();
    eprintln!(
        "replication lag over {n} writes (A → matches on B): median {:.1} ms, p99 {:.1} ms, worst {:.1} ms",
        median.as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3,
        worst.as_secs_f64() * 1e3
    );
    assert!(p99 < Duration::from_secs(1), "p99 lag {p99:?} is over 1 s");
    assert_eq!(b.solution_count().await, a.solution_count().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_restarted_during_writes_catches_up_before_it_is_ready() {
    // Arrange: A takes a continuous stream of writes; B follows.
    let db = TestDatabase::create();
    let dirs = tempfile::tempdir().unwrap();
    let a = Server::start(&Target::postgres(&dirs.path().join("a"), &db.url)).await;
    let b_target = Target::postgres(&dirs.path().join("b"), &db.url);
    let b = Server::start(&b_target).await;
    let acknowledged: Arc<Mutex<Vec<String>>> = Arc::default();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (client, address) = (a.client.clone(), a.address.clone());
        let (acknowledged, stop) = (Arc::clone(&acknowledged), Arc::clone(&stop));
        tokio::spawn(async move {
            let mut i = 0;
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                let id = format!("stream-{i}");
                let res = client
                    .put(format!("{address}/v1/solutions/{id}"))
                    .json(&solution(100_000 + i))
                    .send()
                    .await
                    .unwrap();
                assert!(res.status().is_success(), "PUT {id}: {}", res.status());
                acknowledged.lock().unwrap().push(id);
                i += 1;
            }
        })
    };
    tokio::time::sleep(Duration::from_millis(500)).await;

    // Act: kill B, let writes pile up, restart it.
    b.kill_9();
    tokio::time::sleep(Duration::from_millis(700)).await;
    let before_restart: Vec<String> = acknowledged.lock().unwrap().clone();
    let mut b = Server::spawn(&b_target, &[]);
    let mut refused_while_loading = 0;
    loop {
        if b.is_ready().await {
            break;
        }
        if let Ok(r) = b.client.get(format!("{}/v1/solutions?limit=1", b.address)).send().await {
            if r.status().as_u16() == 503 {
                refused_while_loading += 1;
            } else {
                // It may have become ready since the check above; readiness, once reached,
                // stays, so an answer that is not a 503 must come from a ready replica.
                assert_eq!(r.status().as_u16(), 200, "unexpected answer while loading");
                assert!(b.is_ready().await, "a replica that is not ready served a read");
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    b.wait_ready().await;

    // Assert: once ready, every write acknowledged before the restart is there.
    for id in &before_restart {
        let res = b.get(&format!("/v1/solutions/{id}")).await;
        assert_eq!(
            res.status().as_u16(),
            200,
            "stale: {id} was acknowledged before B restarted"
        );
    }
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    writer.await.unwrap();
    let all = acknowledged.lock().unwrap().clone();
    let deadline = Instant::now() + Duration::from_secs(10);
    while b.solution_count().await != a.solution_count().await {
        assert!(Instant::now() < deadline, "B did not catch up with A");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    eprintln!(
        "replica restart: {} writes acknowledged before the restart, {} in all; {} requests refused while loading",
        before_restart.len(),
        all.len(),
        refused_while_loading
    );
    assert!(before_restart.len() >= 5, "the writer made progress");
}
