//! `kpimatch import solutions|cities FILE`: validated, durable import into the data directory.

use std::io::{IsTerminal, Read, Write};
use std::process::ExitCode;

use anyhow::{bail, Context};
use kpimatch_engine::city::City;
use kpimatch_engine::solution::Solution;

use crate::cli::{DataArgs, ImportKind};

/// Items written per transaction.
const BATCH: usize = 1_000;

pub fn run(
    bundle: &std::path::Path,
    kind: ImportKind,
    file: &std::path::Path,
    data: DataArgs,
) -> anyhow::Result<ExitCode> {
    let mut text = String::new();
    if file == std::path::Path::new("-") {
        std::io::stdin().read_to_string(&mut text)?;
    } else {
        text = std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    }
    let values: Vec<serde_json::Value> = if text.trim_start().starts_with('[') {
        serde_json::from_str(&text).context("the file is not a JSON array")?
    } else {
        text.lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(i, l)| serde_json::from_str(l).with_context(|| format!("line {}: not JSON", i + 1)))
            .collect::<anyhow::Result<_>>()?
    };
    let state = super::serve::offline_state(bundle, data)?;
    let catalogue = state.engine().shared_catalogue();
    let mut problems = Vec::new();
    let total = values.len();
    let progress = std::io::stderr().is_terminal();
    let mut done = 0usize;
    match kind {
        ImportKind::Solutions => {
            let mut batch: Vec<Solution> = Vec::with_capacity(BATCH);
            for (i, v) in values.into_iter().enumerate() {
                match serde_json::from_value::<Solution>(v) {
                    Ok(s) => match s.validate(&catalogue) {
                        Ok(()) => batch.push(s),
                        Err(e) => problems.push(format!("item {i} ('{}'): {e}", s.id)),
                    },
                    Err(e) => problems.push(format!("item {i}: {e}")),
                }
                if batch.len() == BATCH {
                    state.store.put_solutions(&batch)?;
                    done += batch.len();
                    batch.clear();
                    show(progress, done, total);
                }
            }
            if !batch.is_empty() {
                state.store.put_solutions(&batch)?;
                done += batch.len();
            }
        }
        ImportKind::Cities => {
            for (i, v) in values.into_iter().enumerate() {
                match serde_json::from_value::<City>(v) {
                    Ok(c) => match state.engine().check_city(&c) {
                        Ok(()) => {
                            state.store.put_city(&c)?;
                            done += 1;
                        }
                        Err(e) => problems.push(format!("item {i} ('{}'): {e}", c.id)),
                    },
                    Err(e) => problems.push(format!("item {i}: {e}")),
                }
                show(progress, done, total);
            }
        }
    }
    show(progress, done, total);
    if progress {
        eprintln!();
    }
    println!("imported {done} of {total}; {} rejected", problems.len());
    for p in problems.iter().take(50) {
        eprintln!("  {p}");
    }
    if !problems.is_empty() {
        if done == 0 {
            bail!("nothing was imported");
        }
        return Ok(ExitCode::from(2));
    }
    Ok(ExitCode::SUCCESS)
}

fn show(progress: bool, done: usize, total: usize) {
    if progress && total > 0 {
        let width = 40;
        let filled = width * done / total;
        eprint!(
            "\r[{}{}] {done}/{total}",
            "#".repeat(filled),
            " ".repeat(width - filled)
        );
        let _ = std::io::stderr().flush();
    }
}
