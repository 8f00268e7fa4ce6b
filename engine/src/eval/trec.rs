//! TREC file formats: relevance judgments (qrels) and runs.
//!
//! * Qrels in the TREC form `topic iter doc rel` (whitespace-separated, `iter` ignored) or the
//!   BEIR form (`query-id<TAB>corpus-id<TAB>score`, with that header line).
//! * Runs in the TREC form `topic Q0 doc rank score tag`; as in trec_eval, anything after the
//!   tag is ignored and the rank column is kept but never used for ordering.
//!
//! Parse errors are [`Error::InvalidData`] listing every bad line (up to a cap), each with its
//! 1-based line number.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::{DataProblem, Error, Result};

/// How many problems one parse reports before it stops listing them.
const MAX_PROBLEMS: usize = 100;

/// The header line of a BEIR qrels file.
const BEIR_HEADER: [&str; 3] = ["query-id", "corpus-id", "score"];

/// Collects the problems of one parse.
struct Problems {
    source_name: String,
    file: PathBuf,
    list: Vec<DataProblem>,
    omitted: usize,
}

impl Problems {
    fn new(source_name: &str) -> Self {
        Problems {
            source_name: source_name.to_string(),
            file: PathBuf::from(source_name),
            list: Vec::new(),
            omitted: 0,
        }
    }

    fn push(&mut self, line: usize, message: String) {
        if self.list.len() < MAX_PROBLEMS {
            self.list.push(DataProblem {
                file: self.file.clone(),
                line: Some(line),
                message,
            });
        } else {
            self.omitted += 1;
        }
    }

    fn finish(mut self) -> Result<()> {
        if self.list.is_empty() {
            return Ok(());
        }
        if self.omitted > 0 {
            self.list.push(DataProblem {
                file: self.file.clone(),
                line: None,
                message: format!(
                    "{} further problem(s) were not listed; only the first {MAX_PROBLEMS} are",
                    self.omitted
                ),
            });
        }
        Err(Error::InvalidData {
            source_name: self.source_name,
            problems: self.list,
        })
    }
}

/// Lines of `text` with their 1-based numbers, a leading byte-order mark removed.
fn numbered_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    text.lines().enumerate().map(|(i, line)| (i + 1, line))
}

/// Whether a line carries no data: blank, or a `#` comment (trec_eval skips both in runs).
fn is_blank_or_comment(line: &str) -> bool {
    let trimmed = line.trim();
    trimmed.is_empty() || trimmed.starts_with('#')
}

/// Checks that `value` can be written as one whitespace-free field.
fn check_field(field: impl FnOnce() -> String, value: &str) -> Result<()> {
    if value.is_empty() {
        return Err(Error::invalid(
            field(),
            "it is empty, so it cannot be written as a TREC field",
        ));
    }
    if value.chars().any(char::is_whitespace) {
        return Err(Error::invalid(
            field(),
            format!("'{value}' contains whitespace, so it cannot be written as a TREC field"),
        ));
    }
    Ok(())
}

/// Checks that `value` can start a TREC line: one field, and not `#` (the readers skip such
/// lines as comments, so the record would silently vanish on reading back).
fn check_line_start(field: impl Fn() -> String, value: &str) -> Result<()> {
    check_field(&field, value)?;
    if value.starts_with('#') {
        return Err(Error::invalid(
            field(),
            format!("'{value}' starts with '#', which TREC readers take for a comment line"),
        ));
    }
    Ok(())
}

fn read_text(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| Error::io(path, e))
}

fn write_text(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).map_err(|e| Error::io(path, e))
}

/// Relevance judgments: topic → document → grade.
///
/// Grades are integers; with trec_eval's default relevance level 1, grade ≥ 1 is relevant,
/// 0 is judged non-relevant and a negative grade means "in the pool but not judged".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Qrels {
    /// Topic id → document id → grade, both ordered byte-wise like trec_eval's `strcmp`.
    pub topics: BTreeMap<String, BTreeMap<String, i32>>,
}

impl Qrels {
    /// Empty judgments.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the grade of `doc` for `topic`, returning the grade it replaces.
    pub fn insert(&mut self, topic: impl Into<String>, doc: impl Into<String>, grade: i32) -> Option<i32> {
        self.topics.entry(topic.into()).or_default().insert(doc.into(), grade)
    }

