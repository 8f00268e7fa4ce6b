//! A PostgreSQL database of its own for each test, created from the admin URL in
//! `KPIMATCH_TEST_DATABASE_URL` (exported by `scripts/test.sh`, which installs and starts
//! PostgreSQL) and dropped afterwards.

use std::sync::atomic::{AtomicU32, Ordering};

/// A database that is dropped with this value.
pub struct TestDatabase {
    admin: String,
    name: String,
    /// Its connection URL.
    pub url: String,
}

/// The admin URL; the PostgreSQL tests fail (not skip) without it.
pub fn admin_url() -> String {
    std::env::var("KPIMATCH_TEST_DATABASE_URL").expect(
        "KPIMATCH_TEST_DATABASE_URL is not set: run the tests through scripts/test.sh, which starts PostgreSQL \
         (or eval \"$(scripts/postgres.sh)\" first)",
    )
}

/// Runs a blocking PostgreSQL call on a plain thread (the synchronous client must not run on
/// an async worker).
pub fn off_runtime<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|s| s.spawn(f).join().expect("the PostgreSQL call did not panic"))
}

impl TestDatabase {
    /// Creates an empty database.
    pub fn create() -> TestDatabase {
        static N: AtomicU32 = AtomicU32::new(0);
        let admin = admin_url();
        let name = format!(
            "kpimatch_test_{}_{}_{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .subsec_nanos()
        );
        off_runtime(|| {
            let mut c = postgres::Client::connect(&admin, postgres::NoTls).expect("connecting as the test admin");
            c.batch_execute(&format!("CREATE DATABASE {name}"))
                .expect("CREATE DATABASE");
        });
        let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
        let url = format!("{base}/{name}");
        TestDatabase { admin, name, url }
    }

    /// Drops and recreates the database empty (a destroyed database, for restore drills).
    pub fn destroy_and_recreate(&self) {
        off_runtime(|| {
            let mut c = postgres::Client::connect(&self.admin, postgres::NoTls).unwrap();
            c.batch_execute(&format!("DROP DATABASE {} WITH (FORCE)", self.name))
                .unwrap();
            c.batch_execute(&format!("CREATE DATABASE {}", self.name)).unwrap();
        });
    }

    /// Makes the database refuse connections and ends the open ones (`available = false`), or
    /// lets it accept them again: a database outage for this test alone.
    pub fn set_available(&self, available: bool) {
        off_runtime(|| {
            let mut c = postgres::Client::connect(&self.admin, postgres::NoTls).unwrap();
            c.batch_execute(&format!("ALTER DATABASE {} ALLOW_CONNECTIONS {available}", self.name))
                .unwrap();
            if !available {
                c.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
                    &[&self.name],
                )
                .unwrap();
            }
        });
    }

    /// Runs SQL on the database.
    pub fn execute(&self, sql: &str) {
        off_runtime(|| {
            let mut c = postgres::Client::connect(&self.url, postgres::NoTls).unwrap();
            c.batch_execute(sql).unwrap();
        });
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let (admin, name) = (self.admin.clone(), self.name.clone());
        let _ = std::thread::spawn(move || {
            if let Ok(mut c) = postgres::Client::connect(&admin, postgres::NoTls) {
                let _ = c.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
            }
        })
        .join();
    }
}
