//! What a browser test needs: the application on port 0 (the same `Application::build` factory
//! `main` uses, a fresh seeded data directory), a chromedriver child process (killed on drop),
//! a headless Chromium session over WebDriver (fantoccini), and helpers to wait for the page,
//! read it with JavaScript and save screenshots to `tests/artifacts/`.

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use kpimatch_server::config::Settings;
use kpimatch_server::startup::Application;
use serde_json::{json, Value};
use tempfile::TempDir;

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// Browsers are heavy on a small machine: the tests take turns.
static TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Where screenshots go (gitignored).
pub fn artifacts() -> PathBuf {
    let dir = repo().join("tests/artifacts");
    std::fs::create_dir_all(&dir).expect("tests/artifacts can be created");
    dir
}

/// A running application with its own data directory.
pub struct TestApp {
    /// `http://127.0.0.1:<port>`.
    pub address: String,
    /// Plain-HTTP client without proxies.
    pub client: reqwest::Client,
    _data_dir: TempDir,
}

impl TestApp {
    /// Starts the application on 127.0.0.1:0, seeded from the repository's bundle, and waits
    /// until its index is loaded.
    pub async fn spawn() -> TestApp {
        let data_dir = tempfile::tempdir().expect("a temporary data directory");
        let settings = Settings {
            bind: "127.0.0.1:0".parse().unwrap(),
            data_dir: data_dir.path().to_path_buf(),
            // The repository's bundle, unless KPIMATCH_BUNDLE names another (as for `kpimatch`).
            bundle: std::env::var_os("KPIMATCH_BUNDLE").map_or_else(|| repo().join("index-data"), PathBuf::from),
            seed: true,
            http_workers: 2,
            ..Settings::default()
        };
        let app = Application::build(&settings).expect("the application builds");
        let address = format!("http://127.0.0.1:{}", app.port());
        let state = app.state();
        tokio::spawn(app.run_until_stopped());
        assert!(
            state.wait_until_ready(Duration::from_secs(60)).await,
            "the application became ready"
        );
        let client = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(60))
            .build()
            .expect("a reqwest client");
        TestApp {
            address,
            client,
            _data_dir: data_dir,
        }
    }

    /// `GET path`, expecting 2xx JSON.
    pub async fn get_json(&self, path: &str) -> Value {
        let res = self
            .client
            .get(format!("{}{path}", self.address))
            .send()
            .await
            .expect("GET sent");
        json_ok(res).await
    }

    /// `PUT path` with a JSON body, expecting 2xx JSON.
    pub async fn put_json(&self, path: &str, body: &Value) -> Value {
        let res = self
            .client
            .put(format!("{}{path}", self.address))
            .json(body)
            .send()
            .await
            .expect("PUT sent");
        json_ok(res).await
    }

    /// `POST path` with a JSON body, expecting 2xx JSON.
    pub async fn post_json(&self, path: &str, body: &Value) -> Value {
        let res = self
            .client
            .post(format!("{}{path}", self.address))
            .json(body)
            .send()
            .await
            .expect("POST sent");
        json_ok(res).await
    }
}

async fn json_ok(res: reqwest::Response) -> Value {
    let status = res.status();
    let text = res.text().await.expect("a body");
    assert!(status.is_success(), "expected 2xx, got {status}: {text}");
    serde_json::from_str(&text).expect("a JSON body")
}

/// A chromedriver child process on a free port; killed when dropped.
struct Chromedriver {
    child: Child,
    port: u16,
}

