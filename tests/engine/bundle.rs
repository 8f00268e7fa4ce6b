//! The bundled `index-data/`: what it holds, and how the loader rejects corrupted copies.
//!
//! Each corruption test copies the bundle to a temporary directory, injects one fault at a
//! known line, regenerates the manifest when the test is about the data (not the checksum), and
//! checks the load fails with [`Error::InvalidData`] naming the file, the exact line and the
//! offending value.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use kpimatch_engine::bundle::{Bundle, MANIFEST_FILE};
use kpimatch_engine::{DataProblem, Engine, Error, ErrorKind};
use serde_json::Value;

use crate::support::{bundle, copy_dir, INDEX_DATA};

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// A fresh copy of the bundled data in a temporary directory.
fn copy_of_index_data() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temporary directory");
    copy_dir(Path::new(INDEX_DATA), dir.path());
    dir
}

/// The solution files of a bundle, in the order the loader reads them.
fn solution_files(root: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root.join("solutions"))
        .expect("solutions directory")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    files.sort();
    files
}

fn read_lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
        .lines()
        .map(str::to_string)
        .collect()
}

fn write_lines(path: &Path, lines: &[String]) {
    let mut text = lines.join("\n");
    text.push('\n');
    std::fs::write(path, text).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
}

/// The JSON object on a 1-based line.
fn json_line(path: &Path, line: usize) -> Value {
    serde_json::from_str(&read_lines(path)[line - 1]).expect("the bundle's lines are JSON")
}

/// Rewrites the JSON object on a 1-based line, keeping it on one line.
fn edit_json_line(path: &Path, line: usize, edit: impl FnOnce(&mut Value)) {
    let mut lines = read_lines(path);
    let mut v: Value = serde_json::from_str(&lines[line - 1]).expect("the bundle's lines are JSON");
    edit(&mut v);
    lines[line - 1] = serde_json::to_string(&v).expect("serialises");
    write_lines(path, &lines);
}

/// The first 1-based line, from `from` on, whose object satisfies `pred`.
fn first_line_where(path: &Path, from: usize, pred: impl Fn(&Value) -> bool) -> usize {
    read_lines(path)
        .iter()
        .enumerate()
        .skip(from - 1)
        .find(|(_, l)| pred(&serde_json::from_str(l).expect("JSON")))
        .map(|(i, _)| i + 1)
        .unwrap_or_else(|| panic!("no line of {} from {from} on fits", path.display()))
}

fn has_declared_kpis(v: &Value) -> bool {
    v["kpis"].as_array().is_some_and(|k| !k.is_empty())
}

/// The problems of a bundle that must fail to load.
fn load_problems(root: &Path) -> Vec<DataProblem> {
    match Bundle::load(root) {
        Err(e @ Error::InvalidData { .. }) => {
            assert_eq!(e.kind(), ErrorKind::InvalidInput);
            let Error::InvalidData { problems, .. } = e else {
                unreachable!()
            };
            assert!(!problems.is_empty(), "InvalidData without problems");
            problems
        }
        Err(other) => panic!("expected Error::InvalidData, got {other:?}"),
        Ok(_) => panic!("a corrupted bundle at {} loaded", root.display()),
    }
}

/// Problems about the data itself (not the manifest's counts or a file's checksum).
fn data_problems(root: &Path, problems: &[DataProblem]) -> Vec<DataProblem> {
    problems
        .iter()
        .filter(|p| p.file != root.join(MANIFEST_FILE) && !p.message.contains("SHA-256"))
        .cloned()
        .collect()
}

/// Asserts `problems` is exactly one problem at `file:line` whose message holds every needle.
fn assert_single_problem(problems: &[DataProblem], file: &Path, line: Option<usize>, needles: &[&str]) {
    assert_eq!(problems.len(), 1, "expected one problem, got {problems:#?}");
    let p = &problems[0];
    assert_eq!(p.file, file, "file of {p}");
    assert_eq!(p.line, line, "line of {p}");
    for needle in needles {
        assert!(
            p.message.contains(needle),
            "'{}' does not mention '{needle}'",
            p.message
        );
    }
}

/// Splits the problems of a load into those in `file` and the rest, asserting the rest are
/// only the judgments of a solution the fault made disappear (`lost`), which are rightly
/// reported as unknown.
fn in_file_except_lost_judgments(root: &Path, problems: &[DataProblem], file: &Path, lost: &str) -> Vec<DataProblem> {
    let qrels = root.join("topics/qrels.txt");
    let unknown = format!("unknown solution '{lost}'");
    for p in problems.iter().filter(|p| p.file != file && p.line.is_some()) {
        assert!(p.file == qrels && p.message == unknown, "unexpected problem {p}");
    }
    problems.iter().filter(|p| p.file == file).cloned().collect()
}

