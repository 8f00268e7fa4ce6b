//! End-to-end tests of the planner's page (the planner view with its SDG picture, SDG focus and
//! "why not", the portfolio, peer cities, the provider view, the benchmark) in a
//! real headless Chromium (Debian's `chromium` and `chromium-driver`), driven over WebDriver
//! with fantoccini. Each test starts the application in-process on port 0 with a fresh seeded
//! data directory, a chromedriver child process and a browser with a fresh profile; what the
//! page shows is checked against the public `/v1` API called directly. Screenshots go to
//! `tests/artifacts/`; with `KPIMATCH_UPDATE_SCREENSHOT=1` the city-and-results view also
//! replaces `docs/screenshot.png`. The app uses the repository's `index-data/` unless
//! `KPIMATCH_BUNDLE` names another bundle (as it does for `kpimatch`).
//!
//! Without Chromium these tests fail (they do not skip): install `chromium chromium-driver`.

mod ask;
mod benchmark;
mod harness;
mod peers;
mod planner;
mod portfolio;
mod provider;
