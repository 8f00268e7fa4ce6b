//! One storage contract, run against both backends: SQLite in a temporary directory and a
//! PostgreSQL database of the test's own.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use kpimatch_engine::city::City;
use kpimatch_engine::solution::Solution;
use kpimatch_server::storage::{PostgresStore, SqliteStore, Store, StoreError, Written};

use crate::pg::TestDatabase;

type Open<'a> = &'a (dyn Fn() -> Result<Box<dyn Store>, StoreError> + Sync);

fn solution(id: &str, title: &str) -> Solution {
    serde_json::from_value(serde_json::json!({"id": id, "title": title})).unwrap()
}

fn city(id: &str) -> City {
    serde_json::from_value(serde_json::json!({"id": id, "name": id, "observations": []})).unwrap()
}

fn both(contract: impl Fn(Open<'_>)) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_path_buf();
    contract(&move || Ok(Box::new(SqliteStore::open(&path)?) as Box<dyn Store>));
    let db = TestDatabase::create();
    let url = db.url.clone();
    contract(&move || Ok(Box::new(PostgresStore::connect(&url, 4)?) as Box<dyn Store>));
}

#[test]
fn writes_are_numbered_in_the_change_log_and_replayable() {
    both(|open| {
        let s = open().unwrap();
        let backend = s.backend();
        assert_eq!(s.head().unwrap(), 0, "{backend}");
        let w = s.put_solutions(&[solution("a", "A"), solution("b", "B")]).unwrap();
        assert_eq!(w.value, [Written::Created, Written::Created], "{backend}");
        assert_eq!((w.first, w.last), (1, 2), "{backend}");
        let w = s
            .put_solutions(&[solution("a", "A2"), solution("c", "C"), solution("c", "C2")])
            .unwrap();
        assert_eq!(
            w.value,
            [Written::Replaced, Written::Created, Written::Replaced],
            "{backend}"
        );
        assert_eq!((w.first, w.last), (3, 5), "{backend}");
        assert_eq!(s.delete_solution("b").unwrap(), Some(6), "{backend}");
        assert_eq!(s.delete_solution("b").unwrap(), None, "{backend}: absent");
        assert_eq!(s.put_city(&city("x")).unwrap().last, 7, "{backend}");
        assert_eq!(s.delete_city("x").unwrap(), Some(8), "{backend}");
        assert_eq!(s.delete_city("x").unwrap(), None, "{backend}");
        assert_eq!(s.head().unwrap(), 8, "{backend}: a refused delete takes no number");

        let snap = s.snapshot(Some(2)).unwrap();
        let ids: Vec<&str> = snap.solutions.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, ["a", "c"], "{backend}: first-write order");
        assert_eq!(snap.solutions[1].title, "C2", "{backend}: last write of a batch wins");
        assert_eq!(snap.head, 8);
        let changed: Vec<String> = snap.changed_since.unwrap().into_iter().map(|(_, id)| id).collect();
        assert_eq!(changed, ["a", "b", "c", "x"], "{backend}");
        assert!(
            s.snapshot(Some(99)).unwrap().changed_since.is_none(),
            "{backend}: index ahead"
        );

        let tail = s.changes_since(2, 100).unwrap();
        assert_eq!((tail.from, tail.to), (2, 8), "{backend}");
        let written: Vec<&str> = tail.solutions.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(written, ["a", "c"], "{backend}");
        assert_eq!(tail.deleted_solutions, ["b"], "{backend}");
        assert_eq!(tail.deleted_cities, ["x"], "{backend}");
        // The log keeps each record's latest change only: a 1, b 2, a 3, c 4, c 5, b 6, x 7, x 8
        // compact to a 3, c 5, b 6, x 8.
        let page = s.changes_since(0, 3).unwrap();
        assert_eq!((page.from, page.to), (0, 6), "{backend}: limited");
        let ids: Vec<&str> = page.solutions.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(
            (ids, page.deleted_solutions),
            (vec!["a", "c"], vec!["b".to_string()]),
            "{backend}"
        );
        let rest = s.changes_since(6, 3).unwrap();
        assert_eq!(
            (rest.from, rest.to, rest.deleted_cities),
            (6, 8, vec!["x".to_string()]),
            "{backend}"
        );
        assert!(s.changes_since(8, 10).unwrap().is_empty(), "{backend}");
    });
}

#[test]
fn migrations_are_idempotent_seeding_happens_once_and_identity_is_stable() {
    both(|open| {
        let s = open().unwrap();
        let id = s.database_id().to_string();
        assert!(s.seed_if_empty(&[solution("a", "A")], &[city("x")]).unwrap());
        assert!(!s.seed_if_empty(&[solution("z", "Z")], &[]).unwrap());
        drop(s);
        let s = open().unwrap();
        assert_eq!(s.database_id(), id, "{}", s.backend());
        assert_eq!(s.head().unwrap(), 2);
        let snap = s.snapshot(None).unwrap();
        assert_eq!(snap.solutions.len(), 1);
        assert_eq!(snap.cities.len(), 1);
        s.put_feedback(&serde_json::json!({"kind": "click"})).unwrap();
        assert_eq!(s.feedback().unwrap().len(), 1);
    });
}

