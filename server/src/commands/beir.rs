//! `kpimatch eval-beir DIR`: a BEIR benchmark (e.g. SciFact) as a catalogue of solutions with
//! no KPI data, ranked by the engine's text ranking; trec_eval measures and timing.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Context};
use kpimatch_engine::bundle::Bundle;
use kpimatch_engine::eval::{evaluate, EvalOptions, Measure, Qrels, Run};
use kpimatch_engine::ranking::{ProfileSet, RankingProfile};
use kpimatch_engine::solution::Solution;
use kpimatch_engine::vocab::Vocabulary;
use kpimatch_engine::{Engine, MatchRequest};
use serde::Deserialize;

use super::report;

#[derive(Deserialize)]
struct Doc {
    #[serde(rename = "_id")]
    id: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    text: String,
}

#[derive(Deserialize)]
struct QueryLine {
    #[serde(rename = "_id")]
    id: String,
    text: String,
}

fn read_jsonl<T: for<'de> Deserialize<'de>>(path: &Path) -> anyhow::Result<Vec<T>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| serde_json::from_str(l).with_context(|| format!("{}:{}", path.display(), i + 1)))
        .collect()
}

/// The text profile used for BEIR unless another is given: flat BM25 over title and text.
pub fn beir_profile() -> RankingProfile {
    let mut p = RankingProfile::text_only(&RankingProfile::default());
    p.name = "beir".into();
    p.description = "Text ranking for BEIR collections: BM25 over title and text together, title counted again.".into();
    p.boosts.all = 1.0;
    p.boosts.title = 0.0;
    p.boosts.tags = 0.0;
    p.boosts.summary = 0.0;
    p.synonym_weight = 0.0;
    p
}

/// The semantic stage's runs: the model, the fusion's weight and where embeddings are kept.
pub struct Dense {
    pub model: PathBuf,
    pub fusion_weight: f32,
    pub embeddings: PathBuf,
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

pub fn run(
    bundle_dir: &Path,
    dir: &Path,
    run_out: Option<PathBuf>,
    profile: Option<PathBuf>,
    dense: Option<Dense>,
) -> anyhow::Result<ExitCode> {
    let qrels_path = [dir.join("qrels/test.tsv"), dir.join("qrels-test.tsv")]
        .into_iter()
        .find(|p| p.exists());
    let Some(qrels_path) = qrels_path else {
        bail!("no qrels/test.tsv or qrels-test.tsv in {}", dir.display());
    };
    let qrels = Qrels::read_file(&qrels_path).map_err(report)?;
    let docs: Vec<Doc> = read_jsonl(&dir.join("corpus.jsonl"))?;
    let queries: Vec<QueryLine> = read_jsonl(&dir.join("queries.jsonl"))?;
    let bundle = Bundle::load(bundle_dir).map_err(report)?;
    let profile = match profile {
        Some(p) => RankingProfile::read(&p).map_err(report)?,
        None => beir_profile(),
    };
    let name = profile.name.clone();
    let mut profiles = vec![profile.clone()];
    if let Some(d) = &dense {
        // Dense alone (the cosine), and BM25 normalised by the query's best plus the cosine.
        profiles.push(RankingProfile {
            name: "dense".into(),
            description: "The sentence-embedding cosine alone.".into(),
            text_weight: 0.0,
            dense_weight: 1.0,
            dense_floor: 0.0,
            ..profile.clone()
        });
        profiles.push(RankingProfile {
            name: "fusion".into(),
            description: "BM25 / best BM25 of the query + fusion_weight × cosine.".into(),
            text_weight: 1.0,
            dense_weight: d.fusion_weight,
            dense_floor: 0.0,
            ..profile.clone()
        });
    }
    let names: Vec<String> = profiles.iter().map(|p| p.name.clone()).collect();
    let catalogue = bundle.catalogue.clone();
    let vocabulary = Vocabulary::empty(&catalogue);
    let mut engine = Engine::new(catalogue, vocabulary, ProfileSet::new(profiles, &name)?)?;
    if let Some(d) = &dense {
        let t = Instant::now();
        let sem = kpimatch_engine::semantic::load(&d.model, Some(&d.embeddings), &[])?;
        eprintln!(
            "model {} loaded in {:.2} s; {} embeddings kept in {}",
            sem.model_id(),
            t.elapsed().as_secs_f64(),
            sem.stored(),
            d.embeddings.display()
        );
        engine.set_semantic(Some(std::sync::Arc::new(sem)))?;
    }
    let solutions: Vec<Solution> = docs
        .into_iter()
        .map(|d| Solution {
            id: d.id,
            title: if d.title.trim().is_empty() {
                "(untitled)".into()
            } else {
                d.title
            },
            provider: String::new(),
            provider_type: Default::default(),
            lang: None,
            summary: String::new(),
            description: d.text,
            categories: Vec::new(),
            tags: Vec::new(),
            regions: Vec::new(),
            reference_cities: Vec::new(),
            kpis: Vec::new(),
            sdgs: Vec::new(),
            maturity: None,
            cost_band: None,
            url: None,
        })
        .collect();
    let n_docs = solutions.len();
    let t0 = Instant::now();
    engine.upsert_solutions(solutions)?;
    let build = t0.elapsed().as_secs_f64();
    println!(
        "collection: {} ({} documents, {} queries judged)",
        dir.display(),
        n_docs,
        qrels.num_topics()
    );
    println!(
        "index build: {build:.2} s ({:.0} documents/s)",
        n_docs as f64 / build.max(1e-9)
    );
    for name in &names {
        let mut run = Run::new();
        let mut latencies = Vec::with_capacity(queries.len());
        for q in queries.iter().filter(|q| qrels.topic(&q.id).is_some()) {
            let mut req = MatchRequest::for_text(&q.text).with_limit(100).with_profile(name);
            req.explain = false;
            let t = Instant::now();
            let resp = engine.match_solutions(&req)?;
            latencies.push(t.elapsed().as_secs_f64() * 1e3);
            run.add_scored(
                q.id.clone(),
                resp.results.into_iter().map(|r| (r.solution_id, f64::from(r.score))),
                name,
            );
        }
        latencies.sort_by(f64::total_cmp);
        if let Some(p) = &run_out {
            let p = if names.len() > 1 {
                p.with_extension(name)
            } else {
                p.clone()
            };
            run.write_file(&p).map_err(report)?;
            eprintln!("wrote {}", p.display());
        }
        println!("\n== {name}");
        print_measures(&qrels, &run);
        println!(
            "per query: median {:.3} ms, p99 {:.3} ms over {} queries",
            percentile(&latencies, 0.5),
            percentile(&latencies, 0.99),
            latencies.len()
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn print_measures(qrels: &Qrels, run: &Run) {
    let measures = [
        Measure::NdcgCut(10),
        Measure::Map,
        Measure::RecipRank,
        Measure::Recall(100),
        Measure::P(10),
    ];
    let rep = evaluate(qrels, run, &EvalOptions::default().with_measures(measures));
    for m in measures {
        println!("{:<12} {:.4}", m.name(), rep.mean(m).unwrap_or(0.0));
    }
}
