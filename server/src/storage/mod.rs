//! The source of truth, behind one [`Store`] interface with two backends: an embedded SQLite
//! database in the data directory (one replica), or PostgreSQL shared by several replicas.
//!
//! Every write appends to a **change log** in the same transaction: one row per written or
//! deleted record, numbered by a monotonic sequence. Sequence numbers are allocated inside the
//! writing transaction by a single counter row (SQLite: the database's single writer), so they
//! become visible in order and a reader never skips one. Each replica applies the log to its
//! own derived index and remembers the last sequence it applied (in the tantivy commit), so a
//! restart replays only the tail.
//!
//! A write returns only after its transaction is committed durably (SQLite: WAL with
//! `synchronous=FULL`; PostgreSQL: its default `synchronous_commit`).

mod postgres;
mod sqlite;

use std::collections::BTreeSet;

use kpimatch_engine::city::City;
use kpimatch_engine::solution::Solution;

pub use self::postgres::PostgresStore;
pub use sqlite::SqliteStore;

/// Storage failures.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The embedded database failed.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// PostgreSQL failed or could not be reached.
    #[error("PostgreSQL error: {0}")]
    Postgres(#[from] ::postgres::Error),
    /// No connection could be taken from the pool in time.
    #[error("PostgreSQL is unavailable: {0}")]
    Unavailable(String),
    /// A stored record could not be decoded.
    #[error("stored record '{id}' is corrupt: {message}")]
    Corrupt {
        /// Record id.
        id: String,
        /// What is wrong.
        message: String,
    },
    /// The database schema is newer than this binary knows.
    #[error("the database schema is version {found}, newer than the {known} this kpimatch knows; upgrade kpimatch")]
    SchemaTooNew {
        /// Version found.
        found: i64,
        /// Newest version known.
        known: i64,
    },
    /// A restore target already holds data.
    #[error("the target database is not empty ({0}); restore only into an empty database")]
    NotEmpty(String),
    /// A file-system problem with the data directory.
    #[error("{0}")]
    Io(String),
}

impl From<r2d2::Error> for StoreError {
    fn from(e: r2d2::Error) -> StoreError {
        StoreError::Unavailable(e.to_string())
    }
}

/// Whether a write created a record or replaced one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// It did not exist.
    Created,
    /// It existed and was replaced.
    Replaced,
}

/// The kind of record a change is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Entity {
    /// A solution.
    Solution,
    /// A city.
    City,
}

impl Entity {
    /// The name stored in the change log.
    pub fn as_str(self) -> &'static str {
        match self {
            Entity::Solution => "solution",
            Entity::City => "city",
        }
    }

    fn parse(s: &str) -> Result<Entity, StoreError> {
        match s {
            "solution" => Ok(Entity::Solution),
            "city" => Ok(Entity::City),
            other => Err(StoreError::Corrupt {
                id: other.to_string(),
                message: "unknown entity in the change log".into(),
            }),
        }
    }
}

/// A committed write and the change-log sequence numbers it took (`first..=last`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Committed<T> {
    /// What the write reports.
    pub value: T,
    /// First sequence number taken.
    pub first: u64,
    /// Last sequence number taken.
    pub last: u64,
}

/// The changes after a sequence number, with the records' current state: applying it makes a
/// replica that had applied everything up to `from` at least as new as `to`.
pub use kpimatch_engine::Changes as ChangeSet;

/// Everything stored, read in one consistent transaction.
#[derive(Debug, Default)]
pub struct Snapshot {
    /// Solutions in first-write order.
    pub solutions: Vec<Solution>,
    /// Cities in first-write order.
    pub cities: Vec<City>,
    /// The last change-log sequence the snapshot includes.
    pub head: u64,
    /// Ids changed after the requested sequence, when the log reaches back that far.
    pub changed_since: Option<BTreeSet<(Entity, String)>>,
}

