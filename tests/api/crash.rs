//! Crash during ingest, for both backends: four concurrent writers bulk-load solutions while
//! the real binary is killed with SIGKILL at random moments (sometimes while it is still
//! replaying its index at start). After every restart: every acknowledged write is present,
//! nothing is duplicated, the index opens, and — every few cycles — matches agree with a fresh
//! in-memory rebuild from the database.
//!
//! `KPIMATCH_CRASH_CYCLES` sets the number of cycles per backend (default 50, what CI runs).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::{Rng, SeedableRng};
use serde_json::{json, Value};

use crate::pg::TestDatabase;
use crate::process::{fresh_ranking, Server, Target};

const WRITERS: usize = 4;
const BATCH: usize = 8;
const SEEDED: u64 = 354;

fn cycles() -> usize {
    std::env::var("KPIMATCH_CRASH_CYCLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50)
}

fn batch(cycle: usize, writer: usize, n: usize) -> (Vec<String>, Value) {
    let ids: Vec<String> = (0..BATCH).map(|k| format!("c{cycle}-w{writer}-b{n}-{k}")).collect();
    let items: Vec<Value> = ids
        .iter()
        .enumerate()
        .map(|(k, id)| {
            json!({
                "id": id,
                "title": format!("Crashproof cistern monitor {id}"),
                "summary": "Cistern level telemetry for drought planning; detects leaks in storage tanks.",
                "tags": [format!("lot{}", (cycle + k) % 7)],
                "categories": ["Water and Sanitation"],
            })
        })
        .collect();
    (ids, Value::Array(items))
}

/// What the writers of one cycle did: batches acknowledged, and the batches in flight when
/// the server died (which may or may not have committed — but never half).
#[derive(Default)]
struct Ledger {
    acknowledged: Vec<Vec<String>>,
    in_flight: Vec<Vec<String>>,
}

async fn write_until_killed(server: &Server, cycle: usize, ledger: Arc<Mutex<Ledger>>) -> tokio::task::JoinSet<()> {
    let mut writers = tokio::task::JoinSet::new();
    for w in 0..WRITERS {
        let (client, address, ledger) = (server.client.clone(), server.address.clone(), Arc::clone(&ledger));
        writers.spawn(async move {
            for n in 0.. {
                let (ids, body) = batch(cycle, w, n);
                ledger.lock().unwrap().in_flight.push(ids.clone());
                let res = client
                    .post(format!("{address}/v1/solutions/bulk"))
                    .json(&body)
                    .send()
                    .await;
                match res {
                    Ok(r) if r.status().is_success() => {
                        let mut l = ledger.lock().unwrap();
                        l.in_flight.retain(|b| b != &ids);
                        l.acknowledged.push(ids);
                    }
                    Ok(r) if r.status().as_u16() == 503 => {} // not ready yet: retried below
                    Ok(r) => panic!("bulk write failed while the server was up: {}", r.status()),
                    Err(_) => return, // the server died; this batch stays in flight
                }
                if n > 10_000 {
                    return;
                }
            }
        });
    }
    writers
}

async fn crash_cycles(target: Target, seed: u64) {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut server = Server::start(&target).await;
    let mut expected: u64 = SEEDED;
    let mut acknowledged_total = 0usize;
    let mut in_flight_committed = 0usize;
    let n = cycles();
    for cycle in 0..n {
        // Arrange: writers running against the server.
        let ledger = Arc::new(Mutex::new(Ledger::default()));
        let writers = write_until_killed(&server, cycle, Arc::clone(&ledger)).await;
        tokio::time::sleep(Duration::from_millis(rng.random_range(50..400))).await;

        // Act: SIGKILL mid-ingest; every fifth cycle also kill the restart while it replays.
        server.kill_9();
        writers.join_all().await;
        if cycle % 5 == 4 {
            let early = Server::spawn(&target, &[]);
            tokio::time::sleep(Duration::from_millis(rng.random_range(5..150))).await;
            early.kill_9();
        }
        server = Server::start(&target).await;

        // Assert: acknowledged batches are whole, in-flight ones whole or absent.
        let ledger = std::mem::take(&mut *ledger.lock().unwrap());
        for ids in &ledger.acknowledged {
            for id in ids {
                let res = server.get(&format!("/v1/solutions/{id}")).await;
                assert_eq!(res.status().as_u16(), 200, "cycle {cycle}: acknowledged {id} was lost");
            }
        }
        let mut committed = 0;
        for ids in &ledger.in_flight {
            let mut present = Vec::new();
            for id in ids {
                present.push(server.get(&format!("/v1/solutions/{id}")).await.status().as_u16() == 200);
            }
            assert!(
                present.iter().all(|&p| p) || present.iter().all(|&p| !p),
                "cycle {cycle}: a batch was half written: {ids:?} {present:?}"
            );
            committed += usize::from(present[0]);
        }
        let added = (ledger.acknowledged.len() + committed) * BATCH;
        expected += added as u64;
        acknowledged_total += ledger.acknowledged.len() * BATCH;
        in_flight_committed += committed * BATCH;
        assert_eq!(
            server.solution_count().await,
            expected,
            "cycle {cycle}: nothing lost, nothing duplicated, nothing extra"
        );
        // The index holds each solution once: a query matching them all returns distinct ids
        // and as many as the store has of this cycle's.
        let body: Value = server
            .get(&format!("/v1/search?q=c{cycle}&limit=100"))
            .await
            .json()
            .await
            .unwrap_or(Value::Null);
        if let Some(results) = body["results"].as_array() {
            let ids: Vec<&str> = results.iter().filter_map(|r| r["solution_id"].as_str()).collect();
            let distinct: std::collections::HashSet<&&str> = ids.iter().collect();
            assert_eq!(distinct.len(), ids.len(), "cycle {cycle}: duplicated documents");
        }
        if cycle % 10 == 9 || cycle + 1 == n {
            assert_matches_agree_with_a_rebuild(&server, &target, cycle).await;
        }
    }
    eprintln!(
        "{} crash cycles on {}: {} solutions acknowledged, {} more committed in flight, {} stored",
        n,
        if target.database_url.is_some() {
            "postgres"
        } else {
            "sqlite"
        },
        acknowledged_total,
        in_flight_committed,
        expected
    );
}

async fn assert_matches_agree_with_a_rebuild(server: &Server, target: &Target, cycle: usize) {
    let cities: Value = server.get("/v1/cities?limit=3").await.json().await.unwrap();
    let ids: Vec<String> = cities["items"]
        .as_array()
        .expect("a city page")
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_string())
        .collect();
    let mut compared = BTreeMap::new();
    for city in &ids {
        for needs in ["", "cistern leaks drought"] {
            let live = server
                .ranking(&json!({"city_id": city, "needs": needs, "limit": 10, "explain": false}))
                .await;
            let target = target.clone();
            let (c, nd) = (city.clone(), needs.to_string());
            let fresh = tokio::task::spawn_blocking(move || fresh_ranking(&target, &c, &nd, 10))
                .await
                .unwrap();
            if let Err(e) = kpimatch_engine::rankings_agree(&live, &fresh, 1e-3) {
                panic!(
                    "cycle {cycle}, city {city}, needs {needs:?}: the restarted replica disagrees with a rebuild: {e}"
                );
            }
            compared.insert((city.clone(), needs), live.len());
        }
    }
    assert!(!compared.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_crash_cycles_lose_nothing_acknowledged() {
    let data = tempfile::tempdir().unwrap();
    crash_cycles(Target::sqlite(&data.path().join("data")), 7).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_crash_cycles_lose_nothing_acknowledged() {
    let db = TestDatabase::create();
    let data = tempfile::tempdir().unwrap();
    crash_cycles(Target::postgres(&data.path().join("replica"), &db.url), 11).await;
}
