use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

use super::manifest::{Counts, Manifest, MANIFEST_FILE};
use super::topic::{LeadTopic, Topic, VariantTopic};
use crate::city::City;
use crate::kpi::{Catalogue, Kpi};
use crate::lang::Lang;
use crate::ranking::RankingProfile;
use crate::solution::Solution;
use crate::vocab::{Languages, Vocabulary, VocabularyFile};
use crate::{DataProblem, Error, Result};

/// One judgment line of `topics/qrels.txt` (or `topics/leads-qrels.txt`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Judgment {
    /// Topic id.
    pub topic: String,
    /// Solution id (a city id for lead topics).
    pub doc: String,
    /// Grade (0, 1, 2).
    pub grade: i32,
}

/// The loaded and validated data bundle.
#[derive(Debug, Clone)]
pub struct Bundle {
    /// Where it was loaded from.
    pub root: PathBuf,
    /// The manifest.
    pub manifest: Manifest,
    /// The KPI catalogue.
    pub catalogue: Catalogue,
    /// The vocabulary as stored.
    pub vocabulary_file: VocabularyFile,
    /// The vocabulary compiled against the catalogue.
    pub vocabulary: Vocabulary,
    /// The vocabularies of other languages (`vocabulary/<code>.json`), compiled with each
    /// language's analyzer, in [`Lang::ALL`] order.
    pub translations: Vec<(Lang, Vocabulary)>,
    /// All solutions, in file then line order.
    pub solutions: Vec<Solution>,
    /// All cities.
    pub cities: Vec<City>,
    /// Judged topics.
    pub topics: Vec<Topic>,
    /// Judgments.
    pub judgments: Vec<Judgment>,
    /// Judged lead topics (solution → cities).
    pub lead_topics: Vec<LeadTopic>,
    /// Their judgments (docs are city ids).
    pub lead_judgments: Vec<Judgment>,
    /// Translations and paraphrases of judged topics (judged by their sources' judgments).
    pub variant_topics: Vec<VariantTopic>,
    /// Ranking profiles (`profiles/*.json`).
    pub profiles: Vec<RankingProfile>,
}

/// Reads a TREC qrels file (`topic iter doc grade`, grades 0–2), reporting unknown topics, docs
/// `unknown_doc` names, repeated pairs and malformed lines with their line numbers. A missing
/// file has no judgments.
fn read_qrels(
    path: &Path,
    p: &mut Problems,
    known_topic: impl Fn(&str) -> bool,
    unknown_doc: impl Fn(&str) -> Option<String>,
) -> Result<Vec<Judgment>> {
    let mut judgments = Vec::new();
    if !path.exists() {
        return Ok(judgments);
    }
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let mut seen = HashMap::new();
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let parts: Vec<&str> = line.split_whitespace().collect();
        if parts.len() != 4 {
            p.add(
                path,
                Some(n),
                format!("expected 'topic iter doc grade', found {} fields", parts.len()),
            );
            continue;
        }
        let Ok(grade) = parts[3].parse::<i32>() else {
            p.add(path, Some(n), format!("grade '{}' is not an integer", parts[3]));
            continue;
        };
        if !(0..=2).contains(&grade) {
            p.add(path, Some(n), format!("grade {grade} is outside 0–2"));
        }
        if !known_topic(parts[0]) {
            p.add(path, Some(n), format!("unknown topic '{}'", parts[0]));
        }
        if let Some(message) = unknown_doc(parts[2]) {
            p.add(path, Some(n), message);
        }
        if let Some(first) = seen.insert((parts[0].to_string(), parts[2].to_string()), n) {
            p.add(
                path,
                Some(n),
                format!("'{} {}' is judged twice (first on line {first})", parts[0], parts[2]),
            );
        }
        judgments.push(Judgment {
            topic: parts[0].into(),
            doc: parts[2].into(),
            grade,
        });
    }
    Ok(judgments)
}

/// Collects problems while loading.
struct Problems(Vec<DataProblem>);

impl Problems {
    fn add(&mut self, file: &Path, line: Option<usize>, message: impl Into<String>) {
        self.0.push(DataProblem {
            file: file.to_path_buf(),
            line,
            message: message.into(),
        });
    }
}

