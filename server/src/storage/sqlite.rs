use std::path::Path;
use std::sync::Mutex;

use kpimatch_engine::city::City;
use kpimatch_engine::solution::Solution;
use rusqlite::{params, Connection, OptionalExtension, Transaction};

use super::{
    assemble_changes, changed_since, decode, encode, ChangeSet, Committed, Entity, LogEntry, Snapshot, Store,
    StoreError, StoredKey, Written,
};

/// Schema migrations, applied in order; `PRAGMA user_version` records how many ran.
const MIGRATIONS: &[&str] = &[
    // 1: solutions and cities as JSON documents, keyed by id, in first-write order.
    "CREATE TABLE solutions (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, body TEXT NOT NULL);
     CREATE TABLE cities (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, body TEXT NOT NULL);",
    // 2: feedback events.
    "CREATE TABLE feedback (seq INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT NOT NULL, received_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')));",
    // 3: the change log (one row per written or deleted record) and the database's identity.
    "CREATE TABLE changes (seq INTEGER PRIMARY KEY, entity TEXT NOT NULL, id TEXT NOT NULL, at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')));
     CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
     INSERT INTO meta (key, value) VALUES ('database_id', lower(hex(randomblob(16))));",
    // 4: API keys (hashes only).
    "CREATE TABLE api_keys (id TEXT PRIMARY KEY, name TEXT NOT NULL, scope TEXT NOT NULL, hash TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL, revoked_at TEXT);",
    // 5: solutions written before `provider_type` existed were companies; say so in the record.
    "UPDATE solutions SET body = json_set(body, '$.provider_type', 'company') WHERE json_extract(body, '$.provider_type') IS NULL;",
    // 6: the change log keeps only each record's latest change (see `log`); compact it once.
    "CREATE INDEX IF NOT EXISTS changes_record ON changes (entity, id, seq);
     DELETE FROM changes WHERE seq NOT IN (SELECT MAX(seq) FROM changes GROUP BY entity, id);",
];

/// The embedded SQLite store (`<data-dir>/kpimatch.sqlite3`).
pub struct SqliteStore {
    conn: Mutex<Connection>,
    database_id: String,
}

impl SqliteStore {
    /// The file name of the database inside the data directory.
    pub const FILE: &'static str = "kpimatch.sqlite3";

    /// Opens (creating when absent) the database in a data directory and migrates it.
    pub fn open(data_dir: &Path) -> Result<SqliteStore, StoreError> {
        std::fs::create_dir_all(data_dir)
            .map_err(|e| StoreError::Io(format!("cannot create the data directory {}: {e}", data_dir.display())))?;
        Self::open_file(&data_dir.join(Self::FILE))
    }