/// An API key as stored: only a hash of the secret is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredKey {
    /// Public id (shown in listings and used to revoke).
    pub id: String,
    /// A label chosen by the admin.
    pub name: String,
    /// `admin` or `read`.
    pub scope: String,
    /// Hex SHA-256 of the secret.
    pub hash: String,
    /// When it was created (RFC 3339).
    pub created_at: String,
    /// True once revoked.
    pub revoked: bool,
}

/// A durable store of solutions and cities with a change log.
pub trait Store: Send + Sync {
    /// `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;
    /// A random id given to the database when it was created: a derived index built from
    /// another database (e.g. before a restore) is not replayed onto this one.
    fn database_id(&self) -> &str;
    /// The schema version of the open database.
    fn schema_version(&self) -> Result<i64, StoreError>;
    /// Everything stored, plus the ids changed after `since` (when given).
    fn snapshot(&self, since: Option<u64>) -> Result<Snapshot, StoreError>;
    /// The changes after `since` (at most `limit` log entries), with current records.
    fn changes_since(&self, since: u64, limit: usize) -> Result<ChangeSet, StoreError>;
    /// The last sequence number committed.
    fn head(&self) -> Result<u64, StoreError>;
    /// Writes solutions in one transaction.
    fn put_solutions(&self, solutions: &[Solution]) -> Result<Committed<Vec<Written>>, StoreError>;
    /// Deletes a solution; `None` when absent.
    fn delete_solution(&self, id: &str) -> Result<Option<u64>, StoreError>;
    /// Writes a city.
    fn put_city(&self, city: &City) -> Result<Committed<Written>, StoreError>;
    /// Deletes a city; `None` when absent.
    fn delete_city(&self, id: &str) -> Result<Option<u64>, StoreError>;
    /// Writes the given records in one transaction when the store holds no solution and no
    /// city (several replicas starting at once seed once); `true` when it seeded.
    fn seed_if_empty(&self, solutions: &[Solution], cities: &[City]) -> Result<bool, StoreError>;
    /// Appends a feedback event (a JSON document) and returns its sequence number.
    fn put_feedback(&self, event: &serde_json::Value) -> Result<i64, StoreError>;
    /// All feedback events in order.
    fn feedback(&self) -> Result<Vec<serde_json::Value>, StoreError>;
    /// Stores a new API key.
    fn put_key(&self, key: &StoredKey) -> Result<(), StoreError>;
    /// Revokes an API key; `false` when there is no such key.
    fn revoke_key(&self, id: &str) -> Result<bool, StoreError>;
    /// All stored API keys, revoked ones included.
    fn keys(&self) -> Result<Vec<StoredKey>, StoreError>;
    /// Blocks until another writer may have committed a change or `timeout` passes (PostgreSQL:
    /// a LISTEN/NOTIFY wake-up; otherwise a sleep). Only a hint: callers poll the log after it.
    fn wait_for_change(&self, timeout: std::time::Duration);
}

/// Opens the store the settings name: PostgreSQL when a database URL is set, else SQLite in the
/// data directory. Migrations are applied; a newer schema is refused.
pub fn open(settings: &crate::config::Settings) -> Result<Box<dyn Store>, StoreError> {
    match &settings.database_url {
        Some(url) => Ok(Box::new(PostgresStore::connect(url, settings.database_pool)?)),
        None => Ok(Box::new(SqliteStore::open(&settings.data_dir)?)),
    }
}

pub(crate) fn encode<T: serde::Serialize>(id: &str, v: &T) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(|e| StoreError::Corrupt {
        id: id.to_string(),
        message: e.to_string(),
    })
}

pub(crate) fn decode<T: serde::de::DeserializeOwned>(id: &str, body: &str) -> Result<T, StoreError> {
    serde_json::from_str(body).map_err(|e| StoreError::Corrupt {
        id: id.to_string(),
        message: e.to_string(),
    })
}