/// Reads a JSON Lines file into records with their line numbers; bad lines become problems.
/// The `.json` files of a directory in name order; none when the directory is absent.
fn json_files(dir: &Path) -> Result<Vec<PathBuf>> {
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| Error::io(dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|f| f.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    Ok(files)
}

fn read_jsonl<T: DeserializeOwned>(path: &Path, problems: &mut Problems) -> Vec<(usize, T)> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            problems.add(path, None, format!("cannot read the file: {e}"));
            return Vec::new();
        }
    };
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        if line.trim().is_empty() {
            problems.add(path, Some(n), "blank line (JSON Lines files have one object per line)");
            continue;
        }
        match serde_json::from_str::<T>(line) {
            Ok(v) => out.push((n, v)),
            Err(e) => problems.add(path, Some(n), format!("{e}")),
        }
    }
    out
}

fn field_message(e: &Error) -> String {
    match e {
        Error::InvalidField { field, message } => format!("{field}: {message}"),
        Error::UnknownKpiAt { field, code } => format!("{field}: unknown KPI code '{code}'"),
        other => other.to_string(),
    }
}

impl Bundle {
    /// Loads a bundle directory and validates everything in it. Every problem found is
    /// reported at once, each with its file and line.
    pub fn load(root: impl AsRef<Path>) -> Result<Bundle> {
        let root = root.as_ref().to_path_buf();
        let mut p = Problems(Vec::new());

        // Manifest.
        let manifest_path = root.join(MANIFEST_FILE);
        let manifest: Option<Manifest> = match std::fs::read_to_string(&manifest_path) {
            Ok(t) => match serde_json::from_str::<Manifest>(&t) {
                Ok(m) => {
                    if m.format_version != 1 {
                        p.add(
                            &manifest_path,
                            None,
                            format!("format_version {} is not supported (expected 1)", m.format_version),
                        );
                    }
                    Some(m)
                }
                Err(e) => {
                    p.add(&manifest_path, Some(e.line()), e.to_string());
                    None
                }
            },
            Err(e) => {
                p.add(&manifest_path, None, format!("cannot read the manifest: {e}"));
                None
            }
        };

        // KPIs.
        let kpis_path = root.join("kpis.jsonl");
        let kpi_rows: Vec<(usize, Kpi)> = read_jsonl(&kpis_path, &mut p);
        let mut seen_codes: HashMap<String, usize> = HashMap::new();
        for (line, k) in &kpi_rows {
            if let Some(first) = seen_codes.insert(k.code.to_string(), *line) {
                p.add(
                    &kpis_path,
                    Some(*line),
                    format!("duplicate KPI code '{}' (first on line {first})", k.code),
                );
            }
            if !(k.target.is_finite() && k.target > 0.0) {
                p.add(
                    &kpis_path,
                    Some(*line),
                    format!("KPI '{}' has target {}; targets must be positive", k.code, k.target),
                );
            }
        }
        let catalogue = if p.0.is_empty() {
            match Catalogue::new(kpi_rows.into_iter().map(|(_, k)| k).collect()) {
                Ok(c) => Some(c),
                Err(e) => {
                    p.add(&kpis_path, None, e.to_string());
                    None
                }
            }
        } else {
            None
        };
        let Some(catalogue) = catalogue else {
            return Err(Error::InvalidData {
                source_name: root.display().to_string(),
                problems: p.0,
            });
        };

        // Vocabulary.
        let vocab_path = root.join("vocabulary.json");
        let (vocabulary_file, vocabulary) = match crate::vocab::read_file(&vocab_path) {
            Ok(f) => match Vocabulary::compile(&f, &catalogue) {
                Ok(v) => (f, v),
                Err(problems) => {
                    for m in problems {
                        p.add(&vocab_path, None, m);
                    }
                    (f, Vocabulary::empty(&catalogue))
                }
            },
            Err(Error::InvalidData { problems, .. }) => {
                p.0.extend(problems);
                (empty_vocab_file(), Vocabulary::empty(&catalogue))
            }
            Err(e) => {
                p.add(&vocab_path, None, e.to_string());
                (empty_vocab_file(), Vocabulary::empty(&catalogue))
            }
        };

        // Vocabularies of other languages.
        let mut translations = Vec::new();
        for f in json_files(&root.join("vocabulary"))? {
            let file = match crate::vocab::read_file(&f) {
                Ok(file) => file,
                Err(Error::InvalidData { problems, .. }) => {
                    p.0.extend(problems);
                    continue;
                }
                Err(e) => {
                    p.add(&f, None, e.to_string());
                    continue;
                }
            };
            let stem = f.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
            let lang = match file.lang.as_deref().map(Lang::parse_tag) {
                Some(Ok(Some(l))) if l != Lang::En && l.code() == stem => l,
                _ => {
                    p.add(
                        &f,
                        None,
                        format!("lang must name a supported language other than English, the file's name ('{stem}')"),
                    );
                    continue;
                }
            };
            match Vocabulary::compile_in(&file, &catalogue, &mut lang.analyzer()) {
                Ok(v) => translations.push((lang, v)),
                Err(problems) => {
                    for m in problems {
                        p.add(&f, None, m);
                    }
                }
            }
        }
        translations.sort_by_key(|(l, _)| *l);

        // Solutions.
        let mut solutions = Vec::new();
        let mut solution_at: HashMap<String, (PathBuf, usize)> = HashMap::new();
        let sol_dir = root.join("solutions");
        let mut files: Vec<PathBuf> = match std::fs::read_dir(&sol_dir) {
            Ok(rd) => rd
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| f.extension().is_some_and(|x| x == "jsonl"))
                .collect(),
            Err(e) => {
                p.add(&sol_dir, None, format!("cannot read the solutions directory: {e}"));
                Vec::new()
            }
        };
        files.sort();
        for f in &files {
            for (line, s) in read_jsonl::<Solution>(f, &mut p) {
                for e in s.problems(&catalogue) {
                    p.add(f, Some(line), format!("solution '{}': {}", s.id, field_message(&e)));
                }
                if let Some((ff, fl)) = solution_at.get(&s.id) {
                    p.add(
                        f,
                        Some(line),
                        format!("duplicate solution id '{}' (first at {}:{fl})", s.id, ff.display()),
                    );
                    continue;
                }
                solution_at.insert(s.id.clone(), (f.clone(), line));
                solutions.push(s);
            }
        }

