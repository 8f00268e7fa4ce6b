//! `kpimatch tune`: fit a ranking profile on the bundle's training topics.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use kpimatch_engine::bundle::{Bundle, Split};
use kpimatch_engine::eval::{qrels_from, tune, TuneConfig, TuneReport};
use kpimatch_engine::ranking::RankingProfile;
use kpimatch_engine::Engine;

use super::report;

pub fn run(
    bundle_dir: &std::path::Path,
    from: Option<String>,
    name: String,
    metric: &str,
    rounds: usize,
    folds: usize,
    out: Option<PathBuf>,
) -> anyhow::Result<ExitCode> {
    let bundle = Bundle::load(bundle_dir).map_err(report)?;
    let mut engine = Engine::from_bundle(&bundle)?;
    let mut start = match from {
        Some(p) => engine.profiles().get(Some(&p))?.clone(),
        None => RankingProfile::default(),
    };
    start.name = name.clone();
    let measure = metric
        .parse()
        .map_err(|e| anyhow::anyhow!("unknown measure '{metric}': {e}"))?;
    let cfg = TuneConfig {
        measure,
        rounds,
        folds,
        depth: 100,
    };
    let train: Vec<_> = bundle
        .topics
        .iter()
        .filter(|t| t.split == Split::Train)
        .cloned()
        .collect();
    let heldout: Vec<_> = bundle
        .topics
        .iter()
        .filter(|t| t.split == Split::Heldout)
        .cloned()
        .collect();
    let qrels = qrels_from(&bundle.judgments);
    let t0 = std::time::Instant::now();
    let mut rep = tune(&mut engine, &start, &train, &heldout, &qrels, &cfg)?;
    rep.profile.description = format!(
        "Hybrid ranking fitted by `kpimatch tune` (coordinate ascent on {} over {} training topics; see {name}.tuning.md).",
        rep.measure, rep.train_topics
    );
    let md = markdown(&rep, t0.elapsed().as_secs_f64());
    print!("{md}");
    let out = out.unwrap_or_else(|| bundle_dir.join("profiles").join(format!("{name}.json")));
    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir)?;
    }
    rep.profile.write(&out)?;
    let md_path = out.with_extension("tuning.md");
    std::fs::write(&md_path, md).with_context(|| format!("writing {}", md_path.display()))?;
    eprintln!("wrote {} and {}", out.display(), md_path.display());
    Ok(ExitCode::SUCCESS)
}

fn markdown(r: &TuneReport, seconds: f64) -> String {
    let f = |v: Option<f64>| v.map_or("–".to_string(), |v| format!("{v:.4}"));
    let mut s = String::new();
    let _ = writeln!(s, "# How the `{}` ranking profile was chosen\n", r.profile.name);
    let _ = writeln!(
        s,
        "`kpimatch tune` ran coordinate ascent on mean `{}` over the {} training topics of the bundle \
         (each parameter in turn tried on a grid, the best value kept), starting from the built-in \
         defaults. It took {seconds:.0} s. Reproduce with `cargo run --release -- tune`.\n",
        r.measure, r.train_topics
    );
    let _ = writeln!(s, "| | start | fitted |\n|---|---|---|");
    let _ = writeln!(s, "| training topics | {:.4} | {:.4} |", r.start_train, r.fitted_train);
    let _ = writeln!(
        s,
        "| {}-fold cross-validation (fitted without the fold) | {} | {} |",
        r.folds.len(),
        f(r.cv_start),
        f(r.cv_fitted)
    );
    let _ = writeln!(
        s,
        "| held-out topics (never used for fitting) | {} | {} |\n",
        f(r.start_heldout),
        f(r.fitted_heldout)
    );
    let _ = writeln!(s, "## Folds\n\n| validation topics | start | fitted |\n|---|---|---|");
    for fold in &r.folds {
        let _ = writeln!(
            s,
            "| {} | {:.4} | {:.4} |",
            fold.validation_topics.join(" "),
            fold.start,
            fold.fitted
        );
    }
    let _ = writeln!(
        s,
        "\n## Accepted steps (full training set)\n\n| parameter | from | to | score |\n|---|---|---|---|"
    );
    for st in &r.steps {
        let _ = writeln!(
            s,
            "| {} | {:.3} | {:.3} | {:.4} |",
            st.parameter, st.from, st.to, st.score
        );
    }
    let _ = writeln!(
        s,
        "\n## Fitted profile\n\n```json\n{}\n```",
        serde_json::to_string_pretty(&r.profile).unwrap_or_default()
    );
    s
}
