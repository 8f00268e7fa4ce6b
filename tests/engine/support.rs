//! Shared fixtures of the engine tests: the bundled `index-data/`, loaded once, an engine built
//! from it, and a helper to copy a bundle directory for tests that corrupt it.

use std::path::Path;
use std::sync::LazyLock;

use kpimatch_engine::bundle::Bundle;
use kpimatch_engine::Engine;

/// The bundled data directory.
pub const INDEX_DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../index-data");

/// The committed compatibility fixture (see `tests/fixtures/bundle-v1/README.md`).
pub const FIXTURE_V1: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/bundle-v1");

static BUNDLE: LazyLock<Bundle> =
    LazyLock::new(|| Bundle::load(INDEX_DATA).unwrap_or_else(|e| panic!("the bundled index-data must load: {e}")));

static ENGINE: LazyLock<Engine> = LazyLock::new(|| {
    Engine::from_bundle(bundle()).unwrap_or_else(|e| panic!("an engine must build from index-data: {e}"))
});

/// The bundled data, loaded and validated once per test binary.
pub fn bundle() -> &'static Bundle {
    &BUNDLE
}

/// An engine over the bundled data, built once per test binary and shared read-only.
pub fn engine() -> &'static Engine {
    &ENGINE
}

/// Copies a directory tree (files and sub-directories) into `to`, which must exist.
pub fn copy_dir(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap_or_else(|e| panic!("cannot list {}: {e}", from.display())) {
        let entry = entry.expect("directory entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            std::fs::create_dir_all(&target).expect("create directory");
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target)
                .unwrap_or_else(|e| panic!("cannot copy {}: {e}", entry.path().display()));
        }
    }
}