        // Cities.
        let cities_path = root.join("cities.jsonl");
        let mut cities = Vec::new();
        let mut city_line: HashMap<String, usize> = HashMap::new();
        for (line, c) in read_jsonl::<City>(&cities_path, &mut p) {
            for e in c.problems(&catalogue) {
                p.add(
                    &cities_path,
                    Some(line),
                    format!("city '{}': {}", c.id, field_message(&e)),
                );
            }
            for (i, d) in c.deployments.iter().enumerate() {
                if !solution_at.contains_key(&d.solution_id) {
                    p.add(
                        &cities_path,
                        Some(line),
                        format!(
                            "city '{}': deployments[{i}].solution_id: unknown solution '{}'",
                            c.id, d.solution_id
                        ),
                    );
                }
            }
            if let Some(first) = city_line.insert(c.id.clone(), line) {
                p.add(
                    &cities_path,
                    Some(line),
                    format!("duplicate city id '{}' (first on line {first})", c.id),
                );
                continue;
            }
            cities.push(c);
        }

        // Topics and judgments.
        let topics_path = root.join("topics/topics.jsonl");
        let mut topics = Vec::new();
        let mut topic_line: HashMap<String, usize> = HashMap::new();
        if topics_path.exists() {
            for (line, t) in read_jsonl::<Topic>(&topics_path, &mut p) {
                match (&t.city_id, &t.city) {
                    (Some(id), _) if !city_line.contains_key(id) => p.add(
                        &topics_path,
                        Some(line),
                        format!("topic '{}': unknown city '{id}'", t.id),
                    ),
                    (Some(_), Some(_)) => p.add(
                        &topics_path,
                        Some(line),
                        format!("topic '{}': give city_id or city, not both", t.id),
                    ),
                    (None, Some(c)) => {
                        for e in c.problems(&catalogue) {
                            p.add(
                                &topics_path,
                                Some(line),
                                format!("topic '{}': city.{}", t.id, field_message(&e)),
                            );
                        }
                    }
                    _ => {}
                }
                if let Some(first) = topic_line.insert(t.id.clone(), line) {
                    p.add(
                        &topics_path,
                        Some(line),
                        format!("duplicate topic id '{}' (first on line {first})", t.id),
                    );
                    continue;
                }
                topics.push(t);
            }
        }
        let qrels_path = root.join("topics/qrels.txt");
        let judgments = read_qrels(
            &qrels_path,
            &mut p,
            |t| topic_line.contains_key(t),
            |d| (!solution_at.contains_key(d)).then(|| format!("unknown solution '{d}'")),
        )?;

