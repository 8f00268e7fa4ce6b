use std::path::Path;
use std::sync::Mutex;

use kpimatch_engine::city::City;
use kpimatch_engine::solution::Solution;
use rusqlite::{params, Connection, OptionalExtension};

use super::{Store, StoreError, Written};

/// Schema migrations, applied in order; `PRAGMA user_version` records how many ran.
const MIGRATIONS: &[&str] = &[
    // 1: solutions and cities as JSON documents, keyed by id, in first-write order.
    "CREATE TABLE solutions (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, body TEXT NOT NULL);
     CREATE TABLE cities (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, body TEXT NOT NULL);",
    // 2: feedback events.
    "CREATE TABLE feedback (seq INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT NOT NULL, received_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')));",
];

/// The embedded SQLite store (`<data-dir>/kpimatch.sqlite3`).
pub struct SqliteStore {
    conn: Mutex<Connection>,
}

impl SqliteStore {
    /// Opens (creating when absent) the database in a data directory and migrates it.
    pub fn open(data_dir: &Path) -> Result<SqliteStore, StoreError> {
        std::fs::create_dir_all(data_dir)
            .map_err(|e| StoreError::Io(format!("cannot create the data directory {}: {e}", data_dir.display())))?;
        let conn = Connection::open(data_dir.join("kpimatch.sqlite3"))?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        let store = SqliteStore { conn: Mutex::new(conn) };
        store.migrate()?;
        Ok(store)
    }

    /// The schema version this binary knows.
    pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn migrate(&self) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if version > Self::SCHEMA_VERSION {
            return Err(StoreError::SchemaTooNew {
                found: version,
                known: Self::SCHEMA_VERSION,
            });
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            let tx = conn.transaction()?;
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", (i + 1) as i64)?;
            tx.commit()?;
            tracing::info!(version = i + 1, "applied schema migration");
        }
        Ok(())
    }

    /// The schema version of the open database.
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        Ok(self.conn().query_row("PRAGMA user_version", [], |r| r.get(0))?)
    }

    fn upsert(tx: &rusqlite::Transaction<'_>, table: &str, id: &str, body: &str) -> Result<Written, StoreError> {
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
}

fn encode<T: serde::Serialize>(v: &T) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(|e| StoreError::Corrupt {
        id: String::new(),
        message: e.to_string(),
    })
}

impl Store for SqliteStore {
    fn load(&self) -> Result<(Vec<Solution>, Vec<City>), StoreError> {
        let conn = self.conn();
        let mut solutions = Vec::new();
        let mut stmt = conn.prepare("SELECT id, body FROM solutions ORDER BY seq")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        for row in rows {
            let (id, body) = row?;
            solutions.push(serde_json::from_str(&body).map_err(|e| StoreError::Corrupt {
                id,
                message: e.to_string(),
            })?);
        }
        let mut cities = Vec::new();
        let mut stmt = conn.prepare("SELECT id, body FROM cities ORDER BY seq")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        for row in rows {
            let (id, body) = row?;
            cities.push(serde_json::from_str(&body).map_err(|e| StoreError::Corrupt {
                id,
                message: e.to_string(),
            })?);
        }
        Ok((solutions, cities))
    }

    fn put_solutions(&self, solutions: &[Solution]) -> Result<Vec<Written>, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let mut out = Vec::with_capacity(solutions.len());
        for s in solutions {
            out.push(Self::upsert(&tx, "solutions", &s.id, &encode(s)?)?);
        }
        tx.commit()?;
        Ok(out)
    }

    fn delete_solution(&self, id: &str) -> Result<bool, StoreError> {
        Ok(self.conn().execute("DELETE FROM solutions WHERE id = ?1", [id])? > 0)
    }

    fn put_city(&self, city: &City) -> Result<Written, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let w = Self::upsert(&tx, "cities", &city.id, &encode(city)?)?;
        tx.commit()?;
        Ok(w)
    }

    fn delete_city(&self, id: &str) -> Result<bool, StoreError> {
        Ok(self.conn().execute("DELETE FROM cities WHERE id = ?1", [id])? > 0)
    }

    fn is_empty(&self) -> Result<bool, StoreError> {
        let conn = self.conn();
        let n: i64 = conn.query_row(
            "SELECT (SELECT COUNT(*) FROM solutions) + (SELECT COUNT(*) FROM cities)",
            [],
            |r| r.get(0),
        )?;
        Ok(n == 0)
    }

    fn put_feedback(&self, event: &serde_json::Value) -> Result<i64, StoreError> {
        let conn = self.conn();
        conn.execute("INSERT INTO feedback (body) VALUES (?1)", [event.to_string()])?;
        Ok(conn.last_insert_rowid())
    }

    fn feedback(&self) -> Result<Vec<serde_json::Value>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare("SELECT seq, body FROM feedback ORDER BY seq")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?;
        let mut out = Vec::new();
        for row in rows {
            let (seq, body) = row?;
            out.push(serde_json::from_str(&body).map_err(|e| StoreError::Corrupt {
                id: seq.to_string(),
                message: e.to_string(),
            })?);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn solution(id: &str, title: &str) -> Solution {
        serde_json::from_value(serde_json::json!({"id": id, "title": title})).unwrap()
    }

    #[test]
    fn writes_survive_reopening_and_replace_in_place() {
        let dir = tempfile::tempdir().unwrap();
        {
            let s = SqliteStore::open(dir.path()).unwrap();
            assert!(s.is_empty().unwrap());
            assert_eq!(
                s.put_solutions(&[solution("a", "A"), solution("b", "B")]).unwrap(),
                [Written::Created, Written::Created]
            );
            assert_eq!(s.put_solutions(&[solution("a", "A2")]).unwrap(), [Written::Replaced]);
            assert!(s.delete_solution("b").unwrap());
            assert!(!s.delete_solution("b").unwrap());
        }
        let s = SqliteStore::open(dir.path()).unwrap();
        let (sols, cities) = s.load().unwrap();
        assert_eq!(sols.len(), 1);
        assert_eq!(sols[0].title, "A2");
        assert!(cities.is_empty());
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