/// Reports each item of a batch as created or replaced, in order, given the ids that existed
/// before it (a repeated id is a replacement of the earlier item).
pub(crate) fn written_in_order<'a>(
    ids: impl Iterator<Item = &'a str>,
    existed: &std::collections::HashSet<String>,
) -> Vec<Written> {
    let mut seen = std::collections::HashSet::new();
    ids.map(|id| {
        if existed.contains(id) || !seen.insert(id) {
            Written::Replaced
        } else {
            Written::Created
        }
    })
    .collect()
}

/// A change-log entry: sequence, entity, id.
pub(crate) type LogEntry = (u64, Entity, String);

/// The ids changed after `since` for a snapshot at `head`; `None` when `since` is ahead of the
/// database (an index built from a newer state, e.g. before a restore).
pub(crate) fn changed_since(
    head: u64,
    since: Option<u64>,
    log_after: impl FnOnce(u64) -> Result<Vec<LogEntry>, StoreError>,
) -> Result<Option<BTreeSet<(Entity, String)>>, StoreError> {
    match since {
        Some(s) if s <= head => Ok(Some(log_after(s)?.into_iter().map(|(_, e, id)| (e, id)).collect())),
        _ => Ok(None),
    }
}

/// Builds the change set of log entries after `since`: `bodies(table, ids)` reads the current
/// `(id, JSON)` rows of the records still present, in the same transaction as the log.
pub(crate) fn assemble_changes(
    since: u64,
    log: Vec<LogEntry>,
    mut bodies: impl FnMut(&str, &[&str]) -> Result<Vec<(String, String)>, StoreError>,
) -> Result<ChangeSet, StoreError> {
    let Some(&(to, _, _)) = log.last() else {
        return Ok(ChangeSet {
            from: since,
            to: since,
            ..ChangeSet::default()
        });
    };
    let changed = unique_in_order(log.into_iter().map(|(_, e, id)| (e, id)).collect());
    let ids = |want: Entity| -> Vec<&str> {
        changed
            .iter()
            .filter(|(e, _)| *e == want)
            .map(|(_, id)| id.as_str())
            .collect()
    };
    let solutions = bodies("solutions", &ids(Entity::Solution))?
        .iter()
        .map(|(id, body)| decode(id, body))
        .collect::<Result<_, _>>()?;
    let cities = bodies("cities", &ids(Entity::City))?
        .iter()
        .map(|(id, body)| decode(id, body))
        .collect::<Result<_, _>>()?;
    Ok(change_set(since, to, &changed, solutions, cities))
}

/// Turns the change-log entries (in log order, each record once) and the records' current
/// state into a change set; records come out in the order they first appear in the log, so a
/// replica gives new solutions the same relative order as their first writes.
fn change_set(
    from: u64,
    to: u64,
    changed: &[(Entity, String)],
    solutions: Vec<Solution>,
    cities: Vec<City>,
) -> ChangeSet {
    let mut solutions: std::collections::HashMap<String, Solution> =
        solutions.into_iter().map(|s| (s.id.clone(), s)).collect();
    let mut cities: std::collections::HashMap<String, City> = cities.into_iter().map(|c| (c.id.clone(), c)).collect();
    let mut set = ChangeSet {
        from,
        to,
        ..ChangeSet::default()
    };
    for (entity, id) in changed {
        match entity {
            Entity::Solution => match solutions.remove(id) {
                Some(s) => set.solutions.push(s),
                None => set.deleted_solutions.push(id.clone()),
            },
            Entity::City => match cities.remove(id) {
                Some(c) => set.cities.push(c),
                None => set.deleted_cities.push(id.clone()),
            },
        }
    }
    set
}

/// Keeps the first occurrence of each (entity, id), in order.
fn unique_in_order(entries: Vec<(Entity, String)>) -> Vec<(Entity, String)> {
    let mut seen = std::collections::HashSet::new();
    entries.into_iter().filter(|e| seen.insert(e.clone())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_ids_in_a_batch_are_replacements() {
        let existed = ["b".to_string()].into_iter().collect();
        assert_eq!(
            written_in_order(["a", "b", "a"].into_iter(), &existed),
            [Written::Created, Written::Replaced, Written::Replaced]
        );
    }
}
