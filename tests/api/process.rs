//! The real `kpimatch` binary as a child process: started on a data directory (and optionally a
//! PostgreSQL database), waited on until ready, killed with SIGKILL.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::helpers::{bundle_dir, client};

/// Where and on what a server runs.
#[derive(Debug, Clone)]
pub struct Target {
    /// The data directory (SQLite database and/or the replica's index).
    pub data_dir: PathBuf,
    /// PostgreSQL URL, when PostgreSQL is the source of truth.
    pub database_url: Option<String>,
}

impl Target {
    /// SQLite in `data_dir`.
    pub fn sqlite(data_dir: &Path) -> Target {
        Target {
            data_dir: data_dir.to_path_buf(),
            database_url: None,
        }
    }

    /// PostgreSQL at `url`, the index in `data_dir`.
    pub fn postgres(data_dir: &Path, url: &str) -> Target {
        Target {
            data_dir: data_dir.to_path_buf(),
            database_url: Some(url.to_string()),
        }
    }

    /// The `kpimatch` command with the bundle and this target's data arguments after `sub`.
    pub fn command(&self, sub: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_kpimatch"));
        cmd.arg("--bundle").arg(bundle_dir()).args(sub);
        cmd.arg("--data-dir").arg(&self.data_dir);
        if let Some(url) = &self.database_url {
            cmd.arg("--database-url").arg(url);
        }
        for var in [
            "KPIMATCH_CONFIG",
            "KPIMATCH_NO_SEED",
            "KPIMATCH_DATABASE_URL",
            "KPIMATCH_DATA_DIR",
        ] {
            cmd.env_remove(var);
        }
        cmd
    }
}

/// A running `kpimatch serve`; killed (SIGKILL) when dropped.
pub struct Server {
    child: Child,
    /// `http://127.0.0.1:<port>`.
    pub address: String,
    /// A client without proxies.
    pub client: reqwest::Client,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Starts the binary on a free port without waiting.
    pub fn spawn(target: &Target, extra: &[&str]) -> Server {
        let port = free_port();
        let log_path = target.data_dir.with_extension(format!("{port}.log"));
        let log = std::fs::File::create(&log_path).unwrap();
        let bind = format!("127.0.0.1:{port}");
        // No rate limit: these tests hammer one replica on purpose (the limiter has its own tests).
        let mut args = vec![
            "serve",
            "--bind",
            bind.as_str(),
            "--http-workers",
            "2",
            "--rate-limit-per-second",
            "0",
        ];
        args.extend_from_slice(extra);
        let child = target
            .command(&args)
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("kpimatch starts");
        Server {
            child,
            address: format!("http://127.0.0.1:{port}"),
            client: client(),
        }
    }

    /// Starts the binary and waits until `/readyz` answers 200.
    pub async fn start(target: &Target) -> Server {
        Self::start_with(target, &[]).await
    }

    /// Starts the binary with extra `serve` flags and waits until ready.
    pub async fn start_with(target: &Target, extra: &[&str]) -> Server {
        let mut server = Self::spawn(target, extra);
        server.wait_ready().await;
        server
    }

    /// Waits (up to 60 s) until `/readyz` answers 200.
    pub async fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("kpimatch exited before it was ready: {status}");
            }
            if self.is_ready().await {
                return;
            }
            assert!(Instant::now() < deadline, "kpimatch was not ready within 60 s");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// True when `/readyz` answers 200 now.
    pub async fn is_ready(&self) -> bool {
        matches!(
            self.client.get(format!("{}/readyz", self.address)).send().await,
            Ok(r) if r.status().is_success()
        )
    }

    /// SIGKILL, no chance to flush or shut down.
    pub fn kill_9(mut self) {
        self.child.kill().expect("SIGKILL sent");
        self.child.wait().expect("the process is reaped");
    }

    /// `GET <path>`.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{}", self.address, path))
            .send()
            .await
            .expect("GET sent")
    }

    /// `POST <path>` with a JSON body.
    pub async fn post(&self, path: &str, body: &Value) -> reqwest::Response {
        self.client
            .post(format!("{}{}", self.address, path))
            .json(body)
            .send()
            .await
            .expect("POST sent")
    }

    /// The stored solution count from `/readyz`.
    pub async fn solution_count(&self) -> u64 {
        let ready: Value = self.get("/readyz").await.json().await.unwrap();
        ready["solutions"].as_u64().expect("a solution count")
    }

    /// Top results of `/v1/match` as (id, score).
    pub async fn ranking(&self, request: &Value) -> Vec<(String, f32)> {
        let res = self.post("/v1/match", request).await;
        assert!(res.status().is_success(), "match failed: {}", res.status());
        scored(&res.json().await.unwrap())
    }
}

/// (id, score) pairs of a match response.
pub fn scored(body: &Value) -> Vec<(String, f32)> {
    body["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| {
            (
                r["solution_id"].as_str().unwrap().to_string(),
                r["score"].as_f64().unwrap() as f32,
            )
        })
        .collect()
}

/// The same request ranked by a fresh in-memory rebuild from the database (`kpimatch match`,
/// which never touches a serving replica's index).
pub fn fresh_ranking(target: &Target, city: &str, needs: &str, limit: usize) -> Vec<(String, f32)> {
    let out = target
        .command(&[
            "match",
            "--json",
            "--city",
            city,
            "--needs",
            needs,
            "--limit",
            &limit.to_string(),
        ])
        .arg("--no-seed")
        .output()
        .expect("kpimatch match runs");
    assert!(
        out.status.success(),
        "kpimatch match failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    scored(&serde_json::from_slice(&out.stdout).expect("JSON from kpimatch match"))
}

/// A port that was free a moment ago.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}