    /// Opens (creating when absent) a database file and migrates it.
    pub fn open_file(path: &Path) -> Result<SqliteStore, StoreError> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        Self::migrate(&conn)?;
        let database_id = conn.query_row("SELECT value FROM meta WHERE key = 'database_id'", [], |r| r.get(0))?;
        Ok(SqliteStore {
            conn: Mutex::new(conn),
            database_id,
        })
    }

    /// The schema version this binary knows.
    pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn migrate(conn: &Connection) -> Result<(), StoreError> {
        // BEGIN IMMEDIATE takes the write lock first, so two processes opening a new database
        // at once migrate it once.
        conn.execute_batch("BEGIN IMMEDIATE")?;
        let result = (|| {
            let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
            if version > Self::SCHEMA_VERSION {
                return Err(StoreError::SchemaTooNew {
                    found: version,
                    known: Self::SCHEMA_VERSION,
                });
            }
            for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
                conn.execute_batch(sql)?;
                conn.pragma_update(None, "user_version", (i + 1) as i64)?;
                tracing::info!(version = i + 1, backend = "sqlite", "applied schema migration");
            }
            Ok(())
        })();
        match result {
            Ok(()) => Ok(conn.execute_batch("COMMIT")?),
            Err(e) => {
                let _ = conn.execute_batch("ROLLBACK");
                Err(e)
            }
        }
    }

    /// Copies the live database to `dest` with SQLite's online backup (readers and writers
    /// may continue meanwhile).
    pub fn backup_to(&self, dest: &Path) -> Result<(), StoreError> {
        let conn = self.conn();
        let mut target = Connection::open(dest)?;
        let backup = rusqlite::backup::Backup::new(&conn, &mut target)?;
        backup.run_to_completion(1024, std::time::Duration::from_millis(0), None)?;
        Ok(())
    }

    fn upsert(tx: &Transaction<'_>, table: &str, id: &str, body: &str) -> Result<Written, StoreError> {
        let existed: Option<i64> = tx
            .query_row(&format!("SELECT seq FROM {table} WHERE id = ?1"), [id], |r| r.get(0))
            .optional()?;
        tx.execute(
            &format!(
                "INSERT INTO {table} (id, body) VALUES (?1, ?2) ON CONFLICT(id) DO UPDATE SET body = excluded.body"
            ),
            params![id, body],
        )?;
        Ok(if existed.is_some() {
            Written::Replaced
        } else {
            Written::Created
        })
    }

    /// Appends the record's change to the log and drops its earlier ones: a reader gets the
    /// records changed after its position as they are now, so only each record's latest change
    /// tells it anything (the newest row is never dropped, so sequence numbers never repeat).
    fn log(tx: &Transaction<'_>, entity: Entity, id: &str) -> Result<u64, StoreError> {
        tx.execute(
            "INSERT INTO changes (seq, entity, id) VALUES ((SELECT COALESCE(MAX(seq), 0) + 1 FROM changes), ?1, ?2)",
            params![entity.as_str(), id],
        )?;
        let seq = tx.last_insert_rowid();
        tx.execute(
            "DELETE FROM changes WHERE entity = ?1 AND id = ?2 AND seq < ?3",
            params![entity.as_str(), id, seq],
        )?;
        Ok(seq as u64)
    }

    fn delete(&self, table: &str, entity: Entity, id: &str) -> Result<Option<u64>, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        if tx.execute(&format!("DELETE FROM {table} WHERE id = ?1"), [id])? == 0 {
            return Ok(None);
        }
        let seq = Self::log(&tx, entity, id)?;
        tx.commit()?;
        Ok(Some(seq))
    }

    fn rows<T: serde::de::DeserializeOwned>(conn: &Connection, sql: &str) -> Result<Vec<T>, StoreError> {
        let mut stmt = conn.prepare(sql)?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        let mut out = Vec::new();
        for row in rows {
            let (id, body) = row?;
            out.push(decode(&id, &body)?);
        }
        Ok(out)
    }

    fn head_of(conn: &Connection) -> Result<u64, StoreError> {
        Ok(conn.query_row("SELECT COALESCE(MAX(seq), 0) FROM changes", [], |r| r.get::<_, i64>(0))? as u64)
    }

    fn changed_after(conn: &Connection, since: u64, limit: i64) -> Result<Vec<LogEntry>, StoreError> {
        let mut stmt = conn.prepare("SELECT seq, entity, id FROM changes WHERE seq > ?1 ORDER BY seq LIMIT ?2")?;
        let rows = stmt.query_map(params![since as i64, limit], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (seq, entity, id) = row?;
            out.push((seq as u64, Entity::parse(&entity)?, id));
        }
        Ok(out)
    }

    fn bodies(conn: &Connection, table: &str, ids: &[&str]) -> Result<Vec<(String, String)>, StoreError> {
        let mut stmt = conn.prepare_cached(&format!("SELECT body FROM {table} WHERE id = ?1"))?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(body) = stmt.query_row([id], |r| r.get::<_, String>(0)).optional()? {
                out.push((id.to_string(), body));
            }
        }
        Ok(out)
    }
}

impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    fn database_id(&self) -> &str {
        &self.database_id
    }

    fn schema_version(&self) -> Result<i64, StoreError> {
        Ok(self.conn().query_row("PRAGMA user_version", [], |r| r.get(0))?)
    }

    fn snapshot(&self, since: Option<u64>) -> Result<Snapshot, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let head = Self::head_of(&tx)?;
        let solutions = Self::rows(&tx, "SELECT id, body FROM solutions ORDER BY seq")?;
        let cities = Self::rows(&tx, "SELECT id, body FROM cities ORDER BY seq")?;
        let changed_since = changed_since(head, since, |s| Self::changed_after(&tx, s, i64::MAX))?;
        tx.commit()?;
        Ok(Snapshot {
            solutions,
            cities,
            head,
            changed_since,
        })
    }

    fn changes_since(&self, since: u64, limit: usize) -> Result<ChangeSet, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let log = Self::changed_after(&tx, since, limit.min(i64::MAX as usize) as i64)?;
        assemble_changes(since, log, |table, ids| Self::bodies(&tx, table, ids))
    }

    fn head(&self) -> Result<u64, StoreError> {
        Self::head_of(&self.conn())
    }

    fn put_solutions(&self, solutions: &[Solution]) -> Result<Committed<Vec<Written>>, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let mut out = Vec::with_capacity(solutions.len());
        let mut first = None;
        let mut last = 0;
        for s in solutions {
            out.push(Self::upsert(&tx, "solutions", &s.id, &encode(&s.id, s)?)?);
            last = Self::log(&tx, Entity::Solution, &s.id)?;
            first.get_or_insert(last);
        }
        tx.commit()?;
        Ok(Committed {
            value: out,
            first: first.unwrap_or(last + 1),
            last,
        })
    }

    fn delete_solution(&self, id: &str) -> Result<Option<u64>, StoreError> {
        self.delete("solutions", Entity::Solution, id)
    }

    fn put_city(&self, city: &City) -> Result<Committed<Written>, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let w = Self::upsert(&tx, "cities", &city.id, &encode(&city.id, city)?)?;
        let seq = Self::log(&tx, Entity::City, &city.id)?;
        tx.commit()?;
        Ok(Committed {
            value: w,
            first: seq,
            last: seq,
        })
    }

    fn delete_city(&self, id: &str) -> Result<Option<u64>, StoreError> {
        self.delete("cities", Entity::City, id)
    }

    fn seed_if_empty(&self, solutions: &[Solution], cities: &[City]) -> Result<bool, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let n: i64 = tx.query_row(
            "SELECT (SELECT COUNT(*) FROM solutions) + (SELECT COUNT(*) FROM cities) + (SELECT COUNT(*) FROM changes)",
            [],
            |r| r.get(0),
        )?;
        if n > 0 {
            return Ok(false);
        }
        for s in solutions {
            Self::upsert(&tx, "solutions", &s.id, &encode(&s.id, s)?)?;
            Self::log(&tx, Entity::Solution, &s.id)?;
        }
        for c in cities {
            Self::upsert(&tx, "cities", &c.id, &encode(&c.id, c)?)?;
            Self::log(&tx, Entity::City, &c.id)?;
        }
        tx.commit()?;
        Ok(true)
    }

    fn put_feedback(&self, event: &serde_json::Value) -> Result<i64, StoreError> {
        let conn = self.conn();
        conn.execute("INSERT INTO feedback (body) VALUES (?1)", [event.to_string()])?;
        Ok(conn.last_insert_rowid())
    }

    fn feedback(&self) -> Result<Vec<serde_json::Value>, StoreError> {
        let conn = self.conn();
        Self::rows(&conn, "SELECT CAST(seq AS TEXT), body FROM feedback ORDER BY seq")
    }

    fn put_key(&self, key: &StoredKey) -> Result<(), StoreError> {
        self.conn().execute(
            "INSERT INTO api_keys (id, name, scope, hash, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![key.id, key.name, key.scope, key.hash, key.created_at],
        )?;
        Ok(())
    }

    fn revoke_key(&self, id: &str) -> Result<bool, StoreError> {
        Ok(self.conn().execute(
            "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, strftime('%Y-%m-%dT%H:%M:%fZ','now')) WHERE id = ?1",
            [id],
        )? > 0)
    }

    fn keys(&self) -> Result<Vec<StoredKey>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT id, name, scope, hash, created_at, revoked_at IS NOT NULL FROM api_keys ORDER BY created_at, id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(StoredKey {
                id: r.get(0)?,
                name: r.get(1)?,
                scope: r.get(2)?,
                hash: r.get(3)?,
                created_at: r.get(4)?,
                revoked: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn wait_for_change(&self, timeout: std::time::Duration) {
        std::thread::sleep(timeout);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn solution(id: &str, title: &str) -> Solution {
        serde_json::from_value(serde_json::json!({"id": id, "title": title})).unwrap()
    }

    #[test]
    fn the_change_log_keeps_each_records_latest_change_and_an_old_log_is_compacted() {
        let dir = tempfile::tempdir().unwrap();
        let rows = |conn: &Connection| -> Vec<(i64, String)> {
            let mut stmt = conn.prepare("SELECT seq, id FROM changes ORDER BY seq").unwrap();
            stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
                .unwrap()
                .map(Result::unwrap)
                .collect()
        };
        {
            let s = SqliteStore::open(dir.path()).unwrap();
            s.put_solutions(&[solution("a", "A"), solution("b", "B"), solution("a", "A2")])
                .unwrap();
            s.put_solutions(&[solution("b", "B2")]).unwrap();
            assert_eq!(rows(&s.conn()), [(3, "a".to_string()), (4, "b".to_string())]);
            assert_eq!(s.head().unwrap(), 4);
        }
        // A log written before compaction existed (schema 5): every change kept.
        {
            let conn = Connection::open(dir.path().join(SqliteStore::FILE)).unwrap();
            conn.execute_batch(
                "DROP INDEX changes_record;
                 INSERT INTO changes (seq, entity, id) VALUES (5, 'solution', 'a'), (6, 'city', 'a'), (7, 'solution', 'a');
                 PRAGMA user_version = 5;",
            )
            .unwrap();
        }
        let s = SqliteStore::open(dir.path()).unwrap();
        assert_eq!(s.schema_version().unwrap(), SqliteStore::SCHEMA_VERSION);
        assert_eq!(
            rows(&s.conn()),
            [(4, "b".to_string()), (6, "a".to_string()), (7, "a".to_string())],
            "a city and a solution may share an id"
        );
        assert_eq!(s.head().unwrap(), 7);
    }

    #[test]
    fn writes_survive_reopening_and_replace_in_place() {
        let dir = tempfile::tempdir().unwrap();
        {
            let s = SqliteStore::open(dir.path()).unwrap();
            assert_eq!(s.head().unwrap(), 0);
            let w = s.put_solutions(&[solution("a", "A"), solution("b", "B")]).unwrap();
            assert_eq!(w.value, [Written::Created, Written::Created]);
            assert_eq!((w.first, w.last), (1, 2));
            assert_eq!(
                s.put_solutions(&[solution("a", "A2")]).unwrap().value,
                [Written::Replaced]
            );
            assert_eq!(s.delete_solution("b").unwrap(), Some(4));
            assert_eq!(s.delete_solution("b").unwrap(), None);
        }
        let s = SqliteStore::open(dir.path()).unwrap();
        let snap = s.snapshot(Some(2)).unwrap();
        assert_eq!(snap.solutions.len(), 1);
        assert_eq!(snap.solutions[0].title, "A2");
        assert!(snap.cities.is_empty());
        assert_eq!(snap.head, 4);
        let changed: Vec<_> = snap.changed_since.unwrap().into_iter().map(|(_, id)| id).collect();
        assert_eq!(changed, ["a", "b"]);
        let tail = s.changes_since(1, 100).unwrap();
        assert_eq!((tail.from, tail.to), (1, 4));
        assert_eq!(tail.solutions.len(), 1);
        assert_eq!(tail.deleted_solutions, ["b"]);
        assert_eq!(s.schema_version().unwrap(), SqliteStore::SCHEMA_VERSION);
    }

    #[test]
    fn refuses_a_newer_schema() {
        let dir = tempfile::tempdir().unwrap();
        drop(SqliteStore::open(dir.path()).unwrap());
        let c = Connection::open(dir.path().join("kpimatch.sqlite3")).unwrap();
        c.pragma_update(None, "user_version", 99).unwrap();
        drop(c);
        assert!(matches!(
            SqliteStore::open(dir.path()),
            Err(StoreError::SchemaTooNew { found: 99, .. })
        ));
    }
}
