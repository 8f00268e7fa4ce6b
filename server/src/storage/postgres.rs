//! PostgreSQL as the source of truth shared by several replicas.
//!
//! Records are JSONB documents keyed by id. Every write transaction first takes the next
//! sequence numbers from the single row of `change_counter` (`UPDATE … RETURNING`): the row
//! lock is held until commit, so writers commit in sequence order and a reader that sees
//! change *n* also sees every change before it — no reader can skip a number. A rolled-back
//! write gives its numbers back. The transaction ends with `pg_notify`, delivered at commit,
//! which wakes the other replicas; they also poll, because notifications sent while a
//! replica was disconnected are lost.

use std::collections::HashSet;
use std::time::Duration;

use ::postgres::{Client, NoTls, Transaction};
use fallible_iterator::FallibleIterator;
use kpimatch_engine::city::City;
use kpimatch_engine::solution::Solution;
use r2d2_postgres::PostgresConnectionManager;

use super::{
    assemble_changes, changed_since, decode, encode, ChangeSet, Committed, Entity, LogEntry, Snapshot, Store,
    StoreError, StoredKey, Written,
};

/// The notification channel replicas listen on.
pub const CHANNEL: &str = "kpimatch_changes";

/// Advisory-lock key serialising migrations and seeding across replicas starting at once.
const MIGRATION_LOCK: i64 = 0x6b70_696d_6174_6368; // "kpimatch"

/// Schema migrations, applied in order; `kpimatch_schema.version` records how many ran.
const MIGRATIONS: &[&str] = &[
    // 1: records, feedback, the change log with its single sequence allocator, identity.
    "CREATE TABLE solutions (seq BIGSERIAL NOT NULL, id TEXT PRIMARY KEY, body JSONB NOT NULL);
     CREATE INDEX solutions_seq ON solutions (seq);
     CREATE TABLE cities (seq BIGSERIAL NOT NULL, id TEXT PRIMARY KEY, body JSONB NOT NULL);
     CREATE INDEX cities_seq ON cities (seq);
     CREATE TABLE feedback (seq BIGSERIAL PRIMARY KEY, body JSONB NOT NULL, received_at TIMESTAMPTZ NOT NULL DEFAULT now());
     CREATE TABLE changes (seq BIGINT PRIMARY KEY, entity TEXT NOT NULL, id TEXT NOT NULL, at TIMESTAMPTZ NOT NULL DEFAULT now());
     CREATE TABLE change_counter (only_row BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (only_row), seq BIGINT NOT NULL);
     INSERT INTO change_counter (seq) VALUES (0);
     CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
     INSERT INTO meta (key, value) VALUES ('database_id', md5(random()::text || clock_timestamp()::text));",
    // 2: API keys (hashes only).
    "CREATE TABLE api_keys (id TEXT PRIMARY KEY, name TEXT NOT NULL, scope TEXT NOT NULL, hash TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL, revoked_at TIMESTAMPTZ);",
    // 3: solutions written before `provider_type` existed were companies; say so in the record.
    "UPDATE solutions SET body = jsonb_set(body, '{provider_type}', '\"company\"') WHERE body->'provider_type' IS NULL;",
    // 4: the change log keeps only each record's latest change (see `log`); compact it once.
    "CREATE INDEX IF NOT EXISTS changes_record ON changes (entity, id, seq);
     DELETE FROM changes c WHERE EXISTS (SELECT 1 FROM changes n WHERE n.entity = c.entity AND n.id = c.id AND n.seq > c.seq);",
];

type Pool = r2d2::Pool<PostgresConnectionManager<NoTls>>;

/// The PostgreSQL store: a small connection pool, plus one connection that LISTENs.
pub struct PostgresStore {
    pool: std::mem::ManuallyDrop<Pool>,
    config: ::postgres::Config,
    listener: std::sync::Mutex<Option<Client>>,
    database_id: String,
}

impl PostgresStore {
    /// The schema version this binary knows.
    pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