#[test]
fn a_schema_newer_than_the_binary_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    drop(SqliteStore::open(dir.path()).unwrap());
    let c = rusqlite_connection(dir.path());
    c.pragma_update(None, "user_version", 99).unwrap();
    drop(c);
    assert!(matches!(
        SqliteStore::open(dir.path()),
        Err(StoreError::SchemaTooNew { found: 99, .. })
    ));

    let db = TestDatabase::create();
    drop(PostgresStore::connect(&db.url, 1).unwrap());
    db.execute("UPDATE kpimatch_schema SET version = 99");
    assert!(matches!(
        PostgresStore::connect(&db.url, 1),
        Err(StoreError::SchemaTooNew { found: 99, .. })
    ));
}

/// Solutions written before `provider_type` existed are companies after the migration that
/// added it, on both backends: the stored record says so (not only the reader's default), and
/// a record that already states a type keeps it.
#[test]
fn solutions_written_before_provider_types_become_companies() {
    use kpimatch_engine::solution::ProviderType;
    let old = r#"{"id":"old","title":"Written by an older kpimatch"}"#;
    let typed = r#"{"id":"typed","title":"A city's own tool","provider_type":"city"}"#;

    let dir = tempfile::tempdir().unwrap();
    drop(SqliteStore::open(dir.path()).unwrap());
    let c = rusqlite_connection(dir.path());
    c.pragma_update(None, "user_version", 4).unwrap();
    for (id, body) in [("old", old), ("typed", typed)] {
        c.execute("INSERT INTO solutions (id, body) VALUES (?1, ?2)", [id, body])
            .unwrap();
    }
    drop(c);
    let s = SqliteStore::open(dir.path()).unwrap();
    let c = rusqlite_connection(dir.path());
    let raw: String = c
        .query_row("SELECT body FROM solutions WHERE id = 'old'", [], |r| r.get(0))
        .unwrap();
    assert!(raw.contains(r#""provider_type":"company""#), "sqlite: {raw}");
    let types = |s: &dyn Store| -> Vec<(String, ProviderType)> {
        s.snapshot(None)
            .unwrap()
            .solutions
            .into_iter()
            .map(|x| (x.id.clone(), x.provider_type))
            .collect()
    };
    let want = vec![
        ("old".to_string(), ProviderType::Company),
        ("typed".to_string(), ProviderType::City),
    ];
    assert_eq!(types(&s), want, "sqlite");

    let db = TestDatabase::create();
    drop(PostgresStore::connect(&db.url, 1).unwrap());
    db.execute("UPDATE kpimatch_schema SET version = 2");
    for (id, body) in [("old", old), ("typed", typed)] {
        let body = body.replace('\'', "''");
        db.execute(&format!(
            "INSERT INTO solutions (id, body) VALUES ('{id}', '{body}'::jsonb)"
        ));
    }
    let s = PostgresStore::connect(&db.url, 1).unwrap();
    assert_eq!(types(&s), want, "postgres");
    let mut client = postgres::Client::connect(&db.url, postgres::NoTls).unwrap();
    let raw: String = client
        .query_one("SELECT body::text FROM solutions WHERE id = 'old'", &[])
        .unwrap()
        .get(0);
    assert!(raw.contains(r#""provider_type": "company""#), "postgres: {raw}");
}

fn rusqlite_connection(dir: &std::path::Path) -> rusqlite::Connection {
    rusqlite::Connection::open(dir.join(SqliteStore::FILE)).unwrap()
}

/// Four writers commit concurrently while a reader follows the log as a replica does: it must
/// see every write, because a sequence number becomes visible only after all smaller ones.
#[test]
fn a_reader_following_the_log_never_skips_a_concurrent_write() {
    both(|open| {
        let store: Arc<dyn Store> = Arc::from(open().unwrap());
        let done = Arc::new(AtomicBool::new(false));
        let mut written = HashSet::new();
        let seen = std::thread::scope(|scope| {
            let reader = {
                let (store, done) = (Arc::clone(&store), Arc::clone(&done));
                scope.spawn(move || {
                    let mut seen = HashSet::new();
                    let mut applied = 0;
                    loop {
                        let finished = done.load(Ordering::SeqCst);
                        let cs = store.changes_since(applied, 7).unwrap();
                        assert_eq!(cs.from, applied);
                        seen.extend(cs.solutions.iter().map(|s| s.id.clone()));
                        applied = cs.to;
                        if finished && cs.is_empty() {
                            return seen;
                        }
                    }
                })
            };
            let writers: Vec<_> = (0..4)
                .map(|w| {
                    let store = Arc::clone(&store);
                    scope.spawn(move || {
                        (0..60)
                            .map(|i| {
                                let id = format!("w{w}-{i}");
                                store.put_solutions(&[solution(&id, "T")]).unwrap();
                                id
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            for w in writers {
                written.extend(w.join().unwrap());
            }
            done.store(true, Ordering::SeqCst);
            reader.join().unwrap()
        });
        assert_eq!(written.len(), 240);
        assert_eq!(seen, written, "{}: the reader missed a write", store.backend());
        assert_eq!(store.head().unwrap(), 240);
    });
}