// ---------------------------------------------------------------------------------------------
// The bundled data
// ---------------------------------------------------------------------------------------------

#[test]
fn bundled_data_loads_with_the_expected_sizes() {
    let b = bundle();
    assert_eq!(b.catalogue.len(), 91, "the 91 U4SSC KPIs");
    assert!(b.solutions.len() >= 250, "{} solutions", b.solutions.len());
    assert!(b.cities.len() >= 15, "{} cities", b.cities.len());
    assert!(b.topics.len() >= 40, "{} topics", b.topics.len());
    assert!(!b.judgments.is_empty(), "judgments");
    assert!(b.profiles.iter().any(|p| p.name == "default"), "a default profile");

    let c = &b.manifest.counts;
    assert_eq!(c.kpis, b.catalogue.len());
    assert_eq!(c.solutions, b.solutions.len());
    assert_eq!(
        c.solutions_with_kpis,
        b.solutions.iter().filter(|s| !s.kpis.is_empty()).count()
    );
    assert_eq!(c.cities, b.cities.len());
    assert_eq!(c.topics, b.topics.len());
    assert_eq!(c.judgments, b.judgments.len());
    assert_eq!(c.profiles, b.profiles.len());

    let stats = crate::support::engine().stats();
    assert_eq!(
        (stats.kpis, stats.solutions, stats.solutions_declared, stats.cities),
        (c.kpis, c.solutions, c.solutions_with_kpis, c.cities)
    );
}

#[test]
fn every_category_has_a_kpi_with_a_declared_solution() {
    let b = bundle();
    let declared: BTreeSet<&str> = b
        .solutions
        .iter()
        .flat_map(|s| s.kpis.iter().map(|k| k.code.as_str()))
        .collect();
    assert_eq!(b.catalogue.categories().len(), 22, "the 22 U4SSC categories");
    let uncovered: Vec<&String> = b
        .catalogue
        .categories()
        .iter()
        .filter(|cat| {
            !b.catalogue
                .kpis()
                .iter()
                .any(|k| &k.category == *cat && declared.contains(k.code.as_str()))
        })
        .collect();
    assert!(
        uncovered.is_empty(),
        "categories with no declared solution: {uncovered:?}"
    );
}

#[test]
fn about_half_the_solutions_declare_kpis() {
    let b = bundle();
    let declared = b.solutions.iter().filter(|s| !s.kpis.is_empty()).count();
    let share = declared as f64 / b.solutions.len() as f64;
    assert!(
        (0.35..=0.65).contains(&share),
        "{declared} of {} solutions ({:.0} %) declare KPIs",
        b.solutions.len(),
        share * 100.0
    );
}

#[test]
fn a_pristine_copy_loads_and_its_manifest_regenerates_identically() {
    let dir = copy_of_index_data();
    let loaded = Bundle::load(dir.path()).expect("an untouched copy loads");
    assert_eq!(loaded.solutions.len(), bundle().solutions.len());
    let regenerated = Bundle::write_manifest(dir.path()).expect("manifest");
    assert_eq!(regenerated, bundle().manifest, "the committed manifest is up to date");
}

#[test]
fn an_engine_builds_from_the_bundle_and_every_topic_request_is_valid() {
    let engine = Engine::from_bundle(bundle()).expect("engine");
    for t in &bundle().topics {
        engine
            .match_solutions(&t.request(10, None))
            .unwrap_or_else(|e| panic!("topic {}: {e}", t.id));
    }
}

// ---------------------------------------------------------------------------------------------
// Corrupted copies
// ---------------------------------------------------------------------------------------------

#[test]
fn an_unknown_kpi_code_in_a_solution_is_rejected_at_its_line() {
    let dir = copy_of_index_data();
    let file = solution_files(dir.path())[1].clone();
    let line = first_line_where(&file, 3, has_declared_kpis);
    let id = json_line(&file, line)["id"].as_str().expect("id").to_string();
    assert!(
        bundle().catalogue.resolve("EC:I:WS:9C").is_err(),
        "the injected code must be unknown"
    );
    edit_json_line(&file, line, |v| v["kpis"][0]["code"] = "EC:I:WS:9C".into());
    Bundle::write_manifest(dir.path()).expect("the manifest regenerates");

    let problems = load_problems(dir.path());
    assert_single_problem(&problems, &file, Some(line), &["EC:I:WS:9C", "kpis[0].code", &id]);
}