    /// The grade of `doc` for `topic`, if it is judged.
    pub fn grade(&self, topic: &str, doc: &str) -> Option<i32> {
        self.topics.get(topic)?.get(doc).copied()
    }

    /// The judgments of one topic.
    pub fn topic(&self, topic: &str) -> Option<&BTreeMap<String, i32>> {
        self.topics.get(topic)
    }

    /// The number of topics with at least one judgment.
    pub fn num_topics(&self) -> usize {
        self.topics.len()
    }

    /// The number of (topic, document) judgments.
    pub fn num_judgments(&self) -> usize {
        self.topics.values().map(BTreeMap::len).sum()
    }

    /// The number of documents of `topic` whose grade is at least `relevance_level`.
    pub fn num_relevant(&self, topic: &str, relevance_level: i32) -> usize {
        self.topics
            .get(topic)
            .map_or(0, |docs| docs.values().filter(|&&g| g >= relevance_level).count())
    }

    /// Parses TREC qrels (`topic iter doc rel`, whitespace-separated, `iter` ignored).
    ///
    /// Blank lines and lines starting with `#` are skipped. Every other line must have exactly
    /// four fields and an integer grade; a document judged twice for a topic is an error (as in
    /// trec_eval). `source_name` names the input in errors.
    pub fn parse_trec(text: &str, source_name: &str) -> Result<Self> {
        let mut problems = Problems::new(source_name);
        let mut qrels = Qrels::new();
        let mut first_line: BTreeMap<(String, String), usize> = BTreeMap::new();
        for (n, line) in numbered_lines(text) {
            if is_blank_or_comment(line) {
                continue;
            }
            let fields: Vec<&str> = line.split_whitespace().collect();
            let [topic, _iter, doc, rel] = fields.as_slice() else {
                problems.push(
                    n,
                    format!(
                        "expected 4 whitespace-separated fields 'topic iter doc rel', found {}",
                        fields.len()
                    ),
                );
                continue;
            };
            let Ok(grade) = rel.parse::<i32>() else {
                problems.push(n, format!("relevance grade '{rel}' is not an integer"));
                continue;
            };
            qrels.add_parsed(&mut problems, &mut first_line, n, topic, doc, grade);
        }
        problems.finish()?;
        Ok(qrels)
    }

    /// Parses BEIR qrels: a header line `query-id<TAB>corpus-id<TAB>score`, then one
    /// tab-separated judgment per line with an integer score (`1.0` is accepted as `1`).
    ///
    /// Blank lines are skipped; a document judged twice for a query is an error.
    pub fn parse_beir_tsv(text: &str, source_name: &str) -> Result<Self> {
        let mut problems = Problems::new(source_name);
        let mut qrels = Qrels::new();
        let mut first_line: BTreeMap<(String, String), usize> = BTreeMap::new();
        let mut seen_header = false;
        for (n, line) in numbered_lines(text) {
            if line.trim().is_empty() {
                continue;
            }
            let fields: Vec<&str> = line.split('\t').map(str::trim).collect();
            if !seen_header {
                seen_header = true;
                if fields.as_slice() != BEIR_HEADER {
                    problems.push(
                        n,
                        format!(
                            "expected the header 'query-id<TAB>corpus-id<TAB>score', found '{}'",
                            line.trim()
                        ),
                    );
                }
                continue;
            }
            let [topic, doc, score] = fields.as_slice() else {
                problems.push(
                    n,
                    format!(
                        "expected 3 tab-separated fields 'query-id corpus-id score', found {}",
                        fields.len()
                    ),
                );
                continue;
            };
            if topic.is_empty() || doc.is_empty() {
                problems.push(n, "the query id and the corpus id must not be empty".to_string());
                continue;
            }
            // A bare carriage return inside a line (not a CRLF ending) would make an id that
            // could not be written back: refuse it here, as the writer does.
            if topic.contains('\r') || doc.contains('\r') {
                problems.push(n, "an id contains a carriage return".to_string());
                continue;
            }
            let Some(grade) = parse_beir_score(score) else {
                problems.push(n, format!("score '{score}' is not an integer"));
                continue;
            };
            qrels.add_parsed(&mut problems, &mut first_line, n, topic, doc, grade);
        }
        if !seen_header {
            problems.push(
                1,
                "the file is empty: expected the header 'query-id<TAB>corpus-id<TAB>score'".to_string(),
            );
        }
        problems.finish()?;
        Ok(qrels)
    }

