//! `kpimatch bundle check|manifest|inference-report`.

use std::collections::HashSet;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use kpimatch_engine::bundle::Bundle;
use kpimatch_engine::Engine;

use super::report;
use crate::cli::BundleAction;

pub fn run(root: &Path, model: Option<&Path>, action: BundleAction) -> anyhow::Result<ExitCode> {
    match action {
        BundleAction::Embed => {
            let b = Bundle::load(root).map_err(report)?;
            let model = model.context("bundle embed needs the model (--model; not --no-model)")?;
            let path = root.join(kpimatch_engine::semantic::BUNDLE_SEED);
            // Written afresh, so it holds exactly the bundle's current texts.
            let tmp = path.with_extension("bin.tmp");
            let _ = std::fs::remove_file(&tmp);
            let started = std::time::Instant::now();
            let sem = std::sync::Arc::new(kpimatch_engine::semantic::load(model, Some(&tmp), &[])?);
            let mut engine = Engine::empty_for(&b)?;
            engine.set_semantic(Some(sem.clone()))?;
            engine.upsert_solutions(b.solutions.clone())?;
            sem.sync()?;
            drop(engine);
            std::fs::rename(&tmp, &path).with_context(|| format!("writing {}", path.display()))?;
            println!(
                "wrote {}: {} embeddings of {} solutions in {:.1} s ({})",
                path.display(),
                sem.stored(),
                b.solutions.len(),
                started.elapsed().as_secs_f64(),
                sem.model_id()
            );
            Ok(ExitCode::SUCCESS)
        }
        BundleAction::Manifest => {
            let m = Bundle::write_manifest(root).map_err(report)?;
            println!("wrote {}/manifest.json: {:?}", root.display(), m.counts);
            Ok(ExitCode::SUCCESS)
        }
        BundleAction::Check => match Bundle::load(root) {
            Ok(b) => {
                let c = &b.manifest.counts;
                println!(
                    "ok: {} KPIs, {} solutions ({} with declared KPIs), {} cities, {} topics, {} judgments, {} profiles",
                    c.kpis, c.solutions, c.solutions_with_kpis, c.cities, c.topics, c.judgments, c.profiles
                );
                Ok(ExitCode::SUCCESS)
            }
            Err(e) => {
                eprintln!("{:#}", report(e));
                Ok(ExitCode::FAILURE)
            }
        },
        BundleAction::InferenceReport => {
            let b = Bundle::load(root).map_err(report)?;
            let engine = Engine::from_bundle(&b)?;
            inference_report(&b, &engine);
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Precision and recall of inferred KPI profiles against the declared ones, on the solutions
/// that declare impacts (inference ignores the declaration), overall and for the declared
/// primary KPI (impact ≥ 0.6).
fn inference_report(b: &Bundle, engine: &Engine) {
    let cat = engine.catalogue();
    let (mut tp, mut fp, mut fn_, mut primary_hit, mut primaries, mut cat_hit) = (0, 0, 0, 0, 0, 0);
    let mut n = 0;
    for s in b.solutions.iter().filter(|s| !s.kpis.is_empty()) {
        n += 1;
        let inferred: HashSet<usize> = engine.infer_profile(s).entries().iter().map(|e| e.kpi).collect();
        let declared: HashSet<usize> = s.kpis.iter().filter_map(|k| cat.id_of(&k.code)).collect();
        tp += inferred.intersection(&declared).count();
        fp += inferred.difference(&declared).count();
        fn_ += declared.difference(&inferred).count();
        for k in s.kpis.iter().filter(|k| k.impact >= 0.6) {
            primaries += 1;
            let id = cat.id_of(&k.code).unwrap_or(usize::MAX);
            if inferred.contains(&id) {
                primary_hit += 1;
            }
            let category = &cat.get(id).category;
            if inferred.iter().any(|&i| &cat.get(i).category == category) {
                cat_hit += 1;
            }
        }
    }
    let p = tp as f64 / (tp + fp).max(1) as f64;
    let r = tp as f64 / (tp + fn_).max(1) as f64;
    println!("solutions with declared KPIs: {n}");
    println!(
        "inferred vs declared: precision {p:.3}, recall {r:.3}, F1 {:.3}",
        2.0 * p * r / (p + r).max(1e-9)
    );
    println!(
        "primary declared KPIs (impact >= 0.6) found: {primary_hit}/{primaries} = {:.3}; same category found: {cat_hit}/{primaries} = {:.3}",
        primary_hit as f64 / primaries.max(1) as f64,
        cat_hit as f64 / primaries.max(1) as f64
    );
}
