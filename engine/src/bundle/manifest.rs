use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{Error, Result};

/// Name of the manifest file at the bundle's root.
pub const MANIFEST_FILE: &str = "manifest.json";

/// What the bundle holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Counts {
    /// KPIs.
    pub kpis: usize,
    /// Solutions.
    pub solutions: usize,
    /// Solutions carrying declared KPI impacts.
    pub solutions_with_kpis: usize,
    /// Cities.
    pub cities: usize,
    /// Judged topics.
    pub topics: usize,
    /// Judgment lines.
    pub judgments: usize,
    /// Judged lead topics (solution → cities); absent in older manifests.
    #[serde(default)]
    pub lead_topics: usize,
    /// Their judgment lines.
    #[serde(default)]
    pub lead_judgments: usize,
    /// Ranking profiles.
    pub profiles: usize,
    /// Vocabularies of languages other than English (`vocabulary/*.json`).
    #[serde(default)]
    pub vocabularies: usize,
    /// Variant topics (`topics/multilingual.jsonl`: translations and paraphrases).
    #[serde(default)]
    pub variant_topics: usize,
}

/// `manifest.json`: format version, counts and the SHA-256 of every data file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Bundle format version (1).
    pub format_version: u32,
    /// Counts.
    pub counts: Counts,
    /// Relative path → lower-case hex SHA-256.
    pub files: BTreeMap<String, String>,
}

impl Manifest {
    /// The data files of a bundle, relative to its root, sorted.
    pub fn data_files(root: &Path) -> Result<Vec<String>> {
        let mut out = Vec::new();
        for name in [
            "kpis.jsonl",
            "vocabulary.json",
            "cities.jsonl",
            "topics/topics.jsonl",
            "topics/qrels.txt",
            "topics/leads.jsonl",
            "topics/leads-qrels.txt",
            "topics/multilingual.jsonl",
        ] {
            if root.join(name).is_file() {
                out.push(name.to_string());
            }
        }
        for dir in ["solutions", "profiles", "vocabulary"] {
            let d = root.join(dir);
            if !d.is_dir() {
                continue;
            }
            let mut names: Vec<String> = std::fs::read_dir(&d)
                .map_err(|e| Error::io(&d, e))?
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".jsonl") || n.ends_with(".json"))
                .collect();
            names.sort();
            out.extend(names.into_iter().map(|n| format!("{dir}/{n}")));
        }
        out.sort();
        Ok(out)
    }

    /// SHA-256 of a file, lower-case hex.
    pub fn checksum(path: &Path) -> Result<String> {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        Ok(Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect())
    }

    /// A fingerprint of the files a solution's derived data (language, inferred KPI profile)
    /// depends on: the catalogue and every vocabulary, by their checksums. Two bundles with the
    /// same fingerprint derive the same profile from the same solution.
    pub fn derivation_fingerprint(&self) -> String {
        let mut h = Sha256::new();
        for (name, sum) in &self.files {
            if name == "kpis.jsonl" || name == "vocabulary.json" || name.starts_with("vocabulary/") {
                h.update(name.as_bytes());
                h.update(b"\0");
                h.update(sum.as_bytes());
                h.update(b"\n");
            }
        }
        h.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Writes `manifest.json` for a bundle with the given counts.
    pub fn write(root: &Path, counts: Counts) -> Result<Manifest> {
        let mut files = BTreeMap::new();
        for f in Self::data_files(root)? {
            files.insert(f.clone(), Self::checksum(&root.join(&f))?);
        }
        let m = Manifest {
            format_version: 1,
            counts,
            files,
        };
        let path = root.join(MANIFEST_FILE);
        let mut text = serde_json::to_string_pretty(&m).map_err(|e| Error::Internal(e.to_string()))?;
        text.push('\n');
        std::fs::write(&path, text).map_err(|e| Error::io(&path, e))?;
        Ok(m)
    }
}