    /// Connects (`postgres://user:password@host:port/db` or key=value form), migrates and
    /// reads the database id. `pool` is the number of pooled connections.
    pub fn connect(url: &str, pool: u32) -> Result<PostgresStore, StoreError> {
        // The synchronous client drives its own runtime, which tokio forbids inside an async
        // context (the server is built inside one): connect on a plain thread.
        std::thread::scope(|scope| {
            scope
                .spawn(|| Self::connect_here(url, pool))
                .join()
                .unwrap_or_else(|_| Err(StoreError::Unavailable("connecting to PostgreSQL panicked".into())))
        })
    }

    fn connect_here(url: &str, pool: u32) -> Result<PostgresStore, StoreError> {
        let config: ::postgres::Config = url
            .parse()
            .map_err(|e: ::postgres::Error| StoreError::Unavailable(format!("invalid database URL: {e}")))?;
        let mut config = config;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(5));
        }
        let manager = PostgresConnectionManager::new(config.clone(), NoTls);
        let pool = r2d2::Pool::builder()
            .max_size(pool.max(1))
            .min_idle(Some(1))
            .connection_timeout(Duration::from_secs(3))
            .build(manager)?;
        let mut client = pool.get()?;
        Self::migrate(&mut client)?;
        let database_id: String = client
            .query_one("SELECT value FROM meta WHERE key = 'database_id'", &[])?
            .get(0);
        drop(client);
        Ok(PostgresStore {
            pool: std::mem::ManuallyDrop::new(pool),
            config,
            listener: std::sync::Mutex::new(None),
            database_id,
        })
    }

    fn migrate(client: &mut Client) -> Result<(), StoreError> {
        client.batch_execute("SET client_min_messages = warning")?;
        let mut tx = client.transaction()?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
        tx.batch_execute("CREATE TABLE IF NOT EXISTS kpimatch_schema (version BIGINT NOT NULL)")?;
        let version: i64 = match tx.query_opt("SELECT version FROM kpimatch_schema", &[])? {
            Some(row) => row.get(0),
            None => {
                tx.execute("INSERT INTO kpimatch_schema (version) VALUES (0)", &[])?;
                0
            }
        };
        if version > Self::SCHEMA_VERSION {
            return Err(StoreError::SchemaTooNew {
                found: version,
                known: Self::SCHEMA_VERSION,
            });
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            tx.batch_execute(sql)?;
            tx.execute("UPDATE kpimatch_schema SET version = $1", &[&((i + 1) as i64)])?;
            tracing::info!(version = i + 1, backend = "postgres", "applied schema migration");
        }
        tx.commit()?;
        Ok(())
    }

    fn client(&self) -> Result<r2d2::PooledConnection<PostgresConnectionManager<NoTls>>, StoreError> {
        Ok(self.pool.get()?)
    }

    /// Takes `n` sequence numbers inside the transaction; returns the first.
    fn allocate(tx: &mut Transaction<'_>, n: usize) -> Result<u64, StoreError> {
        let last: i64 = tx
            .query_one("UPDATE change_counter SET seq = seq + $1 RETURNING seq", &[&(n as i64)])?
            .get(0);
        Ok(last as u64 - n as u64 + 1)
    }

    /// Appends change-log rows for `ids` from `first` on, drops the records' earlier changes
    /// (a reader gets the records changed after its position as they are now, so only each
    /// record's latest change tells it anything) and notifies at commit.
    fn log(tx: &mut Transaction<'_>, first: u64, entity: Entity, ids: &[&str]) -> Result<u64, StoreError> {
        let last = first + ids.len() as u64 - 1;
        tx.execute(
            "INSERT INTO changes (seq, entity, id) SELECT $1 + o - 1, $2, id FROM unnest($3::text[]) WITH ORDINALITY AS t(id, o)",
            &[&(first as i64), &entity.as_str(), &ids],
        )?;
        tx.execute(
            "DELETE FROM changes c WHERE c.entity = $1 AND c.id = ANY($2::text[])
             AND EXISTS (SELECT 1 FROM changes n WHERE n.entity = c.entity AND n.id = c.id AND n.seq > c.seq)",
            &[&entity.as_str(), &ids],
        )?;
        tx.execute("SELECT pg_notify($1, $2)", &[&CHANNEL, &last.to_string()])?;
        Ok(last)
    }

    fn upsert_many(tx: &mut Transaction<'_>, table: &str, ids: &[&str], bodies: &[String]) -> Result<(), StoreError> {
        // Last write wins inside a batch: ON CONFLICT cannot touch a row twice in one statement.
        let mut keep: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
        for (i, id) in ids.iter().enumerate() {
            keep.insert(id, i);
        }
        let mut order: Vec<usize> = keep.into_values().collect();
        order.sort_unstable();
        let ids: Vec<&str> = order.iter().map(|&i| ids[i]).collect();
        let bodies: Vec<&str> = order.iter().map(|&i| bodies[i].as_str()).collect();
        tx.execute(
            &format!(
                "INSERT INTO {table} (id, body) SELECT id, body::jsonb FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS t(id, body, o) ORDER BY o
                 ON CONFLICT (id) DO UPDATE SET body = excluded.body"
            ),
            &[&ids, &bodies],
        )?;
        Ok(())
    }

    fn existing(tx: &mut Transaction<'_>, table: &str, ids: &[&str]) -> Result<HashSet<String>, StoreError> {
        Ok(tx
            .query(&format!("SELECT id FROM {table} WHERE id = ANY($1)"), &[&ids])?
            .into_iter()
            .map(|r| r.get(0))
            .collect())
    }

    fn rows<T: serde::de::DeserializeOwned>(
        tx: &mut Transaction<'_>,
        sql: &str,
        params: &[&(dyn ::postgres::types::ToSql + Sync)],
    ) -> Result<Vec<T>, StoreError> {
        tx.query(sql, params)?
            .into_iter()
            .map(|r| decode(r.get::<_, &str>(0), r.get::<_, &str>(1)))
            .collect()
    }

    fn changed_after(tx: &mut Transaction<'_>, since: u64, limit: i64) -> Result<Vec<LogEntry>, StoreError> {
        tx.query(
            "SELECT seq, entity, id FROM changes WHERE seq > $1 ORDER BY seq LIMIT $2",
            &[&(since as i64), &limit],
        )?
        .into_iter()
        .map(|r| Ok((r.get::<_, i64>(0) as u64, Entity::parse(r.get(1))?, r.get(2))))
        .collect()
    }

    fn read_only(client: &mut Client) -> Result<Transaction<'_>, StoreError> {
        Ok(client
            .build_transaction()
            .isolation_level(::postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()?)
    }

    fn delete(&self, table: &str, entity: Entity, id: &str) -> Result<Option<u64>, StoreError> {
        let mut client = self.client()?;
        let mut tx = client.transaction()?;
        let first = Self::allocate(&mut tx, 1)?;
        if tx.execute(&format!("DELETE FROM {table} WHERE id = $1"), &[&id])? == 0 {
            return Ok(None); // rolled back: the number is given back
        }
        let seq = Self::log(&mut tx, first, entity, &[id])?;
        tx.commit()?;
        Ok(Some(seq))
    }
}