    /// Parses qrels in either format: BEIR when the first data line is the BEIR header,
    /// TREC otherwise.
    pub fn parse(text: &str, source_name: &str) -> Result<Self> {
        let first = numbered_lines(text)
            .map(|(_, line)| line)
            .find(|line| !is_blank_or_comment(line));
        let is_beir = first.is_some_and(|line| line.split('\t').next().map(str::trim) == Some(BEIR_HEADER[0]));
        if is_beir {
            Self::parse_beir_tsv(text, source_name)
        } else {
            Self::parse_trec(text, source_name)
        }
    }

    /// Reads a qrels file in either format (see [`Qrels::parse`]).
    pub fn read_file(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        Self::parse(&read_text(path)?, &path.display().to_string())
    }

    fn add_parsed(
        &mut self,
        problems: &mut Problems,
        first_line: &mut BTreeMap<(String, String), usize>,
        n: usize,
        topic: &str,
        doc: &str,
        grade: i32,
    ) {
        let key = (topic.to_string(), doc.to_string());
        if let Some(first) = first_line.get(&key) {
            problems.push(
                n,
                format!("document '{doc}' is judged twice for topic '{topic}' (first on line {first})"),
            );
            return;
        }
        first_line.insert(key, n);
        self.insert(topic, doc, grade);
    }

    /// Writes the judgments as TREC qrels (`topic 0 doc grade`), topics and documents in
    /// byte order. Fails if an id is empty or contains whitespace.
    pub fn to_trec_string(&self) -> Result<String> {
        let mut out = String::new();
        for (topic, docs) in &self.topics {
            check_line_start(|| format!("qrels.topics[{topic}]"), topic)?;
            for (doc, grade) in docs {
                check_field(|| format!("qrels.topics[{topic}][{doc}]"), doc)?;
                let _ = writeln!(out, "{topic} 0 {doc} {grade}");
            }
        }
        Ok(out)
    }

    /// Writes the judgments as BEIR qrels (header, then `query-id<TAB>corpus-id<TAB>score`).
    /// Fails if an id is empty or contains a tab or a line break.
    pub fn to_beir_tsv_string(&self) -> Result<String> {
        let bad = |s: &str| s.is_empty() || s.contains(['\t', '\n', '\r']) || s.trim() != s;
        let mut out = BEIR_HEADER.join("\t");
        out.push('\n');
        for (topic, docs) in &self.topics {
            if bad(topic) {
                return Err(Error::invalid(
                    format!("qrels.topics[{topic}]"),
                    "a BEIR query id must be non-empty, with no surrounding spaces and no tab or line break",
                ));
            }
            for (doc, grade) in docs {
                if bad(doc) {
                    return Err(Error::invalid(
                        format!("qrels.topics[{topic}][{doc}]"),
                        "a BEIR corpus id must be non-empty, with no surrounding spaces and no tab or line break",
                    ));
                }
                let _ = writeln!(out, "{topic}\t{doc}\t{grade}");
            }
        }
        Ok(out)
    }

    /// Writes the judgments to `path` as TREC qrels.
    pub fn write_trec_file(&self, path: impl AsRef<Path>) -> Result<()> {
        write_text(path.as_ref(), &self.to_trec_string()?)
    }
}

/// A BEIR score: an integer, or a float with an integral value.
fn parse_beir_score(s: &str) -> Option<i32> {
    if let Ok(v) = s.parse::<i32>() {
        return Some(v);
    }
    let v = s.parse::<f64>().ok()?;
    let in_range = v >= f64::from(i32::MIN) && v <= f64::from(i32::MAX);
    if v.is_finite() && v.fract() == 0.0 && in_range {
        // In range and integral, so the conversion is exact.
        Some(v as i32)
    } else {
        None
    }
}

/// One retrieved document of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunEntry {
    /// The document id.
    pub doc: String,
    /// The retrieval score; higher is retrieved first.
    pub score: f64,
    /// The rank column of the file. Kept for round trips; evaluation ignores it, like trec_eval.
    pub rank: usize,
    /// The run tag (system name).
    pub tag: String,
}

