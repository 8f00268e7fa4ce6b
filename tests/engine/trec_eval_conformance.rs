//! Conformance with trec_eval: reproduces trec_eval's own expected outputs (its test suite,
//! copied to `shared/benchmarks/trec_eval/`) line for line, for every measure kpimatch
//! implements.
//!
//! For each case the expected file is filtered to the lines whose measure parses as a
//! [`Measure`]; kpimatch's output for [`Measure::standard`] must equal that filtered file
//! exactly (same lines, same order, same padding, values to 4 decimals), and every standard
//! measure must appear in it.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use kpimatch_engine::eval::{evaluate, EvalOptions, Measure, Qrels, Run};

const DATA_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/benchmarks/trec_eval");

fn data(name: &str) -> PathBuf {
    Path::new(DATA_DIR).join(name)
}

struct Case {
    expected: &'static str,
    qrels: &'static str,
    run: &'static str,
    per_topic: bool,
    options: EvalOptions,
}

/// Checks one case; returns the number of expected lines compared.
fn check(case: &Case) -> usize {
    let expected_text = std::fs::read_to_string(data(case.expected))
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", data(case.expected).display()));
    let qrels = Qrels::read_file(data(case.qrels)).expect("qrels parse");
    let run = Run::read_file(data(case.run)).expect("run parses");
    let report = evaluate(&qrels, &run, &case.options);
    let ours = report.to_trec_eval_string(case.per_topic, &Measure::standard());
    let ours: Vec<&str> = ours.lines().collect();

    let mut expected: Vec<&str> = Vec::new();
    let mut seen: BTreeSet<Measure> = BTreeSet::new();
    let mut skipped: BTreeSet<&str> = BTreeSet::new();
    for line in expected_text.lines() {
        let name = line.split('\t').next().unwrap_or("").trim_end();
        match name.parse::<Measure>() {
            Ok(m) => {
                seen.insert(m);
                expected.push(line);
            }
            Err(_) => {
                skipped.insert(name);
            }
        }
    }

    let mut mismatches = Vec::new();
    for i in 0..expected.len().max(ours.len()) {
        let (e, o) = (expected.get(i), ours.get(i));
        if e != o {
            mismatches.push(format!("line {i}: expected {e:?}, got {o:?}"));
        }
    }
    assert!(
        mismatches.is_empty(),
        "{}: {} mismatch(es):\n{}",
        case.expected,
        mismatches.len(),
        mismatches.join("\n")
    );

    let missing: Vec<String> = Measure::standard()
        .into_iter()
        .filter(|m| !seen.contains(m))
        .map(|m| m.name())
        .collect();
    assert!(
        missing.is_empty(),
        "{}: measures kpimatch implements but the expected file lacks: {missing:?}",
        case.expected
    );

    let topics = report.num_topics();
    println!(
        "{}: {} lines checked ({} measures, {} topic(s)); {} trec_eval measures not implemented: {}",
        case.expected,
        expected.len(),
        seen.len(),
        topics,
        skipped.len(),
        skipped.iter().copied().collect::<Vec<_>>().join(" ")
    );
    expected.len()
}

#[test]
fn data_dir_resolves_to_shared_benchmarks() {
    let dir = Path::new(DATA_DIR)
        .canonicalize()
        .expect("the trec_eval benchmark directory exists");
    assert!(dir.ends_with("shared/benchmarks/trec_eval"), "{}", dir.display());
    assert!(dir.join("README.md").is_file());
}

#[test]
fn means_match_out_test_a() {
    let n = check(&Case {
        expected: "out.test.a",
        qrels: "qrels.test",
        run: "results.test",
        per_topic: false,
        options: EvalOptions::default(),
    });
    // num_q + 3 counts + map Rprec bpref recip_rank + 9 P + 9 recall + ndcg + 9 ndcg_cut
    // + 3 success = 39.
    assert_eq!(n, 39);
}

#[test]
fn per_topic_matches_out_test_aq() {
    let n = check(&Case {
        expected: "out.test.aq",
        qrels: "qrels.test",
        run: "results.test",
        per_topic: true,
        options: EvalOptions::default(),
    });
    // 3 topics × 38 per-topic lines (no num_q) + 39 summary lines.
    assert_eq!(n, 3 * 38 + 39);
}

#[test]
fn average_complete_matches_out_test_aqc() {
    let n = check(&Case {
        expected: "out.test.aqc",
        qrels: "qrels.test",
        run: "results.trunc",
        per_topic: true,
        options: EvalOptions::default().with_average_complete(true),
    });
    assert_eq!(n, 3 * 38 + 39);
}

#[test]
fn relevance_level_matches_out_test_aql() {
    let n = check(&Case {
        expected: "out.test.aql",
        qrels: "qrels.rel_level",
        run: "results.test",
        per_topic: true,
        options: EvalOptions::default().with_relevance_level(2),
    });
    assert_eq!(n, 3 * 38 + 39);
}

#[test]
fn run_files_round_trip() {
    for name in ["results.test", "results.trunc"] {
        let run = Run::read_file(data(name)).expect("parses");
        let written = run.to_trec_string().expect("writes");
        assert_eq!(Run::parse(&written, name).expect("re-parses"), run, "{name}");
    }
    for name in ["qrels.test", "qrels.rel_level"] {
        let qrels = Qrels::read_file(data(name)).expect("parses");
        let written = qrels.to_trec_string().expect("writes");
        assert_eq!(Qrels::parse(&written, name).expect("re-parses"), qrels, "{name}");
    }
}