        // Lead topics: a solution, judged cities.
        let leads_path = root.join("topics/leads.jsonl");
        let mut lead_topics = Vec::new();
        let mut lead_line: HashMap<String, usize> = HashMap::new();
        if leads_path.exists() {
            for (line, t) in read_jsonl::<LeadTopic>(&leads_path, &mut p) {
                if !solution_at.contains_key(&t.solution_id) {
                    p.add(
                        &leads_path,
                        Some(line),
                        format!("lead topic '{}': unknown solution '{}'", t.id, t.solution_id),
                    );
                }
                if let Some(first) = lead_line
                    .insert(t.id.clone(), line)
                    .or_else(|| topic_line.get(&t.id).copied())
                {
                    p.add(
                        &leads_path,
                        Some(line),
                        format!("duplicate topic id '{}' (also on line {first})", t.id),
                    );
                    continue;
                }
                lead_topics.push(t);
            }
        }
        let city_ids: HashSet<&str> = cities.iter().map(|c| c.id.as_str()).collect();
        let lead_judgments = read_qrels(
            &root.join("topics/leads-qrels.txt"),
            &mut p,
            |t| lead_line.contains_key(t),
            |d| (!city_ids.contains(d)).then(|| format!("unknown city '{d}'")),
        )?;

        // Variant topics: a judged topic restated (same city), judged by its source.
        let variants_path = root.join("topics/multilingual.jsonl");
        let mut variant_topics = Vec::new();
        if variants_path.exists() {
            let sources: HashMap<&str, &Topic> = topics.iter().map(|t| (t.id.as_str(), t)).collect();
            let mut seen: HashSet<String> = HashSet::new();
            for (line, t) in read_jsonl::<VariantTopic>(&variants_path, &mut p) {
                let mut problem = |m: String| p.add(&variants_path, Some(line), format!("topic '{}': {m}", t.id));
                match sources.get(t.source.as_str()) {
                    None => problem(format!("unknown source topic '{}'", t.source)),
                    Some(s) if s.city_id.as_deref() != Some(t.city_id.as_str()) => {
                        problem(format!("city '{}' is not its source's", t.city_id))
                    }
                    Some(s) if s.split != t.split => problem("split is not its source's".into()),
                    Some(_) => {}
                }
                if let Err(m) = Lang::parse_tag(&t.lang) {
                    problem(format!("lang: {m}"));
                }
                if t.needs.trim().is_empty() || t.needs.chars().count() > crate::limits::MAX_QUERY_CHARS {
                    problem("needs must be a non-empty question within the query length".into());
                }
                if topic_line.contains_key(&t.id) || lead_line.contains_key(&t.id) || !seen.insert(t.id.clone()) {
                    problem("duplicate topic id".into());
                    continue;
                }
                variant_topics.push(t);
            }
        }

        // Profiles.
        let mut profiles = Vec::new();
        for f in json_files(&root.join("profiles"))? {
            match RankingProfile::read(&f) {
                Ok(prof) => profiles.push(prof),
                Err(Error::InvalidData { problems, .. }) => p.0.extend(problems),
                Err(e) => p.add(&f, None, e.to_string()),
            }
        }