impl RunEntry {
    /// A run entry.
    pub fn new(doc: impl Into<String>, score: f64, rank: usize, tag: impl Into<String>) -> Self {
        RunEntry {
            doc: doc.into(),
            score,
            rank,
            tag: tag.into(),
        }
    }
}

/// trec_eval's ranking order: score descending, ties broken by document id descending
/// (byte-wise, like `strcmp`). The rank column plays no part.
///
/// `-0.0` equals `0.0` (as in C); NaN, which parsing rejects, sorts above every number so the
/// order stays total.
pub fn trec_eval_order(a: &RunEntry, b: &RunEntry) -> Ordering {
    let norm = |s: f64| if s == 0.0 { 0.0 } else { s };
    norm(b.score)
        .total_cmp(&norm(a.score))
        .then_with(|| b.doc.as_bytes().cmp(a.doc.as_bytes()))
}

/// The entries in trec_eval's evaluation order (see [`trec_eval_order`]), keeping only the
/// first (best-ranked) occurrence of a document retrieved more than once.
pub fn trec_eval_ranking(entries: &[RunEntry]) -> Vec<&RunEntry> {
    let mut ranked: Vec<&RunEntry> = entries.iter().collect();
    ranked.sort_by(|a, b| trec_eval_order(a, b));
    let mut seen = std::collections::BTreeSet::new();
    ranked.retain(|e| seen.insert(e.doc.as_str()));
    ranked
}

/// A run: topic → retrieved documents, in the order they were added or read.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Run {
    /// Topic id → its entries (not necessarily sorted; see [`Run::ranked`]).
    pub topics: BTreeMap<String, Vec<RunEntry>>,
}

impl Run {
    /// An empty run.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends an entry to `topic`.
    pub fn push(&mut self, topic: impl Into<String>, entry: RunEntry) {
        self.topics.entry(topic.into()).or_default().push(entry);
    }

    /// Adds a scored list for `topic`, assigning ranks 1, 2, … in trec_eval order (score
    /// descending, then document id descending), so the written rank column agrees with the
    /// order trec_eval evaluates.
    pub fn add_scored(&mut self, topic: impl Into<String>, scored: impl IntoIterator<Item = (String, f64)>, tag: &str) {
        let mut entries: Vec<RunEntry> = scored
            .into_iter()
            .map(|(doc, score)| RunEntry::new(doc, score, 0, tag))
            .collect();
        entries.sort_by(trec_eval_order);
        for (i, e) in entries.iter_mut().enumerate() {
            e.rank = i + 1;
        }
        self.topics.entry(topic.into()).or_default().extend(entries);
    }

    /// The entries of `topic` in trec_eval's evaluation order (see [`trec_eval_ranking`]).
    pub fn ranked(&self, topic: &str) -> Vec<&RunEntry> {
        self.topics
            .get(topic)
            .map_or_else(Vec::new, |entries| trec_eval_ranking(entries))
    }

    /// The number of entries over all topics.
    pub fn num_entries(&self) -> usize {
        self.topics.values().map(Vec::len).sum()
    }

    /// Parses a TREC run (`topic Q0 doc rank score tag`, whitespace-separated).
    ///
    /// Blank lines and lines starting with `#` are skipped; fields after the tag are ignored
    /// (as in trec_eval). The rank must be a non-negative integer and the score a finite
    /// number; a document retrieved twice for a topic is an error (as in trec_eval). Entries
    /// keep the file order.
    pub fn parse(text: &str, source_name: &str) -> Result<Self> {
        let mut problems = Problems::new(source_name);
        let mut run = Run::new();
        let mut first_line: BTreeMap<(String, String), usize> = BTreeMap::new();
        for (n, line) in numbered_lines(text) {
            if is_blank_or_comment(line) {
                continue;
            }
            let fields: Vec<&str> = line.split_whitespace().collect();
            let [topic, _q0, doc, rank, score, tag, ..] = fields.as_slice() else {
                problems.push(
                    n,
                    format!(
                        "expected 6 whitespace-separated fields 'topic Q0 doc rank score tag', found {}",
                        fields.len()
                    ),
                );
                continue;
            };
            let Ok(rank) = rank.parse::<usize>() else {
                problems.push(n, format!("rank '{rank}' is not a non-negative integer"));
                continue;
            };
            let score = match score.parse::<f64>() {
                Ok(s) if s.is_finite() => s,
                _ => {
                    problems.push(n, format!("score '{score}' is not a finite number"));
                    continue;
                }
            };
            let key = (topic.to_string(), doc.to_string());
            if let Some(first) = first_line.get(&key) {
                problems.push(
                    n,
                    format!("document '{doc}' is retrieved twice for topic '{topic}' (first on line {first})"),
                );
                continue;
            }
            first_line.insert(key, n);
            run.push(*topic, RunEntry::new(*doc, score, rank, *tag));
        }
        problems.finish()?;
        Ok(run)
    }

