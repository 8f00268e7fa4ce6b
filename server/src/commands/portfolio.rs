//! `kpimatch eval-portfolio`: how much of each bundled city's weighted gaps a portfolio covers,
//! against the top results of a match for the same request (gap coverage, see
//! `kpimatch_engine::portfolio`).

use std::process::ExitCode;

use kpimatch_engine::bundle::Bundle;
use kpimatch_engine::eval::randomisation_p_value;
use kpimatch_engine::portfolio::PortfolioRequest;
use kpimatch_engine::ranking::{CityInput, MatchRequest};
use kpimatch_engine::Engine;

use super::report;

pub fn run(bundle_dir: &std::path::Path, size: usize, diversity: f32) -> anyhow::Result<ExitCode> {
    let bundle = Bundle::load(bundle_dir).map_err(report)?;
    let engine = Engine::from_bundle(&bundle)?;
    println!(
        "gap coverage (share of the request's weighted gaps covered), size {size}; top-{size} of /v1/match with diversity 0 and {diversity}"
    );
    println!(
        "{:<24} {:<7} {:>9} {:>9} {:>9}",
        "city", "needs", "portfolio", "top-k", "top-k div"
    );
    let (mut deltas, mut deltas_div) = (Vec::new(), Vec::new());
    let (mut sum_p, mut sum_t, mut sum_d) = (0f64, 0f64, 0f64);
    for city in &bundle.cities {
        for (label, needs) in [("gaps", Some(String::new())), ("stated", None)] {
            let req = PortfolioRequest {
                city: Some(CityInput::Id(city.id.clone())),
                needs: needs.clone(),
                size,
                ..Default::default()
            };
            let portfolio = engine.portfolio(&req)?.coverage;
            let top = |div: f32| -> anyhow::Result<f32> {
                let m = MatchRequest {
                    city: Some(CityInput::Id(city.id.clone())),
                    needs: needs.clone(),
                    limit: size,
                    diversity: div,
                    ..Default::default()
                };
                let ids: Vec<String> = engine
                    .match_solutions(&m)?
                    .results
                    .into_iter()
                    .map(|r| r.solution_id)
                    .collect();
                Ok(engine.gap_coverage(&req, &ids)?)
            };
            let (plain, diverse) = (top(0.0)?, top(diversity)?);
            println!(
                "{:<24} {label:<7} {portfolio:>9.4} {plain:>9.4} {diverse:>9.4}",
                city.id
            );
            deltas.push(f64::from(portfolio - plain));
            deltas_div.push(f64::from(portfolio - diverse));
            sum_p += f64::from(portfolio);
            sum_t += f64::from(plain);
            sum_d += f64::from(diverse);
        }
    }
    let n = deltas.len() as f64;
    println!("mean {:>40.4} {:>9.4} {:>9.4}", sum_p / n, sum_t / n, sum_d / n);
    for (name, d) in [("top-k", &deltas), ("top-k div", &deltas_div)] {
        let wins = d.iter().filter(|x| **x > 1e-6).count();
        let losses = d.iter().filter(|x| **x < -1e-6).count();
        println!(
            "portfolio vs {name}: {:+.4} on average, W/L/T {wins}/{losses}/{}, paired randomisation p = {:.4}",
            d.iter().sum::<f64>() / n,
            d.len() - wins - losses,
            randomisation_p_value(d, 10_000, 7)
        );
    }
    Ok(ExitCode::SUCCESS)
}
