//! `kpimatch match` and `kpimatch gaps`.

use std::process::ExitCode;

use kpimatch_engine::ranking::CityInput;
use kpimatch_engine::{Engine, MatchRequest};

pub fn run_match(
    engine: &Engine,
    city: Option<String>,
    needs: Option<String>,
    limit: usize,
    profile: Option<String>,
    diversity: f32,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let req = MatchRequest {
        city: city.map(CityInput::Id),
        needs,
        limit,
        diversity,
        explain: true,
        profile,
        ..Default::default()
    };
    let resp = engine.match_solutions(&req)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&resp)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "needs: {:?}  terms: {:?}  profile: {}",
        resp.needs_text, resp.query_terms, resp.profile
    );
    let weights: Vec<String> = resp
        .gaps_used
        .iter()
        .take(8)
        .map(|w| format!("{} {:.2}", w.code, w.weight))
        .collect();
    println!("top KPI weights: {}", weights.join(", "));
    for r in &resp.results {
        let e = r.explanation.as_ref();
        let kpis: Vec<String> = e
            .map(|e| {
                e.kpis
                    .iter()
                    .take(3)
                    .map(|k| format!("{}({:?}) {:.3}", k.code, k.provenance, k.contribution))
                    .collect()
            })
            .unwrap_or_default();
        println!(
            "{:>3}. {:.3} [text {:.3} kpi {:.3}] {} — {}  {}",
            r.rank,
            r.score,
            e.map_or(0.0, |e| e.text),
            e.map_or(0.0, |e| e.kpi),
            r.solution_id,
            r.title,
            kpis.join(" ")
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub fn run_gaps(engine: &Engine, city: &str, json: bool) -> anyhow::Result<ExitCode> {
    let g = engine.gaps(city)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&g)?);
        return Ok(ExitCode::SUCCESS);
    }
    for k in &g.kpis {
        println!(
            "{:<14} gap {:.2} band {:>6} {:<45} value {} target {}",
            k.code.as_str(),
            k.gap,
            k.band.label(),
            k.name,
            k.value,
            k.target
        );
    }
    println!("missing data: {} KPIs", g.missing.len());
    Ok(ExitCode::SUCCESS)
}