    /// Reads a TREC run file (see [`Run::parse`]).
    pub fn read_file(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        Self::parse(&read_text(path)?, &path.display().to_string())
    }

    /// Writes the run in the TREC form `topic Q0 doc rank score tag`, topics in byte order
    /// and entries in their stored order. Scores use the shortest decimal form that reads back
    /// to the same `f64`, so [`Run::parse`] restores the run exactly.
    ///
    /// Fails if an id or tag is empty or contains whitespace, or a score is not finite.
    pub fn to_trec_string(&self) -> Result<String> {
        let mut out = String::new();
        for (topic, entries) in &self.topics {
            check_line_start(|| format!("run.topics[{topic}]"), topic)?;
            for (i, e) in entries.iter().enumerate() {
                check_field(|| format!("run.topics[{topic}][{i}].doc"), &e.doc)?;
                check_field(|| format!("run.topics[{topic}][{i}].tag"), &e.tag)?;
                if !e.score.is_finite() {
                    return Err(Error::invalid(
                        format!("run.topics[{topic}][{i}].score"),
                        format!("score {} is not a finite number", e.score),
                    ));
                }
                let _ = writeln!(out, "{topic} Q0 {} {} {} {}", e.doc, e.rank, e.score, e.tag);
            }
        }
        Ok(out)
    }