#[test]
fn a_duplicate_solution_id_across_files_is_rejected_at_the_second_line() {
    let dir = copy_of_index_data();
    let files = solution_files(dir.path());
    let (first, second) = (files[0].clone(), files[2].clone());
    let id = json_line(&first, 2)["id"].as_str().expect("id").to_string();
    let lost = json_line(&second, 4)["id"].as_str().expect("id").to_string();
    edit_json_line(&second, 4, |v| v["id"] = id.clone().into());
    Bundle::write_manifest(dir.path()).expect("the manifest regenerates");

    let problems = data_problems(dir.path(), &load_problems(dir.path()));
    let first_at = format!("{}:2", first.display());
    assert_single_problem(
        &in_file_except_lost_judgments(dir.path(), &problems, &second, &lost),
        &second,
        Some(4),
        &["duplicate solution id", &id, &first_at],
    );
}

#[test]
fn an_impact_above_one_is_rejected_at_its_line() {
    let dir = copy_of_index_data();
    let file = solution_files(dir.path())[3].clone();
    let line = first_line_where(&file, 5, has_declared_kpis);
    let id = json_line(&file, line)["id"].as_str().expect("id").to_string();
    edit_json_line(&file, line, |v| v["kpis"][0]["impact"] = 1.5.into());
    Bundle::write_manifest(dir.path()).expect("the manifest regenerates");

    let problems = load_problems(dir.path());
    assert_single_problem(&problems, &file, Some(line), &["1.5", "kpis[0].impact", &id]);
}

#[test]
fn a_solution_without_a_title_is_rejected_at_its_line() {
    let dir = copy_of_index_data();
    let file = solution_files(dir.path())[2].clone();
    let line = 7;
    let lost = json_line(&file, line)["id"].as_str().expect("id").to_string();
    edit_json_line(&file, line, |v| {
        v.as_object_mut().expect("object").remove("title");
    });
    // The manifest cannot be regenerated over a line that does not parse: the writer reports
    // the same problem.
    let at_line = |ps: &[DataProblem]| ps.iter().filter(|p| p.line.is_some()).cloned().collect::<Vec<_>>();
    match Bundle::write_manifest(dir.path()) {
        Err(Error::InvalidData { problems, .. }) => {
            assert_single_problem(&at_line(&problems), &file, Some(line), &["title"])
        }
        other => panic!("the manifest writer accepted an unparsable line: {other:?}"),
    }

    let problems = at_line(&load_problems(dir.path()));
    assert_single_problem(
        &in_file_except_lost_judgments(dir.path(), &problems, &file, &lost),
        &file,
        Some(line),
        &["missing field `title`"],
    );
}

#[test]
fn a_blank_line_in_cities_is_rejected_at_its_line() {
    let dir = copy_of_index_data();
    let file = dir.path().join("cities.jsonl");
    let mut lines = read_lines(&file);
    lines.insert(5, String::new());
    write_lines(&file, &lines);
    let at_line = |ps: &[DataProblem]| ps.iter().filter(|p| p.line.is_some()).cloned().collect::<Vec<_>>();
    match Bundle::write_manifest(dir.path()) {
        Err(Error::InvalidData { problems, .. }) => {
            assert_single_problem(&at_line(&problems), &file, Some(6), &["blank line"])
        }
        other => panic!("the manifest writer accepted a blank line: {other:?}"),
    }

    let problems = load_problems(dir.path());
    assert_single_problem(&at_line(&problems), &file, Some(6), &["blank line"]);
}

#[test]
fn a_changed_file_without_a_manifest_update_fails_its_checksum() {
    let dir = copy_of_index_data();
    let file = solution_files(dir.path())[4].clone();
    edit_json_line(&file, 3, |v| {
        v["summary"] = "A perfectly valid summary that was edited by hand.".into()
    });

    let problems = load_problems(dir.path());
    assert_single_problem(&problems, &file, None, &["SHA-256", "manifest"]);

    // Regenerating the manifest is the fix.
    Bundle::write_manifest(dir.path()).expect("the manifest regenerates");
    Bundle::load(dir.path()).expect("the edited copy loads once the manifest is regenerated");
}

#[test]
fn an_unknown_city_in_a_topic_is_rejected_at_its_line() {
    let dir = copy_of_index_data();
    let file = dir.path().join("topics/topics.jsonl");
    let line = first_line_where(&file, 9, |v| v["city_id"].is_string());
    let topic = json_line(&file, line)["id"].as_str().expect("id").to_string();
    edit_json_line(&file, line, |v| v["city_id"] = "atlantis-on-sea".into());
    Bundle::write_manifest(dir.path()).expect("the manifest regenerates");

    // Variant topics restating this one now name another city than their source: reported in
    // their own file.
    let (here, elsewhere): (Vec<_>, Vec<_>) = load_problems(dir.path()).into_iter().partition(|p| p.file == file);
    assert_single_problem(&here, &file, Some(line), &["unknown city 'atlantis-on-sea'", &topic]);
    assert!(
        elsewhere.iter().all(|p| p.message.contains("is not its source's")),
        "{elsewhere:#?}"
    );
}