impl Chromedriver {
    async fn start() -> Chromedriver {
        for binary in [CHROMIUM, CHROMEDRIVER] {
            assert!(
                Path::new(binary).exists(),
                "{binary} is missing: the browser tests need Chromium and its driver. Install them with \
                 `apt-get install -y chromium chromium-driver` (scripts/test.sh does this on a fresh machine)."
            );
        }
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let test = std::thread::current().name().unwrap_or("browser").replace("::", "-");
        let log = std::fs::File::create(artifacts().join(format!("chromedriver-{test}.log")))
            .expect("a chromedriver log file");
        // Its own process group, so the Chromium it starts can be stopped with it.
        let child = Command::new(CHROMEDRIVER)
            .process_group(0)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("{CHROMEDRIVER} did not start ({e}); install `chromium chromium-driver`"));
        let driver = Chromedriver { child, port };
        let status = format!("http://127.0.0.1:{port}/status");
        let client = reqwest::Client::builder().no_proxy().build().unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(res) = client.get(&status).send().await {
                if res.status().is_success() {
                    return driver;
                }
            }
            assert!(Instant::now() < deadline, "chromedriver did not answer on port {port}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for Chromedriver {
    fn drop(&mut self) {
        // The group of the child this test started: chromedriver and the browser it launched.
        if let Ok(pid) = i32::try_from(self.child.id()) {
            // SAFETY: kill(2) with a negative pid signals that process group only.
            unsafe {
                libc::kill(-pid, libc::SIGKILL);
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A headless Chromium session with the app it tests. Dropping it ends the session and stops
/// chromedriver; the fields drop in order (browser profile last).
pub struct Browser {
    /// The WebDriver client.
    pub client: Client,
    /// The application under test.
    pub app: TestApp,
    _driver: Chromedriver,
    _profile: TempDir,
    _turn: tokio::sync::MutexGuard<'static, ()>,
}

impl Browser {
    /// Starts the app, chromedriver and Chromium with a window of `width`×`height`.
    pub async fn start(width: u32, height: u32) -> Browser {
        Browser::launch(width, height, None).await
    }

    /// As [`Browser::start`], emulating a phone's screen of `width`×`height` CSS pixels (desktop
    /// windows cannot be made that narrow).
    pub async fn start_phone(width: u32, height: u32) -> Browser {
        let emulation = json!({"deviceMetrics": {"width": width, "height": height, "pixelRatio": 2.0, "touch": true, "mobile": true}});
        Browser::launch(width, height, Some(emulation)).await
    }

    async fn launch(width: u32, height: u32, mobile_emulation: Option<Value>) -> Browser {
        let turn = TURN.lock().await;
        let app = TestApp::spawn().await;
        let driver = Chromedriver::start().await;
        let profile = tempfile::tempdir().expect("a fresh Chromium profile directory");
        let capabilities = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": [
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-quic",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-dev-shm-usage",
                    "--no-first-run",
                    "--disable-sync",
                    "--hide-scrollbars",
                    "--force-device-scale-factor=1",
                    format!("--user-data-dir={}", profile.path().display()),
                    format!("--window-size={width},{height}"),
                ]
            }
        });
        let mut capabilities = capabilities;
        if let Some(emulation) = mobile_emulation {
            capabilities["goog:chromeOptions"]["mobileEmulation"] = emulation;
        }
        let capabilities = match capabilities {
            Value::Object(map) => map,
            _ => unreachable!(),
        };
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = ClientBuilder::new(connector)
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{}", driver.port))
            .await
            .unwrap_or_else(|e| panic!("Chromium did not start through chromedriver: {e}"));
        Browser {
            client,
            app,
            _driver: driver,
            _profile: profile,
            _turn: turn,
        }
    }

    /// Opens the page at `fragment` (e.g. `#/planner?city=x`) and waits until its script ran.
    pub async fn open(&self, fragment: &str) {
        self.client
            .goto(&format!("{}/{fragment}", self.app.address))
            .await
            .expect("the page opens");
        self.wait_for("document.body.dataset.ready === 'true'", "the page script to start")
            .await;
    }

    /// Runs a script (its `return` value comes back as JSON).
    pub async fn js(&self, script: &str) -> Value {
        self.client
            .execute(script, vec![])
            .await
            .unwrap_or_else(|e| panic!("script failed ({e}): {script}"))
    }

    /// Runs a script with arguments (`arguments[0]` …).
    pub async fn js_with(&self, script: &str, args: Vec<Value>) -> Value {
        self.client
            .execute(script, args)
            .await
            .unwrap_or_else(|e| panic!("script failed ({e}): {script}"))
    }

    /// Waits until a JavaScript expression is truthy (30 s); on timeout saves a screenshot and
    /// fails with the page's alert text.
    pub async fn wait_for(&self, expression: &str, what: &str) {
        let script = format!("return !!({expression});");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if self.js(&script).await == Value::Bool(true) {
                return;
            }
            if Instant::now() >= deadline {
                let name = format!("timeout-{}", what.replace(|c: char| !c.is_ascii_alphanumeric(), "-"));
                self.screenshot(&name).await;
                let alerts = self.js("return document.getElementById('alerts').innerText").await;
                panic!("timed out waiting for {what} ({expression}); alerts on the page: {alerts}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Clicks the element matching a CSS selector.
    pub async fn click(&self, css: &str) {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no element {css}: {e}"))
            .click()
            .await
            .unwrap_or_else(|e| panic!("{css} could not be clicked: {e}"));
    }

    /// Types into the element matching a CSS selector (after clearing it).
    pub async fn type_into(&self, css: &str, text: &str) {
        let el = self
            .client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no element {css}: {e}"));
        el.clear().await.expect("the field clears");
        el.send_keys(text).await.expect("keys are sent");
    }

    /// Sets a text area's value at once (typing a long paste key by key is slow) and tells
    /// the page with an `input` event, as a paste does.
    pub async fn paste_into(&self, css: &str, text: &str) {
        self.js_with(
            "const el = document.querySelector(arguments[0]); el.focus(); el.value = arguments[1]; \
             el.dispatchEvent(new Event('input', {bubbles: true}));",
            vec![json!(css), json!(text)],
        )
        .await;
    }

    /// The text of the alert region.
    pub async fn alerts(&self) -> String {
        self.js("return document.getElementById('alerts').innerText")
            .await
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Saves a PNG of the viewport as `tests/artifacts/<name>.png` and returns its path.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let png = self.client.screenshot().await.expect("a screenshot");
        let path = artifacts().join(format!("{name}.png"));
        std::fs::write(&path, png).expect("the screenshot is written");
        path
    }

    /// Ends the session (Chromium exits) before chromedriver is killed.
    pub async fn close(self) {
        let Browser { client, .. } = self;
        let _ = client.close().await;
    }
}
