//! `kpimatch backup` and `kpimatch restore`: a portable, consistent copy of the source of truth.
//!
//! The file is JSON lines: a header (format, version, source backend and database id, the
//! change-log head the copy is consistent with, counts), then one `{"solution": …}`,
//! `{"city": …}` or `{"feedback": …}` object per line. It is read in one transaction, so it can
//! be taken while replicas serve and write; it restores into either backend (a way to move
//! from SQLite to PostgreSQL too). Derived data (text indexes) is not in it: every replica
//! rebuilds its index from the restored database, because the restored database has a new
//! identity.

use std::io::{BufRead, BufWriter, Write};
use std::path::Path;
use std::process::ExitCode;

use anyhow::{bail, Context};
use kpimatch_engine::city::City;
use kpimatch_engine::solution::Solution;
use serde::{Deserialize, Serialize};

use crate::cli::DataArgs;
use crate::config::Overrides;
use crate::storage;

const FORMAT: &str = "kpimatch-backup";
const VERSION: u32 = 1;

#[derive(Debug, Serialize, Deserialize)]
struct Header {
    format: String,
    version: u32,
    backend: String,
    database_id: String,
    head: u64,
    solutions: usize,
    cities: usize,
    feedback: usize,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Record {
    Solution(Solution),
    City(City),
    Feedback(serde_json::Value),
}

pub fn backup(bundle: &Path, out: &Path, data: DataArgs) -> anyhow::Result<ExitCode> {
    let settings = super::serve::settings(bundle, &data, Overrides::default())?;
    let store = storage::open(&settings).context("opening the database")?;
    let snap = store.snapshot(None)?;
    let feedback = store.feedback()?;
    let header = Header {
        format: FORMAT.into(),
        version: VERSION,
        backend: store.backend().into(),
        database_id: store.database_id().into(),
        head: snap.head,
        solutions: snap.solutions.len(),
        cities: snap.cities.len(),
        feedback: feedback.len(),
    };
    let write_all = |w: &mut dyn Write| -> anyhow::Result<()> {
        serde_json::to_writer(&mut *w, &header)?;
        w.write_all(b"\n")?;
        let records = snap
            .solutions
            .iter()
            .cloned()
            .map(Record::Solution)
            .chain(snap.cities.iter().cloned().map(Record::City))
            .chain(feedback.iter().cloned().map(Record::Feedback));
        for r in records {
            serde_json::to_writer(&mut *w, &r)?;
            w.write_all(b"\n")?;
        }
        w.flush()?;
        Ok(())
    };
    if out == Path::new("-") {
        write_all(&mut BufWriter::new(std::io::stdout().lock()))?;
    } else {
        // Written beside the target and renamed once synced: a crash never leaves half a backup
        // under the final name.
        let tmp = out.with_extension("partial");
        let file = std::fs::File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
        let mut w = BufWriter::new(file);
        write_all(&mut w)?;
        w.into_inner()?.sync_all()?;
        std::fs::rename(&tmp, out).with_context(|| format!("renaming to {}", out.display()))?;
    }
    eprintln!(
        "backed up {} solutions, {} cities, {} feedback events (change {}) from {}",
        header.solutions, header.cities, header.feedback, header.head, header.backend
    );
    Ok(ExitCode::SUCCESS)
}

pub fn restore(bundle: &Path, from: &Path, data: DataArgs) -> anyhow::Result<ExitCode> {
    let settings = super::serve::settings(bundle, &data, Overrides::default())?;
    let reader: Box<dyn BufRead> = if from == Path::new("-") {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(std::io::BufReader::new(
            std::fs::File::open(from).with_context(|| format!("opening {}", from.display()))?,
        ))
    };
    let mut lines = reader.lines();
    let first = lines.next().context("the backup is empty")??;
    let header: Header = serde_json::from_str(&first).context("line 1: not a kpimatch backup header")?;
    if header.format != FORMAT || header.version != VERSION {
        bail!(
            "line 1: format {} version {} is not {FORMAT} version {VERSION}",
            header.format,
            header.version
        );
    }
    let (mut solutions, mut cities, mut feedback) = (Vec::new(), Vec::new(), Vec::new());
    for (i, line) in lines.enumerate() {
        let line = line?;
        let record: Record = serde_json::from_str(&line).with_context(|| format!("line {}: invalid record", i + 2))?;
        match record {
            Record::Solution(s) => solutions.push(s),
            Record::City(c) => cities.push(c),
            Record::Feedback(f) => feedback.push(f),
        }
    }
    if (solutions.len(), cities.len(), feedback.len()) != (header.solutions, header.cities, header.feedback) {
        bail!(
            "the backup is truncated: the header promises {} solutions, {} cities, {} feedback events; found {}, {}, {}",
            header.solutions,
            header.cities,
            header.feedback,
            solutions.len(),
            cities.len(),
            feedback.len()
        );
    }
    let store = storage::open(&settings).context("opening the target database")?;
    if !store.seed_if_empty(&solutions, &cities)? {
        return Err(storage::StoreError::NotEmpty(format!("{} database", store.backend())).into());
    }
    for f in &feedback {
        store.put_feedback(f)?;
    }
    eprintln!(
        "restored {} solutions, {} cities, {} feedback events into {} (new database id {})",
        solutions.len(),
        cities.len(),
        feedback.len(),
        store.backend(),
        store.database_id()
    );
    Ok(ExitCode::SUCCESS)
}