    /// Writes the run to `path` in the TREC form (see [`Run::to_trec_string`]).
    pub fn write_file(&self, path: impl AsRef<Path>) -> Result<()> {
        write_text(path.as_ref(), &self.to_trec_string()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems_of(err: Error) -> Vec<DataProblem> {
        match err {
            Error::InvalidData { problems, .. } => problems,
            other => panic!("expected InvalidData, got {other:?}"),
        }
    }

    #[test]
    fn qrels_trec_parse_and_round_trip() {
        let text = "# comment\n301 0 DOC-B 1\n301\t0\tDOC-A   0\n\n302 Q0 X -1\r\n302 0 Y 3\n";
        let q = Qrels::parse_trec(text, "q.txt").expect("parses");
        assert_eq!(q.num_topics(), 2);
        assert_eq!(q.num_judgments(), 4);
        assert_eq!(q.grade("301", "DOC-B"), Some(1));
        assert_eq!(q.grade("301", "DOC-A"), Some(0));
        assert_eq!(q.grade("302", "X"), Some(-1));
        assert_eq!(q.grade("302", "Z"), None);
        assert_eq!(q.num_relevant("302", 1), 1);
        assert_eq!(q.num_relevant("302", 4), 0);
        let written = q.to_trec_string().expect("writes");
        assert_eq!(written, "301 0 DOC-A 0\n301 0 DOC-B 1\n302 0 X -1\n302 0 Y 3\n");
        assert_eq!(Qrels::parse_trec(&written, "w").expect("re-parses"), q);
        assert_eq!(Qrels::parse(&written, "w").expect("auto"), q);
    }

    #[test]
    fn qrels_beir_parse_and_round_trip() {
        let text = "query-id\tcorpus-id\tscore\nq1\td1\t1\nq1\td2\t0\nq2\td 3\t2.0\n";
        let q = Qrels::parse_beir_tsv(text, "test.tsv").expect("parses");
        assert_eq!(q.grade("q2", "d 3"), Some(2));
        assert_eq!(Qrels::parse(text, "test.tsv").expect("auto-detects"), q);
        let written = q.to_beir_tsv_string().expect("writes");
        assert_eq!(Qrels::parse_beir_tsv(&written, "w").expect("re-parses"), q);
        // "d 3" has a space: fine for BEIR, not writable as TREC.
        assert!(q.to_trec_string().is_err());
    }

    #[test]
    fn qrels_errors_name_every_bad_line() {
        let text = "301 0 A 1\n301 0 B\n301 0 C x\n301 0 A 0\n";
        let problems = problems_of(Qrels::parse_trec(text, "bad.qrels").unwrap_err());
        let lines: Vec<Option<usize>> = problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, vec![Some(2), Some(3), Some(4)]);
        assert!(problems[0].message.contains("found 3"), "{}", problems[0].message);
        assert!(problems[1].message.contains("'x'"));
        assert!(problems[2].message.contains("first on line 1"));
        assert_eq!(problems[0].file, PathBuf::from("bad.qrels"));

        let err = Qrels::parse_beir_tsv("qid\tdoc\tscore\nq\td\t1\n", "b.tsv").unwrap_err();
        assert_eq!(problems_of(err)[0].line, Some(1));
        let err = Qrels::parse_beir_tsv("query-id\tcorpus-id\tscore\nq\td\t0.5\n", "b.tsv");
        assert_eq!(problems_of(err.unwrap_err())[0].line, Some(2));
    }

    /// Found by fuzzing (fuzz/fuzz_targets/trec_files.rs): a bare CR inside a BEIR line made
    /// an id that parsed but could not be written back.
    #[test]
    fn beir_ids_with_a_bare_carriage_return_are_refused() {
        let text = "query-id\tcorpus-id\tscore\r\nq1\td1\r2\t1\r\nq1\td2\t0\r\n";
        let problems = problems_of(Qrels::parse_beir_tsv(text, "cr.tsv").unwrap_err());
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].line, Some(2));
        assert!(
            problems[0].message.contains("carriage return"),
            "{}",
            problems[0].message
        );
        // CRLF line endings alone are fine.
        let q = Qrels::parse_beir_tsv("query-id\tcorpus-id\tscore\r\nq1\td2\t1\r\n", "crlf.tsv").unwrap();
        let written = q.to_beir_tsv_string().unwrap();
        assert_eq!(Qrels::parse_beir_tsv(&written, "again").unwrap(), q);
    }

    /// Found by the CI fuzzing smoke (trec_files): a BEIR query id starting with `#` was written
    /// as a TREC line that the TREC reader skips as a comment, losing the judgment.
    #[test]
    fn ids_that_would_read_back_as_comments_are_not_written_as_trec() {
        let q = Qrels::parse("query-id\tcorpus-id\tscore\n#q1\td1\t1\nq1\td2\t0\n", "hash.tsv").unwrap();
        assert_eq!(q.topics.len(), 2, "in BEIR, '#q1' is an id");
        let err = q.to_trec_string().unwrap_err();
        assert!(err.to_string().contains("comment"), "{err}");
        let written = q.to_beir_tsv_string().unwrap();
        assert_eq!(Qrels::parse_beir_tsv(&written, "again").unwrap(), q);
    }

    #[test]
    fn problems_are_capped() {
        let text = "bad\n".repeat(MAX_PROBLEMS + 5);
        let problems = problems_of(Qrels::parse_trec(&text, "many").unwrap_err());
        assert_eq!(problems.len(), MAX_PROBLEMS + 1);
        assert_eq!(problems[MAX_PROBLEMS].line, None);
        assert!(problems[MAX_PROBLEMS].message.starts_with("5 further"));
    }

    #[test]
    fn run_parse_and_round_trip() {
        let text = "301\tQ0\tD1\t1\t  2.129133\tSTD\n301 Q0 D2 2 -0.5 STD trailing junk\n\
                    # c\n302 Q0 D9 0 1e-3 other\n";
        let run = Run::parse(text, "r").expect("parses");
        assert_eq!(run.num_entries(), 3);
        assert_eq!(run.topics["301"][0], RunEntry::new("D1", 2.129133, 1, "STD"));
        assert_eq!(run.topics["301"][1].score, -0.5);
        assert_eq!(run.topics["302"][0].score, 0.001);
        let written = run.to_trec_string().expect("writes");
        assert_eq!(
            written,
            "301 Q0 D1 1 2.129133 STD\n301 Q0 D2 2 -0.5 STD\n302 Q0 D9 0 0.001 other\n"
        );
        assert_eq!(Run::parse(&written, "w").expect("re-parses"), run);
    }

    #[test]
    fn run_round_trip_keeps_awkward_scores_exact() {
        let mut run = Run::new();
        let scores = [0.1 + 0.2, 1.0 / 3.0, 1e-300, -123456.789, 5e20, 0.0];
        for (i, s) in scores.iter().enumerate() {
            run.push("t", RunEntry::new(format!("d{i}"), *s, i + 1, "x"));
        }
        let back = Run::parse(&run.to_trec_string().expect("writes"), "w").expect("parses");
        assert_eq!(back, run);
    }

    #[test]
    fn run_errors_name_every_bad_line() {
        let text = "1 Q0 a 1 1.0 t\n1 Q0 b 2 1.0\n1 Q0 c x 1.0 t\n1 Q0 d 4 nan t\n1 Q0 a 5 0.5 t\n";
        let problems = problems_of(Run::parse(text, "bad.run").unwrap_err());
        let lines: Vec<Option<usize>> = problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, vec![Some(2), Some(3), Some(4), Some(5)]);
        assert!(problems[3].message.contains("retrieved twice"));
        let err = Run::parse(text, "bad.run").unwrap_err();
        assert!(err.to_string().contains("bad.run:2:"), "{err}");
    }

    #[test]
    fn run_write_rejects_unwritable_fields() {
        let mut run = Run::new();
        run.push("t", RunEntry::new("a b", 1.0, 1, "x"));
        assert!(run.to_trec_string().is_err());
        let mut run = Run::new();
        run.push("t", RunEntry::new("a", f64::NAN, 1, "x"));
        assert!(run.to_trec_string().is_err());
        let mut run = Run::new();
        run.push("t", RunEntry::new("a", 1.0, 1, ""));
        assert!(run.to_trec_string().is_err());
    }

    #[test]
    fn ranking_is_score_desc_then_docno_desc_and_ignores_rank() {
        let entries = vec![
            RunEntry::new("B", 1.0, 1, "t"),
            RunEntry::new("C", 1.0, 2, "t"),
            RunEntry::new("A", 2.0, 3, "t"),
            RunEntry::new("a", 1.0, 4, "t"),
            RunEntry::new("Z", -0.0, 5, "t"),
            RunEntry::new("Y", 0.0, 6, "t"),
        ];
        let docs: Vec<&str> = trec_eval_ranking(&entries).iter().map(|e| e.doc.as_str()).collect();
        // 'a' (0x61) > 'C' > 'B' byte-wise; -0.0 ties with 0.0, so 'Z' > 'Y' decides.
        assert_eq!(docs, vec!["A", "a", "C", "B", "Z", "Y"]);
    }

    #[test]
    fn ranking_keeps_best_occurrence_of_duplicates() {
        let entries = vec![
            RunEntry::new("x", 1.0, 1, "t"),
            RunEntry::new("y", 2.0, 2, "t"),
            RunEntry::new("x", 3.0, 3, "t"),
        ];
        let ranked = trec_eval_ranking(&entries);
        assert_eq!(ranked.len(), 2);
        assert_eq!((ranked[0].doc.as_str(), ranked[0].score), ("x", 3.0));
    }

    #[test]
    fn add_scored_assigns_ranks_in_evaluation_order() {
        let mut run = Run::new();
        run.add_scored(
            "q",
            vec![("a".to_string(), 0.5), ("b".to_string(), 0.9), ("c".to_string(), 0.5)],
            "kpimatch",
        );
        let got: Vec<(&str, usize)> = run.topics["q"].iter().map(|e| (e.doc.as_str(), e.rank)).collect();
        assert_eq!(got, vec![("b", 1), ("c", 2), ("a", 3)]);
        let ranked: Vec<&str> = run.ranked("q").iter().map(|e| e.doc.as_str()).collect();
        assert_eq!(ranked, vec!["b", "c", "a"]);
        assert!(run.ranked("missing").is_empty());
    }
}
