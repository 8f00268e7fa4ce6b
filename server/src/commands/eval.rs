//! `kpimatch eval`: ranking quality of profiles on judged topics, with trec_eval's measures.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context};
use kpimatch_engine::bundle::{Bundle, Split, Topic, Variant, VariantTopic};
use kpimatch_engine::eval::{
    compare, evaluate_profiles, evaluate_variants, qrels_from, JudgedTopic, Measure, Qrels, Report, TopicSelection,
};
use kpimatch_engine::Engine;

use super::report;

pub struct EvalArgs {
    pub topics: Option<PathBuf>,
    pub qrels: Option<PathBuf>,
    pub profiles: Vec<String>,
    pub split: String,
    pub metrics: String,
    pub depth: usize,
    pub run_out: Option<PathBuf>,
    pub json: bool,
    pub svg: Option<PathBuf>,
    pub drop_declared: bool,
    pub leads: bool,
    pub multilingual: bool,
}

pub fn parse_measures(list: &str) -> anyhow::Result<Vec<Measure>> {
    list.split(',')
        .map(|m| {
            m.trim()
                .parse::<Measure>()
                .map_err(|e| anyhow::anyhow!("unknown measure '{}': {e}", m.trim()))
        })
        .collect()
}

pub fn selection(split: &str) -> anyhow::Result<TopicSelection> {
    Ok(match split {
        "all" => TopicSelection::All,
        "train" => TopicSelection::Only(Split::Train),
        "heldout" => TopicSelection::Only(Split::Heldout),
        other => bail!("--split must be all, train or heldout, not '{other}'"),
    })
}

pub fn read_topics(path: &std::path::Path) -> anyhow::Result<Vec<Topic>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| serde_json::from_str(l).with_context(|| format!("{}:{}: invalid topic", path.display(), i + 1)))
        .collect()
}

pub fn run(bundle_dir: &std::path::Path, model: Option<&std::path::Path>, a: EvalArgs) -> anyhow::Result<ExitCode> {
    let mut bundle = Bundle::load(bundle_dir).map_err(report)?;
    if a.drop_declared {
        for s in &mut bundle.solutions {
            s.kpis.clear();
        }
    }
    let mut engine = Engine::empty_for(&bundle)?;
    engine.set_semantic(super::offline_semantic(&bundle, model))?;
    engine.upsert_solutions(bundle.solutions.clone())?;
    for c in &bundle.cities {
        engine.upsert_city(c.clone())?;
    }
    let sel = selection(&a.split)?;
    if a.leads {
        if a.topics.is_some() || a.qrels.is_some() {
            bail!("--leads evaluates the bundle's lead topics; --topics and --qrels are for match topics");
        }
        let topics: Vec<_> = bundle.lead_topics.iter().filter(|t| sel.accepts(*t)).cloned().collect();
        let qrels = qrels_from(&bundle.lead_judgments);
        return evaluate_and_print(&engine, &topics, &qrels, &a);
    }
    if a.multilingual {
        let variants: Vec<_> = bundle
            .variant_topics
            .iter()
            .filter(|t| sel.accepts(*t))
            .cloned()
            .collect();
        return multilingual(&engine, &variants, &bundle.topics, &qrels_from(&bundle.judgments), &a);
    }
    let topics: Vec<Topic> = match &a.topics {
        Some(p) => read_topics(p)?,
        None => bundle.topics.clone(),
    }
    .into_iter()
    .filter(|t| sel.accepts(t))
    .collect();
    let qrels = match &a.qrels {
        Some(p) => Qrels::read_file(p).map_err(report)?,
        None => qrels_from(&bundle.judgments),
    };
    evaluate_and_print(&engine, &topics, &qrels, &a)
}