        // Manifest agreement.
        let counts = Counts {
            kpis: catalogue.len(),
            solutions: solutions.len(),
            solutions_with_kpis: solutions.iter().filter(|s| !s.kpis.is_empty()).count(),
            cities: cities.len(),
            topics: topics.len(),
            judgments: judgments.len(),
            lead_topics: lead_topics.len(),
            lead_judgments: lead_judgments.len(),
            profiles: profiles.len(),
            vocabularies: translations.len(),
            variant_topics: variant_topics.len(),
        };
        if let Some(m) = &manifest {
            if m.counts != counts {
                p.add(
                    &manifest_path,
                    None,
                    format!("counts {:?} do not match the data {:?}", m.counts, counts),
                );
            }
            let files = Manifest::data_files(&root)?;
            for f in &files {
                match m.files.get(f) {
                    None => p.add(&manifest_path, None, format!("data file '{f}' is not listed")),
                    Some(sum) => {
                        let actual = Manifest::checksum(&root.join(f))?;
                        if &actual != sum {
                            p.add(&root.join(f), None, "SHA-256 differs from the manifest (the file changed; regenerate the manifest with `kpimatch bundle manifest`)");
                        }
                    }
                }
            }
            for f in m.files.keys() {
                if !files.contains(f) {
                    p.add(&manifest_path, None, format!("listed file '{f}' is missing"));
                }
            }
        }
        if !p.0.is_empty() {
            return Err(Error::InvalidData {
                source_name: root.display().to_string(),
                problems: p.0,
            });
        }
        Ok(Bundle {
            root,
            manifest: manifest.expect("no problems means the manifest was read"),
            catalogue,
            vocabulary_file,
            vocabulary,
            translations,
            solutions,
            cities,
            topics,
            judgments,
            lead_topics,
            lead_judgments,
            variant_topics,
            profiles,
        })
    }

    /// What kpimatch knows of each language with this bundle's vocabularies.
    pub fn languages(&self) -> Languages {
        Languages::new(
            &self.catalogue,
            std::sync::Arc::new(self.vocabulary.clone()),
            &self.translations,
        )
    }

    /// Counts of what a bundle directory holds, from its data (used to write the manifest).
    pub fn count(root: &Path) -> Result<Counts> {
        // Load without the manifest check by writing a provisional one in memory is not possible,
        // so count directly.
        let mut p = Problems(Vec::new());
        let kpis: Vec<(usize, Kpi)> = read_jsonl(&root.join("kpis.jsonl"), &mut p);
        let mut solutions: Vec<(usize, Solution)> = Vec::new();
        if let Ok(rd) = std::fs::read_dir(root.join("solutions")) {
            let mut files: Vec<PathBuf> = rd
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| f.extension().is_some_and(|x| x == "jsonl"))
                .collect();
            files.sort();
            for f in files {
                solutions.extend(read_jsonl::<Solution>(&f, &mut p));
            }
        }
        let cities: Vec<(usize, City)> = read_jsonl(&root.join("cities.jsonl"), &mut p);
        let topics: Vec<(usize, Topic)> = if root.join("topics/topics.jsonl").exists() {
            read_jsonl(&root.join("topics/topics.jsonl"), &mut p)
        } else {
            Vec::new()
        };
        let lines = |name: &str| {
            std::fs::read_to_string(root.join(name))
                .map(|t| t.lines().count())
                .unwrap_or(0)
        };
        let judgments = lines("topics/qrels.txt");
        let lead_topics: Vec<(usize, LeadTopic)> = if root.join("topics/leads.jsonl").exists() {
            read_jsonl(&root.join("topics/leads.jsonl"), &mut p)
        } else {
            Vec::new()
        };
        let json_count = |dir: &str| json_files(&root.join(dir)).map_or(0, |f| f.len());
        let variant_topics: Vec<(usize, VariantTopic)> = if root.join("topics/multilingual.jsonl").exists() {
            read_jsonl(&root.join("topics/multilingual.jsonl"), &mut p)
        } else {
            Vec::new()
        };
        if !p.0.is_empty() {
            return Err(Error::InvalidData {
                source_name: root.display().to_string(),
                problems: p.0,
            });
        }
        Ok(Counts {
            kpis: kpis.len(),
            solutions: solutions.len(),
            solutions_with_kpis: solutions.iter().filter(|(_, s)| !s.kpis.is_empty()).count(),
            cities: cities.len(),
            topics: topics.len(),
            judgments,
            lead_topics: lead_topics.len(),
            lead_judgments: lines("topics/leads-qrels.txt"),
            profiles: json_count("profiles"),
            vocabularies: json_count("vocabulary"),
            variant_topics: variant_topics.len(),
        })
    }

    /// Writes the manifest of a bundle directory from its current data.
    pub fn write_manifest(root: &Path) -> Result<Manifest> {
        let counts = Self::count(root)?;
        Manifest::write(root, counts)
    }

    /// A city by id.
    pub fn city(&self, id: &str) -> Option<&City> {
        self.cities.iter().find(|c| c.id == id)
    }
}

fn empty_vocab_file() -> VocabularyFile {
    VocabularyFile {
        lang: None,
        format_version: 1,
        kpis: Default::default(),
        categories: Default::default(),
        synonyms: Vec::new(),
        stop_words: Vec::new(),
        inference: None,
        goals: Vec::new(),
    }
}
