//! The engine every engine-backed target shares: the bundled `index-data/`, loaded once.
//! (Each target compiles this module; some use only the bundle.)
#![allow(dead_code)]

use std::sync::LazyLock;

use kpimatch_engine::bundle::Bundle;
use kpimatch_engine::Engine;

pub static BUNDLE: LazyLock<Bundle> = LazyLock::new(|| {
    Bundle::load(concat!(env!("CARGO_MANIFEST_DIR"), "/../index-data")).expect("the bundled index-data loads")
});

pub static ENGINE: LazyLock<Engine> =
    LazyLock::new(|| Engine::from_bundle(&BUNDLE).expect("an engine builds from index-data"));