/// Evaluates the translated and paraphrased topics per language: each group's mean for the
/// variants, for their English sources and for gap-only ranking of the same cities, with the
/// paired randomisation test of variant vs gap-only and variant vs source.
fn multilingual(
    engine: &Engine,
    variants: &[VariantTopic],
    sources: &[Topic],
    qrels: &Qrels,
    a: &EvalArgs,
) -> anyhow::Result<ExitCode> {
    let measures = parse_measures(&a.metrics)?;
    let profile = a.profiles.first().map(String::as_str);
    let r = evaluate_variants(engine, variants, sources, qrels, profile, a.depth, &measures)?;
    let mut groups: Vec<(String, Vec<&VariantTopic>)> = Vec::new();
    for v in variants {
        let key = match v.variant {
            Variant::Translation => v.lang.clone(),
            Variant::Paraphrase => format!("{} paraphrase", v.lang),
        };
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, g)) => g.push(v),
            None => groups.push((key, vec![v])),
        }
    }
    groups.push((
        "all translations".into(),
        variants.iter().filter(|v| v.variant == Variant::Translation).collect(),
    ));
    groups.push(("all".into(), variants.iter().collect()));
    let restrict = |report: &Report, ids: &[&VariantTopic]| -> Report {
        let mut out = report.clone();
        out.per_topic.retain(|t, _| ids.iter().any(|v| &v.id == t));
        out
    };
    let mean = |report: &Report, m: Measure| -> f64 {
        let vals: Vec<f64> = report
            .per_topic
            .keys()
            .filter_map(|t| report.topic_value(t, m))
            .collect();
        vals.iter().sum::<f64>() / vals.len().max(1) as f64
    };
    let mut rows = Vec::new();
    // The table, or with --json the same rows as JSON.
    let mut table = vec![format!(
        "variant topics: {} ({}), profile {}, depth {}",
        variants.len(),
        a.split,
        profile.unwrap_or(engine.profiles().default_name()),
        a.depth
    )];
    for m in &measures {
        table.push(format!("\n{}", m.name()));
        table.push(format!(
            "{:<20} {:>3} {:>9} {:>9} {:>9} {:>22} {:>22} {:>9}",
            "group", "n", "variant", "english", "gap-only", "vs gap-only (W/L, p)", "vs english (W/L, p)", "read as"
        ));
        for (name, ids) in &groups {
            let (v, s, g) = (
                restrict(&r.variant, ids),
                restrict(&r.source, ids),
                restrict(&r.gap_only, ids),
            );
            let vs_gap = compare(("gap-only", &g), ("variant", &v), *m, 10_000);
            let vs_src = compare(("english", &s), ("variant", &v), *m, 10_000);
            let read_right = ids
                .iter()
                .filter(|t| r.read_as.get(&t.id).is_some_and(|c| t.lang.starts_with(c.as_str())))
                .count();
            table.push(format!(
                "{:<20} {:>3} {:>9.4} {:>9.4} {:>9.4} {:>22} {:>22} {:>9}",
                name,
                ids.len(),
                mean(&v, *m),
                mean(&s, *m),
                mean(&g, *m),
                format!("{}/{}, p={:.3}", vs_gap.wins, vs_gap.losses, vs_gap.p_value),
                format!("{}/{}, p={:.3}", vs_src.wins, vs_src.losses, vs_src.p_value),
                format!("{read_right}/{}", ids.len()),
            ));
            rows.push(serde_json::json!({
                "measure": m.name(), "group": name, "n": ids.len(),
                "variant": mean(&v, *m), "english": mean(&s, *m), "gap_only": mean(&g, *m),
                "vs_gap_only": vs_gap, "vs_english": vs_src, "read_as_declared": read_right,
            }));
        }
    }
    let below: Vec<String> = variants
        .iter()
        .filter_map(|v| {
            let m = *measures.first()?;
            let (x, g) = (r.variant.topic_value(&v.id, m)?, r.gap_only.topic_value(&v.id, m)?);
            (x + 1e-9 < g).then(|| {
                format!(
                    "{} ({}, read as {}): {x:.3} < gap-only {g:.3}",
                    v.id, v.lang, r.read_as[&v.id]
                )
            })
        })
        .collect();
    table.push(format!(
        "\nvariant topics below gap-only on {}: {}",
        measures.first().map(|m| m.name()).unwrap_or_default(),
        below.len()
    ));
    table.extend(below.iter().map(|b| format!("  {b}")));
    if a.json {
        let json = serde_json::json!({"groups": rows, "below_gap_only": below, "read_as": r.read_as});
        println!("{}", serde_json::to_string_pretty(&json)?);
    } else {
        println!("{}", table.join("\n"));
    }
    Ok(ExitCode::SUCCESS)
}