impl Drop for PostgresStore {
    /// Closing a synchronous client blocks on its own runtime, which panics inside an async
    /// context (actix workers drop the state there): close the connections on a plain thread.
    fn drop(&mut self) {
        // SAFETY: the pool is taken exactly once, here, and never used again.
        let pool = unsafe { std::mem::ManuallyDrop::take(&mut self.pool) };
        let listener = self.listener.get_mut().unwrap_or_else(|p| p.into_inner()).take();
        let _ = std::thread::spawn(move || {
            drop(listener);
            drop(pool);
        })
        .join();
    }
}

impl Store for PostgresStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    fn database_id(&self) -> &str {
        &self.database_id
    }

    fn schema_version(&self) -> Result<i64, StoreError> {
        Ok(self
            .client()?
            .query_one("SELECT version FROM kpimatch_schema", &[])?
            .get(0))
    }

    fn snapshot(&self, since: Option<u64>) -> Result<Snapshot, StoreError> {
        let mut client = self.client()?;
        let mut tx = Self::read_only(&mut client)?;
        let head = tx.query_one("SELECT seq FROM change_counter", &[])?.get::<_, i64>(0) as u64;
        let solutions = Self::rows(&mut tx, "SELECT id, body::text FROM solutions ORDER BY seq", &[])?;
        let cities = Self::rows(&mut tx, "SELECT id, body::text FROM cities ORDER BY seq", &[])?;
        let changed_since = changed_since(head, since, |s| Self::changed_after(&mut tx, s, i64::MAX))?;
        tx.commit()?;
        Ok(Snapshot {
            solutions,
            cities,
            head,
            changed_since,
        })
    }

    fn changes_since(&self, since: u64, limit: usize) -> Result<ChangeSet, StoreError> {
        let mut client = self.client()?;
        let mut tx = Self::read_only(&mut client)?;
        let log = Self::changed_after(&mut tx, since, limit.min(i64::MAX as usize) as i64)?;
        let changes = assemble_changes(since, log, |table, ids| {
            Ok(tx
                .query(
                    &format!("SELECT id, body::text FROM {table} WHERE id = ANY($1)"),
                    &[&ids],
                )?
                .into_iter()
                .map(|r| (r.get(0), r.get(1)))
                .collect())
        })?;
        tx.commit()?;
        Ok(changes)
    }

    fn head(&self) -> Result<u64, StoreError> {
        Ok(self
            .client()?
            .query_one("SELECT seq FROM change_counter", &[])?
            .get::<_, i64>(0) as u64)
    }

    fn put_solutions(&self, solutions: &[Solution]) -> Result<Committed<Vec<Written>>, StoreError> {
        let ids: Vec<&str> = solutions.iter().map(|s| s.id.as_str()).collect();
        let bodies = solutions
            .iter()
            .map(|s| encode(&s.id, s))
            .collect::<Result<Vec<_>, _>>()?;
        let mut client = self.client()?;
        let mut tx = client.transaction()?;
        let first = Self::allocate(&mut tx, ids.len())?;
        let existed = Self::existing(&mut tx, "solutions", &ids)?;
        Self::upsert_many(&mut tx, "solutions", &ids, &bodies)?;
        let last = Self::log(&mut tx, first, Entity::Solution, &ids)?;
        tx.commit()?;
        Ok(Committed {
            value: super::written_in_order(ids.iter().copied(), &existed),
            first,
            last,
        })
    }

    fn delete_solution(&self, id: &str) -> Result<Option<u64>, StoreError> {
        self.delete("solutions", Entity::Solution, id)
    }

    fn put_city(&self, city: &City) -> Result<Committed<Written>, StoreError> {
        let body = encode(&city.id, city)?;
        let mut client = self.client()?;
        let mut tx = client.transaction()?;
        let first = Self::allocate(&mut tx, 1)?;
        let existed = Self::existing(&mut tx, "cities", &[&city.id])?;
        Self::upsert_many(&mut tx, "cities", &[&city.id], &[body])?;
        let last = Self::log(&mut tx, first, Entity::City, &[&city.id])?;
        tx.commit()?;
        Ok(Committed {
            value: if existed.is_empty() {
                Written::Created
            } else {
                Written::Replaced
            },
            first,
            last,
        })
    }

    fn delete_city(&self, id: &str) -> Result<Option<u64>, StoreError> {
        self.delete("cities", Entity::City, id)
    }

    fn seed_if_empty(&self, solutions: &[Solution], cities: &[City]) -> Result<bool, StoreError> {
        let mut client = self.client()?;
        let mut tx = client.transaction()?;
        // The counter row's lock serialises this with every writer, and with other replicas
        // seeding at the same moment.
        let head: i64 = tx.query_one("SELECT seq FROM change_counter FOR UPDATE", &[])?.get(0);
        let rows: i64 = tx
            .query_one(
                "SELECT (SELECT COUNT(*) FROM solutions) + (SELECT COUNT(*) FROM cities)",
                &[],
            )?
            .get(0);
        if head > 0 || rows > 0 {
            return Ok(false);
        }
        for (entity, table, ids, bodies) in [
            (
                Entity::Solution,
                "solutions",
                solutions.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(),
                solutions
                    .iter()
                    .map(|s| encode(&s.id, s))
                    .collect::<Result<Vec<_>, _>>()?,
            ),
            (
                Entity::City,
                "cities",
                cities.iter().map(|c| c.id.as_str()).collect(),
                cities.iter().map(|c| encode(&c.id, c)).collect::<Result<Vec<_>, _>>()?,
            ),
        ] {
            if ids.is_empty() {
                continue;
            }
            let first = Self::allocate(&mut tx, ids.len())?;
            Self::upsert_many(&mut tx, table, &ids, &bodies)?;
            Self::log(&mut tx, first, entity, &ids)?;
        }
        tx.commit()?;
        Ok(true)
    }

    fn put_feedback(&self, event: &serde_json::Value) -> Result<i64, StoreError> {
        Ok(self
            .client()?
            .query_one(
                "INSERT INTO feedback (body) VALUES ($1::text::jsonb) RETURNING seq",
                &[&event.to_string()],
            )?
            .get(0))
    }

    fn feedback(&self) -> Result<Vec<serde_json::Value>, StoreError> {
        let mut client = self.client()?;
        let mut tx = Self::read_only(&mut client)?;
        let out = Self::rows(&mut tx, "SELECT seq::text, body::text FROM feedback ORDER BY seq", &[])?;
        tx.commit()?;
        Ok(out)
    }

    fn put_key(&self, key: &StoredKey) -> Result<(), StoreError> {
        self.client()?.execute(
            "INSERT INTO api_keys (id, name, scope, hash, created_at) VALUES ($1, $2, $3, $4, $5)",
            &[&key.id, &key.name, &key.scope, &key.hash, &key.created_at],
        )?;
        Ok(())
    }

    fn revoke_key(&self, id: &str) -> Result<bool, StoreError> {
        Ok(self.client()?.execute(
            "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, now()) WHERE id = $1",
            &[&id],
        )? > 0)
    }

    fn keys(&self) -> Result<Vec<StoredKey>, StoreError> {
        Ok(self
            .client()?
            .query(
                "SELECT id, name, scope, hash, created_at, revoked_at IS NOT NULL FROM api_keys ORDER BY created_at, id",
                &[],
            )?
            .into_iter()
            .map(|r| StoredKey {
                id: r.get(0),
                name: r.get(1),
                scope: r.get(2),
                hash: r.get(3),
                created_at: r.get(4),
                revoked: r.get(5),
            })
            .collect())
    }

    fn wait_for_change(&self, timeout: Duration) {
        let mut guard = self.listener.lock().unwrap_or_else(|p| p.into_inner());
        if guard.is_none() {
            match self.config.connect(NoTls) {
                Ok(mut c) => match c.batch_execute(&format!("LISTEN {CHANNEL}")) {
                    Ok(()) => *guard = Some(c),
                    Err(e) => tracing::warn!(error = %e, "LISTEN failed; polling"),
                },
                Err(e) => tracing::warn!(error = %e, "cannot open the notification connection; polling"),
            }
        }
        let Some(client) = guard.as_mut() else {
            drop(guard);
            std::thread::sleep(timeout);
            return;
        };
        let first = client.notifications().timeout_iter(timeout).next();
        match first {
            Ok(Some(_)) => {
                // Drain what else is pending, so one burst of writes wakes us once.
                let mut notes = client.notifications();
                let mut pending = notes.iter();
                while let Ok(Some(_)) = pending.next() {}
            }
            Err(e) => {
                tracing::warn!(error = %e, "the notification connection failed; reconnecting, polling meanwhile");
                *guard = None;
                drop(guard);
                std::thread::sleep(timeout);
                return;
            }
            Ok(None) => {}
        }
        if client.is_closed() {
            *guard = None;
        }
    }
}
