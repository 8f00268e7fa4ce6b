//! The source of truth: an embedded SQLite database in the data directory, behind the
//! [`Store`] interface so another backend (PostgreSQL) can take its place.
//!
//! A write returns only after its transaction is committed with `synchronous=FULL` in WAL
//! mode, so an acknowledged write survives a crash of the process or the machine.

mod sqlite;

use kpimatch_engine::city::City;
use kpimatch_engine::solution::Solution;

pub use sqlite::SqliteStore;

/// Storage failures.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database failed.
    #[error("database error: {0}")]
    Database(#[from] rusqlite::Error),
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
    /// A file-system problem with the data directory.
    #[error("{0}")]
    Io(String),
}

/// Whether a write created a record or replaced one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// It did not exist.
    Created,
    /// It existed and was replaced.
    Replaced,
}

/// A durable store of solutions and cities.
pub trait Store: Send + Sync {
    /// Every solution and city, in the order they were first written.
    fn load(&self) -> Result<(Vec<Solution>, Vec<City>), StoreError>;
    /// Writes solutions in one transaction.
    fn put_solutions(&self, solutions: &[Solution]) -> Result<Vec<Written>, StoreError>;
    /// Deletes a solution; `false` when absent.
    fn delete_solution(&self, id: &str) -> Result<bool, StoreError>;
    /// Writes a city.
    fn put_city(&self, city: &City) -> Result<Written, StoreError>;
    /// Deletes a city; `false` when absent.
    fn delete_city(&self, id: &str) -> Result<bool, StoreError>;
    /// True when the store holds no solution and no city.
    fn is_empty(&self) -> Result<bool, StoreError>;
    /// Appends a feedback event (a JSON document) and returns its sequence number.
    fn put_feedback(&self, event: &serde_json::Value) -> Result<i64, StoreError>;
    /// All feedback events in order.
    fn feedback(&self) -> Result<Vec<serde_json::Value>, StoreError>;
}