/// Evaluates the profiles on the topics and prints the table (or JSON), the comparisons with
/// the first profile, and the run files and chart when asked.
fn evaluate_and_print<T: JudgedTopic>(
    engine: &Engine,
    topics: &[T],
    qrels: &Qrels,
    a: &EvalArgs,
) -> anyhow::Result<ExitCode> {
    let measures = parse_measures(&a.metrics)?;
    let profiles = if a.profiles.is_empty() {
        vec![
            "text-only".to_string(),
            "kpi-only".to_string(),
            engine.profiles().default_name().to_string(),
        ]
    } else {
        a.profiles.clone()
    };
    let results = evaluate_profiles(engine, topics, qrels, &profiles, a.depth)?;
    if let Some(dir) = &a.run_out {
        std::fs::create_dir_all(dir)?;
        for (name, run, _) in &results {
            let path = dir.join(format!("{name}.run"));
            run.write_file(&path).map_err(report)?;
            eprintln!("wrote {}", path.display());
        }
    }
    let reports: Vec<(&str, &Report)> = results.iter().map(|(n, _, r)| (n.as_str(), r)).collect();
    let comparisons: Vec<_> = reports
        .iter()
        .skip(1)
        .flat_map(|c| measures.iter().map(move |m| (c, *m)))
        .map(|(c, m)| compare(reports[0], *c, m, 10_000))
        .collect();
    if let Some(path) = &a.svg {
        let key = measures.first().copied().unwrap_or(Measure::NdcgCut(10));
        let chart = crate::svg::per_topic_chart(&reports, key);
        std::fs::write(path, chart).with_context(|| format!("writing {}", path.display()))?;
        eprintln!("wrote {}", path.display());
    }
    if a.json {
        let table: Vec<serde_json::Value> = reports
            .iter()
            .map(|(n, r)| {
                let means: serde_json::Map<String, serde_json::Value> = measures
                    .iter()
                    .map(|m| (m.name(), serde_json::json!(r.mean(*m).unwrap_or(0.0))))
                    .collect();
                serde_json::json!({"profile": n, "topics": r.num_topics(), "means": means})
            })
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({"profiles": table, "comparisons": comparisons}))?
        );
        return Ok(ExitCode::SUCCESS);
    }
    println!("topics: {} ({}), depth {}", topics.len(), a.split, a.depth);
    print!("{:<16}", "profile");
    for m in &measures {
        print!(" {:>12}", m.name());
    }
    println!();
    for (n, r) in &reports {
        print!("{n:<16}");
        for m in &measures {
            print!(" {:>12.4}", r.mean(*m).unwrap_or(0.0));
        }
        println!();
    }
    if !comparisons.is_empty() {
        println!("\nvs {} (paired randomisation test, 10 000 sign flips):", reports[0].0);
        for c in &comparisons {
            println!(
                "  {:<14} {:<12} {:+.4}  W/L/T {}/{}/{}  p = {:.4}",
                c.candidate,
                c.measure,
                c.candidate_mean - c.baseline_mean,
                c.wins,
                c.losses,
                c.ties,
                c.p_value
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `kpimatch trec-eval`: trec_eval's output for the measures implemented.
pub fn trec_eval(
    qrels: &std::path::Path,
    run: &std::path::Path,
    per_topic: bool,
    complete: bool,
    level: i32,
    measures: &[String],
) -> anyhow::Result<ExitCode> {
    use kpimatch_engine::eval::{evaluate, EvalOptions, Run};
    let q = Qrels::read_file(qrels).map_err(report)?;
    let r = Run::read_file(run).map_err(report)?;
    let measures = if measures.is_empty() {
        Measure::standard()
    } else {
        parse_measures(&measures.join(","))?
    };
    let options = EvalOptions::default()
        .with_relevance_level(level)
        .with_average_complete(complete)
        .with_measures(measures.clone());
    let report = evaluate(&q, &r, &options);
    print!("{}", report.to_trec_eval_string(per_topic, &measures));
    Ok(ExitCode::SUCCESS)
}

/// `kpimatch eval --from-feedback`: judgments and the served run derived from stored feedback.
pub fn from_feedback(bundle: &std::path::Path, data: crate::cli::DataArgs, a: &EvalArgs) -> anyhow::Result<ExitCode> {
    use kpimatch_engine::eval::{derive_judgments, evaluate, EvalOptions, FeedbackEvent};
    let state = super::serve::offline_state(bundle, data)?;
    let events: Vec<FeedbackEvent> = state
        .store
        .feedback()?
        .into_iter()
        .map(serde_json::from_value)
        .collect::<Result<_, _>>()
        .context("a stored feedback event is unreadable")?;
    let (qrels, run) = derive_judgments(&events);
    if let Some(dir) = &a.run_out {
        std::fs::create_dir_all(dir)?;
        qrels.write_trec_file(dir.join("feedback.qrels")).map_err(report)?;
        run.write_file(dir.join("served.run")).map_err(report)?;
        eprintln!("wrote {0}/feedback.qrels and {0}/served.run", dir.display());
    }
    let measures = parse_measures(&a.metrics)?;
    let rep = evaluate(&qrels, &run, &EvalOptions::default().with_measures(measures.clone()));
    println!(
        "feedback events: {}, requests judged: {}",
        events.len(),
        qrels.num_topics()
    );
    for m in &measures {
        println!("{:<12} {:.4}", m.name(), rep.mean(*m).unwrap_or(0.0));
    }
    Ok(ExitCode::SUCCESS)
}
